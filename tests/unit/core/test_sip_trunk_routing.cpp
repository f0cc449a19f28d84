// Pool numbers routed natively to an agent whose provider answers over SIP (Synthflow): the
// number moved onto the telephony account's SIP trunk to the provider and imported there,
// undone on unassign, handed between platforms on reassign, checked by `route` and mended by
// reconcile.
#include <chrono>
#include <string>
#include <vector>

#include "named_agent_providers.hpp"
#include "provider_capabilities.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/suspension_service.hpp>

namespace vami::test {
namespace {

constexpr const char* k_trunk_termination = "vami synthflow.pstn.example.com"; // the fake's

class SipTrunkRoutingTest : public ServiceTest {
protected:
  SipTrunkRoutingTest() {
    m_synthflow.act_as("synthflow", synthflow_capabilities());
    m_providers.add(m_voice); // "elevenlabs", the default
    m_providers.add(m_synthflow);
    make_tenant("acme");
    m_numbers = buy_numbers(2);
    m_elevenlabs_agent = create("acme-el", "elevenlabs");
    m_synthflow_agent = create("acme-sf", "synthflow");
  }

  Agent create(const std::string& slug, const std::string& provider) {
    AgentRequest request;
    request.tenant_slug = "acme";
    request.slug = slug;
    request.name = "Front Desk";
    request.provider = provider;
    return AgentService(m_providers, *m_store, "tester").create(request);
  }

  AssignmentService assignments() {
    return AssignmentService(m_telephony, m_providers, *m_store, "tester", "");
  }

  RouteCheck route(const std::string& e164) {
    return check_route(m_telephony, &m_providers, *m_store, "", e164);
  }

  OwnedNumber owned(const std::string& e164) { return *m_telephony.find_owned(e164); }

  // The provider's import of `e164`; a default one (no id) when it has none.
  static ImportedNumber import_at(FakeVoiceAgentProvider& provider, const std::string& e164) {
    for (const ImportedNumber& number : provider.list_imported_numbers()) {
      if (number.e164 == e164) {
        return number;
      }
    }
    return {};
  }

