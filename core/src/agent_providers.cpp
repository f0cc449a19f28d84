#include <vami/core/agent_providers.hpp>
#include <vami/core/error.hpp>

namespace vami {

VoiceAgentProvider& SingleAgentProvider::named(const std::string& name) {
  if (name != m_provider.name()) {
    throw unknown_agent_provider(name, names());
  }
  return m_provider;
}

void require_pairing(VoiceAgentProvider& provider, const Agent& agent, RoutingMode mode) {
  if (mode == RoutingMode::native && !provider.capabilities().native_numbers) {
    throw Error(ErrorKind::invalid_input,
                "agent \"" + agent.slug + "\" is a " + provider.name() +
                    " agent, which takes calls through the platform's call router only: a number "
                    "cannot be routed to it natively",
                "route the number by webhook (--mode webhook); the pairs that work are a Twilio "
                "number to an elevenlabs agent (native or webhook) and to a stream agent "
                "(webhook)");
  }
}

Error unknown_agent_provider(const std::string& name, const std::vector<std::string>& known) {
  std::string list;
  for (const std::string& one : known) {
    list += (list.empty() ? "" : ", ") + one;
  }
  return Error(ErrorKind::invalid_input, "unknown voice-agent provider '" + name + "'",
               "use one of: " + list);
}

} // namespace vami
