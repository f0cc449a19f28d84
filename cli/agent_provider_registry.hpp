#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>

namespace vami::cli {

/// The voice-agent providers vami knows, by the name stored with each agent: "elevenlabs"
/// (ElevenLabs Agents, made on first use by the function given: it may throw Error(auth) when
/// no key is set), "stream" (the platform's own orchestrator; no credentials) and "synthflow"
/// (Synthflow agents, made on first use likewise). Registering a provider is one entry here.
class AgentProviderRegistry final : public AgentProviders {
public:
  /// How the registry reaches tenants' own accounts (`Tenant::account_profile`): the account
  /// (profile name) of a tenant, every account in use, and a provider in one account. Unset
  /// functions leave every tenant on the platform's accounts.
  struct Accounts {
    /// The profile name of tenant `slug`'s own account; "" for the platform's.
    std::function<std::string(const std::string& slug)> of_tenant;
    /// The profile names of every tenant's own account, each once.
    std::function<std::vector<std::string>()> in_use;
    /// The provider `name` ("elevenlabs" or "synthflow") in the account of profile `account`.
    std::function<VoiceAgentProvider&(const std::string& name, const std::string& account)>
        provider;
  };

  /// `elevenlabs` and `synthflow` give those providers each time they are asked (they keep
  /// the instances); `default_name` is where agents go when none is chosen.
  /// @throws Error(invalid_input) for a default name that is not registered.
  AgentProviderRegistry(std::function<VoiceAgentProvider&()> elevenlabs,
                        std::function<VoiceAgentProvider&()> synthflow,
                        std::string default_name = "elevenlabs");
  ~AgentProviderRegistry() override;
  AgentProviderRegistry(const AgentProviderRegistry&) = delete;
  AgentProviderRegistry& operator=(const AgentProviderRegistry&) = delete;

  /// Reaches tenants' own accounts through `accounts` from now on.
  void set_accounts(Accounts accounts) { m_accounts = std::move(accounts); }

  /// The provider `name`. @throws Error(invalid_input) for an unknown name (naming the known
  /// ones); Error(auth) from the ElevenLabs or Synthflow factory.
  VoiceAgentProvider& named(const std::string& name) override;
  /// `Accounts::of_tenant`, or "" without it.
  [[nodiscard]] std::string account_of(const std::string& tenant_slug) override;
  /// "" and then `Accounts::in_use`.
  [[nodiscard]] std::vector<std::string> accounts() override;
  /// `named(name)` for "" and for the stream provider (its agents live in no account), else
  /// `Accounts::provider`.
  /// @throws Error(invalid_input) for an unknown name or when no accounts are set; what
  ///         `Accounts::provider` throws.
  VoiceAgentProvider& in_account(const std::string& name, const std::string& account) override;
  /// "elevenlabs", "stream", "synthflow" (`known_names()`).
  [[nodiscard]] std::vector<std::string> names() const override;
  /// The names every registry knows, in the order error messages list them: "elevenlabs",
  /// "stream", "synthflow". For checks made before a registry exists (the profile key
  /// `agent_provider`, docs/configuration.md).
  [[nodiscard]] static std::vector<std::string> known_names();
  [[nodiscard]] std::string default_name() const override { return m_default; }

private:
  std::function<VoiceAgentProvider&()> m_elevenlabs;
  std::function<VoiceAgentProvider&()> m_synthflow;
  std::unique_ptr<VoiceAgentProvider> m_stream;
  std::string m_default;
  Accounts m_accounts;
};

} // namespace vami::cli
