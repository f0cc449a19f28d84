#pragma once

#include <functional>
#include <string>

#include <vami/providers/http_client.hpp>

// Private to the sandbox emulator: ElevenLabs' `register-call` for calls routed through the
// platform's own Twilio webhook (the router of webhook-mode numbers).

namespace vami::sandbox::elevenlabs {

/// The host of the media streams the sandbox's TwiML names. Nothing listens there: the sandbox
/// carries no audio, and `.invalid` can never resolve.
inline constexpr const char* k_sandbox_stream_url = "wss://convai.sandbox.vami.invalid/twilio";

/// Answers `POST /v1/convai/twilio/register-call` as ElevenLabs does
/// (`Body_Register_a_Twilio_call_and_return_TwiML_v1_convai_twilio_register_call_post`):
/// `agent_id`, `from_number` and `to_number` required strings, `direction` `inbound` (default)
/// or `outbound`, `conversation_initiation_client_data` an object or null (its
/// `dynamic_variables` an object of strings, numbers or booleans); any other shape is a 422
/// naming every bad field. An agent `agent_exists` does not know is a 404 `agent_not_found`.
/// The answer is 200 `text/html`: TwiML that connects the call to the agent,
/// `<Response><Connect><Stream url="k_sandbox_stream_url/<conversation id>">` with the
/// `<Parameter>`s `agent_id`, `conversation_id`, `direction`, `from_number`, `to_number` and one
/// per dynamic variable (XML-escaped), so that a test can tell which agent took the call.
/// Errors are thrown as `RequestFailure`.
[[nodiscard]] http::HttpResponse
register_twilio_call(const http::HttpRequest& request,
                     const std::function<bool(const std::string& agent_id)>& agent_exists);

} // namespace vami::sandbox::elevenlabs
