#include <limits>

#include <vami/core/error.hpp>
#include <vami/core/money.hpp>

namespace vami {

std::int64_t parse_decimal_micros(std::string_view text) {
  auto invalid = [&] {
    return Error(ErrorKind::invalid_input, "'" + std::string(text) + "' is not an amount of money",
                 "write it as a decimal number such as 1.15");
  };
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (rest.empty()) {
    throw invalid();
  }
  constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max() / 10;
  std::int64_t units = 0;
  std::int64_t fraction = 0;
  int fraction_digits = 0;
  bool seen_point = false;
  bool seen_digit = false;
  for (char c : rest) {
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') {
      throw invalid();
    }
    seen_digit = true;
    int digit = c - '0';
    if (seen_point) {
      if (++fraction_digits > 6) {
        throw Error(ErrorKind::invalid_input,
                    "'" + std::string(text) + "' has more than six decimals",
                    "round it to at most six decimals");
      }
      fraction = fraction * 10 + digit;
    } else {
      if (units > k_max / 1'000'000) {
        throw invalid();
      }
      units = units * 10 + digit;
    }
  }
  if (!seen_digit) {
    throw invalid();
  }
  for (int i = fraction_digits; i < 6; ++i) {
    fraction *= 10;
  }
  std::int64_t micros = units * 1'000'000 + fraction;
  return negative ? -micros : micros;
}

std::string format_decimal_micros(std::int64_t micros) {
  bool negative = micros < 0;
  // Work in unsigned so that the most negative value does not overflow on negation.
  auto magnitude = negative ? static_cast<std::uint64_t>(-(micros + 1)) + 1U
                            : static_cast<std::uint64_t>(micros);
  std::string fraction = std::to_string(magnitude % 1'000'000U);
  fraction.insert(0, 6 - fraction.size(), '0');
  while (fraction.size() > 2 && fraction.back() == '0') {
    fraction.pop_back();
  }
  return (negative ? "-" : "") + std::to_string(magnitude / 1'000'000U) + "." + fraction;
}

} // namespace vami
