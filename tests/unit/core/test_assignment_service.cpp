#include <string>
#include <vector>

#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami {
namespace {

using test::contains;
using test::error_of;
using test::kind_of;

constexpr const char* k_router = "https://router.example.com/voice";

class AssignmentServiceTest : public test::ServiceTest {
protected:
  AssignmentServiceTest()
      : m_assignments(m_telephony, m_voice_agents, *m_store, "tester", k_router) {
    make_tenant("acme");
    make_tenant("bravo", "Bravo Plumbing");
    m_front = make_agent("acme", "front-desk");
    m_night = make_agent("acme", "night-line", "Night Line");
    m_bravo = make_agent("bravo", "bravo-desk", "Bravo Desk");
    m_numbers = buy_numbers(2);
    m_other_area = buy_numbers(1, "646")[0];
    m_voice.clear_calls();
  }

  int telephony_calls(const std::string& method) { return m_telephony.count(method); }

  std::string webhook_at_telephony(const std::string& e164) {
    return m_telephony.owned().at(e164).webhook.voice_url;
  }

  AssignmentService m_assignments;
  Agent m_front;
  Agent m_night;
  Agent m_bravo;
  std::vector<std::string> m_numbers;
  std::string m_other_area;
};

TEST_F(AssignmentServiceTest, NativeAssignmentImportsTheNumberAndAssignsItThere) {
  const std::string& e164 = m_numbers[0];
  PoolNumber assigned = m_assignments.assign(e164, m_front.slug, RoutingMode::native).number;
  EXPECT_EQ(assigned.status, NumberStatus::assigned);
  EXPECT_EQ(assigned.agent_slug, "front-desk");
  EXPECT_EQ(assigned.tenant_slug, "acme");
  EXPECT_EQ(assigned.routing_mode, RoutingMode::native);

  auto imports = m_voice.calls_of("import_number");
  ASSERT_EQ(imports.size(), 1U);
  EXPECT_EQ(imports[0].argument, e164);
  auto imported = m_voice.imported();
  ASSERT_EQ(imported.size(), 1U);
  const ImportedNumber& number = imported.begin()->second;
  EXPECT_EQ(number.agent_id, m_front.provider_agent_id);
  EXPECT_EQ(assigned.agent_phone_number_id, number.phone_number_id);
  EXPECT_EQ(row(e164).agent_phone_number_id, number.phone_number_id);
  EXPECT_EQ(telephony_calls("set_voice_webhook"), 0);

  auto entries = audit();
  EXPECT_EQ(entries.back().command, "numbers assign");
  EXPECT_EQ(entries.back().entity_id, e164);
  EXPECT_EQ(entries.back().tenant_slug, "acme");
}

TEST_F(AssignmentServiceTest, ImportsANumberOnceAndReusesItsId) {
  const std::string& e164 = m_numbers[0];
  PoolNumber first = m_assignments.assign(e164, m_front.slug, RoutingMode::native).number;
  PoolNumber unassigned = m_assignments.unassign(e164);
  EXPECT_EQ(unassigned.status, NumberStatus::available);
  EXPECT_EQ(unassigned.agent_phone_number_id, first.agent_phone_number_id); // kept
  EXPECT_TRUE(m_voice.imported().at(first.agent_phone_number_id).agent_id.empty());

  PoolNumber again = m_assignments.assign(e164, m_night.slug, RoutingMode::native).number;
  EXPECT_EQ(m_voice.count("import_number"), 1);
  EXPECT_EQ(again.agent_phone_number_id, first.agent_phone_number_id);
  auto sets = m_voice.calls_of("set_number_agent");
  ASSERT_EQ(sets.size(), 3U);
  EXPECT_EQ(sets[1].detail, ""); // the unassignment
  EXPECT_EQ(sets[2].argument, first.agent_phone_number_id);
  EXPECT_EQ(sets[2].detail, m_night.provider_agent_id);
}

TEST_F(AssignmentServiceTest, LostImportAnswerIsFoundInTheImportedList) {
  m_voice.fail_next("import_number", {ErrorKind::unavailable, /*acted=*/true});
  PoolNumber assigned =
      m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native).number;
  EXPECT_EQ(m_voice.count("import_number"), 1);
  EXPECT_EQ(m_voice.count("list_imported_numbers"), 1);
  ASSERT_EQ(m_voice.imported().size(), 1U);
  EXPECT_EQ(assigned.agent_phone_number_id, m_voice.imported().begin()->first);
}

