// The Synthflow client: requests, agents, voices, calls, and what Synthflow has not
// (synthflow_provider_impl.hpp; knowledge bases and numbers in their own files).
#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "synthflow_provider_impl.hpp"

#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/providers/synthflow_provider.hpp>

namespace vami::synthflow {

namespace detail {

namespace {

/// Agents, voices and calls per page: Synthflow documents defaults (20, 50) and no maximum;
/// fewer pages, fewer chances for a listing to fail half way.
constexpr int k_page_size = 100;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

/// Synthflow's `agent.language` for `language`, refused before any request when it has none.
std::string checked_language(const std::string& language) {
  std::optional<std::string> mapped = synthflow_language(language);
  if (!mapped) {
    throw Error(ErrorKind::invalid_input,
                "Synthflow agents do not speak language " + in_quotes(language),
                "choose one of Synthflow's languages: " + synthflow_languages());
  }
  return *mapped;
}

/// The `agent` object of a create or update body from the fields that are set.
json agent_settings(const std::optional<std::string>& prompt,
                    const std::optional<std::string>& first_message,
                    const std::optional<std::string>& voice_id,
                    const std::optional<std::string>& language) {
  json agent = json::object();
  if (prompt) {
    agent["prompt"] = *prompt;
  }
  if (first_message) {
    // No greeting: the agent waits for the caller to speak first (`human`), as an ElevenLabs
    // agent without a first message does.
    if (first_message->empty()) {
      agent["greeting_message_mode"] = "human";
    } else {
      agent["greeting_message"] = *first_message;
      agent["greeting_message_mode"] = "agent_static";
    }
  }
  if (voice_id) {
    agent["voice_id"] = *voice_id;
  }
  if (language) {
    agent["language"] = checked_language(*language);
  }
  return agent;
}

std::optional<std::string> unless_empty(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional<std::string>(value);
}

std::string path_of(const std::string& prefix, const std::string& id) {
  return prefix + http::url_encode(id);
}

} // namespace

ProviderAgent Reader::agent(const json& item, const std::string& where) const {
  expect_object(item, where);
  ProviderAgent agent;
  agent.agent_id = text(item, "model_id", Presence::required, where);
  AgentDefinition& definition = agent.definition;
  definition.name = text(item, "name", Presence::optional, where);
  AgentMarker marker = parse_marker(text(item, "description", Presence::optional, where));
  definition.tags = std::move(marker.tags);
  definition.knowledge_base = std::move(marker.knowledge_base);
  const std::string settings_path = path(where, "agent");
  const json& settings = child(item, "agent", Presence::optional, where);
  definition.prompt = text(settings, "prompt", Presence::optional, settings_path);
  if (text(settings, "greeting_message_mode", Presence::optional, settings_path) != "human") {
    definition.first_message =
        text(settings, "greeting_message", Presence::optional, settings_path);
  }
  definition.voice_id = text(settings, "voice_id", Presence::optional, settings_path);
  definition.language =
      vami_language(text(settings, "language", Presence::optional, settings_path));
  // `GET /assistants/{id}` documents `external_webhook_url` only; the service's agent answers
  // the inbound one too (and the emulator does).
  definition.inbound_webhook_url =
      text(item, "inbound_call_webhook_url", Presence::optional, where);
  definition.post_call_webhook_url = text(item, "external_webhook_url", Presence::optional, where);
  return agent;
}

std::string Reader::agent_phone_number(const json& item, const std::string& where) const {
  return text(item, "phone_number", Presence::optional, where);
}

Conversation Reader::conversation(const json& item, const std::string& where) const {
  expect_object(item, where);
  Conversation conversation;
  conversation.conversation_id = text(item, "call_id", Presence::required, where);
  conversation.agent_id = text(item, "model_id", Presence::optional, where);
  // `call_status` in the list, `status` in one call's details.
  conversation.status = text(item, "call_status", Presence::optional, where);
  if (conversation.status.empty()) {
    conversation.status = text(item, "status", Presence::optional, where);
  }
  if (const json* start = member(item, "start_time", Presence::optional, where)) {
    if (start->is_string()) {
      conversation.start_time_unix = seconds_from_millis(start->get<std::string>());
    } else if (start->is_number()) {
      conversation.start_time_unix = integer(item, "start_time", Presence::optional, where) / 1000;
    } else {
      unexpected("'" + path(where, "start_time") + "' is not a time");
    }
  }
  conversation.duration_seconds = integer(item, "duration", Presence::optional, where);
  // Synthflow does not judge a call's success in the list; `call_successful` stays empty.
  return conversation;
}

SynthflowProvider::SynthflowProvider(SynthflowConfig config, http::HttpClient& http)
    : m_config(std::move(config)), m_http(http),
      m_base(without_trailing_slashes(m_config.base_url)), m_secrets{m_config.api_key} {}

std::string SynthflowProvider::url(const std::string& path) const {
  return m_base + path;
}

http::HttpResponse SynthflowProvider::exchange(const std::string& method, const std::string& path,
                                               const std::optional<json>& body) const {
  http::HttpRequest request;
  request.method = method;
  request.url = url(path);
  request.headers = {{"Authorization", "Bearer " + m_config.api_key},
                     {"Accept", "application/json"}};
  if (body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump();
  }
  return m_http.send(request);
}

void SynthflowProvider::check(const Call& call, const http::HttpResponse& response) const {
  if (response.status < 200 || response.status >= 300) {
    throw_response_error(call, response, m_secrets);
  }
}

http::HttpResponse SynthflowProvider::send(const Call& call, const std::string& method,
                                           const std::string& path,
                                           const std::optional<json>& body) const {
  http::HttpResponse response = exchange(method, path, body);
  check(call, response);
  return response;
}

const std::string& SynthflowProvider::workspace(const std::string& action) const {
  if (m_config.workspace_id.empty()) {
    throw Error(ErrorKind::invalid_input,
                "cannot " + action + " at Synthflow: SYNTHFLOW_WORKSPACE_ID is not set",
                "set SYNTHFLOW_WORKSPACE_ID to the workspace id shown in Synthflow's dashboard");
  }
  return m_config.workspace_id;
}

void SynthflowProvider::refuse_unsupported(const std::string& what,
                                           const std::string& instead) const {
  throw Error(ErrorKind::invalid_input, "Synthflow has no " + what, instead);
}

// -- Agents ---------------------------------------------------------------------------------

std::string SynthflowProvider::create_agent(const AgentDefinition& definition) {
  Call call{"create agent " + in_quotes(definition.name), {}, {}};
  json body = {{"type", "inbound"},
               {"name", definition.name},
               {"description", marker_description({definition.tags, definition.knowledge_base})},
               {"agent", agent_settings(unless_empty(definition.prompt), definition.first_message,
                                        unless_empty(definition.voice_id),
                                        unless_empty(definition.language))}};
  if (!definition.inbound_webhook_url.empty()) {
    body["inbound_call_webhook_url"] = definition.inbound_webhook_url;
  }
  if (!definition.post_call_webhook_url.empty()) {
    body["external_webhook_url"] = definition.post_call_webhook_url;
  }
  http::HttpResponse response = send(call, "POST", "/assistants", body);
  Reader reader(call, response);
  std::string agent_id =
      reader.text(reader.envelope(), "model_id", Reader::Presence::required, "response");
  try {
    for (const KnowledgeBaseRef& ref : definition.knowledge_base) {
      attach_knowledge_base(ref.document_id, agent_id);
    }
  } catch (const Error&) {
    // An agent without the knowledge it was made with must not be left behind for a retry
    // to duplicate.
    try {
      (void)exchange("DELETE", path_of("/assistants/", agent_id));
    } catch (const Error&) {
    }
    throw;
  }
  return agent_id;
}

std::optional<AgentRead> SynthflowProvider::read_agent(const Call& call,
                                                       const std::string& agent_id) const {
  http::HttpResponse response = exchange("GET", path_of("/assistants/", agent_id));
  if (response.status == 404) {
    return std::nullopt;
  }
  check(call, response);
  Reader reader(call, response);
  std::vector<json> found =
      reader.items(reader.envelope(), "assistants", Reader::Presence::optional, "response");
  if (found.empty()) {
    return std::nullopt;
  }
  return AgentRead{std::move(response), found.front()};
}

std::optional<ProviderAgent> SynthflowProvider::get_agent(const std::string& agent_id) {
  Call call{"look up agent " + agent_id, {}, {}};
  std::optional<AgentRead> read = read_agent(call, agent_id);
  if (!read) {
    return std::nullopt;
  }
  return Reader(call, read->response).agent(read->item, "response.assistants[0]");
}

AgentMarker SynthflowProvider::require_marker(const Call& call, const std::string& agent_id) const {
  std::optional<AgentRead> read = read_agent(call, agent_id);
  if (!read) {
    throw Error(ErrorKind::not_found,
                "cannot " + call.action + " at Synthflow: Synthflow does not know agent " +
                    agent_id,
                "check the id; 'vami reconcile' compares the state database with Synthflow",
                ProviderErrorDetail{k_provider_name, 404, {}, {}, {}, {}});
  }
  Reader reader(call, read->response);
  reader.expect_object(read->item, "response.assistants[0]");
  return parse_marker(
      reader.text(read->item, "description", Reader::Presence::optional, "response.assistants[0]"));
}

ProviderAgent SynthflowProvider::update_agent(const std::string& agent_id,
                                              const AgentChange& change) {
  Call call{"update agent " + agent_id, {}, {}};
  // Synthflow documents no default voice or language to go back to: refused before anything
  // changes.
  if ((change.voice_id && change.voice_id->empty()) ||
      (change.language && change.language->empty())) {
    throw Error(ErrorKind::invalid_input,
                "cannot update agent " + agent_id +
                    " at Synthflow: it has no default voice or language to return to",
                "name the voice ('vami voices list') and the language");
  }
  json settings =
      agent_settings(change.prompt, change.first_message, change.voice_id, change.language);
  json body = json::object();
  if (change.name) {
    body["name"] = *change.name;
  }
  if (!settings.empty()) {
    body["agent"] = std::move(settings);
  }
  // The contract's PUT documents `external_webhook_url` only (the inbound one on POST), with
  // an open body: the inbound URL is sent all the same (docs/providers/synthflow.md).
  if (change.inbound_webhook_url) {
    body["inbound_call_webhook_url"] = *change.inbound_webhook_url;
  }
  if (change.post_call_webhook_url) {
    body["external_webhook_url"] = *change.post_call_webhook_url;
  }
  if (change.knowledge_base) {
    // Attached and detached first, the marker written last: the marker never names a knowledge
    // base that is not attached, and a retry recomputes the same difference.
    AgentMarker marker = require_marker(call, agent_id);
    auto holds = [](const std::vector<KnowledgeBaseRef>& list, const std::string& id) {
      return std::any_of(list.begin(), list.end(),
                         [&](const KnowledgeBaseRef& ref) { return ref.document_id == id; });
    };
    for (const KnowledgeBaseRef& ref : *change.knowledge_base) {
      if (!holds(marker.knowledge_base, ref.document_id)) {
        attach_knowledge_base(ref.document_id, agent_id);
      }
    }
    for (const KnowledgeBaseRef& ref : marker.knowledge_base) {
      if (!holds(*change.knowledge_base, ref.document_id)) {
        detach_knowledge_base(ref.document_id, agent_id);
      }
    }
    marker.knowledge_base.clear();
    for (const KnowledgeBaseRef& ref : *change.knowledge_base) {
      marker.knowledge_base.push_back({ref.document_id, {}, ref.kind});
    }
    body["description"] = marker_description(marker);
  }
  (void)send(call, "PUT", path_of("/assistants/", agent_id), body);
  std::optional<ProviderAgent> agent = get_agent(agent_id);
  if (!agent) {
    throw Error(ErrorKind::not_found,
                "cannot " + call.action + " at Synthflow: the agent is gone after its update",
                "check the id; 'vami reconcile' compares the state database with Synthflow",
                ProviderErrorDetail{k_provider_name, 404, {}, {}, {}, {}});
  }
  return *agent;
}

void SynthflowProvider::delete_agent(const std::string& agent_id) {
  Call call{"delete agent " + agent_id, {}, {}};
  (void)send(call, "DELETE", path_of("/assistants/", agent_id));
}

std::vector<AgentSummary> SynthflowProvider::list_agents(const std::string& search) {
  std::string action = search.empty() ? std::string("list agents")
                                      : "list agents whose name contains " + in_quotes(search);
  // Synthflow's list has no name filter: every page is read and the names compared here.
  const std::string wanted = lower(search);
  std::vector<AgentSummary> agents;
  read_pages(
      action, "/assistants/", {}, "assistants", k_page_size,
      [&](const Reader& reader, const json& item, const std::string& where) {
        ProviderAgent agent = reader.agent(item, where);
        if (!wanted.empty() && lower(agent.definition.name).find(wanted) == std::string::npos) {
          return;
        }
        AgentSummary summary;
        summary.agent_id = agent.agent_id;
        summary.name = agent.definition.name;
        summary.voice_id = agent.definition.voice_id;
        summary.tags = agent.definition.tags;
        agents.push_back(std::move(summary));
      },
      [] { return false; });
  return agents;
}

// -- Voices ---------------------------------------------------------------------------------

std::vector<Voice> SynthflowProvider::list_voices() {
  const std::string action = "list voices";
  std::vector<Voice> voices;
  read_pages(
      action, "/voices", {{"workspace", workspace(action)}}, "voices", k_page_size,
      [&](const Reader& reader, const json& item, const std::string& where) {
        reader.expect_object(item, where);
        Voice voice;
        voice.voice_id = reader.text(item, "voice_id", Reader::Presence::required, where);
        voice.name = reader.text(item, "name", Reader::Presence::optional, where);
        // The voice's engine (elevenlabs, deepgram, synthflow) stands where ElevenLabs says
        // premade or cloned.
        voice.category = reader.text(item, "provider", Reader::Presence::optional, where);
        if (auto gender = item.find("gender"); gender != item.end() && gender->is_string()) {
          voice.gender = gender->get<std::string>();
        }
        if (auto languages = item.find("languages");
            languages != item.end() && languages->is_array()) {
          for (const json& language : *languages) {
            if (language.is_string()) {
              voice.description +=
                  (voice.description.empty() ? "" : ", ") + language.get<std::string>();
            }
          }
        }
        voices.push_back(std::move(voice));
      },
      [] { return false; });
  return voices;
}

// -- Calls ----------------------------------------------------------------------------------

std::vector<Conversation> SynthflowProvider::list_conversations(const std::string& agent_id,
                                                                int limit) {
  std::vector<Conversation> conversations;
  if (limit <= 0) {
    return conversations;
  }
  auto wanted = static_cast<std::size_t>(limit);
  read_pages(
      "list the calls of agent " + agent_id, "/calls", {{"model_id", agent_id}}, "calls",
      std::min(limit, k_page_size),
      [&](const Reader& reader, const json& item, const std::string& where) {
        if (conversations.size() < wanted) {
          conversations.push_back(reader.conversation(item, where));
        }
      },
      [&] { return conversations.size() >= wanted; });
  return conversations;
}

std::vector<Conversation> SynthflowProvider::list_conversations_since(const std::string& agent_id,
                                                                      std::int64_t start_after) {
  Fields filters{{"model_id", agent_id}};
  if (start_after > 0) {
    // `from_date` is in milliseconds since the epoch.
    filters.emplace_back("from_date", std::to_string(start_after * 1000));
  }
  std::vector<Conversation> conversations;
  read_pages(
      "list the calls of agent " + agent_id, "/calls", filters, "calls", k_page_size,
      [&](const Reader& reader, const json& item, const std::string& where) {
        conversations.push_back(reader.conversation(item, where));
      },
      [] { return false; });
  return conversations;
}

ConversationDetails SynthflowProvider::get_conversation(const std::string& conversation_id) {
  Call call{"read call " + conversation_id, "the call may have been deleted at Synthflow", {}};
  http::HttpResponse response = send(call, "GET", path_of("/calls/", conversation_id));
  Reader reader(call, response);
  std::vector<json> calls =
      reader.items(reader.envelope(), "calls", Reader::Presence::optional, "response");
  if (calls.empty()) {
    throw Error(ErrorKind::not_found, "cannot " + call.action + " at Synthflow: no such call",
                call.not_found_hint,
                ProviderErrorDetail{k_provider_name, response.status, {}, {}, {}, {}});
  }
  const json& item = calls.front();
  const std::string where = "response.calls[0]";
  ConversationDetails details;
  details.conversation = reader.conversation(item, where);
  std::string type = reader.text(item, "type_of_call", Reader::Presence::optional, where);
  details.direction = parse_call_direction(type);
  std::string from = reader.text(item, "phone_number_from", Reader::Presence::optional, where);
  std::string to = reader.text(item, "phone_number_to", Reader::Presence::optional, where);
  // The agent's number is the one called on an inbound call, the caller ID on an outbound one.
  bool inbound = type != "outbound";
  details.agent_number = inbound ? to : from;
  details.external_number = inbound ? from : to;
  details.transcript =
      transcript_lines(reader.text(item, "transcript", Reader::Presence::optional, where));
  return details;
}

// -- What Synthflow has not -----------------------------------------------------------------

std::string SynthflowProvider::register_call(const CallRegistration&) {
  refuse_unsupported("register-call: it answers calls that reach it over SIP (a number imported "
                     "into the workspace and assigned to an inbound agent)",
                     "assign the number natively; for per-call variables Synthflow asks the "
                     "agent's inbound_call_webhook_url");
}

std::vector<WorkspaceWebhook> SynthflowProvider::list_webhooks() {
  refuse_unsupported("workspace webhooks",
                     "Synthflow posts each call's data to the agent's external_webhook_url");
}

std::optional<WorkspaceWebhook> SynthflowProvider::get_webhook(const std::string&) {
  refuse_unsupported("workspace webhooks",
                     "Synthflow posts each call's data to the agent's external_webhook_url");
}

CreatedWebhook SynthflowProvider::create_webhook(const std::string&, const std::string&) {
  refuse_unsupported("workspace webhooks",
                     "Synthflow posts each call's data to the agent's external_webhook_url");
}

void SynthflowProvider::delete_webhook(const std::string&) {
  refuse_unsupported("workspace webhooks",
                     "Synthflow posts each call's data to the agent's external_webhook_url");
}

PostCallWebhookSettings SynthflowProvider::post_call_webhook() {
  refuse_unsupported("workspace post-call webhook setting",
                     "set each agent's external_webhook_url (post-call data) and "
                     "inbound_call_webhook_url (per-call variables)");
}

PostCallWebhookSettings SynthflowProvider::set_post_call_webhook(const PostCallWebhookSettings&) {
  refuse_unsupported("workspace post-call webhook setting",
                     "set each agent's external_webhook_url (post-call data) and "
                     "inbound_call_webhook_url (per-call variables)");
}

} // namespace detail

std::string region_base_url(std::string_view region) {
  if (region.empty()) {
    return k_default_base_url;
  }
  if (region == "us" || region == "eu") {
    return "https://api." + std::string(region) + ".synthflow.ai/v2";
  }
  throw Error(ErrorKind::invalid_input,
              "Synthflow region " + detail::in_quotes(region) + " is not us or eu",
              "set the region to us or eu, or leave it out for api.synthflow.ai");
}

std::string region_sip_origination_uri(std::string_view region) {
  if (region.empty()) {
    return k_default_sip_origination_uri;
  }
  (void)region_base_url(region); // refuses what is not us or eu, as the API's hosts do
  return "sip:sip." + std::string(region) + ".synthflow.ai:32681";
}

std::unique_ptr<VoiceAgentProvider> make_synthflow_provider(SynthflowConfig config,
                                                            http::HttpClient& http) {
  return std::make_unique<detail::SynthflowProvider>(std::move(config), http);
}

} // namespace vami::synthflow

