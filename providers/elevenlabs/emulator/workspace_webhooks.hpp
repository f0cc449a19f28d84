#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/sandbox_util.hpp"

#include <vami/providers/http_client.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox emulator: the ElevenLabs workspace's webhooks and its Agents Platform
// settings (the post-call webhook).

namespace vami::sandbox {

/// Where the emulator delivers post-call webhooks: the enabled HMAC workspace webhook that
/// `convai/settings` `webhooks.post_call_webhook_id` names.
struct PostCallWebhook {
  std::string webhook_id;
  std::string url;    ///< `webhook_url`, as created.
  std::string secret; ///< The HMAC secret `POST /v1/workspace/webhooks` returned once.
  /// `webhooks.events` of the settings (`transcript`, `audio`, `call_initiation_failure`, ...).
  std::vector<std::string> events;
  /// `request_headers` of the webhook (name, value), sent with each delivery.
  std::vector<std::pair<std::string, std::string>> request_headers;
};

/// An emulator of ElevenLabs' workspace webhooks and Agents Platform settings, following
/// `shared/specs/elevenlabs_openapi.json`:
///
/// - `POST /v1/workspace/webhooks` (`Body_Create_workspace_webhook_v1_workspace_webhooks_post`:
///   `settings` = `WebhookHMACSettings` with `auth_type` "hmac", `name`, `webhook_url`, optional
///   `request_headers` of strings): `WorkspaceCreateWebhookResponseModel` `{webhook_id,
///   webhook_secret}`; the secret ("wsec_" + 64 hex digits) is returned by this answer only.
///   `webhook_url` must be an https URL, or an http URL of a loopback host (127.0.0.0/8,
///   `localhost`, `[::1]`: the sandbox's stand-in for a public endpoint); other URLs are 422.
/// - `GET /v1/workspace/webhooks` (`include_usages`, boolean, default false):
///   `WorkspaceWebhookListResponseModel`, oldest first; `usage` and `events` are null unless
///   usages are requested, then `usage` is `[{"usage_type": "ConvAI Settings"}]` for the
///   webhook the settings name (else `[]`) and `events` is `[]`.
/// - `PATCH /v1/workspace/webhooks/{webhook_id}` (`is_disabled` and `name` required,
///   `retry_enabled`, `request_headers`, `events` optional): `{"status": "ok"}`.
/// - `DELETE /v1/workspace/webhooks/{webhook_id}`: `{"status": "ok"}`; settings naming it are
///   left naming none (`post_call_webhook_id` null).
/// - `GET /v1/convai/settings`: `GetConvAISettingsResponseModel` (defaults: no initiation
///   webhook, `webhooks` `{post_call_webhook_id: null, events: [], transcript_format: "json",
///   send_audio: null}`, `can_use_mcp_servers` false, `rag_retention_period_days` 10,
///   `conversation_embedding_retention_days` null, `default_livekit_stack` "standard").
/// - `PATCH /v1/convai/settings` (`PatchConvAISettingsRequest`): the members given replace the
///   stored ones (`webhooks` member by member); `webhooks.post_call_webhook_id` must name an
///   existing webhook or be null; answers the settings as GET does.
///
/// Errors: 404 `{"detail":{"status":"webhook_not_found",...}}` for an unknown webhook id; 422
/// pydantic errors for invalid bodies and queries; 405 for other methods.
///
/// State: `workspace_webhooks (seq INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT UNIQUE,
/// name, webhook_url, auth_type, secret, is_disabled INTEGER, retry_enabled INTEGER (NULL:
/// unset), request_headers TEXT (JSON object or NULL), events TEXT (JSON array or NULL),
/// created_at)` and `convai_settings (id INTEGER PRIMARY KEY CHECK (id = 1), settings TEXT (the
/// JSON of GetConvAISettingsResponseModel))`.
class WorkspaceSandbox {
public:
  /// Uses `db` guarded by `mutex`; both must outlive this object.
  WorkspaceSandbox(SQLite::Database& db, std::mutex& mutex);

  /// Creates the tables when missing. Call inside a write transaction.
  static void create_schema(SQLite::Database& db);

  /// Answers a request whose path segments are `segments` (`v1 workspace webhooks ...` or
  /// `v1 convai settings`) and method (HEAD already mapped to GET) is `method`. Errors are
  /// thrown as `elevenlabs::RequestFailure`.
  http::HttpResponse route(const std::string& method, const std::vector<std::string>& segments,
                           const http::HttpRequest& request, const Params& query);

  /// Whether `segments` (a request path split) belong to `route`.
  [[nodiscard]] static bool handles(const std::vector<std::string>& segments);

  /// The post-call webhook deliveries go to: nullopt when the settings name none or it is
  /// disabled. Takes the mutex.
  [[nodiscard]] std::optional<PostCallWebhook> post_call_webhook();

private:
  SQLite::Database& m_db;
  std::mutex& m_mutex;
};

} // namespace vami::sandbox
