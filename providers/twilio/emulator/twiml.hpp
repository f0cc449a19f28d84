#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Private to the sandbox emulator: what its Twilio half makes of the TwiML a voice URL answers
// (https://www.twilio.com/docs/voice/twiml), as far as a simulated call needs: the call is
// connected to a media stream (an agent), rejected, or told something and hung up.

namespace vami::sandbox::twiml {

/// What a TwiML document does with a call.
enum class Verb {
  connect_stream, ///< `<Connect><Stream url=...>`: a media stream (an agent) takes the call.
  reject,         ///< `<Reject/>`: refused unanswered (not billed).
  say,            ///< `<Say>...</Say>` (then `<Hangup/>` or the end of the document).
  hangup,         ///< `<Hangup/>` with nothing said first.
  unknown,        ///< Not TwiML, or TwiML without any of the verbs above.
};

/// The first verb of a TwiML document that decides the call, with what it carries.
struct Answer {
  Verb verb = Verb::unknown;
  std::string stream_url; ///< connect_stream: the `<Stream url>`.
  /// connect_stream: the `<Parameter name value>`s of the stream, in order (XML-unescaped).
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string spoken;        ///< say: the text of the first `<Say>` (XML-unescaped, trimmed).
  std::string reject_reason; ///< reject: its `reason` attribute ("rejected" when absent).
};

/// Reads `document` (any XML declaration, `<Response>` root; element names are case-sensitive
/// as in TwiML). A document without `<Response` is `unknown`.
[[nodiscard]] Answer read(std::string_view document);

/// The value of parameter `name` of a connect_stream answer; empty when absent.
[[nodiscard]] std::string parameter(const Answer& answer, std::string_view name);

/// `text` with the XML entities (`&amp; &lt; &gt; &quot; &apos;` and numeric ones) decoded.
[[nodiscard]] std::string xml_unescape(std::string_view text);

/// The echo Twimlet's base URL (`https://twimlets.com/echo`): it answers the TwiML of its
/// `Twiml` query parameter.
inline constexpr std::string_view k_echo_twimlet = "https://twimlets.com/echo";

/// The TwiML an echo Twimlet URL (`k_echo_twimlet?Twiml=...`) answers; nullopt for any other
/// URL.
[[nodiscard]] std::optional<std::string> echo_twimlet_document(std::string_view url);

} // namespace vami::sandbox::twiml
