#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

// Private to the sandbox: the WebSocket protocol (RFC 6455) as far as the sandbox's two ends of
// a Twilio Media Stream need it: the opening handshake and unfragmented frames. No I/O here
// (websocket_connection.hpp does the socket side), so that every rule can be tested alone.

namespace vami::sandbox::websocket {

/// The GUID a server appends to the client's key (RFC 6455 section 1.3).
inline constexpr std::string_view k_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The largest payload either end accepts, in bytes (a Twilio media message of 20 ms of audio
/// is about 400 bytes; a `start` with 32 parameters of 500 bytes stays under 20 KiB).
inline constexpr std::size_t k_max_payload = 64 * 1024;
/// The largest opening handshake (request or response head) either end reads, in bytes.
inline constexpr std::size_t k_max_head = 8 * 1024;

/// Frame opcodes (RFC 6455 section 5.2).
enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Close status codes (RFC 6455 section 7.4.1) the sandbox sends.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t too_big = 1009;
} // namespace close_code

/// Which end reads the frames: a server reads masked frames only, a client unmasked ones only
/// (RFC 6455 section 5.1).
enum class Role { server, client };

/// One whole frame. Fragmented messages are refused (FrameReader), so a frame is a message.
struct Frame {
  Opcode opcode = Opcode::text;
  std::string payload; ///< Unmasked.
};

/// A frame the reader refuses: the close code to send and why, in words.
class ProtocolError : public std::runtime_error {
public:
  ProtocolError(std::uint16_t code, const std::string& what)
      : std::runtime_error(what), m_code(code) {}
  /// The close status code that says why (`close_code::...`).
  [[nodiscard]] std::uint16_t code() const noexcept { return m_code; }

private:
  std::uint16_t m_code;
};

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`: base64(SHA-1(key + k_guid))
/// (RFC 6455 section 4.2.2), with OpenSSL's SHA-1 and base64.
[[nodiscard]] std::string accept_key(std::string_view key);

/// A new `Sec-WebSocket-Key`: 16 random bytes (OpenSSL's RAND_bytes), base64.
[[nodiscard]] std::string new_key();

/// Whether `key` is a valid `Sec-WebSocket-Key`: the base64 of exactly 16 bytes (24 characters).
[[nodiscard]] bool is_valid_key(std::string_view key);

/// One frame, FIN set: masked with a random key when `role` is the client (clients must mask,
/// RFC 6455 section 5.3), unmasked when it is the server.
/// @throws std::invalid_argument for a control frame's payload over 125 bytes.
[[nodiscard]] std::string encode_frame(Opcode opcode, std::string_view payload, Role role);

/// A close frame's payload: the status code (network byte order) and a UTF-8 reason (cut to
/// 123 bytes).
[[nodiscard]] std::string close_payload(std::uint16_t code, std::string_view reason);
/// The status code of a close frame's payload; nullopt when it carries none (empty payload).
/// @throws ProtocolError(protocol_error) for a 1-byte payload.
[[nodiscard]] std::optional<std::uint16_t> close_status(std::string_view payload);

/// Reads frames from the bytes of a connection as they arrive. Refuses (ProtocolError, and the
/// connection must then be closed with its code): a frame the peer should have masked and did
/// not, or masked and should not have (1002); reserved bits (1002); an unknown opcode (1002);
/// a fragment (FIN clear, or a continuation frame: 1003, this endpoint takes whole messages
/// only); a control frame over 125 bytes (1002); a payload over `max_payload` (1009, refused
/// from the frame's header, before its payload arrives).
class FrameReader {
public:
  /// A reader for the frames `reader` receives.
  explicit FrameReader(Role reader, std::size_t max_payload = k_max_payload)
      : m_reader(reader), m_max_payload(max_payload) {}
  /// Appends received bytes.
  void feed(std::string_view bytes) { m_buffer.append(bytes); }
  /// The next whole frame; nullopt until enough bytes have arrived.
  /// @throws ProtocolError as above.
  [[nodiscard]] std::optional<Frame> next();
  /// Bytes received and not yet read as frames.
  [[nodiscard]] std::size_t buffered() const noexcept { return m_buffer.size(); }

private:
  Role m_reader;
  std::size_t m_max_payload;
  std::string m_buffer;
};

/// An opening handshake request as the server reads it.
struct HandshakeRequest {
  std::string path; ///< The request target ("/stream/acme?x=1").
  std::string host; ///< The `Host` header.
  std::string key;  ///< `Sec-WebSocket-Key`.
};

/// Why a handshake request is refused: the HTTP status to answer and why.
struct HandshakeRefusal {
  int status = 400;
  std::string message;
};

/// Reads a request head (up to and without the blank line): `GET` (else 405), HTTP/1.1 or
/// later, `Upgrade: websocket`, `Connection` holding `upgrade`, `Sec-WebSocket-Version: 13`
/// (else 426 with `Sec-WebSocket-Version: 13`), a valid `Sec-WebSocket-Key` (RFC 6455 section
/// 4.2.1); header names case-insensitive.
/// @returns the request, or the refusal (400, 405 or 426).
[[nodiscard]] std::optional<HandshakeRequest> read_handshake_request(std::string_view head,
                                                                     HandshakeRefusal& refusal);

/// The server's `101 Switching Protocols` for `key`, blank line included.
[[nodiscard]] std::string handshake_response(std::string_view key);
/// A refusal of the upgrade: `status` with `message` as a plain-text body, `Connection: close`
/// (426 adds `Sec-WebSocket-Version: 13`).
[[nodiscard]] std::string refusal_response(int status, std::string_view message);

/// The client's opening handshake for `path` on `host` ("127.0.0.1:8080") with `key`.
[[nodiscard]] std::string handshake_request(std::string_view host, std::string_view path,
                                            std::string_view key);
/// Whether a response head (up to the blank line) accepts the handshake made with `key`:
/// status 101, `Upgrade: websocket`, `Connection: upgrade`, `Sec-WebSocket-Accept` =
/// accept_key(key). `why` says what was wrong otherwise ("HTTP 404", "a wrong
/// Sec-WebSocket-Accept", ...).
[[nodiscard]] bool handshake_accepted(std::string_view head, std::string_view key,
                                      std::string& why);

} // namespace vami::sandbox::websocket
