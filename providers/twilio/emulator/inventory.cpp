#include "twilio/emulator/inventory.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <vami/core/phone_number.hpp>

namespace vami::sandbox {

namespace {

// Numbers for sale per inventory block (one area code of one country and type): 30 per ending
// of two digits, so that a search of one partition ("07$") fills Twilio's page of 30 as it does
// in a metropolitan area code, and a 1,000-number buy leaves most of the block for sale.
constexpr std::size_t k_block_size = 3000;
// Generation gives up after this many candidates, and early when the first ones are all
// rejected (a non-geographic area code such as 900 has no local numbers at all).
constexpr std::size_t k_max_attempts = 20 * k_block_size;
constexpr std::size_t k_early_give_up = 400;
// A search without AreaCode visits at most this many blocks, so that a rare combination of
// filters costs a bounded amount of generation instead of the whole country.
constexpr std::size_t k_max_blocks_per_search = 64;
constexpr std::size_t k_max_blocks_without_locality = 8;

constexpr std::array<std::string_view, 7> k_nanp_toll_free = {"800", "833", "844", "855",
                                                              "866", "877", "888"};
// GB geographic area codes (national significant number prefixes) the sandbox sells.
constexpr std::array<std::string_view, 15> k_gb_local = {"20",  "121", "113", "114", "115",
                                                         "116", "117", "118", "131", "141",
                                                         "151", "161", "191", "28",  "29"};
constexpr std::array<std::string_view, 5> k_gb_mobile = {"74", "75", "77", "78", "79"};
constexpr std::array<std::string_view, 2> k_gb_toll_free = {"800", "808"};

// ---------------------------------------------------------------------------------------------
// Stable pseudo-randomness: FNV-1a to turn a block's name into a seed, splitmix64 to expand it.
// std::hash is not used because its values may change between library versions, and the
// inventory must be the same for every vami build.

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

class SplitMix64 {
public:
  explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
  }
  unsigned below(unsigned bound) { return static_cast<unsigned>(next() % bound); }

private:
  std::uint64_t m_state;
};

// ---------------------------------------------------------------------------------------------
// Text helpers.

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}
char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return lower(x) == lower(y); });
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

// Postal codes compare without spaces and case ("m5v 2t6" finds "M5V 2T6").
std::string postal_key(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ') {
      out += upper(c);
    }
  }
  return out;
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---------------------------------------------------------------------------------------------
// States and provinces: the geocoder sometimes answers with a full name ("Manitoba") instead
// of "City, XX"; Twilio's `region` is always the two-letter code. The postal prefix and the
// centroid give each listing a plausible ZIP or postal code and coordinates.

struct RegionInfo {
  std::string_view code;
  std::string_view name;
  std::string_view postal; ///< US: first three ZIP digits; CA: first letters of postal codes.
  double latitude;
  double longitude;
};

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

// ---------------------------------------------------------------------------------------------
// Inventory blocks.

struct Place {
  std::string locality;
  std::string region;
};

struct Entry {
  std::string e164;
  std::shared_ptr<const Place> place;
};

// Twilio's `Contains` search partitions naturally by the last two digits ("07$"), and a search
// anchored there needs only the numbers ending in them: a block is generated as 100 shards, one
// per last two digits, each on first use, so that such a search costs about k_shard_size
// candidates instead of a whole block (a country-wide buy touched dozens of whole blocks before
// its first purchase).
constexpr std::size_t k_shards = 100;
constexpr std::size_t k_shard_size = k_block_size / k_shards;
constexpr std::size_t k_shard_attempts = k_max_attempts / k_shards;

struct Shard {
  std::once_flag generated;
  std::vector<Entry> entries;
};

struct Block {
  std::string country;
  NumberType type = NumberType::local;
  std::string area_code;
  std::once_flag checked;
  bool viable = false; ///< Some candidate of the block is a sellable number.
  std::array<Shard, k_shards> shards;
  // Places of the block's numbers: one geocoder look-up per NANP exchange, shared by shards.
  std::mutex places_mutex;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Place>> places;
  std::unordered_map<std::string, std::shared_ptr<const Place>> exchange_places;
};

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

bool is_nanp(std::string_view country) {
  return country == "US" || country == "CA";
}

