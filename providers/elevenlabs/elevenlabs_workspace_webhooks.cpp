// ElevenLabs workspace webhooks and the post-call webhook setting of the Agents Platform
// (elevenlabs_workspace_webhooks.hpp).
#include "elevenlabs_workspace_webhooks.hpp"

#include <utility>

namespace vami::elevenlabs::detail {

namespace {

constexpr const char* k_settings_path = "/v1/convai/settings";
constexpr const char* k_webhooks_path = "/v1/workspace/webhooks";

/// `WorkspaceWebhookResponseModel`.
WorkspaceWebhook webhook_of(const ResponseReader& reader, const json& item,
                            const std::string& where) {
  using Presence = ResponseReader::Presence;
  reader.expect_object(item, where);
  WorkspaceWebhook webhook;
  webhook.webhook_id = reader.text(item, "webhook_id", Presence::required, where);
  webhook.name = reader.text(item, "name", Presence::optional, where);
  webhook.url = reader.text(item, "webhook_url", Presence::required, where);
  webhook.auth_type = reader.text(item, "auth_type", Presence::optional, where);
  webhook.disabled = reader.boolean(item, "is_disabled", Presence::optional, where);
  webhook.auto_disabled = reader.boolean(item, "is_auto_disabled", Presence::optional, where);
  webhook.created_at_unix = reader.integer(item, "created_at_unix", Presence::optional, where);
  return webhook;
}

/// `ConvAIWebhooks` of a `GetConvAISettingsResponseModel`.
PostCallWebhookSettings post_call_of(const ResponseReader& reader, const json& settings) {
  using Presence = ResponseReader::Presence;
  const json& webhooks = reader.child(settings, "webhooks", Presence::optional);
  PostCallWebhookSettings out;
  out.webhook_id = reader.text(webhooks, "post_call_webhook_id", Presence::optional, "webhooks");
  out.events = reader.strings(webhooks, "events", "webhooks");
  return out;
}

} // namespace

WorkspaceWebhooksClient::WorkspaceWebhooksClient(http::HttpClient& http, std::string base,
                                                 std::string api_key, Secrets secrets)
    : m_http(http), m_base(std::move(base)), m_api_key(std::move(api_key)),
      m_secrets(std::move(secrets)) {}

std::vector<WorkspaceWebhook> WorkspaceWebhooksClient::list_webhooks() const {
  Call call{"list the workspace webhooks", {}, ErrorKind::provider, {}};
  http::HttpResponse response = send(call, "GET", k_webhooks_path);
  ResponseReader reader(call, response);
  json body = reader.object();
  std::vector<WorkspaceWebhook> webhooks;
  std::size_t index = 0;
  for (const json& item : reader.array(body, "webhooks", ResponseReader::Presence::required)) {
    webhooks.push_back(webhook_of(reader, item, "webhooks[" + std::to_string(index++) + "]"));
  }
  return webhooks;
}

std::optional<WorkspaceWebhook>
WorkspaceWebhooksClient::get_webhook(const std::string& webhook_id) const {
  for (WorkspaceWebhook& webhook : list_webhooks()) {
    if (webhook.webhook_id == webhook_id) {
      return std::move(webhook);
    }
  }
  return std::nullopt;
}

CreatedWebhook WorkspaceWebhooksClient::create_webhook(const std::string& name,
                                                       const std::string& url) const {
  Call call{"create the workspace webhook " + in_quotes(name) + " for " + url,
            {},
            ErrorKind::invalid_input,
            "check that the URL is https and reachable from the internet"};
  json body = {{"settings", {{"auth_type", "hmac"}, {"name", name}, {"webhook_url", url}}}};
  http::HttpResponse response = send(call, "POST", k_webhooks_path, body);
  ResponseReader reader(call, response);
  json created = reader.object();
  CreatedWebhook out;
  out.webhook_id = reader.text(created, "webhook_id", ResponseReader::Presence::required);
  // Nullable in the schema; an HMAC webhook without its secret cannot be checked, ever.
  out.secret = reader.text(created, "webhook_secret", ResponseReader::Presence::required);
  if (out.secret.empty()) {
    reader.unexpected("'webhook_secret' is empty");
  }
  return out;
}

void WorkspaceWebhooksClient::delete_webhook(const std::string& webhook_id) const {
  Call call{"delete the workspace webhook " + webhook_id,
            "it may have been deleted at ElevenLabs already",
            ErrorKind::provider,
            {}};
  (void)send(call, "DELETE", std::string(k_webhooks_path) + "/" + http::url_encode(webhook_id));
}

PostCallWebhookSettings WorkspaceWebhooksClient::post_call_webhook() const {
  Call call{"read the Agents Platform settings", {}, ErrorKind::provider, {}};
  http::HttpResponse response = send(call, "GET", k_settings_path);
  ResponseReader reader(call, response);
  return post_call_of(reader, reader.object());
}

PostCallWebhookSettings
WorkspaceWebhooksClient::set_post_call_webhook(const PostCallWebhookSettings& settings) const {
  Call read_call{"read the Agents Platform settings", {}, ErrorKind::provider, {}};
  http::HttpResponse current = send(read_call, "GET", k_settings_path);
  json body = ResponseReader(read_call, current).object();
  // Sent back as read: `PatchConvAISettingsRequest` gives its other members defaults, which a
  // PATCH without them could apply. Members the request schema does not have are left out.
  static const char* const k_patchable[] = {"conversation_initiation_client_data_webhook",
                                            "can_use_mcp_servers", "rag_retention_period_days",
                                            "conversation_embedding_retention_days",
                                            "default_livekit_stack"};
  json patch = json::object();
  for (const char* member : k_patchable) {
    if (auto it = body.find(member); it != body.end()) {
      patch[member] = *it;
    }
  }
  json webhooks =
      body.contains("webhooks") && body["webhooks"].is_object() ? body["webhooks"] : json::object();
  webhooks.erase("send_audio"); // deprecated: "Use 'events' field instead"
  webhooks["post_call_webhook_id"] =
      settings.webhook_id.empty() ? json(nullptr) : json(settings.webhook_id);
  webhooks["events"] = settings.events;
  patch["webhooks"] = std::move(webhooks);
  Call call{"attach the post-call webhook " + settings.webhook_id +
                " in the Agents Platform settings",
            {},
            ErrorKind::provider,
            {}};
  http::HttpResponse response = send(call, "PATCH", k_settings_path, patch);
  ResponseReader reader(call, response);
  return post_call_of(reader, reader.object());
}

http::HttpResponse WorkspaceWebhooksClient::send(const Call& call, const std::string& method,
                                                 const std::string& path,
                                                 const std::optional<json>& body) const {
  http::HttpRequest request;
  request.method = method;
  request.url = m_base + path;
  request.headers = {{"xi-api-key", m_api_key}, {"Accept", "application/json"}};
  if (body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump();
  }
  http::HttpResponse response = m_http.send(request);
  if (response.status < 200 || response.status >= 300) {
    throw_response_error(call, response, m_secrets);
  }
  return response;
}

} // namespace vami::elevenlabs::detail
