#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <string_view>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>

namespace vami {

std::string utc_iso8601(std::int64_t seconds) {
  auto time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc_now_iso8601() {
  return utc_iso8601(unix_now());
}

std::string parse_since(const std::string& text, std::int64_t now_seconds) {
  if (text.empty()) {
    return text;
  }
  auto invalid = [&] {
    return Error(ErrorKind::invalid_input, "--since \"" + text + "\" is not a time",
                 "give a UTC date or time (2026-11-22, 2026-11-22T10:00:00Z) or an age such as "
                 "90m, 24h or 7d");
  };
  // An age: digits and one unit.
  if (std::isdigit(static_cast<unsigned char>(text.front())) != 0 && text.size() <= 10 &&
      std::string("smhd").find(text.back()) != std::string::npos &&
      text.find_first_not_of("0123456789") == text.size() - 1) {
    std::int64_t amount = std::stoll(text.substr(0, text.size() - 1));
    static constexpr std::int64_t k_unit[] = {1, 60, 3600, 86400};
    std::int64_t unit = k_unit[std::string("smhd").find(text.back())];
    return utc_iso8601(now_seconds - amount * unit);
  }
  // The shape is checked first: sscanf alone takes signs, spaces and single digits
  // ("2026-11-22T-1:00", " 2026-11-2", "2026-1-22").
  auto shaped = [&](std::string_view pattern) {
    if (text.size() != pattern.size()) {
      return false;
    }
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      bool digit = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
      if (pattern[i] == 'd' ? !digit : text[i] != pattern[i]) {
        return false;
      }
    }
    return true;
  };
  if (!shaped("dddd-dd-dd") && !shaped("dddd-dd-ddTdd:dd") && !shaped("dddd-dd-ddTdd:dd:dd") &&
      !shaped("dddd-dd-ddTdd:dd:ddZ")) {
    throw invalid();
  }
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  (void)std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute,
                    &second);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw invalid();
  }
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  const auto midnight = static_cast<std::int64_t>(timegm(&parts));
  // timegm carries a day the month does not have into the next month (2026-02-30 is March 2).
  if (parts.tm_mon != month - 1 || parts.tm_mday != day) {
    throw invalid();
  }
  return utc_iso8601(midnight + hour * 3600 + minute * 60 + second);
}

std::int64_t unix_of_iso8601(const std::string& time) {
  // parse_since checks the shape and the calendar, and writes it back in one form.
  std::string checked;
  try {
    checked = time.size() == 20 ? parse_since(time, 0) : std::string{};
  } catch (const Error&) {
    checked.clear();
  }
  if (checked != time) {
    throw Error(ErrorKind::invalid_input, "\"" + time + "\" is not a UTC time",
                "write it as 2026-11-22T10:00:00Z");
  }
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  (void)std::sscanf(time.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &year, &month, &day, &hour, &minute,
                    &second);
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&parts));
}

std::string month_start_iso8601(std::int64_t unix_seconds, int months_later) {
  auto time = static_cast<std::time_t>(unix_seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  std::tm start{};
  start.tm_year = parts.tm_year;
  start.tm_mon = parts.tm_mon + months_later; // timegm carries whole years.
  start.tm_mday = 1;
  return utc_iso8601(static_cast<std::int64_t>(timegm(&start)));
}

std::string new_operation_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string id = "op-";
  auto bits = generator();
  for (int i = 0; i < 12; ++i) {
    id += k_hex[bits & 0xFU];
    bits >>= 4U;
  }
  return id;
}

} // namespace vami
