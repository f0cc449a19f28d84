// Simulated inbound calls (see sandbox_voice_calls.hpp): Twilio's half follows the number's
// voice URL, ElevenLabs' half answers as the agent, and both send the webhooks they would.

#include "sandbox/sandbox_voice_calls.hpp"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "elevenlabs/emulator/conversations.hpp"
#include "elevenlabs/emulator/elevenlabs_emulator.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include "synthflow/emulator/inbound_calls.hpp"
#include "twilio/emulator/twiml.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/error.hpp>
#include <vami/providers/elevenlabs_webhooks.hpp>
#include <vami/providers/twilio_webhooks.hpp>

namespace vami::sandbox::voice_calls {

namespace {

using Json = nlohmann::ordered_json;
using elevenlabs::random_text;

/// How long a simulated conversation lasts, in seconds.
constexpr std::int64_t k_call_seconds = 15;
/// Twilio's price of a minute of an inbound call to a US local number (USD, charged negative).
constexpr const char* k_inbound_minute_price = "-0.00850";
/// What the agent answers the caller's line with.
constexpr const char* k_agent_answer =
    "Thank you, I can help you with that. May I have your name, please?";
/// The register-call parameters that are not dynamic variables.
constexpr std::string_view k_stream_parameters[] = {"agent_id", "conversation_id", "direction",
                                                    "from_number", "to_number"};

struct CalledNumber {
  std::string sid;
  std::string voice_url;
  std::string voice_method;
  std::string status_callback;
  std::string status_callback_method;
};

struct AgentInfo {
  std::string agent_id;
  std::string name;
  std::string first_message;
};

// The outcome of a call while it is followed.
struct Progress {
  std::string outcome = "failed";
  std::string reason;
  std::string message;
  std::optional<AgentInfo> agent;
  std::string phone_number_id; ///< The ElevenLabs import answering natively, when it did.
  std::string conversation_id;
  std::vector<std::pair<std::string, std::string>> dynamic_variables;
  Json voice_webhook = nullptr;
  /// A stream agent's call: the `<Stream url>` the sandbox took as the orchestrator (the
  /// parameters are in `dynamic_variables`); empty for ElevenLabs' streams.
  std::string stream_url;
  std::string call_sid;                           ///< The call's SID (a stream's `callSid`).
  std::optional<media_stream::Followed> followed; ///< How a stream agent's stream went.
};

bool is_e164(std::string_view text) {
  if (text.size() < 8 || text.size() > 16 || text[0] != '+' || text[1] == '0') {
    return false;
  }
  return text.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
}

http::HttpResponse bad_request(const std::string& message) {
  return elevenlabs::json_response(400, Json{{"message", message}, {"status", 400}});
}

std::optional<CalledNumber> called_number(SQLite::Database& db, const std::string& e164) {
  SQLite::Statement select(db, "SELECT sid, coalesce(voice_url, ''), coalesce(voice_method, ''), "
                               "coalesce(status_callback, ''), "
                               "coalesce(status_callback_method, '') "
                               "FROM incoming_phone_numbers WHERE phone_number = ?");
  select.bind(1, e164);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  CalledNumber number;
  number.sid = select.getColumn(0).getString();
  number.voice_url = select.getColumn(1).getString();
  number.voice_method = select.getColumn(2).getString();
  number.status_callback = select.getColumn(3).getString();
  number.status_callback_method = select.getColumn(4).getString();
  return number;
}

std::optional<AgentInfo> agent_info(SQLite::Database& db, const std::string& agent_id) {
  SQLite::Statement select(
      db, "SELECT agent_id, name, conversation_config FROM convai_agents WHERE agent_id = ?");
  select.bind(1, agent_id);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  AgentInfo agent;
  agent.agent_id = select.getColumn(0).getString();
  agent.name = select.getColumn(1).getString();
  Json config = Json::parse(select.getColumn(2).getString(), nullptr, false);
  if (config.is_object()) {
    const Json first = config.value("agent", Json::object()).value("first_message", Json());
    if (first.is_string()) {
      agent.first_message = first.get<std::string>();
    }
  }
  return agent;
}

// The request Twilio sends to a voice URL or status callback: the parameters in the body of a
// POST or the query of a GET, signed with the account's auth token.
http::HttpRequest twilio_request(const std::string& url, const std::string& method,
                                 const twilio::FormParams& params, const std::string& auth_token) {
  http::HttpRequest request;
  request.method = method == "GET" ? "GET" : "POST";
  if (request.method == "GET") {
    request.url =
        url + (url.find('?') == std::string::npos ? "?" : "&") + http::form_encode(params);
    request.headers.emplace_back("X-Twilio-Signature",
                                 twilio::compute_signature(auth_token, request.url, {}));
  } else {
    request.url = url;
    request.body = http::form_encode(params);
    request.headers.emplace_back("Content-Type",
                                 "application/x-www-form-urlencoded; charset=UTF-8");
    request.headers.emplace_back("X-Twilio-Signature",
                                 twilio::compute_signature(auth_token, url, params));
  }
  request.headers.emplace_back("User-Agent", "TwilioProxy/1.1");
  request.headers.emplace_back("I-Twilio-Idempotency-Token", random_text("0123456789abcdef", 32));
  return request;
}

// Sends `request`: `{url, status, error}` and the response (when one came).
std::pair<Json, std::optional<http::HttpResponse>> deliver(const Environment& environment,
                                                           const http::HttpRequest& request,
                                                           const std::string& shown_url) {
  Json delivery{{"url", shown_url}, {"status", nullptr}, {"error", nullptr}};
  try {
    http::HttpResponse response = environment.http().send(request);
    delivery["status"] = response.status;
    return {delivery, std::move(response)};
  } catch (const Error& e) {
    delivery["error"] = e.what();
  } catch (const std::exception& e) {
    delivery["error"] = e.what();
  }
  return {delivery, std::nullopt};
}

// A stream agent's call (`<Connect><Stream>` from vami's router to the platform's own
// orchestrator): the stream is followed (sandbox_media_stream.hpp) and the call keeps what the
// orchestrator's `start` message carried (`customParameters`): the tenant's settings the router
// passed. The agent is the one they name; it greets the caller with `vami_greeting`.
void accept_media_stream(const Environment& environment, const twiml::Answer& answer,
                         Progress& progress) {
  progress.stream_url = answer.stream_url;
  progress.agent = AgentInfo{twiml::parameter(answer, "vami_agent_id"),
                             twiml::parameter(answer, "vami_agent_name"),
                             twiml::parameter(answer, "vami_greeting")};
  const media_streams::StreamedCall call{environment.credentials.account_sid, progress.call_sid,
                                         answer.parameters};
  if (environment.follow_stream) {
    progress.followed = environment.follow_stream(answer.stream_url, call);
  } else {
    progress.followed.emplace();
    progress.followed->url = answer.stream_url;
    progress.followed->parameters = answer.parameters;
  }
  progress.dynamic_variables = progress.followed->parameters;
  progress.outcome = progress.followed->ok() ? "connected" : "failed";
  if (!progress.followed->ok()) {
    progress.reason = "stream_failed";
  }
}

// Follows a TwiML document: connects, rejects or speaks.
void follow_twiml(const Environment& environment, std::string_view document, Progress& progress) {
  const twiml::Answer answer = twiml::read(document);
  switch (answer.verb) {
  case twiml::Verb::connect_stream: {
    if (twiml::parameter(answer, "agent_id").empty() &&
        !twiml::parameter(answer, "vami_agent_id").empty()) {
      accept_media_stream(environment, answer, progress);
      return;
    }
    const std::string agent_id = twiml::parameter(answer, "agent_id");
    std::optional<AgentInfo> agent;
    if (!agent_id.empty()) {
      std::lock_guard lock(environment.mutex);
      agent = agent_info(environment.db, agent_id);
    }
    if (!agent) {
      progress.reason = agent_id.empty() ? "not_twiml" : "agent_not_found";
      return;
    }
    progress.outcome = "connected";
    progress.agent = std::move(agent);
    progress.conversation_id = twiml::parameter(answer, "conversation_id");
    for (const auto& [name, value] : answer.parameters) {
      bool standard = false;
      for (std::string_view known : k_stream_parameters) {
        standard = standard || name == known;
      }
      if (!standard) {
        progress.dynamic_variables.emplace_back(name, value);
      }
    }
    return;
  }
  case twiml::Verb::reject:
    progress.outcome = "rejected";
    progress.reason = answer.reject_reason;
    return;
  case twiml::Verb::say:
  case twiml::Verb::hangup:
    progress.outcome = "spoken";
    progress.message = answer.spoken;
    return;
  case twiml::Verb::unknown:
    progress.reason = "not_twiml";
    return;
  }
}

// Native routing: ElevenLabs answers the number it imported, as the agent it is assigned to.
void answer_natively(const Environment& environment, const std::string& e164, Progress& progress) {
  std::lock_guard lock(environment.mutex);
  SQLite::Statement select(environment.db, "SELECT phone_number_id, agent_id FROM "
                                           "convai_phone_numbers WHERE phone_number = ?");
  select.bind(1, e164);
  if (!select.executeStep()) {
    progress.outcome = "rejected";
    progress.reason = "not_imported";
    return;
  }
  progress.phone_number_id = select.getColumn(0).getString();
  if (select.getColumn(1).isNull()) {
    progress.outcome = "rejected";
    progress.reason = "import_unassigned";
    return;
  }
  progress.agent = agent_info(environment.db, select.getColumn(1).getString());
  if (!progress.agent) {
    progress.reason = "agent_not_found";
    return;
  }
  progress.outcome = "connected";
}

Json transcript_of(const Progress& progress, const std::string& line) {
  const std::string greeting = progress.agent->first_message.empty()
                                   ? "Hello, this is " + progress.agent->name + "."
                                   : progress.agent->first_message;
  return Json::array(
      {Json{{"role", "agent"}, {"message", greeting}, {"time_in_call_secs", 0}},
       Json{{"role", "user"}, {"message", line}, {"time_in_call_secs", 4}},
       Json{{"role", "agent"}, {"message", k_agent_answer}, {"time_in_call_secs", 9}}});
}

// Records the conversation of a connected call (ElevenLabs' half).
void record_conversation(SQLite::Database& db, const Progress& progress, const Json& transcript,
                         const std::string& call_sid, const std::string& to,
                         const std::string& from, std::int64_t started) {
  SQLite::Statement insert(
      db, "INSERT OR REPLACE INTO conversations (conversation_id, agent_id, agent_name, "
          "start_time_unix_secs, call_duration_secs, message_count, status, call_successful, "
          "termination_reason, direction, transcript_summary, call_summary_title) "
          "VALUES (?, ?, ?, ?, ?, ?, 'done', 'success', 'Call ended by remote party', "
          "'inbound', ?, 'Test call')");
  insert.bind(1, progress.conversation_id);
  insert.bind(2, progress.agent->agent_id);
  insert.bind(3, progress.agent->name);
  insert.bind(4, started);
  insert.bind(5, k_call_seconds);
  insert.bind(6, static_cast<std::int64_t>(transcript.size()));
  insert.bind(7, "The caller said: " + transcript[1].value("message", std::string()));
  insert.exec();
  SQLite::Statement details(
      db, "INSERT OR REPLACE INTO conversation_details (conversation_id, call_sid, "
          "phone_number_id, agent_number, external_number, cost, cost_fiat, transcript) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  details.bind(1, progress.conversation_id);
  details.bind(2, call_sid);
  details.bind(3, progress.phone_number_id);
  details.bind(4, to);
  details.bind(5, from);
  details.bind(6, static_cast<std::int64_t>(k_call_seconds * 10));
  details.bind(7, 0.025);
  details.bind(8, transcript.dump());
  details.exec();
}

// Records the call in Twilio's call log.
void record_call(SQLite::Database& db, const std::string& call_sid, const std::string& to,
                 const std::string& from, const std::string& number_sid, const std::string& status,
                 std::int64_t started, bool answered) {
  SQLite::Statement insert(db, "INSERT INTO calls (sid, from_number, to_number, direction, "
                               "status, start_time, end_time, duration, price, price_unit, "
                               "phone_number_sid, date_created) "
                               "VALUES (?, ?, ?, 'inbound', ?, ?, ?, ?, ?, 'USD', ?, ?)");
  insert.bind(1, call_sid);
  insert.bind(2, from);
  insert.bind(3, to);
  insert.bind(4, status);
  insert.bind(5, started);
  insert.bind(6, started + (answered ? k_call_seconds : 0));
  insert.bind(7, answered ? k_call_seconds : 0);
  if (answered) {
    insert.bind(8, k_inbound_minute_price);
  } else {
    insert.bind(8, "0.00000");
  }
  insert.bind(9, number_sid);
  insert.bind(10, started);
  insert.exec();
}

Json post_call_delivery(const Environment& environment, const Progress& progress,
                        const std::string& call_sid) {
  std::optional<PostCallWebhook> webhook = environment.post_call_webhook();
  if (!webhook) {
    return nullptr;
  }
  bool wanted = webhook->events.empty();
  for (const std::string& event : webhook->events) {
    wanted = wanted || event == "transcript";
  }
  if (!wanted) {
    return nullptr;
  }
  std::optional<Json> data;
  {
    std::lock_guard lock(environment.mutex);
    data = conversations::details(environment.db, progress.conversation_id);
  }
  if (!data) {
    return nullptr;
  }
  Json variables = Json::object();
  for (const auto& [name, value] : progress.dynamic_variables) {
    variables[name] = value;
  }
  variables["system__call_sid"] = call_sid;
  (*data)["conversation_initiation_client_data"] =
      Json{{"conversation_config_override", Json::object()},
           {"custom_llm_extra_body", Json::object()},
           {"dynamic_variables", std::move(variables)}};
  const std::int64_t now = now_seconds();
  const std::string body =
      Json{{"type", "post_call_transcription"}, {"event_timestamp", now}, {"data", *data}}.dump();
  http::HttpRequest request;
  request.method = "POST";
  request.url = webhook->url;
  request.body = body;
  request.headers.emplace_back("Content-Type", "application/json");
  const std::string timestamp = std::to_string(now);
  request.headers.emplace_back(
      "ElevenLabs-Signature",
      "t=" + timestamp +
          ",v0=" + vami::elevenlabs::webhook_signature(webhook->secret, timestamp, body));
  for (const auto& [name, value] : webhook->request_headers) {
    request.headers.emplace_back(name, value);
  }
  return deliver(environment, request, webhook->url).first;
}

} // namespace

http::HttpResponse place(const Environment& environment, const http::HttpRequest& request) {
  const Params form = http::form_decode(request.body);
  const std::string to = param(form, "To").value_or("");
  const std::string from = param(form, "From").value_or(k_default_caller);
  const std::string line = param(form, "Say").value_or(k_default_line);
  if (!is_e164(to)) {
    return bad_request("To must be a number in E.164 (+ and up to 15 digits), got '" + to + "'");
  }
  if (!is_e164(from)) {
    return bad_request("From must be a number in E.164 (+ and up to 15 digits), got '" + from +
                       "'");
  }
  std::optional<CalledNumber> number;
  std::optional<std::string> trunk; // A number on a SIP trunk rings the trunk's SIP address.
  {
    std::lock_guard lock(environment.mutex);
    number = called_number(environment.db, to);
    trunk = synthflow_calls::trunk_origination(environment.db, to);
  }
  Json answer;
  answer["to"] = to;
  answer["from"] = from;
  if (!number) {
    answer["call_sid"] = nullptr;
    answer["voice_url_kind"] = "not_owned";
    answer["voice_url"] = nullptr;
    answer["voice_webhook"] = nullptr;
    answer["outcome"] = "rejected";
    answer["reason"] = "not_owned";
    answer["status_callback"] = nullptr;
    answer["post_call"] = nullptr;
    return elevenlabs::json_response(200, answer);
  }

  const std::string call_sid = "CA" + random_text("0123456789abcdef", 32);
  const std::int64_t started = now_seconds();
  Progress progress;
  progress.call_sid = call_sid;
  std::string kind;
  std::optional<synthflow_calls::SipAnswer> sip;
  if (trunk) {
    kind = "sip_trunk";
    number->voice_url = *trunk;
    number->status_callback.clear(); // a voice-URL setting: the trunk bypasses it
    if (synthflow_calls::is_synthflow_sip_url(*trunk)) {
      sip = synthflow_calls::answer({environment.db, environment.mutex, environment.http,
                                     environment.credentials.synthflow_webhook_secret},
                                    {to, from, line, started, k_call_seconds});
      progress.outcome = sip->outcome;
      progress.reason = sip->reason;
      progress.voice_webhook = sip->inbound_webhook;
      progress.dynamic_variables = sip->variables;
      if (sip->outcome == "connected") {
        progress.agent = AgentInfo{sip->agent_id, sip->agent_name, sip->greeting};
        progress.conversation_id = sip->call_id;
      }
    } else {
      progress.reason = trunk->empty() ? "no_origination_url" : "sip_address_unknown";
    }
  } else if (number->voice_url.empty()) {
    kind = "none";
    progress.reason = "no_voice_url";
  } else if (number->voice_url.rfind(std::string(k_elevenlabs_inbound_url), 0) == 0) {
    kind = "agent_provider";
    answer_natively(environment, to, progress);
  } else if (auto document = twiml::echo_twimlet_document(number->voice_url)) {
    kind = "out_of_service";
    follow_twiml(environment, *document, progress);
  } else {
    kind = "webhook";
    const twilio::FormParams params = {{"AccountSid", environment.credentials.account_sid},
                                       {"ApiVersion", "2010-04-01"},
                                       {"CallSid", call_sid},
                                       {"CallStatus", "ringing"},
                                       {"Called", to},
                                       {"Caller", from},
                                       {"Direction", "inbound"},
                                       {"From", from},
                                       {"To", to}};
    auto [delivery, response] = deliver(environment,
                                        twilio_request(number->voice_url, number->voice_method,
                                                       params, environment.credentials.auth_token),
                                        number->voice_url);
    progress.voice_webhook = delivery;
    if (!response) {
      progress.reason = "unreachable";
    } else if (response->status / 100 != 2) {
      progress.reason = "http_status";
    } else {
      follow_twiml(environment, response->body, progress);
    }
  }
  if (progress.outcome == "connected" && progress.conversation_id.empty()) {
    progress.conversation_id = "conv_" + random_text(elevenlabs::k_lower_alnum, 26);
  }

  const bool answered = progress.outcome == "connected" || progress.outcome == "spoken";
  std::string status = "completed";
  if (progress.outcome == "rejected") {
    status = progress.reason == "busy" ? "busy" : "no-answer";
  } else if (progress.outcome == "failed") {
    status = "failed";
  }
  Json transcript = Json::array();
  if (progress.outcome == "connected") {
    transcript = transcript_of(progress, line);
  }
  {
    std::lock_guard lock(environment.mutex);
    SQLite::Transaction transaction(environment.db, SQLite::TransactionBehavior::IMMEDIATE);
    record_call(environment.db, call_sid, to, from, number->sid, status, started, answered);
    if (progress.outcome == "connected" && progress.stream_url.empty() && !sip) {
      record_conversation(environment.db, progress, transcript, call_sid, to, from, started);
    }
    transaction.commit();
  }

  Json status_callback = nullptr;
  if (!number->status_callback.empty()) {
    const twilio::FormParams params = {
        {"AccountSid", environment.credentials.account_sid},
        {"ApiVersion", "2010-04-01"},
        {"CallDuration", std::to_string(answered ? k_call_seconds : 0)},
        {"CallSid", call_sid},
        {"CallStatus", status},
        {"CallbackSource", "call-progress-events"},
        {"Called", to},
        {"Caller", from},
        {"Direction", "inbound"},
        {"From", from},
        {"SequenceNumber", "0"},
        {"Timestamp", rfc2822(started + (answered ? k_call_seconds : 0))},
        {"To", to}};
    status_callback =
        deliver(environment,
                twilio_request(number->status_callback, number->status_callback_method, params,
                               environment.credentials.auth_token),
                number->status_callback)
            .first;
  }
  Json post_call = nullptr;
  if (sip) {
    post_call = sip->post_call;
  } else if (progress.outcome == "connected" && progress.stream_url.empty()) {
    post_call = post_call_delivery(environment, progress, call_sid);
  }

  answer["call_sid"] = call_sid;
  answer["voice_url_kind"] = kind;
  answer["voice_url"] = number->voice_url;
  answer["voice_webhook"] = progress.voice_webhook;
  answer["outcome"] = progress.outcome;
  answer["reason"] = progress.reason.empty() ? Json(nullptr) : Json(progress.reason);
  answer["message"] = progress.outcome == "spoken" ? Json(progress.message) : Json(nullptr);
  if (progress.agent) {
    answer["agent_id"] = progress.agent->agent_id;
    answer["agent_name"] = progress.agent->name;
    answer["conversation_id"] =
        progress.stream_url.empty() ? Json(progress.conversation_id) : Json(nullptr);
  } else {
    answer["agent_id"] = nullptr;
    answer["agent_name"] = nullptr;
    answer["conversation_id"] = nullptr;
  }
  Json variables = Json::object();
  for (const auto& [name, value] : progress.dynamic_variables) {
    variables[name] = value;
  }
  answer["dynamic_variables"] = std::move(variables);
  answer["stream_url"] = progress.stream_url.empty() ? Json(nullptr) : Json(progress.stream_url);
  answer["stream"] = progress.followed ? media_stream::to_json(*progress.followed) : Json(nullptr);
  answer["transcript"] = std::move(transcript);
  answer["status_callback"] = std::move(status_callback);
  answer["post_call"] = std::move(post_call);
  return elevenlabs::json_response(200, answer);
}

} // namespace vami::sandbox::voice_calls
