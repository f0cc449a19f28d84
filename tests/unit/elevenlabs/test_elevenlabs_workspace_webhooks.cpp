// The ElevenLabs client of workspace webhooks and of the post-call webhook setting, against the
// official OpenAPI document (`/v1/workspace/webhooks`, `/v1/convai/settings`).
#include <string>
#include <vector>

#include "elevenlabs_provider_fixture.hpp"

namespace vami::elevenlabs {
namespace {

using namespace test_support;

using WorkspaceWebhooksTest = ElevenLabsProviderTest;

constexpr const char* k_webhook_secret = "wsec-canary-7f3e2a";

json settings_response(const json& webhooks) {
  return json{{"conversation_initiation_client_data_webhook", nullptr},
              {"webhooks", webhooks},
              {"can_use_mcp_servers", true},
              {"rag_retention_period_days", 20},
              {"default_livekit_stack", "standard"}};
}

TEST_F(WorkspaceWebhooksTest, CreateWebhookPostsAnHmacWebhookAndReturnsItsSecret) {
  REQUIRE_SPEC();
  json answer{{"webhook_id", "wh_1"}, {"webhook_secret", k_webhook_secret}};
  expect_conforms(answer, "WorkspaceCreateWebhookResponseModel");
  m_http.push_response(200, answer.dump());

  CreatedWebhook created =
      m_provider->create_webhook("vami router", "https://router.example.com/elevenlabs/post-call");
  EXPECT_EQ(created.webhook_id, "wh_1");
  EXPECT_EQ(created.secret, k_webhook_secret);

  auto request = m_http.last_request();
  expect_request(request, "POST", "/v1/workspace/webhooks");
  EXPECT_EQ(json_body(request), json::parse(R"({"settings": {
              "auth_type": "hmac", "name": "vami router",
              "webhook_url": "https://router.example.com/elevenlabs/post-call"}})"));
  expect_documented(request, "/v1/workspace/webhooks", "post");
}

TEST_F(WorkspaceWebhooksTest, CreateWebhookWithoutASecretIsRefusedAndA422NamesTheField) {
  m_http.push_response(200, R"({"webhook_id": "wh_1", "webhook_secret": null})");
  Error no_secret = error_of([&] { (void)m_provider->create_webhook("vami", "https://x.test/"); });
  EXPECT_EQ(no_secret.kind(), ErrorKind::provider);
  EXPECT_THAT(no_secret.what(), HasSubstr("webhook_secret"));

  m_http.push_response(422, validation_error({{{"loc", {"body", "settings", "webhook_url"}},
                                               {"msg", "URL must be https"},
                                               {"type", "value_error"}}})
                                .dump());
  Error refused = error_of([&] { (void)m_provider->create_webhook("vami", "http://x.test/"); });
  EXPECT_EQ(refused.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(refused.what(), HasSubstr("body.settings.webhook_url: URL must be https"));
  EXPECT_THAT(refused.what(), HasSubstr("create the workspace webhook"));
}

TEST_F(WorkspaceWebhooksTest, ListWebhooksReadsTheDocumentsExampleAndGetFindsOneInIt) {
  REQUIRE_SPEC();
  const json example = schema_example("WorkspaceWebhookListResponseModel");
  m_http.push_response(200, example.dump());
  std::vector<WorkspaceWebhook> webhooks = m_provider->list_webhooks();
  ASSERT_EQ(webhooks.size(), 1u);
  EXPECT_EQ(webhooks[0].webhook_id, "123");
  EXPECT_EQ(webhooks[0].name, "My Webhook");
  EXPECT_EQ(webhooks[0].url, "https://elevenlabs.io/example-callback-url");
  EXPECT_EQ(webhooks[0].auth_type, "hmac");
  EXPECT_FALSE(webhooks[0].disabled);
  EXPECT_EQ(webhooks[0].created_at_unix, 123456789);
  auto request = m_http.last_request();
  expect_request(request, "GET", "/v1/workspace/webhooks");
  expect_no_body(request);
  expect_documented(request, "/v1/workspace/webhooks", "get");

  m_http.push_response(200, example.dump());
  EXPECT_EQ(m_provider->get_webhook("123")->name, "My Webhook");
  m_http.push_response(200, example.dump());
  EXPECT_FALSE(m_provider->get_webhook("456").has_value());
}

TEST_F(WorkspaceWebhooksTest, ListWebhooksNamesAMissingField) {
  m_http.push_response(200, R"({"webhooks": [{"webhook_id": "wh_1", "name": "x"}]})");
  Error error = error_of([&] { (void)m_provider->list_webhooks(); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("'webhooks[0].webhook_url' is missing"));
}

TEST_F(WorkspaceWebhooksTest, DeleteWebhookEncodesTheIdAndReportsAnUnknownOne) {
  REQUIRE_SPEC();
  m_http.push_response(200, R"({"status": "ok"})");
  m_provider->delete_webhook("wh 1/2");
  auto request = m_http.last_request();
  expect_request(request, "DELETE", "/v1/workspace/webhooks/wh%201%2F2");
  expect_no_body(request);
  expect_documented(request, "/v1/workspace/webhooks/{webhook_id}", "delete");

  m_http.push_response(404, detail_error("webhook_not_found", "Webhook not found").dump());
  Error error = error_of([&] { m_provider->delete_webhook("wh_9"); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
}

TEST_F(WorkspaceWebhooksTest, PostCallWebhookReadsTheSettings) {
  REQUIRE_SPEC();
  json answer = settings_response(
      {{"post_call_webhook_id", "wh_1"}, {"events", {"transcript", "call_initiation_failure"}}});
  expect_conforms(answer, "GetConvAISettingsResponseModel");
  m_http.push_response(200, answer.dump());
  PostCallWebhookSettings settings = m_provider->post_call_webhook();
  EXPECT_EQ(settings.webhook_id, "wh_1");
  EXPECT_EQ(settings.events, (std::vector<std::string>{"transcript", "call_initiation_failure"}));
  auto request = m_http.last_request();
  expect_request(request, "GET", "/v1/convai/settings");
  expect_documented(request, "/v1/convai/settings", "get");

  // No webhook configured: `webhooks` absent or its id null.
  m_http.push_response(200, R"({"can_use_mcp_servers": false})");
  EXPECT_EQ(m_provider->post_call_webhook(), PostCallWebhookSettings{});
  m_http.push_response(200, R"({"webhooks": {"post_call_webhook_id": null}})");
  EXPECT_EQ(m_provider->post_call_webhook(), PostCallWebhookSettings{});
}

TEST_F(WorkspaceWebhooksTest, SetPostCallWebhookSendsTheOtherSettingsBackAsRead) {
  REQUIRE_SPEC();
  // What is read first: another webhook, the deprecated send_audio, settings of other features.
  m_http.push_response(200, settings_response({{"post_call_webhook_id", "wh_old"},
                                               {"events", {"audio"}},
                                               {"send_audio", true},
                                               {"transcript_format", "json"}})
                                .dump());
  json after = settings_response(
      {{"post_call_webhook_id", "wh_1"}, {"events", {"transcript", "call_initiation_failure"}}});
  m_http.push_response(200, after.dump());

  PostCallWebhookSettings wanted{"wh_1", {"transcript", "call_initiation_failure"}};
  EXPECT_EQ(m_provider->set_post_call_webhook(wanted), wanted);

  ASSERT_EQ(m_http.requests().size(), 2u);
  expect_request(m_http.requests()[0], "GET", "/v1/convai/settings");
  auto request = m_http.requests()[1];
  expect_request(request, "PATCH", "/v1/convai/settings");
  EXPECT_EQ(json_body(request), json::parse(R"({
              "conversation_initiation_client_data_webhook": null,
              "can_use_mcp_servers": true,
              "rag_retention_period_days": 20,
              "default_livekit_stack": "standard",
              "webhooks": {"post_call_webhook_id": "wh_1",
                           "events": ["transcript", "call_initiation_failure"],
                           "transcript_format": "json"}})"));
  expect_documented(request, "/v1/convai/settings", "patch");
}

TEST_F(WorkspaceWebhooksTest, SetPostCallWebhookLeavesOutWhatTheRequestSchemaLacks) {
  REQUIRE_SPEC();
  // A newer answer may carry members the PATCH request does not document.
  m_http.push_response(200, R"({"webhooks": {}, "some_new_setting": 3})");
  m_http.push_response(200, R"({"webhooks": {"post_call_webhook_id": null, "events": []}})");
  EXPECT_EQ(m_provider->set_post_call_webhook({}), PostCallWebhookSettings{});
  auto request = m_http.last_request();
  EXPECT_EQ(json_body(request),
            json::parse(R"({"webhooks": {"post_call_webhook_id": null, "events": []}})"));
  expect_documented(request, "/v1/convai/settings", "patch");
}

TEST_F(WorkspaceWebhooksTest, TheApiKeyNeverReachesAnError) {
  m_http.push_response(
      401,
      detail_error("invalid_api_key", std::string("key ") + k_api_key + " is not valid").dump());
  Error error = error_of([&] { (void)m_provider->list_webhooks(); });
  EXPECT_EQ(error.kind(), ErrorKind::auth);
  EXPECT_THAT(error.what(), Not(HasSubstr(k_api_key)));
}

} // namespace
} // namespace vami::elevenlabs
