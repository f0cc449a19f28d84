#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vami {

/// An amount of money in integer millionths ("micros") of a currency unit, so that sums never
/// round: USD 1.15 is `{1'150'000, "USD"}`. Currency is an ISO 4217 code in upper case.
struct Money {
  std::int64_t micros = 0;
  std::string currency;

  friend bool operator==(const Money&, const Money&) = default;
};

/// Parses a decimal amount as providers and users write it ("1.15", "0.5", "2", "-0.25") into
/// micros. At most six decimals.
/// @throws Error(invalid_input) naming `text` when it is not a decimal number or overflows.
[[nodiscard]] std::int64_t parse_decimal_micros(std::string_view text);

/// Formats micros as a decimal with at least two and at most six decimals: 1150000 -> "1.15",
/// 1234567 -> "1.234567", -500000 -> "-0.50".
[[nodiscard]] std::string format_decimal_micros(std::int64_t micros);

} // namespace vami
