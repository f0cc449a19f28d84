#include <cctype>
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

Error malformed(std::string_view why) {
  return Error(ErrorKind::invalid_input, "malformed multipart/form-data body: " + std::string(why));
}

// The value of parameter `name` in a header such as `form-data; name="file"; filename="a.pdf"`.
std::string header_parameter(std::string_view header, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    while (pos < header.size() && header[pos] == ' ') {
      ++pos;
    }
    if (header.substr(pos, name.size()) != name || pos + name.size() >= header.size() ||
        header[pos + name.size()] != '=') {
      continue;
    }
    pos += name.size() + 1;
    std::string value;
    if (pos < header.size() && header[pos] == '"') {
      for (++pos; pos < header.size() && header[pos] != '"'; ++pos) {
        if (header[pos] == '\\' && pos + 1 < header.size()) {
          ++pos;
        }
        value += header[pos];
      }
    } else {
      while (pos < header.size() && header[pos] != ';') {
        value += header[pos++];
      }
    }
    return value;
  }
  return {};
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
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
      out.body += "Content-Type: " + part.content_type + std::string(k_crlf);
    }
    out.body += k_crlf;
    out.body += part.content;
    out.body += k_crlf;
  }
  out.body += "--" + boundary + "--" + std::string(k_crlf);
  return out;
}

std::vector<MultipartPart> multipart_decode(std::string_view content_type, std::string_view body) {
  std::string boundary = header_parameter(content_type, "boundary");
  if (boundary.empty()) {
    throw malformed("the Content-Type header names no boundary");
  }
  const std::string delimiter = "--" + boundary;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) {
    throw malformed("the boundary does not occur in the body");
  }
  std::vector<MultipartPart> parts;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") {
      return parts;
    }
    if (body.substr(pos, 2) != k_crlf) {
      throw malformed("a boundary line does not end with CRLF");
    }
    pos += 2;
    std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) {
      throw malformed("a part has no blank line after its headers");
    }
    MultipartPart part;
    std::string_view headers = body.substr(pos, headers_end - pos + 2);
    std::size_t line_start = 0;
    while (line_start < headers.size()) {
      std::size_t line_end = headers.find(k_crlf, line_start);
      std::string_view line = headers.substr(line_start, line_end - line_start);
      if (iequals_prefix(line, "content-disposition:")) {
        part.name = header_parameter(line, "name");
        part.file_name = header_parameter(line, "filename");
      } else if (iequals_prefix(line, "content-type:")) {
        std::string_view value = line.substr(13);
        while (!value.empty() && value.front() == ' ') {
          value.remove_prefix(1);
        }
        part.content_type = std::string(value);
      }
      line_start = line_end + 2;
    }
    std::size_t content_start = headers_end + 4;
    std::size_t next = body.find("\r\n" + delimiter, content_start);
    if (next == std::string_view::npos) {
      throw malformed("the closing boundary is missing");
    }
    part.content = std::string(body.substr(content_start, next - content_start));
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

} // namespace vami::http
