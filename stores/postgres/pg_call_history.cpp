// The PostgreSQL state store: the call history, the same statements as the SQLite store's
// (sqlite_call_history.cpp) in a SERIALIZABLE transaction.

#include <cstdint>
#include <string>
#include <utility>

#include "pg_state_store.hpp"
#include <store_rules.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>

namespace vami::postgres_store {

namespace {

constexpr const char* k_columns =
    "id, call_sid, conversation_id, number, caller, tenant_slug, agent_slug, provider_agent_id, "
    "direction, status, started_at, duration_seconds, telephony_cost_micros, telephony_currency, "
    "agent_cost_micros, agent_currency, agent_credits, outcome, summary, failure_reason, "
    "transcript_json, source, created_at, updated_at";

/// When a call happened, for ordering and time filters: its start, else its first record.
constexpr const char* k_when = "coalesce(started_at, created_at)";

std::optional<std::int64_t> integer(const pg::Row& row, int column) {
  if (row.null(column)) {
    return std::nullopt;
  }
  return row.integer(column);
}

std::optional<Money> money(const pg::Row& row, int micros, int currency) {
  if (row.null(micros)) {
    return std::nullopt;
  }
  return Money{row.integer(micros), row.text(currency)};
}

template <typename Enum, typename Parse>
std::optional<Enum> stored_enum(const pg::Row& row, int column, Parse parse, const char* what) {
  if (row.null(column)) {
    return std::nullopt;
  }
  const std::string value = row.text(column);
  if (std::optional<Enum> parsed = parse(value)) {
    return parsed;
  }
  throw store_rules::unknown_stored(value, what);
}

/// A stored call and its row id.
struct StoredCall {
  std::int64_t id = 0;
  CallRecord call;
};

StoredCall read_call(const pg::Row& row) {
  StoredCall stored;
  stored.id = row.integer(0);
  CallRecord& call = stored.call;
  call.call_sid = row.text(1);
  call.conversation_id = row.text(2);
  call.number = row.text(3);
  call.caller = row.text(4);
  call.tenant_slug = row.text(5);
  call.agent_slug = row.text(6);
  call.provider_agent_id = row.text(7);
  call.direction = stored_enum<CallDirection>(row, 8, parse_call_direction, "call direction");
  call.status = stored_enum<CallStatus>(row, 9, parse_call_status, "call status");
  call.started_at = row.text(10);
  call.duration_seconds = integer(row, 11);
  call.telephony_cost = money(row, 12, 13);
  call.agent_cost = money(row, 14, 15);
  call.agent_credits = integer(row, 16);
  call.outcome = stored_enum<CallOutcome>(row, 17, parse_call_outcome, "call outcome");
  call.summary = row.text(18);
  call.failure_reason = row.text(19);
  call.transcript = store_rules::parse_transcript(row.text(20));
  const std::string source = row.text(21);
  if (std::optional<CallSource> parsed = parse_call_source(source)) {
    call.source = *parsed;
  } else {
    throw store_rules::unknown_stored(source, "call source");
  }
  call.created_at = row.text(22);
  call.updated_at = row.text(23);
  return stored;
}

std::optional<StoredCall> select_by(pg::Connection& db, const char* column,
                                    const std::string& value) {
  if (value.empty()) {
    return std::nullopt;
  }
  pg::Statement query(std::string("SELECT ") + k_columns + " FROM calls WHERE " + column +
                      " = :value");
  query.bind(":value", value);
  const pg::Result found = db.exec(query);
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return read_call(pg::Row(found, 0));
}

template <typename Enum>
void bind_enum(pg::Statement& statement, const char* name, const std::optional<Enum>& value) {
  if (value) {
    statement.bind(name, to_string(*value));
  } else {
    statement.bind_null(name);
  }
}

void bind_integer(pg::Statement& statement, const char* name,
                  const std::optional<std::int64_t>& value) {
  if (value) {
    statement.bind(name, *value);
  } else {
    statement.bind_null(name);
  }
}

void bind_money(pg::Statement& statement, const char* micros, const char* currency,
                const std::optional<Money>& value) {
  if (value) {
    statement.bind(micros, value->micros);
    statement.bind(currency, value->currency);
  } else {
    statement.bind_null(micros);
    statement.bind_null(currency);
  }
}

/// Binds every column but id, source and the times.
void bind_fields(pg::Statement& statement, const CallRecord& call) {
  statement.bind_text_or_null(":call_sid", call.call_sid);
  statement.bind_text_or_null(":conversation_id", call.conversation_id);
  statement.bind_text_or_null(":number", call.number);
  statement.bind_text_or_null(":caller", call.caller);
  statement.bind_text_or_null(":tenant_slug", call.tenant_slug);
  statement.bind_text_or_null(":agent_slug", call.agent_slug);
  statement.bind_text_or_null(":provider_agent_id", call.provider_agent_id);
  bind_enum(statement, ":direction", call.direction);
  bind_enum(statement, ":status", call.status);
  statement.bind_text_or_null(":started_at", call.started_at);
  bind_integer(statement, ":duration_seconds", call.duration_seconds);
  bind_money(statement, ":telephony_cost_micros", ":telephony_currency", call.telephony_cost);
  bind_money(statement, ":agent_cost_micros", ":agent_currency", call.agent_cost);
  bind_integer(statement, ":agent_credits", call.agent_credits);
  bind_enum(statement, ":outcome", call.outcome);
  statement.bind_text_or_null(":summary", call.summary);
  statement.bind_text_or_null(":failure_reason", call.failure_reason);
  statement.bind_text_or_null(":transcript_json", store_rules::transcript_json(call.transcript));
}

std::optional<CallRecord> find_in(pg::Connection& db, const std::string& id) {
  if (id.empty()) {
    return std::nullopt;
  }
  pg::Statement query(std::string("SELECT ") + k_columns +
                      " FROM calls WHERE call_sid = :id OR conversation_id = :id");
  query.bind(":id", id);
  const pg::Result found = db.exec(query);
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return read_call(pg::Row(found, 0)).call;
}

} // namespace

CallUpsert PostgresStateStore::upsert_call(const CallRecord& call) {
  store_rules::check_call(call);
  const std::string name = call.call_sid.empty() ? call.conversation_id : call.call_sid;
  return parallel_transaction("cannot record call " + name, [&]() -> CallUpsert {
    const std::string now = utc_now_iso8601();
    std::optional<StoredCall> by_sid = select_by(db(), "call_sid", call.call_sid);
    std::optional<StoredCall> by_conversation =
        select_by(db(), "conversation_id", call.conversation_id);
    if (!by_sid && !by_conversation) {
      pg::Statement insert(
          "INSERT INTO calls (call_sid, conversation_id, number, caller, tenant_slug, "
          "agent_slug, provider_agent_id, direction, status, started_at, duration_seconds, "
          "telephony_cost_micros, telephony_currency, agent_cost_micros, agent_currency, "
          "agent_credits, outcome, summary, failure_reason, transcript_json, source, created_at, "
          "updated_at) VALUES (:call_sid, :conversation_id, :number, :caller, :tenant_slug, "
          ":agent_slug, :provider_agent_id, :direction, :status, :started_at, "
          ":duration_seconds, :telephony_cost_micros, :telephony_currency, :agent_cost_micros, "
          ":agent_currency, :agent_credits, :outcome, :summary, :failure_reason, "
          ":transcript_json, :source, :now, :now)");
      bind_fields(insert, call);
      insert.bind(":source", to_string(call.source));
      insert.bind(":now", now);
      db().exec(insert);
      return {*find_in(db(), name), CallUpsertResult::created};
    }
    StoredCall target = by_sid ? *by_sid : *by_conversation;
    bool changed = false;
    // Only two halves of one call are joined: a row that already has the other kind of id is
    // another call, and stays as it is.
    if (by_sid && by_conversation && by_sid->id != by_conversation->id &&
        by_sid->call.conversation_id.empty() && by_conversation->call.call_sid.empty()) {
      // The older row keeps its source.
      StoredCall& older = by_sid->id < by_conversation->id ? *by_sid : *by_conversation;
      StoredCall& newer = by_sid->id < by_conversation->id ? *by_conversation : *by_sid;
      target = older;
      (void)merge_call(target.call, newer.call);
      pg::Statement remove("DELETE FROM calls WHERE id = :id");
      remove.bind(":id", newer.id);
      db().exec(remove);
      changed = true;
    }
    changed |= merge_call(target.call, call);
    if (!changed) {
      return {target.call, CallUpsertResult::unchanged};
    }
    pg::Statement update(
        "UPDATE calls SET call_sid = :call_sid, conversation_id = :conversation_id, "
        "number = :number, caller = :caller, tenant_slug = :tenant_slug, "
        "agent_slug = :agent_slug, provider_agent_id = :provider_agent_id, "
        "direction = :direction, status = :status, started_at = :started_at, "
        "duration_seconds = :duration_seconds, telephony_cost_micros = :telephony_cost_micros, "
        "telephony_currency = :telephony_currency, agent_cost_micros = :agent_cost_micros, "
        "agent_currency = :agent_currency, agent_credits = :agent_credits, "
        "outcome = :outcome, summary = :summary, failure_reason = :failure_reason, "
        "transcript_json = :transcript_json, updated_at = :now WHERE id = :id");
    bind_fields(update, target.call);
    update.bind(":now", now);
    update.bind(":id", target.id);
    db().exec(update);
    target.call.updated_at = now;
    return {target.call, CallUpsertResult::updated};
  });
}

std::optional<CallRecord> PostgresStateStore::find_call(const std::string& id) {
  return parallel_read("cannot read call " + id, [&] { return find_in(db(), id); });
}

std::vector<CallRecord> PostgresStateStore::list_calls(const CallFilter& filter) {
  return read("cannot read the call history", [&] {
    std::string sql = std::string("SELECT ") + k_columns + " FROM calls WHERE true";
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
    pg::Statement query(sql);
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
    if (filter.limit > 0) {
      query.bind(":limit", filter.limit);
    } else {
      query.bind_null(":limit");
    }
    const pg::Result rows = db().exec(query);
    std::vector<CallRecord> calls;
    for (int i = 0; i < rows.rows(); ++i) {
      calls.push_back(read_call(pg::Row(rows, i)).call);
    }
    return calls;
  });
}

} // namespace vami::postgres_store