TEST_F(AssignmentServiceTest, AnImportRemovedOutsideVamiIsImportedAgainOnce) {
  const std::string& e164 = m_numbers[0];
  PoolNumber first = m_assignments.assign(e164, m_front.slug, RoutingMode::native).number;
  m_assignments.unassign(e164);
  m_voice.remove_imported_number(first.agent_phone_number_id);
  PoolNumber again = m_assignments.assign(e164, m_front.slug, RoutingMode::native).number;
  EXPECT_EQ(m_voice.count("import_number"), 2);
  EXPECT_NE(again.agent_phone_number_id, first.agent_phone_number_id);
  EXPECT_EQ(row(e164).agent_phone_number_id, again.agent_phone_number_id);
  EXPECT_EQ(m_voice.imported().at(again.agent_phone_number_id).agent_id, m_front.provider_agent_id);
}

TEST_F(AssignmentServiceTest, WebhookModePointsTheNumberAtTheRouterWithTheAgentId) {
  const std::string& e164 = m_numbers[0];
  PoolNumber assigned = m_assignments.assign(e164, m_front.slug, RoutingMode::webhook).number;
  const std::string expected = std::string(k_router) + "?agent_id=" + m_front.provider_agent_id;
  EXPECT_EQ(assigned.routing_mode, RoutingMode::webhook);
  EXPECT_EQ(assigned.webhook.voice_url, expected);
  EXPECT_EQ(webhook_at_telephony(e164), expected);
  EXPECT_EQ(row(e164).webhook.voice_url, expected);
  EXPECT_EQ(m_voice.count("import_number"), 0);
  EXPECT_EQ(m_voice.count("set_number_agent"), 0);
}

TEST_F(AssignmentServiceTest, WebhookModeWithoutARouterUrlIsRefusedBeforeAnyChange) {
  AssignmentService no_router(m_telephony, m_voice_agents, *m_store, "tester", "");
  const int telephony_before = static_cast<int>(m_telephony.calls().size());
  EXPECT_EQ(kind_of([&] { no_router.assign(m_numbers[0], m_front.slug, RoutingMode::webhook); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { no_router.assign_pick({}, m_front.slug, RoutingMode::webhook); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(static_cast<int>(m_telephony.calls().size()), telephony_before);
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::available);
  EXPECT_EQ(kind_of([&] {
              AssignmentService(m_telephony, m_voice_agents, *m_store, "tester", "ftp://router");
            }),
            ErrorKind::invalid_input);
}

TEST_F(AssignmentServiceTest, NoOtherProcessChangesANumberWhileItsChangeReachesTheProvider) {
  // Another staff member's vami, on the same database, tries to unassign the number while this
  // assignment's request is on its way to the voice-agent provider.
  auto other = open_sqlite_state_store(m_dir / "vami.db", "other-host:4242:77");
  std::vector<std::string> refused;
  m_voice.on_call([&](const test::FakeVoiceAgentProvider::Call& call) {
    if (call.method != "set_number_agent") {
      return;
    }
    try {
      (void)other->unassign_number(m_numbers[0], m_front.slug);
      refused.push_back("not refused");
    } catch (const Error& error) {
      refused.push_back(std::string(to_string(error.kind())) + ": " + error.what());
    }
  });
  (void)m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native);
  m_voice.on_call(nullptr);
  ASSERT_EQ(refused.size(), 1U);
  EXPECT_TRUE(contains(refused[0],
                       "conflict: " + m_numbers[0] + " is being changed by another vami process"))
      << refused[0];
  // Once the provider has answered, the number is free for the next change.
  EXPECT_TRUE(row(m_numbers[0]).routing_holder.empty());
  EXPECT_EQ(other->unassign_number(m_numbers[0], m_front.slug).status, NumberStatus::available);
}

TEST_F(AssignmentServiceTest, TheNumberIsGivenBackWhateverTheProviderAnswered) {
  for (ErrorKind kind : {ErrorKind::provider, ErrorKind::unavailable}) {
    m_voice.fail_next("set_number_agent", {kind, false});
    (void)kind_of([&] { m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native); });
    EXPECT_TRUE(row(m_numbers[0]).routing_holder.empty()) << to_string(kind);
  }
  (void)m_assignments.reassign(m_numbers[0], m_night.slug); // assigned (uncertain) above
  EXPECT_TRUE(row(m_numbers[0]).routing_holder.empty());
  (void)m_assignments.unassign(m_numbers[0]);
  EXPECT_TRUE(row(m_numbers[0]).routing_holder.empty());
  (void)m_assignments.assign_pick({}, m_front.slug, RoutingMode::webhook);
  for (const auto& e164 : m_numbers) {
    EXPECT_TRUE(row(e164).routing_holder.empty()) << e164;
  }
}

TEST_F(AssignmentServiceTest, AnAmbiguousProviderFailureKeepsTheAssignmentAndIsUncertain) {
  // The provider may have routed the number: the database keeps the assignment it asked for,
  // and reconcile makes the provider follow it.
  m_voice.fail_next("set_number_agent", {ErrorKind::unavailable, false});
  EXPECT_EQ(kind_of([&] { m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native); }),
            ErrorKind::uncertain);
  PoolNumber after = row(m_numbers[0]);
  EXPECT_EQ(after.status, NumberStatus::assigned);
  EXPECT_EQ(after.agent_slug, m_front.slug);
}

