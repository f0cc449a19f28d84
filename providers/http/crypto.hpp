#pragma once

#include <optional>
#include <string>
#include <string_view>

// Private to providers/: the encodings and keyed hashes that the providers' webhook signatures
// (Twilio's X-Twilio-Signature, ElevenLabs' ElevenLabs-Signature, Synthflow's
// HTTP_SYNTHFLOW_SIGNATURE), HTTP Basic authentication and the sandbox's WebSocket handshake
// share, over OpenSSL.

namespace vami::http {

/// `bytes` in base64 with padding (RFC 4648, section 4).
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// The bytes of base64 `text` (RFC 4648, section 4; the padding may be left out, and anything
/// after the first `=` is ignored); nullopt when `text` holds a character outside the alphabet.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

/// `bytes` as lower-case hexadecimal digits, two per byte.
[[nodiscard]] std::string lower_hex(std::string_view bytes);

/// The HMAC-SHA1 (RFC 2104) of `message` keyed with `key`: 20 raw bytes.
[[nodiscard]] std::string hmac_sha1(std::string_view key, std::string_view message);

/// The HMAC-SHA256 (RFC 2104) of `message` keyed with `key`: 32 raw bytes.
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view message);

/// The SHA-1 (FIPS 180-4) of `bytes`: 20 raw bytes.
[[nodiscard]] std::string sha1(std::string_view bytes);

/// Whether `a` and `b` are the same text, in a time that depends on their lengths only
/// (`CRYPTO_memcmp`): for comparing a signature received with the one expected.
[[nodiscard]] bool same_secret_text(std::string_view a, std::string_view b);

} // namespace vami::http
