#include "twilio/emulator/inventory_regions.hpp"

#include <array>
#include <cstdio>

#include "twilio/emulator/inventory.hpp"
#include "twilio/emulator/inventory_support.hpp"

#include <vami/core/phone_number.hpp>

namespace vami::sandbox::inventory_detail {

namespace {

// The geocoder sometimes answers with a full name ("Manitoba") instead of "City, XX"; Twilio's
// `region` is always the two-letter code.
constexpr std::array<RegionInfo, 51> k_us_regions = {{
    {"AL", "Alabama", "350", 32.806671, -86.791130},
    {"AK", "Alaska", "995", 61.370716, -152.404419},
    {"AZ", "Arizona", "850", 33.729759, -111.431221},
    {"AR", "Arkansas", "716", 34.969704, -92.373123},
    {"CA", "California", "900", 36.116203, -119.681564},
    {"CO", "Colorado", "800", 39.059811, -105.311104},
    {"CT", "Connecticut", "060", 41.597782, -72.755371},
    {"DE", "Delaware", "197", 39.318523, -75.507141},
    {"DC", "Washington D.C.", "200", 38.897438, -77.026817},
    {"FL", "Florida", "320", 27.766279, -81.686783},
    {"GA", "Georgia", "300", 33.040619, -83.643074},
    {"HI", "Hawaii", "967", 21.094318, -157.498337},
    {"ID", "Idaho", "832", 44.240459, -114.478828},
    {"IL", "Illinois", "600", 40.349457, -88.986137},
    {"IN", "Indiana", "460", 39.849426, -86.258278},
    {"IA", "Iowa", "500", 42.011539, -93.210526},
    {"KS", "Kansas", "660", 38.526600, -96.726486},
    {"KY", "Kentucky", "400", 37.668140, -84.670067},
    {"LA", "Louisiana", "700", 31.169546, -91.867805},
    {"ME", "Maine", "039", 44.693947, -69.381927},
    {"MD", "Maryland", "206", 39.063946, -76.802101},
    {"MA", "Massachusetts", "010", 42.230171, -71.530106},
    {"MI", "Michigan", "480", 43.326618, -84.536095},
    {"MN", "Minnesota", "550", 45.694454, -93.900192},
    {"MS", "Mississippi", "386", 32.741646, -89.678696},
    {"MO", "Missouri", "630", 38.456085, -92.288368},
    {"MT", "Montana", "590", 46.921925, -110.454353},
    {"NE", "Nebraska", "680", 41.125370, -98.268082},
    {"NV", "Nevada", "889", 38.313515, -117.055374},
    {"NH", "New Hampshire", "030", 43.452492, -71.563896},
    {"NJ", "New Jersey", "070", 40.298904, -74.521011},
    {"NM", "New Mexico", "870", 34.840515, -106.248482},
    {"NY", "New York", "100", 40.712800, -74.006000},
    {"NC", "North Carolina", "270", 35.630066, -79.806419},
    {"ND", "North Dakota", "580", 47.528912, -99.784012},
    {"OH", "Ohio", "430", 40.388783, -82.764915},
    {"OK", "Oklahoma", "730", 35.565342, -96.928917},
    {"OR", "Oregon", "970", 44.572021, -122.070938},
    {"PA", "Pennsylvania", "150", 40.590752, -77.209755},
    {"RI", "Rhode Island", "028", 41.680893, -71.511780},
    {"SC", "South Carolina", "290", 33.856892, -80.945007},
    {"SD", "South Dakota", "570", 44.299782, -99.438828},
    {"TN", "Tennessee", "370", 35.747845, -86.692345},
    {"TX", "Texas", "750", 31.054487, -97.563461},
    {"UT", "Utah", "840", 40.150032, -111.862434},
    {"VT", "Vermont", "050", 44.045876, -72.710686},
    {"VA", "Virginia", "220", 37.769337, -78.169968},
    {"WA", "Washington State", "980", 47.400902, -121.490494},
    {"WV", "West Virginia", "247", 38.491226, -80.954453},
    {"WI", "Wisconsin", "530", 44.268543, -89.616508},
    {"WY", "Wyoming", "820", 42.755966, -107.302490},
}};

constexpr std::array<RegionInfo, 13> k_ca_regions = {{
    {"AB", "Alberta", "T", 53.933271, -116.576504},
    {"BC", "British Columbia", "V", 53.726668, -127.647621},
    {"MB", "Manitoba", "R", 53.760861, -98.813876},
    {"NB", "New Brunswick", "E", 46.565316, -66.461916},
    {"NL", "Newfoundland and Labrador", "A", 53.135509, -57.660436},
    {"NS", "Nova Scotia", "B", 44.681987, -63.744311},
    {"NT", "Northwest Territories", "X", 64.825544, -124.845733},
    {"NU", "Nunavut", "X", 70.299771, -83.107577},
    {"ON", "Ontario", "KLMNP", 51.253775, -85.323214},
    {"PE", "Prince Edward Island", "C", 46.510712, -63.416814},
    {"QC", "Quebec", "GHJ", 52.939916, -73.549136},
    {"SK", "Saskatchewan", "S", 52.939916, -106.450864},
    {"YT", "Yukon", "Y", 64.282327, -135.000000},
}};

} // namespace

const RegionInfo* find_region(std::string_view country, std::string_view code_or_name) {
  auto search = [](const auto& table, std::string_view wanted) -> const RegionInfo* {
    for (const auto& info : table) {
      if (iequals(info.code, wanted) || iequals(info.name, wanted)) {
        return &info;
      }
    }
    return nullptr;
  };
  if (country == "US") {
    return search(k_us_regions, code_or_name);
  }
  if (country == "CA") {
    // The geocoder may spell Quebec with an accent.
    constexpr std::string_view k_quebec_accented = "Qu\xc3\xa9"
                                                   "bec";
    return search(k_ca_regions, iequals(code_or_name, k_quebec_accented) ? "QC" : code_or_name);
  }
  return nullptr;
}

// The geocoder names the whole country for numbers it cannot place: toll-free, premium and
// personal-service codes (500, 900, 600 ...), which are not local numbers.
bool is_country_name(std::string_view text) {
  return text == "United States" || text == "Canada" || text == "United Kingdom";
}

// The regions whose made-up postal codes can equal `postal` (see details_of): the state of a
// ZIP code's first three digits, the provinces of a Canadian postal code's first letter.
std::vector<std::string> regions_of_postal_code(std::string_view country, std::string_view postal) {
  std::vector<std::string> regions;
  auto collect = [&](const auto& table) {
    for (const RegionInfo& info : table) {
      bool matches = country == "US" ? postal.substr(0, 3) == info.postal
                                     : !postal.empty() && info.postal.find(postal.front()) !=
                                                              std::string_view::npos;
      if (matches) {
        regions.emplace_back(info.code);
      }
    }
  };
  if (country == "US") {
    collect(k_us_regions);
  } else if (country == "CA") {
    collect(k_ca_regions);
  }
  return regions;
}

} // namespace vami::sandbox::inventory_detail

