#include <atomic>
#include <set>

#include "disk_full.hpp"
#include "fake_monotonic_clock.hpp"
#include "fake_telephony_provider.hpp"
#include "forwarding_telephony_provider.hpp"
#include "in_flight_gate.hpp"
#include "temp_dir.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/resilient_telephony_provider.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami {
namespace {

using testing::FakeTelephonyProvider;

class PoolServiceTest : public ::testing::Test {
protected:
  PoolServiceTest()
      : m_provider({"212", "646"}, 120), m_store(open_sqlite_state_store(m_dir / "vami.db")),
        m_pool(m_provider, *m_store, "tester") {}

  static BuyRequest request(int count, std::vector<std::string> area_codes = {"212"}) {
    BuyRequest buy;
    buy.count = count;
    buy.area_codes = std::move(area_codes);
    return buy;
  }

  BulkReport buy(int count, const StopRequested& stop = {}) {
    auto buy_request = request(count);
    auto plan = m_pool.plan_purchase(buy_request);
    return m_pool.buy(buy_request, plan, stop, {});
  }

  std::vector<PoolNumber> rows(std::optional<NumberStatus> status = std::nullopt) {
    NumberFilter filter;
    filter.status = status;
    return m_store->list_numbers(filter);
  }

  testing::TempDir m_dir;
  FakeTelephonyProvider m_provider;
  std::unique_ptr<StateStore> m_store;
  PoolService m_pool;
};

ErrorKind kind_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.kind();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorKind::provider;
}

TEST_F(PoolServiceTest, PlanGathersMoreThanOneSearchWorthOfDistinctNumbers) {
  auto plan = m_pool.plan_purchase(request(50));
  ASSERT_EQ(plan.numbers.size(), 50U);
  EXPECT_GT(plan.searches, 1);
  std::set<std::string> distinct;
  for (const auto& number : plan.numbers) {
    distinct.insert(number.e164);
  }
  for (const auto& number : plan.spares) {
    distinct.insert(number.e164);
  }
  EXPECT_EQ(distinct.size(), plan.numbers.size() + plan.spares.size());
  EXPECT_FALSE(plan.spares.empty());
  ASSERT_TRUE(plan.monthly_price.has_value());
  EXPECT_EQ(plan.monthly_price->micros, 1'150'000);
  EXPECT_EQ(m_provider.count("buy"), 0);
}

TEST_F(PoolServiceTest, PlanRefusesWhenTooFewAreForSaleAndSuggestsSiblings) {
  try {
    (void)m_pool.plan_purchase(request(500));
    FAIL() << "planned 500 numbers from an inventory of 120";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::conflict);
    EXPECT_NE(std::string(error.what()).find("found only 120 of 500"), std::string::npos)
        << error.what();
    EXPECT_NE(error.hint().find("332"), std::string::npos) << error.hint(); // the NYC overlay
  }
  EXPECT_EQ(m_provider.count("buy"), 0);
  EXPECT_TRUE(rows().empty());
}

TEST_F(PoolServiceTest, PlanUsesTheNextAreaCodeWhenTheFirstRunsOut) {
  auto plan = m_pool.plan_purchase(request(150, {"212", "646"}));
  std::set<std::string> areas;
  for (const auto& number : plan.numbers) {
    areas.insert(number.e164.substr(2, 3));
  }
  EXPECT_EQ(areas, (std::set<std::string>{"212", "646"}));
}

TEST_F(PoolServiceTest, RejectsBadCountsAndAreaCodesBeforeAnyProviderCall) {
  for (int count : {0, -3, k_max_purchase_count + 1}) {
    EXPECT_EQ(kind_of([&] { (void)m_pool.plan_purchase(request(count)); }),
              ErrorKind::invalid_input)
        << count;
  }
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_purchase(request(1, {"999"})); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_purchase(request(1, {"21"})); }),
            ErrorKind::invalid_input);
  EXPECT_TRUE(m_provider.calls().empty());
}

TEST_F(PoolServiceTest, BuysTagsAndRecordsEveryNumberWithItsPrice) {
  auto report = buy(5);
  EXPECT_EQ(report.succeeded, 5);
  EXPECT_EQ(report.failed, 0);
  auto pool = rows(NumberStatus::available);
  ASSERT_EQ(pool.size(), 5U);
  for (const auto& number : pool) {
    EXPECT_EQ(number.operation_id, report.operation_id);
    EXPECT_FALSE(number.provider_sid.empty());
    ASSERT_TRUE(number.monthly_price.has_value());
    EXPECT_EQ(*number.monthly_price, (Money{1'150'000, "USD"}));
  }
  for (const auto& [e164, owned] : m_provider.owned()) {
    EXPECT_EQ(owned.friendly_name, "vami:default:" + report.operation_id);
  }
  auto operation = m_store->find_operation(report.operation_id);
  ASSERT_TRUE(operation.has_value());
  EXPECT_EQ(operation->status, OperationStatus::completed);
  EXPECT_EQ(m_store->list_items(report.operation_id).size(), 5U);
}

TEST_F(PoolServiceTest, ReplacesANumberTakenBetweenSearchAndPurchase) {
  auto buy_request = request(3);
  auto plan = m_pool.plan_purchase(buy_request);
  m_provider.take(plan.numbers[1].e164);
  auto report = m_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.succeeded, 3);
  EXPECT_EQ(report.failed, 0);
  EXPECT_EQ(m_provider.owned().size(), 3U);
  EXPECT_EQ(m_provider.owned().count(plan.numbers[1].e164), 0U);
  EXPECT_EQ(m_provider.owned().count(plan.spares[0].e164), 1U);
  EXPECT_FALSE(m_store->find_number(plan.numbers[1].e164).has_value());
}

TEST_F(PoolServiceTest, SearchesAgainWhenAnotherBuyerTookEverySpare) {
  auto buy_request = request(3);
  auto plan = m_pool.plan_purchase(buy_request);
  ASSERT_EQ(plan.spares.size(), 2U);
  m_provider.take(plan.numbers[0].e164);
  m_provider.take(plan.spares[0].e164);
  m_provider.take(plan.spares[1].e164);
  int searches_before = m_provider.count("search_available");
  auto report = m_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.succeeded, 3);
  EXPECT_EQ(report.failed, 0);
  EXPECT_GT(m_provider.count("search_available"), searches_before);
  EXPECT_EQ(m_provider.owned().size(), 3U);
}

