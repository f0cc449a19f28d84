#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <vami/core/call.hpp>

namespace vami::synthflow {

/// The header Synthflow's documentation names for a webhook's signature, as written there
/// ("Webhooks Security", https://docs.synthflow.ai/webhooks-security): `HTTP_SYNTHFLOW_SIGNATURE`.
/// That is how a CGI/WSGI server names a request header `Synthflow-Signature`, so the router
/// reads either (`k_signature_header_http`); the emulator sends this one.
inline constexpr const char* k_signature_header = "HTTP_SYNTHFLOW_SIGNATURE";
/// The HTTP header a CGI/WSGI server exposes as `HTTP_SYNTHFLOW_SIGNATURE`.
inline constexpr const char* k_signature_header_http = "Synthflow-Signature";

/// The signature of a Synthflow webhook about the call `call_id`: base64 (RFC 4648, padded) of
/// the HMAC-SHA256 of `call_id` keyed with the workspace's webhook secret (Settings > Security >
/// Webhooks in Synthflow's dashboard). Synthflow signs the call id, not the body
/// (https://docs.synthflow.ai/webhooks-security, "Technical details").
[[nodiscard]] std::string webhook_signature(std::string_view secret, std::string_view call_id);

/// What checking a webhook's signature found.
enum class WebhookSignatureCheck {
  valid,
  missing,  ///< No signature header, or no secret to check it with.
  mismatch, ///< The signature is neither that of the call id nor that of the body.
};
/// "valid", "missing", "mismatch".
[[nodiscard]] const char* to_string(WebhookSignatureCheck check) noexcept;

/// Checks `signature` (the header's value) of a webhook whose call id is `call_id` (may be
/// empty: the inbound webhook's documented body has none) and whose raw body is `body`, with
/// the workspace secret `secret`: valid when it is `webhook_signature(secret, call_id)` for a
/// non-empty call id, or the same HMAC of the whole body (for a delivery that names no call).
/// Compared in constant time; surrounding white space in the header is ignored.
[[nodiscard]] WebhookSignatureCheck check_webhook_signature(std::string_view signature,
                                                            std::string_view call_id,
                                                            std::string_view body,
                                                            std::string_view secret);

/// An inbound webhook (`{"event": "call_inbound", "call_inbound": {model_id, from_number,
/// to_number}}`, https://docs.synthflow.ai/inbound-webhook-api): Synthflow asks, within 10 s of
/// a call to one of its numbers, which agent takes it and with which variables.
struct InboundWebhook {
  std::string call_id;     ///< `call_inbound.call_id` (else a top-level `call_id`); may be empty.
  std::string agent_id;    ///< `call_inbound.model_id`: the agent that received the call.
  std::string from_number; ///< The caller.
  std::string to_number;   ///< The number called.
};

/// Reads the raw body of an inbound webhook.
/// @throws Error(invalid_input) when it is not a JSON object with an object `call_inbound`
///         (an `event` other than "call_inbound" is refused too).
[[nodiscard]] InboundWebhook parse_inbound_webhook(std::string_view body);

/// The answer that lets the call go on: `{"call_inbound": {"override_model_id": ...,
/// "custom_variables": {...}, "metadata": {...}}}`. `override_agent_id` empty keeps the agent
/// that received the call (Synthflow: `""` neither reroutes nor disconnects); `variables` become
/// the call's `custom_variables` (strings, in order) and `metadata` (kept for post-call
/// analysis) carries the same.
[[nodiscard]] std::string
inbound_answer(const std::string& override_agent_id,
               const std::vector<std::pair<std::string, std::string>>& variables);

/// The answer that declines the call: an empty `call_inbound` object (`{"call_inbound": {}}`),
/// which Synthflow answers by disconnecting.
[[nodiscard]] std::string inbound_decline();

/// Reads the raw body of a post-call webhook (delivered to an agent's `external_webhook_url`,
/// https://docs.synthflow.ai/post-call-webhook) into the call history's record, leniently:
/// members of an unexpected type stay unknown. The record (source `router`):
/// `conversation_id` = `call.call_id`; `provider_agent_id` = `call.model_id`; `number` =
/// `call.phone_number_to` (else `call.to_number`); `caller` =
/// `call.phone_number_from`, else `lead.phone_number`; `tenant_slug` = the `vami_tenant`
/// variable (`lead.prompt_variables`, `call.custom_variables` or `call.metadata`);
/// `direction` from `call.type_of_call`; `status` from `call.status` (`completed`,
/// `hangup_on_voicemail` and `left_voicemail` -> completed, `busy`, `failed`, `no-answer`);
/// `started_at` from `call.start_time` (ISO 8601 with an offset, or milliseconds since the
/// epoch), in UTC; `duration_seconds` = `call.duration`; `summary` = `call.summary` (else the
/// top-level `summary`); `agent_cost` = `call.cost` (USD) when given; `failure_reason` = the
/// top-level `error_message` when not empty; `transcript` from `call.transcript`
/// ("bot: ...\nhuman: ...").
/// @throws Error(invalid_input) when the body is not a JSON object with an object `call`
///         holding a string `call_id`.
[[nodiscard]] CallRecord parse_post_call(std::string_view body);

} // namespace vami::synthflow
