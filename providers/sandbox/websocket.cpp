// The WebSocket protocol (RFC 6455) for the sandbox's media streams: see websocket.hpp.

#include "sandbox/websocket.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "http/crypto.hpp"
#include <openssl/rand.h>

namespace vami::sandbox::websocket {

namespace {

constexpr std::uint8_t k_fin = 0x80;
constexpr std::uint8_t k_reserved_bits = 0x70;
constexpr std::uint8_t k_opcode_bits = 0x0F;
constexpr std::uint8_t k_mask_bit = 0x80;
constexpr std::uint8_t k_length_bits = 0x7F;
constexpr std::size_t k_max_control_payload = 125;
constexpr std::size_t k_key_bytes = 16;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// An HTTP head: its first line and its headers (names lower-case; a repeated header's values
// joined with ", " as RFC 9110 section 5.3 allows).
struct Head {
  std::string first_line;
  std::map<std::string, std::string> headers;
  [[nodiscard]] std::string header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

std::optional<Head> read_head(std::string_view text) {
  Head head;
  bool first = true;
  while (!text.empty()) {
    const std::size_t end = text.find("\r\n");
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 2);
    if (first) {
      head.first_line = std::string(line);
      first = false;
      continue;
    }
    if (line.empty()) {
      break;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return std::nullopt;
    }
    std::string name = lower(line.substr(0, colon));
    std::string value(trim(line.substr(colon + 1)));
    auto [it, inserted] = head.headers.emplace(name, value);
    if (!inserted) {
      it->second += ", " + value;
    }
  }
  if (first) {
    return std::nullopt;
  }
  return head;
}

// Whether the comma-separated list `value` holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (lower(trim(value.substr(0, comma))) == lower(token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool is_known_opcode(std::uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
  case Opcode::continuation:
  case Opcode::text:
  case Opcode::binary:
  case Opcode::close:
  case Opcode::ping:
  case Opcode::pong:
    return true;
  }
  return false;
}

std::uint8_t byte_at(const std::string& bytes, std::size_t index) {
  return static_cast<std::uint8_t>(bytes[index]);
}

} // namespace

std::string accept_key(std::string_view key) {
  std::string input(key);
  input += k_guid;
  return http::base64_encode(http::sha1(input));
}

std::string new_key() {
  std::array<unsigned char, k_key_bytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("OpenSSL could not draw a WebSocket key");
  }
  return http::base64_encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

bool is_valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") {
    return false;
  }
  // 22 characters and "==": 16 bytes, when every character is base64's.
  return http::base64_decode(key).has_value();
}

std::string encode_frame(Opcode opcode, std::string_view payload, Role role) {
  const auto code = static_cast<std::uint8_t>(opcode);
  if ((code & 0x8U) != 0 && payload.size() > k_max_control_payload) {
    throw std::invalid_argument("a WebSocket control frame carries at most 125 bytes");
  }
  std::string frame;
  frame += static_cast<char>(k_fin | code);
  const std::uint8_t mask = role == Role::client ? k_mask_bit : 0;
  if (payload.size() <= k_max_control_payload) {
    frame += static_cast<char>(mask | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    frame += static_cast<char>(mask | 126U);
    frame += static_cast<char>((payload.size() >> 8U) & 0xFFU);
    frame += static_cast<char>(payload.size() & 0xFFU);
  } else {
    frame += static_cast<char>(mask | 127U);
    for (int shift = 56; shift >= 0; shift -= 8) {
      frame += static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> shift) & 0xFFU);
    }
  }
  if (role == Role::server) {
    frame.append(payload);
    return frame;
  }
  std::array<unsigned char, 4> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("OpenSSL could not draw a WebSocket masking key");
  }
  frame.append(reinterpret_cast<const char*>(key.data()), key.size());
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ key[i % 4]);
  }
  return frame;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload += static_cast<char>(code >> 8U);
  payload += static_cast<char>(code & 0xFFU);
  payload.append(reason.substr(0, k_max_control_payload - 2));
  return payload;
}

std::optional<std::uint16_t> close_status(std::string_view payload) {
  if (payload.empty()) {
    return std::nullopt;
  }
  if (payload.size() == 1) {
    throw ProtocolError(close_code::protocol_error, "a close frame of 1 byte");
  }
  return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8U) |
                                    static_cast<unsigned char>(payload[1]));
}

