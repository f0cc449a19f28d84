#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <vami/providers/http_client.hpp>

namespace vami::http {

namespace {

constexpr std::string_view k_redacted = "[REDACTED]";

/// Bodies longer than this are cut in the trace: a page of 1000 numbers would drown the terminal.
constexpr std::size_t k_max_traced_body = 4096;

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

/// Whether a field, member or header name looks like it holds a credential. "api-key" and "apikey"
/// are spelling variants of "api_key" seen in headers and query strings.
bool is_sensitive_name(std::string_view name) {
  static constexpr std::array<std::string_view, 6> k_words = {"token",   "secret",  "password",
                                                              "api_key", "api-key", "apikey"};
  std::string folded = to_lower(name);
  return std::any_of(k_words.begin(), k_words.end(),
                     [&](std::string_view word) { return folded.find(word) != std::string::npos; });
}

/// Headers whose whole value is a credential or a session, whatever it looks like.
bool is_secret_header(std::string_view name) {
  static constexpr std::array<std::string_view, 5> k_names = {
      "authorization", "proxy-authorization", "xi-api-key", "cookie", "set-cookie"};
  std::string folded = to_lower(name);
  return std::find(k_names.begin(), k_names.end(), folded) != k_names.end() ||
         is_sensitive_name(name);
}

void replace_all(std::string& text, std::string_view needle) {
  if (needle.empty()) {
    return;
  }
  std::string out;
  std::size_t pos = 0;
  std::size_t found = 0;
  bool any = false;
  while ((found = text.find(needle, pos)) != std::string::npos) {
    any = true;
    out.append(text, pos, found - pos);
    out += k_redacted;
    pos = found + needle.size();
  }
  if (any) {
    out.append(text, pos, std::string::npos);
    text = std::move(out);
  }
}

bool is_form_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' ||
         c == '%' || c == '[' || c == ']';
}

bool starts_form_field(std::string_view text, std::size_t i) {
  if (i == 0) {
    return true;
  }
  char before = text[i - 1];
  return before == '&' || before == '?' || before == ';' || before == ',' ||
         std::isspace(static_cast<unsigned char>(before)) != 0;
}

bool ends_form_value(char c) {
  return c == '&' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '#' ||
         std::isspace(static_cast<unsigned char>(c)) != 0;
}

/// `AuthToken=abc&FriendlyName=x` -> `AuthToken=[REDACTED]&FriendlyName=x`, in bodies and in
/// query strings alike.
std::string redact_form_fields(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (!starts_form_field(text, i) || !is_form_name_char(text[i])) {
      out += text[i++];
      continue;
    }
    std::size_t name_end = i;
    while (name_end < text.size() && is_form_name_char(text[name_end])) {
      ++name_end;
    }
    std::string_view name = text.substr(i, name_end - i);
    if (name_end < text.size() && text[name_end] == '=' && is_sensitive_name(url_decode(name))) {
      std::size_t value_end = name_end + 1;
      while (value_end < text.size() && !ends_form_value(text[value_end])) {
        ++value_end;
      }
      out.append(text.substr(i, name_end + 1 - i));
      if (value_end > name_end + 1) {
        out += k_redacted;
      }
      i = value_end;
    } else {
      out.append(name);
      i = name_end;
    }
  }
  return out;
}

/// Index of the quote closing the JSON string that opens at `open`; npos when unterminated.
std::size_t json_string_end(std::string_view text, std::size_t open) {
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

std::size_t skip_space(std::string_view text, std::size_t i) {
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) {
    ++i;
  }
  return i;
}

/// `"token": "abc"` -> `"token": "[REDACTED]"`; numbers too (`"api_key": 123`). Strings are
/// walked from the start so that a quote inside a value is never taken for a key.
std::string redact_json_members(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '"') {
      out += text[i++];
      continue;
    }
    std::size_t key_end = json_string_end(text, i);
    if (key_end == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    std::string_view key = text.substr(i + 1, key_end - i - 1);
    out.append(text.substr(i, key_end + 1 - i));
    i = key_end + 1;
    std::size_t colon = skip_space(text, i);
    if (colon >= text.size() || text[colon] != ':' || !is_sensitive_name(key)) {
      continue;
    }
    std::size_t value = skip_space(text, colon + 1);
    if (value >= text.size()) {
      continue;
    }
    if (text[value] == '"') {
      std::size_t value_end = json_string_end(text, value);
      out.append(text.substr(i, value + 1 - i));
      out += k_redacted;
      if (value_end == std::string_view::npos) {
        return out;
      }
      out += '"';
      i = value_end + 1;
    } else if (text[value] == '-' || std::isdigit(static_cast<unsigned char>(text[value])) != 0) {
      std::size_t value_end = value;
      while (value_end < text.size() && text[value_end] != ',' && text[value_end] != '}' &&
             text[value_end] != ']' &&
             std::isspace(static_cast<unsigned char>(text[value_end])) == 0) {
        ++value_end;
      }
      out.append(text.substr(i, value - i));
      out += k_redacted;
      i = value_end;
    }
  }
  return out;
}

