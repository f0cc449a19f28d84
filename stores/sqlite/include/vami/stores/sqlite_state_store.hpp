#pragma once

// The SQLite state store: the embedded default, one file that needs no server. Its public
// header names no SQLite type; SQLiteCpp stays private to the vami_store_sqlite target.

#include <filesystem>
#include <memory>
#include <string>

#include <vami/core/process_holder.hpp>
#include <vami/core/state_store.hpp>

namespace vami {

/// Opens (creating it and its schema if the file does not exist) the SQLite state database at
/// `path`: WAL, `busy_timeout` 10 s, foreign keys on, migrations applied up to the current
/// schema version.
/// @throws Error(invalid_input) when the folder does not exist, the file is not a SQLite
///         database, or it is a SQLite database of another application or of a newer vami;
///         Error(storage) for other database failures.
/// `holder` names this process in routing changes and operations it claims; tests pass another
/// to play a second process.
[[nodiscard]] std::unique_ptr<StateStore>
open_sqlite_state_store(const std::filesystem::path& path,
                        const std::string& holder = current_process_holder());

/// The newest schema version this vami knows.
[[nodiscard]] int current_schema_version() noexcept;

} // namespace vami
