// Numbers a voice-agent provider's workspace holds itself (Synthflow): imported into the pool
// as rows of that provider, assigned natively to its agents only (the pairing refused before
// anything changes otherwise), released there, refused where the platform cannot act on them,
// checked by `route` and compared by reconcile; never one request to the telephony provider.
#include <chrono>
#include <string>
#include <vector>

#include "named_agent_providers.hpp"
#include "provider_capabilities.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/suspension_service.hpp>
#include <vami/core/workspace_numbers.hpp>

namespace vami::test {
namespace {

constexpr const char* k_first = "+14155550142";
constexpr const char* k_second = "+14155550167";

class WorkspaceNumbersTest : public ServiceTest {
protected:
  WorkspaceNumbersTest() {
    m_synthflow.act_as("synthflow", synthflow_capabilities());
    m_providers.add(m_voice); // "elevenlabs", the default
    m_providers.add(m_synthflow);
    make_tenant("acme");
    m_twilio_numbers = buy_numbers(1);
    m_elevenlabs_agent = create("acme-el", "elevenlabs");
    m_synthflow_agent = create("acme-sf", "synthflow");
    m_synthflow.seed_workspace_number(k_first);
    m_synthflow.seed_workspace_number(k_second, "someone-elses-agent");
  }

  Agent create(const std::string& slug, const std::string& provider) {
    AgentRequest request;
    request.tenant_slug = "acme";
    request.slug = slug;
    request.name = "Front Desk";
    request.provider = provider;
    return AgentService(m_providers, *m_store, "tester").create(request);
  }

  WorkspaceImportReport import(ImportMode mode = ImportMode::apply) {
    return import_workspace_numbers(m_synthflow, *m_store, "tester", mode);
  }

  AssignmentService assignments() {
    return AssignmentService(m_telephony, m_providers, *m_store, "tester", "");
  }

  ReconcileService reconciler() {
    return ReconcileService(m_telephony, &m_providers, *m_store, "tester", std::chrono::seconds(0),
                            "");
  }

  // The agent the workspace has the number answered by ("" for none).
  std::string workspace_agent(const std::string& e164) {
    for (const WorkspaceNumber& number : m_synthflow.list_workspace_numbers()) {
      if (number.e164 == e164) {
        return number.agent_id;
      }
    }
    return "(not in the workspace)";
  }

  static const Finding* finding_of(const ReconcileReport& report, const std::string& e164) {
    for (const Finding& finding : report.findings) {
      if (finding.e164 == e164) {
        return &finding;
      }
    }
    return nullptr;
  }

