#pragma once

// The wire conventions every ElevenLabs client of vami shares (internal to providers/elevenlabs):
// how a request is named in messages, how a non-2xx answer becomes a typed `vami::Error`, and
// how a 2xx JSON body is read field by field with an error that names the field.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::elevenlabs::detail {

using json = nlohmann::json;

/// The provider's name in errors and provider details.
inline constexpr const char* k_provider_name = "elevenlabs";
/// What to check when a 2xx answer is not what the API document describes.
inline constexpr const char* k_unexpected_hint =
    "check that VAMI_ELEVENLABS_BASE_URL points at ElevenLabs or at the vami sandbox";

/// One provider request as the user would describe it, for error messages.
struct Call {
  std::string action;         ///< "create agent \"Dr Smith\"", "list agents (page 2)".
  std::string not_found_hint; ///< What a 404 means for this call, when not the default.
  /// How a 400 is classed: the import of a number the Twilio account does not own is the
  /// user's mistake (invalid_input), other 400s are the provider's refusal.
  ErrorKind bad_request_kind = ErrorKind::provider;
  /// What to do about a 400 or 422 of this call, when not the default.
  std::string bad_request_hint;
};

/// The strings that must never reach an error message: the API key and the Twilio credentials
/// handed to ElevenLabs. A provider message may echo what it was sent.
using Secrets = std::vector<std::string>;

/// `text` with every non-empty secret of `secrets` replaced by "[REDACTED]".
[[nodiscard]] std::string scrub(std::string text, const Secrets& secrets);
/// `url` without trailing slashes.
[[nodiscard]] std::string without_trailing_slashes(std::string url);
/// `text` in double quotes.
[[nodiscard]] std::string in_quotes(std::string_view text);
/// The `request-id` (else `x-request-id`) header of a response; empty when neither is present.
[[nodiscard]] std::string request_id_of(const http::HttpResponse& response);
/// Turns a non-2xx response into the typed error the rest of vami understands (see
/// `make_elevenlabs_provider`): the kind from the status and `detail.status`, a message saying
/// what vami was doing, the provider's code, message and request id, `Retry-After`; `secrets`
/// are scrubbed from whatever the provider echoed.
[[noreturn]] void throw_response_error(const Call& call, const http::HttpResponse& response,
                                       const Secrets& secrets);

/// Reads a 2xx body, turning any departure from the documented shape into one clear error that
/// names the field (Error(provider), "unexpected response").
class ResponseReader {
public:
  /// Reads `response` of `call`; both must outlive the reader.
  ResponseReader(const Call& call, const http::HttpResponse& response)
      : m_call(call), m_response(response) {}

  /// Throws Error(provider) "cannot <action> at ElevenLabs: unexpected response (HTTP n): why".
  [[noreturn]] void unexpected(const std::string& why) const {
    ProviderErrorDetail detail{k_provider_name,          m_response.status, {}, why, {},
                               request_id_of(m_response)};
    throw Error(ErrorKind::provider,
                "cannot " + m_call.action + " at ElevenLabs: unexpected response (HTTP " +
                    std::to_string(m_response.status) + "): " + why,
                k_unexpected_hint, std::move(detail));
  }

  /// The body as JSON of any kind.
  [[nodiscard]] json parse() const {
    json parsed = json::parse(m_response.body, nullptr, false);
    if (parsed.is_discarded()) {
      unexpected("the body is not JSON");
    }
    return parsed;
  }

  /// The body as a JSON object.
  [[nodiscard]] json object() const {
    json parsed = parse();
    if (!parsed.is_object()) {
      unexpected("the body is not a JSON object");
    }
    return parsed;
  }

  /// Whether a member must be there (and not null).
  enum class Presence { optional, required };

  /// The member `name` of `object`, or nullptr when absent or null (an error when required).
  /// `where` names `object` in the body ("agents[2]"), empty for the body itself.
  [[nodiscard]] const json* member(const json& object, const char* name, Presence presence,
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

  /// The string member `name` ("" when absent and optional).
  [[nodiscard]] std::string text(const json& object, const char* name, Presence presence,
                                 const std::string& where = {}) const {
    const json* value = member(object, name, presence, where);
    if (value == nullptr) {
      return {};
    }
    if (!value->is_string()) {
      unexpected("'" + path(where, name) + "' is not a string");
    }
    return value->get<std::string>();
  }

  /// The integer member `name` (a whole number written as 1.0 too; 0 when absent and optional).
  [[nodiscard]] std::int64_t integer(const json& object, const char* name, Presence presence,
                                     const std::string& where = {}) const {
    const json* value = member(object, name, presence, where);
    if (value == nullptr) {
      return 0;
    }
    if (value->is_number_integer()) {
      return value->get<std::int64_t>();
    }
    // A whole number written as 1716153600.0 is still the documented integer.
    if (value->is_number_float()) {
      double number = value->get<double>();
      if (number == static_cast<double>(static_cast<std::int64_t>(number))) {
        return static_cast<std::int64_t>(number);
      }
    }
    unexpected("'" + path(where, name) + "' is not an integer");
  }

  /// The boolean member `name` (false when absent and optional).
  [[nodiscard]] bool boolean(const json& object, const char* name, Presence presence,
                             const std::string& where = {}) const {
    const json* value = member(object, name, presence, where);
    if (value == nullptr) {
      return false;
    }
    if (!value->is_boolean()) {
      unexpected("'" + path(where, name) + "' is not a boolean");
    }
    return value->get<bool>();
  }

  /// The object member `name`; an absent or null one reads as an empty object unless required.
  [[nodiscard]] const json& child(const json& parent, const char* name, Presence presence,
                                  const std::string& where = {}) const {
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

  /// The array member `name`; an absent or null one reads as empty unless required.
  [[nodiscard]] const json& array(const json& object, const char* name, Presence presence,
                                  const std::string& where = {}) const {
    static const json k_empty = json::array();
    const json* value = member(object, name, presence, where);
    if (value == nullptr) {
      return k_empty;
    }
    if (!value->is_array()) {
      unexpected("'" + path(where, name) + "' is not an array");
    }
    return *value;
  }

  /// The array of strings `name` (empty when absent).
  [[nodiscard]] std::vector<std::string> strings(const json& object, const char* name,
                                                 const std::string& where = {}) const {
    std::vector<std::string> out;
    std::size_t index = 0;
    for (const json& item : array(object, name, Presence::optional, where)) {
      if (!item.is_string()) {
        unexpected("'" + path(where, name) + "[" + std::to_string(index) + "]' is not a string");
      }
      out.push_back(item.get<std::string>());
      ++index;
    }
    return out;
  }

  /// Refuses `value` unless it is an object; `where` names it in the body.
  void expect_object(const json& value, const std::string& where) const {
    if (!value.is_object()) {
      unexpected("'" + where + "' is not an object");
    }
  }

protected:
  /// `where.name`, or `name` for the body itself.
  static std::string path(const std::string& where, const char* name) {
    return where.empty() ? std::string(name) : where + "." + name;
  }

private:
  const Call& m_call;
  const http::HttpResponse& m_response;
};

} // namespace vami::elevenlabs::detail
