#include "router_metrics.hpp"

#include <cstdio>
#include <sstream>

namespace vami::cli {

namespace {

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

} // namespace

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void RouterMetrics::count_request(const std::string& route, const std::string& outcome) {
  std::lock_guard lock(m_mutex);
  ++m_requests[{route, outcome}];
}

void RouterMetrics::count_signature_reject(const std::string& route) {
  std::lock_guard lock(m_mutex);
  ++m_signature_rejects[route];
}

void RouterMetrics::observe_provider_latency(std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(m_mutex);
  for (std::size_t i = 0; i < k_latency_buckets.size(); ++i) {
    if (seconds <= k_latency_buckets[i]) {
      ++m_latency_counts[i];
    }
  }
  ++m_latency_count;
  m_latency_sum += seconds;
}

void RouterMetrics::count_routed(const std::string& tenant) {
  std::lock_guard lock(m_mutex);
  ++m_routed[tenant];
}

void RouterMetrics::add_in_flight(int delta) {
  std::lock_guard lock(m_mutex);
  m_in_flight += delta;
}

std::string RouterMetrics::prometheus_text() const {
  std::lock_guard lock(m_mutex);
  std::ostringstream out;
  out << "# HELP vami_router_requests_total Requests by route and outcome.\n"
      << "# TYPE vami_router_requests_total counter\n";
  for (const auto& [key, count] : m_requests) {
    out << "vami_router_requests_total{route=\"" << prometheus_label(key.first) << "\",outcome=\""
        << prometheus_label(key.second) << "\"} " << count << '\n';
  }
  out << "# HELP vami_router_signature_rejects_total Requests refused for a missing or bad "
         "signature.\n"
      << "# TYPE vami_router_signature_rejects_total counter\n";
  for (const auto& [route, count] : m_signature_rejects) {
    out << "vami_router_signature_rejects_total{route=\"" << prometheus_label(route) << "\"} "
        << count << '\n';
  }
  out << "# HELP vami_router_provider_latency_seconds Answer time of the agent provider's "
         "register-call.\n"
      << "# TYPE vami_router_provider_latency_seconds histogram\n";
  for (std::size_t i = 0; i < k_latency_buckets.size(); ++i) {
    out << "vami_router_provider_latency_seconds_bucket{le=\"" << number(k_latency_buckets[i])
        << "\"} " << m_latency_counts[i] << '\n';
  }
  out << "vami_router_provider_latency_seconds_bucket{le=\"+Inf\"} " << m_latency_count << '\n'
      << "vami_router_provider_latency_seconds_sum " << number(m_latency_sum) << '\n'
      << "vami_router_provider_latency_seconds_count " << m_latency_count << '\n';
  out << "# HELP vami_router_calls_routed_total Calls handed to an agent, per tenant.\n"
      << "# TYPE vami_router_calls_routed_total counter\n";
  for (const auto& [tenant, count] : m_routed) {
    out << "vami_router_calls_routed_total{tenant=\"" << prometheus_label(tenant) << "\"} " << count
        << '\n';
  }
  out << "# HELP vami_router_in_flight_requests Requests being handled now.\n"
      << "# TYPE vami_router_in_flight_requests gauge\n"
      << "vami_router_in_flight_requests " << m_in_flight << '\n';
  return out.str();
}

} // namespace vami::cli
