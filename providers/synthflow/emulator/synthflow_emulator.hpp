#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "sandbox/provider_emulator.hpp"

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox emulator: its Synthflow half.

namespace vami::sandbox {

/// Where the sandbox serves Synthflow: the Platform API's paths are relative to `/v2`, so a
/// client's base URL is `<sandbox origin>/synthflow/v2` (`VAMI_SYNTHFLOW_BASE_URL`).
inline constexpr std::string_view k_synthflow_prefix = "/synthflow/v2";

/// An emulator of the Synthflow Platform API endpoints vami uses, following
/// `shared/specs/synthflow_openapi.json` (same paths under `k_synthflow_prefix`, fields, envelopes
/// `{status, response}` and error bodies):
///
/// - `POST /assistants`, `GET /assistants[/]` (`limit` default 20, `offset`; oldest first),
///   `GET|PUT|DELETE /assistants/{model_id}`: agents; `type`, `name` and `agent` are required on
///   create, `type`, `agent.language` and `agent.greeting_message_mode` are checked against the
///   document's enums; PUT changes only the fields given (`agent` merged member by member). An
///   agent's `phone_number` must be a number of the workspace, and a number belongs to one
///   inbound agent: giving it to another takes it from the first. Deleting an agent detaches
///   its knowledge bases.
/// - `GET /voices?workspace=` (`provider` default elevenlabs, `search`, `limit` default 50,
///   `offset`): a fixed catalogue.
/// - `GET|POST /knowledge_base`, `GET|PUT|DELETE /knowledge_base/{id}`,
///   `POST /knowledge_base/{id}/attach?model_id=`, `POST /knowledge_base/{id}/detach {model_id}`
///   (both idempotent), `GET|POST /knowledge_base/{id}/sources`,
///   `DELETE /knowledge_base/{id}/sources/{source_id}`: knowledge bases and their sources (`text`
///   needs `content`, `web` and `pdf` an http(s) `url`).
/// - `GET /numbers?workspace=` (`is_available`, `limit` default 20, `offset`),
///   `GET /numbers/{slug}?workspace=` (`assistants`: the agents naming the number),
///   `DELETE /numbers/{slug}` (the agents naming it lose it), `POST /custom-numbers` (SIP
///   imports: `workspace_id` must be the sandbox's, `phone_number` E.164 and new,
///   `termination_uri` required for `custom`, `twilio`, `telnyx`, `vonage`, `ring_central`).
/// - `GET /calls?model_id=` (`from_date`, `to_date` in ms, `limit` default 20, `offset`; newest
///   first) and `GET /calls/{call_id}`, read from the `synthflow_calls` table, which nothing in
///   the emulator writes: tests seed it with sqlite3.
///
/// Errors: 401 for a missing or wrong `Authorization: Bearer` key, 404 for an unknown agent,
/// knowledge base, source, number or call, 400 for a refused value, 403 for another workspace,
/// 422 for a missing or mistyped parameter; all `{"detail": {"status": "error", "description",
/// "request_id", "category"}}`. Unknown routes: 404 `{"detail": "Not Found"}`, 405 `{"detail":
/// "Method Not Allowed"}`. Every response carries an `x-request-id` header.
///
/// State lives in the sandbox's SQLite file: `synthflow_agents (seq, model_id UNIQUE, body TEXT
/// (the agent's JSON))`, `synthflow_knowledge_bases (seq, id UNIQUE, name, rag_use_condition)`,
/// `synthflow_sources (seq, id UNIQUE, knowledge_base_id, type, name, url, content, created_at,
/// updated_at)`, `synthflow_knowledge_agents (knowledge_base_id, model_id)`, `synthflow_numbers
/// (slug PRIMARY KEY, phone_number, friendly_name, provider_name, sip_term_uri, sid (NULL for SIP
/// imports; numbers bought through Synthflow have a sid and no sip_term_uri, which
/// `vami numbers import --provider synthflow` brings into the pool: `seed_numbers` adds some,
/// tests also seed them with sqlite3),
/// created_at)`, and, for tests to seed, `synthflow_calls (call_id PRIMARY KEY, model_id,
/// start_time_ms, duration, call_status ('completed'), type_of_call ('inbound'),
/// phone_number_from, phone_number_to, transcript, end_call_reason)`.
///
/// Thread-safe: it shares the sandbox's one connection and the mutex that guards it; writes run
/// in `BEGIN IMMEDIATE` transactions so several processes may share the file.
class SynthflowSandbox final : public AgentProviderEmulator {
public:
  /// Uses `context` (its database and mutex must outlive this object): its settings
  /// `synthflow_api_key` (the accepted `Authorization: Bearer` key), `synthflow_workspace_id`
  /// (the workspace) and `synthflow_webhook_secret` (signs its webhooks).
  explicit SynthflowSandbox(const EmulatorContext& context);
  ~SynthflowSandbox() override;
  SynthflowSandbox(const SynthflowSandbox&) = delete;
  SynthflowSandbox& operator=(const SynthflowSandbox&) = delete;

  /// Creates the emulator's tables when missing (`CREATE TABLE IF NOT EXISTS`, so older state
  /// files keep working). Call inside a write transaction.
  void create_schema(SQLite::Database& db) override;

  /// Whether `path` belongs to this emulator: it is `k_synthflow_prefix` or under it.
  [[nodiscard]] bool handles(std::string_view path) const override;

  /// Synthflow's error body of an injected fault, `{"detail": {"status": "error",
  /// "description", "request_id", "category"}}` (category `rate_limit` for 429, `unavailable`
  /// for 503, `internal` for 500), with `x-request-id` carrying the fault's request id.
  [[nodiscard]] std::optional<FaultBody> fault_body(const RejectedRequest& fault) const override;

  /// Answers one request whose URL path is `path` (with the prefix) and query string (without
  /// `?`) is `query`. Never throws: database failures become 500 with the error body.
  http::HttpResponse handle(const http::HttpRequest& request, const std::string& path,
                            const std::string& query) override;

  /// Whether `sip_url` is one of Synthflow's SIP addresses
  /// (`synthflow_calls::is_synthflow_sip_url`).
  [[nodiscard]] bool answers_sip_address(std::string_view sip_url) const override;
  /// Answers a call the trunk sends it (`synthflow_calls::answer`: its inbound agent, inbound
  /// webhook, call log and post-call webhook; `voice_webhook` is the inbound webhook's delivery,
  /// `conversation_id` Synthflow's call id).
  void answer_sip(const CallContext& context, const InboundCall& call, const std::string& sip_url,
                  CallProgress& progress) override;

  /// `SandboxEmulator::seed_synthflow_numbers`, `count` already checked, in one write
  /// transaction. @throws SQLite::Exception when the file cannot be written.
  std::optional<SeededNumbers> seed_numbers(int count) override;

private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace vami::sandbox
