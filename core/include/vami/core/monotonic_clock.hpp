#pragma once

#include <chrono>

namespace vami {

/// A point on a monotonic clock (never goes back; unrelated to the wall-clock date).
using Instant = std::chrono::steady_clock::time_point;
/// A span of monotonic time.
using Duration = std::chrono::steady_clock::duration;

/// The time source of everything that waits: rate limiting and retry back-off. Injected so
/// that tests run on a fake clock, without real sleeping and without timing assertions.
/// Implementations must be safe to call from several threads at once.
class MonotonicClock {
public:
  virtual ~MonotonicClock() = default;

  /// The current instant.
  [[nodiscard]] virtual Instant now() = 0;

  /// Blocks the calling thread until `deadline` (returns at once if it has passed).
  virtual void sleep_until(Instant deadline) = 0;
};

/// The process's real monotonic clock (`std::chrono::steady_clock`; sleeping really sleeps).
[[nodiscard]] MonotonicClock& system_monotonic_clock() noexcept;

/// `seconds` as a `Duration`, rounded to the clock's resolution; negative and NaN values give
/// zero, and values beyond a year (infinity too) are cut to a year.
[[nodiscard]] Duration duration_from_seconds(double seconds) noexcept;

} // namespace vami
