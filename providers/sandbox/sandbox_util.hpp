#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <vami/providers/http_client.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Small request helpers shared by the providers' emulators (twilio/emulator/,
// elevenlabs/emulator/) and the sandbox that composes them.
namespace vami::sandbox {

/// Decoded query or form parameters, in order (a name may repeat).
using Params = std::vector<std::pair<std::string, std::string>>;

/// Seconds since the Unix epoch, now.
[[nodiscard]] std::int64_t now_seconds();
/// `seconds` since the Unix epoch in RFC 2822, UTC, as Twilio writes dates:
/// "Thu, 30 Jul 2015 23:19:04 +0000" (English names whatever the locale).
[[nodiscard]] std::string rfc2822(std::int64_t seconds);

/// A request URL split into its parts (any `#fragment` dropped).
struct ParsedUrl {
  std::string origin; ///< "http://127.0.0.1:8080"; empty for a relative URL.
  std::string path;   ///< "/2010-04-01/Accounts"; "/" when the URL has none.
  std::string query;  ///< The query string without its `?`.
};
/// Splits an absolute ("http://host:port/path?query") or relative ("/path?query") URL.
[[nodiscard]] ParsedUrl parse_url(std::string_view url);

/// ASCII case-insensitive equality (header names, enum words).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);
/// The value of the first header named `name` (case-insensitive); empty when absent.
[[nodiscard]] std::string header_value(const http::HttpRequest& request, std::string_view name);
/// The value of the first parameter named `name`, if any.
[[nodiscard]] std::optional<std::string> param(const Params& params, std::string_view name);
/// The non-empty segments of a URL path ("/v1/convai/agents" -> {"v1", "convai", "agents"}).
[[nodiscard]] std::vector<std::string> split_path(std::string_view path);

/// A column to add to an older state file's table: its name and its SQL type and constraints
/// (`"TEXT"`, `"INTEGER NOT NULL DEFAULT 0"`).
struct ColumnDefinition {
  std::string name;
  std::string definition;
};

/// Adds to `table` every column of `columns` it lacks (`ALTER TABLE ... ADD COLUMN`), so that
/// state files made by an older vami keep working. Call inside a write transaction.
/// @throws SQLite::Exception when the table does not exist or a column cannot be added.
void add_missing_columns(SQLite::Database& db, const std::string& table,
                         const std::vector<ColumnDefinition>& columns);

} // namespace vami::sandbox
