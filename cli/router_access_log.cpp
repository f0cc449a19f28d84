#include "router_access_log.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>

namespace vami::cli {

std::string mask_caller(const std::string& caller) {
  if (caller.empty()) {
    return caller;
  }
  bool e164 = caller.size() >= 4 && caller.front() == '+' &&
              caller.find_first_not_of("0123456789", 1) == std::string::npos;
  if (!e164) {
    return "[masked]";
  }
  return caller.substr(0, 2) + std::string(caller.size() - 4, '*') +
         caller.substr(caller.size() - 2);
}

AccessLog::AccessLog(const std::string& path) {
  if (path.empty()) {
    m_file = stderr;
    return;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(ErrorKind::invalid_input,
                "cannot open the log file " + path + ": " + std::strerror(errno),
                "check the path and its folder's permissions");
  }
  m_file = ::fdopen(fd, "a");
  if (m_file == nullptr) {
    ::close(fd);
    throw Error(ErrorKind::invalid_input, "cannot open the log file " + path);
  }
  m_owned = true;
}

AccessLog::~AccessLog() {
  if (m_owned && m_file != nullptr) {
    std::fclose(m_file);
  }
}

void AccessLog::write(const RequestFacts& facts) {
  nlohmann::ordered_json line;
  auto text = [&](const char* name, const std::string& value) {
    if (!value.empty()) {
      line[name] = value;
    }
  };
  text("time", facts.time);
  text("remote", facts.remote);
  text("method", facts.method);
  text("path", facts.path);
  text("route", facts.route);
  line["status"] = facts.status;
  text("outcome", facts.outcome);
  text("reason", facts.reason);
  text("account_sid", facts.account_sid);
  text("call_sid", facts.call_sid);
  text("conversation_id", facts.conversation_id);
  text("from", facts.from);
  text("to", facts.to);
  text("tenant", facts.tenant);
  text("agent", facts.agent);
  if (facts.duration_ms) {
    line["duration_ms"] = *facts.duration_ms;
  }
  if (facts.provider_ms) {
    line["provider_ms"] = *facts.provider_ms;
  }
  text("error", facts.error);
  write_line(line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

void AccessLog::event(const std::string& event, const std::string& message) {
  nlohmann::ordered_json line;
  line["time"] = utc_now_iso8601();
  line["event"] = event;
  line["message"] = message;
  write_line(line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

void AccessLog::write_line(const std::string& line) {
  std::lock_guard lock(m_mutex);
  std::fwrite(line.data(), 1, line.size(), m_file);
  std::fputc('\n', m_file);
  std::fflush(m_file);
}

} // namespace vami::cli
