#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// Private to the sandbox emulator: Twilio's end of a Media Stream, as the sandbox's Twilio opens
// one for `<Connect><Stream url>` (a bidirectional stream): the WebSocket messages Twilio sends,
// https://www.twilio.com/docs/voice/media-streams/websocket-messages.

namespace vami::sandbox::media_streams {

/// The call a stream belongs to.
struct StreamedCall {
  std::string account_sid; ///< "AC...".
  std::string call_sid;    ///< "CA...".
  /// The `<Stream>`'s `<Parameter>`s, in order: `start.customParameters`.
  std::vector<std::pair<std::string, std::string>> parameters;
};

/// Media messages the sandbox's Twilio sends per call (20 ms of μ-law silence each).
inline constexpr int k_media_messages = 2;

/// `{"event":"connected","protocol":"Call","version":"1.0.0"}`.
[[nodiscard]] std::string connected_message();
/// `start` (sequenceNumber 1): `start.{accountSid, streamSid, callSid, tracks: ["inbound"]
/// (a bidirectional stream carries the caller's track only), customParameters, mediaFormat:
/// {encoding "audio/x-mulaw", sampleRate 8000, channels 1}}` and `streamSid`.
[[nodiscard]] std::string start_message(const std::string& stream_sid, const StreamedCall& call);
/// `media` number `chunk` (1-based; sequenceNumber chunk + 1): `media.{track "inbound", chunk,
/// timestamp (ms since the stream began, 20 per chunk), payload (base64 of 160 bytes of
/// μ-law silence)}` and `streamSid`.
[[nodiscard]] std::string media_message(const std::string& stream_sid, int chunk);
/// `stop` (sequenceNumber `sequence`): `stop.{accountSid, callSid}` and `streamSid`.
[[nodiscard]] std::string stop_message(const std::string& stream_sid, const StreamedCall& call,
                                       int sequence);

/// A new stream SID: "MZ" and 32 hex digits.
[[nodiscard]] std::string new_stream_sid();

/// How a stream went from Twilio's end.
struct StreamResult {
  bool upgraded = false;  ///< The server answered 101 with the right Sec-WebSocket-Accept.
  std::string stream_sid; ///< The SID sent in `start`.
  int messages_sent = 0;  ///< Messages sent: connected, start, media..., stop.
  std::optional<std::uint16_t> close_code; ///< The server's close status.
  std::string error; ///< What went wrong, in words; empty when the stream closed cleanly.
};

/// Streams `call` to the WebSocket server at 127.0.0.1:`port` as Twilio would: the opening
/// handshake for `path` (Host `host`), then `connected`, `start`, k_media_messages `media` and
/// `stop`, then a normal close (1000), waiting for the server's close. Never throws: failures
/// are in `error`.
[[nodiscard]] StreamResult stream_call(const std::string& host, int port, const std::string& path,
                                       const StreamedCall& call);

} // namespace vami::sandbox::media_streams
