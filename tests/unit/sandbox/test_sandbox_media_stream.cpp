// The sandbox's stream orchestrator (providers/stream/emulator/orchestrator.hpp) over real
// loopback sockets, Twilio's end of a Media Stream (twilio/emulator/media_streams.hpp), and
// which stream URLs the sandbox serves (sandbox/sandbox_media_stream.hpp).
#include <filesystem>
#include <mutex>
#include <string>

#include "sandbox/sandbox_media_stream.hpp"
#include "sandbox/websocket_connection.hpp"
#include "stream/emulator/orchestrator.hpp"
#include "twilio/emulator/media_streams.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace ws = vami::sandbox::websocket;
namespace orchestrator = vami::sandbox::orchestrator;
namespace media_streams = vami::sandbox::media_streams;
namespace media_stream = vami::sandbox::media_stream;
using json = nlohmann::ordered_json;

class OrchestratorTest : public ::testing::Test {
protected:
  OrchestratorTest()
      : m_path(std::filesystem::temp_directory_path() /
               ("vami-orchestrator-" + media_streams::new_stream_sid() + ".db")),
        m_db(m_path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    orchestrator::create_schema(m_db);
    m_port = m_orchestrator.start();
  }
  ~OrchestratorTest() override {
    m_orchestrator.stop();
    std::error_code ignored;
    std::filesystem::remove(m_path, ignored);
  }
  OrchestratorTest(const OrchestratorTest&) = delete;
  OrchestratorTest& operator=(const OrchestratorTest&) = delete;

  // Sends `request` on a new connection and answers the response head.
  std::string raw_head(const std::string& request) {
    ws::Socket socket = ws::connect_to("127.0.0.1", m_port);
    ws::write_all(socket.fd(), request);
    std::string rest;
    return ws::read_head(socket.fd(), rest);
  }
  int count() {
    std::lock_guard lock(m_mutex);
    return m_db.execAndGet("SELECT count(*) FROM media_streams").getInt();
  }

  std::filesystem::path m_path;
  std::mutex m_mutex;
  SQLite::Database m_db;
  orchestrator::Orchestrator m_orchestrator{m_db, m_mutex};
  int m_port = 0;
};

TEST_F(OrchestratorTest, RecordsWhatTwilioSendsAndAnswersTheClose) {
  media_streams::StreamedCall call{"AC1", "CA1", {{"vami_tenant", "acme"}, {"b", "2"}, {"a", "1"}}};
  auto result = media_streams::stream_call("sandbox.vami.invalid", m_port, "/stream/acme", call);
  ASSERT_TRUE(result.upgraded) << result.error;
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.close_code, 1000);
  EXPECT_EQ(result.messages_sent, 5);
  EXPECT_EQ(result.stream_sid.size(), 34U);
  std::optional<orchestrator::RecordedStream> recorded;
  {
    std::lock_guard lock(m_mutex);
    recorded = orchestrator::find_recorded(m_db, result.stream_sid);
  }
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->path, "/stream/acme");
  EXPECT_EQ(recorded->protocol, "Call");
  EXPECT_EQ(recorded->call_sid, "CA1");
  EXPECT_EQ(recorded->account_sid, "AC1");
  EXPECT_EQ(recorded->tracks, std::vector<std::string>{"inbound"});
  EXPECT_EQ(recorded->custom_parameters, call.parameters); // order kept
  EXPECT_EQ(recorded->media_messages, 2);
  EXPECT_TRUE(recorded->stopped);
  EXPECT_EQ(recorded->close_code, 1000);
  EXPECT_EQ(recorded->error, "");
}

TEST_F(OrchestratorTest, TwiliosMessagesHaveTheDocumentedShape) {
  media_streams::StreamedCall call{"AC1", "CA1", {{"x", "y"}}};
  json start = json::parse(media_streams::start_message("MZ1", call));
  EXPECT_EQ(start.at("event"), "start");
  EXPECT_EQ(start.at("sequenceNumber"), "1");
  EXPECT_EQ(start.at("streamSid"), "MZ1");
  EXPECT_EQ(start.at("start").at("customParameters"), json({{"x", "y"}}));
  EXPECT_EQ(start.at("start").at("mediaFormat").at("sampleRate"), 8000);
  json media = json::parse(media_streams::media_message("MZ1", 2));
  EXPECT_EQ(media.at("sequenceNumber"), "3");
  EXPECT_EQ(media.at("media").at("chunk"), "2");
  EXPECT_EQ(media.at("media").at("timestamp"), "20");
  EXPECT_EQ(media.at("media").at("payload").get<std::string>().size(), 216U); // 160 bytes
  json stop = json::parse(media_streams::stop_message("MZ1", call, 4));
  EXPECT_EQ(stop.at("stop").at("callSid"), "CA1");
}

