#include <deque>
#include <map>

#include "fake_monotonic_clock.hpp"
#include "fake_telephony_provider.hpp"
#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/resilient_telephony_provider.hpp>

namespace vami {
namespace {

using std::chrono::seconds;
using testing::FakeMonotonicClock;
using testing::FakeTelephonyProvider;

// Forwards to a fake provider, after throwing the errors scripted for a method (one per call):
// the way to send a 429 that carries Retry-After.
class ScriptedProvider final : public TelephonyProvider {
public:
  FakeTelephonyProvider fake{{"212"}, 20};
  std::map<std::string, std::deque<Error>> script;

  std::string name() const override { return fake.name(); }
  std::vector<AvailableNumber> search_available(const NumberSearch& search) override {
    next("search_available");
    return fake.search_available(search);
  }
  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override {
    next("buy");
    return fake.buy(e164, tag);
  }
  std::optional<OwnedNumber> find_owned(const std::string& e164) override {
    next("find_owned");
    return fake.find_owned(e164);
  }
  std::vector<OwnedNumber> list_owned() override {
    next("list_owned");
    return fake.list_owned();
  }
  std::vector<TelephonyCall> list_calls(const std::string& since) override {
    next("list_calls");
    return fake.list_calls(since);
  }
  OwnedNumber set_voice_webhook(const std::string& sid, const VoiceWebhook& webhook) override {
    next("set_voice_webhook");
    return fake.set_voice_webhook(sid, webhook);
  }
  VoiceWebhook out_of_service_webhook(const std::string& message) const override {
    return fake.out_of_service_webhook(message);
  }
  void release(const std::string& sid) override {
    next("release");
    fake.release(sid);
  }
  AgentSipTrunk ensure_sip_trunk(const std::string& name, const std::string& uri) override {
    next("ensure_sip_trunk");
    return fake.ensure_sip_trunk(name, uri);
  }
  std::vector<AgentSipTrunk> list_sip_trunks() override {
    next("list_sip_trunks");
    return fake.list_sip_trunks();
  }
  void move_to_sip_trunk(const std::string& sid, const std::string& trunk_id) override {
    next("move_to_sip_trunk");
    fake.move_to_sip_trunk(sid, trunk_id);
  }
  void remove_from_sip_trunk(const std::string& sid, const std::string& trunk_id) override {
    next("remove_from_sip_trunk");
    fake.remove_from_sip_trunk(sid, trunk_id);
  }
  std::optional<Money> monthly_price(const std::string& country, NumberType type) override {
    next("monthly_price");
    return fake.monthly_price(country, type);
  }

private:
  void next(const std::string& method) {
    auto& errors = script[method];
    if (!errors.empty()) {
      Error error = errors.front();
      errors.pop_front();
      throw error;
    }
  }
};

RateLimiterSettings limiter_settings() {
  RateLimiterSettings settings;
  settings.initial_rate = 10;
  settings.min_rate = 1;
  settings.max_rate = 20;
  settings.additive_increase = 0.5;
  return settings;
}

RetrySettings retry_settings(int attempts = 4) {
  RetrySettings settings;
  settings.max_attempts = attempts;
  settings.base_delay = std::chrono::milliseconds(200);
  settings.max_delay = seconds(2);
  return settings;
}

class ResilientTelephonyProviderTest : public ::testing::Test {
protected:
  explicit ResilientTelephonyProviderTest(int attempts = 4)
      : m_limiter(m_clock, limiter_settings()),
        m_resilient(m_fake, m_limiter, RetryPolicy(retry_settings(attempts), [] { return 0.5; }),
                    m_clock) {}

  std::vector<std::string> methods() const {
    std::vector<std::string> names;
    for (const auto& call : m_fake.calls()) {
      names.push_back(call.method);
    }
    return names;
  }

  static ErrorKind kind_of(const std::function<void()>& action) {
    try {
      action();
    } catch (const Error& error) {
      return error.kind();
    }
    ADD_FAILURE() << "no error thrown";
    return ErrorKind::provider;
  }

