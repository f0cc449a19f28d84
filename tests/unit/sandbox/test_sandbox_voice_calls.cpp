// The sandbox's simulated inbound calls (`POST /__sandbox/calls`): Twilio's half follows the
// number's voice URL (ElevenLabs' inbound URL, the echo Twimlet, a signed voice webhook over
// real HTTP to 127.0.0.1), ElevenLabs' half answers as the agent, records the conversation and
// delivers the signed post-call webhook. Also the TwiML reading behind it.

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <thread>

#include "../elevenlabs/elevenlabs_emulator_client.hpp"
#include "sandbox/sandbox_call_schedule.hpp"
#include "twilio/emulator/twiml.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <httplib.h>

#include <vami/core/error.hpp>
#include <vami/providers/elevenlabs_webhooks.hpp>
#include <vami/providers/twilio_webhooks.hpp>

namespace {

using namespace vami::sandbox_testing; // NOLINT(google-build-using-namespace)
namespace twiml = vami::sandbox::twiml;

/// A voice webhook server on 127.0.0.1 (a stand-in for the router): records what it got and
/// answers `answer` to `/voice`, 204 to `/status` and 200 to `/post-call`.
class WebhookServer {
public:
  WebhookServer() {
    m_server.Post("/voice", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(m_mutex);
      m_voice.push_back(request);
      response.status = m_status;
      response.set_content(m_answer, "text/xml");
    });
    m_server.Post("/status", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(m_mutex);
      m_status_callbacks.push_back(request);
      response.status = 204;
    });
    m_server.Post("/post-call",
                  [this](const httplib::Request& request, httplib::Response& response) {
                    std::lock_guard lock(m_mutex);
                    m_post_calls.push_back(request);
                    response.status = 200;
                  });
    // One request per connection: stopping the server then never waits for an idle one.
    m_server.set_keep_alive_max_count(1);
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~WebhookServer() {
    m_server.stop();
    m_thread.join();
  }
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
  }
  void answer(std::string twiml, int status = 200) {
    std::lock_guard lock(m_mutex);
    m_answer = std::move(twiml);
    m_status = status;
  }
  std::vector<httplib::Request> voice() {
    std::lock_guard lock(m_mutex);
    return m_voice;
  }
  std::vector<httplib::Request> status_callbacks() {
    std::lock_guard lock(m_mutex);
    return m_status_callbacks;
  }
  std::vector<httplib::Request> post_calls() {
    std::lock_guard lock(m_mutex);
    return m_post_calls;
  }

private:
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
  std::mutex m_mutex;
  std::string m_answer;
  int m_status = 200;
  std::vector<httplib::Request> m_voice;
  std::vector<httplib::Request> m_status_callbacks;
  std::vector<httplib::Request> m_post_calls;
};

vami::twilio::FormParams params_of(const httplib::Request& request) {
  vami::twilio::FormParams params;
  for (const auto& [name, value] : vami::http::form_decode(request.body)) {
    params.emplace_back(name, value);
  }
  return params;
}

class VoiceCallsTest : public ElevenLabsSandboxTest {
protected:
  json place(const std::string& to, const Fields& extra = {}) {
    Fields form = {{"To", to}};
    form.insert(form.end(), extra.begin(), extra.end());
    HttpRequest request;
    request.method = "POST";
    request.url = std::string(k_origin) + "/__sandbox/calls";
    request.headers.emplace_back(
        "Authorization", vami::http::basic_authorization(m_client.credentials().account_sid,
                                                         m_client.credentials().auth_token));
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = vami::http::form_encode(form);
    HttpResponse response = m_emulator->handle(request);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body);
  }
  std::string agent_with_greeting(const std::string& name, const std::string& greeting) {
    return m_client.create_agent(
        {{"name", name}, {"conversation_config", {{"agent", {{"first_message", greeting}}}}}});
  }
  void set_voice_url(const std::string& sid, const std::string& url,
                     const std::string& status_callback = {}) {
    Fields form = {{"VoiceUrl", url}, {"VoiceMethod", "POST"}};
    if (!status_callback.empty()) {
      form.emplace_back("StatusCallback", status_callback);
    }
    ASSERT_EQ(m_client.twilio("POST", "/IncomingPhoneNumbers/" + sid + ".json", form).status, 200);
  }
};

