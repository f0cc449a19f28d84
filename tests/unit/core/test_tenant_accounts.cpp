// Tenants on their own accounts (issue 12 item 5): the use cases act on a tenant's agents in the
// account of its tenant (AgentProviders::of / for_tenant), and reconcile reads every account in
// use without taking one account's agents, documents or imports for the other's orphans.
#include <algorithm>
#include <map>

#include "fake_voice_agent_provider.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_providers.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/call_router.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/monotonic_clock.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/router_setup_service.hpp>

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
    if (m_own_keyless) {
      throw Error(ErrorKind::auth, "profile 'acme-own' has no ELEVENLABS_API_KEY");
    }
    return m_own_is_platform ? platform : m_own;
  }
  /// From now on the account "acme-own" reaches the platform's own workspace (a wrong key).
  void point_own_at_platform() { m_own_is_platform = true; }
  /// From now on the account "acme-own" has no key for the provider.
  void lose_own_key() { m_own_keyless = true; }

private:
  FakeVoiceAgentProvider& m_platform;
  FakeVoiceAgentProvider& m_own;
  StateStore& m_store;
  bool m_own_keyless = false;
  bool m_own_is_platform = false;
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

TEST_F(TenantAccountsTest, VoicesAreListedAndResolvedInTheTenantsOwnAccount) {
  // A voice cloned in the tenant's own account: the platform's catalogue does not have it.
  m_own.add_voice({"own0000000000000000v", "Acme Founder", "cloned", "male", "american", ""});
  AgentService agents(m_accounts, *m_store, "tester");
  auto names = [](const std::vector<Voice>& voices) {
    std::vector<std::string> found;
    for (const Voice& voice : voices) {
      found.push_back(voice.name);
    }
    return found;
  };
  const std::vector<std::string> own = names(agents.voices("", "acme"));
  EXPECT_NE(std::find(own.begin(), own.end(), "Acme Founder"), own.end());
  const std::vector<std::string> platform = names(agents.voices("", "bravo"));
  EXPECT_EQ(std::find(platform.begin(), platform.end(), "Acme Founder"), platform.end());
  EXPECT_EQ(names(agents.voices()), platform);
  EXPECT_EQ(test::kind_of([&] { (void)agents.voices("", "nobody"); }), ErrorKind::not_found);

  // Creating and updating an agent of the tenant resolves its voice there, never at the
  // platform's account.
  m_voice.clear_calls();
  AgentRequest request;
  request.tenant_slug = "acme";
  request.slug = "acme-desk";
  request.name = "Desk";
  request.voice = "Acme Founder";
  const Agent created = agents.create(request);
  EXPECT_EQ(created.voice_id, "own0000000000000000v");
  AgentUpdate change;
  change.voice = "acme founder";
  (void)agents.update("acme-desk", change);
  EXPECT_TRUE(m_voice.calls().empty()) << m_voice.calls().front().method;
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

// --- router setup and the router's owners of webhooks, per account ---------------------------

class TenantAccountsRouterTest : public TenantAccountsTest {
protected:
  RouterSetupReport set_up(RouterSetupMode mode = RouterSetupMode::apply) {
    RouterSetupService service(m_telephony, m_accounts, *m_store, "tester");
    service.remember_accounts_with(
        {[this](const std::string& account) { return m_account_memory[account]; },
         [this](const std::string& account, const RouterSetupRecord& record) {
           m_account_memory[account].webhook_id = record.webhook_id;
           if (!record.new_secret.empty()) {
             m_account_memory[account].webhook_secret = record.new_secret;
           }
         }});
    return service.set_up(
        "https://calls.example.com", m_memory,
        [this](const RouterSetupRecord& record) {
          m_memory.webhook_id = record.webhook_id;
          if (!record.new_secret.empty()) {
            m_memory.webhook_secret = record.new_secret;
          }
        },
        {}, mode);
  }

  RouterSetupMemory m_memory;
  std::map<std::string, RouterSetupMemory> m_account_memory;
};

TEST_F(TenantAccountsRouterTest, RouterSetupMakesEachAccountsPostCallWebhookWithItsOwnSecret) {
  RouterSetupReport plan = set_up(RouterSetupMode::dry_run);
  ASSERT_EQ(plan.accounts.size(), 1U);
  EXPECT_TRUE(plan.accounts[0].post_call.created);
  EXPECT_TRUE(m_own.calls_of("create_webhook").empty()); // a dry run changes nothing
  EXPECT_TRUE(m_account_memory["acme-own"].webhook_id.empty());

  RouterSetupReport report = set_up();
  ASSERT_EQ(report.accounts.size(), 1U);
  const RouterAccountResult& own = report.accounts[0];
  EXPECT_EQ(own.account, "acme-own");
  EXPECT_EQ(own.tenants, std::vector<std::string>{"acme"});
  EXPECT_FALSE(own.failed) << own.error;
  EXPECT_TRUE(own.post_call.created);
  EXPECT_TRUE(own.post_call.attachment_changed);
  // Each workspace has one webhook to the router, attached; each account keeps its own.
  ASSERT_EQ(m_own.list_webhooks().size(), 1U);
  ASSERT_EQ(m_voice.list_webhooks().size(), 1U);
  EXPECT_EQ(m_own.list_webhooks()[0].url, "https://calls.example.com/elevenlabs/post-call");
  EXPECT_EQ(m_own.post_call_webhook().webhook_id, own.post_call.webhook_id);
  EXPECT_EQ(m_voice.post_call_webhook().webhook_id, report.webhook_id);
  EXPECT_EQ(m_account_memory["acme-own"].webhook_id, own.post_call.webhook_id);
  EXPECT_FALSE(m_account_memory["acme-own"].webhook_secret.empty());
  EXPECT_NE(m_account_memory["acme-own"].webhook_secret, m_memory.webhook_secret);
  EXPECT_EQ(report.failed(), 0);

  RouterSetupReport again = set_up();
  ASSERT_EQ(again.accounts.size(), 1U);
  EXPECT_FALSE(again.accounts[0].post_call.created);
  EXPECT_FALSE(again.accounts[0].post_call.attachment_changed);
  EXPECT_EQ(m_own.calls_of("create_webhook").size(), 1U); // not one more
}

TEST_F(TenantAccountsRouterTest, AnAccountWithoutTheProvidersKeyIsSkippedAndSaidSo) {
  (void)create("acme", "acme-desk");
  m_accounts.lose_own_key();
  RouterSetupReport report = set_up();
  ASSERT_EQ(report.accounts.size(), 1U);
  EXPECT_FALSE(report.accounts[0].failed);
  EXPECT_NE(report.accounts[0].post_call.skipped.find("no ELEVENLABS_API_KEY"), std::string::npos);
  EXPECT_EQ(report.accounts[0].agents_left, 1);
  EXPECT_FALSE(report.webhook_id.empty()); // the platform's is set up all the same
  EXPECT_TRUE(m_own.list_webhooks().empty());
}

TEST_F(TenantAccountsRouterTest, AnAccountThatReachesThePlatformsWorkspaceIsLeftAlone) {
  m_accounts.point_own_at_platform();
  RouterSetupReport report = set_up();
  ASSERT_EQ(report.accounts.size(), 1U);
  EXPECT_TRUE(report.accounts[0].failed);
  EXPECT_EQ(report.accounts[0].error_kind, ErrorKind::conflict);
  EXPECT_NE(report.accounts[0].error.find("platform's own ElevenLabs workspace"),
            std::string::npos);
  EXPECT_EQ(report.failed(), 1);
  // The platform's webhook stays, attached; a second run keeps it (no ping-pong).
  ASSERT_EQ(m_voice.list_webhooks().size(), 1U);
  EXPECT_EQ(m_voice.post_call_webhook().webhook_id, report.webhook_id);
  RouterSetupReport again = set_up();
  EXPECT_FALSE(again.webhook_created);
  EXPECT_EQ(again.webhook_id, report.webhook_id);
  EXPECT_TRUE(m_account_memory["acme-own"].webhook_id.empty());
}

TEST_F(TenantAccountsRouterTest, ReconcileChecksAndRepairsEachAccountsPostCallWebhook) {
  (void)set_up();
  const std::string own_webhook = m_account_memory["acme-own"].webhook_id;
  ReconcileService reconcile(m_telephony, &m_accounts, *m_store, "tester", k_in_flight_grace,
                             "https://calls.example.com/twilio/voice", nullptr,
                             m_memory.webhook_id);
  reconcile.check_account_webhooks({{"acme-own", own_webhook}});
  EXPECT_TRUE(reconcile.reconcile(ReconcileMode::report).settled());

  // Detached in the tenant's workspace: found there, repaired there only.
  (void)m_own.set_post_call_webhook({});
  m_voice.clear_calls();
  ReconcileReport detached = reconcile.reconcile(ReconcileMode::report);
  ASSERT_EQ(detached.counts.at(FindingKind::post_call_webhook_detached), 1);
  EXPECT_EQ(detached.findings.back().account, "acme-own");
  EXPECT_EQ(detached.findings.back().provider_id, own_webhook);
  EXPECT_TRUE(reconcile.reconcile(ReconcileMode::apply).settled());
  EXPECT_EQ(m_own.post_call_webhook().webhook_id, own_webhook);
  EXPECT_TRUE(m_voice.calls_of("set_post_call_webhook").empty());

  // Deleted there: only `vami router setup` can make a new one.
  m_own.delete_webhook(own_webhook);
  ReconcileReport gone = reconcile.reconcile(ReconcileMode::apply);
  ASSERT_EQ(gone.counts.at(FindingKind::post_call_webhook_gone), 1);
  EXPECT_EQ(gone.findings.back().account, "acme-own");
  EXPECT_EQ(gone.findings.back().holdup, Holdup::needs_router_setup);
}

TEST_F(TenantAccountsRouterTest, AWebhooksOwnerIsTheTenantOfWhatThePoolKnowsNotWhatTheBodyClaims) {
  const Agent acme = create("acme", "acme-desk");
  const Agent bravo = create("bravo", "bravo-desk");
  CallRouter router(*m_store, m_accounts, system_monotonic_clock());

  CallRecord about_acme;
  about_acme.conversation_id = "conv_1";
  about_acme.provider_agent_id = acme.provider_agent_id;
  EXPECT_EQ(router.owner_of(about_acme).account, "acme-own");
  EXPECT_EQ(router.owner_of(about_acme).tenant_slug, "acme");

  // bravo's agent, the body claiming acme: bravo's (the platform's) secret must sign it, and it
  // is filed under bravo.
  CallRecord claimed = about_acme;
  claimed.provider_agent_id = bravo.provider_agent_id;
  claimed.tenant_slug = "acme";
  EXPECT_EQ(router.owner_of(claimed).account, "");
  EXPECT_EQ(router.owner_of(claimed).tenant_slug, "bravo");
  (void)router.record(claimed);
  EXPECT_EQ(m_store->find_call("conv_1")->tenant_slug, "bravo");

  // No agent the pool knows: the number's tenant, else the tenant named.
  const std::string e164 = buy_numbers(1).front();
  AssignmentService assignments(m_telephony, m_accounts, *m_store, "tester",
                                "https://calls.example.com/twilio/voice");
  (void)assignments.assign(e164, "acme-desk", RoutingMode::webhook);
  CallRecord by_number;
  by_number.conversation_id = "conv_2";
  by_number.provider_agent_id = "agent_unknown";
  by_number.number = e164;
  by_number.tenant_slug = "bravo";
  EXPECT_EQ(router.owner_of(by_number).account, "acme-own");
  CallRecord by_claim;
  by_claim.conversation_id = "conv_3";
  by_claim.tenant_slug = "acme";
  EXPECT_EQ(router.owner_of(by_claim).account, "acme-own");
  by_claim.tenant_slug = "nobody";
  EXPECT_EQ(router.owner_of(by_claim).account, "");

  // A provider's question about a call: the tenant of the number called, whatever agent.
  EXPECT_EQ(
      router
          .owner_of(ProviderCall{"synthflow", "c1", "+14155550123", e164, bravo.provider_agent_id})
          .account,
      "acme-own");
  EXPECT_EQ(router
                .owner_of(ProviderCall{"synthflow", "c2", "+14155550123", "+19995550100",
                                       acme.provider_agent_id})
                .account,
            "acme-own");
  EXPECT_EQ(
      router.owner_of(ProviderCall{"synthflow", "c3", "+14155550123", "+19995550100", ""}).account,
      "");
}

} // namespace
} // namespace vami
