// The faults of `vami sandbox serve`: the planner driven with made-up times (no sleeping, no
// timing assertions), the error bodies it answers with, and once over loopback HTTP that a
// dropped response is a cut connection after the emulator acted.

#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sandbox/sandbox_faults.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/sandbox.hpp>

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using vami::sandbox::FaultAction;
using vami::sandbox::FaultCause;
using vami::sandbox::FaultPlan;
using vami::sandbox::FaultPlanner;
using vami::sandbox::InjectedFault;
using vami::sandbox::ServeOptions;

const FaultPlanner::Clock::time_point k_start{};

ServeOptions seeded(std::uint64_t seed = 7) {
  ServeOptions options;
  options.seed = seed;
  return options;
}

// Plans `count` requests one after another (each finished before the next), as a client that
// waits for every answer does.
std::vector<FaultPlan> plan_in_turn(FaultPlanner& planner, int count) {
  std::vector<FaultPlan> plans;
  for (int i = 0; i < count; ++i) {
    plans.push_back(planner.plan(k_start));
    planner.finish(plans.back(), 200);
  }
  return plans;
}

TEST(FaultPlanner, FailNthHitsExactlyTheNumberedRequestsWithTheirKind) {
  ServeOptions options = seeded();
  options.fail_nth = {{2, InjectedFault::server_error}, {4, InjectedFault::rate_limited},
                      {5, InjectedFault::drop},         {6, InjectedFault::timeout},
                      {7, InjectedFault::refuse},       {8, InjectedFault::service_unavailable}};
  FaultPlanner planner(options, k_start);
  std::vector<FaultPlan> plans = plan_in_turn(planner, 9);

  for (std::size_t i : {0U, 2U, 8U}) {
    EXPECT_EQ(plans[i].action, FaultAction::answer) << "request " << i + 1;
    EXPECT_EQ(plans[i].cause, FaultCause::none);
  }
  EXPECT_EQ(plans[1].action, FaultAction::reject);
  EXPECT_EQ(plans[1].status, 500);
  EXPECT_EQ(plans[3].action, FaultAction::reject);
  EXPECT_EQ(plans[3].status, 429);
  EXPECT_GE(plans[3].retry_after_seconds, 1);
  EXPECT_EQ(plans[4].action, FaultAction::drop);
  EXPECT_EQ(plans[5].action, FaultAction::hang);
  EXPECT_EQ(plans[6].action, FaultAction::refuse);
  EXPECT_EQ(plans[7].status, 503);
  for (std::size_t i : {1U, 3U, 4U, 5U, 6U, 7U}) {
    EXPECT_EQ(plans[i].cause, FaultCause::nth) << "request " << i + 1;
  }
  for (std::size_t i = 0; i < plans.size(); ++i) {
    EXPECT_EQ(plans[i].request, i + 1);
  }

  vami::sandbox::ServeStats stats = planner.stats();
  EXPECT_EQ(stats.requests, 9U);
  EXPECT_EQ(stats.nth, 6U);
  EXPECT_EQ(stats.failed, 0U);
  EXPECT_EQ(stats.dropped, 0U);
  EXPECT_EQ(stats.rate_limited, 0U);
  EXPECT_EQ(stats.seed, 7U);
}

TEST(FaultPlanner, TheSameSeedMakesTheSameChoicesAndAnotherSeedOthers) {
  ServeOptions options = seeded(42);
  options.fail_rate = 0.3;
  options.drop_rate = 0.2;
  options.latency_ms = 50;
  options.jitter_ms = 40;
  auto run = [&](ServeOptions chosen) {
    FaultPlanner planner(chosen, k_start);
    std::vector<std::tuple<FaultAction, int, long long, std::string>> choices;
    for (const FaultPlan& plan : plan_in_turn(planner, 300)) {
      choices.emplace_back(plan.action, plan.status, plan.latency.count(), plan.request_id);
    }
    return choices;
  };
  auto first = run(options);
  EXPECT_EQ(run(options), first);
  ServeOptions other = options;
  other.seed = 43;
  EXPECT_NE(run(other), first);
}

