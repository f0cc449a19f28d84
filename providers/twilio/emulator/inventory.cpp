#include "twilio/emulator/inventory.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include "twilio/emulator/contains_pattern.hpp"
#include "twilio/emulator/inventory_blocks.hpp"
#include "twilio/emulator/inventory_regions.hpp"
#include "twilio/emulator/inventory_support.hpp"
#include "twilio/emulator/nanp_areas.hpp"

#include <vami/core/phone_number.hpp>

// The searches of the inventory: which blocks a query walks, in which order, and which of their
// numbers it offers. Blocks are in inventory_blocks, area codes in nanp_areas, regions and the
// made-up details in inventory_regions, the Contains pattern in contains_pattern.

namespace vami::sandbox {

using namespace inventory_detail;

namespace {

// A search without AreaCode visits at most this many blocks, so that a rare combination of
// filters costs a bounded amount of generation instead of the whole country.
constexpr std::size_t k_max_blocks_per_search = 64;
constexpr std::size_t k_max_blocks_without_locality = 8;

// GB geographic area codes (national significant number prefixes) the sandbox sells.
constexpr std::array<std::string_view, 15> k_gb_local = {"20",  "121", "113", "114", "115",
                                                         "116", "117", "118", "131", "141",
                                                         "151", "161", "191", "28",  "29"};
constexpr std::array<std::string_view, 5> k_gb_mobile = {"74", "75", "77", "78", "79"};
constexpr std::array<std::string_view, 2> k_gb_toll_free = {"800", "808"};

struct BlockRef {
  std::string_view country;
  NumberType type;
  std::string area_code;
};

std::string calling_code_of(std::string_view country) {
  return is_nanp(country) ? "1" : "44";
}

std::vector<std::string> gb_keys(NumberType type) {
  switch (type) {
  case NumberType::local:
    return {k_gb_local.begin(), k_gb_local.end()};
  case NumberType::mobile:
    return {k_gb_mobile.begin(), k_gb_mobile.end()};
  case NumberType::toll_free:
    return {k_gb_toll_free.begin(), k_gb_toll_free.end()};
  }
  return {};
}

bool sample_contains_locality(const AreaSample& sample, std::string_view locality) {
  return std::any_of(sample.localities.begin(), sample.localities.end(),
                     [&](const std::string& l) { return iequals(l, locality); });
}

bool sample_has_region(const AreaSample& sample, std::string_view region) {
  return std::any_of(sample.regions.begin(), sample.regions.end(),
                     [&](const std::string& r) { return iequals(r, region); });
}

// Whether a walk may skip a NANP local area code without generating it, from its sample.
bool skip_area(const AreaSample& sample, const InventoryQuery& query,
               const std::vector<std::string>& postal_regions) {
  if (sample.valid == 0) {
    return false;
  }
  if (sample.non_geographic == sample.valid) {
    return true;
  }
  if (sample.unknown_region) {
    return false;
  }
  if (!query.in_region.empty() && !sample_has_region(sample, query.in_region)) {
    return true;
  }
  if (!query.in_postal_code.empty() &&
      std::none_of(postal_regions.begin(), postal_regions.end(),
                   [&](const std::string& region) { return sample_has_region(sample, region); })) {
    return true;
  }
  return false;
}

// The area codes a search visits, in order.
std::vector<std::string> walk_order(const InventoryQuery& query) {
  const std::string& country = query.country;
  if (!is_nanp(country)) {
    std::vector<std::string> keys = gb_keys(query.type);
    if (!query.area_code.empty()) {
      std::erase_if(keys, [&](const std::string& key) { return key != query.area_code; });
    }
    return keys;
  }
  if (query.type == NumberType::toll_free) {
    std::vector<std::string> codes(k_nanp_toll_free.begin(), k_nanp_toll_free.end());
    if (!query.area_code.empty()) {
      std::erase_if(codes, [&](const std::string& code) { return code != query.area_code; });
    }
    return codes;
  }
  if (!query.area_code.empty()) {
    if (query.area_code.size() != 3 || !all_digits(query.area_code) ||
        !local_area_in_service(country, query.area_code)) {
      return {}; // Twilio answers an area code with nothing for sale with an empty list
    }
    return {query.area_code};
  }
  if (query.in_locality.empty()) {
    return nanp_area_codes();
  }
  // Area codes whose sample shows the locality first; the rest still follow in order.
  std::vector<std::string> codes = nanp_local_area_codes(country);
  std::stable_partition(codes.begin(), codes.end(), [&](const std::string& code) {
    return sample_contains_locality(sample_area(country, code), query.in_locality);
  });
  return codes;
}

Listing listing_from(const Block& block, const Entry& entry) {
  return Listing{entry.e164,      block.country,         block.type,
                 block.area_code, entry.place->locality, entry.place->region};
}

} // namespace

bool inventory_offers(std::string_view country, NumberType type) {
  if (is_nanp(country)) {
    return type == NumberType::local || type == NumberType::toll_free;
  }
  return country == "GB";
}

void warm_up_inventory() {
  for (const char* e164 : {"+12122345678", "+14162345678", "+442079460000"}) {
    (void)locate(e164);
  }
}

std::vector<Listing> search_inventory(const InventoryQuery& query,
                                      const std::function<bool(const std::string&)>& is_taken) {
  std::vector<Listing> found;
  if (query.limit == 0 || !inventory_offers(query.country, query.type)) {
    return found;
  }
  ContainsPattern pattern;
  if (!query.contains.empty()) {
    pattern = parse_contains(query.contains);
    if (!pattern.valid) {
      return found;
    }
  }
  const std::optional<std::size_t> suffix_shard = ending_of_pattern(pattern);
  const std::string calling_code = calling_code_of(query.country);
  const bool nanp_local_walk =
      is_nanp(query.country) && query.type == NumberType::local && query.area_code.empty();
  const std::string postal = postal_key(query.in_postal_code);
  const std::vector<std::string> postal_regions = regions_of_postal_code(query.country, postal);
  std::size_t visited = 0;
  std::size_t visited_without_locality = 0;
  for (const std::string& area_code : walk_order(query)) {
    if (!query.contains.empty() && !may_start_with(pattern, calling_code + area_code) &&
        !may_start_with(pattern, area_code)) {
      continue;
    }
    if (nanp_local_walk) {
      if (!local_area_in_service(query.country, area_code)) {
        continue;
      }
      AreaSample sample = sample_area(query.country, area_code);
      if (skip_area(sample, query, postal_regions)) {
        continue;
      }
      // Past the area codes known to have the locality, a few more are tried in order; the
      // geocoder's localities are too fine-grained to sample them all cheaply.
      if (!query.in_locality.empty() && !sample_contains_locality(sample, query.in_locality) &&
          ++visited_without_locality > k_max_blocks_without_locality) {
        break;
      }
    }
    if (++visited > k_max_blocks_per_search) {
      break;
    }
    std::shared_ptr<Block> block = block_of(query.country, query.type, area_code);
    // Whether the listing was taken into `found`; false once the page is full.
    auto offer = [&](const Entry& entry) {
      const Place& place = *entry.place;
      if ((!query.in_region.empty() && !iequals(place.region, query.in_region)) ||
          (!query.in_locality.empty() && !iequals(place.locality, query.in_locality)) ||
          (!query.contains.empty() && !pattern_matches_number(pattern, entry.e164)) ||
          is_taken(entry.e164)) {
        return true;
      }
      Listing listing = listing_from(*block, entry);
      if (!postal.empty() && postal_key(details_of(listing).postal_code) != postal) {
        return true;
      }
      found.push_back(std::move(listing));
      return found.size() < query.limit;
    };
    if (suffix_shard) {
      for (const Entry& entry : shard_entries(*block, *suffix_shard)) {
        if (!offer(entry)) {
          break;
        }
      }
    } else {
      for_each_entry(*block, offer);
    }
    if (found.size() >= query.limit) {
      return found;
    }
  }
  return found;
}

std::optional<Listing> find_in_inventory(std::string_view e164) {
  // Every +1 and +44 number has a region: an empty one is not a valid number in E.164.
  const std::string region = canonical_region_of(e164);
  if (region.empty()) {
    return std::nullopt;
  }
  std::vector<BlockRef> candidates;
  if (e164.rfind("+1", 0) == 0 && e164.size() == 12) {
    std::string area_code(e164.substr(2, 3));
    if (is_nanp_toll_free(area_code)) {
      candidates.push_back({"US", NumberType::toll_free, area_code});
      candidates.push_back({"CA", NumberType::toll_free, area_code});
    } else {
      if (is_nanp(region)) {
        candidates.push_back({region == "US" ? std::string_view("US") : std::string_view("CA"),
                              NumberType::local, area_code});
      }
    }
  } else if (e164.rfind("+44", 0) == 0) {
    std::string_view national = e164.substr(3);
    for (NumberType type : {NumberType::local, NumberType::mobile, NumberType::toll_free}) {
      for (const std::string& key : gb_keys(type)) {
        if (national.rfind(key, 0) == 0) {
          candidates.push_back({"GB", type, key});
        }
      }
    }
  }
  const std::size_t shard =
      static_cast<std::size_t>((e164[e164.size() - 2] - '0') * 10 + (e164.back() - '0'));
  for (const BlockRef& ref : candidates) {
    std::shared_ptr<Block> block = block_of(ref.country, ref.type, ref.area_code);
    for (const Entry& entry : shard_entries(*block, shard)) {
      if (entry.e164 == e164) {
        return listing_from(*block, entry);
      }
    }
  }
  return std::nullopt;
}

} // namespace vami::sandbox
