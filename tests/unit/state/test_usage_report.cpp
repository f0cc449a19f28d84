// The usage report against every store implementation (store_backend.hpp): figures computed by hand
// (see each comment), in micros.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store_backend.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/usage_report.hpp>

namespace vami {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class UsageReportTest : public testing::StoreBackendTest {
protected:
  void SetUpState() override {
    m_store = m_backend->open();
    Operation buy;
    buy.id = "op-000000000001";
    buy.actor = "alice";
    m_store->create_operation(buy);
    for (const char* slug : {"acme", "globex"}) {
      Tenant tenant;
      tenant.slug = slug;
      tenant.name = slug;
      (void)m_store->create_tenant(tenant);
    }
    add_agent("front-desk", "acme");
    add_agent("dr-smith", "acme");
    add_agent("reception", "globex");

    // A: held all November, acme/front-desk: 1.15.
    buy_number("+12125550101", 1'150'000, "2026-10-15T00:00:00Z");
    assign("+12125550101", "front-desk");
    // B: from Nov 16 (15 of 30 days), acme/dr-smith: 1.15 * 15/30 = 0.575.
    buy_number("+12125550102", 1'150'000, "2026-11-16T00:00:00Z");
    assign("+12125550102", "dr-smith");
    // C: Nov 1 to its release on Nov 11 (10 days), nobody's: 2.00 * 10/30 = 0.6666667 -> 0.666667.
    buy_number("+12125550103", 2'000'000, "2026-11-01T00:00:00Z");
    (void)m_store->begin_release("+12125550103");
    m_store->complete_release("+12125550103");
    m_backend->execute("UPDATE numbers SET released_at = '2026-11-11T00:00:00Z' WHERE e164 = "
                       "'+12125550103'");
    // D: from Nov 21 12:00 (820800 of 2592000 s), globex: 1.15 * 0.3166667 = 0.364167.
    buy_number("+12125550104", 1'150'000, "2026-11-21T12:00:00Z");
    assign("+12125550104", "reception");
    // E: bought after the period: not counted.
    buy_number("+12125550105", 1'150'000, "2026-12-02T00:00:00Z");

    add_call("CA1", "acme", "front-desk", "+12125550101", "2026-11-02T10:00:00Z", 95, 17'000,
             123'400);
    add_call("CA2", "acme", "dr-smith", "+12125550102", "2026-11-20T10:00:00Z", 60, 8'500, 50'000);
    // Recorded with ElevenLabs' agent id only: counted for reception and globex.
    add_call("CA3", "", "", "+12125550104", "2026-11-25T10:00:00Z", 121, 25'500, 200'000,
             "agent_reception");
    add_call("CA4", "acme", "front-desk", "+12125550101", "2026-10-31T23:59:59Z", 300, 50'000,
             90'000); // Before the period.
    add_call("CA5", "acme", "front-desk", "+12125550101", "2026-11-03T10:00:00Z", 0, -1,
             -1); // Not answered: no cost.
  }

  void TearDown() override {
    m_store.reset();
    testing::StoreBackendTest::TearDown();
  }

  void add_agent(const std::string& slug, const std::string& tenant) {
    Agent agent;
    agent.slug = slug;
    agent.tenant_slug = tenant;
    agent.name = slug;
    agent.provider_agent_id = "agent_" + slug;
    (void)m_store->insert_agent(agent);
  }

  void buy_number(const std::string& e164, std::int64_t price, const std::string& bought_at) {
    PurchaseIntent intent;
    intent.e164 = e164;
    intent.operation_id = "op-000000000001";
    intent.country = "US";
    m_store->insert_purchase_intent(intent);
    OwnedNumber owned;
    owned.e164 = e164;
    owned.provider_sid = "PN" + e164.substr(1);
    (void)m_store->complete_purchase(e164, owned, Money{price, "USD"});
    m_backend->execute("UPDATE numbers SET created_at = ? WHERE e164 = ?", {bought_at, e164});
  }

  void assign(const std::string& e164, const std::string& agent) {
    (void)m_store->assign_number(e164, {agent, RoutingMode::native});
    m_store->end_routing_change(e164);
  }

  void add_call(const std::string& sid, const std::string& tenant, const std::string& agent,
                const std::string& number, const std::string& at, std::int64_t seconds,
                std::int64_t telephony, std::int64_t agent_cost,
                const std::string& provider_agent_id = {}) {
    CallRecord call;
    call.call_sid = sid;
    call.tenant_slug = tenant;
    call.agent_slug = agent;
    call.provider_agent_id = provider_agent_id;
    call.number = number;
    call.started_at = at;
    call.duration_seconds = seconds;
    call.status = seconds > 0 ? CallStatus::completed : CallStatus::no_answer;
    if (telephony >= 0) {
      call.telephony_cost = Money{telephony, "USD"};
    }
    if (agent_cost >= 0) {
      call.agent_cost = Money{agent_cost, "USD"};
    }
    (void)m_store->upsert_call(call);
  }

  UsageQuery november(UsageGrouping by = UsageGrouping::tenant) const {
    UsageQuery query;
    query.since = "2026-11-01T00:00:00Z";
    query.until = "2026-12-01T00:00:00Z";
    query.by = by;
    return query;
  }

  static constexpr std::int64_t k_now = 1'796'428'800; // 2026-12-05T00:00:00Z

  std::unique_ptr<StateStore> m_store;
};

TEST_P(UsageReportTest, ByTenantProratesNumbersAndAddsUpCalls) {
  ASSERT_EQ(utc_iso8601(k_now), "2026-12-05T00:00:00Z");
  const UsageReport report = usage_report(*m_store, november(), k_now);
  EXPECT_EQ(report.currency, "USD");
  ASSERT_EQ(report.rows.size(), 3U);

  const UsageRow& pool = report.rows[0]; // C only.
  EXPECT_EQ(pool.key, "");
  EXPECT_EQ(pool.numbers, 1);
  EXPECT_EQ(pool.number_month_micros, 333'333);
  EXPECT_EQ(pool.number_cost_micros, 666'667);
  EXPECT_EQ(pool.calls, 0);
  EXPECT_EQ(pool.total_cost_micros, 666'667);

  const UsageRow& acme = report.rows[1];
  EXPECT_EQ(acme.key, "acme");
  EXPECT_EQ(acme.tenant_slug, "acme");
  EXPECT_EQ(acme.numbers, 2);
  EXPECT_EQ(acme.number_month_micros, 1'500'000);
  EXPECT_EQ(acme.number_cost_micros, 1'725'000); // 1.15 + 0.575
  EXPECT_EQ(acme.calls, 3);                      // CA1, CA2, CA5
  EXPECT_EQ(acme.seconds, 155);
  EXPECT_EQ(acme.minutes, 3); // 95 s -> 2, 60 s -> 1, 0 s -> 0
  EXPECT_EQ(acme.telephony_cost_micros, 25'500);
  EXPECT_EQ(acme.agent_cost_micros, 173'400);
  EXPECT_EQ(acme.total_cost_micros, 1'923'900);
  EXPECT_FALSE(acme.bill_micros);

  const UsageRow& globex = report.rows[2];
  EXPECT_EQ(globex.key, "globex");
  EXPECT_EQ(globex.numbers, 1);
  EXPECT_EQ(globex.number_month_micros, 316'667);
  EXPECT_EQ(globex.number_cost_micros, 364'167);
  EXPECT_EQ(globex.calls, 1);
  EXPECT_EQ(globex.minutes, 3); // 121 s
  EXPECT_EQ(globex.total_cost_micros, 589'667);

  EXPECT_EQ(report.total.numbers, 4);
  EXPECT_EQ(report.total.number_cost_micros, 2'755'834);
  EXPECT_EQ(report.total.calls, 4);
  EXPECT_EQ(report.total.seconds, 276);
  EXPECT_EQ(report.total.minutes, 6);
  EXPECT_EQ(report.total.telephony_cost_micros, 51'000);
  EXPECT_EQ(report.total.agent_cost_micros, 373'400);
  EXPECT_EQ(report.total.total_cost_micros, 3'180'234);
  EXPECT_EQ(report.calls_without_cost, 0);
  EXPECT_EQ(report.numbers_without_price, 0);
}

TEST_P(UsageReportTest, RatesGiveTheBillAndTheMargin) {
  UsageQuery query = november();
  query.rate_number_micros = 2'000'000; // 2.00 per number per month
  query.rate_minute_micros = 100'000;   // 0.10 per minute
  const UsageReport report = usage_report(*m_store, query, k_now);
  ASSERT_EQ(report.rows.size(), 3U);
  EXPECT_EQ(report.rows[0].bill_micros, 666'666); // 2.00 * 0.333333
  EXPECT_EQ(report.rows[0].margin_micros, -1);
  EXPECT_EQ(report.rows[1].bill_micros, 3'300'000); // 2.00 * 1.5 + 0.10 * 3
  EXPECT_EQ(report.rows[1].margin_micros, 1'376'100);
  EXPECT_EQ(report.rows[2].bill_micros, 933'334); // 2.00 * 0.316667 + 0.10 * 3
  EXPECT_EQ(report.rows[2].margin_micros, 343'667);
  EXPECT_EQ(report.total.bill_micros, 4'900'000);
  EXPECT_EQ(report.total.margin_micros, 1'719'766);
}

TEST_P(UsageReportTest, StoredTenantRatesBillTheirRowsWhenNoRateIsGiven) {
  TenantChange rates;
  rates.rate_number_micros = std::optional<std::int64_t>(2'000'000); // 2.00 per number-month
  rates.rate_minute_micros = std::optional<std::int64_t>(100'000);   // 0.10 per minute
  (void)m_store->update_tenant("acme", rates);
  const UsageReport report = usage_report(*m_store, november(), k_now);
  ASSERT_EQ(report.rows.size(), 3U);
  EXPECT_FALSE(report.rows[0].bill_micros);         // the pool's: no tenant, no rates
  EXPECT_EQ(report.rows[1].bill_micros, 3'300'000); // acme: 2.00 * 1.5 + 0.10 * 3
  EXPECT_EQ(report.rows[1].margin_micros, 1'376'100);
  EXPECT_TRUE(report.rows[1].stored_rates);
  EXPECT_FALSE(report.rows[2].bill_micros); // globex stores none
  EXPECT_EQ(report.total.bill_micros, 3'300'000);
  EXPECT_EQ(report.total.margin_micros, 1'376'100);

  // By agent, each of acme's agents is billed at acme's rates.
  const UsageReport agents = usage_report(*m_store, november(UsageGrouping::agent), k_now);
  EXPECT_EQ(agents.rows[1].key, "dr-smith");
  EXPECT_EQ(agents.rows[1].bill_micros, 1'100'000); // 2.00 * 0.5 + 0.10 * 1
  EXPECT_FALSE(agents.rows[3].bill_micros);         // reception, globex's

  // Rates on the command line win, for every row.
  UsageQuery given = november();
  given.rate_minute_micros = 1'000'000;
  const UsageReport overridden = usage_report(*m_store, given, k_now);
  EXPECT_EQ(overridden.rows[1].bill_micros, 3'000'000); // 1.00 * 3 minutes, no number rate
  EXPECT_FALSE(overridden.rows[1].stored_rates);
  EXPECT_EQ(overridden.rows[2].bill_micros, 3'000'000);
}

TEST_P(UsageReportTest, AStoredRateOfZeroOrLeftOutBillsNothingForIt) {
  TenantChange minutes_only;
  minutes_only.rate_minute_micros = std::optional<std::int64_t>(0);
  (void)m_store->update_tenant("globex", minutes_only);
  const UsageReport report = usage_report(*m_store, november(), k_now);
  EXPECT_EQ(report.rows[2].bill_micros, 0); // billed, at nothing: the margin is the loss
  EXPECT_EQ(report.rows[2].margin_micros, -589'667);
  EXPECT_TRUE(report.rows[2].stored_rates);
  EXPECT_FALSE(report.rows[1].bill_micros); // acme stores none
  EXPECT_EQ(report.total.bill_micros, 0);
  EXPECT_EQ(report.total.margin_micros, -589'667);
}

TEST_P(UsageReportTest, AStoredRateInAnotherCurrencyIsRefusedNamingTheTenant) {
  TenantChange euros;
  euros.rate_minute_micros = std::optional<std::int64_t>(100'000);
  euros.rate_currency = "EUR";
  (void)m_store->update_tenant("globex", euros);
  try {
    (void)usage_report(*m_store, november(), k_now);
    FAIL() << "expected invalid_input";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_THAT(error.what(), HasSubstr("tenant \"globex\" is billed in EUR"));
    EXPECT_THAT(error.what(), HasSubstr("in USD"));
    EXPECT_THAT(error.hint(), HasSubstr("vami tenants update globex --rate-currency USD"));
  }
  // Another tenant's report, or rates given for every row, are not affected.
  UsageQuery acme = november();
  acme.tenant_slug = "acme";
  EXPECT_EQ(usage_report(*m_store, acme, k_now).rows.size(), 1U);
  UsageQuery given = november();
  given.rate_minute_micros = 100'000;
  EXPECT_EQ(usage_report(*m_store, given, k_now).rows[2].bill_micros, 300'000);
}

TEST_P(UsageReportTest, ALargeRateIsBilledExactly) {
  UsageQuery query = november();
  query.rate_number_micros = 10'000'000'000'000; // 10,000,000.00 per number-month
  const UsageReport report = usage_report(*m_store, query, k_now);
  // acme holds 1.5 number-months; rate * 1'500'000 micros overflows 63 bits if multiplied
  // before dividing.
  EXPECT_EQ(report.rows[1].bill_micros, 15'000'000'000'000);
  EXPECT_EQ(report.rows[0].bill_micros, 3'333'330'000'000); // 0.333333 number-month
  EXPECT_EQ(report.total.bill_micros, 21'500'000'000'000);  // + globex's 0.316667
}

TEST_P(UsageReportTest, ABillBeyond63BitsIsRefusedNotWrapped) {
  for (bool per_minute : {false, true}) {
    UsageQuery query = november();
    if (per_minute) {
      query.rate_minute_micros = 4'000'000'000'000'000'000; // * acme's 3 minutes
    } else {
      query.rate_number_micros = 900'000'000'000'000'000; // * 0.333333 number-month
    }
    try {
      (void)usage_report(*m_store, query, k_now);
      FAIL() << "expected invalid_input";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
      EXPECT_THAT(error.what(), HasSubstr("too large"));
    }
  }
}

TEST_P(UsageReportTest, ByNumberAndByAgentAndForOneTenant) {
  const UsageReport numbers = usage_report(*m_store, november(UsageGrouping::number), k_now);
  ASSERT_EQ(numbers.rows.size(), 4U);
  EXPECT_EQ(numbers.rows[0].key, "+12125550101");
  EXPECT_EQ(numbers.rows[0].calls, 2);
  EXPECT_EQ(numbers.rows[0].number_cost_micros, 1'150'000);
  EXPECT_EQ(numbers.rows[3].key, "+12125550104");
  EXPECT_EQ(numbers.rows[3].tenant_slug, "globex");
  EXPECT_EQ(numbers.rows[3].agent_cost_micros, 200'000);

  const UsageReport agents = usage_report(*m_store, november(UsageGrouping::agent), k_now);
  ASSERT_EQ(agents.rows.size(), 4U); // "", dr-smith, front-desk, reception
  EXPECT_EQ(agents.rows[1].key, "dr-smith");
  EXPECT_EQ(agents.rows[1].number_cost_micros, 575'000);
  EXPECT_EQ(agents.rows[3].key, "reception");
  EXPECT_EQ(agents.rows[3].calls, 1);

  UsageQuery acme = november();
  acme.tenant_slug = "acme";
  const UsageReport one = usage_report(*m_store, acme, k_now);
  ASSERT_EQ(one.rows.size(), 1U);
  EXPECT_EQ(one.total.total_cost_micros, 1'923'900);
}

TEST_P(UsageReportTest, APeriodInProgressCountsNumbersUntilNow) {
  UsageQuery query = november();
  query.until = "2027-01-01T00:00:00Z";
  // Now is Nov 16: A holds 15 of November's 30 days: 0.575.
  const UsageReport report = usage_report(*m_store, query, k_now - 19 * 86'400);
  EXPECT_EQ(report.rows[1].key, "acme");
  EXPECT_EQ(report.rows[1].number_cost_micros, 575'000);
}

TEST_P(UsageReportTest, AnEmptyPeriodOrMixedCurrenciesAreRefused) {
  UsageQuery reversed = november();
  reversed.until = reversed.since;
  EXPECT_THROW((void)usage_report(*m_store, reversed, k_now), Error);

  CallRecord euros;
  euros.call_sid = "CA9";
  euros.started_at = "2026-11-05T00:00:00Z";
  euros.agent_cost = Money{1, "EUR"};
  (void)m_store->upsert_call(euros);
  try {
    (void)usage_report(*m_store, november(), k_now);
    FAIL() << "expected invalid_input";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_THAT(error.what(), HasSubstr("USD and EUR"));
  }
}

TEST(UsageClock, MonthStartsAndIsoTimes) {
  EXPECT_EQ(unix_of_iso8601("1970-01-01T00:01:00Z"), 60);
  EXPECT_THROW((void)unix_of_iso8601("2026-11-01"), Error);
  EXPECT_THROW((void)unix_of_iso8601("2026-02-30T00:00:00Z"), Error);
  const std::int64_t mid_december = unix_of_iso8601("2026-12-15T10:00:00Z");
  EXPECT_EQ(month_start_iso8601(mid_december), "2026-12-01T00:00:00Z");
  EXPECT_EQ(month_start_iso8601(mid_december, 1), "2027-01-01T00:00:00Z");
}

VAMI_STORE_BACKENDS(UsageReportTest);

} // namespace
} // namespace vami
