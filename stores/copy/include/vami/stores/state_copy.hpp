#pragma once

// `vami db copy` and `vami db status`: a whole state copied between state databases (SQLite or
// PostgreSQL, either way), and what a state database holds. They work below the `StateStore`
// interface, on every table at once, so they live beside the stores rather than in core; their
// public types name no database library.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace vami {

/// What a copy does with a target that already holds a state.
enum class ExistingState {
  refuse, ///< Refuse it (Error(conflict)) and leave it as it is.
  replace ///< Delete its rows in the copy's transaction: the target then holds the source's.
};

/// One table of a copy.
struct TableCopy {
  std::string table;
  std::int64_t rows = 0;          ///< Rows copied: the source's, and the target's afterwards.
  std::int64_t replaced_rows = 0; ///< Rows the target held before (deleted with `replace`).
};

/// What `copy_state` did.
struct CopyReport {
  std::string from;         ///< The source, a path or a URI without its password.
  std::string to;           ///< The target, likewise.
  std::string from_backend; ///< "sqlite" or "postgresql".
  std::string to_backend;
  int schema_version = 0; ///< Both databases' schema version.
  bool replaced = false;  ///< Whether the target held rows that were replaced.
  /// Rows whose holder columns named a process (that had finished or died: a live hold refuses
  /// the copy) and were cleared.
  std::int64_t holds_cleared = 0;
  /// Operations the source left `running` by a process that is gone, copied as `interrupted`
  /// (what the source's store shows them as; `vami operations resume` finishes them).
  std::int64_t operations_interrupted = 0;
  std::vector<TableCopy> tables; ///< Every table, in the order they were copied.
  double seconds = 0;            ///< How long the copy took, wall clock.
};

/// Copies the whole state at `from` to `to` (each a SQLite path or a PostgreSQL URI), in one
/// transaction on the target:
/// - the source is only read (one snapshot), never migrated nor created; its schema version must
///   be the current one;
/// - the target is created and migrated to the current schema first (as any vami command does);
///   with `refuse`, a target holding any row is refused and left as it is;
/// - every table is copied with ids, times and micros as stored; the columns naming a holding
///   process are cleared and a `running` operation of a process that is gone becomes
///   `interrupted` (holds belong to processes of the source, not to the copy);
/// - the rows of each table are counted in the target before the commit: a count that differs
///   from the source's rolls everything back.
/// Killed at any point, the target holds either its old rows or the whole copy.
/// @throws Error(invalid_input) when `from` and `to` name one database, or the source is at
///         another schema version (older: upgrade it with 'vami --db FROM init'; newer: upgrade
///         vami) or is not a vami state database; Error(not_found) when there is no source file;
///         Error(conflict) when the target holds rows and `existing` is `refuse`, or a process
///         holds a number's routing, runs an operation or uploads a document in the source (or,
///         with `replace`, in the target) right now; Error(storage) when the counts differ or a
///         database fails; Error(uncertain) when the target's commit may or may not have
///         happened; the errors of opening either database (unavailable, auth). No message holds
///         a password.
CopyReport copy_state(const std::string& from, const std::string& to, ExistingState existing);

/// One fact about a state database's connection: text, a whole number, a yes/no, or unknown.
using DatabaseFact = std::variant<std::monostate, std::string, std::int64_t, bool>;

/// What `vami db status` shows of a state database.
struct DatabaseStatus {
  std::string backend;  ///< "sqlite" or "postgresql".
  std::string location; ///< A path, or a URI without its password.
  int schema_version = 0;
  int current_schema_version = 0; ///< What this vami migrates to.
  /// Every table of the current schema with its row count; nullopt for a table an older schema
  /// does not have yet.
  std::vector<std::pair<std::string, std::optional<std::int64_t>>> tables;
  /// Facts about the file or the connection, never a password: SQLite `path`,
  /// `file_size_bytes`, `journal_mode`; PostgreSQL `host` (or the socket's folder), `port`,
  /// `database`, `user`, `server_version`, `sslmode`, `ssl`, `schema`, `search_path`.
  std::vector<std::pair<std::string, DatabaseFact>> connection;
};

/// The status of the state database at `location` (a SQLite path or a PostgreSQL URI), read in
/// one snapshot without creating or migrating anything.
/// @throws Error(not_found) when there is no file at a path; Error(invalid_input) when it is not
///         a vami state database; the errors of connecting (unavailable, auth, invalid_input).
DatabaseStatus database_status(const std::string& location);

} // namespace vami
