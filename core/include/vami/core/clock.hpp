#pragma once

#include <cstdint>
#include <string>

namespace vami {

/// The current UTC time in ISO 8601 with second precision ("2026-11-22T03:35:28Z").
[[nodiscard]] std::string utc_now_iso8601();

/// The UTC time in ISO 8601 ("2026-11-22T03:35:28Z") of `seconds` since the Unix epoch.
[[nodiscard]] std::string utc_iso8601(std::int64_t seconds);

/// Reads a `--since` value as a UTC ISO 8601 time: "2026-11-22" (midnight UTC),
/// "2026-11-22T10:00" or "2026-11-22T10:00:00Z", or an age before `now_seconds` such as "90m",
/// "24h" or "7d". Empty stays empty (no bound).
/// @throws Error(invalid_input) for anything else.
[[nodiscard]] std::string parse_since(const std::string& text, std::int64_t now_seconds);

/// Seconds since the Unix epoch of a UTC ISO 8601 time as vami writes it
/// ("2026-11-22T03:35:28Z"). @throws Error(invalid_input) for another shape.
[[nodiscard]] std::int64_t unix_of_iso8601(const std::string& time);

/// The start (UTC, ISO 8601) of the calendar month that contains `unix_seconds`, and with
/// `months_later` the start of a month after it (1: the next month).
[[nodiscard]] std::string month_start_iso8601(std::int64_t unix_seconds, int months_later = 0);

/// Seconds since the Unix epoch, now.
[[nodiscard]] std::int64_t unix_now();

/// A new random operation id: "op-" and 12 lower-case hex digits (48 bits).
[[nodiscard]] std::string new_operation_id();

} // namespace vami