TEST(FaultPlanner, ARequestsChoicesDependOnlyOnTheSeedAndItsNumber) {
  ServeOptions options = seeded(5);
  options.fail_rate = 0.5;
  FaultPlanner plain(options, k_start);
  options.fail_nth = {{3, InjectedFault::drop}};
  FaultPlanner with_nth(options, k_start);
  std::vector<FaultPlan> a = plan_in_turn(plain, 50);
  std::vector<FaultPlan> b = plan_in_turn(with_nth, 50);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i == 2) {
      EXPECT_EQ(b[i].action, FaultAction::drop);
      continue;
    }
    EXPECT_EQ(a[i].action, b[i].action) << "request " << i + 1;
    EXPECT_EQ(a[i].status, b[i].status) << "request " << i + 1;
  }
}

TEST(FaultPlanner, FailAndDropRatesOfZeroAndOneAreNeverAndAlways) {
  ServeOptions never = seeded();
  FaultPlanner quiet(never, k_start);
  for (const FaultPlan& plan : plan_in_turn(quiet, 500)) {
    ASSERT_EQ(plan.action, FaultAction::answer);
  }

  ServeOptions failing = seeded();
  failing.fail_rate = 1.0;
  failing.drop_rate = 1.0; // a failure comes before acting, so it wins
  FaultPlanner fail(failing, k_start);
  std::set<int> statuses;
  for (const FaultPlan& plan : plan_in_turn(fail, 200)) {
    ASSERT_EQ(plan.action, FaultAction::reject);
    EXPECT_EQ(plan.cause, FaultCause::fail_rate);
    statuses.insert(plan.status);
  }
  EXPECT_EQ(statuses, (std::set<int>{500, 503}));
  EXPECT_EQ(fail.stats().failed, 200U);

  ServeOptions dropping = seeded();
  dropping.drop_rate = 1.0;
  FaultPlanner drop(dropping, k_start);
  for (const FaultPlan& plan : plan_in_turn(drop, 200)) {
    ASSERT_EQ(plan.action, FaultAction::drop);
    EXPECT_EQ(plan.cause, FaultCause::drop_rate);
  }
  EXPECT_EQ(drop.stats().dropped, 200U);
}

TEST(FaultPlanner, AFailRateFailsAboutThatShareOfRequests) {
  ServeOptions options = seeded(2024);
  options.fail_rate = 0.25;
  options.drop_rate = 0.1;
  FaultPlanner planner(options, k_start);
  int failed = 0;
  int dropped = 0;
  for (const FaultPlan& plan : plan_in_turn(planner, 4000)) {
    failed += plan.action == FaultAction::reject ? 1 : 0;
    dropped += plan.action == FaultAction::drop ? 1 : 0;
  }
  // Fixed seed, so these counts never change; the bounds say what they mean.
  EXPECT_GT(failed, 800);
  EXPECT_LT(failed, 1200);
  EXPECT_GT(dropped, 4000 * 3 / 4 / 10 - 100); // 10% of the 75% that did not fail
  EXPECT_LT(dropped, 4000 * 3 / 4 / 10 + 100);
  EXPECT_EQ(planner.stats().failed, static_cast<std::uint64_t>(failed));
  EXPECT_EQ(planner.stats().dropped, static_cast<std::uint64_t>(dropped));
}

TEST(FaultPlanner, JitterSpreadsLatencyAroundItsMeanAndNeverBelowZero) {
  ServeOptions options = seeded();
  options.latency_ms = 100;
  options.jitter_ms = 30;
  FaultPlanner planner(options, k_start);
  std::set<long long> seen;
  for (const FaultPlan& plan : plan_in_turn(planner, 2000)) {
    seen.insert(plan.latency.count());
  }
  EXPECT_EQ(*seen.begin(), 70);
  EXPECT_EQ(*seen.rbegin(), 130);
  EXPECT_EQ(seen.size(), 61U);

  options.latency_ms = 10;
  options.jitter_ms = 50;
  FaultPlanner clipped(options, k_start);
  std::set<long long> low;
  for (const FaultPlan& plan : plan_in_turn(clipped, 2000)) {
    low.insert(plan.latency.count());
  }
  EXPECT_EQ(*low.begin(), 0);
  EXPECT_EQ(*low.rbegin(), 60);

  options.jitter_ms = 0;
  FaultPlanner fixed(options, k_start);
  for (const FaultPlan& plan : plan_in_turn(fixed, 50)) {
    EXPECT_EQ(plan.latency, 10ms);
  }
}

