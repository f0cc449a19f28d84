#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "elevenlabs/emulator/workspace_webhooks.hpp"
#include "sandbox/provider_emulator.hpp"

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox emulator: its ElevenLabs Agents Platform half.

namespace vami::sandbox {

/// The voice URL ElevenLabs' native Twilio integration gives a number it imports.
inline constexpr std::string_view k_elevenlabs_inbound_url =
    "https://api.us.elevenlabs.io/twilio/inbound_call";

/// An emulator of the ElevenLabs Agents Platform endpoints vami uses, following
/// `shared/specs/elevenlabs_openapi.json` (same paths, fields, status codes and error bodies):
///
/// - `POST /v1/convai/agents/create`, `GET|PATCH|DELETE /v1/convai/agents/{agent_id}` (PATCH
///   deep-merges `conversation_config`: objects merge recursively, arrays and scalars replace),
///   `GET /v1/convai/agents` (`page_size` 1..100, default 30; `search`, a case-insensitive
///   substring of the name (ASCII case folding); `tags`, repeated, any of; `sort_direction`;
///   `cursor` / `next_cursor` / `has_more`; newest first). `sort_by` is accepted and ignored.
/// - `GET /v1/voices`, `GET /v1/voices/{voice_id}`, `GET /v2/voices`: a fixed catalogue of
///   ElevenLabs' public premade voices.
/// - `/v1/convai/knowledge-base...`: the knowledge base, answered by `KnowledgeBaseSandbox`
///   (`knowledge_base.hpp`): add, list, get, rename, content, dependent agents, delete.
/// - `POST|GET /v1/convai/phone-numbers`, `GET|PATCH|DELETE /v1/convai/phone-numbers/{id}`:
///   Twilio imports, checked against the sandbox's Twilio account; an import points the
///   number's voice URL at `k_elevenlabs_inbound_url`.
/// - `POST /v1/convai/twilio/register-call`: TwiML connecting a call to an agent
///   (`register_call.hpp`).
/// - `GET /v1/convai/conversations` (`agent_id`, `call_start_after_unix`, `page_size`,
///   `cursor`), read from the `conversations` table, which nothing in the emulator writes: tests
///   seed it with sqlite3. `GET /v1/convai/conversations/{id}`: one conversation with its
///   `conversation_details` row (phone call, cost, transcript; conversations.hpp).
/// - `POST|GET /v1/workspace/webhooks`, `PATCH|DELETE /v1/workspace/webhooks/{id}` and
///   `GET|PATCH /v1/convai/settings`: workspace webhooks and the post-call webhook
///   (`WorkspaceSandbox`, workspace_webhooks.hpp).
///
/// Errors: 401 `{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}` for a
/// missing or wrong `xi-api-key`; 404 `{"detail":{"status":"agent_not_found" |
/// "document_not_found" | "phone_number_not_found" | "voice_not_found","message":...}}`;
/// 422 `{"detail":[{"loc":[...],"msg":...,"type":...}]}` for body and query validation
/// (pydantic's types: "missing", "string_type", "json_invalid", "value_error", ...), also for
/// a file above 20 MiB, Twilio credentials that are not the sandbox account's and a number it
/// does not own; 409 `{"detail":{"status":"phone_number_already_exists" | "document_in_use",
/// ...}}` for a second import of one number and for deleting, without `force`, a document
/// agents use; 404 `{"detail":"Not Found"}` and 405 `{"detail":"Method Not Allowed"}` for
/// unknown routes. Every response carries a `request-id` header.
///
/// State lives in the sandbox's SQLite file (all timestamps in Unix seconds):
/// - `convai_agents (seq INTEGER PRIMARY KEY AUTOINCREMENT, agent_id TEXT UNIQUE, name TEXT,
///   tags TEXT (JSON array), conversation_config TEXT (JSON object), created_at, updated_at)`
/// - `convai_documents (seq, document_id TEXT UNIQUE, type 'file'|'url'|'text', name, file_name,
///   content_type, url, text, size_bytes, sha256 (hex of the content), created_at, updated_at,
///   content)`, kept by `KnowledgeBaseSandbox`
/// - `convai_agent_documents (agent_id, document_id)`: which agent's knowledge base names which
///   document.
/// - `convai_phone_numbers (seq, phone_number_id TEXT UNIQUE, phone_number TEXT UNIQUE (E.164),
///   label, twilio_number_sid, agent_id (NULL when unassigned), created_at)`
/// - `conversations`, for tests to seed:
///   `conversation_id TEXT PRIMARY KEY`, `agent_id TEXT NOT NULL`, `agent_name TEXT` (NULL),
///   `start_time_unix_secs INTEGER NOT NULL`, `call_duration_secs INTEGER` (0),
///   `message_count INTEGER` (0), `status TEXT` ('done'; one of initiated, in-progress,
///   processing, done, failed), `call_successful TEXT` ('unknown'; success, failure, unknown),
///   `termination_reason TEXT` (''), `direction TEXT` (NULL, 'inbound' or 'outbound'),
///   `transcript_summary TEXT` (NULL), `call_summary_title TEXT` (NULL). Listed newest
///   `start_time_unix_secs` first.
///
/// Thread-safe: it shares the Twilio emulator's one connection and the mutex that guards it;
/// writes run in `BEGIN IMMEDIATE` transactions so several processes may share the file.
class ElevenLabsSandbox final : public AgentProviderEmulator {
public:
  /// Uses `context` (its database, mutex and Twilio account must outlive this object): its
  /// `elevenlabs_api_key` setting is the accepted `xi-api-key`, its Twilio credentials those
  /// an import must present (Account SID + Auth Token, or API Key SID + Secret).
  explicit ElevenLabsSandbox(const EmulatorContext& context);
  ~ElevenLabsSandbox() override;
  ElevenLabsSandbox(const ElevenLabsSandbox&) = delete;
  ElevenLabsSandbox& operator=(const ElevenLabsSandbox&) = delete;

