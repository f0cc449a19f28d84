#include <string>
#include <utility>
#include <vector>

#include "elevenlabs_provider_fixture.hpp"

namespace vami::elevenlabs {
namespace {

using namespace test_support;

/// A `GetAgentResponseModel` with everything vami reads.
json agent_response(const std::string& agent_id, const std::string& name) {
  return json{
      {"agent_id", agent_id},
      {"name", name},
      {"tags", {"vami-agent:dr-smith"}},
      {"metadata", {{"created_at_unix_secs", 1716153600}, {"updated_at_unix_secs", 1716153601}}},
      {"conversation_config",
       {{"agent",
         {{"first_message", "Hello, Dr Smith's office."},
          {"language", "es"},
          {"prompt",
           {{"prompt", "You answer the phone."},
            {"llm", "gpt-4o-mini"},
            {"knowledge_base",
             {{{"type", "file"}, {"name", "FAQ"}, {"id", "doc_1"}, {"usage_mode", "auto"}},
              {{"type", "folder"}, {"name", "Shared"}, {"id", "fld_1"}},
              {{"type", "url"}, {"name", "Site"}, {"id", "doc_2"}, {"usage_mode", "prompt"}},
              {{"type", "text"}, {"name", "Hours"}, {"id", "doc_3"}}}}}}}},
        {"tts", {{"voice_id", "voice_rachel"}, {"model_id", "eleven_flash_v2"}}}}}};
}


TEST_F(ElevenLabsProviderTest, SpecCheckCatchesWhatTheDocumentForbids) {
  REQUIRE_SPEC();
  auto problems_of = [&](const json& value, const std::string& schema_name) {
    std::vector<std::string> problems;
    conform(*m_spec, json{{"$ref", "#/components/schemas/" + schema_name}}, value, "body",
            problems);
    return problems;
  };
  EXPECT_THAT(
      problems_of(
          {{"label", "x"}, {"sid", "AC1"}, {"token", "t"}, {"provider", "Twilio"}, {"agent", "a"}},
          "CreateTwilioPhoneNumberRequest"),
      ::testing::UnorderedElementsAre(HasSubstr("body.phone_number: is required"),
                                      HasSubstr("body.provider: is not \"twilio\""),
                                      HasSubstr("body.agent: is not documented")));
  EXPECT_THAT(problems_of({{"type", "pdf"}, {"name", "x"}, {"id", 3}}, "KnowledgeBaseLocator"),
              ::testing::UnorderedElementsAre(HasSubstr("body.type: \"pdf\" is not in"),
                                              HasSubstr("body.id: is not a string")));
  EXPECT_THAT(problems_of({{"url", "https://x"}, {"name", ""}},
                          "Body_Create_URL_document_v1_convai_knowledge_base_url_post"),
              ::testing::ElementsAre(HasSubstr("body.name: matches none of anyOf")));
  EXPECT_THAT(problems_of({{"agent_id", nullptr}}, "UpdatePhoneNumberRequest"),
              ::testing::IsEmpty());
}

// ---- agents ----------------------------------------------------------------------------------

TEST_F(ElevenLabsProviderTest, CreateAgentPostsTheDocumentedBody) {
  REQUIRE_SPEC();
  m_http.push_response(200, schema_example("CreateAgentResponseModel").dump());

  AgentDefinition definition;
  definition.name = "Dr Smith";
  definition.prompt = "You answer the phone for Dr Smith.";
  definition.first_message = "Hello!";
  definition.voice_id = "voice_rachel";
  definition.language = "fr";
  definition.tags = {"vami-agent:dr-smith", "vami-tenant:acme"};
  definition.knowledge_base = {{"doc_1", "FAQ", DocumentSourceKind::file},
                               {"doc_2", "Site", DocumentSourceKind::url},
                               {"doc_3", "Hours", DocumentSourceKind::text}};
  EXPECT_EQ(m_provider->create_agent(definition), "J3Pbu5gP6NNKBscdCdwB");

  auto request = m_http.last_request();
  expect_request(request, "POST", "/v1/convai/agents/create");
  EXPECT_EQ(json_body(request), json::parse(R"({
              "name": "Dr Smith",
              "tags": ["vami-agent:dr-smith", "vami-tenant:acme"],
              "conversation_config": {
                "agent": {
                  "first_message": "Hello!",
                  "language": "fr",
                  "prompt": {
                    "prompt": "You answer the phone for Dr Smith.",
                    "knowledge_base": [
                      {"type": "file", "name": "FAQ", "id": "doc_1", "usage_mode": "auto"},
                      {"type": "url", "name": "Site", "id": "doc_2", "usage_mode": "auto"},
                      {"type": "text", "name": "Hours", "id": "doc_3", "usage_mode": "auto"}
                    ]
                  }
                },
                "tts": {"voice_id": "voice_rachel"}
              }
            })"));
  expect_documented(request, "/v1/convai/agents/create", "post");
}

TEST_F(ElevenLabsProviderTest, CreateAgentLeavesEmptyOptionalFieldsOut) {
  REQUIRE_SPEC();
  m_http.push_response(200, R"({"agent_id": "agent_1"})");
  AgentDefinition definition;
  definition.name = "Bare";
  EXPECT_EQ(m_provider->create_agent(definition), "agent_1");

  auto request = m_http.last_request();
  EXPECT_EQ(json_body(request), json::parse(R"({"name": "Bare", "conversation_config": {}})"));
  EXPECT_THAT(request.body, Not(HasSubstr("voice_id")));
  EXPECT_THAT(request.body, Not(HasSubstr("language")));
  expect_documented(request, "/v1/convai/agents/create", "post");
}

TEST_F(ElevenLabsProviderTest, CreateAgentNamesTheMissingFieldOfAnIncompleteAnswer) {
  AgentDefinition definition;
  definition.name = "Dr Smith";
  struct Case {
    std::string body;
    std::string why;
  };
  std::vector<Case> cases = {
      {"{}", "'agent_id' is missing"},
      {R"({"agent_id": null})", "'agent_id' is missing"},
      {R"({"agent_id": 42})", "'agent_id' is not a string"},
      {"[]", "the body is not a JSON object"},
      {"<html>ok</html>", "the body is not JSON"},
  };
  for (const auto& one : cases) {
    SCOPED_TRACE(one.body);
    m_http.push_response(200, one.body, {{"request-id", "req_1"}});
    Error error = error_of([&] { (void)m_provider->create_agent(definition); });
    EXPECT_EQ(error.kind(), ErrorKind::provider);
    EXPECT_EQ(std::string(error.what()),
              "cannot create agent \"Dr Smith\" at ElevenLabs: unexpected response (HTTP 200): " +
                  one.why);
    EXPECT_THAT(error.hint(), HasSubstr("VAMI_ELEVENLABS_BASE_URL"));
    ASSERT_TRUE(error.provider_detail().has_value());
    EXPECT_EQ(error.provider_detail()->request_id, "req_1");
  }
}

TEST_F(ElevenLabsProviderTest, GetAgentReadsTheConfigurationVamiManages) {
  REQUIRE_SPEC();
  json answer = agent_response("agent_1", "Dr Smith");
  expect_conforms(answer, "GetAgentResponseModel");
  m_http.push_response(200, answer.dump());

  auto agent = m_provider->get_agent("agent_1");
  auto request = m_http.last_request();
  expect_request(request, "GET", "/v1/convai/agents/agent_1");
  expect_no_body(request);
  expect_documented(request, "/v1/convai/agents/{agent_id}", "get");

  ASSERT_TRUE(agent.has_value());
  EXPECT_EQ(agent->agent_id, "agent_1");
  const AgentDefinition& definition = agent->definition;
  EXPECT_EQ(definition.name, "Dr Smith");
  EXPECT_EQ(definition.prompt, "You answer the phone.");
  EXPECT_EQ(definition.first_message, "Hello, Dr Smith's office.");
  EXPECT_EQ(definition.voice_id, "voice_rachel");
  EXPECT_EQ(definition.language, "es");
  EXPECT_EQ(definition.tags, std::vector<std::string>{"vami-agent:dr-smith"});
  // The folder has no DocumentSourceKind: it is left out, the documents are kept in order.
  std::vector<KnowledgeBaseRef> expected = {{"doc_1", "FAQ", DocumentSourceKind::file},
                                            {"doc_2", "Site", DocumentSourceKind::url},
                                            {"doc_3", "Hours", DocumentSourceKind::text}};
  EXPECT_EQ(definition.knowledge_base, expected);
}

TEST_F(ElevenLabsProviderTest, GetAgentReadsTheDocumentsOwnExample) {
  REQUIRE_SPEC();
  // The example leaves out `conversation_config` although the schema requires it.
  m_http.push_response(200, schema_example("GetAgentResponseModel").dump());
  auto agent = m_provider->get_agent("agent_7101k5zvyjhmfg983brhmhkd98n6");
  ASSERT_TRUE(agent.has_value());
  EXPECT_EQ(agent->agent_id, "agent_7101k5zvyjhmfg983brhmhkd98n6");
  EXPECT_EQ(agent->definition.name, "My Agent");
  EXPECT_EQ(agent->definition.prompt, "");
}

TEST_F(ElevenLabsProviderTest, GetAgentOfAnUnknownIdIsEmptyAndEncodesTheId) {
  m_http.push_response(404, R"({"detail": {"status": "agent_not_found", "message": "nope"}})");
  EXPECT_FALSE(m_provider->get_agent("agent/../x y").has_value());
  EXPECT_EQ(m_http.last_request().url,
            std::string(k_base) + "/v1/convai/agents/agent%2F..%2Fx%20y");
}

TEST_F(ElevenLabsProviderTest, GetAgentStillThrowsForOtherFailures) {
  m_http.push_response(401, detail_error("invalid_api_key", "Invalid API key").dump());
  EXPECT_EQ(error_of([&] { (void)m_provider->get_agent("agent_1"); }).kind(), ErrorKind::auth);
  m_http.push_response(200, R"({"name": "no id"})");
  Error error = error_of([&] { (void)m_provider->get_agent("agent_1"); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("'agent_id' is missing"));
  m_http.push_response(200,
                       R"({"agent_id": "a", "name": "n", "conversation_config": {"agent": 3}})");
  error = error_of([&] { (void)m_provider->get_agent("agent_1"); });
  EXPECT_THAT(error.what(), HasSubstr("'conversation_config.agent' is not an object"));
  m_http.push_response(
      200, R"({"agent_id": "a", "name": "n", "conversation_config": {"agent": {"prompt": )"
           R"({"knowledge_base": [{"type": "file", "name": "x"}]}}}})");
  error = error_of([&] { (void)m_provider->get_agent("agent_1"); });
  EXPECT_THAT(error.what(),
              HasSubstr("'conversation_config.agent.prompt.knowledge_base[0].id' is missing"));
}

TEST_F(ElevenLabsProviderTest, UpdateAgentPatchesOnlyTheSetFields) {
  REQUIRE_SPEC();
  struct Case {
    const char* name;
    AgentChange change;
    const char* body;
  };
  AgentChange rename;
  rename.name = "Dr Smith Jr";
  rename.voice_id = "voice_adam";
  AgentChange prompt_only;
  prompt_only.prompt = "Be brief.";
  prompt_only.knowledge_base = std::vector<KnowledgeBaseRef>{};
  AgentChange greeting;
  greeting.first_message = "";
  greeting.language = "de";
  greeting.knowledge_base =
      std::vector<KnowledgeBaseRef>{{"doc_9", "Menu", DocumentSourceKind::url}};
  AgentChange defaults;
  defaults.voice_id = "";
  defaults.language = "";
  std::vector<Case> cases = {
      {"name and voice", rename,
       R"({"name": "Dr Smith Jr", "conversation_config": {"tts": {"voice_id": "voice_adam"}}})"},
      {"prompt and an emptied knowledge base", prompt_only,
       R"({"conversation_config": {"agent": {"prompt": {"prompt": "Be brief.",
           "knowledge_base": []}}}})"},
      {"no greeting, another language, one document", greeting,
       R"({"conversation_config": {"agent": {"first_message": "", "language": "de",
           "prompt": {"knowledge_base": [{"type": "url", "name": "Menu", "id": "doc_9",
           "usage_mode": "auto"}]}}}})"},
      {"back to the provider's defaults", defaults,
       R"({"conversation_config": {"agent": {"language": "en"},
           "tts": {"voice_id": "cjVigY5qzO86Huf0OWal"}}})"},
      {"nothing", AgentChange{}, "{}"},
  };
  for (const auto& one : cases) {
    SCOPED_TRACE(one.name);
    m_http.push_response(200, agent_response("agent_1", "Dr Smith Jr").dump());
    ProviderAgent agent = m_provider->update_agent("agent_1", one.change);
    EXPECT_EQ(agent.agent_id, "agent_1");
    EXPECT_EQ(agent.definition.name, "Dr Smith Jr");
    auto request = m_http.last_request();
    expect_request(request, "PATCH", "/v1/convai/agents/agent_1");
    EXPECT_EQ(json_body(request), json::parse(one.body));
    expect_documented(request, "/v1/convai/agents/{agent_id}", "patch");
  }
}

