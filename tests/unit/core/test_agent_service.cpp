#include <algorithm>
#include <string>
#include <vector>

#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_service.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/knowledge_base_service.hpp>

namespace vami {
namespace {

using test::contains;
using test::error_of;
using test::FakeVoiceAgentProvider;
using test::kind_of;

constexpr const char* k_rachel = "21m00Tcm4TlvDq8ikWAM";

class AgentServiceTest : public test::ServiceTest {
protected:
  AgentServiceTest() : m_agents(m_voice_agents, *m_store, "tester") { make_tenant("acme"); }

  static AgentRequest request(const std::string& name = "Front Desk") {
    AgentRequest agent;
    agent.tenant_slug = "acme";
    agent.name = name;
    agent.prompt = "Book dental appointments.";
    return agent;
  }

  bool has_tag(const ProviderAgent& agent, const std::string& tag) {
    const auto& tags = agent.definition.tags;
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  }

  AgentService m_agents;
};

TEST_F(AgentServiceTest, CreateRecordsAnActiveAgentTaggedAtTheProvider) {
  AgentRequest agent = request();
  agent.voice = "rachel";
  agent.personality = Personality::friendly;
  agent.first_message = "Hi, Acme Dental here.";
  Agent created = m_agents.create(agent);

  EXPECT_EQ(created.slug, "front-desk");
  EXPECT_EQ(created.status, AgentStatus::active);
  EXPECT_EQ(created.voice_id, k_rachel);
  EXPECT_EQ(created.language, "en");
  EXPECT_EQ(created.prompt, "Book dental appointments.");
  auto provider_agents = m_voice.agents();
  ASSERT_EQ(provider_agents.size(), 1U);
  const ProviderAgent& at_provider = provider_agents.begin()->second;
  EXPECT_EQ(created.provider_agent_id, at_provider.agent_id);
  EXPECT_TRUE(has_tag(at_provider, "vami-agent:front-desk"));
  EXPECT_TRUE(has_tag(at_provider, "vami-tenant:acme"));
  EXPECT_EQ(at_provider.definition.prompt,
            compose_prompt(Personality::friendly, "Book dental appointments."));
  EXPECT_EQ(at_provider.definition.first_message, "Hi, Acme Dental here.");
  EXPECT_EQ(at_provider.definition.voice_id, k_rachel);

  auto stored = m_store->find_agent(created.provider_agent_id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->slug, "front-desk");
  auto entries = audit();
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].command, "agents create");
  EXPECT_EQ(entries[0].tenant_slug, "acme");
  EXPECT_EQ(entries[0].actor, "tester");
}

TEST_F(AgentServiceTest, DefaultsNameTheTenantAndTheSlugComesFromTheName) {
  AgentRequest agent = request("Dr. Smith's Office");
  agent.prompt.reset();
  Agent created = m_agents.create(agent);
  EXPECT_EQ(created.slug, "dr-smith-s-office");
  EXPECT_TRUE(contains(created.prompt, "Acme Dental")) << created.prompt;
  EXPECT_TRUE(contains(created.first_message, "Acme Dental")) << created.first_message;
  EXPECT_TRUE(created.voice_id.empty());
  EXPECT_EQ(m_voice.count("list_voices"), 0); // no voice named: none resolved
}

TEST_F(AgentServiceTest, LostAnswerIsFoundByItsTagAndTheAgentIsNotCreatedTwice) {
  m_voice.fail_next("create_agent", {ErrorKind::unavailable, /*acted=*/true});
  Agent created = m_agents.create(request());
  EXPECT_EQ(m_voice.count("create_agent"), 1);
  EXPECT_EQ(m_voice.count("list_agents"), 1);
  auto provider_agents = m_voice.agents();
  ASSERT_EQ(provider_agents.size(), 1U);
  EXPECT_EQ(created.provider_agent_id, provider_agents.begin()->first);
  EXPECT_EQ(created.status, AgentStatus::active);
}

TEST_F(AgentServiceTest, LostRequestThatNeverArrivedLeavesNoRow) {
  m_voice.fail_next("create_agent", {ErrorKind::unavailable, /*acted=*/false});
  EXPECT_EQ(kind_of([&] { m_agents.create(request()); }), ErrorKind::unavailable);
  EXPECT_EQ(m_voice.count("list_agents"), 1); // looked before giving up
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_FALSE(m_store->find_agent("front-desk").has_value());
}

