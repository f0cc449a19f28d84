// What went wrong with the state database file, in words a user can act on. SQLite's own
// messages ("attempt to write a readonly database", "disk I/O error") name neither the file nor
// the way out; the file system usually tells which of the database, its folder or its `-wal` and
// `-shm` files is at fault.
#include "sqlite_errors.hpp"

#include <array>
#include <cstdint>
#include <fstream>
#include <system_error>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vami::detail {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_other_path = "choose another path with --db or VAMI_DB";

std::string sibling(const fs::path& path, const char* suffix) {
  return path.string() + suffix;
}

fs::path folder_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// Whether this process may write `path`: for root, access() says yes to any mode, so a file
// without any write permission bit counts as read-only too (SQLite may still refuse it on a
// read-only mount, which access() reports).
bool writable(const fs::path& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return true; // not there: not the culprit
  }
  return access(path.c_str(), W_OK) == 0 && (info.st_mode & 0222) != 0;
}

bool exists(const std::string& path) {
  std::error_code ignored;
  return fs::exists(path, ignored);
}

std::string restore_hint(const fs::path& path) {
  return "stop every vami process; check the file with: sqlite3 " + path.string() +
         " 'PRAGMA integrity_check'; restore it from a backup (or save what can be read with: "
         "sqlite3 " +
         path.string() +
         " .recover > recovered.sql), then run 'vami reconcile --apply' to compare it with the "
         "providers";
}

struct Diagnosis {
  std::string cause;
  std::string hint;
};

// Which file or folder keeps SQLite from writing.
Diagnosis read_only(const fs::path& path) {
  const fs::path folder = folder_of(path);
  const std::string shm = sibling(path, "-shm");
  const std::string wal = sibling(path, "-wal");
  if (!writable(path)) {
    return {"the file is read-only",
            "make it writable (chmod u+w " + path.string() + "), or " + k_other_path};
  }
  if (exists(shm) && !writable(shm)) {
    return {"its shared-memory file " + shm +
                " is read-only (a leftover of another user or of a read-only copy)",
            "once no vami process uses the database, delete " + shm +
                " (SQLite makes a new one), or make it writable"};
  }
  if (exists(wal) && !writable(wal)) {
    return {"its write-ahead log " + wal + " is read-only",
            "make it writable (chmod u+w " + wal +
                "); do not delete it: it holds the latest "
                "changes"};
  }
  if (!writable(folder)) {
    return {"its folder " + folder.string() + " is read-only (SQLite keeps " + wal + " and " + shm +
                " beside it)",
            "make the folder writable (chmod u+w " + folder.string() + "), or " + k_other_path};
  }
  return {"the database is read-only (a read-only mount, or a file opened read-only)",
          "keep the state database on a writable local file system, or " +
              std::string(k_other_path)};
}

Diagnosis diagnose(const fs::path& path, const SQLite::Exception& error) {
  const std::string said = std::string(" (SQLite: ") + error.what() + ")";
  const int extended = error.getExtendedErrorCode();
  const int primary = error.getErrorCode() & 0xff;
  switch (primary) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return {"another vami process kept it busy for more than 10 s" + said, "try again"};
  case SQLITE_FULL:
    return {"the disk is full" + said,
            "free space on the file system that holds " + folder_of(path).string()};
  case SQLITE_READONLY:
  case SQLITE_PERM: {
    Diagnosis diagnosis = read_only(path);
    diagnosis.cause += said;
    return diagnosis;
  }
  case SQLITE_CANTOPEN: {
    if (!writable(path) || !writable(folder_of(path)) ||
        (exists(sibling(path, "-shm")) && !writable(sibling(path, "-shm")))) {
      Diagnosis diagnosis = read_only(path);
      diagnosis.cause = "it cannot be opened: " + diagnosis.cause + said;
      return diagnosis;
    }
    return {"it cannot be opened" + said,
            "check that the file and its folder exist and that this user may read and write "
            "them, or " +
                std::string(k_other_path)};
  }
  case SQLITE_CORRUPT:
    return {"the file is damaged" + said, restore_hint(path)};
  case SQLITE_NOTADB:
    return {"it is not a SQLite database, or its header is damaged" + said,
            "if it held your pool, " + restore_hint(path) + "; otherwise " + k_other_path};
  case SQLITE_IOERR:
    if (extended == SQLITE_IOERR_SHORT_READ) {
      return {"the file is shorter than its header says: it was truncated" + said,
              restore_hint(path)};
    }
    if (extended == SQLITE_IOERR_SHMOPEN || extended == SQLITE_IOERR_SHMSIZE ||
        extended == SQLITE_IOERR_SHMMAP || extended == SQLITE_IOERR_SHMLOCK) {
      return {"its shared-memory file " + sibling(path, "-shm") + " cannot be used" + said,
              "keep the state database on a local file system; once no vami process uses it, "
              "delete " +
                  sibling(path, "-shm")};
    }
    if (extended == SQLITE_IOERR_WRITE || extended == SQLITE_IOERR_FSYNC ||
        extended == SQLITE_IOERR_TRUNCATE) {
      // A write the system refused outright: ENOSPC from some file systems, a quota, the file
      // size limit (ulimit -f), or a failing disk. A write cut short is SQLITE_FULL instead.
      return {"writing the file failed: the disk is full, the file may grow no further (a quota "
              "or ulimit -f), or the disk failed" +
                  said,
              "free space on the file system that holds " + folder_of(path).string() +
                  " (df), check the disk (dmesg), then run the command again"};
    }
    return {"reading or writing the file failed" + said,
            "check the disk (free space, dmesg), then run the command again; if the file is "
            "damaged, " +
                restore_hint(path)};
  default:
    return {error.what(), ""};
  }
}

} // namespace

Error sqlite_error(const fs::path& path, const std::string& what, const SQLite::Exception& error) {
  Diagnosis diagnosis = diagnose(path, error);
  const ErrorKind kind = (error.getErrorCode() & 0xff) == SQLITE_NOTADB ? ErrorKind::invalid_input
                                                                        : ErrorKind::storage;
  return Error(kind, what + ": state database " + path.string() + ": " + diagnosis.cause,
               std::move(diagnosis.hint));
}

void check_database_file(const fs::path& path) {
  const std::string wal = sibling(path, "-wal");
  std::error_code wal_error;
  const auto wal_size = fs::file_size(wal, wal_error);
  // A WAL begins with a 32-byte header whose first four bytes are 0x377f0682 or 0x377f0683.
  if (!wal_error && wal_size >= 32) {
    std::array<unsigned char, 4> magic{};
    std::ifstream in(wal, std::ios::binary);
    in.read(reinterpret_cast<char*>(magic.data()), magic.size());
    const bool valid = in && magic[0] == 0x37 && magic[1] == 0x7f && magic[2] == 0x06 &&
                       (magic[3] == 0x82 || magic[3] == 0x83);
    if (in && !valid) {
      throw Error(ErrorKind::storage,
                  "the write-ahead log " + wal + " of the state database " + path.string() +
                      " is damaged (its header is not a SQLite WAL header): opening the "
                      "database would drop every change it holds",
                  "stop every vami process and keep a copy of both files; restore the database "
                  "from a backup (or move " +
                      wal +
                      " aside to open the database without its latest changes), then run "
                      "'vami reconcile --apply' to compare it with the providers");
    }
  }
}

} // namespace vami::detail
