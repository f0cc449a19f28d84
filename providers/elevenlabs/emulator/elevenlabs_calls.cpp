// ElevenLabs' half of a simulated inbound call (the sandbox's Twilio places it,
// sandbox_voice_calls.cpp): the native integration answers a number it imported, register-call's
// `<Connect><Stream>` connects the agent it names, a connected call is a conversation, and the
// post-call webhook the settings name gets its transcript.

#include <cstdint>
#include <string_view>

#include "elevenlabs/emulator/conversations.hpp"
#include "elevenlabs/emulator/elevenlabs_emulator.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/providers/elevenlabs_webhooks.hpp>

namespace vami::sandbox {

namespace {

using Json = nlohmann::ordered_json;
using elevenlabs::random_text;

/// The register-call parameters that are not dynamic variables.
constexpr std::string_view k_stream_parameters[] = {"agent_id", "conversation_id", "direction",
                                                    "from_number", "to_number"};

std::optional<CallAgent> agent_info(SQLite::Database& db, const std::string& agent_id) {
  SQLite::Statement select(
      db, "SELECT agent_id, name, conversation_config FROM convai_agents WHERE agent_id = ?");
  select.bind(1, agent_id);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  CallAgent agent;
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

// A connected call without an id from register-call gets one of ElevenLabs' form.
void name_conversation(CallProgress& progress) {
  if (progress.outcome == "connected" && progress.conversation_id.empty()) {
    progress.conversation_id = "conv_" + random_text(elevenlabs::k_lower_alnum, 26);
  }
}

} // namespace

bool ElevenLabsSandbox::answers_voice_url(std::string_view url) const {
  return url.rfind(k_elevenlabs_inbound_url, 0) == 0;
}

bool ElevenLabsSandbox::answers_stream(const twiml::Answer& answer) const {
  return !twiml::parameter(answer, "agent_id").empty();
}

void ElevenLabsSandbox::answer_voice_url(const CallContext& context, const InboundCall& call,
                                         CallProgress& progress) {
  {
    std::lock_guard lock(context.mutex);
    SQLite::Statement select(context.db, "SELECT phone_number_id, agent_id FROM "
                                         "convai_phone_numbers WHERE phone_number = ?");
    select.bind(1, call.to);
    if (!select.executeStep()) {
      progress.outcome = "rejected";
      progress.reason = "not_imported";
      return;
    }
    progress.answering_number_id = select.getColumn(0).getString();
    if (select.getColumn(1).isNull()) {
      progress.outcome = "rejected";
      progress.reason = "import_unassigned";
      return;
    }
    progress.agent = agent_info(context.db, select.getColumn(1).getString());
  }
  if (!progress.agent) {
    progress.reason = "agent_not_found";
    return;
  }
  progress.outcome = "connected";
  name_conversation(progress);
}

void ElevenLabsSandbox::answer_stream(const CallContext& context, const InboundCall& call,
                                      const twiml::Answer& answer, CallProgress& progress) {
  (void)call;
  const std::string agent_id = twiml::parameter(answer, "agent_id");
  std::optional<CallAgent> agent;
  {
    std::lock_guard lock(context.mutex);
    agent = agent_info(context.db, agent_id);
  }
  if (!agent) {
    progress.reason = "agent_not_found";
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
  name_conversation(progress);
}

void ElevenLabsSandbox::record_call(SQLite::Database& db, const InboundCall& call,
                                    const CallProgress& progress, const Json& transcript) {
  if (progress.outcome != "connected") {
    return;
  }
  SQLite::Statement insert(
      db, "INSERT OR REPLACE INTO conversations (conversation_id, agent_id, agent_name, "
          "start_time_unix_secs, call_duration_secs, message_count, status, call_successful, "
          "termination_reason, direction, transcript_summary, call_summary_title) "
          "VALUES (?, ?, ?, ?, ?, ?, 'done', 'success', 'Call ended by remote party', "
          "'inbound', ?, 'Test call')");
  insert.bind(1, progress.conversation_id);
  insert.bind(2, progress.agent->agent_id);
  insert.bind(3, progress.agent->name);
  insert.bind(4, call.started);
  insert.bind(5, call.seconds);
  insert.bind(6, static_cast<std::int64_t>(transcript.size()));
  insert.bind(7, "The caller said: " + transcript[1].value("message", std::string()));
  insert.exec();
  SQLite::Statement details(
      db, "INSERT OR REPLACE INTO conversation_details (conversation_id, call_sid, "
          "phone_number_id, agent_number, external_number, cost, cost_fiat, transcript) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  details.bind(1, progress.conversation_id);
  details.bind(2, call.call_sid);
  details.bind(3, progress.answering_number_id);
  details.bind(4, call.to);
  details.bind(5, call.from);
  details.bind(6, static_cast<std::int64_t>(call.seconds * 10));
  details.bind(7, 0.025);
  details.bind(8, transcript.dump());
  details.exec();
}

void ElevenLabsSandbox::after_call(const CallContext& context, const InboundCall& call,
                                   CallProgress& progress) {
  if (progress.outcome != "connected") {
    return;
  }
  std::optional<PostCallWebhook> webhook = post_call_webhook();
  if (!webhook) {
    return;
  }
  bool wanted = webhook->events.empty();
  for (const std::string& event : webhook->events) {
    wanted = wanted || event == "transcript";
  }
  if (!wanted) {
    return;
  }
  std::optional<Json> data;
  {
    std::lock_guard lock(context.mutex);
    data = conversations::details(context.db, progress.conversation_id);
  }
  if (!data) {
    return;
  }
  Json variables = Json::object();
  for (const auto& [name, value] : progress.dynamic_variables) {
    variables[name] = value;
  }
  variables["system__call_sid"] = call.call_sid;
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
  progress.post_call = deliver_webhook(context.http(), request, webhook->url).first;
}

} // namespace vami::sandbox
