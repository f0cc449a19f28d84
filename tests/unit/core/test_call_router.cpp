// The call-routing decision: To -> pool row -> tenant and agent -> connect, reject or fail.
#include <chrono>
#include <string>
#include <vector>

#include "fake_monotonic_clock.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/call_router.hpp>
#include <vami/core/stream_agent.hpp>
#include <vami/core/suspension_service.hpp>

namespace vami::test {
namespace {

using std::chrono::milliseconds;

constexpr const char* k_router = "https://router.example.com/twilio/voice";
constexpr const char* k_caller = "+14155550123";

class CallRouterTest : public ServiceTest {
protected:
  CallRouterTest()
      : m_assignments(m_telephony, m_voice_agents, *m_store, "tester", k_router),
        m_router(*m_store, m_voice_agents, m_clock, milliseconds(5000)) {
    make_tenant("acme");
    make_tenant("globex", "Globex");
    m_acme_agent = make_agent("acme", "acme-desk");
    m_globex_agent = make_agent("globex", "globex-desk", "Globex Desk");
    m_numbers = buy_numbers(4);
  }

  IncomingCall call_to(const std::string& to) const {
    IncomingCall call;
    call.call_sid = "CA0123456789abcdef0123456789abcdef";
    call.account_sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    call.from = k_caller;
    call.to = to;
    call.direction = "inbound";
    call.call_status = "ringing";
    return call;
  }

  testing::FakeMonotonicClock m_clock;
  AssignmentService m_assignments;
  CallRouter m_router;
  Agent m_acme_agent;
  Agent m_globex_agent;
  std::vector<std::string> m_numbers;
};

TEST_F(CallRouterTest, AWebhookNumberIsRegisteredWithItsTenantsAgent) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  m_assignments.assign(m_numbers[1], "globex-desk", RoutingMode::webhook);
  m_voice.clear_calls();

  CallDecision acme = m_router.route(call_to(m_numbers[0]));
  EXPECT_EQ(acme.outcome, RouteOutcome::connected);
  EXPECT_EQ(acme.tenant_slug, "acme");
  EXPECT_EQ(acme.agent_slug, "acme-desk");
  EXPECT_EQ(acme.provider_agent_id, m_acme_agent.provider_agent_id);
  EXPECT_TRUE(contains(acme.connect_document, m_acme_agent.provider_agent_id));

  CallDecision globex = m_router.route(call_to(m_numbers[1]));
  EXPECT_EQ(globex.outcome, RouteOutcome::connected);
  EXPECT_EQ(globex.tenant_slug, "globex");
  EXPECT_TRUE(contains(globex.connect_document, m_globex_agent.provider_agent_id));

