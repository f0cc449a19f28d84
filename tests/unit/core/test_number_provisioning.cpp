#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/number_provisioning.hpp>
#include <vami/core/onboarding_service.hpp>

namespace vami {
namespace {

using test::contains;
using test::error_of;
using test::kind_of;

constexpr const char* k_router = "https://router.example.com/voice";

// An empty pool over the fake account (212 and 646, New York, 40 numbers each), an agent to
// assign to, and the onboarding and provisioning use cases.
class ProvisioningTest : public test::ServiceTest {
protected:
  ProvisioningTest()
      : m_provisioning(m_telephony, m_voice_agents, *m_store, "tester", k_router),
        m_onboarding(m_telephony, m_voice_agents, *m_store, "tester", k_router) {}

  OnboardRequest request(const std::string& area_code) {
    OnboardRequest request;
    request.tenant.slug = "acme";
    request.tenant.name = "Acme Dental";
    request.pick.area_code = area_code;
    request.agent.name = "Front Desk";
    request.agent.prompt = "Book dental appointments.";
    request.buy_if_needed = BuyIfNeeded{};
    return request;
  }

  OnboardResult onboard(const OnboardRequest& request) {
    return m_onboarding.onboard(request, [&](const std::string& step, const std::string& what) {
      m_steps.emplace_back(step, what);
    });
  }

  std::vector<Operation> operations(OperationKind kind) {
    std::vector<Operation> found;
    for (const Operation& operation : m_store->list_operations(0)) {
      if (operation.kind == kind) {
        found.push_back(operation);
      }
    }
    return found;
  }

  NumberProvisioning m_provisioning;
  OnboardingService m_onboarding;
  std::vector<std::pair<std::string, std::string>> m_steps;
};

TEST_F(ProvisioningTest, OnboardingBuysANumberWhenThePoolHasNone) {
  // Without --buy-if-needed: the conflict of today, which names the way out.
  OnboardRequest refused = request("212");
  refused.buy_if_needed.reset();
  Error error = error_of([&] { onboard(refused); });
  EXPECT_EQ(error.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(error.hint(), "--buy-if-needed")) << error.hint();
  EXPECT_EQ(m_telephony.count("buy"), 0);

  OnboardResult result = onboard(request("212"));
  EXPECT_EQ(result.number.e164.substr(0, 5), "+1212");
  EXPECT_EQ(result.number.status, NumberStatus::assigned);
  EXPECT_EQ(result.number.agent_slug, "front-desk");
  // Bought through the journaled, tagged path of `numbers buy`.
  EXPECT_EQ(m_telephony.count("buy"), 1);
  std::vector<Operation> buys = operations(OperationKind::buy);
  ASSERT_EQ(buys.size(), 1U);
  EXPECT_EQ(result.bought_operation_id, buys[0].id);
  EXPECT_EQ(buys[0].status, OperationStatus::completed);
  EXPECT_EQ(buys[0].requested_count, 1);
  EXPECT_EQ(m_telephony.owned().at(result.number.e164).friendly_name, "vami:default:" + buys[0].id);
  EXPECT_EQ(result.number.operation_id, buys[0].id);
  std::vector<std::string> steps;
  for (const auto& [step, what] : m_steps) {
    steps.push_back(step);
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"tenant", "agent", "knowledge", "bought", "number"}));
}

TEST_F(ProvisioningTest, AFreePoolNumberIsTakenRatherThanBought) {
  std::vector<std::string> pool = buy_numbers(1, "212");
  const int bought_before = m_telephony.count("buy");
  OnboardResult result = onboard(request("212"));
  EXPECT_EQ(result.number.e164, pool[0]);
  EXPECT_TRUE(result.bought_operation_id.empty());
  EXPECT_EQ(m_telephony.count("buy"), bought_before);
}

TEST_F(ProvisioningTest, FallsBackToANearbyAreaCode) {
  m_telephony.sell_out("212");
  OnboardResult result = onboard(request("212"));
  // 646 overlays 212 in New York.
  EXPECT_EQ(result.number.e164.substr(0, 5), "+1646");
  EXPECT_EQ(result.number.status, NumberStatus::assigned);
}

TEST_F(ProvisioningTest, NothingIsCreatedWhenNoNumberIsForSaleOrItCostsTooMuch) {
  OnboardRequest expensive = request("212");
  expensive.buy_if_needed->max_monthly_price_micros = 1'000'000; // the fake charges 1.15
  EXPECT_EQ(kind_of([&] { onboard(expensive); }), ErrorKind::conflict);
  m_telephony.sell_out("212");
  m_telephony.sell_out("646");
  EXPECT_EQ(kind_of([&] { onboard(request("212")); }), ErrorKind::conflict);
  EXPECT_FALSE(m_store->find_tenant("acme").has_value());
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_EQ(m_telephony.count("buy"), 0);
  EXPECT_TRUE(operations(OperationKind::buy).empty());
}

