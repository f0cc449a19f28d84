#include <array>
#include <utility>

#include "enum_names.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/document_file.hpp>
#include <vami/core/tenant.hpp>

namespace vami {

namespace {

constexpr std::array<std::pair<Personality, const char*>, 3> k_personality_names{{
    {Personality::friendly, "friendly"},
    {Personality::professional, "professional"},
    {Personality::casual, "casual"},
}};

constexpr std::array<std::pair<AgentStatus, const char*>, 3> k_agent_status_names{{
    {AgentStatus::creating, "creating"},
    {AgentStatus::active, "active"},
    {AgentStatus::deleting, "deleting"},
}};

constexpr std::array<std::pair<DocumentSourceKind, const char*>, 3> k_source_kind_names{{
    {DocumentSourceKind::file, "file"},
    {DocumentSourceKind::url, "url"},
    {DocumentSourceKind::text, "text"},
}};

constexpr std::array<std::pair<DocumentStatus, const char*>, 2> k_document_status_names{{
    {DocumentStatus::uploading, "uploading"},
    {DocumentStatus::active, "active"},
}};

} // namespace

const char* to_string(Personality personality) noexcept {
  return detail::name_of(k_personality_names, personality);
}

std::optional<Personality> parse_personality(std::string_view text) noexcept {
  return detail::value_named(k_personality_names, text);
}

const char* to_string(AgentStatus status) noexcept {
  return detail::name_of(k_agent_status_names, status);
}

std::optional<AgentStatus> parse_agent_status(std::string_view text) noexcept {
  return detail::value_named(k_agent_status_names, text);
}

const char* to_string(DocumentSourceKind kind) noexcept {
  return detail::name_of(k_source_kind_names, kind);
}

std::optional<DocumentSourceKind> parse_document_source_kind(std::string_view text) {
  return detail::value_named(k_source_kind_names, text);
}

const char* to_string(DocumentStatus status) noexcept {
  return detail::name_of(k_document_status_names, status);
}

std::optional<DocumentStatus> parse_document_status(std::string_view text) noexcept {
  return detail::value_named(k_document_status_names, text);
}

std::string document_upload_name(const Document& document) {
  const std::string key = document.sha256.empty() ? sha256_hex(document.source) : document.sha256;
  return std::string(k_document_name_prefix) + document.agent_slug + ":" + key.substr(0, 12) + " " +
         document.name;
}

std::string stream_parameters_text(const std::vector<StreamParameter>& parameters) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& [name, value] : parameters) {
    array.push_back({{"name", name}, {"value", value}});
  }
  return array.dump();
}

std::optional<std::vector<StreamParameter>> parse_stream_parameters(std::string_view text) {
  const nlohmann::json array = nlohmann::json::parse(text, nullptr, false);
  if (!array.is_array()) {
    return std::nullopt;
  }
  std::vector<StreamParameter> parameters;
  for (const nlohmann::json& item : array) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
        !item.contains("value") || !item["value"].is_string()) {
      return std::nullopt;
    }
    parameters.emplace_back(item["name"].get<std::string>(), item["value"].get<std::string>());
  }
  return parameters;
}

} // namespace vami
