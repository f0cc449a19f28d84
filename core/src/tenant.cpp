#include <array>
#include <utility>

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

template <typename Enum, std::size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) {
      return name;
    }
  }
  return names.front().second;
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::pair<Enum, const char*>, N>& names,
                               std::string_view text) {
  for (const auto& [value, name] : names) {
    if (text == name) {
      return value;
    }
  }
  return std::nullopt;
}

} // namespace

const char* to_string(Personality personality) noexcept {
  return name_of(k_personality_names, personality);
}

std::optional<Personality> parse_personality(std::string_view text) noexcept {
  return parse_name(k_personality_names, text);
}

const char* to_string(AgentStatus status) noexcept {
  return name_of(k_agent_status_names, status);
}

const char* to_string(DocumentSourceKind kind) noexcept {
  return name_of(k_source_kind_names, kind);
}

std::optional<DocumentSourceKind> parse_document_source_kind(std::string_view text) {
  return parse_name(k_source_kind_names, text);
}

} // namespace vami
