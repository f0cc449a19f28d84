// Synthflow agents' own webhooks (inbound and post-call) reach the router without another
// `vami router setup`: agents create and update set them when the router is known, reconcile
// finds and repairs agents whose webhooks are not the router's, and router setup runs on a
// platform without ElevenLabs credentials. Fake providers, a real state database.
#include <optional>
#include <string>
#include <vector>

#include "named_agent_providers.hpp"
#include "provider_capabilities.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/router_setup_service.hpp>

namespace vami {
namespace {

constexpr const char* k_router_url = "https://calls.example.com/twilio/voice";
constexpr const char* k_inbound = "https://calls.example.com/synthflow/inbound";
constexpr const char* k_post_call = "https://calls.example.com/synthflow/post-call";

/// The ElevenLabs provider of a platform without its key: `named("elevenlabs")` throws what the
/// CLI's registry throws then (Error(auth)).
class WithoutElevenLabs final : public AgentProviders {
public:
  explicit WithoutElevenLabs(AgentProviders& others) : m_others(others) {}
  VoiceAgentProvider& named(const std::string& name) override {
    if (name == "elevenlabs") {
      throw Error(ErrorKind::auth, "ELEVENLABS_API_KEY is not set");
    }
    return m_others.named(name);
  }
  [[nodiscard]] std::vector<std::string> names() const override { return m_others.names(); }
  [[nodiscard]] std::string default_name() const override { return "synthflow"; }

private:
  AgentProviders& m_others;
};

class SynthflowAgentWebhooksTest : public test::ServiceTest {
protected:
  SynthflowAgentWebhooksTest() {
    m_synthflow.act_as("synthflow", test::synthflow_capabilities());
    m_providers.add(m_voice);
    m_providers.add(m_synthflow);
    make_tenant("acme");
  }

  Agent create(const std::string& slug, const std::string& provider,
               const std::string& router_url) {
    AgentService agents(m_providers, *m_store, "tester", router_url);
    AgentRequest request;
    request.tenant_slug = "acme";
    request.slug = slug;
    request.name = slug;
    request.provider = provider;
    return agents.create(request);
  }

  AgentDefinition at_synthflow(const Agent& agent) {
    std::optional<ProviderAgent> found = m_synthflow.get_agent(agent.provider_agent_id);
    EXPECT_TRUE(found);
    return found ? found->definition : AgentDefinition{};
  }

  ReconcileReport reconcile(ReconcileMode mode, const std::string& router_url) {
    ReconcileService service(m_telephony, &m_providers, *m_store, "tester", k_in_flight_grace,
                             router_url);
    return service.reconcile(mode);
  }

  static std::vector<Finding> of_kind(const ReconcileReport& report, FindingKind kind) {
    std::vector<Finding> found;
    for (const Finding& finding : report.findings) {
      if (finding.kind == kind) {
        found.push_back(finding);
      }
    }
    return found;
  }

