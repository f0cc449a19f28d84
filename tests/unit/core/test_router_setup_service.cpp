// `vami router setup` (RouterSetupService) and the router checks of route and reconcile, against
// the fake providers and a real state database.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "fake_monotonic_clock.hpp"
#include "named_agent_providers.hpp"
#include "scripted_router_probe.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_service.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/resilient_voice_agent_provider.hpp>
#include <vami/core/router_setup_service.hpp>

namespace vami {
namespace {

using test::contains;
using test::error_of;

constexpr const char* k_public = "https://calls.example.com";
constexpr const char* k_voice = "https://calls.example.com/twilio/voice";
constexpr const char* k_status = "https://calls.example.com/twilio/status";
constexpr const char* k_post_call = "https://calls.example.com/elevenlabs/post-call";
constexpr const char* k_old_router = "https://old-router.example.com/voice";

class RouterSetupTest : public test::ServiceTest {
protected:
  RouterSetupTest() {
    make_tenant("acme");
    m_front = make_agent("acme", "front-desk");
    m_numbers = buy_numbers(3);
    // Two numbers routed by webhook through an older router, one natively.
    AssignmentService old(m_telephony, m_voice_agents, *m_store, "tester", k_old_router);
    (void)old.assign(m_numbers[0], m_front.slug, RoutingMode::webhook);
    (void)old.assign(m_numbers[1], m_front.slug, RoutingMode::webhook);
    (void)old.assign(m_numbers[2], m_front.slug, RoutingMode::native);
    m_voice.clear_calls();
  }

  /// Runs the setup with what the profile remembers, keeping what it hands over as the profile
  /// would.
  RouterSetupReport set_up(const std::string& public_url = k_public) {
    RouterSetupService service(m_telephony, m_voice_agents, *m_store, "tester");
    return service.set_up(public_url, m_memory, [this](const RouterSetupRecord& record) {
      m_records.push_back(record);
      m_memory.webhook_id = record.webhook_id;
      if (!record.new_secret.empty()) {
        m_memory.webhook_secret = record.new_secret;
      }
    });
  }

  VoiceWebhook at_telephony(const std::string& e164) {
    return m_telephony.owned().at(e164).webhook;
  }

  Agent m_front;
  std::vector<std::string> m_numbers;
  RouterSetupMemory m_memory;
  std::vector<RouterSetupRecord> m_records;
};

TEST_F(RouterSetupTest, CreatesAttachesRemembersAndPointsTheWebhookNumbers) {
  RouterSetupReport report = set_up();

  EXPECT_TRUE(report.webhook_created);
  EXPECT_TRUE(report.attachment_changed);
  ASSERT_EQ(m_voice.webhooks().size(), 1U);
  const WorkspaceWebhook webhook = m_voice.webhooks()[0];
  EXPECT_EQ(webhook.url, k_post_call);
  EXPECT_EQ(webhook.name, k_router_webhook_name);
  EXPECT_EQ(report.webhook_id, webhook.webhook_id);
  EXPECT_EQ(m_voice.post_call_setting(),
            (PostCallWebhookSettings{webhook.webhook_id, router_post_call_events()}));
  // The secret was handed over once, before the webhook was attached.
  ASSERT_EQ(m_records.size(), 1U);
  EXPECT_EQ(m_records[0].new_secret, m_voice.webhook_secret(webhook.webhook_id));
  EXPECT_EQ(m_records[0].endpoints.voice_url, k_voice);
  const auto calls = m_voice.calls();
  auto position = [&](const std::string& method) {
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (calls[i].method == method) {
        return i;
      }
    }
    return calls.size();
  };
  EXPECT_LT(position("create_webhook"), position("set_post_call_webhook"));

