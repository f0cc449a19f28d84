// A stream agent's `<Connect><Stream url>`, followed by the sandbox (see
// sandbox_media_stream.hpp).

#include "sandbox/sandbox_media_stream.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "stream/emulator/orchestrator.hpp"

namespace vami::sandbox::media_stream {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_loopback_host(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

} // namespace

std::optional<Target> served_target(std::string_view url, std::optional<int> orchestrator_port) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme != "ws" && scheme != "wss") {
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const std::size_t path_start = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, path_start);
  std::string path(path_start == std::string_view::npos ? std::string_view("/")
                                                        : rest.substr(path_start));
  path = path.substr(0, path.find('#'));
  if (path.empty() || path[0] != '/') {
    path = "/" + path;
  }
  if (authority.find('@') != std::string_view::npos) {
    return std::nullopt;
  }
  // The host, and the port when one is given ("[::1]:8080", "127.0.0.1:8080", "name").
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  const std::string host = lower(has_port ? authority.substr(0, colon) : authority);
  std::optional<int> port;
  if (has_port) {
    int parsed = 0;
    const std::string_view digits = authority.substr(colon + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (error != std::errc() || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    port = parsed;
  }
  const std::string_view bare = std::string_view(path).substr(0, path.find('?'));
  const bool served_path =
      bare.rfind(orchestrator::k_path, 0) == 0 &&
      (bare.size() == orchestrator::k_path.size() || bare[orchestrator::k_path.size()] == '/');
  if (!served_path) {
    return std::nullopt;
  }
  const bool named = host == orchestrator::k_host;
  const bool local = scheme == "ws" && is_loopback_host(host) && port && orchestrator_port &&
                     *port == *orchestrator_port;
  if (!named && !local) {
    return std::nullopt;
  }
  return Target{std::string(authority), path};
}

Followed follow(orchestrator::Orchestrator& orchestrator, SQLite::Database& db, std::mutex& mutex,
                const std::string& url, const media_streams::StreamedCall& call) {
  Followed followed;
  followed.url = url;
  followed.parameters = call.parameters;
  std::optional<Target> target = served_target(url, orchestrator.port());
  if (!target) {
    return followed;
  }
  followed.contacted = true;
  int port = 0;
  try {
    port = orchestrator.start();
  } catch (const std::exception& e) {
    followed.error = e.what();
    return followed;
  }
  followed.address = "ws://127.0.0.1:" + std::to_string(port) + target->path;
  const media_streams::StreamResult result =
      media_streams::stream_call(target->host, port, target->path, call);
  followed.upgraded = result.upgraded;
  followed.stream_sid = result.stream_sid;
  followed.close_code = result.close_code;
  followed.error = result.error;
  if (!result.upgraded) {
    return followed;
  }
  std::optional<orchestrator::RecordedStream> recorded;
  {
    std::lock_guard lock(mutex);
    recorded = orchestrator::find_recorded(db, result.stream_sid);
  }
  if (!recorded) {
    if (followed.error.empty()) {
      followed.error = "the orchestrator recorded no stream " + result.stream_sid;
    }
    followed.parameters.clear();
    return followed;
  }
  followed.events = recorded->events;
  followed.media_messages = recorded->media_messages;
  followed.parameters = recorded->custom_parameters;
  if (followed.error.empty() && !recorded->error.empty()) {
    followed.error = "the orchestrator recorded: " + recorded->error;
  }
  return followed;
}

nlohmann::ordered_json to_json(const Followed& followed) {
  using Json = nlohmann::ordered_json;
  auto text_or_null = [](const std::string& text) { return text.empty() ? Json() : Json(text); };
  return Json{{"url", followed.url},
              {"followed", followed.contacted ? "websocket" : "twiml"},
              {"upgraded", followed.upgraded},
              {"address", text_or_null(followed.address)},
              {"stream_sid", followed.upgraded ? Json(followed.stream_sid) : Json()},
              {"events", followed.events},
              {"media_messages", followed.media_messages},
              {"close_code", followed.close_code ? Json(*followed.close_code) : Json()},
              {"error", text_or_null(followed.error)}};
}

} // namespace vami::sandbox::media_stream
