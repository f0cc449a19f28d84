#include <map>
#include <string>

#include <vami/core/call_sync_service.hpp>
#include <vami/core/clock.hpp>

namespace vami {

namespace {

/// ElevenLabs' conversation status as a call status: `done` and `failed` are final; a
/// conversation still `processing` its analysis has already been answered.
std::optional<CallStatus> call_status_of(const std::string& conversation_status) {
  if (conversation_status == "done") {
    return CallStatus::completed;
  }
  if (conversation_status == "failed") {
    return CallStatus::failed;
  }
  if (conversation_status == "in-progress" || conversation_status == "processing") {
    return CallStatus::in_progress;
  }
  if (conversation_status == "initiated") {
    return CallStatus::ringing;
  }
  return std::nullopt;
}

/// Whether the history already knows everything the details of a conversation would add.
bool known_in_full(const std::optional<CallRecord>& stored) {
  return stored && !stored->conversation_id.empty() && stored->status &&
         is_final(*stored->status) && (stored->agent_cost || !stored->summary.empty());
}

} // namespace

CallSyncService::CallSyncService(StateStore& store, TelephonyProvider& telephony,
                                 AgentProviders& voice_agents)
    : m_store(store), m_telephony(telephony), m_voice_agents(voice_agents) {}

void CallSyncService::count(CallSyncReport& report, CallUpsertResult result) const {
  switch (result) {
  case CallUpsertResult::created:
    ++report.created;
    break;
  case CallUpsertResult::updated:
    ++report.updated;
    break;
  case CallUpsertResult::unchanged:
    ++report.unchanged;
    break;
  }
}

CallSyncReport CallSyncService::sync(const std::string& since) {
  CallSyncReport report;
  NumberFilter every_number;
  every_number.include_released = true;
  std::map<std::string, PoolNumber> pool;
  for (PoolNumber& number : m_store.list_numbers(every_number)) {
    pool.emplace(number.e164, std::move(number));
  }

  // Twilio filters by day; the time of day is checked here.
  const std::string since_date = since.substr(0, 10);
  for (const TelephonyCall& listed : m_telephony.list_calls(since_date)) {
    if (!since.empty() && !listed.start_time.empty() && listed.start_time < since) {
      continue;
    }
    // The pool number is the called one for an inbound call, the calling one otherwise.
    auto number = pool.find(listed.to);
    std::string caller = listed.from;
    if (number == pool.end() || (listed.direction && *listed.direction != CallDirection::inbound &&
                                 pool.count(listed.from) != 0)) {
      number = pool.find(listed.from);
      caller = listed.to;
    }
    if (number == pool.end()) {
      continue; // Not a call of the pool.
    }
    ++report.telephony_calls;
    CallRecord call;
    call.call_sid = listed.call_sid;
    call.number = number->first;
    call.caller = caller;
    call.tenant_slug = number->second.tenant_slug;
    call.agent_slug = number->second.agent_slug;
    call.direction = listed.direction;
    call.status = listed.status;
    call.started_at = listed.start_time;
    call.duration_seconds = listed.duration_seconds;
    call.telephony_cost = listed.price;
    call.source = CallSource::sync;
    count(report, m_store.upsert_call(call).result);
  }

  const std::int64_t since_unix = since.empty() ? 0 : unix_of_iso8601(since);
  for (const Agent& agent : m_store.list_agents("")) {
    if (agent.provider_agent_id.empty()) {
      continue; // Never created at the provider.
    }
    VoiceAgentProvider& provider = m_voice_agents.of(agent);
    for (const Conversation& conversation :
         provider.list_conversations_since(agent.provider_agent_id, since_unix)) {
      ++report.conversations;
      CallRecord call;
      call.conversation_id = conversation.conversation_id;
      call.provider_agent_id = agent.provider_agent_id;
      call.agent_slug = agent.slug;
      call.tenant_slug = agent.tenant_slug;
      call.status = call_status_of(conversation.status);
      if (conversation.start_time_unix > 0) {
        call.started_at = utc_iso8601(conversation.start_time_unix);
      }
      call.outcome = parse_call_outcome(conversation.call_successful);
      call.source = CallSource::sync;
      if (!known_in_full(m_store.find_call(conversation.conversation_id))) {
        const ConversationDetails details = provider.get_conversation(conversation.conversation_id);
        ++report.conversation_details;
        call.call_sid = details.call_sid;
        call.number = details.agent_number;
        call.caller = details.external_number;
        call.direction = details.direction;
        call.agent_cost = details.cost;
        call.agent_credits = details.credits;
        call.summary = details.transcript_summary;
        call.transcript = details.transcript;
        call.status = call_status_of(details.conversation.status);
      }
      // Only a call that has ended has its billed length.
      if (call.status && is_final(*call.status)) {
        call.duration_seconds = conversation.duration_seconds;
      }
      count(report, m_store.upsert_call(call).result);
    }
  }
  return report;
}

} // namespace vami
