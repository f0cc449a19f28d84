// Whole-table access to a SQLite state database (table_access.hpp): what `vami db copy` reads
// and writes and `vami db status` shows, on a connection of its own beside the store's.

#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "sqlite_errors.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_state_store.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <store_conflicts.hpp>
#include <table_access.hpp>

#include <vami/core/process_holder.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami::store_tables {

namespace {

/// Rows handed to the reader at a time.
constexpr std::size_t k_batch = 2'000;

/// `name` quoted as an SQL identifier (names come from stored_tables(), never from input).
std::string quoted(const std::string& name) {
  return "\"" + name + "\"";
}

/// "a, b, c": the quoted columns of `table`.
std::string column_list(const StoredTable& table) {
  std::string list;
  for (const TableColumn& column : table.columns) {
    list += (list.empty() ? "" : ", ") + quoted(column.name);
  }
  return list;
}

class SqliteTables final : public TableAccess {
public:
  SqliteTables(std::string path, AccessMode mode) : m_path(std::move(path)), m_db(open(mode)) {
    guarded("cannot read the state database", [&] {
      const int application_id = m_db.execAndGet("PRAGMA application_id").getInt();
      if (application_id != sqlite_store::k_application_id) {
        throw Error(ErrorKind::invalid_input, m_path + " is not a vami state database",
                    "name a file that vami wrote");
      }
      if (mode == AccessMode::read_write) {
        m_db.exec("PRAGMA foreign_keys = ON");
      }
    });
  }

  std::string backend() const override { return "sqlite"; }
  std::string location() const override { return m_path; }

  std::string identity() override {
    std::error_code error;
    const auto canonical = std::filesystem::canonical(m_path, error);
    return "sqlite:" + (error ? m_path : canonical.string());
  }

  int schema_version() override {
    return guarded("cannot read the schema version",
                   [&] { return m_db.execAndGet("PRAGMA user_version").getInt(); });
  }

  int current_schema_version() const override { return vami::current_schema_version(); }

  std::vector<std::string> table_names() override {
    return strings("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                   "'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                   "");
  }

  std::vector<std::string> column_names(const std::string& table) override {
    return strings("SELECT name FROM pragma_table_info(?) ORDER BY cid", table);
  }

  void begin_snapshot() override {
    guarded("cannot start reading", [&] {
      m_db.exec("BEGIN");
      // A deferred transaction takes its snapshot at its first read.
      (void)m_db.execAndGet("SELECT count(*) FROM sqlite_master");
    });
  }

  void begin_exclusive() override {
    guarded("cannot start the copy's transaction",
            [&] { m_db.exec("BEGIN IMMEDIATE"); }); // waits busy_timeout for other writers
  }

  void commit() override {
    guarded("cannot commit the copy", [&] { m_db.exec("COMMIT"); });
  }

  void rollback() noexcept override {
    if (sqlite3_get_autocommit(m_db.getHandle()) == 0) {
      (void)m_db.tryExec("ROLLBACK");
    }
  }

  std::int64_t count_rows(const StoredTable& table) override {
    return guarded("cannot count the rows of " + table.name, [&] {
      return m_db.execAndGet("SELECT count(*) FROM " + quoted(table.name)).getInt64();
    });
  }

  void read_rows(const StoredTable& table,
                 const std::function<void(std::vector<Row>&)>& take) override {
    guarded("cannot read " + table.name, [&] {
      SQLite::Statement query(m_db, "SELECT " + column_list(table) + " FROM " + quoted(table.name) +
                                        " ORDER BY " + table.sqlite_order);
      std::vector<Row> batch;
      batch.reserve(k_batch);
      while (query.executeStep()) {
        Row row;
        row.reserve(table.columns.size());
        for (std::size_t i = 0; i < table.columns.size(); ++i) {
          row.push_back(value_of(table, i, query.getColumn(static_cast<int>(i))));
        }
        batch.push_back(std::move(row));
        if (batch.size() == k_batch) {
          take(batch);
          batch.clear();
        }
      }
      if (!batch.empty()) {
        take(batch);
      }
    });
  }

  void insert_rows(const StoredTable& table, const std::vector<Row>& rows) override {
    guarded("cannot insert into " + table.name, [&] {
      std::string placeholders;
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        placeholders += i == 0 ? "?" : ", ?";
      }
      std::unique_ptr<SQLite::Statement>& insert = m_inserts[table.name];
      if (!insert) {
        insert = std::make_unique<SQLite::Statement>(m_db, "INSERT INTO " + quoted(table.name) +
                                                               " (" + column_list(table) +
                                                               ") VALUES (" + placeholders + ")");
      }
      for (const Row& row : rows) {
        insert->reset();
        insert->clearBindings();
        for (std::size_t i = 0; i < row.size(); ++i) {
          const int index = static_cast<int>(i) + 1;
          if (const auto* number = std::get_if<std::int64_t>(&row[i])) {
            insert->bind(index, *number);
          } else if (const auto* text = std::get_if<std::string>(&row[i])) {
            insert->bind(index, *text);
          } else {
            insert->bind(index);
          }
        }
        insert->exec();
      }
    });
  }

  void rows_inserted(const StoredTable&) override {
    // An INTEGER PRIMARY KEY without AUTOINCREMENT continues after the highest id by itself.
  }

