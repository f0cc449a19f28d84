#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace vami::http {

// Defensive readers of a provider's JSON payloads (webhooks whose third-party fields may be
// missing or of another type): each answers "nothing" rather than throwing.

/// The member `name` of `parent` when it is an object; an empty object otherwise (absent, null
/// or of another type), so that members of it can be read on.
[[nodiscard]] const nlohmann::json& json_object_member(const nlohmann::json& parent,
                                                       const char* name);
/// The member `name` when it is a string; empty otherwise.
[[nodiscard]] std::string json_string_member(const nlohmann::json& parent, const char* name);
/// The member `name` when it is an integer, or a finite number below 10^15 rounded to one;
/// empty otherwise.
[[nodiscard]] std::optional<std::int64_t> json_integer_member(const nlohmann::json& parent,
                                                              const char* name);

} // namespace vami::http
