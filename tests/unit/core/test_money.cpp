#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/money.hpp>

namespace vami {
namespace {

TEST(Money, ParsesProviderAmountsIntoMicros) {
  EXPECT_EQ(parse_decimal_micros("1.15"), 1'150'000);
  EXPECT_EQ(parse_decimal_micros("2"), 2'000'000);
  EXPECT_EQ(parse_decimal_micros("0.000001"), 1);
  EXPECT_EQ(parse_decimal_micros("-0.25"), -250'000);
  EXPECT_EQ(parse_decimal_micros(".5"), 500'000);
}

TEST(Money, RejectsWhatIsNotAnAmount) {
  for (const char* text : {"", "abc", "1.2.3", "1,15", "1.1234567", "-", "."}) {
    try {
      (void)parse_decimal_micros(text);
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << text;
    }
  }
}

TEST(Money, RejectsOverflow) {
  EXPECT_THROW((void)parse_decimal_micros("99999999999999999999"), Error);
}

TEST(Money, FormatsWithTwoToSixDecimals) {
  EXPECT_EQ(format_decimal_micros(1'150'000), "1.15");
  EXPECT_EQ(format_decimal_micros(2'000'000), "2.00");
  EXPECT_EQ(format_decimal_micros(1'234'567), "1.234567");
  EXPECT_EQ(format_decimal_micros(-500'000), "-0.50");
  EXPECT_EQ(format_decimal_micros(0), "0.00");
}

TEST(Money, FormatThenParseRoundTrips) {
  for (std::int64_t micros : {0LL, 1LL, 999'999LL, 1'150'000LL, 115'000'000'000LL, -42LL}) {
    EXPECT_EQ(parse_decimal_micros(format_decimal_micros(micros)), micros);
  }
}

} // namespace
} // namespace vami
