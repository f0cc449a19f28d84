// The sandbox's Synthflow half (providers/synthflow/emulator), driven by the Synthflow client:
// agents, voices, knowledge bases, calls, authentication and error bodies.
#include <functional>

#include "synthflow_emulator_client.hpp"

namespace vami::synthflow_emulator_testing {
namespace {

TEST_F(SynthflowEmulatorTest, AgentsAreCreatedReadUpdatedListedAndDeleted) {
  std::string id = make_agent("Front Desk");
  std::optional<ProviderAgent> agent = provider->get_agent(id);
  ASSERT_TRUE(agent.has_value());
  EXPECT_EQ(agent->definition.name, "Front Desk");
  EXPECT_EQ(agent->definition.prompt, "Book appointments.");
  EXPECT_EQ(agent->definition.first_message, "Hello.");
  EXPECT_EQ(agent->definition.language, "en");
  EXPECT_EQ(agent->definition.tags, (std::vector<std::string>{"vami", "vami-agent:front-desk"}));

  AgentChange change;
  change.name = "Front Desk DE";
  change.language = "de";
  change.voice_id = "EXAVITQu4vr4xnSDxMaL";
  change.first_message = "";
  ProviderAgent updated = provider->update_agent(id, change);
  EXPECT_EQ(updated.definition.name, "Front Desk DE");
  EXPECT_EQ(updated.definition.language, "de");
  EXPECT_EQ(updated.definition.voice_id, "EXAVITQu4vr4xnSDxMaL");
  EXPECT_EQ(updated.definition.first_message, "");
  EXPECT_EQ(updated.definition.prompt, "Book appointments."); // not sent, kept
  EXPECT_EQ(updated.definition.tags, agent->definition.tags);

  std::string other = make_agent("Night Line", "night-line");
  std::vector<AgentSummary> found = provider->list_agents("desk");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].agent_id, id);
  EXPECT_EQ(provider->list_agents("").size(), 2U);

  provider->delete_agent(id);
  EXPECT_FALSE(provider->get_agent(id).has_value());
  EXPECT_EQ(error_of([&] { provider->delete_agent(id); }).kind(), ErrorKind::not_found);
  EXPECT_TRUE(provider->get_agent(other).has_value());
}

TEST_F(SynthflowEmulatorTest, ListsPageWithLimitAndOffset) {
  for (int i = 0; i < 3; ++i) {
    (void)make_agent("Agent " + std::to_string(i), "a" + std::to_string(i));
  }
  json page = json::parse(raw("GET", "/assistants/?limit=2&offset=1").body);
  EXPECT_EQ(page["response"]["pagination"]["total_records"], 3);
  ASSERT_EQ(page["response"]["assistants"].size(), 2U);
  EXPECT_EQ(page["response"]["assistants"][0]["name"], "Agent 1");
}

TEST_F(SynthflowEmulatorTest, AWrongKeyIsRefusedAsAuth) {
  auto stranger = client("sf_wrong");
  Error error = error_of([&] { (void)stranger->list_agents(""); });
  EXPECT_EQ(error.kind(), ErrorKind::auth);
  EXPECT_THAT(error.what(), HasSubstr("Invalid API key"));
  EXPECT_FALSE(error.provider_detail()->request_id.empty());
}

