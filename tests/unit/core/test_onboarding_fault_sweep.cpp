// The fault sweep of onboarding, for every provider onboarding can put a tenant live with: a
// fault injected at each provider call (every kind, with and without the provider acting first)
// leaves either the whole tenant or nothing (or an uncertain error saying what to do), and a
// rerun of the same onboarding then puts the tenant live.
//
// ElevenLabs agents (native and webhook routing), stream agents (the platform's own
// orchestrator; webhook routing, no knowledge) and Synthflow agents (native routing over the
// telephony account's SIP trunk, with knowledge) are swept.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "named_agent_providers.hpp"
#include "onboarding_world.hpp"
#include "provider_capabilities.hpp"
#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/onboarding_service.hpp>

namespace vami {
namespace {

using test::stream_capabilities;
using test::synthflow_capabilities;

constexpr const char* k_orchestrator = "wss://voice.example.com/media";

// Onboarding over three voice-agent providers: ElevenLabs (`m_voice`, the default), stream
// agents (`m_stream`) and Synthflow agents (`m_synthflow`), fakes with those providers'
// capabilities.
class SweepWorld : public OnboardingWorld {
public:
  SweepWorld() : m_service(m_telephony, m_providers, *m_store, "tester", k_router) {
    m_stream.act_as("stream", stream_capabilities());
    m_synthflow.act_as("synthflow", synthflow_capabilities());
    m_providers.add(m_voice);
    m_providers.add(m_stream);
    m_providers.add(m_synthflow);
  }

  // A Synthflow tenant: native routing over the SIP trunk (the only one a Synthflow agent
  // takes), with its two knowledge files.
  OnboardRequest synthflow_request() {
    OnboardRequest request = full_request(RoutingMode::native);
    request.agent.provider = "synthflow";
    return request;
  }

  // A stream tenant: webhook routing (the only one a stream agent takes), no knowledge.
  OnboardRequest stream_request() {
    OnboardRequest request = full_request(RoutingMode::webhook);
    request.files.clear();
    request.agent.provider = "stream";
    request.agent.stream_url = k_orchestrator;
    request.agent.stream_parameters = {{"plan", "gold"}};
    request.agent.voice = "alloy";
    return request;
  }

  OnboardResult run(const OnboardRequest& request) {
    return m_service.onboard(request, [](const std::string&, const std::string&) {});
  }