TEST_F(AgentServiceTest, UnconfirmedCreationIsUncertainAndTheSameCommandFinishesIt) {
  m_voice.fail_next("create_agent", {ErrorKind::unavailable, /*acted=*/true});
  m_voice.fail_next("list_agents", {ErrorKind::unavailable, false});
  Error error = error_of([&] { m_agents.create(request()); });
  EXPECT_EQ(error.kind(), ErrorKind::uncertain);
  EXPECT_TRUE(contains(error.hint(), "again")) << error.hint();
  auto row = m_store->find_agent("front-desk");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->status, AgentStatus::creating);

  Agent created = m_agents.create(request());
  EXPECT_EQ(m_voice.count("create_agent"), 1); // found by its tag, not created again
  EXPECT_EQ(m_voice.agents().size(), 1U);
  EXPECT_EQ(created.status, AgentStatus::active);
  EXPECT_EQ(created.provider_agent_id, m_voice.agents().begin()->first);
}

TEST_F(AgentServiceTest, DefiniteRefusalLeavesNoAgentRow) {
  for (ErrorKind kind :
       {ErrorKind::provider, ErrorKind::invalid_input, ErrorKind::rate_limited, ErrorKind::auth}) {
    m_voice.fail_next("create_agent", {kind, false});
    EXPECT_EQ(kind_of([&] { m_agents.create(request()); }), kind) << to_string(kind);
    EXPECT_FALSE(m_store->find_agent("front-desk").has_value()) << to_string(kind);
  }
  EXPECT_EQ(m_voice.count("list_agents"), 0); // a refusal needs no look-up
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_TRUE(audit().empty());
}

TEST_F(AgentServiceTest, DuplicateSlugIsAConflictWithoutAProviderCall) {
  m_agents.create(request());
  m_voice.clear_calls();
  Error error = error_of([&] { m_agents.create(request()); });
  EXPECT_EQ(error.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(error.what(), "front-desk")) << error.what();
  EXPECT_EQ(m_voice.count("create_agent"), 0);
  EXPECT_EQ(m_voice.agents().size(), 1U);
}