TEST_F(PoolServiceTest, LostResponseAfterPurchaseIsFoundByLookingNotByBuyingAgain) {
  auto buy_request = request(2);
  auto plan = m_pool.plan_purchase(buy_request);
  int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::unavailable, true});
  auto report = m_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.succeeded, 2);
  EXPECT_EQ(m_provider.count("buy"), 2);
  EXPECT_EQ(m_provider.owned().size(), 2U);
  EXPECT_EQ(rows(NumberStatus::available).size(), 2U);
}

TEST_F(PoolServiceTest, IntentRowStaysWhenTheOutcomeCannotBeKnown) {
  auto buy_request = request(1);
  auto plan = m_pool.plan_purchase(buy_request);
  int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::unavailable, true});  // buy: acted, lost
  m_provider.fail_at(calls_before + 2, {ErrorKind::unavailable, false}); // the look-up fails
  auto report = m_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.uncertain, 1);
  auto purchasing = rows(NumberStatus::purchasing);
  ASSERT_EQ(purchasing.size(), 1U);
  EXPECT_EQ(purchasing[0].e164, plan.numbers[0].e164);
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::failed);
}

TEST_F(PoolServiceTest, RateLimitedPurchaseFailsThatItemOnlyAndLeavesNoRow) {
  auto buy_request = request(3);
  buy_request.concurrency = 1; // the Nth call is then the first purchase
  auto plan = m_pool.plan_purchase(buy_request);
  int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::rate_limited, false});
  auto report = m_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.succeeded, 2);
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(report.items[0].error_kind, "rate_limited");
  EXPECT_FALSE(m_store->find_number(plan.numbers[0].e164).has_value());
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::partial);
}

TEST_F(PoolServiceTest, RejectedCredentialsStopTheWholePurchase) {
  auto buy_request = request(3);
  buy_request.concurrency = 1; // the Nth call is then the first purchase
  auto plan = m_pool.plan_purchase(buy_request);
  int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::auth, false});
  EXPECT_EQ(kind_of([&] { (void)m_pool.buy(buy_request, plan, {}, {}); }), ErrorKind::auth);
  EXPECT_EQ(m_provider.count("buy"), 1);
  EXPECT_TRUE(rows().empty());
}

TEST_F(PoolServiceTest, StopsStartingPurchasesWhenInterrupted) {
  int started = 0;
  auto report = buy(5, [&started] { return started++ >= 2; });
  EXPECT_TRUE(report.interrupted);
  EXPECT_EQ(report.succeeded, 2);
  EXPECT_EQ(m_provider.owned().size(), 2U);
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::interrupted);
}

TEST_F(PoolServiceTest, EnforcesTheMaximumMonthlyCost) {
  auto expensive = request(1);
  expensive.max_monthly_price_micros = 1'000'000;
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_purchase(expensive); }), ErrorKind::conflict);
  expensive.max_monthly_price_micros = 1'150'000;
  EXPECT_NO_THROW((void)m_pool.plan_purchase(expensive));
  m_provider.set_price(std::nullopt);
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_purchase(expensive); }), ErrorKind::conflict);
  EXPECT_EQ(m_provider.count("buy"), 0);
}

TEST_F(PoolServiceTest, SkipsNumbersAlreadyInThePoolWhenPlanning) {
  auto first = buy(3);
  auto plan = m_pool.plan_purchase(request(3));
  for (const auto& number : plan.numbers) {
    EXPECT_EQ(m_store->find_number(number.e164), std::nullopt) << number.e164;
  }
}

TEST_F(PoolServiceTest, AFullDiskAfterAPurchaseIsUncertainAndLeavesTheBuyResumable) {
  testing::DiskFillingProvider disk(m_provider, m_dir / "vami.db");
  PoolService pool(disk, *m_store, "tester");
  auto buy_request = request(5);
  buy_request.concurrency = 1;
  const auto plan = pool.plan_purchase(buy_request);
  disk.fill_after("buy", 3); // the third number is bought, then nothing can be written
  const BulkReport report = pool.buy(buy_request, plan, {}, {});
  disk.free_disk();

  EXPECT_EQ(report.succeeded, 2);
  EXPECT_EQ(report.uncertain, 1);
  EXPECT_EQ(report.failed, 0);
  EXPECT_FALSE(report.interrupted);
  EXPECT_EQ(m_provider.count("buy"), 3) << "no purchase after the database failed";
  ASSERT_TRUE(report.state_failure.has_value());
  EXPECT_EQ(report.state_failure->kind(), ErrorKind::uncertain);
  EXPECT_THAT(report.state_failure->what(), ::testing::HasSubstr((m_dir / "vami.db").string()));
  EXPECT_THAT(report.state_failure->hint(),
              ::testing::HasSubstr("vami operations resume " + report.operation_id));
  EXPECT_NE(m_store->find_operation(report.operation_id)->status, OperationStatus::completed);
  ASSERT_EQ(report.items.size(), 3U);
  EXPECT_EQ(report.items[2].status, ItemStatus::uncertain);

  // The resume settles the third by looking it up and buys the last two: five, none twice.
  const ResumePlan resume = m_pool.plan_resume(report.operation_id, {});
  EXPECT_EQ(resume.done_before, 3);
  const BulkReport rest = m_pool.resume(resume, {}, {});
  EXPECT_FALSE(rest.state_failure.has_value());
  EXPECT_EQ(rows(NumberStatus::available).size(), 5U);
  EXPECT_EQ(m_provider.count("buy"), 5);
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::completed);
}

/// A telephony provider under which another process settles the intent row of the `n`th
/// number bought (as `vami reconcile` may) before this one records the purchase: recording it
/// then fails with an error other than the database's own.
class RowTakenAwayProvider final : public testing::ForwardingTelephonyProvider {
public:
  RowTakenAwayProvider(TelephonyProvider& inner, StateStore& other, int n)
      : ForwardingTelephonyProvider(inner), m_other(other), m_remaining(n) {}

  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override {
    PurchaseOutcome outcome = inner().buy(e164, tag);
    if (--m_remaining == 0) {
      m_other.abandon_purchase(e164);
    }
    return outcome;
  }

private:
  StateStore& m_other;
  int m_remaining;
};

