#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace vami::detail {

/// A table of an enum's values and their stable words, as used on the command line, in JSON and
/// in the state database.
template <typename Enum, std::size_t N>
using EnumNames = std::array<std::pair<Enum, const char*>, N>;

/// The word of `value` (the first entry's word if the table lacks it, which a complete table
/// never does).
template <typename Enum, std::size_t N>
const char* name_of(const EnumNames<Enum, N>& names, Enum value) noexcept {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) {
      return name;
    }
  }
  return names.front().second;
}

/// The value whose word is `text`, if any.
template <typename Enum, std::size_t N>
std::optional<Enum> value_named(const EnumNames<Enum, N>& names, std::string_view text) noexcept {
  for (const auto& [value, name] : names) {
    if (text == name) {
      return value;
    }
  }
  return std::nullopt;
}

} // namespace vami::detail
