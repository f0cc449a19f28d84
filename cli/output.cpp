#include "output.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <ostream>

#include <fcntl.h>
#include <unistd.h>

namespace vami::cli {

Column field(std::string header, std::string key) {
  return Column{std::move(header), [key = std::move(key)](const nlohmann::ordered_json& record) {
                  auto it = record.find(key);
                  return it == record.end() ? std::string("-") : display(*it);
                }};
}

std::string display(const nlohmann::ordered_json& value) {
  if (value.is_null()) {
    return "-";
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return text.empty() ? "-" : text;
  }
  return value.dump();
}

nlohmann::ordered_json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(text);
}

std::string upper(std::string text) {
  for (auto& c : text) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return text;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    return text;
  }
  std::string quoted = "\"";
  for (char c : text) {
    quoted += c;
    if (c == '"') {
      quoted += '"';
    }
  }
  return quoted + "\"";
}

std::string csv_cell(const std::string& text) {
  if (!text.empty() && std::strchr("=+-@\t\r", text.front()) != nullptr) {
    // A plain number (an E.164 number, an amount) is data to a spreadsheet, never a formula.
    std::size_t digits = text.front() == '+' || text.front() == '-' ? 1 : 0;
    bool number = digits < text.size();
    bool point = false;
    for (std::size_t i = digits; i < text.size() && number; ++i) {
      if (text[i] == '.' && !point && i > digits && i + 1 < text.size()) {
        point = true;
      } else if (text[i] < '0' || text[i] > '9') {
        number = false;
      }
    }
    if (!number) {
      return csv_field("'" + text);
    }
  }
  return csv_field(text);
}

namespace {

// The length of the UTF-8 character starting at `at` (1 to 4), or 0 when the bytes there are not
// one: a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, or cut short.
std::size_t utf8_length(std::string_view text, std::size_t at, char32_t& code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80U) {
    code_point = lead;
    return 1;
  }
  std::size_t length = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0U) == 0xC0U) {
    length = 2;
    code_point = lead & 0x1FU;
    minimum = 0x80;
  } else if ((lead & 0xF0U) == 0xE0U) {
    length = 3;
    code_point = lead & 0x0FU;
    minimum = 0x800;
  } else if ((lead & 0xF8U) == 0xF0U) {
    length = 4;
    code_point = lead & 0x07U;
    minimum = 0x10000;
  } else {
    return 0;
  }
  if (at + length > text.size()) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0U) != 0x80U) {
      return 0;
    }
    code_point = (code_point << 6U) | (byte(at + i) & 0x3FU);
  }
  if (code_point < minimum || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

void append_escaped(std::string& out, std::string_view text, LineBreaks line_breaks) {
  char buffer[16];
  for (std::size_t at = 0; at < text.size();) {
    char32_t code_point = 0;
    std::size_t length = utf8_length(text, at, code_point);
    if (length == 0) {
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned char>(text[at]));
      out += buffer;
      ++at;
      continue;
    }
    if (code_point == '\n' && line_breaks == LineBreaks::keep) {
      out += '\n';
    } else if (code_point == '\n') {
      out += "\\n";
    } else if (code_point == '\t') {
      out += "\\t";
    } else if (code_point == '\r') {
      out += "\\r";
    } else if (code_point < 0x20 || code_point == 0x7F) {
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(code_point));
      out += buffer;
    } else if ((code_point >= 0x80 && code_point <= 0x9F) ||
               (code_point >= 0x202A && code_point <= 0x202E) ||
               (code_point >= 0x2066 && code_point <= 0x2069)) {
      // C1 controls (U+009B is a CSI on some terminals) and the bidirectional overrides that
      // can make a text read backwards.
      std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(code_point));
      out += buffer;
    } else {
      out.append(text.substr(at, length));
    }
    at += length;
  }
}

// The nearest character boundary at or before `at` (a UTF-8 continuation byte is 10xxxxxx).
std::size_t boundary_before(std::string_view text, std::size_t at) {
  for (int step = 0; step < 3 && at > 0 && at < text.size() &&
                     (static_cast<unsigned char>(text[at]) & 0xC0U) == 0x80U;
       ++step) {
    --at;
  }
  return at;
}

std::atomic<bool> g_stdout_closed{false};
std::atomic<int> g_stdout_errno{0};

} // namespace

