#pragma once

// The wire conventions of the Synthflow Platform API (internal to providers/synthflow): how a
// request is named in messages, how a non-2xx answer becomes a typed `vami::Error`, and how a
// 2xx JSON body (`{status, response: {...}}`) is read field by field with an error that names
// the field. Follows ../shared/specs/synthflow_openapi.json.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::synthflow::detail {

using json = nlohmann::json;

/// The provider's name in errors and provider details.
inline constexpr const char* k_provider_name = "synthflow";

/// One provider request as the user would describe it, for error messages.
struct Call {
  std::string action;         ///< "create agent \"Front Desk\"", "list agents (page 2)".
  std::string not_found_hint; ///< What a 404 means for this call, when not the default.
  std::string
      bad_request_hint; ///< What to do about a 400 or 422 of this call, when not the default.
};

/// The strings that must never reach an error message (the API key).
using Secrets = std::vector<std::string>;

/// `text` with every non-empty secret of `secrets` replaced by "[REDACTED]".
[[nodiscard]] std::string scrub(std::string text, const Secrets& secrets);
/// `text` in double quotes.
[[nodiscard]] std::string in_quotes(std::string_view text);

/// Turns a non-2xx response into the typed error the rest of vami understands: 401 and 403 ->
/// auth, 404 -> not_found, 400 and 422 -> invalid_input (with the provider's message), 429 ->
/// rate_limited (with `Retry-After`), 5xx -> unavailable, others -> provider. The message says
/// what vami was doing ("cannot create agent \"X\" at Synthflow: ..."); the provider detail keeps
/// the HTTP status, the code (`detail.status` or `detail.category`, `error`, or the first 422
/// `type`), the message (`detail.description`, `detail` as text, `message`, FastAPI's
/// `detail[].msg` with its location) and the request id (`detail.request_id`, else the
/// `x-request-id` header). `secrets` are scrubbed from whatever the provider echoed.
[[noreturn]] void throw_response_error(const Call& call, const http::HttpResponse& response,
                                       const Secrets& secrets);

/// Reads a 2xx body, turning any departure from the documented shape into one clear error that
/// names the field (Error(provider), "unexpected response").
class ResponseReader {
public:
  /// Reads `response` of `call`; both must outlive the reader.
  ResponseReader(const Call& call, const http::HttpResponse& response)
      : m_call(call), m_response(response) {}

  /// Throws Error(provider) "cannot <action> at Synthflow: unexpected response (HTTP n): why".
  [[noreturn]] void unexpected(const std::string& why) const;

  /// The body as a JSON object.
  [[nodiscard]] json object() const;
  /// The `response` member of the body (Synthflow's envelope `{status, response}`); an absent
  /// or null one reads as an empty object.
  [[nodiscard]] json envelope() const;

  /// Whether a member must be there (and not null).
  enum class Presence { optional, required };

  /// The member `name` of `object`, or nullptr when absent or null (an error when required).
  /// `where` names `object` in the body ("response.assistants[2]"), empty for the body itself.
  [[nodiscard]] const json* member(const json& object, const char* name, Presence presence,
                                   const std::string& where) const;
  /// The string member `name` ("" when absent and optional).
  [[nodiscard]] std::string text(const json& object, const char* name, Presence presence,
                                 const std::string& where = {}) const;
  /// The integer member `name` (a whole number written as 1.0 too; 0 when absent and optional).
  [[nodiscard]] std::int64_t integer(const json& object, const char* name, Presence presence,
                                     const std::string& where = {}) const;
  /// The object member `name`; an absent or null one reads as an empty object unless required.
  [[nodiscard]] const json& child(const json& parent, const char* name, Presence presence,
                                  const std::string& where = {}) const;
  /// The items of the list member `name`: an array, or a single object read as a list of one
  /// (the contract types `GET /assistants/`'s `assistants` as one object although the service
  /// answers a list); absent or null reads as empty unless required.
  [[nodiscard]] std::vector<json> items(const json& object, const char* name, Presence presence,
                                        const std::string& where = {}) const;
  /// The array of strings `name` (empty when absent).
  [[nodiscard]] std::vector<std::string> strings(const json& object, const char* name,
                                                 const std::string& where = {}) const;
  /// Refuses `value` unless it is an object; `where` names it in the body.
  void expect_object(const json& value, const std::string& where) const;

  /// `where.name`, or `name` for the body itself.
  [[nodiscard]] static std::string path(const std::string& where, const char* name);

private:
  const Call& m_call;
  const http::HttpResponse& m_response;
};

} // namespace vami::synthflow::detail
