#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "libcurl_api.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

/// What the server saw of one request.
struct Seen {
  std::string method;
  std::string path;
  std::string query_page;
  std::string body;
  std::string content_type;
  std::string content_length;
  std::string user_agent;
  std::string accept_encoding;
  std::string custom;
  int remote_port = -1;
};

/// A cpp-httplib server on 127.0.0.1 and an ephemeral port, recording every request.
class LoopbackServer {
public:
  LoopbackServer() {
    // Each keep-alive connection holds a worker: leave room for all the client's threads.
    m_server.new_task_queue = [] { return new httplib::ThreadPool(16); };
    m_server.set_keep_alive_max_count(1000);
    // Without it the server's separate header and body writes meet delayed ACKs (40 ms each).
    m_server.set_tcp_nodelay(true);

    auto record = [this](const httplib::Request& request, httplib::Response& response) {
      Seen seen;
      seen.method = request.method;
      seen.path = request.path;
      seen.query_page = request.get_param_value("page");
      seen.body = request.body;
      seen.content_type = request.get_header_value("Content-Type");
      seen.content_length = request.get_header_value("Content-Length");
      seen.user_agent = request.get_header_value("User-Agent");
      seen.accept_encoding = request.get_header_value("Accept-Encoding");
      seen.custom = request.get_header_value("X-Custom");
      seen.remote_port = request.remote_port;
      {
        std::lock_guard lock(m_mutex);
        m_seen.push_back(seen);
      }
      response.set_header("X-Reply", "yes");
      response.set_content("echo:" + request.method + ":" + request.body, "text/plain");
    };
    m_server.Get("/echo", record);
    m_server.Post("/echo", record);
    m_server.Patch("/echo", record);
    m_server.Delete("/echo", record);
    m_server.Get("/fail", [](const httplib::Request&, httplib::Response& response) {
      response.status = 500;
      response.set_content(R"({"message": "boom"})", "application/json");
    });
    m_server.Get("/redirect", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/echo", 302);
    });
    m_server.Get("/slow", [](const httplib::Request&, httplib::Response& response) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
      response.set_content("late", "text/plain");
    });

    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    for (int i = 0; i < 5000 && !m_server.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  ~LoopbackServer() {
    m_server.stop();
    m_thread.join();
  }

  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
  }

  [[nodiscard]] std::vector<Seen> seen() const {
    std::lock_guard lock(m_mutex);
    return m_seen;
  }

  [[nodiscard]] bool running() const { return m_server.is_running(); }

private:
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
  mutable std::mutex m_mutex;
  std::vector<Seen> m_seen;
};

/// A port on 127.0.0.1 that nothing listens on: bound once by us, then closed.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return -1;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

class CurlHttpClientTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(m_server.running()) << "the loopback server did not start"; }

  std::unique_ptr<HttpClient> client(long total_timeout_ms = 10'000) const {
    HttpClientOptions options;
    options.connect_timeout_ms = 5'000;
    options.total_timeout_ms = total_timeout_ms;
    options.user_agent = "vami-test/1.0";
    return make_curl_http_client(options);
  }

  LoopbackServer m_server;
};

TEST_F(CurlHttpClientTest, GetSendsHeadersAndNoBody) {
  auto http = client();
  HttpRequest request;
  request.url = m_server.url("/echo?page=7");
  request.headers = {{"X-Custom", "custom value"}};
  HttpResponse response = http->send(request);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "echo:GET:");
  EXPECT_EQ(response.header("x-reply"), "yes");
  EXPECT_EQ(response.header("Content-Type"), "text/plain");
  auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, "/echo");
  EXPECT_EQ(seen[0].query_page, "7");
  EXPECT_EQ(seen[0].custom, "custom value");
  EXPECT_EQ(seen[0].user_agent, "vami-test/1.0");
  EXPECT_FALSE(seen[0].accept_encoding.empty()) << "compressed responses are accepted";
  EXPECT_EQ(seen[0].body, "");
}

TEST_F(CurlHttpClientTest, PostSendsTheBodyAndItsType) {
  auto http = client();
  HttpRequest request;
  request.method = "POST";
  request.url = m_server.url("/echo");
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = "PhoneNumber=%2B12125550101&FriendlyName=vami";
  HttpResponse response = http->send(request);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "echo:POST:" + request.body);
  auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, request.body);
  EXPECT_EQ(seen[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].content_length, std::to_string(request.body.size()));
}

