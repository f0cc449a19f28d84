#pragma once

// Opens the state store a `--db` / `VAMI_DB` value names, so that the CLI never names a store
// implementation. Today every value is a SQLite file path; a server's URI (`postgresql://...`)
// selects its store here once one exists.

#include <memory>
#include <string>

#include <vami/core/process_holder.hpp>
#include <vami/core/state_store.hpp>

namespace vami {

/// Opens the state store at `location`: a path to a SQLite state database (created with its
/// schema if it does not exist; see `open_sqlite_state_store`).
/// @throws Error(invalid_input) when the location cannot hold a vami state database (a missing
///         folder, a file that is not one); Error(storage) for other database failures.
/// `holder` names this process in routing changes and operations it claims; tests pass another
/// to play a second process.
[[nodiscard]] std::unique_ptr<StateStore>
open_state_store(const std::string& location, const std::string& holder = current_process_holder());

} // namespace vami
