#pragma once

#include <string>
#include <vector>

#include "sandbox/provider_emulator.hpp"

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox emulator: simulated inbound calls, placed as Twilio places them and
// answered by the voice-agent provider's emulator they reach (provider_emulator.hpp).

namespace vami::sandbox::voice_calls {

/// The emulator endpoint that places a simulated call (the sandbox's own; no provider has it):
/// `POST /__sandbox/calls`, HTTP Basic with the Twilio account's credentials, a form body
/// `To` (a number the account owns, E.164), `From` (the caller, E.164; default
/// `k_default_caller`) and `Say` (the caller's line; default `k_default_line`).
inline constexpr const char* k_calls_path = "/__sandbox/calls";
/// The caller of a simulated call when `From` is not given.
inline constexpr const char* k_default_caller = "+14155550100";
/// What the caller says when `Say` is not given.
inline constexpr const char* k_default_line = "Hi, I would like to book an appointment.";

/// Places one simulated inbound call to `To`, as Twilio would, and answers it with the JSON of
/// every hop (200), or 400 `{"message"}` for a form without a valid `To` or `From`:
///
/// 1. The number: a number the account does not own never rings (`outcome` `rejected`,
///    `reason` `not_owned`; nothing is recorded).
/// 2. Its voice URL (`voice_url_kind`): none (`failed`, `no_voice_url`); a URL an emulator
///    `answers_voice_url` (`agent_provider`: ElevenLabs' inbound URL): that emulator answers
///    (ElevenLabs: the import of the number answers as its agent, `rejected` with
///    `not_imported` or `import_unassigned` when it cannot); the echo Twimlet
///    (`out_of_service`): its TwiML; any other http(s) URL (`webhook`): a real request with the
///    voice webhook's parameters (AccountSid, ApiVersion, CallSid, CallStatus `ringing`,
///    Called, Caller, Direction `inbound`, From, To) by the number's `VoiceMethod`, signed with
///    `X-Twilio-Signature` (the account's auth token), within Twilio's 15 s.
///    A number on an Elastic SIP trunk (`sip_trunk`; `voice_url` is the trunk's origination
///    SIP URL) rings the trunk instead: a SIP address an emulator `answers_sip_address` is
///    answered by it (Synthflow's: its inbound agent, inbound webhook and post-call webhook;
///    `voice_webhook` is the inbound webhook's delivery, `conversation_id` Synthflow's call
///    id); any other SIP address fails (`sip_address_unknown`, `no_origination_url`).
/// 3. The TwiML: `<Connect><Stream>` goes to the emulator that `answers_stream` (`not_twiml`
///    when none): with an `agent_id` parameter (ElevenLabs' register-call) it connects the
///    agent (`agent_not_found` when the emulator does not know it); with a `vami_agent_id`
///    parameter (a stream agent, vami's router) it is streamed to the orchestrator
///    (`CallContext::follow_stream`: over a WebSocket when the sandbox serves the URL;
///    `stream_failed` when that stream fails); `<Reject>`
///    rejects (`reason` its reason), `<Say>` speaks (`spoken`, `message`), anything else fails
///    (`not_twiml`; `http_status` or `unreachable` when the request failed).
/// 4. A connected call is a conversation (the agent's first message, the caller's line, an
///    answer) in `conversations` and `conversation_details`. Every call the account received is
///    a row of `calls` (`completed`, or `no-answer`/`busy` when rejected, `failed`); the
///    answering emulator records its own conversation (`record_call`).
/// 5. The number's `StatusCallback`, when set, gets the `completed`-event parameters (plus
///    `CallDuration`, `Timestamp`, `CallbackSource`, `SequenceNumber`), signed; then the
///    answering emulator sends its post-call webhook (`after_call`; ElevenLabs: a connected
///    call to the post-call webhook the settings name, event `transcript` or no events given,
///    as `post_call_transcription`, `ElevenLabs-Signature: t=...,v0=...`).
///
/// The answer: `{call_sid, to, from, voice_url_kind, voice_url, voice_webhook, outcome, reason,
/// message, agent_id, agent_name, conversation_id, dynamic_variables, stream_url, stream,
/// transcript, status_callback, post_call}`; a delivery is `{url, status, error}` or null when
/// none was sent; `stream` is media_stream::to_json for a stream agent's call, else null (its
/// `dynamic_variables` are the parameters the orchestrator received when upgraded).
/// `emulators`: the voice-agent providers' emulators, asked in order.
[[nodiscard]] http::HttpResponse place(const CallContext& context,
                                       const std::vector<AgentProviderEmulator*>& emulators,
                                       const http::HttpRequest& request);

} // namespace vami::sandbox::voice_calls