  std::vector<CallRegistration> registrations = m_voice.registrations();
  ASSERT_EQ(registrations.size(), 2u);
  const CallRegistration& first = registrations[0];
  EXPECT_EQ(first.agent_id, m_acme_agent.provider_agent_id);
  EXPECT_EQ(first.from_number, k_caller);
  EXPECT_EQ(first.to_number, m_numbers[0]);
  EXPECT_EQ(first.direction, CallDirection::inbound);
  EXPECT_EQ(first.user_id, "acme");
  std::vector<std::pair<std::string, std::string>> variables = {
      {"vami_tenant", "acme"}, {"vami_call_sid", "CA0123456789abcdef0123456789abcdef"}};
  EXPECT_EQ(first.dynamic_variables, variables);
}

TEST_F(CallRouterTest, AReassignedNumberReachesTheNewAgentOnTheNextCall) {
  make_agent("acme", "acme-night", "Night Desk");
  Agent night = *m_store->find_agent("acme-night");
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  EXPECT_EQ(m_router.route(call_to(m_numbers[0])).provider_agent_id,
            m_acme_agent.provider_agent_id);
  m_assignments.reassign(m_numbers[0], "acme-night");
  CallDecision after = m_router.route(call_to(m_numbers[0]));
  EXPECT_EQ(after.outcome, RouteOutcome::connected);
  EXPECT_EQ(after.agent_slug, "acme-night");
  EXPECT_EQ(after.provider_agent_id, night.provider_agent_id);
}

TEST_F(CallRouterTest, NumbersWithoutAWebhookAgentAreRejectedWithoutAskingTheProvider) {
  m_assignments.assign(m_numbers[1], "acme-desk", RoutingMode::native);
  m_voice.clear_calls();

  CallDecision foreign = m_router.route(call_to("+12125559999"));
  EXPECT_EQ(foreign.outcome, RouteOutcome::rejected);
  EXPECT_EQ(foreign.reject_reason, RejectReason::not_in_pool);

  CallDecision available = m_router.route(call_to(m_numbers[0]));
  EXPECT_EQ(available.outcome, RouteOutcome::rejected);
  EXPECT_EQ(available.reject_reason, RejectReason::not_assigned);

  CallDecision native = m_router.route(call_to(m_numbers[1]));
  EXPECT_EQ(native.outcome, RouteOutcome::rejected);
  EXPECT_EQ(native.reject_reason, RejectReason::native_routing);
  EXPECT_EQ(native.tenant_slug, "acme");

  for (const char* address : {"client:alice", "sip:alice@example.com", "", "+1212555abcd"}) {
    CallDecision odd = m_router.route(call_to(address));
    EXPECT_EQ(odd.outcome, RouteOutcome::rejected) << address;
    EXPECT_EQ(odd.reject_reason, RejectReason::not_a_number) << address;
  }
  EXPECT_EQ(m_voice.count("register_call"), 0);
}

TEST_F(CallRouterTest, AnUnassignedOrReleasedNumberIsRejected) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  m_assignments.unassign(m_numbers[0]);
  EXPECT_EQ(m_router.route(call_to(m_numbers[0])).reject_reason, RejectReason::not_assigned);

  m_store->begin_release(m_numbers[2]);
  m_store->complete_release(m_numbers[2]);
  EXPECT_EQ(m_router.route(call_to(m_numbers[2])).reject_reason, RejectReason::not_in_pool);
  EXPECT_EQ(m_voice.count("register_call"), 0);
}

TEST_F(CallRouterTest, AProviderFailureFailsTheCallWithItsKind) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  m_voice.fail_next("register_call", {ErrorKind::unavailable, false});
  CallDecision decision = m_router.route(call_to(m_numbers[0]));
  EXPECT_EQ(decision.outcome, RouteOutcome::failed);
  EXPECT_EQ(decision.failure, RouteFailure::provider_error);
  EXPECT_EQ(decision.error_kind, ErrorKind::unavailable);
  EXPECT_EQ(decision.tenant_slug, "acme");
  EXPECT_TRUE(decision.connect_document.empty());
  // The next call is not affected.
  EXPECT_EQ(m_router.route(call_to(m_numbers[0])).outcome, RouteOutcome::connected);
}

TEST_F(CallRouterTest, AnAnswerAfterTheBudgetFailsTheCall) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  m_voice.on_register_call([this] { m_clock.advance(milliseconds(5001)); });
  CallDecision late = m_router.route(call_to(m_numbers[0]));
  EXPECT_EQ(late.outcome, RouteOutcome::failed);
  EXPECT_EQ(late.failure, RouteFailure::over_budget);
  EXPECT_EQ(late.provider_latency, milliseconds(5001));
  EXPECT_TRUE(late.connect_document.empty());

  m_voice.on_register_call([this] { m_clock.advance(milliseconds(4999)); });
  CallDecision in_time = m_router.route(call_to(m_numbers[0]));
  EXPECT_EQ(in_time.outcome, RouteOutcome::connected);
  EXPECT_EQ(in_time.provider_latency, milliseconds(4999));
}

TEST_F(CallRouterTest, ATimeoutPastTheBudgetIsOverBudget) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  m_voice.on_register_call([this] {
    m_clock.advance(milliseconds(6000));
    throw Error(ErrorKind::unavailable, "timed out");
  });
  CallDecision decision = m_router.route(call_to(m_numbers[0]));
  EXPECT_EQ(decision.failure, RouteFailure::over_budget);
  EXPECT_EQ(decision.error_kind, ErrorKind::unavailable);
}