TEST(TwimlTest, ReadsTheVerbsThatDecideACall) {
  twiml::Answer connect = twiml::read(
      R"(<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://x/conv_1">)"
      R"(<Parameter name="agent_id" value="agent_1"/><Parameter name="vami_tenant" )"
      R"(value="acme &amp; co"/></Stream></Connect></Response>)");
  EXPECT_EQ(connect.verb, twiml::Verb::connect_stream);
  EXPECT_EQ(connect.stream_url, "wss://x/conv_1");
  EXPECT_EQ(twiml::parameter(connect, "agent_id"), "agent_1");
  EXPECT_EQ(twiml::parameter(connect, "vami_tenant"), "acme & co");

  twiml::Answer reject = twiml::read(R"(<Response><Reject reason="busy"/></Response>)");
  EXPECT_EQ(reject.verb, twiml::Verb::reject);
  EXPECT_EQ(reject.reject_reason, "busy");
  EXPECT_EQ(twiml::read("<Response><Reject/></Response>").reject_reason, "rejected");

  twiml::Answer say = twiml::read("<Response><Say voice=\"alice\"> We &lt;are&gt; closed "
                                  "&#233;t&#xE9; </Say><Hangup/></Response>");
  EXPECT_EQ(say.verb, twiml::Verb::say);
  EXPECT_EQ(say.spoken, "We <are> closed \xC3\xA9t\xC3\xA9");
  EXPECT_EQ(twiml::read("<Response><Hangup/></Response>").verb, twiml::Verb::hangup);
  EXPECT_EQ(twiml::read("<html>not twiml</html>").verb, twiml::Verb::unknown);
  EXPECT_EQ(twiml::read("<Response><Play>x.mp3</Play></Response>").verb, twiml::Verb::unknown);
  // <Responses> is not <Response>; <Sayings> is not <Say>.
  EXPECT_EQ(twiml::read("<Responses><Say>x</Say></Responses>").verb, twiml::Verb::unknown);
  EXPECT_EQ(twiml::read("<Response><Sayings>x</Sayings></Response>").verb, twiml::Verb::unknown);

  EXPECT_EQ(twiml::echo_twimlet_document(
                "https://twimlets.com/echo?Twiml=%3CResponse%3E%3CReject%2F%3E%3C%2FResponse%3E"),
            "<Response><Reject/></Response>");
  EXPECT_FALSE(twiml::echo_twimlet_document("https://twimlets.com/echoes?Twiml=x"));
  EXPECT_FALSE(twiml::echo_twimlet_document("https://example.com/echo?Twiml=x"));
}

TEST_F(VoiceCallsTest, ANativeNumberIsAnsweredByItsAgentAndTheCallIsRecorded) {
  auto [sid, e164] = m_client.buy_number();
  const std::string agent = agent_with_greeting("Front Desk", "Hello, Acme Dental!");
  const std::string phone_id = m_client.import_number(e164);
  ASSERT_EQ(m_client.patch("/v1/convai/phone-numbers/" + phone_id, {{"agent_id", agent}}).status,
            200);

  json call = place(e164, {{"From", "+14155550123"}, {"Say", "Can I book a cleaning?"}});
  EXPECT_EQ(call.at("voice_url_kind"), "agent_provider");
  EXPECT_EQ(call.at("outcome"), "connected");
  EXPECT_EQ(call.at("agent_id"), agent);
  EXPECT_EQ(call.at("agent_name"), "Front Desk");
  ASSERT_EQ(call.at("transcript").size(), 3U);
  EXPECT_EQ(call.at("transcript")[0].at("message"), "Hello, Acme Dental!");
  EXPECT_EQ(call.at("transcript")[1].at("message"), "Can I book a cleaning?");
  EXPECT_TRUE(call.at("status_callback").is_null());
  EXPECT_TRUE(call.at("post_call").is_null());

  // Twilio's call log and ElevenLabs' conversation both have it.
  json calls = json::parse(m_client.twilio("GET", "/Calls.json").body).at("calls");
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].at("sid"), call.at("call_sid"));
  EXPECT_EQ(calls[0].at("to"), e164);
  EXPECT_EQ(calls[0].at("from"), "+14155550123");
  EXPECT_EQ(calls[0].at("status"), "completed");
  HttpResponse details =
      m_client.get("/v1/convai/conversations/" + call.at("conversation_id").get<std::string>());
  ASSERT_EQ(details.status, 200) << details.body;
  json conversation = json::parse(details.body);
  EXPECT_EQ(conversation.at("agent_id"), agent);
  EXPECT_EQ(conversation.at("metadata").at("phone_call").at("call_sid"), call.at("call_sid"));
  EXPECT_EQ(conversation.at("metadata").at("phone_call").at("phone_number_id"), phone_id);
  EXPECT_EQ(conversation.at("transcript").size(), 3U);
}

