#include <utility>

#include <vami/core/resilient_telephony_provider.hpp>

namespace vami {

ResilientTelephonyProvider::ResilientTelephonyProvider(TelephonyProvider& inner,
                                                       AdaptiveRateLimiter& limiter,
                                                       RetryPolicy policy, MonotonicClock& clock)
    : m_inner(inner), m_calls(limiter, std::move(policy), clock) {}

std::string ResilientTelephonyProvider::name() const {
  return m_inner.name();
}

std::vector<AvailableNumber>
ResilientTelephonyProvider::search_available(const NumberSearch& search) {
  return m_calls.retried([&] { return m_inner.search_available(search); });
}

PurchaseOutcome ResilientTelephonyProvider::buy(const std::string& e164, const std::string& tag) {
  for (int attempt = 1;; ++attempt) {
    try {
      return m_calls.limited([&] { return m_inner.buy(e164, tag); });
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::unavailable) {
        // The request may have been processed before the failure: repeating it blindly could
        // only be safe because Twilio refuses a number already owned, so look first.
        std::optional<OwnedNumber> owned;
        try {
          owned = find_owned(e164);
        } catch (const Error& lookup_error) {
          throw Error(ErrorKind::uncertain,
                      "the purchase of " + e164 + " may have happened (" + error.what() +
                          ") and looking it up failed too (" + lookup_error.what() + ")",
                      "run 'vami reconcile' to find out");
        }
        if (owned) {
          PurchaseOutcome outcome;
          if (owned->friendly_name == tag) {
            outcome.number = *owned;
          } else {
            outcome.status = PurchaseOutcome::Status::unavailable;
            outcome.provider_message =
                "the account already owns it, tagged '" + owned->friendly_name + "'";
          }
          return outcome;
        }
      } else if (error.kind() != ErrorKind::rate_limited) {
        throw;
      }
      // A 429 was never processed, and a number found not owned was not bought: both are safe
      // to send again.
      if (!m_calls.wait_before_retry(error, attempt)) {
        throw;
      }
    }
  }
}

std::optional<OwnedNumber> ResilientTelephonyProvider::find_owned(const std::string& e164) {
  return m_calls.retried([&] { return m_inner.find_owned(e164); });
}

std::vector<OwnedNumber> ResilientTelephonyProvider::list_owned() {
  return m_calls.retried([&] { return m_inner.list_owned(); });
}

std::vector<TelephonyCall>
ResilientTelephonyProvider::list_calls(const std::string& started_on_or_after) {
  return m_calls.retried([&] { return m_inner.list_calls(started_on_or_after); });
}

OwnedNumber ResilientTelephonyProvider::set_voice_webhook(const std::string& provider_sid,
                                                          const VoiceWebhook& webhook) {
  return m_calls.retried([&] { return m_inner.set_voice_webhook(provider_sid, webhook); });
}

AgentSipTrunk ResilientTelephonyProvider::ensure_sip_trunk(const std::string& name,
                                                           const std::string& origination_sip_uri) {
  return m_calls.retried([&] { return m_inner.ensure_sip_trunk(name, origination_sip_uri); });
}

void ResilientTelephonyProvider::move_to_sip_trunk(const std::string& provider_sid,
                                                   const std::string& trunk_id) {
  m_calls.retried([&] {
    m_inner.move_to_sip_trunk(provider_sid, trunk_id);
    return 0;
  });
}

void ResilientTelephonyProvider::remove_from_sip_trunk(const std::string& provider_sid,
                                                       const std::string& trunk_id) {
  m_calls.retried([&] {
    m_inner.remove_from_sip_trunk(provider_sid, trunk_id);
    return 0;
  });
}

std::vector<AgentSipTrunk> ResilientTelephonyProvider::list_sip_trunks() {
  return m_calls.retried([&] { return m_inner.list_sip_trunks(); });
}

VoiceWebhook ResilientTelephonyProvider::out_of_service_webhook(const std::string& message) const {
  return m_inner.out_of_service_webhook(message);
}

void ResilientTelephonyProvider::release(const std::string& provider_sid) {
  m_calls.deleted([&] { m_inner.release(provider_sid); });
}

std::optional<Money> ResilientTelephonyProvider::monthly_price(const std::string& country,
                                                               NumberType type) {
  return m_calls.retried([&] { return m_inner.monthly_price(country, type); });
}

} // namespace vami
