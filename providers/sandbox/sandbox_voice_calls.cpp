// Simulated inbound calls (see sandbox_voice_calls.hpp): Twilio's half follows the number's
// voice URL (or its SIP trunk), the emulator of the provider it reaches answers as the agent,
// and both send the webhooks they would.

#include "sandbox/sandbox_voice_calls.hpp"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "elevenlabs/emulator/wire.hpp"
#include "twilio/emulator/trunking.hpp"
#include "twilio/emulator/twiml.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/error.hpp>
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
struct CalledNumber {
  std::string sid;
  std::string voice_url;
  std::string voice_method;
  std::string status_callback;
  std::string status_callback_method;
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

// Follows a TwiML document: connects (through the emulator the stream goes to), rejects or
// speaks. The emulator that answered, if any.
AgentProviderEmulator* follow_twiml(const CallContext& context,
                                    const std::vector<AgentProviderEmulator*>& emulators,
                                    const InboundCall& call, std::string_view document,
                                    CallProgress& progress) {
  const twiml::Answer answer = twiml::read(document);
  switch (answer.verb) {
  case twiml::Verb::connect_stream:
    for (AgentProviderEmulator* emulator : emulators) {
      if (emulator->answers_stream(answer)) {
        emulator->answer_stream(context, call, answer, progress);
        return emulator;
      }
    }
    progress.reason = "not_twiml";
    return nullptr;
  case twiml::Verb::reject:
    progress.outcome = "rejected";
    progress.reason = answer.reject_reason;
    return nullptr;
  case twiml::Verb::say:
  case twiml::Verb::hangup:
    progress.outcome = "spoken";
    progress.message = answer.spoken;
    return nullptr;
  case twiml::Verb::unknown:
    progress.reason = "not_twiml";
    return nullptr;
  }
  return nullptr;
}

Json transcript_of(const CallProgress& progress, const std::string& line) {
  const std::string greeting = progress.agent->first_message.empty()
                                   ? "Hello, this is " + progress.agent->name + "."
                                   : progress.agent->first_message;
  return Json::array(
      {Json{{"role", "agent"}, {"message", greeting}, {"time_in_call_secs", 0}},
       Json{{"role", "user"}, {"message", line}, {"time_in_call_secs", 4}},
       Json{{"role", "agent"}, {"message", k_agent_answer}, {"time_in_call_secs", 9}}});
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

} // namespace

http::HttpResponse place(const CallContext& context,
                         const std::vector<AgentProviderEmulator*>& emulators,
                         const http::HttpRequest& request) {
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
    std::lock_guard lock(context.mutex);
    number = called_number(context.db, to);
    trunk = TrunkingSandbox::origination_of(context.db, to);
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

  const InboundCall call{
      "CA" + random_text("0123456789abcdef", 32), to, from, line, now_seconds(), k_call_seconds};
  const std::string& call_sid = call.call_sid;
  const std::int64_t started = call.started;
  CallProgress progress;
  AgentProviderEmulator* answering = nullptr; // the provider's emulator that took the call
  auto first_that = [&](auto&& predicate) -> AgentProviderEmulator* {
    for (AgentProviderEmulator* emulator : emulators) {
      if (predicate(*emulator)) {
        return emulator;
      }
    }
    return nullptr;
  };
  std::string kind;
  if (trunk) {
    kind = "sip_trunk";
    number->voice_url = *trunk;
    number->status_callback.clear(); // a voice-URL setting: the trunk bypasses it
    answering = first_that([&](const AgentProviderEmulator& emulator) {
      return emulator.answers_sip_address(*trunk);
    });
    if (answering != nullptr) {
      answering->answer_sip(context, call, *trunk, progress);
    } else {
      progress.reason = trunk->empty() ? "no_origination_url" : "sip_address_unknown";
    }
  } else if (number->voice_url.empty()) {
    kind = "none";
    progress.reason = "no_voice_url";
  } else if ((answering = first_that([&](const AgentProviderEmulator& emulator) {
                return emulator.answers_voice_url(number->voice_url);
              })) != nullptr) {
    kind = "agent_provider";
    answering->answer_voice_url(context, call, progress);
  } else if (auto document = twiml::echo_twimlet_document(number->voice_url)) {
    kind = "out_of_service";
    answering = follow_twiml(context, emulators, call, *document, progress);
  } else {
    kind = "webhook";
    const twilio::FormParams params = {{"AccountSid", context.credentials.account_sid},
                                       {"ApiVersion", "2010-04-01"},
                                       {"CallSid", call_sid},
                                       {"CallStatus", "ringing"},
                                       {"Called", to},
                                       {"Caller", from},
                                       {"Direction", "inbound"},
                                       {"From", from},
                                       {"To", to}};
    auto [delivery, response] =
        deliver_webhook(context.http(),
                        twilio_request(number->voice_url, number->voice_method, params,
                                       context.credentials.auth_token),
                        number->voice_url);
    progress.voice_webhook = delivery;
    if (!response) {
      progress.reason = "unreachable";
    } else if (response->status / 100 != 2) {
      progress.reason = "http_status";
    } else {
      answering = follow_twiml(context, emulators, call, response->body, progress);
    }
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
    std::lock_guard lock(context.mutex);
    SQLite::Transaction transaction(context.db, SQLite::TransactionBehavior::IMMEDIATE);
    record_call(context.db, call_sid, to, from, number->sid, status, started, answered);
    if (answering != nullptr) {
      answering->record_call(context.db, call, progress, transcript);
    }
    transaction.commit();
  }

  Json status_callback = nullptr;
  if (!number->status_callback.empty()) {
    const twilio::FormParams params = {
        {"AccountSid", context.credentials.account_sid},
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
        deliver_webhook(context.http(),
                        twilio_request(number->status_callback, number->status_callback_method,
                                       params, context.credentials.auth_token),
                        number->status_callback)
            .first;
  }
  if (answering != nullptr) {
    answering->after_call(context, call, progress);
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
  answer["post_call"] = std::move(progress.post_call);
  return elevenlabs::json_response(200, answer);
}

} // namespace vami::sandbox::voice_calls
