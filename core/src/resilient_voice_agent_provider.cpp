#include <utility>

#include <vami/core/resilient_voice_agent_provider.hpp>

namespace vami {

ResilientVoiceAgentProvider::ResilientVoiceAgentProvider(VoiceAgentProvider& inner,
                                                         AdaptiveRateLimiter& limiter,
                                                         RetryPolicy policy, MonotonicClock& clock)
    : m_inner(inner), m_calls(limiter, std::move(policy), clock) {}

std::string ResilientVoiceAgentProvider::name() const {
  return m_inner.name();
}

AgentProviderCapabilities ResilientVoiceAgentProvider::capabilities() const {
  return m_inner.capabilities();
}

std::string ResilientVoiceAgentProvider::create_agent(const AgentDefinition& definition) {
  return m_calls.retried_if_unprocessed([&] { return m_inner.create_agent(definition); });
}

std::optional<ProviderAgent> ResilientVoiceAgentProvider::get_agent(const std::string& agent_id) {
  return m_calls.retried([&] { return m_inner.get_agent(agent_id); });
}

ProviderAgent ResilientVoiceAgentProvider::update_agent(const std::string& agent_id,
                                                        const AgentChange& change) {
  return m_calls.retried([&] { return m_inner.update_agent(agent_id, change); });
}

void ResilientVoiceAgentProvider::delete_agent(const std::string& agent_id) {
  m_calls.deleted([&] { m_inner.delete_agent(agent_id); });
}

std::vector<AgentSummary> ResilientVoiceAgentProvider::list_agents(const std::string& search) {
  return m_calls.retried([&] { return m_inner.list_agents(search); });
}

std::vector<DocumentSummary>
ResilientVoiceAgentProvider::list_documents(const std::string& name_prefix) {
  return m_calls.retried([&] { return m_inner.list_documents(name_prefix); });
}

std::vector<Voice> ResilientVoiceAgentProvider::list_voices() {
  return m_calls.retried([&] { return m_inner.list_voices(); });
}

ProviderDocument ResilientVoiceAgentProvider::add_document_file(const DocumentUpload& upload) {
  return m_calls.retried_if_unprocessed([&] { return m_inner.add_document_file(upload); });
}

ProviderDocument ResilientVoiceAgentProvider::add_document_url(const std::string& url,
                                                               const std::string& name) {
  return m_calls.retried_if_unprocessed([&] { return m_inner.add_document_url(url, name); });
}

ProviderDocument ResilientVoiceAgentProvider::add_document_text(const std::string& text,
                                                                const std::string& name) {
  return m_calls.retried_if_unprocessed([&] { return m_inner.add_document_text(text, name); });
}

void ResilientVoiceAgentProvider::delete_document(const std::string& document_id) {
  m_calls.deleted([&] { m_inner.delete_document(document_id); });
}

ImportedNumber ResilientVoiceAgentProvider::import_number(const std::string& e164,
                                                          const std::string& label) {
  return m_calls.retried_if_unprocessed([&] { return m_inner.import_number(e164, label); });
}

ImportedNumber ResilientVoiceAgentProvider::set_number_agent(const std::string& phone_number_id,
                                                             const std::string& agent_id) {
  return m_calls.retried([&] { return m_inner.set_number_agent(phone_number_id, agent_id); });
}

std::vector<ImportedNumber> ResilientVoiceAgentProvider::list_imported_numbers() {
  return m_calls.retried([&] { return m_inner.list_imported_numbers(); });
}

ImportedNumber ResilientVoiceAgentProvider::import_sip_trunk_number(
    const std::string& e164, const std::string& label, const std::string& sip_termination_uri) {
  return m_calls.retried_if_unprocessed(
      [&] { return m_inner.import_sip_trunk_number(e164, label, sip_termination_uri); });
}

std::string ResilientVoiceAgentProvider::sip_origination_uri() const {
  return m_inner.sip_origination_uri();
}

bool ResilientVoiceAgentProvider::answers_voice_url(const std::string& voice_url) const {
  return m_inner.answers_voice_url(voice_url);
}

void ResilientVoiceAgentProvider::remove_imported_number(const std::string& phone_number_id) {
  m_calls.deleted([&] { m_inner.remove_imported_number(phone_number_id); });
}

std::vector<WorkspaceNumber> ResilientVoiceAgentProvider::list_workspace_numbers() {
  return m_calls.retried([&] { return m_inner.list_workspace_numbers(); });
}

void ResilientVoiceAgentProvider::release_workspace_number(const std::string& provider_id) {
  m_calls.deleted([&] { m_inner.release_workspace_number(provider_id); });
}

std::vector<Conversation>
ResilientVoiceAgentProvider::list_conversations(const std::string& agent_id, int limit) {
  return m_calls.retried([&] { return m_inner.list_conversations(agent_id, limit); });
}

std::string ResilientVoiceAgentProvider::register_call(const CallRegistration& call) {
  return m_calls.retried_if_unprocessed([&] { return m_inner.register_call(call); });
}

std::vector<Conversation>
ResilientVoiceAgentProvider::list_conversations_since(const std::string& agent_id,
                                                      std::int64_t start_after_unix) {
  return m_calls.retried(
      [&] { return m_inner.list_conversations_since(agent_id, start_after_unix); });
}

ConversationDetails
ResilientVoiceAgentProvider::get_conversation(const std::string& conversation_id) {
  return m_calls.retried([&] { return m_inner.get_conversation(conversation_id); });
}

std::vector<WorkspaceWebhook> ResilientVoiceAgentProvider::list_webhooks() {
  return m_calls.retried([&] { return m_inner.list_webhooks(); });
}

std::optional<WorkspaceWebhook>
ResilientVoiceAgentProvider::get_webhook(const std::string& webhook_id) {
  return m_calls.retried([&] { return m_inner.get_webhook(webhook_id); });
}

CreatedWebhook ResilientVoiceAgentProvider::create_webhook(const std::string& name,
                                                           const std::string& url) {
  return m_calls.retried_if_unprocessed([&] { return m_inner.create_webhook(name, url); });
}

void ResilientVoiceAgentProvider::delete_webhook(const std::string& webhook_id) {
  m_calls.deleted([&] { m_inner.delete_webhook(webhook_id); });
}

PostCallWebhookSettings ResilientVoiceAgentProvider::post_call_webhook() {
  return m_calls.retried([&] { return m_inner.post_call_webhook(); });
}

PostCallWebhookSettings
ResilientVoiceAgentProvider::set_post_call_webhook(const PostCallWebhookSettings& settings) {
  return m_calls.retried([&] { return m_inner.set_post_call_webhook(settings); });
}

} // namespace vami
