#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vami {

/// Longest system prompt vami sends, in bytes of UTF-8 (a prompt is instructions, not a
/// knowledge base: long reference text belongs in `vami kb add`).
inline constexpr std::size_t k_max_prompt_bytes = 50'000;
/// Longest greeting (first message), in bytes of UTF-8.
inline constexpr std::size_t k_max_first_message_bytes = 2'000;
/// Longest tenant or agent display name, in bytes of UTF-8.
inline constexpr std::size_t k_max_display_name_bytes = 120;

/// Checks a tenant or agent slug: 1..63 characters of lower-case ASCII letters, digits and '-',
/// starting with a letter or digit and not ending with '-' (a DNS label, so it fits URLs, tags
/// and file names). `what` names it in the message ("tenant slug").
/// @throws Error(invalid_input) saying which rule the slug breaks and suggesting a fixed one.
void validate_slug(const std::string& slug, std::string_view what);

/// A slug made from a display name ("Dr. Smith's Office" -> "dr-smith-s-office"); may be empty
/// when the name has no ASCII letters or digits.
[[nodiscard]] std::string slug_from_name(std::string_view name);

/// Checks a display name: not blank, at most k_max_display_name_bytes, no control characters.
/// @throws Error(invalid_input).
void validate_display_name(const std::string& name, std::string_view what);

/// Checks an e-mail address loosely (one '@', a dot in the domain, no spaces); empty is allowed.
/// @throws Error(invalid_input).
void validate_email(const std::string& email);

/// Checks a system prompt: not blank, at most k_max_prompt_bytes, valid UTF-8.
/// @throws Error(invalid_input) naming the size and the limit.
void validate_prompt(const std::string& prompt);

/// Checks a greeting: at most k_max_first_message_bytes, valid UTF-8 (empty allowed).
/// @throws Error(invalid_input).
void validate_first_message(const std::string& first_message);

/// Checks a conversation language: an ISO 639-1 code the ElevenLabs Agents Platform speaks
/// ("en", "es", "pt-br", ...), lower case.
/// @throws Error(invalid_input) listing the accepted codes.
void validate_language(const std::string& language);

/// The scheme of a URL vami sends a provider to.
enum class UrlScheme { other, http, https };

/// The scheme of `url`, compared without regard to case as RFC 3986 section 3.1 says
/// ("HTTPS://example.com" is https); `other` for any other scheme or none.
[[nodiscard]] UrlScheme url_scheme(std::string_view url) noexcept;

/// The host of an http(s) URL, lower-cased, without brackets (IPv6), port or path; "" when the
/// URL is not http(s), has no host, or carries credentials (`user@`).
[[nodiscard]] std::string url_host(std::string_view url);

/// Whether `url` is an http(s) URL of this machine (`localhost`, `127.0.0.0/8`, `::1`): the only
/// URLs plain http is accepted for as a call router's (nothing leaves the machine).
[[nodiscard]] bool is_loopback_url(std::string_view url);

/// Checks a knowledge-base URL: absolute http or https (any case) with a host, no spaces.
/// @throws Error(invalid_input).
void validate_document_url(const std::string& url);

/// Whether `text` is valid UTF-8.
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

} // namespace vami