  test::FakeVoiceAgentProvider m_stream;
  test::FakeVoiceAgentProvider m_synthflow;
  test::NamedAgentProviders m_providers;
  OnboardingService m_service;
};

// One swept onboarding: which provider holds the agent, the request, its provider calls.
struct Scenario {
  std::string name;
  std::function<test::FakeVoiceAgentProvider&(SweepWorld&)> provider;
  std::function<OnboardRequest(SweepWorld&)> request;
  std::vector<std::string> calls; ///< The agent provider's calls of a full onboarding, in order.
  std::size_t documents = 0;      ///< Documents the tenant ends with.
  /// The telephony calls of a full onboarding, in order.
  std::vector<std::string> telephony_calls;
};

// The provider calls of a full onboarding, in order: for ElevenLabs the voice is resolved twice
// (once while checking, once while creating), each document is uploaded then attached, and a
// native number is imported and connected; a stream agent is only created.
const std::vector<std::string> k_native_voice_calls = {
    "list_voices",       "list_voices",  "create_agent",  "add_document_file", "update_agent",
    "add_document_file", "update_agent", "import_number", "set_number_agent"};
const std::vector<std::string> k_webhook_voice_calls = {
    "list_voices",  "list_voices",       "create_agent", "add_document_file",
    "update_agent", "add_document_file", "update_agent"};
const std::vector<std::string> k_stream_calls = {"create_agent"};
// Synthflow: as ElevenLabs up to the documents, then the import over the SIP trunk, found first
// by its number, and its agent.
const std::vector<std::string> k_synthflow_calls = {
    "list_voices",       "list_voices",           "create_agent",
    "add_document_file", "update_agent",          "add_document_file",
    "update_agent",      "list_imported_numbers", "import_sip_trunk_number",
    "set_number_agent"};
// The telephony side: native routing only reads the voice URL back; webhook routing sets it;
// Synthflow's finds or makes the trunk, finds the number and moves it onto the trunk.
const std::vector<std::string> k_native_telephony_calls = {"find_owned"};
const std::vector<std::string> k_webhook_telephony_calls = {"set_voice_webhook"};
const std::vector<std::string> k_synthflow_telephony_calls = {"ensure_sip_trunk", "find_owned",
                                                              "move_to_sip_trunk"};

Scenario elevenlabs(RoutingMode mode) {
  return {std::string("elevenlabs, ") + to_string(mode) + " routing",
          [](SweepWorld& world) -> test::FakeVoiceAgentProvider& { return world.m_voice; },
          [mode](SweepWorld& world) { return world.full_request(mode); },
          mode == RoutingMode::native ? k_native_voice_calls : k_webhook_voice_calls,
          2,
          mode == RoutingMode::native ? k_native_telephony_calls : k_webhook_telephony_calls};
}

Scenario stream() {
  return {"stream, webhook routing",
          [](SweepWorld& world) -> test::FakeVoiceAgentProvider& { return world.m_stream; },
          [](SweepWorld& world) { return world.stream_request(); },
          k_stream_calls,
          0,
          k_webhook_telephony_calls};
}

Scenario synthflow() {
  return {"synthflow, native routing over the SIP trunk",
          [](SweepWorld& world) -> test::FakeVoiceAgentProvider& { return world.m_synthflow; },
          [](SweepWorld& world) { return world.synthflow_request(); },
          k_synthflow_calls,
          2,
          k_synthflow_telephony_calls};
}

class OnboardingCallsTest : public ::testing::Test, public SweepWorld {};

TEST_F(OnboardingCallsTest, AFullOnboardingMakesTheseProviderCalls) {
  run(full_request());
  EXPECT_EQ(m_voice.methods(), k_native_voice_calls);
  std::vector<std::string> telephony;
  for (const auto& call : m_telephony.calls()) {
    telephony.push_back(call.method);
  }
  telephony.erase(telephony.begin(), telephony.begin() + m_telephony_before);
  EXPECT_EQ(telephony, (std::vector<std::string>{"find_owned"}));
}

TEST_F(OnboardingCallsTest, AFullWebhookOnboardingMakesTheseProviderCalls) {
  run(full_request(RoutingMode::webhook));
  EXPECT_EQ(m_voice.methods(), k_webhook_voice_calls);
  EXPECT_EQ(telephony_calls(), 1);
  EXPECT_EQ(m_telephony.calls().back().method, "set_voice_webhook");
}

TEST_F(OnboardingCallsTest, AFullSynthflowOnboardingMakesTheseProviderCalls) {
  const OnboardResult result = run(synthflow_request());
  EXPECT_EQ(result.agent.provider, "synthflow");
  EXPECT_EQ(m_synthflow.methods(), k_synthflow_calls);
  EXPECT_EQ(m_voice.call_count(), m_voice_before); // ElevenLabs is not asked anything
  std::vector<std::string> telephony;
  for (const auto& call : m_telephony.calls()) {
    telephony.push_back(call.method);
  }
  telephony.erase(telephony.begin(), telephony.begin() + m_telephony_before);
  EXPECT_EQ(telephony, k_synthflow_telephony_calls);
}

TEST_F(OnboardingCallsTest, AFullStreamOnboardingMakesTheseProviderCalls) {
  const OnboardResult result = run(stream_request());
  EXPECT_EQ(result.agent.provider, "stream");
  EXPECT_EQ(m_stream.methods(), k_stream_calls);
  EXPECT_EQ(m_voice.call_count(), m_voice_before); // ElevenLabs is not asked anything
  EXPECT_EQ(telephony_calls(), 1);
  EXPECT_EQ(m_telephony.calls().back().method, "set_voice_webhook");
}

// The whole tenant: the number assigned to its agent, the agent and its documents known to the
// database and held once by the provider.
void expect_live(SweepWorld& world, const Scenario& scenario, const std::string& what) {
  StateStore& store = *world.m_store;
  test::FakeVoiceAgentProvider& provider = scenario.provider(world);
  ASSERT_TRUE(store.find_tenant("acme").has_value()) << what;
  std::optional<Agent> agent = store.find_agent("front-desk");
  ASSERT_TRUE(agent.has_value()) << what;
  EXPECT_EQ(agent->status, AgentStatus::active) << what;
  EXPECT_EQ(agent->provider, provider.name()) << what;
  std::optional<PoolNumber> number = store.find_number(world.m_numbers[0]);
  ASSERT_TRUE(number.has_value()) << what;
  EXPECT_EQ(number->status, NumberStatus::assigned) << what;
  EXPECT_EQ(number->agent_slug, "front-desk") << what;
  EXPECT_EQ(store.list_documents("front-desk").size(), scenario.documents) << what;
  EXPECT_EQ(provider.agents().size(), 1U) << what;
  EXPECT_EQ(provider.documents().size(), scenario.documents) << what;
  if (provider.capabilities().native_numbers_need_sip_trunk) {
    // Its calls follow the trunk to the provider, whose import rings the agent.
    std::optional<OwnedNumber> owned = world.m_telephony.find_owned(world.m_numbers[0]);
    ASSERT_TRUE(owned.has_value()) << what;
    EXPECT_FALSE(owned->sip_trunk_id.empty()) << what << ": on no trunk";
    const std::map<std::string, ImportedNumber> imported = provider.imported();
    ASSERT_EQ(imported.size(), 1U) << what;
    EXPECT_EQ(imported.begin()->second.agent_id, agent->provider_agent_id) << what;
  }
}

// After any failure: everything the fake providers hold is known to the database (an agent
// whose creation is unconfirmed by the tag its `creating` row keeps), and the onboarding either
// put the tenant live, left no trace, or said it was uncertain and what to do. A document whose
// upload answer was lost is found again by its name, so none is ever left untracked.
void expect_consistent(SweepWorld& world, const Scenario& scenario,
                       const std::optional<Error>& error, const std::string& what) {
  StateStore& store = *world.m_store;
  test::FakeVoiceAgentProvider& provider = scenario.provider(world);
  for (const auto& [id, agent] : provider.agents()) {
    std::optional<Agent> known = store.find_agent(id);
    for (const auto& tag : agent.definition.tags) {
      const std::string prefix = "vami-agent:";
      if (!known && tag.rfind(prefix, 0) == 0) {
        known = store.find_agent(tag.substr(prefix.size()));
        EXPECT_TRUE(known && known->status == AgentStatus::creating) << what;
      }
    }
    EXPECT_TRUE(known.has_value()) << what << ": agent " << id << " is unknown to the database";
  }
  std::set<std::string> known_documents;
  for (const Agent& agent : store.list_agents("")) {
    for (const Document& document : store.list_documents(agent.slug)) {
      known_documents.insert(document.provider_document_id);
    }
  }
  for (const auto& [id, document] : provider.documents()) {
    EXPECT_EQ(known_documents.count(id), 1U)
        << what << ": document " << id << " (" << document.name << ") is unknown to the database";
  }
  if (!error) {
    // The fault was absorbed (a lost answer found again): the tenant is live.
    expect_live(world, scenario, what);
    return;
  }
  if (error->kind() == ErrorKind::uncertain) {
    EXPECT_FALSE(error->hint().empty()) << what << ": " << error->what();
    return;
  }
  EXPECT_FALSE(store.find_tenant("acme").has_value()) << what << ": " << error->what();
  EXPECT_TRUE(store.list_agents("").empty()) << what;
  EXPECT_TRUE(provider.agents().empty()) << what;
  EXPECT_TRUE(provider.documents().empty()) << what;
  for (const auto& [id, imported] : provider.imported()) {
    EXPECT_TRUE(imported.agent_id.empty()) << what << ": " << id << " still rings an agent";
  }
  std::optional<PoolNumber> number = store.find_number(world.m_numbers[0]);
  ASSERT_TRUE(number.has_value()) << what;
  EXPECT_EQ(number->status, NumberStatus::available) << what;
  EXPECT_TRUE(number->agent_slug.empty()) << what;
  // Over a SIP trunk, undoing means off the trunk and out of the provider's workspace.
  std::optional<OwnedNumber> owned = world.m_telephony.find_owned(world.m_numbers[0]);
  ASSERT_TRUE(owned.has_value()) << what;
  EXPECT_TRUE(owned->sip_trunk_id.empty()) << what << ": still on trunk " << owned->sip_trunk_id;
  if (provider.capabilities().native_numbers_need_sip_trunk) {
    EXPECT_TRUE(provider.imported().empty()) << what << ": still imported";
  }
}

// The same onboarding run again, with no fault, finishes it: the whole tenant, nothing twice.
void expect_rerun_completes(SweepWorld& world, const Scenario& scenario, const std::string& what) {
  try {
    (void)world.run(scenario.request(world));
  } catch (const Error& error) {
    ADD_FAILURE() << what << ": the rerun failed: " << to_string(error.kind()) << ": "
                  << error.what();
    return;
  }
  expect_live(world, scenario, what + ", after a rerun");
}

struct SweepFault {
  ErrorKind kind;
  bool acted;
};

const std::vector<SweepFault> k_sweep_faults = {{ErrorKind::unavailable, false},
                                                {ErrorKind::rate_limited, false},
                                                {ErrorKind::provider, false},
                                                {ErrorKind::unavailable, true}};

std::string describe(const Scenario& scenario, const std::string& side, int position,
                     const std::string& method, const SweepFault& fault) {
  return side + " call " + std::to_string(position) + " (" + method + ") " + to_string(fault.kind) +
         (fault.acted ? " after acting" : "") + ", " + scenario.name;
}

void sweep(const Scenario& scenario) {
  int failures = 0;
  auto attempt = [&](SweepWorld& world, const std::string& what, bool must_fail) {
    std::optional<Error> error;
    try {
      (void)world.run(scenario.request(world));
    } catch (const Error& caught) {
      error = caught;
      ++failures;
    }
    if (must_fail) {
      EXPECT_TRUE(error.has_value()) << what;
    }
    expect_consistent(world, scenario, error, what);
    expect_rerun_completes(world, scenario, what);
    return error;
  };
  for (int position = 1; position <= static_cast<int>(scenario.calls.size()); ++position) {
    for (const SweepFault& fault : k_sweep_faults) {
      const std::string& method = scenario.calls[static_cast<std::size_t>(position - 1)];
      const std::string what = describe(scenario, "agent provider", position, method, fault);
      SweepWorld world;
      test::FakeVoiceAgentProvider& provider = scenario.provider(world);
      provider.fail_at(provider.call_count() + position, {fault.kind, fault.acted});
      std::optional<Error> error = attempt(world, what, false);
      if (error && !fault.acted) {
        EXPECT_TRUE(error->kind() == fault.kind || error->kind() == ErrorKind::uncertain)
            << what << ": " << to_string(error->kind()) << ": " << error->what();
      }
    }
  }
  // The telephony side, each call of `scenario.telephony_calls`.
  for (int position = 1; position <= static_cast<int>(scenario.telephony_calls.size());
       ++position) {
    const std::string& method = scenario.telephony_calls[static_cast<std::size_t>(position - 1)];
    for (const SweepFault& fault : k_sweep_faults) {
      if (fault.acted) {
        continue; // the fake telephony acts before failing only for purchases and releases
      }
      const std::string what = describe(scenario, "telephony", position, method, fault);
      SweepWorld world;
      world.m_telephony.fail_at(world.m_telephony_before + position, {fault.kind, false});
      // Native routing only reads the voice URL back, as a record: the onboarding may succeed.
      (void)attempt(world, what, method != "find_owned");
    }
  }
  EXPECT_GT(failures, 0); // the faults did fire
}

TEST(OnboardingFaultSweep, NativeRoutingLeavesNothingUntracked) {
  sweep(elevenlabs(RoutingMode::native));
}

TEST(OnboardingFaultSweep, WebhookRoutingLeavesNothingUntracked) {
  sweep(elevenlabs(RoutingMode::webhook));
}

TEST(OnboardingFaultSweep, AStreamTenantLeavesNothingUntracked) {
  sweep(stream());
}

TEST(OnboardingFaultSweep, ASynthflowTenantLeavesNothingUntracked) {
  sweep(synthflow());
}

} // namespace
} // namespace vami
