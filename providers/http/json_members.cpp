// Defensive readers of providers' JSON payloads (json_members.hpp).
#include "json_members.hpp"

#include <cmath>

namespace vami::http {

const nlohmann::json& json_object_member(const nlohmann::json& parent, const char* name) {
  static const nlohmann::json k_empty = nlohmann::json::object();
  auto it = parent.find(name);
  return it != parent.end() && it->is_object() ? *it : k_empty;
}

std::string json_string_member(const nlohmann::json& parent, const char* name) {
  auto it = parent.find(name);
  return it != parent.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> json_integer_member(const nlohmann::json& parent, const char* name) {
  auto it = parent.find(name);
  if (it == parent.end()) {
    return std::nullopt;
  }
  if (it->is_number_integer()) {
    return it->get<std::int64_t>();
  }
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (std::isfinite(value) && std::fabs(value) < 1e15) {
      return static_cast<std::int64_t>(std::llround(value));
    }
  }
  return std::nullopt;
}

} // namespace vami::http
