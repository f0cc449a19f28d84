#pragma once

// Opens the state store a `--db` / `VAMI_DB` value names, so that the CLI never names a store
// implementation: a `postgresql://` or `postgres://` URI selects the PostgreSQL store, anything
// else is a SQLite file path.

#include <memory>
#include <string>

#include <vami/core/process_holder.hpp>
#include <vami/core/state_store.hpp>

namespace vami {

/// Opens the state store at `location`: a `postgresql://` / `postgres://` URI (the PostgreSQL
/// store, see `open_postgres_state_store`), else a path to a SQLite state database (created
/// with its schema if it does not exist; see `open_sqlite_state_store`).
/// @throws Error(invalid_input) when the location cannot hold a vami state database (a missing
///         folder, a file that is not one, a database that does not exist);
///         Error(unavailable) when a database server cannot be reached; Error(auth) when it
///         refuses the credentials; Error(storage) for other database failures.
/// `holder` names this process in routing changes and operations it claims; tests pass another
/// to play a second process.
[[nodiscard]] std::unique_ptr<StateStore>
open_state_store(const std::string& location, const std::string& holder = current_process_holder());

/// Whether `location` names a database server (a PostgreSQL URI) rather than a file.
[[nodiscard]] bool is_server_location(const std::string& location) noexcept;

/// `location` as it may be shown: a URI's password replaced by "***"; a path as it is.
[[nodiscard]] std::string redact_location(const std::string& location);

/// Whether `location` is a URI that carries a password itself (better kept in PGPASSWORD or
/// ~/.pgpass: a command line is visible to every user of the machine).
[[nodiscard]] bool location_has_password(const std::string& location);

} // namespace vami
