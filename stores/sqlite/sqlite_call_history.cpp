// The call history's statements (see sqlite_call_history.hpp). Every function runs inside the
// state store's lock and, for writes, its `BEGIN IMMEDIATE` transaction.

#include "sqlite_call_history.hpp"

#include <cstdint>
#include <string>
#include <utility>

#include "sqlite_state_store.hpp"
#include <store_rules.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>

namespace vami::sqlite_calls {

namespace {

using store_rules::parse_transcript;
using store_rules::transcript_json;
using store_rules::unknown_stored;

constexpr const char* k_columns =
    "id, call_sid, conversation_id, number, caller, tenant_slug, agent_slug, provider_agent_id, "
    "direction, status, started_at, duration_seconds, telephony_cost_micros, telephony_currency, "
    "agent_cost_micros, agent_currency, agent_credits, outcome, summary, failure_reason, "
    "transcript_json, source, created_at, updated_at";

/// When a call happened, for ordering and time filters: its start, else its first record.
constexpr const char* k_when = "coalesce(started_at, created_at)";

std::string text(const SQLite::Column& column) {
  return column.isNull() ? std::string{} : column.getString();
}

std::optional<std::int64_t> integer(const SQLite::Column& column) {
  if (column.isNull()) {
    return std::nullopt;
  }
  return column.getInt64();
}

std::optional<Money> money(const SQLite::Column& micros, const SQLite::Column& currency) {
  if (micros.isNull()) {
    return std::nullopt;
  }
  return Money{micros.getInt64(), text(currency)};
}

template <typename Enum, typename Parse>
std::optional<Enum> stored_enum(const SQLite::Column& column, Parse parse, const char* what) {
  if (column.isNull()) {
    return std::nullopt;
  }
  const std::string value = column.getString();
  if (std::optional<Enum> parsed = parse(value)) {
    return parsed;
  }
  throw unknown_stored(value, what);
}

/// A stored call and its row id.
struct StoredCall {
  std::int64_t id = 0;
  CallRecord call;
};

StoredCall read(const SQLite::Statement& row) {
  StoredCall stored;
  stored.id = row.getColumn(0).getInt64();
  CallRecord& call = stored.call;
  call.call_sid = text(row.getColumn(1));
  call.conversation_id = text(row.getColumn(2));
  call.number = text(row.getColumn(3));
  call.caller = text(row.getColumn(4));
  call.tenant_slug = text(row.getColumn(5));
  call.agent_slug = text(row.getColumn(6));
  call.provider_agent_id = text(row.getColumn(7));
  call.direction =
      stored_enum<CallDirection>(row.getColumn(8), parse_call_direction, "call direction");
  call.status = stored_enum<CallStatus>(row.getColumn(9), parse_call_status, "call status");
  call.started_at = text(row.getColumn(10));
  call.duration_seconds = integer(row.getColumn(11));
  call.telephony_cost = money(row.getColumn(12), row.getColumn(13));
  call.agent_cost = money(row.getColumn(14), row.getColumn(15));
  call.agent_credits = integer(row.getColumn(16));
  call.outcome = stored_enum<CallOutcome>(row.getColumn(17), parse_call_outcome, "call outcome");
  call.summary = text(row.getColumn(18));
  call.failure_reason = text(row.getColumn(19));
  call.transcript = parse_transcript(text(row.getColumn(20)));
  const std::string source = text(row.getColumn(21));
  if (std::optional<CallSource> parsed = parse_call_source(source)) {
    call.source = *parsed;
  } else {
    throw unknown_stored(source, "call source");
  }
  call.created_at = text(row.getColumn(22));
  call.updated_at = text(row.getColumn(23));
  return stored;
}

std::optional<StoredCall> select_by(SQLite::Database& db, const char* column,
                                    const std::string& value) {
  if (value.empty()) {
    return std::nullopt;
  }
  SQLite::Statement query(db, std::string("SELECT ") + k_columns + " FROM calls WHERE " + column +
                                  " = ?");
  query.bind(1, value);
  if (!query.executeStep()) {
    return std::nullopt;
  }
  return read(query);
}

void bind_text(SQLite::Statement& statement, const char* name, const std::string& value) {
  if (value.empty()) {
    statement.bind(name);
  } else {
    statement.bind(name, value);
  }
}

void bind_integer(SQLite::Statement& statement, const char* name,
                  const std::optional<std::int64_t>& value) {
  if (value) {
    statement.bind(name, *value);
  } else {
    statement.bind(name);
  }
}

template <typename Enum>
void bind_enum(SQLite::Statement& statement, const char* name, const std::optional<Enum>& value) {
  if (value) {
    statement.bind(name, to_string(*value));
  } else {
    statement.bind(name);
  }
}

void bind_money(SQLite::Statement& statement, const char* micros, const char* currency,
                const std::optional<Money>& value) {
  if (value) {
    statement.bind(micros, value->micros);
    statement.bind(currency, value->currency);
  } else {
    statement.bind(micros);
    statement.bind(currency);
  }
}

/// Binds every column but id, source and the times.
void bind_fields(SQLite::Statement& statement, const CallRecord& call) {
  bind_text(statement, ":call_sid", call.call_sid);
  bind_text(statement, ":conversation_id", call.conversation_id);
  bind_text(statement, ":number", call.number);
  bind_text(statement, ":caller", call.caller);
  bind_text(statement, ":tenant_slug", call.tenant_slug);
  bind_text(statement, ":agent_slug", call.agent_slug);
  bind_text(statement, ":provider_agent_id", call.provider_agent_id);
  bind_enum(statement, ":direction", call.direction);
  bind_enum(statement, ":status", call.status);
  bind_text(statement, ":started_at", call.started_at);
  bind_integer(statement, ":duration_seconds", call.duration_seconds);
  bind_money(statement, ":telephony_cost_micros", ":telephony_currency", call.telephony_cost);
  bind_money(statement, ":agent_cost_micros", ":agent_currency", call.agent_cost);
  bind_integer(statement, ":agent_credits", call.agent_credits);
  bind_enum(statement, ":outcome", call.outcome);
  bind_text(statement, ":summary", call.summary);
  bind_text(statement, ":failure_reason", call.failure_reason);
  bind_text(statement, ":transcript_json", transcript_json(call.transcript));
}

void insert(SQLite::Database& db, const CallRecord& call, const std::string& now) {
  SQLite::Statement statement(
      db, "INSERT INTO calls (call_sid, conversation_id, number, caller, tenant_slug, agent_slug, "
          "provider_agent_id, direction, status, started_at, duration_seconds, "
          "telephony_cost_micros, telephony_currency, agent_cost_micros, agent_currency, "
          "agent_credits, outcome, summary, failure_reason, transcript_json, source, created_at, "
          "updated_at) VALUES (:call_sid, :conversation_id, :number, :caller, :tenant_slug, "
          ":agent_slug, :provider_agent_id, :direction, :status, :started_at, :duration_seconds, "
          ":telephony_cost_micros, :telephony_currency, :agent_cost_micros, :agent_currency, "
          ":agent_credits, :outcome, :summary, :failure_reason, :transcript_json, :source, :now, "
          ":now)");
  bind_fields(statement, call);
  statement.bind(":source", to_string(call.source));
  statement.bind(":now", now);
  statement.exec();
}

void update(SQLite::Database& db, std::int64_t id, const CallRecord& call, const std::string& now) {
  SQLite::Statement statement(
      db, "UPDATE calls SET call_sid = :call_sid, conversation_id = :conversation_id, "
          "number = :number, caller = :caller, tenant_slug = :tenant_slug, "
          "agent_slug = :agent_slug, provider_agent_id = :provider_agent_id, "
          "direction = :direction, status = :status, started_at = :started_at, "
          "duration_seconds = :duration_seconds, telephony_cost_micros = :telephony_cost_micros, "
          "telephony_currency = :telephony_currency, agent_cost_micros = :agent_cost_micros, "
          "agent_currency = :agent_currency, agent_credits = :agent_credits, "
          "outcome = :outcome, summary = :summary, failure_reason = :failure_reason, "
          "transcript_json = :transcript_json, updated_at = :now WHERE id = :id");
  bind_fields(statement, call);
  statement.bind(":now", now);
  statement.bind(":id", id);
  statement.exec();
}

} // namespace

CallUpsert upsert(SQLite::Database& db, const CallRecord& call) {
  store_rules::check_call(call);
  const std::string now = utc_now_iso8601();
  std::optional<StoredCall> by_sid = select_by(db, "call_sid", call.call_sid);
  std::optional<StoredCall> by_conversation =
      select_by(db, "conversation_id", call.conversation_id);
  if (!by_sid && !by_conversation) {
    insert(db, call, now);
    return {*find(db, call.call_sid.empty() ? call.conversation_id : call.call_sid),
            CallUpsertResult::created};
  }
  StoredCall target = by_sid ? *by_sid : *by_conversation;
  bool changed = false;
  // Only two halves of one call are joined: a row that already has the other kind of id is
  // another call, and stays as it is.
  if (by_sid && by_conversation && by_sid->id != by_conversation->id &&
      by_sid->call.conversation_id.empty() && by_conversation->call.call_sid.empty()) {
    // Twilio's record of the call and ElevenLabs' record of its conversation were stored
    // apart; this record says they are one call. The older row keeps its source.
    StoredCall& older = by_sid->id < by_conversation->id ? *by_sid : *by_conversation;
    StoredCall& newer = by_sid->id < by_conversation->id ? *by_conversation : *by_sid;
    target = older;
    (void)merge_call(target.call, newer.call);
    SQLite::Statement remove(db, "DELETE FROM calls WHERE id = ?");
    remove.bind(1, newer.id);
    remove.exec();
    changed = true;
  }
  changed |= merge_call(target.call, call);
  if (!changed) {
    return {target.call, CallUpsertResult::unchanged};
  }
  update(db, target.id, target.call, now);
  target.call.updated_at = now;
  return {target.call, CallUpsertResult::updated};
}

std::optional<CallRecord> find(SQLite::Database& db, const std::string& id) {
  if (id.empty()) {
    return std::nullopt;
  }
  SQLite::Statement query(db, std::string("SELECT ") + k_columns +
                                  " FROM calls WHERE call_sid = ?1 OR conversation_id = ?1");
  query.bind(1, id);
  if (!query.executeStep()) {
    return std::nullopt;
  }
  return read(query).call;
}

std::vector<CallRecord> list(SQLite::Database& db, const CallFilter& filter) {
  std::string sql = std::string("SELECT ") + k_columns + " FROM calls WHERE 1";
  if (!filter.tenant_slug.empty()) {
    sql += " AND tenant_slug = :tenant";
  }
  if (!filter.agent_slug.empty()) {
    sql += " AND (agent_slug = :agent OR provider_agent_id = :agent)";
  }
  if (!filter.number.empty()) {
    sql += " AND number = :number";
  }
  if (!filter.since.empty()) {
    sql += std::string(" AND ") + k_when + " >= :since";
  }
  if (!filter.until.empty()) {
    sql += std::string(" AND ") + k_when + " < :until";
  }
  if (filter.status) {
    sql += " AND status = :status";
  }
  sql += std::string(" ORDER BY ") + k_when + " DESC, id DESC LIMIT :limit";
  SQLite::Statement query(db, sql);
  if (!filter.tenant_slug.empty()) {
    query.bind(":tenant", filter.tenant_slug);
  }
  if (!filter.agent_slug.empty()) {
    query.bind(":agent", filter.agent_slug);
  }
  if (!filter.number.empty()) {
    query.bind(":number", filter.number);
  }
  if (!filter.since.empty()) {
    query.bind(":since", filter.since);
  }
  if (!filter.until.empty()) {
    query.bind(":until", filter.until);
  }
  if (filter.status) {
    query.bind(":status", to_string(*filter.status));
  }
  query.bind(":limit", filter.limit > 0 ? filter.limit : -1); // Negative: no limit.
  std::vector<CallRecord> calls;
  while (query.executeStep()) {
    calls.push_back(read(query).call);
  }
  return calls;
}

} // namespace vami::sqlite_calls

namespace vami::sqlite_store {

// The store's part: each call runs the statements above under its lock and, for a write, in a
// `BEGIN IMMEDIATE` transaction.

CallUpsert SqliteStateStore::upsert_call(const CallRecord& call) {
  const std::string id = call.call_sid.empty() ? call.conversation_id : call.call_sid;
  return guarded("cannot record call " + id, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    CallUpsert upsert = sqlite_calls::upsert(m_db, call);
    transaction.commit();
    return upsert;
  });
}

std::optional<CallRecord> SqliteStateStore::find_call(const std::string& id) {
  return guarded("cannot read call " + id, [&] { return sqlite_calls::find(m_db, id); });
}

std::vector<CallRecord> SqliteStateStore::list_calls(const CallFilter& filter) {
  return guarded("cannot read the call history", [&] { return sqlite_calls::list(m_db, filter); });
}

} // namespace vami::sqlite_store
