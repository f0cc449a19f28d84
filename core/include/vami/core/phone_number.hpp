#pragma once

#include <string>
#include <string_view>

namespace vami {

/// Parses a phone number as a user typed it ("+1 212 555 0101", "(212) 555-0101" with
/// `default_region` "US") and returns it in E.164 ("+12125550101"). Uses libphonenumber and
/// requires `IsValidNumber`, so a lenient parse of a mistyped number ("+1 (212) 555-01O1")
/// is rejected. Letters are always rejected: a vanity number ("+1 800 FLOWERS") is never
/// converted to keypad digits (docs/troubleshooting.md).
/// @throws Error(invalid_input) naming `input` and saying why it is not a valid number.
[[nodiscard]] std::string to_e164(std::string_view input, std::string_view default_region = "US");

/// True when `e164` is already a valid number in canonical E.164 form.
[[nodiscard]] bool is_e164(std::string_view e164);

/// The ISO 3166-1 alpha-2 region of a valid E.164 number ("US", "CA", "GB"); empty if unknown.
[[nodiscard]] std::string region_of(std::string_view e164);

/// `region_of(e164)` when `is_e164(e164)`, else empty: one parse where the two take two (for
/// callers that check many numbers, such as the sandbox generating its inventory).
[[nodiscard]] std::string canonical_region_of(std::string_view e164);

/// The number in its country's national format ("(212) 555-0101"), the form Twilio uses as a
/// number's default friendly name. Returns `e164` unchanged if it does not parse.
[[nodiscard]] std::string format_national(std::string_view e164);

/// Where a number rings, from libphonenumber's offline geocoder (English names).
struct NumberLocation {
  std::string locality; ///< City or town ("New York"); empty when the geocoder knows only a region.
  std::string region;   ///< US state or Canadian province code ("NY", "ON"), else a region name.
};

/// Geocodes a valid E.164 number offline; empty fields when the geocoder knows nothing.
[[nodiscard]] NumberLocation locate(std::string_view e164);

/// True when `area_code` (three digits) is an area code in service in `country` ("US" or "CA")
/// according to libphonenumber's metadata. Any other country has no area codes: false.
[[nodiscard]] bool is_area_code_in_service(std::string_view country, std::string_view area_code);

/// True when `country` is an ISO 3166-1 alpha-2 code libphonenumber knows ("US", "GB").
[[nodiscard]] bool is_supported_country(std::string_view country);

} // namespace vami
