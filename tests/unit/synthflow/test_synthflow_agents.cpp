// The Synthflow client's agents, voices, calls and settings against a fake HTTP client: the
// requests it builds and how it reads the answers (../shared/specs/synthflow_openapi.json).
#include "synthflow_test_support.hpp"

namespace vami::synthflow::test_support {
namespace {

TEST(SynthflowAgents, CreateSendsAnInboundAgentWithTheMarkerAndReturnsItsId) {
  Fixture f;
  f.http.push_response(200, ok({{"model_id", "m-1"}}));
  AgentDefinition definition;
  definition.name = "Front Desk";
  definition.prompt = "Book appointments.";
  definition.first_message = "Hello, Acme Dental.";
  definition.voice_id = "v-1";
  definition.language = "de";
  definition.tags = {"vami", "vami-agent:front-desk", "vami-tenant:acme"};
  EXPECT_EQ(f.provider->create_agent(definition), "m-1");

  http::HttpRequest request = f.http.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, std::string(k_base) + "/assistants");
  bool bearer = false;
  for (const auto& [name, value] : request.headers) {
    bearer = bearer || (name == "Authorization" && value == std::string("Bearer ") + k_api_key);
  }
  EXPECT_TRUE(bearer);
  json body = body_of(request);
  EXPECT_EQ(body["type"], "inbound");
  EXPECT_EQ(body["name"], "Front Desk");
  EXPECT_EQ(body["description"], marker("vami vami-agent:front-desk vami-tenant:acme"));
  EXPECT_EQ(body["agent"]["prompt"], "Book appointments.");
  EXPECT_EQ(body["agent"]["greeting_message"], "Hello, Acme Dental.");
  EXPECT_EQ(body["agent"]["greeting_message_mode"], "agent_static");
  EXPECT_EQ(body["agent"]["voice_id"], "v-1");
  EXPECT_EQ(body["agent"]["language"], "de-DE");
}

TEST(SynthflowAgents, CreateWithoutGreetingVoiceOrLanguageLetsTheCallerSpeakFirst) {
  Fixture f;
  f.http.push_response(200, ok({{"model_id", "m-1"}}));
  AgentDefinition definition;
  definition.name = "Quiet";
  definition.prompt = "Listen.";
  (void)f.provider->create_agent(definition);
  json agent = body_of(f.http.last_request())["agent"];
  EXPECT_EQ(agent["greeting_message_mode"], "human");
  EXPECT_FALSE(agent.contains("greeting_message"));
  EXPECT_FALSE(agent.contains("voice_id"));
  EXPECT_FALSE(agent.contains("language"));
}

TEST(SynthflowAgents, ALanguageSynthflowDoesNotSpeakIsRefusedBeforeAnyRequest) {
  Fixture f;
  AgentDefinition definition;
  definition.name = "Front Desk";
  definition.language = "sw";
  Error error = error_of([&] { (void)f.provider->create_agent(definition); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(error.what(), HasSubstr("\"sw\""));
  EXPECT_THAT(error.hint(), HasSubstr("en-US"));
  EXPECT_EQ(f.http.call_count(), 0U);
}

TEST(SynthflowAgents, CreateAttachesItsKnowledgeAndDeletesTheAgentWhenAnAttachFails) {
  Fixture f;
  f.http.push_response(200, ok({{"model_id", "m-1"}}));
  f.http.push_response(200, ok({{"knowledge_base_id", "kb-1"}, {"model_id", "m-1"}}));
  f.http.push_response(400, R"({"detail": {"status": "error", "description": "no such kb",)"
                            R"( "request_id": "r-9", "category": "validation"}})");
  f.http.push_response(200, ok({{"answer", "deleted"}}));
  AgentDefinition definition;
  definition.name = "Front Desk";
  definition.knowledge_base = {{"kb-1", "FAQ", DocumentSourceKind::url},
                               {"kb-2", "Prices", DocumentSourceKind::text}};
  Error error = error_of([&] { (void)f.provider->create_agent(definition); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_EQ(calls_of(f.http), (std::vector<std::string>{
                                  "POST /assistants", "POST /knowledge_base/kb-1/attach",
                                  "POST /knowledge_base/kb-2/attach", "DELETE /assistants/m-1"}));
  EXPECT_EQ(query_of(f.http.requests()[1]), (Fields{{"model_id", "m-1"}}));
  EXPECT_EQ(body_of(f.http.requests()[0])["description"], marker("", "url:kb-1 text:kb-2"));
}

TEST(SynthflowAgents, GetReadsTheDefinitionAndTheMarker) {
  Fixture f;
  json item =
      agent_item("m-1", "Front Desk", marker("vami vami-agent:front-desk", "url:kb-1 text:kb-2"));
  f.http.push_response(200, ok({{"assistants", json::array({item})}}));
  std::optional<ProviderAgent> agent = f.provider->get_agent("m 1");
  ASSERT_TRUE(agent.has_value());
  EXPECT_EQ(f.http.last_request().method, "GET");
  EXPECT_EQ(path_of(f.http.last_request()), "/assistants/m%201");
  EXPECT_EQ(agent->agent_id, "m-1");
  EXPECT_EQ(agent->definition.name, "Front Desk");
  EXPECT_EQ(agent->definition.prompt, "Book appointments.");
  EXPECT_EQ(agent->definition.first_message, "Hello.");
  EXPECT_EQ(agent->definition.voice_id, "v-1");
  EXPECT_EQ(agent->definition.language, "en");
  EXPECT_EQ(agent->definition.tags, (std::vector<std::string>{"vami", "vami-agent:front-desk"}));
  EXPECT_EQ(agent->definition.knowledge_base,
            (std::vector<KnowledgeBaseRef>{{"kb-1", "", DocumentSourceKind::url},
                                           {"kb-2", "", DocumentSourceKind::text}}));
}

TEST(SynthflowAgents, GetOfAnUnknownAgentIsEmpty) {
  Fixture f;
  f.http.push_response(404, R"({"detail": "Not Found"})");
  EXPECT_FALSE(f.provider->get_agent("gone").has_value());
  f.http.push_response(200, ok({{"assistants", json::array()}}));
  EXPECT_FALSE(f.provider->get_agent("gone").has_value());
}

TEST(SynthflowAgents, UpdateSendsOnlyTheSetFieldsThenReadsTheAgentBack) {
  Fixture f;
  f.http.push_response(200, ok({{"model_id", "m-1"}}));
  f.http.push_response(200, ok({{"assistants", json::array({agent_item("m-1", "New")})}}));
  AgentChange change;
  change.name = "New";
  change.first_message = "";
  change.language = "fr";
  ProviderAgent agent = f.provider->update_agent("m-1", change);
  EXPECT_EQ(agent.definition.name, "New");
  EXPECT_EQ(calls_of(f.http),
            (std::vector<std::string>{"PUT /assistants/m-1", "GET /assistants/m-1"}));
  json body = body_of(f.http.requests()[0]);
  EXPECT_EQ(body, (json{{"name", "New"},
                        {"agent", {{"greeting_message_mode", "human"}, {"language", "fr"}}}}));
}

TEST(SynthflowAgents, UpdateOfTheKnowledgeAttachesAndDetachesTheDifferenceThenWritesTheMarker) {
  Fixture f;
  const std::string before = marker("vami vami-agent:front-desk", "url:kb-1 text:kb-2");
  f.http.push_response(200, ok({{"assistants", json::array({agent_item("m-1", "F", before)})}}));
  f.http.push_response(200, ok({{"knowledge_base_id", "kb-3"}, {"model_id", "m-1"}}));
  f.http.push_response(404, R"({"detail": "Not Found"})"); // kb-1 deleted already: done
  f.http.push_response(200, ok({{"model_id", "m-1"}}));
  const std::string after = marker("vami vami-agent:front-desk", "text:kb-2 text:kb-3");
  f.http.push_response(200, ok({{"assistants", json::array({agent_item("m-1", "F", after)})}}));
  AgentChange change;
  change.knowledge_base = std::vector<KnowledgeBaseRef>{
      {"kb-2", "Prices", DocumentSourceKind::text}, {"kb-3", "Hours", DocumentSourceKind::text}};
  ProviderAgent agent = f.provider->update_agent("m-1", change);
  EXPECT_EQ(calls_of(f.http),
            (std::vector<std::string>{"GET /assistants/m-1", "POST /knowledge_base/kb-3/attach",
                                      "POST /knowledge_base/kb-1/detach", "PUT /assistants/m-1",
                                      "GET /assistants/m-1"}));
  EXPECT_EQ(body_of(f.http.requests()[2]), (json{{"model_id", "m-1"}}));
  EXPECT_EQ(body_of(f.http.requests()[3]), (json{{"description", after}}));
  ASSERT_EQ(agent.definition.knowledge_base.size(), 2U);
  EXPECT_EQ(agent.definition.knowledge_base[1].document_id, "kb-3");
}

TEST(SynthflowAgents, AFailedAttachLeavesTheMarkerAsItWas) {
  Fixture f;
  const std::string before = marker("vami", "url:kb-1");
  f.http.push_response(200, ok({{"assistants", json::array({agent_item("m-1", "F", before)})}}));
  f.http.fail_at(2, test::HttpFault::timeout);
  AgentChange change;
  change.knowledge_base = std::vector<KnowledgeBaseRef>{{"kb-1", "", DocumentSourceKind::url},
                                                        {"kb-2", "", DocumentSourceKind::url}};
  EXPECT_EQ(error_of([&] { (void)f.provider->update_agent("m-1", change); }).kind(),
            ErrorKind::unavailable);
  EXPECT_EQ(calls_of(f.http),
            (std::vector<std::string>{"GET /assistants/m-1", "POST /knowledge_base/kb-2/attach"}));
}

TEST(SynthflowAgents, UpdateToTheDefaultVoiceOrLanguageIsRefused) {
  Fixture f;
  AgentChange change;
  change.voice_id = "";
  EXPECT_EQ(error_of([&] { (void)f.provider->update_agent("m-1", change); }).kind(),
            ErrorKind::invalid_input);
  EXPECT_EQ(f.http.call_count(), 0U);
}

TEST(SynthflowAgents, UpdateOfAnUnknownAgentIsNotFound) {
  Fixture f;
  f.http.push_response(404, R"({"detail": {"status": "error", "description": "Agent not found",)"
                            R"( "request_id": "r-1", "category": "not_found"}})");
  AgentChange change;
  change.name = "X";
  Error error = error_of([&] { (void)f.provider->update_agent("m-9", change); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
  EXPECT_THAT(error.what(), HasSubstr("Agent not found"));
  EXPECT_EQ(error.provider_detail()->request_id, "r-1");
}

TEST(SynthflowAgents, DeleteSendsADeleteAndAnUnknownAgentIsNotFound) {
  Fixture f;
  f.http.push_response(200, ok({{"answer", "deleted"}}));
  f.provider->delete_agent("m-1");
  EXPECT_EQ(calls_of(f.http), (std::vector<std::string>{"DELETE /assistants/m-1"}));
  f.http.push_response(404, R"({"detail": "Not Found"})");
  EXPECT_EQ(error_of([&] { f.provider->delete_agent("m-1"); }).kind(), ErrorKind::not_found);
}

TEST(SynthflowAgents, ListReadsEveryPageAndFiltersNamesWithoutCase) {
  Fixture f;
  // Synthflow answers fewer than asked (a capped page): the total decides when to stop.
  f.http.push_response(200, page("assistants",
                                 json::array({agent_item("m-1", "Front Desk", marker("vami")),
                                              agent_item("m-2", "Night Line")}),
                                 3));
  f.http.push_response(200,
                       page("assistants", json::array({agent_item("m-3", "front desk ES")}), 3, 2));
  std::vector<AgentSummary> agents = f.provider->list_agents("FRONT");
  ASSERT_EQ(agents.size(), 2U);
  EXPECT_EQ(agents[0].agent_id, "m-1");
  EXPECT_EQ(agents[0].tags, (std::vector<std::string>{"vami"}));
  EXPECT_EQ(agents[0].voice_id, "v-1");
  EXPECT_EQ(agents[1].agent_id, "m-3");
  std::vector<http::HttpRequest> requests = f.http.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(path_of(requests[0]), "/assistants/");
  EXPECT_EQ(query_of(requests[0]), (Fields{{"limit", "100"}, {"offset", "0"}}));
  EXPECT_EQ(query_of(requests[1]), (Fields{{"limit", "100"}, {"offset", "2"}}));
}

TEST(SynthflowAgents, ListWithoutATotalStopsAtAShortPageAndReadsALoneObject) {
  Fixture f;
  // The contract types the list's `assistants` as one object; read as a list of one.
  f.http.push_response(200, ok({{"assistants", agent_item("m-1", "Front Desk")}}));
  EXPECT_EQ(f.provider->list_agents("").size(), 1U);
  EXPECT_EQ(f.http.call_count(), 1U);
}

TEST(SynthflowAgents, AFailedPageFailsTheWholeList) {
  Fixture f;
  f.http.push_response(200, page("assistants", json::array({agent_item("m-1", "A")}), 2));
  f.http.fail_at(2, test::HttpFault::server_error);
  EXPECT_EQ(error_of([&] { (void)f.provider->list_agents(""); }).kind(), ErrorKind::unavailable);
}

TEST(SynthflowAgents, AnAmbiguousCreateIsFoundAgainByItsMarkerTag) {
  // What AgentService does after a create whose answer was lost (see
  // test_synthflow_agent_service.cpp): list the agents by name and look for the tag.
  Fixture f;
  f.http.fail_at(1, test::HttpFault::timeout);
  AgentDefinition definition;
  definition.name = "Front Desk";
  definition.tags = {"vami", "vami-agent:front-desk"};
  EXPECT_EQ(error_of([&] { (void)f.provider->create_agent(definition); }).kind(),
            ErrorKind::unavailable);
  json made = agent_item("m-7", "Front Desk", marker("vami vami-agent:front-desk"));
  f.http.push_response(200, page("assistants", json::array({made}), 1));
  std::vector<AgentSummary> found = f.provider->list_agents("Front Desk");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].agent_id, "m-7");
  EXPECT_THAT(found[0].tags, ::testing::Contains("vami-agent:front-desk"));
}

TEST(SynthflowVoices, ListReadsTheWorkspaceVoices) {
  Fixture f;
  json voice = {{"voice_id", "v-1"},  {"name", "Rachel"},          {"provider", "elevenlabs"},
                {"gender", "female"}, {"languages", {"en", "de"}}, {"workspace", "ws-1"}};
  f.http.push_response(200, page("voices", json::array({voice, {{"voice_id", "v-2"}}}), 2));
  std::vector<Voice> voices = f.provider->list_voices();
  ASSERT_EQ(voices.size(), 2U);
  EXPECT_EQ(voices[0].voice_id, "v-1");
  EXPECT_EQ(voices[0].name, "Rachel");
  EXPECT_EQ(voices[0].category, "elevenlabs");
  EXPECT_EQ(voices[0].gender, "female");
  EXPECT_EQ(voices[0].description, "en, de");
  EXPECT_EQ(path_of(f.http.last_request()), "/voices");
  EXPECT_EQ(query_of(f.http.last_request()),
            (Fields{{"workspace", "ws-1"}, {"limit", "100"}, {"offset", "0"}}));
}

TEST(SynthflowVoices, NoWorkspaceIsRefusedBeforeAnyRequest) {
  Fixture f("");
  Error error = error_of([&] { (void)f.provider->list_voices(); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(error.what(), HasSubstr("SYNTHFLOW_WORKSPACE_ID"));
  EXPECT_EQ(f.http.call_count(), 0U);
}

json call_item(const std::string& id) {
  return {{"call_id", id},
          {"model_id", "m-1"},
          {"duration", 42},
          {"call_status", "completed"},
          {"start_time", "1732546200000"},
          {"type_of_call", "inbound"},
          {"phone_number_from", "+15550001111"},
          {"phone_number_to", "+12125550101"},
          {"transcript", "bot: Hello.\nhuman: Book me in.\n"}};
}

TEST(SynthflowCalls, ListStopsAtTheLimit) {
  Fixture f;
  f.http.push_response(200, page("calls", json::array({call_item("c-1"), call_item("c-2")}), 9));
  std::vector<Conversation> calls = f.provider->list_conversations("m-1", 2);
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].conversation_id, "c-1");
  EXPECT_EQ(calls[0].agent_id, "m-1");
  EXPECT_EQ(calls[0].status, "completed");
  EXPECT_EQ(calls[0].start_time_unix, 1732546200);
  EXPECT_EQ(calls[0].duration_seconds, 42);
  EXPECT_EQ(f.http.call_count(), 1U);
  EXPECT_EQ(query_of(f.http.last_request()),
            (Fields{{"model_id", "m-1"}, {"limit", "2"}, {"offset", "0"}}));
}

TEST(SynthflowCalls, SinceAsksFromTheTimeInMillisecondsAndReadsToTheEnd) {
  Fixture f;
  f.http.push_response(200, page("calls", json::array({call_item("c-1")}), 2));
  f.http.push_response(200, page("calls", json::array({call_item("c-2")}), 2, 1));
  EXPECT_EQ(f.provider->list_conversations_since("m-1", 1732546200).size(), 2U);
  EXPECT_EQ(
      query_of(f.http.requests()[1]),
      (Fields{
          {"model_id", "m-1"}, {"from_date", "1732546200000"}, {"limit", "100"}, {"offset", "1"}}));
}

TEST(SynthflowCalls, GetReadsTheNumbersAndTheTranscript) {
  Fixture f;
  f.http.push_response(200, ok({{"calls", json::array({call_item("c-1")})}}));
  ConversationDetails details = f.provider->get_conversation("c-1");
  EXPECT_EQ(path_of(f.http.last_request()), "/calls/c-1");
  EXPECT_EQ(details.conversation.conversation_id, "c-1");
  EXPECT_EQ(details.agent_number, "+12125550101");
  EXPECT_EQ(details.external_number, "+15550001111");
  EXPECT_EQ(details.direction, CallDirection::inbound);
  ASSERT_EQ(details.transcript.size(), 2U);
  EXPECT_EQ(details.transcript[0].role, "agent");
  EXPECT_EQ(details.transcript[1].role, "user");
  EXPECT_EQ(details.transcript[1].message, "Book me in.");
  f.http.push_response(404, R"({"detail": {"status": "error", "description": "Call not found",)"
                            R"( "request_id": "r-2", "category": "not_found"}})");
  EXPECT_EQ(error_of([&] { (void)f.provider->get_conversation("c-9"); }).kind(),
            ErrorKind::not_found);
}

TEST(SynthflowErrors, StatusesBecomeTypedErrorsWithTheProvidersWords) {
  struct Case {
    int status;
    std::string body;
    ErrorKind kind;
    std::string words;
  };
  std::vector<Case> cases = {
      {401, R"({"detail": "Invalid token"})", ErrorKind::auth, "Invalid token"},
      {403, R"({"error": "forbidden", "message": "No access"})", ErrorKind::auth, "No access"},
      {404, R"({"detail": "Not Found"})", ErrorKind::not_found, "Not Found"},
      {400,
       R"({"detail": {"status": "error", "description": "name is required", "request_id": "r-4",)"
       R"( "category": "validation"}})",
       ErrorKind::invalid_input, "name is required"},
      {422,
       R"({"detail": [{"loc": ["body", "agent", "language"], "msg": "bad value",)"
       R"( "type": "enum"}]})",
       ErrorKind::invalid_input, "body.agent.language: bad value"},
      {500, "<html>oops</html>", ErrorKind::unavailable, "not JSON"},
      {503, "", ErrorKind::unavailable, "HTTP 503"},
      {418, R"({"message": "teapot"})", ErrorKind::provider, "teapot"},
  };
  for (const Case& c : cases) {
    Fixture f;
    f.http.push_response(c.status, c.body);
    Error error = error_of([&] { f.provider->delete_agent("m-1"); });
    EXPECT_EQ(error.kind(), c.kind) << c.status;
    EXPECT_THAT(error.what(), HasSubstr("cannot delete agent m-1 at Synthflow")) << c.status;
    EXPECT_THAT(error.what(), HasSubstr(c.words)) << c.status;
    ASSERT_TRUE(error.provider_detail().has_value());
    EXPECT_EQ(error.provider_detail()->provider, "synthflow");
    EXPECT_EQ(error.provider_detail()->http_status, c.status);
  }
}

TEST(SynthflowErrors, RateLimitedKeepsRetryAfterAndTheRequestId) {
  Fixture f;
  f.http.push_response(429, R"({"detail": "Too many requests"})",
                       {{"Retry-After", "7"}, {"x-request-id", "req-42"}});
  Error error = error_of([&] { (void)f.provider->list_agents(""); });
  EXPECT_EQ(error.kind(), ErrorKind::rate_limited);
  EXPECT_EQ(error.retry_after_seconds(), 7.0);
  EXPECT_EQ(error.provider_detail()->request_id, "req-42");
  EXPECT_THAT(error.hint(), HasSubstr("7 s"));
}

TEST(SynthflowErrors, TheKeyNeverAppearsInAnError) {
  Fixture f;
  f.http.push_response(401, std::string(R"({"detail": "Bearer )") + k_api_key + R"( is invalid"})");
  Error error = error_of([&] { f.provider->delete_agent("m-1"); });
  EXPECT_THAT(error.what(), Not(HasSubstr(k_api_key)));
  EXPECT_THAT(error.provider_detail()->message, Not(HasSubstr(k_api_key)));
  EXPECT_THAT(error.what(), HasSubstr("[REDACTED]"));
}

TEST(SynthflowErrors, AnAnswerWithoutTheFieldVamiNeedsIsAProviderError) {
  Fixture f;
  f.http.push_response(200, ok(json::object()));
  AgentDefinition definition;
  definition.name = "X";
  Error error = error_of([&] { (void)f.provider->create_agent(definition); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("'response.model_id' is missing"));
  f.http.push_response(200, "not json");
  EXPECT_EQ(error_of([&] { (void)f.provider->get_agent("m-1"); }).kind(), ErrorKind::provider);
}

TEST(SynthflowErrors, TransportFailuresPassThrough) {
  Fixture f;
  f.http.fail_at(1, test::HttpFault::connection_refused);
  EXPECT_EQ(error_of([&] { f.provider->delete_agent("m-1"); }).kind(), ErrorKind::unavailable);
}

TEST(SynthflowUnsupported, WhatSynthflowHasNotIsRefusedSayingWhatToUse) {
  Fixture f;
  CallRegistration registration;
  std::vector<std::function<void()>> actions = {
      [&] { (void)f.provider->register_call(registration); },
      [&] { (void)f.provider->list_webhooks(); },
      [&] { (void)f.provider->get_webhook("w"); },
      [&] { (void)f.provider->create_webhook("n", "https://x.example"); },
      [&] { f.provider->delete_webhook("w"); },
      [&] { (void)f.provider->post_call_webhook(); },
      [&] { (void)f.provider->set_post_call_webhook({}); },
  };
  for (const auto& action : actions) {
    Error error = error_of(action);
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_THAT(error.what(), HasSubstr("Synthflow has no"));
    EXPECT_THAT(error.hint(), HasSubstr("webhook_url"));
  }
  EXPECT_EQ(f.http.call_count(), 0U);
  EXPECT_EQ(f.provider->name(), "synthflow");
}

TEST(SynthflowSettings, TheFactoryResolvesKeyRegionAndBaseUrl) {
  test::FakeHttpClient http;
  ProviderSettings settings;
  EXPECT_EQ(error_of([&] { (void)make_synthflow_provider(settings, http); }).kind(),
            ErrorKind::auth);
  settings.values["synthflow_api_key"] = k_api_key;
  settings.values["synthflow_region"] = "eu";
  auto provider = make_synthflow_provider(settings, http);
  http.push_response(200, ok({{"answer", "deleted"}}));
  provider->delete_agent("m-1");
  EXPECT_EQ(http.last_request().url, "https://api.eu.synthflow.ai/v2/assistants/m-1");
  settings.values["synthflow_base_url"] = "http://127.0.0.1:4010";
  provider = make_synthflow_provider(settings, http);
  http.push_response(200, ok({{"answer", "deleted"}}));
  provider->delete_agent("m-1");
  EXPECT_EQ(http.last_request().url, "http://127.0.0.1:4010/assistants/m-1");
  settings.values["synthflow_region"] = "ap";
  EXPECT_EQ(error_of([&] { (void)make_synthflow_provider(settings, http); }).kind(),
            ErrorKind::invalid_input);
  EXPECT_EQ(region_base_url(""), "https://api.synthflow.ai/v2");
  EXPECT_EQ(region_base_url("us"), "https://api.us.synthflow.ai/v2");
}

} // namespace
} // namespace vami::synthflow::test_support