TEST_F(CurlHttpClientTest, LargePostBodyArrivesWhole) {
  auto http = client();
  HttpRequest request;
  request.method = "POST";
  request.url = m_server.url("/echo");
  request.headers = {{"Content-Type", "application/json"}};
  request.body = std::string(200'000, 'a') + "end";
  HttpResponse response = http->send(request);
  EXPECT_EQ(response.status, 200);
  auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].body, request.body);
}

TEST_F(CurlHttpClientTest, PatchAndDeleteCarryTheirBodies) {
  auto http = client();
  HttpRequest patch;
  patch.method = "PATCH";
  patch.url = m_server.url("/echo");
  patch.headers = {{"Content-Type", "application/json"}};
  patch.body = R"({"agent_id": null})";
  EXPECT_EQ(http->send(patch).body, "echo:PATCH:" + patch.body);

  HttpRequest remove;
  remove.method = "DELETE";
  remove.url = m_server.url("/echo");
  remove.body = "reason=test";
  EXPECT_EQ(http->send(remove).body, "echo:DELETE:reason=test");

  HttpRequest plain_delete;
  plain_delete.method = "DELETE";
  plain_delete.url = m_server.url("/echo");
  EXPECT_EQ(http->send(plain_delete).body, "echo:DELETE:");

  auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].method, "PATCH");
  EXPECT_EQ(seen[0].body, patch.body);
  EXPECT_EQ(seen[1].method, "DELETE");
  EXPECT_EQ(seen[1].body, "reason=test");
  EXPECT_EQ(seen[2].method, "DELETE");
  EXPECT_EQ(seen[2].content_type, "") << "a DELETE without a body has no Content-Type";
}

TEST_F(CurlHttpClientTest, HeadReturnsHeadersOnly) {
  auto http = client();
  HttpRequest request;
  request.method = "HEAD";
  request.url = m_server.url("/echo");
  HttpResponse response = http->send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(response.header("X-Reply"), "yes");
}

TEST_F(CurlHttpClientTest, ServerErrorIsAResponseNotAnException) {
  auto http = client();
  HttpRequest request;
  request.url = m_server.url("/fail");
  HttpResponse response = http->send(request);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"message": "boom"})");
  EXPECT_EQ(response.header("Content-Type"), "application/json");
}

TEST_F(CurlHttpClientTest, DoesNotFollowRedirects) {
  auto http = client();
  HttpRequest request;
  request.url = m_server.url("/redirect");
  HttpResponse response = http->send(request);
  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(response.header("Location"), "/echo");
  EXPECT_TRUE(m_server.seen().empty()) << "the redirect target was requested";
}

TEST_F(CurlHttpClientTest, RefusedConnectionIsUnavailableWithoutTheQuery) {
  int port = closed_port();
  ASSERT_GT(port, 0);
  auto http = client();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/things?token=query-secret";
  try {
    (void)http->send(request);
    FAIL() << "expected Error(unavailable)";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::unavailable);
    std::string message = error.what();
    EXPECT_THAT(message,
                HasSubstr("GET http://127.0.0.1:" + std::to_string(port) + "/v1/things failed: "));
    EXPECT_THAT(message, Not(HasSubstr("query-secret")));
    EXPECT_EQ(error.hint(), "check the network and the base URL, then retry");
  }
}

TEST_F(CurlHttpClientTest, CredentialsInTheUrlStayOutOfTheMessage) {
  int port = closed_port();
  ASSERT_GT(port, 0);
  auto http = client();
  HttpRequest request;
  request.method = "POST";
  request.url = "http://user:url-password@127.0.0.1:" + std::to_string(port) + "/x";
  try {
    (void)http->send(request);
    FAIL() << "expected Error(unavailable)";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::unavailable);
    EXPECT_THAT(std::string(error.what()), Not(HasSubstr("url-password")));
    EXPECT_THAT(std::string(error.what()), HasSubstr("POST http://127.0.0.1:"));
  }
}

