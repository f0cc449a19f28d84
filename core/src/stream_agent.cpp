#include <algorithm>
#include <cctype>
#include <set>

#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/stream_agent.hpp>

namespace vami {

namespace {

constexpr std::size_t k_max_parameter_name_bytes = 64;
constexpr std::string_view k_reserved_prefix = "vami_";
/// vami's own settings `stream_call_parameters` may add.
constexpr std::size_t k_own_parameters = 9;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

} // namespace

void validate_stream_url(const std::string& url) {
  const std::string hint = "give the orchestrator's WebSocket URL, as wss://host/path";
  if (url.size() > k_max_stream_url_bytes) {
    throw Error(ErrorKind::invalid_input,
                "the stream URL is " + std::to_string(url.size()) + " bytes; the limit is " +
                    std::to_string(k_max_stream_url_bytes),
                hint);
  }
  if (url.find_first_of(" \t\r\n\"'<>&") != std::string::npos || has_control_character(url)) {
    throw Error(ErrorKind::invalid_input,
                "the stream URL '" + url + "' holds a space, a quote, '<', '>' or '&'",
                "percent-encode them (RFC 3986)");
  }
  const std::string scheme = lower(url.substr(0, url.find("://")));
  const bool secure = scheme == "wss";
  if ((!secure && scheme != "ws") || url.find("://") == std::string::npos) {
    throw Error(ErrorKind::invalid_input, "the stream URL '" + url + "' is not a WebSocket URL",
                hint);
  }
  // The host rules of http(s) URLs are those of ws(s) (RFC 6455 section 3).
  const std::string as_http = (secure ? "https" : "http") + url.substr(scheme.size());
  if (url_host(as_http).empty()) {
    throw Error(ErrorKind::invalid_input, "the stream URL '" + url + "' has no host", hint);
  }
  if (!secure && !is_loopback_url(as_http)) {
    throw Error(ErrorKind::invalid_input,
                "the stream URL '" + url + "' is plain ws:// to another machine",
                "use wss:// (ws:// is accepted on this machine only)");
  }
}

void require_reachable_stream_url(const std::string& url, StreamReach reach,
                                  const std::string& agent_slug) {
  if (reach == StreamReach::sandbox) {
    return;
  }
  // validate_stream_url has checked the scheme; the host rules are those of http(s) URLs.
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return;
  }
  const std::string as_http =
      (lower(url.substr(0, scheme_end)) == "wss" ? "https" : "http") + url.substr(scheme_end);
  const std::string host = url_host(as_http);
  auto ends_with = [&host](std::string_view suffix) {
    return host.size() >= suffix.size() &&
           host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::string what;
  if (host == "sandbox.vami.invalid") {
    what = "the sandbox's orchestrator";
  } else if (host == "invalid" || ends_with(".invalid")) {
    what = "a name that never resolves (.invalid)";
  } else if (is_loopback_url(as_http) || ends_with(".localhost") || host == "0.0.0.0") {
    what = "on this machine";
  } else {
    return;
  }
  throw Error(ErrorKind::invalid_input,
              "the stream URL '" + url + "' is " + what +
                  ", which Twilio can never reach: the Twilio account in use is a real one, not "
                  "the sandbox",
              agent_slug.empty()
                  ? "give your orchestrator's public URL (--stream-url wss://HOST/PATH); the "
                    "sandbox's orchestrator and this machine's URLs work with the sandbox only"
                  : "point agent \"" + agent_slug +
                        "\" at your orchestrator's public URL first ('vami agents update " +
                        agent_slug + " --stream-url wss://HOST/PATH'), then assign again");
}

StreamParameter parse_stream_parameter(std::string_view key_value) {
  const std::size_t equals = key_value.find('=');
  if (equals == std::string_view::npos) {
    throw Error(ErrorKind::invalid_input,
                "the parameter '" + std::string(key_value) + "' has no '='",
                "give it as --param KEY=VALUE");
  }
  StreamParameter parameter{std::string(key_value.substr(0, equals)),
                            std::string(key_value.substr(equals + 1))};
  const std::string& name = parameter.first;
  const bool name_ok = !name.empty() && name.size() <= k_max_parameter_name_bytes &&
                       std::all_of(name.begin(), name.end(), [](unsigned char c) {
                         return std::isalnum(c) != 0 || c == '_' || c == '.' || c == '-';
                       });
  if (!name_ok) {
    throw Error(ErrorKind::invalid_input, "the parameter name '" + name + "' is not allowed",
                "use 1 to 64 letters, digits, '_', '.' or '-'");
  }
  if (lower(name).rfind(k_reserved_prefix, 0) == 0) {
    throw Error(ErrorKind::invalid_input,
                "the parameter name '" + name +
                    "' starts with 'vami_', which vami's own "
                    "settings use",
                "choose another name");
  }
  const std::string& value = parameter.second;
  if (value.size() > k_max_stream_parameter_value_bytes) {
    throw Error(ErrorKind::invalid_input,
                "the value of parameter '" + name + "' is " + std::to_string(value.size()) +
                    " bytes; the limit is " + std::to_string(k_max_stream_parameter_value_bytes));
  }
  if (!is_valid_utf8(value) || has_control_character(value)) {
    throw Error(ErrorKind::invalid_input, "the value of parameter '" + name +
                                              "' is not valid UTF-8 or holds a control character");
  }
  return parameter;
}

void validate_stream_parameters(const std::vector<StreamParameter>& parameters) {
  std::set<std::string> seen;
  for (const auto& [name, value] : parameters) {
    (void)parse_stream_parameter(name + "=" + value);
    if (!seen.insert(name).second) {
      throw Error(ErrorKind::invalid_input, "the parameter '" + name + "' is given twice",
                  "give each --param once");
    }
  }
  if (parameters.size() + k_own_parameters > k_max_stream_parameters) {
    throw Error(ErrorKind::invalid_input,
                std::to_string(parameters.size()) + " parameters are too many",
                "give at most " + std::to_string(k_max_stream_parameters - k_own_parameters));
  }
}

std::vector<StreamParameter> stream_call_parameters(const Agent& agent,
                                                    const std::string& call_sid) {
  std::vector<StreamParameter> parameters;
  auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) {
      parameters.emplace_back(name, value);
    }
  };
  add("vami_tenant", agent.tenant_slug);
  add("vami_agent", agent.slug);
  add("vami_agent_id", agent.provider_agent_id);
  add("vami_agent_name", agent.name);
  add("vami_greeting", agent.first_message);
  add("vami_voice", agent.voice_id);
  add("vami_language", agent.language);
  add("vami_personality", agent.personality ? to_string(*agent.personality) : "");
  add("vami_call_sid", call_sid);
  parameters.insert(parameters.end(), agent.stream_parameters.begin(),
                    agent.stream_parameters.end());
  return parameters;
}

} // namespace vami