TEST_F(VoiceCallsTest, CallsThatReachNoAgent) {
  // Not owned: never rings here; nothing recorded.
  json foreign = place(m_client.unowned_number());
  EXPECT_EQ(foreign.at("outcome"), "rejected");
  EXPECT_EQ(foreign.at("reason"), "not_owned");
  EXPECT_TRUE(foreign.at("call_sid").is_null());

  auto [sid, e164] = m_client.buy_number();
  json silent = place(e164);
  EXPECT_EQ(silent.at("voice_url_kind"), "none");
  EXPECT_EQ(silent.at("outcome"), "failed");
  EXPECT_EQ(silent.at("reason"), "no_voice_url");

  // Imported to no agent: ElevenLabs answers nobody.
  (void)m_client.import_number(e164);
  json unassigned = place(e164);
  EXPECT_EQ(unassigned.at("voice_url_kind"), "agent_provider");
  EXPECT_EQ(unassigned.at("outcome"), "rejected");
  EXPECT_EQ(unassigned.at("reason"), "import_unassigned");

  // A suspended number's echo Twimlet: its message, or a rejection.
  set_voice_url(sid, "https://twimlets.com/echo?Twiml=" +
                         vami::http::url_encode("<Response><Say>We are closed &amp; gone.</Say>"
                                                "<Hangup/></Response>"));
  json spoken = place(e164);
  EXPECT_EQ(spoken.at("voice_url_kind"), "out_of_service");
  EXPECT_EQ(spoken.at("outcome"), "spoken");
  EXPECT_EQ(spoken.at("message"), "We are closed & gone.");
  set_voice_url(sid, "https://twimlets.com/echo?Twiml=" +
                         vami::http::url_encode("<Response><Reject/></Response>"));
  EXPECT_EQ(place(e164).at("outcome"), "rejected");

  json calls = json::parse(m_client.twilio("GET", "/Calls.json").body).at("calls");
  std::vector<std::string> statuses;
  for (const json& call : calls) {
    statuses.push_back(call.at("status").get<std::string>());
  }
  std::sort(statuses.begin(), statuses.end());
  EXPECT_EQ(statuses, (std::vector<std::string>{"completed", "failed", "no-answer", "no-answer"}));

  // Invalid forms.
  HttpRequest request;
  request.method = "POST";
  request.url = std::string(k_origin) + "/__sandbox/calls";
  request.headers.emplace_back("Authorization",
                               vami::http::basic_authorization(m_client.credentials().account_sid,
                                                               m_client.credentials().auth_token));
  request.body = "To=12345";
  EXPECT_EQ(m_emulator->handle(request).status, 400);
  request.headers.clear();
  request.body = "To=" + vami::http::url_encode(e164);
  EXPECT_EQ(m_emulator->handle(request).status, 401);
}

