#include "agent_provider_registry.hpp"

#include <algorithm>
#include <utility>

#include <vami/core/error.hpp>
#include <vami/providers/stream_agent_provider.hpp>

namespace vami::cli {

namespace {

// `VoiceAgentProvider::name` of the Synthflow provider, stored with its agents.
constexpr const char* k_synthflow_provider_name = "synthflow";

} // namespace

AgentProviderRegistry::AgentProviderRegistry(std::function<VoiceAgentProvider&()> elevenlabs,
                                             std::function<VoiceAgentProvider&()> synthflow,
                                             std::string default_name)
    : m_elevenlabs(std::move(elevenlabs)), m_synthflow(std::move(synthflow)),
      m_stream(make_stream_agent_provider()), m_default(std::move(default_name)) {
  const std::vector<std::string> known = names();
  if (std::find(known.begin(), known.end(), m_default) == known.end()) {
    throw unknown_agent_provider(m_default, known);
  }
}

AgentProviderRegistry::~AgentProviderRegistry() = default;

VoiceAgentProvider& AgentProviderRegistry::named(const std::string& name) {
  if (name == "elevenlabs") {
    return m_elevenlabs();
  }
  if (name == k_stream_provider_name) {
    return *m_stream;
  }
  if (name == k_synthflow_provider_name) {
    return m_synthflow();
  }
  throw unknown_agent_provider(name, names());
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

VoiceAgentProvider& AgentProviderRegistry::in_account(const std::string& name,
                                                      const std::string& account) {
  const std::vector<std::string> known = names();
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    throw unknown_agent_provider(name, known);
  }
  // Without building the platform's provider: a platform may lack keys its tenants have.
  if (account.empty() || name == k_stream_provider_name) {
    return named(name);
  }
  if (!m_accounts.provider) {
    return AgentProviders::in_account(name, account);
  }
  return m_accounts.provider(name, account);
}

std::vector<std::string> AgentProviderRegistry::names() const {
  return known_names();
}

std::vector<std::string> AgentProviderRegistry::known_names() {
  return {"elevenlabs", k_stream_provider_name, k_synthflow_provider_name};
}

} // namespace vami::cli
