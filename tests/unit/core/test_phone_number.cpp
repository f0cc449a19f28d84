#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>

namespace vami {
namespace {

TEST(PhoneNumber, NormalisesWhatPeopleTypeToE164) {
  EXPECT_EQ(to_e164("+1 (212) 555-0101"), "+12125550101");
  EXPECT_EQ(to_e164("(212) 555-0101"), "+12125550101");
  EXPECT_EQ(to_e164("+44 20 7123 4567"), "+442071234567");
  EXPECT_EQ(to_e164("+12125550101"), "+12125550101");
}

TEST(PhoneNumber, RejectsTheLenientParseOfATypo) {
  // libphonenumber parses this (the letter O becomes a keypad digit or is dropped) into a number
  // of the wrong length; vami must refuse it and say why.
  try {
    (void)to_e164("+1 (212) 555-01O1");
    FAIL() << "accepted a number with a letter O";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("+1 (212) 555-01O1"), std::string::npos);
  }
}

TEST(PhoneNumber, AlwaysRejectsLetters) {
  // libphonenumber converts three or more letters to keypad digits and drops fewer: vami takes
  // neither, so "+1 800 FLOWERS" is refused as "+1 212 555 01O1" is.
  for (const char* typed :
       {"+1 800 FLOWERS", "+1 212 FLO 5647", "+1212555010A", "1-800-CALL-NOW"}) {
    try {
      (void)to_e164(typed, "US");
      ADD_FAILURE() << "accepted " << typed;
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
      EXPECT_NE(std::string(error.what()).find("contains a letter"), std::string::npos)
          << error.what();
    }
  }
  EXPECT_FALSE(is_e164("+1800FLOWERS"));
}

TEST(PhoneNumber, RejectsNumbersNotInService) {
  EXPECT_THROW((void)to_e164("+19992345678"), Error); // 999 is no area code
  EXPECT_THROW((void)to_e164("12"), Error);
  EXPECT_THROW((void)to_e164("hello"), Error);
  EXPECT_THROW((void)to_e164(""), Error);
}

TEST(PhoneNumber, RecognisesCanonicalE164Only) {
  EXPECT_TRUE(is_e164("+12125550101"));
  EXPECT_FALSE(is_e164("12125550101"));
  EXPECT_FALSE(is_e164("+1 212 555 0101"));
  EXPECT_FALSE(is_e164("+19992345678"));
}

TEST(PhoneNumber, KnowsRegionsAndNationalFormat) {
  EXPECT_EQ(region_of("+12125550101"), "US");
  EXPECT_EQ(region_of("+14162345678"), "CA");
  EXPECT_EQ(region_of("+442071234567"), "GB");
  EXPECT_EQ(format_national("+12125550101"), "(212) 555-0101");
}

TEST(PhoneNumber, GeocodesOffline) {
  auto location = locate("+12122345678");
  EXPECT_EQ(location.locality, "New York");
  EXPECT_EQ(location.region, "NY");
  EXPECT_EQ(locate("+442071234567").locality, "London");
}

TEST(PhoneNumber, KnowsWhichAreaCodesAreInService) {
  EXPECT_TRUE(is_area_code_in_service("US", "212"));
  EXPECT_TRUE(is_area_code_in_service("CA", "416"));
  EXPECT_FALSE(is_area_code_in_service("US", "416")); // Toronto is in Canada
  EXPECT_FALSE(is_area_code_in_service("US", "999"));
  EXPECT_FALSE(is_area_code_in_service("US", "21"));
  EXPECT_FALSE(is_area_code_in_service("US", "2a2"));
  EXPECT_FALSE(is_area_code_in_service("GB", "020"));
}

TEST(PhoneNumber, KnowsCountries) {
  EXPECT_TRUE(is_supported_country("US"));
  EXPECT_TRUE(is_supported_country("GB"));
  EXPECT_FALSE(is_supported_country("XX"));
}

} // namespace
} // namespace vami
