// The sandbox's ElevenLabs Agents Platform emulator, driven through SandboxEmulator::handle()
// with real HttpRequests, its responses checked against the schemas of ElevenLabs' API document.

#include "elevenlabs_emulator_client.hpp"

namespace {

using namespace vami::sandbox_testing; // NOLINT(google-build-using-namespace)

// ---- The checker the other tests rely on -----------------------------------------------------

TEST(ElevenLabsSchemaChecker, CatchesMissingMembersWrongTypesAndEnums) {
  REQUIRE_SPEC();
  const json& spec = *elevenlabs_spec();
  SchemaChecker checker(spec);
  const json schema = {{"$ref", "#/components/schemas/GetPhoneNumberTwilioResponseModel"}};
  auto errors_of = [&](const json& value) {
    std::vector<std::string> errors;
    checker.check(schema, value, "$", errors);
    return errors.size();
  };
  const json good = {{"phone_number", "+12125550101"},
                     {"label", "x"},
                     {"phone_number_id", "phnum_1"},
                     {"assigned_agent", nullptr},
                     {"provider", "twilio"}};
  EXPECT_EQ(errors_of(good), 0U);
  json missing = good;
  missing.erase("phone_number_id");
  EXPECT_GT(errors_of(missing), 0U);
  json wrong_type = good;
  wrong_type["label"] = 3;
  EXPECT_GT(errors_of(wrong_type), 0U);
  json wrong_const = good;
  wrong_const["provider"] = "exotel";
  EXPECT_GT(errors_of(wrong_const), 0U);
  json bad_agent = good;
  bad_agent["assigned_agent"] = {{"agent_id", "a"}}; // agent_name is required
  EXPECT_GT(errors_of(bad_agent), 0U);
}

// ---- Authentication and routing --------------------------------------------------------------

TEST_F(ElevenLabsSandboxTest, TheApiKeyIsDerivedFromTheAuthTokenAndStable) {
  auto credentials = m_emulator->credentials();
  EXPECT_EQ(credentials.value("elevenlabs_api_key"),
            "sk_" + sha256_hex("elevenlabs-api-key:" + credentials.auth_token).substr(0, 48));
  auto reopened = vami::sandbox::open_sandbox(state_path());
  EXPECT_EQ(reopened->credentials().value("elevenlabs_api_key"),
            credentials.value("elevenlabs_api_key"));
}

TEST_F(ElevenLabsSandboxTest, AWrongOrMissingKeyGetsInvalidApiKey) {
  const json expected =
      json::parse(R"({"detail":{"status":"invalid_api_key","message":"Invalid API key"}})");
  for (std::optional<std::string> key :
       {std::optional<std::string>("sk_wrong"), std::optional<std::string>(),
        std::optional<std::string>(m_client.credentials().auth_token)}) {
    m_client.set_api_key(key);
    for (const char* path : {"/v1/convai/agents", "/v1/voices", "/v2/voices",
                             "/v1/convai/phone-numbers", "/v1/convai/conversations"}) {
      HttpResponse response = m_client.get(path);
      EXPECT_EQ(response.status, 401) << path;
      EXPECT_EQ(json::parse(response.body), expected) << path;
    }
    EXPECT_EQ(
        m_client.post("/v1/convai/agents/create", {{"conversation_config", json::object()}}).status,
        401);
  }
  // Nothing was created by the refused requests.
  m_client.set_api_key(m_client.credentials().value("elevenlabs_api_key"));
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/agents").body).at("agents").size(), 0U);
}

TEST_F(ElevenLabsSandboxTest, EveryResponseCarriesARequestIdAndJson) {
  HttpResponse ok = m_client.get("/v1/voices");
  HttpResponse missing = m_client.get("/v1/convai/agents/agent_nope");
  m_client.set_api_key(std::nullopt);
  HttpResponse refused = m_client.get("/v1/voices");
  std::set<std::string> ids;
  for (const HttpResponse* response : {&ok, &missing, &refused}) {
    std::string id = response->header("request-id");
    EXPECT_EQ(id.size(), 32U);
    EXPECT_TRUE(is_lower_hex(id)) << id;
    ids.insert(id);
    EXPECT_NE(response->header("Content-Type").find("application/json"), std::string::npos);
    EXPECT_TRUE(response->header("Twilio-Request-Id").empty());
  }
  EXPECT_EQ(ids.size(), 3U);
}

TEST_F(ElevenLabsSandboxTest, UnknownRoutesAndMethods) {
  HttpResponse unknown = m_client.get("/v1/convai/no-such-thing");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body), json::parse(R"({"detail":"Not Found"})"));
  HttpResponse wrong_method = m_client.send("PUT", "/v1/convai/agents", "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(json::parse(wrong_method.body), json::parse(R"({"detail":"Method Not Allowed"})"));
  EXPECT_EQ(m_client.send("POST", "/v1/voices", "{}").status, 405);
  EXPECT_EQ(m_client.send("PUT", "/v1/convai/phone-numbers/phnum_x", "{}").status, 405);
  // Twilio's own /v1 (Pricing) is still Twilio's.
  HttpRequest pricing;
  pricing.url = std::string(k_origin) + "/v1/PhoneNumbers/Countries/US";
  pricing.headers.emplace_back("Authorization",
                               vami::http::basic_authorization(m_client.credentials().account_sid,
                                                               m_client.credentials().auth_token));
  EXPECT_EQ(m_emulator->handle(pricing).status, 200);
}

// ---- Agents ----------------------------------------------------------------------------------

