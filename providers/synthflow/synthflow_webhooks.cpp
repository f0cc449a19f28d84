// Synthflow's webhooks (synthflow_webhooks.hpp): the signature (base64 HMAC-SHA256 of the call
// id), the inbound webhook and its answer, the post-call payload read into a CallRecord.
// Sources: https://docs.synthflow.ai/webhooks-security, /inbound-webhook-api, /post-call-webhook.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "http/crypto.hpp"
#include "http/json_members.hpp"
#include "synthflow_mapping.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/providers/synthflow_webhooks.hpp>

namespace vami::synthflow {

namespace {

using nlohmann::json;

std::string base64_hmac(std::string_view secret, std::string_view message) {
  return http::base64_encode(http::hmac_sha256(secret, message));
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// "2024-03-28T18:17:46.205134+01:00", "...Z", "... 18:17:46" (UTC): seconds since the epoch.
std::optional<std::int64_t> unix_of_offset_time(const std::string& text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &year, &month, &day, &hour,
                  &minute, &second, &consumed) != 6 ||
      month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(text).substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      rest.remove_prefix(1);
    }
  }
  std::int64_t offset_seconds = 0;
  if (rest == "Z" || rest.empty()) {
    offset_seconds = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int offset_hours = 0;
    int offset_minutes = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &offset_hours,
                    &offset_minutes) != 2 ||
        offset_hours > 23 || offset_minutes > 59) {
      return std::nullopt;
    }
    offset_seconds = (offset_hours * 3600 + offset_minutes * 60) * (rest[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&parts)) - offset_seconds;
}

std::string started_at(const json& call) {
  auto it = call.find("start_time");
  if (it == call.end()) {
    return {};
  }
  if (it->is_number()) {
    std::optional<std::int64_t> millis = http::json_integer_member(call, "start_time");
    return millis && *millis > 0 ? utc_iso8601(*millis / 1000) : std::string();
  }
  if (!it->is_string()) {
    return {};
  }
  const std::string text = it->get<std::string>();
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    const std::int64_t seconds = detail::seconds_from_millis(text);
    return seconds > 0 ? utc_iso8601(seconds) : std::string();
  }
  std::optional<std::int64_t> seconds = unix_of_offset_time(text);
  return seconds ? utc_iso8601(*seconds) : std::string();
}

std::optional<CallStatus> status_of(const std::string& status) {
  if (status == "completed" || status == "hangup_on_voicemail" || status == "left_voicemail") {
    return CallStatus::completed;
  }
  if (status == "no-answer" || status == "no_answer") {
    return CallStatus::no_answer;
  }
  return parse_call_status(status); // busy, failed, canceled, in-progress, ...
}

// The `vami_tenant` the inbound answer gave the call, wherever the post-call payload echoes it.
std::string tenant_variable(const json& body, const json& call) {
  for (const json* variables :
       {&http::json_object_member(http::json_object_member(body, "lead"), "prompt_variables"),
        &http::json_object_member(call, "custom_variables"),
        &http::json_object_member(call, "metadata"), &http::json_object_member(body, "metadata")}) {
    std::string tenant = http::json_string_member(*variables, "vami_tenant");
    if (!tenant.empty()) {
      return tenant;
    }
  }
  return {};
}

} // namespace

std::string webhook_signature(std::string_view secret, std::string_view call_id) {
  return base64_hmac(secret, call_id);
}

const char* to_string(WebhookSignatureCheck check) noexcept {
  switch (check) {
  case WebhookSignatureCheck::valid:
    return "valid";
  case WebhookSignatureCheck::missing:
    return "missing";
  case WebhookSignatureCheck::mismatch:
    return "mismatch";
  }
  return "mismatch";
}

WebhookSignatureCheck check_webhook_signature(std::string_view signature, std::string_view call_id,
                                              std::string_view body, std::string_view secret) {
  signature = trimmed(signature);
  if (signature.empty() || secret.empty()) {
    return WebhookSignatureCheck::missing;
  }
  // Both are computed, whatever the first gives, so that the time taken says nothing.
  const bool of_call =
      !call_id.empty() && http::same_secret_text(signature, base64_hmac(secret, call_id));
  const bool of_body = http::same_secret_text(signature, base64_hmac(secret, body));
  return of_call || of_body ? WebhookSignatureCheck::valid : WebhookSignatureCheck::mismatch;
}

