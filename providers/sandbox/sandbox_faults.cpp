#include "sandbox/sandbox_faults.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>

namespace vami::sandbox {

namespace {

using nlohmann::ordered_json;

constexpr std::uint64_t k_golden_gamma = 0x9E3779B97F4A7C15ULL;

std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

// SplitMix64 seeded from (seed, request number): request N draws the same values whatever order
// concurrent requests arrive in, which a shared generator could not promise. Its output is the
// same on every platform, unlike the standard library's distributions.
class RequestRandom {
public:
  RequestRandom(std::uint64_t seed, std::uint64_t request)
      : m_state(seed ^ mix64(request * k_golden_gamma)) {}

  std::uint64_t next() {
    m_state += k_golden_gamma;
    return mix64(m_state);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11U) * 0x1.0p-53; }

private:
  std::uint64_t m_state;
};

std::string hex32(RequestRandom& random) {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(random.next()),
                static_cast<unsigned long long>(random.next()));
  return text;
}

std::uint64_t draw_seed() {
  std::random_device device;
  // 32 bits: short enough to type back with --seed.
  return device();
}

void require(bool condition, const std::string& message) {
  if (!condition) {
    throw Error(ErrorKind::invalid_input, message, "see 'vami sandbox serve --help'");
  }
}

bool is_rate(double value) {
  return value >= 0.0 && value <= 1.0; // false for NaN
}

std::string twilio_body(int status) {
  int code = 20500;
  std::string message = "Internal Server Error";
  if (status == 429) {
    code = 20429;
    message = "Too Many Requests";
  } else if (status == 503) {
    code = 20503;
    message = "Service Unavailable";
  }
  ordered_json body;
  body["code"] = code;
  body["message"] = message;
  body["more_info"] = "https://www.twilio.com/docs/errors/" + std::to_string(code);
  body["status"] = status;
  return body.dump();
}

} // namespace

RejectedRequest rejected_request(const FaultPlan& plan) {
  return {plan.status, plan.cause == FaultCause::rate_limit, plan.request_id};
}

void validate_serve_options(const ServeOptions& options) {
  require(options.port >= 0 && options.port <= 65535,
          "--port " + std::to_string(options.port) + " is not a TCP port (0 to 65535)");
  require(options.latency_ms >= 0, "--latency-ms must not be negative");
  require(options.jitter_ms >= 0, "--jitter-ms must not be negative");
  require(std::isfinite(options.rate_limit_rps) && options.rate_limit_rps >= 0.0,
          "--rate-limit must be a number of requests per second above 0");
  require(options.max_concurrent >= 0, "--max-concurrent must be at least 1");
  require(is_rate(options.fail_rate), "--fail-rate must be a probability from 0 to 1");
  require(is_rate(options.drop_rate), "--drop-rate must be a probability from 0 to 1");
  for (const NthFault& fault : options.fail_nth) {
    require(fault.request >= 1, "--fail-nth counts requests from 1");
  }
  require(options.timeout_ms >= 1, "--timeout-ms must be at least 1");
  require(options.call_rate >= 0, "--call-rate must not be negative");
}

FaultPlanner::FaultPlanner(const ServeOptions& options, Clock::time_point start)
    : m_options(options), m_seed(options.seed ? *options.seed : draw_seed()),
      m_hang_time(options.timeout_ms), m_tokens(std::max(1.0, options.rate_limit_rps)),
      m_refilled(start) {
  validate_serve_options(options);
  m_stats.seed = m_seed;
}

