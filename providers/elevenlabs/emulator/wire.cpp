#include "elevenlabs/emulator/wire.hpp"

#include <algorithm>
#include <cctype>
#include <random>

namespace vami::sandbox::elevenlabs {

std::string random_text(std::string_view alphabet, std::size_t length) {
  // One generator per thread, seeded from the OS: ids must not repeat across processes sharing
  // a state file.
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out += alphabet[pick(engine)];
  }
  return out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool contains_ignoring_case(std::string_view text, std::string_view needle) {
  return to_lower(text).find(to_lower(needle)) != std::string::npos;
}

std::vector<std::string> all_params(const Params& params, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : params) {
    if (key == name) {
      values.push_back(value);
    }
  }
  return values;
}

// The first `limit` characters (code points) of the first line of `text`.
std::string first_line(std::string_view text, std::size_t limit) {
  text = text.substr(0, text.find('\n'));
  std::size_t characters = 0;
  std::size_t end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0U) != 0x80U && characters++ == limit) {
      break;
    }
  }
  std::string line(text.substr(0, end));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0) {
    line.pop_back();
  }
  return line;
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

// Cursors are opaque to clients: the hex of the sort key of the last item of a page.
std::string encode_cursor(std::string_view key) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    out += k_hex[byte >> 4U];
    out += k_hex[byte & 0xFU];
  }
  return out;
}

std::optional<std::string> decode_cursor(std::string_view cursor) {
  if (cursor.empty() || cursor.size() % 2 != 0) {
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < cursor.size(); i += 2) {
    int high = nibble(cursor[i]);
    int low = nibble(cursor[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = std::stoll(std::string(digits)); // 18 digits always fit in 64 bits
  return negative ? -value : value;
}

http::HttpResponse json_response(int status, const Json& body) {
  http::HttpResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

http::HttpResponse detail_error(int status, std::string_view code, const std::string& message) {
  Json detail;
  detail["status"] = code;
  detail["message"] = message;
  return json_response(status, Json{{"detail", detail}});
}

[[noreturn]] void fail(int status, std::string_view code, const std::string& message) {
  throw RequestFailure(detail_error(status, code, message));
}

void Validation::add(Json loc, std::string msg, std::string_view type) {
  Json error;
  error["loc"] = std::move(loc);
  error["msg"] = std::move(msg);
  error["type"] = type;
  m_errors.push_back(std::move(error));
}

void Validation::throw_if_any() const {
  if (!m_errors.empty()) {
    throw RequestFailure(json_response(422, Json{{"detail", m_errors}}));
  }
}

[[noreturn]] void reject(Json loc, std::string msg, std::string_view type) {
  Json error;
  error["loc"] = std::move(loc);
  error["msg"] = std::move(msg);
  error["type"] = type;
  throw RequestFailure(json_response(422, Json{{"detail", Json::array({std::move(error)})}}));
}

Json loc_of(Json base, const Json& member) {
  base.push_back(member);
  return base;
}

// The request's JSON object body, or a 422 as FastAPI gives for a missing, malformed or
// non-object body.
Json json_body(const http::HttpRequest& request, BodyPresence presence) {
  if (is_blank(request.body)) {
    if (presence == BodyPresence::optional) {
      return Json::object();
    }
    reject(Json::array({"body"}), "Field required", "missing");
  }
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    reject(Json::array({"body", 0}), "JSON decode error", "json_invalid");
  }
  if (!body.is_object()) {
    reject(Json::array({"body"}), k_not_an_object, "model_attributes_type");
  }
  return body;
}

// The string member `name` of `object`: nullopt when absent or (if allowed) null; an error is
// recorded when it is required and missing, or is of another type.
std::optional<std::string> string_member(const Json& object, const char* name, const Json& base,
                                         Validation& validation, Presence presence,
                                         Nullable nullable) {
  auto found = object.find(name);
  if (found == object.end()) {
    if (presence == Presence::required) {
      validation.add(loc_of(base, name), "Field required", "missing");
    }
    return std::nullopt;
  }
  if (found->is_null() && nullable == Nullable::yes) {
    return std::nullopt;
  }
  if (!found->is_string()) {
    validation.add(loc_of(base, name), "Input should be a valid string", "string_type");
    return std::nullopt;
  }
  return found->get<std::string>();
}

// `name` of the KB create bodies and multipart forms: at least one character.
void check_min_length(const std::optional<std::string>& value, const Json& loc,
                      Validation& validation) {
  if (value && value->empty()) {
    validation.add(loc, "String should have at least 1 character", "string_too_short");
  }
}

std::int64_t page_size_param(const Params& query, std::int64_t fallback, Validation& validation) {
  auto value = param(query, "page_size");
  if (!value) {
    return fallback;
  }
  Json loc = Json::array({"query", "page_size"});
  auto size = parse_integer(*value);
  if (!size) {
    validation.add(loc, "Input should be a valid integer, unable to parse string as an integer",
                   "int_parsing");
    return fallback;
  }
  if (*size < 1) {
    validation.add(loc, "Input should be greater than or equal to 1", "greater_than_equal");
  } else if (*size > k_max_page_size) {
    validation.add(loc, "Input should be less than or equal to 100", "less_than_equal");
  }
  return *size;
}

// pydantic's lax booleans.
std::optional<bool> bool_param(const Params& query, const char* name, Validation& validation) {
  auto value = param(query, name);
  if (!value) {
    return std::nullopt;
  }
  std::string text = to_lower(*value);
  for (const char* yes : {"true", "1", "yes", "on", "t", "y"}) {
    if (text == yes) {
      return true;
    }
  }
  for (const char* no : {"false", "0", "no", "off", "f", "n"}) {
    if (text == no) {
      return false;
    }
  }
  validation.add(Json::array({"query", name}),
                 "Input should be a valid boolean, unable to interpret input", "bool_parsing");
  return std::nullopt;
}

SortDirection sort_direction_param(const Params& query, Validation& validation) {
  auto value = param(query, "sort_direction");
  if (!value || *value == "desc") {
    return SortDirection::descending;
  }
  if (*value == "asc") {
    return SortDirection::ascending;
  }
  validation.add(Json::array({"query", "sort_direction"}), "Input should be 'asc' or 'desc'",
                 "enum");
  return SortDirection::descending;
}

// The decoded `cursor` query parameter; a 422 when a client made one up.
std::optional<std::string> cursor_param(const Params& query, Validation& validation) {
  auto value = param(query, "cursor");
  if (!value || value->empty()) {
    return std::nullopt;
  }
  auto key = decode_cursor(*value);
  if (!key) {
    validation.add(Json::array({"query", "cursor"}),
                   "Value error, the cursor is not one this API returned", "value_error");
  }
  return key;
}

Json access_info() {
  Json info;
  info["is_creator"] = true;
  info["creator_name"] = "vami sandbox";
  info["creator_email"] = "sandbox@vami.invalid";
  info["role"] = "admin";
  info["access_source"] = "creator";
  return info;
}

} // namespace vami::sandbox::elevenlabs
