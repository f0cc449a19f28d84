#pragma once

#include <optional>
#include <string>

namespace vami {

/// The router's path of voice-agent provider `provider`'s post-call webhook (a call's record for
/// the call history): "/<provider>/post-call" ("/elevenlabs/post-call"). Every provider's
/// `RouterWebhook::route` of that kind is this path, so that what vami gives the provider and
/// what `vami router serve` mounts are the same.
[[nodiscard]] std::string provider_post_call_path(const std::string& provider);

/// The router's path of voice-agent provider `provider`'s inbound-call webhook (the provider asks
/// how to answer a call to one of its numbers): "/<provider>/inbound" ("/synthflow/inbound").
[[nodiscard]] std::string provider_inbound_path(const std::string& provider);

/// The endpoints of vami's call router (`vami router serve`) at its public URL: what Twilio and
/// the voice-agent providers are given so that calls and post-call webhooks reach it.
struct RouterEndpoints {
  std::string public_url;      ///< "https://router.example.com" (no trailing slash).
  std::string voice_url;       ///< `<public>/twilio/voice`: the router URL of webhook routing.
  std::string status_callback; ///< `<public>/twilio/status`: Twilio's call status callbacks.
  std::string health_url;      ///< `<public>/healthz`: answers 200 while the router runs.

  /// `<public>/<provider>/post-call` (`provider_post_call_path`): ElevenLabs' workspace post-call
  /// webhook, Synthflow agents' `external_webhook_url`.
  [[nodiscard]] std::string post_call_url_of(const std::string& provider) const {
    return public_url + provider_post_call_path(provider);
  }
  /// `<public>/<provider>/inbound` (`provider_inbound_path`): Synthflow agents'
  /// `inbound_call_webhook_url`.
  [[nodiscard]] std::string inbound_url_of(const std::string& provider) const {
    return public_url + provider_inbound_path(provider);
  }
  friend bool operator==(const RouterEndpoints&, const RouterEndpoints&) = default;
};

/// The path of the router's voice endpoint, which a router URL of vami's router ends with.
inline constexpr const char* k_router_voice_path = "/twilio/voice";

/// `public_url` checked and normalised as the public URL of a call router: http or https with
/// a host, no credentials, query or fragment; trailing slashes dropped. Plain http only for a
/// host of this machine (`is_loopback_url`): anything else would carry callers' numbers and
/// signed requests in clear. `vami router serve` and `vami router setup` share this rule.
/// @throws Error(invalid_input) naming the URL and what is wrong with it.
[[nodiscard]] std::string checked_router_public_url(const std::string& public_url);

/// The endpoints of the router at `public_url` (already checked: `checked_router_public_url`).
[[nodiscard]] RouterEndpoints router_endpoints(const std::string& public_url);

/// The endpoints of vami's router whose voice endpoint is `router_url` (the router URL of
/// webhook routing, `<public>/twilio/voice`); empty when `router_url` does not end with that
/// path, or has a query: a router that is not vami's, of which only the voice URL is known.
[[nodiscard]] std::optional<RouterEndpoints> endpoints_of_router_url(const std::string& router_url);

} // namespace vami