TEST_F(ProvisioningTest, AFailedAssignmentReleasesTheBoughtNumber) {
  m_voice.fail_next("set_number_agent", {ErrorKind::provider, false});
  EXPECT_EQ(kind_of([&] { onboard(request("212")); }), ErrorKind::provider);
  EXPECT_FALSE(m_store->find_tenant("acme").has_value());
  EXPECT_TRUE(m_voice.agents().empty());
  // Bought, then released through the journal: the platform no longer pays for it.
  ASSERT_EQ(m_telephony.count("buy"), 1);
  EXPECT_TRUE(m_telephony.owned().empty());
  std::vector<Operation> releases = operations(OperationKind::release);
  ASSERT_EQ(releases.size(), 1U);
  EXPECT_EQ(releases[0].status, OperationStatus::completed);
  std::vector<OperationItem> items = m_store->list_items(releases[0].id);
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(row(items[0].e164).status, NumberStatus::released);
}

TEST_F(ProvisioningTest, AFailedReleaseIsUncertainAndNamesTheNumber) {
  m_voice.fail_next("set_number_agent", {ErrorKind::provider, false});
  m_telephony.fail_next("release", {ErrorKind::provider, false});
  Error error = error_of([&] { onboard(request("212")); });
  EXPECT_EQ(error.kind(), ErrorKind::uncertain) << error.what();
  ASSERT_EQ(m_telephony.owned().size(), 1U);
  const std::string e164 = m_telephony.owned().begin()->first;
  EXPECT_TRUE(contains(error.what(), e164)) << error.what();
  EXPECT_TRUE(contains(error.hint(), "vami numbers release " + e164)) << error.hint();
  EXPECT_EQ(row(e164).status, NumberStatus::available);
}

TEST_F(ProvisioningTest, AssignPickBuysOnlyWhenThePoolHasNone) {
  make_tenant("acme");
  make_agent("acme", "front-desk");
  ProvisionedNumber bought =
      m_provisioning.assign_pick({"646", ""}, "front-desk", RoutingMode::native, {});
  EXPECT_TRUE(bought.bought);
  EXPECT_FALSE(bought.operation_id.empty());
  EXPECT_EQ(bought.number.e164.substr(0, 5), "+1646");
  EXPECT_EQ(bought.number.status, NumberStatus::assigned);

  std::vector<std::string> pool = buy_numbers(1, "212");
  const int bought_before = m_telephony.count("buy");
  ProvisionedNumber picked =
      m_provisioning.assign_pick({"212", ""}, "front-desk", RoutingMode::native, {});
  EXPECT_FALSE(picked.bought);
  EXPECT_EQ(picked.number.e164, pool[0]);
  EXPECT_EQ(m_telephony.count("buy"), bought_before);
}

TEST_F(ProvisioningTest, AssignPickChecksTheAgentBeforeBuying) {
  EXPECT_EQ(kind_of([&] {
              m_provisioning.assign_pick({"212", ""}, "nobody", RoutingMode::native, {});
            }),
            ErrorKind::not_found);
  make_tenant("acme");
  make_agent("acme", "front-desk");
  NumberProvisioning no_router(m_telephony, m_voice_agents, *m_store, "tester", "");
  EXPECT_EQ(kind_of([&] {
              no_router.assign_pick({"212", ""}, "front-desk", RoutingMode::webhook, {});
            }),
            ErrorKind::invalid_input);
  EXPECT_EQ(m_telephony.count("buy"), 0);
  EXPECT_EQ(m_telephony.count("search_available"), 0);
}

TEST_F(ProvisioningTest, AssignPickReleasesWhatItBoughtWhenTheAssignmentFails) {
  make_tenant("acme");
  make_agent("acme", "front-desk");
  m_voice.fail_next("import_number", {ErrorKind::provider, false});
  EXPECT_EQ(kind_of([&] {
              m_provisioning.assign_pick({"212", ""}, "front-desk", RoutingMode::native, {});
            }),
            ErrorKind::provider);
  EXPECT_EQ(m_telephony.count("buy"), 1);
  EXPECT_EQ(m_telephony.count("release"), 1);
  EXPECT_TRUE(m_telephony.owned().empty());
  EXPECT_EQ(operations(OperationKind::release).size(), 1U);
}

TEST_F(ProvisioningTest, ASoldOutAreaCodeCostsOneSearch) {
  m_telephony.sell_out("212");
  std::optional<ProvisionPlan> plan = m_provisioning.plan({"212", ""}, {});
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->purchase.numbers.size(), 1U);
  std::vector<std::string> searched;
  for (const auto& call : m_telephony.calls()) {
    if (call.method == "search_available") {
      searched.push_back(call.argument);
    }
  }
  // One search of 212 says it is empty; no partition of it is searched.
  ASSERT_FALSE(searched.empty());
  EXPECT_EQ(searched.front(), "212|");
  EXPECT_EQ(std::count_if(searched.begin(), searched.end(),
                          [](const std::string& s) { return s.rfind("212|", 0) == 0; }),
            1);
}

} // namespace
} // namespace vami
