// Synthflow's half of a simulated call a SIP trunk sends it (inbound_calls.hpp): the inbound
// agent of the number, its inbound webhook, the call log and the post-call webhook.

#include "synthflow/emulator/inbound_calls.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

#include "sandbox/provider_emulator.hpp"
#include "synthflow/emulator/synthflow_emulator_impl.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/providers/synthflow_webhooks.hpp>

namespace vami::sandbox::synthflow_calls {

namespace {

using Json = nlohmann::ordered_json;

/// What the agent answers the caller's line with.
constexpr const char* k_agent_answer =
    "Thank you, I can help you with that. May I have your name, please?";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<Json> inbound_agent(SQLite::Database& db, const std::string& e164) {
  SQLite::Statement select(db, "SELECT body FROM synthflow_agents ORDER BY seq");
  while (select.executeStep()) {
    Json agent = Json::parse(select.getColumn(0).getString(), nullptr, false);
    if (agent.is_object() && agent.value("phone_number", "") == e164 &&
        agent.value("type", "inbound") == "inbound") {
      return agent;
    }
  }
  return std::nullopt;
}

std::optional<Json> agent_by_id(SQLite::Database& db, const std::string& model_id) {
  SQLite::Statement select(db, "SELECT body FROM synthflow_agents WHERE model_id = ?");
  select.bind(1, model_id);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  Json agent = Json::parse(select.getColumn(0).getString(), nullptr, false);
  return agent.is_object() ? std::optional<Json>(agent) : std::nullopt;
}

std::string text_of(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A signed JSON POST, as Synthflow sends its webhooks: `{url, status, error}` and the answer.
std::pair<Json, std::optional<http::HttpResponse>> post(const Environment& environment,
                                                        const std::string& url,
                                                        const std::string& call_id,
                                                        const Json& body) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.body = body.dump();
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back(
      vami::synthflow::k_signature_header,
      vami::synthflow::webhook_signature(environment.webhook_secret, call_id));
  return deliver_webhook(environment.http(), request, url);
}

// Asks the agent's inbound webhook; returns the agent to take the call (empty when declined or
// failed: `result` says which).
std::optional<Json> ask_inbound_webhook(const Environment& environment, const SipCall& call,
                                        const Json& agent, const std::string& url,
                                        SipAnswer& result) {
  Json inbound;
  inbound["model_id"] = agent.value("model_id", "");
  inbound["from_number"] = call.from;
  inbound["to_number"] = call.to;
  inbound["call_id"] = result.call_id;
  auto [delivery, response] = post(environment, url, result.call_id,
                                   Json{{"event", "call_inbound"}, {"call_inbound", inbound}});
  result.inbound_webhook = delivery;
  if (!response) {
    result.reason = "unreachable";
    return std::nullopt;
  }
  if (response->status / 100 != 2) {
    result.reason = "http_status";
    return std::nullopt;
  }
  Json answer = Json::parse(response->body, nullptr, false);
  const Json* updated = nullptr;
  if (answer.is_object()) {
    auto it = answer.find("call_inbound");
    updated = it != answer.end() && it->is_object() ? &*it : nullptr;
  }
  if (updated == nullptr) {
    result.reason = "bad_answer";
    return std::nullopt;
  }
  auto override_id = updated->find("override_model_id");
  if (override_id == updated->end() || !override_id->is_string()) {
    // "An empty call_inbound object (no agent assignment)": the call is disconnected.
    result.outcome = "rejected";
    result.reason = "declined";
    return std::nullopt;
  }
  if (auto variables = updated->find("custom_variables");
      variables != updated->end() && variables->is_object()) {
    for (const auto& [name, value] : variables->items()) {
      result.variables.emplace_back(name,
                                    value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  const std::string chosen = override_id->get<std::string>();
  if (chosen.empty()) {
    return agent;
  }
  std::optional<Json> rerouted;
  {
    std::lock_guard lock(environment.mutex);
    rerouted = agent_by_id(environment.db, chosen);
  }
  if (!rerouted) {
    result.reason = "agent_not_found";
  }
  return rerouted;
}

void record_call(SQLite::Database& db, const SipCall& call, const SipAnswer& result,
                 const std::string& transcript) {
  SQLite::Statement insert(
      db, "INSERT OR REPLACE INTO synthflow_calls (call_id, model_id, start_time_ms, duration, "
          "call_status, type_of_call, phone_number_from, phone_number_to, transcript, "
          "end_call_reason) VALUES (?, ?, ?, ?, 'completed', 'inbound', ?, ?, ?, "
          "'human_ended_call')");
  insert.bind(1, result.call_id);
  insert.bind(2, result.agent_id);
  insert.bind(3, call.started * 1000);
  insert.bind(4, call.seconds);
  insert.bind(5, call.from);
  insert.bind(6, call.to);
  insert.bind(7, transcript);
  insert.exec();
}

Json post_call_body(const SipCall& call, const SipAnswer& result, const std::string& transcript) {
  Json variables = Json::object();
  for (const auto& [name, value] : result.variables) {
    variables[name] = value;
  }
  Json lead{{"name", ""}, {"phone_number", call.from}, {"prompt_variables", variables}};
  Json details;
  details["status"] = "completed";
  details["end_call_reason"] = "human_ended_call";
  details["model_id"] = result.agent_id;
  details["timezone"] = "UTC";
  details["call_id"] = result.call_id;
  details["duration"] = call.seconds;
  details["start_time"] = utc_iso8601(call.started);
  details["type_of_call"] = "inbound";
  details["phone_number_from"] = call.from;
  details["phone_number_to"] = call.to;
  details["transcript"] = transcript;
  details["diversion"] = nullptr;
  details["external_id"] = nullptr;
  return Json{{"status", "completed"},
              {"error_message", ""},
              {"lead", std::move(lead)},
              {"call", std::move(details)},
              {"executed_actions", Json::object()}};
}

} // namespace

bool is_synthflow_sip_url(std::string_view sip_url) {
  const std::string url = lower(sip_url);
  if (url.rfind("sip:", 0) != 0) {
    return false;
  }
  std::string rest = url.substr(4);
  if (auto at = rest.find('@'); at != std::string::npos) {
    rest = rest.substr(at + 1);
  }
  std::string host = rest.substr(0, rest.find_first_of(":;?"));
  return host == "sip.synthflow.ai" || host == "sip.us.synthflow.ai" ||
         host == "sip.eu.synthflow.ai";
}

SipAnswer answer(const Environment& environment, const SipCall& call) {
  SipAnswer result;
  result.call_id = synthflow::new_id();
  std::optional<Json> agent;
  {
    std::lock_guard lock(environment.mutex);
    agent = inbound_agent(environment.db, call.to);
  }
  if (!agent) {
    result.outcome = "rejected";
    result.reason = "no_inbound_agent";
    return result;
  }
  if (const std::string url = text_of(*agent, "inbound_call_webhook_url"); !url.empty()) {
    agent = ask_inbound_webhook(environment, call, *agent, url, result);
    if (!agent) {
      return result;
    }
  }
  result.outcome = "connected";
  result.agent_id = text_of(*agent, "model_id");
  result.agent_name = text_of(*agent, "name");
  const Json settings = agent->value("agent", Json::object());
  if (settings.is_object() && settings.value("greeting_message_mode", "") != "human") {
    result.greeting = text_of(settings, "greeting_message");
  }
  const std::string greeting =
      result.greeting.empty() ? "Hello, this is " + result.agent_name + "." : result.greeting;
  result.transcript =
      Json::array({Json{{"role", "agent"}, {"message", greeting}, {"time_in_call_secs", 0}},
                   Json{{"role", "user"}, {"message", call.line}, {"time_in_call_secs", 4}},
                   Json{{"role", "agent"}, {"message", k_agent_answer}, {"time_in_call_secs", 9}}});
  const std::string transcript =
      "bot: " + greeting + "\nhuman: " + call.line + "\nbot: " + k_agent_answer;
  {
    std::lock_guard lock(environment.mutex);
    SQLite::Transaction transaction(environment.db, SQLite::TransactionBehavior::IMMEDIATE);
    record_call(environment.db, call, result, transcript);
    transaction.commit();
  }
  if (const std::string url = text_of(*agent, "external_webhook_url"); !url.empty()) {
    result.post_call =
        post(environment, url, result.call_id, post_call_body(call, result, transcript)).first;
  }
  return result;
}

} // namespace vami::sandbox::synthflow_calls
