#include "twilio/emulator/inventory_blocks.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <unordered_set>

#include "twilio/emulator/inventory_regions.hpp"
#include "twilio/emulator/inventory_support.hpp"

#include <vami/core/phone_number.hpp>

namespace vami::sandbox::inventory_detail {

namespace {

// Numbers for sale per inventory block (one area code of one country and type): 30 per ending
// of two digits, so that a search of one partition ("07$") fills Twilio's page of 30 as it does
// in a metropolitan area code, and a 1,000-number buy leaves most of the block for sale.
constexpr std::size_t k_block_size = 3000;
// Generation gives up after this many candidates, and early when the first ones are all
// rejected (a non-geographic area code such as 900 has no local numbers at all).
constexpr std::size_t k_max_attempts = 20 * k_block_size;
constexpr std::size_t k_early_give_up = 400;

constexpr std::size_t k_shard_size = k_block_size / k_shards;
constexpr std::size_t k_shard_attempts = k_max_attempts / k_shards;

const char* type_key(NumberType type) {
  switch (type) {
  case NumberType::local:
    return "local";
  case NumberType::toll_free:
    return "tollfree";
  case NumberType::mobile:
    return "mobile";
  }
  return "local";
}

std::string random_digits(SplitMix64& rng, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += static_cast<char>('0' + rng.below(10));
  }
  return out;
}

// One candidate number of a block ending in `suffix` (two digits), or empty when the draw is
// excluded by construction.
std::string draw_candidate(std::string_view country, std::string_view area_code,
                           std::string_view suffix, SplitMix64& rng) {
  if (is_nanp(country)) {
    // NANP exchanges are 200-999; N11 codes are service codes and 555 is reserved for fiction.
    unsigned exchange = 200 + rng.below(800);
    unsigned line = rng.below(100);
    if (exchange % 100 == 11 || exchange == 555) {
      return {};
    }
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%03u%02u", exchange, line);
    return "+1" + std::string(area_code) + buffer + std::string(suffix);
  }
  // GB national significant numbers are ten digits for the ranges sold here.
  return "+44" + std::string(area_code) + random_digits(rng, 8 - area_code.size()) +
         std::string(suffix);
}

// The place of a local number, or nullptr when it is not a geographic number (never sold as
// Local). Looked up once per NANP exchange; GB prefixes are not as regular, so GB numbers are
// looked up one by one.
std::shared_ptr<const Place> place_of(Block& block, const std::string& e164) {
  const bool nanp = is_nanp(block.country);
  const std::string exchange = nanp ? e164.substr(5, 3) : std::string();
  if (nanp) {
    std::lock_guard lock(block.places_mutex);
    if (auto cached = block.exchange_places.find(exchange); cached != block.exchange_places.end()) {
      return cached->second;
    }
  }
  NumberLocation location = locate(e164);
  std::shared_ptr<const Place> shared;
  if (!is_country_name(location.region) && !is_country_name(location.locality)) {
    Place place;
    place.locality = location.locality;
    if (nanp) {
      const RegionInfo* info = find_region(block.country, location.region);
      if (info != nullptr) {
        place.region = std::string(info->code);
      } else if (place.locality.empty() && location.region.find('/') == std::string::npos) {
        // A bare place name ("Philadelphia") is a locality; "A/B/C" lists several provinces.
        place.locality = location.region;
      }
    }
    shared = std::make_shared<const Place>(std::move(place));
  }
  std::lock_guard lock(block.places_mutex);
  if (shared) {
    // One object per distinct place, as listings compare places by value anyway.
    auto [slot, inserted] =
        block.places.try_emplace(std::make_pair(shared->locality, shared->region), shared);
    shared = slot->second;
  }
  if (nanp) {
    block.exchange_places.emplace(exchange, shared);
  }
  return shared;
}

// Whether `e164` is a number the block sells; its place (empty for toll-free and mobile).
std::optional<std::shared_ptr<const Place>> sellable(Block& block, const std::string& e164) {
  // NANP toll-free numbers belong to the whole plan; libphonenumber files them under US.
  const std::string_view expected_region =
      (is_nanp(block.country) && block.type == NumberType::toll_free)
          ? std::string_view("US")
          : std::string_view(block.country);
  if (canonical_region_of(e164) != expected_region) {
    return std::nullopt;
  }
  if (block.type != NumberType::local) {
    static const auto k_nowhere = std::make_shared<const Place>();
    return k_nowhere;
  }
  std::shared_ptr<const Place> place = place_of(block, e164);
  if (!place) {
    return std::nullopt;
  }
  return place;
}

std::uint64_t shard_seed(const Block& block, std::string_view suffix) {
  return fnv1a(block.country + "|" + type_key(block.type) + "|" + block.area_code + "|" +
               std::string(suffix));
}

std::string suffix_of(std::size_t shard) {
  return {static_cast<char>('0' + shard / 10), static_cast<char>('0' + shard % 10)};
}

// Gives up on a block whose first candidates are all rejected (a non-geographic area code
// such as 900 has no local numbers at all), before any shard spends its attempts on it.
void check_viable(Block& block) {
  SplitMix64 rng(shard_seed(block, "viable"));
  for (std::size_t attempt = 0; attempt < k_early_give_up && !block.viable; ++attempt) {
    std::string e164 =
        draw_candidate(block.country, block.area_code, suffix_of(rng.below(k_shards)), rng);
    block.viable = !e164.empty() && sellable(block, e164).has_value();
  }
}

void generate(Block& block, std::size_t index) {
  Shard& shard = block.shards[index];
  const std::string suffix = suffix_of(index);
  SplitMix64 rng(shard_seed(block, suffix));
  std::unordered_set<std::string> seen;
  for (std::size_t attempt = 0; attempt < k_shard_attempts && shard.entries.size() < k_shard_size;
       ++attempt) {
    std::string e164 = draw_candidate(block.country, block.area_code, suffix, rng);
    if (e164.empty() || !seen.insert(e164).second) {
      continue;
    }
    if (auto place = sellable(block, e164)) {
      shard.entries.push_back(Entry{std::move(e164), std::move(*place)});
    }
  }
}

class BlockCache {
public:
  static BlockCache& instance() {
    static BlockCache cache;
    return cache;
  }