  /// Creates the emulator's tables when missing (`CREATE TABLE IF NOT EXISTS`, so state files
  /// made before this emulator existed keep working). Call inside a write transaction.
  void create_schema(SQLite::Database& db) override;

  /// Whether `path` belongs to this emulator: it starts with `/v1/convai/`, `/v1/voices`,
  /// `/v2/voices` or `/v1/workspace/webhooks`.
  [[nodiscard]] bool handles(std::string_view path) const override;

  /// `xi-api-key`: the header its key travels in.
  [[nodiscard]] std::string credential_header() const override { return "xi-api-key"; }

  /// ElevenLabs' error body of an injected fault, `{"detail": {"status", "message"}}`:
  /// `too_many_concurrent_requests` (429, its message naming the rate limit or the concurrency
  /// limit), `service_unavailable` (503), `internal_server_error` (500); no header of its own.
  [[nodiscard]] std::optional<FaultBody> fault_body(const RejectedRequest& fault) const override;

  /// Answers one request whose URL path is `path` and query string (without `?`) is `query`.
  /// Never throws: database failures become 500 `{"detail":{"status":"internal_error",...}}`.
  http::HttpResponse handle(const http::HttpRequest& request, const std::string& path,
                            const std::string& query) override;

  /// The post-call webhook the settings name (enabled), nullopt when none. Takes the mutex.
  [[nodiscard]] std::optional<PostCallWebhook> post_call_webhook();

  /// Removes the import of the Twilio number `twilio_number_sid`, when it is imported: the
  /// Twilio emulator calls it when the number is released. Call with the mutex held and inside
  /// the caller's transaction.
  void twilio_number_released(const std::string& twilio_number_sid) override;

  // -- Simulated calls (elevenlabs_calls.cpp) -------------------------------------------------

  /// Whether `url` is `k_elevenlabs_inbound_url` (or below it): a number ElevenLabs imported.
  [[nodiscard]] bool answers_voice_url(std::string_view url) const override;
  /// Whether the stream names an ElevenLabs agent (an `agent_id` parameter: register-call's
  /// TwiML).
  [[nodiscard]] bool answers_stream(const twiml::Answer& answer) const override;
  /// Native routing: the import of `call.to` answers as the agent it is assigned to
  /// (`rejected` with `not_imported` or `import_unassigned` when it cannot, `agent_not_found`).
  void answer_voice_url(const CallContext& context, const InboundCall& call,
                        CallProgress& progress) override;
  /// Register-call's stream: connects the agent it names (`agent_not_found` when unknown), its
  /// `conversation_id` and the other parameters as dynamic variables.
  void answer_stream(const CallContext& context, const InboundCall& call,
                     const twiml::Answer& answer, CallProgress& progress) override;
  /// A connected call is a conversation in `conversations` and `conversation_details`.
  void record_call(SQLite::Database& db, const InboundCall& call, const CallProgress& progress,
                   const nlohmann::ordered_json& transcript) override;
  /// A connected call is delivered to the post-call webhook the settings name (event
  /// `transcript`, or no events given) as `post_call_transcription`, signed
  /// `ElevenLabs-Signature: t=...,v0=...`.
  void after_call(const CallContext& context, const InboundCall& call,
                  CallProgress& progress) override;

private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace vami::sandbox
