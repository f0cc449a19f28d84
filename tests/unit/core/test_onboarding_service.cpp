#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/onboarding_service.hpp>
#include <vami/core/tenant_service.hpp>

namespace vami {
namespace {

using test::contains;
using test::error_of;
using test::kind_of;

constexpr const char* k_router = "https://router.example.com/voice";

// A pool of two numbers, two knowledge files, and an onboarding service over them.
class OnboardingWorld : public test::ServiceWorld {
public:
  OnboardingWorld() : m_onboarding(m_telephony, m_voice_agents, *m_store, "tester", k_router) {
    m_numbers = buy_numbers(2);
    m_faq = write("faq.txt", "Q: Do you take walk-ins?\nA: Yes, before noon.\n");
    m_hours = write("hours.md", "# Opening hours\n\nMonday to Friday, 9-17.\n");
    m_voice_before = m_voice.call_count();
    m_telephony_before = static_cast<int>(m_telephony.calls().size());
    m_audit_before = audit().size();
  }

  std::filesystem::path write(const std::string& name, const std::string& content) {
    auto path = m_dir / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Tenant, agent with a voice named by its name, two documents, and a pool number.
  OnboardRequest full_request(RoutingMode mode = RoutingMode::native) {
    OnboardRequest request;
    request.tenant.slug = "acme";
    request.tenant.name = "Acme Dental";
    request.tenant.industry = "dental";
    request.number = m_numbers[0];
    request.mode = mode;
    request.agent.name = "Front Desk";
    request.agent.prompt = "Book dental appointments.";
    request.agent.first_message = "Hello, Acme Dental.";
    request.agent.voice = "Rachel";
    request.agent.personality = Personality::friendly;
    request.files = {m_faq, m_hours};
    return request;
  }

  OnboardResult onboard(const OnboardRequest& request) {
    return m_onboarding.onboard(request, [&](const std::string& step, const std::string& what) {
      m_steps.emplace_back(step, what);
    });
  }

  // Telephony calls since the world was set up.
  int telephony_calls() const {
    return static_cast<int>(m_telephony.calls().size()) - m_telephony_before;
  }

  OnboardingService m_onboarding;
  std::vector<std::string> m_numbers;
  std::filesystem::path m_faq;
  std::filesystem::path m_hours;
  int m_voice_before = 0;
  int m_telephony_before = 0;
  std::size_t m_audit_before = 0;
  std::vector<std::pair<std::string, std::string>> m_steps;
};

class OnboardingServiceTest : public ::testing::Test, public OnboardingWorld {
protected:
  // Nothing was changed: no tenant, no agent, no document, the numbers available, no audit.
  void expect_nothing_changed(const std::string& what) {
    EXPECT_FALSE(m_store->find_tenant("acme").has_value()) << what;
    EXPECT_TRUE(m_store->list_agents("").empty()) << what;
    EXPECT_TRUE(m_voice.agents().empty()) << what;
    EXPECT_TRUE(m_voice.documents().empty()) << what;
    EXPECT_TRUE(m_voice.imported().empty()) << what;
    for (const auto& method : m_voice.methods()) {
      EXPECT_EQ(method, "list_voices") << what;
    }
    EXPECT_EQ(telephony_calls(), 0) << what;
    for (const auto& e164 : m_numbers) {
      EXPECT_EQ(row(e164).status, NumberStatus::available) << what;
    }
    EXPECT_EQ(audit().size(), m_audit_before) << what;
    EXPECT_TRUE(m_steps.empty()) << what;
  }
};

TEST_F(OnboardingServiceTest, PutsATenantLiveInOneCall) {
  OnboardRequest request = full_request();
  request.urls = {"https://acme.example.com/faq"};
  request.texts = {"Parking is behind the building."};
  OnboardResult result = onboard(request);

  EXPECT_EQ(result.tenant.slug, "acme");
  EXPECT_EQ(result.agent.slug, "front-desk");
  EXPECT_EQ(result.agent.tenant_slug, "acme");
  EXPECT_EQ(result.agent.voice_id, "21m00Tcm4TlvDq8ikWAM");
  EXPECT_EQ(result.agent.status, AgentStatus::active);
  EXPECT_EQ(result.number.e164, m_numbers[0]);
  EXPECT_EQ(result.number.status, NumberStatus::assigned);
  EXPECT_EQ(result.number.agent_slug, "front-desk");
  ASSERT_EQ(result.documents.size(), 4U);

  std::vector<std::string> steps;
  for (const auto& [step, what] : m_steps) {
    steps.push_back(step);
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"tenant", "agent", "knowledge", "number"}));
  EXPECT_EQ(m_steps[3].second, m_numbers[0]);