  FakeMonotonicClock m_clock;
  FakeTelephonyProvider m_fake{{"212"}, 20};
  AdaptiveRateLimiter m_limiter;
  ResilientTelephonyProvider m_resilient;
  const std::string m_number = "+12125551003";
  const std::string m_tag = "vami:default:op-000000000001";
};

TEST_F(ResilientTelephonyProviderTest, ReadsAreRetriedThroughTransientFailures) {
  (void)m_fake.buy(m_number, m_tag); // call 1
  m_fake.fail_at(2, {ErrorKind::unavailable, false});
  m_fake.fail_at(3, {ErrorKind::rate_limited, false});
  auto owned = m_resilient.find_owned(m_number);
  ASSERT_TRUE(owned.has_value());
  EXPECT_EQ(owned->friendly_name, m_tag);
  EXPECT_EQ(m_fake.count("find_owned"), 3);
  EXPECT_FALSE(m_clock.sleeps().empty()) << "it backed off between tries";

  m_fake.fail_at(5, {ErrorKind::unavailable, false});
  EXPECT_EQ(m_resilient.search_available({}).size(), 19U);
  m_fake.fail_at(7, {ErrorKind::unavailable, false});
  EXPECT_EQ(m_resilient.list_owned().size(), 1U);
  m_fake.fail_at(9, {ErrorKind::unavailable, false});
  EXPECT_TRUE(m_resilient.monthly_price("US", NumberType::local).has_value());
  m_fake.fail_at(11, {ErrorKind::unavailable, false});
  VoiceWebhook webhook{"https://router.example.com/voice", "POST", ""};
  EXPECT_EQ(m_resilient.set_voice_webhook(owned->provider_sid, webhook).webhook, webhook);
  EXPECT_EQ(m_fake.calls().size(), 12U);
}

TEST_F(ResilientTelephonyProviderTest, GivesUpAfterTheLastAttemptWithTheLastError) {
  for (int n = 1; n <= 4; ++n) {
    m_fake.fail_at(n, {ErrorKind::unavailable, false});
  }
  EXPECT_EQ(kind_of([&] { (void)m_resilient.list_owned(); }), ErrorKind::unavailable);
  EXPECT_EQ(m_fake.count("list_owned"), 4);
}

TEST_F(ResilientTelephonyProviderTest, DefiniteRefusalsAreNotRetried) {
  m_fake.fail_at(1, {ErrorKind::auth, false});
  EXPECT_EQ(kind_of([&] { (void)m_resilient.list_owned(); }), ErrorKind::auth);
  m_fake.fail_at(2, {ErrorKind::provider, false});
  EXPECT_EQ(kind_of([&] { (void)m_resilient.buy(m_number, m_tag); }), ErrorKind::provider);
  EXPECT_EQ(m_fake.calls().size(), 2U);
}

TEST_F(ResilientTelephonyProviderTest, RateLimitedPurchaseIsRetriedAndSlowsTheLimiter) {
  m_fake.fail_at(1, {ErrorKind::rate_limited, false});
  auto outcome = m_resilient.buy(m_number, m_tag);
  EXPECT_EQ(outcome.status, PurchaseOutcome::Status::bought);
  EXPECT_EQ(methods(), (std::vector<std::string>{"buy", "buy"}));
  EXPECT_DOUBLE_EQ(m_limiter.rate(), 5.5) << "halved by the 429, one step up by the success";
  EXPECT_EQ(m_fake.owned().size(), 1U);
}

TEST_F(ResilientTelephonyProviderTest, AmbiguousPurchaseFailureLooksTheNumberUpBeforeRetrying) {
  m_fake.fail_at(1, {ErrorKind::unavailable, false}); // a 5xx: the purchase did not happen
  auto outcome = m_resilient.buy(m_number, m_tag);
  EXPECT_EQ(outcome.status, PurchaseOutcome::Status::bought);
  EXPECT_EQ(methods(), (std::vector<std::string>{"buy", "find_owned", "buy"}));
  EXPECT_EQ(m_fake.owned().size(), 1U);
}

TEST_F(ResilientTelephonyProviderTest, PurchaseThatHappenedDespiteTheFailureIsNotRepeated) {
  m_fake.fail_at(1, {ErrorKind::unavailable, true}); // bought, then the response was lost
  auto outcome = m_resilient.buy(m_number, m_tag);
  EXPECT_EQ(outcome.status, PurchaseOutcome::Status::bought);
  EXPECT_EQ(outcome.number.friendly_name, m_tag);
  EXPECT_FALSE(outcome.number.provider_sid.empty());
  EXPECT_EQ(methods(), (std::vector<std::string>{"buy", "find_owned"}));
}

TEST_F(ResilientTelephonyProviderTest, NumberOwnedUnderAnotherTagIsNotForSale) {
  (void)m_fake.buy(m_number, "vami:default:op-someoneelse"); // call 1
  m_fake.fail_at(2, {ErrorKind::unavailable, false});
  auto outcome = m_resilient.buy(m_number, m_tag);
  EXPECT_EQ(outcome.status, PurchaseOutcome::Status::unavailable);
  EXPECT_NE(outcome.provider_message.find("op-someoneelse"), std::string::npos);
  EXPECT_EQ(m_fake.count("buy"), 2);
}

TEST_F(ResilientTelephonyProviderTest, PurchaseIsUncertainWhenTheLookUpFailsToo) {
  m_fake.fail_at(1, {ErrorKind::unavailable, true});
  for (int n = 2; n <= 5; ++n) {
    m_fake.fail_at(n, {ErrorKind::unavailable, false}); // every look-up try
  }
  EXPECT_EQ(kind_of([&] { (void)m_resilient.buy(m_number, m_tag); }), ErrorKind::uncertain);
  EXPECT_EQ(m_fake.count("buy"), 1) << "never bought again without knowing";
  EXPECT_EQ(m_fake.owned().size(), 1U);
}

TEST_F(ResilientTelephonyProviderTest, ReleaseRetriedAfterAnAmbiguousFailureCountsNotFoundAsDone) {
  auto bought = m_fake.buy(m_number, m_tag); // call 1
  m_fake.fail_at(2, {ErrorKind::unavailable, true});
  EXPECT_NO_THROW(m_resilient.release(bought.number.provider_sid));
  EXPECT_EQ(m_fake.count("release"), 2);
  EXPECT_TRUE(m_fake.owned().empty());
}

TEST_F(ResilientTelephonyProviderTest, ReleaseOfANumberNeverOwnedIsStillNotFound) {
  EXPECT_EQ(kind_of([&] { m_resilient.release("PN00000000000000000000000000000099"); }),
            ErrorKind::not_found);
  // A 429 was never processed: "not found" after it is the truth, not a released number.
  m_fake.fail_at(2, {ErrorKind::rate_limited, false});
  EXPECT_EQ(kind_of([&] { m_resilient.release("PN00000000000000000000000000000099"); }),
            ErrorKind::not_found);
  EXPECT_EQ(m_fake.count("release"), 3);
}

TEST(ResilientTelephonyProvider, HonoursRetryAfterByPausingEveryone) {
  FakeMonotonicClock clock;
  ScriptedProvider provider;
  AdaptiveRateLimiter limiter(clock, limiter_settings());
  ResilientTelephonyProvider resilient(provider, limiter,
                                       RetryPolicy(retry_settings(), [] { return 0.0; }), clock);
  Error too_many(ErrorKind::rate_limited, "Too Many Requests");
  too_many.set_retry_after_seconds(4);
  provider.script["search_available"].push_back(too_many);
  const Instant start = clock.now();
  EXPECT_EQ(resilient.search_available({}).size(), 20U);
  EXPECT_EQ(limiter.paused_until(), start + seconds(4));
  EXPECT_GE(clock.now(), start + seconds(4)) << "the retry waited for Retry-After";
  EXPECT_EQ(provider.fake.count("search_available"), 1) << "the scripted 429 never reached it";
  // A Retry-After longer than the policy tolerates is reported, not waited for.
  too_many.set_retry_after_seconds(3600);
  provider.script["search_available"].push_back(too_many);
  try {
    (void)resilient.search_available({});
    FAIL() << "waited an hour";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::rate_limited);
  }
}

} // namespace
} // namespace vami
