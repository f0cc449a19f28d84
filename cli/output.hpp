#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vami::cli {

/// How results are written on stdout (`-o/--output`, `--json`).
enum class OutputFormat { table, json, csv };

/// One column of a table: its header and how to show a record's value in it.
struct Column {
  std::string header;
  std::function<std::string(const nlohmann::ordered_json& record)> cell;
};

/// A column showing the record's member `key` as text ("-" when null or absent).
[[nodiscard]] Column field(std::string header, std::string key);

/// Shows a JSON scalar as text: strings raw, null as "-", numbers and booleans as JSON.
[[nodiscard]] std::string display(const nlohmann::ordered_json& value);

/// Writes `records` (an array of objects with the same members) to `out`:
/// - table: the `columns`, aligned, with a header line, then `footer` if not empty;
/// - json: the array as it is, pretty-printed (`[]` when empty);
/// - csv: RFC 4180, one column per scalar member of the first record, header line first.
void write_records(std::ostream& out, OutputFormat format, const nlohmann::ordered_json& records,
                   const std::vector<Column>& columns, const std::string& footer = {});

/// Writes one object: a two-column "field value" table, pretty JSON, or a one-row CSV.
void write_object(std::ostream& out, OutputFormat format, const nlohmann::ordered_json& object);

/// A string as JSON, or null when it is empty (JSON output shows absent values as null).
[[nodiscard]] nlohmann::ordered_json text_or_null(const std::string& text);
/// `text` with its ASCII letters in capitals ("us" -> "US", "number" -> "NUMBER").
[[nodiscard]] std::string upper(std::string text);

/// Quotes one CSV field when it needs it (RFC 4180).
[[nodiscard]] std::string csv_field(const std::string& text);

} // namespace vami::cli
