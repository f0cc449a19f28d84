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

std::vector<std::string> AgentProviderRegistry::names() const {
  return known_names();
}

std::vector<std::string> AgentProviderRegistry::known_names() {
  return {"elevenlabs", k_stream_provider_name, k_synthflow_provider_name};
}

} // namespace vami::cli
