#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <vami/core/call.hpp>
#include <vami/core/call_router.hpp>
#include <vami/core/router_endpoints.hpp>

// The webhooks a voice-agent provider sends to the call router (`vami router serve`), as its
// descriptor declares them (`AgentProviderDescriptor::webhooks`): the router mounts each one's
// route and runs the same steps for all (read the body, find whose account it is about, check
// its signature with that account's secret, then record the call or answer the question), with
// the provider's own wire format and signature scheme supplied by these functions.
// docs/architecture.md, "Adding a provider".

namespace vami {

/// What a provider's webhook to the router is about.
enum class WebhookKind {
  /// A call ended (or changed): its record goes to the call history (`CallRouter::record`),
  /// answered 200 `{"status":"ok"}`.
  post_call,
  /// The provider asks how to answer a call to one of its numbers
  /// (`CallRouter::answer_provider_call`); answered with `RouterWebhook::answer`'s body, or 503
  /// when the router cannot decide (the provider asks again).
  inbound_call,
};

/// When a webhook's body is read, relative to its signature check.
enum class WebhookBodyOrder {
  /// The signature covers the raw body (ElevenLabs): an unreadable body names no owner, so it is
  /// checked with the platform's secret first, and refused 400 only once signed.
  signed_then_read,
  /// The signature covers what the body names (Synthflow's call id): an unreadable body is
  /// refused 400 at once.
  read_then_signed,
};

/// A webhook's body as its provider read it (`RouterWebhook::read`).
struct ReadWebhook {
  /// `post_call`: the call as the body describes it (source `router`); its `provider_agent_id`,
  /// `number` and `tenant_slug` name the owner (`CallRouter::owner_of`).
  CallRecord call;
  /// `post_call`: when not empty, the event's type as sent ("post_call_audio"): acknowledged
  /// 200 but not recorded.
  std::string ignored;
  /// `inbound_call`: the question (`provider` is the descriptor's name).
  ProviderCall question;
};

/// What a webhook's signature check sees of the request.
struct WebhookRequest {
  std::string_view body; ///< The raw body, as received.
  /// A header's value by name (case-insensitive), "" when absent.
  std::function<std::string(const std::string& name)> header;
  std::int64_t now_unix = 0; ///< Seconds since the Unix epoch, for timestamped signatures.
};

/// The route of provider `provider`'s webhook of `kind`: where vami points that provider's
/// webhooks (`provider_post_call_path`, `provider_inbound_path`: "/synthflow/inbound"), so the
/// one its `RouterWebhook::route` must be (`vami router serve` refuses another).
[[nodiscard]] inline std::string router_webhook_route(const std::string& provider,
                                                      WebhookKind kind) {
  return kind == WebhookKind::post_call ? provider_post_call_path(provider)
                                        : provider_inbound_path(provider);
}

/// One webhook a provider sends to the router.
struct RouterWebhook {
  /// The route it is mounted at, `POST` (`router_webhook_route`: "/synthflow/inbound"); also its
  /// name in the access log and the metrics. One per kind and provider.
  std::string route;
  WebhookKind kind = WebhookKind::post_call;
  WebhookBodyOrder order = WebhookBodyOrder::read_then_signed;
  /// The profile key of the descriptor's setting (`SettingRole::webhook`, secret) whose value
  /// checks its signature: the platform's for what the platform owns, a tenant account's
  /// profile's for what that account owns, never another's.
  std::string secret_key;
  /// The status of a refused signature (ElevenLabs 403, Synthflow 401).
  int refusal_status = 403;
  /// The header its signature travels in ("ElevenLabs-Signature"), for `router serve --help`.
  std::string signature_header;
  /// What the router answers it with, a few words for `router serve --help` ("the tenant's
  /// variables for a call to a Synthflow agent's number, or the answer that declines it");
  /// empty: nothing to say beyond its route.
  std::string help;
  /// The access log's reason for a body `read` refuses ("not_a_post_call_event"), answered 400.
  std::string unreadable_reason;
  /// The reason logged when the platform's own secret is unset (a tenant account's unset
  /// secret is always "no_account_secret").
  std::string no_platform_secret_reason = "no_account_secret";
  /// `inbound_call`: the access log's reason when the provider asked about another agent than
  /// the number's (the database wins, as for Twilio's voice URL).
  std::string another_agent_reason = "names_another_agent";
  /// Reads the raw body. @throws Error(invalid_input) for a body that is not such a webhook.
  std::function<ReadWebhook(std::string_view body)> read;
  /// Checks the request's signature with `secret` (never empty): "" when valid, else the
  /// access log's reason ("bad_signature", "expired_signature"). `read` is what the body says
  /// (default-constructed when `signed_then_read` and the body is unreadable).
  std::function<std::string(const WebhookRequest& request, const ReadWebhook& read,
                            const std::string& secret)>
      verify;
  /// `inbound_call`: the answer's body (`application/json`) for a decision `connected`,
  /// `rejected` or `out_of_service` (a `failed` one is answered 503 by the router).
  std::function<std::string(const CallDecision& decision)> answer;
};

} // namespace vami
