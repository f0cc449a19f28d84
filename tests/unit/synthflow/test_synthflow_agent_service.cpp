// Look before retrying a create (DESIGN.md section 3, rule 3) with the Synthflow client: core's
// AgentService, over SynthflowProvider over a fake HTTP client, finds an agent whose creation
// answer was lost by the `vami-agent:<slug>` tag the description marker carries, and never
// creates it twice.
#include <memory>

#include "synthflow_test_support.hpp"
#include "temp_dir.hpp"

#include <vami/core/agent_providers.hpp>
#include <vami/core/agent_service.hpp>
#include <vami/core/state_store.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami::synthflow::test_support {
namespace {

class SynthflowAgentServiceTest : public ::testing::Test {
protected:
  SynthflowAgentServiceTest() : store(open_sqlite_state_store(dir / "vami.db")) {
    Tenant tenant;
    tenant.slug = "acme";
    tenant.name = "Acme Dental";
    tenant.industry = "dental";
    store->create_tenant(tenant);
  }

  Agent create() {
    SingleAgentProvider synthflow(*f.provider);
    AgentService agents(synthflow, *store, "tester");
    AgentRequest request;
    request.tenant_slug = "acme";
    request.slug = "front-desk";
    request.name = "Front Desk";
    request.prompt = "Book appointments.";
    return agents.create(request);
  }

  [[nodiscard]] int posts() const {
    int count = 0;
    for (const std::string& call : calls_of(f.http)) {
      count += call == "POST /assistants" ? 1 : 0;
    }
    return count;
  }

  vami::testing::TempDir dir;
  std::unique_ptr<StateStore> store;
  Fixture f;
};

TEST_F(SynthflowAgentServiceTest, ALostCreateAnswerIsFoundByTheMarkerNotCreatedTwice) {
  f.http.fail_at(1, test::HttpFault::timeout);
  json made =
      agent_item("m-7", "Front Desk", marker("vami vami-agent:front-desk vami-tenant:acme"));
  f.http.push_response(200,
                       page("assistants", json::array({agent_item("m-1", "Front Desk"), made}), 2));
  Agent agent = create();
  EXPECT_EQ(agent.provider_agent_id, "m-7");
  EXPECT_EQ(agent.status, AgentStatus::active);
  EXPECT_EQ(agent.provider, "synthflow");
  EXPECT_EQ(posts(), 1);
  EXPECT_EQ(calls_of(f.http), (std::vector<std::string>{"POST /assistants", "GET /assistants/"}));
}

TEST_F(SynthflowAgentServiceTest, ALostCreateThatNeverHappenedFailsWithoutASecondCreate) {
  f.http.fail_at(1, test::HttpFault::timeout);
  f.http.push_response(200, page("assistants", json::array(), 0));
  Error error = error_of([&] { (void)create(); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  EXPECT_EQ(posts(), 1);
  EXPECT_FALSE(store->find_agent("front-desk").has_value());
}

} // namespace
} // namespace vami::synthflow::test_support