TEST_F(ElevenLabsSandboxTest, CreateThenGetAnAgentWithTheServicesDefaults) {
  REQUIRE_SPEC();
  json body = {{"name", "Dr Smith Dental"},
               {"tags", {"vami-agent:dr-smith", "tenant:acme"}},
               {"conversation_config",
                {{"agent",
                  {{"first_message", "Hello, Dr Smith's office."},
                   {"language", "es"},
                   {"prompt", {{"prompt", "You are a receptionist."}}}}},
                 {"tts", {{"voice_id", "21m00Tcm4TlvDq8ikWAM"}}}}}};
  HttpResponse created = m_client.post("/v1/convai/agents/create", body);
  ASSERT_EQ(created.status, 200) << created.body;
  expect_documented("post", "/v1/convai/agents/create", created);
  std::string agent_id = json::parse(created.body).at("agent_id").get<std::string>();
  EXPECT_EQ(agent_id.rfind("agent_", 0), 0U) << agent_id;

  HttpResponse fetched = m_client.get("/v1/convai/agents/" + agent_id);
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  expect_documented("get", "/v1/convai/agents/{agent_id}", fetched);
  json agent = json::parse(fetched.body);
  EXPECT_EQ(agent.at("agent_id"), agent_id);
  EXPECT_EQ(agent.at("name"), "Dr Smith Dental");
  EXPECT_EQ(agent.at("tags"), json({"vami-agent:dr-smith", "tenant:acme"}));
  const json& config = agent.at("conversation_config");
  EXPECT_EQ(config.at("agent").at("first_message"), "Hello, Dr Smith's office.");
  EXPECT_EQ(config.at("agent").at("language"), "es");
  EXPECT_EQ(config.at("agent").at("prompt").at("prompt"), "You are a receptionist.");
  EXPECT_EQ(config.at("agent").at("prompt").at("knowledge_base"), json::array());
  EXPECT_EQ(config.at("tts").at("voice_id"), "21m00Tcm4TlvDq8ikWAM");
  EXPECT_GT(agent.at("metadata").at("created_at_unix_secs").get<std::int64_t>(), 1'600'000'000);
  EXPECT_EQ(agent.at("phone_numbers"), json::array());

  // Without a tts or language, the service's defaults fill in.
  std::string bare = m_client.create_named_agent("bare");
  json bare_agent = json::parse(m_client.get("/v1/convai/agents/" + bare).body);
  EXPECT_EQ(bare_agent.at("conversation_config").at("agent").at("language"), "en");
  EXPECT_EQ(bare_agent.at("conversation_config").at("tts").at("voice_id"), "cjVigY5qzO86Huf0OWal");
  EXPECT_EQ(bare_agent.at("tags"), json::array());
}

TEST_F(ElevenLabsSandboxTest, CreateValidatesTheBodyLikePydantic) {
  REQUIRE_SPEC();
  const std::string path = "/v1/convai/agents/create";
  HttpResponse missing = m_client.post(path, {{"name", "x"}});
  expect_validation_error(missing, {"body", "conversation_config"}, "missing");
  expect_documented("post", path, missing);

  expect_validation_error(m_client.send("POST", path, "{not json"), {"body", 0}, "json_invalid");
  expect_validation_error(m_client.send("POST", path, ""), {"body"}, "missing");
  expect_validation_error(m_client.send("POST", path, "[1]"), {"body"}, "model_attributes_type");
  expect_validation_error(m_client.post(path, {{"conversation_config", "x"}}),
                          {"body", "conversation_config"}, "model_attributes_type");

  // Several bad fields are reported together.
  HttpResponse many = m_client.post(
      path,
      {{"name", 7},
       {"tags", {"ok", 3}},
       {"conversation_config",
        {{"agent", {{"first_message", 1}, {"language", "xx"}, {"prompt", {{"prompt", false}}}}},
         {"tts", {{"voice_id", "NoSuchVoice000000000"}}}}}});
  expect_validation_error(many, {"body", "name"}, "string_type");
  expect_validation_error(many, {"body", "tags", 1}, "string_type");
  expect_validation_error(many, {"body", "conversation_config", "agent", "first_message"},
                          "string_type");
  expect_validation_error(many, {"body", "conversation_config", "agent", "language"},
                          "value_error");
  expect_validation_error(many, {"body", "conversation_config", "agent", "prompt", "prompt"},
                          "string_type");
  expect_validation_error(many, {"body", "conversation_config", "tts", "voice_id"}, "value_error");
  EXPECT_EQ(json::parse(many.body).at("detail").size(), 6U) << many.body;
  expect_documented("post", path, many);

  // Regional variants of a known language are accepted.
  EXPECT_EQ(
      m_client.post(path, {{"conversation_config", {{"agent", {{"language", "pt-br"}}}}}}).status,
      200);
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/agents").body).at("agents").size(), 1U);
}

TEST_F(ElevenLabsSandboxTest, KnowledgeBaseEntriesMustNameExistingDocuments) {
  std::string faq = m_client.add_text("Opening hours: 9 to 5.", "FAQ");
  const std::string path = "/v1/convai/agents/create";
  auto with_entries = [](const json& entries) {
    return json{{"conversation_config", {{"agent", {{"prompt", {{"knowledge_base", entries}}}}}}}};
  };
  expect_detail_error(
      m_client.post(path, with_entries({{{"type", "text"}, {"name", "x"}, {"id", "nope"}}})), 404,
      "document_not_found");
  expect_validation_error(
      m_client.post(path, with_entries({{{"type", "file"}, {"name", "FAQ"}, {"id", faq}}})),
      {"body", "conversation_config", "agent", "prompt", "knowledge_base", 0, "type"},
      "value_error");
  expect_validation_error(
      m_client.post(path, with_entries({{{"type", "text"}, {"name", "FAQ"}}})),
      {"body", "conversation_config", "agent", "prompt", "knowledge_base", 0, "id"}, "missing");
  expect_validation_error(
      m_client.post(path, with_entries({{{"type", "pdf"}, {"name", "FAQ"}, {"id", faq}}})),
      {"body", "conversation_config", "agent", "prompt", "knowledge_base", 0, "type"}, "enum");
  expect_validation_error(m_client.post(path, with_entries("faq")),
                          {"body", "conversation_config", "agent", "prompt", "knowledge_base"},
                          "list_type");
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/agents").body).at("agents").size(), 0U);

  std::string agent_id =
      m_client.create_agent(with_entries({{{"type", "text"}, {"name", "FAQ"}, {"id", faq}}}));
  json entries = json::parse(m_client.get("/v1/convai/agents/" + agent_id).body)
                     .at("conversation_config")
                     .at("agent")
                     .at("prompt")
                     .at("knowledge_base");
  EXPECT_EQ(entries, json::parse(R"([{"type":"text","name":"FAQ","id":")" + faq +
                                 R"(","usage_mode":"auto"}])"));
}