TEST_F(ElevenLabsProviderTest, DeleteAgentSendsDeleteAndReportsAnUnknownAgent) {
  REQUIRE_SPEC();
  m_http.push_response(204, "");
  m_provider->delete_agent("agent_1");
  auto request = m_http.last_request();
  expect_request(request, "DELETE", "/v1/convai/agents/agent_1");
  expect_no_body(request);
  expect_documented(request, "/v1/convai/agents/{agent_id}", "delete");

  m_http.push_response(404, R"({"detail": "Agent not found"})");
  Error error = error_of([&] { m_provider->delete_agent("agent_2"); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
  EXPECT_STREQ(error.what(),
               "cannot delete agent agent_2 at ElevenLabs: Agent not found (HTTP 404)");
  EXPECT_THAT(error.hint(), HasSubstr("vami reconcile"));
}

json agents_page(const std::vector<std::string>& ids, bool has_more, const json& next_cursor) {
  json agents = json::array();
  for (const std::string& id : ids) {
    agents.push_back({{"agent_id", id},
                      {"name", "Agent " + id},
                      {"voice_id", "voice_" + id},
                      {"tags", {"vami-agent:" + id}},
                      {"created_at_unix_secs", 1716153600},
                      {"access_info",
                       {{"is_creator", true},
                        {"creator_name", "Ops"},
                        {"creator_email", "ops@example.com"},
                        {"role", "admin"}}}});
  }
  return json{{"agents", agents}, {"has_more", has_more}, {"next_cursor", next_cursor}};
}

TEST_F(ElevenLabsProviderTest, ListAgentsFollowsTheCursorAcrossThreePages) {
  REQUIRE_SPEC();
  json page1 = agents_page({"a1", "a2"}, true, "cursor 2");
  expect_conforms(page1, "GetAgentsPageResponseModel");
  m_http.push_response(200, page1.dump());
  m_http.push_response(200, agents_page({"a3"}, true, "cursor/3").dump());
  // The last page may still carry a cursor (as the document's example does): has_more decides.
  m_http.push_response(200, agents_page({"a4"}, false, "cursor 4").dump());

  auto agents = m_provider->list_agents("dr smith");
  ASSERT_EQ(agents.size(), 4U);
  EXPECT_EQ(agents[0].agent_id, "a1");
  EXPECT_EQ(agents[0].name, "Agent a1");
  EXPECT_EQ(agents[0].voice_id, "voice_a1");
  EXPECT_EQ(agents[0].tags, std::vector<std::string>{"vami-agent:a1"});
  EXPECT_EQ(agents[0].created_at_unix, 1716153600);
  EXPECT_EQ(agents[3].agent_id, "a4");

  auto requests = m_http.requests();
  ASSERT_EQ(requests.size(), 3U);
  expect_request(requests[0], "GET", "/v1/convai/agents",
                 {{"search", "dr smith"}, {"page_size", "100"}});
  expect_request(requests[1], "GET", "/v1/convai/agents",
                 {{"search", "dr smith"}, {"page_size", "100"}, {"cursor", "cursor 2"}});
  expect_request(requests[2], "GET", "/v1/convai/agents",
                 {{"search", "dr smith"}, {"page_size", "100"}, {"cursor", "cursor/3"}});
  EXPECT_THAT(requests[1].url, HasSubstr("cursor=cursor%202"));
  EXPECT_THAT(requests[2].url, HasSubstr("cursor=cursor%2F3"));
  for (const auto& request : requests) {
    expect_no_body(request);
    expect_documented(request, "/v1/convai/agents", "get");
  }
}

TEST_F(ElevenLabsProviderTest, ListAgentsWithoutSearchSendsNoSearchAndReadsTheSpecExample) {
  REQUIRE_SPEC();
  m_http.push_response(200, schema_example("GetAgentsPageResponseModel").dump());
  auto agents = m_provider->list_agents("");
  ASSERT_EQ(agents.size(), 1U);
  EXPECT_EQ(agents[0].agent_id, "J3Pbu5gP6NNKBscdCdwB");
  EXPECT_EQ(agents[0].voice_id, "UCaNsl8F6Xh4GALkVMLS");
  EXPECT_EQ(m_http.call_count(), 1U) << "has_more is false, whatever next_cursor says";
  expect_request(m_http.last_request(), "GET", "/v1/convai/agents", {{"page_size", "100"}});
}

TEST_F(ElevenLabsProviderTest, ListAgentsThrowsAndReturnsNothingWhenAPageFails) {
  m_http.push_response(200, agents_page({"a1"}, true, "c2").dump());
  m_http.push_response(503, R"({"detail": {"status": "service_unavailable", "message": "down"}})");
  m_http.push_response(200, agents_page({"a3"}, false, nullptr).dump());
  Error error = error_of([&] { (void)m_provider->list_agents(""); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  EXPECT_STREQ(error.what(),
               "cannot list agents (page 2) at ElevenLabs: down (HTTP 503, service_unavailable)");
  EXPECT_EQ(m_http.call_count(), 2U) << "no page is read after a failed one";

  // A transport failure on the last page is no different.
  test::FakeHttpClient http;
  auto provider = make_elevenlabs_provider(full_config(), http);
  http.push_response(200, agents_page({"a1"}, true, "c2").dump());
  http.fail_at(2, test::HttpFault::timeout);
  EXPECT_EQ(error_of([&] { (void)provider->list_agents(""); }).kind(), ErrorKind::unavailable);
}

TEST_F(ElevenLabsProviderTest, ListAgentsRefusesABrokenOrLoopingCursor) {
  m_http.push_response(200, agents_page({"a1"}, true, nullptr).dump());
  Error error = error_of([&] { (void)m_provider->list_agents(""); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("'has_more' is true but 'next_cursor' is missing"));

  m_http.push_response(200, agents_page({"a1"}, true, "c2").dump());
  m_http.push_response(200, agents_page({"a2"}, true, "c2").dump());
  error = error_of([&] { (void)m_provider->list_agents(""); });
  EXPECT_THAT(error.what(), HasSubstr("list agents (page 2)"));
  EXPECT_THAT(error.what(), HasSubstr("'next_cursor' points back to a page already read"));

  m_http.push_response(200, R"({"agents": [{"agent_id": "a1"}], "has_more": false})");
  error = error_of([&] { (void)m_provider->list_agents(""); });
  EXPECT_THAT(error.what(), HasSubstr("'agents[0].name' is missing"));

  m_http.push_response(200, R"({"agents": []})");
  error = error_of([&] { (void)m_provider->list_agents(""); });
  EXPECT_THAT(error.what(), HasSubstr("'has_more' is missing"));
}

// ---- voices ----------------------------------------------------------------------------------

TEST_F(ElevenLabsProviderTest, ListVoicesReadsTheSpecExample) {
  REQUIRE_SPEC();
  json answer = schema_example("GetVoicesResponseModel");
  answer["voices"].push_back(
      {{"voice_id", "v2"}, {"labels", {{"gender", 1}}}, {"description", nullptr}});
  m_http.push_response(200, answer.dump());
  auto voices = m_provider->list_voices();

  auto request = m_http.last_request();
  expect_request(request, "GET", "/v1/voices");
  expect_no_body(request);
  expect_documented(request, "/v1/voices", "get");
  ASSERT_EQ(voices.size(), 2U);
  EXPECT_EQ(voices[0].voice_id, "21m00Tcm4TlvDq8ikWAM");
  EXPECT_EQ(voices[0].name, "Rachel");
  EXPECT_EQ(voices[0].category, "professional");
  EXPECT_EQ(voices[0].gender, "female");
  EXPECT_EQ(voices[0].accent, "American");
  EXPECT_EQ(voices[0].description, "A warm, expressive voice with a touch of humor.");
  EXPECT_EQ(voices[1].voice_id, "v2");
  EXPECT_EQ(voices[1].gender, "");
  EXPECT_EQ(voices[1].description, "");
}

TEST_F(ElevenLabsProviderTest, ListVoicesNamesWhatIsMissing) {
  m_http.push_response(200, R"({"voices": [{"name": "Rachel"}]})");
  Error error = error_of([&] { (void)m_provider->list_voices(); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("cannot list voices at ElevenLabs"));
  EXPECT_THAT(error.what(), HasSubstr("'voices[0].voice_id' is missing"));
  m_http.push_response(200, "{}");
  error = error_of([&] { (void)m_provider->list_voices(); });
  EXPECT_THAT(error.what(), HasSubstr("'voices' is missing"));
}

// ---- knowledge base --------------------------------------------------------------------------

TEST_F(ElevenLabsProviderTest, AddDocumentFileUploadsMultipartThatDecodesToTheFile) {
  REQUIRE_SPEC();
  m_http.push_response(200, R"({"id": "doc_1", "name": "Opening hours", "folder_path": []})");
  DocumentUpload upload;
  upload.name = "Opening hours";
  upload.file_name = "hours.pdf";
  upload.mime_type = "application/pdf";
  upload.content = std::string("%PDF-1.4\r\n\0\xff binary", 19);
  ProviderDocument document = m_provider->add_document_file(upload);
  EXPECT_EQ(document.document_id, "doc_1");
  EXPECT_EQ(document.name, "Opening hours");

  auto request = m_http.last_request();
  expect_request(request, "POST", "/v1/convai/knowledge-base/file");
  expect_documented(request, "/v1/convai/knowledge-base/file", "post");
  std::string content_type = header_of(request, "Content-Type");
  EXPECT_THAT(content_type, StartsWith("multipart/form-data; boundary="));
  auto parts = http::multipart_decode(content_type, request.body);
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[0].name, "file");
  EXPECT_EQ(parts[0].file_name, "hours.pdf");
  EXPECT_EQ(parts[0].content_type, "application/pdf");
  EXPECT_EQ(parts[0].content, upload.content);
  EXPECT_EQ(parts[1].name, "name");
  EXPECT_EQ(parts[1].file_name, "");
  EXPECT_EQ(parts[1].content, "Opening hours");
  // Every part is a documented field of the multipart body.
  const json& properties = resolve(*m_spec, m_spec->at("paths")
                                                .at("/v1/convai/knowledge-base/file")
                                                .at("post")
                                                .at("requestBody")
                                                .at("content")
                                                .at("multipart/form-data")
                                                .at("schema"))
                               .at("properties");
  for (const auto& part : parts) {
    EXPECT_TRUE(properties.contains(part.name)) << part.name;
  }
}

TEST_F(ElevenLabsProviderTest, AddDocumentFileWithoutNameOrTypeSendsOnlyTheFile) {
  m_http.push_response(200, R"({"id": "doc_2", "name": "notes.txt"})");
  DocumentUpload upload;
  upload.file_name = "notes.txt";
  upload.content = "plain";
  ProviderDocument document = m_provider->add_document_file(upload);
  EXPECT_EQ(document.document_id, "doc_2");
  EXPECT_EQ(document.name, "notes.txt");
  auto request = m_http.last_request();
  auto parts = http::multipart_decode(header_of(request, "Content-Type"), request.body);
  ASSERT_EQ(parts.size(), 1U);
  EXPECT_EQ(parts[0].name, "file");
  EXPECT_EQ(parts[0].content_type, "application/octet-stream");
  EXPECT_EQ(parts[0].content, "plain");
}

TEST_F(ElevenLabsProviderTest, AddDocumentUrlAndTextPostJsonWithTheNameOnlyWhenGiven) {
  REQUIRE_SPEC();
  m_http.push_response(200, R"({"id": "doc_3", "name": "Site"})");
  EXPECT_EQ(m_provider->add_document_url("https://example.com/faq", "Site").document_id, "doc_3");
  auto request = m_http.last_request();
  expect_request(request, "POST", "/v1/convai/knowledge-base/url");
  EXPECT_EQ(json_body(request),
            json::parse(R"({"url": "https://example.com/faq", "name": "Site"})"));
  expect_documented(request, "/v1/convai/knowledge-base/url", "post");

  m_http.push_response(200, R"({"id": "doc_4", "name": "https://example.com/"})");
  ProviderDocument unnamed = m_provider->add_document_url("https://example.com/", "");
  EXPECT_EQ(unnamed.name, "https://example.com/");
  request = m_http.last_request();
  EXPECT_EQ(json_body(request), json::parse(R"({"url": "https://example.com/"})"));
  expect_documented(request, "/v1/convai/knowledge-base/url", "post");

  m_http.push_response(200, R"({"id": "doc_5", "name": "Hours"})");
  EXPECT_EQ(m_provider->add_document_text("Open 9-5.\nClosed Sundays.", "Hours").document_id,
            "doc_5");
  request = m_http.last_request();
  expect_request(request, "POST", "/v1/convai/knowledge-base/text");
  EXPECT_EQ(json_body(request),
            json::parse(R"({"text": "Open 9-5.\nClosed Sundays.", "name": "Hours"})"));
  expect_documented(request, "/v1/convai/knowledge-base/text", "post");

  m_http.push_response(200, R"({"id": "doc_6", "name": "Untitled"})");
  (void)m_provider->add_document_text("x", "");
  request = m_http.last_request();
  EXPECT_EQ(json_body(request), json::parse(R"({"text": "x"})"));
  expect_documented(request, "/v1/convai/knowledge-base/text", "post");

  m_http.push_response(200, R"({"name": "no id"})");
  Error error = error_of([&] { (void)m_provider->add_document_text("x", "Notes"); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("'id' is missing"));
}

TEST_F(ElevenLabsProviderTest, DeleteDocumentForcesTheDeletion) {
  REQUIRE_SPEC();
  m_http.push_response(200, "{}");
  m_provider->delete_document("doc_1");
  auto request = m_http.last_request();
  expect_request(request, "DELETE", "/v1/convai/knowledge-base/doc_1", {{"force", "true"}});
  expect_no_body(request);
  expect_documented(request, "/v1/convai/knowledge-base/{documentation_id}", "delete");

  m_http.push_response(404, R"({"detail": {"status": "document_not_found", "message": "gone"}})");
  Error error = error_of([&] { m_provider->delete_document("doc_2"); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
  EXPECT_EQ(error.provider_detail()->code, "document_not_found");
}

TEST_F(ElevenLabsProviderTest, ListDocumentsSearchesByNamePrefixAcrossPagesSkippingFolders) {
  REQUIRE_SPEC();
  auto item = [](const std::string& id, const std::string& type, const std::string& name) {
    json entry = {{"id", id},
                  {"name", name},
                  {"type", type},
                  {"metadata",
                   {{"created_at_unix_secs", 1716153600},
                    {"last_updated_at_unix_secs", 1716153600},
                    {"size_bytes", 12}}},
                  {"supported_usages", json::array({"auto"})},
                  {"access_info",
                   {{"is_creator", true},
                    {"creator_name", "Ops"},
                    {"creator_email", "ops@example.com"},
                    {"role", "admin"}}},
                  {"dependent_agents", json::array()}};
    if (type == "url") {
      entry["url"] = "https://acme.example/faq";
    }
    if (type == "folder") {
      entry["children_count"] = 0;
      entry["document_count"] = 0;
    }
    return entry;
  };
  json page1 = {{"documents", json::array({item("d1", "text", "vami:front-desk:0a hours"),
                                           item("f1", "folder", "vami:folder")})},
                {"has_more", true},
                {"next_cursor", "cursor 2"}};
  expect_conforms(page1, "GetKnowledgeBaseListResponseModel");
  m_http.push_response(200, page1.dump());
  m_http.push_response(
      200, json{{"documents", json::array({item("d2", "url", "vami:front-desk:0b faq")})},
                {"has_more", false},
                {"next_cursor", nullptr}}
               .dump());
  auto documents = m_provider->list_documents("vami:front-desk:");
  ASSERT_EQ(documents.size(), 2U);
  EXPECT_EQ(documents[0].document_id, "d1");
  EXPECT_EQ(documents[0].name, "vami:front-desk:0a hours");
  EXPECT_EQ(documents[0].kind, DocumentSourceKind::text);
  EXPECT_EQ(documents[1].document_id, "d2");
  EXPECT_EQ(documents[1].kind, DocumentSourceKind::url);
  auto requests = m_http.requests();
  ASSERT_EQ(requests.size(), 2U);
  expect_request(requests[0], "GET", "/v1/convai/knowledge-base",
                 {{"search", "vami:front-desk:"}, {"page_size", "100"}});
  expect_request(requests[1], "GET", "/v1/convai/knowledge-base",
                 {{"search", "vami:front-desk:"}, {"page_size", "100"}, {"cursor", "cursor 2"}});
  for (const auto& request : requests) {
    expect_no_body(request);
    expect_documented(request, "/v1/convai/knowledge-base", "get");
  }
}

TEST_F(ElevenLabsProviderTest, ListDocumentsThrowsWhenAPageFails) {
  m_http.push_response(200, R"({"documents": [], "has_more": true, "next_cursor": "c2"})");
  m_http.push_response(503, "{}");
  EXPECT_EQ(error_of([&] { (void)m_provider->list_documents(""); }).kind(), ErrorKind::unavailable);
}

// ---- phone numbers ---------------------------------------------------------------------------

TEST_F(ElevenLabsProviderTest, ImportNumberGivesElevenLabsTheTwilioCredentials) {
  REQUIRE_SPEC();
  m_http.push_response(200, R"({"phone_number_id": "phnum_1"})");
  ImportedNumber number = m_provider->import_number("+12125550101", "vami:acme");
  EXPECT_EQ(number.phone_number_id, "phnum_1");
  EXPECT_EQ(number.e164, "+12125550101");
  EXPECT_EQ(number.label, "vami:acme");
  EXPECT_EQ(number.agent_id, "");

  auto request = m_http.last_request();
  expect_request(request, "POST", "/v1/convai/phone-numbers");
  json body = json_body(request);
  EXPECT_EQ(body, json({{"phone_number", "+12125550101"},
                        {"label", "vami:acme"},
                        {"sid", k_twilio_sid},
                        {"token", k_twilio_token},
                        {"provider", "twilio"}}));
  expect_documented(request, "/v1/convai/phone-numbers", "post");
  expect_conforms(body, "CreateTwilioPhoneNumberRequest");
}

TEST_F(ElevenLabsProviderTest, ImportNumberWithAnApiKeyAddsTheAccountAuthToken) {
  REQUIRE_SPEC();
  ElevenLabsConfig config = full_config();
  config.twilio_sid = "SKcccccccccccccccccccccccccccccccc";
  config.twilio_account_auth_token = k_account_auth_token;
  auto provider = make_provider(config);
  m_http.push_response(200, R"({"phone_number_id": "phnum_2"})");
  (void)provider->import_number("+12125550102", "vami:acme");
  json body = json_body(m_http.last_request());
  EXPECT_EQ(body.at("sid"), "SKcccccccccccccccccccccccccccccccc");
  EXPECT_EQ(body.at("account_auth_token"), k_account_auth_token);
  expect_conforms(body, "CreateTwilioPhoneNumberRequest");
}

TEST_F(ElevenLabsProviderTest, ImportNumberWithoutTwilioCredentialsSendsNothing) {
  ElevenLabsConfig config = full_config();
  config.twilio_token.clear();
  auto provider = make_provider(config);
  Error error = error_of([&] { (void)provider->import_number("+12125550101", "x"); });
  EXPECT_EQ(error.kind(), ErrorKind::auth);
  EXPECT_THAT(error.hint(), HasSubstr("TWILIO_AUTH_TOKEN"));
  EXPECT_EQ(m_http.call_count(), 0U);
}

TEST_F(ElevenLabsProviderTest, ImportOfANumberTheTwilioAccountDoesNotOwnIsInvalidInput) {
  m_http.push_response(
      400, detail_error("phone_number_not_found", "Phone number not found in the Twilio account")
               .dump());
  Error error = error_of([&] { (void)m_provider->import_number("+12125550101", "x"); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_STREQ(error.what(), "cannot import +12125550101 into the Agents Platform at ElevenLabs: "
                             "Phone number not found in the Twilio account (HTTP 400, "
                             "phone_number_not_found)");
  EXPECT_THAT(error.hint(), HasSubstr("the Twilio account owns +12125550101"));

  // The same refusal as a validation error of `phone_number` gets the same hint.
  m_http.push_response(422, validation_error({{{"loc", {"body", "phone_number"}},
                                               {"msg", "Value error, not a number of the account"},
                                               {"type", "value_error"}}})
                                .dump());
  error = error_of([&] { (void)m_provider->import_number("+12125550101", "x"); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(error.what(),
              HasSubstr("body.phone_number: Value error, not a number of the account"));
  EXPECT_THAT(error.hint(), HasSubstr("the Twilio account owns +12125550101"));
}

json number_response(const std::string& id, const json& assigned) {
  return json{{"phone_number", "+12125550101"}, {"label", "vami:acme"},
              {"phone_number_id", id},          {"provider", "twilio"},
              {"supports_inbound", true},       {"supports_outbound", true},
              {"assigned_agent", assigned}};
}

TEST_F(ElevenLabsProviderTest, AssignNumberPatchesTheAgentId) {
  REQUIRE_SPEC();
  json answer = number_response("phnum_1", {{"agent_id", "agent_1"}, {"agent_name", "Dr Smith"}});
  expect_conforms(answer, "GetPhoneNumberTwilioResponseModel");
  m_http.push_response(200, answer.dump());
  ImportedNumber number = m_provider->set_number_agent("phnum_1", "agent_1");
  EXPECT_EQ(number.phone_number_id, "phnum_1");
  EXPECT_EQ(number.e164, "+12125550101");
  EXPECT_EQ(number.label, "vami:acme");
  EXPECT_EQ(number.agent_id, "agent_1");

  auto request = m_http.last_request();
  expect_request(request, "PATCH", "/v1/convai/phone-numbers/phnum_1");
  EXPECT_EQ(json_body(request), json::parse(R"({"agent_id": "agent_1"})"));
  expect_documented(request, "/v1/convai/phone-numbers/{phone_number_id}", "patch");
}

TEST_F(ElevenLabsProviderTest, UnassignNumberSendsJsonNull) {
  REQUIRE_SPEC();
  m_http.push_response(200, number_response("phnum_1", nullptr).dump());
  ImportedNumber number = m_provider->set_number_agent("phnum_1", "");
  EXPECT_EQ(number.agent_id, "");

  auto request = m_http.last_request();
  json body = json_body(request);
  ASSERT_TRUE(body.contains("agent_id"));
  EXPECT_TRUE(body.at("agent_id").is_null());
  EXPECT_EQ(body.size(), 1U);
  EXPECT_EQ(request.body, R"({"agent_id":null})");
  expect_documented(request, "/v1/convai/phone-numbers/{phone_number_id}", "patch");

  m_http.push_response(404, R"({"detail": "Phone number not found"})");
  Error error = error_of([&] { (void)m_provider->set_number_agent("phnum_9", "agent_1"); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
  EXPECT_THAT(error.what(), HasSubstr("cannot assign number phnum_9 to agent agent_1"));
}

TEST_F(ElevenLabsProviderTest, ListImportedNumbersReadsThePlainArray) {
  REQUIRE_SPEC();
  json answer = json::array(
      {number_response("phnum_1", {{"agent_id", "agent_1"}, {"agent_name", "Dr Smith"}}),
       schema_example("GetPhoneNumberTwilioResponseModel")});
  m_http.push_response(200, answer.dump());
  auto numbers = m_provider->list_imported_numbers();

  auto request = m_http.last_request();
  expect_request(request, "GET", "/v1/convai/phone-numbers");
  expect_no_body(request);
  expect_documented(request, "/v1/convai/phone-numbers", "get");
  ASSERT_EQ(numbers.size(), 2U);
  EXPECT_EQ(numbers[0].phone_number_id, "phnum_1");
  EXPECT_EQ(numbers[0].agent_id, "agent_1");
  EXPECT_EQ(numbers[1].phone_number_id, "phone_123");
  EXPECT_EQ(numbers[1].e164, "+1234567890");
  EXPECT_EQ(numbers[1].label, "Customer Support");
  EXPECT_EQ(numbers[1].agent_id, "");

  m_http.push_response(200, R"({"phone_numbers": []})");
  Error error = error_of([&] { (void)m_provider->list_imported_numbers(); });
  EXPECT_THAT(error.what(), HasSubstr("the body is not a JSON array"));
  m_http.push_response(200,
                       R"([{"phone_number_id": "p", "phone_number": "+1", "assigned_agent": 5}])");
  error = error_of([&] { (void)m_provider->list_imported_numbers(); });
  EXPECT_THAT(error.what(), HasSubstr("'[0].assigned_agent' is not an object"));
}

TEST_F(ElevenLabsProviderTest, RemoveImportedNumberDeletesIt) {
  REQUIRE_SPEC();
  m_http.push_response(200, "null");
  m_provider->remove_imported_number("phnum_1");
  auto request = m_http.last_request();
  expect_request(request, "DELETE", "/v1/convai/phone-numbers/phnum_1");
  expect_no_body(request);
  expect_documented(request, "/v1/convai/phone-numbers/{phone_number_id}", "delete");

  m_http.push_response(404, "");
  EXPECT_EQ(error_of([&] { m_provider->remove_imported_number("phnum_2"); }).kind(),
            ErrorKind::not_found);
}

// ---- conversations ---------------------------------------------------------------------------

json conversations_page(int first, int count, bool has_more, const json& next_cursor) {
  json conversations = json::array();
  for (int i = first; i < first + count; ++i) {
    conversations.push_back({{"agent_id", "agent_1"},
                             {"conversation_id", "conv_" + std::to_string(i)},
                             {"start_time_unix_secs", 1716153600 + i},
                             {"call_duration_secs", 60 + i},
                             {"message_count", 4},
                             {"status", "done"},
                             {"call_successful", "success"}});
  }
  return json{
      {"conversations", conversations}, {"has_more", has_more}, {"next_cursor", next_cursor}};
}

TEST_F(ElevenLabsProviderTest, ListConversationsFollowsCursorsUpToTheLimit) {
  REQUIRE_SPEC();
  json page1 = conversations_page(0, 100, true, "c2");
  expect_conforms(page1, "GetConversationsPageResponseModel");
  m_http.push_response(200, page1.dump());
  m_http.push_response(200, conversations_page(100, 100, true, "c3").dump());
  m_http.push_response(200, conversations_page(200, 30, true, "c4").dump());

  auto conversations = m_provider->list_conversations("agent_1", 230);
  ASSERT_EQ(conversations.size(), 230U);
  EXPECT_EQ(conversations[0].conversation_id, "conv_0");
  EXPECT_EQ(conversations[0].agent_id, "agent_1");
  EXPECT_EQ(conversations[0].status, "done");
  EXPECT_EQ(conversations[0].start_time_unix, 1716153600);
  EXPECT_EQ(conversations[0].duration_seconds, 60);
  EXPECT_EQ(conversations[0].message_count, 4);
  EXPECT_EQ(conversations[0].call_successful, "success");
  EXPECT_EQ(conversations[229].conversation_id, "conv_229");

  auto requests = m_http.requests();
  ASSERT_EQ(requests.size(), 3U) << "the limit is reached: no fourth page";
  expect_request(requests[0], "GET", "/v1/convai/conversations",
                 {{"agent_id", "agent_1"}, {"page_size", "100"}});
  expect_request(requests[1], "GET", "/v1/convai/conversations",
                 {{"agent_id", "agent_1"}, {"page_size", "100"}, {"cursor", "c2"}});
  expect_request(requests[2], "GET", "/v1/convai/conversations",
                 {{"agent_id", "agent_1"}, {"page_size", "30"}, {"cursor", "c3"}});
  for (const auto& request : requests) {
    expect_documented(request, "/v1/convai/conversations", "get");
  }
}

TEST_F(ElevenLabsProviderTest, ListConversationsSinceReadsEveryPageFromASecondBefore) {
  REQUIRE_SPEC();
  m_http.push_response(200, conversations_page(0, 100, true, "c2").dump());
  m_http.push_response(200, conversations_page(100, 7, false, nullptr).dump());
  auto conversations = m_provider->list_conversations_since("agent_1", 1716153600);
  EXPECT_EQ(conversations.size(), 107U);
  auto requests = m_http.requests();
  ASSERT_EQ(requests.size(), 2U);
  expect_request(
      requests[0], "GET", "/v1/convai/conversations",
      {{"agent_id", "agent_1"}, {"call_start_after_unix", "1716153599"}, {"page_size", "100"}});
  expect_request(requests[1], "GET", "/v1/convai/conversations",
                 {{"agent_id", "agent_1"},
                  {"call_start_after_unix", "1716153599"},
                  {"page_size", "100"},
                  {"cursor", "c2"}});
  expect_documented(requests[0], "/v1/convai/conversations", "get");

  m_http.push_response(200, conversations_page(0, 1, false, nullptr).dump());
  (void)m_provider->list_conversations_since("agent_1", 0);
  expect_request(m_http.last_request(), "GET", "/v1/convai/conversations",
                 {{"agent_id", "agent_1"}, {"page_size", "100"}});
}

TEST_F(ElevenLabsProviderTest, GetConversationReadsThePhoneCallCostAnalysisAndTranscript) {
  REQUIRE_SPEC();
  json body = {{"agent_id", "agent_1"},
               {"conversation_id", "conv_1"},
               {"status", "done"},
               {"has_audio", false},
               {"has_user_audio", false},
               {"has_response_audio", false},
               {"has_auxiliary_audio", false},
               {"metadata",
                {{"start_time_unix_secs", 1739537297},
                 {"call_duration_secs", 22},
                 {"cost", 296},
                 {"cost_fiat", 0.1234},
                 {"phone_call",
                  {{"type", "twilio"},
                   {"direction", "inbound"},
                   {"phone_number_id", "phnum_1"},
                   {"agent_number", "+12125550101"},
                   {"external_number", "+14155550199"},
                   {"stream_sid", "MZ1"},
                   {"call_sid", "CA1"}}}}},
               {"analysis", {{"call_successful", "success"}, {"transcript_summary", "Booked."}}},
               {"transcript",
                {{{"role", "agent"}, {"message", "Hello."}, {"time_in_call_secs", 0}},
                 {{"role", "user"}, {"message", nullptr}, {"time_in_call_secs", 2}}}}};
  expect_conforms(body, "GetConversationResponseModel");
  m_http.push_response(200, body.dump());
  ConversationDetails details = m_provider->get_conversation("conv_1");
  expect_request(m_http.last_request(), "GET", "/v1/convai/conversations/conv_1", {});
  expect_documented(m_http.last_request(), "/v1/convai/conversations/{conversation_id}", "get");
  EXPECT_EQ(details.conversation.conversation_id, "conv_1");
  EXPECT_EQ(details.conversation.start_time_unix, 1739537297);
  EXPECT_EQ(details.conversation.duration_seconds, 22);
  EXPECT_EQ(details.conversation.call_successful, "success");
  EXPECT_EQ(details.call_sid, "CA1");
  EXPECT_EQ(details.agent_number, "+12125550101");
  EXPECT_EQ(details.external_number, "+14155550199");
  EXPECT_EQ(details.direction, CallDirection::inbound);
  EXPECT_EQ(details.cost, (Money{123'400, "USD"}));
  EXPECT_EQ(details.credits, 296);
  EXPECT_EQ(details.transcript_summary, "Booked.");
  ASSERT_EQ(details.transcript.size(), 2U);
  EXPECT_EQ(details.transcript[0], (TranscriptLine{"agent", "Hello.", 0}));
  EXPECT_EQ(details.transcript[1], (TranscriptLine{"user", "", 2}));

  m_http.push_response(404, R"({"detail": {"status": "conversation_not_found", "message": "x"}})");
  Error error = error_of([&] { (void)m_provider->get_conversation("conv_2"); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
}

TEST_F(ElevenLabsProviderTest, ListConversationsStopsAtTheEndAndNeverExceedsTheLimit) {
  m_http.push_response(200, conversations_page(0, 3, false, nullptr).dump());
  EXPECT_EQ(m_provider->list_conversations("agent_1", 10).size(), 3U);
  expect_request(m_http.last_request(), "GET", "/v1/convai/conversations",
                 {{"agent_id", "agent_1"}, {"page_size", "10"}});

  // A provider that sends more than asked is cut to the limit.
  m_http.push_response(200, conversations_page(0, 8, true, "c2").dump());
  EXPECT_EQ(m_provider->list_conversations("agent_1", 5).size(), 5U);

  std::size_t before = m_http.call_count();
  EXPECT_TRUE(m_provider->list_conversations("agent_1", 0).empty());
  EXPECT_EQ(m_http.call_count(), before) << "nothing to ask for";

  m_http.push_response(200, conversations_page(0, 1, true, "c2").dump());
  m_http.push_response(429, detail_error("system_busy", "busy").dump());
  Error error = error_of([&] { (void)m_provider->list_conversations("agent_1", 5); });
  EXPECT_EQ(error.kind(), ErrorKind::rate_limited);
  EXPECT_THAT(error.what(), HasSubstr("list the conversations of agent agent_1 (page 2)"));
}

// ---- errors ----------------------------------------------------------------------------------

struct ErrorCase {
  std::string name;
  int status;
  std::string body;
  http::Headers headers;
  ErrorKind kind;
  std::string code;
};

TEST_F(ElevenLabsProviderTest, MapsEveryErrorResponseToItsKind) {
  std::vector<ErrorCase> cases = {
      {"401",
       401,
       detail_error("invalid_api_key", "Invalid API key").dump(),
       {},
       ErrorKind::auth,
       "invalid_api_key"},
      {"401 empty", 401, "", {}, ErrorKind::auth, ""},
      {"403",
       403,
       detail_error("missing_permissions", "no convai_write").dump(),
       {},
       ErrorKind::provider,
       "missing_permissions"},
      {"404 text detail", 404, R"({"detail": "Not Found"})", {}, ErrorKind::not_found, ""},
      {"422",
       422,
       validation_error({{{"loc", {"body", "name"}}, {"msg", "bad"}, {"type", "string_type"}}})
           .dump(),
       {},
       ErrorKind::invalid_input,
       "string_type"},
      {"429 concurrency",
       429,
       detail_error("too_many_concurrent_requests", "Too many concurrent requests").dump(),
       {},
       ErrorKind::rate_limited,
       "too_many_concurrent_requests"},
      {"429 busy",
       429,
       detail_error("system_busy", "System is busy").dump(),
       {},
       ErrorKind::rate_limited,
       "system_busy"},
      {"busy on 503",
       503,
       detail_error("system_busy", "System is busy").dump(),
       {},
       ErrorKind::rate_limited,
       "system_busy"},
      {"500", 500, R"({"detail": "Internal Server Error"})", {}, ErrorKind::unavailable, ""},
      {"502 html",
       502,
       "<html><body><h1>502 Bad Gateway</h1></body></html>",
       {{"Content-Type", "text/html"}},
       ErrorKind::unavailable,
       ""},
      {"503 empty", 503, "", {}, ErrorKind::unavailable, ""},
      {"400 other",
       400,
       detail_error("invalid_request", "bad").dump(),
       {},
       ErrorKind::provider,
       "invalid_request"},
      {"409 old shape",
       409,
       R"({"error": "conflict", "message": "busy editing"})",
       {},
       ErrorKind::conflict,
       "conflict"},
      {"403 other",
       403,
       detail_error("missing_permissions", "no").dump(),
       {},
       ErrorKind::provider,
       "missing_permissions"},
  };
  for (const auto& one : cases) {
    SCOPED_TRACE(one.name);
    m_http.push_response(one.status, one.body, one.headers);
    Error error = error_of([&] { (void)m_provider->list_voices(); });
    EXPECT_EQ(error.kind(), one.kind);
    EXPECT_THAT(error.what(), StartsWith("cannot list voices at ElevenLabs: "));
    EXPECT_FALSE(error.hint().empty());
    ASSERT_TRUE(error.provider_detail().has_value());
    EXPECT_EQ(error.provider_detail()->provider, "elevenlabs");
    EXPECT_EQ(error.provider_detail()->http_status, one.status);
    EXPECT_EQ(error.provider_detail()->code, one.code);
  }
}

TEST_F(ElevenLabsProviderTest, AuthFailureSaysToCheckTheKey) {
  m_http.push_response(401, detail_error("invalid_api_key", "Invalid API key").dump(),
                       {{"request-id", "req_401"}});
  Error error = error_of([&] { (void)m_provider->list_agents(""); });
  EXPECT_EQ(error.kind(), ErrorKind::auth);
  EXPECT_STREQ(error.what(),
               "cannot list agents at ElevenLabs: Invalid API key (HTTP 401, invalid_api_key)");
  EXPECT_THAT(error.hint(), HasSubstr("ELEVENLABS_API_KEY"));
  EXPECT_EQ(error.provider_detail()->message, "Invalid API key");
  EXPECT_EQ(error.provider_detail()->request_id, "req_401");
}

TEST_F(ElevenLabsProviderTest, ValidationErrorJoinsEveryMessageWithItsField) {
  m_http.push_response(
      422,
      validation_error({{{"loc", {"body", "conversation_config", "agent", "language"}},
                         {"msg", "Input should be a valid language code"},
                         {"type", "value_error"}},
                        {{"loc", {"body", "tags", 1}},
                         {"msg", "Input should be a valid string"},
                         {"type", "string_type"},
                         {"input", 5}}})
          .dump(),
      {{"x-request-id", "req_422"}});
  AgentDefinition definition;
  definition.name = "Dr Smith";
  Error error = error_of([&] { (void)m_provider->create_agent(definition); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_STREQ(error.what(), "cannot create agent \"Dr Smith\" at ElevenLabs: "
                             "body.conversation_config.agent.language: Input should be a valid "
                             "language code; body.tags[1]: Input should be a valid string "
                             "(HTTP 422, value_error)");
  EXPECT_EQ(error.provider_detail()->code, "value_error");
  EXPECT_EQ(error.provider_detail()->request_id, "req_422");
  EXPECT_EQ(error.hint(), "correct the fields ElevenLabs named and try again");
}

TEST_F(ElevenLabsProviderTest, RateLimitKeepsRetryAfterAndNamesTheLimit) {
  m_http.push_response(
      429,
      detail_error("too_many_concurrent_requests", "You have too many concurrent requests").dump(),
      {{"Retry-After", "7"}});
  Error error = error_of([&] { (void)m_provider->list_voices(); });
  EXPECT_EQ(error.kind(), ErrorKind::rate_limited);
  ASSERT_TRUE(error.retry_after_seconds().has_value());
  EXPECT_DOUBLE_EQ(*error.retry_after_seconds(), 7.0);
  EXPECT_EQ(error.hint(), "the account's limit of concurrent requests was reached; send fewer "
                          "requests at once and retry in 7 s, as ElevenLabs asked");

  m_http.push_response(429, detail_error("system_busy", "busy").dump());
  error = error_of([&] { (void)m_provider->list_voices(); });
  EXPECT_FALSE(error.retry_after_seconds().has_value());
  EXPECT_EQ(error.hint(), "ElevenLabs is busy; retry in a moment");
}

TEST_F(ElevenLabsProviderTest, RateLimitReadsRetryAfterAsAnHttpDate) {
  std::time_t later = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                           std::chrono::hours(1));
  std::tm utc{};
  gmtime_r(&later, &utc);
  char date[64] = {};
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  m_http.push_response(429, "", {{"Retry-After", date}});
  Error error = error_of([&] { (void)m_provider->list_voices(); });
  ASSERT_TRUE(error.retry_after_seconds().has_value()) << date;
  EXPECT_GT(*error.retry_after_seconds(), 3000.0);
  EXPECT_LE(*error.retry_after_seconds(), 3601.0);

  m_http.push_response(429, "", {{"Retry-After", "Thu, 01 Jan 2015 00:00:00 GMT"}});
  error = error_of([&] { (void)m_provider->list_voices(); });
  ASSERT_TRUE(error.retry_after_seconds().has_value());
  EXPECT_EQ(*error.retry_after_seconds(), 0.0) << "a date in the past means now";

  m_http.push_response(429, "", {{"Retry-After", "soon"}});
  error = error_of([&] { (void)m_provider->list_voices(); });
  EXPECT_FALSE(error.retry_after_seconds().has_value());
}

TEST_F(ElevenLabsProviderTest, UnparseableErrorBodiesStillSayWhatFailed) {
  m_http.push_response(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
  Error error = error_of([&] { m_provider->delete_agent("agent_1"); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  EXPECT_STREQ(error.what(),
               "cannot delete agent agent_1 at ElevenLabs: HTTP 502 with a body that is not JSON");
  EXPECT_THAT(error.hint(), HasSubstr("retry later"));

  m_http.push_response(400, R"({"detail": {"unexpected": true}})");
  error = error_of([&] { m_provider->delete_agent("agent_1"); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_STREQ(error.what(), "cannot delete agent agent_1 at ElevenLabs: HTTP 400");

  m_http.push_response(403, R"(["odd"])");
  error = error_of([&] { m_provider->delete_agent("agent_1"); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.hint(), HasSubstr("permissions"));
}

TEST_F(ElevenLabsProviderTest, TransportFailuresPassThroughUnchanged) {
  m_http.fail_at(1, test::HttpFault::connection_refused);
  Error error = error_of([&] { (void)m_provider->list_voices(); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  EXPECT_STREQ(error.what(),
               "GET https://api.elevenlabs.test/v1/voices failed: connection refused");
}

TEST_F(ElevenLabsProviderTest, SecretsNeverAppearInErrors) {
  const std::string echo = std::string("key ") + k_api_key + " token " + k_twilio_token + " auth " +
                           k_account_auth_token;
  ElevenLabsConfig config = full_config();
  config.twilio_account_auth_token = k_account_auth_token;
  auto provider = make_provider(config);
  std::vector<http::HttpResponse> answers = {
      {401, {}, detail_error("invalid_api_key", echo).dump()},
      {400, {}, detail_error(echo, echo).dump()},
      {422,
       {},
       validation_error({{{"loc", {"body", echo}}, {"msg", echo}, {"type", echo}}}).dump()},
      {500, {}, json{{"detail", echo}}.dump()},
      {200, {}, echo},
      {200, {}, json{{"phone_number_id", 7}, {"echo", echo}}.dump()},
  };
  for (const auto& answer : answers) {
    SCOPED_TRACE(answer.body);
    m_http.push_response(answer);
    Error error = error_of([&] { (void)provider->import_number("+12125550101", "x"); });
    std::string everything = std::string(error.what()) + error.hint();
    if (error.provider_detail()) {
      everything += error.provider_detail()->message + error.provider_detail()->code +
                    error.provider_detail()->more_info + error.provider_detail()->request_id;
    }
    EXPECT_THAT(everything, Not(HasSubstr(k_api_key)));
    EXPECT_THAT(everything, Not(HasSubstr(k_twilio_token)));
    EXPECT_THAT(everything, Not(HasSubstr(k_account_auth_token)));
  }
}

TEST_F(ElevenLabsProviderTest, IsSafeFromManyThreads) {
  std::atomic<int> served{0};
  m_http.set_handler([&](const http::HttpRequest&) {
    ++served;
    return http::HttpResponse{200, {}, R"({"voices": [{"voice_id": "v1", "name": "Rachel"}]})"};
  });
  std::vector<std::thread> threads;
  std::atomic<int> voices{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        voices += static_cast<int>(m_provider->list_voices().size());
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(served.load(), 200);
  EXPECT_EQ(voices.load(), 200);
}

TEST(ElevenLabsProvider, NameIsElevenLabs) {
  test::FakeHttpClient http;
  auto provider = make_elevenlabs_provider(ElevenLabsConfig{}, http);
  EXPECT_EQ(provider->name(), "elevenlabs");
}

TEST_F(ElevenLabsProviderTest, AnswersTheVoiceUrlItsTwilioImportsGiveANumber) {
  // The native integration's inbound endpoint, on the account's regional host; no request.
  EXPECT_TRUE(m_provider->answers_voice_url("https://api.us.elevenlabs.io/twilio/inbound_call"));
  EXPECT_TRUE(m_provider->answers_voice_url("https://api.elevenlabs.io/twilio/inbound_call"));
  EXPECT_TRUE(
      m_provider->answers_voice_url("https://api.eu.residency.elevenlabs.io/twilio/inbound_call"));
  EXPECT_FALSE(m_provider->answers_voice_url(""));
  EXPECT_FALSE(m_provider->answers_voice_url("http://api.us.elevenlabs.io/twilio/inbound_call"));
  EXPECT_FALSE(m_provider->answers_voice_url("https://router.example.com/voice?agent_id=a"));
  EXPECT_FALSE(m_provider->answers_voice_url("https://evil-elevenlabs.io/twilio/inbound_call"));
  EXPECT_FALSE(
      m_provider->answers_voice_url("https://api.elevenlabs.io.evil.com/twilio/inbound_call"));
  EXPECT_FALSE(m_provider->answers_voice_url("https://api.elevenlabs.io/twilio/other"));
}

} // namespace
} // namespace vami::elevenlabs

// ---- register-call -----------------------------------------------------------------------------

namespace vami::elevenlabs {
namespace {

class ElevenLabsRegisterCallTest : public ElevenLabsProviderTest {
protected:
  static CallRegistration registration() {
    CallRegistration call;
    call.agent_id = "agent_7";
    call.from_number = "+14155550123";
    call.to_number = "+12125550101";
    call.user_id = "acme";
    call.dynamic_variables = {{"vami_tenant", "acme"}, {"vami_call_sid", "CA123"}};
    return call;
  }
};

TEST_F(ElevenLabsRegisterCallTest, PostsTheDocumentedBodyAndReturnsTheTwiml) {
  REQUIRE_SPEC();
  const std::string twiml = R"(<?xml version="1.0" encoding="UTF-8"?><Response><Connect>)"
                            R"(<Stream url="wss://example/x"/></Connect></Response>)";
  m_http.push_response(200, twiml, {{"Content-Type", "text/html; charset=utf-8"}});
  EXPECT_EQ(m_provider->register_call(registration()), twiml);

  auto request = m_http.last_request();
  expect_request(request, "POST", "/v1/convai/twilio/register-call");
  EXPECT_EQ(header_of(request, "Accept"), "text/html");
  EXPECT_EQ(json_body(request), json::parse(R"({
              "agent_id": "agent_7", "from_number": "+14155550123", "to_number": "+12125550101",
              "direction": "inbound",
              "conversation_initiation_client_data": {
                "user_id": "acme",
                "dynamic_variables": {"vami_tenant": "acme", "vami_call_sid": "CA123"}}})"));
  expect_documented(request, "/v1/convai/twilio/register-call", "post");
}

TEST_F(ElevenLabsRegisterCallTest, LeavesOutEmptyClientData) {
  m_http.push_response(200, "<Response/>");
  CallRegistration call = registration();
  call.user_id.clear();
  call.dynamic_variables.clear();
  call.direction = CallDirection::outbound_api;
  (void)m_provider->register_call(call);
  json body = json_body(m_http.last_request());
  EXPECT_FALSE(body.contains("conversation_initiation_client_data"));
  EXPECT_EQ(body["direction"], "outbound");
}

TEST_F(ElevenLabsRegisterCallTest, ABodyThatIsNotTwimlIsRefused) {
  m_http.push_response(200, "<html><body>Sign in</body></html>");
  Error error = error_of([&] { (void)m_provider->register_call(registration()); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("not a TwiML document"));
}

TEST_F(ElevenLabsRegisterCallTest, ErrorsAreTyped) {
  m_http.push_response(404, R"({"detail":{"status":"agent_not_found","message":"nope"}})");
  EXPECT_EQ(error_of([&] { (void)m_provider->register_call(registration()); }).kind(),
            ErrorKind::not_found);
  m_http.push_response(503, "upstream down");
  EXPECT_EQ(error_of([&] { (void)m_provider->register_call(registration()); }).kind(),
            ErrorKind::unavailable);
  m_http.push_response(429, R"({"detail":{"status":"too_many_concurrent_requests"}})");
  EXPECT_EQ(error_of([&] { (void)m_provider->register_call(registration()); }).kind(),
            ErrorKind::rate_limited);
}

} // namespace
} // namespace vami::elevenlabs
