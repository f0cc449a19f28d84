#pragma once

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace vami::testing {

/// Until destroyed, the calling thread obeys file permissions even when it runs as root (as CI
/// does): the capabilities that bypass them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER)
/// leave its effective set, and come back from the permitted set afterwards (capabilities(7):
/// they are per thread, so only this thread is affected). For an unprivileged user it does
/// nothing. Throws std::runtime_error if the kernel refuses the change.
class PermissionsEnforced {
public:
  PermissionsEnforced() {
    if (::syscall(SYS_capget, &m_header, m_before.data()) != 0) {
      fail("capget");
    }
    std::array<__user_cap_data_struct, 2> lowered = m_before;
    for (int capability : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
      lowered[0].effective &= ~(1U << capability); // all three are below 32
    }
    set(lowered);
  }
  ~PermissionsEnforced() {
    try {
      set(m_before);
    } catch (const std::runtime_error&) {
      // Nothing left to do: the thread merely keeps obeying permissions.
    }
  }
  PermissionsEnforced(const PermissionsEnforced&) = delete;
  PermissionsEnforced& operator=(const PermissionsEnforced&) = delete;

private:
  static void fail(const char* call) {
    throw std::runtime_error(std::string(call) + " failed: " + std::strerror(errno));
  }
  void set(std::array<__user_cap_data_struct, 2> data) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    if (::syscall(SYS_capset, &header, data.data()) != 0) {
      fail("capset");
    }
  }

  __user_cap_header_struct m_header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, 2> m_before{};
};

} // namespace vami::testing