  const ProviderAgent agent = m_voice.agents().at(result.agent.provider_agent_id);
  EXPECT_EQ(agent.definition.prompt,
            compose_prompt(Personality::friendly, "Book dental appointments."));
  EXPECT_EQ(agent.definition.knowledge_base.size(), 4U);
  EXPECT_EQ(m_voice.documents().size(), 4U);
  EXPECT_EQ(m_store->list_documents("front-desk").size(), 4U);
  auto imported = m_voice.imported();
  ASSERT_EQ(imported.size(), 1U);
  EXPECT_EQ(imported.begin()->second.agent_id, result.agent.provider_agent_id);
  EXPECT_EQ(imported.begin()->second.e164, m_numbers[0]);
}

TEST_F(OnboardingServiceTest, PicksANumberByAreaCodeOrCity) {
  buy_numbers(1, "646");
  OnboardRequest request = full_request();
  request.number.clear();
  request.pick.area_code = "646";
  OnboardResult result = onboard(request);
  EXPECT_EQ(result.number.e164.substr(0, 5), "+1646");

  OnboardRequest second = full_request();
  second.tenant.slug = "bravo";
  second.agent.name = "Bravo Desk";
  second.number.clear();
  second.pick.locality = "New York";
  second.files.clear();
  EXPECT_EQ(onboard(second).number.status, NumberStatus::assigned);
}

TEST_F(OnboardingServiceTest, WebhookModeRoutesThroughTheRouter) {
  OnboardResult result = onboard(full_request(RoutingMode::webhook));
  EXPECT_EQ(result.number.routing_mode, RoutingMode::webhook);
  EXPECT_EQ(m_telephony.owned().at(m_numbers[0]).webhook.voice_url,
            std::string(k_router) + "?agent_id=" + result.agent.provider_agent_id);
  EXPECT_EQ(m_voice.count("import_number"), 0);
}

TEST_F(OnboardingServiceTest, ChecksEverythingBeforeChangingAnything) {
  auto program = write("setup.pdf", std::string("\x7f"
                                                "ELF\x02\x01\x01",
                                                7) +
                                        std::string(57, '\0'));
  std::vector<std::pair<std::string, OnboardRequest>> cases;
  auto with = [&](const std::string& what, auto change) {
    OnboardRequest request = full_request();
    change(request);
    cases.emplace_back(what, request);
  };
  with("unknown voice", [](OnboardRequest& r) { r.agent.voice = "Rachle"; });
  with("executable file", [&](OnboardRequest& r) { r.files.push_back(program); });
  with("missing file", [&](OnboardRequest& r) { r.files.push_back(m_dir / "nope.txt"); });
  with("number not in the pool", [](OnboardRequest& r) { r.number = "+12125559999"; });
  with("malformed number", [](OnboardRequest& r) { r.number = "+1 (212) 555-01O1"; });
  with("nothing to pick", [](OnboardRequest& r) {
    r.number.clear();
    r.pick.area_code = "646";
  });
  with("no such city", [](OnboardRequest& r) {
    r.number.clear();
    r.pick.locality = "Boston";
  });
  with("bad slug", [](OnboardRequest& r) { r.tenant.slug = "Acme Dental"; });
  with("bad e-mail", [](OnboardRequest& r) { r.tenant.contact_email = "dana at acme"; });
  with("empty prompt", [](OnboardRequest& r) { r.agent.prompt = ""; });
  with("huge prompt", [](OnboardRequest& r) { r.agent.prompt = std::string(100'000, 'p'); });
  with("bad language", [](OnboardRequest& r) { r.agent.language = "xx"; });
  with("ftp url", [](OnboardRequest& r) { r.urls = {"ftp://acme.example.com/faq"}; });
  with("blank FAQ text", [](OnboardRequest& r) { r.texts = {"Parking behind.", " \n "}; });
  with("FAQ text not UTF-8", [](OnboardRequest& r) { r.texts = {"caf\xe9"}; });
  for (const auto& [what, request] : cases) {
    ErrorKind kind = kind_of([&] { onboard(request); });
    EXPECT_TRUE(kind == ErrorKind::invalid_input || kind == ErrorKind::not_found ||
                kind == ErrorKind::conflict)
        << what << ": " << to_string(kind);
    expect_nothing_changed(what);
  }
  OnboardingService no_router(m_telephony, m_voice_agents, *m_store, "tester", "");
  EXPECT_EQ(kind_of([&] { no_router.onboard(full_request(RoutingMode::webhook), {}); }),
            ErrorKind::invalid_input);
  expect_nothing_changed("webhook without router");
}

TEST_F(OnboardingServiceTest, RefusesANumberThatIsNotAvailable) {
  onboard(full_request());
  m_steps.clear();
  OnboardRequest second = full_request();
  second.tenant.slug = "bravo";
  second.agent.name = "Bravo Desk";
  const int agents_created = m_voice.count("create_agent");
  Error error = error_of([&] { onboard(second); });
  EXPECT_EQ(error.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(error.what(), "front-desk")) << error.what();
  EXPECT_FALSE(m_store->find_tenant("bravo").has_value());
  EXPECT_EQ(m_voice.count("create_agent"), agents_created);
}

TEST_F(OnboardingServiceTest, RefusesAnExistingTenantOrAgent) {
  onboard(full_request());
  const auto audit_after_first = audit().size();
  OnboardRequest again = full_request();
  again.number = m_numbers[1];
  EXPECT_EQ(kind_of([&] { onboard(again); }), ErrorKind::conflict);
  again.tenant.slug = "bravo"; // a new tenant, but the agent slug "front-desk" is taken
  EXPECT_EQ(kind_of([&] { onboard(again); }), ErrorKind::conflict);
  EXPECT_FALSE(m_store->find_tenant("bravo").has_value());
  EXPECT_EQ(audit().size(), audit_after_first);
}

TEST_F(OnboardingServiceTest, ARerunOfAFinishedOnboardingIsAlreadyLive) {
  OnboardResult first = onboard(full_request());
  m_steps.clear();
  m_voice.clear_calls();
  const auto audit_after_first = audit().size();
  OnboardResult again = onboard(full_request());
  EXPECT_TRUE(again.already_live);
  EXPECT_FALSE(first.already_live);
  EXPECT_EQ(again.agent.provider_agent_id, first.agent.provider_agent_id);
  EXPECT_EQ(again.number.e164, first.number.e164);
  EXPECT_EQ(again.documents.size(), first.documents.size());
  std::vector<std::string> steps;
  for (const auto& [step, what] : m_steps) {
    steps.push_back(step);
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"tenant_already", "agent_already", "knowledge_already",
                                             "number_already"}));
  for (const auto& method : m_voice.methods()) {
    EXPECT_EQ(method, "list_voices"); // nothing made again
  }
  EXPECT_EQ(audit().size(), audit_after_first);
  // Another business under the same slug is still refused.
  OnboardRequest other = full_request();
  other.tenant.name = "Acme Plumbing";
  EXPECT_EQ(kind_of([&] { onboard(other); }), ErrorKind::conflict);
}

TEST_F(OnboardingServiceTest, ARerunFinishesWhatAKilledRunLeft) {
  // What a run killed after its first upload leaves: the tenant, the agent, one document.
  OnboardRequest request = full_request();
  TenantService(m_telephony, m_voice_agents, *m_store, "tester").create(request.tenant);
  AgentService agents(m_voice_agents, *m_store, "tester");
  AgentRequest agent = agents.prepare(request.agent, request.tenant);
  const Agent made = agents.create(agent);
  KnowledgeBaseService(m_voice_agents, *m_store, "tester").add_files(made.slug, {m_faq}, "");
  m_steps.clear();
  OnboardResult result = onboard(request);
  EXPECT_FALSE(result.already_live);
  EXPECT_EQ(result.agent.provider_agent_id, made.provider_agent_id);
  EXPECT_EQ(result.number.status, NumberStatus::assigned);
  EXPECT_EQ(m_voice.documents().size(), 2U); // the first not uploaded twice
  EXPECT_EQ(m_store->list_documents(made.slug).size(), 2U);
  EXPECT_EQ(m_voice.agents().size(), 1U);
  std::vector<std::string> steps;
  for (const auto& [step, what] : m_steps) {
    steps.push_back(step);
  }
  EXPECT_EQ(steps,
            (std::vector<std::string>{"tenant_already", "agent_already", "knowledge", "number"}));
}

TEST_F(OnboardingServiceTest, AStopBetweenStepsUndoesWhatWasMade) {
  // Stop at each poll in turn: the first stop is before anything, the last before the number.
  for (int stop_at = 1;; ++stop_at) {
    int polls = 0;
    m_steps.clear();
    std::optional<Error> error;
    try {
      m_onboarding.onboard(
          full_request(), [](const std::string&, const std::string&) {},
          [&] { return ++polls >= stop_at; });
    } catch (const Error& caught) {
      error = caught;
    }
    if (!error) {
      EXPECT_GT(stop_at, 2); // it polled at least before the tenant and before the number
      break;
    }
    const std::string what = "stopped at poll " + std::to_string(stop_at);
    EXPECT_EQ(error->kind(), ErrorKind::interrupted) << what << ": " << error->what();
    EXPECT_TRUE(contains(error->hint(), "run the same command again")) << what;
    EXPECT_FALSE(m_store->find_tenant("acme").has_value()) << what;
    EXPECT_TRUE(m_store->list_agents("").empty()) << what;
    EXPECT_TRUE(m_voice.agents().empty()) << what;
    EXPECT_TRUE(m_voice.documents().empty()) << what;
    EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::available) << what;
    ASSERT_LT(stop_at, 20);
  }
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::assigned);
}