  FakeVoiceAgentProvider m_synthflow;
  NamedAgentProviders m_providers;
  std::vector<std::string> m_numbers;
  Agent m_elevenlabs_agent;
  Agent m_synthflow_agent;
};

TEST_F(SipTrunkRoutingTest, ANativeAssignmentMovesTheNumberOntoTheTrunkAndImportsItThere) {
  const std::string& e164 = m_numbers[0];
  const AssignOutcome outcome = assignments().assign(e164, "acme-sf", RoutingMode::native);
  EXPECT_EQ(outcome.number.status, NumberStatus::assigned);

  const std::string trunk = owned(e164).sip_trunk_id;
  ASSERT_FALSE(trunk.empty());
  EXPECT_EQ(m_telephony.trunk_origination(trunk), FakeVoiceAgentProvider::k_sip_address);
  const ImportedNumber imported = import_at(m_synthflow, e164);
  EXPECT_EQ(imported.agent_id, m_synthflow_agent.provider_agent_id);
  EXPECT_EQ(m_synthflow.sip_termination_of(imported.phone_number_id), k_trunk_termination);
  // ElevenLabs is not asked; the row keeps no import id for a number found by its number.
  EXPECT_TRUE(m_voice.calls_of("import_number").empty());
  EXPECT_TRUE(row(e164).agent_phone_number_id.empty());

  const RouteCheck check = route(e164);
  EXPECT_TRUE(check.faults.empty()) << to_string(check.faults.front());
  EXPECT_TRUE(check.calls_answered);
}

TEST_F(SipTrunkRoutingTest, TwoNumbersShareOneTrunkAndAnAssignmentRepeatedChangesNothing) {
  (void)create("acme-sf2", "synthflow"); // a Synthflow agent answers one number
  (void)assignments().assign(m_numbers[0], "acme-sf", RoutingMode::native);
  (void)assignments().assign(m_numbers[1], "acme-sf2", RoutingMode::native);
  EXPECT_EQ(owned(m_numbers[0]).sip_trunk_id, owned(m_numbers[1]).sip_trunk_id);
  const AssignOutcome again = assignments().assign(m_numbers[0], "acme-sf", RoutingMode::native);
  EXPECT_TRUE(again.already_assigned);
  EXPECT_EQ(m_synthflow.calls_of("import_sip_trunk_number").size(), 2U); // not imported twice
  int moves = 0;
  for (const auto& call : m_telephony.calls()) {
    moves += call.method == "move_to_sip_trunk" ? 1 : 0;
  }
  EXPECT_EQ(moves, 2); // not moved twice
}

TEST_F(SipTrunkRoutingTest, UnassigningRemovesTheImportAndTakesTheNumberOffTheTrunk) {
  const std::string& e164 = m_numbers[0];
  (void)assignments().assign(e164, "acme-sf", RoutingMode::native);
  const PoolNumber after = assignments().unassign(e164);
  EXPECT_EQ(after.status, NumberStatus::available);
  EXPECT_TRUE(owned(e164).sip_trunk_id.empty());
  EXPECT_TRUE(import_at(m_synthflow, e164).phone_number_id.empty());
  EXPECT_TRUE(route(e164).faults.empty());
}

TEST_F(SipTrunkRoutingTest, ReassigningBetweenElevenLabsAndSynthflowHandsTheNumberOverBothWays) {
  const std::string& e164 = m_numbers[0];
  (void)assignments().assign(e164, "acme-el", RoutingMode::native);
  const std::string elevenlabs_import = row(e164).agent_phone_number_id;
  ASSERT_FALSE(elevenlabs_import.empty());

  (void)assignments().reassign(e164, "acme-sf");
  EXPECT_FALSE(owned(e164).sip_trunk_id.empty());
  EXPECT_EQ(import_at(m_synthflow, e164).agent_id, m_synthflow_agent.provider_agent_id);
  // ElevenLabs let it go: its import names no agent (and is kept for the way back).
  EXPECT_EQ(import_at(m_voice, e164).phone_number_id, elevenlabs_import);
  EXPECT_TRUE(import_at(m_voice, e164).agent_id.empty());
  RouteCheck check = route(e164);
  EXPECT_TRUE(check.faults.empty()) << to_string(check.faults.front());

  (void)assignments().reassign(e164, "acme-el");
  EXPECT_TRUE(owned(e164).sip_trunk_id.empty());
  EXPECT_TRUE(import_at(m_synthflow, e164).phone_number_id.empty());
  EXPECT_EQ(import_at(m_voice, e164).agent_id, m_elevenlabs_agent.provider_agent_id);
  EXPECT_EQ(owned(e164).webhook.voice_url, FakeVoiceAgentProvider::k_inbound_url);
  check = route(e164);
  EXPECT_TRUE(check.faults.empty()) << to_string(check.faults.front());
  EXPECT_TRUE(check.calls_answered);
}

TEST_F(SipTrunkRoutingTest, ANumberOffItsTrunkOrOnOneItShouldNotBeIsFoundAndRepaired) {
  (void)assignments().assign(m_numbers[0], "acme-sf", RoutingMode::native);
  (void)assignments().assign(m_numbers[1], "acme-el", RoutingMode::native);
  const std::string trunk = owned(m_numbers[0]).sip_trunk_id;
  m_telephony.remove_from_sip_trunk(owned(m_numbers[0]).provider_sid, trunk); // by hand
  m_telephony.put_on_trunk(m_numbers[1], trunk);

  RouteCheck off = route(m_numbers[0]);
  EXPECT_EQ(off.faults, std::vector<RoutingFault>{RoutingFault::not_on_sip_trunk});
  EXPECT_FALSE(off.calls_answered);
  RouteCheck on = route(m_numbers[1]);
  EXPECT_EQ(on.faults, std::vector<RoutingFault>{RoutingFault::on_sip_trunk});
  EXPECT_FALSE(on.calls_answered);

  ReconcileService reconcile(m_telephony, &m_providers, *m_store, "tester", std::chrono::seconds(0),
                             "");
  const ReconcileReport report = reconcile.reconcile(ReconcileMode::apply);
  int repaired = 0;
  for (const Finding& finding : report.findings) {
    if (finding.kind == FindingKind::voice_url_drift) {
      EXPECT_EQ(finding.resolution, Resolution::repaired) << finding.e164;
      ++repaired;
    }
  }
  EXPECT_EQ(repaired, 2);
  EXPECT_EQ(owned(m_numbers[0]).sip_trunk_id, trunk);
  EXPECT_TRUE(owned(m_numbers[1]).sip_trunk_id.empty());
  EXPECT_TRUE(route(m_numbers[0]).faults.empty());
  EXPECT_TRUE(route(m_numbers[1]).faults.empty());
  // In sync now: a second run finds nothing to repair.
  for (const Finding& finding : reconcile.reconcile(ReconcileMode::report).findings) {
    EXPECT_EQ(finding.kind, FindingKind::in_sync) << to_string(finding.kind) << " " << finding.e164;
  }
}

TEST_F(SipTrunkRoutingTest, ANumberOnAnotherTrunkThanVamisIsFoundAndMovedBack) {
  const std::string& e164 = m_numbers[0];
  (void)assignments().assign(e164, "acme-sf", RoutingMode::native);
  const std::string vamis = owned(e164).sip_trunk_id;
  const std::string other = m_telephony.make_trunk("acme pbx");       // someone's own trunk
  m_telephony.remove_from_sip_trunk(owned(e164).provider_sid, vamis); // by hand
  m_telephony.put_on_trunk(e164, other);

  const RouteCheck check = route(e164);
  EXPECT_EQ(check.faults, std::vector<RoutingFault>{RoutingFault::on_other_sip_trunk});
  EXPECT_FALSE(check.calls_answered);
  ASSERT_TRUE(check.observed.other_sip_trunk);
  EXPECT_EQ(check.observed.other_sip_trunk->trunk_id, other);
  EXPECT_EQ(check.observed.other_sip_trunk->name, "acme pbx");

  ReconcileService reconcile(m_telephony, &m_providers, *m_store, "tester", std::chrono::seconds(0),
                             "");
  const ReconcileReport found = reconcile.reconcile(ReconcileMode::report);
  std::vector<Finding> drift;
  for (const Finding& finding : found.findings) {
    if (finding.kind == FindingKind::voice_url_drift) {
      drift.push_back(finding);
    }
  }
  ASSERT_EQ(drift.size(), 1U);
  EXPECT_TRUE(drift[0].on_other_sip_trunk);
  EXPECT_EQ(drift[0].reported_sip_trunk, other);
  EXPECT_EQ(drift[0].reported_sip_trunk_name, "acme pbx");
  EXPECT_EQ(drift[0].repair, Repair::route_again);

  (void)reconcile.reconcile(ReconcileMode::apply);
  EXPECT_EQ(owned(e164).sip_trunk_id, vamis);
  EXPECT_TRUE(route(e164).faults.empty());
  for (const Finding& finding : reconcile.reconcile(ReconcileMode::report).findings) {
    EXPECT_EQ(finding.kind, FindingKind::in_sync) << to_string(finding.kind) << " " << finding.e164;
  }
}

TEST_F(SipTrunkRoutingTest, ASynthflowAgentAnswersOneNumberAndASecondIsRefusedFirst) {
  (void)assignments().assign(m_numbers[0], "acme-sf", RoutingMode::native);
  const std::size_t provider_calls = m_synthflow.calls().size();
  const Error second =
      error_of([&] { (void)assignments().assign(m_numbers[1], "acme-sf", RoutingMode::native); });
  EXPECT_EQ(second.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(second.what(), m_numbers[0])) << second.what();
  (void)assignments().assign(m_numbers[1], "acme-el", RoutingMode::native);
  EXPECT_EQ(kind_of([&] { (void)assignments().reassign(m_numbers[1], "acme-sf"); }),
            ErrorKind::conflict);
  BulkAssignRequest many;
  many.numbers = {m_numbers[0], m_numbers[1]};
  many.agent = "acme-sf";
  EXPECT_EQ(kind_of([&] { (void)assignments().assign_many(many, {}, {}); }), ErrorKind::conflict);
  EXPECT_EQ(kind_of([&] { (void)assignments().assign_pick({}, "acme-sf", RoutingMode::native); }),
            ErrorKind::conflict);
  // Nothing changed: the second number stays with the ElevenLabs agent, Synthflow unasked.
  EXPECT_EQ(row(m_numbers[1]).agent_slug, "acme-el");
  EXPECT_EQ(m_synthflow.calls().size(), provider_calls);
  // Repeating the assignment the agent has is no second number.
  EXPECT_TRUE(assignments().assign(m_numbers[0], "acme-sf", RoutingMode::native).already_assigned);
}

TEST_F(SipTrunkRoutingTest, ASuspendedNumberLeavesTheTrunkAndResumingPutsItBack) {
  const std::string& e164 = m_numbers[0];
  (void)assignments().assign(e164, "acme-sf", RoutingMode::native);
  const std::string trunk = owned(e164).sip_trunk_id;
  SuspensionService suspensions(m_telephony, m_providers, *m_store, "tester");
  (void)suspensions.suspend(e164, "We are closed today.");
  // Off the trunk, the out-of-service voice URL answers; Synthflow's import names no agent.
  EXPECT_TRUE(owned(e164).sip_trunk_id.empty());
  EXPECT_EQ(owned(e164).webhook.voice_url,
            m_telephony.out_of_service_webhook("We are closed today.").voice_url);
  EXPECT_TRUE(import_at(m_synthflow, e164).agent_id.empty());

  const PoolNumber resumed = suspensions.resume(e164);
  EXPECT_EQ(resumed.status, NumberStatus::assigned);
  EXPECT_EQ(owned(e164).sip_trunk_id, trunk);
  EXPECT_EQ(import_at(m_synthflow, e164).agent_id, m_synthflow_agent.provider_agent_id);
  EXPECT_TRUE(route(e164).faults.empty());
}

TEST_F(SipTrunkRoutingTest, AnImportWhoseAnswerWasLostIsFoundAndAssignedNotImportedTwice) {
  m_synthflow.fail_next("import_sip_trunk_number", {ErrorKind::unavailable, /*acted=*/true});
  (void)assignments().assign(m_numbers[0], "acme-sf", RoutingMode::native);
  EXPECT_EQ(import_at(m_synthflow, m_numbers[0]).agent_id, m_synthflow_agent.provider_agent_id);
  EXPECT_EQ(m_synthflow.list_imported_numbers().size(), 1U);
}

TEST_F(SipTrunkRoutingTest, AFailedAssignmentLeavesTheNumberAvailable) {
  m_synthflow.fail_next("set_number_agent", {ErrorKind::invalid_input, /*acted=*/false});
  EXPECT_EQ(
      kind_of([&] { (void)assignments().assign(m_numbers[0], "acme-sf", RoutingMode::native); }),
      ErrorKind::invalid_input);
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::available);
}

} // namespace
} // namespace vami::test
