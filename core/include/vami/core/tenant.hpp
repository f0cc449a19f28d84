#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vami {

/// A customer business of the platform. Its slug names it everywhere (`acme-dental`).
struct Tenant {
  std::string slug; ///< Lower-case letters, digits and '-', 1..63 characters, unique.
  std::string name; ///< Display name ("Acme Dental").
  std::string industry;
  std::string contact_name;
  std::string contact_email;
  std::string created_at; ///< UTC ISO 8601.
  std::string updated_at; ///< UTC ISO 8601.
};

/// A change to a tenant: only the fields that are set change.
struct TenantChange {
  std::optional<std::string> name;
  std::optional<std::string> industry;
  std::optional<std::string> contact_name;
  std::optional<std::string> contact_email;
};

/// How an agent speaks, folded into the system prompt sent to the provider.
enum class Personality { friendly, professional, casual };
/// "friendly", "professional", "casual".
[[nodiscard]] const char* to_string(Personality personality) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<Personality> parse_personality(std::string_view text) noexcept;

/// Where an agent row is in its life. `creating` and `deleting` are transitional: the provider
/// request is in flight or its outcome is unknown (the row keeps the tag to find it again).
enum class AgentStatus { creating, active, deleting };
/// "creating", "active", "deleting".
[[nodiscard]] const char* to_string(AgentStatus status) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<AgentStatus> parse_agent_status(std::string_view text) noexcept;

/// One voice agent of a tenant, as the state database knows it.
struct Agent {
  std::string slug;        ///< Unique in the database; same rules as a tenant slug.
  std::string tenant_slug; ///< The tenant it belongs to.
  std::string name;        ///< Display name, also the agent's name at the provider.
  std::string provider = "elevenlabs";
  std::string provider_agent_id; ///< ElevenLabs `agent_id`; empty while `creating`.
  std::string voice_id;          ///< Provider voice id; empty for the provider's default.
  std::string language;          ///< ISO 639-1 ("en"); empty for the provider's default.
  std::optional<Personality> personality;
  std::string first_message; ///< The greeting the agent speaks first.
  std::string prompt;        ///< The system prompt as the user gave it (without personality).
  AgentStatus status = AgentStatus::active;
  std::string created_at; ///< UTC ISO 8601.
  std::string updated_at; ///< UTC ISO 8601.
};

/// Where a knowledge-base document came from.
enum class DocumentSourceKind { file, url, text };
/// "file", "url", "text" (also the ElevenLabs knowledge-base document types).
[[nodiscard]] const char* to_string(DocumentSourceKind kind) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<DocumentSourceKind> parse_document_source_kind(std::string_view text);

/// A knowledge-base document attached to an agent, as the state database knows it.
struct Document {
  std::string agent_slug;
  std::string provider_document_id; ///< ElevenLabs knowledge-base document id.
  std::string name;
  DocumentSourceKind source_kind = DocumentSourceKind::file;
  std::string source;    ///< File name, URL, or empty for text.
  std::string mime_type; ///< As libmagic saw the content ("application/pdf"); empty for URLs.
  std::int64_t size_bytes = 0;
  std::string sha256;     ///< Lower-case hex of the content (file, text); empty for URLs.
  std::string created_at; ///< UTC ISO 8601.
};

} // namespace vami
