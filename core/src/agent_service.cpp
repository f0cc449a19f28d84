#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "audit_json.hpp"
#include "lookups.hpp"

#include <vami/core/agent_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/router_endpoints.hpp>
#include <vami/core/stream_agent.hpp>

namespace vami {

namespace {

constexpr int k_max_conversations = 100;
constexpr std::size_t k_max_voice_suggestions = 5;

std::string in_quotes(const std::string& text) {
  return "\"" + text + "\"";
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Edit distance, for "did you mean" suggestions of voice names.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string default_prompt(const Tenant& tenant) {
  std::string business = tenant.name;
  if (!tenant.industry.empty()) {
    business += " (" + tenant.industry + ")";
  }
  return "You are the phone assistant of " + business +
         ". Greet callers, answer their questions from your knowledge base, and offer to take a "
         "message when you cannot help.";
}

std::string default_greeting(const Tenant& tenant) {
  return "Hello, thank you for calling " + tenant.name + ". How can I help you today?";
}

} // namespace

std::string agent_tag(const std::string& agent_slug) {
  return "vami-agent:" + agent_slug;
}

std::string compose_prompt(const std::optional<Personality>& personality,
                           const std::string& prompt) {
  if (!personality) {
    return prompt;
  }
  std::string line;
  switch (*personality) {
  case Personality::friendly:
    line = "Speak in a warm, friendly and upbeat way. Use plain words and the caller's name when "
           "you know it.";
    break;
  case Personality::professional:
    line = "Speak in a calm, professional and concise way. Use precise wording and no slang.";
    break;
  case Personality::casual:
    line = "Speak in a relaxed, casual way. Keep sentences short and use everyday words.";
    break;
  }
  return line + "\n\n" + prompt;
}

AgentService::AgentService(AgentProviders& providers, StateStore& store, std::string actor,
                           std::string router_url)
    : m_providers(providers), m_store(store), m_actor(std::move(actor)),
      m_router_url(std::move(router_url)) {}

AgentRequest AgentService::prepare(const AgentRequest& request, const Tenant& tenant) {
  AgentRequest prepared = request;
  prepared.tenant_slug = tenant.slug;
  // In the tenant's own account when it has one: voices differ between accounts.
  VoiceAgentProvider& provider = m_providers.for_new_agent(request.provider, tenant.slug);
  prepared.provider = provider.name();
  if (provider.capabilities().stream_agents) {
    if (request.stream_url.empty()) {
      throw Error(ErrorKind::invalid_input,
                  "a stream agent needs the URL of the orchestrator its calls are connected to",
                  "give it with --stream-url wss://...");
    }
    validate_stream_url(request.stream_url);
    require_reachable_stream_url(request.stream_url, m_stream_reach);
    validate_stream_parameters(request.stream_parameters);
  } else if (!request.stream_url.empty() || !request.stream_parameters.empty()) {
    throw Error(ErrorKind::invalid_input,
                "--stream-url and --param are for stream agents; this agent's provider is " +
                    prepared.provider,
                "leave them out, or create the agent with --provider stream");
  }
  validate_display_name(request.name, "agent name");
  if (prepared.slug.empty()) {
    prepared.slug = slug_from_name(request.name);
    if (prepared.slug.empty()) {
      throw Error(ErrorKind::invalid_input,
                  "cannot make a slug from the agent name " + in_quotes(request.name),
                  "give one with --slug");
    }
  }
  validate_slug(prepared.slug, "agent slug");
  prepared.prompt = request.prompt ? *request.prompt : default_prompt(tenant);
  validate_prompt(*prepared.prompt);
  if (prepared.first_message.empty()) {
    prepared.first_message = default_greeting(tenant);
  }
  validate_first_message(prepared.first_message);
  if (prepared.language.empty()) {
    prepared.language = "en";
  }
  validate_language(prepared.language);
  if (!request.voice.empty()) {
    prepared.voice = voice_id_for(provider, request.voice);
  }
  return prepared;
}

Agent AgentService::create(const AgentRequest& request) {
  const Tenant tenant = detail::require_tenant(m_store, request.tenant_slug);
  const AgentRequest prepared = prepare(request, tenant);
  VoiceAgentProvider& provider = m_providers.for_tenant(prepared.provider, tenant.slug);
  const std::string& slug = prepared.slug;
  std::optional<Agent> existing = m_store.find_agent(slug);
  // A `creating` row of the same tenant is an earlier attempt whose outcome was lost: carry on
  // with it (the tag finds the agent if the provider made it) instead of refusing.
  bool resuming = existing && existing->status == AgentStatus::creating &&
                  existing->tenant_slug == tenant.slug && existing->provider == provider.name();
  if (existing && !resuming) {
    throw Error(
        ErrorKind::conflict,
        "agent " + in_quotes(slug) + " already exists (tenant " + existing->tenant_slug + ")",
        "choose another slug with --slug, or change it with 'vami agents update " + slug + "'");
  }
  Agent row;
  row.slug = slug;
  row.tenant_slug = tenant.slug;
  row.name = prepared.name;
  row.provider = provider.name();
  row.voice_id = prepared.voice;
  row.language = prepared.language;
  row.personality = prepared.personality;
  row.first_message = prepared.first_message;
  row.prompt = *prepared.prompt;
  row.stream_url = prepared.stream_url;
  row.stream_parameters = prepared.stream_parameters;
  row.status = AgentStatus::creating;
  // Recorded before the provider request, so an agent whose creation is interrupted is never
  // unknown locally.
  row = resuming ? m_store.update_agent(row) : m_store.insert_agent(row);

  AgentDefinition definition;
  definition.name = row.name;
  definition.prompt = compose_prompt(row.personality, row.prompt);
  definition.first_message = row.first_message;
  definition.voice_id = row.voice_id;
  definition.language = row.language;
  definition.tags = {"vami", agent_tag(slug), "vami-tenant:" + tenant.slug};
  if (const std::optional<RouterEndpoints> router = endpoints_of_router_url(m_router_url);
      router && provider.capabilities().agent_webhooks) {
    // Its calls ask the router for the tenant's variables, and its post-call data lands in the
    // router's call history, without another `vami router setup`.
    definition.inbound_webhook_url = router->inbound_url_of(provider.name());
    definition.post_call_webhook_url = router->post_call_url_of(provider.name());
  }

  std::optional<std::string> agent_id;
  if (resuming) {
    agent_id = find_by_tag(provider, agent_tag(slug), row.name);
  }
  if (!agent_id) {
    try {
      agent_id = provider.create_agent(definition);
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::unavailable) {
        // The request may have been carried out before the connection failed: look first.
        try {
          agent_id = find_by_tag(provider, agent_tag(slug), row.name);
        } catch (const Error&) {
          throw Error(ErrorKind::uncertain,
                      "agent " + in_quotes(slug) +
                          " may or may not have been created: " + error.what(),
                      "run the same 'vami agents create' again: it looks for the agent before "
                      "creating it");
        }
      }
      if (!agent_id) {
        m_store.delete_agent(slug);
        throw;
      }
    }
  }
  row.provider_agent_id = *agent_id;
  row.status = AgentStatus::active;
  row = m_store.update_agent(row);
  audit("agents create", slug, "", detail::audit_json(row), row.tenant_slug);
  return row;
}

Agent AgentService::update(const std::string& agent_name, const AgentUpdate& update) {
  Agent before = detail::require_active_agent(m_store, agent_name);
  VoiceAgentProvider& provider = m_providers.of(before);
  Agent after = before;
  AgentChange change;
  if (update.name) {
    validate_display_name(*update.name, "agent name");
    after.name = *update.name;
    change.name = after.name;
  }
  if (update.prompt) {
    validate_prompt(*update.prompt);
    after.prompt = *update.prompt;
  }
  if (update.personality) {
    after.personality = update.personality;
  }
  if (update.prompt || update.personality) {
    change.prompt = compose_prompt(after.personality, after.prompt);
  }
  if (update.first_message) {
    validate_first_message(*update.first_message);
    after.first_message = *update.first_message;
    change.first_message = after.first_message;
  }
  if (update.language) {
    validate_language(*update.language);
    after.language = *update.language;
    change.language = after.language;
  }
  if (update.voice) {
    after.voice_id = voice_id_for(provider, *update.voice);
    change.voice_id = after.voice_id;
  }
  if ((update.stream_url || update.stream_parameters) && !provider.capabilities().stream_agents) {
    throw Error(ErrorKind::invalid_input,
                "--stream-url and --param are for stream agents; agent " + in_quotes(before.slug) +
                    " is at " + before.provider,
                "leave them out");
  }
  if (update.stream_url) {
    validate_stream_url(*update.stream_url);
    require_reachable_stream_url(*update.stream_url, m_stream_reach);
    after.stream_url = *update.stream_url;
  }
  if (update.stream_parameters) {
    validate_stream_parameters(*update.stream_parameters);
    after.stream_parameters = *update.stream_parameters;
  }
  if (!update.name && !update.prompt && !update.personality && !update.first_message &&
      !update.language && !update.voice && !update.stream_url && !update.stream_parameters) {
    throw Error(ErrorKind::invalid_input, "nothing to change for agent " + in_quotes(before.slug),
                "give at least one of --name, --prompt, --prompt-file, --first-message, --voice, "
                "--language, --personality (stream agents: --stream-url, --param)");
  }
  if (const std::optional<RouterEndpoints> router = endpoints_of_router_url(m_router_url);
      router && provider.capabilities().agent_webhooks) {
    const std::optional<ProviderAgent> current = provider.get_agent(before.provider_agent_id);
    if (!current) {
      throw Error(ErrorKind::not_found,
                  "agent " + in_quotes(before.slug) + " (" + before.provider_agent_id +
                      ") is gone at " + before.provider,
                  "see 'vami reconcile'");
    }
    const std::string inbound_url = router->inbound_url_of(provider.name());
    const std::string post_call_url = router->post_call_url_of(provider.name());
    if (current->definition.inbound_webhook_url != inbound_url ||
        current->definition.post_call_webhook_url != post_call_url) {
      change.inbound_webhook_url = inbound_url;
      change.post_call_webhook_url = post_call_url;
    }
  }
  provider.update_agent(before.provider_agent_id, change);
  after = m_store.update_agent(after);
  audit("agents update", after.slug, detail::audit_json(before), detail::audit_json(after),
        after.tenant_slug);
  return after;
}

void AgentService::remove(const std::string& agent_name) {
  Agent agent = find(agent_name);
  VoiceAgentProvider& provider = m_providers.of(agent);
  NumberFilter filter;
  filter.agent_slug = agent.slug;
  std::vector<PoolNumber> numbers = m_store.list_numbers(filter);
  if (!numbers.empty()) {
    throw Error(ErrorKind::conflict,
                "agent " + in_quotes(agent.slug) + " still answers " +
                    std::to_string(numbers.size()) + " number(s), first " + numbers.front().e164,
                "unassign them with 'vami numbers unassign NUMBER' or move them with 'vami "
                "numbers reassign NUMBER --agent OTHER'");
  }
  const std::string before = detail::audit_json(agent);
  if (agent.provider_agent_id.empty()) {
    // An interrupted creation: the tag finds the agent if the provider made it.
    agent.provider_agent_id = find_by_tag(provider, agent_tag(agent.slug), agent.name).value_or("");
  }
  agent.status = AgentStatus::deleting;
  agent = m_store.update_agent(agent);
  for (Document document : m_store.list_documents(agent.slug)) {
    if (document.status == DocumentStatus::uploading) {
      // An upload whose answer was lost: its name finds it if the provider made it.
      for (const DocumentSummary& found : provider.list_documents(document.upload_name)) {
        if (found.name == document.upload_name) {
          document.provider_document_id = found.document_id;
        }
      }
      if (document.provider_document_id.empty()) {
        continue;
      }
    }
    try {
      provider.delete_document(document.provider_document_id);
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::not_found) {
        throw;
      }
    }
  }
  if (!agent.provider_agent_id.empty()) {
    try {
      provider.delete_agent(agent.provider_agent_id);
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::not_found) {
        throw;
      }
    }
  }
  m_store.delete_agent(agent.slug);
  audit("agents delete", agent.slug, before, "", agent.tenant_slug);
}

