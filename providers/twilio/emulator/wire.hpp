#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sandbox/sandbox_util.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/number.hpp>
#include <vami/providers/http_client.hpp>

// Private to the Twilio emulator: the wire conventions every part of it shares, in the shapes of
// `shared/specs/twilio_api_v2010.json`: Twilio's error body, its number-type resources, its
// paging parameters and the countries the sandbox sells in.

namespace vami::sandbox::twilio_wire {

/// JSON with members kept in insertion order, as Twilio writes them.
using Json = nlohmann::ordered_json;

/// The REST API version, the first segment of its paths.
inline constexpr std::string_view k_api_version = "2010-04-01";
/// The longest `FriendlyName` Twilio takes, in characters.
inline constexpr std::size_t k_max_friendly_name = 64;
/// Twilio's search returns at most 30 numbers.
inline constexpr std::size_t k_max_search_results = 30;
/// `PageSize` when none is given, and its maximum.
inline constexpr std::int64_t k_default_page_size = 50;
inline constexpr std::int64_t k_max_page_size = 1000;
/// The largest `Page` index taken.
inline constexpr std::int64_t k_max_page_index = 1'000'000'000;

/// A country the sandbox sells numbers in (inventory.hpp) and prices.
struct SandboxCountry {
  const char* iso;
  const char* name;
};
/// The countries the sandbox sells in, in the order it lists them.
inline constexpr std::array<SandboxCountry, 3> k_countries = {{
    {"US", "United States"},
    {"CA", "Canada"},
    {"GB", "United Kingdom"},
}};

/// `digits` random lower-case hex digits (SIDs, request ids): one generator per thread, seeded
/// from the OS, so that they do not repeat across processes sharing a state file.
[[nodiscard]] std::string random_hex(std::size_t digits);
/// `text` with ASCII letters upper-cased.
[[nodiscard]] std::string to_upper(std::string_view text);
/// The number of UTF-8 characters of `text` (bytes that do not continue a character).
[[nodiscard]] std::size_t utf8_length(std::string_view text);
/// Whether `text` ends with `suffix`.
[[nodiscard]] bool ends_with(std::string_view text, std::string_view suffix);
/// `text` as a non-negative integer of at most 18 digits; nullopt for anything else.
[[nodiscard]] std::optional<std::int64_t> parse_integer(std::string_view text);

/// What a number can do, by country and type (Twilio's `capabilities`: voice, sms, mms, fax).
[[nodiscard]] Json capabilities(std::string_view country, NumberType type);
/// "Local.json", "TollFree.json", "Mobile.json": the resource of a number type.
[[nodiscard]] std::string resource_name(NumberType type);
/// The number type of a resource named as `resource_name` names it; nullopt for others.
[[nodiscard]] std::optional<NumberType> typed_resource(std::string_view segment);
/// `text`, or JSON null when it is empty.
[[nodiscard]] Json nullable(const std::string& text);

/// A response of `status` with `body` as JSON (bytes that are not UTF-8 replaced).
[[nodiscard]] http::HttpResponse json_response(int status, const Json& body);
/// Twilio's error body: {"code", "message", "more_info", "status"}.
[[nodiscard]] http::HttpResponse twilio_error(int status, int code, std::string message);
/// 401, code 20003.
[[nodiscard]] http::HttpResponse not_authenticated();
/// 404, code 20404, naming `path`.
[[nodiscard]] http::HttpResponse not_found(std::string_view path);
/// 405, code 20004.
[[nodiscard]] http::HttpResponse method_not_allowed();

/// Thrown by the parameter checks below to answer with a Twilio error; `TwilioSandbox::handle`
/// catches it.
class RequestFailure {
public:
  explicit RequestFailure(http::HttpResponse response) : m_response(std::move(response)) {}
  http::HttpResponse& response() { return m_response; }

private:
  http::HttpResponse m_response;
};

/// The `FriendlyName` of `params`, if any.
/// @throws RequestFailure (400, 20002) when it is longer than `k_max_friendly_name` characters.
[[nodiscard]] std::optional<std::string> validated_friendly_name(const Params& params);
/// The `PageSize` of `params` (`k_default_page_size` when absent), capped at `k_max_page_size`.
/// @throws RequestFailure (400, 20001) when it is not a positive integer.
[[nodiscard]] std::int64_t validated_page_size(const Params& params);

} // namespace vami::sandbox::twilio_wire
