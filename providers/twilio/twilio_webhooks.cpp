// Twilio's request validation (X-Twilio-Signature) and the TwiML the router answers with.
// The algorithm follows the official SDKs (twilio-python request_validator.py, twilio-node
// webhooks.ts, twilio-java RequestValidator.java, twilio-go request_validator.go); the notes in
// shared/notes/calls-facts.md section 1 quote them.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/crypto.hpp"

#include <vami/core/document_file.hpp>
#include <vami/providers/twilio_webhooks.hpp>

namespace vami::twilio {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Decodes one name or value of a form body; nullopt on a bad escape.
std::optional<std::string> form_decode_part(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size() || hex_digit(text[i + 1]) < 0 || hex_digit(text[i + 2]) < 0) {
        return std::nullopt;
      }
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code = byte & 0x1Fu;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code = byte & 0x0Fu;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code = byte & 0x07u;
    } else {
      return false;
    }
    if (i + length > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return false;
      }
      code = (code << 6) | (next & 0x3Fu);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if ((length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
        (length == 4 && code < 0x10000) || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// Where the host and port of an absolute http(s) URL are: [host_begin, port_colon) is the host,
// [port_colon, authority_end) the ":port" (empty when none).
struct Authority {
  bool https = false;
  std::size_t host_begin = 0;
  std::size_t port_colon = 0;
  std::size_t authority_end = 0;
};

std::optional<Authority> find_authority(std::string_view url) {
  Authority found;
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    return std::nullopt;
  }
  found.https = scheme == "https";
  std::size_t begin = scheme_end + 3;
  std::size_t end = url.find_first_of("/?#", begin);
  if (end == std::string_view::npos) {
    end = url.size();
  }
  std::string_view authority = url.substr(begin, end - begin);
  std::size_t at = authority.rfind('@');
  found.host_begin = at == std::string_view::npos ? begin : begin + at + 1;
  found.authority_end = end;
  std::string_view host_port = url.substr(found.host_begin, end - found.host_begin);
  std::size_t search_from = 0;
  if (!host_port.empty() && host_port.front() == '[') {
    std::size_t bracket = host_port.find(']');
    search_from = bracket == std::string_view::npos ? host_port.size() : bracket;
  }
  std::size_t colon = host_port.find(':', search_from);
  found.port_colon = colon == std::string_view::npos ? end : found.host_begin + colon;
  return found;
}

// The `bodySHA256` value of the URL's query string, if the query has one.
std::optional<std::string> body_sha256_param(std::string_view url) {
  std::size_t question = url.find('?');
  if (question == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view query = url.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == "bodySHA256") {
      return std::string(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

} // namespace

ParsedForm parse_form(std::string_view body, std::size_t max_params) {
  ParsedForm parsed;
  while (!body.empty()) {
    std::size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) {
      continue; // "a=1&&b=2": browsers and Twilio's parsers skip empty pairs
    }
    if (parsed.params.size() >= max_params) {
      parsed.error = FormError::too_many;
      return parsed;
    }
    std::size_t eq = pair.find('=');
    std::optional<std::string> name = form_decode_part(pair.substr(0, eq));
    std::optional<std::string> value = eq == std::string_view::npos
                                           ? std::optional<std::string>(std::string())
                                           : form_decode_part(pair.substr(eq + 1));
    if (!name || !value) {
      parsed.error = FormError::bad_escape;
      return parsed;
    }
    if (name->empty()) {
      parsed.error = FormError::empty_name;
      return parsed;
    }
    if (!valid_utf8(*name) || !valid_utf8(*value)) {
      parsed.error = FormError::not_utf8;
      return parsed;
    }
    parsed.params.emplace_back(std::move(*name), std::move(*value));
  }
  return parsed;
}

std::string form_value(const FormParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

std::string signature_base(std::string_view url, const FormParams& params) {
  // Sorted by name, then value: equal to sorting each name's distinct values under it (the
  // SDKs' multi-value rule). Sorting the concatenated name+value strings instead is the bug
  // twilio-go tests against ("Reason" must come before "ReasonConferenceEnded").
  FormParams sorted = params;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string base(url);
  for (const auto& [name, value] : sorted) {
    base += name;
    base += value;
  }
  return base;
}

std::string compute_signature(std::string_view auth_token, std::string_view url,
                              const FormParams& params) {
  return http::base64_encode(http::hmac_sha1(auth_token, signature_base(url, params)));
}

std::string body_sha256(std::string_view body) {
  return sha256_hex(body);
}

std::string url_without_port(std::string_view url) {
  std::optional<Authority> authority = find_authority(url);
  if (!authority || authority->port_colon == authority->authority_end) {
    return std::string(url);
  }
  return std::string(url.substr(0, authority->port_colon)) +
         std::string(url.substr(authority->authority_end));
}

std::string url_with_default_port(std::string_view url) {
  std::optional<Authority> authority = find_authority(url);
  if (!authority || authority->port_colon != authority->authority_end) {
    return std::string(url);
  }
  return std::string(url.substr(0, authority->authority_end)) +
         (authority->https ? ":443" : ":80") + std::string(url.substr(authority->authority_end));
}

bool validate_signature(std::string_view auth_token, std::string_view url, const FormParams& params,
                        std::string_view raw_body, std::string_view signature) {
  if (auth_token.empty() || signature.empty()) {
    return false;
  }
  static const FormParams k_none;
  const FormParams* signed_params = &params;
  if (std::optional<std::string> expected_hash = body_sha256_param(url)) {
    // A JSON body: the URL alone is signed, and the body is bound by its hash.
    if (!http::same_secret_text(body_sha256(raw_body), *expected_hash)) {
      return false;
    }
    signed_params = &k_none;
  }
  bool valid = false;
  // Every form is computed and compared, so the time taken does not tell which one matched.
  for (const std::string& candidate :
       {std::string(url), url_without_port(url), url_with_default_port(url)}) {
    valid = http::same_secret_text(compute_signature(auth_token, candidate, *signed_params),
                                   signature) ||
            valid;
  }
  return valid;
}

IncomingCall incoming_call(const FormParams& params) {
  IncomingCall call;
  call.call_sid = form_value(params, "CallSid");
  call.account_sid = form_value(params, "AccountSid");
  call.from = form_value(params, "From");
  call.to = form_value(params, "To");
  call.direction = form_value(params, "Direction");
  call.call_status = form_value(params, "CallStatus");
  return call;
}

CallRecord status_callback_call(const FormParams& params) {
  CallRecord call;
  call.source = CallSource::router;
  call.call_sid = form_value(params, "CallSid");
  call.direction = parse_call_direction(form_value(params, "Direction"));
  call.status = parse_call_status(form_value(params, "CallStatus"));
  const bool inbound = !call.direction || *call.direction == CallDirection::inbound;
  call.number = form_value(params, inbound ? "To" : "From");
  call.caller = form_value(params, inbound ? "From" : "To");
  const std::string duration = form_value(params, "CallDuration");
  std::int64_t seconds = 0;
  auto [end, error] = std::from_chars(duration.data(), duration.data() + duration.size(), seconds);
  if (!duration.empty() && error == std::errc() && end == duration.data() + duration.size() &&
      seconds >= 0) {
    call.duration_seconds = seconds;
  }
  return call;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
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
    case '\'':
      out += "&apos;";
      break;
    default:
      // XML 1.0 allows no control characters but tab, newline and carriage return.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        out += ' ';
      } else {
        out += c;
      }
    }
  }
  return out;
}

namespace {
constexpr std::string_view k_xml_declaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";
} // namespace

std::string twiml_reject() {
  return std::string(k_xml_declaration) + R"(<Response><Reject reason="rejected"/></Response>)";
}

std::string twiml_say_and_hang_up(std::string_view message) {
  return std::string(k_xml_declaration) + "<Response><Say>" + xml_escape(message) +
         "</Say><Hangup/></Response>";
}

std::string
twiml_connect_stream(std::string_view url,
                     const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string twiml = std::string(k_xml_declaration) + "<Response><Connect><Stream url=\"" +
                      xml_escape(url) + "\">";
  for (const auto& [name, value] : parameters) {
    twiml += "<Parameter name=\"" + xml_escape(name) + "\" value=\"" + xml_escape(value) + "\"/>";
  }
  return twiml + "</Stream></Connect></Response>";
}

bool looks_like_twiml(std::string_view document) {
  return document.find("<Response") != std::string_view::npos;
}

} // namespace vami::twilio