TEST_F(OnboardingServiceTest, AFailureHalfWayUndoesEveryStep) {
  m_voice.fail_next("set_number_agent", {ErrorKind::provider, false});
  EXPECT_EQ(kind_of([&] { onboard(full_request()); }), ErrorKind::provider);
  EXPECT_FALSE(m_store->find_tenant("acme").has_value());
  EXPECT_TRUE(m_store->list_agents("").empty());
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_TRUE(m_voice.documents().empty());
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::available);
  // And the same request then succeeds.
  m_steps.clear();
  EXPECT_EQ(onboard(full_request()).number.status, NumberStatus::assigned);
}

TEST_F(OnboardingServiceTest, AFailedUndoIsUncertainAndSaysHowToFinish) {
  m_voice.fail_next("set_number_agent", {ErrorKind::provider, false});
  m_voice.fail_next("delete_agent", {ErrorKind::unavailable, false});
  Error error = error_of([&] { onboard(full_request()); });
  EXPECT_EQ(error.kind(), ErrorKind::uncertain);
  EXPECT_TRUE(contains(error.hint(), "vami tenants delete acme")) << error.hint();
  // What is left is recorded.
  for (const auto& [id, agent] : m_voice.agents()) {
    EXPECT_TRUE(m_store->find_agent(id).has_value()) << id;
  }
}