TEST_F(AssignmentServiceTest, ProviderFailureRollsTheRowBack) {
  for (ErrorKind kind : {ErrorKind::provider, ErrorKind::rate_limited}) {
    m_voice.fail_next("set_number_agent", {kind, false});
    EXPECT_EQ(
        kind_of([&] { m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native); }),
        kind);
    PoolNumber after = row(m_numbers[0]);
    EXPECT_EQ(after.status, NumberStatus::available) << to_string(kind);
    EXPECT_TRUE(after.agent_slug.empty());
    EXPECT_FALSE(after.routing_mode.has_value());
  }
  // The telephony side of webhook routing rolls back the same way.
  m_telephony.fail_at(static_cast<int>(m_telephony.calls().size()) + 1,
                      {ErrorKind::unavailable, false});
  EXPECT_EQ(
      kind_of([&] { m_assignments.assign(m_numbers[1], m_front.slug, RoutingMode::webhook); }),
      ErrorKind::unavailable);
  EXPECT_EQ(row(m_numbers[1]).status, NumberStatus::available);
  EXPECT_TRUE(row(m_numbers[1]).webhook.voice_url.empty());
  for (const auto& entry : audit()) {
    EXPECT_NE(entry.command, "numbers assign");
  }
}

// Known gap, disabled until fixed in assignment_service.cpp: when the native assignment is
// made at the voice-agent provider and only reading the voice URL back from the telephony
// provider fails, the row goes back to `available` while the provider's number still rings the
// agent. Either the read-back should not fail the assignment, or the provider side be undone.
TEST_F(AssignmentServiceTest, AFailedReadBackLeavesNoNumberRingingAnAvailableRow) {
  m_telephony.fail_at(static_cast<int>(m_telephony.calls().size()) + 1,
                      {ErrorKind::unavailable, false}); // find_owned, after set_number_agent
  try {
    m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native);
  } catch (const Error&) {
  }
  const PoolNumber after = row(m_numbers[0]);
  for (const auto& [id, imported] : m_voice.imported()) {
    if (after.status != NumberStatus::assigned) {
      EXPECT_TRUE(imported.agent_id.empty()) << m_numbers[0] << " is " << to_string(after.status)
                                             << " but rings " << imported.agent_id;
    }
  }
}

TEST_F(AssignmentServiceTest, AnAssignedNumberIsAConflictNamingItsHolder) {
  m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native);
  m_voice.clear_calls();
  Error error =
      error_of([&] { m_assignments.assign(m_numbers[0], m_bravo.slug, RoutingMode::native); });
  EXPECT_EQ(error.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(error.what(), "front-desk")) << error.what();
  EXPECT_TRUE(contains(error.what(), "acme")) << error.what();
  EXPECT_TRUE(m_voice.calls().empty());
  EXPECT_EQ(row(m_numbers[0]).agent_slug, "front-desk");
}

