// The SQLite state store (DESIGN.md section 3, rule 5).
//
// This file: the connection, its statements and the translation of its failures, and
// `open_sqlite_state_store`. The concurrency model is told in sqlite_state_store.hpp.

#include "sqlite_state_store.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "sqlite_conflicts.hpp"
#include "sqlite_errors.hpp"
#include "sqlite_rows.hpp"
#include <sqlite3.h>

#include <vami/core/error.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami::sqlite_store {

SqliteStateStore::SqliteStateStore(const std::filesystem::path& path, std::string holder)
    : m_path(path.string()), m_holder(std::move(holder)), m_db(open_connection(m_path)) {
  try {
    check_identity();
    configure_connection();
    migrate();
  } catch (const SQLite::Exception& error) {
    throw storage_error("cannot set up the connection or the schema", error);
  }
}

int SqliteStateStore::schema_version() {
  return guarded("cannot read the schema version", [&] { return read_user_version(); });
}

SQLite::Database SqliteStateStore::open_connection(const std::string& path) {
  try {
    return SQLite::Database(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, k_busy_timeout_ms);
  } catch (const SQLite::Exception& error) {
    throw detail::sqlite_error(path, "cannot open the state database", error);
  }
}

Prepared SqliteStateStore::prepared(const std::string& sql) {
  std::unique_ptr<SQLite::Statement>& statement = m_prepared[sql];
  if (!statement) {
    statement = std::make_unique<SQLite::Statement>(m_db, sql);
  }
  (void)statement->tryReset();
  statement->clearBindings();
  return Prepared(*statement);
}

int SqliteStateStore::execute_with_operation(SQLite::Statement& statement,
                                             const std::string& operation_id) {
  try {
    return statement.exec();
  } catch (const SQLite::Exception& error) {
    if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
      throw operation_not_found(operation_id);
    }
    throw;
  }
}

int SqliteStateStore::execute_unique(SQLite::Statement& statement, const std::string& what) {
  try {
    return statement.exec();
  } catch (const SQLite::Exception& error) {
    if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE) {
      throw Error(ErrorKind::conflict, what + " already belongs to another pool number",
                  "run 'vami reconcile' to compare the pool with the provider");
    }
    throw;
  }
}

Error SqliteStateStore::storage_error(const std::string& what,
                                      const SQLite::Exception& error) const {
  return detail::sqlite_error(m_path, what, error);
}

} // namespace vami::sqlite_store

namespace vami {

using sqlite_store::k_db_hint;
using sqlite_store::SqliteStateStore;

std::unique_ptr<StateStore> open_sqlite_state_store(const std::filesystem::path& path,
                                                    const std::string& holder) {
  const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ignored;
  if (!std::filesystem::is_directory(folder, ignored)) {
    throw Error(ErrorKind::invalid_input,
                "cannot open the state database " + path.string() + ": folder " + folder.string() +
                    " does not exist",
                "create it, or choose another path with --db or VAMI_DB");
  }
  if (std::filesystem::is_directory(path, ignored)) {
    throw Error(ErrorKind::invalid_input,
                "cannot open the state database " + path.string() + ": it is a folder", k_db_hint);
  }
  detail::check_database_file(path);
  // SQLite takes an empty file for a new database; when making one in it fails, say so.
  const bool empty = std::filesystem::is_regular_file(path, ignored) &&
                     std::filesystem::file_size(path, ignored) == 0;
  try {
    return std::make_unique<SqliteStateStore>(path, holder);
  } catch (const Error& error) {
    if (!empty) {
      throw;
    }
    throw Error(error.kind(),
                std::string(error.what()) + " (the file was empty: vami was making a new "
                                            "database in it)",
                (error.hint().empty() ? std::string() : error.hint() + "; ") +
                    "if it held your pool before, it was truncated: restore it from a backup and "
                    "run 'vami reconcile --apply'");
  }
}

} // namespace vami
