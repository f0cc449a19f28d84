#pragma once

#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

namespace vami::cli {

/// What the router knows of one request, for its access-log line. Empty strings and empty
/// optionals are left out of the line.
struct RequestFacts {
  std::string time;   ///< UTC ISO 8601, when the request arrived.
  std::string remote; ///< The client's address.
  std::string method;
  std::string path;    ///< Without the query string.
  std::string route;   ///< The route that answered ("/twilio/voice"), or "" for none.
  int status = 0;      ///< The HTTP status sent.
  std::string outcome; ///< "connected", "rejected", "failed", "forbidden", "recorded", ...
  std::string reason;  ///< Why, in one word ("not_in_pool", "bad_signature", ...).
  std::string account_sid;
  std::string call_sid;
  std::string conversation_id;
  std::string from; ///< The caller, as logged (masked unless asked otherwise).
  std::string to;
  std::string tenant;
  std::string agent;
  std::optional<double> duration_ms; ///< From arrival to the answer.
  std::optional<double> provider_ms; ///< The agent provider's share.
  std::string error;                 ///< A failure's message (never a secret).
};

/// The caller's number as the access log shows it without `--log-caller-numbers`: an E.164
/// number keeps its "+", its first digit and its last 2 digits ("+1********23"); anything else
/// (`client:alice`, `sip:...`) becomes "[masked]"; "" stays "".
[[nodiscard]] std::string mask_caller(const std::string& caller);

/// The router's access log: one JSON object per line (docs/router.md), on stderr or appended to
/// a file created 0600. Thread-safe; a line is written whole.
class AccessLog {
public:
  /// Logs to stderr when `path` is empty, else to the file (created 0600 if missing).
  /// @throws Error(invalid_input) when the file cannot be opened.
  explicit AccessLog(const std::string& path);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// Writes the line of `facts`.
  void write(const RequestFacts& facts);
  /// Writes `{"time", "event", "message"}` (start, stop, warnings).
  void event(const std::string& event, const std::string& message);

private:
  void write_line(const std::string& line);

  std::mutex m_mutex;
  std::FILE* m_file = nullptr;
  bool m_owned = false;
};

} // namespace vami::cli
