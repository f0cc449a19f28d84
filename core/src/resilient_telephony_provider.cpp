#include <type_traits>
#include <utility>

#include <vami/core/resilient_telephony_provider.hpp>

namespace vami {

ResilientTelephonyProvider::ResilientTelephonyProvider(TelephonyProvider& inner,
                                                       AdaptiveRateLimiter& limiter,
                                                       RetryPolicy policy, MonotonicClock& clock)
    : m_inner(inner), m_limiter(limiter), m_policy(std::move(policy)), m_clock(clock) {}

template <typename Call>
auto ResilientTelephonyProvider::limited(Call&& call) -> decltype(call()) {
  const AdaptiveRateLimiter::Permit permit = m_limiter.acquire();
  try {
    if constexpr (std::is_void_v<decltype(call())>) {
      call();
      m_limiter.on_success();
    } else {
      auto result = call();
      m_limiter.on_success();
      return result;
    }
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::rate_limited) {
      std::optional<Duration> retry_after;
      if (error.retry_after_seconds()) {
        retry_after = duration_from_seconds(*error.retry_after_seconds());
      }
      m_limiter.on_rate_limited(permit, retry_after);
    }
    throw;
  }
}

template <typename Call>
auto ResilientTelephonyProvider::retried(Call&& call) -> decltype(call()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return limited(call);
    } catch (const Error& error) {
      if (!wait_before_retry(error, attempt)) {
        throw;
      }
    }
  }
}

bool ResilientTelephonyProvider::wait_before_retry(const Error& error, int attempts_made) {
  auto delay = m_policy.delay_before_retry(error, attempts_made);
  if (!delay) {
    return false;
  }
  m_clock.sleep_until(m_clock.now() + *delay);
  return true;
}

std::string ResilientTelephonyProvider::name() const {
  return m_inner.name();
}

std::vector<AvailableNumber>
ResilientTelephonyProvider::search_available(const NumberSearch& search) {
  return retried([&] { return m_inner.search_available(search); });
}

PurchaseOutcome ResilientTelephonyProvider::buy(const std::string& e164, const std::string& tag) {
  for (int attempt = 1;; ++attempt) {
    try {
      return limited([&] { return m_inner.buy(e164, tag); });
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
      if (!wait_before_retry(error, attempt)) {
        throw;
      }
    }
  }
}

std::optional<OwnedNumber> ResilientTelephonyProvider::find_owned(const std::string& e164) {
  return retried([&] { return m_inner.find_owned(e164); });
}

std::vector<OwnedNumber> ResilientTelephonyProvider::list_owned() {
  return retried([&] { return m_inner.list_owned(); });
}

OwnedNumber ResilientTelephonyProvider::set_voice_webhook(const std::string& provider_sid,
                                                          const VoiceWebhook& webhook) {
  return retried([&] { return m_inner.set_voice_webhook(provider_sid, webhook); });
}

void ResilientTelephonyProvider::release(const std::string& provider_sid) {
  bool ambiguous = false;
  for (int attempt = 1;; ++attempt) {
    try {
      limited([&] { m_inner.release(provider_sid); });
      return;
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::not_found && ambiguous) {
        // An earlier try that failed ambiguously did release it.
        return;
      }
      ambiguous = ambiguous || error.kind() == ErrorKind::unavailable;
      if (!wait_before_retry(error, attempt)) {
        throw;
      }
    }
  }
}

std::optional<Money> ResilientTelephonyProvider::monthly_price(const std::string& country,
                                                               NumberType type) {
  return retried([&] { return m_inner.monthly_price(country, type); });
}

} // namespace vami