TEST(FaultPlanner, TheRateLimitIsATokenBucketRefilledByTheClock) {
  ServeOptions options = seeded();
  options.rate_limit_rps = 2;
  FaultPlanner planner(options, k_start);
  auto at = [&](std::chrono::milliseconds offset) {
    FaultPlan plan = planner.plan(k_start + offset);
    planner.finish(plan, plan.action == FaultAction::reject ? plan.status : 200);
    return plan;
  };
  EXPECT_EQ(at(0ms).action, FaultAction::answer); // a full bucket: a burst of 2
  EXPECT_EQ(at(0ms).action, FaultAction::answer);
  FaultPlan limited = at(0ms);
  EXPECT_EQ(limited.action, FaultAction::reject);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.cause, FaultCause::rate_limit);
  EXPECT_EQ(limited.retry_after_seconds, 1);
  EXPECT_FALSE(limited.admitted);
  EXPECT_EQ(at(500ms).action, FaultAction::answer); // one token back after half a second
  EXPECT_EQ(at(500ms).action, FaultAction::reject);
  // Ten idle seconds refill the bucket to its size, not beyond.
  EXPECT_EQ(at(10'500ms).action, FaultAction::answer);
  EXPECT_EQ(at(10'500ms).action, FaultAction::answer);
  EXPECT_EQ(at(10'500ms).action, FaultAction::reject);

  vami::sandbox::ServeStats stats = planner.stats();
  EXPECT_EQ(stats.requests, 8U);
  EXPECT_EQ(stats.rate_limited, 3U);
  EXPECT_EQ(stats.by_status, (std::map<int, std::uint64_t>{{200, 5}, {429, 3}}));

  ServeOptions slow = seeded();
  slow.rate_limit_rps = 0.25; // one every 4 s: a 429 asks to wait that long
  FaultPlanner trickle(slow, k_start);
  FaultPlan first = trickle.plan(k_start);
  trickle.finish(first, 200);
  EXPECT_EQ(first.action, FaultAction::answer);
  FaultPlan second = trickle.plan(k_start + 1s);
  EXPECT_EQ(second.status, 429);
  EXPECT_EQ(second.retry_after_seconds, 3);
}

TEST(FaultPlanner, MaxConcurrentRefusesRequestsBeyondTheCapAndCountsThePeak) {
  ServeOptions options = seeded();
  options.max_concurrent = 2;
  FaultPlanner planner(options, k_start);
  FaultPlan a = planner.plan(k_start);
  FaultPlan b = planner.plan(k_start);
  EXPECT_TRUE(a.admitted && b.admitted);
  FaultPlan c = planner.plan(k_start);
  EXPECT_EQ(c.action, FaultAction::reject);
  EXPECT_EQ(c.status, 429);
  EXPECT_EQ(c.cause, FaultCause::concurrency_limit);
  EXPECT_FALSE(c.admitted);
  planner.finish(c, 429);
  EXPECT_EQ(planner.stats().in_flight, 2U);
  planner.finish(a, 200);
  FaultPlan d = planner.plan(k_start);
  EXPECT_EQ(d.action, FaultAction::answer);

  vami::sandbox::ServeStats busy = planner.stats();
  EXPECT_EQ(busy.in_flight, 2U);
  EXPECT_EQ(busy.peak_concurrency, 2U);
  EXPECT_EQ(busy.rate_limited, 1U);
  planner.finish(b, 201);
  planner.finish(d, 200);
  vami::sandbox::ServeStats idle = planner.stats();
  EXPECT_EQ(idle.in_flight, 0U);
  EXPECT_EQ(idle.peak_concurrency, 2U);
  EXPECT_EQ(idle.by_status, (std::map<int, std::uint64_t>{{200, 2}, {201, 1}, {429, 1}}));
}

TEST(FaultPlanner, FailNthSkipsTheLimitsAndHoldsNoSlot) {
  ServeOptions options = seeded();
  options.max_concurrent = 1;
  options.fail_nth = {{2, InjectedFault::drop}};
  FaultPlanner planner(options, k_start);
  FaultPlan busy = planner.plan(k_start);
  FaultPlan nth = planner.plan(k_start);
  EXPECT_EQ(nth.action, FaultAction::drop);
  EXPECT_FALSE(nth.admitted);
  planner.finish(nth, std::nullopt);
  EXPECT_EQ(planner.plan(k_start).status, 429);
  planner.finish(busy, 200);
  vami::sandbox::ServeStats stats = planner.stats();
  EXPECT_EQ(stats.peak_concurrency, 1U);
  EXPECT_EQ(stats.nth, 1U);
  EXPECT_EQ(stats.rate_limited, 1U);
  EXPECT_EQ(stats.by_status, (std::map<int, std::uint64_t>{{200, 1}})); // the drop sent nothing
}

TEST(FaultPlanner, OptionsOutOfRangeAreInvalidInputNamingTheFlag) {
  auto refused = [](ServeOptions options, const std::string& flag) {
    try {
      FaultPlanner planner(options, k_start);
      ADD_FAILURE() << "accepted " << flag;
    } catch (const vami::Error& e) {
      EXPECT_EQ(e.kind(), vami::ErrorKind::invalid_input);
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  };
  ServeOptions options = seeded();
  options.fail_rate = 1.5;
  refused(options, "--fail-rate");
  options = seeded();
  options.drop_rate = -0.1;
  refused(options, "--drop-rate");
  options = seeded();
  options.drop_rate = std::nan("");
  refused(options, "--drop-rate");
  options = seeded();
  options.rate_limit_rps = -1;
  refused(options, "--rate-limit");
  options = seeded();
  options.max_concurrent = -1;
  refused(options, "--max-concurrent");
  options = seeded();
  options.fail_nth = {{0, InjectedFault::drop}};
  refused(options, "--fail-nth");
  options = seeded();
  options.latency_ms = -5;
  refused(options, "--latency-ms");
  options = seeded();
  options.jitter_ms = -5;
  refused(options, "--jitter-ms");
  options = seeded();
  options.timeout_ms = 0;
  refused(options, "--timeout-ms");
}

// The sandbox asks the emulator that claims a path for its error body; Twilio's is the default.
class ProviderFaultBodies : public ::testing::Test {
protected:
  [[nodiscard]] vami::http::HttpResponse rejected(const std::string& path, const FaultPlan& plan) {
    return vami::sandbox::fault_response(
        plan, m_sandbox->fault_body(path, vami::sandbox::rejected_request(plan)));
  }

  vami::testing::TempDir m_dir;
  std::unique_ptr<vami::sandbox::SandboxEmulator> m_sandbox =
      vami::sandbox::open_sandbox(m_dir.path() / "sandbox.db");
};

TEST_F(ProviderFaultBodies, PathsOnlyTheEmulatorsClaimGetTheirProvidersBodies) {
  FaultPlan plan;
  plan.action = FaultAction::reject;
  plan.status = 500;
  plan.request_id = "RQ0123456789abcdef0123456789abcdef";
  const vami::sandbox::RejectedRequest fault = vami::sandbox::rejected_request(plan);
  for (const char* path :
       {"/v1/convai/agents/create", "/v1/convai/phone-numbers", "/v1/voices", "/v2/voices",
        "/v1/workspace/webhooks", "/synthflow/v2/assistants", "/synthflow/v2"}) {
    EXPECT_TRUE(m_sandbox->fault_body(path, fault)) << path;
  }
  for (const char* path :
       {"/v1/PhoneNumbers/Countries/US", "/v1/convaix", "/synthflow/v20",
        "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json", "/__sandbox/calls"}) {
    EXPECT_FALSE(m_sandbox->fault_body(path, fault)) << path;
    EXPECT_EQ(rejected(path, plan).header("Twilio-Request-Id"), plan.request_id) << path;
  }
}

TEST_F(ProviderFaultBodies, SynthflowPathsGetSynthflowsErrorBody) {
  FaultPlan plan;
  plan.action = FaultAction::reject;
  plan.status = 429;
  plan.cause = FaultCause::rate_limit;
  plan.retry_after_seconds = 3;
  plan.request_id = "RQ0123456789abcdef0123456789abcdef";
  auto limited = rejected("/synthflow/v2/assistants", plan);
  EXPECT_EQ(limited.body, R"({"detail":{"status":"error","description":"Too many requests; the )"
                          R"(sandbox's rate limit was exceeded.","request_id":")" +
                              plan.request_id + R"(","category":"rate_limit"}})");
  EXPECT_EQ(limited.header("Retry-After"), "3");
  EXPECT_EQ(limited.header("x-request-id"), plan.request_id);
  EXPECT_EQ(limited.header("Twilio-Request-Id"), "");
  EXPECT_EQ(limited.header("Content-Type"), "application/json");
  plan.cause = FaultCause::concurrency_limit;
  EXPECT_EQ(
      json::parse(rejected("/synthflow/v2/assistants", plan).body).at("detail").at("description"),
      "Too many concurrent requests for this workspace.");
  plan.status = 503;
  EXPECT_EQ(json::parse(rejected("/synthflow/v2", plan).body).at("detail").at("category"),
            "unavailable");
  plan.status = 500;
  EXPECT_EQ(json::parse(rejected("/synthflow/v2", plan).body).at("detail").at("category"),
            "internal");
}

TEST(FaultResponse, TwilioErrorsCarryTheirCodeRequestIdAndRetryAfter) {
  FaultPlan plan;
  plan.action = FaultAction::reject;
  plan.status = 429;
  plan.retry_after_seconds = 2;
  plan.request_id = "RQ0123456789abcdef0123456789abcdef";
  auto limited = vami::sandbox::fault_response(plan, std::nullopt);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body, R"({"code":20429,"message":"Too Many Requests","more_info":)"
                          R"("https://www.twilio.com/docs/errors/20429","status":429})");
  EXPECT_EQ(limited.header("Retry-After"), "2");
  EXPECT_EQ(limited.header("Twilio-Request-Id"), plan.request_id);
  EXPECT_EQ(limited.header("Content-Type"), "application/json");

  plan.status = 500;
  auto failed = vami::sandbox::fault_response(plan, std::nullopt);
  EXPECT_EQ(json::parse(failed.body),
            json::parse(R"({"code":20500,"message":"Internal Server Error","more_info":)"
                        R"("https://www.twilio.com/docs/errors/20500","status":500})"));
  EXPECT_EQ(failed.header("Retry-After"), "");
  plan.status = 503;
  auto unavailable = vami::sandbox::fault_response(plan, std::nullopt);
  EXPECT_EQ(json::parse(unavailable.body).at("code"), 20503);
  EXPECT_EQ(json::parse(unavailable.body).at("status"), 503);
}

TEST_F(ProviderFaultBodies, ElevenLabsErrorsAreADetailObject) {
  FaultPlan plan;
  plan.action = FaultAction::reject;
  plan.status = 429;
  plan.cause = FaultCause::concurrency_limit;
  plan.retry_after_seconds = 1;
  auto limited = rejected("/v1/convai/agents", plan);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body,
            R"({"detail":{"status":"too_many_concurrent_requests","message":)"
            R"("Too many concurrent requests for this account. Please retry later."}})");
  EXPECT_EQ(limited.header("Retry-After"), "1");
  EXPECT_EQ(limited.header("Twilio-Request-Id"), "");
  EXPECT_EQ(limited.header("Content-Type"), "application/json");
  plan.cause = FaultCause::rate_limit;
  EXPECT_EQ(json::parse(rejected("/v1/voices", plan).body).at("detail").at("message"),
            "Too many requests in a short time; the sandbox's rate limit was exceeded. Please "
            "retry later.");

  plan.status = 500;
  EXPECT_EQ(rejected("/v1/convai/agents", plan).body,
            R"({"detail":{"status":"internal_server_error","message":)"
            R"("An internal server error occurred. Please try again later."}})");
  plan.status = 503;
  EXPECT_EQ(json::parse(rejected("/v2/voices", plan).body).at("detail").at("status"),
            "service_unavailable");
}

TEST(ServeStats, JsonHasTheDocumentedShape) {
  vami::sandbox::ServeStats stats;
  stats.requests = 9;
  stats.by_status = {{200, 5}, {429, 2}};
  stats.rate_limited = 1;
  stats.failed = 2;
  stats.dropped = 3;
  stats.nth = 4;
  stats.peak_concurrency = 6;
  stats.in_flight = 1;
  stats.seed = 99;
  std::string text = vami::sandbox::stats_json(stats);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(json::parse(text), json::parse(R"({"requests":9,"by_status":{"200":5,"429":2},)"
                                           R"("injected":{"rate_limited":1,"failed":2,)"
                                           R"("dropped":3,"nth":4},"peak_concurrency":6,)"
                                           R"("in_flight":1,"seed":99,"calls":{"rate":0,)"
                                           R"("placed":0,"by_outcome":{},"skipped":0}})"));
  EXPECT_EQ(json::parse(vami::sandbox::stats_json({})).at("by_status"), json::object());
}

// serve() in a thread until the object goes.
class Served {
public:
  Served(vami::sandbox::SandboxEmulator& emulator, ServeOptions options)
      : m_stats(std::async(std::launch::async, [this, &emulator, options] {
          return vami::sandbox::serve(
              emulator, options, [this](int port) { m_port.set_value(port); },
              [this] { return m_stop.load(); });
        })) {
    m_bound = m_port.get_future().get();
  }
  ~Served() { stop(); }
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;
  [[nodiscard]] int port() const { return m_bound; }
  vami::sandbox::ServeStats stop() {
    m_stop = true;
    return m_stats.valid() ? m_stats.get() : vami::sandbox::ServeStats{};
  }

private:
  std::atomic<bool> m_stop{false};
  std::promise<int> m_port;
  int m_bound = 0;
  std::future<vami::sandbox::ServeStats> m_stats; // last: starts once the members above exist
};

TEST(SandboxServerFaults, ADropActsThenCutsTheConnectionAndTheStatsSayWhatHappened) {
  vami::testing::TempDir dir;
  auto emulator = vami::sandbox::open_sandbox(dir / "state.db");
  auto credentials = emulator->credentials();
  ServeOptions options = seeded();
  options.fail_nth = {{1, InjectedFault::rate_limited}, {2, InjectedFault::drop}};
  Served served(*emulator, options);

  httplib::Client client("127.0.0.1", served.port());
  client.set_basic_auth(credentials.account_sid.c_str(), credentials.auth_token.c_str());
  std::string numbers = "/2010-04-01/Accounts/" + credentials.account_sid + "/IncomingPhoneNumbers";
  std::string form = "AreaCode=212&FriendlyName=dropped";
  const char* form_type = "application/x-www-form-urlencoded";

  auto limited = client.Post((numbers + ".json").c_str(), form, form_type);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(json::parse(limited->body).at("code"), 20429);
  EXPECT_FALSE(limited->get_header_value("Retry-After").empty());

  auto dropped = client.Post((numbers + ".json").c_str(), form, form_type);
  EXPECT_FALSE(dropped) << "a response arrived: " << dropped->status;

  // The purchase happened although its response was lost; the 429 bought nothing.
  auto listed = client.Get((numbers + ".json").c_str());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200) << listed->body;
  json page = json::parse(listed->body);
  ASSERT_EQ(page.at("incoming_phone_numbers").size(), 1U);
  EXPECT_EQ(page.at("incoming_phone_numbers").front().at("friendly_name"), "dropped");

  auto stats = client.Get("/__sandbox/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->status, 200);
  json counted = json::parse(stats->body);
  EXPECT_EQ(counted.at("requests"), 3);
  EXPECT_EQ(counted.at("by_status"), json::parse(R"({"200":1,"429":1})"));
  EXPECT_EQ(counted.at("injected").at("nth"), 2);
  EXPECT_EQ(counted.at("seed"), 7);

  vami::sandbox::ServeStats final_stats = served.stop();
  EXPECT_EQ(final_stats.requests, 3U); // reading the stats is not counted
  EXPECT_EQ(final_stats.in_flight, 0U);

  // The request log has all three: the 429 the server answered for the emulator, the purchase
  // the emulator answered (201) before the connection was cut, the list; never the stats.
  std::vector<vami::sandbox::LoggedRequest> logged = emulator->requests({});
  ASSERT_EQ(logged.size(), 3U);
  EXPECT_EQ(std::make_tuple(logged[0].method, logged[0].status), std::make_tuple("POST", 429));
  EXPECT_EQ(std::make_tuple(logged[1].method, logged[1].status), std::make_tuple("POST", 201));
  EXPECT_EQ(std::make_tuple(logged[2].method, logged[2].status), std::make_tuple("GET", 200));
  for (const auto& row : logged) {
    EXPECT_EQ(row.provider, "twilio");
    EXPECT_EQ(row.path, numbers + ".json");
    EXPECT_EQ(row.credential.substr(0, 2), "AC");
  }
}

TEST(SandboxServerFaults, ARefusedConnectionIsLoggedUnanswered) {
  vami::testing::TempDir dir;
  auto emulator = vami::sandbox::open_sandbox(dir / "state.db");
  auto credentials = emulator->credentials();
  ServeOptions options = seeded();
  options.fail_nth = {{1, InjectedFault::refuse}};
  Served served(*emulator, options);
  httplib::Client client("127.0.0.1", served.port());
  client.set_default_headers({{"xi-api-key", credentials.value("elevenlabs_api_key")}});
  EXPECT_FALSE(client.Get("/v1/convai/agents"));
  (void)served.stop();
  std::vector<vami::sandbox::LoggedRequest> logged = emulator->requests({});
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_EQ(logged[0].provider, "elevenlabs");
  EXPECT_EQ(logged[0].status, 0);
  EXPECT_EQ(logged[0].credential.substr(0, 11), "xi-api-key ");
}

} // namespace