  void delete_rows(const std::vector<StoredTable>& tables) override {
    guarded("cannot delete the rows the target held", [&] {
      for (auto table = tables.rbegin(); table != tables.rend(); ++table) {
        m_db.exec("DELETE FROM " + quoted(table->name));
      }
    });
  }

  std::vector<std::string> live_holds(std::size_t limit) override {
    return guarded("cannot read the holds", [&] {
      std::vector<std::string> holds;
      // The store's own rules (sqlite_assignment.cpp, sqlite_operations.cpp, reconcile's of
      // uploads): a process of this host while it runs; one of another host for ten minutes
      // after its last sign of life.
      SQLite::Statement routing(m_db,
                                "SELECT e164, routing_holder, coalesce(routing_since, '') "
                                "FROM numbers WHERE routing_holder IS NOT NULL ORDER BY e164");
      while (holds.size() < limit && routing.executeStep()) {
        const std::string holder = sqlite_store::column_text(routing.getColumn(1));
        if (holder_still_working(holder, sqlite_store::column_text(routing.getColumn(2)))) {
          holds.push_back("the routing of " + sqlite_store::column_text(routing.getColumn(0)) +
                          " (being changed by " + store_rules::describe_holder(holder) + ")");
        }
      }
      SQLite::Statement operations(m_db, std::string(sqlite_store::k_operation_select) +
                                             "WHERE status = 'running' ORDER BY rowid");
      while (holds.size() < limit && operations.executeStep()) {
        const Operation operation = sqlite_store::read_operation(operations);
        if (operation_in_progress(operation)) {
          holds.push_back("operation " + operation.id + " (running in " +
                          store_rules::describe_holder(operation.holder) + ")");
        }
      }
      SQLite::Statement uploads(m_db, "SELECT upload_name, holder, created_at FROM documents "
                                      "WHERE status = 'uploading' AND holder IS NOT NULL "
                                      "ORDER BY id");
      while (holds.size() < limit && uploads.executeStep()) {
        const std::string holder = sqlite_store::column_text(uploads.getColumn(1));
        if (holder_still_working(holder, sqlite_store::column_text(uploads.getColumn(2)))) {
          holds.push_back("the upload of " + sqlite_store::column_text(uploads.getColumn(0)) +
                          " (by " + store_rules::describe_holder(holder) + ")");
        }
      }
      return holds;
    });
  }

  Facts connection_facts() override {
    return guarded("cannot read the database's settings", [&] {
      std::error_code error;
      const auto absolute = std::filesystem::absolute(m_path, error);
      const auto size = std::filesystem::file_size(m_path, error);
      Facts facts;
      facts.emplace_back("path", absolute.empty() ? m_path : absolute.string());
      facts.emplace_back("file_size_bytes", error ? Fact() : Fact(static_cast<std::int64_t>(size)));
      facts.emplace_back("journal_mode", m_db.execAndGet("PRAGMA journal_mode").getString());
      return facts;
    });
  }

private:
  SQLite::Database open(AccessMode mode) const {
    std::error_code error;
    if (!std::filesystem::exists(m_path, error)) {
      throw Error(ErrorKind::not_found, "there is no state database at " + m_path,
                  "check the path; 'vami init' creates one");
    }
    try {
      const int flags =
          mode == AccessMode::read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE;
      return SQLite::Database(m_path, flags, sqlite_store::k_busy_timeout_ms);
    } catch (const SQLite::Exception& failure) {
      throw detail::sqlite_error(m_path, "cannot open the state database", failure);
    }
  }

  /// `body()`, its SQLite failures turned into an Error about `what`.
  template <typename Body>
  auto guarded(const std::string& what, Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const SQLite::Exception& error) {
      throw detail::sqlite_error(m_path, what, error);
    }
  }

  std::vector<std::string> strings(const std::string& sql, const std::string& parameter) {
    return guarded("cannot read the schema", [&] {
      SQLite::Statement query(m_db, sql);
      if (!parameter.empty()) {
        query.bind(1, parameter);
      }
      std::vector<std::string> values;
      while (query.executeStep()) {
        values.push_back(query.getColumn(0).getString());
      }
      return values;
    });
  }

  /// The value of column `index` of `table` as the copy carries it.
  Value value_of(const StoredTable& table, std::size_t index, const SQLite::Column& column) const {
    switch (column.getType()) {
    case SQLITE_NULL:
      return {};
    case SQLITE_INTEGER:
      if (table.columns[index].type == ColumnType::integer) {
        return column.getInt64();
      }
      return column.getString(); // a number in a text column is text (SQLite's affinity)
    case SQLITE_TEXT:
      if (table.columns[index].type == ColumnType::text) {
        return column.getString();
      }
      break;
    default:
      break;
    }
    throw Error(ErrorKind::storage,
                "cannot copy " + table.name + "." + table.columns[index].name + " of " + m_path +
                    ": a row holds a value of a type vami never stores there",
                "find the row with sqlite3 and correct it, then copy again");
  }

  std::string m_path;
  SQLite::Database m_db;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> m_inserts;
};

} // namespace

std::unique_ptr<TableAccess> open_sqlite_tables(const std::string& path, AccessMode mode) {
  return std::make_unique<SqliteTables>(path, mode);
}

} // namespace vami::store_tables
