#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <vami/core/call.hpp>

namespace vami {

/// A simulated inbound call to place: the number called and the caller.
struct TestCallRequest {
  std::string to;   ///< The pool number called, E.164.
  std::string from; ///< The caller, E.164.
  std::string say;  ///< What the caller says once the agent has greeted them.
};

/// What the number's voice URL is, as the telephony provider holds it.
enum class VoiceUrlKind {
  not_owned,      ///< The telephony account does not own the number: the call never arrives.
  none,           ///< The number has no voice URL.
  agent_provider, ///< The voice-agent provider's own (native routing: an import of the number).
  out_of_service, ///< The telephony provider's own out-of-service answer (a suspended number).
  webhook,        ///< Any other URL: a voice webhook (the platform's router, or another server).
  /// The number is on a SIP trunk, whose origination URL takes its calls instead of the voice
  /// URL (a voice-agent provider that answers over SIP: Synthflow); `voice_url` is that SIP URL.
  sip_trunk,
};
/// "not_owned", "none", "agent_provider", "out_of_service", "webhook", "sip_trunk".
[[nodiscard]] const char* to_string(VoiceUrlKind kind) noexcept;

/// How a placed call ended up.
enum class TestCallOutcome {
  connected, ///< An agent took the call.
  rejected,  ///< Refused unanswered.
  spoken,    ///< Answered with a message, then hung up (no agent).
  failed,    ///< The voice URL could not be followed (unreachable, an error, not TwiML).
};
/// "connected", "rejected", "spoken", "failed".
[[nodiscard]] const char* to_string(TestCallOutcome outcome) noexcept;

/// One request the telephony or voice-agent provider sent on the call's behalf (the voice
/// webhook, the status callback, the post-call webhook) and how it went.
struct TestCallDelivery {
  std::string url;
  std::optional<int> http_status; ///< Empty when no response arrived.
  std::string error;              ///< Why no response arrived (transport words); else empty.
  /// Whether it went through: a 2xx answer.
  [[nodiscard]] bool ok() const { return http_status && *http_status / 100 == 2; }
};

/// How the emulated telephony provider followed a stream agent's `<Connect><Stream url>`.
struct TestCallStream {
  /// The emulator serves the URL (its own orchestrator) and opened a WebSocket to it; false:
  /// the call was followed to the TwiML only (a URL of another host is never contacted).
  bool contacted = false;
  bool upgraded = false;  ///< The orchestrator accepted the WebSocket upgrade (101).
  std::string address;    ///< Where the WebSocket went ("ws://127.0.0.1:PORT/stream/acme").
  std::string stream_sid; ///< The stream's "MZ..." SID (`start.streamSid`).
  /// The Media Streams events the orchestrator recorded, in order ("connected", "start",
  /// "media", "media", "stop").
  std::vector<std::string> events;
  std::int64_t media_messages = 0; ///< `media` messages it recorded.
  std::optional<int> close_code;   ///< The orchestrator's WebSocket close status.
  std::string error;               ///< What went wrong; empty when the stream went through.
};

/// A call the emulated providers placed, hop by hop, as they report it.
struct PlacedTestCall {
  std::string call_sid; ///< The telephony provider's "CA..." SID (empty when not owned).
  std::string to;
  std::string from;
  VoiceUrlKind voice_url_kind = VoiceUrlKind::none;
  std::string voice_url;
  /// The voice webhook request (`webhook` kind), or the agent provider's inbound webhook to
  /// vami's router (`sip_trunk` kind, when the agent has one).
  std::optional<TestCallDelivery> voice_webhook;
  TestCallOutcome outcome = TestCallOutcome::failed;
  /// Why the call was rejected or failed, in the provider's or emulator's words (a TwiML
  /// `<Reject reason>`, "not_imported", "import_unassigned", "agent_not_found", "http_status",
  /// "unreachable", "not_twiml", "no_voice_url", "not_owned", "stream_failed": the WebSocket to
  /// a stream agent's orchestrator failed).
  std::string reason;
  std::string spoken_message; ///< `spoken`: what the caller heard.
  std::string agent_id;       ///< `connected`: the voice-agent provider's agent id.
  std::string agent_name;     ///< `connected`: its name at the provider.
  std::string conversation_id;
  /// `connected`: the conversation's dynamic variables, as the call was registered with them
  /// (`vami_tenant`, `vami_call_sid` from the router).
  std::vector<std::pair<std::string, std::string>> dynamic_variables;
  std::vector<TranscriptLine> transcript; ///< `connected`: greeting, caller's line, answer.
  /// `connected` to a stream agent: the `<Stream url>` of the orchestrator that took the call
  /// (its `customParameters` are in `dynamic_variables`); empty for agents their provider
  /// hosts.
  std::string stream_url;
  /// `connected` to (or `failed` at) a stream agent: how the stream was followed; empty for
  /// agents their provider hosts. When `stream->upgraded`, `dynamic_variables` are the
  /// `customParameters` the orchestrator received over the WebSocket.
  std::optional<TestCallStream> stream;
  std::optional<TestCallDelivery> status_callback; ///< Sent when the number has one.
  std::optional<TestCallDelivery> post_call;       ///< Sent when a post-call webhook is set.
};

/// Places simulated inbound calls through emulated providers (the sandbox): the telephony
/// provider follows the number's voice URL as it would for a real call. Live providers have
/// none: no call can be placed without a phone.
class TestCallPlacer {
public:
  virtual ~TestCallPlacer() = default;
  /// Places one call and reports every hop; nullopt when the providers turn out not to be an
  /// emulator (nothing was placed).
  /// @throws Error(unavailable) when the emulator cannot be reached; Error(auth) for rejected
  ///         credentials; Error(invalid_input) for a request it refuses.
  virtual std::optional<PlacedTestCall> place(const TestCallRequest& request) = 0;
};

} // namespace vami
