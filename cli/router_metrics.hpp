#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace vami::cli {

/// What `vami router serve` counts, served as Prometheus text (format 0.0.4) at `GET /metrics`:
/// - `vami_router_requests_total{route, outcome}`: requests by route and what came of them;
/// - `vami_router_signature_rejects_total{route}`: requests refused for a missing or bad
///   signature;
/// - `vami_router_provider_latency_seconds`: histogram of the agent provider's answer time
///   (`register-call`);
/// - `vami_router_calls_routed_total{tenant}`: calls handed to an agent, per tenant;
/// - `vami_router_in_flight_requests`: requests being handled now.
/// Thread-safe.
class RouterMetrics {
public:
  /// Upper bounds of the latency histogram's buckets, in seconds (+Inf is added).
  static constexpr std::array<double, 11> k_latency_buckets{0.01, 0.025, 0.05, 0.1, 0.2, 0.3,
                                                            0.5,  1.0,   2.0,  5.0, 10.0};

  /// Counts one request of `route` ("/twilio/voice") that came to `outcome` ("connected").
  void count_request(const std::string& route, const std::string& outcome);
  /// Counts one request of `route` refused for its signature.
  void count_signature_reject(const std::string& route);
  /// Records one answer time of the agent provider.
  void observe_provider_latency(std::chrono::nanoseconds latency);
  /// Counts one call handed to an agent of `tenant`.
  void count_routed(const std::string& tenant);
  /// One more (`delta` 1) or one fewer (-1) request in flight.
  void add_in_flight(int delta);

  /// Everything above in the Prometheus text exposition format.
  [[nodiscard]] std::string prometheus_text() const;

private:
  mutable std::mutex m_mutex;
  std::map<std::pair<std::string, std::string>, std::uint64_t> m_requests;
  std::map<std::string, std::uint64_t> m_signature_rejects;
  std::map<std::string, std::uint64_t> m_routed;
  std::array<std::uint64_t, k_latency_buckets.size()> m_latency_counts{};
  std::uint64_t m_latency_count = 0;
  double m_latency_sum = 0;
  std::int64_t m_in_flight = 0;
};

/// `value` escaped for a Prometheus label value (`\`, `"` and newlines).
[[nodiscard]] std::string prometheus_label(const std::string& value);

} // namespace vami::cli
