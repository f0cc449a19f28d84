// The pairs of a pool number and an agent that `require_pairing` lets through, by the
// capabilities of the agent's provider: Synthflow agents take pool numbers natively (over a SIP
// trunk) but not by webhook (Synthflow takes no call through the router).
#include <string>

#include "fake_voice_agent_provider.hpp"
#include "provider_capabilities.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_providers.hpp>

namespace vami::test {
namespace {

Agent agent_named(const std::string& slug, const std::string& provider) {
  Agent agent;
  agent.slug = slug;
  agent.provider = provider;
  return agent;
}

// The error `require_pairing` throws, or a default one when it throws none.
Error refusal(VoiceAgentProvider& provider, const Agent& agent, RoutingMode mode,
              const std::string& workspace = "") {
  try {
    require_pairing(provider, agent, mode, workspace);
  } catch (const Error& error) {
    return error;
  }
  return Error(ErrorKind::provider, "no refusal");
}

TEST(AgentPairing, ElevenLabsAgentsTakeNumbersBothWays) {
  FakeVoiceAgentProvider elevenlabs;
  const Agent agent = agent_named("front-desk", "elevenlabs");
  EXPECT_NO_THROW(require_pairing(elevenlabs, agent, RoutingMode::native, ""));
  EXPECT_NO_THROW(require_pairing(elevenlabs, agent, RoutingMode::webhook, ""));
}

TEST(AgentPairing, StreamAgentsTakeNumbersByWebhookOnly) {
  FakeVoiceAgentProvider stream;
  stream.act_as("stream", stream_capabilities());
  const Agent agent = agent_named("orchestrated", "stream");
  EXPECT_NO_THROW(require_pairing(stream, agent, RoutingMode::webhook, ""));
  EXPECT_EQ(refusal(stream, agent, RoutingMode::native).kind(), ErrorKind::invalid_input);
}

TEST(AgentPairing, ASynthflowAgentTakesNumbersNativelyOverASipTrunk) {
  FakeVoiceAgentProvider synthflow;
  synthflow.act_as("synthflow", synthflow_capabilities());
  EXPECT_NO_THROW(
      require_pairing(synthflow, agent_named("sf-desk", "synthflow"), RoutingMode::native, ""));
}

TEST(AgentPairing, ASynthflowAgentTakesNoNumberByWebhookSinceTheRouterCannotHandItACall) {
  FakeVoiceAgentProvider synthflow;
  synthflow.act_as("synthflow", synthflow_capabilities());
  const Error error = refusal(synthflow, agent_named("sf-desk", "synthflow"), RoutingMode::webhook);
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_NE(std::string(error.what()).find("call router"), std::string::npos) << error.what();
  EXPECT_NE(error.hint().find("--mode native"), std::string::npos) << error.hint();
  EXPECT_NE(error.hint().find("elevenlabs agent (native or webhook)"), std::string::npos)
      << error.hint();
  EXPECT_NE(error.hint().find("synthflow agent (native, over a SIP trunk)"), std::string::npos)
      << error.hint();
}

TEST(AgentPairing, ASynthflowWorkspaceNumberGoesToASynthflowAgentNativelyOnly) {
  FakeVoiceAgentProvider synthflow;
  synthflow.act_as("synthflow", synthflow_capabilities());
  FakeVoiceAgentProvider elevenlabs;
  FakeVoiceAgentProvider stream;
  stream.act_as("stream", stream_capabilities());
  EXPECT_NO_THROW(require_pairing(synthflow, agent_named("sf-desk", "synthflow"),
                                  RoutingMode::native, "synthflow"));
  for (VoiceAgentProvider* other :
       {static_cast<VoiceAgentProvider*>(&elevenlabs), static_cast<VoiceAgentProvider*>(&stream)}) {
    for (RoutingMode mode : {RoutingMode::native, RoutingMode::webhook}) {
      const Error error = refusal(*other, agent_named("desk", other->name()), mode, "synthflow");
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << other->name();
      EXPECT_NE(std::string(error.what()).find("synthflow workspace"), std::string::npos)
          << error.what();
      EXPECT_NE(error.hint().find("synthflow workspace number to a synthflow agent (native)"),
                std::string::npos)
          << error.hint();
    }
  }
  const Error webhook =
      refusal(synthflow, agent_named("sf-desk", "synthflow"), RoutingMode::webhook, "synthflow");
  EXPECT_EQ(webhook.kind(), ErrorKind::invalid_input);
  EXPECT_NE(webhook.hint().find("--mode native"), std::string::npos) << webhook.hint();
}

} // namespace
} // namespace vami::test