TEST_F(CallRouterTest, TheDatabaseDecidesWhenTheVoiceUrlNamesAnotherAgent) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  IncomingCall stale = call_to(m_numbers[0]);
  stale.requested_agent_id = m_globex_agent.provider_agent_id;
  CallDecision decision = m_router.route(stale);
  EXPECT_EQ(decision.outcome, RouteOutcome::connected);
  EXPECT_EQ(decision.provider_agent_id, m_acme_agent.provider_agent_id);
  EXPECT_TRUE(decision.agent_id_mismatch);
  stale.requested_agent_id = m_acme_agent.provider_agent_id;
  EXPECT_FALSE(m_router.route(stale).agent_id_mismatch);
}

TEST_F(CallRouterTest, ABudgetMustBePositive) {
  EXPECT_EQ(kind_of([&] { CallRouter(*m_store, m_voice_agents, m_clock, milliseconds(0)); }),
            ErrorKind::invalid_input);
}

TEST(CallRouterWords, EveryValueHasAWord) {
  EXPECT_STREQ(to_string(RouteOutcome::connected), "connected");
  EXPECT_STREQ(to_string(RouteOutcome::rejected), "rejected");
  EXPECT_STREQ(to_string(RouteOutcome::failed), "failed");
  EXPECT_STREQ(to_string(RejectReason::native_routing), "native_routing");
  EXPECT_STREQ(to_string(RejectReason::agent_unroutable), "agent_unroutable");
  EXPECT_STREQ(to_string(RouteFailure::over_budget), "over_budget");
}

} // namespace
} // namespace vami::test

namespace vami::test {
namespace {

TEST_F(CallRouterTest, RecordFillsTheTenantAndAgentThePoolKnowsAndIsIdempotent) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  CallRecord status;
  status.call_sid = "CA1";
  status.number = m_numbers[0];
  status.caller = k_caller;
  status.status = CallStatus::completed;
  status.duration_seconds = 42;
  CallUpsert first = m_router.record(status);
  EXPECT_EQ(first.result, CallUpsertResult::created);
  EXPECT_EQ(first.call.tenant_slug, "acme");
  EXPECT_EQ(first.call.agent_slug, "acme-desk");
  EXPECT_EQ(m_router.record(status).result, CallUpsertResult::unchanged);

  CallRecord post_call;
  post_call.conversation_id = "conv_1";
  post_call.call_sid = "CA1";
  post_call.provider_agent_id = m_acme_agent.provider_agent_id;
  post_call.summary = "Asked about hours.";
  CallUpsert merged = m_router.record(post_call);
  EXPECT_EQ(merged.result, CallUpsertResult::updated);
  EXPECT_EQ(merged.call.conversation_id, "conv_1");
  EXPECT_EQ(merged.call.duration_seconds, 42);
  EXPECT_EQ(m_store->list_calls({}).size(), 1u);

  CallRecord globex;
  globex.conversation_id = "conv_2";
  globex.provider_agent_id = m_globex_agent.provider_agent_id;
  CallUpsert by_agent = m_router.record(globex);
  EXPECT_EQ(by_agent.call.tenant_slug, "globex");
  EXPECT_EQ(by_agent.call.agent_slug, "globex-desk");

  EXPECT_EQ(kind_of([&] { (void)m_router.record(CallRecord{}); }), ErrorKind::invalid_input);
}

} // namespace
} // namespace vami::test

namespace vami::test {
namespace {

TEST_F(CallRouterTest, ASuspendedNumberGetsItsOutOfServiceAnswerNeverAnAgent) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  m_assignments.assign(m_numbers[1], "acme-desk", RoutingMode::webhook);
  SuspensionService suspensions(m_telephony, m_voice_agents, *m_store, "tester");
  suspensions.suspend(m_numbers[0], "This number is out of service.");
  suspensions.suspend(m_numbers[1], "");
  m_voice.clear_calls();

  CallDecision spoken = m_router.route(call_to(m_numbers[0]));
  EXPECT_EQ(spoken.outcome, RouteOutcome::out_of_service);
  EXPECT_EQ(spoken.reject_reason, RejectReason::suspended);
  EXPECT_EQ(spoken.spoken_message, "This number is out of service.");
  EXPECT_EQ(spoken.tenant_slug, "acme");