TEST_F(VoiceCallsTest, AWebhookNumberIsSignedFollowedAndDelivered) {
  WebhookServer router;
  auto [sid, e164] = m_client.buy_number();
  const std::string agent = agent_with_greeting("Globex Desk", "Globex, how can I help?");
  set_voice_url(sid, router.url("/voice?agent_id=" + agent), router.url("/status"));
  // The router's answer: what register-call returns for the agent.
  HttpResponse registered = m_client.post(
      "/v1/convai/twilio/register-call",
      {{"agent_id", agent},
       {"from_number", "+14155550123"},
       {"to_number", e164},
       {"conversation_initiation_client_data",
        {{"dynamic_variables", {{"vami_tenant", "globex"}, {"vami_call_sid", "CAx"}}}}}});
  ASSERT_EQ(registered.status, 200);
  router.answer(registered.body);
  // The post-call webhook, attached in the settings.
  json hook = json::parse(
      m_client
          .post("/v1/workspace/webhooks", {{"settings",
                                            {{"auth_type", "hmac"},
                                             {"name", "router"},
                                             {"webhook_url", router.url("/post-call")}}}})
          .body);
  ASSERT_EQ(m_client
                .patch("/v1/convai/settings", {{"webhooks",
                                                {{"post_call_webhook_id", hook.at("webhook_id")},
                                                 {"events", {"transcript"}}}}})
                .status,
            200);

  json call = place(e164, {{"From", "+14155550123"}});
  EXPECT_EQ(call.at("voice_url_kind"), "webhook");
  EXPECT_EQ(call.at("voice_webhook").at("status"), 200);
  EXPECT_EQ(call.at("outcome"), "connected") << call.dump();
  EXPECT_EQ(call.at("agent_id"), agent);
  EXPECT_EQ(call.at("dynamic_variables").at("vami_tenant"), "globex");
  EXPECT_EQ(call.at("transcript")[0].at("message"), "Globex, how can I help?");
  EXPECT_EQ(call.at("status_callback").at("status"), 204);
  EXPECT_EQ(call.at("post_call").at("status"), 200);

  // The voice webhook: Twilio's parameters, signed with the account's auth token for the URL
  // with its query string.
  std::vector<httplib::Request> voice = router.voice();
  ASSERT_EQ(voice.size(), 1U);
  const vami::twilio::FormParams params = params_of(voice[0]);
  EXPECT_EQ(vami::twilio::form_value(params, "To"), e164);
  EXPECT_EQ(vami::twilio::form_value(params, "From"), "+14155550123");
  EXPECT_EQ(vami::twilio::form_value(params, "CallStatus"), "ringing");
  EXPECT_EQ(vami::twilio::form_value(params, "Direction"), "inbound");
  EXPECT_EQ(vami::twilio::form_value(params, "AccountSid"), m_client.credentials().account_sid);
  EXPECT_EQ(vami::twilio::form_value(params, "CallSid"), call.at("call_sid"));
  EXPECT_TRUE(vami::twilio::validate_signature(m_client.credentials().auth_token,
                                               router.url("/voice?agent_id=" + agent), params, "",
                                               voice[0].get_header_value("X-Twilio-Signature")));
  EXPECT_FALSE(vami::twilio::validate_signature(std::string(32, 'f'),
                                                router.url("/voice?agent_id=" + agent), params, "",
                                                voice[0].get_header_value("X-Twilio-Signature")));

  // The status callback: completed, with the duration, signed too.
  std::vector<httplib::Request> status = router.status_callbacks();
  ASSERT_EQ(status.size(), 1U);
  const vami::twilio::FormParams status_params = params_of(status[0]);
  EXPECT_EQ(vami::twilio::form_value(status_params, "CallStatus"), "completed");
  EXPECT_EQ(vami::twilio::form_value(status_params, "CallDuration"), "15");
  EXPECT_TRUE(vami::twilio::validate_signature(m_client.credentials().auth_token,
                                               router.url("/status"), status_params, "",
                                               status[0].get_header_value("X-Twilio-Signature")));

  // The post-call webhook: signed with the secret the webhook was created with, readable as
  // the router reads it.
  std::vector<httplib::Request> post_calls = router.post_calls();
  ASSERT_EQ(post_calls.size(), 1U);
  EXPECT_EQ(vami::elevenlabs::check_webhook_signature(
                post_calls[0].get_header_value("ElevenLabs-Signature"), post_calls[0].body,
                hook.at("webhook_secret").get<std::string>(),
                static_cast<std::int64_t>(std::time(nullptr))),
            vami::elevenlabs::WebhookSignatureCheck::valid);
  vami::elevenlabs::PostCallEvent event =
      vami::elevenlabs::parse_post_call_event(post_calls[0].body);
  EXPECT_EQ(event.type, vami::elevenlabs::PostCallEventType::transcription);
  EXPECT_EQ(event.call.conversation_id, call.at("conversation_id"));
  EXPECT_EQ(event.call.provider_agent_id, agent);
  EXPECT_EQ(event.call.tenant_slug, "globex");
  EXPECT_EQ(event.call.number, e164);
  EXPECT_EQ(event.call.caller, "+14155550123");
  EXPECT_EQ(event.call.transcript.size(), 3U);
}