  FakeVoiceAgentProvider m_synthflow;
  NamedAgentProviders m_providers;
  std::vector<std::string> m_twilio_numbers;
  Agent m_elevenlabs_agent;
  Agent m_synthflow_agent;
};

TEST_F(WorkspaceNumbersTest, ImportPutsTheWorkspaceNumbersIntoThePoolOnceAndADryRunNothing) {
  const std::size_t telephony_calls = m_telephony.calls().size();
  const WorkspaceImportReport dry = import(ImportMode::dry_run);
  EXPECT_EQ(dry.imported, 2);
  ASSERT_EQ(dry.items.size(), 2U);
  EXPECT_EQ(dry.items[0].outcome, WorkspaceImportOutcome::would_import);
  EXPECT_FALSE(m_store->find_number(k_first).has_value());

  const WorkspaceImportReport report = import();
  EXPECT_EQ(report.imported, 2);
  const PoolNumber first = row(k_first);
  EXPECT_EQ(first.status, NumberStatus::available);
  EXPECT_EQ(first.provider, "synthflow");
  EXPECT_EQ(first.provider_sid, "14155550142"); // Synthflow's slug
  EXPECT_EQ(first.country, "US");
  EXPECT_FALSE(first.monthly_price.has_value());
  EXPECT_EQ(row(k_second).status, NumberStatus::available);
  int audited = 0;
  for (const AuditEntry& entry : audit()) {
    audited += entry.command == "numbers import" ? 1 : 0;
  }
  EXPECT_EQ(audited, 2);

  const WorkspaceImportReport again = import();
  EXPECT_EQ(again.imported, 0);
  EXPECT_EQ(again.items[0].outcome, WorkspaceImportOutcome::in_pool);
  EXPECT_EQ(m_telephony.calls().size(), telephony_calls); // Twilio never asked
}

TEST_F(WorkspaceNumbersTest, VamisOwnTwilioNumbersOnTheWorkspaceAreNotImportedAgain) {
  // A Twilio pool number reaches a Synthflow agent as a SIP import: not a workspace number.
  (void)assignments().assign(m_twilio_numbers[0], "acme-sf", RoutingMode::native);
  // And a workspace listing that names a pool number anyway leaves its row alone.
  m_synthflow.seed_workspace_number(m_twilio_numbers[0], m_synthflow_agent.provider_agent_id);
  const WorkspaceImportReport report = import();
  EXPECT_EQ(report.imported, 2);
  EXPECT_EQ(row(m_twilio_numbers[0]).provider, m_telephony.name()); // left alone
}

TEST_F(WorkspaceNumbersTest, ProvidersWithoutWorkspaceNumbersAreRefused) {
  const Error error = error_of(
      [&] { (void)import_workspace_numbers(m_voice, *m_store, "tester", ImportMode::apply); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(error.hint(), "synthflow")) << error.hint();
}

TEST_F(WorkspaceNumbersTest, AssigningMakesItTheAgentsNumberAndUnassigningTakesItBack) {
  (void)import();
  const std::size_t telephony_calls = m_telephony.calls().size();
  const AssignOutcome outcome = assignments().assign(k_first, "acme-sf", RoutingMode::native);
  EXPECT_EQ(outcome.number.status, NumberStatus::assigned);
  EXPECT_EQ(workspace_agent(k_first), m_synthflow_agent.provider_agent_id);

  const RouteCheck check = check_route(m_telephony, &m_providers, *m_store, "", k_first);
  EXPECT_TRUE(check.faults.empty()) << to_string(check.faults.front());
  EXPECT_TRUE(check.calls_answered);
  EXPECT_TRUE(check.observed.workspace_number);

  const PoolNumber after = assignments().unassign(k_first);
  EXPECT_EQ(after.status, NumberStatus::available);
  EXPECT_EQ(workspace_agent(k_first), "");
  EXPECT_TRUE(check_route(m_telephony, &m_providers, *m_store, "", k_first).faults.empty());
  EXPECT_EQ(m_telephony.calls().size(), telephony_calls); // no Twilio request at all
  EXPECT_TRUE(m_synthflow.calls_of("import_sip_trunk_number").empty());
}

TEST_F(WorkspaceNumbersTest, AWorkspaceNumberToAnElevenLabsAgentOrByWebhookIsRefusedFirst) {
  (void)import();
  const std::size_t synthflow_calls = m_synthflow.calls().size();
  const std::size_t elevenlabs_calls = m_voice.calls().size();
  const Error error =
      error_of([&] { (void)assignments().assign(k_first, "acme-el", RoutingMode::native); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(error.what(), "synthflow workspace")) << error.what();
  EXPECT_TRUE(contains(error.hint(), "synthflow workspace number to a synthflow agent"))
      << error.hint();
  EXPECT_EQ(kind_of([&] { (void)assignments().assign(k_first, "acme-sf", RoutingMode::webhook); }),
            ErrorKind::invalid_input);
  BulkAssignRequest many;
  many.numbers = {k_first};
  many.agent = "acme-el";
  EXPECT_EQ(kind_of([&] { (void)assignments().assign_many(many, {}, {}); }),
            ErrorKind::invalid_input);
  // Nothing changed anywhere.
  EXPECT_EQ(row(k_first).status, NumberStatus::available);
  EXPECT_EQ(m_synthflow.calls().size(), synthflow_calls);
  EXPECT_EQ(m_voice.calls().size(), elevenlabs_calls);

  // Reassigning it away from its Synthflow agent to an ElevenLabs one is refused too.
  (void)assignments().assign(k_first, "acme-sf", RoutingMode::native);
  EXPECT_EQ(kind_of([&] { (void)assignments().reassign(k_first, "acme-el"); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(row(k_first).agent_slug, "acme-sf");
}

TEST_F(WorkspaceNumbersTest, APickNeverTakesAWorkspaceNumber) {
  (void)import();
  (void)assignments().assign(m_twilio_numbers[0], "acme-el", RoutingMode::native);
  // Only workspace numbers are available now: a pick for the ElevenLabs agent finds none.
  EXPECT_EQ(kind_of([&] { (void)assignments().assign_pick({}, "acme-el", RoutingMode::native); }),
            ErrorKind::conflict);
  EXPECT_EQ(row(k_first).status, NumberStatus::available);
}

TEST_F(WorkspaceNumbersTest, ReleaseGivesItBackToTheWorkspaceNotToTwilio) {
  (void)import();
  PoolService pool(m_telephony, *m_store, "tester");
  pool.set_workspaces(m_providers);
  const BulkReport report = pool.release(pool.plan_release({k_first}), {}, {});
  EXPECT_EQ(report.succeeded, 1);
  EXPECT_EQ(row(k_first).status, NumberStatus::released);
  EXPECT_EQ(m_synthflow.calls_of("release_workspace_number").size(), 1U);
  EXPECT_EQ(m_telephony.count("release"), 0);
  EXPECT_EQ(workspace_agent(k_first), "(not in the workspace)");

  // Without the workspaces, nothing changes.
  PoolService bare(m_telephony, *m_store, "tester");
  const BulkReport refused = bare.release(bare.plan_release({k_second}), {}, {});
  EXPECT_EQ(refused.failed, 1);
  EXPECT_EQ(row(k_second).status, NumberStatus::available);
}

TEST_F(WorkspaceNumbersTest, ResumeSettlesAWorkspaceReleaseInDoubtByAskingTheWorkspace) {
  (void)import();
  PoolService pool(m_telephony, *m_store, "tester");
  pool.set_workspaces(m_providers);
  // The first release happens at the workspace and its answer is lost; the second is refused
  // before it leaves (the workspace still holds the number).
  m_synthflow.fail_next("release_workspace_number", {ErrorKind::unavailable, true});
  const BulkReport first = pool.release(pool.plan_release({k_first}), {}, {});
  ASSERT_EQ(first.uncertain, 1);
  m_synthflow.fail_next("release_workspace_number", {ErrorKind::unavailable, false});
  const BulkReport second = pool.release(pool.plan_release({k_second}), {}, {});
  ASSERT_EQ(second.uncertain, 1);
  ASSERT_EQ(row(k_first).status, NumberStatus::releasing);
  ASSERT_EQ(row(k_second).status, NumberStatus::releasing);

  // Gone from the workspace: settled as released, nothing asked of Twilio.
  const ResumePlan gone = pool.plan_resume(first.operation_id);
  EXPECT_EQ(gone.settled, 1);
  EXPECT_TRUE(gone.numbers.empty());
  EXPECT_EQ(row(k_first).status, NumberStatus::released);

  // Still held: back to the pool's row as it was, and released again by the resume.
  const ResumePlan held = pool.plan_resume(second.operation_id);
  EXPECT_EQ(held.settled, 1);
  EXPECT_EQ(held.numbers, std::vector<std::string>{k_second});
  const BulkReport rest = pool.resume(held, {}, {});
  EXPECT_EQ(rest.succeeded, 1);
  EXPECT_EQ(row(k_second).status, NumberStatus::released);
  EXPECT_EQ(workspace_agent(k_second), "(not in the workspace)");
  EXPECT_EQ(m_telephony.count("find_owned"), 0);
  EXPECT_EQ(m_telephony.count("release"), 0);
}

TEST_F(WorkspaceNumbersTest, SuspendingAndSettingAVoiceWebhookAreRefused) {
  (void)import();
  SuspensionService suspensions(m_telephony, m_providers, *m_store, "tester");
  EXPECT_EQ(kind_of([&] { (void)suspensions.suspend(k_first, ""); }), ErrorKind::invalid_input);
  PoolService pool(m_telephony, *m_store, "tester");
  VoiceWebhook webhook;
  webhook.voice_url = "https://example.com/voice";
  EXPECT_EQ(kind_of([&] { (void)pool.set_webhook(k_first, webhook, false); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(row(k_first).status, NumberStatus::available);
}

TEST_F(WorkspaceNumbersTest, ReconcileComparesWorkspaceRowsWithTheWorkspaceOnly) {
  (void)import();
  (void)assignments().assign(k_first, "acme-sf", RoutingMode::native);
  m_synthflow.seed_workspace_number("+14155550188"); // bought in the dashboard later

  ReconcileReport report = reconciler().reconcile(ReconcileMode::report);
  ASSERT_NE(finding_of(report, k_first), nullptr);
  EXPECT_EQ(finding_of(report, k_first)->kind, FindingKind::in_sync);
  // The second number is not vami's agent's: the pool says available, the workspace has
  // someone else's agent on it.
  EXPECT_EQ(finding_of(report, k_second)->kind, FindingKind::agent_drift);
  const Finding* untracked = finding_of(report, "+14155550188");
  ASSERT_NE(untracked, nullptr);
  EXPECT_EQ(untracked->kind, FindingKind::workspace_number_untracked);
  EXPECT_EQ(untracked->resolution, Resolution::unresolved);
  EXPECT_EQ(untracked->agent_provider, "synthflow");
  // Twilio's listing never reports them as ghosts.
  for (const Finding& finding : report.findings) {
    if (finding.kind == FindingKind::ghost) {
      ADD_FAILURE() << finding.e164;
    }
  }

  // Drift at the workspace is repaired by setting the agent again; a number gone from it is a
  // ghost, marked released.
  (void)m_synthflow.set_number_agent("14155550142", "");
  m_synthflow.release_workspace_number("14155550167");
  report = reconciler().reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(report, k_first)->kind, FindingKind::agent_drift);
  EXPECT_EQ(finding_of(report, k_first)->resolution, Resolution::repaired);
  EXPECT_EQ(workspace_agent(k_first), m_synthflow_agent.provider_agent_id);
  EXPECT_EQ(finding_of(report, k_second)->kind, FindingKind::ghost);
  EXPECT_EQ(row(k_second).status, NumberStatus::released);
  EXPECT_EQ(m_telephony.count("set_voice_webhook"), 0);
}

TEST_F(WorkspaceNumbersTest, ReconcileReadsEveryProviderWithCredentialsWithoutAnAgentOfItsOwn) {
  // No Synthflow agent left in the database, no workspace row in the pool: what Synthflow holds
  // is still compared, since the platform has its credentials.
  (void)AgentService(m_providers, *m_store, "tester").remove("acme-sf");
  AgentDefinition lost;
  lost.name = "Acme Night";
  lost.tags = {"vami", "vami-agent:acme-night", "vami-tenant:acme"};
  const std::string orphan = m_synthflow.seed_agent(lost);
  m_providers.set_credentialed({"elevenlabs", "synthflow"});

  ReconcileReport report = reconciler().reconcile(ReconcileMode::report);
  std::vector<std::string> found;
  for (const Finding& finding : report.findings) {
    if (finding.agent_provider == "synthflow") {
      found.push_back(std::string(to_string(finding.kind)) + " " +
                      (finding.subject == Subject::agent ? finding.provider_id : finding.e164));
    }
  }
  EXPECT_EQ(found, (std::vector<std::string>{"workspace_number_untracked " + std::string(k_first),
                                             "workspace_number_untracked " + std::string(k_second),
                                             "agent_orphan " + orphan}));

  // A platform without Synthflow's credentials does not read it.
  m_providers.set_credentialed({"elevenlabs"});
  m_synthflow.clear_calls();
  report = reconciler().reconcile(ReconcileMode::report);
  EXPECT_TRUE(m_synthflow.calls().empty());
}

} // namespace
} // namespace vami::test
