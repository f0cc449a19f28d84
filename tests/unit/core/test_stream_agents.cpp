// Agents on more than one voice-agent provider: stream agents (the platform's own orchestrator
// behind Twilio Media Streams) beside ElevenLabs agents, and the refusals of what a provider
// cannot do, made before anything changes.
#include <chrono>
#include <string>
#include <vector>

#include "fake_monotonic_clock.hpp"
#include "named_agent_providers.hpp"
#include "provider_capabilities.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/call_router.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/onboarding_service.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/stream_agent.hpp>

namespace vami::test {
namespace {

constexpr const char* k_router = "https://router.example.com/twilio/voice";
constexpr const char* k_orchestrator = "wss://voice.example.com/media";

// --- the rules of stream settings ------------------------------------------------------------

TEST(StreamAgentRules, AStreamUrlIsASecureWebSocketOrAPlainOneOnThisMachine) {
  EXPECT_NO_THROW(validate_stream_url("wss://voice.example.com/media?tenant=all"));
  EXPECT_NO_THROW(validate_stream_url("WSS://Voice.Example.com"));
  EXPECT_NO_THROW(validate_stream_url("ws://127.0.0.1:9000/media"));
  EXPECT_NO_THROW(validate_stream_url("ws://localhost/media"));
  for (const char* bad : {"https://voice.example.com/media", "ws://voice.example.com/media",
                          "wss://", "voice.example.com", "wss://voice.example.com/a b",
                          "wss://voice.example.com/\"><Hangup/>", ""}) {
    EXPECT_EQ(kind_of([&] { validate_stream_url(bad); }), ErrorKind::invalid_input) << bad;
  }
  EXPECT_EQ(kind_of([&] { validate_stream_url("wss://a.example/" + std::string(2100, 'x')); }),
            ErrorKind::invalid_input);
}

TEST(StreamAgentRules, AParameterIsKeyEqualsValueOutsideVamisOwnNames) {
  EXPECT_EQ(parse_stream_parameter("plan=gold"), StreamParameter("plan", "gold"));
  EXPECT_EQ(parse_stream_parameter("note=a=b"), StreamParameter("note", "a=b"));
  EXPECT_EQ(parse_stream_parameter("empty="), StreamParameter("empty", ""));
  for (const char* bad : {"plan", "=gold", "vami_tenant=evil", "VAMI_x=1", "sp ace=1", "a\tb=1"}) {
    EXPECT_EQ(kind_of([&] { (void)parse_stream_parameter(bad); }), ErrorKind::invalid_input) << bad;
  }
  EXPECT_EQ(kind_of([&] { (void)parse_stream_parameter("line=one\ntwo"); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] {
              validate_stream_parameters({{"a", "1"}, {"a", "2"}});
            }),
            ErrorKind::invalid_input);
  std::vector<StreamParameter> many;
  for (int i = 0; i < 24; ++i) {
    many.emplace_back("p" + std::to_string(i), "v");
  }
  EXPECT_EQ(kind_of([&] { validate_stream_parameters(many); }), ErrorKind::invalid_input);
}

TEST(StreamAgentRules, TheCallParametersNameTheTenantAndAgentThenTheAgentsOwnInOrder) {
  Agent agent;
  agent.slug = "acme-desk";
  agent.provider_agent_id = "stream_0123456789abcdef01234567";
  agent.tenant_slug = "acme";
  agent.name = "Front Desk";
  agent.first_message = "Hello, Acme Dental.";
  agent.voice_id = "alloy";
  agent.language = "en";
  agent.personality = Personality::friendly;
  agent.stream_parameters = {{"plan", "gold"}, {"crm", "hubspot"}};
  const std::vector<StreamParameter> expected{{"vami_tenant", "acme"},
                                              {"vami_agent", "acme-desk"},
                                              {"vami_agent_id", "stream_0123456789abcdef01234567"},
                                              {"vami_agent_name", "Front Desk"},
                                              {"vami_greeting", "Hello, Acme Dental."},
                                              {"vami_voice", "alloy"},
                                              {"vami_language", "en"},
                                              {"vami_personality", "friendly"},
                                              {"vami_call_sid", "CA01"},
                                              {"plan", "gold"},
                                              {"crm", "hubspot"}};
  EXPECT_EQ(stream_call_parameters(agent, "CA01"), expected);
  agent.voice_id.clear();
  agent.personality.reset();
  EXPECT_EQ(stream_call_parameters(agent, "CA01").size(), expected.size() - 2); // empty left out
}

// --- use cases with an ElevenLabs agent and a stream agent in one pool -----------------------

class StreamAgentsTest : public ServiceTest {
protected:
  StreamAgentsTest() {
    m_stream.act_as("stream", stream_capabilities());
    m_providers.add(m_voice); // "elevenlabs", the default
    m_providers.add(m_stream);
    make_tenant("acme");
    make_tenant("globex", "Globex");
    m_numbers = buy_numbers(3);
  }

