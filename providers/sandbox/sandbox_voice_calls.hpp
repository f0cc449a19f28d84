#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "elevenlabs/emulator/workspace_webhooks.hpp"
#include "sandbox/sandbox_media_stream.hpp"

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox emulator: simulated inbound calls, placed as Twilio places them and
// answered as ElevenLabs answers them.

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

/// What placing a call needs of the emulator. Every member must outlive the call.
struct Environment {
  SQLite::Database& db; ///< The sandbox's state file, guarded by `mutex`.
  std::mutex& mutex;
  SandboxCredentials credentials; ///< The account whose auth token signs the webhooks.
  /// The client of the requests the providers send (voice webhook, status callback, post-call
  /// webhook); made on first use, so calls that send none load no HTTP library.
  std::function<http::HttpClient&()> http;
  /// The post-call webhook the ElevenLabs settings name (`WorkspaceSandbox::post_call_webhook`).
  std::function<std::optional<PostCallWebhook>()> post_call_webhook;
  /// Follows a stream agent's `<Connect><Stream url>` (media_stream::follow with the sandbox's
  /// orchestrator); unset: followed to the TwiML only.
  std::function<media_stream::Followed(const std::string& url,
                                       const media_streams::StreamedCall& call)>
      follow_stream = {};
};

/// Places one simulated inbound call to `To`, as Twilio would, and answers it with the JSON of
/// every hop (200), or 400 `{"message"}` for a form without a valid `To` or `From`:
///
/// 1. The number: a number the account does not own never rings (`outcome` `rejected`,
///    `reason` `not_owned`; nothing is recorded).
/// 2. Its voice URL (`voice_url_kind`): none (`failed`, `no_voice_url`); ElevenLabs' inbound URL
///    (`agent_provider`): the import of the number answers as its agent (`rejected` with
///    `not_imported` or `import_unassigned` when it cannot); the echo Twimlet
///    (`out_of_service`): its TwiML; any other http(s) URL (`webhook`): a real request with the
///    voice webhook's parameters (AccountSid, ApiVersion, CallSid, CallStatus `ringing`,
///    Called, Caller, Direction `inbound`, From, To) by the number's `VoiceMethod`, signed with
///    `X-Twilio-Signature` (the account's auth token), within Twilio's 15 s.
///    A number on an Elastic SIP trunk (`sip_trunk`; `voice_url` is the trunk's origination
///    SIP URL) rings the trunk instead: Synthflow's SIP address is answered by the Synthflow
///    emulator (`synthflow_calls::answer`: its inbound agent, inbound webhook and post-call
///    webhook; `voice_webhook` is the inbound webhook's delivery, `conversation_id` Synthflow's
///    call id); any other SIP address fails (`sip_address_unknown`, `no_origination_url`).
/// 3. The TwiML: `<Connect><Stream>` with an `agent_id` parameter (ElevenLabs' register-call)
///    connects the agent (`agent_not_found` when the emulator does not know it); with a
///    `vami_agent_id` parameter (a stream agent, vami's router) it is streamed to the
///    orchestrator (`follow_stream`: over a WebSocket when the sandbox serves the URL;
///    `stream_failed` when that stream fails); `<Reject>`
///    rejects (`reason` its reason), `<Say>` speaks (`spoken`, `message`), anything else fails
///    (`not_twiml`; `http_status` or `unreachable` when the request failed).
/// 4. A connected call is a conversation (the agent's first message, the caller's line, an
///    answer) in `conversations` and `conversation_details`. Every call the account received is
///    a row of `calls` (`completed`, or `no-answer`/`busy` when rejected, `failed`).
/// 5. The number's `StatusCallback`, when set, gets the `completed`-event parameters (plus
///    `CallDuration`, `Timestamp`, `CallbackSource`, `SequenceNumber`), signed; a connected
///    call is delivered to the post-call webhook the settings name (event `transcript`, or no
///    events given) as `post_call_transcription`, `ElevenLabs-Signature: t=...,v0=...`.
///
/// The answer: `{call_sid, to, from, voice_url_kind, voice_url, voice_webhook, outcome, reason,
/// message, agent_id, agent_name, conversation_id, dynamic_variables, stream_url, stream,
/// transcript, status_callback, post_call}`; a delivery is `{url, status, error}` or null when
/// none was sent; `stream` is media_stream::to_json for a stream agent's call, else null (its
/// `dynamic_variables` are the parameters the orchestrator received when upgraded).
[[nodiscard]] http::HttpResponse place(const Environment& environment,
                                       const http::HttpRequest& request);

} // namespace vami::sandbox::voice_calls
