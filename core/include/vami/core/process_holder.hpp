#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace vami {

/// Names this process so that another vami process on the same database can tell whether it is
/// still running: `"<host>:<pid>:<start time>"`, the start time in clock ticks since boot as
/// Linux reports it (`/proc/<pid>/stat` field 22), so a reused pid is never mistaken for it.
/// The same string for the whole life of the process.
[[nodiscard]] const std::string& current_process_holder();

/// What is known of the process a holder string names.
enum class HolderLiveness {
  this_process, ///< The caller itself.
  running,      ///< Another process on this host, still running.
  gone,         ///< Another process on this host that has exited (or an unreadable holder).
  unknown,      ///< A process on another host: it cannot be asked.
};

/// Whether the process named by `holder` (from `current_process_holder`) still runs. Never
/// throws.
[[nodiscard]] HolderLiveness holder_liveness(std::string_view holder) noexcept;

/// How long work held by a process on another host, which cannot be asked whether it still
/// runs, counts as under way after its last sign of life: longer than any provider call with its
/// retries and backoff (a single request gives up after 60 s).
inline constexpr std::chrono::seconds k_foreign_holder_limit{600};

/// Whether the work `holder` took (a number's routing change, an operation) may still be under
/// way, so that no other process may take it over or undo it: the one liveness rule of vami.
/// True for this process and for a running process on this host; false at once for a process
/// on this host that has exited (killed, crashed); for a holder on another host, or an empty
/// holder (written before vami recorded holders), true only while its last sign of life
/// `since` (UTC ISO 8601, "2026-11-22T03:35:28Z") is less than `limit` ago. Never throws.
[[nodiscard]] bool
holder_still_working(std::string_view holder, std::string_view since,
                     std::chrono::seconds limit = k_foreign_holder_limit) noexcept;

/// The pid in a holder string, for messages ("pid 4242"); empty if it has none.
[[nodiscard]] std::string holder_pid(std::string_view holder);

} // namespace vami
