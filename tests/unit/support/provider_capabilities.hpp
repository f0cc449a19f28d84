#pragma once

#include <vami/core/voice_agent_provider.hpp>

namespace vami::test {

/// What the stream provider can do (providers/stream): no catalogue, knowledge, native numbers,
/// hosted agents or workspace webhooks; stream agents. For a `FakeVoiceAgentProvider::act_as`.
inline AgentProviderCapabilities stream_capabilities() {
  AgentProviderCapabilities can;
  can.voice_catalogue = false;
  can.knowledge_base = false;
  can.native_numbers = false;
  can.hosted_agents = false;
  can.workspace_webhooks = false;
  can.stream_agents = true;
  return can;
}

/// What the Synthflow provider can do (providers/synthflow): no workspace webhooks and no calls
/// through the router; native numbers over a SIP trunk, one per agent; per-agent webhooks;
/// numbers of its own workspace.
inline AgentProviderCapabilities synthflow_capabilities() {
  AgentProviderCapabilities can;
  can.workspace_numbers = true;
  can.workspace_webhooks = false;
  can.router_calls = false;
  can.native_numbers_need_sip_trunk = true;
  can.agent_webhooks = true;
  can.one_number_per_agent = true;
  return can;
}

} // namespace vami::test
