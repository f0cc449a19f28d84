#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
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

/// A CSV cell for a value of the records: `csv_field` of its text, with free text that a
/// spreadsheet would run as a formula neutralised as the OWASP CSV-injection guidance says: a
/// text starting with '=', '+', '-', '@', tab or carriage return gets a leading "'". Typed values
/// are kept exactly as they are: a plain number ("+12125550101" E.164, "-1.15" amount) is not a
/// formula, and times start with a digit. docs/json.md ("CSV") documents it.
[[nodiscard]] std::string csv_cell(const std::string& text);

/// How `terminal_text` shows line breaks.
enum class LineBreaks { escape, keep };

/// `text` made safe to print on a terminal: control characters (C0, DEL, C1) become visible
/// escapes ("\n", "\t", "\x1b", "\u009b"), bytes that are not UTF-8 become "\xNN", so a
/// name, greeting, actor or provider message can never move the cursor, recolour the screen or
/// print a line of its own. With `LineBreaks::keep`, '\n' stays a line break. A text longer than
/// `max_bytes` keeps its start and end, cut between characters, around "...(N bytes)...".
[[nodiscard]] std::string terminal_text(std::string_view text,
                                        LineBreaks line_breaks = LineBreaks::escape,
                                        std::size_t max_bytes = 0);

/// Whether the terminal understands escape codes: false when TERM is "dumb".
[[nodiscard]] bool terminal_has_escapes() noexcept;

/// Makes fds 0 to 2 safe when the process started with one of them closed (`>&-`): standard
/// output is reopened on /dev/full, so that no file the command opens lands on fd 1 and every
/// write of a result fails (and `stdout_ok` says so); standard input and error on /dev/null.
/// Call first in `main`.
void guard_closed_stdout() noexcept;
/// Flushes standard output and tells whether every write and flush of it succeeded.
[[nodiscard]] bool stdout_ok();
/// Why standard output could not be written: "standard output is closed", or the system's
/// reason ("No space left on device").
[[nodiscard]] std::string stdout_failure();

} // namespace vami::cli