TEST_F(ElevenLabsSandboxTest, PatchDeepMergesTheConversationConfig) {
  REQUIRE_SPEC();
  std::string doc_a = m_client.add_text("A", "A");
  std::string doc_b = m_client.add_text("B", "B");
  std::string agent_id = m_client.create_agent(
      {{"name", "before"},
       {"tags", {"t1"}},
       {"conversation_config",
        {{"agent",
          {{"first_message", "Hi"},
           {"language", "fr"},
           {"prompt",
            {{"prompt", "old prompt"},
             {"llm", "gpt-4o"},
             {"knowledge_base",
              {{{"type", "text"}, {"name", "A"}, {"id", doc_a}},
               {{"type", "text"}, {"name", "B"}, {"id", doc_b}, {"usage_mode", "prompt"}}}}}}}},
         {"tts", {{"voice_id", "pNInz6obpgDQGcFmaJgB"}, {"stability", 0.3}}}}}});
  const std::string path = "/v1/convai/agents/" + agent_id;

  HttpResponse patched = m_client.patch(
      path, {{"conversation_config",
              {{"agent",
                {{"prompt",
                  {{"prompt", "new prompt"},
                   {"knowledge_base", {{{"type", "text"}, {"name", "B"}, {"id", doc_b}}}}}}}}}}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  expect_documented("patch", "/v1/convai/agents/{agent_id}", patched);
  json config = json::parse(patched.body).at("conversation_config");
  EXPECT_EQ(config.at("agent").at("prompt").at("prompt"), "new prompt");
  EXPECT_EQ(config.at("agent").at("prompt").at("llm"), "gpt-4o"); // object members merge
  EXPECT_EQ(config.at("agent").at("first_message"), "Hi");        // untouched siblings stay
  EXPECT_EQ(config.at("agent").at("language"), "fr");
  EXPECT_EQ(config.at("tts").at("voice_id"), "pNInz6obpgDQGcFmaJgB");
  EXPECT_EQ(config.at("tts").at("stability"), 0.3);
  // Arrays replace: only B is left, with the default usage mode of a new entry.
  EXPECT_EQ(
      config.at("agent").at("prompt").at("knowledge_base"),
      json::parse(R"([{"type":"text","name":"B","id":")" + doc_b + R"(","usage_mode":"auto"}])"));
  EXPECT_EQ(json::parse(patched.body).at("name"), "before");
  EXPECT_EQ(json::parse(patched.body).at("tags"), json({"t1"}));

  // Name and tags replace; the change persists.
  ASSERT_EQ(m_client.patch(path, {{"name", "after"}, {"tags", json::array()}}).status, 200);
  json agent = json::parse(m_client.get(path).body);
  EXPECT_EQ(agent.at("name"), "after");
  EXPECT_EQ(agent.at("tags"), json::array());
  EXPECT_EQ(agent.at("conversation_config").at("agent").at("prompt").at("prompt"), "new prompt");
  EXPECT_GE(agent.at("metadata").at("updated_at_unix_secs").get<std::int64_t>(),
            agent.at("metadata").at("created_at_unix_secs").get<std::int64_t>());

  // A refused patch changes nothing.
  expect_validation_error(
      m_client.patch(
          path, {{"name", "never"}, {"conversation_config", {{"tts", {{"voice_id", "unknown"}}}}}}),
      {"body", "conversation_config", "tts", "voice_id"}, "value_error");
  expect_detail_error(
      m_client.patch(
          path,
          {{"conversation_config",
            {{"agent",
              {{"prompt",
                {{"knowledge_base", {{{"type", "url"}, {"name", "x"}, {"id", "gone"}}}}}}}}}}}),
      404, "document_not_found");
  agent = json::parse(m_client.get(path).body);
  EXPECT_EQ(agent.at("name"), "after");
  EXPECT_EQ(agent.at("conversation_config").at("agent").at("prompt").at("knowledge_base").size(),
            1U);

  // An empty body is an empty patch.
  EXPECT_EQ(m_client.send("PATCH", path, "").status, 200);
  expect_detail_error(m_client.patch("/v1/convai/agents/agent_missing", {{"name", "x"}}), 404,
                      "agent_not_found");
}

TEST_F(ElevenLabsSandboxTest, DeletingAnAgentUnassignsItsNumbers) {
  REQUIRE_SPEC();
  std::string agent_id = m_client.create_named_agent("doomed");
  auto [sid, e164] = m_client.buy_number();
  std::string number_id = m_client.import_number(e164);
  ASSERT_EQ(
      m_client.patch("/v1/convai/phone-numbers/" + number_id, {{"agent_id", agent_id}}).status,
      200);

  HttpResponse deleted = m_client.del("/v1/convai/agents/" + agent_id);
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  expect_documented("delete", "/v1/convai/agents/{agent_id}", deleted);
  expect_detail_error(m_client.get("/v1/convai/agents/" + agent_id), 404, "agent_not_found");
  expect_detail_error(m_client.del("/v1/convai/agents/" + agent_id), 404, "agent_not_found");

  json number = json::parse(m_client.get("/v1/convai/phone-numbers/" + number_id).body);
  EXPECT_TRUE(number.at("assigned_agent").is_null());
  EXPECT_EQ(m_client.twilio_number(sid).at("voice_url"), k_inbound_url); // still imported
}

TEST_F(ElevenLabsSandboxTest, ListAgentsPagesNewestFirstWithCursors) {
  REQUIRE_SPEC();
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) {
    created.push_back(m_client.create_named_agent("agent " + std::to_string(i)));
  }
  std::vector<std::string> newest_first(created.rbegin(), created.rend());

  std::vector<std::string> seen;
  std::vector<std::size_t> page_sizes;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string path = "/v1/convai/agents?page_size=3";
    if (!cursor.empty()) {
      path += "&cursor=" + vami::http::url_encode(cursor);
    }
    HttpResponse response = m_client.get(path);
    ASSERT_EQ(response.status, 200) << response.body;
    expect_documented("get", "/v1/convai/agents", response);
    json body = json::parse(response.body);
    auto ids = ids_of(body.at("agents"), "agent_id");
    seen.insert(seen.end(), ids.begin(), ids.end());
    page_sizes.push_back(ids.size());
    if (!body.at("has_more").get<bool>()) {
      EXPECT_TRUE(body.at("next_cursor").is_null());
      break;
    }
    cursor = body.at("next_cursor").get<std::string>();
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_EQ(seen, newest_first);

  // Default page size 30 holds them all; ascending reverses the order.
  json all = json::parse(m_client.get("/v1/convai/agents").body);
  EXPECT_EQ(ids_of(all.at("agents"), "agent_id"), newest_first);
  EXPECT_FALSE(all.at("has_more").get<bool>());
  json ascending = json::parse(m_client.get("/v1/convai/agents?sort_direction=asc").body);
  EXPECT_EQ(ids_of(ascending.at("agents"), "agent_id"), created);
}

TEST_F(ElevenLabsSandboxTest, ListAgentsSearchesNamesAndTagsAndSummarises) {
  REQUIRE_SPEC();
  std::string smith = m_client.create_agent(
      {{"name", "Dr Smith Dental"},
       {"tags", {"tenant:acme"}},
       {"conversation_config", {{"tts", {{"voice_id", "EXAVITQu4vr4xnSDxMaL"}}}}}});
  std::string smithy = m_client.create_agent({{"name", "blacksmithy"},
                                              {"tags", {"tenant:forge"}},
                                              {"conversation_config", json::object()}});
  m_client.create_named_agent("Other");

  json found = json::parse(m_client.get("/v1/convai/agents?search=SMITH").body);
  EXPECT_EQ(ids_of(found.at("agents"), "agent_id"), (std::vector<std::string>{smithy, smith}));
  json tagged =
      json::parse(m_client.get("/v1/convai/agents?tags=tenant%3Aacme&tags=tenant%3Anone").body);
  EXPECT_EQ(ids_of(tagged.at("agents"), "agent_id"), (std::vector<std::string>{smith}));
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/agents?search=zzz").body).at("agents"),
            json::array());

  HttpResponse one = m_client.get("/v1/convai/agents?search=dental");
  expect_documented("get", "/v1/convai/agents", one);
  json summary = json::parse(one.body).at("agents").at(0);
  EXPECT_EQ(summary.at("name"), "Dr Smith Dental");
  EXPECT_EQ(summary.at("voice_id"), "EXAVITQu4vr4xnSDxMaL");
  EXPECT_EQ(summary.at("tags"), json({"tenant:acme"}));
  EXPECT_TRUE(summary.at("last_call_time_unix_secs").is_null());
  EXPECT_TRUE(summary.at("access_info").at("is_creator").get<bool>());
}

