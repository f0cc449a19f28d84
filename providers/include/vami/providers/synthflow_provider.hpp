#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <vami/core/voice_agent_provider.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/provider_factory.hpp>

namespace vami::synthflow {

/// Synthflow's global API origin (the contract's first server); paths are relative to `/v2`.
inline constexpr const char* k_default_base_url = "https://api.synthflow.ai/v2";

/// Synthflow's SIP address of the global region (docs.synthflow.ai/connect-over-sip, "SIP
/// addresses": UDP and TCP port 32681).
inline constexpr const char* k_default_sip_origination_uri = "sip:sip.synthflow.ai:32681";

/// How to reach one Synthflow workspace.
struct SynthflowConfig {
  std::string api_key;                       ///< `Authorization: Bearer` (SYNTHFLOW_API_KEY).
  std::string workspace_id;                  ///< SYNTHFLOW_WORKSPACE_ID (voices, numbers).
  std::string base_url = k_default_base_url; ///< Ends in `/v2`; the bare origin of a mock.
  /// Synthflow's SIP address for the workspace's region, where a SIP trunk sends the calls of
  /// the numbers imported into it (`region_sip_origination_uri`).
  std::string sip_origination_uri = k_default_sip_origination_uri;
};

/// Synthflow's SIP address of a region: "" -> sip:sip.synthflow.ai:32681, "us" ->
/// sip:sip.us.synthflow.ai:32681, "eu" -> sip:sip.eu.synthflow.ai:32681
/// (docs.synthflow.ai/connect-over-sip). @throws Error(invalid_input) for any other region.
[[nodiscard]] std::string region_sip_origination_uri(std::string_view region);

/// The base URL of a Synthflow region: "" (global) -> https://api.synthflow.ai/v2, "us" ->
/// https://api.us.synthflow.ai/v2, "eu" -> https://api.eu.synthflow.ai/v2 (the contract's
/// servers). @throws Error(invalid_input) for any other region.
[[nodiscard]] std::string region_base_url(std::string_view region);

/// The Synthflow Platform API implementation of `VoiceAgentProvider` (`name()` "synthflow"),
/// following `shared/specs/synthflow_openapi.json`. Every request carries
/// `Authorization: Bearer <key>`; bodies are JSON. What it maps, and how
/// (docs/providers/synthflow.md):
/// - agents are **inbound** agents (`/assistants`, `type: inbound`): name, `agent.prompt`,
///   `agent.greeting_message` (first message; `greeting_message_mode` `agent_static`, or `human`
///   when there is none), `agent.voice_id`, `agent.language` (ISO 639-1 mapped onto Synthflow's
///   list, `en` -> `en-US`; a language it does not list is refused before any request). Tags
///   and the attached knowledge bases live in the agent's `description` (a marker vami writes
///   and reads back), so `list_agents` finds a lost creation by its `vami-agent:<slug>` tag.
///   Lists page with `limit`/`offset` to the end; `search` filters names (case-insensitive).
/// - voices: `GET /voices?workspace=` (Synthflow's default voice provider, ElevenLabs).
/// - knowledge: one Synthflow knowledge base per vami document, holding one source (`url`
///   `web` or `pdf` for URLs, `text` with `content` for texts and for plain-text or Markdown
///   files; other files are refused with Error(invalid_input): Synthflow takes no uploads).
///   `update_agent`'s knowledge list attaches (`POST /knowledge_base/{id}/attach?model_id=`)
///   and detaches (`POST /knowledge_base/{id}/detach`) the difference from the list the marker
///   holds. `list_documents` reads each knowledge base's first source for its kind and leaves
///   out knowledge bases without one.
/// - numbers: an imported number's id is its slug (E.164 without `+`);
///   `import_sip_trunk_number` is `POST /custom-numbers` (provider `twilio`, the trunk's
///   termination URI), and `import_number` refuses (Synthflow answers a Twilio number only over
///   a SIP trunk, `sip_origination_uri`); assigning sets the
///   agent's `phone_number` (and clears it on any other agent holding it, after); listing is
///   `GET /numbers?workspace=` with the agents' `phone_number`s; removing refuses a number that
///   is not a SIP import (deleting a number Synthflow sold cancels it).
/// - calls: `GET /calls?model_id=` and `GET /calls/{id}`.
/// - `register_call` and the workspace webhook and post-call settings throw Error(invalid_input):
///   Synthflow has none; it posts call data to each agent's `external_webhook_url` and asks its
///   `inbound_call_webhook_url` for per-call variables.
/// Errors: 401/403 -> auth, 404 -> not_found, 400/422 -> invalid_input with Synthflow's message,
/// 429 -> rate_limited (with `Retry-After`), 5xx -> unavailable, other 4xx -> provider, a 2xx
/// body missing a field vami needs -> provider; the provider detail keeps status, code,
/// message and request id. Transport failures from `http` pass through unchanged. The API key
/// never appears in an error. Thread-safe; `http` must outlive the provider.
[[nodiscard]] std::unique_ptr<VoiceAgentProvider> make_synthflow_provider(SynthflowConfig config,
                                                                          http::HttpClient& http);

} // namespace vami::synthflow

namespace vami {

/// The Synthflow provider of `settings` (SYNTHFLOW_API_KEY, SYNTHFLOW_WORKSPACE_ID,
/// VAMI_SYNTHFLOW_BASE_URL, else the region's base URL; the region's SIP address) over
/// `http`, which must outlive it. What it does: `synthflow::make_synthflow_provider`.
/// @throws Error(auth) when SYNTHFLOW_API_KEY is not set; Error(invalid_input) for a region
///         other than us/eu or a base URL that is not http(s).
[[nodiscard]] std::unique_ptr<VoiceAgentProvider>
make_synthflow_provider(const ProviderSettings& settings, http::HttpClient& http);

} // namespace vami
