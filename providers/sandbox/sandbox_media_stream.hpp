#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include "twilio/emulator/media_streams.hpp"
#include <nlohmann/json.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

namespace vami::sandbox::orchestrator {
class Orchestrator;
} // namespace vami::sandbox::orchestrator

// Private to the sandbox emulator: a simulated call's `<Connect><Stream url>` to a stream
// agent, followed as far as the sandbox can: over a real WebSocket to the sandbox's own
// orchestrator (stream/emulator/orchestrator.hpp) when the URL names it, else to the TwiML only
// (the sandbox never connects to another host).

namespace vami::sandbox::media_stream {

/// Where the sandbox's Twilio connects for a stream URL the sandbox serves.
struct Target {
  std::string host; ///< The `Host` of the handshake (the URL's authority).
  std::string path; ///< The request target (path and query).
};

/// The orchestrator target of `url` when the sandbox serves it: `ws://` or `wss://` with the
/// host `orchestrator::k_host` (any port), or `ws://` to `127.0.0.1`, `localhost` or `[::1]`
/// on `orchestrator_port` (the listener's, when it runs); the path `/stream` or below. Else
/// nullopt.
[[nodiscard]] std::optional<Target> served_target(std::string_view url,
                                                  std::optional<int> orchestrator_port);

/// How a stream agent's stream was followed.
struct Followed {
  std::string url;        ///< The `<Stream url>`.
  bool contacted = false; ///< The sandbox serves it: a WebSocket connection was opened.
  bool upgraded = false;  ///< The orchestrator accepted the upgrade (101).
  std::string address;    ///< Where the connection went ("ws://127.0.0.1:PORT/stream/acme").
  std::string stream_sid; ///< `start.streamSid`.
  /// What the orchestrator recorded, in order ("connected", "start", "media", ..., "stop").
  std::vector<std::string> events;
  std::int64_t media_messages = 0; ///< `media` messages the orchestrator received.
  std::optional<int> close_code;   ///< The orchestrator's close status.
  std::string error;               ///< What went wrong; empty when the stream went through.
  /// The parameters the orchestrator received (`start.customParameters`) when upgraded; the
  /// TwiML's `<Parameter>`s otherwise.
  Params parameters;
  /// Whether the stream went through: not contacted (followed to the TwiML only), or upgraded
  /// and recorded with its `start` and no error.
  [[nodiscard]] bool ok() const { return !contacted || (upgraded && error.empty()); }
};

/// Follows the stream of `call` to `url`: when the sandbox serves the URL, starts
/// `orchestrator` (on a free port) unless it runs, streams the call to it as Twilio would
/// (media_streams::stream_call) and reads back what it recorded (`db` locked with `mutex`).
[[nodiscard]] Followed follow(orchestrator::Orchestrator& orchestrator, SQLite::Database& db,
                              std::mutex& mutex, const std::string& url,
                              const media_streams::StreamedCall& call);

/// The `stream` member of the simulated call's answer: `{url, followed ("websocket" or
/// "twiml"), upgraded, address, stream_sid, events, media_messages, close_code, error}`.
[[nodiscard]] nlohmann::ordered_json to_json(const Followed& followed);

} // namespace vami::sandbox::media_stream