TEST_F(PoolServiceTest, ABuyStoppedByAnErrorIsNeverJournaledAsCompleted) {
  auto other = open_sqlite_state_store(m_dir / "vami.db");
  RowTakenAwayProvider provider(m_provider, *other, 3);
  PoolService pool(provider, *m_store, "tester");
  auto buy_request = request(5);
  buy_request.concurrency = 1;
  const auto plan = pool.plan_purchase(buy_request);
  std::string operation_id;
  try {
    (void)pool.buy(buy_request, plan, {}, {});
    ADD_FAILURE() << "the buy went on";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::not_found);
    operation_id = m_store->list_operations(1).at(0).id;
    EXPECT_THAT(error.hint(), ::testing::HasSubstr("vami operations resume " + operation_id));
  }
  // Two of five recorded and none failed: it was journaled `completed` before, which resume
  // takes for done.
  EXPECT_EQ(m_store->find_operation(operation_id)->status, OperationStatus::interrupted);
  const BulkReport rest = m_pool.resume(m_pool.plan_resume(operation_id, {}), {}, {});
  EXPECT_EQ(rows(NumberStatus::available).size(), 5U);
  EXPECT_EQ(m_store->find_operation(operation_id)->status, OperationStatus::completed);
  EXPECT_EQ(rest.succeeded, 3);
}

TEST_F(PoolServiceTest, AFullDiskAfterAReleaseIsUncertainAndLeavesTheReleaseResumable) {
  (void)buy(4);
  testing::DiskFillingProvider disk(m_provider, m_dir / "vami.db");
  PoolService pool(disk, *m_store, "tester");
  std::vector<std::string> numbers;
  for (const auto& row : rows()) {
    numbers.push_back(row.e164);
  }
  ReleaseOptions one_at_a_time;
  one_at_a_time.concurrency = 1;
  disk.fill_after("release", 2);
  const BulkReport report = pool.release(pool.plan_release(numbers), {}, {}, one_at_a_time);
  disk.free_disk();

  EXPECT_EQ(report.succeeded, 1);
  EXPECT_EQ(report.uncertain, 1);
  EXPECT_EQ(m_provider.count("release"), 2);
  ASSERT_TRUE(report.state_failure.has_value());
  EXPECT_EQ(report.state_failure->kind(), ErrorKind::uncertain);
  EXPECT_NE(m_store->find_operation(report.operation_id)->status, OperationStatus::completed);

  const BulkReport rest = m_pool.resume(m_pool.plan_resume(report.operation_id, {}), {}, {});
  EXPECT_FALSE(rest.state_failure.has_value());
  for (const auto& e164 : numbers) {
    EXPECT_EQ(m_store->find_number(e164)->status, NumberStatus::released) << e164;
  }
  EXPECT_EQ(m_provider.count("release"), 4);
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::completed);
}

TEST_F(PoolServiceTest, ReleasesAndRefusesNumbersThePoolDoesNotHold) {
  auto report = buy(2);
  std::string e164 = rows()[0].e164;
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_release({"+12125559999"}); }), ErrorKind::not_found);
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_release({"+1 (212) 555-01O1"}); }),
            ErrorKind::invalid_input);
  auto plan = m_pool.plan_release({e164});
  ASSERT_TRUE(plan.monthly_saving.has_value());
  EXPECT_EQ(plan.monthly_saving->micros, 1'150'000);
  auto released = m_pool.release(plan, {}, {});
  EXPECT_EQ(released.succeeded, 1);
  EXPECT_EQ(m_store->find_number(e164)->status, NumberStatus::released);
  EXPECT_EQ(m_provider.owned().count(e164), 0U);
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_release({e164}); }), ErrorKind::not_found);
}

TEST_F(PoolServiceTest, ReleaseOfANumberAlreadyGoneAtTheProviderCompletes) {
  (void)buy(1);
  auto row = rows()[0];
  m_provider.release(row.provider_sid);
  auto report = m_pool.release(m_pool.plan_release({row.e164}), {}, {});
  EXPECT_EQ(report.succeeded, 1);
  EXPECT_EQ(m_store->find_number(row.e164)->status, NumberStatus::released);
}

TEST_F(PoolServiceTest, LostReleaseResponseIsResolvedByLooking) {
  (void)buy(1);
  auto row = rows()[0];
  auto plan = m_pool.plan_release({row.e164});
  int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::unavailable, true});
  auto report = m_pool.release(plan, {}, {});
  EXPECT_EQ(report.succeeded, 1);
  EXPECT_EQ(m_store->find_number(row.e164)->status, NumberStatus::released);
}

TEST_F(PoolServiceTest, FailedReleaseLeavesTheNumberAvailable) {
  (void)buy(1);
  auto row = rows()[0];
  auto plan = m_pool.plan_release({row.e164});
  int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::provider, false});
  auto report = m_pool.release(plan, {}, {});
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(m_store->find_number(row.e164)->status, NumberStatus::available);
  EXPECT_EQ(m_provider.owned().count(row.e164), 1U);
}

TEST_F(PoolServiceTest, SetsAndVerifiesTheVoiceWebhook) {
  (void)buy(1);
  auto e164 = rows()[0].e164;
  VoiceWebhook webhook{"https://router.example.com/voice", "POST", ""};
  auto number = m_pool.set_webhook(e164, webhook, false);
  EXPECT_EQ(number.webhook, webhook);
  EXPECT_EQ(m_store->find_number(e164)->webhook, webhook);
  EXPECT_EQ(m_provider.find_owned(e164)->webhook, webhook);
  EXPECT_FALSE(m_store->list_audit({}).empty());
}

TEST_F(PoolServiceTest, RefusesUnsafeOrMalformedWebhooks) {
  (void)buy(1);
  auto e164 = rows()[0].e164;
  auto set = [&](const std::string& url, bool allow_http, const std::string& method = "POST") {
    return kind_of([&] { (void)m_pool.set_webhook(e164, {url, method, ""}, allow_http); });
  };
  EXPECT_EQ(set("http://router.example.com/voice", false), ErrorKind::invalid_input);
  EXPECT_EQ(set("ftp://router.example.com/voice", true), ErrorKind::invalid_input);
  EXPECT_EQ(set("https://", false), ErrorKind::invalid_input);
  EXPECT_EQ(set("https://a b.example.com/", false), ErrorKind::invalid_input);
  EXPECT_EQ(set("https://router.example.com/voice", false, "PUT"), ErrorKind::invalid_input);
  EXPECT_EQ(m_provider.count("set_voice_webhook"), 0);
  EXPECT_NO_THROW((void)m_pool.set_webhook(e164, {"http://127.0.0.1:8080/voice", "GET", ""}, true));
  EXPECT_EQ(
      kind_of([&] {
        (void)m_pool.set_webhook("+12125559999", {"https://a.example.com/", "POST", ""}, false);
      }),
      ErrorKind::not_found);
}

