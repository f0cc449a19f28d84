// What every state store checks and words the same way (see store_rules.hpp).

#include "store_rules.hpp"

#include <cctype>
#include <cstdint>
#include <utility>

#include <nlohmann/json.hpp>

namespace vami::store_rules {

Error unknown_stored(std::string_view text, std::string_view what) {
  return Error(ErrorKind::storage,
               "the state database holds " + std::string(what) + " '" + std::string(text) +
                   "', which this vami does not know",
               "upgrade vami");
}

AgentStatus parse_stored_agent_status(std::string_view text) {
  if (std::optional<AgentStatus> status = parse_agent_status(text)) {
    return *status;
  }
  throw unknown_stored(text, "agent status");
}

std::string normalized_voice_method(const std::string& method) {
  std::string upper = method;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (!upper.empty() && upper != "GET" && upper != "POST") {
    throw Error(ErrorKind::invalid_input,
                "voice method '" + method + "' is not supported; use GET or POST");
  }
  return upper;
}

void check_money(const Money& money) {
  if (money.micros < 0 || money.currency.size() != 3) {
    throw Error(ErrorKind::invalid_input, "a monthly price needs a non-negative amount and a "
                                          "three-letter currency code, not " +
                                              std::to_string(money.micros) + " micros '" +
                                              money.currency + "'");
  }
}

void check_area_code(const NumberFilter& filter) {
  for (const char c : filter.area_code) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      throw Error(ErrorKind::invalid_input,
                  "area code '" + filter.area_code + "' must be three digits");
    }
  }
}

std::string describe(const NumberFilter& filter) {
  std::string words;
  auto add = [&](const std::string& name, const std::string& value) {
    if (!value.empty()) {
      words += (words.empty() ? "" : ", ") + name + " " + value;
    }
  };
  add("area code", filter.area_code);
  add("region", filter.region);
  add("locality", filter.locality);
  add("tenant", filter.tenant_slug);
  add("agent", filter.agent_slug);
  return words;
}

void check_call(const CallRecord& call) {
  if (call.call_sid.empty() && call.conversation_id.empty()) {
    throw Error(ErrorKind::invalid_input,
                "a call record needs a CallSid or a conversation id to be stored");
  }
  const std::string name = call.call_sid.empty() ? call.conversation_id : call.call_sid;
  auto check_cost = [&](const std::optional<Money>& value, const char* what) {
    if (value && (value->micros < 0 || value->currency.size() != 3)) {
      throw Error(ErrorKind::invalid_input,
                  std::string("the ") + what + " of call " + name +
                      " needs a non-negative amount and a three-letter currency code, not " +
                      std::to_string(value->micros) + " micros '" + value->currency + "'");
    }
  };
  check_cost(call.telephony_cost, "telephony cost");
  check_cost(call.agent_cost, "agent cost");
  if (call.duration_seconds && *call.duration_seconds < 0) {
    throw Error(ErrorKind::invalid_input, "the duration of call " + name + " is negative (" +
                                              std::to_string(*call.duration_seconds) + " s)");
  }
}

std::string transcript_json(const std::vector<TranscriptLine>& transcript) {
  if (transcript.empty()) {
    return {};
  }
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& line : transcript) {
    nlohmann::json entry = {{"role", line.role}, {"message", line.message}};
    if (line.time_in_call_seconds) {
      entry["time_in_call_secs"] = *line.time_in_call_seconds;
    }
    lines.push_back(std::move(entry));
  }
  return lines.dump();
}

std::vector<TranscriptLine> parse_transcript(const std::string& json) {
  std::vector<TranscriptLine> transcript;
  if (json.empty()) {
    return transcript;
  }
  const auto lines = nlohmann::json::parse(json, nullptr, false);
  if (!lines.is_array()) {
    throw unknown_stored(json.substr(0, 40), "a call transcript");
  }
  for (const auto& entry : lines) {
    TranscriptLine line;
    line.role = entry.value("role", "");
    line.message = entry.value("message", "");
    if (entry.contains("time_in_call_secs") && entry["time_in_call_secs"].is_number_integer()) {
      line.time_in_call_seconds = entry["time_in_call_secs"].get<std::int64_t>();
    }
    transcript.push_back(std::move(line));
  }
  return transcript;
}

} // namespace vami::store_rules
