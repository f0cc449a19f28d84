#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

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

// vami reads a plain "+<digits>" without libphonenumber's Parse (its regular expressions were
// most of a sandbox's time building its inventory): on any input, the answers must be Parse's.
TEST(PhoneNumber, PlainE164IsReadExactlyAsLibphonenumberParsesIt) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  struct Oracle {
    bool is_e164 = false;
    std::string region;
    std::string national; // the text itself when it does not parse
  };
  auto oracle = [&](const std::string& text) {
    Oracle answer;
    PhoneNumber number;
    if (util.Parse(text, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
      answer.national = text;
      return answer;
    }
    util.Format(number, PhoneNumberUtil::NATIONAL, &answer.national);
    if (!util.IsValidNumber(number)) {
      return answer;
    }
    std::string canonical;
    util.Format(number, PhoneNumberUtil::E164, &canonical);
    answer.is_e164 = canonical == text;
    util.GetRegionCodeForNumber(number, &answer.region);
    if (answer.region == "ZZ") {
      answer.region.clear();
    }
    return answer;
  };
  std::vector<std::string> inputs = {
      "+12125550101",  "+112125550101", "+442071234567",    "+4402071234567",
      "+390612345678", "+39312345678",  "+80012345678",     "+882345678901",
      "+79123456789",  "+78123456789",  "+0012125550101",   "+1",
      "+12",           "+999123456",    "+1212555010123456"};
  const std::vector<std::string> codes = {"1",   "7",   "20",  "33",  "39",  "44",  "49",  "52",
                                          "61",  "81",  "86",  "91",  "351", "353", "800", "808",
                                          "870", "882", "883", "979", "999", "0",   "28",  "11"};
  std::mt19937_64 random(20261204); // fixed: the same inputs on every run
  for (int i = 0; i < 20000; ++i) {
    // Half of them in the plans read without Parse (NANP, GB), half anywhere.
    const std::string code =
        i % 2 == 0 ? (i % 4 == 0 ? "1" : "44") : codes[random() % codes.size()];
    std::string text = "+" + code;
    // Mostly full-length national numbers in the fast plans, so that many are valid.
    const auto length = (i % 2 == 0 && i % 8 != 0) ? 10 : 3 + random() % 12;
    for (std::size_t digit = 0; digit < length; ++digit) {
      text += static_cast<char>('0' + random() % 10);
    }
    inputs.push_back(text);
  }
  int valid = 0;
  for (const std::string& text : inputs) {
    const Oracle expected = oracle(text);
    valid += expected.is_e164 ? 1 : 0;
    ASSERT_EQ(is_e164(text), expected.is_e164) << text;
    ASSERT_EQ(region_of(text), expected.region) << text;
    ASSERT_EQ(canonical_region_of(text), expected.is_e164 ? expected.region : "") << text;
    ASSERT_EQ(format_national(text), expected.national) << text;
  }
  EXPECT_GT(valid, 1000); // the sample reaches the fast path, not only Parse's refusals
}

} // namespace
} // namespace vami