const std::vector<FakeTelephonyProvider::Fault> k_sweep_faults{{ErrorKind::unavailable, false},
                                                               {ErrorKind::unavailable, true},
                                                               {ErrorKind::rate_limited, false},
                                                               {ErrorKind::provider, false},
                                                               {ErrorKind::auth, false}};

// Every number the account owns is in the pool, available or (when its purchase cannot be
// known) still purchasing; and no more numbers were bought than asked for.
void expect_no_paid_number_lost(FakeTelephonyProvider& provider, StateStore& store,
                                const std::string& scenario) {
  for (const auto& [e164, owned] : provider.owned()) {
    auto row = store.find_number(e164);
    ASSERT_TRUE(row.has_value()) << "lost " << e164 << " (" << scenario << ")";
    EXPECT_TRUE(row->status == NumberStatus::available || row->status == NumberStatus::purchasing)
        << e164 << " (" << scenario << ")";
  }
  EXPECT_LE(provider.owned().size(), 3U) << scenario;
}

// Whatever call fails and however, a number the account paid for is never unknown locally,
// one purchase at a time or several at once.
TEST(PoolServiceFaultSweep, NoPaidNumberIsEverLost) {
  int scenarios = 0;
  for (int concurrency : {1, 3}) {
    for (int n = 1; n <= 12; ++n) {
      for (const auto& fault : k_sweep_faults) {
        testing::TempDir dir;
        FakeTelephonyProvider provider({"212"}, 60);
        auto store = open_sqlite_state_store(dir / "vami.db");
        PoolService pool(provider, *store, "sweep");
        provider.fail_at(n, fault);
        BuyRequest request;
        request.count = 3;
        request.area_codes = {"212"};
        request.concurrency = concurrency;
        try {
          auto plan = pool.plan_purchase(request);
          (void)pool.buy(request, plan, {}, {});
        } catch (const Error&) {
          // The command may fail; the invariant below must hold anyway.
        }
        expect_no_paid_number_lost(provider, *store,
                                   "fault at call " + std::to_string(n) + ", concurrency " +
                                       std::to_string(concurrency));
        ++scenarios;
      }
    }
  }
  EXPECT_EQ(scenarios, 120);
}

// The same sweep through the retrying, rate-limited provider the command line uses.
TEST(PoolServiceFaultSweep, NoPaidNumberIsEverLostThroughRetries) {
  int scenarios = 0;
  for (int n = 1; n <= 16; ++n) {
    for (const auto& fault : k_sweep_faults) {
      testing::TempDir dir;
      testing::FakeMonotonicClock clock;
      FakeTelephonyProvider provider({"212"}, 60);
      AdaptiveRateLimiter limiter(clock);
      ResilientTelephonyProvider resilient(provider, limiter, RetryPolicy({}, [] { return 0.5; }),
                                           clock);
      auto store = open_sqlite_state_store(dir / "vami.db");
      PoolService pool(resilient, *store, "sweep");
      provider.fail_at(n, fault);
      BuyRequest request;
      request.count = 3;
      request.area_codes = {"212"};
      request.concurrency = 3;
      bool finished = false;
      try {
        auto plan = pool.plan_purchase(request);
        auto report = pool.buy(request, plan, {}, {});
        finished = true;
        if (fault.kind != ErrorKind::provider) {
          // One transient fault is absorbed by the retries.
          EXPECT_EQ(report.succeeded, 3) << "fault at call " << n;
        }
      } catch (const Error& error) {
        // Only definite refusals end the command: rejected credentials, or a refused search
        // or price look-up while planning.
        EXPECT_TRUE(error.kind() == ErrorKind::auth || error.kind() == ErrorKind::provider)
            << error.what();
      }
      if (fault.kind == ErrorKind::unavailable || fault.kind == ErrorKind::rate_limited) {
        EXPECT_TRUE(finished) << "fault at call " << n;
      }
      expect_no_paid_number_lost(provider, *store, "fault at call " + std::to_string(n));
      ++scenarios;
    }
  }
  EXPECT_EQ(scenarios, 80);
}

} // namespace
} // namespace vami

