#include <array>
#include <utility>

#include <vami/core/number.hpp>

namespace vami {

namespace {

constexpr std::array<std::pair<NumberStatus, const char*>, 6> k_status_names{{
    {NumberStatus::purchasing, "purchasing"},
    {NumberStatus::available, "available"},
    {NumberStatus::assigned, "assigned"},
    {NumberStatus::suspended, "suspended"},
    {NumberStatus::releasing, "releasing"},
    {NumberStatus::released, "released"},
}};

} // namespace

const char* to_string(NumberType type) noexcept {
  switch (type) {
  case NumberType::local:
    return "local";
  case NumberType::toll_free:
    return "toll-free";
  case NumberType::mobile:
    return "mobile";
  }
  return "local";
}

std::optional<NumberType> parse_number_type(std::string_view text) noexcept {
  if (text == "local") {
    return NumberType::local;
  }
  if (text == "toll-free" || text == "toll_free" || text == "tollfree") {
    return NumberType::toll_free;
  }
  if (text == "mobile") {
    return NumberType::mobile;
  }
  return std::nullopt;
}

const char* to_string(NumberStatus status) noexcept {
  for (const auto& [value, name] : k_status_names) {
    if (value == status) {
      return name;
    }
  }
  return "available";
}

std::optional<NumberStatus> parse_number_status(std::string_view text) noexcept {
  for (const auto& [value, name] : k_status_names) {
    if (text == name) {
      return value;
    }
  }
  return std::nullopt;
}

const char* to_string(RoutingMode mode) noexcept {
  return mode == RoutingMode::webhook ? "webhook" : "native";
}

std::optional<RoutingMode> parse_routing_mode(std::string_view text) noexcept {
  if (text == "native") {
    return RoutingMode::native;
  }
  if (text == "webhook") {
    return RoutingMode::webhook;
  }
  return std::nullopt;
}

} // namespace vami
