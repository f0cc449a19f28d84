#include <algorithm>
#include <cmath>
#include <string>

#include <vami/core/error.hpp>
#include <vami/core/rate_limiter.hpp>

namespace vami {

namespace {

// The window over which the rate requests actually went out at is measured, and a bound on the
// instants kept for it (far above any rate a provider allows).
constexpr Duration k_recent_window = std::chrono::seconds(1);
constexpr std::size_t k_max_recent = 4096;
// Permits let go within this of the first one are counted as if spread over it, so that a burst
// at start-up gives a high but finite rate.
constexpr Duration k_shortest_span = std::chrono::milliseconds(1);

void check(bool ok, const std::string& what) {
  if (!ok) {
    throw Error(ErrorKind::invalid_input, "rate limiter settings: " + what,
                "use positive rates with min <= initial <= max and a factor between 0 and 1");
  }
}

} // namespace

AdaptiveRateLimiter::AdaptiveRateLimiter(MonotonicClock& clock, RateLimiterSettings settings)
    : m_clock(clock), m_settings(settings), m_rate(settings.initial_rate) {
  check(settings.min_rate > 0 && std::isfinite(settings.min_rate),
        "the minimum rate must be positive and finite");
  check(settings.min_rate <= settings.initial_rate, "the minimum rate exceeds the initial rate");
  check(settings.initial_rate <= settings.max_rate, "the initial rate exceeds the maximum rate");
  check(settings.decrease_factor > 0 && settings.decrease_factor < 1,
        "the decrease factor must be between 0 and 1");
  check(settings.additive_increase >= 0, "the additive increase must not be negative");
  check(settings.max_pause >= Duration::zero(), "the maximum pause must not be negative");
}

AdaptiveRateLimiter::Permit AdaptiveRateLimiter::acquire() {
  std::unique_lock lock(m_mutex);
  while (true) {
    const Instant now = m_clock.now();
    const Instant slot = std::max({now, m_next_slot, m_paused_until});
    // Reserving the slot before sleeping spaces concurrent callers out instead of letting
    // them all wake at the same instant.
    m_next_slot = slot + interval();
    if (slot > now) {
      const std::uint64_t pauses = m_pauses;
      lock.unlock();
      m_clock.sleep_until(slot);
      lock.lock();
      // A Retry-After that arrived while this caller slept applies to it too.
      if (m_pauses != pauses && m_paused_until > slot) {
        continue;
      }
    }
    const Instant granted_at = m_clock.now();
    if (!m_first_grant) {
      m_first_grant = granted_at;
    }
    m_recent.push_back(granted_at);
    if (m_recent.size() > k_max_recent) {
      m_recent.pop_front();
    }
    return Permit{++m_granted};
  }
}

void AdaptiveRateLimiter::on_success() {
  std::lock_guard lock(m_mutex);
  m_rate = std::min(m_settings.max_rate, m_rate + m_settings.additive_increase);
}

void AdaptiveRateLimiter::on_rate_limited(Permit permit, std::optional<Duration> retry_after) {
  std::lock_guard lock(m_mutex);
  // Requests let go before the latest cut were sent at the old rate: their 429s belong to the
  // congestion event that already cut it, and cutting again would collapse the rate.
  if (permit.sequence > m_cut_after) {
    // Cutting an infinite (or long-climbed) rate would change nothing: what the provider
    // refused is the rate requests really went out at.
    const double base = std::min(m_rate, recent_rate(m_clock.now()));
    m_rate = std::max(m_settings.min_rate, base * m_settings.decrease_factor);
    m_cut_after = m_granted;
  }
  if (retry_after && *retry_after > Duration::zero()) {
    const Instant until = m_clock.now() + std::min(*retry_after, m_settings.max_pause);
    if (until > m_paused_until) {
      m_paused_until = until;
      m_next_slot = std::max(m_next_slot, until);
      ++m_pauses;
    }
  }
}

double AdaptiveRateLimiter::rate() const {
  std::lock_guard lock(m_mutex);
  return m_rate;
}

Instant AdaptiveRateLimiter::paused_until() const {
  std::lock_guard lock(m_mutex);
  return m_paused_until;
}

Duration AdaptiveRateLimiter::interval() const {
  if (std::isinf(m_rate)) {
    return Duration::zero();
  }
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(1.0 / m_rate));
}

double AdaptiveRateLimiter::recent_rate(Instant now) {
  while (!m_recent.empty() && m_recent.front() + k_recent_window < now) {
    m_recent.pop_front();
  }
  // A young limiter has not seen a whole window yet: its requests went out over less time.
  Duration span = k_recent_window;
  if (m_first_grant) {
    span = std::clamp(now - *m_first_grant, k_shortest_span, k_recent_window);
  }
  const auto count = static_cast<double>(std::max<std::size_t>(1, m_recent.size()));
  return count / std::chrono::duration<double>(span).count();
}

} // namespace vami
