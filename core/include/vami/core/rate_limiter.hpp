#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>

#include <vami/core/monotonic_clock.hpp>

namespace vami {

/// How an `AdaptiveRateLimiter` paces requests. Rates are in requests per second; an infinite
/// rate means no pacing at all.
struct RateLimiterSettings {
  /// The rate the first requests go out at. Infinite (the default): unthrottled until the
  /// provider first answers 429, since most runs never meet a limit and pacing a provider that
  /// is not limiting us only makes bulk work slower.
  double initial_rate = std::numeric_limits<double>::infinity();
  double min_rate = 0.5; ///< The floor that decreases stop at (finite, positive).
  /// The ceiling that additive increases stop at; infinite (the default) for none.
  double max_rate = std::numeric_limits<double>::infinity();
  double additive_increase = 0.5; ///< Added to the rate after each successful request.
  /// The rate is multiplied by this on a 429 (0 < f < 1). The rate cut is the lower of the
  /// current rate and the rate requests actually went out at over the last second, so that the
  /// first 429 of an unthrottled run, or one after a long climb, takes effect at once.
  double decrease_factor = 0.5;
  /// The longest pause a `Retry-After` may impose on everyone; longer ones are cut to this.
  Duration max_pause = std::chrono::seconds(120);
};

/// An adaptive (AIMD) rate limiter shared by every worker that talks to one provider account.
/// By default it lets every request go at once until the provider first answers HTTP 429; from
/// then on requests go out evenly spaced at the current rate; each success raises the rate by a
/// fixed step up to a ceiling, and each 429 cuts it by a factor (once per congestion event: 429s
/// answering requests let go before the latest cut do not cut again) and, when the provider said
/// `Retry-After`, holds every request until then. Thread-safe. Time comes from a
/// `MonotonicClock`, so tests run on a fake one.
class AdaptiveRateLimiter {
public:
  /// What `acquire` hands out: identifies the request for `on_rate_limited`.
  struct Permit {
    std::uint64_t sequence = 0; ///< 1 for the first request let go, then 2, 3, ...
  };

  /// A limiter reading and sleeping on `clock` (which must outlive it).
  /// @throws Error(invalid_input) when the settings are inconsistent (a rate not positive, an
  ///         infinite or NaN minimum, min > initial or initial > max, a factor outside (0, 1), a
  ///         negative step or pause).
  explicit AdaptiveRateLimiter(MonotonicClock& clock, RateLimiterSettings settings = {});

  AdaptiveRateLimiter(const AdaptiveRateLimiter&) = delete;
  AdaptiveRateLimiter& operator=(const AdaptiveRateLimiter&) = delete;

  /// Blocks (on the clock) until the current rate and any `Retry-After` pause allow one more
  /// request, and returns its permit. A pause that begins while a caller waits holds it too.
  Permit acquire();

  /// Reports a request that succeeded: raises the rate by the additive step, up to the ceiling.
  void on_success();

  /// Reports a request answered with HTTP 429: cuts the rate (the lower of the current rate and
  /// the rate of the last second's requests) by the decrease factor, not below the floor, unless
  /// an earlier 429 already cut it after `permit` was let go; and holds every request until
  /// `retry_after` from now when the provider said so (at most `max_pause`).
  void on_rate_limited(Permit permit, std::optional<Duration> retry_after);

  /// The current rate, in requests per second; infinite while unthrottled.
  [[nodiscard]] double rate() const;

  /// Until when every request is held by a `Retry-After`; in the past when none is.
  [[nodiscard]] Instant paused_until() const;

private:
  [[nodiscard]] Duration interval() const;
  [[nodiscard]] double recent_rate(Instant now);

  MonotonicClock& m_clock;
  RateLimiterSettings m_settings;
  mutable std::mutex m_mutex;
  double m_rate;
  Instant m_next_slot{};         // the earliest instant the next request may go out
  Instant m_paused_until{};      // set by Retry-After
  std::uint64_t m_granted = 0;   // permits handed out so far
  std::uint64_t m_cut_after = 0; // permits up to this one were let go before the latest cut
  std::uint64_t m_pauses = 0;    // Retry-After pauses so far, to wake waiters that must wait on
  std::optional<Instant> m_first_grant; // when the first permit went out
  std::deque<Instant> m_recent;         // when the permits of the last second went out
};

} // namespace vami
