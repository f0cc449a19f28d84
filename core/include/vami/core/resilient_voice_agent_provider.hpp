#pragma once

#include <vami/core/resilient_calls.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// A `VoiceAgentProvider` decorator: every call goes through the voice-agent provider's own
/// shared `AdaptiveRateLimiter`, and transient failures are retried only where repeating the
/// request is safe (DESIGN.md section 3, rule 3):
/// - reads (`get_agent`, `list_agents`, `list_voices`, `list_documents`, `list_imported_numbers`,
///   `list_conversations`, `list_conversations_since`, `get_conversation`) and PATCHes that set the
///   same values again (`update_agent`, `set_number_agent`) are retried as they are;
/// - deletions are retried, and "not found" after an ambiguous try counts as deleted;
/// - creations (`create_agent`, `add_document_*`, `import_number`) are retried only after a 429,
///   which the provider never processes; after any other failure the caller looks for what it
///   asked for (tag, hash, imported number) before creating it again. So is `create_webhook`:
///   the caller replaces a webhook whose secret it never received. Workspace reads and the
///   post-call setting (the same values again) are retried, webhook deletions as deletions.
/// Thread-safe when the wrapped provider is.
class ResilientVoiceAgentProvider final : public VoiceAgentProvider {
public:
  /// Wraps `inner`; `inner`, `limiter` and `clock` must outlive the decorator.
  ResilientVoiceAgentProvider(VoiceAgentProvider& inner, AdaptiveRateLimiter& limiter,
                              RetryPolicy policy, MonotonicClock& clock);

  /// The wrapped provider's name.
  [[nodiscard]] std::string name() const override;
  [[nodiscard]] AgentProviderCapabilities capabilities() const override;
  /// Retried after a 429 only.
  std::string create_agent(const AgentDefinition& definition) override;
  /// Retried.
  std::optional<ProviderAgent> get_agent(const std::string& agent_id) override;
  /// Retried.
  ProviderAgent update_agent(const std::string& agent_id, const AgentChange& change) override;
  /// Retried; "not found" after an ambiguous try counts as deleted.
  void delete_agent(const std::string& agent_id) override;
  /// Retried (every page again).
  std::vector<AgentSummary> list_agents(const std::string& search) override;
  /// Retried.
  std::vector<Voice> list_voices() override;
  /// Retried after a 429 only.
  ProviderDocument add_document_file(const DocumentUpload& upload) override;
  /// Retried after a 429 only.
  ProviderDocument add_document_url(const std::string& url, const std::string& name) override;
  /// Retried after a 429 only.
  ProviderDocument add_document_text(const std::string& text, const std::string& name) override;
  /// Retried (every page again).
  std::vector<DocumentSummary> list_documents(const std::string& name_prefix) override;
  /// Retried; "not found" after an ambiguous try counts as deleted.
  void delete_document(const std::string& document_id) override;
  /// Retried after a 429 only.
  ImportedNumber import_number(const std::string& e164, const std::string& label) override;
  /// Retried only after a 429, as `import_number`.
  ImportedNumber import_sip_trunk_number(const std::string& e164, const std::string& label,
                                         const std::string& sip_termination_uri) override;
  /// The inner provider's; no request.
  [[nodiscard]] std::string sip_origination_uri() const override;
  /// Retried.
  ImportedNumber set_number_agent(const std::string& phone_number_id,
                                  const std::string& agent_id) override;
  /// The wrapped provider's answer (no request).
  [[nodiscard]] bool answers_voice_url(const std::string& voice_url) const override;
  /// Retried.
  std::vector<ImportedNumber> list_imported_numbers() override;
  /// Retried; "not found" after an ambiguous try counts as removed.
  void remove_imported_number(const std::string& phone_number_id) override;
  std::vector<WorkspaceNumber> list_workspace_numbers() override;
  void release_workspace_number(const std::string& provider_id) override;
  /// Retried.
  std::vector<Conversation> list_conversations(const std::string& agent_id, int limit) override;
  /// Retried after a 429 only: a call waits on the line, so nothing else is worth the wait.
  std::string register_call(const CallRegistration& call) override;
  /// Retried (every page again).
  std::vector<Conversation> list_conversations_since(const std::string& agent_id,
                                                     std::int64_t start_after_unix) override;
  /// Retried.
  ConversationDetails get_conversation(const std::string& conversation_id) override;
  /// Retried.
  std::vector<WorkspaceWebhook> list_webhooks() override;
  /// Retried.
  std::optional<WorkspaceWebhook> get_webhook(const std::string& webhook_id) override;
  /// Retried after a 429 only: a second webhook would be made, and its secret is shown once.
  CreatedWebhook create_webhook(const std::string& name, const std::string& url) override;
  /// Retried; "not found" after an ambiguous try counts as deleted.
  void delete_webhook(const std::string& webhook_id) override;
  /// Retried.
  PostCallWebhookSettings post_call_webhook() override;
  /// Retried: it sets the same values again.
  PostCallWebhookSettings set_post_call_webhook(const PostCallWebhookSettings& settings) override;

private:
  VoiceAgentProvider& m_inner;
  ResilientCalls m_calls;
};

} // namespace vami
