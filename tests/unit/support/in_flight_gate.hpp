#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace vami::testing {

/// Holds callers until `group` of them are inside at once, then lets that group go, and
/// records the most callers ever inside together. With `group` equal to a bulk command's
/// concurrency, it proves both that the command reaches that concurrency (else the group never
/// fills) and that it never exceeds it. A group that does not fill within `patience` is let go
/// and flagged, so that a broken runner fails the test instead of hanging it.
class InFlightGate {
public:
  explicit InFlightGate(int group, std::chrono::seconds patience = std::chrono::seconds(30))
      : m_group(group), m_patience(patience) {}

  /// Enters, waits for the group, leaves.
  void pass() {
    std::unique_lock lock(m_mutex);
    ++m_inside;
    m_most_inside = std::max(m_most_inside, m_inside);
    const int generation = m_generation;
    if (++m_waiting == m_group) {
      m_waiting = 0;
      ++m_generation;
      m_released.notify_all();
    } else if (!m_released.wait_for(lock, m_patience, [&] { return m_generation != generation; })) {
      m_gave_up = true;
      m_waiting = 0;
      ++m_generation;
      m_released.notify_all();
    }
    --m_inside;
  }

  /// The most callers inside at the same time.
  int most_inside() const {
    std::lock_guard lock(m_mutex);
    return m_most_inside;
  }
  /// Whether a group never filled.
  bool gave_up() const {
    std::lock_guard lock(m_mutex);
    return m_gave_up;
  }

private:
  const int m_group;
  const std::chrono::seconds m_patience;
  mutable std::mutex m_mutex;
  std::condition_variable m_released;
  int m_inside = 0;
  int m_most_inside = 0;
  int m_waiting = 0;
  int m_generation = 0;
  bool m_gave_up = false;
};

} // namespace vami::testing