TEST_F(CurlHttpClientTest, SlowServerTimesOutAsUnavailable) {
  auto http = client(200);
  HttpRequest request;
  request.url = m_server.url("/slow");
  try {
    (void)http->send(request);
    FAIL() << "expected Error(unavailable)";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::unavailable);
    EXPECT_THAT(std::string(error.what()), HasSubstr("/slow failed: "));
  }
}

TEST_F(CurlHttpClientTest, SequentialRequestsReuseOneConnection) {
  auto http = client();
  HttpRequest request;
  request.url = m_server.url("/echo");
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(http->send(request).status, 200);
  }
  std::set<int> ports;
  for (const auto& seen : m_server.seen()) {
    ASSERT_GT(seen.remote_port, 0) << "the server did not report the client's port";
    ports.insert(seen.remote_port);
  }
  ASSERT_EQ(m_server.seen().size(), 10U);
  EXPECT_EQ(ports.size(), 1U) << "every request opened its own connection";
}

TEST_F(CurlHttpClientTest, ManyThreadsShareTheClientAndItsConnections) {
  constexpr int k_threads = 8;
  constexpr int k_requests_per_thread = 20;
  auto http = client();
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_requests_per_thread; ++i) {
        HttpRequest request;
        request.method = "POST";
        request.url = m_server.url("/echo");
        request.body = "thread=" + std::to_string(t) + "&i=" + std::to_string(i);
        try {
          HttpResponse response = http->send(request);
          if (response.status == 200 && response.body == "echo:POST:" + request.body) {
            ++succeeded;
          }
        } catch (const Error&) {
          // Counted as a failure by the assertion below.
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(succeeded.load(), k_threads * k_requests_per_thread);

  auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(k_threads * k_requests_per_thread));
  std::set<int> ports;
  for (const auto& one : seen) {
    ASSERT_GT(one.remote_port, 0) << "the server did not report the client's port";
    ports.insert(one.remote_port);
  }
  EXPECT_LT(ports.size(), seen.size()) << "connections were not reused";
  EXPECT_LE(ports.size(), static_cast<std::size_t>(2 * k_threads));
}

// libcurl is loaded with dlopen on first use; a machine without it must get a message that says
// what is missing and how to install it, not a dynamic loader failure at start-up.
TEST(LibcurlLoader, MissingLibraryIsAProviderErrorWithAnInstallHint) {
  try {
    (void)load_libcurl_api("libvami-no-such-curl.so.4");
    FAIL() << "expected Error(provider)";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::provider);
    EXPECT_THAT(std::string(error.what()),
                HasSubstr("cannot load libcurl (libvami-no-such-curl.so.4: cannot open shared "
                          "object file"));
    EXPECT_EQ(error.hint(), "install it with 'apt-get install libcurl4'");
  }
}

TEST(LibcurlLoader, LibraryWithoutTheFunctionsIsAProviderError) {
  // A library that loads but is not libcurl: the first function looked up is missing.
  try {
    (void)load_libcurl_api("libc.so.6");
    FAIL() << "expected Error(provider)";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::provider);
    EXPECT_EQ(std::string(error.what()), "cannot use libcurl (libc.so.6 has no curl_global_init)");
    EXPECT_EQ(error.hint(), "install it with 'apt-get install libcurl4'");
  }
}

TEST(LibcurlLoader, InstalledLibraryProvidesEveryFunction) {
  LibcurlApi api = load_libcurl_api(k_libcurl_soname);
  EXPECT_NE(api.global_init, nullptr);
  EXPECT_NE(api.easy_init, nullptr);
  EXPECT_NE(api.easy_setopt, nullptr);
  EXPECT_NE(api.easy_perform, nullptr);
  EXPECT_NE(api.easy_getinfo, nullptr);
  EXPECT_NE(api.easy_reset, nullptr);
  EXPECT_NE(api.easy_cleanup, nullptr);
  EXPECT_NE(api.slist_append, nullptr);
  EXPECT_NE(api.slist_free_all, nullptr);
  ASSERT_NE(api.easy_strerror, nullptr);
  // Resolved to libcurl's own functions, not to something else of the same name.
  EXPECT_STREQ(api.easy_strerror(CURLE_COULDNT_CONNECT), "Couldn't connect to server");
}

} // namespace
} // namespace vami::http
