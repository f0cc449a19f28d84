// The SQLite state store: the operations journal (operations and their items).

#include "sqlite_conflicts.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_state_store.hpp"

#include <vami/core/clock.hpp>
#include <vami/core/process_holder.hpp>

namespace vami::sqlite_store {

void SqliteStateStore::create_operation(const Operation& operation) {
  guarded("cannot record operation " + operation.id, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement exists(m_db, "SELECT 1 FROM operations WHERE id = ?");
    exists.bind(1, operation.id);
    if (exists.executeStep()) {
      throw Error(ErrorKind::conflict, "operation " + operation.id + " already exists");
    }
    SQLite::Statement insert(
        m_db, "INSERT INTO operations (id, kind, status, requested_count, parameters, actor, "
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
    bind_text_or_null(insert, ":finished_at", operation.finished_at);
    insert.bind(":holder", m_holder);
    insert.exec();
    transaction.commit();
  });
}

void SqliteStateStore::finish_operation(const std::string& operation_id, OperationStatus status) {
  guarded("cannot finish operation " + operation_id, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(m_db,
                             "UPDATE operations SET status = ?, finished_at = ? WHERE id = ?");
    update.bind(1, to_string(status));
    update.bind(2, utc_now_iso8601());
    update.bind(3, operation_id);
    if (update.exec() == 0) {
      throw operation_not_found(operation_id);
    }
    transaction.commit();
  });
}

void SqliteStateStore::claim_operation(const std::string& operation_id) {
  guarded("cannot claim operation " + operation_id, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement query(m_db, std::string(k_operation_select) + "WHERE id = ?");
    query.bind(1, operation_id);
    if (!query.executeStep()) {
      throw operation_not_found(operation_id);
    }
    const Operation operation = read_operation(query);
    query.reset();
    // Whatever its status says: a finished operation's holder may be resuming it right now.
    if (!operation.holder.empty() && operation.holder != m_holder &&
        holder_still_working(operation.holder, operation.active_at)) {
      throw Error(ErrorKind::conflict,
                  "operation " + operation_id + " is still running in " +
                      describe_holder(operation.holder),
                  "wait for it to finish, or stop it (Ctrl-C) and resume it then");
    }
    SQLite::Statement update(m_db, "UPDATE operations SET holder = ? WHERE id = ?");
    update.bind(1, m_holder);
    update.bind(2, operation_id);
    update.exec();
    transaction.commit();
  });
}

std::optional<Operation> SqliteStateStore::find_operation(const std::string& operation_id) {
  return guarded("cannot read operation " + operation_id, [&]() -> std::optional<Operation> {
    SQLite::Statement query(m_db, std::string(k_operation_select) + "WHERE id = ?");
    query.bind(1, operation_id);
    if (!query.executeStep()) {
      return std::nullopt;
    }
    return read_operation(query);
  });
}

std::vector<Operation> SqliteStateStore::list_operations(int limit) {
  return guarded("cannot list operations", [&] {
    SQLite::Statement query(m_db, std::string(k_operation_select) +
                                      "ORDER BY created_at DESC, rowid DESC LIMIT ?");
    query.bind(1, limit > 0 ? limit : -1); // SQLite reads a negative LIMIT as "no limit".
    std::vector<Operation> operations;
    while (query.executeStep()) {
      operations.push_back(read_operation(query));
    }
    return operations;
  });
}

void SqliteStateStore::record_item(const OperationItem& item) {
  guarded("cannot record " + item.e164 + " in operation " + item.operation_id, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    // The upsert keeps the row id, so list_items keeps the order of first recording.
    Prepared upsert =
        prepared("INSERT INTO operation_items (operation_id, e164, outcome, error_code, "
                 "error_message, updated_at) VALUES (:operation_id, :e164, :outcome, :error_code, "
                 ":error_message, :updated_at) ON CONFLICT (operation_id, e164) DO UPDATE SET "
                 "outcome = excluded.outcome, error_code = excluded.error_code, "
                 "error_message = excluded.error_message, updated_at = excluded.updated_at");
    upsert->bind(":operation_id", item.operation_id);
    upsert->bind(":e164", item.e164);
    upsert->bind(":outcome", to_string(item.outcome));
    bind_text_or_null(*upsert, ":error_code", item.error_code);
    bind_text_or_null(*upsert, ":error_message", item.error_message);
    upsert->bind(":updated_at", utc_now_iso8601());
    execute_with_operation(*upsert, item.operation_id);
    transaction.commit();
  });
}

std::vector<OperationItem> SqliteStateStore::list_items(const std::string& operation_id) {
  return guarded("cannot list the items of operation " + operation_id, [&] {
    SQLite::Statement query(m_db, "SELECT operation_id, e164, outcome, error_code, error_message "
                                  "FROM operation_items WHERE operation_id = ? ORDER BY id");
    query.bind(1, operation_id);
    std::vector<OperationItem> items;
    while (query.executeStep()) {
      items.push_back(read_item(query));
    }
    return items;
  });
}

std::vector<OperationItem> SqliteStateStore::list_items_of_number(const std::string& e164) {
  return guarded("cannot list the journal items of " + e164, [&] {
    SQLite::Statement query(m_db, "SELECT operation_id, e164, outcome, error_code, error_message "
                                  "FROM operation_items WHERE e164 = ? ORDER BY id");
    query.bind(1, e164);
    std::vector<OperationItem> items;
    while (query.executeStep()) {
      items.push_back(read_item(query));
    }
    return items;
  });
}

} // namespace vami::sqlite_store
