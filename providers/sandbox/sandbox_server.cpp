#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>
#include <sys/socket.h>

#include <vami/core/error.hpp>
#include <vami/providers/sandbox.hpp>

namespace vami::sandbox {

namespace {

// httplib gives each connection a worker for its whole life (keep-alive included), so the pool
// must be at least as large as the concurrency clients use (vami's bulk commands: up to 64).
constexpr std::size_t k_worker_threads = 128;
constexpr std::size_t k_keep_alive_max_requests = 1000;
constexpr auto k_stop_poll_interval = std::chrono::milliseconds(100);

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// httplib 0.11 listens with a backlog of 5: a burst of connections (a bulk command opening 64 at
// once) overflows the accept queue, and the kernel's retransmissions then delay requests past
// the read timeout. Calling listen() again on the bound socket raises the backlog.
class Server final : public httplib::Server {
public:
  void raise_backlog() { ::listen(svr_sock_, SOMAXCONN); }
};

std::string host_for_url(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

http::HttpRequest to_vami_request(const httplib::Request& request, const std::string& origin) {
  http::HttpRequest converted;
  converted.method = request.method;
  // The raw target keeps the query string exactly as the client encoded it ("%2B1212...");
  // rebuilding it from the decoded params is only a fallback.
  if (!request.target.empty()) {
    converted.url = origin + request.target;
  } else {
    converted.url = origin + request.path;
    if (!request.params.empty()) {
      std::vector<std::pair<std::string, std::string>> params(request.params.begin(),
                                                              request.params.end());
      converted.url += "?" + http::form_encode(params);
    }
  }
  for (const auto& [name, value] : request.headers) {
    converted.headers.emplace_back(name, value);
  }
  converted.body = request.body;
  return converted;
}

void copy_response(const http::HttpResponse& from, httplib::Response& to) {
  to.status = from.status;
  std::string content_type = from.header("Content-Type");
  for (const auto& [name, value] : from.headers) {
    if (!iequals(name, "Content-Type") && !iequals(name, "Content-Length")) {
      to.set_header(name, value);
    }
  }
  if (from.body.empty()) {
    if (!content_type.empty()) {
      to.set_header("Content-Type", content_type);
    }
  } else {
    to.set_content(from.body, content_type.empty() ? "application/json" : content_type);
  }
}

} // namespace

void serve(SandboxEmulator& emulator, const ServeOptions& options,
           const std::function<void(int port)>& on_listening,
           const std::function<bool()>& stop_requested) {
  Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(k_worker_threads); };
  server.set_keep_alive_max_count(k_keep_alive_max_requests);
  // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs add about 40 ms to every response.
  server.set_tcp_nodelay(true);
  // httplib's default options add SO_REUSEPORT, which would let a second server share a port
  // that is in use; SO_REUSEADDR alone still allows a quick restart on the same port.
  server.set_socket_options([](socket_t socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  errno = 0;
  int port = options.port;
  bool bound = port == 0 ? (port = server.bind_to_any_port(options.host)) > 0
                         : server.bind_to_port(options.host, port);
  if (!bound) {
    int error = errno;
    throw Error(ErrorKind::unavailable,
                "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                    (error != 0 ? std::strerror(error) : "the address cannot be bound"),
                "choose another port with --port, or 0 for any free port");
  }

  server.raise_backlog();

  const std::string origin = "http://" + host_for_url(options.host) + ":" + std::to_string(port);
  const auto latency = std::chrono::milliseconds(options.latency_ms);
  auto handler = [&](const httplib::Request& request, httplib::Response& response) {
    http::HttpResponse answer;
    try {
      answer = emulator.handle(to_vami_request(request, origin));
    } catch (const std::exception& e) {
      // handle() answers bad requests itself; this is a last resort that keeps the server up.
      answer.status = 500;
      answer.headers.emplace_back("Content-Type", "application/json");
      answer.body = R"({"code":20500,"message":"Internal Server Error","more_info":)"
                    R"("https://www.twilio.com/docs/errors/20500","status":500})";
    }
    if (latency.count() > 0) {
      std::this_thread::sleep_for(latency);
    }
    copy_response(answer, response);
  };
  const std::string any_path = ".*";
  server.Get(any_path, handler);
  server.Post(any_path, handler);
  server.Put(any_path, handler);
  server.Patch(any_path, handler);
  server.Delete(any_path, handler);
  server.Options(any_path, handler);

  on_listening(port);

  // httplib's stop() does nothing before the accept loop runs, so the watcher keeps polling
  // until the server is running, stops it once, and leaves when listen returns.
  std::mutex mutex;
  std::condition_variable finished_changed;
  bool finished = false;
  std::atomic<bool> stopped{false};
  std::thread watcher([&] {
    std::unique_lock lock(mutex);
    while (!finished_changed.wait_for(lock, k_stop_poll_interval, [&] { return finished; })) {
      if (!stopped && server.is_running() && stop_requested()) {
        stopped = true;
        server.stop();
      }
    }
  });
  bool clean = server.listen_after_bind();
  {
    std::lock_guard lock(mutex);
    finished = true;
  }
  finished_changed.notify_all();
  watcher.join();
  if (!clean && !stopped) {
    throw Error(ErrorKind::unavailable,
                "the sandbox server on " + options.host + ":" + std::to_string(port) +
                    " stopped unexpectedly",
                "start it again");
  }
}

} // namespace vami::sandbox
