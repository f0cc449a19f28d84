// How ElevenLabs answers are turned into typed errors (elevenlabs_wire.hpp).
#include "elevenlabs_wire.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "http/error_body.hpp"

namespace vami::elevenlabs::detail {

namespace {

/// ElevenLabs' `detail.status` of the two kinds of 429.
constexpr std::string_view k_concurrency_code = "too_many_concurrent_requests";
constexpr std::string_view k_busy_code = "system_busy";

constexpr const char* k_auth_hint =
    "check ELEVENLABS_API_KEY: ElevenLabs did not accept the key (wrong, revoked or of another "
    "account)";
constexpr const char* k_forbidden_hint =
    "check that the key in ELEVENLABS_API_KEY may use the Agents Platform (its permissions in "
    "the ElevenLabs settings)";
constexpr const char* k_not_found_hint =
    "check the id; 'vami reconcile' compares the state database with ElevenLabs";
constexpr const char* k_invalid_hint = "correct the fields ElevenLabs named and try again";
constexpr const char* k_unavailable_hint =
    "retry later; ElevenLabs or the network between may be down";
constexpr const char* k_provider_hint = "check the request against ElevenLabs' API documentation";
constexpr const char* k_unexpected_hint =
    "check that VAMI_ELEVENLABS_BASE_URL points at ElevenLabs or at the vami sandbox";

/// What an error body said. ElevenLabs writes `{"detail": {"status": ..., "message": ...}}`,
/// `{"detail": "text"}`, `422 {"detail": [{loc, msg, type}]}`, and on a few older endpoints
/// `{"error": ..., "message": ...}`; proxies in between may answer anything.
struct ErrorBody {
  std::string code;
  std::string message;
  bool is_json = false;
};

ErrorBody parse_error_body(const std::string& text) {
  ErrorBody body;
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    return body;
  }
  body.is_json = true;
  if (!parsed.is_object()) {
    return body;
  }
  auto detail = parsed.find("detail");
  if (detail == parsed.end()) {
    body.code = http::json_text_member(parsed, "error");
    body.message = http::json_text_member(parsed, "message");
    return body;
  }
  if (detail->is_string()) {
    body.message = detail->get<std::string>();
  } else if (detail->is_object()) {
    body.code = http::json_text_member(*detail, "status");
    if (body.code.empty()) {
      body.code = http::json_text_member(*detail, "code");
    }
    body.message = http::json_text_member(*detail, "message");
  } else if (detail->is_array()) {
    http::read_validation_errors(*detail, body.code, body.message);
  }
  return body;
}

ErrorKind classify(const Call& call, int status, std::string_view code) {
  if (status == 429 || code == k_concurrency_code || code == k_busy_code) {
    return ErrorKind::rate_limited;
  }
  if (status == 401) {
    return ErrorKind::auth;
  }
  if (status == 404) {
    return ErrorKind::not_found;
  }
  if (status == 422) {
    return ErrorKind::invalid_input;
  }
  if (status == 409) {
    return ErrorKind::conflict; // already imported, document still in use
  }
  if (status >= 500) {
    return ErrorKind::unavailable;
  }
  if (status == 400) {
    return call.bad_request_kind;
  }
  return ErrorKind::provider;
}

std::string rate_limit_hint(std::string_view code, std::optional<double> retry_after) {
  std::string when = "in a moment";
  if (retry_after) {
    when = "in " + std::to_string(static_cast<long long>(*retry_after + 0.5)) +
           " s, as ElevenLabs asked";
  }
  if (code == k_concurrency_code) {
    return "the account's limit of concurrent requests was reached; send fewer requests at once "
           "and retry " +
           when;
  }
  if (code == k_busy_code) {
    return "ElevenLabs is busy; retry " + when;
  }
  return "ElevenLabs asked to slow down; retry " + when;
}

std::string hint_for(const Call& call, ErrorKind kind, int status, std::string_view code,
                     std::optional<double> retry_after) {
  switch (kind) {
  case ErrorKind::auth:
    return k_auth_hint;
  case ErrorKind::not_found:
    return call.not_found_hint.empty() ? k_not_found_hint : call.not_found_hint;
  case ErrorKind::invalid_input:
    return call.bad_request_hint.empty() ? k_invalid_hint : call.bad_request_hint;
  case ErrorKind::rate_limited:
    return rate_limit_hint(code, retry_after);
  case ErrorKind::unavailable:
    return k_unavailable_hint;
  default:
    if (status == 403) {
      return k_forbidden_hint;
    }
    if (status == 400 && !call.bad_request_hint.empty()) {
      return call.bad_request_hint;
    }
    return k_provider_hint;
  }
}

} // namespace

std::string scrub(std::string text, const Secrets& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + 10)) {
      text.replace(pos, secret.size(), "[REDACTED]");
    }
  }
  return text;
}

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}
std::string request_id_of(const http::HttpResponse& response) {
  std::string id = response.header("request-id");
  return id.empty() ? response.header("x-request-id") : id;
}

/// Turns a non-2xx response into the typed error the rest of vami understands.
[[noreturn]] void throw_response_error(const Call& call, const http::HttpResponse& response,
                                       const Secrets& secrets) {
  ErrorBody body = parse_error_body(response.body);
  body.code = scrub(body.code, secrets);
  body.message = scrub(body.message, secrets);
  ErrorKind kind = classify(call, response.status, body.code);
  std::optional<double> retry_after = http::parse_retry_after(response.header("Retry-After"));

  std::string status = "HTTP " + std::to_string(response.status);
  std::string reason;
  if (!body.message.empty()) {
    reason = body.message + " (" + status + (body.code.empty() ? "" : ", " + body.code) + ")";
  } else {
    reason = status;
    if (!body.code.empty()) {
      reason += " (" + body.code + ")";
    } else if (!body.is_json && !http::trim_whitespace(response.body).empty()) {
      reason += " with a body that is not JSON";
    }
  }
  std::string message = "cannot " + call.action + " at ElevenLabs: " + reason;

  ProviderErrorDetail detail{k_provider_name,        response.status, body.code, body.message, {},
                             request_id_of(response)};
  std::string hint = hint_for(call, kind, response.status, body.code, retry_after);
  Error error(kind, std::move(message), std::move(hint), std::move(detail));
  if (retry_after) {
    error.set_retry_after_seconds(*retry_after);
  }
  throw error;
}

/// Reads a 2xx body, turning any departure from the documented shape into one clear error that

} // namespace vami::elevenlabs::detail
