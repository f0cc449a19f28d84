#include "sandbox/sandbox_util.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>

#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ParsedUrl parse_url(std::string_view url) {
  ParsedUrl parsed;
  if (auto hash = url.find('#'); hash != std::string_view::npos) {
    url = url.substr(0, hash);
  }
  std::size_t path_start = 0;
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    path_start = url.find('/', scheme + 3);
    if (path_start == std::string_view::npos) {
      path_start = url.find('?', scheme + 3);
    }
    if (path_start == std::string_view::npos) {
      path_start = url.size();
    }
    parsed.origin = std::string(url.substr(0, path_start));
  }
  std::string_view rest = url.substr(path_start);
  auto question = rest.find('?');
  parsed.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) {
    parsed.query = std::string(rest.substr(question + 1));
  }
  if (parsed.path.empty()) {
    // Not `= "/"`: out of line, GCC 12 warns about that assignment (-Wrestrict, a false
    // positive: its bug 105329).
    parsed.path.push_back('/');
  }
  return parsed;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string header_value(const http::HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return {};
}

std::optional<std::string> param(const Params& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    segments.emplace_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return segments;
}

void add_missing_columns(SQLite::Database& db, const std::string& table,
                         const std::vector<ColumnDefinition>& columns) {
  std::set<std::string> present;
  SQLite::Statement info(db, "SELECT name FROM pragma_table_info(?)");
  info.bind(1, table);
  while (info.executeStep()) {
    present.insert(info.getColumn(0).getString());
  }
  for (const ColumnDefinition& column : columns) {
    if (present.count(column.name) == 0) {
      db.exec("ALTER TABLE " + table + " ADD COLUMN " + column.name + " " + column.definition);
    }
  }
}

// Written by hand because strftime's day and month names follow the process locale.
std::string rfc2822(std::int64_t seconds) {
  static constexpr std::array<const char*, 7> k_days = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> k_months = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                k_days[static_cast<std::size_t>(utc.tm_wday)], utc.tm_mday,
                k_months[static_cast<std::size_t>(utc.tm_mon)], utc.tm_year + 1900, utc.tm_hour,
                utc.tm_min, utc.tm_sec);
  return buffer;
}

} // namespace vami::sandbox
