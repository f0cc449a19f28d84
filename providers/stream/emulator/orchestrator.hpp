#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox: the platform's own orchestrator as the sandbox plays it for stream
// agents. It accepts Twilio Media Streams WebSocket connections and records what Twilio sends
// (https://www.twilio.com/docs/voice/media-streams/websocket-messages: `connected`, `start`,
// `media`, `stop`) in the sandbox state file, so that `vami calls test` can show what crossed
// the WebSocket. It answers nothing but the closing handshake: no audio comes back.

namespace vami::sandbox::orchestrator {

/// The paths the orchestrator serves: `/stream` and everything below it.
inline constexpr std::string_view k_path = "/stream";
/// The host of the sandbox's orchestrator in a stream URL (`wss://sandbox.vami.invalid/stream/
/// NAME`): the sandbox's Twilio takes it for its own orchestrator, whatever its port. `.invalid`
/// never resolves (RFC 6761), so such a URL can reach no other machine.
inline constexpr std::string_view k_host = "sandbox.vami.invalid";
/// Most WebSocket sessions served at once; more get HTTP 503.
inline constexpr int k_max_sessions = 256;
/// Most event names kept per stream (`RecordedStream::events`); media messages are counted
/// beyond it.
inline constexpr std::size_t k_max_events = 64;

/// What the orchestrator recorded of one stream: a row of `media_streams`.
struct RecordedStream {
  std::int64_t id = 0;
  std::string path;                ///< The request target of the WebSocket handshake.
  std::string protocol;            ///< `connected.protocol` ("Call").
  std::string version;             ///< `connected.version` ("1.0.0").
  std::string stream_sid;          ///< `start.streamSid` ("MZ..."); empty without `start`.
  std::string account_sid;         ///< `start.accountSid`.
  std::string call_sid;            ///< `start.callSid`.
  std::vector<std::string> tracks; ///< `start.tracks` (["inbound"]).
  std::string media_format;        ///< `start.mediaFormat`, as JSON text.
  /// `start.customParameters`, in the order they arrived (the TwiML's `<Parameter>`s).
  std::vector<std::pair<std::string, std::string>> custom_parameters;
  std::vector<std::string> events; ///< Event names in arrival order (at most k_max_events).
  std::int64_t media_messages = 0; ///< `media` messages received.
  bool stopped = false;            ///< A `stop` message arrived.
  std::optional<int> close_code;   ///< The client's close status; empty without a close.
  std::string error;               ///< Why the session ended otherwise; empty when cleanly.
};

/// Creates the `media_streams` table when missing. Call inside a write transaction.
void create_schema(SQLite::Database& db);

/// The stream recorded under `stream_sid`; nullopt when none was. The connection must be locked.
[[nodiscard]] std::optional<RecordedStream> find_recorded(SQLite::Database& db,
                                                          const std::string& stream_sid);

/// The orchestrator's WebSocket listener on 127.0.0.1: one thread accepts, one thread serves
/// each session (RFC 6455 handshake on `GET /stream...`, else 404; masked text frames of
/// Twilio's JSON messages; pings answered; a close answered with the same status once the
/// session is recorded). Thread-safe.
class Orchestrator {
public:
  /// An orchestrator recording into `db`, locking `mutex` around each use of it. Both must
  /// outlive it.
  Orchestrator(SQLite::Database& db, std::mutex& mutex);
  /// Stops it (see stop()).
  ~Orchestrator();
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  /// Starts listening on 127.0.0.1:`port` (0: any free port) unless it already listens.
  /// @returns the port it listens on.
  /// @throws vami::Error(unavailable) when the port cannot be bound.
  int start(int port = 0);
  /// The port it listens on; nullopt before start().
  [[nodiscard]] std::optional<int> port() const;
  /// Stops accepting, ends the sessions in progress (their sockets shut down) and waits for
  /// their threads.
  void stop();

private:
  struct State;
  std::shared_ptr<State> m_state;
};

} // namespace vami::sandbox::orchestrator
