// The Synthflow emulator's agents: `/assistants` (synthflow_emulator.hpp).

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "synthflow/emulator/synthflow_emulator_impl.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox {

using namespace synthflow; // NOLINT(google-build-using-namespace): this half's wire helpers

namespace {

/// `agent.language` of the document's agent schemas.
constexpr std::array<std::string_view, 32> k_languages = {
    "multi", "en-US", "bg",    "cs", "de-DE", "el", "fi",    "fr-FR", "es-ES", "hu", "it",
    "fr",    "pt-BR", "nl-NL", "hi", "zh-CN", "no", "sv-SE", "da",    "da-DK", "id", "ja",
    "ko",    "ms",    "ro",    "ru", "sk",    "tr", "uk",    "vi",    "th",    "pl"};
constexpr std::array<std::string_view, 3> k_types = {"outbound", "inbound", "widget"};
constexpr std::array<std::string_view, 3> k_greeting_modes = {"human", "agent_static",
                                                              "agent_dynamic"};

template <std::size_t N>
void check_enum(const std::optional<std::string>& value,
                const std::array<std::string_view, N>& allowed, const std::string& name) {
  if (value && std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
    fail(400, "validation", "'" + name + "' is not one of the allowed values: " + *value);
  }
}

/// The agent as GET lists it: its stored JSON with the action fields `include_actions=false`
/// gives.
Json listed(Json agent) {
  agent["actions"] = Json::array();
  agent["input_variables"] = Json::array();
  return agent;
}

Json saved_answer(const Json& agent) {
  Json body;
  body["status"] = "ok";
  body["response"]["model_id"] = agent["model_id"];
  body["details"]["phone"] = agent.value("phone_number", "");
  body["details"]["voice"] = agent.contains("agent") ? agent["agent"].value("voice_id", "") : "";
  return body;
}

} // namespace

void SynthflowSandbox::Impl::validate_agent(const Json& body, bool creating) {
  std::optional<std::string> type = text_field(body, "type");
  std::optional<std::string> name = text_field(body, "name");
  if (creating && !type) {
    fail(400, "validation", "'type' is required");
  }
  if (creating && !name) {
    fail(400, "validation", "'name' is required");
  }
  check_enum(type, k_types, "type");
  for (const char* field :
       {"description", "phone_number", "external_webhook_url", "inbound_call_webhook_url"}) {
    (void)text_field(body, field);
  }
  auto agent = body.find("agent");
  if (agent == body.end() || agent->is_null()) {
    if (creating) {
      fail(400, "validation", "'agent' is required");
    }
    return;
  }
  if (!agent->is_object()) {
    fail(422, "validation", "'agent' must be an object");
  }
  for (const char* field : {"prompt", "greeting_message", "voice_id"}) {
    (void)text_field(*agent, field);
  }
  check_enum(text_field(*agent, "language"), k_languages, "agent.language");
  check_enum(text_field(*agent, "greeting_message_mode"), k_greeting_modes,
             "agent.greeting_message_mode");
}

std::vector<Json> SynthflowSandbox::Impl::all_agents() {
  std::vector<Json> agents;
  SQLite::Statement select(m_db, "SELECT body FROM synthflow_agents ORDER BY seq");
  while (select.executeStep()) {
    agents.push_back(Json::parse(select.getColumn(0).getString()));
  }
  return agents;
}

Json SynthflowSandbox::Impl::require_agent(const std::string& model_id) {
  SQLite::Statement select(m_db, "SELECT body FROM synthflow_agents WHERE model_id = ?");
  select.bind(1, model_id);
  if (!select.executeStep()) {
    fail(404, "not_found", "Agent " + model_id + " not found");
  }
  return Json::parse(select.getColumn(0).getString());
}

void SynthflowSandbox::Impl::store_agent(const std::string& model_id, const Json& agent) {
  SQLite::Statement update(m_db, "UPDATE synthflow_agents SET body = ? WHERE model_id = ?");
  update.bind(1, agent.dump());
  update.bind(2, model_id);
  if (update.exec() == 0) {
    SQLite::Statement insert(m_db, "INSERT INTO synthflow_agents (model_id, body) VALUES (?, ?)");
    insert.bind(1, model_id);
    insert.bind(2, agent.dump());
    insert.exec();
  }
}

void SynthflowSandbox::Impl::take_number(const std::string& model_id,
                                         const std::string& phone_number) {
  if (!holds_number(phone_number)) {
    fail(400, "validation", "phone number " + phone_number + " is not in the workspace");
  }
  // One inbound agent per number: another agent naming it gives it up.
  for (Json other : all_agents()) {
    std::string other_id = other.value("model_id", "");
    if (other_id != model_id && other.value("phone_number", "") == phone_number) {
      other["phone_number"] = "";
      store_agent(other_id, other);
    }
  }
}

http::HttpResponse SynthflowSandbox::Impl::create_agent(const Json& body) {
  validate_agent(body, true);
  Json agent;
  agent["model_id"] = new_id();
  for (const auto& [key, value] : body.items()) {
    if (key != "model_id") {
      agent[key] = value;
    }
  }
  std::string phone = agent.value("phone_number", "");
  if (!phone.empty()) {
    take_number(agent["model_id"], phone);
  }
  store_agent(agent["model_id"], agent);
  return json_response(200, saved_answer(agent));
}

http::HttpResponse SynthflowSandbox::Impl::list_agents(const Params& query) {
  std::int64_t limit = int_param(query, "limit", 20, 1, 1000);
  std::int64_t offset = int_param(query, "offset", 0, 0, INT32_MAX);
  std::vector<Json> agents = all_agents();
  Json page = Json::array();
  for (std::size_t i = static_cast<std::size_t>(offset);
       i < agents.size() && static_cast<std::int64_t>(page.size()) < limit; ++i) {
    page.push_back(listed(agents[i]));
  }
  Json response;
  response["pagination"] = pagination(static_cast<std::int64_t>(agents.size()), limit, offset);
  response["assistants"] = std::move(page);
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::get_agent(const std::string& model_id) {
  Json response;
  response["pagination"] = pagination(1, 1, 0);
  response["assistants"] = Json::array({listed(require_agent(model_id))});
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::update_agent(const std::string& model_id,
                                                        const Json& body) {
  Json agent = require_agent(model_id);
  validate_agent(body, false);
  for (const auto& [key, value] : body.items()) {
    if (key == "model_id") {
      continue;
    }
    if (key == "agent" && value.is_object() && agent.contains("agent") &&
        agent["agent"].is_object()) {
      for (const auto& [setting, setting_value] : value.items()) {
        agent["agent"][setting] = setting_value;
      }
    } else {
      agent[key] = value;
    }
  }
  std::string phone = agent.value("phone_number", "");
  if (body.contains("phone_number") && !phone.empty()) {
    take_number(model_id, phone);
  }
  store_agent(model_id, agent);
  return json_response(200, saved_answer(agent));
}

http::HttpResponse SynthflowSandbox::Impl::delete_agent(const std::string& model_id) {
  (void)require_agent(model_id);
  SQLite::Statement remove(m_db, "DELETE FROM synthflow_agents WHERE model_id = ?");
  remove.bind(1, model_id);
  remove.exec();
  SQLite::Statement detach(m_db, "DELETE FROM synthflow_knowledge_agents WHERE model_id = ?");
  detach.bind(1, model_id);
  detach.exec();
  Json response;
  response["answer"] = "Agent " + model_id + " deleted";
  return ok(std::move(response));
}

} // namespace vami::sandbox
