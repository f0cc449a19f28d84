#include <algorithm>
#include <array>
#include <map>
#include <mutex>

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumberutil.h>

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>

namespace vami {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

PhoneNumberUtil& util() {
  return *PhoneNumberUtil::GetInstance();
}

bool has_letter(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

// A NANP (+1) or GB (+44) number written as "+" and digits (the form vami stores and providers
// send), built without Parse's regular expressions, which dominate the time of a sandbox
// generating its inventory or of a buy checking a thousand numbers. Only where Parse would read
// the same digits: it strips a national prefix (NANP "1", GB "0") that no national number in
// E.164 begins with, while in other plans (Mexico's mobile "1", Argentina's "9") a prefix can
// begin a number that is valid both with and without it. Anything else is nullopt, for Parse.
std::optional<PhoneNumber> from_plain_e164(std::string_view text) {
  struct Plan {
    std::string_view calling_code;
    char national_prefix;
    std::size_t max_national_digits;
  };
  static constexpr std::array<Plan, 2> k_plans{{{"1", '1', 10}, {"44", '0', 10}}};
  for (const Plan& plan : k_plans) {
    if (text.size() < 2 + plan.calling_code.size() || text.front() != '+' ||
        text.substr(1, plan.calling_code.size()) != plan.calling_code) {
      continue;
    }
    const std::string_view national = text.substr(1 + plan.calling_code.size());
    constexpr std::size_t k_min_national_digits = 2; // shorter is not a number to Parse
    if (national.size() < k_min_national_digits || national.size() > plan.max_national_digits ||
        national.front() == plan.national_prefix || national.front() == '0' ||
        !std::all_of(national.begin(), national.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    PhoneNumber number;
    number.set_country_code(std::stoi(std::string(plan.calling_code)));
    number.set_national_number(std::stoull(std::string(national)));
    return number;
  }
  return std::nullopt;
}

std::optional<PhoneNumber> parse_valid(std::string_view text, std::string_view default_region) {
  // libphonenumber turns three or more letters into keypad digits ("+1 800 FLOWERS") and drops
  // fewer ("+1 212 555 01O1"): a typo could name another number. vami takes digits only.
  if (has_letter(text)) {
    return std::nullopt;
  }
  // An invalid one goes to Parse, which may still read it ("+112125550101": a NANP trunk 1).
  if (std::optional<PhoneNumber> plain = from_plain_e164(text);
      plain && util().IsValidNumber(*plain)) {
    return plain;
  }
  PhoneNumber number;
  if (util().Parse(std::string(text), std::string(default_region), &number) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::nullopt;
  }
  if (!util().IsValidNumber(number)) {
    return std::nullopt;
  }
  return number;
}

// The region of a parsed valid number; empty for none ("ZZ").
std::string region_for(const PhoneNumber& number) {
  std::string region;
  util().GetRegionCodeForNumber(number, &region);
  return region == "ZZ" ? std::string() : region;
}

std::string describe_parse_failure(std::string_view input, std::string_view default_region) {
  for (char c : input) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      return "it contains a letter ('" + std::string(1, c) + "'); vanity numbers are not converted";
    }
  }
  PhoneNumber number;
  switch (util().Parse(std::string(input), std::string(default_region), &number)) {
  case PhoneNumberUtil::NO_PARSING_ERROR:
    break;
  case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
    return "its country code is unknown";
  case PhoneNumberUtil::NOT_A_NUMBER:
    return "it is not a phone number";
  case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
  case PhoneNumberUtil::TOO_SHORT_NSN:
    return "it is too short";
  case PhoneNumberUtil::TOO_LONG_NSN:
    return "it is too long";
  }
  switch (util().IsPossibleNumberWithReason(number)) {
  case PhoneNumberUtil::TOO_SHORT:
    return "it has too few digits";
  case PhoneNumberUtil::TOO_LONG:
    return "it has too many digits";
  case PhoneNumberUtil::INVALID_COUNTRY_CODE:
    return "its country code is unknown";
  default:
    return "no such number is in service in its country";
  }
}

// The geocoder names a whole state or province in full ("New York") when it knows no city;
// providers and users use the postal codes ("NY").
const std::map<std::string, std::string>& region_codes() {
  static const std::map<std::string, std::string> codes{{"Alabama", "AL"},
                                                        {"Alaska", "AK"},
                                                        {"Arizona", "AZ"},
                                                        {"Arkansas", "AR"},
                                                        {"California", "CA"},
                                                        {"Colorado", "CO"},
                                                        {"Connecticut", "CT"},
                                                        {"Delaware", "DE"},
                                                        {"District of Columbia", "DC"},
                                                        {"Washington D.C.", "DC"},
                                                        {"Florida", "FL"},
                                                        {"Georgia", "GA"},
                                                        {"Hawaii", "HI"},
                                                        {"Idaho", "ID"},
                                                        {"Illinois", "IL"},
                                                        {"Indiana", "IN"},
                                                        {"Iowa", "IA"},
                                                        {"Kansas", "KS"},
                                                        {"Kentucky", "KY"},
                                                        {"Louisiana", "LA"},
                                                        {"Maine", "ME"},
                                                        {"Maryland", "MD"},
                                                        {"Massachusetts", "MA"},
                                                        {"Michigan", "MI"},
                                                        {"Minnesota", "MN"},
                                                        {"Mississippi", "MS"},
                                                        {"Missouri", "MO"},
                                                        {"Montana", "MT"},
                                                        {"Nebraska", "NE"},
                                                        {"Nevada", "NV"},
                                                        {"New Hampshire", "NH"},
                                                        {"New Jersey", "NJ"},
                                                        {"New Mexico", "NM"},
                                                        {"New York", "NY"},
                                                        {"North Carolina", "NC"},
                                                        {"North Dakota", "ND"},
                                                        {"Ohio", "OH"},
                                                        {"Oklahoma", "OK"},
                                                        {"Oregon", "OR"},
                                                        {"Pennsylvania", "PA"},
                                                        {"Rhode Island", "RI"},
                                                        {"South Carolina", "SC"},
                                                        {"South Dakota", "SD"},
                                                        {"Tennessee", "TN"},
                                                        {"Texas", "TX"},
                                                        {"Utah", "UT"},
                                                        {"Vermont", "VT"},
                                                        {"Virginia", "VA"},
                                                        {"Washington", "WA"},
                                                        {"Washington State", "WA"},
                                                        {"West Virginia", "WV"},
                                                        {"Wisconsin", "WI"},
                                                        {"Wyoming", "WY"},
                                                        {"Alberta", "AB"},
                                                        {"British Columbia", "BC"},
                                                        {"Manitoba", "MB"},
                                                        {"New Brunswick", "NB"},
                                                        {"Newfoundland and Labrador", "NL"},
                                                        {"Northwest Territories", "NT"},
                                                        {"Nova Scotia", "NS"},
                                                        {"Nunavut", "NU"},
                                                        {"Ontario", "ON"},
                                                        {"Prince Edward Island", "PE"},
                                                        {"Quebec", "QC"},
                                                        {"Saskatchewan", "SK"},
                                                        {"Yukon", "YT"}};
  return codes;
}

} // namespace

std::string to_e164(std::string_view input, std::string_view default_region) {
  auto number = parse_valid(input, default_region);
  if (!number) {
    throw Error(ErrorKind::invalid_input,
                "'" + std::string(input) + "' is not a valid phone number: " +
                    describe_parse_failure(input, default_region),
                "write it in E.164, such as +12125550101");
  }
  std::string e164;
  util().Format(*number, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool is_e164(std::string_view e164) {
  if (e164.empty() || e164.front() != '+') {
    return false;
  }
  auto number = parse_valid(e164, "ZZ");
  if (!number) {
    return false;
  }
  std::string canonical;
  util().Format(*number, PhoneNumberUtil::E164, &canonical);
  return canonical == e164;
}

std::string region_of(std::string_view e164) {
  auto number = parse_valid(e164, "ZZ");
  return number ? region_for(*number) : std::string();
}

std::string canonical_region_of(std::string_view e164) {
  if (e164.empty() || e164.front() != '+') {
    return {};
  }
  auto number = parse_valid(e164, "ZZ");
  if (!number) {
    return {};
  }
  std::string canonical;
  util().Format(*number, PhoneNumberUtil::E164, &canonical);
  if (canonical != e164) {
    return {};
  }
  return region_for(*number);
}

std::string format_national(std::string_view e164) {
  std::optional<PhoneNumber> number = from_plain_e164(e164);
  if (!number) {
    PhoneNumber parsed;
    if (util().Parse(std::string(e164), "ZZ", &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) {
      return std::string(e164);
    }
    number = parsed;
  }
  std::string national;
  util().Format(*number, PhoneNumberUtil::NATIONAL, &national);
  return national;
}

NumberLocation locate(std::string_view e164) {
  auto number = parse_valid(e164, "ZZ");
  if (!number) {
    return {};
  }
  // The geocoder loads its prefix tables lazily; one instance behind a lock keeps that safe.
  static std::mutex geocoder_mutex;
  static i18n::phonenumbers::PhoneNumberOfflineGeocoder geocoder;
  std::string description;
  {
    std::lock_guard lock(geocoder_mutex);
    description = geocoder.GetDescriptionForNumber(*number, icu::Locale("en", "US"));
  }
  NumberLocation location;
  // North American descriptions read "New York, NY"; elsewhere they are a place name.
  if (auto comma = description.rfind(", "); comma != std::string::npos) {
    location.locality = description.substr(0, comma);
    location.region = description.substr(comma + 2);
  } else if (std::string region = region_for(*number); region == "US" || region == "CA") {
    auto code = region_codes().find(description);
    location.region = code == region_codes().end() ? description : code->second;
  } else {
    location.locality = description;
  }
  return location;
}

bool is_area_code_in_service(std::string_view country, std::string_view area_code) {
  if ((country != "US" && country != "CA") || area_code.size() != 3) {
    return false;
  }
  for (char c : area_code) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  // libphonenumber lists the area codes in service in its NANP patterns; an area code is in
  // service when some ordinary exchange under it forms a valid number of that country.
  for (const char* subscriber : {"2345678", "3456789", "4567890", "5678901", "6789012", "7890123",
                                 "8901234", "9012345", "2222222", "9999999"}) {
    auto number = parse_valid("+1" + std::string(area_code) + subscriber, "ZZ");
    if (!number) {
      continue;
    }
    std::string region;
    util().GetRegionCodeForNumber(*number, &region);
    if (region == country) {
      return true;
    }
  }
  return false;
}

bool is_supported_country(std::string_view country) {
  return util().GetCountryCodeForRegion(std::string(country)) != 0;
}

} // namespace vami
