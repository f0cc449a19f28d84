#include "output.hpp"

#include <algorithm>
#include <ostream>

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
    return csv_field(value.get<std::string>());
  }
  return csv_field(value.dump());
}

void write_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) {
    return;
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
      write_table(out, rows);
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
    write_table(out, rows);
    return;
  }
  }
}

} // namespace vami::cli
