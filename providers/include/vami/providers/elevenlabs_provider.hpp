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
/// `/v1/convai/phone-numbers` (import, PATCH `agent_id`, list, delete) and
/// `/v1/convai/conversations`. Error bodies become `vami::Error` whose provider detail keeps the
/// status, the provider's code (`detail.status`, or the 422 error `type`), message and
/// `request-id`: 401 -> auth, 404 -> not_found, 422 -> invalid_input, 429 -> rate_limited (with
/// `Retry-After`), 5xx -> unavailable, other 4xx -> provider. `http` must outlive the provider.
[[nodiscard]] std::unique_ptr<VoiceAgentProvider> make_elevenlabs_provider(ElevenLabsConfig config,
                                                                           http::HttpClient& http);

} // namespace vami::elevenlabs