TEST_F(VoiceCallsTest, AWebhookThatFailsOrRefusesIsReported) {
  WebhookServer router;
  auto [sid, e164] = m_client.buy_number();
  set_voice_url(sid, router.url("/voice"));
  router.answer(R"(<?xml version="1.0"?><Response><Reject reason="rejected"/></Response>)");
  json rejected = place(e164);
  EXPECT_EQ(rejected.at("outcome"), "rejected");
  EXPECT_EQ(rejected.at("reason"), "rejected");
  router.answer("oops", 500);
  json failed = place(e164);
  EXPECT_EQ(failed.at("outcome"), "failed");
  EXPECT_EQ(failed.at("reason"), "http_status");
  EXPECT_EQ(failed.at("voice_webhook").at("status"), 500);
  router.answer(R"(<Response><Connect><Stream url="wss://x"><Parameter name="agent_id" )"
                R"(value="agent_gone"/></Stream></Connect></Response>)");
  EXPECT_EQ(place(e164).at("reason"), "agent_not_found");

  // Nothing listens there.
  set_voice_url(sid, "http://127.0.0.1:1/voice");
  json unreachable = place(e164);
  EXPECT_EQ(unreachable.at("outcome"), "failed");
  EXPECT_EQ(unreachable.at("reason"), "unreachable");
  EXPECT_FALSE(unreachable.at("voice_webhook").at("error").get<std::string>().empty());
}

// ---- `vami sandbox serve --call-rate N`: calls placed on a schedule -----------------------------

/// Waits (at most a minute, polling) until `done` holds; false when it never did.
template <typename Done>
bool eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

vami::sandbox::ServeStats stats_of(const vami::sandbox::CallSchedule& schedule) {
  vami::sandbox::ServeStats stats;
  schedule.add_to(stats);
  return stats;
}

TEST_F(VoiceCallsTest, ScheduledCallsGoToTheAssignedNumbersOnly) {
  WebhookServer router;
  // Native: ElevenLabs' inbound URL, its import assigned to an agent.
  auto [native_sid, native] = m_client.buy_number();
  const std::string front = agent_with_greeting("Front Desk", "Hello, Acme Dental!");
  const std::string phone_id = m_client.import_number(native);
  ASSERT_EQ(m_client.patch("/v1/convai/phone-numbers/" + phone_id, {{"agent_id", front}}).status,
            200);
  // Webhook: a router that answers what register-call returns for the agent.
  auto [webhook_sid, webhook] = m_client.buy_number();
  const std::string globex = agent_with_greeting("Globex Desk", "Globex, how can I help?");
  set_voice_url(webhook_sid, router.url("/voice?agent_id=" + globex));
  HttpResponse registered = m_client.post(
      "/v1/convai/twilio/register-call",
      {{"agent_id", globex}, {"from_number", "+14155550123"}, {"to_number", webhook}});
  ASSERT_EQ(registered.status, 200);
  router.answer(registered.body);
  // Unassigned (no voice URL) and suspended (the echo Twimlet): no calls.
  auto [unassigned_sid, unassigned] = m_client.buy_number();
  auto [suspended_sid, suspended] = m_client.buy_number();
  set_voice_url(suspended_sid, "https://twimlets.com/echo?Twiml=" +
                                   vami::http::url_encode("<Response><Reject/></Response>"));

  vami::sandbox::CallSchedule schedule(*m_emulator, k_origin, 200);
  schedule.start();
  ASSERT_TRUE(eventually([&] {
    return router.voice().size() >= 5 && stats_of(schedule).calls_by_outcome["connected"] >= 10;
  }));
  schedule.stop();
  vami::sandbox::ServeStats stats = stats_of(schedule);
  EXPECT_EQ(stats.call_rate, 200);

  // Every call placed is in Twilio's call log, to a routed number, answered by its agent.
  json calls = json::parse(m_client.twilio("GET", "/Calls.json?PageSize=1000").body).at("calls");
  ASSERT_EQ(calls.size(), stats.calls_placed);
  std::map<std::string, std::uint64_t> per_number;
  for (const json& call : calls) {
    ++per_number[call.at("to").get<std::string>()];
    EXPECT_EQ(call.at("status"), "completed") << call.dump();
  }
  EXPECT_GT(per_number[native], 0U);
  EXPECT_GT(per_number[webhook], 0U);
  EXPECT_EQ(per_number.count(unassigned), 0U);
  EXPECT_EQ(per_number.count(suspended), 0U);
  EXPECT_EQ(stats.calls_by_outcome,
            (std::map<std::string, std::uint64_t>{{"connected", stats.calls_placed}}));
  // The router got the webhook calls, signed, for the webhook number, from varying callers.
  std::set<std::string> callers;
  for (const httplib::Request& request : router.voice()) {
    vami::twilio::FormParams params = params_of(request);
    auto to = std::find_if(params.begin(), params.end(),
                           [](const auto& param) { return param.first == "To"; });
    ASSERT_NE(to, params.end());
    EXPECT_EQ(to->second, webhook);
    EXPECT_FALSE(request.get_header_value("X-Twilio-Signature").empty());
    for (const auto& [name, value] : params) {
      if (name == "From") {
        callers.insert(value);
      }
    }
  }
  EXPECT_EQ(router.voice().size(), per_number[webhook]);
  EXPECT_GT(callers.size(), 1U);

  // Stopped: no more calls.
  const std::size_t after_stop = router.voice().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(router.voice().size(), after_stop);
}

