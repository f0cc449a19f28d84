#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <vami/core/tenant.hpp>

namespace vami {

/// The most parameters a stream agent passes with a call, its own settings included.
inline constexpr std::size_t k_max_stream_parameters = 32;
/// The longest parameter value, in bytes.
inline constexpr std::size_t k_max_stream_parameter_value_bytes = 1024;
/// The longest stream URL, in bytes.
inline constexpr std::size_t k_max_stream_url_bytes = 2048;

/// Checks a stream agent's orchestrator URL: `wss://` with a host (any case), or `ws://` on
/// this machine (`localhost`, `127.0.0.0/8`, `::1`: nothing leaves it unencrypted), no spaces,
/// quotes or angle brackets (it goes into TwiML), at most `k_max_stream_url_bytes`.
/// @throws Error(invalid_input) saying which rule it breaks.
void validate_stream_url(const std::string& url);

/// What the telephony account can reach, a fact the CLI supplies: the sandbox's (built in, or
/// a Twilio base URL on this machine such as `vami sandbox serve`) reaches the sandbox's
/// orchestrator and this machine; a real account only the internet.
enum class StreamReach { sandbox, internet };

/// Refuses, with `StreamReach::internet`, a stream URL Twilio can never reach: the sandbox's
/// orchestrator (`wss://sandbox.vami.invalid/...`), any other `.invalid` name (RFC 2606: never
/// resolves) or a host of this machine (`localhost` and `*.localhost`, `127.0.0.0/8`, `::1`,
/// `0.0.0.0`). Does nothing with `StreamReach::sandbox`. `agent_slug`, when given, is the agent
/// that already holds `url` (an assignment): the hint then says how to change it.
/// @throws Error(invalid_input) saying why and what to use instead.
void require_reachable_stream_url(const std::string& url, StreamReach reach,
                                  const std::string& agent_slug = "");

/// Parses one `--param KEY=VALUE`: KEY is 1 to 64 of `A-Z a-z 0-9 _ . -`, not starting with
/// `vami_` (vami's own settings), VALUE valid UTF-8 without control characters, at most
/// `k_max_stream_parameter_value_bytes` (may be empty).
/// @throws Error(invalid_input) naming the rule.
[[nodiscard]] StreamParameter parse_stream_parameter(std::string_view key_value);

/// Checks the parameters of a stream agent: each as `parse_stream_parameter` says, no name
/// twice, and room left for vami's own settings within `k_max_stream_parameters`.
/// @throws Error(invalid_input).
void validate_stream_parameters(const std::vector<StreamParameter>& parameters);

/// What the router passes a stream agent's orchestrator with a call to one of its numbers, so
/// that one orchestrator serves every tenant: `vami_tenant`, `vami_agent` (slug),
/// `vami_agent_id` (its provider id, `stream_...`), `vami_agent_name`, `vami_greeting`,
/// `vami_voice`, `vami_language`, `vami_personality` (each left out when empty) and
/// `vami_call_sid`, then the agent's own `--param`s, in order.
[[nodiscard]] std::vector<StreamParameter> stream_call_parameters(const Agent& agent,
                                                                  const std::string& call_sid);

} // namespace vami
