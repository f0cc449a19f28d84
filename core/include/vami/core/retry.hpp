#pragma once

#include <functional>
#include <optional>

#include <vami/core/error.hpp>
#include <vami/core/monotonic_clock.hpp>

namespace vami {

/// A source of random numbers uniform in [0, 1), called from several threads at once.
using UnitRandom = std::function<double()>;

/// How often and how long to retry a request that failed transiently.
struct RetrySettings {
  int max_attempts = 5;                                 ///< Tries in all, the first included.
  Duration base_delay = std::chrono::milliseconds(500); ///< Back-off ceiling of the 1st retry.
  Duration max_delay = std::chrono::seconds(20);        ///< The back-off ceiling never exceeds it.
  /// A provider asking (`Retry-After`) to wait longer than this is not retried: the command
  /// reports the failure instead of hanging.
  Duration max_retry_after = std::chrono::seconds(120);
};

/// Capped exponential back-off with full jitter (the delay before retry k is uniform in
/// [0, min(max_delay, base_delay * 2^(k-1)))), deciding by `ErrorKind`: only `rate_limited`
/// (HTTP 429) and `unavailable` (network failure, timeout, 5xx) are retried, and never more than
/// `max_attempts` tries in all. A `Retry-After` the provider sent is a lower bound on the delay
/// (DESIGN.md section 3, rule 3). Whether a request is safe to repeat at all is the caller's
/// decision. Copyable; safe to use from several threads when its random source is.
class RetryPolicy {
public:
  /// A policy with `settings`, drawing jitter from `random` (a thread-safe generator when empty).
  /// @throws Error(invalid_input) for fewer than 1 attempt, a negative delay, or
  ///         `max_delay < base_delay`.
  explicit RetryPolicy(RetrySettings settings = {}, UnitRandom random = {});

  /// Whether a failure of `kind` may succeed when repeated (`rate_limited`, `unavailable`).
  [[nodiscard]] static bool is_retryable(ErrorKind kind) noexcept;

  /// The delay to wait before the next try after `error` ended try number `attempts_made`
  /// (1-based); empty when the error is not retryable, the tries are used up, or the provider's
  /// `Retry-After` is longer than `max_retry_after`.
  [[nodiscard]] std::optional<Duration> delay_before_retry(const Error& error,
                                                           int attempts_made) const;

  /// The settings in force.
  [[nodiscard]] const RetrySettings& settings() const noexcept { return m_settings; }

private:
  RetrySettings m_settings;
  UnitRandom m_random;
};

} // namespace vami