std::vector<Agent> AgentService::list(const std::string& tenant_slug) {
  if (!tenant_slug.empty()) {
    detail::require_tenant(m_store, tenant_slug);
  }
  return m_store.list_agents(tenant_slug);
}

AgentDetails AgentService::show(const std::string& agent_name) {
  AgentDetails details;
  details.agent = find(agent_name);
  NumberFilter filter;
  filter.agent_slug = details.agent.slug;
  details.numbers = m_store.list_numbers(filter);
  details.documents = m_store.list_documents(details.agent.slug);
  return details;
}

Agent AgentService::find(const std::string& agent_name) {
  return detail::require_agent(m_store, agent_name);
}

std::vector<Voice> AgentService::voices(const std::string& provider_name,
                                        const std::string& tenant_slug) {
  if (tenant_slug.empty()) {
    return voices_of(provider_name.empty() ? m_providers.default_provider()
                                           : m_providers.named(provider_name));
  }
  const Tenant tenant = detail::require_tenant(m_store, tenant_slug);
  return voices_of(m_providers.for_new_agent(provider_name, tenant.slug));
}

std::vector<Voice> AgentService::voices_of(VoiceAgentProvider& provider) {
  if (!provider.capabilities().voice_catalogue) {
    throw Error(ErrorKind::invalid_input,
                provider.name() + " has no voices of its own: a stream agent's voice is whatever "
                                  "its orchestrator makes of --voice",
                "list the voices of another provider with --provider");
  }
  std::vector<Voice> voices = provider.list_voices();
  std::stable_sort(voices.begin(), voices.end(),
                   [](const Voice& a, const Voice& b) { return lower(a.name) < lower(b.name); });
  return voices;
}