FaultPlan FaultPlanner::plan(Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  FaultPlan plan;
  plan.request = ++m_stats.requests;

  // Every request makes the same draws in the same order, whichever of them it uses, so that a
  // change of one option does not shift the other choices of the same seed.
  RequestRandom random(m_seed, plan.request);
  const bool fail_draw = random.uniform() < m_options.fail_rate;
  const bool unavailable_draw = random.uniform() < 0.5;
  const bool drop_draw = random.uniform() < m_options.drop_rate;
  const double jitter_draw = random.uniform();
  plan.request_id = "RQ" + hex32(random);

  const auto jitter = static_cast<double>(m_options.jitter_ms);
  const double latency = static_cast<double>(m_options.latency_ms) - jitter +
                         std::floor(jitter_draw * (2.0 * jitter + 1.0));
  plan.latency = std::chrono::milliseconds(static_cast<long long>(std::max(0.0, latency)));

  auto nth = std::find_if(m_options.fail_nth.begin(), m_options.fail_nth.end(),
                          [&](const NthFault& fault) { return fault.request == plan.request; });
  if (nth != m_options.fail_nth.end()) {
    ++m_stats.nth;
    plan.cause = FaultCause::nth;
    switch (nth->fault) {
    case InjectedFault::server_error:
      plan.action = FaultAction::reject;
      plan.status = 500;
      break;
    case InjectedFault::service_unavailable:
      plan.action = FaultAction::reject;
      plan.status = 503;
      break;
    case InjectedFault::rate_limited:
      plan.action = FaultAction::reject;
      plan.status = 429;
      plan.retry_after_seconds = 1;
      break;
    case InjectedFault::drop:
      plan.action = FaultAction::drop;
      break;
    case InjectedFault::timeout:
      plan.action = FaultAction::hang;
      break;
    case InjectedFault::refuse:
      plan.action = FaultAction::refuse;
      plan.latency = std::chrono::milliseconds(0);
      break;
    }
    return plan;
  }

  const double rate = m_options.rate_limit_rps;
  if (rate > 0.0) {
    const double elapsed = std::chrono::duration<double>(now - m_refilled).count();
    if (elapsed > 0.0) {
      m_tokens = std::min(std::max(1.0, rate), m_tokens + elapsed * rate);
      m_refilled = now;
    }
  }
  if (m_options.max_concurrent > 0 &&
      m_stats.in_flight >= static_cast<std::uint64_t>(m_options.max_concurrent)) {
    ++m_stats.rate_limited;
    plan.action = FaultAction::reject;
    plan.cause = FaultCause::concurrency_limit;
    plan.status = 429;
    plan.retry_after_seconds = 1;
    return plan;
  }
  if (rate > 0.0 && m_tokens < 1.0) {
    ++m_stats.rate_limited;
    plan.action = FaultAction::reject;
    plan.cause = FaultCause::rate_limit;
    plan.status = 429;
    plan.retry_after_seconds = std::max(1, static_cast<int>(std::ceil((1.0 - m_tokens) / rate)));
    return plan;
  }
  if (rate > 0.0) {
    m_tokens -= 1.0;
  }
  plan.admitted = true;
  m_stats.peak_concurrency = std::max(m_stats.peak_concurrency, ++m_stats.in_flight);

  if (fail_draw) {
    ++m_stats.failed;
    plan.action = FaultAction::reject;
    plan.cause = FaultCause::fail_rate;
    plan.status = unavailable_draw ? 503 : 500;
  } else if (drop_draw) {
    ++m_stats.dropped;
    plan.action = FaultAction::drop;
    plan.cause = FaultCause::drop_rate;
  }
  return plan;
}

void FaultPlanner::finish(const FaultPlan& plan, std::optional<int> status) {
  std::lock_guard lock(m_mutex);
  if (status) {
    ++m_stats.by_status[*status];
  }
  if (plan.admitted && m_stats.in_flight > 0) {
    --m_stats.in_flight;
  }
}

ServeStats FaultPlanner::stats() const {
  std::lock_guard lock(m_mutex);
  return m_stats;
}

std::string stats_json(const ServeStats& stats) {
  ordered_json by_status = ordered_json::object();
  for (const auto& [status, count] : stats.by_status) {
    by_status[std::to_string(status)] = count;
  }
  ordered_json json;
  json["requests"] = stats.requests;
  json["by_status"] = std::move(by_status);
  json["injected"] = {{"rate_limited", stats.rate_limited},
                      {"failed", stats.failed},
                      {"dropped", stats.dropped},
                      {"nth", stats.nth}};
  json["peak_concurrency"] = stats.peak_concurrency;
  json["in_flight"] = stats.in_flight;
  json["seed"] = stats.seed;
  ordered_json by_outcome = ordered_json::object();
  for (const auto& [outcome, count] : stats.calls_by_outcome) {
    by_outcome[outcome] = count;
  }
  json["calls"] = {{"rate", stats.call_rate},
                   {"placed", stats.calls_placed},
                   {"by_outcome", std::move(by_outcome)},
                   {"skipped", stats.calls_skipped}};
  return json.dump();
}

http::HttpResponse fault_response(const FaultPlan& plan,
                                  const std::optional<FaultBody>& provider_body) {
  http::HttpResponse response;
  response.status = plan.status;
  response.headers.emplace_back("Content-Type", "application/json");
  if (plan.status == 429) {
    response.headers.emplace_back("Retry-After",
                                  std::to_string(std::max(1, plan.retry_after_seconds)));
  }
  if (provider_body) {
    response.headers.insert(response.headers.end(), provider_body->headers.begin(),
                            provider_body->headers.end());
    response.body = provider_body->body;
  } else {
    response.headers.emplace_back("Twilio-Request-Id", plan.request_id);
    response.body = twilio_body(plan.status);
  }
  return response;
}

} // namespace vami::sandbox
