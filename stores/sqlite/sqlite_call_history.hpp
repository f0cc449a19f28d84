#pragma once

// The call history's part of the SQLite state store: its schema step and its statements. The
// store (sqlite_state_store.cpp) runs these inside its own locking and transactions.

#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/call.hpp>

namespace vami::sqlite_calls {

/// The schema step that adds the call history: one row per call, known by its Twilio CallSid,
/// its ElevenLabs conversation id or both. Tenant and agent are kept as text (like the audit
/// trail's tenant) so that the history outlives them; money as integer micros with a currency.
inline constexpr const char* k_schema = R"sql(
CREATE TABLE calls (
  id INTEGER PRIMARY KEY,
  call_sid TEXT UNIQUE,
  conversation_id TEXT UNIQUE,
  number TEXT,
  caller TEXT,
  tenant_slug TEXT,
  agent_slug TEXT,
  provider_agent_id TEXT,
  direction TEXT CHECK (direction IN ('inbound', 'outbound-api', 'outbound-dial')
                        OR direction IS NULL),
  status TEXT CHECK (status IN ('queued', 'ringing', 'in-progress', 'completed', 'busy',
                                'failed', 'no-answer', 'canceled', 'failed-to-start')
                     OR status IS NULL),
  started_at TEXT,
  duration_seconds INTEGER CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
  telephony_cost_micros INTEGER
    CHECK (telephony_cost_micros IS NULL OR telephony_cost_micros >= 0),
  telephony_currency TEXT CHECK (telephony_currency IS NULL OR length(telephony_currency) = 3),
  agent_cost_micros INTEGER CHECK (agent_cost_micros IS NULL OR agent_cost_micros >= 0),
  agent_currency TEXT CHECK (agent_currency IS NULL OR length(agent_currency) = 3),
  agent_credits INTEGER,
  outcome TEXT CHECK (outcome IN ('success', 'failure', 'unknown') OR outcome IS NULL),
  summary TEXT,
  failure_reason TEXT,
  transcript_json TEXT,
  source TEXT NOT NULL CHECK (source IN ('router', 'sync')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK (call_sid IS NOT NULL OR conversation_id IS NOT NULL),
  CHECK ((telephony_cost_micros IS NULL) = (telephony_currency IS NULL)),
  CHECK ((agent_cost_micros IS NULL) = (agent_currency IS NULL))
);
-- A call is listed by when it started, or when it was first recorded if no source said.
CREATE INDEX calls_when ON calls(coalesce(started_at, created_at));
CREATE INDEX calls_tenant_when ON calls(tenant_slug, coalesce(started_at, created_at));
CREATE INDEX calls_number_when ON calls(number, coalesce(started_at, created_at));
)sql";

/// Inserts `call` or merges it (`merge_call`) into the stored call with its CallSid or
/// conversation id; when the two ids name two stored calls, they become one. Runs in the
/// caller's transaction. @throws Error(invalid_input) when neither id is set, a cost is
/// negative or lacks a three-letter currency, or the duration is negative.
CallUpsert upsert(SQLite::Database& db, const CallRecord& call);

/// The call whose CallSid or conversation id is `id`, if any.
std::optional<CallRecord> find(SQLite::Database& db, const std::string& id);

/// Calls matching `filter`, newest first.
std::vector<CallRecord> list(SQLite::Database& db, const CallFilter& filter);

} // namespace vami::sqlite_calls
