#pragma once

// A value read from a file and read again when the file changes, for long-running commands
// (`vami router serve` and the webhook secrets of tenants' own accounts in the config file).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <sys/stat.h>

namespace vami::cli {

/// A value made from a file (`load`), made again when the file has changed: its device, inode
/// (an atomic rewrite renames a new file into place), size or modification time (ns) differ
/// from when it was last loaded. `current` looks at the file at most once per `interval`, in
/// whichever thread calls it first once the interval is over, and costs otherwise one atomic
/// load and one uncontended lock: cheap on a request path. A reload that fails keeps the value
/// in use and is reported to `on_error` once per change of the file. Thread-safe.
template <typename Value>
class FileReloaded {
public:
  /// The time `current` compares with the interval (a steady clock; tests pass a fake one).
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  /// Loads the value once now. `on_error` (optional) receives the message of a failed reload;
  /// `on_reload` (optional) is called after each successful reload.
  /// @throws what `load` throws (the first load is not caught).
  FileReloaded(
      std::filesystem::path file, std::function<Value()> load,
      std::chrono::milliseconds interval = std::chrono::seconds(1),
      Clock clock = [] { return std::chrono::steady_clock::now(); },
      std::function<void(const std::string&)> on_error = {}, std::function<void()> on_reload = {})
      : m_file(std::move(file)), m_load(std::move(load)), m_interval(interval),
        m_clock(std::move(clock)), m_on_error(std::move(on_error)),
        m_on_reload(std::move(on_reload)) {
    // The stamp before the load: a change while loading is loaded again at the next check.
    m_stamp = stamp_of(m_file);
    m_value = std::make_shared<const Value>(m_load());
    m_next_check.store(ticks(m_clock()) + ticks_of(m_interval));
  }

  /// The value in use, reloaded first when the interval is over and the file has changed. The
  /// value returned stays valid however often the file changes afterwards.
  [[nodiscard]] std::shared_ptr<const Value> current() {
    const std::int64_t now = ticks(m_clock());
    std::int64_t due = m_next_check.load(std::memory_order_relaxed);
    if (now >= due && m_next_check.compare_exchange_strong(due, now + ticks_of(m_interval))) {
      check();
    }
    std::lock_guard lock(m_value_mutex);
    return m_value;
  }

private:
  // What identifies one version of the file; all zero when it does not exist.
  struct Stamp {
    std::uintmax_t device = 0;
    std::uintmax_t inode = 0;
    std::intmax_t size = -1;
    std::int64_t modified_ns = 0;
    bool operator==(const Stamp&) const = default;
  };

  static Stamp stamp_of(const std::filesystem::path& file) {
    struct stat status {};
    Stamp stamp;
    if (::stat(file.c_str(), &status) == 0) {
      stamp.device = static_cast<std::uintmax_t>(status.st_dev);
      stamp.inode = static_cast<std::uintmax_t>(status.st_ino);
      stamp.size = static_cast<std::intmax_t>(status.st_size);
      stamp.modified_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 +
                          static_cast<std::int64_t>(status.st_mtim.tv_nsec);
    }
    return stamp;
  }

  static std::int64_t ticks(std::chrono::steady_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  }
  static std::int64_t ticks_of(std::chrono::milliseconds interval) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count();
  }

  void check() {
    // One check at a time: a slow load is not started again by the next interval.
    std::unique_lock busy(m_check_mutex, std::try_to_lock);
    if (!busy.owns_lock()) {
      return;
    }
    const Stamp now = stamp_of(m_file);
    if (now == m_stamp || now == m_failed_stamp) {
      return;
    }
    try {
      auto fresh = std::make_shared<const Value>(m_load());
      {
        std::lock_guard lock(m_value_mutex);
        m_value = std::move(fresh);
      }
      m_stamp = now;
      if (m_on_reload) {
        m_on_reload();
      }
    } catch (const std::exception& error) {
      m_failed_stamp = now; // said once; tried again when the file changes again
      if (m_on_error) {
        m_on_error(error.what());
      }
    }
  }

  const std::filesystem::path m_file;
  const std::function<Value()> m_load;
  const std::chrono::milliseconds m_interval;
  const Clock m_clock;
  const std::function<void(const std::string&)> m_on_error;
  const std::function<void()> m_on_reload;
  std::atomic<std::int64_t> m_next_check{0};
  std::mutex m_check_mutex;            // held by the one check in progress
  Stamp m_stamp;                       // of the value in use; m_check_mutex
  std::optional<Stamp> m_failed_stamp; // of the last failed reload; m_check_mutex
  std::mutex m_value_mutex;
  std::shared_ptr<const Value> m_value;
};

} // namespace vami::cli
