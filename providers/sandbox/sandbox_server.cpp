#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "sandbox/sandbox_call_schedule.hpp"
#include "sandbox/sandbox_faults.hpp"
#include "sandbox/sandbox_util.hpp"
#include "twilio/emulator/inventory.hpp"
#include <httplib.h>
#include <netdb.h>
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
// Outside every provider's paths, so that no emulated API can collide with it.
constexpr std::string_view k_stats_path = "/__sandbox/stats";

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
  // httplib parses a multipart/form-data body into `files` and leaves `body` empty: encode the
  // parts again, so that the emulator reads the request as the client sent it.
  const bool reencode = request.body.empty() && request.is_multipart_form_data();
  std::vector<http::MultipartPart> parts;
  if (reencode) {
    for (const auto& [field, part] : request.files) {
      parts.push_back({part.name, part.filename, part.content_type, part.content});
    }
  }
  http::MultipartBody multipart = reencode ? http::multipart_encode(parts) : http::MultipartBody{};
  for (const auto& [name, value] : request.headers) {
    if (reencode && (iequals(name, "Content-Type") || iequals(name, "Content-Length"))) {
      continue;
    }
    converted.headers.emplace_back(name, value);
  }
  if (reencode) {
    converted.headers.emplace_back("Content-Type", multipart.content_type);
    converted.body = std::move(multipart.body);
  } else {
    converted.body = request.body;
  }
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

// Wakes every handler that is waiting (latency, a held connection) once the server stops, so
// that stopping never waits for a sleep to end.
class StopSignal {
public:
  void raise() {
    {
      std::lock_guard lock(m_mutex);
      m_raised = true;
    }
    m_changed.notify_all();
  }
  void wait_for(std::chrono::milliseconds duration) {
    if (duration.count() <= 0) {
      return;
    }
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, duration, [&] { return m_raised; });
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  bool m_raised = false;
};

enum class SocketEnd { local, peer };

// One end of a socket as httplib describes it (numeric host, port).
std::optional<std::pair<std::string, int>> endpoint(int fd, SocketEnd end) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  auto* generic = reinterpret_cast<sockaddr*>(&address); // the sockets API's own idiom
  int failed = end == SocketEnd::peer ? ::getpeername(fd, generic, &length)
                                      : ::getsockname(fd, generic, &length);
  if (failed != 0) {
    return std::nullopt;
  }
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (::getnameinfo(generic, length, host, sizeof host, service, sizeof service,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return std::nullopt;
  }
  return std::pair<std::string, int>(host, std::atoi(service));
}

// Ends the request's connection with no response: the client sees the connection closed
// before any byte of an answer, as when a response is lost on the way. httplib gives a handler
// no access to its socket, so the descriptor is found by its two ends: the one socket of this
// process whose local end is the request's local address and whose peer is the client. Only
// shutdown() is called; httplib's write then fails and it closes the descriptor itself.
bool cut_connection(const httplib::Request& request) {
  const std::pair<std::string, int> local(request.local_addr, request.local_port);
  const std::pair<std::string, int> remote(request.remote_addr, request.remote_port);
  std::error_code error;
  for (std::filesystem::directory_iterator entry("/dev/fd", error), last; !error && entry != last;
       entry.increment(error)) {
    std::string name = entry->path().filename().string();
    int fd = -1;
    auto [parsed, failure] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (failure != std::errc() || parsed != name.data() + name.size()) {
      continue;
    }
    if (endpoint(fd, SocketEnd::local) == local && endpoint(fd, SocketEnd::peer) == remote) {
      ::shutdown(fd, SHUT_RDWR);
      return true;
    }
  }
  return false;
}

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

void answer_json(httplib::Response& response, int status, const std::string& body) {
  response.status = status;
  response.set_content(body, "application/json");
}

