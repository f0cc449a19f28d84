#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/providers/agent_provider_registration.hpp>

namespace vami::cli {

/// The voice-agent providers of a list (`registered_agent_providers()`: "elevenlabs", "stream",
/// "synthflow"), by the name stored with each agent. A provider with credentials is asked of
/// the function given each time (it connects on first use, and may throw Error(auth) when its
/// credentials are missing); one without (stream: the platform's own orchestrator) is made here
/// from its descriptor, connecting nothing, and lives in no account.
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
    /// The provider `name` (one with credentials) in the account of profile `account`.
    std::function<VoiceAgentProvider&(const std::string& name, const std::string& account)>
        provider;
    /// Whether account `account` ("" the platform's, else a profile name) holds all of provider
    /// `name`'s credentials (on the sandbox, every provider with an emulator has them). Unset:
    /// `with_credentials` answers the default provider alone.
    std::function<bool(const std::string& name, const std::string& account)> has_credentials;
  };

  /// `connected` gives the provider of a name with credentials each time it is asked (it keeps
  /// the instances); `default_name` is where agents go when none is chosen (empty: the list's
  /// first).
  /// @throws Error(invalid_input) for a default name that is not in `list`.
  AgentProviderRegistry(std::function<VoiceAgentProvider&(const std::string& name)> connected,
                        std::string default_name = {},
                        const AgentProviderList& list = registered_agent_providers());
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
  /// The providers of the list that have an account (`AgentProviderDescriptor::has_account`)
  /// and whose credentials `account` holds (`Accounts::has_credentials`), in the list's order.
  /// @throws what `Accounts::has_credentials` throws.
  [[nodiscard]] std::vector<std::string> with_credentials(const std::string& account) override;
  /// `named(name)` for "" and for a provider without credentials (stream: its agents live in
  /// no account), else `Accounts::provider`.
  /// @throws Error(invalid_input) for an unknown name or when no accounts are set; what
  ///         `Accounts::provider` throws.
  VoiceAgentProvider& in_account(const std::string& name, const std::string& account) override;
  /// The names of the list, in its order.
  [[nodiscard]] std::vector<std::string> names() const override;
  /// The names of `list` (the registered providers: "elevenlabs", "stream", "synthflow"), in
  /// the order error messages list them. For checks made before a registry exists.
  [[nodiscard]] static std::vector<std::string>
  known_names(const AgentProviderList& list = registered_agent_providers());
  [[nodiscard]] std::string default_name() const override { return m_default; }

private:
  AgentProviderList m_list;
  std::function<VoiceAgentProvider&(const std::string&)> m_connected;
  // The providers without credentials, made here.
  std::map<std::string, std::unique_ptr<VoiceAgentProvider>> m_local;
  std::string m_default;
  Accounts m_accounts;
};

} // namespace vami::cli
