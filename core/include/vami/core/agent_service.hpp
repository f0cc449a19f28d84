#pragma once

#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/stream_agent.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// What `vami agents create` asks for.
struct AgentRequest {
  std::string tenant_slug;
  std::string slug; ///< Empty: made from the name.
  std::string name;
  std::optional<std::string> prompt; ///< Empty optional: a default prompt naming the tenant.
  std::string first_message;         ///< Empty: the tenant's default greeting.
  std::string voice;                 ///< A voice name or id; empty for the provider's default.
  std::string language;              ///< ISO 639-1; empty for "en".
  std::optional<Personality> personality;
  /// The voice-agent provider ("elevenlabs", "stream"); empty: the default
  /// (`AgentProviders::default_name`).
  std::string provider;
  /// Stream agents (required for them, refused for others): the orchestrator's WebSocket URL.
  std::string stream_url;
  /// Stream agents: the parameters passed with each call, in order (`--param KEY=VALUE`).
  std::vector<StreamParameter> stream_parameters;
};

/// What `vami agents update` changes: only the fields that are set.
struct AgentUpdate {
  std::optional<std::string> name;
  std::optional<std::string> prompt;
  std::optional<std::string> first_message;
  std::optional<std::string> voice;
  std::optional<std::string> language;
  std::optional<Personality> personality;
  std::optional<std::string> stream_url;                         ///< Stream agents only.
  std::optional<std::vector<StreamParameter>> stream_parameters; ///< Replaces them all.
};

/// An agent with what hangs off it.
struct AgentDetails {
  Agent agent;
  std::vector<PoolNumber> numbers;
  std::vector<Document> documents;
};

/// The system prompt sent to the provider: a line describing the personality, a blank line, and
/// the user's prompt (the prompt alone without a personality).
[[nodiscard]] std::string compose_prompt(const std::optional<Personality>& personality,
                                         const std::string& prompt);

/// The use cases of agents: create, configure, list, show and delete a tenant's voice agents at
/// the voice-agent provider, keeping the state database in step and the audit trail written.
/// Errors: `Error(invalid_input)` for bad fields, `Error(not_found)` for an unknown tenant, agent
/// or voice, `Error(conflict)` for a duplicate slug or an agent that still has numbers, provider
/// errors as `VoiceAgentProvider` documents, `Error(uncertain)` when the provider may have created
/// an agent that vami could not confirm.
class AgentService {
public:
  /// Acts on each agent at its own provider, found in `providers`; `actor` is written into the
  /// audit trail (a user name, never a secret). `router_url`: the router URL of webhook routing
  /// (`<public>/twilio/voice`, the profile's `router_url` or `--router-url`; empty when none):
  /// when it is vami's router (`endpoints_of_router_url`), agents of a provider with webhooks
  /// of their own (`agent_webhooks`: Synthflow) are given the router's inbound and post-call
  /// URLs at create and update, so that `vami router setup` need not run again.
  AgentService(AgentProviders& providers, StateStore& store, std::string actor,
               std::string router_url = {});

  /// Checks a request for `tenant` and fills its defaults: the provider, the slug from the name,
  /// a prompt and greeting naming the tenant, language "en", and the voice resolved to its id
  /// (when the provider has a voice catalogue). Reads the provider's voices when a voice is
  /// named; creates nothing. A stream agent needs a stream URL; other agents take none.
  /// @throws Error(invalid_input) for a bad field, an unknown provider, or stream settings
  ///         given to an agent of another provider; Error(not_found) for an unknown voice.
  AgentRequest prepare(const AgentRequest& request, const Tenant& tenant);
  /// Creates an agent: checks every field, resolves the voice, records a `creating` row, creates
  /// the agent at the provider tagged `vami-agent:<slug>`, then marks the row active. If the
  /// provider's answer is lost, vami looks for the tag before giving up. An agent with webhooks
  /// of its own is created with the router's (see the constructor) when the router is known.
  Agent create(const AgentRequest& request);
  /// Changes an agent's set fields at the provider, then in the database. An agent with webhooks
  /// of its own also gets the router's (see the constructor) when the router is known and the
  /// provider reports others (read with `get_agent` first).
  /// @throws Error(not_found) when the provider no longer has the agent (with the router known).
  Agent update(const std::string& agent, const AgentUpdate& update);
  /// Deletes an agent and its documents at the provider and in the database.
  /// @throws Error(conflict) while numbers are assigned to it.
  void remove(const std::string& agent);
  /// Agents of a tenant (all when empty), from the database.
  /// @throws Error(not_found) for an unknown tenant.
  std::vector<Agent> list(const std::string& tenant_slug);
  /// An agent (by slug or provider id) with its numbers and documents, from the database.
  AgentDetails show(const std::string& agent);
  /// The agent named by slug or provider id. @throws Error(not_found).
  Agent find(const std::string& agent);
  /// The voices of `provider` (the default provider when empty), ordered by name: in the
  /// platform's account, or, with `tenant_slug`, in that tenant's account (its own when it has
  /// one, `AgentProviders::for_new_agent`; voices differ between accounts).
  /// @throws Error(invalid_input) for a provider without a voice catalogue; Error(not_found) for
  ///         an unknown tenant; what `AgentProviders::for_tenant` throws (Error(auth) when the
  ///         tenant's account lacks the provider's keys).
  std::vector<Voice> voices(const std::string& provider = "", const std::string& tenant_slug = "");
  /// The voice of `provider` (the default when empty), in the platform's account, named by id
  /// or by name (case-insensitive).
  /// @throws Error(not_found) listing up to five close matches.
  Voice resolve_voice(const std::string& name_or_id, const std::string& provider = "");
  /// What the telephony account reaches (`StreamReach::sandbox` until told): with `internet`,
  /// `prepare`, `create` and `update` refuse a stream URL Twilio cannot reach
  /// (`require_reachable_stream_url`).
  void set_stream_reach(StreamReach reach) { m_stream_reach = reach; }
  /// The newest conversations of an agent at the provider, at most `limit` (1..100).
  std::vector<Conversation> conversations(const std::string& agent, int limit);

private:
  std::optional<std::string> find_by_tag(VoiceAgentProvider& provider, const std::string& tag,
                                         const std::string& name);
  /// The voice id to store for `voice` at `provider`: resolved in its catalogue, or as given.
  std::string voice_id_for(VoiceAgentProvider& provider, const std::string& voice);
  /// `provider`'s voices, ordered by name. @throws Error(invalid_input) without a catalogue.
  static std::vector<Voice> voices_of(VoiceAgentProvider& provider);
  /// The voice of `provider` named by `name_or_id`. @throws as `resolve_voice`.
  static Voice resolve_voice_at(VoiceAgentProvider& provider, const std::string& name_or_id);
  void audit(const std::string& command, const std::string& entity_id, const std::string& before,
             const std::string& after, const std::string& tenant_slug);

  AgentProviders& m_providers;
  StateStore& m_store;
  std::string m_actor;
  std::string m_router_url;
  StreamReach m_stream_reach = StreamReach::sandbox;
};

/// The provider tag that marks an agent vami created for `agent_slug`.
[[nodiscard]] std::string agent_tag(const std::string& agent_slug);

} // namespace vami
