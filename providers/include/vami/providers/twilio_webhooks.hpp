#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <vami/core/call_router.hpp>

namespace vami::twilio {

/// Decoded `application/x-www-form-urlencoded` parameters, in the order received (a name may
/// repeat; values may be empty).
using FormParams = std::vector<std::pair<std::string, std::string>>;

/// Why a form body cannot be read.
enum class FormError {
  none,
  bad_escape, ///< A `%` not followed by two hex digits.
  too_many,   ///< More parameters than the caller allows.
  not_utf8,   ///< A decoded name or value is not valid UTF-8.
  empty_name, ///< A `=value` pair with no name.
};

/// The parameters of a form body, decoded as Twilio sends them (`+` is a space, `%XX` a byte),
/// or the first reason it is malformed. Twilio's own bodies are always well formed, so the
/// router refuses any other with 400 rather than guessing.
struct ParsedForm {
  FormParams params;
  FormError error = FormError::none;
};

/// Parses `body` strictly (see `FormError`); at most `max_params` pairs.
[[nodiscard]] ParsedForm parse_form(std::string_view body, std::size_t max_params);

/// The value of the first parameter called `name` (exact, case-sensitive), or "" when absent.
[[nodiscard]] std::string form_value(const FormParams& params, std::string_view name);

/// The string Twilio signs for a POST to `url`: the URL followed by each parameter's name and
/// value with no delimiter, names in byte order and each name's distinct values in byte order
/// (twilio-python `compute_signature`, twilio-node `getExpectedTwilioSignature`).
[[nodiscard]] std::string signature_base(std::string_view url, const FormParams& params);

/// Base64 (standard alphabet, padded) of HMAC-SHA1 of `signature_base(url, params)` keyed with
/// `auth_token`: the `X-Twilio-Signature` Twilio sends ("Secure webhooks",
/// https://www.twilio.com/docs/usage/webhooks/webhooks-security).
[[nodiscard]] std::string compute_signature(std::string_view auth_token, std::string_view url,
                                            const FormParams& params);

/// Lower-case hex SHA-256 of `body`: the `bodySHA256` query value Twilio adds to the URL of a
/// request with a JSON body.
[[nodiscard]] std::string body_sha256(std::string_view body);

/// `url` without an explicit port (`https://host:8443/p` -> `https://host/p`); unchanged when it
/// has none or is not an http(s) URL. Credentials (`user:pass@`) are kept.
[[nodiscard]] std::string url_without_port(std::string_view url);
/// `url` with the scheme's default port (443 for https, 80 for http) when it has no port;
/// unchanged otherwise.
[[nodiscard]] std::string url_with_default_port(std::string_view url);

/// Whether `signature` (the `X-Twilio-Signature` header) is Twilio's signature of a request to
/// `url` (the full URL Twilio requested: the public base URL, the path and the query string
/// exactly as received) with the decoded form `params`, keyed with the account's primary
/// `auth_token`. As every official SDK does, the URL as given, without its port and with the
/// default port are each accepted. When the query string holds `bodySHA256`, the request had a
/// JSON body: only the URL is signed, and `raw_body`'s SHA-256 must equal that value (`params`
/// are ignored). Compares in constant time (`CRYPTO_memcmp`). An empty signature or token never
/// validates.
[[nodiscard]] bool validate_signature(std::string_view auth_token, std::string_view url,
                                      const FormParams& params, std::string_view raw_body,
                                      std::string_view signature);

/// The call a voice webhook's parameters describe (`CallSid`, `AccountSid`, `From`, `To`,
/// `Direction`, `CallStatus`; "TwiML Voice: Twilio's Request"); `requested_agent_id` is left
/// empty (it comes from the URL, not the form).
[[nodiscard]] IncomingCall incoming_call(const FormParams& params);

/// The call a status callback describes, for the call history (source `router`): `call_sid`
/// (`CallSid`), `direction` and `status` (`Direction`, `CallStatus`), `number` and `caller`
/// (`To` and `From` for an inbound call, the other way round otherwise), `duration_seconds`
/// (`CallDuration`, when it is a whole number). Unknown or malformed values stay unknown.
[[nodiscard]] CallRecord status_callback_call(const FormParams& params);

// -- TwiML (https://www.twilio.com/docs/voice/twiml) ---------------------------------------------

/// `text` escaped for XML character data and attribute values (`& < > " '`).
[[nodiscard]] std::string xml_escape(std::string_view text);

/// `<Response><Reject reason="rejected"/></Response>` with the XML declaration: the only answer
/// that keeps Twilio from picking up (and billing) the call ("TwiML Voice: <Reject>").
[[nodiscard]] std::string twiml_reject();

/// `<Response><Say>message</Say><Hangup/></Response>` with the XML declaration: the call is
/// answered, `message` spoken (XML-escaped), and hung up.
[[nodiscard]] std::string twiml_say_and_hang_up(std::string_view message);

/// `<Response><Connect><Stream url="..."><Parameter name="..." value="..."/>...</Stream>
/// </Connect></Response>` with the XML declaration: the call's audio goes to `url` over a
/// bidirectional Media Stream, whose `start` message carries `parameters` as
/// `customParameters` ("TwiML Voice: <Stream>", "Media Streams - WebSocket Messages"). Every
/// value is XML-escaped.
[[nodiscard]] std::string
twiml_connect_stream(std::string_view url,
                     const std::vector<std::pair<std::string, std::string>>& parameters);

/// Whether `document` looks like a TwiML document a provider meant for Twilio: it holds a
/// `<Response` element. (ElevenLabs' `register-call` answers an opaque TwiML string as
/// `text/html`; it is relayed only when it passes this check.)
[[nodiscard]] bool looks_like_twiml(std::string_view document);

} // namespace vami::twilio
