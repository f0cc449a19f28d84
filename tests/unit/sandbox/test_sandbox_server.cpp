// The sandbox's loopback server (`vami sandbox serve`): the emulators served over HTTP,
// keep-alive connections, concurrency.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <latch>
#include <locale>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../twilio/twilio_emulator_client.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace {

using namespace vami::sandbox_testing::twilio; // NOLINT(google-build-using-namespace)
// Runs serve() on a free loopback port in a thread, for the life of the object.
class RunningServer {
public:
  RunningServer(vami::sandbox::SandboxEmulator& emulator, vami::sandbox::ServeOptions options)
      : m_thread([this, &emulator, options] {
          try {
            vami::sandbox::serve(
                emulator, options,
                [this](int port) {
                  m_listening = true;
                  m_port.set_value(port);
                },
                [this] { return m_stop.load(); });
          } catch (...) {
            if (!m_listening) {
              m_port.set_exception(std::current_exception());
            }
          }
        }) {
    m_bound_port = m_port.get_future().get();
  }
  ~RunningServer() {
    m_stop = true;
    m_thread.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;
  [[nodiscard]] int port() const { return m_bound_port; }

private:
  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_listening{false};
  std::promise<int> m_port;
  int m_bound_port = 0;
  std::thread m_thread; // last: starts once the members above exist
};

TEST(SandboxServer, ServesTheEmulatorOverLoopbackHttp) {
  TempDir dir;
  auto emulator = vami::sandbox::open_sandbox(dir.path() / "state.db");
  auto credentials = emulator->credentials();
  RunningServer running(*emulator, {});
  int port = running.port();
  ASSERT_GT(port, 0);

  httplib::Client client("127.0.0.1", port);
  client.set_url_encode(false);
  client.set_basic_auth(credentials.account_sid.c_str(), credentials.auth_token.c_str());
  std::string base = "/2010-04-01/Accounts/" + credentials.account_sid;

  auto bought =
      client.Post((base + "/IncomingPhoneNumbers.json").c_str(),
                  "AreaCode=212&FriendlyName=over%20http", "application/x-www-form-urlencoded");
  ASSERT_TRUE(bought);
  ASSERT_EQ(bought->status, 201) << bought->body;
  EXPECT_TRUE(is_hex_id(bought->get_header_value("Twilio-Request-Id"), "RQ"));
  json number = json::parse(bought->body);
  EXPECT_EQ(number.at("friendly_name"), "over http");
  std::string e164 = number.at("phone_number").get<std::string>();

  // "%2B" must reach the emulator as "+": decoded once, not twice (which would give a space).
  auto listed = client.Get(
      (base + "/IncomingPhoneNumbers.json?PhoneNumber=%2B" + e164.substr(1) + "&PageSize=5")
          .c_str());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200) << listed->body;
  json page = json::parse(listed->body);
  ASSERT_EQ(page.at("incoming_phone_numbers").size(), 1U);
  EXPECT_EQ(page.at("incoming_phone_numbers").front().at("phone_number"), e164);
  EXPECT_NE(listed->get_header_value("Content-Type").find("application/json"), std::string::npos);

  auto removed = client.Delete(
      (base + "/IncomingPhoneNumbers/" + number.at("sid").get<std::string>() + ".json").c_str());
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 204);

  httplib::Client stranger("127.0.0.1", port);
  stranger.set_basic_auth(credentials.account_sid.c_str(), "wrong");
  auto refused = stranger.Get((base + "/IncomingPhoneNumbers.json").c_str());
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(json::parse(refused->body).at("code"), 20003);

  // A second server cannot take the same port.
  vami::sandbox::ServeOptions same_port;
  same_port.port = port;
  try {
    vami::sandbox::serve(
        *emulator, same_port, [](int) {}, [] { return true; });
    ADD_FAILURE() << "served twice on port " << port;
  } catch (const vami::Error& e) {
    EXPECT_EQ(e.kind(), vami::ErrorKind::unavailable);
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << e.what();
  }
}

// Holds every request until `gate` of them are inside the emulator at once, so that a server
// with fewer workers than that fails the test (after a bound, instead of hanging).
class GatedEmulator final : public vami::sandbox::SandboxEmulator {
public:
  GatedEmulator(vami::sandbox::SandboxEmulator& inner, int gate) : m_inner(inner), m_gate(gate) {}

  HttpResponse handle(const HttpRequest& request) override {
    {
      std::unique_lock lock(m_mutex);
      m_peak = std::max(m_peak, ++m_in_flight);
      m_changed.notify_all();
      m_changed.wait_for(lock, std::chrono::seconds(20), [&] { return m_peak >= m_gate; });
    }
    HttpResponse response = m_inner.handle(request);
    std::lock_guard lock(m_mutex);
    --m_in_flight;
    return response;
  }
  [[nodiscard]] vami::sandbox::SandboxCredentials credentials() const override {
    return m_inner.credentials();
  }
  int start_stream_orchestrator(int port) override {
    return m_inner.start_stream_orchestrator(port);
  }
  std::vector<vami::sandbox::LoggedRequest>
  requests(const vami::sandbox::RequestLogFilter& filter) override {
    return m_inner.requests(filter);
  }
  void log_request(const HttpRequest& request, int status) override {
    m_inner.log_request(request, status);
  }
  vami::sandbox::SeededNumbers seed_synthflow_numbers(int count) override {
    return m_inner.seed_synthflow_numbers(count);
  }
  std::optional<vami::sandbox::FaultBody>
  fault_body(const std::string& path, const vami::sandbox::RejectedRequest& fault) override {
    return m_inner.fault_body(path, fault);
  }
  int peak() {
    std::lock_guard lock(m_mutex);
    return m_peak;
  }

private:
  vami::sandbox::SandboxEmulator& m_inner;
  int m_gate;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_in_flight = 0;
  int m_peak = 0;
};

TEST(SandboxServer, Handles64ConcurrentKeepAliveConnections) {
  constexpr int k_clients = 64;
  TempDir dir;
  auto emulator = vami::sandbox::open_sandbox(dir.path() / "state.db");
  auto credentials = emulator->credentials();
  GatedEmulator gated(*emulator, k_clients);
  RunningServer running(gated, {});
  std::string path =
      "/2010-04-01/Accounts/" + credentials.account_sid + "/IncomingPhoneNumbers.json";

  std::vector<std::future<std::vector<int>>> clients;
  for (int i = 0; i < k_clients; ++i) {
    clients.push_back(std::async(std::launch::async, [&] {
      httplib::Client client("127.0.0.1", running.port());
      client.set_keep_alive(true);
      client.set_read_timeout(60, 0);
      client.set_basic_auth(credentials.account_sid.c_str(), credentials.auth_token.c_str());
      std::vector<int> statuses;
      for (int request = 0; request < 2; ++request) { // the second one reuses the connection
        auto response = client.Get(path.c_str());
        statuses.push_back(response ? response->status : -static_cast<int>(response.error()));
      }
      return statuses;
    }));
  }
  for (auto& client : clients) {
    EXPECT_EQ(client.get(), (std::vector<int>{200, 200}));
  }
  EXPECT_GE(gated.peak(), k_clients);
}

} // namespace
