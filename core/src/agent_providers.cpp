#include <algorithm>

#include <vami/core/agent_providers.hpp>
#include <vami/core/error.hpp>

namespace vami {

VoiceAgentProvider& SingleAgentProvider::named(const std::string& name) {
  if (name != m_provider.name()) {
    throw unknown_agent_provider(name, names());
  }
  return m_provider;
}

namespace {

// The pairs `require_pairing` lets through, for its errors.
constexpr const char* k_working_pairs =
    "the pairs that work are a Twilio number to an elevenlabs agent (native or webhook), to a "
    "stream agent (webhook) and to a synthflow agent (native, over a SIP trunk), and a "
    "synthflow workspace number to a synthflow agent (native)";

} // namespace

std::string workspace_of(const PoolNumber& row, const std::string& telephony_name) {
  return row.provider == telephony_name ? std::string() : row.provider;
}

void require_pairing(VoiceAgentProvider& provider, const Agent& agent, RoutingMode mode,
                     const std::string& workspace) {
  const AgentProviderCapabilities can = provider.capabilities();
  if (!workspace.empty()) {
    if (workspace != provider.name() || !can.workspace_numbers) {
      throw Error(ErrorKind::invalid_input,
                  "agent \"" + agent.slug + "\" is a " + provider.name() +
                      " agent, and a number of the " + workspace +
                      " workspace can be answered only by a " + workspace + " agent",
                  "give the number a " + workspace + " agent, or this agent a Twilio number; " +
                      k_working_pairs);
    }
    if (mode == RoutingMode::webhook) {
      throw Error(ErrorKind::invalid_input,
                  "a number of the " + workspace + " workspace is answered by its " + workspace +
                      " agent directly, not through the platform's call router",
                  std::string("route it natively (--mode native); ") + k_working_pairs);
    }
    return;
  }
  if (mode == RoutingMode::webhook && !can.router_calls) {
    throw Error(ErrorKind::invalid_input,
                "agent \"" + agent.slug + "\" is a " + provider.name() + " agent, and " +
                    provider.name() + " cannot take calls through the platform's call router",
                std::string(can.native_numbers ? "route the number natively (--mode native); "
                                               : "keep the number on another agent; ") +
                    k_working_pairs);
  }
  if (mode == RoutingMode::native && !can.native_numbers) {
    throw Error(ErrorKind::invalid_input,
                "agent \"" + agent.slug + "\" is a " + provider.name() +
                    " agent, which takes calls through the platform's call router only: a number "
                    "cannot be routed to it natively",
                std::string("route the number by webhook (--mode webhook); ") + k_working_pairs);
  }
}

void require_number_room(VoiceAgentProvider& provider, StateStore& store, const Agent& agent,
                         const std::vector<std::string>& numbers) {
  if (!provider.capabilities().one_number_per_agent) {
    return;
  }
  const std::string why =
      "agent \"" + agent.slug + "\" is a " + provider.name() + " agent, which answers one number";
  if (numbers.size() > 1) {
    throw Error(ErrorKind::conflict, why + ", not " + std::to_string(numbers.size()),
                "give each number its own agent");
  }
  NumberFilter filter;
  filter.agent_slug = agent.slug;
  for (const PoolNumber& held : store.list_numbers(filter)) {
    if (std::find(numbers.begin(), numbers.end(), held.e164) == numbers.end()) {
      throw Error(ErrorKind::conflict, why + ", and it has " + held.e164 + " already",
                  "unassign " + held.e164 + " first ('vami numbers unassign " + held.e164 +
                      "'), or give the number another agent");
    }
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
