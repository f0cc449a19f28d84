#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

// Private to the sandbox server: which fault each request of `vami sandbox serve` meets, and
// the counters behind its stats. No sockets and no sleeping here, so that it can be tested
// with made-up times.

namespace vami::sandbox {

/// What the server does with one request.
enum class FaultAction {
  answer, ///< Lets the emulator act and sends its response.
  reject, ///< Sends `FaultPlan::status` with the provider's error body; the emulator never acts.
  drop,   ///< Lets the emulator act, then cuts the connection without a response.
  hang,   ///< Lets the emulator act, then holds the connection unanswered, then cuts it.
  refuse, ///< Cuts the connection at once; the emulator never acts.
};

/// Why a request meets its fault (each injected fault is counted under one cause).
enum class FaultCause {
  none,              ///< No fault.
  rate_limit,        ///< The token bucket was empty.
  concurrency_limit, ///< `max_concurrent` requests were already in flight.
  fail_rate,         ///< The `fail_rate` draw.
  drop_rate,         ///< The `drop_rate` draw.
  nth,               ///< A `fail_nth` entry for this request number.
};

/// The decision for one request, made when it arrives.
struct FaultPlan {
  std::uint64_t request = 0; ///< 1-based number of the request.
  FaultAction action = FaultAction::answer;
  FaultCause cause = FaultCause::none;
  int status = 0; ///< For `reject`: 429, 500 or 503.
  /// Seconds for the `Retry-After` header of a 429 (at least 1).
  int retry_after_seconds = 0;
  std::chrono::milliseconds latency{0}; ///< Delay before the response (or the cut).
  /// True when the request holds a concurrency slot until `FaultPlanner::finish`.
  bool admitted = false;
  std::string request_id; ///< "RQ" + 32 hex digits, for Twilio error responses.
};

/// Decides each request's fault from the options, a seeded random stream per request number
/// and the live counters; counts requests, statuses, injected faults and concurrency.
/// Thread-safe.
class FaultPlanner {
public:
  using Clock = std::chrono::steady_clock;

  /// A planner for `options`, its token bucket full at `start`.
  /// @throws vami::Error(invalid_input) when an option is out of range (see
  ///         `validate_serve_options`).
  FaultPlanner(const ServeOptions& options, Clock::time_point start);

  /// Decides the fault of the next request, arriving at `now`. An admitted plan must be given
  /// back to `finish`.
  [[nodiscard]] FaultPlan plan(Clock::time_point now);
  /// Records how `plan`'s request ended: the status sent, or none when the connection was cut;
  /// releases its concurrency slot.
  void finish(const FaultPlan& plan, std::optional<int> status);
  /// The counters now.
  [[nodiscard]] ServeStats stats() const;
  /// How long `InjectedFault::timeout` holds a connection.
  [[nodiscard]] std::chrono::milliseconds hang_time() const noexcept { return m_hang_time; }

private:
  ServeOptions m_options;
  std::uint64_t m_seed;
  std::chrono::milliseconds m_hang_time;
  mutable std::mutex m_mutex;
  ServeStats m_stats;
  double m_tokens;
  Clock::time_point m_refilled;
};

/// Throws when `options` is out of range.
/// @throws vami::Error(invalid_input) naming the flag: a negative latency or jitter, a rate
///         limit that is negative or not finite, a negative `max_concurrent`, a fail or drop
///         rate outside 0..1, a fail-nth request of 0, a timeout below 1 ms.
void validate_serve_options(const ServeOptions& options);

/// What the provider whose path a `reject` plan's request is on is told of it
/// (`SandboxEmulator::fault_body`).
[[nodiscard]] RejectedRequest rejected_request(const FaultPlan& plan);

/// The response of a `reject` plan: `provider_body` (the provider's own error body and headers,
/// `SandboxEmulator::fault_body`), or, when nullopt, Twilio's `{code, message, more_info,
/// status}` (20429, 20500, 20503) with `Twilio-Request-Id`; always `Content-Type:
/// application/json`, and 429s carry `Retry-After`.
[[nodiscard]] http::HttpResponse fault_response(const FaultPlan& plan,
                                                const std::optional<FaultBody>& provider_body);

} // namespace vami::sandbox
