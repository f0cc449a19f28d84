#pragma once

// Private to the Twilio emulator's inventory: inventory blocks (the numbers for sale of one area
// code of one country and type), generated deterministically shard by shard on first use and
// cached per process.

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <vami/core/number.hpp>

namespace vami::sandbox::inventory_detail {

/// Where a local number is; both empty for toll-free and mobile numbers.
struct Place {
  std::string locality; ///< The geocoder's city; empty when unknown.
  std::string region;   ///< Two-letter state or province (NANP only); empty when unknown.
};

/// One number of a block.
struct Entry {
  std::string e164;
  std::shared_ptr<const Place> place; ///< Never null.
};

// Twilio's `Contains` search partitions naturally by the last two digits ("07$"), and a search
// anchored there needs only the numbers ending in them: a block is generated as 100 shards, one
// per last two digits, each on first use, so that such a search costs about a hundredth of a
// block's candidates instead of a whole block (a country-wide buy touched dozens of whole
// blocks before its first purchase).

/// Shards per block: one per last two digits ("00" to "99").
constexpr std::size_t k_shards = 100;

/// The numbers of a block ending in one pair of digits.
struct Shard {
  std::once_flag generated;   ///< Set once `entries` is generated.
  std::vector<Entry> entries; ///< In the block's fixed order.
};

/// The numbers for sale of one area code (NANP) or prefix (GB) of one country and type.
struct Block {
  std::string country; ///< "US", "CA", "GB".
  NumberType type = NumberType::local;
  std::string area_code;
  std::once_flag checked; ///< Set once `viable` is known.
  bool viable = false;    ///< Some candidate of the block is a sellable number.
  std::array<Shard, k_shards> shards;
  /// Places of the block's numbers: one geocoder look-up per NANP exchange, shared by shards.
  std::mutex places_mutex;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Place>> places;
  std::unordered_map<std::string, std::shared_ptr<const Place>> exchange_places;
};

/// The block of `country`, `type` and `area_code`: one object per process, its shards
/// generated on first use. Thread-safe.
[[nodiscard]] std::shared_ptr<Block> block_of(std::string_view country, NumberType type,
                                              std::string_view area_code);

/// The numbers of shard `index` (0-99: the last two digits) of `block`, generated on first
/// use; empty for a block that sells nothing. Thread-safe.
[[nodiscard]] const std::vector<Entry>& shard_entries(Block& block, std::size_t index);

/// Visits the block's numbers in its fixed order, interleaved across shards (the first number
/// of every ending, then the second ...) so that a search without a suffix sees numbers of every
/// ending rather than all the "00"s first; shards are generated as the walk reaches them, so a
/// first page costs a few shards, not the block. Stops when `visit` returns false.
void for_each_entry(Block& block, const std::function<bool(const Entry&)>& visit);

} // namespace vami::sandbox::inventory_detail