// Issue 10, item 15: repeating an assignment is not a conflict.
TEST_F(AssignmentServiceTest, AssigningANumberToItsAgentAgainSucceedsAndRoutesItAgain) {
  const std::string& e164 = m_numbers[0];
  AssignOutcome first = m_assignments.assign(e164, m_front.slug, RoutingMode::native);
  EXPECT_FALSE(first.already_assigned);
  const std::size_t entries = audit().size();
  m_telephony.point(e164, ""); // broken behind vami's back
  AssignOutcome again = m_assignments.assign(e164, m_front.slug, RoutingMode::native);
  EXPECT_TRUE(again.already_assigned);
  EXPECT_EQ(again.number.agent_slug, "front-desk");
  EXPECT_EQ(webhook_at_telephony(e164), test::FakeVoiceAgentProvider::k_inbound_url);
  EXPECT_EQ(audit().size(), entries); // the assignment did not change
  EXPECT_TRUE(row(e164).routing_holder.empty());
  // Another mode, or another agent, is still a conflict.
  EXPECT_EQ(kind_of([&] { m_assignments.assign(e164, m_front.slug, RoutingMode::webhook); }),
            ErrorKind::conflict);
  EXPECT_EQ(kind_of([&] { m_assignments.assign(e164, m_night.slug, RoutingMode::native); }),
            ErrorKind::conflict);
  // A refused re-routing leaves the assignment that was there before.
  m_voice.fail_next("set_number_agent", {ErrorKind::provider, false});
  EXPECT_EQ(kind_of([&] { m_assignments.assign(e164, m_front.slug, RoutingMode::native); }),
            ErrorKind::provider);
  EXPECT_EQ(row(e164).status, NumberStatus::assigned);
  EXPECT_EQ(row(e164).agent_slug, "front-desk");
}

TEST_F(AssignmentServiceTest, ReassignIsOneProviderRequest) {
  const std::string& e164 = m_numbers[0];
  PoolNumber first = m_assignments.assign(e164, m_front.slug, RoutingMode::native).number;
  m_voice.clear_calls();
  PoolNumber moved = m_assignments.reassign(e164, m_bravo.slug);
  auto calls = m_voice.calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].method, "set_number_agent");
  EXPECT_EQ(calls[0].argument, first.agent_phone_number_id);
  EXPECT_EQ(calls[0].detail, m_bravo.provider_agent_id);
  EXPECT_EQ(moved.agent_slug, "bravo-desk");
  EXPECT_EQ(moved.tenant_slug, "bravo"); // the tenant follows the agent
  EXPECT_EQ(moved.routing_mode, RoutingMode::native);
  EXPECT_EQ(m_voice.imported().at(first.agent_phone_number_id).agent_id, m_bravo.provider_agent_id);
  EXPECT_EQ(audit().back().command, "numbers reassign");
}

TEST_F(AssignmentServiceTest, ReassignOfAWebhookNumberMovesTheRouterUrl) {
  const std::string& e164 = m_numbers[0];
  m_assignments.assign(e164, m_front.slug, RoutingMode::webhook);
  m_assignments.reassign(e164, m_night.slug);
  EXPECT_EQ(webhook_at_telephony(e164),
            std::string(k_router) + "?agent_id=" + m_night.provider_agent_id);
  EXPECT_EQ(row(e164).routing_mode, RoutingMode::webhook);
  EXPECT_EQ(m_voice.count("set_number_agent"), 0);
}

TEST_F(AssignmentServiceTest, RefusedReassignKeepsTheFormerAgent) {
  const std::string& e164 = m_numbers[0];
  m_assignments.assign(e164, m_front.slug, RoutingMode::native);
  m_voice.fail_next("set_number_agent", {ErrorKind::provider, false});
  EXPECT_EQ(kind_of([&] { m_assignments.reassign(e164, m_night.slug); }), ErrorKind::provider);
  EXPECT_EQ(row(e164).agent_slug, "front-desk");
  EXPECT_EQ(row(e164).status, NumberStatus::assigned);
}

TEST_F(AssignmentServiceTest, ReassignNeedsAnAssignedNumberAndAnotherAgent) {
  EXPECT_EQ(kind_of([&] { m_assignments.reassign(m_numbers[0], m_front.slug); }),
            ErrorKind::conflict);
  m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native);
  EXPECT_EQ(kind_of([&] { m_assignments.reassign(m_numbers[0], m_front.slug); }),
            ErrorKind::conflict);
  EXPECT_EQ(kind_of([&] { m_assignments.reassign(m_numbers[0], "nobody"); }), ErrorKind::not_found);
}

TEST_F(AssignmentServiceTest, UnassigningAWebhookNumberClearsItsVoiceUrl) {
  const std::string& e164 = m_numbers[0];
  m_assignments.assign(e164, m_front.slug, RoutingMode::webhook);
  ASSERT_FALSE(webhook_at_telephony(e164).empty());
  PoolNumber after = m_assignments.unassign(e164);
  EXPECT_EQ(after.status, NumberStatus::available);
  EXPECT_TRUE(after.webhook.voice_url.empty());
  EXPECT_TRUE(webhook_at_telephony(e164).empty());
  EXPECT_TRUE(row(e164).webhook.voice_url.empty());
  EXPECT_EQ(audit().back().command, "numbers unassign");
}

