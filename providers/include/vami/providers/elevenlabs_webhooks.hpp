#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

} // namespace vami::elevenlabs
