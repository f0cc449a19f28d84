// The sandbox's WebSocket protocol (providers/sandbox/websocket.hpp): the RFC 6455 handshake
// and frames, with the RFC's own examples where it gives them.
#include <cstdint>
#include <string>

#include "sandbox/websocket.hpp"
#include <gtest/gtest.h>

namespace {

using namespace vami::sandbox::websocket;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) {
    out += static_cast<char>(value);
  }
  return out;
}

// RFC 6455 section 5.7: a single-frame unmasked text message "Hello", and the same masked.
const std::string k_unmasked_hello = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
const std::string k_masked_hello =
    bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});

std::uint16_t refusal_code(FrameReader& reader) {
  try {
    (void)reader.next();
  } catch (const ProtocolError& e) {
    return e.code();
  }
  return 0;
}

TEST(WebSocketHandshake, AcceptKeyIsTheOneOfRfc6455Section1_3) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, NewKeysAreValidAndDiffer) {
  const std::string first = new_key();
  EXPECT_TRUE(is_valid_key(first));
  EXPECT_NE(first, new_key());
  EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ")); // padding missing
  EXPECT_FALSE(is_valid_key("c2hvcnQ="));               // 5 bytes
  EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25j*Q=="));
}

TEST(WebSocketHandshake, TheRfcRequestIsAcceptedAndAnswered101) {
  const std::string head = "GET /stream/acme?x=1 HTTP/1.1\r\nHost: server.example.com\r\n"
                           "upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Origin: http://example.com\r\nSec-WebSocket-Version: 13\r\n";
  HandshakeRefusal refusal;
  auto request = read_handshake_request(head, refusal);
  ASSERT_TRUE(request) << refusal.message;
  EXPECT_EQ(request->path, "/stream/acme?x=1");
  EXPECT_EQ(request->host, "server.example.com");
  EXPECT_EQ(request->key, "dGhlIHNhbXBsZSBub25jZQ==");
  const std::string response = handshake_response(request->key);
  EXPECT_EQ(response.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0U);
  EXPECT_NE(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  std::string why;
  EXPECT_TRUE(handshake_accepted(response, request->key, why)) << why;
  EXPECT_FALSE(handshake_accepted(response, new_key(), why));
  EXPECT_EQ(why, "a wrong Sec-WebSocket-Accept");
}

TEST(WebSocketHandshake, RequestsThatAreNotUpgradesAreRefusedWithTheirStatus) {
  const std::string base = "Host: h\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  auto status = [](const std::string& head) {
    HandshakeRefusal refusal;
    return read_handshake_request(head, refusal) ? 101 : refusal.status;
  };
  const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  EXPECT_EQ(status("GET /s HTTP/1.1\r\n" + base + upgrade + "Sec-WebSocket-Version: 13\r\n"), 101);
  EXPECT_EQ(status("POST /s HTTP/1.1\r\n" + base + upgrade + "Sec-WebSocket-Version: 13\r\n"), 405);
  EXPECT_EQ(status("GET /s HTTP/1.1\r\n" + base + "Sec-WebSocket-Version: 13\r\n"), 426);
  EXPECT_EQ(status("GET /s HTTP/1.1\r\n" + base + upgrade + "Sec-WebSocket-Version: 8\r\n"), 426);
  EXPECT_EQ(status("GET /s HTTP/1.0\r\n" + base + upgrade + "Sec-WebSocket-Version: 13\r\n"), 400);
  EXPECT_EQ(status("GET /s HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: short\r\n" + upgrade +
                   "Sec-WebSocket-Version: 13\r\n"),
            400);
  EXPECT_NE(refusal_response(426, "no").find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
}

TEST(WebSocketFrames, AServerReadsTheRfcsMaskedHelloAndRefusesTheUnmaskedOne) {
  FrameReader server(Role::server);
  server.feed(k_masked_hello);
  auto frame = server.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, Opcode::text);
  EXPECT_EQ(frame->payload, "Hello");
  EXPECT_EQ(server.buffered(), 0U);

  FrameReader strict(Role::server);
  strict.feed(k_unmasked_hello);
  EXPECT_EQ(refusal_code(strict), close_code::protocol_error);
}

TEST(WebSocketFrames, AClientReadsTheUnmaskedHelloAndRefusesAMaskedOne) {
  FrameReader client(Role::client);
  client.feed(k_unmasked_hello);
  auto frame = client.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->payload, "Hello");
  EXPECT_EQ(encode_frame(Opcode::text, "Hello", Role::server), k_unmasked_hello);

  FrameReader strict(Role::client);
  strict.feed(k_masked_hello);
  EXPECT_EQ(refusal_code(strict), close_code::protocol_error);
}

