#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <vami/providers/http_client.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox emulator: Synthflow's half of a simulated call that a Twilio number's
// Elastic SIP trunk sends to Synthflow (sandbox_voice_calls.cpp places the call).

namespace vami::sandbox::synthflow_calls {

/// Whether `sip_url` is one of Synthflow's SIP addresses a trunk's origination URL sends calls
/// to: `sip:` then an optional `user@`, the host `sip.synthflow.ai`, `sip.us.synthflow.ai` or
/// `sip.eu.synthflow.ai` (any case), an optional `:port` and `;parameters`.
[[nodiscard]] bool is_synthflow_sip_url(std::string_view sip_url);

/// What answering a call needs. Every member must outlive the call.
struct Environment {
  SQLite::Database& db; ///< The sandbox's state file, guarded by `mutex` (not held on entry).
  std::mutex& mutex;
  /// The client of the webhooks Synthflow sends (inbound, post-call).
  std::function<http::HttpClient&()> http;
  /// The workspace's webhook secret: signs both webhooks (`HTTP_SYNTHFLOW_SIGNATURE`).
  std::string webhook_secret;
};

/// One call the trunk sends to Synthflow.
struct SipCall {
  std::string to;           ///< The number called (E.164).
  std::string from;         ///< The caller.
  std::string line;         ///< What the caller says after the greeting.
  std::int64_t started = 0; ///< Seconds since the epoch.
  std::int64_t seconds = 0; ///< How long the conversation lasts.
};

/// How Synthflow answered it.
struct SipAnswer {
  /// "connected", "rejected" (no inbound agent has the number, or the inbound webhook declined
  /// it) or "failed" (the inbound webhook could not be reached or answered badly, or named an
  /// agent the workspace does not have).
  std::string outcome = "failed";
  /// Why it was rejected or failed: "no_inbound_agent", "declined", "unreachable",
  /// "http_status", "bad_answer", "agent_not_found".
  std::string reason;
  std::string call_id; ///< Synthflow's id of the call (a UUID).
  std::string agent_id;
  std::string agent_name;
  std::string greeting;
  /// The inbound webhook answer's `custom_variables`, as strings, in order.
  std::vector<std::pair<std::string, std::string>> variables;
  /// `[{role, message, time_in_call_secs}]` of a connected call.
  nlohmann::ordered_json transcript = nlohmann::ordered_json::array();
  nlohmann::ordered_json inbound_webhook = nullptr; ///< `{url, status, error}`, or null.
  nlohmann::ordered_json post_call = nullptr;       ///< `{url, status, error}`, or null.
};

/// Answers `call` as Synthflow answers a call to one of its numbers
/// (https://docs.synthflow.ai/inbound-webhook-api, /post-call-webhook, /webhooks-security):
/// 1. the inbound agent whose `phone_number` is `call.to` receives it (none: rejected,
///    `no_inbound_agent`);
/// 2. when that agent has an `inbound_call_webhook_url`, it is POSTed
///    `{"event": "call_inbound", "call_inbound": {model_id, from_number, to_number, call_id}}`,
///    signed; the answer's `call_inbound` must hold `override_model_id` (`""` keeps the agent,
///    another id reroutes) and may hold `custom_variables`; an empty `call_inbound` declines.
///    One attempt (Synthflow retries three times, then the default agent: the emulator has
///    none);
/// 3. a connected call is a row of `synthflow_calls` (greeting, the caller's line, an answer);
/// 4. then the agent's `external_webhook_url`, when set, is POSTed the post-call payload
///    (`{status, error_message, lead, call: {call_id, model_id, status, duration, start_time
///    (ISO 8601), type_of_call, phone_number_from, phone_number_to, transcript, ...}}`), signed.
[[nodiscard]] SipAnswer answer(const Environment& environment, const SipCall& call);

} // namespace vami::sandbox::synthflow_calls
