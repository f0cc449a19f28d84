// How Synthflow answers are turned into typed errors and read (synthflow_wire.hpp).
#include "synthflow_wire.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "http/error_body.hpp"

namespace vami::synthflow::detail {

namespace {

constexpr const char* k_auth_hint =
    "check SYNTHFLOW_API_KEY: Synthflow did not accept the key (wrong, revoked, of another "
    "workspace, or without access to this operation)";
constexpr const char* k_not_found_hint =
    "check the id; 'vami reconcile' compares the state database with Synthflow";
constexpr const char* k_invalid_hint = "correct what Synthflow named and try again";
constexpr const char* k_unavailable_hint =
    "retry later; Synthflow or the network between may be down";
constexpr const char* k_provider_hint = "check the request against Synthflow's API documentation";
constexpr const char* k_unexpected_hint =
    "check that VAMI_SYNTHFLOW_BASE_URL points at Synthflow (ending in /v2) or at the vami "
    "sandbox";

/// What an error body said. The contract documents `{"detail": {status, description,
/// request_id, category}}` (agents, calls), `{"error", "message"}` (logs) and leaves most error
/// bodies unspecified; FastAPI's `{"detail": "text"}` and `422 {"detail": [{loc, msg, type}]}`
/// are read too, and proxies in between may answer anything.
struct ErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
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
    if (body.message.empty()) {
      body.message = http::json_text_member(parsed, "description");
    }
    return body;
  }
  if (detail->is_string()) {
    body.message = detail->get<std::string>();
  } else if (detail->is_object()) {
    body.code = http::json_text_member(*detail, "status");
    if (body.code.empty()) {
      body.code = http::json_text_member(*detail, "category");
    }
    body.message = http::json_text_member(*detail, "description");
    if (body.message.empty()) {
      body.message = http::json_text_member(*detail, "message");
    }
    body.request_id = http::json_text_member(*detail, "request_id");
  } else if (detail->is_array()) {
    http::read_validation_errors(*detail, body.code, body.message);
  }
  return body;
}

ErrorKind classify(int status) {
  if (status == 429) {
    return ErrorKind::rate_limited;
  }
  if (status == 401 || status == 403) {
    return ErrorKind::auth;
  }
  if (status == 404) {
    return ErrorKind::not_found;
  }
  if (status == 400 || status == 422) {
    return ErrorKind::invalid_input;
  }
  if (status >= 500) {
    return ErrorKind::unavailable;
  }
  return ErrorKind::provider;
}

std::string hint_for(const Call& call, ErrorKind kind, std::optional<double> retry_after) {
  switch (kind) {
  case ErrorKind::auth:
    return k_auth_hint;
  case ErrorKind::not_found:
    return call.not_found_hint.empty() ? k_not_found_hint : call.not_found_hint;
  case ErrorKind::invalid_input:
    return call.bad_request_hint.empty() ? k_invalid_hint : call.bad_request_hint;
  case ErrorKind::rate_limited:
    if (retry_after) {
      return "Synthflow asked to slow down; retry in " +
             std::to_string(static_cast<long long>(*retry_after + 0.5)) + " s, as it asked";
    }
    return "Synthflow asked to slow down; retry in a moment";
  case ErrorKind::unavailable:
    return k_unavailable_hint;
  default:
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

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

[[noreturn]] void throw_response_error(const Call& call, const http::HttpResponse& response,
                                       const Secrets& secrets) {
  ErrorBody body = parse_error_body(response.body);
  body.code = scrub(body.code, secrets);
  body.message = scrub(body.message, secrets);
  ErrorKind kind = classify(response.status);
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
  std::string request_id =
      body.request_id.empty() ? response.header("x-request-id") : body.request_id;
  ProviderErrorDetail detail{k_provider_name, response.status, body.code, body.message, {},
                             request_id};
  Error error(kind, "cannot " + call.action + " at Synthflow: " + reason,
              hint_for(call, kind, retry_after), std::move(detail));
  if (retry_after) {
    error.set_retry_after_seconds(*retry_after);
  }
  throw error;
}

void ResponseReader::unexpected(const std::string& why) const {
  ProviderErrorDetail detail{
      k_provider_name, m_response.status, {}, why, {}, m_response.header("x-request-id")};
  throw Error(ErrorKind::provider,
              "cannot " + m_call.action + " at Synthflow: unexpected response (HTTP " +
                  std::to_string(m_response.status) + "): " + why,
              k_unexpected_hint, std::move(detail));
}

json ResponseReader::object() const {
  json parsed = json::parse(m_response.body, nullptr, false);
  if (parsed.is_discarded()) {
    unexpected("the body is not JSON");
  }
  if (!parsed.is_object()) {
    unexpected("the body is not a JSON object");
  }
  return parsed;
}

json ResponseReader::envelope() const {
  json body = object();
  return child(body, "response", Presence::optional);
}

const json* ResponseReader::member(const json& object, const char* name, Presence presence,
                                   const std::string& where) const {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (presence == Presence::required) {
      unexpected("'" + path(where, name) + "' is missing");
    }
    return nullptr;
  }
  return &*it;
}

std::string ResponseReader::text(const json& object, const char* name, Presence presence,
                                 const std::string& where) const {
  const json* value = member(object, name, presence, where);
  if (value == nullptr) {
    return {};
  }
  if (!value->is_string()) {
    unexpected("'" + path(where, name) + "' is not a string");
  }
  return value->get<std::string>();
}

std::int64_t ResponseReader::integer(const json& object, const char* name, Presence presence,
                                     const std::string& where) const {
  const json* value = member(object, name, presence, where);
  if (value == nullptr) {
    return 0;
  }
  if (value->is_number_integer()) {
    return value->get<std::int64_t>();
  }
  if (value->is_number_float()) {
    double number = value->get<double>();
    if (number == static_cast<double>(static_cast<std::int64_t>(number))) {
      return static_cast<std::int64_t>(number);
    }
  }
  unexpected("'" + path(where, name) + "' is not an integer");
}

const json& ResponseReader::child(const json& parent, const char* name, Presence presence,
                                  const std::string& where) const {
  static const json k_empty = json::object();
  const json* value = member(parent, name, presence, where);
  if (value == nullptr) {
    return k_empty;
  }
  if (!value->is_object()) {
    unexpected("'" + path(where, name) + "' is not an object");
  }
  return *value;
}

std::vector<json> ResponseReader::items(const json& object, const char* name, Presence presence,
                                        const std::string& where) const {
  const json* value = member(object, name, presence, where);
  if (value == nullptr) {
    return {};
  }
  if (value->is_object()) {
    return {*value};
  }
  if (!value->is_array()) {
    unexpected("'" + path(where, name) + "' is not an array");
  }
  return std::vector<json>(value->begin(), value->end());
}

std::vector<std::string> ResponseReader::strings(const json& object, const char* name,
                                                 const std::string& where) const {
  std::vector<std::string> out;
  std::size_t index = 0;
  for (const json& item : items(object, name, Presence::optional, where)) {
    if (!item.is_string()) {
      unexpected("'" + path(where, name) + "[" + std::to_string(index) + "]' is not a string");
    }
    out.push_back(item.get<std::string>());
    ++index;
  }
  return out;
}

void ResponseReader::expect_object(const json& value, const std::string& where) const {
  if (!value.is_object()) {
    unexpected("'" + where + "' is not an object");
  }
}

std::string ResponseReader::path(const std::string& where, const char* name) {
  return where.empty() ? std::string(name) : where + "." + name;
}

} // namespace vami::synthflow::detail
