#include <set>

#include "fake_telephony_provider.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/pool_service.hpp>

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
  auto view = m_pool.show_webhook(e164);
  EXPECT_TRUE(view.in_sync);
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

// Whatever call fails and however, a number the account paid for is never unknown locally.
TEST(PoolServiceFaultSweep, NoPaidNumberIsEverLost) {
  const std::vector<FakeTelephonyProvider::Fault> faults{{ErrorKind::unavailable, false},
                                                         {ErrorKind::unavailable, true},
                                                         {ErrorKind::rate_limited, false},
                                                         {ErrorKind::provider, false},
                                                         {ErrorKind::auth, false}};
  int scenarios = 0;
  for (int n = 1; n <= 12; ++n) {
    for (const auto& fault : faults) {
      testing::TempDir dir;
      FakeTelephonyProvider provider({"212"}, 60);
      auto store = open_sqlite_state_store(dir / "vami.db");
      PoolService pool(provider, *store, "sweep");
      provider.fail_at(n, fault);
      BuyRequest request;
      request.count = 3;
      request.area_codes = {"212"};
      try {
        auto plan = pool.plan_purchase(request);
        (void)pool.buy(request, plan, {}, {});
      } catch (const Error&) {
        // The command may fail; the invariant below must hold anyway.
      }
      for (const auto& [e164, owned] : provider.owned()) {
        auto row = store->find_number(e164);
        ASSERT_TRUE(row.has_value()) << "lost " << e164 << " (fault at call " << n << ")";
        EXPECT_TRUE(row->status == NumberStatus::available ||
                    row->status == NumberStatus::purchasing)
            << e164;
      }
      EXPECT_LE(provider.owned().size(), 3U);
      ++scenarios;
    }
  }
  EXPECT_EQ(scenarios, 60);
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
