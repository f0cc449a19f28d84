#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vami {

/// What to bill a tenant, stored with it (`vami tenants update --rate-number/--rate-minute`):
/// `vami usage` bills at these rates when no rate is given on its command line.
struct TenantRates {
  /// Per number per month (prorated like the numbers' cost), in micros; unset: not billed.
  std::optional<std::int64_t> number_micros;
  /// Per started minute of each call, in micros; unset: not billed.
  std::optional<std::int64_t> minute_micros;
  std::string currency = "USD"; ///< ISO 4217, upper case: the currency of both rates.

  /// True when at least one rate is stored.
  [[nodiscard]] bool any() const noexcept { return number_micros || minute_micros; }
};

/// A customer business of the platform. Its slug names it everywhere (`acme-dental`).
struct Tenant {
  std::string slug; ///< Lower-case letters, digits and '-', 1..63 characters, unique.
  std::string name; ///< Display name ("Acme Dental").
  std::string industry;
  std::string contact_name;
  std::string contact_email;
  TenantRates rates; ///< What to bill it; no rate set when none is stored.
  /// The profile (its NAME only, never a credential) holding the tenant's own voice-agent
  /// provider accounts, where its agents, knowledge and imports live; empty: the platform's
  /// accounts (`vami tenants update --profile`).
  std::string account_profile;
  std::string created_at; ///< UTC ISO 8601.
  std::string updated_at; ///< UTC ISO 8601.
};

/// A change to a tenant: only the fields that are set change.
struct TenantChange {
  std::optional<std::string> name;
  std::optional<std::string> industry;
  std::optional<std::string> contact_name;
  std::optional<std::string> contact_email;
  /// A new per-number rate in micros; set to an empty optional, it removes the stored one.
  std::optional<std::optional<std::int64_t>> rate_number_micros;
  /// A new per-minute rate in micros; set to an empty optional, it removes the stored one.
  std::optional<std::optional<std::int64_t>> rate_minute_micros;
  std::optional<std::string> rate_currency; ///< A new ISO 4217 currency of the rates.
  /// A new account profile (a profile name); empty: back to the platform's accounts. Refused
  /// by the stores (Error(conflict)) while the tenant has agents at a provider (any but
  /// "stream"): they live in the old account.
  std::optional<std::string> account_profile;

  /// True when nothing is set.
  [[nodiscard]] bool empty() const noexcept {
    return !name && !industry && !contact_name && !contact_email && !rate_number_micros &&
           !rate_minute_micros && !rate_currency && !account_profile;
  }
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

/// One setting a stream agent's orchestrator receives with each call, as a TwiML
/// `<Parameter name="..." value="..."/>` of `<Connect><Stream>` (Twilio Media Streams
/// `start.customParameters`): name, value.
using StreamParameter = std::pair<std::string, std::string>;

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
  /// Stream agents: the orchestrator's WebSocket URL (`wss://`, or `ws://` on loopback) that
  /// calls are connected to; empty for other agents.
  std::string stream_url;
  /// Stream agents: the parameters given with `--param KEY=VALUE`, passed with each call after
  /// the agent's own settings, in order; empty for other agents.
  std::vector<StreamParameter> stream_parameters;
};

/// `parameters` as the state database stores them: a JSON array of `{"name", "value"}`
/// objects, in order ("[]" for none).
[[nodiscard]] std::string stream_parameters_text(const std::vector<StreamParameter>& parameters);
/// The parameters `stream_parameters_text` wrote; empty when `text` is not such an array.
[[nodiscard]] std::optional<std::vector<StreamParameter>>
parse_stream_parameters(std::string_view text);

/// Where a knowledge-base document came from.
enum class DocumentSourceKind { file, url, text };
/// "file", "url", "text" (also the ElevenLabs knowledge-base document types).
[[nodiscard]] const char* to_string(DocumentSourceKind kind) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<DocumentSourceKind> parse_document_source_kind(std::string_view text);

/// Where a document row is in its life. `uploading` is the intent recorded before the upload:
/// the provider's answer has not been recorded (it may never have arrived), and the row's
/// `upload_name` finds the document at the provider again.
enum class DocumentStatus { uploading, active };
/// "uploading", "active".
[[nodiscard]] const char* to_string(DocumentStatus status) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<DocumentStatus> parse_document_status(std::string_view text) noexcept;

/// A knowledge-base document attached to an agent, as the state database knows it.
struct Document {
  std::string agent_slug;
  std::string provider_document_id; ///< ElevenLabs knowledge-base document id; empty while
                                    ///< `uploading`.
  std::string name;                 ///< The name users see and give (`vami kb remove NAME`).
  DocumentStatus status = DocumentStatus::active;
  /// The document's name at the provider, unique to this document and starting with
  /// `k_document_name_prefix` (`document_upload_name`); empty for documents vami uploaded
  /// before it named them so.
  std::string upload_name;
  /// While `uploading`: the process that records the upload (`current_process_holder`), so
  /// that reconcile can tell an upload in flight from one whose process died.
  std::string holder;
  DocumentSourceKind source_kind = DocumentSourceKind::file;
  std::string source;    ///< File name, URL, or empty for text.
  std::string mime_type; ///< As libmagic saw the content ("application/pdf"); empty for URLs.
  std::int64_t size_bytes = 0;
  std::string sha256;     ///< Lower-case hex of the content (file, text); empty for URLs.
  std::string created_at; ///< UTC ISO 8601.
};

/// How the name of every document vami uploads starts at the provider: what lets `vami
/// reconcile` and a rerun find an upload whose answer was lost.
inline constexpr const char* k_document_name_prefix = "vami:";

/// The name a document is uploaded under: `vami:<agent slug>:<key> <name>`, where the key is
/// the first 12 hex digits of the content's SHA-256 (for a URL, of the URL). An agent never
/// holds two documents of the same content, so the name is the document's alone.
[[nodiscard]] std::string document_upload_name(const Document& document);

} // namespace vami