TEST(WebSocketFrames, AFrameArrivingByteByByteIsReadOnceWhole) {
  FrameReader server(Role::server);
  for (std::size_t i = 0; i + 1 < k_masked_hello.size(); ++i) {
    server.feed(k_masked_hello.substr(i, 1));
    EXPECT_FALSE(server.next()) << "after " << i + 1 << " bytes";
  }
  server.feed(k_masked_hello.substr(k_masked_hello.size() - 1));
  auto frame = server.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->payload, "Hello");
}

TEST(WebSocketFrames, ClientFramesAreMaskedAndReadBackAtEveryLengthEncoding) {
  for (std::size_t size : {0U, 125U, 126U, 256U, 65535U, 65536U}) {
    std::string payload(size, 'x');
    for (std::size_t i = 0; i < size; ++i) {
      payload[i] = static_cast<char>('a' + i % 26);
    }
    const std::string frame = encode_frame(Opcode::text, payload, Role::client);
    EXPECT_NE(static_cast<unsigned char>(frame[1]) & 0x80U, 0U) << "a client must mask";
    FrameReader server(Role::server, 70'000);
    server.feed(frame);
    auto read = server.next();
    ASSERT_TRUE(read) << size;
    EXPECT_EQ(read->payload, payload) << size;
    EXPECT_EQ(server.buffered(), 0U);
  }
  // RFC 6455 section 5.7: 256 bytes in one unmasked binary frame have a 16-bit length.
  const std::string binary = encode_frame(Opcode::binary, std::string(256, '\0'), Role::server);
  EXPECT_EQ(binary.substr(0, 4), bytes({0x82, 0x7E, 0x01, 0x00}));
}

TEST(WebSocketFrames, FragmentedMessagesAreRefused) {
  // RFC 6455 section 5.7: "Hel" then "lo", unmasked; the first fragment is refused.
  FrameReader client(Role::client);
  client.feed(bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
  EXPECT_EQ(refusal_code(client), close_code::unsupported_data);
  FrameReader continuation(Role::client);
  continuation.feed(bytes({0x80, 0x02, 0x6c, 0x6f}));
  EXPECT_EQ(refusal_code(continuation), close_code::unsupported_data);
}

TEST(WebSocketFrames, AnOversizeFrameIsRefusedFromItsHeaderAlone) {
  FrameReader server(Role::server, 1024);
  // A masked text frame announcing 1 MiB (64-bit length); none of its payload has arrived.
  server.feed(bytes({0x81, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0}));
  EXPECT_EQ(refusal_code(server), close_code::too_big);
  FrameReader limit(Role::server, 5);
  limit.feed(encode_frame(Opcode::text, "123456", Role::client));
  EXPECT_EQ(refusal_code(limit), close_code::too_big);
}

TEST(WebSocketFrames, ReservedBitsUnknownOpcodesAndLongControlFramesAreRefused) {
  FrameReader reserved(Role::client);
  reserved.feed(bytes({0xC1, 0x00})); // RSV1 set
  EXPECT_EQ(refusal_code(reserved), close_code::protocol_error);
  FrameReader unknown(Role::client);
  unknown.feed(bytes({0x83, 0x00})); // opcode 3 is reserved
  EXPECT_EQ(refusal_code(unknown), close_code::protocol_error);
  FrameReader control(Role::client);
  control.feed(bytes({0x89, 0x7E, 0x00, 0x7E})); // a ping of 126 bytes
  EXPECT_EQ(refusal_code(control), close_code::protocol_error);
  EXPECT_THROW((void)encode_frame(Opcode::ping, std::string(126, 'p'), Role::server),
               std::invalid_argument);
}

TEST(WebSocketFrames, CloseFramesCarryTheirStatusCode) {
  const std::string payload = close_payload(close_code::normal, "bye");
  EXPECT_EQ(payload, bytes({0x03, 0xE8}) + "bye");
  EXPECT_EQ(close_status(payload), close_code::normal);
  EXPECT_EQ(close_status(""), std::nullopt);
  EXPECT_THROW((void)close_status(bytes({0x03})), ProtocolError);
  FrameReader server(Role::server);
  server.feed(encode_frame(Opcode::close, payload, Role::client));
  auto frame = server.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, Opcode::close);
  EXPECT_EQ(close_status(frame->payload), close_code::normal);
}

} // namespace