  test::FakeVoiceAgentProvider m_synthflow;
  test::NamedAgentProviders m_providers;
};

TEST_F(SynthflowAgentWebhooksTest, CreateGivesASynthflowAgentTheRoutersWebhooksWhenItIsKnown) {
  const Agent pointed = create("sf-desk", "synthflow", k_router_url);
  EXPECT_EQ(at_synthflow(pointed).inbound_webhook_url, k_inbound);
  EXPECT_EQ(at_synthflow(pointed).post_call_webhook_url, k_post_call);

  // No router known, or one that is not vami's (only its voice URL is known): none.
  const Agent none = create("sf-night", "synthflow", "");
  EXPECT_TRUE(at_synthflow(none).inbound_webhook_url.empty());
  const Agent foreign = create("sf-day", "synthflow", "https://other.example.com/voice");
  EXPECT_TRUE(at_synthflow(foreign).post_call_webhook_url.empty());

  // ElevenLabs agents have no webhooks of their own.
  const Agent eleven = create("el-desk", "elevenlabs", k_router_url);
  std::optional<ProviderAgent> at_eleven = m_voice.get_agent(eleven.provider_agent_id);
  ASSERT_TRUE(at_eleven);
  EXPECT_TRUE(at_eleven->definition.inbound_webhook_url.empty());
}

TEST_F(SynthflowAgentWebhooksTest, UpdatePointsTheWebhooksOnlyWhenTheyDiffer) {
  const Agent agent = create("sf-desk", "synthflow", "");
  AgentService agents(m_providers, *m_store, "tester", k_router_url);
  AgentUpdate update;
  update.first_message = "Hello from Acme";
  (void)agents.update("sf-desk", update);
  ASSERT_EQ(m_synthflow.changes().size(), 1U);
  EXPECT_EQ(m_synthflow.changes()[0].second.inbound_webhook_url,
            std::optional<std::string>(k_inbound));
  EXPECT_EQ(m_synthflow.changes()[0].second.post_call_webhook_url,
            std::optional<std::string>(k_post_call));
  EXPECT_EQ(at_synthflow(agent).inbound_webhook_url, k_inbound);

  update.first_message = "Hello again";
  (void)agents.update("sf-desk", update);
  ASSERT_EQ(m_synthflow.changes().size(), 2U);
  EXPECT_FALSE(m_synthflow.changes()[1].second.inbound_webhook_url); // already the router's
  EXPECT_FALSE(m_synthflow.changes()[1].second.post_call_webhook_url);
  EXPECT_EQ(at_synthflow(agent).first_message, "Hello again");
}

TEST_F(SynthflowAgentWebhooksTest, ReconcileFindsAndRepairsWebhooksThatAreNotTheRouters) {
  const Agent agent = create("sf-desk", "synthflow", "");
  (void)create("el-desk", "elevenlabs", "");

  // Without a router URL there is nothing to compare them with.
  EXPECT_TRUE(
      of_kind(reconcile(ReconcileMode::report, ""), FindingKind::agent_webhook_drift).empty());

  ReconcileReport report = reconcile(ReconcileMode::report, k_router_url);
  std::vector<Finding> drift = of_kind(report, FindingKind::agent_webhook_drift);
  ASSERT_EQ(drift.size(), 1U);
  EXPECT_EQ(drift[0].agent_slug, "sf-desk");
  EXPECT_EQ(drift[0].agent_provider, "synthflow");
  EXPECT_EQ(drift[0].subject, Subject::agent);
  EXPECT_EQ(drift[0].stored, k_inbound);
  EXPECT_EQ(drift[0].stored_post_call_url, k_post_call);
  EXPECT_TRUE(drift[0].reported.empty());
  EXPECT_EQ(drift[0].repair, Repair::point_agent_webhooks);
  EXPECT_FALSE(report.settled());
  EXPECT_EQ(report.agents_in_sync, 1); // the ElevenLabs agent

  ReconcileReport applied = reconcile(ReconcileMode::apply, k_router_url);
  drift = of_kind(applied, FindingKind::agent_webhook_drift);
  ASSERT_EQ(drift.size(), 1U);
  EXPECT_EQ(drift[0].resolution, Resolution::repaired);
  EXPECT_EQ(at_synthflow(agent).inbound_webhook_url, k_inbound);
  EXPECT_EQ(at_synthflow(agent).post_call_webhook_url, k_post_call);

  ReconcileReport again = reconcile(ReconcileMode::report, k_router_url);
  EXPECT_TRUE(of_kind(again, FindingKind::agent_webhook_drift).empty());
  EXPECT_TRUE(again.settled());
  EXPECT_EQ(again.agents_in_sync, 2);
}

TEST_F(SynthflowAgentWebhooksTest, RouterSetupWithoutElevenLabsSkipsTheWorkspaceWebhook) {
  const Agent agent = create("sf-desk", "synthflow", "");
  WithoutElevenLabs providers(m_providers);
  RouterSetupService service(m_telephony, providers, *m_store, "tester");
  std::vector<RouterSetupRecord> records;
  RouterSetupMemory memory;
  memory.webhook_id = "wh-earlier";
  RouterSetupReport report =
      service.set_up("https://calls.example.com", memory,
                     [&](const RouterSetupRecord& record) { records.push_back(record); });

  EXPECT_NE(report.post_call_webhook_skipped.find("ELEVENLABS_API_KEY"), std::string::npos);
  EXPECT_FALSE(report.webhook_created);
  ASSERT_EQ(records.size(), 1U); // the router URL is remembered all the same
  EXPECT_EQ(records[0].endpoints.voice_url, k_router_url);
  EXPECT_EQ(records[0].webhook_id, "wh-earlier");
  EXPECT_TRUE(records[0].new_secret.empty());
  EXPECT_TRUE(m_voice.calls_of("list_webhooks").empty());
  ASSERT_EQ(report.agents.size(), 1U);
  EXPECT_EQ(report.agents[0].outcome, RouterNumberOutcome::pointed);
  EXPECT_EQ(at_synthflow(agent).inbound_webhook_url, k_inbound);
  EXPECT_EQ(report.failed(), 0);
}

// Orphans carry the provider that has them, so that their words name it (not "ElevenLabs").
TEST_F(SynthflowAgentWebhooksTest, OrphansAtSynthflowCarryTheirProvider) {
  (void)create("sf-night", "synthflow", ""); // Synthflow is read while an agent is there
  (void)create("sf-desk", "synthflow", "");
  m_store->delete_agent("sf-desk"); // the agent's row lost: an orphan at Synthflow
  (void)m_synthflow.add_document_text("We open at 8.", "vami:sf-desk:k1 hours");

  ReconcileReport report = reconcile(ReconcileMode::report, "");
  std::vector<Finding> agents = of_kind(report, FindingKind::agent_orphan);
  ASSERT_EQ(agents.size(), 1U);
  EXPECT_EQ(agents[0].agent_provider, "synthflow");
  std::vector<Finding> documents = of_kind(report, FindingKind::document_orphan);
  ASSERT_EQ(documents.size(), 1U);
  EXPECT_EQ(documents[0].agent_provider, "synthflow");
}

} // namespace
} // namespace vami