namespace vami {
namespace {

TEST_F(PoolServiceTest, ListsAndShowsThePoolWithoutTheProvider) {
  (void)buy(2);
  int calls = static_cast<int>(m_provider.calls().size());
  NumberFilter by_area;
  by_area.area_code = "212";
  EXPECT_EQ(list_pool(*m_store, by_area).size(), 2U);
  by_area.area_code = "416";
  EXPECT_TRUE(list_pool(*m_store, by_area).empty());
  by_area.area_code = "21x";
  EXPECT_EQ(kind_of([&] { (void)list_pool(*m_store, by_area); }), ErrorKind::invalid_input);
  auto e164 = rows()[0].e164;
  EXPECT_EQ(find_pool_number(*m_store, e164).e164, e164);
  EXPECT_EQ(kind_of([&] { (void)find_pool_number(*m_store, "+12125559999"); }),
            ErrorKind::not_found);
  EXPECT_EQ(kind_of([&] { (void)find_pool_number(*m_store, "+1 (212) 555-01O1"); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(static_cast<int>(m_provider.calls().size()), calls);
}

} // namespace
} // namespace vami

namespace vami {
namespace {

// Forwards to a fake provider, holding each purchase at an `InFlightGate`.
class GatedProvider final : public testing::ForwardingTelephonyProvider {
public:
  GatedProvider(TelephonyProvider& inner, testing::InFlightGate& gate)
      : ForwardingTelephonyProvider(inner), m_gate(gate) {}
  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override {
    m_gate.pass();
    return inner().buy(e164, tag);
  }
  void release(const std::string& sid) override {
    m_gate.pass();
    inner().release(sid);
  }

private:
  testing::InFlightGate& m_gate;
};

std::vector<std::string> e164s(const std::vector<ItemResult>& items) {
  std::vector<std::string> numbers;
  for (const auto& item : items) {
    numbers.push_back(item.e164);
  }
  return numbers;
}

TEST_F(PoolServiceTest, ConcurrencyNKeepsExactlyNPurchasesInFlightAndReportsInInputOrder) {
  testing::InFlightGate gate(4);
  GatedProvider gated(m_provider, gate);
  PoolService pool(gated, *m_store, "tester");
  auto buy_request = request(12);
  buy_request.concurrency = 4;
  auto plan = pool.plan_purchase(buy_request);
  std::vector<std::string> settled;
  auto report = pool.buy(buy_request, plan, {}, [&](const ItemResult& item, int, int) {
    settled.push_back(item.e164); // serialised by the service: no lock needed
  });
  EXPECT_FALSE(gate.gave_up()) << "four purchases were never in flight together";
  EXPECT_EQ(gate.most_inside(), 4);
  EXPECT_EQ(report.succeeded, 12);
  std::vector<std::string> planned;
  for (const auto& number : plan.numbers) {
    planned.push_back(number.e164);
  }
  EXPECT_EQ(e164s(report.items), planned);
  EXPECT_EQ(settled.size(), 12U);
  EXPECT_EQ(rows(NumberStatus::available).size(), 12U);
  EXPECT_EQ(m_store->list_items(report.operation_id).size(), 12U);
}

// Forwards to a fake provider; the price look-up and the first search meet at a gate, and the
// requests in flight at once are counted.
class OverlapProvider final : public testing::ForwardingTelephonyProvider {
public:
  OverlapProvider(TelephonyProvider& inner, testing::InFlightGate& gate)
      : ForwardingTelephonyProvider(inner), m_gate(gate) {}
  std::vector<AvailableNumber> search_available(const NumberSearch& search) override {
    Counted counted(*this);
    if (!m_first_search.exchange(true)) {
      m_gate.pass();
    }
    return inner().search_available(search);
  }
  std::optional<Money> monthly_price(const std::string& country, NumberType type) override {
    Counted counted(*this);
    m_gate.pass();
    return inner().monthly_price(country, type);
  }
  int most_in_flight() const { return m_most; }

private:
  struct Counted {
    explicit Counted(OverlapProvider& provider) : m_provider(provider) {
      int now = ++m_provider.m_in_flight;
      int most = m_provider.m_most.load();
      while (now > most && !m_provider.m_most.compare_exchange_weak(most, now)) {
      }
    }
    ~Counted() { --m_provider.m_in_flight; }
    OverlapProvider& m_provider;
  };
  testing::InFlightGate& m_gate;
  std::atomic<bool> m_first_search{false};
  std::atomic<int> m_in_flight{0};
  std::atomic<int> m_most{0};
};

TEST_F(PoolServiceTest, ThePriceIsAskedWithinTheFirstWaveOfSearchesNotBeforeIt) {
  testing::InFlightGate gate(2, std::chrono::seconds(5));
  OverlapProvider overlapping(m_provider, gate);
  PoolService pool(overlapping, *m_store, "tester");
  auto buy_request = request(100, {"212", "646"});
  buy_request.concurrency = 4;
  auto plan = pool.plan_purchase(buy_request);
  EXPECT_FALSE(gate.gave_up()) << "the price was asked while no search was in flight";
  EXPECT_LE(overlapping.most_in_flight(), 4) << "more requests at once than --concurrency";
  ASSERT_TRUE(plan.monthly_price.has_value());
  EXPECT_EQ(plan.monthly_price->micros, 1'150'000);
  EXPECT_EQ(plan.numbers.size(), 100U);
}

TEST_F(PoolServiceTest, ConcurrentWorkersNeverShareASpare) {
  auto buy_request = request(20);
  buy_request.concurrency = 8;
  auto plan = m_pool.plan_purchase(buy_request);
  ASSERT_EQ(plan.spares.size(), 2U);
  // Ten numbers are taken meanwhile: two spares, then a new search for eight more.
  for (std::size_t i = 0; i < plan.numbers.size(); i += 2) {
    m_provider.take(plan.numbers[i].e164);
  }
  int searches_before = m_provider.count("search_available");
  auto report = m_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.succeeded, 20);
  EXPECT_EQ(report.failed, 0);
  EXPECT_GT(m_provider.count("search_available"), searches_before);
  std::set<std::string> bought;
  int skipped = 0;
  for (const auto& item : report.items) {
    if (item.status == ItemStatus::succeeded) {
      EXPECT_TRUE(bought.insert(item.e164).second) << item.e164 << " bought twice";
    }
    skipped += item.status == ItemStatus::skipped ? 1 : 0;
  }
  EXPECT_EQ(skipped, 10);
  EXPECT_EQ(m_provider.owned().size(), 20U);
  EXPECT_EQ(m_provider.count("buy"), 30) << "each spare was tried by one worker only";
  EXPECT_EQ(rows(NumberStatus::available).size(), 20U);
  EXPECT_TRUE(rows(NumberStatus::purchasing).empty());
  EXPECT_EQ(m_store->list_items(report.operation_id).size(), 30U);
}

TEST_F(PoolServiceTest, StopStartsNoNewPurchaseAtAnyConcurrency) {
  auto buy_request = request(10);
  buy_request.concurrency = 4;
  auto plan = m_pool.plan_purchase(buy_request);
  int asked = 0;
  auto report = m_pool.buy(buy_request, plan, [&asked] { return asked++ >= 6; }, {});
  EXPECT_TRUE(report.interrupted);
  EXPECT_EQ(report.succeeded, 6);
  EXPECT_EQ(m_provider.count("buy"), 6);
  EXPECT_EQ(m_provider.owned().size(), 6U);
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::interrupted);
}

TEST_F(PoolServiceTest, NoReplacementIsBoughtOnceStopIsRequested) {
  auto buy_request = request(2);
  buy_request.concurrency = 1;
  auto plan = m_pool.plan_purchase(buy_request);
  m_provider.take(plan.numbers[0].e164);
  int asked = 0;
  // The runner asks before the first number; the worker asks before replacing it.
  auto report = m_pool.buy(buy_request, plan, [&asked] { return asked++ >= 1; }, {});
  EXPECT_TRUE(report.interrupted);
  ASSERT_EQ(report.items.size(), 1U);
  EXPECT_EQ(report.items[0].status, ItemStatus::failed);
  EXPECT_EQ(m_provider.count("buy"), 1);
  EXPECT_TRUE(m_provider.owned().empty());
}

TEST_F(PoolServiceTest, RefusesAConcurrencyOutsideOneToSixtyFour) {
  for (int concurrency : {0, k_max_concurrency + 1}) {
    auto buy_request = request(2);
    buy_request.concurrency = concurrency;
    EXPECT_EQ(kind_of([&] { (void)m_pool.plan_purchase(buy_request); }), ErrorKind::invalid_input);
    EXPECT_EQ(kind_of([&] { (void)m_pool.buy(buy_request, PurchasePlan{}, {}, {}); }),
              ErrorKind::invalid_input);
  }
  EXPECT_TRUE(m_provider.calls().empty());
  EXPECT_TRUE(m_store->list_operations(10).empty());
  (void)buy(1);
  auto plan = m_pool.plan_release({rows()[0].e164});
  EXPECT_EQ(kind_of([&] { (void)m_pool.release(plan, {}, {}, ReleaseOptions{0}); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(m_store->list_operations(10).size(), 1U);
}

TEST_F(PoolServiceTest, ReleasesConcurrentlyAndReportsInInputOrder) {
  (void)buy(12);
  std::vector<std::string> numbers;
  for (const auto& row : rows()) {
    numbers.insert(numbers.begin(), row.e164); // not the store's order
  }
  testing::InFlightGate gate(3);
  GatedProvider gated(m_provider, gate);
  PoolService pool(gated, *m_store, "tester");
  auto plan = pool.plan_release(numbers);
  int observed = 0;
  auto report = pool.release(
      plan, {}, [&](const ItemResult&, int, int) { ++observed; }, ReleaseOptions{3});
  EXPECT_FALSE(gate.gave_up());
  EXPECT_EQ(gate.most_inside(), 3);
  EXPECT_EQ(report.succeeded, 12);
  EXPECT_EQ(observed, 12);
  EXPECT_EQ(e164s(report.items), numbers);
  EXPECT_TRUE(m_provider.owned().empty());
  EXPECT_EQ(rows(NumberStatus::released).size(), 12U);
}

// The stack the command line builds: rate limiter, retries, then the service.
class ResilientPoolServiceTest : public PoolServiceTest {
protected:
  ResilientPoolServiceTest()
      : m_limiter(m_clock),
        m_resilient(m_provider, m_limiter, RetryPolicy({}, [] { return 0.5; }), m_clock),
        m_resilient_pool(m_resilient, *m_store, "tester") {}

  std::vector<std::string> methods_since(std::size_t first) const {
    std::vector<std::string> names;
    auto calls = m_provider.calls();
    for (std::size_t i = first; i < calls.size(); ++i) {
      names.push_back(calls[i].method);
    }
    return names;
  }

  testing::FakeMonotonicClock m_clock;
  AdaptiveRateLimiter m_limiter;
  ResilientTelephonyProvider m_resilient;
  PoolService m_resilient_pool;
};

TEST_F(ResilientPoolServiceTest, ServerErrorOnAPurchaseIsLookedUpBeforeItIsRetried) {
  auto buy_request = request(1);
  auto plan = m_resilient_pool.plan_purchase(buy_request);
  const auto calls_before = m_provider.calls().size();
  m_provider.fail_at(static_cast<int>(calls_before) + 1, {ErrorKind::unavailable, false});
  auto report = m_resilient_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.succeeded, 1);
  EXPECT_EQ(methods_since(calls_before), (std::vector<std::string>{"buy", "find_owned", "buy"}));
  EXPECT_EQ(rows(NumberStatus::available).size(), 1U);
}

TEST_F(ResilientPoolServiceTest, RateLimitedPurchaseIsRetriedAndTheLimiterSlowsDown) {
  auto buy_request = request(3);
  buy_request.concurrency = 1;
  auto plan = m_resilient_pool.plan_purchase(buy_request);
  const double rate_before = m_limiter.rate();
  const auto calls_before = m_provider.calls().size();
  m_provider.fail_at(static_cast<int>(calls_before) + 1, {ErrorKind::rate_limited, false});
  auto report = m_resilient_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.succeeded, 3) << "the 429 cost a retry, not a number";
  EXPECT_EQ(report.failed, 0);
  EXPECT_EQ(m_provider.count("buy"), 4);
  EXPECT_LT(m_limiter.rate(), rate_before);
  EXPECT_FALSE(m_clock.sleeps().empty());
}

TEST_F(ResilientPoolServiceTest, PurchaseWhoseOutcomeCannotBeKnownKeepsItsIntentRow) {
  auto buy_request = request(1);
  auto plan = m_resilient_pool.plan_purchase(buy_request);
  const int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::unavailable, true});
  for (int n = 2; n <= 1 + RetrySettings{}.max_attempts; ++n) {
    m_provider.fail_at(calls_before + n, {ErrorKind::unavailable, false});
  }
  auto report = m_resilient_pool.buy(buy_request, plan, {}, {});
  EXPECT_EQ(report.uncertain, 1);
  EXPECT_EQ(report.items[0].error_kind, "uncertain");
  EXPECT_EQ(m_provider.count("buy"), 1);
  ASSERT_EQ(rows(NumberStatus::purchasing).size(), 1U);
  EXPECT_EQ(m_provider.owned().size(), 1U);
}

} // namespace
} // namespace vami