namespace vami::sandbox {

using namespace inventory_detail;

ListingDetails details_of(const Listing& listing) {
  ListingDetails details;
  const bool nanp = is_nanp(listing.iso_country);
  details.friendly_name = nanp ? format_national(listing.e164) : listing.e164;
  if (!nanp || listing.type != NumberType::local) {
    return details;
  }
  const std::string exchange = listing.e164.substr(2, 6); // NPA-NXX
  std::uint64_t area_hash = fnv1a(listing.area_code);
  std::uint64_t exchange_hash = fnv1a(exchange);
  details.lata = std::to_string(120 + area_hash % 830);
  details.rate_center = to_upper(listing.locality);
  const RegionInfo* info = find_region(listing.iso_country, listing.region);
  if (info == nullptr) {
    return details;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6f", info->latitude);
  details.latitude = buffer;
  std::snprintf(buffer, sizeof buffer, "%.6f", info->longitude);
  details.longitude = buffer;
  if (listing.iso_country == "US") {
    std::snprintf(buffer, sizeof buffer, "%02u", static_cast<unsigned>(exchange_hash % 100));
    details.postal_code = std::string(info->postal) + buffer;
  } else {
    // Canadian postal codes: letter digit letter, space, digit letter digit; the first letter
    // is the province's, and D F I O Q U never appear.
    static constexpr std::string_view k_letters = "ABCEGHJKLMNPRSTVWXYZ";
    SplitMix64 rng(exchange_hash);
    std::string code;
    code += info->postal[rng.below(static_cast<unsigned>(info->postal.size()))];
    code += static_cast<char>('0' + rng.below(10));
    code += k_letters[rng.below(static_cast<unsigned>(k_letters.size()))];
    code += ' ';
    code += static_cast<char>('0' + rng.below(10));
    code += k_letters[rng.below(static_cast<unsigned>(k_letters.size()))];
    code += static_cast<char>('0' + rng.below(10));
    details.postal_code = code;
  }
  return details;
}

} // namespace vami::sandbox
