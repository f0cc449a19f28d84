#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>

namespace vami::test {

/// Several voice-agent providers by their names, for tests of agents on more than one platform;
/// the first one added is the default.
class NamedAgentProviders final : public AgentProviders {
public:
  /// Adds `provider` (which must outlive this) under its name.
  void add(VoiceAgentProvider& provider) {
    if (m_default.empty()) {
      m_default = provider.name();
    }
    m_providers[provider.name()] = &provider;
  }
  VoiceAgentProvider& named(const std::string& name) override {
    auto found = m_providers.find(name);
    if (found == m_providers.end()) {
      throw unknown_agent_provider(name, names());
    }
    return *found->second;
  }
  [[nodiscard]] std::vector<std::string> names() const override {
    std::vector<std::string> all;
    for (const auto& [name, provider] : m_providers) {
      all.push_back(name);
    }
    return all;
  }
  [[nodiscard]] std::string default_name() const override { return m_default; }
  /// The names given to `set_credentialed`, else the default provider's alone.
  [[nodiscard]] std::vector<std::string> with_credentials(const std::string& account) override {
    return m_credentialed ? *m_credentialed : AgentProviders::with_credentials(account);
  }
  /// From now on the platform's account holds the credentials of the providers `names`.
  void set_credentialed(std::vector<std::string> names) { m_credentialed = std::move(names); }

private:
  std::optional<std::vector<std::string>> m_credentialed;
  std::map<std::string, VoiceAgentProvider*> m_providers;
  std::string m_default;
};

} // namespace vami::test
