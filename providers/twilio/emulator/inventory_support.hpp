#pragma once

// Private to the Twilio emulator's inventory: stable pseudo-randomness and text helpers shared by
// its files (inventory, inventory_blocks, nanp_areas, inventory_regions, contains_pattern).

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

namespace vami::sandbox::inventory_detail {

// Stable pseudo-randomness: FNV-1a to turn a block's name into a seed, splitmix64 to expand it.
// std::hash is not used because its values may change between library versions, and the
// inventory must be the same for every vami build.

/// FNV-1a (64 bits) of `text`.
inline std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

/// splitmix64: a small, fast generator whose sequence depends only on its seed.
class SplitMix64 {
public:
  /// A generator starting from `seed`.
  explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}
  /// The next 64 pseudo-random bits.
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
  }
  /// A value in [0, bound).
  unsigned below(unsigned bound) { return static_cast<unsigned>(next() % bound); }

private:
  std::uint64_t m_state;
};

/// `c` in lower case (ASCII).
inline char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}
/// `c` in upper case (ASCII).
inline char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

/// Whether `a` and `b` are equal ignoring ASCII case.
inline bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return lower(x) == lower(y); });
}

/// `text` in upper case (ASCII).
inline std::string to_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

/// The key postal codes compare by: without spaces, in upper case ("m5v 2t6" finds "M5V 2T6").
inline std::string postal_key(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ') {
      out += upper(c);
    }
  }
  return out;
}

/// Whether `text` is non-empty and only ASCII digits.
inline bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Whether `country` (ISO 3166-1 alpha-2) is in the North American Numbering Plan (US, CA).
inline bool is_nanp(std::string_view country) {
  return country == "US" || country == "CA";
}

} // namespace vami::sandbox::inventory_detail