namespace vami {

std::unique_ptr<VoiceAgentProvider> make_synthflow_provider(const ProviderSettings& settings,
                                                            http::HttpClient& http) {
  const std::string api_key = settings.setting("synthflow_api_key");
  const std::string base_url = settings.setting("synthflow_base_url");
  const std::string region = settings.setting("synthflow_region");
  if (api_key.empty()) {
    throw Error(ErrorKind::auth, "SYNTHFLOW_API_KEY is not set",
                "set SYNTHFLOW_API_KEY to an API key of the Synthflow workspace");
  }
  synthflow::SynthflowConfig config;
  config.api_key = api_key;
  config.workspace_id = settings.setting("synthflow_workspace_id");
  config.sip_origination_uri = synthflow::region_sip_origination_uri(region);
  config.base_url = synthflow::region_base_url(region);
  if (!base_url.empty()) {
    if (url_scheme(base_url) == UrlScheme::other) {
      throw Error(ErrorKind::invalid_input,
                  "VAMI_SYNTHFLOW_BASE_URL '" + base_url + "' is not an http(s) URL",
                  "set it to a base URL such as https://api.synthflow.ai/v2");
    }
    config.base_url = base_url;
  }
  return synthflow::make_synthflow_provider(std::move(config), http);
}

} // namespace vami
