#pragma once

// The ElevenLabs client of workspace webhooks and of the Agents Platform's post-call webhook
// setting (internal to providers/elevenlabs; `VoiceAgentProvider` exposes it).
#include <optional>
#include <string>
#include <vector>

#include "elevenlabs_wire.hpp"

#include <vami/core/voice_agent_provider.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::elevenlabs::detail {

/// `/v1/workspace/webhooks` (list, create with HMAC, delete) and `/v1/convai/settings` (read,
/// and PATCH of `webhooks`), as `shared/specs/elevenlabs_openapi.json` describes them. Errors as
/// `make_elevenlabs_provider` documents. Thread-safe; `http` must outlive it.
class WorkspaceWebhooksClient {
public:
  /// `base` without a trailing slash; `secrets` are scrubbed from error messages.
  WorkspaceWebhooksClient(http::HttpClient& http, std::string base, std::string api_key,
                          Secrets secrets);

  /// `VoiceAgentProvider::list_webhooks`.
  [[nodiscard]] std::vector<WorkspaceWebhook> list_webhooks() const;
  /// `VoiceAgentProvider::get_webhook`.
  [[nodiscard]] std::optional<WorkspaceWebhook> get_webhook(const std::string& webhook_id) const;
  /// `VoiceAgentProvider::create_webhook`.
  [[nodiscard]] CreatedWebhook create_webhook(const std::string& name,
                                              const std::string& url) const;
  /// `VoiceAgentProvider::delete_webhook`.
  void delete_webhook(const std::string& webhook_id) const;
  /// `VoiceAgentProvider::post_call_webhook`.
  [[nodiscard]] PostCallWebhookSettings post_call_webhook() const;
  /// `VoiceAgentProvider::set_post_call_webhook`.
  [[nodiscard]] PostCallWebhookSettings
  set_post_call_webhook(const PostCallWebhookSettings& settings) const;

private:
  [[nodiscard]] http::HttpResponse send(const Call& call, const std::string& method,
                                        const std::string& path,
                                        const std::optional<json>& body = std::nullopt) const;

  http::HttpClient& m_http;
  std::string m_base;
  std::string m_api_key;
  Secrets m_secrets;
};

} // namespace vami::elevenlabs::detail
