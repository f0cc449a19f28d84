// Post-call webhook payloads (post_call_transcription, call_initiation_failure) read into the
// call history's CallRecord. The payload follows GetConversationResponseModel
// (shared/specs/elevenlabs_openapi.json); third-party fields are read defensively.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/json_members.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/providers/elevenlabs_webhooks.hpp>

namespace vami::elevenlabs {

namespace {

using nlohmann::json;

PostCallEventType type_of(const std::string& name) {
  if (name == "post_call_transcription") {
    return PostCallEventType::transcription;
  }
  if (name == "post_call_audio") {
    return PostCallEventType::audio;
  }
  if (name == "call_initiation_failure") {
    return PostCallEventType::initiation_failure;
  }
  return PostCallEventType::other;
}

} // namespace

PostCallEvent parse_post_call_event(std::string_view body) {
  json envelope = json::parse(body, nullptr, false);
  if (envelope.is_discarded() || !envelope.is_object()) {
    throw Error(ErrorKind::invalid_input, "the post-call webhook's body is not a JSON object");
  }
  PostCallEvent event;
  event.type_name = http::json_string_member(envelope, "type");
  auto data_member = envelope.find("data");
  if (event.type_name.empty() || data_member == envelope.end() || !data_member->is_object()) {
    throw Error(ErrorKind::invalid_input,
                "the post-call webhook has no 'type' string or no 'data' object");
  }
  const json& data = *data_member;
  event.type = type_of(event.type_name);
  CallRecord& call = event.call;
  call.source = CallSource::router;
  call.conversation_id = http::json_string_member(data, "conversation_id");
  if (call.conversation_id.empty()) {
    throw Error(ErrorKind::invalid_input, "the post-call webhook's data has no conversation_id");
  }
  call.provider_agent_id = http::json_string_member(data, "agent_id");

  const json& client_data = http::json_object_member(data, "conversation_initiation_client_data");
  const json& variables = http::json_object_member(client_data, "dynamic_variables");
  call.tenant_slug = http::json_string_member(variables, "vami_tenant");
  if (call.tenant_slug.empty()) {
    call.tenant_slug = http::json_string_member(client_data, "user_id");
  }
  if (call.tenant_slug.empty()) {
    call.tenant_slug = http::json_string_member(data, "user_id");
  }
  call.call_sid = http::json_string_member(variables, "vami_call_sid");

  const json& metadata = http::json_object_member(data, "metadata");
  const json& phone_call = http::json_object_member(metadata, "phone_call");
  if (call.call_sid.empty()) {
    call.call_sid = http::json_string_member(phone_call, "call_sid");
  }
  call.number = http::json_string_member(phone_call, "agent_number");
  call.caller = http::json_string_member(phone_call, "external_number");
  if (auto direction = parse_call_direction(http::json_string_member(phone_call, "direction"))) {
    call.direction = direction;
  }
  if (auto start = http::json_integer_member(metadata, "start_time_unix_secs");
      start && *start > 0) {
    call.started_at = utc_iso8601(*start);
  }
  if (auto duration = http::json_integer_member(metadata, "call_duration_secs");
      duration && *duration >= 0) {
    call.duration_seconds = duration;
  }
  call.agent_credits = http::json_integer_member(metadata, "cost");
  if (auto cost = metadata.find("cost_fiat"); cost != metadata.end() && cost->is_number()) {
    double usd = cost->get<double>();
    if (std::isfinite(usd) && usd >= 0 && usd < 1e9) {
      call.agent_cost = Money{static_cast<std::int64_t>(std::llround(usd * 1e6)), "USD"};
    }
  }

  const json& analysis = http::json_object_member(data, "analysis");
  call.outcome = parse_call_outcome(http::json_string_member(analysis, "call_successful"));
  call.summary = http::json_string_member(analysis, "transcript_summary");
  if (auto transcript = data.find("transcript");
      transcript != data.end() && transcript->is_array()) {
    for (const json& turn : *transcript) {
      if (!turn.is_object()) {
        continue;
      }
      TranscriptLine line;
      line.role = http::json_string_member(turn, "role");
      line.message = http::json_string_member(turn, "message");
      line.time_in_call_seconds = http::json_integer_member(turn, "time_in_call_secs");
      call.transcript.push_back(std::move(line));
    }
  }

  if (event.type == PostCallEventType::initiation_failure) {
    call.status = CallStatus::failed_to_start;
    call.failure_reason = http::json_string_member(data, "failure_reason");
  }
  return event;
}

} // namespace vami::elevenlabs
