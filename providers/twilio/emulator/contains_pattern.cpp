#include "twilio/emulator/contains_pattern.hpp"

#include "twilio/emulator/inventory.hpp"
#include "twilio/emulator/inventory_support.hpp"

namespace vami::sandbox::inventory_detail {

namespace {

char keypad_digit(char letter) {
  static constexpr std::string_view k_keypad = "22233344455566677778889999";
  return k_keypad[static_cast<std::size_t>(lower(letter) - 'a')];
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

} // namespace

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

// The ending (0-99) a pattern confines a search to: the last two digits of a pattern anchored at
// the end ("07$", "%4207$"), or nullopt when numbers of any ending may match.
std::optional<std::size_t> ending_of_pattern(const ContainsPattern& pattern) {
  const std::string& body = pattern.body;
  if (!pattern.valid || !pattern.anchored_end || body.size() < 2 ||
      !all_digits(std::string_view(body).substr(body.size() - 2))) {
    return std::nullopt;
  }
  return static_cast<std::size_t>((body[body.size() - 2] - '0') * 10 + (body.back() - '0'));
}

} // namespace vami::sandbox::inventory_detail

namespace vami::sandbox {

using namespace inventory_detail;

bool contains_matches(std::string_view pattern, std::string_view e164) {
  ContainsPattern parsed = parse_contains(pattern);
  return parsed.valid && e164.size() > 1 && pattern_matches_number(parsed, e164);
}

} // namespace vami::sandbox
