// CallTestService (`vami calls test`): a placed call compared hop by hop with the state
// database, and the live check (no call placed) read back from the providers.
#include <optional>
#include <string>
#include <vector>

#include "scripted_router_probe.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/call_test_service.hpp>
#include <vami/core/suspension_service.hpp>

namespace vami {
namespace {

constexpr const char* k_router = "https://router.example.com/voice";
const VoiceWebhook k_inbound{test::FakeVoiceAgentProvider::k_inbound_url, "POST", ""};

/// Answers every call with `answer` (nullopt: "not an emulator"), remembering the requests.
class ScriptedPlacer final : public TestCallPlacer {
public:
  std::optional<PlacedTestCall> place(const TestCallRequest& request) override {
    requests.push_back(request);
    return answer;
  }
  std::optional<PlacedTestCall> answer;
  std::vector<TestCallRequest> requests;
};

class CallTestServiceTest : public test::ServiceTest {
protected:
  CallTestServiceTest() : m_assignments(m_telephony, m_voice_agents, *m_store, "tester", k_router) {
    make_tenant("acme");
    make_tenant("bravo", "Bravo Plumbing");
    m_front = make_agent("acme", "front-desk");
    m_bravo = make_agent("bravo", "bravo-desk", "Bravo Desk");
    m_numbers = buy_numbers(3);
  }

  void assign_native(const std::string& e164, const Agent& agent) {
    (void)m_assignments.assign(e164, agent.slug, RoutingMode::native);
    (void)m_telephony.set_voice_webhook(row(e164).provider_sid, k_inbound);
    m_store->update_webhook(e164, k_inbound);
  }

  PlacedTestCall connected(const std::string& to, const Agent& agent, VoiceUrlKind kind) {
    PlacedTestCall call;
    call.call_sid = "CA" + std::string(32, '1');
    call.to = to;
    call.from = "+14155550100";
    call.voice_url_kind = kind;
    call.outcome = TestCallOutcome::connected;
    call.agent_id = agent.provider_agent_id;
    call.conversation_id = "conv_1";
    call.transcript = {{"agent", "Hello!", 0}, {"user", "Hi", 4}};
    if (kind == VoiceUrlKind::webhook) {
      call.voice_webhook = TestCallDelivery{"https://router", 200, ""};
      call.dynamic_variables = {{"vami_tenant", agent.tenant_slug}};
    }
    return call;
  }

  CallTestReport test(TestCallPlacer* placer, const std::string& to) {
    CallTestService service(m_telephony, &m_voice_agents, *m_store, placer, k_router);
    return service.test({to, "", ""});
  }

  static std::vector<std::string> hop_names(const CallTestReport& report) {
    std::vector<std::string> names;
    for (const CallHop& hop : report.hops) {
      names.emplace_back(to_string(hop.kind));
    }
    return names;
  }