std::string terminal_text(std::string_view text, LineBreaks line_breaks, std::size_t max_bytes) {
  std::string out;
  if (max_bytes == 0 || text.size() <= max_bytes) {
    append_escaped(out, text, line_breaks);
    return out;
  }
  // Keep the start (what failed) and the end (what to do next) of a long text.
  std::size_t head = boundary_before(text, max_bytes * 2 / 3);
  std::size_t tail = boundary_before(text, text.size() - max_bytes / 3);
  append_escaped(out, text.substr(0, head), line_breaks);
  out += "...(" + std::to_string(tail - head) + " bytes)...";
  append_escaped(out, text.substr(tail), line_breaks);
  return out;
}

bool terminal_has_escapes() noexcept {
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

void guard_closed_stdout() noexcept {
  // Standard input and error get /dev/null, output /dev/full: the first file the command opens
  // would otherwise become fd 1 and receive its results.
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
      continue;
    }
    int opened = open(fd == 1 ? "/dev/full" : "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened >= 0 && opened != fd) {
      dup2(opened, fd);
      close(opened);
    }
    if (fd == 1) {
      g_stdout_closed.store(true);
    }
  }
}

bool stdout_ok() {
  errno = 0;
  std::cout.flush();
  int flush_errno = errno;
  bool ok = !std::cout.fail();
  errno = 0;
  if (std::fflush(stdout) != 0) {
    flush_errno = errno;
    ok = false;
  }
  if (std::ferror(stdout) != 0) {
    ok = false;
  }
  if (!ok && g_stdout_errno.load() == 0) {
    g_stdout_errno.store(flush_errno);
  }
  return ok;
}

std::string stdout_failure() {
  if (g_stdout_closed.load()) {
    return "standard output is closed";
  }
  int error = g_stdout_errno.load();
  return error == 0 ? std::string("the write failed") : std::string(std::strerror(error));
}

namespace {

// Columns of a terminal a UTF-8 text takes, counted as code points (continuation bytes are
// 10xxxxxx): "••••a1b2" or "Zürich" line up with ASCII. Wide (CJK) characters are not handled.
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

std::string csv_value(const nlohmann::ordered_json& value) {
  if (value.is_null()) {
    return {};
  }
  if (value.is_string()) {
    return csv_cell(value.get<std::string>());
  }
  return csv_field(value.dump());
}

void write_table(std::ostream& out, std::vector<std::vector<std::string>> rows) {
  if (rows.empty()) {
    return;
  }
  // Free text (names, greetings, provider messages) can hold control characters: one line per
  // row, and nothing a terminal would act on.
  for (auto& row : rows) {
    for (auto& cell : row) {
      cell = terminal_text(cell);
    }
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(widths[i] - display_width(row[i]) + 2, ' ');
      }
    }
    out << line << '\n';
  }
}

} // namespace

void write_records(std::ostream& out, OutputFormat format, const nlohmann::ordered_json& records,
                   const std::vector<Column>& columns, const std::string& footer) {
  switch (format) {
  case OutputFormat::json:
    out << records.dump(2) << '\n';
    return;
  case OutputFormat::csv: {
    if (records.empty()) {
      return;
    }
    std::vector<std::string> keys;
    for (const auto& [key, value] : records.front().items()) {
      if (value.is_primitive()) {
        keys.push_back(key);
      }
    }
    std::string header;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      header += (i > 0 ? "," : "") + csv_field(keys[i]);
    }
    out << header << "\r\n";
    for (const auto& record : records) {
      std::string line;
      for (std::size_t i = 0; i < keys.size(); ++i) {
        auto it = record.find(keys[i]);
        line += (i > 0 ? "," : "") + (it == record.end() ? std::string() : csv_value(*it));
      }
      out << line << "\r\n";
    }
    return;
  }
  case OutputFormat::table: {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header;
    for (const auto& column : columns) {
      header.push_back(column.header);
    }
    rows.push_back(header);
    for (const auto& record : records) {
      std::vector<std::string> row;
      for (const auto& column : columns) {
        row.push_back(column.cell(record));
      }
      rows.push_back(std::move(row));
    }
    if (!records.empty()) {
      write_table(out, std::move(rows));
    }
    if (!footer.empty()) {
      out << footer << '\n';
    }
    return;
  }
  }
}

void write_object(std::ostream& out, OutputFormat format, const nlohmann::ordered_json& object) {
  switch (format) {
  case OutputFormat::json:
    out << object.dump(2) << '\n';
    return;
  case OutputFormat::csv:
    write_records(out, format, nlohmann::ordered_json::array({object}), {});
    return;
  case OutputFormat::table: {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, value] : object.items()) {
      if (value.is_primitive()) {
        rows.push_back({key, display(value)});
      }
    }
    write_table(out, std::move(rows));
    return;
  }
  }
}

} // namespace vami::cli
