#pragma once

#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <vami/core/process_holder.hpp>

namespace vami::testing {

/// The holder string (`current_process_holder` form) of a process on this host that has exited:
/// a child forked, exited and reaped, as a vami process killed by `kill -9` would be.
inline std::string holder_of_exited_process() {
  const pid_t child = fork();
  if (child == 0) {
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  const std::string& self = current_process_holder();
  const auto last = self.rfind(':');
  const auto host_end = self.rfind(':', last - 1);
  return self.substr(0, host_end) + ":" + std::to_string(child) + ":1";
}

} // namespace vami::testing
