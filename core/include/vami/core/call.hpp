#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vami/core/money.hpp>

namespace vami {

/// Which way a call went, as Twilio's `Direction` names it (`api.v2010.account.call.direction`):
/// `inbound` (a caller dialled a pool number), `outbound-api` (placed through the REST API; also
/// ElevenLabs' `outbound`), `outbound-dial` (a `<Dial>` leg).
enum class CallDirection { inbound, outbound_api, outbound_dial };
/// "inbound", "outbound-api", "outbound-dial".
[[nodiscard]] const char* to_string(CallDirection direction) noexcept;
/// Parses one of the names above (also "outbound", ElevenLabs' word, as `outbound_api`).
[[nodiscard]] std::optional<CallDirection> parse_call_direction(std::string_view text) noexcept;

/// Where a call stands: Twilio's `call_enum_status` values, plus `failed_to_start` for an
/// ElevenLabs `call_initiation_failure` event (the agent never took the call).
enum class CallStatus {
  queued,
  ringing,
  in_progress,
  completed,
  busy,
  failed,
  no_answer,
  canceled,
  failed_to_start
};
/// "queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled",
/// "failed-to-start".
[[nodiscard]] const char* to_string(CallStatus status) noexcept;
/// Parses one of the names above; '_' is taken for '-' ("in_progress", "failed_to_start").
[[nodiscard]] std::optional<CallStatus> parse_call_status(std::string_view text) noexcept;
/// True for the statuses a call ends in (completed and after in the list above).
[[nodiscard]] bool is_final(CallStatus status) noexcept;

/// What the agent's evaluation made of a conversation (ElevenLabs `analysis.call_successful`).
enum class CallOutcome { success, failure, unknown };
/// "success", "failure", "unknown".
[[nodiscard]] const char* to_string(CallOutcome outcome) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<CallOutcome> parse_call_outcome(std::string_view text) noexcept;

/// What recorded a call: the call router (webhooks as calls happen) or `vami calls sync` (the
/// providers' lists, afterwards).
enum class CallSource { router, sync };
/// "router", "sync".
[[nodiscard]] const char* to_string(CallSource source) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<CallSource> parse_call_source(std::string_view text) noexcept;

/// One line of a conversation's transcript (ElevenLabs `transcript[]`).
struct TranscriptLine {
  std::string role;                                 ///< "agent" or "user", as the provider says.
  std::string message;                              ///< What was said; may be empty (a tool call).
  std::optional<std::int64_t> time_in_call_seconds; ///< Seconds from the start of the call.

  friend bool operator==(const TranscriptLine&, const TranscriptLine&) = default;
};

/// One call to (or from) a pool number, as the state database's call history knows it. A call
/// is known by its Twilio CallSid, its ElevenLabs conversation id, or both (at least one is set);
/// each source fills what it knows and the store merges them (`StateStore::upsert_call`).
/// Empty strings and empty optionals mean "not known".
struct CallRecord {
  std::string call_sid;        ///< Twilio `CallSid` ("CA" + 32 hex digits).
  std::string conversation_id; ///< ElevenLabs `conversation_id`.
  std::string number;          ///< The pool number involved (Twilio `To` when inbound), E.164.
  std::string caller;          ///< The other party (Twilio `From` when inbound), E.164 or as given.
  std::string tenant_slug;     ///< The tenant the call was for (kept as text: outlives the tenant).
  std::string agent_slug;      ///< The vami agent that took it, when known.
  std::string provider_agent_id; ///< The ElevenLabs `agent_id` that took it, when known.
  std::optional<CallDirection> direction;
  std::optional<CallStatus> status;
  std::string started_at;                       ///< UTC ISO 8601 ("2026-11-22T03:35:28Z").
  std::optional<std::int64_t> duration_seconds; ///< Billed length in whole seconds.
  /// What the telephony provider charged for the call (Twilio `price`, as a positive amount).
  std::optional<Money> telephony_cost;
  /// What the voice-agent provider charged (ElevenLabs `metadata.cost_fiat`, USD).
  std::optional<Money> agent_cost;
  std::optional<std::int64_t> agent_credits; ///< ElevenLabs `metadata.cost`, in credits.
  std::optional<CallOutcome> outcome;
  std::string summary;        ///< ElevenLabs `analysis.transcript_summary`.
  std::string failure_reason; ///< Why a call failed to start (ElevenLabs `failure_reason`).
  std::vector<TranscriptLine> transcript;
  CallSource source = CallSource::router; ///< What recorded it first.
  std::string created_at;                 ///< UTC ISO 8601; set by the store.
  std::string updated_at;                 ///< UTC ISO 8601; set by the store.

  friend bool operator==(const CallRecord&, const CallRecord&) = default;
};

/// What `StateStore::upsert_call` did with a record.
enum class CallUpsertResult {
  created,  ///< No stored call had its CallSid or conversation id: a new row.
  updated,  ///< A stored call gained fields it lacked (or a later status).
  unchanged ///< The stored call already knew everything the record says (a redelivery).
};

/// The call as stored after an upsert, and what the upsert did.
struct CallUpsert {
  CallRecord call;
  CallUpsertResult result = CallUpsertResult::created;
};

/// Which calls to list; empty fields match every call.
struct CallFilter {
  std::string tenant_slug;
  std::string agent_slug; ///< Matches the vami agent slug or the provider agent id.
  std::string number;     ///< The pool number, E.164.
  std::string since;      ///< UTC ISO 8601; calls started at or after it.
  std::string until;      ///< UTC ISO 8601; calls started before it.
  std::optional<CallStatus> status;
  int limit = 0; ///< At most this many, newest first; 0: all.
};

/// Merges `incoming` into `stored` (the same call): every field `stored` lacks is taken from
/// `incoming`; a status moves forward only (queued, ringing, in-progress, then one final status
/// that never changes); what `stored` already knows is kept. Returns whether anything changed.
/// The store applies it so that a redelivered webhook or a second sync changes nothing.
bool merge_call(CallRecord& stored, const CallRecord& incoming);

} // namespace vami