TEST_F(VoiceCallsTest, ScheduledCallsAreSkippedWhileNoNumberIsAssignedAndStartLater) {
  vami::sandbox::CallSchedule schedule(*m_emulator, k_origin, 100);
  schedule.start();
  ASSERT_TRUE(eventually([&] { return stats_of(schedule).calls_skipped >= 3; }));
  EXPECT_EQ(stats_of(schedule).calls_placed, 0U);

  // A number assigned while the schedule runs gets calls once the numbers are read again.
  auto [sid, e164] = m_client.buy_number();
  const std::string agent = agent_with_greeting("Front Desk", "Hello!");
  const std::string phone_id = m_client.import_number(e164);
  ASSERT_EQ(m_client.patch("/v1/convai/phone-numbers/" + phone_id, {{"agent_id", agent}}).status,
            200);
  ASSERT_TRUE(eventually([&] { return stats_of(schedule).calls_placed >= 3; }));
  schedule.stop();
  schedule.stop(); // twice: harmless
  EXPECT_EQ(stats_of(schedule).calls_by_outcome.at("connected"), stats_of(schedule).calls_placed);

  try {
    vami::sandbox::CallSchedule none(*m_emulator, k_origin, 0);
    ADD_FAILURE() << "a rate of 0 was accepted";
  } catch (const vami::Error& error) {
    EXPECT_EQ(error.kind(), vami::ErrorKind::invalid_input);
  }
}

} // namespace