  // The block (its shards generated on first use); one object per country, type and area code.
  std::shared_ptr<Block> get(std::string_view country, NumberType type,
                             std::string_view area_code) {
    std::string key = std::string(country) + "|" + type_key(type) + "|" + std::string(area_code);
    std::lock_guard lock(m_mutex);
    auto& slot = m_blocks[key];
    if (!slot) {
      slot = std::make_shared<Block>();
      slot->country = std::string(country);
      slot->type = type;
      slot->area_code = std::string(area_code);
    }
    return slot;
  }

private:
  std::mutex m_mutex;
  std::unordered_map<std::string, std::shared_ptr<Block>> m_blocks;
};

} // namespace

std::shared_ptr<Block> block_of(std::string_view country, NumberType type,
                                std::string_view area_code) {
  return BlockCache::instance().get(country, type, area_code);
}

const std::vector<Entry>& shard_entries(Block& block, std::size_t index) {
  std::call_once(block.checked, [&] { check_viable(block); });
  if (block.viable) {
    std::call_once(block.shards[index].generated, [&] { generate(block, index); });
  }
  return block.shards[index].entries;
}

void for_each_entry(Block& block, const std::function<bool(const Entry&)>& visit) {
  for (std::size_t position = 0; position < k_shard_size; ++position) {
    bool any = false;
    for (std::size_t index = 0; index < k_shards; ++index) {
      const std::vector<Entry>& entries = shard_entries(block, index);
      if (position < entries.size()) {
        any = true;
        if (!visit(entries[position])) {
          return;
        }
      }
    }
    if (!any) {
      return;
    }
  }
}

} // namespace vami::sandbox::inventory_detail