  // Both webhook numbers now ring the router with its status callback; the native one is left.
  ASSERT_EQ(report.numbers.size(), 2U);
  for (int i = 0; i < 2; ++i) {
    const std::string& e164 = m_numbers[static_cast<std::size_t>(i)];
    EXPECT_EQ(report.numbers[static_cast<std::size_t>(i)].outcome, RouterNumberOutcome::pointed);
    VoiceWebhook now = at_telephony(e164);
    EXPECT_EQ(now.voice_url, std::string(k_voice) + "?agent_id=" + m_front.provider_agent_id);
    EXPECT_EQ(now.status_callback, k_status);
    EXPECT_EQ(row(e164).webhook, now);
  }
  EXPECT_EQ(at_telephony(m_numbers[2]).voice_url, test::FakeVoiceAgentProvider::k_inbound_url);
  int audited = 0;
  for (const AuditEntry& entry : audit()) {
    audited += entry.command == "router setup" ? 1 : 0;
    EXPECT_FALSE(contains(entry.after_json, m_memory.webhook_secret)) << entry.after_json;
  }
  EXPECT_EQ(audited, 4); // the webhook made, attached, and two numbers
}

TEST_F(RouterSetupTest, ADryRunReadsAndSaysWhatItWouldDoWithoutChangingAnything) {
  const int set_before = m_telephony.count("set_voice_webhook");
  const std::size_t audited = audit().size();
  RouterSetupService service(m_telephony, m_voice_agents, *m_store, "tester");
  bool remembered = false;
  RouterSetupReport plan = service.set_up(
      k_public, {}, [&](const RouterSetupRecord&) { remembered = true; }, {},
      RouterSetupMode::dry_run);
  EXPECT_TRUE(plan.dry_run);
  EXPECT_TRUE(plan.webhook_created);
  EXPECT_TRUE(plan.attachment_changed);
  EXPECT_TRUE(plan.webhook_id.empty());
  ASSERT_EQ(plan.numbers.size(), 2U);
  EXPECT_EQ(plan.numbers[0].outcome, RouterNumberOutcome::pointed);
  EXPECT_EQ(plan.numbers[0].after.status_callback, k_status);
  EXPECT_FALSE(remembered);
  EXPECT_TRUE(m_voice.webhooks().empty());
  EXPECT_EQ(m_voice.count("create_webhook") + m_voice.count("set_post_call_webhook") +
                m_voice.count("delete_webhook"),
            0);
  EXPECT_EQ(m_telephony.count("set_voice_webhook"), set_before);
  EXPECT_EQ(audit().size(), audited);

  // Once set up, a dry run for another URL names the webhook it would replace.
  (void)set_up();
  const std::string first = m_memory.webhook_id;
  RouterSetupReport moved = service.set_up(
      "https://calls2.example.com", m_memory, [&](const RouterSetupRecord&) { remembered = true; },
      {}, RouterSetupMode::dry_run);
  EXPECT_EQ(moved.deleted_webhooks, std::vector<std::string>{first});
  EXPECT_EQ(moved.replaced_attachment, first);
  EXPECT_FALSE(remembered);
  EXPECT_EQ(m_voice.webhooks().size(), 1U);
}

TEST_F(RouterSetupTest, RunningItAgainChangesNothing) {
  (void)set_up();
  m_voice.clear_calls();
  const int set_before = m_telephony.count("set_voice_webhook");
  const std::size_t audited = audit().size();

  RouterSetupReport again = set_up();
  EXPECT_FALSE(again.webhook_created);
  EXPECT_FALSE(again.attachment_changed);
  EXPECT_TRUE(again.deleted_webhooks.empty());
  EXPECT_EQ(m_voice.count("create_webhook"), 0);
  EXPECT_EQ(m_voice.count("set_post_call_webhook"), 0);
  EXPECT_EQ(m_telephony.count("set_voice_webhook"), set_before);
  for (const RouterNumberResult& number : again.numbers) {
    EXPECT_EQ(number.outcome, RouterNumberOutcome::in_place);
  }
  EXPECT_EQ(audit().size(), audited);
  EXPECT_EQ(m_voice.webhooks().size(), 1U);
}

TEST_F(RouterSetupTest, AnotherUrlReplacesTheEarlierVamiWebhookAndLeavesOthersAlone) {
  (void)set_up();
  const std::string first = m_memory.webhook_id;
  WorkspaceWebhook someone_elses;
  someone_elses.webhook_id = "wh_theirs";
  someone_elses.name = "CRM sync";
  someone_elses.url = "https://crm.example.com/hook";
  m_voice.seed_webhook(someone_elses);

  RouterSetupReport moved = set_up("https://calls2.example.com/");
  EXPECT_TRUE(moved.webhook_created);
  EXPECT_NE(moved.webhook_id, first);
  EXPECT_EQ(moved.deleted_webhooks, std::vector<std::string>{first});
  std::vector<std::string> left;
  for (const WorkspaceWebhook& webhook : m_voice.webhooks()) {
    left.push_back(webhook.webhook_id);
  }
  EXPECT_EQ(left, (std::vector<std::string>{moved.webhook_id, "wh_theirs"}));
  EXPECT_EQ(m_voice.post_call_setting().webhook_id, moved.webhook_id);
  EXPECT_EQ(at_telephony(m_numbers[0]).status_callback, "https://calls2.example.com/twilio/status");
}

TEST_F(RouterSetupTest, AWebhookWhoseSecretIsUnknownIsReplaced) {
  (void)set_up();
  const std::string first = m_memory.webhook_id;
  m_memory.webhook_secret.clear(); // the profile lost it (or a crash came before it was written)
  RouterSetupReport report = set_up();
  EXPECT_TRUE(report.webhook_created);
  EXPECT_EQ(report.deleted_webhooks, std::vector<std::string>{first});
  EXPECT_EQ(m_voice.webhooks().size(), 1U);
}

TEST_F(RouterSetupTest, AFailedWriteOfTheSecretDeletesTheWebhookItBelongsTo) {
  const int set_before = m_telephony.count("set_voice_webhook");
  RouterSetupService service(m_telephony, m_voice_agents, *m_store, "tester");
  Error error = error_of([&] {
    (void)service.set_up(k_public, {}, [](const RouterSetupRecord&) {
      throw Error(ErrorKind::storage, "disk full");
    });
  });
  EXPECT_EQ(error.kind(), ErrorKind::storage);
  EXPECT_TRUE(m_voice.webhooks().empty());
  EXPECT_EQ(m_voice.count("set_post_call_webhook"), 0);
  EXPECT_EQ(m_telephony.count("set_voice_webhook"), set_before);
}

TEST_F(RouterSetupTest, ACreateWhoseAnswerIsLostIsNotRepeatedAndTheNextRunCleansUp) {
  m_voice.fail_next("create_webhook", {ErrorKind::unavailable, /*acted=*/true});
  RouterSetupService service(m_telephony, m_voice_agents, *m_store, "tester");
  EXPECT_EQ(
      test::kind_of([&] { (void)service.set_up(k_public, {}, [](const RouterSetupRecord&) {}); }),
      ErrorKind::unavailable);
  EXPECT_EQ(m_voice.count("create_webhook"), 1);
  ASSERT_EQ(m_voice.webhooks().size(), 1U); // made, but its secret never arrived
  const std::string lost = m_voice.webhooks()[0].webhook_id;

  RouterSetupReport report = set_up();
  EXPECT_EQ(report.deleted_webhooks, std::vector<std::string>{lost});
  EXPECT_EQ(m_voice.webhooks().size(), 1U);
}

TEST_F(RouterSetupTest, ANumberThatFailsIsReportedAndTheOthersCarryOn) {
  m_telephony.fail_next("set_voice_webhook", {ErrorKind::provider});
  RouterSetupReport report = set_up();
  ASSERT_EQ(report.numbers.size(), 2U);
  EXPECT_EQ(report.failed(), 1);
  EXPECT_EQ(report.numbers[0].outcome, RouterNumberOutcome::failed);
  EXPECT_FALSE(report.numbers[0].error.empty());
  EXPECT_EQ(report.numbers[1].outcome, RouterNumberOutcome::pointed);
  // The next run finishes the job.
  RouterSetupReport again = set_up();
  EXPECT_EQ(again.failed(), 0);
  EXPECT_EQ(again.numbers[0].outcome, RouterNumberOutcome::pointed);
}

TEST_F(RouterSetupTest, StopsBetweenNumbersWhenAsked) {
  RouterSetupService service(m_telephony, m_voice_agents, *m_store, "tester");
  int asked = 0;
  RouterSetupReport report = service.set_up(
      k_public, {}, [](const RouterSetupRecord&) {}, [&] { return ++asked > 1; });
  EXPECT_TRUE(report.interrupted);
  ASSERT_EQ(report.numbers.size(), 2U);
  EXPECT_EQ(report.numbers[0].outcome, RouterNumberOutcome::pointed);
  EXPECT_EQ(report.numbers[1].outcome, RouterNumberOutcome::interrupted);
  EXPECT_EQ(at_telephony(m_numbers[1]).voice_url.rfind(k_old_router, 0), 0U);
}

TEST_F(RouterSetupTest, APlainHttpPublicUrlIsRefusedBeforeAnyRequest) {
  EXPECT_EQ(test::kind_of([&] { (void)set_up("http://calls.example.com"); }),
            ErrorKind::invalid_input);
  EXPECT_TRUE(m_voice.calls().empty());
  (void)set_up("http://127.0.0.1:8080");
  EXPECT_EQ(at_telephony(m_numbers[0]).status_callback, "http://127.0.0.1:8080/twilio/status");
}

TEST_F(RouterSetupTest, RouteAndReconcileReportAWrongVoiceUrlAndADeadRouter) {
  (void)set_up();
  test::ScriptedRouterProbe probe(true);
  RouteCheck fine =
      check_route(m_telephony, &m_voice_agents, *m_store, k_voice, m_numbers[0], &probe);
  EXPECT_TRUE(fine.faults.empty());
  EXPECT_TRUE(fine.calls_answered);
  EXPECT_EQ(probe.asked(), std::vector<std::string>{"https://calls.example.com/healthz"});
  // A native number has no router to ask.
  (void)check_route(m_telephony, &m_voice_agents, *m_store, k_voice, m_numbers[2], &probe);
  EXPECT_EQ(probe.asked().size(), 1U);

  probe.set_healthy(false);
  RouteCheck dead =
      check_route(m_telephony, &m_voice_agents, *m_store, k_voice, m_numbers[0], &probe);
  EXPECT_EQ(dead.faults, std::vector<RoutingFault>{RoutingFault::router_unhealthy});
  EXPECT_FALSE(dead.calls_answered);

  ReconcileService reconcile(m_telephony, &m_voice_agents, *m_store, "tester", k_in_flight_grace,
                             k_voice, &probe);
  ReconcileReport report = reconcile.reconcile(ReconcileMode::report);
  ASSERT_TRUE(report.router_health.has_value());
  EXPECT_FALSE(report.router_health->healthy);
  EXPECT_FALSE(report.settled());
  probe.set_healthy(true);
  EXPECT_TRUE(reconcile.reconcile(ReconcileMode::report).settled());

  // A number pointed elsewhere by hand is drift that --apply repairs.
  m_telephony.point(m_numbers[1], "https://elsewhere.example.com/voice");
  ReconcileReport drift = reconcile.reconcile(ReconcileMode::report);
  EXPECT_EQ(drift.counts.at(FindingKind::voice_url_drift), 1);
  EXPECT_FALSE(drift.settled());
  EXPECT_TRUE(reconcile.reconcile(ReconcileMode::apply).settled());
  EXPECT_EQ(at_telephony(m_numbers[1]).voice_url,
            std::string(k_voice) + "?agent_id=" + m_front.provider_agent_id);
  EXPECT_EQ(at_telephony(m_numbers[1]).status_callback, k_status);
}

TEST_F(RouterSetupTest, ReconcileDoesNotAskAnotherRoutersHealth) {
  test::ScriptedRouterProbe probe(false);
  ReconcileService reconcile(m_telephony, &m_voice_agents, *m_store, "tester", k_in_flight_grace,
                             k_old_router, &probe);
  ReconcileReport report = reconcile.reconcile(ReconcileMode::report);
  EXPECT_FALSE(report.router_health.has_value());
  EXPECT_TRUE(probe.asked().empty());
}

TEST_F(RouterSetupTest, ReconcileAttachesTheRoutersPostCallWebhookAgainAndReportsOneGone) {
  (void)set_up();
  const std::string webhook_id = m_memory.webhook_id;
  test::ScriptedRouterProbe probe(true);
  ReconcileService reconcile(m_telephony, &m_voice_agents, *m_store, "tester", k_in_flight_grace,
                             k_voice, &probe, webhook_id);
  EXPECT_TRUE(reconcile.reconcile(ReconcileMode::report).settled());

  // Someone attaches another webhook as the post-call webhook: deliveries leave the router.
  m_voice.seed_webhook(
      {"wh-other", "crm", "https://crm.example.com/hook", "hmac", false, false, 0});
  (void)m_voice.set_post_call_webhook({"wh-other", {"transcript"}});
  ReconcileReport detached = reconcile.reconcile(ReconcileMode::report);
  EXPECT_FALSE(detached.settled());
  ASSERT_EQ(detached.counts.at(FindingKind::post_call_webhook_detached), 1);
  const Finding& finding = detached.findings.back();
  EXPECT_EQ(finding.subject, Subject::post_call_webhook);
  EXPECT_EQ(finding.provider_id, webhook_id);
  EXPECT_EQ(finding.reported, "wh-other");
  EXPECT_EQ(finding.resolution, Resolution::would_repair);
  EXPECT_EQ(m_voice.post_call_setting().webhook_id, "wh-other"); // a report changes nothing

  ReconcileReport applied = reconcile.reconcile(ReconcileMode::apply);
  EXPECT_TRUE(applied.settled());
  EXPECT_EQ(m_voice.post_call_setting(),
            (PostCallWebhookSettings{webhook_id, router_post_call_events()}));
  std::vector<AuditEntry> audited;
  for (AuditEntry& entry : m_store->list_audit(AuditFilter{})) {
    if (entry.entity_type == "webhook" && entry.command == "reconcile") {
      audited.push_back(std::move(entry));
    }
  }
  ASSERT_EQ(audited.size(), 1U);
  EXPECT_EQ(audited[0].command, "reconcile");
  EXPECT_TRUE(contains(audited[0].before_json, "wh-other"));

  // Disabled after failed deliveries, then deleted: only `vami router setup` can make a new one.
  const std::vector<WorkspaceWebhook> webhooks = m_voice.webhooks();
  auto routers = std::find_if(webhooks.begin(), webhooks.end(), [&](const WorkspaceWebhook& hook) {
    return hook.webhook_id == webhook_id;
  });
  ASSERT_NE(routers, webhooks.end());
  WorkspaceWebhook disabled = *routers;
  disabled.auto_disabled = true;
  m_voice.seed_webhook(disabled);
  for (const char* why : {"auto_disabled", "gone"}) {
    if (std::string(why) == "gone") {
      m_voice.delete_webhook(webhook_id);
    }
    m_voice.clear_calls();
    ReconcileReport gone = reconcile.reconcile(ReconcileMode::apply);
    EXPECT_FALSE(gone.settled()) << why;
    ASSERT_EQ(gone.counts.at(FindingKind::post_call_webhook_gone), 1) << why;
    EXPECT_EQ(gone.findings.back().name, why);
    EXPECT_EQ(gone.findings.back().holdup, Holdup::needs_router_setup);
    for (const auto& call : m_voice.calls()) {
      EXPECT_NE(call.method, "set_post_call_webhook") << why;
    }
  }
}

TEST_F(RouterSetupTest, ReconcileAsksTheRoutersHealthOnlyWhenSomethingDependsOnTheRouter) {
  AssignmentService assignment(m_telephony, m_voice_agents, *m_store, "tester", k_voice);
  (void)assignment.unassign(m_numbers[0]);
  (void)assignment.unassign(m_numbers[1]);
  test::ScriptedRouterProbe probe(false);
  // No number routed by webhook and no post-call webhook: a router that is down stops nothing.
  ReconcileService idle(m_telephony, &m_voice_agents, *m_store, "tester", k_in_flight_grace,
                        k_voice, &probe);
  ReconcileReport report = idle.reconcile(ReconcileMode::report);
  EXPECT_FALSE(report.router_health.has_value());
  EXPECT_TRUE(probe.asked().empty());

  // The post-call webhook delivers to the router even when every number is routed natively.
  (void)set_up();
  ReconcileService with_webhook(m_telephony, &m_voice_agents, *m_store, "tester", k_in_flight_grace,
                                k_voice, &probe, m_memory.webhook_id);
  ReconcileReport down = with_webhook.reconcile(ReconcileMode::report);
  ASSERT_TRUE(down.router_health.has_value());
  EXPECT_FALSE(down.settled());
  EXPECT_EQ(probe.asked(), std::vector<std::string>{"https://calls.example.com/healthz"});
}

// ---- the retrying decorator: a create is not idempotent ---------------------------------------

// Synthflow agents have their own webhooks: setup points every one the database knows at the
// router's Synthflow endpoints, once.
class RouterSetupAgentWebhooksTest : public test::ServiceTest {
protected:
  RouterSetupAgentWebhooksTest() {
    AgentProviderCapabilities synthflow;
    synthflow.workspace_webhooks = false;
    synthflow.router_calls = false;
    synthflow.agent_webhooks = true;
    m_synthflow.act_as("synthflow", synthflow);
    m_providers.add(m_voice);
    m_providers.add(m_synthflow);
    make_tenant("acme");
    AgentService agents(m_providers, *m_store, "tester");
    for (const char* slug : {"sf-desk", "sf-night"}) {
      AgentRequest request;
      request.tenant_slug = "acme";
      request.slug = slug;
      request.name = slug;
      request.provider = "synthflow";
      (void)agents.create(request);
    }
    m_eleven = make_agent("acme", "el-desk");
    m_synthflow.clear_calls();
    m_voice.clear_calls();
  }