TEST_F(ElevenLabsSandboxTest, ListAgentsRejectsBadPageSizesAndCursors) {
  REQUIRE_SPEC();
  for (const char* bad : {"0", "101", "abc", "-1"}) {
    HttpResponse response = m_client.get(std::string("/v1/convai/agents?page_size=") + bad);
    EXPECT_EQ(response.status, 422) << bad;
    EXPECT_EQ(json::parse(response.body).at("detail").at(0).at("loc"),
              json({"query", "page_size"}));
    expect_documented("get", "/v1/convai/agents", response);
  }
  EXPECT_EQ(m_client.get("/v1/convai/agents?page_size=100").status, 200);
  EXPECT_EQ(m_client.get("/v1/convai/agents?page_size=1").status, 200);
  expect_validation_error(m_client.get("/v1/convai/agents?cursor=not-a-cursor"),
                          {"query", "cursor"}, "value_error");
  expect_validation_error(m_client.get("/v1/convai/agents?sort_direction=up"),
                          {"query", "sort_direction"}, "enum");
}

// ---- Voices ----------------------------------------------------------------------------------

TEST_F(ElevenLabsSandboxTest, VoicesAreTheFixedPremadeCatalogue) {
  REQUIRE_SPEC();
  HttpResponse response = m_client.get("/v1/voices");
  ASSERT_EQ(response.status, 200);
  expect_documented("get", "/v1/voices", response);
  json voices = json::parse(response.body).at("voices");
  EXPECT_GE(voices.size(), 20U);
  std::set<std::string> ids;
  for (const json& voice : voices) {
    ids.insert(voice.at("voice_id").get<std::string>());
    EXPECT_EQ(voice.at("category"), "premade");
    EXPECT_EQ(voice.at("voice_id").get<std::string>().size(), 20U);
    for (const char* label : {"gender", "accent", "age", "description"}) {
      EXPECT_FALSE(voice.at("labels").at(label).get<std::string>().empty()) << label;
    }
  }
  EXPECT_EQ(ids.size(), voices.size());
  EXPECT_EQ(ids.count("21m00Tcm4TlvDq8ikWAM"), 1U);
  EXPECT_EQ(ids.count("pNInz6obpgDQGcFmaJgB"), 1U);
  EXPECT_EQ(ids.count("cjVigY5qzO86Huf0OWal"), 1U); // the agents' default voice

  HttpResponse rachel = m_client.get("/v1/voices/21m00Tcm4TlvDq8ikWAM");
  expect_documented("get", "/v1/voices/{voice_id}", rachel);
  EXPECT_EQ(json::parse(rachel.body).at("name"), "Rachel");
  EXPECT_EQ(json::parse(rachel.body).at("labels").at("gender"), "female");
  expect_detail_error(m_client.get("/v1/voices/nope"), 404, "voice_not_found");
}