http::HttpResponse internal_error() {
  // handle() answers bad requests itself; this is a last resort that keeps the server up.
  http::HttpResponse answer;
  answer.status = 500;
  answer.headers.emplace_back("Content-Type", "application/json");
  answer.body = R"({"code":20500,"message":"Internal Server Error","more_info":)"
                R"("https://www.twilio.com/docs/errors/20500","status":500})";
  return answer;
}

} // namespace

ServeStats serve(SandboxEmulator& emulator, const ServeOptions& options,
                 const std::function<void(int port)>& on_listening,
                 const std::function<bool()>& stop_requested) {
  FaultPlanner planner(options, FaultPlanner::Clock::now()); // validates before binding
  StopSignal stopping;
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
  std::optional<CallSchedule> schedule;
  if (options.call_rate > 0) {
    schedule.emplace(emulator, origin, options.call_rate);
  }
  auto current_stats = [&] {
    ServeStats stats = planner.stats();
    if (schedule) {
      schedule->add_to(stats);
    }
    return stats;
  };
  auto act = [&](const httplib::Request& request) {
    try {
      return emulator.handle(to_vami_request(request, origin));
    } catch (const std::exception&) {
      return internal_error();
    }
  };
  auto handler = [&](const httplib::Request& request, httplib::Response& response) {
    if (request.path == k_stats_path) {
      // Never counted and never faulted: reading the stats must not change them.
      if (!is_loopback(request.remote_addr)) {
        answer_json(response, 403, R"({"message":"the sandbox stats are for loopback clients"})");
      } else if (request.method != "GET") {
        answer_json(response, 405, R"({"message":"use GET"})");
      } else {
        answer_json(response, 200, stats_json(current_stats()));
      }
      return;
    }
    const auto arrived = std::chrono::steady_clock::now();
    const FaultPlan plan = planner.plan(FaultPlanner::Clock::now());
    std::optional<int> sent;
    struct Finish {
      FaultPlanner& planner;
      const FaultPlan& plan;
      std::optional<int>& sent;
      ~Finish() { planner.finish(plan, sent); }
    } finish{planner, plan, sent};

    http::HttpResponse answer;
    if (plan.action == FaultAction::reject) {
      answer = fault_response(plan, emulator.fault_body(request.path, rejected_request(plan)));
      // The emulator never saw it; the request log still shows what it carried.
      emulator.log_request(to_vami_request(request, origin), answer.status);
    } else if (plan.action == FaultAction::refuse) {
      emulator.log_request(to_vami_request(request, origin), 0);
    } else {
      answer = act(request);
    }
    // The latency is the provider's time to answer, the emulator's own work included: a slow
    // state file must not make the "provider" slower than asked.
    stopping.wait_for(plan.latency - std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - arrived));
    if (plan.action == FaultAction::hang) {
      stopping.wait_for(planner.hang_time());
    }
    if (plan.action == FaultAction::refuse || plan.action == FaultAction::drop ||
        plan.action == FaultAction::hang) {
      if (cut_connection(request)) {
        return;
      }
      // Not expected (the socket of a request being handled is open): a 500 at least keeps the
      // fault from passing as a success.
      answer = internal_error();
    }
    copy_response(answer, response);
    sent = answer.status;
  };
  const std::string any_path = ".*";
  server.Get(any_path, handler);
  server.Post(any_path, handler);
  server.Put(any_path, handler);
  server.Patch(any_path, handler);
  server.Delete(any_path, handler);
  server.Options(any_path, handler);

  warm_up_inventory();
  on_listening(port);
  if (schedule) {
    schedule->start();
  }

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
        // Scheduled calls in flight may wait on a router that asks this server (register-call).
        if (schedule) {
          schedule->stop();
        }
        stopping.raise();
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
  if (schedule) {
    schedule->stop();
  }
  if (!clean && !stopped) {
    throw Error(ErrorKind::unavailable,
                "the sandbox server on " + options.host + ":" + std::to_string(port) +
                    " stopped unexpectedly",
                "start it again");
  }
  return current_stats();
}

} // namespace vami::sandbox
