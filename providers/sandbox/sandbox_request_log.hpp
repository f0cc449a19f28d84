#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

// The sandbox's request log: every request its emulators answer, with the credential it
// carried masked, in the state file (table `sandbox_requests`), bounded to the newest rows.
namespace vami::sandbox {

/// How many rows the request log keeps: older ones are deleted as new ones arrive (about
/// 150 bytes each, so at most a few MB of the state file).
inline constexpr std::int64_t k_request_log_rows = 20'000;
/// How many rows a process writes between two deletions of the oldest ones (a range delete by
/// primary key, so the log holds at most `k_request_log_rows` plus this many per process).
inline constexpr std::int64_t k_request_log_prune_every = 500;

/// A secret shown by its last four characters only ("…9f0c"), and only when it is at least 16
/// long (so that at most a quarter of it shows); "…" for a shorter one.
[[nodiscard]] std::string masked_secret(std::string_view secret);

/// The credential `request` carried, masked so that no secret can be read from it. A key in
/// `key_header` (the header the provider's key travels in, `AgentProviderEmulator::
/// credential_header`) other than `Authorization` shows as `HEADER …tail` (`xi-api-key …ab12`,
/// ElevenLabs); else `Authorization`: the user of HTTP Basic (`AC…1234`, `SK…5678`: Twilio's
/// account or API key SID, its first two and last four characters; the password never),
/// `Bearer …9f0c` (Synthflow), another scheme as `SCHEME …tail`; empty when it carried none.
[[nodiscard]] std::string masked_credential(const http::HttpRequest& request,
                                            std::string_view key_header = "Authorization");

/// How long a recorded request waits, at most, before it is written to the state file: rows
/// are written in batches, one transaction each, by a writer thread (so a request pays for a
/// masked copy of its credential and a lock, never for a commit).
inline constexpr std::chrono::milliseconds k_request_log_flush_interval{100};
/// Rows waiting to be written that make the writer write at once.
inline constexpr std::size_t k_request_log_batch = 256;
/// Rows that may wait at most; more are dropped (and counted) while the file stays busy.
inline constexpr std::size_t k_request_log_max_pending = 20'000;

/// The request log of one state file, written through the sandbox's one connection.
/// Thread-safe.
class RequestLog {
public:
  /// Uses `db` (which must outlive this object), locking `mutex` around each use of it; keeps
  /// the newest `max_rows`, deleting older ones every `prune_every` rows it writes.
  RequestLog(SQLite::Database& db, std::mutex& mutex, std::int64_t max_rows = k_request_log_rows,
             std::int64_t prune_every = k_request_log_prune_every);
  /// Writes what is waiting, then stops the writer.
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  /// Creates the table when missing. Call inside a write transaction.
  static void create_schema(SQLite::Database& db);

  /// Records one answered request: now (UTC, ms), `provider` (see `LoggedRequest`), the
  /// method, the URL's path without its query, `masked_credential` (with `key_header`, the
  /// header the key of the provider whose path it is travels in) and `status`. The row is
  /// written within `k_request_log_flush_interval` (starting the writer on first use), or by
  /// `flush`, `read` or the destructor. Never throws: the log must not fail the request it
  /// records (a file that stays busy past the busy timeout, or a full disk, loses rows).
  void record(const http::HttpRequest& request, std::string_view provider, int status,
              std::string_view key_header = "Authorization") noexcept;

  /// Writes the rows waiting, in one transaction; every `prune_every` rows written, deletes
  /// the rows beyond the newest `max_rows`. Never throws (rows it cannot write are lost).
  void flush() noexcept;

  /// Flushes, then reads the newest `filter.limit` rows (all when 0) of `filter.provider` (all
  /// when empty), oldest first. @throws SQLite::Exception.
  [[nodiscard]] std::vector<LoggedRequest> read(const RequestLogFilter& filter);

private:
  void write_forever();

  SQLite::Database& m_db;
  std::mutex& m_mutex; ///< The connection's.
  std::int64_t m_max_rows;
  std::int64_t m_prune_every;
  std::int64_t m_since_prune = 0; ///< Rows this process wrote since it pruned (under m_mutex).

  std::mutex m_pending_mutex; ///< Guards the members below; never held with m_mutex.
  std::condition_variable m_wake;
  std::vector<LoggedRequest> m_pending;
  bool m_stopping = false;
  std::thread m_writer;     ///< Started by the first `record`.
  std::mutex m_flush_mutex; ///< One flush at a time, so rows are written in order.
};

} // namespace vami::sandbox
