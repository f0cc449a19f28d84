#include <string>
#include <vector>

#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/suspension_service.hpp>

namespace vami {
namespace {

using test::kind_of;

constexpr const char* k_router = "https://router.example.com/voice";
/// What ElevenLabs (and the linked fake) sets as the voice URL of a number it imports.
const VoiceWebhook k_inbound{test::FakeVoiceAgentProvider::k_inbound_url, "POST", ""};

class SuspensionServiceTest : public test::ServiceTest {
protected:
  SuspensionServiceTest()
      : m_assignments(m_telephony, m_voice_agents, *m_store, "tester", k_router),
        m_suspensions(m_telephony, m_voice_agents, *m_store, "tester") {
    make_tenant("acme");
    make_tenant("bravo", "Bravo Plumbing");
    m_front = make_agent("acme", "front-desk");
    m_bravo = make_agent("bravo", "bravo-desk", "Bravo Desk");
    m_numbers = buy_numbers(4);
  }

  /// Assigns natively and plays the voice-agent provider setting the voice URL on import.
  PoolNumber assign_native(const std::string& e164, const Agent& agent) {
    (void)m_assignments.assign(e164, agent.slug, RoutingMode::native);
    (void)m_telephony.set_voice_webhook(row(e164).provider_sid, k_inbound);
    m_store->update_webhook(e164, k_inbound);
    return row(e164);
  }

  VoiceWebhook at_telephony(const std::string& e164) {
    return m_telephony.owned().at(e164).webhook;
  }
  std::string agent_at_import(const PoolNumber& number) {
    return m_voice.imported().at(number.agent_phone_number_id).agent_id;
  }