TEST_F(ElevenLabsSandboxTest, VoicesV2PagesAndSearches) {
  REQUIRE_SPEC();
  std::size_t total = json::parse(m_client.get("/v1/voices").body).at("voices").size();
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  while (pages++ < 20) {
    std::string path = "/v2/voices?page_size=5";
    if (!token.empty()) {
      path += "&next_page_token=" + token;
    }
    HttpResponse response = m_client.get(path);
    ASSERT_EQ(response.status, 200) << response.body;
    expect_documented("get", "/v2/voices", response);
    json body = json::parse(response.body);
    EXPECT_EQ(body.at("total_count").get<std::size_t>(), total);
    for (const auto& id : ids_of(body.at("voices"), "voice_id")) {
      EXPECT_TRUE(seen.insert(id).second) << id << " listed twice";
    }
    if (!body.at("has_more").get<bool>()) {
      break;
    }
    token = body.at("next_page_token").get<std::string>();
  }
  EXPECT_EQ(seen.size(), total);
  EXPECT_EQ(pages, static_cast<int>((total + 4) / 5));

  json rachel = json::parse(m_client.get("/v2/voices?search=rachel").body);
  EXPECT_EQ(ids_of(rachel.at("voices"), "voice_id"),
            (std::vector<std::string>{"21m00Tcm4TlvDq8ikWAM"}));
  json british = json::parse(m_client.get("/v2/voices?accent=british&page_size=100").body);
  EXPECT_GE(british.at("voices").size(), 1U);
  for (const json& voice : british.at("voices")) {
    EXPECT_EQ(voice.at("labels").at("accent"), "british");
  }
  expect_validation_error(m_client.get("/v2/voices?page_size=0"), {"query", "page_size"},
                          "greater_than_equal");
}

// ---- Phone numbers ---------------------------------------------------------------------------

TEST_F(ElevenLabsSandboxTest, ImportingATwilioNumberPointsItsVoiceUrlAtElevenLabs) {
  REQUIRE_SPEC();
  auto [sid, e164] = m_client.buy_number();
  HttpResponse imported = m_client.post("/v1/convai/phone-numbers", m_client.import_body(e164));
  ASSERT_EQ(imported.status, 200) << imported.body;
  expect_documented("post", "/v1/convai/phone-numbers", imported);
  std::string number_id = json::parse(imported.body).at("phone_number_id").get<std::string>();
  EXPECT_EQ(number_id.rfind("phnum_", 0), 0U) << number_id;

  json twilio_number = m_client.twilio_number(sid);
  EXPECT_EQ(twilio_number.at("voice_url"), k_inbound_url);
  EXPECT_EQ(twilio_number.at("voice_method"), "POST");

  HttpResponse fetched = m_client.get("/v1/convai/phone-numbers/" + number_id);
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  expect_documented("get", "/v1/convai/phone-numbers/{phone_number_id}", fetched);
  json number = json::parse(fetched.body);
  EXPECT_EQ(number.at("phone_number"), e164);
  EXPECT_EQ(number.at("label"), "pool " + e164);
  EXPECT_EQ(number.at("provider"), "twilio");
  EXPECT_EQ(number.at("phone_number_id"), number_id);
  EXPECT_TRUE(number.at("assigned_agent").is_null());

  HttpResponse listed = m_client.get("/v1/convai/phone-numbers");
  expect_documented("get", "/v1/convai/phone-numbers", listed);
  EXPECT_EQ(json::parse(listed.body), json::array({number}));
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/phone-numbers?provider=sip_trunk").body),
            json::array());

  // The API key and its secret are Twilio credentials too.
  auto [sid2, e164_2] = m_client.buy_number();
  json with_key = m_client.import_body(e164_2);
  with_key["sid"] = m_client.credentials().api_key_sid;
  with_key["token"] = m_client.credentials().api_key_secret;
  with_key["account_auth_token"] = m_client.credentials().auth_token;
  EXPECT_EQ(m_client.post("/v1/convai/phone-numbers", with_key).status, 200);
  EXPECT_EQ(m_client.twilio_number(sid2).at("voice_url"), k_inbound_url);
}