TEST_F(OrchestratorTest, RefusesWhatIsNotAnUpgradeToItsPaths) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  EXPECT_EQ(raw_head("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n").substr(0, 12), "HTTP/1.1 426");
  EXPECT_EQ(raw_head(ws::handshake_request("h", "/other", key)).substr(0, 12), "HTTP/1.1 404");
  EXPECT_EQ(raw_head(ws::handshake_request("h", "/streaming", key)).substr(0, 12), "HTTP/1.1 404");
  EXPECT_EQ(raw_head(ws::handshake_request("h", "/stream/x", key)).substr(0, 12), "HTTP/1.1 101");
  auto refused = media_streams::stream_call("h", m_port, "/nope", {"AC1", "CA1", {}});
  EXPECT_FALSE(refused.upgraded);
  EXPECT_NE(refused.error.find("HTTP 404"), std::string::npos) << refused.error;
}

TEST_F(OrchestratorTest, AnUnmaskedFrameEndsTheSessionWithAProtocolErrorAndIsRecorded) {
  ws::Socket socket = ws::connect_to("127.0.0.1", m_port);
  const std::string key = ws::new_key();
  ws::write_all(socket.fd(), ws::handshake_request("h", "/stream", key));
  std::string rest;
  std::string why;
  ASSERT_TRUE(ws::handshake_accepted(ws::read_head(socket.fd(), rest), key, why)) << why;
  // A server's (unmasked) frame, sent by a client.
  ws::write_all(socket.fd(), ws::encode_frame(ws::Opcode::text, media_streams::connected_message(),
                                              ws::Role::server));
  ws::Connection connection(socket.fd(), ws::Role::client, rest);
  auto frame = connection.receive();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, ws::Opcode::close);
  EXPECT_EQ(ws::close_status(frame->payload), ws::close_code::protocol_error);
  EXPECT_FALSE(connection.receive()); // then the server closes the connection
  std::lock_guard lock(m_mutex);
  SQLite::Statement row(m_db, "SELECT error, events FROM media_streams");
  ASSERT_TRUE(row.executeStep());
  EXPECT_EQ(row.getColumn(0).getString(), "an unmasked frame from a client");
  EXPECT_EQ(row.getColumn(1).getString(), "[]");
}

TEST_F(OrchestratorTest, AnOversizeMessageIsRefusedWith1009) {
  ws::Socket socket = ws::connect_to("127.0.0.1", m_port);
  const std::string key = ws::new_key();
  ws::write_all(socket.fd(), ws::handshake_request("h", "/stream", key));
  std::string rest;
  (void)ws::read_head(socket.fd(), rest);
  ws::Connection connection(socket.fd(), ws::Role::client, rest);
  connection.send(ws::Opcode::text, std::string(ws::k_max_payload + 1, 'x'));
  auto frame = connection.receive();
  ASSERT_TRUE(frame);
  EXPECT_EQ(ws::close_status(frame->payload), ws::close_code::too_big);
}

TEST(MediaStreamTargets, TheSandboxServesItsOwnHostAndItsListenerOnly) {
  auto target = media_stream::served_target("wss://sandbox.vami.invalid/stream/acme?x=1", {});
  ASSERT_TRUE(target);
  EXPECT_EQ(target->host, "sandbox.vami.invalid");
  EXPECT_EQ(target->path, "/stream/acme?x=1");
  EXPECT_TRUE(media_stream::served_target("WS://SANDBOX.VAMI.INVALID:8443/stream", {}));
  EXPECT_TRUE(media_stream::served_target("ws://127.0.0.1:4000/stream/a", 4000));
  EXPECT_TRUE(media_stream::served_target("ws://localhost:4000/stream", 4000));
  EXPECT_FALSE(media_stream::served_target("ws://127.0.0.1:4001/stream/a", 4000));
  EXPECT_FALSE(media_stream::served_target("ws://127.0.0.1:4000/stream/a", std::nullopt));
  EXPECT_FALSE(media_stream::served_target("wss://127.0.0.1:4000/stream/a", 4000)); // TLS
  EXPECT_FALSE(media_stream::served_target("wss://voice.example.com/stream", 4000));
  EXPECT_FALSE(media_stream::served_target("wss://sandbox.vami.invalid/streams", {}));
  EXPECT_FALSE(media_stream::served_target("wss://user@sandbox.vami.invalid/stream", {}));
  EXPECT_FALSE(media_stream::served_target("https://sandbox.vami.invalid/stream", {}));
}

} // namespace
