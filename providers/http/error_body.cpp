#include "error_body.hpp"

#include <cctype>

namespace vami::http {

namespace {

/// A FastAPI `loc` (["body", "agent", 0, "name"]) as "body.agent[0].name".
std::string location_of(const nlohmann::json& loc) {
  std::string path;
  if (!loc.is_array()) {
    return path;
  }
  for (const nlohmann::json& step : loc) {
    if (step.is_string()) {
      if (!path.empty()) {
        path += '.';
      }
      path += step.get<std::string>();
    } else if (step.is_number_integer()) {
      path += "[" + std::to_string(step.get<long long>()) + "]";
    }
  }
  return path;
}

} // namespace

std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

std::string json_text_member(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) {
    return {};
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_number()) {
    return it->dump();
  }
  return {};
}

void read_validation_errors(const nlohmann::json& items, std::string& code, std::string& message) {
  for (const nlohmann::json& item : items) {
    if (!item.is_object()) {
      continue;
    }
    const std::string said = json_text_member(item, "msg");
    const std::string where = location_of(item.value("loc", nlohmann::json()));
    if (code.empty()) {
      code = json_text_member(item, "type");
    }
    if (said.empty() && where.empty()) {
      continue;
    }
    if (!message.empty()) {
      message += "; ";
    }
    message += where.empty() ? said : where + ": " + said;
  }
}

} // namespace vami::http