InboundWebhook parse_inbound_webhook(std::string_view body) {
  json envelope = json::parse(body, nullptr, false);
  if (envelope.is_discarded() || !envelope.is_object()) {
    throw Error(ErrorKind::invalid_input, "the inbound webhook's body is not a JSON object");
  }
  const std::string event = http::json_string_member(envelope, "event");
  auto inbound = envelope.find("call_inbound");
  if ((!event.empty() && event != "call_inbound") || inbound == envelope.end() ||
      !inbound->is_object()) {
    throw Error(ErrorKind::invalid_input,
                "the inbound webhook is not a 'call_inbound' event with a 'call_inbound' object");
  }
  InboundWebhook webhook;
  webhook.call_id = http::json_string_member(*inbound, "call_id");
  if (webhook.call_id.empty()) {
    webhook.call_id = http::json_string_member(envelope, "call_id");
  }
  webhook.agent_id = http::json_string_member(*inbound, "model_id");
  webhook.from_number = http::json_string_member(*inbound, "from_number");
  webhook.to_number = http::json_string_member(*inbound, "to_number");
  return webhook;
}

std::string inbound_answer(const std::string& override_agent_id,
                           const std::vector<std::pair<std::string, std::string>>& variables) {
  nlohmann::ordered_json custom = nlohmann::ordered_json::object();
  for (const auto& [name, value] : variables) {
    custom[name] = value;
  }
  nlohmann::ordered_json inbound;
  inbound["override_model_id"] = override_agent_id;
  inbound["custom_variables"] = custom;
  inbound["metadata"] = std::move(custom);
  nlohmann::ordered_json answer;
  answer["call_inbound"] = std::move(inbound);
  return answer.dump();
}

std::string inbound_decline() {
  return R"({"call_inbound":{}})";
}

CallRecord parse_post_call(std::string_view body) {
  json envelope = json::parse(body, nullptr, false);
  if (envelope.is_discarded() || !envelope.is_object()) {
    throw Error(ErrorKind::invalid_input, "the post-call webhook's body is not a JSON object");
  }
  auto call_member = envelope.find("call");
  if (call_member == envelope.end() || !call_member->is_object() ||
      http::json_string_member(*call_member, "call_id").empty()) {
    throw Error(ErrorKind::invalid_input,
                "the post-call webhook has no 'call' object with a 'call_id' string");
  }
  const json& call = *call_member;
  CallRecord record;
  record.source = CallSource::router;
  record.conversation_id = http::json_string_member(call, "call_id");
  record.provider_agent_id = http::json_string_member(call, "model_id");
  record.number = http::json_string_member(call, "phone_number_to");
  if (record.number.empty()) {
    record.number = http::json_string_member(call, "to_number");
  }
  record.caller = http::json_string_member(call, "phone_number_from");
  if (record.caller.empty()) {
    record.caller =
        http::json_string_member(http::json_object_member(envelope, "lead"), "phone_number");
  }
  record.tenant_slug = tenant_variable(envelope, call);
  const std::string type = http::json_string_member(call, "type_of_call");
  if (type == "inbound") {
    record.direction = CallDirection::inbound;
  } else if (type == "outbound") {
    record.direction = CallDirection::outbound_api;
  }
  std::string status = http::json_string_member(call, "status");
  if (status.empty()) {
    status = http::json_string_member(envelope, "status");
  }
  record.status = status_of(status);
  record.started_at = started_at(call);
  record.duration_seconds = http::json_integer_member(call, "duration");
  if (record.duration_seconds && *record.duration_seconds < 0) {
    record.duration_seconds.reset();
  }
  record.summary = http::json_string_member(call, "summary");
  if (record.summary.empty()) {
    record.summary = http::json_string_member(envelope, "summary");
  }
  if (auto cost = call.find("cost"); cost != call.end() && cost->is_number()) {
    const double usd = cost->get<double>();
    if (std::isfinite(usd) && usd >= 0 && usd < 1e9) {
      record.agent_cost = Money{static_cast<std::int64_t>(std::llround(usd * 1e6)), "USD"};
    }
  }
  record.failure_reason = http::json_string_member(envelope, "error_message");
  record.transcript = detail::transcript_lines(http::json_string_member(call, "transcript"));
  return record;
}

} // namespace vami::synthflow
