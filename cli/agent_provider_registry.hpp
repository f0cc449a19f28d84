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
  /// `elevenlabs` and `synthflow` give those providers each time they are asked (they keep
  /// the instances); `default_name` is where agents go when none is chosen.
  /// @throws Error(invalid_input) for a default name that is not registered.
  AgentProviderRegistry(std::function<VoiceAgentProvider&()> elevenlabs,
                        std::function<VoiceAgentProvider&()> synthflow,
                        std::string default_name = "elevenlabs");
  ~AgentProviderRegistry() override;
  AgentProviderRegistry(const AgentProviderRegistry&) = delete;
  AgentProviderRegistry& operator=(const AgentProviderRegistry&) = delete;

  /// The provider `name`. @throws Error(invalid_input) for an unknown name (naming the known
  /// ones); Error(auth) from the ElevenLabs or Synthflow factory.
  VoiceAgentProvider& named(const std::string& name) override;
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
};

} // namespace vami::cli
