#include <vami/core/error.hpp>

namespace vami {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
  case ErrorKind::invalid_input:
    return "invalid_input";
  case ErrorKind::not_found:
    return "not_found";
  case ErrorKind::conflict:
    return "conflict";
  case ErrorKind::auth:
    return "auth";
  case ErrorKind::rate_limited:
    return "rate_limited";
  case ErrorKind::unavailable:
    return "unavailable";
  case ErrorKind::provider:
    return "provider";
  case ErrorKind::storage:
    return "storage";
  case ErrorKind::uncertain:
    return "uncertain";
  case ErrorKind::interrupted:
    return "interrupted";
  }
  return "unknown";
}

bool is_transient(ErrorKind kind) noexcept {
  return kind == ErrorKind::rate_limited || kind == ErrorKind::unavailable;
}

} // namespace vami
