// The one list of registered voice-agent providers (docs/architecture.md, "Adding a provider"):
// each entry is the descriptor its folder declares (providers/<name>/<name>_registration.cpp).
// The order is the order of `--help`, the man page and messages.
#include <vami/providers/agent_provider_registration.hpp>

namespace vami {

const AgentProviderDescriptor& elevenlabs_registration();
const AgentProviderDescriptor& stream_registration();
const AgentProviderDescriptor& synthflow_registration();

const AgentProviderList& registered_agent_providers() {
  static const AgentProviderList list{
      &elevenlabs_registration(),
      &stream_registration(),
      &synthflow_registration(),
  };
  return list;
}

} // namespace vami
