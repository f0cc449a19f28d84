#include <array>
#include <utility>

#include "enum_names.hpp"

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

} // namespace vami
