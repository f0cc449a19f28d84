#include <array>
#include <string>

#include "enum_names.hpp"

#include <vami/core/call.hpp>

namespace vami {

namespace {

constexpr detail::EnumNames<CallDirection, 3> k_direction_names{{
    {CallDirection::inbound, "inbound"},
    {CallDirection::outbound_api, "outbound-api"},
    {CallDirection::outbound_dial, "outbound-dial"},
}};

constexpr detail::EnumNames<CallStatus, 9> k_status_names{{
    {CallStatus::queued, "queued"},
    {CallStatus::ringing, "ringing"},
    {CallStatus::in_progress, "in-progress"},
    {CallStatus::completed, "completed"},
    {CallStatus::busy, "busy"},
    {CallStatus::failed, "failed"},
    {CallStatus::no_answer, "no-answer"},
    {CallStatus::canceled, "canceled"},
    {CallStatus::failed_to_start, "failed-to-start"},
}};

constexpr detail::EnumNames<CallOutcome, 3> k_outcome_names{{
    {CallOutcome::success, "success"},
    {CallOutcome::failure, "failure"},
    {CallOutcome::unknown, "unknown"},
}};

constexpr detail::EnumNames<CallSource, 2> k_source_names{{
    {CallSource::router, "router"},
    {CallSource::sync, "sync"},
}};

/// How far along a call is: a status may only replace one of a lower rank, and final statuses
/// share the top rank, so the first final status reported stays.
int rank(CallStatus status) noexcept {
  switch (status) {
  case CallStatus::queued:
    return 0;
  case CallStatus::ringing:
    return 1;
  case CallStatus::in_progress:
    return 2;
  default:
    return 3;
  }
}

template <typename T>
bool fill(std::optional<T>& stored, const std::optional<T>& incoming) {
  if (!stored && incoming) {
    stored = incoming;
    return true;
  }
  return false;
}

bool fill(std::string& stored, const std::string& incoming) {
  if (stored.empty() && !incoming.empty()) {
    stored = incoming;
    return true;
  }
  return false;
}

} // namespace

const char* to_string(CallDirection direction) noexcept {
  return detail::name_of(k_direction_names, direction);
}

std::optional<CallDirection> parse_call_direction(std::string_view text) noexcept {
  if (text == "outbound") {
    return CallDirection::outbound_api;
  }
  return detail::value_named(k_direction_names, text);
}

const char* to_string(CallStatus status) noexcept {
  return detail::name_of(k_status_names, status);
}

std::optional<CallStatus> parse_call_status(std::string_view text) noexcept {
  std::string dashed(text);
  for (char& c : dashed) {
    if (c == '_') {
      c = '-';
    }
  }
  return detail::value_named(k_status_names, dashed);
}

bool is_final(CallStatus status) noexcept {
  return rank(status) == 3;
}

const char* to_string(CallOutcome outcome) noexcept {
  return detail::name_of(k_outcome_names, outcome);
}

std::optional<CallOutcome> parse_call_outcome(std::string_view text) noexcept {
  return detail::value_named(k_outcome_names, text);
}

const char* to_string(CallSource source) noexcept {
  return detail::name_of(k_source_names, source);
}

std::optional<CallSource> parse_call_source(std::string_view text) noexcept {
  return detail::value_named(k_source_names, text);
}

bool merge_call(CallRecord& stored, const CallRecord& incoming) {
  bool changed = false;
  changed |= fill(stored.call_sid, incoming.call_sid);
  changed |= fill(stored.conversation_id, incoming.conversation_id);
  changed |= fill(stored.number, incoming.number);
  changed |= fill(stored.caller, incoming.caller);
  changed |= fill(stored.tenant_slug, incoming.tenant_slug);
  changed |= fill(stored.agent_slug, incoming.agent_slug);
  changed |= fill(stored.provider_agent_id, incoming.provider_agent_id);
  changed |= fill(stored.direction, incoming.direction);
  if (incoming.status && (!stored.status || rank(*incoming.status) > rank(*stored.status))) {
    stored.status = incoming.status;
    changed = true;
  }
  changed |= fill(stored.started_at, incoming.started_at);
  changed |= fill(stored.duration_seconds, incoming.duration_seconds);
  changed |= fill(stored.telephony_cost, incoming.telephony_cost);
  changed |= fill(stored.agent_cost, incoming.agent_cost);
  changed |= fill(stored.agent_credits, incoming.agent_credits);
  changed |= fill(stored.outcome, incoming.outcome);
  changed |= fill(stored.summary, incoming.summary);
  changed |= fill(stored.failure_reason, incoming.failure_reason);
  if (stored.transcript.empty() && !incoming.transcript.empty()) {
    stored.transcript = incoming.transcript;
    changed = true;
  }
  return changed;
}

} // namespace vami