namespace vami {
namespace {

// `vami operations resume`: finish an interrupted bulk operation into the same journal entry,
// never buying a number twice.
class ResumeTest : public PoolServiceTest {
protected:
  // A buy of `count` stopped after `started` numbers, as Ctrl-C leaves it.
  BulkReport interrupted_buy(int count, int started) {
    int asked = 0;
    auto buy_request = request(count);
    buy_request.concurrency = 1;
    auto plan = m_pool.plan_purchase(buy_request);
    return m_pool.buy(buy_request, plan, [&asked, started] { return asked++ >= started; }, {});
  }

  std::vector<PoolNumber> rows_of(const std::string& operation_id) {
    std::vector<PoolNumber> mine;
    NumberFilter every;
    every.include_released = true;
    for (auto& row : m_store->list_numbers(every)) {
      if (row.operation_id == operation_id) {
        mine.push_back(row);
      }
    }
    return mine;
  }
};

TEST_F(ResumeTest, InterruptedBuyBuysOnlyTheRestIntoTheSameOperation) {
  auto first = interrupted_buy(10, 4);
  ASSERT_TRUE(first.interrupted);
  ASSERT_EQ(first.succeeded, 4);

  auto plan = m_pool.plan_resume(first.operation_id, ResumeOptions{3});
  EXPECT_EQ(plan.done_before, 4);
  EXPECT_EQ(plan.settled, 0);
  EXPECT_EQ(plan.remaining(), 6);
  EXPECT_EQ(plan.buy.area_codes, (std::vector<std::string>{"212"})); // the journaled request
  EXPECT_EQ(m_provider.count("buy"), 4) << "planning buys nothing";

  auto report = m_pool.resume(plan, {}, {});
  EXPECT_EQ(report.operation_id, first.operation_id);
  EXPECT_EQ(report.requested, 6);
  EXPECT_EQ(report.succeeded, 6);
  EXPECT_EQ(m_provider.count("buy"), 10);
  EXPECT_EQ(m_provider.owned().size(), 10U);
  EXPECT_EQ(rows_of(first.operation_id).size(), 10U);
  for (const auto& [e164, owned] : m_provider.owned()) {
    EXPECT_EQ(owned.friendly_name, "vami:default:" + first.operation_id) << e164;
  }
  EXPECT_EQ(m_store->list_operations(0).size(), 1U) << "no second operation";
  EXPECT_EQ(m_store->find_operation(first.operation_id)->status, OperationStatus::completed);
  EXPECT_EQ(m_store->list_items(first.operation_id).size(), 10U);
}

TEST_F(ResumeTest, UncertainPurchaseIsSettledByLookingAndNeverBoughtTwice) {
  auto buy_request = request(3);
  buy_request.concurrency = 1;
  auto plan = m_pool.plan_purchase(buy_request);
  const int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::unavailable, true});  // bought, answer lost
  m_provider.fail_at(calls_before + 2, {ErrorKind::unavailable, false}); // and the look-up fails
  auto first = m_pool.buy(buy_request, plan, {}, {});
  ASSERT_EQ(first.uncertain, 1);
  ASSERT_EQ(first.succeeded, 2);