TEST_F(ElevenLabsSandboxTest, ImportErrors) {
  REQUIRE_SPEC();
  const std::string path = "/v1/convai/phone-numbers";
  auto [sid, e164] = m_client.buy_number();

  json wrong_token = m_client.import_body(e164);
  wrong_token["token"] = "0123456789abcdef0123456789abcdef";
  HttpResponse refused = m_client.post(path, wrong_token);
  expect_validation_error(refused, {"body", "sid"}, "value_error");
  expect_documented("post", path, refused);
  json key_with_token = m_client.import_body(e164);
  key_with_token["sid"] = m_client.credentials().api_key_sid; // a key with the account's token
  expect_validation_error(m_client.post(path, key_with_token), {"body", "sid"}, "value_error");
  json wrong_account_token = m_client.import_body(e164);
  wrong_account_token["account_auth_token"] = "nope";
  expect_validation_error(m_client.post(path, wrong_account_token), {"body", "account_auth_token"},
                          "value_error");

  expect_validation_error(m_client.post(path, m_client.import_body(m_client.unowned_number())),
                          {"body", "phone_number"}, "value_error");
  expect_validation_error(m_client.post(path, m_client.import_body("212-555-0101")),
                          {"body", "phone_number"}, "value_error");
  json no_label = m_client.import_body(e164);
  no_label.erase("label");
  no_label.erase("token");
  HttpResponse missing = m_client.post(path, no_label);
  expect_validation_error(missing, {"body", "label"}, "missing");
  expect_validation_error(missing, {"body", "token"}, "missing");
  json sip = m_client.import_body(e164);
  sip["provider"] = "sip_trunk";
  expect_validation_error(m_client.post(path, sip), {"body", "provider"}, "value_error");
  json unknown_agent = m_client.import_body(e164);
  unknown_agent["agent_id"] = "agent_missing";
  expect_detail_error(m_client.post(path, unknown_agent), 404, "agent_not_found");

  // None of the refusals imported it or touched its voice URL.
  EXPECT_EQ(json::parse(m_client.get(path).body), json::array());
  EXPECT_TRUE(m_client.twilio_number(sid).at("voice_url").is_null());

  std::string number_id = m_client.import_number(e164);
  HttpResponse twice = m_client.post(path, m_client.import_body(e164));
  expect_detail_error(twice, 409, "phone_number_already_exists");
  EXPECT_NE(twice.body.find(number_id), std::string::npos);
  EXPECT_EQ(json::parse(m_client.get(path).body).size(), 1U);
}

TEST_F(ElevenLabsSandboxTest, AssignReassignAndUnassign) {
  REQUIRE_SPEC();
  std::string first = m_client.create_named_agent("First");
  std::string second = m_client.create_named_agent("Second");
  auto [sid, e164] = m_client.buy_number();
  std::string number_id = m_client.import_number(e164);
  const std::string path = "/v1/convai/phone-numbers/" + number_id;

  HttpResponse assigned = m_client.patch(path, {{"agent_id", first}});
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  expect_documented("patch", "/v1/convai/phone-numbers/{phone_number_id}", assigned);
  EXPECT_EQ(json::parse(assigned.body).at("assigned_agent"),
            json({{"agent_id", first}, {"agent_name", "First"}}));
  json first_agent = json::parse(m_client.get("/v1/convai/agents/" + first).body);
  EXPECT_EQ(ids_of(first_agent.at("phone_numbers"), "phone_number_id"),
            (std::vector<std::string>{number_id}));
  EXPECT_EQ(first_agent.at("phone_numbers").at(0).at("assigned_agent").at("agent_id"), first);

  // Reassigning moves it in one request.
  ASSERT_EQ(m_client.patch(path, {{"agent_id", second}}).status, 200);
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/agents/" + first).body).at("phone_numbers"),
            json::array());
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/phone-numbers?agent_id=" + second).body).size(),
            1U);
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/phone-numbers?agent_id=" + first).body).size(),
            0U);

  // A label change leaves the agent; an unknown agent changes nothing.
  json relabelled = json::parse(m_client.patch(path, {{"label", "front desk"}}).body);
  EXPECT_EQ(relabelled.at("label"), "front desk");
  EXPECT_EQ(relabelled.at("assigned_agent").at("agent_id"), second);
  expect_detail_error(m_client.patch(path, {{"agent_id", "agent_missing"}}), 404,
                      "agent_not_found");
  EXPECT_EQ(json::parse(m_client.get(path).body).at("assigned_agent").at("agent_id"), second);
  expect_validation_error(m_client.patch(path, {{"agent_id", 12}}), {"body", "agent_id"},
                          "string_type");

  HttpResponse unassigned = m_client.patch(path, {{"agent_id", nullptr}});
  ASSERT_EQ(unassigned.status, 200);
  EXPECT_TRUE(json::parse(unassigned.body).at("assigned_agent").is_null());
  EXPECT_EQ(json::parse(unassigned.body).at("label"), "front desk");
  // Assignment does not touch Twilio: the import already routes calls to ElevenLabs.
  EXPECT_EQ(m_client.twilio_number(sid).at("voice_url"), k_inbound_url);

  expect_detail_error(
      m_client.patch("/v1/convai/phone-numbers/phnum_missing", {{"agent_id", first}}), 404,
      "phone_number_not_found");
  expect_detail_error(m_client.get("/v1/convai/phone-numbers/phnum_missing"), 404,
                      "phone_number_not_found");

  // Importing straight onto an agent assigns it.
  auto [sid2, e164_2] = m_client.buy_number();
  json body = m_client.import_body(e164_2);
  body["agent_id"] = first;
  std::string direct =
      json::parse(m_client.post("/v1/convai/phone-numbers", body).body).at("phone_number_id");
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/phone-numbers/" + direct).body)
                .at("assigned_agent")
                .at("agent_id"),
            first);
}