// --- fault sweep ---------------------------------------------------------------------------

// The provider calls of a full onboarding, in order: the voice is resolved twice (once while
// checking, once while creating), each document is uploaded then attached, and the number is
// connected. The sweep below injects a fault at each of them.
const std::vector<std::string> k_native_voice_calls = {
    "list_voices",       "list_voices",  "create_agent",  "add_document_file", "update_agent",
    "add_document_file", "update_agent", "import_number", "set_number_agent"};
const std::vector<std::string> k_webhook_voice_calls = {
    "list_voices",  "list_voices",       "create_agent", "add_document_file",
    "update_agent", "add_document_file", "update_agent"};

TEST_F(OnboardingServiceTest, AFullOnboardingMakesTheseProviderCalls) {
  onboard(full_request());
  EXPECT_EQ(m_voice.methods(), k_native_voice_calls);
  std::vector<std::string> telephony;
  for (const auto& call : m_telephony.calls()) {
    telephony.push_back(call.method);
  }
  telephony.erase(telephony.begin(), telephony.begin() + m_telephony_before);
  EXPECT_EQ(telephony, (std::vector<std::string>{"find_owned"}));
}

TEST_F(OnboardingServiceTest, AFullWebhookOnboardingMakesTheseProviderCalls) {
  onboard(full_request(RoutingMode::webhook));
  EXPECT_EQ(m_voice.methods(), k_webhook_voice_calls);
  EXPECT_EQ(telephony_calls(), 1);
  EXPECT_EQ(m_telephony.calls().back().method, "set_voice_webhook");
}

