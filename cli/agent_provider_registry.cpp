#include "agent_provider_registry.hpp"

#include <algorithm>
#include <utility>

#include <vami/core/error.hpp>
#include <vami/providers/provider_factory.hpp>

namespace vami::cli {

AgentProviderRegistry::AgentProviderRegistry(
    std::function<VoiceAgentProvider&(const std::string& name)> connected, std::string default_name,
    const AgentProviderList& list)
    : m_list(list), m_connected(std::move(connected)), m_default(std::move(default_name)) {
  if (m_default.empty() && !m_list.empty()) {
    m_default = m_list.front()->name;
  }
  const std::vector<std::string> known = names();
  if (std::find(known.begin(), known.end(), m_default) == known.end()) {
    throw unknown_agent_provider(m_default, known);
  }
  // Providers without credentials reach no remote API: nothing to connect, no transport.
  const ProviderSettings none;
  for (const AgentProviderDescriptor* provider : m_list) {
    if (!provider->has_account() && provider->make) {
      m_local[provider->name] = provider->make(AgentProviderConnection{none, nullptr, {}, {}, {}});
    }
  }
}

AgentProviderRegistry::~AgentProviderRegistry() = default;

VoiceAgentProvider& AgentProviderRegistry::named(const std::string& name) {
  if (find_agent_provider(m_list, name) == nullptr) {
    throw unknown_agent_provider(name, names());
  }
  if (auto local = m_local.find(name); local != m_local.end()) {
    return *local->second;
  }
  return m_connected(name);
}

std::string AgentProviderRegistry::account_of(const std::string& tenant_slug) {
  return m_accounts.of_tenant ? m_accounts.of_tenant(tenant_slug) : std::string();
}

std::vector<std::string> AgentProviderRegistry::accounts() {
  std::vector<std::string> all{std::string()};
  if (m_accounts.in_use) {
    for (std::string& account : m_accounts.in_use()) {
      if (!account.empty() && std::find(all.begin(), all.end(), account) == all.end()) {
        all.push_back(std::move(account));
      }
    }
  }
  return all;
}

std::vector<std::string> AgentProviderRegistry::with_credentials(const std::string& account) {
  if (!m_accounts.has_credentials) {
    return AgentProviders::with_credentials(account);
  }
  std::vector<std::string> found;
  for (const AgentProviderDescriptor* provider : m_list) {
    if (provider->has_account() && m_accounts.has_credentials(provider->name, account)) {
      found.push_back(provider->name);
    }
  }
  return found;
}

VoiceAgentProvider& AgentProviderRegistry::in_account(const std::string& name,
                                                      const std::string& account) {
  const AgentProviderDescriptor* provider = find_agent_provider(m_list, name);
  if (provider == nullptr) {
    throw unknown_agent_provider(name, names());
  }
  // Without building the platform's provider: a platform may lack keys its tenants have.
  if (account.empty() || !provider->has_account()) {
    return named(name);
  }
  if (!m_accounts.provider) {
    return AgentProviders::in_account(name, account);
  }
  return m_accounts.provider(name, account);
}

std::vector<std::string> AgentProviderRegistry::names() const {
  return known_names(m_list);
}

std::vector<std::string> AgentProviderRegistry::known_names(const AgentProviderList& list) {
  std::vector<std::string> names;
  for (const AgentProviderDescriptor* provider : list) {
    names.push_back(provider->name);
  }
  return names;
}

} // namespace vami::cli
