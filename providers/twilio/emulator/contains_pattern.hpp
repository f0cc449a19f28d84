#pragma once

// Private to the Twilio emulator's inventory: Twilio's `Contains` pattern of
// `AvailablePhoneNumbers` searches (see `contains_matches` in inventory.hpp for its rules).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vami::sandbox::inventory_detail {

/// A parsed `Contains` pattern.
struct ContainsPattern {
  bool valid = false;          ///< False for an empty pattern or one with other characters.
  bool anchored_start = false; ///< A leading '+'.
  bool anchored_end = false;   ///< A trailing '$'.
  std::string body;            ///< Digits (letters turned into their keypad digits), '*' and '%'.
};

/// `text` parsed; `valid` is false when it has characters Twilio does not take.
[[nodiscard]] ContainsPattern parse_contains(std::string_view text);

/// Whether `pattern` matches the E.164 `e164`, against its digits without '+' or against its
/// national significant number.
[[nodiscard]] bool pattern_matches_number(const ContainsPattern& pattern, std::string_view e164);

/// Whether a start-anchored pattern can match a number beginning with `prefix`: lets a walk
/// skip whole area codes for patterns such as "+1907". Always true for unanchored patterns.
[[nodiscard]] bool may_start_with(const ContainsPattern& pattern, std::string_view prefix);

/// The last two digits (0-99) a pattern anchored at the end requires ("07$", "%4207$"), or
/// nullopt when numbers of any ending may match.
[[nodiscard]] std::optional<std::size_t> ending_of_pattern(const ContainsPattern& pattern);

} // namespace vami::sandbox::inventory_detail
