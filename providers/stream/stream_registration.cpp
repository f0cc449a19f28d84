// Stream agents as a registered voice-agent provider (providers/agent_provider_list.cpp): no
// settings, no remote account; its agents live in the state database and on the platform's
// own orchestrator.
#include "stream/emulator/stream_emulator.hpp"

#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/stream_agent_provider.hpp>

namespace vami {

const AgentProviderDescriptor& stream_registration() {
  static const AgentProviderDescriptor descriptor = [] {
    AgentProviderDescriptor made;
    made.name = k_stream_provider_name;
    made.display_name = "the orchestrator"; // where its agents run, as messages say
    made.description =
        "(the platform's own orchestrator over Twilio Media Streams: needs --stream-url; has no "
        "voice catalogue or knowledge base, and takes numbers by webhook only; the prompt stays "
        "in vami)";
    made.short_description =
        "(the platform's own orchestrator; needs --stream-url and --mode webhook; no knowledge)";
    made.make = [](const AgentProviderConnection&) { return make_stream_agent_provider(); };
    // Its calls are streamed to the orchestrator the sandbox runs.
    made.make_emulator = [](const sandbox::EmulatorContext&) {
      return std::unique_ptr<sandbox::AgentProviderEmulator>(
          std::make_unique<sandbox::StreamEmulator>());
    };
    return made;
  }();
  return descriptor;
}

} // namespace vami