TEST_F(ElevenLabsSandboxTest, DeletingAnImportClearsTheVoiceUrlItSet) {
  REQUIRE_SPEC();
  auto [sid, e164] = m_client.buy_number();
  std::string number_id = m_client.import_number(e164);
  HttpResponse deleted = m_client.del("/v1/convai/phone-numbers/" + number_id);
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  expect_documented("delete", "/v1/convai/phone-numbers/{phone_number_id}", deleted);
  expect_detail_error(m_client.get("/v1/convai/phone-numbers/" + number_id), 404,
                      "phone_number_not_found");
  expect_detail_error(m_client.del("/v1/convai/phone-numbers/" + number_id), 404,
                      "phone_number_not_found");
  EXPECT_TRUE(m_client.twilio_number(sid).at("voice_url").is_null());
  EXPECT_EQ(m_client.twilio_number(sid).at("status"), "in-use"); // still owned at Twilio

  // A URL someone set after the import is theirs: deleting the import leaves it.
  std::string again = m_client.import_number(e164);
  ASSERT_EQ(m_client
                .twilio("POST", "/IncomingPhoneNumbers/" + sid + ".json",
                        {{"VoiceUrl", "https://example.com/voice"}})
                .status,
            200);
  EXPECT_EQ(m_client.del("/v1/convai/phone-numbers/" + again).status, 200);
  EXPECT_EQ(m_client.twilio_number(sid).at("voice_url"), "https://example.com/voice");
}

TEST_F(ElevenLabsSandboxTest, ReleasingTheTwilioNumberRemovesItsImport) {
  auto [sid, e164] = m_client.buy_number();
  auto [kept_sid, kept_e164] = m_client.buy_number();
  std::string number_id = m_client.import_number(e164);
  std::string kept_id = m_client.import_number(kept_e164);
  EXPECT_EQ(m_client.twilio("DELETE", "/IncomingPhoneNumbers/" + sid + ".json").status, 204);
  expect_detail_error(m_client.get("/v1/convai/phone-numbers/" + number_id), 404,
                      "phone_number_not_found");
  EXPECT_EQ(ids_of(json::parse(m_client.get("/v1/convai/phone-numbers").body), "phone_number_id"),
            (std::vector<std::string>{kept_id}));
  // Bought again, it can be imported again.
  ASSERT_EQ(m_client.twilio("POST", "/IncomingPhoneNumbers.json", {{"PhoneNumber", e164}}).status,
            201);
  EXPECT_EQ(m_client.post("/v1/convai/phone-numbers", m_client.import_body(e164)).status, 200);
}

// ---- Conversations ---------------------------------------------------------------------------

