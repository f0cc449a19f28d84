#pragma once

// Private to the Twilio emulator's inventory: US states and Canadian provinces, as Twilio's
// `region` names them, with the postal prefixes and centroids that give each listing a
// plausible postal code and coordinates (see `details_of` in inventory.hpp).

#include <string>
#include <string_view>
#include <vector>

namespace vami::sandbox::inventory_detail {

/// One US state or Canadian province.
struct RegionInfo {
  std::string_view code;   ///< Two letters, as Twilio's `region` ("NY", "QC").
  std::string_view name;   ///< Full name, as the geocoder sometimes answers ("Manitoba").
  std::string_view postal; ///< US: first three ZIP digits; CA: first letters of postal codes.
  double latitude;         ///< Centroid, degrees.
  double longitude;        ///< Centroid, degrees.
};

/// The state or province of `country` ("US" or "CA") whose code or name is `code_or_name`
/// (case-insensitive; Quebec also with its accent); nullptr when none is, or in other countries.
[[nodiscard]] const RegionInfo* find_region(std::string_view country,
                                            std::string_view code_or_name);

/// Whether the geocoder's `text` names a whole country: it does so for numbers it cannot place
/// (toll-free, premium and personal-service codes such as 500, 900, 600), which are not local.
[[nodiscard]] bool is_country_name(std::string_view text);

/// The regions whose made-up postal codes can equal `postal` (see details_of): the state of a
/// ZIP code's first three digits, the provinces of a Canadian postal code's first letter.
[[nodiscard]] std::vector<std::string> regions_of_postal_code(std::string_view country,
                                                              std::string_view postal);

} // namespace vami::sandbox::inventory_detail