  AgentRequest stream_request(const std::string& tenant, const std::string& slug) {
    AgentRequest request;
    request.tenant_slug = tenant;
    request.slug = slug;
    request.name = "Front Desk";
    request.provider = "stream";
    request.stream_url = k_orchestrator;
    request.stream_parameters = {{"plan", "gold"}};
    return request;
  }

  AgentService agents() { return AgentService(m_providers, *m_store, "tester"); }
  AssignmentService assignments() {
    return AssignmentService(m_telephony, m_providers, *m_store, "tester", k_router);
  }

  FakeVoiceAgentProvider m_stream;
  NamedAgentProviders m_providers;
  std::vector<std::string> m_numbers;
};

TEST_F(StreamAgentsTest, AStreamAgentIsCreatedAtItsProviderWithItsSettingsStored) {
  AgentRequest request = stream_request("acme", "acme-desk");
  request.voice = "alloy"; // no catalogue: passed on as given
  const Agent agent = agents().create(request);
  EXPECT_EQ(agent.provider, "stream");
  EXPECT_EQ(agent.stream_url, k_orchestrator);
  EXPECT_EQ(agent.stream_parameters, request.stream_parameters);
  EXPECT_EQ(agent.voice_id, "alloy");
  EXPECT_EQ(m_stream.calls_of("create_agent").size(), 1U);
  EXPECT_TRUE(m_stream.calls_of("list_voices").empty());
  EXPECT_TRUE(m_voice.calls().empty()); // ElevenLabs never heard of it
  EXPECT_EQ(m_store->find_agent("acme-desk")->stream_url, k_orchestrator);
  // An agent without a provider named goes to the default one.
  AgentRequest plain;
  plain.tenant_slug = "globex";
  plain.name = "Reception";
  EXPECT_EQ(agents().create(plain).provider, "elevenlabs");
}

// A real Twilio account can never reach the sandbox's orchestrator or this machine: the stream
// URLs only the sandbox reaches are refused before anything changes, at every step that would
// give Twilio such a URL (create, update, assign in each form, onboard).
TEST_F(StreamAgentsTest, UnreachableStreamUrlsAreRefusedWhenTheAccountIsReal) {
  AgentService live = agents();
  live.set_stream_reach(StreamReach::internet);
  for (const std::string url :
       {"wss://sandbox.vami.invalid/stream/acme", "WSS://Sandbox.Vami.Invalid/stream/acme",
        "wss://orchestrator.invalid/media", "ws://127.0.0.1:9000/media", "ws://127.9.9.9/media",
        "wss://localhost/media", "ws://[::1]:9000/media", "wss://voice.localhost/media",
        "wss://0.0.0.0:9000/media"}) {
    AgentRequest request = stream_request("acme", "acme-desk");
    request.stream_url = url;
    const Error error = error_of([&] { (void)live.create(request); });
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << url;
    EXPECT_TRUE(contains(error.what(), "Twilio can never reach")) << error.what();
    EXPECT_TRUE(contains(error.hint(), "--stream-url wss://")) << error.hint();
    EXPECT_FALSE(m_store->find_agent("acme-desk").has_value()) << url;
  }
  EXPECT_TRUE(m_stream.calls_of("create_agent").empty());
  // A name that merely contains those words is somebody's host on the internet.
  for (const std::string url : {"wss://sandbox.vami.invalid.example.com/stream",
                                "wss://127.0.0.1.example.com/media", "wss://localhost.example/m"}) {
    EXPECT_NO_THROW(require_reachable_stream_url(url, StreamReach::internet)) << url;
  }

  // An update to such a URL leaves the agent as it was.
  (void)live.create(stream_request("globex", "globex-desk"));
  AgentUpdate update;
  update.stream_url = "ws://127.0.0.1:9000/media";
  EXPECT_EQ(kind_of([&] { (void)live.update("globex-desk", update); }), ErrorKind::invalid_input);
  EXPECT_EQ(m_store->find_agent("globex-desk")->stream_url, k_orchestrator);
  EXPECT_TRUE(m_stream.calls_of("update_agent").empty());

  // An agent made on the sandbox with the sandbox's orchestrator, then a real account: each way
  // of giving it a number is refused, and the refusal says how to repoint the agent.
  AgentRequest sandboxed = stream_request("acme", "acme-desk");
  sandboxed.stream_url = "wss://sandbox.vami.invalid/stream/acme";
  (void)agents().create(sandboxed);
  AssignmentService assign = assignments();
  assign.set_stream_reach(StreamReach::internet);
  const Error refused =
      error_of([&] { (void)assign.assign(m_numbers[0], "acme-desk", RoutingMode::webhook); });
  EXPECT_EQ(refused.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(refused.hint(), "vami agents update acme-desk --stream-url"))
      << refused.hint();
  PickFilter pick;
  pick.area_code = "212";
  EXPECT_EQ(kind_of([&] { (void)assign.assign_pick(pick, "acme-desk", RoutingMode::webhook); }),
            ErrorKind::invalid_input);
  BulkAssignRequest bulk;
  bulk.numbers = {m_numbers[1]};
  bulk.agent = "acme-desk";
  bulk.mode = RoutingMode::webhook;
  EXPECT_EQ(kind_of([&] {
              (void)assign.assign_many(
                  bulk, [] { return false; }, nullptr);
            }),
            ErrorKind::invalid_input);
  for (const Operation& operation : m_store->list_operations(100)) {
    EXPECT_NE(operation.kind, OperationKind::assign); // refused before the journal
  }
  (void)assign.assign(m_numbers[2], "globex-desk", RoutingMode::webhook);
  EXPECT_EQ(kind_of([&] { (void)assign.reassign(m_numbers[2], "acme-desk"); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::available);
  EXPECT_EQ(row(m_numbers[1]).status, NumberStatus::available);
  EXPECT_EQ(row(m_numbers[2]).agent_slug, "globex-desk");

  // Onboarding refuses it before the tenant exists.
  OnboardingService onboarding(m_telephony, m_providers, *m_store, "tester", k_router);
  onboarding.set_stream_reach(StreamReach::internet);
  OnboardRequest request;
  request.tenant.slug = "initech";
  request.tenant.name = "Initech";
  request.number = m_numbers[1];
  request.mode = RoutingMode::webhook;
  request.agent = stream_request("initech", "initech-desk");
  request.agent.stream_url = "ws://127.0.0.1:9000/media";
  EXPECT_EQ(kind_of([&] {
              (void)onboarding.onboard(request, [](const std::string&, const std::string&) {});
            }),
            ErrorKind::invalid_input);
  EXPECT_FALSE(m_store->find_tenant("initech"));
  EXPECT_EQ(row(m_numbers[1]).status, NumberStatus::available);
}

// The sandbox's Twilio account (built in, or served on this machine) reaches its orchestrator
// and this machine: the same URLs are taken there, in every step.
TEST_F(StreamAgentsTest, SandboxOnlyStreamUrlsAreAcceptedOnTheSandbox) {
  AgentService sandbox = agents();
  sandbox.set_stream_reach(StreamReach::sandbox);
  AgentRequest request = stream_request("acme", "acme-desk");
  request.stream_url = "wss://sandbox.vami.invalid/stream/acme";
  EXPECT_EQ(sandbox.create(request).stream_url, "wss://sandbox.vami.invalid/stream/acme");
  AgentUpdate update;
  update.stream_url = "ws://127.0.0.1:9000/media";
  EXPECT_EQ(sandbox.update("acme-desk", update).stream_url, "ws://127.0.0.1:9000/media");
  AssignmentService assign = assignments();
  assign.set_stream_reach(StreamReach::sandbox);
  EXPECT_EQ(assign.assign(m_numbers[0], "acme-desk", RoutingMode::webhook).number.status,
            NumberStatus::assigned);
  OnboardingService onboarding(m_telephony, m_providers, *m_store, "tester", k_router);
  onboarding.set_stream_reach(StreamReach::sandbox);
  OnboardRequest onboard;
  onboard.tenant.slug = "initech";
  onboard.tenant.name = "Initech";
  onboard.number = m_numbers[1];
  onboard.mode = RoutingMode::webhook;
  onboard.agent = stream_request("initech", "initech-desk");
  onboard.agent.stream_url = "wss://sandbox.vami.invalid/stream/initech";
  EXPECT_EQ(
      onboarding.onboard(onboard, [](const std::string&, const std::string&) {}).number.agent_slug,
      "initech-desk");
}

TEST_F(StreamAgentsTest, StreamSettingsOnTheWrongProviderOrNoneAreRefusedBeforeAnythingExists) {
  AgentRequest no_url = stream_request("acme", "acme-desk");
  no_url.stream_url.clear();
  EXPECT_EQ(kind_of([&] { (void)agents().create(no_url); }), ErrorKind::invalid_input);

  AgentRequest at_elevenlabs = stream_request("acme", "acme-desk");
  at_elevenlabs.provider = "elevenlabs";
  const Error error = error_of([&] { (void)agents().create(at_elevenlabs); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(error.what(), "stream agents")) << error.what();

  AgentRequest unknown = stream_request("acme", "acme-desk");
  unknown.provider = "vapi";
  const Error named = error_of([&] { (void)agents().create(unknown); });
  EXPECT_EQ(named.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(named.hint(), "elevenlabs")) << named.hint();

  EXPECT_FALSE(m_store->find_agent("acme-desk"));
  EXPECT_TRUE(m_stream.calls().empty());
  EXPECT_TRUE(m_voice.calls().empty());
}

TEST_F(StreamAgentsTest, AStreamAgentsUrlAndParametersChangeAndOthersRefuseThem) {
  (void)agents().create(stream_request("acme", "acme-desk"));
  AgentUpdate change;
  change.stream_url = "wss://eu.voice.example.com/media";
  change.stream_parameters = std::vector<StreamParameter>{{"plan", "silver"}, {"crm", "none"}};
  const Agent updated = agents().update("acme-desk", change);
  EXPECT_EQ(updated.stream_url, "wss://eu.voice.example.com/media");
  EXPECT_EQ(updated.stream_parameters.size(), 2U);

  AgentRequest plain;
  plain.tenant_slug = "globex";
  plain.slug = "globex-desk";
  plain.name = "Reception";
  (void)agents().create(plain);
  AgentUpdate wrong;
  wrong.stream_url = "wss://voice.example.com/media";
  EXPECT_EQ(kind_of([&] { (void)agents().update("globex-desk", wrong); }),
            ErrorKind::invalid_input);
  EXPECT_TRUE(m_store->find_agent("globex-desk")->stream_url.empty());
}

TEST_F(StreamAgentsTest, AStreamAgentTakesNumbersByWebhookOnlyAndNativeIsRefusedFirst) {
  (void)agents().create(stream_request("acme", "acme-desk"));
  const std::size_t telephony_calls = m_telephony.calls().size();
  const Error refused =
      error_of([&] { (void)assignments().assign(m_numbers[0], "acme-desk", RoutingMode::native); });
  EXPECT_EQ(refused.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(refused.hint(), "--mode webhook")) << refused.hint();
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::available); // nothing changed
  EXPECT_EQ(m_telephony.calls().size(), telephony_calls);
  EXPECT_TRUE(m_stream.calls_of("import_number").empty());

  const AssignOutcome outcome =
      assignments().assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  EXPECT_EQ(outcome.number.status, NumberStatus::assigned);
  EXPECT_EQ(row(m_numbers[0]).webhook.voice_url.rfind(k_router, 0), 0U);
  EXPECT_TRUE(m_voice.calls_of("import_number").empty());
}

TEST_F(StreamAgentsTest, TheRouterConnectsAStreamAgentsCallWithItsSettingsAndElevenLabsItsOwn) {
  const Agent stream = agents().create(stream_request("acme", "acme-desk"));
  AgentRequest plain;
  plain.tenant_slug = "globex";
  plain.slug = "globex-desk";
  plain.name = "Reception";
  const Agent hosted = agents().create(plain);
  (void)assignments().assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  (void)assignments().assign(m_numbers[1], "globex-desk", RoutingMode::webhook);

  testing::FakeMonotonicClock clock;
  CallRouter router(*m_store, m_providers, clock);
  IncomingCall call;
  call.call_sid = "CA0123456789abcdef0123456789abcdef";
  call.from = "+14155550123";
  call.to = m_numbers[0];
  EXPECT_EQ(router.route(call).outcome, RouteOutcome::connected);
  ASSERT_EQ(m_stream.registrations().size(), 1U);
  const CallRegistration registered = m_stream.registrations().front();
  EXPECT_EQ(registered.agent_id, stream.provider_agent_id);
  EXPECT_EQ(registered.stream_url, k_orchestrator);
  EXPECT_EQ(registered.stream_parameters,
            stream_call_parameters(*m_store->find_agent("acme-desk"), call.call_sid));

  call.to = m_numbers[1];
  EXPECT_EQ(router.route(call).outcome, RouteOutcome::connected);
  ASSERT_EQ(m_voice.registrations().size(), 1U);
  EXPECT_EQ(m_voice.registrations().front().agent_id, hosted.provider_agent_id);
  EXPECT_TRUE(m_voice.registrations().front().stream_url.empty());
  EXPECT_EQ(m_stream.registrations().size(), 1U);
}

TEST_F(StreamAgentsTest, AStreamAgentHasNoKnowledgeBaseAndNothingIsStored) {
  (void)agents().create(stream_request("acme", "acme-desk"));
  KnowledgeBaseService knowledge(m_providers, *m_store, "tester");
  const Error error =
      error_of([&] { (void)knowledge.add_text("acme-desk", "Opening hours: 9-17", ""); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(m_store->list_documents("acme-desk").empty());
  EXPECT_TRUE(m_stream.calls_of("add_document_text").empty());
}

TEST_F(StreamAgentsTest, OnboardingAStreamTenantNativelyOrWithKnowledgeIsRefusedBeforeItExists) {
  OnboardingService onboarding(m_telephony, m_providers, *m_store, "tester", k_router);
  const OnboardStepObserver ignore_steps = [](const std::string&, const std::string&) {};
  OnboardRequest request;
  request.tenant.slug = "initech";
  request.tenant.name = "Initech";
  request.number = m_numbers[2];
  request.mode = RoutingMode::native;
  request.agent = stream_request("initech", "initech-desk");
  EXPECT_EQ(kind_of([&] { (void)onboarding.onboard(request, ignore_steps); }),
            ErrorKind::invalid_input);
  request.mode = RoutingMode::webhook;
  request.texts = {"Opening hours: 9-17"};
  EXPECT_EQ(kind_of([&] { (void)onboarding.onboard(request, ignore_steps); }),
            ErrorKind::invalid_input);
  EXPECT_FALSE(m_store->find_tenant("initech"));
  EXPECT_EQ(row(m_numbers[2]).status, NumberStatus::available);

  request.texts.clear();
  const OnboardResult result = onboarding.onboard(request, ignore_steps);
  EXPECT_EQ(result.agent.provider, "stream");
  EXPECT_EQ(result.number.routing_mode, RoutingMode::webhook);
}

TEST_F(StreamAgentsTest, ReconcileFindsAStreamAgentsWebhookNumberInSync) {
  (void)agents().create(stream_request("acme", "acme-desk"));
  (void)assignments().assign(m_numbers[0], "acme-desk", RoutingMode::webhook);
  ReconcileService reconcile(m_telephony, &m_providers, *m_store, "tester", std::chrono::seconds(0),
                             k_router);
  const ReconcileReport report = reconcile.reconcile(ReconcileMode::report);
  for (const Finding& finding : report.findings) {
    EXPECT_EQ(finding.kind, FindingKind::in_sync)
        << to_string(finding.kind) << " " << finding.e164 << " " << finding.agent_slug;
  }
  EXPECT_EQ(report.agents_in_sync, 1);
}

} // namespace
} // namespace vami::test