  AssignmentService m_assignments;
  Agent m_front;
  Agent m_bravo;
  std::vector<std::string> m_numbers;
};

TEST_F(CallTestServiceTest, TheDatabaseSaysWhatACallMustGet) {
  assign_native(m_numbers[0], m_front);
  CallTestService service(m_telephony, &m_voice_agents, *m_store, nullptr, k_router);
  CallExpectation assigned = service.expectation(m_numbers[0]);
  EXPECT_EQ(assigned.answer, ExpectedAnswer::agent);
  EXPECT_EQ(assigned.tenant_slug, "acme");
  EXPECT_EQ(assigned.agent_slug, "front-desk");
  EXPECT_EQ(assigned.provider_agent_id, m_front.provider_agent_id);
  EXPECT_EQ(assigned.routing_mode, RoutingMode::native);
  EXPECT_EQ(service.expectation(m_numbers[1]).answer, ExpectedAnswer::no_agent);
  EXPECT_FALSE(service.expectation("+12125550000").in_pool);

  SuspensionService suspensions(m_telephony, m_voice_agents, *m_store, "tester");
  (void)suspensions.suspend(m_numbers[0], "We are closed.");
  CallExpectation suspended = service.expectation(m_numbers[0]);
  EXPECT_EQ(suspended.answer, ExpectedAnswer::message);
  EXPECT_EQ(suspended.message, "We are closed.");
}

TEST_F(CallTestServiceTest, APlacedCallPassesOnlyWhenItReachesTheAssignedAgent) {
  assign_native(m_numbers[0], m_front);
  ScriptedPlacer placer;
  placer.answer = connected(m_numbers[0], m_front, VoiceUrlKind::agent_provider);
  CallTestReport report = test(&placer, m_numbers[0]);
  EXPECT_TRUE(report.placed);
  EXPECT_TRUE(report.passed()) << report.broken_reason;
  EXPECT_EQ(hop_names(report),
            (std::vector<std::string>{"number", "voice_url", "tenant", "agent", "answer"}));
  EXPECT_EQ(report.hops[3].value, "front-desk");
  EXPECT_EQ(report.hops[4].value, "Hello!");
  ASSERT_EQ(placer.requests.size(), 1U);
  EXPECT_EQ(placer.requests[0].to, m_numbers[0]);

  // Another tenant's agent answered: broken at the tenant hop (the first that differs).
  placer.answer = connected(m_numbers[0], m_bravo, VoiceUrlKind::agent_provider);
  report = test(&placer, m_numbers[0]);
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(report.broken_hop, CallHopKind::tenant);
  EXPECT_EQ(report.broken_reason, "wrong_tenant");

  // The import answers nobody.
  PlacedTestCall unassigned = connected(m_numbers[0], m_front, VoiceUrlKind::agent_provider);
  unassigned.outcome = TestCallOutcome::rejected;
  unassigned.reason = "import_unassigned";
  unassigned.agent_id.clear();
  placer.answer = unassigned;
  report = test(&placer, m_numbers[0]);
  EXPECT_EQ(report.broken_hop, CallHopKind::agent);
  EXPECT_EQ(report.broken_reason, "import_unassigned");

  // The voice URL points at a webhook although the routing is native.
  placer.answer = connected(m_numbers[0], m_front, VoiceUrlKind::webhook);
  report = test(&placer, m_numbers[0]);
  EXPECT_EQ(report.broken_hop, CallHopKind::voice_url);
}

TEST_F(CallTestServiceTest, AWebhookNumberBreaksAtTheRouterWhenItFails) {
  (void)m_assignments.assign(m_numbers[1], m_bravo.slug, RoutingMode::webhook);
  ScriptedPlacer placer;
  placer.answer = connected(m_numbers[1], m_bravo, VoiceUrlKind::webhook);
  CallTestReport report = test(&placer, m_numbers[1]);
  EXPECT_TRUE(report.passed()) << report.broken_reason;
  EXPECT_EQ(hop_names(report), (std::vector<std::string>{"number", "voice_url", "router", "tenant",
                                                         "agent", "answer"}));

  PlacedTestCall down = connected(m_numbers[1], m_bravo, VoiceUrlKind::webhook);
  down.outcome = TestCallOutcome::failed;
  down.reason = "http_status";
  down.voice_webhook = TestCallDelivery{"https://router", 503, ""};
  down.agent_id.clear();
  placer.answer = down;
  report = test(&placer, m_numbers[1]);
  EXPECT_EQ(report.broken_hop, CallHopKind::router);
  EXPECT_EQ(report.broken_reason, "http_status");

  // The router rejected a number it should route.
  PlacedTestCall refused = down;
  refused.outcome = TestCallOutcome::rejected;
  refused.reason = "rejected";
  refused.voice_webhook = TestCallDelivery{"https://router", 200, ""};
  placer.answer = refused;
  report = test(&placer, m_numbers[1]);
  EXPECT_EQ(report.broken_hop, CallHopKind::router);
}

TEST_F(CallTestServiceTest, NumbersThatMustReachNoAgent) {
  ScriptedPlacer placer;
  PlacedTestCall rejected;
  rejected.to = m_numbers[2];
  rejected.voice_url_kind = VoiceUrlKind::none;
  rejected.outcome = TestCallOutcome::failed;
  rejected.reason = "no_voice_url";
  placer.answer = rejected;
  EXPECT_TRUE(test(&placer, m_numbers[2]).passed());

  // A foreign number never rings here: what the database says.
  PlacedTestCall foreign;
  foreign.to = "+12125550000";
  foreign.voice_url_kind = VoiceUrlKind::not_owned;
  foreign.outcome = TestCallOutcome::rejected;
  foreign.reason = "not_owned";
  placer.answer = foreign;
  EXPECT_TRUE(test(&placer, "+12125550000").passed());

  // An agent answering an unassigned number is a failure.
  placer.answer = connected(m_numbers[2], m_front, VoiceUrlKind::agent_provider);
  CallTestReport report = test(&placer, m_numbers[2]);
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(report.broken_reason, "reached_agent");

  // A suspended number must say its message, not connect or reject.
  assign_native(m_numbers[0], m_front);
  SuspensionService suspensions(m_telephony, m_voice_agents, *m_store, "tester");
  (void)suspensions.suspend(m_numbers[0], "We are closed.");
  PlacedTestCall spoken;
  spoken.to = m_numbers[0];
  spoken.voice_url_kind = VoiceUrlKind::out_of_service;
  spoken.outcome = TestCallOutcome::spoken;
  spoken.spoken_message = "We are closed.";
  placer.answer = spoken;
  EXPECT_TRUE(test(&placer, m_numbers[0]).passed());
  spoken.spoken_message = "Something else.";
  placer.answer = spoken;
  EXPECT_EQ(test(&placer, m_numbers[0]).broken_reason, "wrong_message");
}

TEST_F(CallTestServiceTest, LiveProvidersAreReadBackWithoutPlacingACall) {
  assign_native(m_numbers[0], m_front);
  // No placer at all, and a placer that finds no emulator: the same read-back.
  ScriptedPlacer not_an_emulator;
  for (TestCallPlacer* placer :
       {static_cast<TestCallPlacer*>(nullptr), static_cast<TestCallPlacer*>(&not_an_emulator)}) {
    CallTestReport report = test(placer, m_numbers[0]);
    EXPECT_FALSE(report.placed);
    EXPECT_FALSE(report.call.has_value());
    EXPECT_TRUE(report.passed()) << report.broken_reason;
    EXPECT_EQ(hop_names(report),
              (std::vector<std::string>{"number", "voice_url", "tenant", "agent"}));
  }
  // Someone cleared the voice URL at the telephony provider.
  (void)m_telephony.set_voice_webhook(row(m_numbers[0]).provider_sid, VoiceWebhook{"", "POST", ""});
  CallTestReport report = test(nullptr, m_numbers[0]);
  EXPECT_EQ(report.broken_hop, CallHopKind::voice_url);
  EXPECT_EQ(report.broken_reason, "no_voice_url");
  // Malformed numbers are refused before anything is read.
  EXPECT_EQ(test::kind_of([&] { (void)test(nullptr, "not-a-number"); }), ErrorKind::invalid_input);
}

TEST_F(CallTestServiceTest, TheLiveCheckNamesTheRouterHopWhenTheRouterIsUnhealthy) {
  // vami's own router (`<public>/twilio/voice`): the live check asks its /healthz.
  constexpr const char* k_vami_router = "https://calls.example.com/twilio/voice";
  AssignmentService assignments(m_telephony, m_voice_agents, *m_store, "tester", k_vami_router);
  (void)assignments.assign(m_numbers[1], m_bravo.slug, RoutingMode::webhook);
  test::ScriptedRouterProbe probe(true);
  CallTestService service(m_telephony, &m_voice_agents, *m_store, nullptr, k_vami_router, &probe);
  CallTestReport fine = service.test({m_numbers[1], "", ""});
  EXPECT_TRUE(fine.passed()) << fine.broken_reason;
  EXPECT_EQ(hop_names(fine),
            (std::vector<std::string>{"number", "voice_url", "router", "tenant", "agent"}));
  EXPECT_EQ(probe.asked(), std::vector<std::string>{"https://calls.example.com/healthz"});

  // The router answers /healthz badly: calls to the number reach no agent, at the router hop.
  probe.set_healthy(false);
  CallTestReport dead = service.test({m_numbers[1], "", ""});
  EXPECT_FALSE(dead.passed());
  EXPECT_EQ(dead.broken_hop, CallHopKind::router);
  EXPECT_EQ(dead.broken_reason, "router_unhealthy");
  ASSERT_EQ(dead.hops.size(), 5U);
  EXPECT_FALSE(dead.hops[2].ok);
}

} // namespace
} // namespace vami