TEST_F(SynthflowEmulatorTest, ErrorBodiesHaveTheDocumentsShape) {
  http::HttpResponse missing = raw("GET", "/assistants/nope");
  EXPECT_EQ(missing.status, 404);
  json detail = json::parse(missing.body).at("detail");
  EXPECT_EQ(detail.at("status"), "error");
  EXPECT_EQ(detail.at("category"), "not_found");
  EXPECT_TRUE(detail.at("description").is_string());
  EXPECT_TRUE(detail.at("request_id").is_string());
  EXPECT_FALSE(missing.header("x-request-id").empty());

  http::HttpResponse bad = raw("POST", "/assistants",
                               R"({"type": "inbound", "name": "X",)"
                               R"( "agent": {"language": "xx"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(raw("POST", "/assistants", R"({"name": "X", "agent": {}})").status, 400);
  EXPECT_EQ(raw("GET", "/calls").status, 422); // model_id is required
  EXPECT_EQ(raw("PATCH", "/assistants").status, 405);
  EXPECT_EQ(raw("GET", "/nowhere").status, 404);
}

TEST_F(SynthflowEmulatorTest, VoicesAreTheWorkspacesCatalogue) {
  std::vector<Voice> voices = provider->list_voices();
  ASSERT_EQ(voices.size(), 4U); // Synthflow's default provider, elevenlabs
  EXPECT_EQ(voices[0].name, "Rachel");
  EXPECT_EQ(voices[0].category, "elevenlabs");
  EXPECT_EQ(voices[0].gender, "female");
  json deepgram = json::parse(
      raw("GET", "/voices?workspace=" + sandbox->credentials().value("synthflow_workspace_id") +
                     "&provider=deepgram")
          .body);
  EXPECT_EQ(deepgram["response"]["voices"].size(), 2U);
  EXPECT_EQ(raw("GET", "/voices?workspace=ws_other").status, 403);
}

TEST_F(SynthflowEmulatorTest, KnowledgeBasesAreAddedAttachedDetachedAndDeleted) {
  std::string agent = make_agent("Front Desk");
  ProviderDocument faq = provider->add_document_url("https://acme.example/faq", "vami:fd:1 FAQ");
  ProviderDocument prices =
      provider->add_document_url("https://acme.example/prices.pdf", "vami:fd:2 Prices");
  ProviderDocument hours = provider->add_document_text("Open 9 to 17.", "vami:fd:3 Hours");
  ProviderDocument notes = provider->add_document_file(
      {"vami:fd:4 Notes", "notes.md", "text/markdown", "# Notes\nParking behind."});
  (void)provider->add_document_text("Not vami's.", "other");
  std::vector<DocumentSummary> documents = provider->list_documents("vami:");
  ASSERT_EQ(documents.size(), 4U);
  EXPECT_EQ(documents[0].document_id, faq.document_id);
  EXPECT_EQ(documents[0].kind, DocumentSourceKind::url);
  EXPECT_EQ(documents[1].kind, DocumentSourceKind::url);
  EXPECT_EQ(documents[2].kind, DocumentSourceKind::text);
  EXPECT_EQ(documents[3].document_id, notes.document_id);

  AgentChange change;
  change.knowledge_base =
      std::vector<KnowledgeBaseRef>{{faq.document_id, "FAQ", DocumentSourceKind::url},
                                    {hours.document_id, "Hours", DocumentSourceKind::text}};
  ProviderAgent attached = provider->update_agent(agent, change);
  ASSERT_EQ(attached.definition.knowledge_base.size(), 2U);
  EXPECT_EQ(attached.definition.knowledge_base[1].document_id, hours.document_id);
  auto attachments = [&] {
    SQLite::Database db((dir / "sandbox.db").string());
    return db.execAndGet("SELECT count(*) FROM synthflow_knowledge_agents").getInt();
  };
  EXPECT_EQ(attachments(), 2);

  // FAQ is deleted at Synthflow behind the marker's back: dropping it from the list detaches
  // nothing there (404), and the rest goes on.
  provider->delete_document(faq.document_id);
  change.knowledge_base =
      std::vector<KnowledgeBaseRef>{{prices.document_id, "Prices", DocumentSourceKind::url}};
  ProviderAgent replaced = provider->update_agent(agent, change);
  ASSERT_EQ(replaced.definition.knowledge_base.size(), 1U);
  EXPECT_EQ(replaced.definition.knowledge_base[0].document_id, prices.document_id);
  EXPECT_EQ(attachments(), 1);

  EXPECT_EQ(provider->list_documents("vami:").size(), 3U);
  EXPECT_EQ(error_of([&] { provider->delete_document(faq.document_id); }).kind(),
            ErrorKind::not_found);
  provider->delete_agent(agent);
  EXPECT_EQ(attachments(), 0);
}

TEST_F(SynthflowEmulatorTest, ARefusedSourceLeavesNoKnowledgeBase) {
  Error error = error_of([&] { (void)provider->add_document_url("ftp://acme.example/x", "X"); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(error.what(), HasSubstr("http(s) URL"));
  json list = json::parse(raw("GET", "/knowledge_base").body);
  EXPECT_EQ(list["response"]["total_records"], 0);
}

TEST_F(SynthflowEmulatorTest, CallsAreListedNewestFirstAndReadOneByOne) {
  std::string agent = make_agent("Front Desk");
  seed("INSERT INTO synthflow_calls (call_id, model_id, start_time_ms, duration, "
       "phone_number_from, phone_number_to, transcript) VALUES "
       "('c-1', '" +
       agent +
       "', 1732546200000, 30, '+15550001111', '+12125550101', "
       "'bot: Hello.\nhuman: Hi.'), "
       "('c-2', '" +
       agent +
       "', 1732549800000, 60, '+15550002222', '+12125550101', ''), "
       "('c-3', 'someone-else', 1732549900000, 5, '', '', '')");
  std::vector<Conversation> calls = provider->list_conversations(agent, 10);
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].conversation_id, "c-2");
  EXPECT_EQ(calls[0].start_time_unix, 1732549800);
  EXPECT_EQ(calls[0].duration_seconds, 60);
  EXPECT_EQ(calls[0].status, "completed");
  EXPECT_EQ(provider->list_conversations(agent, 1).size(), 1U);
  std::vector<Conversation> since = provider->list_conversations_since(agent, 1732549000);
  ASSERT_EQ(since.size(), 1U);
  EXPECT_EQ(since[0].conversation_id, "c-2");
  ConversationDetails details = provider->get_conversation("c-1");
  EXPECT_EQ(details.agent_number, "+12125550101");
  EXPECT_EQ(details.external_number, "+15550001111");
  ASSERT_EQ(details.transcript.size(), 2U);
  EXPECT_EQ(details.transcript[1].role, "user");
  EXPECT_EQ(error_of([&] { (void)provider->get_conversation("c-9"); }).kind(),
            ErrorKind::not_found);
}

} // namespace
} // namespace vami::synthflow_emulator_testing
