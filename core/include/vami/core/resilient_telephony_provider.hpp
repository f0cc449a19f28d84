#pragma once

#include <vami/core/monotonic_clock.hpp>
#include <vami/core/rate_limiter.hpp>
#include <vami/core/resilient_calls.hpp>
#include <vami/core/retry.hpp>
#include <vami/core/telephony_provider.hpp>

namespace vami {

/// A `TelephonyProvider` decorator that makes every call of the provider it wraps go through a
/// shared `AdaptiveRateLimiter` (reporting 429s and successes to it), and retries the failures
/// `RetryPolicy` calls transient where repeating the request is safe (DESIGN.md section 3,
/// rule 3):
/// - `search_available`, `find_owned`, `list_owned`, `list_calls`, `monthly_price` (reads) and
///   `set_voice_webhook` (sets the same values again) are retried as they are.
/// - `release` is retried too; a retry answered "not found" after an earlier attempt failed
///   ambiguously (`unavailable`) means that attempt released the number, and returns normally.
/// - `buy` is never repeated blindly. A 429 was never processed (Twilio documents it), so it is
///   retried. After an ambiguous failure (`unavailable`: timeout, reset, 5xx) the number is
///   looked up first (`find_owned`): owned with the purchase's tag means bought (returned as
///   such); owned with another tag means not for sale (`PurchaseOutcome::Status::unavailable`);
///   not owned means the purchase did not happen and may be retried. When the look-up fails,
///   throws `Error(uncertain)`: the purchase may have happened, and only `vami reconcile` can
///   tell. When the tries run out, the last error is thrown as it was.
/// Thread-safe when the wrapped provider is (the `TelephonyProvider` contract).
class ResilientTelephonyProvider final : public TelephonyProvider {
public:
  /// Wraps `inner`; `inner`, `limiter` and `clock` must outlive the decorator. Retry delays are
  /// slept on `clock`.
  ResilientTelephonyProvider(TelephonyProvider& inner, AdaptiveRateLimiter& limiter,
                             RetryPolicy policy, MonotonicClock& clock);

  /// The wrapped provider's name.
  [[nodiscard]] std::string name() const override;
  /// Rate-limited and retried.
  std::vector<AvailableNumber> search_available(const NumberSearch& search) override;
  /// Rate-limited; retries only what cannot buy twice (see the class comment).
  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override;
  /// Rate-limited and retried.
  std::optional<OwnedNumber> find_owned(const std::string& e164) override;
  /// Rate-limited and retried (every page again: a failed page returns nothing).
  std::vector<OwnedNumber> list_owned() override;
  /// Retried (every page again).
  std::vector<TelephonyCall> list_calls(const std::string& started_on_or_after) override;
  /// Rate-limited and retried.
  OwnedNumber set_voice_webhook(const std::string& provider_sid,
                                const VoiceWebhook& webhook) override;
  /// The wrapped provider's (no request).
  [[nodiscard]] VoiceWebhook out_of_service_webhook(const std::string& message) const override;
  /// Rate-limited and retried; see the class comment for "not found" after an ambiguous try.
  void release(const std::string& provider_sid) override;
  /// Rate-limited and retried.
  std::optional<Money> monthly_price(const std::string& country, NumberType type) override;
  /// Rate-limited and retried: a trunk created by an attempt whose answer was lost is found
  /// again by name.
  AgentSipTrunk ensure_sip_trunk(const std::string& name,
                                 const std::string& origination_sip_uri) override;
  /// Rate-limited and retried (moving a number onto the trunk it is on changes nothing).
  void move_to_sip_trunk(const std::string& provider_sid, const std::string& trunk_id) override;
  /// Rate-limited and retried (a number not on the trunk is left as it is).
  void remove_from_sip_trunk(const std::string& provider_sid, const std::string& trunk_id) override;
  /// Retried as any read.
  std::vector<AgentSipTrunk> list_sip_trunks() override;

private:
  TelephonyProvider& m_inner;
  ResilientCalls m_calls;
};

} // namespace vami
