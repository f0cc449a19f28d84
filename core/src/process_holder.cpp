#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include <signal.h>
#include <unistd.h>

#include <vami/core/clock.hpp>
#include <vami/core/process_holder.hpp>
#include <vami/core/state_store.hpp>

namespace vami {

namespace {

// Field 22 of /proc/<pid>/stat, or empty for a process that has exited (a zombie, state `Z`,
// has exited too). The second field (the command name, in parentheses) may hold spaces, so
// fields are counted after its closing parenthesis.
std::string start_time_of(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return {};
  }
  auto close = line.rfind(')');
  if (close == std::string::npos) {
    return {};
  }
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int index = 3; index <= 22; ++index) {
    if (!(fields >> field) || (index == 3 && (field == "Z" || field == "X"))) {
      return {};
    }
  }
  return field;
}

std::string host_name() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) {
    return "localhost";
  }
  return buffer.data();
}

struct HolderParts {
  std::string host;
  std::string pid;
  std::string start_time;
};

// The host may itself hold no colon; pid and start time are the last two fields.
bool split(std::string_view holder, HolderParts& parts) {
  auto last = holder.rfind(':');
  if (last == std::string_view::npos || last == 0) {
    return false;
  }
  auto middle = holder.rfind(':', last - 1);
  if (middle == std::string_view::npos) {
    return false;
  }
  parts.host = std::string(holder.substr(0, middle));
  parts.pid = std::string(holder.substr(middle + 1, last - middle - 1));
  parts.start_time = std::string(holder.substr(last + 1));
  return !parts.pid.empty() && parts.pid.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

const std::string& current_process_holder() {
  static const std::string holder = [] {
    const std::string pid = std::to_string(getpid());
    return host_name() + ":" + pid + ":" + start_time_of(pid);
  }();
  return holder;
}

HolderLiveness holder_liveness(std::string_view holder) noexcept {
  try {
    if (holder == current_process_holder()) {
      return HolderLiveness::this_process;
    }
    HolderParts parts;
    if (!split(holder, parts)) {
      return HolderLiveness::gone;
    }
    if (parts.host != host_name()) {
      return HolderLiveness::unknown;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(parts.pid));
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      return HolderLiveness::gone;
    }
    // Alive, or not ours to signal (EPERM): the start time tells a reused pid apart. Without
    // /proc the holder recorded no start time, and the pid alone has to do.
    if (parts.start_time.empty()) {
      return HolderLiveness::running;
    }
    const std::string start_time = start_time_of(parts.pid);
    return start_time == parts.start_time ? HolderLiveness::running : HolderLiveness::gone;
  } catch (...) {
    return HolderLiveness::gone;
  }
}

bool holder_still_working(std::string_view holder, std::string_view since,
                          std::chrono::seconds limit) noexcept {
  try {
    if (!holder.empty()) {
      switch (holder_liveness(holder)) {
      case HolderLiveness::this_process:
      case HolderLiveness::running:
        return true;
      case HolderLiveness::gone:
        return false;
      case HolderLiveness::unknown:
        break;
      }
    }
    // Nobody can be asked: only time tells. ISO 8601 UTC times compare as strings.
    return since > utc_iso8601(unix_now() - static_cast<std::int64_t>(limit.count()));
  } catch (...) {
    return false;
  }
}

bool operation_in_progress(const Operation& operation,
                           std::chrono::seconds foreign_limit) noexcept {
  return operation.status == OperationStatus::running &&
         holder_still_working(operation.holder, operation.active_at, foreign_limit);
}

OperationStatus current_status(const Operation& operation) noexcept {
  return operation.status == OperationStatus::running && !operation_in_progress(operation)
             ? OperationStatus::interrupted
             : operation.status;
}

std::string holder_pid(std::string_view holder) {
  HolderParts parts;
  return split(holder, parts) ? parts.pid : std::string();
}

} // namespace vami
