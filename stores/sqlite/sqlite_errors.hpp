#pragma once

#include <filesystem>
#include <string>

#include <SQLiteCpp/Exception.h>

#include <vami/core/error.hpp>

// The one translation of SQLite's failures on the state database into vami errors that name
// the file, say what is wrong with it and what to do: a full disk, a read-only file, folder or
// leftover `-shm`, a damaged file, an I/O error. Private to the SQLite state store.
namespace vami::detail {

/// `what` (what vami was doing: "cannot record operation op-...") failed on the state database
/// at `path` with `error`: an Error(storage), or Error(invalid_input) for a file that is not a
/// SQLite database, whose message names the file and the cause and whose hint says what to do.
[[nodiscard]] Error sqlite_error(const std::filesystem::path& path, const std::string& what,
                                 const SQLite::Exception& error);

/// Checks what SQLite would silently drop before the database at `path` is opened: a `-wal`
/// file whose header is not a WAL header (SQLite would ignore every change it holds). Nothing
/// to check when there is none.
/// @throws Error(storage) naming the `-wal` file and what to do.
void check_database_file(const std::filesystem::path& path);

} // namespace vami::detail
