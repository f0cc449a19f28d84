#pragma once

#include <mutex>
#include <vector>

#include <vami/core/monotonic_clock.hpp>

namespace vami::testing {

/// A `MonotonicClock` for unit tests: time stands still until someone sleeps, and sleeping
/// moves it to the deadline at once (no real waiting), recording every deadline asked for.
class FakeMonotonicClock final : public MonotonicClock {
public:
  Instant now() override {
    std::lock_guard lock(m_mutex);
    return m_now;
  }

  void sleep_until(Instant deadline) override {
    std::lock_guard lock(m_mutex);
    m_sleeps.push_back(deadline);
    if (deadline > m_now) {
      m_now = deadline;
    }
  }

  /// Moves time forward by `step`.
  void advance(Duration step) {
    std::lock_guard lock(m_mutex);
    m_now += step;
  }

  /// Every deadline slept until, in order.
  std::vector<Instant> sleeps() const {
    std::lock_guard lock(m_mutex);
    return m_sleeps;
  }

  /// The instant the clock starts at.
  static Instant start() { return Instant{} + std::chrono::hours(1); }

private:
  mutable std::mutex m_mutex;
  Instant m_now = start();
  std::vector<Instant> m_sleeps;
};

} // namespace vami::testing
