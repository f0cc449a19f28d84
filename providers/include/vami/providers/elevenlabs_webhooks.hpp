#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <vami/core/call.hpp>

namespace vami::elevenlabs {

/// How long after its timestamp an `ElevenLabs-Signature` is accepted: 30 minutes, as in every
/// example of ElevenLabs' documentation and in the official SDKs (`construct_event`,
/// `constructEvent`).
inline constexpr std::int64_t k_webhook_tolerance_seconds = 30 * 60;

/// What checking an `ElevenLabs-Signature` header found.
enum class WebhookSignatureCheck {
  valid,
  missing,   ///< No header, or no secret to check it with.
  malformed, ///< No `t=` with a decimal timestamp, or no `v0=` part.
  expired,   ///< The timestamp is more than `k_webhook_tolerance_seconds` before now.
  mismatch,  ///< No `v0` hash is the HMAC of this body with this secret.
};

/// "valid", "missing", "malformed", "expired", "mismatch".
[[nodiscard]] const char* to_string(WebhookSignatureCheck check) noexcept;

/// Lower-case hex HMAC-SHA256 of `timestamp + "." + body` keyed with `secret`: the `v0` of the
/// `ElevenLabs-Signature: t=<timestamp>,v0=<hash>` header of a post-call webhook
/// (`fern/snippets/webhook-hmac-authentication.mdx`, elevenlabs-python `webhooks_custom.py`).
[[nodiscard]] std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                                            std::string_view body);

/// Checks the `ElevenLabs-Signature` header `header` of a delivery whose raw body (the bytes as
/// received, never re-serialised JSON) is `body`, with the workspace webhook's `secret`, at
/// `now_unix` (seconds since the Unix epoch). The header's comma-separated parts may come in
/// any order and include others; a delivery passes when any `v0=` part matches (compared in
/// constant time) and its `t=` is at most `k_webhook_tolerance_seconds` old. A timestamp in the
/// future is accepted, as the SDKs do.
[[nodiscard]] WebhookSignatureCheck check_webhook_signature(std::string_view header,
                                                            std::string_view body,
                                                            std::string_view secret,
                                                            std::int64_t now_unix);

/// The kind of a post-call webhook (`type` of its envelope).
enum class PostCallEventType {
  transcription,      ///< `post_call_transcription`: the conversation, its metadata and analysis.
  audio,              ///< `post_call_audio`: base64 audio only; nothing to record.
  initiation_failure, ///< `call_initiation_failure`: the agent never took the call.
  other,              ///< A type newer than this code; acknowledged, not recorded.
};

/// A post-call webhook read into what the call history keeps.
struct PostCallEvent {
  PostCallEventType type = PostCallEventType::other;
  std::string type_name; ///< The envelope's `type` as sent.
  /// The call as the event describes it (source `router`): `conversation_id`,
  /// `provider_agent_id` (`data.agent_id`), `tenant_slug` (`dynamic_variables.vami_tenant`, else
  /// `user_id`), `call_sid` (`dynamic_variables.vami_call_sid`, else
  /// `metadata.phone_call.call_sid`), `number` and `caller` (`metadata.phone_call.agent_number`
  /// and `external_number`), `direction`, `started_at` (`metadata.start_time_unix_secs`),
  /// `duration_seconds`, `agent_credits` (`metadata.cost`), `agent_cost` (`metadata.cost_fiat`,
  /// USD), `outcome` and `summary` (`analysis.call_successful`, `transcript_summary`),
  /// `transcript`; for an initiation failure `status` `failed_to_start` and `failure_reason`.
  /// Fields the event lacks stay unknown.
  CallRecord call;
};

/// Reads the raw body of a post-call webhook (`{"type", "event_timestamp", "data"}`,
/// "Post-call webhooks", https://elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks),
/// leniently: members of an unexpected type are left unknown, never an error.
/// @throws Error(invalid_input) when the body is not a JSON object with a string `type` and an
///         object `data` holding a string `conversation_id` (the key the history needs).
[[nodiscard]] PostCallEvent parse_post_call_event(std::string_view body);

} // namespace vami::elevenlabs
