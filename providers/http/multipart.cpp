#include <algorithm>
#include <cctype>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::http {

namespace {

constexpr std::string_view k_crlf = "\r\n";

std::string random_boundary() {
  static constexpr char k_alphabet[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  thread_local std::mt19937 engine{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(k_alphabet) - 2);
  std::string boundary = "vami-";
  for (int i = 0; i < 32; ++i) {
    boundary += k_alphabet[pick(engine)];
  }
  return boundary;
}

// Quotes a header parameter value (RFC 7578 4.2): a quote or line break in a file name would
// otherwise end the parameter or the header.
std::string quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\r' || c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// A header value taken from the caller: a line break in it would start a header of its own
// (or end the part's headers) and let the value rewrite the part.
std::string single_line(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (c == '\r' || c == '\n') {
      c = ' ';
    }
  }
  return out;
}

Error malformed(std::string_view why) {
  return Error(ErrorKind::invalid_input, "malformed multipart/form-data body: " + std::string(why));
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_blank(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// The value of parameter `name` in a header value such as `form-data; name="file";
// filename="a.pdf"`. Parameter names compare case-insensitively (RFC 2045 5.1), and quoted
// values are skipped as a whole, so that `name="a; filename=b"` does not yield a file name.
std::optional<std::string> header_parameter(std::string_view header, std::string_view name) {
  std::size_t pos = 0;
  // Skip the value before the first ';' ("form-data", "multipart/form-data").
  while (pos < header.size() && header[pos] != ';') {
    ++pos;
  }
  while (pos < header.size()) {
    ++pos; // the ';'
    std::size_t name_start = pos;
    while (pos < header.size() && header[pos] != '=' && header[pos] != ';') {
      ++pos;
    }
    std::string_view parameter = trim_blanks(header.substr(name_start, pos - name_start));
    std::string value;
    if (pos < header.size() && header[pos] == '=') {
      ++pos;
      while (pos < header.size() && is_blank(header[pos])) {
        ++pos;
      }
      if (pos < header.size() && header[pos] == '"') {
        for (++pos; pos < header.size() && header[pos] != '"'; ++pos) {
          if (header[pos] == '\\' && pos + 1 < header.size()) {
            ++pos;
          }
          value += header[pos];
        }
        // Past the closing quote, up to the next ';'.
        while (pos < header.size() && header[pos] != ';') {
          ++pos;
        }
      } else {
        std::size_t value_start = pos;
        while (pos < header.size() && header[pos] != ';') {
          ++pos;
        }
        value = std::string(trim_blanks(header.substr(value_start, pos - value_start)));
      }
    }
    if (iequals(parameter, name)) {
      return value;
    }
  }
  return std::nullopt;
}

// The value of a header line `Name: value` when its name is `name`.
std::optional<std::string_view> header_value(std::string_view line, std::string_view name) {
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !iequals(trim_blanks(line.substr(0, colon)), name)) {
    return std::nullopt;
  }
  return trim_blanks(line.substr(colon + 1));
}

} // namespace

MultipartBody multipart_encode(const std::vector<MultipartPart>& parts) {
  std::string boundary;
  bool clash = true;
  while (clash) {
    boundary = random_boundary();
    clash = false;
    for (const MultipartPart& part : parts) {
      clash = clash || part.content.find(boundary) != std::string::npos;
    }
  }
  MultipartBody out;
  out.content_type = "multipart/form-data; boundary=" + boundary;
  for (const MultipartPart& part : parts) {
    out.body += "--" + boundary + std::string(k_crlf);
    out.body += "Content-Disposition: form-data; name=" + quoted(part.name);
    if (!part.file_name.empty()) {
      out.body += "; filename=" + quoted(part.file_name);
    }
    out.body += k_crlf;
    if (!part.content_type.empty()) {
      out.body += "Content-Type: " + single_line(part.content_type) + std::string(k_crlf);
    }
    out.body += k_crlf;
    out.body += part.content;
    out.body += k_crlf;
  }
  out.body += "--" + boundary + "--" + std::string(k_crlf);
  return out;
}

std::vector<MultipartPart> multipart_decode(std::string_view content_type, std::string_view body) {
  std::string boundary = header_parameter(content_type, "boundary").value_or("");
  if (boundary.empty()) {
    throw malformed("the Content-Type header names no boundary");
  }
  const std::string delimiter = "--" + boundary;
  const std::string inner_delimiter = std::string(k_crlf) + delimiter;
  // The first delimiter opens the body or follows a line break of the preamble.
  std::size_t pos = 0;
  if (body.substr(0, delimiter.size()) != delimiter) {
    pos = body.find(inner_delimiter);
    if (pos == std::string_view::npos) {
      throw malformed("the boundary does not occur in the body");
    }
    pos += k_crlf.size();
  }
  std::vector<MultipartPart> parts;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") {
      return parts;
    }
    // RFC 2046 5.1.1 allows blanks ("transport padding") between a boundary and its CRLF.
    while (pos < body.size() && is_blank(body[pos])) {
      ++pos;
    }
    if (body.substr(pos, 2) != k_crlf) {
      throw malformed("a boundary line does not end with CRLF");
    }
    pos += k_crlf.size();
    std::size_t next = body.find(inner_delimiter, pos);
    if (next == std::string_view::npos) {
      throw malformed("the closing boundary is missing");
    }
    // Headers end at the first empty line of the part; a part without headers starts with it.
    std::size_t content_start = 0;
    std::string_view headers;
    if (body.substr(pos, 2) == k_crlf) {
      content_start = pos + k_crlf.size();
    } else {
      std::size_t headers_end = body.find("\r\n\r\n", pos);
      if (headers_end == std::string_view::npos || headers_end + 2 > next) {
        throw malformed("a part has no blank line after its headers");
      }
      headers = body.substr(pos, headers_end - pos + 2);
      content_start = headers_end + 4;
    }
    // The blank line and the next delimiter cannot share their CRLF.
    if (content_start > next) {
      throw malformed("a part has no blank line after its headers");
    }
    MultipartPart part;
    bool has_disposition = false;
    std::size_t line_start = 0;
    while (line_start < headers.size()) {
      std::size_t line_end = headers.find(k_crlf, line_start);
      std::string_view line = headers.substr(line_start, line_end - line_start);
      if (auto disposition = header_value(line, "Content-Disposition")) {
        std::optional<std::string> name = header_parameter(*disposition, "name");
        if (!name) {
          throw malformed("a part's Content-Disposition has no name");
        }
        has_disposition = true;
        part.name = std::move(*name);
        part.file_name = header_parameter(*disposition, "filename").value_or("");
      } else if (auto type = header_value(line, "Content-Type")) {
        part.content_type = std::string(*type);
      }
      line_start = line_end + k_crlf.size();
    }
    if (!has_disposition) {
      throw malformed("a part has no Content-Disposition header (RFC 7578 4.2)");
    }
    part.content = std::string(body.substr(content_start, next - content_start));
    parts.push_back(std::move(part));
    pos = next + k_crlf.size();
  }
}

} // namespace vami::http
