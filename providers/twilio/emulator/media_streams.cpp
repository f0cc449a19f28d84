// Twilio's end of a Media Stream (see media_streams.hpp).

#include "twilio/emulator/media_streams.hpp"

#include <array>
#include <exception>
#include <random>

#include "http/crypto.hpp"
#include "sandbox/websocket_connection.hpp"
#include <nlohmann/json.hpp>

namespace vami::sandbox::media_streams {

namespace {

using Json = nlohmann::ordered_json; // Twilio's field order, as its documents show it
namespace ws = websocket;

/// 20 ms of audio at 8000 Hz, one byte a sample.
constexpr std::size_t k_chunk_bytes = 160;
constexpr int k_chunk_ms = 20;
/// μ-law's silence.
constexpr unsigned char k_mulaw_silence = 0xFF;

std::string silence_base64() {
  return http::base64_encode(std::string(k_chunk_bytes, static_cast<char>(k_mulaw_silence)));
}

} // namespace

std::string connected_message() {
  return Json{{"event", "connected"}, {"protocol", "Call"}, {"version", "1.0.0"}}.dump();
}

std::string start_message(const std::string& stream_sid, const StreamedCall& call) {
  Json parameters = Json::object();
  for (const auto& [name, value] : call.parameters) {
    parameters[name] = value;
  }
  return Json{
      {"event", "start"},
      {"sequenceNumber", "1"},
      {"start",
       {{"accountSid", call.account_sid},
        {"streamSid", stream_sid},
        {"callSid", call.call_sid},
        {"tracks", Json::array({"inbound"})},
        {"customParameters", std::move(parameters)},
        {"mediaFormat", {{"encoding", "audio/x-mulaw"}, {"sampleRate", 8000}, {"channels", 1}}}}},
      {"streamSid", stream_sid}}
      .dump();
}

std::string media_message(const std::string& stream_sid, int chunk) {
  return Json{{"event", "media"},
              {"sequenceNumber", std::to_string(chunk + 1)},
              {"media",
               {{"track", "inbound"},
                {"chunk", std::to_string(chunk)},
                {"timestamp", std::to_string((chunk - 1) * k_chunk_ms)},
                {"payload", silence_base64()}}},
              {"streamSid", stream_sid}}
      .dump();
}

std::string stop_message(const std::string& stream_sid, const StreamedCall& call, int sequence) {
  return Json{{"event", "stop"},
              {"sequenceNumber", std::to_string(sequence)},
              {"stop", {{"accountSid", call.account_sid}, {"callSid", call.call_sid}}},
              {"streamSid", stream_sid}}
      .dump();
}

std::string new_stream_sid() {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::random_device entropy;
  std::string sid = "MZ";
  for (int i = 0; i < 32; ++i) {
    sid += k_hex[entropy() % 16];
  }
  return sid;
}

StreamResult stream_call(const std::string& host, int port, const std::string& path,
                         const StreamedCall& call) {
  StreamResult result;
  result.stream_sid = new_stream_sid();
  try {
    ws::Socket socket = ws::connect_to("127.0.0.1", port);
    const std::string key = ws::new_key();
    ws::write_all(socket.fd(), ws::handshake_request(host, path, key));
    std::string rest;
    const std::string head = ws::read_head(socket.fd(), rest);
    std::string why;
    if (!ws::handshake_accepted(head, key, why)) {
      result.error = "the WebSocket upgrade was refused: " + why;
      return result;
    }
    result.upgraded = true;
    ws::Connection connection(socket.fd(), ws::Role::client, std::move(rest));
    auto send = [&](const std::string& message) {
      connection.send(ws::Opcode::text, message);
      ++result.messages_sent;
    };
    send(connected_message());
    send(start_message(result.stream_sid, call));
    for (int chunk = 1; chunk <= k_media_messages; ++chunk) {
      send(media_message(result.stream_sid, chunk));
    }
    send(stop_message(result.stream_sid, call, k_media_messages + 2));
    result.close_code = connection.close(ws::close_code::normal, "");
    if (result.close_code && *result.close_code != ws::close_code::normal) {
      result.error =
          "the orchestrator closed the stream with status " + std::to_string(*result.close_code);
    }
  } catch (const ws::ProtocolError& e) {
    result.error = std::string("the orchestrator broke the WebSocket protocol: ") + e.what();
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

} // namespace vami::sandbox::media_streams
