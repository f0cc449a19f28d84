#pragma once

#include <memory>
#include <string>

#include <vami/core/voice_agent_provider.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::elevenlabs {

/// How to reach one ElevenLabs account, and the Twilio credentials it is given when a number
/// is imported (`POST /v1/convai/phone-numbers` needs `sid` and `token`).
struct ElevenLabsConfig {
  std::string api_key;                                ///< `xi-api-key` (ELEVENLABS_API_KEY).
  std::string base_url = "https://api.elevenlabs.io"; ///< VAMI_ELEVENLABS_BASE_URL.
  std::string twilio_sid;   ///< Twilio Account SID ("AC...") or API Key SID ("SK...").
  std::string twilio_token; ///< Auth Token for an Account SID, API Key Secret for a key.
  /// The Account Auth Token, sent as `account_auth_token` with API-key imports so ElevenLabs can
  /// check Twilio's webhook signatures; empty when unknown.
  std::string twilio_account_auth_token;
};

/// The ElevenLabs Agents Platform implementation of `VoiceAgentProvider`, following
/// `shared/specs/elevenlabs_openapi.json`: `/v1/convai/agents` (create, get, PATCH, delete, list
/// by cursor), `/v1/voices`, `/v1/convai/knowledge-base/{file,url,text}` and delete,
/// `/v1/convai/phone-numbers` (import, PATCH `agent_id`, list, delete),
/// `/v1/convai/conversations` and `/v1/convai/twilio/register-call` (JSON in, TwiML out as
/// `text/html`; a 200 body without `<Response` is refused as unexpected). Every request carries
/// `xi-api-key`; bodies are JSON except the multipart file upload. Error bodies (`{"detail":
/// {"status", "message"}}`, `{"detail": "text"}`, `422 {"detail": [{loc, msg, type}]}`, or anything
/// unparseable) become `vami::Error` whose message says what vami was doing ("cannot create agent
/// \"X\" at ElevenLabs: ...") and whose provider detail keeps the HTTP status, the provider's code
/// (`detail.status`, or the first 422 `type`), message and `request-id` / `x-request-id`: 401 ->
/// auth, 404 -> not_found, 422 -> invalid_input (every message with its field path), 429 or a
/// `too_many_concurrent_requests` / `system_busy` status -> rate_limited (with `Retry-After`), 5xx
/// -> unavailable, 400 on a number import -> invalid_input, other 4xx -> provider. A 2xx body
/// without a field vami needs -> provider, naming the field. Transport failures from `http` pass
/// through unchanged. The API key and the Twilio credentials never appear in an error.
/// Knowledge-base entries of type `folder` have no `DocumentSourceKind` and are left out of
/// `get_agent`. Thread-safe; `http` must outlive the provider.
[[nodiscard]] std::unique_ptr<VoiceAgentProvider> make_elevenlabs_provider(ElevenLabsConfig config,
                                                                           http::HttpClient& http);

} // namespace vami::elevenlabs
