#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>

namespace vami {

namespace {

constexpr std::size_t k_max_slug_length = 63;

// The conversation languages of the ElevenLabs Agents Platform (its `language` field).
constexpr std::array<std::string_view, 33> k_languages = {
    "ar", "bg",    "cs", "da", "de", "el", "en", "es", "fi", "fil", "fr",
    "hi", "hr",    "hu", "id", "it", "ja", "ko", "ms", "nl", "no",  "pl",
    "pt", "pt-br", "ro", "ru", "sk", "sv", "ta", "tr", "uk", "vi",  "zh"};

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

} // namespace

bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    if ((byte & 0xE0U) == 0xC0U) {
      extra = 1;
      code = byte & 0x1FU;
    } else if ((byte & 0xF0U) == 0xE0U) {
      extra = 2;
      code = byte & 0x0FU;
    } else if ((byte & 0xF8U) == 0xF0U) {
      extra = 3;
      code = byte & 0x07U;
    } else {
      return false;
    }
    if (i + extra >= text.size()) {
      return false;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0U) != 0x80U) {
        return false;
      }
      code = (code << 6U) | (next & 0x3FU);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::array<std::uint32_t, 4> k_min = {0, 0x80, 0x800, 0x10000};
    if (code < k_min[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

void validate_slug(const std::string& slug, std::string_view what) {
  auto invalid = [&](const std::string& why) {
    std::string suggestion = slug_from_name(slug);
    std::string hint = "use 1 to 63 lower-case letters, digits and '-'";
    if (!suggestion.empty() && suggestion != slug) {
      hint += ", for example " + in_quotes(suggestion);
    }
    return Error(ErrorKind::invalid_input, std::string(what) + " " + in_quotes(slug) + " " + why,
                 hint);
  };
  if (slug.empty()) {
    throw Error(ErrorKind::invalid_input, std::string(what) + " is empty",
                "use 1 to 63 lower-case letters, digits and '-'");
  }
  if (slug.size() > k_max_slug_length) {
    throw invalid("is longer than 63 characters");
  }
  for (char c : slug) {
    if (c == ' ') {
      throw invalid("contains a space");
    }
    if (std::isupper(static_cast<unsigned char>(c)) != 0) {
      throw invalid("contains upper-case letters");
    }
    bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!allowed) {
      throw invalid("contains " + in_quotes(std::string(1, c)) +
                    ", which is not a lower-case letter, digit or '-'");
    }
  }
  if (slug.front() == '-' || slug.back() == '-') {
    throw invalid("starts or ends with '-'");
  }
}

std::string slug_from_name(std::string_view name) {
  std::string slug;
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 && byte < 0x80) {
      slug += static_cast<char>(std::tolower(byte));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') {
    slug.pop_back();
  }
  if (slug.size() > k_max_slug_length) {
    slug.resize(k_max_slug_length);
    while (!slug.empty() && slug.back() == '-') {
      slug.pop_back();
    }
  }
  return slug;
}

void validate_display_name(const std::string& name, std::string_view what) {
  if (is_blank(name)) {
    throw Error(ErrorKind::invalid_input, std::string(what) + " is empty",
                "give a name such as \"Acme Dental\"");
  }
  if (name.size() > k_max_display_name_bytes) {
    throw Error(ErrorKind::invalid_input,
                std::string(what) + " is " + std::to_string(name.size()) +
                    " bytes long; the limit is " + std::to_string(k_max_display_name_bytes),
                "shorten it");
  }
  if (has_control_character(name) || !is_valid_utf8(name)) {
    throw Error(ErrorKind::invalid_input,
                std::string(what) + " contains control characters or invalid UTF-8",
                "use printable text");
  }
}

void validate_email(const std::string& email) {
  if (email.empty()) {
    return;
  }
  auto at = email.find('@');
  bool valid = at != std::string::npos && at > 0 && email.find('@', at + 1) == std::string::npos &&
               email.find('.', at + 2) != std::string::npos && email.back() != '.' &&
               email.find_first_of(" \t\r\n,;<>\"") == std::string::npos;
  if (!valid) {
    throw Error(ErrorKind::invalid_input,
                "contact e-mail " + in_quotes(email) + " is not an address",
                "give an address such as ops@example.com");
  }
}