  auto resumed = m_pool.plan_resume(first.operation_id);
  EXPECT_EQ(resumed.settled, 1);
  EXPECT_EQ(resumed.done_before, 3);
  EXPECT_EQ(resumed.remaining(), 0);
  EXPECT_EQ(m_provider.count("buy"), 3);
  EXPECT_TRUE(rows(NumberStatus::purchasing).empty());
  auto settled = m_store->find_number(plan.numbers[0].e164);
  ASSERT_TRUE(settled.has_value());
  EXPECT_EQ(settled->status, NumberStatus::available);
  EXPECT_FALSE(settled->provider_sid.empty());

  auto report = m_pool.resume(resumed, {}, {});
  EXPECT_TRUE(report.items.empty());
  EXPECT_EQ(m_provider.count("buy"), 3);
  EXPECT_EQ(m_store->find_operation(first.operation_id)->status, OperationStatus::completed);
  for (const auto& item : m_store->list_items(first.operation_id)) {
    EXPECT_EQ(item.outcome, ItemOutcome::succeeded) << item.e164;
  }
}

TEST_F(ResumeTest, IntentRowsLeftByAKilledProcessAreSettledThenTheRestIsBought) {
  // What kill -9 leaves: an operation still `running`, one intent row whose purchase went
  // through, one whose request never left, and no journal item for either.
  BuyRequest buy_request = request(4);
  Operation operation;
  operation.id = new_operation_id();
  operation.kind = OperationKind::buy;
  operation.requested_count = 4;
  operation.parameters = buy_parameters(buy_request);
  operation.actor = "killed";
  m_store->create_operation(operation);
  const std::string tag = "vami:default:" + operation.id;
  NumberSearch search;
  search.area_code = "212";
  auto candidates = m_provider.search_available(search);
  for (int i = 0; i < 2; ++i) {
    PurchaseIntent intent;
    intent.e164 = candidates[static_cast<std::size_t>(i)].e164;
    intent.operation_id = operation.id;
    intent.country = "US";
    intent.friendly_name = tag;
    m_store->insert_purchase_intent(intent);
  }
  (void)m_provider.buy(candidates[0].e164, tag);

  auto plan = m_pool.plan_resume(operation.id);
  EXPECT_EQ(plan.settled, 2);
  EXPECT_EQ(plan.done_before, 1);
  EXPECT_EQ(plan.remaining(), 3);
  EXPECT_EQ(m_store->find_number(candidates[0].e164)->status, NumberStatus::available);
  EXPECT_FALSE(m_store->find_number(candidates[1].e164).has_value()) << "abandoned";

  auto report = m_pool.resume(plan, {}, {});
  EXPECT_EQ(report.succeeded, 3);
  EXPECT_EQ(m_provider.owned().size(), 4U);
  EXPECT_EQ(m_provider.count("buy"), 4) << "the settled number was not bought again";
  EXPECT_EQ(rows_of(operation.id).size(), 4U);
  EXPECT_EQ(m_store->find_operation(operation.id)->status, OperationStatus::completed);
}

TEST_F(ResumeTest, FailedLookUpStopsTheResumeBeforeAnyPurchase) {
  auto buy_request = request(2);
  buy_request.concurrency = 1;
  auto plan = m_pool.plan_purchase(buy_request);
  const int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::unavailable, false}); // not bought
  m_provider.fail_at(calls_before + 2, {ErrorKind::unavailable, false}); // look-up fails
  auto first = m_pool.buy(buy_request, plan, {}, {});
  ASSERT_EQ(first.uncertain, 1);
  const int calls = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls + 1, {ErrorKind::unavailable, false}); // the resume's look-up too
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_resume(first.operation_id); }), ErrorKind::unavailable);
  EXPECT_EQ(m_provider.count("buy"), 2);
  EXPECT_EQ(rows(NumberStatus::purchasing).size(), 1U);

  // Once the provider answers, the number it does not own is abandoned and one more is bought.
  auto resumed = m_pool.plan_resume(first.operation_id);
  EXPECT_EQ(resumed.settled, 1);
  EXPECT_EQ(resumed.remaining(), 1);
  auto report = m_pool.resume(resumed, {}, {});
  EXPECT_EQ(report.succeeded, 1);
  EXPECT_EQ(m_provider.owned().size(), 2U);
  EXPECT_TRUE(rows(NumberStatus::purchasing).empty());
}