  RouterSetupReport set_up(RouterSetupMode mode = RouterSetupMode::apply) {
    RouterSetupService service(m_telephony, m_providers, *m_store, "tester");
    return service.set_up(
        k_public, m_memory,
        [this](const RouterSetupRecord& record) {
          m_memory.webhook_id = record.webhook_id;
          if (!record.new_secret.empty()) {
            m_memory.webhook_secret = record.new_secret;
          }
        },
        {}, mode);
  }

  test::FakeVoiceAgentProvider m_synthflow;
  test::NamedAgentProviders m_providers;
  Agent m_eleven;
  RouterSetupMemory m_memory;
};

TEST_F(RouterSetupAgentWebhooksTest, PointsEverySynthflowAgentAtTheRouterOnce) {
  RouterSetupReport dry = set_up(RouterSetupMode::dry_run);
  ASSERT_EQ(dry.agents.size(), 2U);
  EXPECT_EQ(dry.agents[0].outcome, RouterNumberOutcome::pointed);
  EXPECT_TRUE(m_synthflow.calls_of("update_agent").empty()); // a dry run changes nothing

  RouterSetupReport report = set_up();
  EXPECT_EQ(report.endpoints.inbound_url_of("synthflow"),
            "https://calls.example.com/synthflow/inbound");
  EXPECT_EQ(report.endpoints.post_call_url_of("synthflow"),
            "https://calls.example.com/synthflow/post-call");
  ASSERT_EQ(report.agents.size(), 2U); // the ElevenLabs agent has no webhooks of its own
  for (const RouterAgentResult& agent : report.agents) {
    EXPECT_EQ(agent.outcome, RouterNumberOutcome::pointed) << agent.agent_slug;
    EXPECT_EQ(agent.provider, "synthflow");
    EXPECT_TRUE(agent.previous_inbound_url.empty());
    std::optional<ProviderAgent> at_provider = m_synthflow.get_agent(agent.provider_agent_id);
    ASSERT_TRUE(at_provider);
    EXPECT_EQ(at_provider->definition.inbound_webhook_url,
              report.endpoints.inbound_url_of("synthflow"));
    EXPECT_EQ(at_provider->definition.post_call_webhook_url,
              report.endpoints.post_call_url_of("synthflow"));
  }
  EXPECT_EQ(report.agents[0].agent_slug, "sf-desk");
  EXPECT_EQ(report.failed(), 0);
  EXPECT_TRUE(m_voice.calls_of("update_agent").empty());

  RouterSetupReport again = set_up();
  for (const RouterAgentResult& agent : again.agents) {
    EXPECT_EQ(agent.outcome, RouterNumberOutcome::in_place) << agent.agent_slug;
  }
  EXPECT_EQ(m_synthflow.calls_of("update_agent").size(), 2U); // not one more
}

TEST_F(RouterSetupAgentWebhooksTest, AnAgentThatFailsIsReportedAndTheOthersCarryOn) {
  m_synthflow.fail_next("update_agent", {ErrorKind::unavailable});
  RouterSetupReport report = set_up();
  ASSERT_EQ(report.agents.size(), 2U);
  EXPECT_EQ(report.agents[0].outcome, RouterNumberOutcome::failed);
  EXPECT_EQ(report.agents[0].error_kind, ErrorKind::unavailable);
  EXPECT_EQ(report.agents[1].outcome, RouterNumberOutcome::pointed);
  EXPECT_EQ(report.failed(), 1);
}

class ResilientWebhooksTest : public ::testing::Test {
protected:
  static RateLimiterSettings limiter_settings() {
    RateLimiterSettings settings;
    settings.initial_rate = 10;
    settings.min_rate = 1;
    settings.max_rate = 20;
    return settings;
  }
  static RetrySettings retry_settings() {
    RetrySettings settings;
    settings.max_attempts = 4;
    settings.base_delay = std::chrono::milliseconds(200);
    settings.max_delay = std::chrono::seconds(2);
    return settings;
  }
  ResilientWebhooksTest()
      : m_limiter(m_clock, limiter_settings()),
        m_resilient(m_fake, m_limiter, RetryPolicy(retry_settings(), [] { return 0.5; }), m_clock) {
  }