  AssignmentService m_assignments;
  SuspensionService m_suspensions;
  Agent m_front;
  Agent m_bravo;
  std::vector<std::string> m_numbers;
};

TEST_F(SuspensionServiceTest, SuspendingANativeNumberStopsBothProvidersAndResumeRestoresIt) {
  const std::string& e164 = m_numbers[0];
  const PoolNumber before = assign_native(e164, m_front);
  ASSERT_EQ(agent_at_import(before), m_front.provider_agent_id);

  PoolNumber suspended = m_suspensions.suspend(e164, "This line is closed");
  EXPECT_EQ(suspended.status, NumberStatus::suspended);
  EXPECT_EQ(suspended.tenant_slug, "acme");
  EXPECT_EQ(suspended.agent_slug, "");
  ASSERT_TRUE(suspended.suspension);
  EXPECT_EQ(suspended.suspension->previous_status, NumberStatus::assigned);
  EXPECT_EQ(suspended.suspension->agent_slug, "front-desk");
  EXPECT_EQ(suspended.suspension->previous_webhook, k_inbound);
  EXPECT_EQ(suspended.suspension->message, "This line is closed");
  EXPECT_EQ(at_telephony(e164).voice_url,
            m_telephony.out_of_service_webhook("This line is closed").voice_url);
  EXPECT_EQ(agent_at_import(before), ""); // ElevenLabs answers no more
  EXPECT_EQ(row(e164).suspension, suspended.suspension);
  EXPECT_EQ(row(e164).webhook, suspended.webhook);
  EXPECT_EQ(row(e164).routing_holder, "");

  PoolNumber resumed = m_suspensions.resume(e164);
  EXPECT_EQ(resumed.status, NumberStatus::assigned);
  EXPECT_EQ(resumed.agent_slug, "front-desk");
  EXPECT_EQ(resumed.tenant_slug, "acme");
  EXPECT_EQ(resumed.routing_mode, RoutingMode::native);
  EXPECT_EQ(resumed.agent_phone_number_id, before.agent_phone_number_id);
  EXPECT_FALSE(resumed.suspension);
  EXPECT_EQ(at_telephony(e164), k_inbound);
  EXPECT_EQ(resumed.webhook, k_inbound);
  EXPECT_EQ(agent_at_import(before), m_front.provider_agent_id);

  auto entries = audit();
  ASSERT_GE(entries.size(), 2U);
  EXPECT_EQ(entries[entries.size() - 2].command, "numbers suspend");
  EXPECT_EQ(entries[entries.size() - 2].tenant_slug, "acme");
  EXPECT_EQ(entries.back().command, "numbers resume");
}

TEST_F(SuspensionServiceTest, AWebhookNumberGetsItsRouterUrlBackAndAnAvailableOneStaysAvailable) {
  const std::string& routed = m_numbers[0];
  (void)m_assignments.assign(routed, m_front.slug, RoutingMode::webhook);
  const VoiceWebhook router = at_telephony(routed);
  (void)m_suspensions.suspend(routed, "");
  EXPECT_EQ(at_telephony(routed).voice_url, m_telephony.out_of_service_webhook("").voice_url);
  PoolNumber back = m_suspensions.resume(routed);
  EXPECT_EQ(back.routing_mode, RoutingMode::webhook);
  EXPECT_EQ(at_telephony(routed), router);

  const std::string& spare = m_numbers[1];
  PoolNumber held = m_suspensions.suspend(spare, "");
  EXPECT_EQ(held.suspension->previous_status, NumberStatus::available);
  // Held out of service: never handed out by --pick.
  for (int i = 0; i < 2; ++i) {
    EXPECT_NE(m_assignments.assign_pick({}, m_front.slug, RoutingMode::native).e164, spare);
  }
  EXPECT_EQ(kind_of([&] { m_assignments.assign(spare, m_front.slug, RoutingMode::native); }),
            ErrorKind::conflict);
  PoolNumber free = m_suspensions.resume(spare);
  EXPECT_EQ(free.status, NumberStatus::available);
  EXPECT_EQ(free.tenant_slug, "");
  EXPECT_FALSE(free.routing_mode);
}

TEST_F(SuspensionServiceTest, ARefusedWebhookChangeLeavesTheNumberAsItWas) {
  const std::string& e164 = m_numbers[0];
  const PoolNumber before = assign_native(e164, m_front);
  m_telephony.fail_at(static_cast<int>(m_telephony.calls().size()) + 1,
                      {ErrorKind::provider, false});
  EXPECT_EQ(kind_of([&] { m_suspensions.suspend(e164, ""); }), ErrorKind::provider);
  PoolNumber after = row(e164);
  EXPECT_EQ(after.status, NumberStatus::assigned);
  EXPECT_EQ(after.agent_slug, "front-desk");
  EXPECT_EQ(after.webhook, k_inbound);
  EXPECT_EQ(after.routing_holder, "");
  EXPECT_EQ(agent_at_import(before), m_front.provider_agent_id);
}

TEST_F(SuspensionServiceTest,
       SuspendingTwiceFinishesAnInterruptedSuspendAndResumeIsRefusedWhenNotSuspended) {
  const std::string& e164 = m_numbers[0];
  const PoolNumber before = assign_native(e164, m_front);
  // A suspend that died after the database changed: the providers still route calls.
  Suspension record{NumberStatus::assigned, "front-desk", k_inbound, "closed", ""};
  (void)m_store->suspend_number(e164, record);
  m_store->end_routing_change(e164);
  EXPECT_EQ(agent_at_import(before), m_front.provider_agent_id);

  PoolNumber again = m_suspensions.suspend(e164, "closed");
  EXPECT_EQ(again.status, NumberStatus::suspended);
  EXPECT_EQ(agent_at_import(before), "");
  EXPECT_EQ(at_telephony(e164).voice_url, m_telephony.out_of_service_webhook("closed").voice_url);
  EXPECT_EQ(kind_of([&] { m_suspensions.suspend(e164, "another message"); }), ErrorKind::conflict);

  (void)m_suspensions.resume(e164);
  EXPECT_EQ(kind_of([&] { m_suspensions.resume(e164); }), ErrorKind::conflict);
}

TEST_F(SuspensionServiceTest, ATenantIsSuspendedAndResumedAsOneJournaledOperation) {
  assign_native(m_numbers[0], m_front);
  (void)m_assignments.assign(m_numbers[1], m_front.slug, RoutingMode::webhook);
  assign_native(m_numbers[2], m_bravo);

  BulkReport suspended = m_suspensions.suspend_tenant("acme", "", 2, {}, {});
  EXPECT_EQ(suspended.requested, 2);
  EXPECT_EQ(suspended.succeeded, 2);
  auto operation = m_store->find_operation(suspended.operation_id);
  ASSERT_TRUE(operation);
  EXPECT_EQ(operation->kind, OperationKind::suspend);
  EXPECT_EQ(operation->status, OperationStatus::completed);
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::suspended);
  EXPECT_EQ(row(m_numbers[1]).status, NumberStatus::suspended);
  EXPECT_EQ(row(m_numbers[2]).status, NumberStatus::assigned); // another tenant's

  // Nothing left to do: no operation.
  EXPECT_TRUE(m_suspensions.resume_tenant("bravo", 2, {}, {}).operation_id.empty());