TEST_F(ResumeTest, CompletedOperationIsLeftAloneWithoutAProviderCall) {
  auto first = buy(2);
  const auto calls = m_provider.calls().size();
  auto plan = m_pool.plan_resume(first.operation_id);
  EXPECT_EQ(plan.remaining(), 0);
  EXPECT_EQ(plan.done_before, 2);
  auto report = m_pool.resume(plan, {}, {});
  EXPECT_TRUE(report.items.empty());
  EXPECT_EQ(m_provider.calls().size(), calls);
  EXPECT_EQ(m_store->find_operation(first.operation_id)->status, OperationStatus::completed);
}

TEST_F(ResumeTest, UnknownIdsAndOtherKindsAreRefused) {
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_resume("op-000000000000"); }), ErrorKind::not_found);
  Operation reconcile;
  reconcile.id = new_operation_id();
  reconcile.kind = OperationKind::reconcile;
  reconcile.actor = "tester";
  m_store->create_operation(reconcile);
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_resume(reconcile.id); }), ErrorKind::invalid_input);
  auto first = interrupted_buy(3, 1);
  EXPECT_EQ(kind_of([&] { (void)m_pool.plan_resume(first.operation_id, ResumeOptions{0}); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(m_provider.count("buy"), 1);
}

TEST_F(ResumeTest, InterruptedReleaseReleasesTheRestAndSettlesAnUnknownOne) {
  (void)buy(5);
  std::vector<std::string> numbers;
  for (const auto& row : rows()) {
    numbers.push_back(row.e164);
  }
  auto plan = m_pool.plan_release(numbers);
  const int calls_before = static_cast<int>(m_provider.calls().size());
  m_provider.fail_at(calls_before + 1, {ErrorKind::unavailable, true});  // released, answer lost
  m_provider.fail_at(calls_before + 2, {ErrorKind::unavailable, false}); // look-up fails
  int asked = 0;
  auto first = m_pool.release(
      plan, [&asked] { return asked++ >= 3; }, {}, ReleaseOptions{1});
  ASSERT_TRUE(first.interrupted);
  ASSERT_EQ(first.uncertain, 1);
  ASSERT_EQ(first.succeeded, 2);
  EXPECT_EQ(m_store->find_number(numbers[0])->status, NumberStatus::releasing);

  auto detail = show_operation(*m_store, first.operation_id);
  EXPECT_EQ(detail.items.size(), 3U);
  EXPECT_EQ(detail.not_started, (std::vector<std::string>{numbers[3], numbers[4]}));

  auto resumed = m_pool.plan_resume(first.operation_id);
  EXPECT_EQ(resumed.settled, 1);
  EXPECT_EQ(resumed.done_before, 3);
  EXPECT_EQ(resumed.numbers, (std::vector<std::string>{numbers[3], numbers[4]}));
  EXPECT_EQ(m_store->find_number(numbers[0])->status, NumberStatus::released);

  auto report = m_pool.resume(resumed, {}, {});
  EXPECT_EQ(report.succeeded, 2);
  EXPECT_TRUE(m_provider.owned().empty());
  EXPECT_EQ(rows(NumberStatus::released).size(), 5U);
  EXPECT_EQ(m_store->find_operation(first.operation_id)->status, OperationStatus::completed);
  EXPECT_TRUE(show_operation(*m_store, first.operation_id).not_started.empty());
}

TEST(BuyParameters, RoundTripTheRequestAndReadTheOlderShape) {
  BuyRequest request;
  request.count = 12;
  request.search.country = "CA";
  request.search.type = NumberType::toll_free;
  request.area_codes = {"416", "647"};
  request.search.contains = "55";
  request.search.region = "ON";
  request.search.locality = "Toronto";
  request.max_monthly_price_micros = 2'500'000;
  request.pool = "support";
  BuyRequest back = buy_request_from_parameters(buy_parameters(request));
  EXPECT_EQ(back.count, 12);
  EXPECT_EQ(back.search.country, "CA");
  EXPECT_EQ(back.search.type, NumberType::toll_free);
  EXPECT_EQ(back.area_codes, request.area_codes);
  EXPECT_EQ(back.search.contains, "55");
  EXPECT_EQ(back.search.region, "ON");
  EXPECT_EQ(back.search.locality, "Toronto");
  EXPECT_EQ(back.max_monthly_price_micros, 2'500'000);
  EXPECT_EQ(back.pool, "support");

  BuyRequest older = buy_request_from_parameters(
      R"({"count":3,"country":"US","type":"local","area_codes":["212"],"contains":"",)"
      R"("region":"","locality":"","max_monthly_cost":"1.50"})");
  EXPECT_EQ(older.max_monthly_price_micros, 1'500'000);
  EXPECT_EQ(older.pool, "default");
  EXPECT_EQ(kind_of([] { (void)buy_request_from_parameters("[1]"); }), ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([] { (void)buy_request_from_parameters(R"({"type":"fax"})"); }),
            ErrorKind::invalid_input);
}

TEST_F(ResumeTest, JournalListsNewestFirstAndFiltersByKindAndStatus) {
  auto interrupted = interrupted_buy(3, 1);
  auto completed = buy(1);
  (void)m_pool.release(m_pool.plan_release({rows_of(completed.operation_id)[0].e164}), {}, {});

  auto all = list_journal(*m_store, OperationFilter{0, std::nullopt, std::nullopt});
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].operation.kind, OperationKind::release);
  EXPECT_EQ(all[2].operation.id, interrupted.operation_id);
  EXPECT_EQ(all[2].succeeded, 1);

  auto buys = list_journal(*m_store, OperationFilter{0, OperationKind::buy, std::nullopt});
  EXPECT_EQ(buys.size(), 2U);
  auto stopped =
      list_journal(*m_store, OperationFilter{0, std::nullopt, OperationStatus::interrupted});
  ASSERT_EQ(stopped.size(), 1U);
  EXPECT_EQ(stopped[0].operation.id, interrupted.operation_id);
  EXPECT_EQ(list_journal(*m_store, OperationFilter{1, std::nullopt, std::nullopt}).size(), 1U);
  EXPECT_EQ(kind_of([&] {
              (void)list_journal(*m_store, OperationFilter{-1, {}, {}});
            }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { (void)show_operation(*m_store, "op-ffffffffffff"); }),
            ErrorKind::not_found);
}

} // namespace
} // namespace vami
