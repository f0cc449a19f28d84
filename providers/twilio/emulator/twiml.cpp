// What the sandbox makes of TwiML (see twiml.hpp).

#include "twilio/emulator/twiml.hpp"

#include <cstdint>

#include "sandbox/sandbox_util.hpp"

#include <vami/providers/http_client.hpp>

namespace vami::sandbox::twiml {

namespace {

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x110000) {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// The position of the element `<name` (followed by white space, `/` or `>`) at or after `from`.
std::size_t find_element(std::string_view document, std::string_view name, std::size_t from = 0) {
  const std::string open = "<" + std::string(name);
  for (std::size_t at = document.find(open, from); at != std::string_view::npos;
       at = document.find(open, at + 1)) {
    const std::size_t after = at + open.size();
    if (after >= document.size()) {
      return std::string_view::npos;
    }
    const char next = document[after];
    if (next == ' ' || next == '/' || next == '>' || next == '\t' || next == '\n' || next == '\r') {
      return at;
    }
  }
  return std::string_view::npos;
}

// The start tag beginning at `at` (through its `>`), or empty.
std::string_view start_tag(std::string_view document, std::size_t at) {
  const std::size_t end = document.find('>', at);
  return end == std::string_view::npos ? std::string_view() : document.substr(at, end - at + 1);
}

// The value of attribute `name` of a start tag, unescaped; nullopt when absent.
std::optional<std::string> attribute(std::string_view tag, std::string_view name) {
  for (std::size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
    if (at == 0 || (tag[at - 1] != ' ' && tag[at - 1] != '\t' && tag[at - 1] != '\n')) {
      continue;
    }
    std::size_t cursor = at + name.size();
    while (cursor < tag.size() && tag[cursor] == ' ') {
      ++cursor;
    }
    if (cursor >= tag.size() || tag[cursor] != '=') {
      continue;
    }
    ++cursor;
    while (cursor < tag.size() && tag[cursor] == ' ') {
      ++cursor;
    }
    if (cursor >= tag.size() || (tag[cursor] != '"' && tag[cursor] != '\'')) {
      continue;
    }
    const char quote = tag[cursor];
    const std::size_t close = tag.find(quote, cursor + 1);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    return xml_unescape(tag.substr(cursor + 1, close - cursor - 1));
  }
  return std::nullopt;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

} // namespace

std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t semicolon = text.find(';', i);
    if (semicolon == std::string_view::npos || semicolon - i > 10) {
      out += text[i];
      continue;
    }
    const std::string_view entity = text.substr(i + 1, semicolon - i - 1);
    std::optional<std::uint32_t> code;
    if (entity == "amp") {
      code = '&';
    } else if (entity == "lt") {
      code = '<';
    } else if (entity == "gt") {
      code = '>';
    } else if (entity == "quot") {
      code = '"';
    } else if (entity == "apos") {
      code = '\'';
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::uint32_t value = 0;
      bool valid = entity.size() > (hex ? 2U : 1U);
      for (char c : entity.substr(hex ? 2 : 1)) {
        int digit = -1;
        if (c >= '0' && c <= '9') {
          digit = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          digit = c - 'a' + 10;
        } else if (hex && c >= 'A' && c <= 'F') {
          digit = c - 'A' + 10;
        }
        if (digit < 0 || value > 0x10FFFF) {
          valid = false;
          break;
        }
        value = value * (hex ? 16U : 10U) + static_cast<std::uint32_t>(digit);
      }
      if (valid) {
        code = value;
      }
    }
    if (!code) {
      out += text[i];
      continue;
    }
    append_utf8(out, *code);
    i = semicolon;
  }
  return out;
}

Answer read(std::string_view document) {
  Answer answer;
  const std::size_t response = find_element(document, "Response");
  if (response == std::string_view::npos) {
    return answer;
  }
  // The verbs in document order: the first that decides the call wins.
  struct Found {
    Verb verb;
    std::size_t at;
  };
  std::optional<Found> first;
  for (const auto& [verb, name] :
       {std::pair{Verb::connect_stream, "Connect"}, std::pair{Verb::reject, "Reject"},
        std::pair{Verb::say, "Say"}, std::pair{Verb::hangup, "Hangup"}}) {
    const std::size_t at = find_element(document, name, response);
    if (at != std::string_view::npos && (!first || at < first->at)) {
      first = Found{verb, at};
    }
  }
  if (!first) {
    return answer;
  }
  switch (first->verb) {
  case Verb::connect_stream: {
    const std::size_t stream = find_element(document, "Stream", first->at);
    if (stream == std::string_view::npos) {
      return answer; // <Connect> without a stream: nothing the sandbox emulates
    }
    const std::string_view tag = start_tag(document, stream);
    answer.verb = Verb::connect_stream;
    answer.stream_url = attribute(tag, "url").value_or("");
    const std::size_t stream_end = document.find("</Stream>", stream);
    std::size_t cursor = stream;
    while ((cursor = find_element(document, "Parameter", cursor + 1)) != std::string_view::npos &&
           (stream_end == std::string_view::npos || cursor < stream_end)) {
      const std::string_view parameter = start_tag(document, cursor);
      answer.parameters.emplace_back(attribute(parameter, "name").value_or(""),
                                     attribute(parameter, "value").value_or(""));
    }
    return answer;
  }
  case Verb::reject:
    answer.verb = Verb::reject;
    answer.reject_reason = attribute(start_tag(document, first->at), "reason").value_or("rejected");
    return answer;
  case Verb::say: {
    const std::string_view tag = start_tag(document, first->at);
    answer.verb = Verb::say;
    if (tag.size() >= 2 && tag[tag.size() - 2] == '/') {
      return answer; // <Say/>: nothing said
    }
    const std::size_t text = first->at + tag.size();
    const std::size_t close = document.find("</Say>", text);
    if (close != std::string_view::npos) {
      answer.spoken = trim(xml_unescape(document.substr(text, close - text)));
    }
    return answer;
  }
  case Verb::hangup:
  case Verb::unknown:
    answer.verb = first->verb;
    return answer;
  }
  return answer;
}

std::string parameter(const Answer& answer, std::string_view name) {
  for (const auto& [key, value] : answer.parameters) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

std::optional<std::string> echo_twimlet_document(std::string_view url) {
  if (url.substr(0, k_echo_twimlet.size()) != k_echo_twimlet) {
    return std::nullopt;
  }
  std::string_view rest = url.substr(k_echo_twimlet.size());
  if (rest.empty() || (rest[0] != '?' && rest[0] != '/')) {
    return std::nullopt;
  }
  if (rest[0] == '/') {
    rest.remove_prefix(1);
    if (rest.empty() || rest[0] != '?') {
      return std::nullopt;
    }
  }
  rest.remove_prefix(1);
  if (auto fragment = rest.find('#'); fragment != std::string_view::npos) {
    rest = rest.substr(0, fragment);
  }
  return param(http::form_decode(rest), "Twiml").value_or("");
}

} // namespace vami::sandbox::twiml
