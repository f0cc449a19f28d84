// The ElevenLabs-Signature of post-call webhooks (HMAC-SHA256 of "t.body", 30 minutes).
#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "http/crypto.hpp"

#include <vami/providers/elevenlabs_webhooks.hpp>

namespace vami::elevenlabs {

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

} // namespace

const char* to_string(WebhookSignatureCheck check) noexcept {
  switch (check) {
  case WebhookSignatureCheck::valid:
    return "valid";
  case WebhookSignatureCheck::missing:
    return "missing";
  case WebhookSignatureCheck::malformed:
    return "malformed";
  case WebhookSignatureCheck::expired:
    return "expired";
  case WebhookSignatureCheck::mismatch:
    return "mismatch";
  }
  return "mismatch";
}

std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  return http::lower_hex(http::hmac_sha256(secret, message));
}

WebhookSignatureCheck check_webhook_signature(std::string_view header, std::string_view body,
                                              std::string_view secret, std::int64_t now_unix) {
  if (trimmed(header).empty() || secret.empty()) {
    return WebhookSignatureCheck::missing;
  }
  std::string_view timestamp;
  std::vector<std::string_view> hashes;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view part = trimmed(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (part.substr(0, 2) == "t=") {
      timestamp = part.substr(2);
    } else if (part.substr(0, 3) == "v0=") {
      hashes.push_back(part.substr(3));
    }
  }
  std::int64_t seconds = 0;
  auto [end, error] =
      std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (timestamp.empty() || error != std::errc() || end != timestamp.data() + timestamp.size() ||
      hashes.empty()) {
    return WebhookSignatureCheck::malformed;
  }
  if (seconds < now_unix - k_webhook_tolerance_seconds) {
    return WebhookSignatureCheck::expired;
  }
  const std::string expected = webhook_signature(secret, timestamp, body);
  bool matched = false;
  for (std::string_view hash : hashes) {
    matched = http::same_secret_text(hash, expected) || matched;
  }
  return matched ? WebhookSignatureCheck::valid : WebhookSignatureCheck::mismatch;
}

} // namespace vami::elevenlabs