TEST_F(ElevenLabsSandboxTest, ConversationsComeFromTheSeededTableNewestFirst) {
  REQUIRE_SPEC();
  std::string agent_a = m_client.create_named_agent("Agent A");
  std::string agent_b = m_client.create_named_agent("Agent B");
  HttpResponse empty = m_client.get("/v1/convai/conversations");
  ASSERT_EQ(empty.status, 200);
  expect_documented("get", "/v1/convai/conversations", empty);
  EXPECT_EQ(json::parse(empty.body),
            json::parse(R"({"conversations":[],"next_cursor":null,"has_more":false})"));

  {
    SQLite::Database db(state_path().string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(10'000);
    SQLite::Statement insert(db, "INSERT INTO conversations (conversation_id, agent_id, "
                                 "start_time_unix_secs, call_duration_secs, message_count, "
                                 "status, call_successful, direction) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    // Two of agent A's conversations start in the same second: the id breaks the tie.
    const std::vector<std::tuple<std::string, std::string, std::int64_t>> rows = {
        {"conv_a1", agent_a, 1'700'000'100}, {"conv_a2", agent_a, 1'700'000'200},
        {"conv_a3", agent_a, 1'700'000'300}, {"conv_a4", agent_a, 1'700'000'300},
        {"conv_a5", agent_a, 1'700'000'500}, {"conv_b1", agent_b, 1'700'000'400},
        {"conv_b2", agent_b, 1'700'000'600}};
    for (const auto& [id, agent, start] : rows) {
      insert.bind(1, id);
      insert.bind(2, agent);
      insert.bind(3, static_cast<std::int64_t>(start));
      insert.bind(4, 42);
      insert.bind(5, 7);
      insert.bind(6, "done");
      insert.bind(7, "success");
      insert.bind(8, "inbound");
      insert.exec();
      insert.reset();
    }
    // A minimal row, with the columns' defaults.
    db.exec("INSERT INTO conversations (conversation_id, agent_id, start_time_unix_secs) "
            "VALUES ('conv_min', 'agent_gone', 1600000000)");
  }

  std::vector<std::string> seen;
  std::vector<std::size_t> sizes;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string path = "/v1/convai/conversations?page_size=2&agent_id=" + agent_a;
    if (!cursor.empty()) {
      path += "&cursor=" + cursor;
    }
    HttpResponse response = m_client.get(path);
    ASSERT_EQ(response.status, 200) << response.body;
    expect_documented("get", "/v1/convai/conversations", response);
    json body = json::parse(response.body);
    auto ids = ids_of(body.at("conversations"), "conversation_id");
    seen.insert(seen.end(), ids.begin(), ids.end());
    sizes.push_back(ids.size());
    for (const json& item : body.at("conversations")) {
      EXPECT_EQ(item.at("agent_id"), agent_a);
      EXPECT_EQ(item.at("agent_name"), "Agent A");
      EXPECT_EQ(item.at("call_duration_secs"), 42);
      EXPECT_EQ(item.at("message_count"), 7);
      EXPECT_EQ(item.at("status"), "done");
      EXPECT_EQ(item.at("call_successful"), "success");
      EXPECT_EQ(item.at("direction"), "inbound");
    }
    if (!body.at("has_more").get<bool>()) {
      EXPECT_TRUE(body.at("next_cursor").is_null());
      break;
    }
    cursor = body.at("next_cursor").get<std::string>();
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
  EXPECT_EQ(seen,
            (std::vector<std::string>{"conv_a5", "conv_a4", "conv_a3", "conv_a2", "conv_a1"}));

  HttpResponse all = m_client.get("/v1/convai/conversations");
  expect_documented("get", "/v1/convai/conversations", all);
  json every = json::parse(all.body).at("conversations");
  EXPECT_EQ(every.size(), 8U);
  EXPECT_EQ(every.at(0).at("conversation_id"), "conv_b2");
  const json& minimal = every.back();
  EXPECT_EQ(minimal.at("conversation_id"), "conv_min");
  EXPECT_TRUE(minimal.at("agent_name").is_null());
  EXPECT_EQ(minimal.at("status"), "done");
  EXPECT_EQ(minimal.at("call_successful"), "unknown");
  EXPECT_TRUE(minimal.at("direction").is_null());

  // The agent list shows each agent's last call.
  json agents = json::parse(m_client.get("/v1/convai/agents").body).at("agents");
  for (const json& agent : agents) {
    EXPECT_EQ(agent.at("last_call_time_unix_secs"),
              agent.at("agent_id") == agent_a ? 1'700'000'500 : 1'700'000'600);
  }

  expect_validation_error(m_client.get("/v1/convai/conversations?page_size=500"),
                          {"query", "page_size"}, "less_than_equal");
  expect_validation_error(m_client.get("/v1/convai/conversations?cursor=zz"), {"query", "cursor"},
                          "value_error");
}

// ---- State file and threads ------------------------------------------------------------------

TEST(ElevenLabsSandboxState, AStateFileFromBeforeTheEmulatorGetsItsTables) {
  TempDir dir;
  fs::path path = dir.path() / "old.db";
  std::string api_key;
  {
    auto emulator = vami::sandbox::open_sandbox(path);
    api_key = emulator->credentials().value("elevenlabs_api_key");
  }
  {
    // What a state file written by the Twilio-only emulator holds.
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    for (const char* table : {"convai_agents", "convai_documents", "convai_agent_documents",
                              "convai_phone_numbers", "conversations"}) {
      db.exec(std::string("DROP TABLE ") + table);
    }
  }
  auto emulator = vami::sandbox::open_sandbox(path);
  EXPECT_EQ(emulator->credentials().value("elevenlabs_api_key"), api_key);
  Client client(*emulator);
  std::string agent_id = client.create_named_agent("after upgrade");
  EXPECT_EQ(client.get("/v1/convai/agents/" + agent_id).status, 200);
  EXPECT_EQ(client.get("/v1/convai/conversations").status, 200);
  // And the next open leaves them as they are.
  auto again = vami::sandbox::open_sandbox(path);
  Client second(*again);
  EXPECT_EQ(second.get("/v1/convai/agents/" + agent_id).status, 200);
}

TEST(ElevenLabsSandboxState, ConcurrentImportsOfOneNumberYieldOneImport) {
  TempDir dir;
  auto emulator = vami::sandbox::open_sandbox(dir.path() / "sandbox.db");
  Client setup(*emulator);
  auto [sid, e164] = setup.buy_number();
  const json body = setup.import_body(e164);

  constexpr int k_threads = 8;
  std::vector<int> statuses(k_threads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      Client client(*emulator);
      statuses[static_cast<std::size_t>(i)] = client.post("/v1/convai/phone-numbers", body).status;
      // Agents created meanwhile all land.
      client.create_named_agent("thread " + std::to_string(i));
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409), k_threads - 1);
  EXPECT_EQ(json::parse(setup.get("/v1/convai/phone-numbers").body).size(), 1U);
  EXPECT_EQ(json::parse(setup.get("/v1/convai/agents?page_size=100").body).at("agents").size(),
            static_cast<std::size_t>(k_threads));
}

TEST(ElevenLabsSandboxState, TwoEmulatorsOnOneFileSeeEachOthersWrites) {
  TempDir dir;
  auto first = vami::sandbox::open_sandbox(dir.path() / "sandbox.db");
  auto second = vami::sandbox::open_sandbox(dir.path() / "sandbox.db");
  Client one(*first);
  Client two(*second);
  std::string agent_id = one.create_named_agent("shared");
  auto [sid, e164] = one.buy_number();
  EXPECT_EQ(two.post("/v1/convai/phone-numbers", two.import_body(e164)).status, 200);
  expect_detail_error(one.post("/v1/convai/phone-numbers", one.import_body(e164)), 409,
                      "phone_number_already_exists");
  EXPECT_EQ(json::parse(two.get("/v1/convai/agents/" + agent_id).body).at("name"), "shared");
}

} // namespace