  testing::FakeMonotonicClock m_clock;
  test::FakeVoiceAgentProvider m_fake;
  AdaptiveRateLimiter m_limiter;
  ResilientVoiceAgentProvider m_resilient;
};

TEST_F(ResilientWebhooksTest, ACreateIsRetriedAfterA429OnlyAndReadsAfterAnyTransientFailure) {
  m_fake.fail_next("create_webhook", {ErrorKind::unavailable, /*acted=*/true});
  EXPECT_EQ(test::kind_of([&] { (void)m_resilient.create_webhook("vami router", k_post_call); }),
            ErrorKind::unavailable);
  EXPECT_EQ(m_fake.count("create_webhook"), 1);

  m_fake.fail_next("create_webhook", {ErrorKind::rate_limited});
  CreatedWebhook created = m_resilient.create_webhook("vami router", k_post_call);
  EXPECT_EQ(m_fake.count("create_webhook"), 3);
  EXPECT_FALSE(created.secret.empty());

  m_fake.fail_next("list_webhooks", {ErrorKind::unavailable}, 2);
  EXPECT_EQ(m_resilient.list_webhooks().size(), 2U);
  m_fake.fail_next("set_post_call_webhook", {ErrorKind::unavailable, /*acted=*/true});
  (void)m_resilient.set_post_call_webhook({created.webhook_id, router_post_call_events()});
  EXPECT_EQ(m_fake.post_call_setting().webhook_id, created.webhook_id);
  // A delete whose answer was lost, then "not found": deleted.
  m_fake.fail_next("delete_webhook", {ErrorKind::unavailable, /*acted=*/true});
  m_resilient.delete_webhook(created.webhook_id);
  EXPECT_EQ(m_fake.webhooks().size(), 1U);
}

} // namespace
} // namespace vami
