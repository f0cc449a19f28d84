// Tenants on their own accounts (issue 12 item 5): the use cases act on a tenant's agents in the
// account of its tenant (AgentProviders::of / for_tenant), and reconcile reads every account in
// use without taking one account's agents, documents or imports for the other's orphans.
#include <map>

#include "fake_voice_agent_provider.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_providers.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/reconcile_service.hpp>

namespace vami {
namespace {

using test::FakeVoiceAgentProvider;

// One provider ("elevenlabs") in the platform's account and in the account "acme-own", the
// tenants' accounts read from the state database as the CLI's registry reads them.
class TwoAccounts final : public AgentProviders {
public:
  TwoAccounts(FakeVoiceAgentProvider& platform, FakeVoiceAgentProvider& own, StateStore& store)
      : m_platform(platform), m_own(own), m_store(store) {}

  VoiceAgentProvider& named(const std::string& name) override {
    if (name != m_platform.name()) {
      throw unknown_agent_provider(name, names());
    }
    return m_platform;
  }
  [[nodiscard]] std::vector<std::string> names() const override { return {m_platform.name()}; }
  [[nodiscard]] std::string default_name() const override { return m_platform.name(); }
  [[nodiscard]] std::string account_of(const std::string& tenant_slug) override {
    const std::optional<Tenant> tenant = m_store.find_tenant(tenant_slug);
    return tenant ? tenant->account_profile : std::string();
  }
  [[nodiscard]] std::vector<std::string> accounts() override { return {"", "acme-own"}; }
  VoiceAgentProvider& in_account(const std::string& name, const std::string& account) override {
    VoiceAgentProvider& platform = named(name);
    if (account.empty()) {
      return platform;
    }
    if (account != "acme-own") {
      throw Error(ErrorKind::not_found, "no account " + account);
    }
    return m_own;
  }

private:
  FakeVoiceAgentProvider& m_platform;
  FakeVoiceAgentProvider& m_own;
  StateStore& m_store;
};

class TenantAccountsTest : public test::ServiceTest {
protected:
  TenantAccountsTest() {
    m_own.first_ids_at(5000);
    m_own.link_telephony(
        {[this](const std::string& e164) { return m_telephony.voice_url_of(e164); },
         [this](const std::string& e164, const std::string& url) {
           m_telephony.point(e164, url);
         }});
    Tenant acme;
    acme.slug = "acme";
    acme.name = "Acme Dental";
    acme.account_profile = "acme-own";
    (void)m_store->create_tenant(acme);
    (void)make_tenant("bravo", "Bravo Law");
  }

  Agent create(const std::string& tenant, const std::string& slug) {
    AgentService agents(m_accounts, *m_store, "tester");
    AgentRequest request;
    request.tenant_slug = tenant;
    request.slug = slug;
    request.name = "Desk " + slug;
    request.prompt = "Answer questions about opening hours.";
    return agents.create(request);
  }

  FakeVoiceAgentProvider m_own;
  TwoAccounts m_accounts{m_voice, m_own, *m_store};
};

TEST_F(TenantAccountsTest, ATenantsAgentsAndKnowledgeAreMadeInItsOwnAccountOnly) {
  const Agent own = create("acme", "acme-desk");
  const Agent platform = create("bravo", "bravo-desk");
  EXPECT_EQ(m_own.count("create_agent"), 1);
  EXPECT_EQ(m_voice.count("create_agent"), 1);
  EXPECT_TRUE(m_own.get_agent(own.provider_agent_id).has_value());
  EXPECT_FALSE(m_voice.get_agent(own.provider_agent_id).has_value());
  EXPECT_FALSE(m_own.get_agent(platform.provider_agent_id).has_value());
  m_own.clear_calls();
  m_voice.clear_calls();

  KnowledgeBaseService knowledge(m_accounts, *m_store, "tester");
  (void)knowledge.add_text("acme-desk", "Open 9 to 5.", "hours");
  AgentService agents(m_accounts, *m_store, "tester");
  AgentUpdate change;
  change.first_message = "Hello, Acme Dental!";
  (void)agents.update("acme-desk", change);
  EXPECT_GT(m_own.calls().size(), 0U);
  EXPECT_TRUE(m_voice.calls().empty()) << m_voice.calls().front().method;

  agents.remove("acme-desk");
  EXPECT_EQ(m_own.count("delete_agent"), 1);
  EXPECT_TRUE(m_voice.calls().empty());
}

TEST_F(TenantAccountsTest, ANumberIsImportedIntoTheAccountOfItsAgentsTenant) {
  (void)create("acme", "acme-desk");
  const std::string e164 = buy_numbers(1).front();
  m_own.clear_calls();
  m_voice.clear_calls();
  AssignmentService assignments(m_telephony, m_accounts, *m_store, "tester", "");
  (void)assignments.assign(e164, "acme-desk", RoutingMode::native);
  EXPECT_EQ(m_own.count("import_number"), 1);
  EXPECT_TRUE(m_voice.calls().empty());
  (void)assignments.unassign(e164);
  EXPECT_TRUE(m_voice.calls().empty());
}

TEST_F(TenantAccountsTest, ReconcileReadsEveryAccountAndFindsNoOrphanOrGhostAcrossThem) {
  (void)create("acme", "acme-desk");
  (void)create("bravo", "bravo-desk");
  KnowledgeBaseService knowledge(m_accounts, *m_store, "tester");
  (void)knowledge.add_text("acme-desk", "Open 9 to 5.", "hours");
  (void)knowledge.add_text("bravo-desk", "Open 8 to 4.", "hours");
  const std::vector<std::string> numbers = buy_numbers(2);
  AssignmentService assignments(m_telephony, m_accounts, *m_store, "tester", "");
  (void)assignments.assign(numbers[0], "acme-desk", RoutingMode::native);
  (void)assignments.assign(numbers[1], "bravo-desk", RoutingMode::native);

  ReconcileService service(m_telephony, &m_accounts, *m_store, "tester");
  const ReconcileReport report = service.reconcile(ReconcileMode::report, {});
  for (const Finding& finding : report.findings) {
    EXPECT_EQ(finding.kind, FindingKind::in_sync)
        << to_string(finding.kind) << " " << finding.agent_slug << " " << finding.e164;
  }
  EXPECT_EQ(report.counts.at(FindingKind::in_sync), 2);
}

} // namespace
} // namespace vami
