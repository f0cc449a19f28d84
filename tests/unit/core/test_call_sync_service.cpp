#include <string>
#include <vector>

#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/call_sync_service.hpp>
#include <vami/core/clock.hpp>

namespace vami {
namespace {

class CallSyncServiceTest : public test::ServiceTest {
protected:
  void SetUp() override {
    (void)make_tenant("acme");
    m_agent = make_agent("acme", "front-desk");
    m_numbers = buy_numbers(2);
    (void)m_store->assign_number(m_numbers[0], {"front-desk", RoutingMode::native});
    m_store->end_routing_change(m_numbers[0]);
  }

  TelephonyCall inbound(const std::string& sid, const std::string& to, const std::string& at,
                        std::optional<std::int64_t> seconds) {
    TelephonyCall call;
    call.call_sid = sid;
    call.from = "+14155550199";
    call.to = to;
    call.direction = CallDirection::inbound;
    call.status = seconds ? CallStatus::completed : CallStatus::in_progress;
    call.start_time = at;
    call.duration_seconds = seconds;
    if (seconds) {
      call.price = Money{17'000, "USD"};
    }
    return call;
  }

  ConversationDetails conversation(const std::string& id, const std::string& call_sid,
                                   const std::string& at) {
    ConversationDetails details;
    details.conversation.conversation_id = id;
    details.conversation.agent_id = m_agent.provider_agent_id;
    details.conversation.status = "done";
    details.conversation.start_time_unix = unix_of_iso8601(at);
    details.conversation.duration_seconds = 95;
    details.conversation.call_successful = "success";
    details.call_sid = call_sid;
    details.agent_number = m_numbers[0];
    details.external_number = "+14155550199";
    details.direction = CallDirection::inbound;
    details.cost = Money{123'400, "USD"};
    details.credits = 296;
    details.transcript_summary = "Booked a cleaning.";
    details.transcript = {{"agent", "Hello, Acme Dental.", 0}};
    return details;
  }

  Agent m_agent;
  std::vector<std::string> m_numbers;
};

TEST_F(CallSyncServiceTest, JoinsTwilioCallsAndConversationsIntoOneHistoryIdempotently) {
  m_telephony.add_call(inbound("CA1", m_numbers[0], "2026-11-20T10:00:00Z", 95));
  m_telephony.add_call(inbound("CA2", "+19995550000", "2026-11-20T11:00:00Z", 30)); // Not ours.
  m_telephony.add_call(inbound("CA3", m_numbers[1], "2026-11-21T09:00:00Z", std::nullopt));
  m_voice.add_conversation_details(conversation("conv_1", "CA1", "2026-11-20T10:00:01Z"));

  CallSyncService service(*m_store, m_telephony, m_voice_agents);
  const CallSyncReport first = service.sync("");
  EXPECT_EQ(first.telephony_calls, 2);
  EXPECT_EQ(first.conversations, 1);
  EXPECT_EQ(first.conversation_details, 1);
  EXPECT_EQ(first.created, 2);
  EXPECT_EQ(first.updated, 1); // conv_1 joined CA1.

  const auto calls = m_store->list_calls({});
  ASSERT_EQ(calls.size(), 2U);
  const CallRecord joined = *m_store->find_call("conv_1");
  EXPECT_EQ(joined.call_sid, "CA1");
  EXPECT_EQ(joined.number, m_numbers[0]);
  EXPECT_EQ(joined.caller, "+14155550199");
  EXPECT_EQ(joined.tenant_slug, "acme");
  EXPECT_EQ(joined.agent_slug, "front-desk");
  EXPECT_EQ(joined.provider_agent_id, m_agent.provider_agent_id);
  EXPECT_EQ(joined.status, CallStatus::completed);
  EXPECT_EQ(joined.started_at, "2026-11-20T10:00:00Z");
  EXPECT_EQ(joined.duration_seconds, 95);
  EXPECT_EQ(joined.telephony_cost, (Money{17'000, "USD"}));
  EXPECT_EQ(joined.agent_cost, (Money{123'400, "USD"}));
  EXPECT_EQ(joined.summary, "Booked a cleaning.");
  EXPECT_EQ(joined.outcome, CallOutcome::success);
  EXPECT_EQ(joined.source, CallSource::sync);
  ASSERT_EQ(joined.transcript.size(), 1U);

  // The unassigned number's call has no tenant; it is still in progress.
  const CallRecord ongoing = *m_store->find_call("CA3");
  EXPECT_TRUE(ongoing.tenant_slug.empty());
  EXPECT_EQ(ongoing.status, CallStatus::in_progress);

  // Again: nothing changes, and a conversation known in full is not read again.
  m_voice.clear_calls();
  const CallSyncReport second = service.sync("");
  EXPECT_EQ(second.created, 0);
  EXPECT_EQ(second.updated, 0);
  EXPECT_EQ(second.unchanged, 3);
  EXPECT_EQ(second.conversation_details, 0);
  EXPECT_TRUE(m_voice.calls_of("get_conversation").empty());
  EXPECT_EQ(m_store->list_calls({}).size(), 2U);
}

TEST_F(CallSyncServiceTest, SinceAsksTheProvidersFromThatDayAndKeepsLaterCallsOnly) {
  m_telephony.add_call(inbound("CA1", m_numbers[0], "2026-11-20T09:59:59Z", 10));
  m_telephony.add_call(inbound("CA2", m_numbers[0], "2026-11-20T10:00:00Z", 10));
  m_telephony.add_call(inbound("CA3", m_numbers[0], "2026-11-19T23:00:00Z", 10));
  CallSyncService service(*m_store, m_telephony, m_voice_agents);
  const CallSyncReport report = service.sync("2026-11-20T10:00:00Z");
  EXPECT_EQ(report.created, 1);
  EXPECT_TRUE(m_store->find_call("CA2"));
  EXPECT_FALSE(m_store->find_call("CA1"));
  std::string asked;
  for (const auto& call : m_telephony.calls()) {
    if (call.method == "list_calls") {
      asked = call.argument;
    }
  }
  EXPECT_EQ(asked, "2026-11-20");
  EXPECT_EQ(m_voice.calls_of("list_conversations_since").back().argument,
            m_agent.provider_agent_id);
}

TEST_F(CallSyncServiceTest, AnOutboundCallIsFiledUnderThePoolNumberThatCalled) {
  TelephonyCall outbound = inbound("CA9", "+14155550123", "2026-11-20T10:00:00Z", 40);
  outbound.from = m_numbers[0];
  outbound.direction = CallDirection::outbound_api;
  m_telephony.add_call(outbound);
  CallSyncService service(*m_store, m_telephony, m_voice_agents);
  (void)service.sync("");
  const CallRecord call = *m_store->find_call("CA9");
  EXPECT_EQ(call.number, m_numbers[0]);
  EXPECT_EQ(call.caller, "+14155550123");
  EXPECT_EQ(call.direction, CallDirection::outbound_api);
}

} // namespace
} // namespace vami
