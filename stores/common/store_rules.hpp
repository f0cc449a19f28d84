#pragma once

// What every state store checks and words the same way, whatever its database: stored words
// this vami does not know, voice methods, money, area codes, the words of a number filter, and
// a call record's checks and transcript. Private to the stores (stores/common).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vami/core/call.hpp>
#include <vami/core/error.hpp>
#include <vami/core/number.hpp>
#include <vami/core/tenant.hpp>

namespace vami::store_rules {

/// A stored word this vami does not know (Error(storage)). The CHECK constraints keep the
/// columns to known words, but a newer vami may know more of them than this one.
Error unknown_stored(std::string_view text, std::string_view what);

/// The agent status stored as `text`. @throws Error(storage) for a word this vami does not know.
AgentStatus parse_stored_agent_status(std::string_view text);

/// The value a public parser (`parse_routing_mode`, ...) found in stored `text`.
/// @throws Error(storage) when it found none.
template <typename Enum>
Enum stored_value(const std::optional<Enum>& parsed, std::string_view text, std::string_view what) {
  if (!parsed) {
    throw unknown_stored(text, what);
  }
  return *parsed;
}

/// The voice method as the schema stores it ("GET", "POST" or "" for "not set").
/// @throws Error(invalid_input) for another method.
std::string normalized_voice_method(const std::string& method);

/// @throws Error(invalid_input) for a negative amount or a currency that is not three letters.
void check_money(const Money& money);

/// @throws Error(invalid_input) when the filter's area code is not digits.
void check_area_code(const NumberFilter& filter);

/// The filter in words ("area code 212, locality new york"), for "no available number in the
/// pool matches ..."; empty when it matches everything.
std::string describe(const NumberFilter& filter);

/// @throws Error(invalid_input) when a call record has neither id, a cost is negative or has
///         no three-letter currency, or the duration is negative.
void check_call(const CallRecord& call);

/// A call's transcript as the JSON text the stores keep ("" when it has none).
std::string transcript_json(const std::vector<TranscriptLine>& transcript);

/// The transcript stored as `json`. @throws Error(storage) when it is not a JSON array.
std::vector<TranscriptLine> parse_transcript(const std::string& json);

} // namespace vami::store_rules
