// The PostgreSQL state store: the operations journal (operations and their items) and the
// audit trail. An operation is held, while its process runs, by a session lock of that
// process's connection (pg_state_store.hpp): a claim is refused exactly while that lock is held.

#include "pg_rows.hpp"
#include "pg_state_store.hpp"
#include <store_conflicts.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/process_holder.hpp>

namespace vami::postgres_store {

using store_rules::describe_holder;
using store_rules::operation_not_found;

namespace {

std::string operation_hold(const std::string& operation_id) {
  return "operation:" + operation_id;
}

/// Whether `error` is the journal's foreign key: the operation does not exist.
bool missing_operation(const pg::PgError& error) {
  return error.sqlstate() == "23503";
}

} // namespace

void PostgresStateStore::create_operation(const Operation& operation) {
  transaction("cannot record operation " + operation.id, [&] {
    pg::Statement exists("SELECT 1 FROM operations WHERE id = :id");
    exists.bind(":id", operation.id);
    if (db().exec(exists).rows() > 0) {
      throw Error(ErrorKind::conflict, "operation " + operation.id + " already exists");
    }
    pg::Statement insert(
        "INSERT INTO operations (id, kind, status, requested_count, parameters, actor, "
        "created_at, finished_at, holder) VALUES (:id, :kind, :status, :requested_count, "
        ":parameters, :actor, :created_at, :finished_at, :holder)");
    insert.bind(":id", operation.id);
    insert.bind(":kind", to_string(operation.kind));
    insert.bind(":status", to_string(operation.status));
    insert.bind(":requested_count", operation.requested_count);
    insert.bind(":parameters", operation.parameters.empty() ? "{}" : operation.parameters);
    insert.bind(":actor", operation.actor);
    insert.bind(":created_at",
                operation.created_at.empty() ? utc_now_iso8601() : operation.created_at);
    insert.bind_text_or_null(":finished_at", operation.finished_at);
    insert.bind(":holder", m_holder);
    db().exec(insert);
    // A new id: no other session can hold its lock.
    (void)take_hold(operation_hold(operation.id));
  });
}

void PostgresStateStore::finish_operation(const std::string& operation_id, OperationStatus status) {
  transaction("cannot finish operation " + operation_id, [&] {
    pg::Statement update("UPDATE operations SET status = :status, finished_at = :now "
                         "WHERE id = :id");
    update.bind(":status", to_string(status));
    update.bind(":now", utc_now_iso8601());
    update.bind(":id", operation_id);
    if (db().exec(update).affected() == 0) {
      throw operation_not_found(operation_id);
    }
    // The lock stays with this session until it ends, as the SQLite store's holder stays while
    // its process runs: a finished operation's process may be resuming it right now.
  });
}

void PostgresStateStore::claim_operation(const std::string& operation_id) {
  transaction("cannot claim operation " + operation_id, [&] {
    pg::Statement query(std::string(k_operation_select) + "WHERE id = :id");
    query.bind(":id", operation_id);
    const pg::Result found = db().exec(query);
    if (found.rows() == 0) {
      throw operation_not_found(operation_id);
    }
    const Operation operation = read_operation(pg::Row(found, 0));
    const bool mine = operation.holder == m_holder;
    // A process of this host that has exited holds nothing, even while its connection lingers.
    const bool gone = holder_liveness(operation.holder) == HolderLiveness::gone;
    if (!take_hold(operation_hold(operation_id)) && !mine && !gone) {
      throw Error(ErrorKind::conflict,
                  "operation " + operation_id + " is still running in " +
                      describe_holder(operation.holder),
                  "wait for it to finish, or stop it (Ctrl-C) and resume it then");
    }
    pg::Statement update("UPDATE operations SET holder = :holder WHERE id = :id");
    update.bind(":holder", m_holder);
    update.bind(":id", operation_id);
    db().exec(update);
  });
}

std::optional<Operation> PostgresStateStore::find_operation(const std::string& operation_id) {
  return read("cannot read operation " + operation_id, [&]() -> std::optional<Operation> {
    pg::Statement query(std::string(k_operation_select) + "WHERE id = :id");
    query.bind(":id", operation_id);
    const pg::Result found = db().exec(query);
    if (found.rows() == 0) {
      return std::nullopt;
    }
    return read_operation(pg::Row(found, 0));
  });
}

std::vector<Operation> PostgresStateStore::list_operations(int limit) {
  return read("cannot list operations", [&] {
    pg::Statement query(std::string(k_operation_select) +
                        "ORDER BY created_at DESC, seq DESC LIMIT :limit");
    if (limit > 0) {
      query.bind(":limit", limit);
    } else {
      query.bind_null(":limit"); // LIMIT NULL: no limit
    }
    const pg::Result rows = db().exec(query);
    std::vector<Operation> operations;
    for (int i = 0; i < rows.rows(); ++i) {
      operations.push_back(read_operation(pg::Row(rows, i)));
    }
    return operations;
  });
}

void PostgresStateStore::record_item(const OperationItem& item) {
  parallel_transaction("cannot record " + item.e164 + " in operation " + item.operation_id, [&] {
    // The upsert keeps the row id, so list_items keeps the order of first recording.
    pg::Statement upsert(
        "INSERT INTO operation_items (operation_id, e164, outcome, error_code, error_message, "
        "updated_at) VALUES (:operation_id, :e164, :outcome, :error_code, :error_message, "
        ":updated_at) ON CONFLICT (operation_id, e164) DO UPDATE SET "
        "outcome = excluded.outcome, error_code = excluded.error_code, "
        "error_message = excluded.error_message, updated_at = excluded.updated_at");
    upsert.bind(":operation_id", item.operation_id);
    upsert.bind(":e164", item.e164);
    upsert.bind(":outcome", to_string(item.outcome));
    upsert.bind_text_or_null(":error_code", item.error_code);
    upsert.bind_text_or_null(":error_message", item.error_message);
    upsert.bind(":updated_at", utc_now_iso8601());
    try {
      db().exec(upsert);
    } catch (const pg::PgError& error) {
      if (missing_operation(error)) {
        throw operation_not_found(item.operation_id);
      }
      throw;
    }
  });
}

std::vector<OperationItem> PostgresStateStore::list_items(const std::string& operation_id) {
  return parallel_read("cannot list the items of operation " + operation_id, [&] {
    pg::Statement query(std::string(k_item_select) + "WHERE operation_id = :id ORDER BY id");
    query.bind(":id", operation_id);
    const pg::Result rows = db().exec(query);
    std::vector<OperationItem> items;
    for (int i = 0; i < rows.rows(); ++i) {
      items.push_back(read_item(pg::Row(rows, i)));
    }
    return items;
  });
}

std::vector<OperationItem> PostgresStateStore::list_items_of_number(const std::string& e164) {
  return read("cannot list the journal items of " + e164, [&] {
    pg::Statement query(std::string(k_item_select) + "WHERE e164 = :e164 ORDER BY id");
    query.bind(":e164", e164);
    const pg::Result rows = db().exec(query);
    std::vector<OperationItem> items;
    for (int i = 0; i < rows.rows(); ++i) {
      items.push_back(read_item(pg::Row(rows, i)));
    }
    return items;
  });
}

void PostgresStateStore::append_audit(const AuditEntry& entry) {
  parallel_read("cannot append to the audit trail", [&] {
    // A lone INSERT is its own transaction and reads nothing first.
    pg::Statement insert(std::string("INSERT INTO audit_entries (") + k_audit_columns +
                         ") VALUES (:at, :actor, :command, :entity_type, :entity_id, "
                         ":before_json, :after_json, :tenant_slug)");
    insert.bind(":at", entry.at.empty() ? utc_now_iso8601() : entry.at);
    insert.bind(":actor", entry.actor);
    insert.bind(":command", entry.command);
    insert.bind(":entity_type", entry.entity_type);
    insert.bind(":entity_id", entry.entity_id);
    insert.bind_text_or_null(":before_json", entry.before_json);
    insert.bind_text_or_null(":after_json", entry.after_json);
    insert.bind_text_or_null(":tenant_slug", entry.tenant_slug);
    db().exec(insert);
  });
}

std::vector<AuditEntry> PostgresStateStore::list_audit(const AuditFilter& filter) {
  return read("cannot read the audit trail", [&] {
    // The inner query takes the newest entries; the outer one puts them back in time order.
    std::string sql = std::string("SELECT ") + k_audit_columns + " FROM (SELECT id, " +
                      k_audit_columns + " FROM audit_entries WHERE at >= :since";
    if (!filter.tenant_slug.empty()) {
      sql += " AND tenant_slug = :tenant_slug";
    }
    sql += " ORDER BY at DESC, id DESC LIMIT :limit) AS newest ORDER BY at, id";
    pg::Statement query(sql);
    query.bind(":since", filter.since);
    if (!filter.tenant_slug.empty()) {
      query.bind(":tenant_slug", filter.tenant_slug);
    }
    if (filter.limit > 0) {
      query.bind(":limit", filter.limit);
    } else {
      query.bind_null(":limit");
    }
    const pg::Result rows = db().exec(query);
    std::vector<AuditEntry> entries;
    for (int i = 0; i < rows.rows(); ++i) {
      entries.push_back(read_audit_entry(pg::Row(rows, i)));
    }
    return entries;
  });
}

} // namespace vami::postgres_store