TEST_F(AgentServiceTest, BadInputChangesNothingAndCallsNoProvider) {
  std::vector<std::pair<std::string, AgentRequest>> cases;
  auto with = [&](const std::string& what, auto change) {
    AgentRequest agent = request();
    change(agent);
    cases.emplace_back(what, agent);
  };
  with("empty prompt", [](AgentRequest& r) { r.prompt = ""; });
  with("blank prompt", [](AgentRequest& r) { r.prompt = " \n\t "; });
  with("100 kB prompt", [](AgentRequest& r) { r.prompt = std::string(100'000, 'x'); });
  with("slug with a space", [](AgentRequest& r) { r.slug = "front desk"; });
  with("upper-case slug", [](AgentRequest& r) { r.slug = "FrontDesk"; });
  with("empty name", [](AgentRequest& r) { r.name = "  "; });
  with("unknown language", [](AgentRequest& r) { r.language = "xx"; });
  with("long greeting", [](AgentRequest& r) { r.first_message = std::string(3000, 'a'); });
  with("name without a slug", [](AgentRequest& r) { r.name = "***"; });
  for (const auto& [what, agent] : cases) {
    EXPECT_EQ(kind_of([&] { m_agents.create(agent); }), ErrorKind::invalid_input) << what;
  }
  AgentRequest unknown_tenant = request();
  unknown_tenant.tenant_slug = "nobody";
  EXPECT_EQ(kind_of([&] { m_agents.create(unknown_tenant); }), ErrorKind::not_found);
  EXPECT_TRUE(m_voice.calls().empty());
  EXPECT_TRUE(m_store->list_agents("").empty());
  EXPECT_TRUE(audit().empty());
}

TEST_F(AgentServiceTest, UnknownVoiceIsNotFoundBeforeAnythingIsRecorded) {
  AgentRequest agent = request();
  agent.voice = "Rachle";
  Error error = error_of([&] { m_agents.create(agent); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
  EXPECT_EQ(m_voice.count("create_agent"), 0);
  EXPECT_FALSE(m_store->find_agent("front-desk").has_value());
}

TEST_F(AgentServiceTest, UpdateSendsOnlyTheChangedFields) {
  Agent agent = m_agents.create(request());
  m_voice.clear_calls();
  AgentUpdate update;
  update.first_message = "Good morning!";
  Agent after = m_agents.update(agent.slug, update);
  EXPECT_EQ(after.first_message, "Good morning!");

  auto changes = m_voice.changes();
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].first, agent.provider_agent_id);
  const AgentChange& change = changes[0].second;
  EXPECT_EQ(change.first_message, std::optional<std::string>("Good morning!"));
  EXPECT_FALSE(change.name.has_value());
  EXPECT_FALSE(change.prompt.has_value());
  EXPECT_FALSE(change.voice_id.has_value());
  EXPECT_FALSE(change.language.has_value());
  EXPECT_FALSE(change.knowledge_base.has_value());
  EXPECT_EQ(m_store->find_agent(agent.slug)->first_message, "Good morning!");
}

TEST_F(AgentServiceTest, PersonalityChangeComposesItIntoTheStoredPrompt) {
  Agent agent = m_agents.create(request());
  AgentUpdate update;
  update.personality = Personality::professional;
  Agent after = m_agents.update(agent.slug, update);

  const AgentChange change = m_voice.changes().back().second;
  ASSERT_TRUE(change.prompt.has_value());
  EXPECT_EQ(*change.prompt, compose_prompt(Personality::professional, "Book dental appointments."));
  EXPECT_NE(*change.prompt, "Book dental appointments.");
  EXPECT_FALSE(change.first_message.has_value());
  // The database keeps the user's prompt; the personality is stored on its own.
  EXPECT_EQ(after.prompt, "Book dental appointments.");
  EXPECT_EQ(after.personality, Personality::professional);
  EXPECT_EQ(m_voice.agents().at(agent.provider_agent_id).definition.prompt, *change.prompt);

  // A new prompt keeps the personality.
  AgentUpdate prompt;
  prompt.prompt = "Take messages.";
  m_agents.update(agent.slug, prompt);
  EXPECT_EQ(
      m_voice.changes().back().second.prompt,
      std::optional<std::string>(compose_prompt(Personality::professional, "Take messages.")));
}

TEST_F(AgentServiceTest, UpdateResolvesAVoiceByName) {
  Agent agent = m_agents.create(request());
  AgentUpdate update;
  update.voice = "ADAM";
  Agent after = m_agents.update(agent.slug, update);
  EXPECT_EQ(after.voice_id, "pNInz6obpgDQGcFmaJgB");
  EXPECT_EQ(m_voice.changes().back().second.voice_id,
            std::optional<std::string>("pNInz6obpgDQGcFmaJgB"));
}

TEST_F(AgentServiceTest, UpdateWithNothingOrBadFieldsCallsNoProvider) {
  Agent agent = m_agents.create(request());
  m_voice.clear_calls();
  EXPECT_EQ(kind_of([&] { m_agents.update(agent.slug, {}); }), ErrorKind::invalid_input);
  AgentUpdate empty_prompt;
  empty_prompt.prompt = "";
  EXPECT_EQ(kind_of([&] { m_agents.update(agent.slug, empty_prompt); }), ErrorKind::invalid_input);
  AgentUpdate bad_language;
  bad_language.language = "klingon";
  EXPECT_EQ(kind_of([&] { m_agents.update(agent.slug, bad_language); }), ErrorKind::invalid_input);
  AgentUpdate name;
  name.name = "Reception";
  EXPECT_EQ(kind_of([&] { m_agents.update("nobody", name); }), ErrorKind::not_found);
  EXPECT_TRUE(m_voice.changes().empty());
}

TEST_F(AgentServiceTest, RefusedUpdateLeavesTheRowAsItWas) {
  Agent agent = m_agents.create(request());
  m_voice.fail_next("update_agent", {ErrorKind::invalid_input, false});
  AgentUpdate update;
  update.name = "Reception";
  EXPECT_EQ(kind_of([&] { m_agents.update(agent.slug, update); }), ErrorKind::invalid_input);
  EXPECT_EQ(m_store->find_agent(agent.slug)->name, "Front Desk");
  EXPECT_EQ(audit().size(), 1U); // the creation only
}

TEST_F(AgentServiceTest, RemoveRefusesWhileNumbersAreAssigned) {
  Agent agent = m_agents.create(request());
  auto numbers = buy_numbers(1);
  AssignmentService assignments(m_telephony, m_voice_agents, *m_store, "tester", "");
  assignments.assign(numbers[0], agent.slug, RoutingMode::native);
  m_voice.clear_calls();

  Error error = error_of([&] { m_agents.remove(agent.slug); });
  EXPECT_EQ(error.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(error.what(), numbers[0])) << error.what();
  EXPECT_TRUE(m_voice.calls().empty());
  EXPECT_EQ(m_voice.agents().size(), 1U);
  EXPECT_EQ(m_store->find_agent(agent.slug)->status, AgentStatus::active);
}

TEST_F(AgentServiceTest, RemoveDeletesTheDocumentsThenTheAgent) {
  Agent agent = m_agents.create(request());
  KnowledgeBaseService knowledge(m_voice_agents, *m_store, "tester");
  knowledge.add_text(agent.slug, "Open 9 to 5.", "hours");
  knowledge.add_url(agent.slug, "https://acme.example.com/faq", "faq");
  m_voice.clear_calls();

  m_agents.remove(agent.provider_agent_id); // named by its provider id
  EXPECT_EQ(m_voice.methods(),
            (std::vector<std::string>{"delete_document", "delete_document", "delete_agent"}));
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_TRUE(m_voice.documents().empty());
  EXPECT_FALSE(m_store->find_agent(agent.slug).has_value());
  EXPECT_TRUE(m_store->list_documents(agent.slug).empty());
  EXPECT_EQ(audit().back().command, "agents delete");
}

TEST_F(AgentServiceTest, RemoveFinishesWhenTheProviderAlreadyForgotTheAgent) {
  Agent agent = m_agents.create(request());
  m_voice.delete_agent(agent.provider_agent_id);
  m_agents.remove(agent.slug);
  EXPECT_FALSE(m_store->find_agent(agent.slug).has_value());
}

TEST_F(AgentServiceTest, FailedRemoveKeepsTheRowSoThatRunningItAgainFinishes) {
  Agent agent = m_agents.create(request());
  m_voice.fail_next("delete_agent", {ErrorKind::unavailable, false});
  EXPECT_EQ(kind_of([&] { m_agents.remove(agent.slug); }), ErrorKind::unavailable);
  ASSERT_TRUE(m_store->find_agent(agent.slug).has_value());
  EXPECT_EQ(m_store->find_agent(agent.slug)->status, AgentStatus::deleting);
  m_agents.remove(agent.slug);
  EXPECT_FALSE(m_store->find_agent(agent.slug).has_value());
  EXPECT_TRUE(m_voice.agents().empty());
}

TEST_F(AgentServiceTest, RemoveOfAnInterruptedCreationFindsTheAgentByItsTag) {
  m_voice.fail_next("create_agent", {ErrorKind::unavailable, /*acted=*/true});
  m_voice.fail_next("list_agents", {ErrorKind::unavailable, false});
  EXPECT_EQ(kind_of([&] { m_agents.create(request()); }), ErrorKind::uncertain);
  ASSERT_EQ(m_voice.agents().size(), 1U);
  m_agents.remove("front-desk");
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_FALSE(m_store->find_agent("front-desk").has_value());
}

TEST_F(AgentServiceTest, ResolvesAVoiceByIdOrByNameInAnyCase) {
  EXPECT_EQ(m_agents.resolve_voice(k_rachel).name, "Rachel");
  EXPECT_EQ(m_agents.resolve_voice("Rachel").voice_id, k_rachel);
  EXPECT_EQ(m_agents.resolve_voice("rAcHeL").voice_id, k_rachel);
}

TEST_F(AgentServiceTest, UnknownVoiceHintsAtCloseMatches) {
  Error typo = error_of([&] { m_agents.resolve_voice("Rachle"); });
  EXPECT_EQ(typo.kind(), ErrorKind::not_found);
  EXPECT_TRUE(contains(typo.what(), "Rachle")) << typo.what();
  EXPECT_TRUE(contains(typo.hint(), std::string("Rachel (") + k_rachel + ")")) << typo.hint();

  Error part = error_of([&] { m_agents.resolve_voice("arnol"); });
  EXPECT_TRUE(contains(part.hint(), "Arnold")) << part.hint();

  Error far = error_of([&] { m_agents.resolve_voice("Zebediah"); });
  EXPECT_EQ(far.kind(), ErrorKind::not_found);
  EXPECT_FALSE(contains(far.hint(), "did you mean")) << far.hint();
  EXPECT_TRUE(contains(far.hint(), "vami voices list")) << far.hint();
}

TEST_F(AgentServiceTest, TwoVoicesOfOneNameNeedTheId) {
  m_voice.add_voice({"cloned0000000000rach", "Rachel", "cloned", "female", "", ""});
  Error error = error_of([&] { m_agents.resolve_voice("rachel"); });
  EXPECT_EQ(error.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(error.what(), k_rachel)) << error.what();
  EXPECT_TRUE(contains(error.what(), "cloned0000000000rach")) << error.what();
  EXPECT_EQ(m_agents.resolve_voice("cloned0000000000rach").category, "cloned");
}

TEST_F(AgentServiceTest, VoicesAreOrderedByName) {
  m_voice.add_voice({"aaaa", "aria", "premade", "", "", ""});
  auto voices = m_agents.voices();
  // Case does not order: "aria" comes between "Antoni" and "Arnold".
  std::vector<std::string> names;
  for (const Voice& voice : voices) {
    names.push_back(voice.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Adam", "Antoni", "aria", "Arnold", "Bella", "Domi",
                                             "Elli", "Josh", "Rachel", "Sam"}));
}

TEST_F(AgentServiceTest, ConversationsAreTheAgentsAndTheLimitIsChecked) {
  Agent agent = m_agents.create(request());
  m_voice.add_conversation({"conv_1", agent.provider_agent_id, "done", 1, 30, 4, "success"});
  m_voice.add_conversation({"conv_2", "agent_other", "done", 2, 30, 4, "success"});
  auto conversations = m_agents.conversations(agent.slug, 10);
  ASSERT_EQ(conversations.size(), 1U);
  EXPECT_EQ(conversations[0].conversation_id, "conv_1");
  EXPECT_EQ(m_voice.calls_of("list_conversations").back().argument, agent.provider_agent_id);
  for (int limit : {0, -1, 101}) {
    EXPECT_EQ(kind_of([&] { m_agents.conversations(agent.slug, limit); }), ErrorKind::invalid_input)
        << limit;
  }
}

TEST_F(AgentServiceTest, FindsShowsAndListsFromTheDatabase) {
  make_tenant("other", "Other Co");
  Agent front = m_agents.create(request());
  AgentRequest other = request("Night Line");
  other.tenant_slug = "other";
  m_agents.create(other);
  KnowledgeBaseService(m_voice_agents, *m_store, "tester")
      .add_text(front.slug, "Open 9 to 5.", "hours");
  m_voice.clear_calls();

  EXPECT_EQ(m_agents.find(front.provider_agent_id).slug, "front-desk");
  EXPECT_EQ(m_agents.list("acme").size(), 1U);
  EXPECT_EQ(m_agents.list("").size(), 2U);
  EXPECT_EQ(kind_of([&] { m_agents.list("nobody"); }), ErrorKind::not_found);
  EXPECT_EQ(kind_of([&] { m_agents.find("nobody"); }), ErrorKind::not_found);
  AgentDetails details = m_agents.show("front-desk");
  EXPECT_EQ(details.documents.size(), 1U);
  EXPECT_TRUE(details.numbers.empty());
  EXPECT_TRUE(m_voice.calls().empty());
}

TEST(ComposePrompt, FoldsThePersonalityInFrontOfThePrompt) {
  EXPECT_EQ(compose_prompt(std::nullopt, "Be brief."), "Be brief.");
  std::vector<std::string> composed;
  for (Personality personality :
       {Personality::friendly, Personality::professional, Personality::casual}) {
    std::string prompt = compose_prompt(personality, "Be brief.");
    EXPECT_TRUE(prompt.size() > std::string("\n\nBe brief.").size());
    EXPECT_EQ(prompt.substr(prompt.size() - 11), "\n\nBe brief.");
    composed.push_back(prompt);
  }
  EXPECT_NE(composed[0], composed[1]);
  EXPECT_NE(composed[1], composed[2]);
  EXPECT_NE(composed[0], composed[2]);
  EXPECT_EQ(agent_tag("front-desk"), "vami-agent:front-desk");
}

} // namespace
} // namespace vami