bool is_nanp_toll_free(std::string_view area_code) {
  return std::find(k_nanp_toll_free.begin(), k_nanp_toll_free.end(), area_code) !=
         k_nanp_toll_free.end();
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

// The numbers of one shard, generated on first use; empty for a block that sells nothing.
const std::vector<Entry>& shard_entries(Block& block, std::size_t index) {
  std::call_once(block.checked, [&] { check_viable(block); });
  if (block.viable) {
    std::call_once(block.shards[index].generated, [&] { generate(block, index); });
  }
  return block.shards[index].entries;
}

// Visits the block's numbers in its fixed order, interleaved across shards (the first number
// of every ending, then the second ...) so that a search without a suffix sees numbers of every
// ending rather than all the "00"s first; shards are generated as the walk reaches them, so a
// first page costs a few shards, not the block. Stops when `visit` returns false.
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

// ---------------------------------------------------------------------------------------------
// NANP area codes, and a cheap sample of each for walks that filter by region or locality.

// Whether a NANP area code ("200"-"999") has local numbers in `country`, from libphonenumber's
// metadata. Memoised per process, so a walk that stops early checks only the codes it passes.
bool local_area_in_service(std::string_view country, const std::string& area_code) {
  static std::array<std::atomic<std::int8_t>, 800> us_memo{};
  static std::array<std::atomic<std::int8_t>, 800> ca_memo{};
  auto slot = static_cast<std::size_t>(std::stoi(area_code) - 200);
  std::atomic<std::int8_t>& memo = (country == "CA" ? ca_memo : us_memo).at(slot);
  std::int8_t known = memo.load(std::memory_order_relaxed);
  if (known != 0) {
    return known > 0;
  }
  bool in_service = !is_nanp_toll_free(area_code) && is_area_code_in_service(country, area_code);
  memo.store(in_service ? 1 : -1, std::memory_order_relaxed);
  return in_service;
}

// All NANP area codes, ascending: the order of walks (each checked with
// local_area_in_service as the walk reaches it).
const std::vector<std::string>& nanp_area_codes() {
  static const std::vector<std::string> codes = [] {
    std::vector<std::string> all;
    for (int npa = 200; npa <= 999; ++npa) {
      all.push_back(std::to_string(npa));
    }
    return all;
  }();
  return codes;
}

// Local area codes of `country` in service, ascending (toll-free codes excluded). Computed
// once per process (800 checks), lazily: only searches by locality need the whole list.
const std::vector<std::string>& nanp_local_area_codes(std::string_view country) {
  static std::once_flag us_once;
  static std::once_flag ca_once;
  static std::vector<std::string> us;
  static std::vector<std::string> ca;
  auto compute = [](std::string_view iso, std::vector<std::string>& out) {
    for (const std::string& code : nanp_area_codes()) {
      if (local_area_in_service(iso, code)) {
        out.push_back(code);
      }
    }
  };
  if (country == "CA") {
    std::call_once(ca_once, compute, "CA", std::ref(ca));
    return ca;
  }
  std::call_once(us_once, compute, "US", std::ref(us));
  return us;
}

struct AreaSample {
  std::size_t valid = 0;
  std::size_t non_geographic = 0;
  bool unknown_region = false;
  std::vector<std::string> regions;
  std::vector<std::string> localities;
};

// Geocodes a few exchanges of an area code. Used only to skip or reorder area codes in a walk;
// the filters themselves are always applied to every listing.
AreaSample sample_area(std::string_view country, const std::string& area_code) {
  static std::mutex mutex;
  static std::map<std::string, AreaSample> samples;
  std::string key = std::string(country) + area_code;
  {
    std::lock_guard lock(mutex);
    if (auto found = samples.find(key); found != samples.end()) {
      return found->second;
    }
  }
  AreaSample sample;
  for (const char* exchange : {"234", "345", "456", "567", "678", "789", "890", "902"}) {
    std::string e164 = "+1" + area_code + exchange + "4567";
    if (canonical_region_of(e164) != country) {
      continue;
    }
    ++sample.valid;
    NumberLocation location = locate(e164);
    if (is_country_name(location.region)) {
      ++sample.non_geographic;
      continue;
    }
    const RegionInfo* info = find_region(country, location.region);
    if (info == nullptr) {
      sample.unknown_region = true;
    } else {
      sample.regions.emplace_back(info->code);
    }
    if (!location.locality.empty()) {
      sample.localities.push_back(location.locality);
    }
  }
  std::lock_guard lock(mutex);
  samples.emplace(std::move(key), sample);
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Twilio's Contains pattern.

struct ContainsPattern {
  bool valid = false;
  bool anchored_start = false;
  bool anchored_end = false;
  std::string body; ///< Digits, '*' (one character) and '%' (any sequence).
};

char keypad_digit(char letter) {
  static constexpr std::string_view k_keypad = "22233344455566677778889999";
  return k_keypad[static_cast<std::size_t>(lower(letter) - 'a')];
}

ContainsPattern parse_contains(std::string_view text) {
  ContainsPattern pattern;
  if (!text.empty() && text.front() == '+') {
    pattern.anchored_start = true;
    text.remove_prefix(1);
  }
  if (!text.empty() && text.back() == '$') {
    pattern.anchored_end = true;
    text.remove_suffix(1);
  }
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      pattern.body += c;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      pattern.body += keypad_digit(c);
    } else if (c == '*' || c == '%') {
      pattern.body += c;
    } else {
      return pattern;
    }
  }
  pattern.valid = !pattern.body.empty();
  return pattern;
}