void validate_prompt(const std::string& prompt) {
  if (is_blank(prompt)) {
    throw Error(ErrorKind::invalid_input, "the prompt is empty",
                "give the agent's instructions with --prompt or --prompt-file");
  }
  if (prompt.size() > k_max_prompt_bytes) {
    throw Error(ErrorKind::invalid_input,
                "the prompt is " + std::to_string(prompt.size()) + " bytes; the limit is " +
                    std::to_string(k_max_prompt_bytes),
                "keep the prompt to instructions and put reference text in the knowledge base "
                "with 'vami kb add'");
  }
  if (!is_valid_utf8(prompt)) {
    throw Error(ErrorKind::invalid_input, "the prompt is not valid UTF-8",
                "save the prompt file as UTF-8");
  }
}

void validate_first_message(const std::string& first_message) {
  if (first_message.size() > k_max_first_message_bytes) {
    throw Error(ErrorKind::invalid_input,
                "the first message is " + std::to_string(first_message.size()) +
                    " bytes; the limit is " + std::to_string(k_max_first_message_bytes),
                "a greeting is one or two sentences");
  }
  if (!is_valid_utf8(first_message)) {
    throw Error(ErrorKind::invalid_input, "the first message is not valid UTF-8");
  }
}

void validate_language(const std::string& language) {
  if (std::find(k_languages.begin(), k_languages.end(), language) != k_languages.end()) {
    return;
  }
  std::string accepted;
  for (std::string_view code : k_languages) {
    accepted += (accepted.empty() ? "" : ", ") + std::string(code);
  }
  throw Error(ErrorKind::invalid_input,
              "language " + in_quotes(language) + " is not one the agent platform speaks",
              "use an ISO 639-1 code: " + accepted);
}

std::string url_host(std::string_view url) {
  if (url_scheme(url) == UrlScheme::other) {
    return {};
  }
  std::size_t begin = url.find("://") + 3;
  std::size_t end = url.find_first_of("/?#", begin);
  std::string_view authority = url.substr(begin, end == std::string_view::npos ? end : end - begin);
  if (authority.find('@') != std::string_view::npos) {
    return {};
  }
  std::string_view host;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t bracket = authority.find(']');
    host =
        bracket == std::string_view::npos ? std::string_view() : authority.substr(1, bracket - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

bool is_loopback_url(std::string_view url) {
  std::string host = url_host(url);
  // 127.0.0.0/8 as a dotted quad only: "127.0.0.1.example.com" is a name anyone can register.
  bool dotted_quad = host.find_first_not_of("0123456789.") == std::string::npos &&
                     std::count(host.begin(), host.end(), '.') == 3;
  return host == "localhost" || host == "::1" || (dotted_quad && host.rfind("127.", 0) == 0);
}

UrlScheme url_scheme(std::string_view url) noexcept {
  auto starts_with = [url](std::string_view prefix) {
    return url.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), url.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  if (starts_with("https://")) {
    return UrlScheme::https;
  }
  if (starts_with("http://")) {
    return UrlScheme::http;
  }
  return UrlScheme::other;
}

void validate_document_url(const std::string& url) {
  bool https = url_scheme(url) == UrlScheme::https;
  bool http = url_scheme(url) == UrlScheme::http;
  if (!https && !http) {
    throw Error(ErrorKind::invalid_input, "URL " + in_quotes(url) + " is not an http(s) URL",
                "give an absolute URL such as https://example.com/faq");
  }
  std::string rest = url.substr(https ? 8 : 7);
  std::string host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || url.find_first_of(" \t\r\n\"<>\\^`{|}") != std::string::npos) {
    throw Error(ErrorKind::invalid_input, "URL " + in_quotes(url) + " is not a valid URL",
                "give an absolute URL such as https://example.com/faq");
  }
}

} // namespace vami