TEST_F(AssignmentServiceTest, RefusedUnassignKeepsTheAssignment) {
  const std::string& e164 = m_numbers[0];
  m_assignments.assign(e164, m_front.slug, RoutingMode::native);
  m_voice.fail_next("set_number_agent", {ErrorKind::unavailable, false});
  EXPECT_EQ(kind_of([&] { m_assignments.unassign(e164); }), ErrorKind::unavailable);
  EXPECT_EQ(row(e164).status, NumberStatus::assigned);
  EXPECT_EQ(row(e164).agent_slug, "front-desk");
  EXPECT_EQ(row(e164).routing_mode, RoutingMode::native);
}

TEST_F(AssignmentServiceTest, UnassignNeedsAnAssignedPoolNumber) {
  EXPECT_EQ(kind_of([&] { m_assignments.unassign(m_numbers[0]); }), ErrorKind::conflict);
  EXPECT_EQ(kind_of([&] { m_assignments.unassign("+12125550199"); }), ErrorKind::not_found);
  EXPECT_EQ(kind_of([&] { m_assignments.unassign("+1 (212) 555-01O1"); }),
            ErrorKind::invalid_input);
}

TEST_F(AssignmentServiceTest, PickTakesTheFirstAvailableNumberMatchingTheFilter) {
  PoolNumber picked = m_assignments.assign_pick({"646", ""}, m_front.slug, RoutingMode::native);
  EXPECT_EQ(picked.e164, m_other_area);
  EXPECT_EQ(picked.agent_slug, "front-desk");
  Error none = error_of([&] {
    m_assignments.assign_pick({"646", ""}, m_front.slug, RoutingMode::native);
  });
  EXPECT_EQ(none.kind(), ErrorKind::conflict);
  PoolNumber by_city =
      m_assignments.assign_pick({"", "new york"}, m_night.slug, RoutingMode::native);
  EXPECT_EQ(by_city.e164, m_numbers[0]);
  EXPECT_EQ(kind_of([&] {
              m_assignments.assign_pick({"", "Boston"}, m_night.slug, RoutingMode::native);
            }),
            ErrorKind::conflict);
  EXPECT_EQ(kind_of([&] {
              m_assignments.assign_pick({"999", ""}, m_night.slug, RoutingMode::native);
            }),
            ErrorKind::invalid_input);
}

TEST_F(AssignmentServiceTest, RefusedPickPutsTheNumberBack) {
  m_voice.fail_next("import_number", {ErrorKind::auth, false});
  EXPECT_EQ(kind_of([&] {
              m_assignments.assign_pick({"646", ""}, m_front.slug, RoutingMode::native);
            }),
            ErrorKind::auth);
  EXPECT_EQ(row(m_other_area).status, NumberStatus::available);
}

TEST_F(AssignmentServiceTest, UnknownAgentOrNumberChangesNothing) {
  EXPECT_EQ(kind_of([&] { m_assignments.assign(m_numbers[0], "nobody", RoutingMode::native); }),
            ErrorKind::not_found);
  EXPECT_EQ(
      kind_of([&] { m_assignments.assign("+12125550199", m_front.slug, RoutingMode::native); }),
      ErrorKind::not_found);
  EXPECT_EQ(
      kind_of([&] { m_assignments.assign("not a number", m_front.slug, RoutingMode::native); }),
      ErrorKind::invalid_input);
  EXPECT_TRUE(m_voice.calls().empty());
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::available);
}

TEST_F(AssignmentServiceTest, RouteSaysWhereACallGoesFromTheDatabaseAlone) {
  m_assignments.assign(m_numbers[0], m_bravo.slug, RoutingMode::native);
  m_voice.clear_calls();
  Route assigned = find_route(*m_store, m_numbers[0]);
  ASSERT_TRUE(assigned.tenant.has_value());
  ASSERT_TRUE(assigned.agent.has_value());
  EXPECT_EQ(assigned.tenant->slug, "bravo");
  EXPECT_EQ(assigned.agent->provider_agent_id, m_bravo.provider_agent_id);
  Route idle = find_route(*m_store, m_numbers[1]);
  EXPECT_FALSE(idle.agent.has_value());
  EXPECT_EQ(idle.number.status, NumberStatus::available);
  EXPECT_EQ(kind_of([&] { (void)find_route(*m_store, "+12125550199"); }), ErrorKind::not_found);
  EXPECT_EQ(kind_of([&] { (void)find_route(*m_store, "12"); }), ErrorKind::invalid_input);
  EXPECT_TRUE(m_voice.calls().empty());
}

