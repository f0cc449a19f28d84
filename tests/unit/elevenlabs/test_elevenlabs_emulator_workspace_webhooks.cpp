// The sandbox's ElevenLabs workspace webhooks and Agents Platform settings (post-call webhook).

#include "elevenlabs_emulator_client.hpp"

namespace {

using namespace vami::sandbox_testing; // NOLINT(google-build-using-namespace)

class WorkspaceWebhooksTest : public ElevenLabsSandboxTest {
protected:
  json create(const std::string& name, const std::string& url) {
    HttpResponse created = m_client.post(
        "/v1/workspace/webhooks",
        {{"settings", {{"auth_type", "hmac"}, {"name", name}, {"webhook_url", url}}}});
    EXPECT_EQ(created.status, 200) << created.body;
    expect_documented("post", "/v1/workspace/webhooks", created);
    return json::parse(created.body);
  }
  json list(bool usages) {
    HttpResponse listed = m_client.get(std::string("/v1/workspace/webhooks") +
                                       (usages ? "?include_usages=true" : ""));
    EXPECT_EQ(listed.status, 200) << listed.body;
    expect_documented("get", "/v1/workspace/webhooks", listed);
    return json::parse(listed.body).at("webhooks");
  }
};

TEST_F(WorkspaceWebhooksTest, CreateReturnsTheSecretOnceAndListsTheWebhook) {
  REQUIRE_SPEC();
  json created = create("vami router", "https://router.example.com/elevenlabs/post-call");
  const std::string id = created.at("webhook_id").get<std::string>();
  const std::string secret = created.at("webhook_secret").get<std::string>();
  EXPECT_EQ(secret.rfind("wsec_", 0), 0U) << secret;
  EXPECT_EQ(secret.size(), 5U + 64U);

  json webhooks = list(false);
  ASSERT_EQ(webhooks.size(), 1U);
  EXPECT_EQ(webhooks[0].at("webhook_id"), id);
  EXPECT_EQ(webhooks[0].at("name"), "vami router");
  EXPECT_EQ(webhooks[0].at("webhook_url"), "https://router.example.com/elevenlabs/post-call");
  EXPECT_EQ(webhooks[0].at("auth_type"), "hmac");
  EXPECT_EQ(webhooks[0].at("is_disabled"), false);
  EXPECT_TRUE(webhooks[0].at("usage").is_null());
  // The secret is never listed.
  HttpResponse listed = m_client.get("/v1/workspace/webhooks?include_usages=true");
  EXPECT_EQ(listed.body.find(secret), std::string::npos);

  // A second webhook gets another id and secret.
  json other = create("second", "http://127.0.0.1:8080/elevenlabs/post-call");
  EXPECT_NE(other.at("webhook_id"), id);
  EXPECT_NE(other.at("webhook_secret"), secret);
  EXPECT_EQ(list(false).size(), 2U);
}

TEST_F(WorkspaceWebhooksTest, RefusesInvalidCreatesAsPydanticWould) {
  REQUIRE_SPEC();
  HttpResponse missing = m_client.post("/v1/workspace/webhooks", json::object());
  expect_validation_error(missing, json::array({"body", "settings"}), "missing");
  expect_documented("post", "/v1/workspace/webhooks", missing);

  HttpResponse wrong = m_client.post(
      "/v1/workspace/webhooks",
      {{"settings", {{"auth_type", "oauth2"}, {"webhook_url", 5}, {"request_headers", 1}}}});
  expect_validation_error(wrong, json::array({"body", "settings", "auth_type"}), "literal_error");
  expect_validation_error(wrong, json::array({"body", "settings", "name"}), "missing");
  expect_validation_error(wrong, json::array({"body", "settings", "webhook_url"}), "string_type");
  expect_validation_error(wrong, json::array({"body", "settings", "request_headers"}), "dict_type");

  for (const char* url : {"http://router.example.com/hook", "ftp://127.0.0.1/", "https://"}) {
    HttpResponse plain =
        m_client.post("/v1/workspace/webhooks",
                      {{"settings", {{"auth_type", "hmac"}, {"name", "x"}, {"webhook_url", url}}}});
    expect_validation_error(plain, json::array({"body", "settings", "webhook_url"}), "value_error");
  }
  EXPECT_TRUE(list(false).empty());
  m_client.set_api_key(std::string("sk_wrong"));
  EXPECT_EQ(m_client.get("/v1/workspace/webhooks").status, 401);
}

TEST_F(WorkspaceWebhooksTest, PatchAndDeleteAWebhook) {
  REQUIRE_SPEC();
  const std::string id =
      create("vami", "http://localhost:9000/hook").at("webhook_id").get<std::string>();
  HttpResponse patched =
      m_client.patch("/v1/workspace/webhooks/" + id, {{"is_disabled", true}, {"name", "renamed"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  expect_documented("patch", "/v1/workspace/webhooks/{webhook_id}", patched);
  EXPECT_EQ(json::parse(patched.body), json({{"status", "ok"}}));
  json webhooks = list(false);
  EXPECT_EQ(webhooks[0].at("name"), "renamed");
  EXPECT_EQ(webhooks[0].at("is_disabled"), true);

  HttpResponse invalid = m_client.patch("/v1/workspace/webhooks/" + id, {{"events", {"nope"}}});
  expect_validation_error(invalid, json::array({"body", "is_disabled"}), "missing");
  expect_validation_error(invalid, json::array({"body", "name"}), "missing");
  expect_validation_error(invalid, json::array({"body", "events", 0}), "enum");

  expect_detail_error(
      m_client.patch("/v1/workspace/webhooks/nope", {{"is_disabled", false}, {"name", "x"}}), 404,
      "webhook_not_found");
  HttpResponse deleted = m_client.del("/v1/workspace/webhooks/" + id);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  expect_documented("delete", "/v1/workspace/webhooks/{webhook_id}", deleted);
  EXPECT_TRUE(list(false).empty());
  expect_detail_error(m_client.del("/v1/workspace/webhooks/" + id), 404, "webhook_not_found");
  EXPECT_EQ(m_client.send("PUT", "/v1/workspace/webhooks/" + id).status, 405);
}

TEST_F(WorkspaceWebhooksTest, SettingsAttachThePostCallWebhook) {
  REQUIRE_SPEC();
  HttpResponse fresh = m_client.get("/v1/convai/settings");
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  expect_documented("get", "/v1/convai/settings", fresh);
  json settings = json::parse(fresh.body);
  EXPECT_TRUE(settings.at("webhooks").at("post_call_webhook_id").is_null());
  EXPECT_EQ(settings.at("webhooks").at("transcript_format"), "json");
  EXPECT_EQ(settings.at("rag_retention_period_days"), 10);

  const std::string id =
      create("vami", "https://router.example.com/hook").at("webhook_id").get<std::string>();
  HttpResponse attached = m_client.patch("/v1/convai/settings",
                                         {{"webhooks",
                                           {{"post_call_webhook_id", id},
                                            {"events", {"transcript", "call_initiation_failure"}},
                                            {"transcript_format", "json"}}}});
  ASSERT_EQ(attached.status, 200) << attached.body;
  expect_documented("patch", "/v1/convai/settings", attached);
  settings = json::parse(m_client.get("/v1/convai/settings").body);
  EXPECT_EQ(settings.at("webhooks").at("post_call_webhook_id"), id);
  EXPECT_EQ(settings.at("webhooks").at("events"),
            json::array({"transcript", "call_initiation_failure"}));

  // Members not given are kept.
  ASSERT_EQ(m_client.patch("/v1/convai/settings", {{"rag_retention_period_days", 20}}).status, 200);
  settings = json::parse(m_client.get("/v1/convai/settings").body);
  EXPECT_EQ(settings.at("webhooks").at("post_call_webhook_id"), id);
  EXPECT_EQ(settings.at("rag_retention_period_days"), 20);

  // The webhook in use says so when usages are asked for.
  json webhooks = list(true);
  EXPECT_EQ(webhooks[0].at("usage"), json::array({{{"usage_type", "ConvAI Settings"}}}));

  // Unknown webhooks and invalid values are refused; nothing changes.
  expect_detail_error(
      m_client.patch("/v1/convai/settings", {{"webhooks", {{"post_call_webhook_id", "nope"}}}}),
      404, "webhook_not_found");
  HttpResponse invalid = m_client.patch(
      "/v1/convai/settings", {{"webhooks", {{"events", {"sms"}}, {"transcript_format", "xml"}}},
                              {"rag_retention_period_days", 31}});
  expect_validation_error(invalid, json::array({"body", "webhooks", "events", 0}), "enum");
  expect_validation_error(invalid, json::array({"body", "webhooks", "transcript_format"}), "enum");
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/settings").body), settings);

  // Deleting the webhook detaches it.
  ASSERT_EQ(m_client.del("/v1/workspace/webhooks/" + id).status, 200);
  settings = json::parse(m_client.get("/v1/convai/settings").body);
  EXPECT_TRUE(settings.at("webhooks").at("post_call_webhook_id").is_null());

  // Detaching explicitly with null works too.
  const std::string other =
      create("again", "https://router.example.com/hook").at("webhook_id").get<std::string>();
  ASSERT_EQ(m_client.patch("/v1/convai/settings", {{"webhooks", {{"post_call_webhook_id", other}}}})
                .status,
            200);
  ASSERT_EQ(
      m_client.patch("/v1/convai/settings", {{"webhooks", {{"post_call_webhook_id", nullptr}}}})
          .status,
      200);
  settings = json::parse(m_client.get("/v1/convai/settings").body);
  EXPECT_TRUE(settings.at("webhooks").at("post_call_webhook_id").is_null());
}

TEST_F(WorkspaceWebhooksTest, StateSurvivesReopeningTheStateFile) {
  const std::string id =
      create("vami", "https://router.example.com/hook").at("webhook_id").get<std::string>();
  ASSERT_EQ(
      m_client.patch("/v1/convai/settings", {{"webhooks", {{"post_call_webhook_id", id}}}}).status,
      200);
  auto reopened = vami::sandbox::open_sandbox(state_path());
  Client client(*reopened);
  json settings = json::parse(client.get("/v1/convai/settings").body);
  EXPECT_EQ(settings.at("webhooks").at("post_call_webhook_id"), id);
  EXPECT_EQ(json::parse(client.get("/v1/workspace/webhooks").body).at("webhooks").size(), 1U);
}

} // namespace