std::optional<Frame> FrameReader::next() {
  if (m_buffer.size() < 2) {
    return std::nullopt;
  }
  const std::uint8_t first = byte_at(m_buffer, 0);
  const std::uint8_t second = byte_at(m_buffer, 1);
  const std::uint8_t code = first & k_opcode_bits;
  if ((first & k_reserved_bits) != 0) {
    throw ProtocolError(close_code::protocol_error, "a frame with reserved bits set");
  }
  if (!is_known_opcode(code)) {
    throw ProtocolError(close_code::protocol_error,
                        "a frame with the unknown opcode " + std::to_string(code));
  }
  const bool control = (code & 0x8U) != 0;
  if ((first & k_fin) == 0 || static_cast<Opcode>(code) == Opcode::continuation) {
    throw ProtocolError(control ? close_code::protocol_error : close_code::unsupported_data,
                        control ? "a fragmented control frame"
                                : "a fragmented message (this endpoint takes whole messages only)");
  }
  const bool masked = (second & k_mask_bit) != 0;
  if (m_reader == Role::server && !masked) {
    throw ProtocolError(close_code::protocol_error, "an unmasked frame from a client");
  }
  if (m_reader == Role::client && masked) {
    throw ProtocolError(close_code::protocol_error, "a masked frame from a server");
  }
  std::size_t header = 2;
  std::uint64_t length = second & k_length_bits;
  if (length == 126) {
    if (m_buffer.size() < 4) {
      return std::nullopt;
    }
    length = (static_cast<std::uint64_t>(byte_at(m_buffer, 2)) << 8U) | byte_at(m_buffer, 3);
    header = 4;
  } else if (length == 127) {
    if (m_buffer.size() < 10) {
      return std::nullopt;
    }
    length = 0;
    for (std::size_t i = 2; i < 10; ++i) {
      length = (length << 8U) | byte_at(m_buffer, i);
    }
    if ((length >> 63U) != 0) {
      throw ProtocolError(close_code::protocol_error, "a frame length with its top bit set");
    }
    header = 10;
  }
  if (control && length > k_max_control_payload) {
    throw ProtocolError(close_code::protocol_error, "a control frame over 125 bytes");
  }
  if (length > m_max_payload) {
    throw ProtocolError(close_code::too_big, "a frame of " + std::to_string(length) +
                                                 " bytes; the limit is " +
                                                 std::to_string(m_max_payload));
  }
  const std::size_t mask_bytes = masked ? 4 : 0;
  const std::size_t total = header + mask_bytes + static_cast<std::size_t>(length);
  if (m_buffer.size() < total) {
    return std::nullopt;
  }
  Frame frame;
  frame.opcode = static_cast<Opcode>(code);
  frame.payload = m_buffer.substr(header + mask_bytes, static_cast<std::size_t>(length));
  if (masked) {
    for (std::size_t i = 0; i < frame.payload.size(); ++i) {
      frame.payload[i] = static_cast<char>(static_cast<unsigned char>(frame.payload[i]) ^
                                           byte_at(m_buffer, header + i % 4));
    }
  }
  m_buffer.erase(0, total);
  return frame;
}

std::optional<HandshakeRequest> read_handshake_request(std::string_view text,
                                                       HandshakeRefusal& refusal) {
  auto refuse = [&](int status, std::string message) -> std::optional<HandshakeRequest> {
    refusal = {status, std::move(message)};
    return std::nullopt;
  };
  std::optional<Head> head = read_head(text);
  if (!head) {
    return refuse(400, "not an HTTP request");
  }
  const std::string& line = head->first_line;
  const std::size_t first_space = line.find(' ');
  const std::size_t last_space = line.rfind(' ');
  if (first_space == std::string::npos || last_space == first_space) {
    return refuse(400, "not an HTTP request line");
  }
  const std::string method = line.substr(0, first_space);
  const std::string version = line.substr(last_space + 1);
  HandshakeRequest request;
  request.path = line.substr(first_space + 1, last_space - first_space - 1);
  if (version != "HTTP/1.1" && version.rfind("HTTP/2", 0) != 0 && version.rfind("HTTP/3", 0) != 0) {
    return refuse(400, "a WebSocket handshake needs HTTP/1.1 or later");
  }
  if (method != "GET") {
    return refuse(405, "a WebSocket handshake is a GET");
  }
  if (!has_token(head->header("upgrade"), "websocket")) {
    return refuse(426, "this endpoint speaks WebSocket only: send Upgrade: websocket");
  }
  if (!has_token(head->header("connection"), "upgrade")) {
    return refuse(400, "the handshake lacks Connection: Upgrade");
  }
  if (head->header("sec-websocket-version") != "13") {
    return refuse(426, "only WebSocket version 13 is spoken");
  }
  request.key = head->header("sec-websocket-key");
  if (!is_valid_key(request.key)) {
    return refuse(400, "Sec-WebSocket-Key is not the base64 of 16 bytes");
  }
  request.host = head->header("host");
  if (request.host.empty()) {
    return refuse(400, "the handshake lacks Host");
  }
  return request;
}

std::string handshake_response(std::string_view key) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept_key(key) + "\r\n\r\n";
}

std::string refusal_response(int status, std::string_view message) {
  std::string reason = "Bad Request";
  if (status == 404) {
    reason = "Not Found";
  } else if (status == 405) {
    reason = "Method Not Allowed";
  } else if (status == 426) {
    reason = "Upgrade Required";
  } else if (status == 503) {
    reason = "Service Unavailable";
  }
  std::string body(message);
  body += '\n';
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  if (status == 426) {
    response += "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n";
  }
  response +=
      "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  return response;
}

std::string handshake_request(std::string_view host, std::string_view path, std::string_view key) {
  std::string request = "GET ";
  request.append(path.empty() ? std::string_view("/") : path);
  request += " HTTP/1.1\r\nHost: ";
  request.append(host);
  request += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  request.append(key);
  request += "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  return request;
}

bool handshake_accepted(std::string_view text, std::string_view key, std::string& why) {
  std::optional<Head> head = read_head(text);
  if (!head || head->first_line.rfind("HTTP/1.1 ", 0) != 0) {
    why = "an answer that is not HTTP/1.1";
    return false;
  }
  const std::string status = head->first_line.substr(9, 3);
  if (status != "101") {
    why = "HTTP " + status + " instead of 101 Switching Protocols";
    return false;
  }
  if (!has_token(head->header("upgrade"), "websocket") ||
      !has_token(head->header("connection"), "upgrade")) {
    why = "a 101 without Upgrade: websocket and Connection: Upgrade";
    return false;
  }
  if (head->header("sec-websocket-accept") != accept_key(key)) {
    why = "a wrong Sec-WebSocket-Accept";
    return false;
  }
  return true;
}

} // namespace vami::sandbox::websocket
