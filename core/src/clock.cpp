#include <chrono>
#include <ctime>
#include <random>

#include <vami/core/clock.hpp>

namespace vami {

std::string utc_now_iso8601() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
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
