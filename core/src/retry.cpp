#include <algorithm>
#include <random>

#include <vami/core/retry.hpp>

namespace vami {

namespace {

double thread_local_unit_random() {
  // One generator per thread: no lock, and workers do not draw the same jitter.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

} // namespace

RetryPolicy::RetryPolicy(RetrySettings settings, UnitRandom random)
    : m_settings(settings), m_random(random ? std::move(random) : thread_local_unit_random) {
  if (settings.max_attempts < 1) {
    throw Error(ErrorKind::invalid_input, "a retry policy needs at least one attempt");
  }
  if (settings.base_delay < Duration::zero() || settings.max_retry_after < Duration::zero() ||
      settings.max_delay < settings.base_delay) {
    throw Error(ErrorKind::invalid_input,
                "retry delays must not be negative and the cap must not be below the base delay");
  }
}

bool RetryPolicy::is_retryable(ErrorKind kind) noexcept {
  return is_transient(kind);
}

std::optional<Duration> RetryPolicy::delay_before_retry(const Error& error,
                                                        int attempts_made) const {
  if (!is_retryable(error.kind()) || attempts_made >= m_settings.max_attempts) {
    return std::nullopt;
  }
  std::optional<Duration> retry_after;
  if (error.retry_after_seconds()) {
    retry_after = duration_from_seconds(*error.retry_after_seconds());
    if (*retry_after > m_settings.max_retry_after) {
      return std::nullopt;
    }
  }
  // Doubling stops at the cap; counting the doublings avoids overflowing the duration.
  Duration ceiling = m_settings.base_delay;
  for (int i = 1; i < attempts_made && ceiling < m_settings.max_delay; ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, m_settings.max_delay);
  double draw = std::clamp(m_random(), 0.0, 1.0);
  auto delay = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double, Duration::period>(static_cast<double>(ceiling.count()) * draw));
  return retry_after ? std::max(delay, *retry_after) : delay;
}

} // namespace vami
