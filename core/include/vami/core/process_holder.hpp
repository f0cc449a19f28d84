#pragma once

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

/// The pid in a holder string, for messages ("pid 4242"); empty if it has none.
[[nodiscard]] std::string holder_pid(std::string_view holder);

} // namespace vami
