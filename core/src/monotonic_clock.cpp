#include <algorithm>
#include <cmath>
#include <thread>

#include <vami/core/monotonic_clock.hpp>

namespace vami {

namespace {

class SystemMonotonicClock final : public MonotonicClock {
public:
  Instant now() override { return std::chrono::steady_clock::now(); }
  void sleep_until(Instant deadline) override { std::this_thread::sleep_until(deadline); }
};

// A provider's Retry-After could be anything; a year keeps every sum far from overflowing.
constexpr double k_longest_seconds = 365.0 * 24 * 3600;

} // namespace

MonotonicClock& system_monotonic_clock() noexcept {
  // Stateless, so one shared instance serves every thread.
  static SystemMonotonicClock clock;
  return clock;
}

Duration duration_from_seconds(double seconds) noexcept {
  if (std::isnan(seconds) || seconds <= 0) {
    return Duration::zero();
  }
  return std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(std::min(seconds, k_longest_seconds)));
}

} // namespace vami
