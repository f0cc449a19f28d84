#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "onboarding_world.hpp"
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

} // namespace
} // namespace vami
