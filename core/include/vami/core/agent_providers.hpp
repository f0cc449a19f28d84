#pragma once

#include <optional>
#include <string>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// The voice-agent platforms one command can reach, by the name stored with each agent
/// (`Agent::provider`, `VoiceAgentProvider::name`): "elevenlabs" (ElevenLabs Agents), "stream"
/// (the platform's own orchestrator behind Twilio Media Streams) and "synthflow" (Synthflow
/// agents, reached over a SIP trunk). Use cases pick the
/// provider of the agent they act on, so that agents of several platforms share one pool.
///
/// Accounts: a tenant may have its own voice-agent accounts (`Tenant::account_profile`). Core
/// knows them only as opaque account keys: "" is the platform's own accounts (`named`), any other
/// key one tenant account, resolved by the implementation (the CLI's registry reads the profile
/// of that name). `of(agent)` and `for_tenant` reach the account of the agent's tenant.
class AgentProviders {
public:
  virtual ~AgentProviders() = default;

  /// The provider named `name`.
  /// @throws Error(invalid_input) for a name vami does not know, naming those it knows;
  ///         Error(auth) when the provider's credentials are missing.
  virtual VoiceAgentProvider& named(const std::string& name) = 0;
  /// The names of every provider vami knows, in the order `--help` lists them.
  [[nodiscard]] virtual std::vector<std::string> names() const = 0;
  /// The provider new agents are created at when none is chosen (the profile's choice, else
  /// "elevenlabs").
  [[nodiscard]] virtual std::string default_name() const = 0;

  /// The account key of tenant `tenant_slug`: "" for the platform's own accounts (the default,
  /// and for a tenant the database does not know), else its own account's key.
  /// @throws Error(storage) when the state database cannot be read.
  [[nodiscard]] virtual std::string account_of(const std::string& tenant_slug) {
    (void)tenant_slug;
    return {};
  }
  /// Every account key in use, the platform's ("") first: what reconcile reads.
  /// @throws Error(storage) when the state database cannot be read.
  [[nodiscard]] virtual std::vector<std::string> accounts() { return {std::string()}; }
  /// The names of the providers whose credentials account `account` ("" the platform's) holds,
  /// in the order of `names()`: those reconcile lists in that account even when the database
  /// holds none of their agents, so that an orphan agent, document, import or workspace number
  /// is found at each. A provider without credentials (stream) is never among them. The
  /// default: `default_name()` alone.
  /// @throws Error(storage) when the state database cannot be read; Error(not_found) for an
  ///         account that cannot be resolved (its profile is gone).
  [[nodiscard]] virtual std::vector<std::string> with_credentials(const std::string& account) {
    (void)account;
    return {default_name()};
  }
  /// The provider `name` in account `account` ("": `named(name)`).
  /// @throws what `named` throws; Error(not_found) for an account that cannot be resolved
  ///         (its profile is gone); Error(auth) when that account lacks the provider's keys.
  virtual VoiceAgentProvider& in_account(const std::string& name, const std::string& account) {
    if (!account.empty()) {
      throw Error(ErrorKind::invalid_input, "no voice-agent account '" + account + "' here",
                  "tenants on their own accounts need the CLI's provider registry");
    }
    return named(name);
  }

  /// The provider `name` in the account of tenant `tenant_slug`.
  /// @throws what `account_of` and `in_account` throw.
  VoiceAgentProvider& for_tenant(const std::string& name, const std::string& tenant_slug) {
    return in_account(name, account_of(tenant_slug));
  }
  /// The provider of `agent` in its tenant's account (`for_tenant(agent.provider,
  /// agent.tenant_slug)`).
  /// @throws what `for_tenant` throws.
  VoiceAgentProvider& of(const Agent& agent) {
    return for_tenant(agent.provider, agent.tenant_slug);
  }
  /// The provider of `agent`, or the default one when the database does not know the agent (a
  /// number's routing or import can only have been made there).
  /// @throws what `named` throws.
  VoiceAgentProvider& of(const std::optional<Agent>& agent) {
    return agent ? of(*agent) : default_provider();
  }
  /// The provider new agents are created at when none is chosen (the platform's account).
  /// @throws what `named` throws.
  VoiceAgentProvider& default_provider() { return named(default_name()); }
  /// The provider `name` (empty: `default_name()`) for a new agent of tenant `tenant_slug`, in
  /// that tenant's account.
  /// @throws what `for_tenant` throws.
  VoiceAgentProvider& for_new_agent(const std::string& name, const std::string& tenant_slug) {
    return for_tenant(name.empty() ? default_name() : name, tenant_slug);
  }
};

/// Every agent on one voice-agent provider: a platform with a single account, and tests.
/// `named` answers only the provider's own name.
class SingleAgentProvider final : public AgentProviders {
public:
  /// Serves `provider`, which must outlive this.
  explicit SingleAgentProvider(VoiceAgentProvider& provider) : m_provider(provider) {}
  /// The provider when `name` is its name.
  /// @throws Error(invalid_input) for any other name.
  VoiceAgentProvider& named(const std::string& name) override;
  /// The provider's name alone.
  [[nodiscard]] std::vector<std::string> names() const override { return {m_provider.name()}; }
  /// The provider's name.
  [[nodiscard]] std::string default_name() const override { return m_provider.name(); }

private:
  VoiceAgentProvider& m_provider;
};

/// The voice-agent provider whose workspace holds the pool number `row` (its
/// `PoolNumber::provider`, "synthflow"), or empty for a number of the telephony provider named
/// `telephony_name` ("twilio").
[[nodiscard]] std::string workspace_of(const PoolNumber& row, const std::string& telephony_name);

/// Refuses, before anything changes, a routing the providers cannot make for a pool number and
/// `agent` at `provider`. `workspace` is the voice-agent provider whose workspace holds the
/// number (`workspace_of`), empty for a telephony (Twilio) number. A workspace number is
/// answered only by its own provider's agents, natively: refused for an agent of another
/// provider, and in webhook mode. A Twilio number: native routing to an agent whose provider
/// cannot import telephony numbers (a stream agent is reached through the call router only);
/// webhook routing to an agent whose provider cannot take calls through the router (Synthflow,
/// `router_calls` false). The pairs that work: Twilio number to an ElevenLabs agent, native or
/// webhook; to a stream agent, webhook; to a Synthflow agent, native (over a SIP trunk);
/// Synthflow workspace number to a Synthflow agent, native.
/// @throws Error(invalid_input) naming the pairs that work.
void require_pairing(VoiceAgentProvider& provider, const Agent& agent, RoutingMode mode,
                     const std::string& workspace);

/// Refuses, before anything changes, giving `agent` at `provider` the pool numbers `numbers`
/// (E.164) when its provider's agents answer one number each (`one_number_per_agent`,
/// Synthflow) and the agent would then answer more than one: more than one number asked, or one
/// other than the number the store already has assigned to it (or suspended from it).
/// @throws Error(conflict) naming the number the agent has; Error(storage).
void require_number_room(VoiceAgentProvider& provider, StateStore& store, const Agent& agent,
                         const std::vector<std::string>& numbers);

/// The error for a provider name that `known` does not hold: what was asked, and the names
/// that work.
[[nodiscard]] Error unknown_agent_provider(const std::string& name,
                                           const std::vector<std::string>& known);

} // namespace vami