/// Control characters other than tabs and line breaks mean the body is not text (an uploaded
/// file, a compressed payload): printing it would only garble the terminal.
bool looks_binary(std::string_view body) {
  return std::any_of(body.begin(), body.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 && c != '\t' && c != '\n' && c != '\r';
  });
}

std::string traced_body(std::string_view body, const std::vector<std::string>& secrets) {
  if (looks_binary(body)) {
    return "[" + std::to_string(body.size()) + " bytes of binary data]\n";
  }
  // Redact before cutting, so that a secret straddling the cut is still recognised whole.
  std::string text = redact(body, secrets);
  if (text.size() > k_max_traced_body) {
    text.resize(k_max_traced_body);
    text += "\n[truncated: the body has " + std::to_string(body.size()) + " bytes]";
  }
  if (text.empty() || text.back() != '\n') {
    text += '\n';
  }
  return text;
}

void trace_headers(std::string& out, char direction, const Headers& headers,
                   const std::vector<std::string>& secrets) {
  for (const auto& [name, value] : headers) {
    out += direction;
    out += ' ';
    out += name;
    out += ": ";
    out += is_secret_header(name) ? std::string(k_redacted) : redact(value, secrets);
    out += '\n';
  }
}

class TracingHttpClient final : public HttpClient {
public:
  TracingHttpClient(std::unique_ptr<HttpClient> inner, TraceSink sink,
                    std::vector<std::string> secrets)
      : m_inner(std::move(inner)), m_sink(std::move(sink)), m_secrets(std::move(secrets)) {}

  HttpResponse send(const HttpRequest& request) override {
    std::string out = "> " + request.method + " " + redact(request.url, m_secrets) + "\n";
    trace_headers(out, '>', request.headers, m_secrets);
    if (!request.body.empty()) {
      out += ">\n";
      out += traced_body(request.body, m_secrets);
    }
    m_sink(out);

    auto start = std::chrono::steady_clock::now();
    auto elapsed_ms = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start)
          .count();
    };
    HttpResponse response;
    try {
      response = m_inner->send(request);
    } catch (const std::exception& error) {
      m_sink("! failed after " + std::to_string(elapsed_ms()) +
             " ms: " + redact(error.what(), m_secrets) + "\n");
      throw;
    }

    std::string in =
        "< " + std::to_string(response.status) + " (" + std::to_string(elapsed_ms()) + " ms)\n";
    trace_headers(in, '<', response.headers, m_secrets);
    if (!response.body.empty()) {
      in += "<\n";
      in += traced_body(response.body, m_secrets);
    }
    m_sink(in);
    return response;
  }

private:
  std::unique_ptr<HttpClient> m_inner;
  TraceSink m_sink;
  std::vector<std::string> m_secrets;
};

} // namespace

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
  // The percent-encoded form of a secret is what appears in query strings and form bodies.
  // Longest first, so that a secret containing another is replaced whole.
  std::vector<std::string> needles;
  for (const auto& secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    needles.push_back(secret);
    if (auto encoded = url_encode(secret); encoded != secret) {
      needles.push_back(std::move(encoded));
    }
  }
  std::sort(needles.begin(), needles.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::string out(text);
  for (const auto& needle : needles) {
    replace_all(out, needle);
  }
  return redact_json_members(redact_form_fields(out));
}

std::unique_ptr<HttpClient> make_tracing_http_client(std::unique_ptr<HttpClient> inner,
                                                     TraceSink sink,
                                                     std::vector<std::string> secrets) {
  return std::make_unique<TracingHttpClient>(std::move(inner), std::move(sink), std::move(secrets));
}

} // namespace vami::http