std::string AgentService::voice_id_for(VoiceAgentProvider& provider, const std::string& voice) {
  if (!provider.capabilities().voice_catalogue) {
    return voice; // passed on to the orchestrator as it is
  }
  // In the catalogue of the account the agent is at (a tenant's own voices differ).
  return resolve_voice_at(provider, voice).voice_id;
}

Voice AgentService::resolve_voice(const std::string& name_or_id, const std::string& provider) {
  return resolve_voice_at(
      provider.empty() ? m_providers.default_provider() : m_providers.named(provider), name_or_id);
}

Voice AgentService::resolve_voice_at(VoiceAgentProvider& provider, const std::string& name_or_id) {
  std::vector<Voice> all = voices_of(provider);
  for (const Voice& voice : all) {
    if (voice.voice_id == name_or_id) {
      return voice;
    }
  }
  const std::string wanted = lower(name_or_id);
  std::vector<const Voice*> named;
  for (const Voice& voice : all) {
    if (lower(voice.name) == wanted) {
      named.push_back(&voice);
    }
  }
  if (named.size() == 1) {
    return *named.front();
  }
  if (named.size() > 1) {
    std::string ids;
    for (const Voice* voice : named) {
      ids += (ids.empty() ? "" : ", ") + voice->voice_id;
    }
    throw Error(ErrorKind::conflict,
                "several voices are named " + in_quotes(name_or_id) + ": " + ids,
                "give the voice id instead");
  }
  // Close matches: names containing the input, or a few typing mistakes away.
  std::vector<std::pair<std::size_t, const Voice*>> close;
  for (const Voice& voice : all) {
    std::string name = lower(voice.name);
    std::size_t distance = edit_distance(name, wanted);
    if (name.find(wanted) != std::string::npos || wanted.find(name) != std::string::npos) {
      distance = 0;
    }
    if (distance <= 2) {
      close.emplace_back(distance, &voice);
    }
  }
  std::stable_sort(close.begin(), close.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string suggestions;
  for (std::size_t i = 0; i < close.size() && i < k_max_voice_suggestions; ++i) {
    suggestions += (suggestions.empty() ? "" : ", ") + close[i].second->name + " (" +
                   close[i].second->voice_id + ")";
  }
  throw Error(ErrorKind::not_found, "voice " + in_quotes(name_or_id) + " does not exist",
              suggestions.empty() ? "see 'vami voices list'"
                                  : "did you mean " + suggestions + "? See 'vami voices list'");
}

std::vector<Conversation> AgentService::conversations(const std::string& agent_name, int limit) {
  if (limit < 1 || limit > k_max_conversations) {
    throw Error(ErrorKind::invalid_input, "--limit " + std::to_string(limit) + " is outside 1..100",
                "give 1 to 100");
  }
  Agent agent = detail::require_active_agent(m_store, agent_name);
  return m_providers.of(agent).list_conversations(agent.provider_agent_id, limit);
}

std::optional<std::string> AgentService::find_by_tag(VoiceAgentProvider& provider,
                                                     const std::string& tag,
                                                     const std::string& name) {
  for (const AgentSummary& summary : provider.list_agents(name)) {
    if (std::find(summary.tags.begin(), summary.tags.end(), tag) != summary.tags.end()) {
      return summary.agent_id;
    }
  }
  return std::nullopt;
}

void AgentService::audit(const std::string& command, const std::string& entity_id,
                         const std::string& before, const std::string& after,
                         const std::string& tenant_slug) {
  detail::append_audit(m_store, m_actor, command, "agent", entity_id, before, after, tenant_slug);
}

} // namespace vami
