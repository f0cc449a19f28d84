#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include <nlohmann/json.hpp>

#include <vami/providers/http_client.hpp>

// Private to the sandbox emulator: the wire conventions every part of its ElevenLabs half
// shares (agents, knowledge base, phone numbers, conversations), in the shapes of
// `shared/specs/elevenlabs_openapi.json`: `{"detail": {status, message}}` for the service's own
// refusals, pydantic's `HTTPValidationError` (422) for invalid requests, opaque cursors.

namespace vami::sandbox::elevenlabs {

/// JSON with members kept in insertion order, as the service writes them.
using Json = nlohmann::ordered_json;

/// `page_size` default of the cursor-paged lists (agents, documents, conversations).
inline constexpr std::int64_t k_default_page_size = 30;
/// `page_size` maximum of every paged list.
inline constexpr std::int64_t k_max_page_size = 100;
/// The alphabets of generated ids.
inline constexpr std::string_view k_lower_alnum = "0123456789abcdefghijklmnopqrstuvwxyz";
inline constexpr std::string_view k_alnum =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// pydantic's message for a value that should have been an object.
inline constexpr const char* k_not_an_object =
    "Input should be a valid dictionary or object to extract fields from";

// -- Text ---------------------------------------------------------------------------------------

/// `length` characters drawn at random from `alphabet` (a per-thread generator seeded from the
/// OS, so ids do not repeat across processes sharing a state file).
[[nodiscard]] std::string random_text(std::string_view alphabet, std::size_t length);
/// ASCII lower case.
[[nodiscard]] std::string to_lower(std::string_view text);
/// Whether `needle` occurs in `text`, ignoring ASCII case.
[[nodiscard]] bool contains_ignoring_case(std::string_view text, std::string_view needle);
/// Every value of the (repeatable) parameter `name`, in order.
[[nodiscard]] std::vector<std::string> all_params(const Params& params, std::string_view name);
/// The first `limit` characters (code points) of the first line of `text`, right-trimmed.
[[nodiscard]] std::string first_line(std::string_view text, std::size_t limit);
/// Whether `text` is empty or only white space.
[[nodiscard]] bool is_blank(std::string_view text);
/// `text` with `&`, `<`, `>` and `"` escaped for HTML.
[[nodiscard]] std::string html_escape(std::string_view text);
/// A base-10 integer of at most 18 digits with an optional `-`; nullopt for anything else.
[[nodiscard]] std::optional<std::int64_t> parse_integer(std::string_view text);

// -- Cursors ------------------------------------------------------------------------------------

/// An opaque cursor for the sort key `key` of a page's last item (lower-case hex of its bytes).
[[nodiscard]] std::string encode_cursor(std::string_view key);
/// The key of a cursor `encode_cursor` made; nullopt for one it did not make.
[[nodiscard]] std::optional<std::string> decode_cursor(std::string_view cursor);

// -- Responses and errors -----------------------------------------------------------------------

/// A response with `body` serialised (invalid UTF-8 replaced); the caller adds the headers.
[[nodiscard]] http::HttpResponse json_response(int status, const Json& body);
/// `{"detail": {"status": code, "message": message}}` with HTTP status `status`.
[[nodiscard]] http::HttpResponse detail_error(int status, std::string_view code,
                                              const std::string& message);

/// Thrown to answer a request with an error response; the emulator's `handle` catches it.
class RequestFailure {
public:
  /// Answers with `response`.
  explicit RequestFailure(http::HttpResponse response) : m_response(std::move(response)) {}
  /// The response to send.
  http::HttpResponse& response() { return m_response; }

private:
  http::HttpResponse m_response;
};

/// Throws a `detail_error(status, code, message)`.
[[noreturn]] void fail(int status, std::string_view code, const std::string& message);

/// Collects pydantic-style errors so that one 422 names every bad field, as FastAPI does.
class Validation {
public:
  /// Records an error at `loc` (e.g. `["query", "page_size"]`) of pydantic type `type`.
  void add(Json loc, std::string msg, std::string_view type);
  /// Throws a 422 `{"detail": [errors...]}` when any error was recorded.
  void throw_if_any() const;

private:
  Json m_errors = Json::array();
};

/// Throws a 422 with the one error `{loc, msg, type}`.
[[noreturn]] void reject(Json loc, std::string msg, std::string_view type);
/// `base` with `member` appended (a location one level deeper).
[[nodiscard]] Json loc_of(Json base, const Json& member);

// -- Request bodies -----------------------------------------------------------------------------

/// Whether a request must carry a body.
enum class BodyPresence { required, optional };
/// Whether a member may be JSON null.
enum class Nullable { no, yes };
/// Whether a member must be present.
enum class Presence { required, optional };

/// The request's JSON object body; a 422 as FastAPI gives for a missing (when required),
/// malformed or non-object body. An absent optional body is `{}`.
[[nodiscard]] Json json_body(const http::HttpRequest& request, BodyPresence presence);
/// The string member `name` of `object`: nullopt when absent or (if allowed) null; an error at
/// `base + name` is recorded when it is required and missing, or is of another type.
[[nodiscard]] std::optional<std::string> string_member(const Json& object, const char* name,
                                                       const Json& base, Validation& validation,
                                                       Presence presence,
                                                       Nullable nullable = Nullable::no);
/// Records `string_too_short` at `loc` when `value` is present and empty (`minLength: 1`).
void check_min_length(const std::optional<std::string>& value, const Json& loc,
                      Validation& validation);

// -- Query parameters ---------------------------------------------------------------------------

/// `page_size` (1..100), `fallback` when absent; errors recorded as pydantic words them.
[[nodiscard]] std::int64_t page_size_param(const Params& query, std::int64_t fallback,
                                           Validation& validation);
/// A boolean parameter in pydantic's lax forms (true/1/yes/on/t/y, false/0/no/off/f/n).
[[nodiscard]] std::optional<bool> bool_param(const Params& query, const char* name,
                                             Validation& validation);

/// `SortDirection` of the API document.
enum class SortDirection { descending, ascending };
/// `sort_direction` (`asc` or `desc`, default `desc`).
[[nodiscard]] SortDirection sort_direction_param(const Params& query, Validation& validation);
/// The decoded `cursor` parameter (nullopt when absent or empty); an error when a client made
/// one up.
[[nodiscard]] std::optional<std::string> cursor_param(const Params& query, Validation& validation);

// -- Shared response members --------------------------------------------------------------------

/// `ResourceAccessInfo` of everything the sandbox's one user created.
[[nodiscard]] Json access_info();

} // namespace vami::sandbox::elevenlabs