namespace vami_stream_calls {

using namespace vami::sandbox_testing; // NOLINT(google-build-using-namespace)

/// The router's answer for a stream agent's call: `<Connect><Stream url>` with vami's
/// parameters, then one of the agent's own.
std::string stream_twiml(const std::string& url) {
  return vami::twilio::twiml_connect_stream(url, {{"vami_tenant", "acme"},
                                                  {"vami_agent", "acme-desk"},
                                                  {"vami_agent_id", "stream_0123"},
                                                  {"vami_greeting", "Acme, hello!"},
                                                  {"plan", "gold"},
                                                  {"crm", "hub & spoke"}});
}

class StreamCallsTest : public VoiceCallsTest {
protected:
  json call_streaming_to(const std::string& url) {
    auto [sid, e164] = m_client.buy_number();
    set_voice_url(sid, m_router.url("/voice"));
    m_router.answer(stream_twiml(url));
    return place(e164);
  }
  WebhookServer m_router;
};

TEST_F(StreamCallsTest, TheSandboxsOrchestratorUrlIsStreamedToOverAWebSocketAndRecorded) {
  json call = call_streaming_to("wss://sandbox.vami.invalid/stream/acme");
  EXPECT_EQ(call.at("outcome"), "connected") << call.dump();
  const json& stream = call.at("stream");
  EXPECT_EQ(stream.at("followed"), "websocket");
  EXPECT_EQ(stream.at("upgraded"), true);
  EXPECT_EQ(stream.at("error"), nullptr);
  EXPECT_EQ(stream.at("close_code"), 1000);
  EXPECT_EQ(stream.at("events"), json({"connected", "start", "media", "media", "stop"}));
  EXPECT_EQ(stream.at("media_messages"), 2);
  const std::string address = stream.at("address");
  EXPECT_EQ(address.rfind("ws://127.0.0.1:", 0), 0U) << address;
  EXPECT_EQ(address.substr(address.size() - 12), "/stream/acme");
  // The parameters are those the orchestrator received.
  EXPECT_EQ(call.at("dynamic_variables").at("crm"), "hub & spoke");
  EXPECT_EQ(call.at("transcript")[0].at("message"), "Acme, hello!");

  // The state file holds the stream as Twilio sent it.
  SQLite::Database db(state_path().string());
  SQLite::Statement row(db, "SELECT protocol, version, account_sid, call_sid, tracks, "
                            "media_format, custom_parameters, path, stopped, close_code "
                            "FROM media_streams WHERE stream_sid = ?");
  row.bind(1, stream.at("stream_sid").get<std::string>());
  ASSERT_TRUE(row.executeStep());
  EXPECT_EQ(row.getColumn(0).getString(), "Call");
  EXPECT_EQ(row.getColumn(1).getString(), "1.0.0");
  EXPECT_EQ(row.getColumn(2).getString(), m_client.credentials().account_sid);
  EXPECT_EQ(row.getColumn(3).getString(), call.at("call_sid"));
  EXPECT_EQ(json::parse(row.getColumn(4).getString()), json({"inbound"}));
  EXPECT_EQ(json::parse(row.getColumn(5).getString()),
            json({{"encoding", "audio/x-mulaw"}, {"sampleRate", 8000}, {"channels", 1}}));
  // customParameters as they arrived: in the TwiML's order.
  const nlohmann::ordered_json received =
      nlohmann::ordered_json::parse(row.getColumn(6).getString());
  std::vector<std::string> names;
  for (const auto& [name, value] : received.items()) {
    names.push_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"vami_tenant", "vami_agent", "vami_agent_id",
                                             "vami_greeting", "plan", "crm"}));
  EXPECT_EQ(row.getColumn(7).getString(), "/stream/acme");
  EXPECT_EQ(row.getColumn(8).getInt(), 1);
  EXPECT_EQ(row.getColumn(9).getInt(), 1000);
}

TEST_F(StreamCallsTest, TheOrchestratorsOwnLoopbackUrlIsStreamedToOnceItRuns) {
  const int port = m_emulator->start_stream_orchestrator(0);
  EXPECT_EQ(m_emulator->start_stream_orchestrator(0), port); // started once
  json call = call_streaming_to("ws://127.0.0.1:" + std::to_string(port) + "/stream?tenant=acme");
  EXPECT_EQ(call.at("stream").at("upgraded"), true) << call.dump();
  EXPECT_EQ(call.at("stream").at("address"),
            "ws://127.0.0.1:" + std::to_string(port) + "/stream?tenant=acme");
}

TEST_F(StreamCallsTest, AnyOtherStreamUrlIsFollowedToTheTwimlOnlyAndNotContacted) {
  for (const std::string url :
       {"wss://voice.example.com/media", "wss://sandbox.vami.invalid/other",
        "ws://127.0.0.1:9/stream/acme", "wss://sandbox.vami.invalid.example.com/stream"}) {
    json call = call_streaming_to(url);
    EXPECT_EQ(call.at("outcome"), "connected") << url;
    EXPECT_EQ(call.at("stream").at("followed"), "twiml") << url;
    EXPECT_EQ(call.at("stream").at("upgraded"), false) << url;
    EXPECT_EQ(call.at("stream").at("address"), nullptr) << url;
    EXPECT_EQ(call.at("dynamic_variables").at("plan"), "gold") << url; // from the TwiML
  }
  SQLite::Database db(state_path().string());
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM media_streams").getInt(), 0);
}

} // namespace vami_stream_calls