  BulkReport resumed = m_suspensions.resume_tenant("acme", 2, {}, {});
  EXPECT_EQ(resumed.succeeded, 2);
  EXPECT_EQ(m_store->find_operation(resumed.operation_id)->kind, OperationKind::resume);
  EXPECT_EQ(row(m_numbers[0]).agent_slug, "front-desk");
  EXPECT_EQ(row(m_numbers[1]).routing_mode, RoutingMode::webhook);
  EXPECT_EQ(kind_of([&] { m_suspensions.suspend_tenant("nobody", "", 2, {}, {}); }),
            ErrorKind::not_found);
}

TEST_F(SuspensionServiceTest, BulkSuspendCarriesOnPastAFailedNumber) {
  assign_native(m_numbers[0], m_front);
  BulkReport report =
      m_suspensions.suspend_many({m_numbers[0], "+12125559999", m_numbers[1]}, "", 1, {}, {});
  EXPECT_EQ(report.requested, 3);
  EXPECT_EQ(report.succeeded, 2);
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::partial);
  EXPECT_EQ(row(m_numbers[1]).status, NumberStatus::suspended);
}

TEST_F(SuspensionServiceTest, AnInterruptedResumeIsFinishedByOperationsResume) {
  assign_native(m_numbers[0], m_front);
  assign_native(m_numbers[1], m_front);
  (void)m_suspensions.suspend_tenant("acme", "", 1, {}, {});
  int started = 0;
  BulkReport first = m_suspensions.resume_tenant("acme", 1, [&] { return started++ >= 1; }, {});
  EXPECT_TRUE(first.interrupted);
  ResumePlan plan = m_suspensions.plan_resume(first.operation_id);
  ASSERT_EQ(plan.numbers.size(), 1U);
  BulkReport rest = m_suspensions.resume_operation(plan, {}, {});
  EXPECT_EQ(rest.succeeded, 1);
  EXPECT_EQ(m_store->find_operation(first.operation_id)->status, OperationStatus::completed);
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::assigned);
  EXPECT_EQ(row(m_numbers[1]).status, NumberStatus::assigned);
}

TEST_F(SuspensionServiceTest, MessagesAreOneLineOfBoundedText) {
  EXPECT_EQ(kind_of([&] { m_suspensions.suspend(m_numbers[0], "line\nbreak"); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { m_suspensions.suspend(m_numbers[0], std::string(301, 'a')); }),
            ErrorKind::invalid_input);
  EXPECT_NO_THROW(m_suspensions.suspend(m_numbers[0], "Geschäft geschlossen"));
  EXPECT_EQ(row(m_numbers[2]).status, NumberStatus::available);
}

TEST_F(SuspensionServiceTest, AnAgentWithASuspendedNumberIsNotDeletedUnderIt) {
  assign_native(m_numbers[0], m_front);
  (void)m_suspensions.suspend(m_numbers[0], "");
  NumberFilter filter;
  filter.agent_slug = "front-desk";
  ASSERT_EQ(m_store->list_numbers(filter).size(), 1U);
  EXPECT_EQ(kind_of([&] { m_store->delete_agent("front-desk"); }), ErrorKind::conflict);
}

TEST_F(SuspensionServiceTest, ReconcileFindsASuspendedNumberThatStillRoutesCallsAndRepairsIt) {
  const std::string& e164 = m_numbers[0];
  const PoolNumber before = assign_native(e164, m_front);
  (void)m_suspensions.suspend(e164, "closed");
  // Someone points it back at ElevenLabs and gives the import its agent again.
  (void)m_telephony.set_voice_webhook(before.provider_sid, k_inbound);
  (void)m_voice.set_number_agent(before.agent_phone_number_id, m_front.provider_agent_id);

  ReconcileService reconcile(m_telephony, &m_voice_agents, *m_store, "tester",
                             std::chrono::seconds(0));
  ReconcileReport report = reconcile.reconcile(ReconcileMode::report);
  EXPECT_FALSE(report.settled());
  EXPECT_EQ(report.counts.at(FindingKind::suspension_drift), 1);
  EXPECT_EQ(report.counts.at(FindingKind::agent_drift), 1);
  EXPECT_EQ(row(e164).status, NumberStatus::suspended); // the database is not told otherwise

  ReconcileReport applied = reconcile.reconcile(ReconcileMode::apply);
  EXPECT_TRUE(applied.settled());
  EXPECT_EQ(at_telephony(e164).voice_url, m_telephony.out_of_service_webhook("closed").voice_url);
  EXPECT_EQ(agent_at_import(before), "");
  EXPECT_EQ(row(e164).webhook.voice_url, at_telephony(e164).voice_url);
  EXPECT_TRUE(reconcile.reconcile(ReconcileMode::report).settled());
}

} // namespace
} // namespace vami