  CallDecision silent = m_router.route(call_to(m_numbers[1]));
  EXPECT_EQ(silent.outcome, RouteOutcome::rejected);
  EXPECT_EQ(silent.reject_reason, RejectReason::suspended);
  EXPECT_EQ(m_voice.count("register_call"), 0);
}

// A provider that answers the number itself (Synthflow over a SIP trunk) asks the router, by the
// number called, whether its agent may take the call and with which variables. The fake
// provider plays the asking provider ("elevenlabs" is its name).
ProviderCall provider_call(const std::string& to, const std::string& agent_id = {}) {
  return {"elevenlabs", "call-1", k_caller, to, agent_id};
}

TEST_F(CallRouterTest, AProviderAskingAboutItsAgentsNumberGetsTheTenantsVariables) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::native);
  m_voice.clear_calls();

  CallDecision decision =
      m_router.answer_provider_call(provider_call(m_numbers[0], m_acme_agent.provider_agent_id));
  EXPECT_EQ(decision.outcome, RouteOutcome::connected);
  EXPECT_EQ(decision.tenant_slug, "acme");
  EXPECT_EQ(decision.agent_slug, "acme-desk");
  EXPECT_EQ(decision.provider_agent_id, m_acme_agent.provider_agent_id);
  EXPECT_FALSE(decision.agent_id_mismatch);
  // The stream path's settings, from the same function, without a call SID.
  EXPECT_EQ(decision.variables, stream_call_parameters(m_acme_agent, ""));
  ASSERT_GE(decision.variables.size(), 3u);
  EXPECT_EQ(decision.variables[0], (StreamParameter{"vami_tenant", "acme"}));
  EXPECT_EQ(decision.variables[1], (StreamParameter{"vami_agent", "acme-desk"}));
  for (const auto& [name, value] : decision.variables) {
    EXPECT_NE(name, "vami_call_sid");
  }
  // Nothing is asked of the provider: it is the one asking.
  EXPECT_EQ(m_voice.count("register_call"), 0);
}

TEST_F(CallRouterTest, AProviderNamingAnotherAgentIsToldTheDatabasesAgent) {
  m_assignments.assign(m_numbers[0], "acme-desk", RoutingMode::native);
  CallDecision decision =
      m_router.answer_provider_call(provider_call(m_numbers[0], m_globex_agent.provider_agent_id));
  EXPECT_EQ(decision.outcome, RouteOutcome::connected);
  EXPECT_TRUE(decision.agent_id_mismatch);
  EXPECT_EQ(decision.provider_agent_id, m_acme_agent.provider_agent_id);
  EXPECT_EQ(decision.tenant_slug, "acme");
}

TEST_F(CallRouterTest, AProviderAskingAboutAnyOtherNumberIsDeclined) {
  m_assignments.assign(m_numbers[1], "acme-desk", RoutingMode::webhook);
  m_assignments.assign(m_numbers[2], "acme-desk", RoutingMode::native);
  SuspensionService suspensions(m_telephony, m_voice_agents, *m_store, "tester");
  suspensions.suspend(m_numbers[2], "This number is out of service.");

  auto reason_of = [&](const ProviderCall& call) {
    CallDecision decision = m_router.answer_provider_call(call);
    EXPECT_EQ(decision.outcome, RouteOutcome::rejected) << call.to;
    EXPECT_TRUE(decision.variables.empty()) << call.to;
    return decision.reject_reason;
  };
  EXPECT_EQ(reason_of(provider_call("+12125559999")), RejectReason::not_in_pool);
  EXPECT_EQ(reason_of(provider_call(m_numbers[0])), RejectReason::not_assigned);
  // Suspended with a message: the provider cannot speak it, so the call is declined.
  EXPECT_EQ(reason_of(provider_call(m_numbers[2])), RejectReason::suspended);
  EXPECT_EQ(reason_of(provider_call("sip:alice@example.com")), RejectReason::not_a_number);
  // The number's agent is at another provider than the one asking.
  ProviderCall other = provider_call(m_numbers[1]);
  other.provider = "synthflow";
  EXPECT_EQ(reason_of(other), RejectReason::other_provider);
  EXPECT_STREQ(to_string(RejectReason::other_provider), "other_provider");
}

} // namespace
} // namespace vami::test
