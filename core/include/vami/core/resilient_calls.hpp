#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include <vami/core/error.hpp>
#include <vami/core/monotonic_clock.hpp>
#include <vami/core/rate_limiter.hpp>
#include <vami/core/retry.hpp>

namespace vami {

/// How the provider decorators send one provider call: through a shared `AdaptiveRateLimiter`
/// (telling it about successes and 429s), and repeated after transient failures only in the ways
/// that are safe for that kind of request (DESIGN.md section 3, rule 3). Thread-safe when the
/// limiter and clock are; `limiter` and `clock` must outlive it.
class ResilientCalls {
public:
  /// Uses `limiter` for pacing, `policy` for retry decisions, and sleeps on `clock`.
  ResilientCalls(AdaptiveRateLimiter& limiter, RetryPolicy policy, MonotonicClock& clock)
      : m_limiter(limiter), m_policy(std::move(policy)), m_clock(clock) {}

  /// One try of `call` through the limiter; its errors are rethrown as they are.
  template <typename Call>
  auto limited(Call&& call) -> decltype(call()) {
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

  /// A call that is safe to repeat (a read, or a write of the same values): retried after any
  /// transient failure (rate_limited, unavailable) while the policy allows.
  template <typename Call>
  auto retried(Call&& call) -> decltype(call()) {
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

  /// A call that must not be repeated blindly (it creates something): retried only after a 429,
  /// which the providers never process; any other failure is rethrown for the caller to look
  /// before trying again.
  template <typename Call>
  auto retried_if_unprocessed(Call&& call) -> decltype(call()) {
    for (int attempt = 1;; ++attempt) {
      try {
        return limited(call);
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::rate_limited || !wait_before_retry(error, attempt)) {
          throw;
        }
      }
    }
  }

  /// A deletion: retried like `retried`, and a retry answered "not found" after an earlier try
  /// failed ambiguously (`unavailable`) means that try deleted it, so it returns normally.
  template <typename Call>
  void deleted(Call&& call) {
    bool ambiguous = false;
    for (int attempt = 1;; ++attempt) {
      try {
        limited(call);
        return;
      } catch (const Error& error) {
        if (error.kind() == ErrorKind::not_found && ambiguous) {
          return;
        }
        ambiguous = ambiguous || error.kind() == ErrorKind::unavailable;
        if (!wait_before_retry(error, attempt)) {
          throw;
        }
      }
    }
  }

  /// Sleeps before the next try and returns true, or returns false when the policy says the
  /// failure must not be retried (not transient, or out of tries).
  bool wait_before_retry(const Error& error, int attempts_made) {
    auto delay = m_policy.delay_before_retry(error, attempts_made);
    if (!delay) {
      return false;
    }
    m_clock.sleep_until(m_clock.now() + *delay);
    return true;
  }

private:
  AdaptiveRateLimiter& m_limiter;
  RetryPolicy m_policy;
  MonotonicClock& m_clock;
};

} // namespace vami