// Issue 10, item 1: native, unassign, webhook, unassign, native left the number assigned with
// no voice URL (the import made first was reused, and only an import sets the voice URL).
TEST_F(AssignmentServiceTest, ARoutingModeRoundTripLeavesTheNumberAnswered) {
  const std::string& e164 = m_numbers[0];
  const std::string inbound = test::FakeVoiceAgentProvider::k_inbound_url;
  m_assignments.assign(e164, m_front.slug, RoutingMode::native);
  EXPECT_EQ(webhook_at_telephony(e164), inbound);
  m_assignments.unassign(e164);
  PoolNumber by_webhook = m_assignments.assign(e164, m_front.slug, RoutingMode::webhook).number;
  EXPECT_EQ(webhook_at_telephony(e164),
            std::string(k_router) + "?agent_id=" + m_front.provider_agent_id);
  for (const auto& [id, imported] : m_voice.imported()) {
    EXPECT_TRUE(imported.agent_id.empty()) << "the import still names " << imported.agent_id;
  }
  m_assignments.unassign(e164);
  EXPECT_TRUE(webhook_at_telephony(e164).empty());

  PoolNumber native = m_assignments.assign(e164, m_night.slug, RoutingMode::native).number;
  EXPECT_EQ(webhook_at_telephony(e164), inbound);
  EXPECT_EQ(native.webhook.voice_url, inbound);
  EXPECT_EQ(row(e164).webhook.voice_url, inbound);
  ASSERT_EQ(m_voice.imported().size(), 1U);
  const ImportedNumber& imported = m_voice.imported().begin()->second;
  EXPECT_EQ(imported.agent_id, m_night.provider_agent_id);
  EXPECT_EQ(row(e164).agent_phone_number_id, imported.phone_number_id);
  EXPECT_NE(imported.phone_number_id, by_webhook.agent_phone_number_id); // imported again
}

TEST_F(AssignmentServiceTest, NativeRoutingRepointsAVoiceUrlChangedByHand) {
  const std::string& e164 = m_numbers[0];
  m_assignments.assign(e164, m_front.slug, RoutingMode::native);
  m_assignments.unassign(e164);
  m_telephony.point(e164, "https://someone.example.com/ivr");
  (void)m_assignments.assign(e164, m_front.slug, RoutingMode::native);
  EXPECT_EQ(webhook_at_telephony(e164), test::FakeVoiceAgentProvider::k_inbound_url);
  // Reassigning verifies too: the voice URL changed behind vami's back is pointed back.
  m_telephony.point(e164, "");
  (void)m_assignments.reassign(e164, m_night.slug);
  EXPECT_EQ(webhook_at_telephony(e164), test::FakeVoiceAgentProvider::k_inbound_url);
  EXPECT_EQ(m_voice.imported().begin()->second.agent_id, m_night.provider_agent_id);
}

TEST_F(AssignmentServiceTest, AVoiceUrlThatStaysWrongIsUncertainAndKeepsTheAssignment) {
  const std::string& e164 = m_numbers[0];
  m_voice.link_telephony({}); // imports no longer point the voice URL anywhere
  Error error = error_of([&] { m_assignments.assign(e164, m_front.slug, RoutingMode::native); });
  EXPECT_EQ(error.kind(), ErrorKind::uncertain);
  EXPECT_TRUE(contains(error.what(), "not answered")) << error.what();
  EXPECT_EQ(row(e164).status, NumberStatus::assigned);
  EXPECT_EQ(m_voice.count("import_number"), 2);
  EXPECT_EQ(m_voice.count("remove_imported_number"), 1);
}

TEST(RouterWebhook, AppendsTheAgentIdToTheRouterUrl) {
  EXPECT_EQ(router_webhook("https://r.example.com/voice", "agent_1").voice_url,
            "https://r.example.com/voice?agent_id=agent_1");
  EXPECT_EQ(router_webhook("https://r.example.com/voice?region=us", "agent_1").voice_url,
            "https://r.example.com/voice?region=us&agent_id=agent_1");
  EXPECT_EQ(router_webhook("https://r.example.com/voice", "agent_1").voice_method, "POST");
}

} // namespace
} // namespace vami