// Wildcard match of the whole `text`: '*' one character, '%' any sequence (backtracking on
// the last '%', linear in practice for patterns of at most 16 characters).
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] != '%' && (pattern[p] == '*' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') {
    ++p;
  }
  return p == pattern.size();
}

bool pattern_matches(const ContainsPattern& pattern, std::string_view digits) {
  std::string full;
  if (!pattern.anchored_start) {
    full += '%';
  }
  full += pattern.body;
  if (!pattern.anchored_end) {
    full += '%';
  }
  return glob_match(full, digits);
}

// Length of the country calling code of a listing's E.164 ("+1" -> 1, "+44" -> 2).
std::size_t calling_code_length(std::string_view e164) {
  return e164.rfind("+1", 0) == 0 ? 1 : 2;
}

bool pattern_matches_number(const ContainsPattern& pattern, std::string_view e164) {
  std::string_view digits = e164.substr(1);
  std::string_view national = digits.substr(calling_code_length(e164));
  return pattern_matches(pattern, digits) || pattern_matches(pattern, national);
}

// Whether a start-anchored pattern can match a number beginning with `prefix`: lets a walk
// skip whole area codes for patterns such as "+1907".
bool may_start_with(const ContainsPattern& pattern, std::string_view prefix) {
  if (!pattern.anchored_start) {
    return true;
  }
  for (std::size_t i = 0; i < pattern.body.size() && i < prefix.size(); ++i) {
    char c = pattern.body[i];
    if (c == '%') {
      return true;
    }
    if (c != '*' && c != prefix[i]) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Walks.

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

// The shard a pattern confines a search to: the last two digits of a pattern anchored at the
// end ("07$", "%4207$"), or nullopt when numbers of any ending may match.
std::optional<std::size_t> shard_of_pattern(const ContainsPattern& pattern) {
  const std::string& body = pattern.body;
  if (!pattern.valid || !pattern.anchored_end || body.size() < 2 ||
      !all_digits(std::string_view(body).substr(body.size() - 2))) {
    return std::nullopt;
  }
  return static_cast<std::size_t>((body[body.size() - 2] - '0') * 10 + (body.back() - '0'));
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
  const std::optional<std::size_t> suffix_shard = shard_of_pattern(pattern);
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
    std::shared_ptr<Block> block = BlockCache::instance().get(query.country, query.type, area_code);
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
    std::shared_ptr<Block> block = BlockCache::instance().get(ref.country, ref.type, ref.area_code);
    for (const Entry& entry : shard_entries(*block, shard)) {
      if (entry.e164 == e164) {
        return listing_from(*block, entry);
      }
    }
  }
  return std::nullopt;
}

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

bool contains_matches(std::string_view pattern, std::string_view e164) {
  ContainsPattern parsed = parse_contains(pattern);
  return parsed.valid && e164.size() > 1 && pattern_matches_number(parsed, e164);
}

} // namespace vami::sandbox
