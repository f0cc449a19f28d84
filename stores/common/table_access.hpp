#pragma once

// Whole-table access to a state database, below the `StateStore` interface: what `vami db copy`
// and `vami db status` need (rows as typed values, counts, a snapshot to read from, one
// exclusive transaction to write in, which holds are live, facts about the connection). One
// implementation per store, each in its own target with its database library:
// `open_sqlite_tables` in vami_store_sqlite (sqlite_table_access.cpp), `open_postgres_tables`
// in vami_store_postgres (pg_table_access.cpp). No database library here.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "store_tables.hpp"

namespace vami::store_tables {

/// One stored value: NULL, a whole number or text (ColumnType).
using Value = std::variant<std::monostate, std::int64_t, std::string>;
/// One row, its values in the order of `StoredTable::columns`.
using Row = std::vector<Value>;

/// One fact about a connection (`vami db status`): text, a whole number, a yes/no, or unknown.
using Fact = std::variant<std::monostate, std::string, std::int64_t, bool>;
/// Named facts, in the order they are shown.
using Facts = std::vector<std::pair<std::string, Fact>>;

/// How a database is opened.
enum class AccessMode {
  read_only, ///< A copy's source, `db status`: nothing is written, nothing is created.
  read_write ///< A copy's target (its schema already made by opening its store).
};

/// One connection to one state database, used by one thread. Every failure is an `Error` that
/// names the database (a URI with its password replaced by "***").
class TableAccess {
public:
  virtual ~TableAccess() = default;

  /// "sqlite" or "postgresql".
  [[nodiscard]] virtual std::string backend() const = 0;
  /// The database as it may be shown: a path, or a URI without its password.
  [[nodiscard]] virtual std::string location() const = 0;
  /// What tells two locations naming one database apart from two databases (a canonical path;
  /// the server's start time, port, database and schema).
  [[nodiscard]] virtual std::string identity() = 0;
  /// The schema version the database is at; 0 when it holds no vami schema yet.
  [[nodiscard]] virtual int schema_version() = 0;
  /// The schema version this vami's store of this kind migrates to.
  [[nodiscard]] virtual int current_schema_version() const = 0;
  /// The names of the tables the database (its schema, for PostgreSQL) holds.
  [[nodiscard]] virtual std::vector<std::string> table_names() = 0;
  /// The names of the columns of `table`, in the schema's order.
  [[nodiscard]] virtual std::vector<std::string> column_names(const std::string& table) = 0;

  /// Starts a read-only transaction: every read until `rollback` sees one snapshot.
  virtual void begin_snapshot() = 0;
  /// Starts the write transaction of a copy: every table of `stored_tables()` is locked against
  /// other writers until `commit` or `rollback` (readers still see the rows from before).
  /// @throws Error(conflict) when another process keeps it from taking the lock for long.
  virtual void begin_exclusive() = 0;
  /// Commits. @throws Error(uncertain) when the connection broke during the commit.
  virtual void commit() = 0;
  /// Rolls back whatever is open; never throws.
  virtual void rollback() noexcept = 0;

  /// How many rows `table` holds.
  [[nodiscard]] virtual std::int64_t count_rows(const StoredTable& table) = 0;
  /// Reads every row of `table` in its order (`StoredTable::sqlite_order` / `postgres_order`),
  /// handing them to `take` a batch at a time (the batch may be moved from).
  /// @throws Error(storage) for a value of a type vami never stores (a REAL, a BLOB).
  virtual void read_rows(const StoredTable& table,
                         const std::function<void(std::vector<Row>&)>& take) = 0;
  /// Inserts `rows` into `table`, their ids as given.
  virtual void insert_rows(const StoredTable& table, const std::vector<Row>& rows) = 0;
  /// Called once every row of `table` is inserted: PostgreSQL moves the table's id sequence past
  /// the highest id, so that the next row a store inserts gets a new one.
  virtual void rows_inserted(const StoredTable& table) = 0;
  /// Deletes every row of `tables` (given in insertion order; deleted in the reverse).
  virtual void delete_rows(const std::vector<StoredTable>& tables) = 0;

  /// Up to `limit` holds some process has right now, described for a message ("the routing of
  /// +12125550101 (pid 4242 on host-a)", "operation op-... (running)", "the upload of ..."):
  /// a hold is live as the store itself judges it (a running process of this host, a session
  /// lock on the server, or a sign of life on another host less than ten minutes ago).
  [[nodiscard]] virtual std::vector<std::string> live_holds(std::size_t limit) = 0;

  /// Facts about the database and the connection, never a password: for SQLite the path, the
  /// file's size and the journal mode; for PostgreSQL the host or socket folder, port, database,
  /// user, server version, sslmode, whether SSL is in use, schema and search_path.
  [[nodiscard]] virtual Facts connection_facts() = 0;
};

/// Opens the SQLite state database at `path` (defined in vami_store_sqlite).
/// @throws Error(not_found) when there is no file; Error(invalid_input) when it is not a vami
///         state database; Error(storage) for other failures.
[[nodiscard]] std::unique_ptr<TableAccess> open_sqlite_tables(const std::string& path,
                                                              AccessMode mode);

/// Connects to the PostgreSQL database `uri` names (defined in vami_store_postgres); the
/// connection's current schema is the state's.
/// @throws Error(unavailable), Error(auth), Error(invalid_input) as the PostgreSQL store does;
///         Error(invalid_input) when the schema holds tables that are not vami's.
[[nodiscard]] std::unique_ptr<TableAccess> open_postgres_tables(const std::string& uri,
                                                                AccessMode mode);

} // namespace vami::store_tables
