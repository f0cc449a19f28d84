// The wire conventions every part of the Twilio emulator shares (see wire.hpp).

#include "twilio/emulator/wire.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

namespace vami::sandbox::twilio_wire {

std::string random_hex(std::size_t digits) {
  // One generator per thread, seeded from the OS: SIDs and request ids must not repeat across
  // processes sharing a state file.
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  while (out.size() < digits) {
    std::uint64_t value = engine();
    for (int i = 0; i < 16 && out.size() < digits; ++i) {
      out += k_hex[value & 0xFU];
      value >>= 4U;
    }
  }
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(std::string(text)); // 18 digits always fit in 64 bits
}

// What a number can do, by country and type (Twilio's `capabilities`, lower-case names as in
// the API document).
Json capabilities(std::string_view country, NumberType type) {
  bool messaging = country != "GB" || type == NumberType::mobile;
  bool mms = country != "GB";
  return Json{{"voice", true}, {"sms", messaging}, {"mms", mms}, {"fax", false}};
}

// "Local.json", "TollFree.json", "Mobile.json": the resource of a number type.
std::string resource_name(NumberType type) {
  switch (type) {
  case NumberType::toll_free:
    return "TollFree.json";
  case NumberType::mobile:
    return "Mobile.json";
  case NumberType::local:
    break;
  }
  return "Local.json";
}

std::optional<NumberType> typed_resource(std::string_view segment) {
  for (NumberType type : {NumberType::local, NumberType::toll_free, NumberType::mobile}) {
    if (segment == resource_name(type)) {
      return type;
    }
  }
  return std::nullopt;
}

Json nullable(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

http::HttpResponse json_response(int status, const Json& body) {
  http::HttpResponse response;
  response.status = status;
  // Bytes that are not UTF-8 (a FriendlyName, a mistyped path) are replaced rather than thrown
  // on, so that one bad value never makes a list unreadable.
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

// Twilio's error body: {"code", "message", "more_info", "status"}.
http::HttpResponse twilio_error(int status, int code, std::string message) {
  Json body;
  body["code"] = code;
  body["message"] = std::move(message);
  body["more_info"] = "https://www.twilio.com/docs/errors/" + std::to_string(code);
  body["status"] = status;
  return json_response(status, body);
}

http::HttpResponse not_authenticated() {
  return twilio_error(401, 20003, "Authenticate");
}

http::HttpResponse not_found(std::string_view path) {
  return twilio_error(404, 20404, "The requested resource " + std::string(path) + " was not found");
}

http::HttpResponse method_not_allowed() {
  return twilio_error(405, 20004, "Method not allowed");
}

std::optional<std::string> validated_friendly_name(const Params& params) {
  auto value = param(params, "FriendlyName");
  if (value && utf8_length(*value) > k_max_friendly_name) {
    throw RequestFailure(
        twilio_error(400, 20002, "FriendlyName is too long: it can be up to 64 characters"));
  }
  return value;
}

std::int64_t validated_page_size(const Params& params) {
  auto value = param(params, "PageSize");
  if (!value) {
    return k_default_page_size;
  }
  auto size = parse_integer(*value);
  if (!size || *size < 1) {
    throw RequestFailure(twilio_error(
        400, 20001, "PageSize must be an integer between 1 and 1000, got '" + *value + "'"));
  }
  return std::min(*size, k_max_page_size);
}

} // namespace vami::sandbox::twilio_wire
