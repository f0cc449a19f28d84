#pragma once

// Private to the Twilio emulator's inventory: NANP area codes (which have local numbers, which
// are toll-free) and a cheap sample of each for walks that filter by region or locality.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vami::sandbox::inventory_detail {

/// NANP toll-free area codes.
constexpr std::array<std::string_view, 7> k_nanp_toll_free = {"800", "833", "844", "855",
                                                              "866", "877", "888"};

/// Whether `area_code` is a NANP toll-free code.
inline bool is_nanp_toll_free(std::string_view area_code) {
  return std::find(k_nanp_toll_free.begin(), k_nanp_toll_free.end(), area_code) !=
         k_nanp_toll_free.end();
}

/// Whether a NANP area code ("200"-"999") has local numbers in `country` ("US" or "CA"), from
/// libphonenumber's metadata. Memoised per process, so a walk that stops early checks only the
/// codes it passes. Thread-safe.
[[nodiscard]] bool local_area_in_service(std::string_view country, const std::string& area_code);

/// All NANP area codes ("200" to "999"), ascending: the order of walks (each checked with
/// local_area_in_service as the walk reaches it).
[[nodiscard]] const std::vector<std::string>& nanp_area_codes();

/// Local area codes of `country` in service, ascending (toll-free codes excluded). Computed
/// once per process (800 checks), lazily: only searches by locality need the whole list.
[[nodiscard]] const std::vector<std::string>& nanp_local_area_codes(std::string_view country);

/// What geocoding a few exchanges of an area code found.
struct AreaSample {
  std::size_t valid = 0;               ///< Exchanges that are valid numbers of the country.
  std::size_t non_geographic = 0;      ///< Of those, the ones the geocoder cannot place.
  bool unknown_region = false;         ///< Some exchange's region is not a known state or province.
  std::vector<std::string> regions;    ///< Two-letter codes, one per placed exchange.
  std::vector<std::string> localities; ///< The geocoder's cities, where it named one.
};

/// Geocodes a few exchanges of an area code, memoised per process. Used only to skip or
/// reorder area codes in a walk; the filters themselves are always applied to every listing.
[[nodiscard]] AreaSample sample_area(std::string_view country, const std::string& area_code);

} // namespace vami::sandbox::inventory_detail