// After any failure: everything the fake providers hold is known to the database (an agent
// whose creation is unconfirmed by the tag its `creating` row keeps), and the onboarding either
// left no trace or said it was uncertain and what to do. A document whose upload answer was
// lost is found again by its name, so none is ever left untracked.
void expect_consistent(OnboardingWorld& world, const std::optional<Error>& error,
                       const std::string& what) {
  StateStore& store = *world.m_store;
  for (const auto& [id, agent] : world.m_voice.agents()) {
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
  for (const auto& [id, document] : world.m_voice.documents()) {
    EXPECT_EQ(known_documents.count(id), 1U)
        << what << ": document " << id << " (" << document.name << ") is unknown to the database";
  }
  if (!error) {
    // The fault was absorbed (a lost answer found again): the tenant is live.
    std::optional<PoolNumber> number = store.find_number(world.m_numbers[0]);
    ASSERT_TRUE(number.has_value()) << what;
    EXPECT_EQ(number->status, NumberStatus::assigned) << what;
    EXPECT_EQ(store.list_documents("front-desk").size(), 2U) << what;
    EXPECT_EQ(world.m_voice.agents().size(), 1U) << what;
    return;
  }
  if (error->kind() == ErrorKind::uncertain) {
    EXPECT_FALSE(error->hint().empty()) << what << ": " << error->what();
    return;
  }
  EXPECT_FALSE(store.find_tenant("acme").has_value()) << what << ": " << error->what();
  EXPECT_TRUE(store.list_agents("").empty()) << what;
  EXPECT_TRUE(world.m_voice.agents().empty()) << what;
  EXPECT_TRUE(world.m_voice.documents().empty()) << what;
  for (const auto& [id, imported] : world.m_voice.imported()) {
    EXPECT_TRUE(imported.agent_id.empty()) << what << ": " << id << " still rings an agent";
  }
  std::optional<PoolNumber> number = store.find_number(world.m_numbers[0]);
  ASSERT_TRUE(number.has_value()) << what;
  EXPECT_EQ(number->status, NumberStatus::available) << what;
  EXPECT_TRUE(number->agent_slug.empty()) << what;
}

struct SweepFault {
  ErrorKind kind;
  bool acted;
};

const std::vector<SweepFault> k_sweep_faults = {{ErrorKind::unavailable, false},
                                                {ErrorKind::rate_limited, false},
                                                {ErrorKind::provider, false},
                                                {ErrorKind::unavailable, true}};

std::string describe(const std::string& side, int position, const std::string& method,
                     const SweepFault& fault, RoutingMode mode) {
  return side + " call " + std::to_string(position) + " (" + method + ") " + to_string(fault.kind) +
         (fault.acted ? " after acting" : "") + ", " + to_string(mode) + " routing";
}

void sweep(RoutingMode mode) {
  const auto& voice_calls =
      mode == RoutingMode::native ? k_native_voice_calls : k_webhook_voice_calls;
  int failures = 0;
  for (int position = 1; position <= static_cast<int>(voice_calls.size()); ++position) {
    for (const SweepFault& fault : k_sweep_faults) {
      const std::string& method = voice_calls[static_cast<std::size_t>(position - 1)];
      const std::string what = describe("voice", position, method, fault, mode);
      OnboardingWorld world;
      world.m_voice.fail_at(world.m_voice_before + position, {fault.kind, fault.acted});
      std::optional<Error> error;
      try {
        world.onboard(world.full_request(mode));
      } catch (const Error& caught) {
        error = caught;
        ++failures;
      }
      expect_consistent(world, error, what);
      if (error && !fault.acted) {
        EXPECT_TRUE(error->kind() == fault.kind || error->kind() == ErrorKind::uncertain)
            << what << ": " << to_string(error->kind()) << ": " << error->what();
      }
    }
  }
  // The telephony side: one call (native: reading back the voice URL; webhook: setting it).
  for (const SweepFault& fault : k_sweep_faults) {
    if (fault.acted) {
      continue; // the fake telephony acts before failing only for purchases and releases
    }
    const std::string what = describe("telephony", 1, "", fault, mode);
    OnboardingWorld world;
    world.m_telephony.fail_at(world.m_telephony_before + 1, {fault.kind, false});
    std::optional<Error> error;
    try {
      world.onboard(world.full_request(mode));
    } catch (const Error& caught) {
      error = caught;
      ++failures;
    }
    // Native routing only reads the voice URL back, as a record: the onboarding may succeed.
    if (mode == RoutingMode::webhook) {
      ASSERT_TRUE(error.has_value()) << what;
    }
    expect_consistent(world, error, what);
  }
  EXPECT_GT(failures, 0); // the faults did fire
}

TEST(OnboardingFaultSweep, NativeRoutingLeavesNothingUntracked) {
  sweep(RoutingMode::native);
}

TEST(OnboardingFaultSweep, WebhookRoutingLeavesNothingUntracked) {
  sweep(RoutingMode::webhook);
}

} // namespace
} // namespace vami
