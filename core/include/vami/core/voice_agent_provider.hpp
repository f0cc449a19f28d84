#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <vami/core/call.hpp>
#include <vami/core/money.hpp>
#include <vami/core/tenant.hpp>

namespace vami {

/// A knowledge-base document as an agent references it (ElevenLabs `KnowledgeBaseLocator`
/// `{type, name, id, usage_mode: "auto"}` in `conversation_config.agent.prompt.knowledge_base`).
struct KnowledgeBaseRef {
  std::string document_id;
  std::string name;
  DocumentSourceKind kind = DocumentSourceKind::file;
  friend bool operator==(const KnowledgeBaseRef&, const KnowledgeBaseRef&) = default;
};

/// What vami configures on an agent at the provider.
struct AgentDefinition {
  std::string name;
  std::string prompt;            ///< The system prompt as sent (personality already folded in).
  std::string first_message;     ///< Empty for none.
  std::string voice_id;          ///< Empty for the provider's default voice.
  std::string language;          ///< ISO 639-1 ("en"); empty for the provider's default.
  std::vector<std::string> tags; ///< Lets vami find the agent again (`vami-agent:<slug>`).
  std::vector<KnowledgeBaseRef> knowledge_base;
  /// Where the provider asks, before the agent answers an inbound call, which agent takes it
  /// and with which variables (Synthflow `inbound_call_webhook_url`: vami's router); empty for
  /// none. Only providers with `AgentProviderCapabilities::agent_webhooks` keep it.
  std::string inbound_webhook_url;
  /// Where the provider posts each call's data once it ends (Synthflow `external_webhook_url`:
  /// vami's router); empty for none. Only providers with `agent_webhooks` keep it.
  std::string post_call_webhook_url;
};

/// A partial update of an agent (HTTP PATCH): only the fields that are set are sent; the
/// provider merges `conversation_config` so unset fields keep their values.
struct AgentChange {
  std::optional<std::string> name;
  std::optional<std::string> prompt;
  std::optional<std::string> first_message;
  std::optional<std::string> voice_id;
  std::optional<std::string> language;
  std::optional<std::vector<KnowledgeBaseRef>> knowledge_base; ///< Replaces the whole list.
  /// `AgentDefinition::inbound_webhook_url` (empty: none); providers without `agent_webhooks`
  /// ignore it.
  std::optional<std::string> inbound_webhook_url;
  /// `AgentDefinition::post_call_webhook_url` (empty: none); providers without
  /// `agent_webhooks` ignore it.
  std::optional<std::string> post_call_webhook_url;
};

/// An agent as the provider reports it.
struct ProviderAgent {
  std::string agent_id;
  AgentDefinition definition;
};

/// One line of the provider's agent list (ElevenLabs `AgentSummaryResponseModel`).
struct AgentSummary {
  std::string agent_id;
  std::string name;
  std::string voice_id;
  std::vector<std::string> tags;
  std::int64_t created_at_unix = 0; ///< Seconds since the Unix epoch.
};

/// A voice the provider can speak with (ElevenLabs `VoiceResponseModel`).
struct Voice {
  std::string voice_id;
  std::string name;     ///< "Rachel".
  std::string category; ///< "premade", "cloned", "generated", "professional".
  std::string gender;   ///< From the voice's labels; may be empty.
  std::string accent;   ///< From the voice's labels; may be empty.
  std::string description;
};

/// A file to upload to the knowledge base (multipart `file`).
struct DocumentUpload {
  std::string name;      ///< Display name at the provider.
  std::string file_name; ///< The file name sent in the multipart part ("faq.pdf").
  std::string mime_type; ///< As detected from the content.
  std::string content;   ///< The bytes.
};

/// A knowledge-base document the provider created (ElevenLabs `AddKnowledgeBaseResponseModel`).
struct ProviderDocument {
  std::string document_id;
  std::string name;
};

/// One knowledge-base document as the provider lists it (ElevenLabs
/// `GetKnowledgeBaseSummary{File,URL,Text}ResponseModel`).
struct DocumentSummary {
  std::string document_id;
  std::string name;
  DocumentSourceKind kind = DocumentSourceKind::file;
};

/// A telephony number imported into the voice-agent provider (ElevenLabs
/// `GetPhoneNumberTwilioResponseModel`).
struct ImportedNumber {
  std::string phone_number_id; ///< The provider's id of the imported number.
  std::string e164;
  std::string label;
  std::string agent_id; ///< The assigned agent; empty when none.
};

/// A phone number the voice-agent provider's workspace holds itself (bought through the
/// provider: Synthflow `GET /numbers`), as opposed to a telephony number imported into it. Such
/// a number comes into the pool as a row of that provider (`PoolNumber::provider`), and only
/// that provider's agents can answer it.
struct WorkspaceNumber {
  std::string provider_id; ///< The provider's id of the number (Synthflow: its slug, E.164
                           ///< without `+`); stored as the row's `provider_sid`.
  std::string e164;
  std::string agent_id; ///< The agent that answers it; empty when none.
};

/// One conversation (call) of an agent (ElevenLabs `ConversationSummaryResponseModel`).
struct Conversation {
  std::string conversation_id;
  std::string agent_id;
  std::string status; ///< "initiated", "in-progress", "processing", "done", "failed".
  std::int64_t start_time_unix = 0;
  std::int64_t duration_seconds = 0;
  std::int64_t message_count = 0;
  std::string call_successful; ///< "success", "failure", "unknown".
};

/// A call the telephony provider is connecting, to be handed to an agent (the body of
/// ElevenLabs `POST /v1/convai/twilio/register-call`).
struct CallRegistration {
  std::string agent_id;    ///< The provider's agent id.
  std::string from_number; ///< The caller, as Twilio's `From` gave it (E.164 or `client:...`).
  std::string to_number;   ///< The number called (E.164).
  /// `inbound`, or an outbound direction (ElevenLabs `TelephonyDirection` `outbound`).
  CallDirection direction = CallDirection::inbound;
  /// The end user of the conversation (`conversation_initiation_client_data.user_id`); the
  /// router puts the tenant here. Empty for none.
  std::string user_id;
  /// `conversation_initiation_client_data.dynamic_variables`, as strings, in order; the post-call
  /// webhook echoes them back (`vami_tenant`, `vami_call_sid`).
  std::vector<std::pair<std::string, std::string>> dynamic_variables;
  /// Stream agents: the orchestrator's WebSocket URL (`Agent::stream_url`); empty for agents
  /// their provider hosts.
  std::string stream_url;
  /// Stream agents: what the orchestrator receives with the call (`stream_call_parameters`).
  std::vector<StreamParameter> stream_parameters;
};

/// One conversation with what its details add to the list's summary (ElevenLabs
/// `GetConversationResponseModel`): the phone call, the cost, the analysis and the transcript.
struct ConversationDetails {
  Conversation conversation;
  std::string call_sid;        ///< `metadata.phone_call.call_sid` (Twilio calls only).
  std::string agent_number;    ///< `metadata.phone_call.agent_number`: the pool number.
  std::string external_number; ///< `metadata.phone_call.external_number`: the other party.
  std::optional<CallDirection> direction; ///< `metadata.phone_call.direction`.
  std::optional<Money> cost;              ///< `metadata.cost_fiat`, in USD.
  std::optional<std::int64_t> credits;    ///< `metadata.cost`, in credits.
  std::string transcript_summary;         ///< `analysis.transcript_summary`.
  std::vector<TranscriptLine> transcript;
};

/// A webhook of the voice-agent provider's workspace, which its products (post-call
/// notifications among them) deliver to (ElevenLabs `WorkspaceWebhookResponseModel`).
struct WorkspaceWebhook {
  std::string webhook_id;
  std::string name;                 ///< The display name ("vami router").
  std::string url;                  ///< `webhook_url`: where deliveries go.
  std::string auth_type;            ///< "hmac", "oauth2" or "mtls".
  bool disabled = false;            ///< `is_disabled`: turned off by a person.
  bool auto_disabled = false;       ///< `is_auto_disabled`: turned off after repeated failures.
  std::int64_t created_at_unix = 0; ///< Seconds since the Unix epoch.
};

/// A signed (HMAC) workspace webhook just created (ElevenLabs
/// `WorkspaceCreateWebhookResponseModel`): the only time the provider hands out its secret.
struct CreatedWebhook {
  std::string webhook_id;
  std::string secret; ///< Signs every delivery (`ElevenLabs-Signature`); a credential.
};

/// Where the workspace's post-call webhooks go (ElevenLabs `ConvAIWebhooks` of the Agents
/// Platform settings).
struct PostCallWebhookSettings {
  std::string webhook_id; ///< `post_call_webhook_id`; empty: no post-call webhook.
  /// The events delivered (`WebhookEventType`: "transcript", "audio",
  /// "call_initiation_failure", ...).
  std::vector<std::string> events;
  friend bool operator==(const PostCallWebhookSettings&, const PostCallWebhookSettings&) = default;
};

/// What a voice-agent provider can do, so that use cases refuse what it cannot before anything
/// changes (a knowledge base for an agent the provider keeps none for, a native number for an
/// agent only the router reaches).
struct AgentProviderCapabilities {
  /// Voices are ids of the provider's catalogue (`list_voices`), and a voice name is resolved
  /// to its id; when false, the voice is passed on as given.
  bool voice_catalogue = true;
  /// Agents hold knowledge-base documents (`add_document_*`, `AgentChange::knowledge_base`).
  bool knowledge_base = true;
  /// Telephony numbers can be imported so that the provider answers them (native routing).
  bool native_numbers = true;
  /// The provider keeps the agents: they can be listed, looked up and found again by tag. When
  /// false, the state database is the agent's only record (the provider is stateless) and
  /// reconcile has nothing to compare.
  bool hosted_agents = true;
  /// Workspace webhooks and post-call settings (`list_webhooks`, `post_call_webhook`).
  bool workspace_webhooks = true;
  /// Agents are reached at the platform's own orchestrator over a media stream: each agent has
  /// a stream URL and parameters (`Agent::stream_url`).
  bool stream_agents = false;
  /// Calls can reach the agents through vami's call router (webhook routing): the router hands
  /// each call over with `register_call` (or streams it to the orchestrator). False for
  /// Synthflow, whose `register_call` throws.
  bool router_calls = true;
  /// The provider answers a pool number over SIP rather than through its voice URL: native
  /// routing moves the number onto the telephony account's SIP trunk to the provider
  /// (`sip_origination_uri`) and imports it with the trunk's termination URI
  /// (`import_sip_trunk_number`); unassigning removes the import and takes the number off the
  /// trunk (Synthflow `POST /custom-numbers`).
  bool native_numbers_need_sip_trunk = false;
  /// Each agent has its own inbound and post-call webhooks (`AgentDefinition::
  /// inbound_webhook_url`, `post_call_webhook_url`; Synthflow), which `vami router setup`
  /// points at the router; the workspace has none.
  bool agent_webhooks = false;
  /// An agent answers at most one number (a Synthflow inbound agent has one `phone_number`):
  /// assigning a second one to it is refused before anything changes.
  bool one_number_per_agent = false;
  /// The workspace holds phone numbers of its own (`list_workspace_numbers`), which come into
  /// the pool as rows of this provider and are answered by its agents only (Synthflow).
  bool workspace_numbers = false;
};

/// A voice-agent platform account (ElevenLabs Agents today). Every method makes one or more
/// provider requests and throws `vami::Error` typed by what went wrong: `auth` for a rejected
/// key (401), `not_found` for a missing agent, document or number (404), `invalid_input` for a
/// request the provider's validation refused (422, with the provider's message), `rate_limited`
/// for 429 (with `Retry-After`), `unavailable` for network failures, timeouts and 5xx,
/// `provider` for other refusals. Implementations must be safe to call from several threads.
class VoiceAgentProvider {
public:
  virtual ~VoiceAgentProvider() = default;

  /// Short name of the provider ("elevenlabs"), stored with each agent.
  [[nodiscard]] virtual std::string name() const = 0;
  /// What the provider can do. No request.
  [[nodiscard]] virtual AgentProviderCapabilities capabilities() const = 0;

  /// Creates an agent and returns its id. Not idempotent: after an ambiguous failure look for
  /// the agent by its tag before creating it again.
  virtual std::string create_agent(const AgentDefinition& definition) = 0;
  /// The agent, or empty when the provider does not know it.
  virtual std::optional<ProviderAgent> get_agent(const std::string& agent_id) = 0;
  /// Changes the set fields of an agent and returns the agent as the provider now reports it.
  virtual ProviderAgent update_agent(const std::string& agent_id, const AgentChange& change) = 0;
  /// Deletes an agent. @throws Error(not_found) when the provider does not know it.
  virtual void delete_agent(const std::string& agent_id) = 0;
  /// Every agent of the account whose name contains `search` (all when empty), following the
  /// provider's cursor pages to the end. Throws, and returns nothing, if any page fails.
  virtual std::vector<AgentSummary> list_agents(const std::string& search) = 0;

  /// The voices the account can use.
  virtual std::vector<Voice> list_voices() = 0;

  /// Uploads a file to the knowledge base (multipart). Not idempotent.
  virtual ProviderDocument add_document_file(const DocumentUpload& upload) = 0;
  /// Adds a web page (http or https URL) to the knowledge base; `name` may be empty.
  virtual ProviderDocument add_document_url(const std::string& url, const std::string& name) = 0;
  /// Adds a text to the knowledge base; `name` may be empty.
  virtual ProviderDocument add_document_text(const std::string& text, const std::string& name) = 0;
  /// Every knowledge-base document of the account whose name starts with `name_prefix` (all
  /// when empty), following the provider's cursor pages to the end; folders are left out.
  /// Throws, and returns nothing, if any page fails.
  virtual std::vector<DocumentSummary> list_documents(const std::string& name_prefix) = 0;
  /// Deletes a knowledge-base document, even if agents still reference it.
  /// @throws Error(not_found) when the provider does not know it.
  virtual void delete_document(const std::string& document_id) = 0;

  /// Imports a number the telephony account owns so that the provider answers its calls (for
  /// Twilio the provider sets the number's voice URL itself). `label` names it in the
  /// provider's console. @throws Error(invalid_input) when the telephony account does not own it.
  virtual ImportedNumber import_number(const std::string& e164, const std::string& label) = 0;
  /// Imports a number that is on the telephony account's SIP trunk to this provider
  /// (`native_numbers_need_sip_trunk`), so that the provider answers the calls the trunk sends
  /// it and places its own through `sip_termination_uri` (the trunk's termination SIP domain).
  /// Not idempotent: after a failure look for the import (`list_imported_numbers`).
  /// @throws Error(invalid_input) from providers that answer numbers through their voice URL.
  virtual ImportedNumber import_sip_trunk_number(const std::string& e164, const std::string& label,
                                                 const std::string& sip_termination_uri) = 0;
  /// Where a SIP trunk must send a number's calls for this provider to answer them (a `sip:`
  /// URI; Synthflow `sip:sip.synthflow.ai:32681`, by region); empty for providers that answer
  /// numbers through their voice URL. No request.
  [[nodiscard]] virtual std::string sip_origination_uri() const = 0;
  /// Assigns an imported number to `agent_id`, or unassigns it when `agent_id` is empty, in one
  /// request (a reassignment never leaves the number without an agent).
  virtual ImportedNumber set_number_agent(const std::string& phone_number_id,
                                          const std::string& agent_id) = 0;
  /// Whether `voice_url` is the voice URL the provider gives a telephony number when it imports
  /// it (its own inbound-call endpoint), so that it answers the number's calls. No request.
  [[nodiscard]] virtual bool answers_voice_url(const std::string& voice_url) const = 0;
  /// Every number imported into the account (one list, no pages).
  virtual std::vector<ImportedNumber> list_imported_numbers() = 0;
  /// Removes an imported number from the provider (the telephony number stays owned).
  /// @throws Error(not_found) when the provider does not know it.
  virtual void remove_imported_number(const std::string& phone_number_id) = 0;

  /// The numbers the workspace holds itself (`AgentProviderCapabilities::workspace_numbers`),
  /// every page, leaving out telephony numbers imported into it (Synthflow `GET /numbers`
  /// without the SIP imports of `POST /custom-numbers`); empty for providers without them.
  /// Throws, and returns nothing, if any page fails.
  virtual std::vector<WorkspaceNumber> list_workspace_numbers() = 0;
  /// Gives a number the workspace holds back to the provider, which stops charging for it and
  /// takes it off any agent (Synthflow `DELETE /numbers/{slug}`: "for phone numbers purchased
  /// through Synthflow, this also cancels the monthly subscription"). Irreversible.
  /// @throws Error(not_found) when the workspace does not hold it; Error(invalid_input) from
  ///         providers without workspace numbers.
  virtual void release_workspace_number(const std::string& provider_id) = 0;

  /// The newest conversations of an agent, at most `limit`, following cursor pages.
  virtual std::vector<Conversation> list_conversations(const std::string& agent_id, int limit) = 0;

  /// Registers a call the telephony provider is connecting with the agent `call.agent_id` and
  /// returns the document to answer the telephony provider's voice webhook with (TwiML that
  /// connects the call's audio to the agent; opaque to vami, relayed as it is). ElevenLabs
  /// `register-call`. Not idempotent (each registration starts a conversation), but nothing is
  /// lost by repeating one that failed: the call is connected only by the TwiML returned.
  /// @throws Error(not_found) for an unknown agent; Error(provider) when the answer is not a
  ///         TwiML document; the other errors of the class.
  virtual std::string register_call(const CallRegistration& call) = 0;

  /// Every conversation of an agent that started at or after `start_after_unix` (seconds since
  /// the epoch; 0: all), following cursor pages to the end (ElevenLabs
  /// `GET /v1/convai/conversations?agent_id=&call_start_after_unix=`). Throws, and returns
  /// nothing, if any page fails.
  virtual std::vector<Conversation> list_conversations_since(const std::string& agent_id,
                                                             std::int64_t start_after_unix) = 0;

  /// One conversation with its details (ElevenLabs `GET /v1/convai/conversations/{id}`).
  /// @throws Error(not_found) when the provider does not know it.
  virtual ConversationDetails get_conversation(const std::string& conversation_id) = 0;

  /// Every webhook of the workspace (ElevenLabs `GET /v1/workspace/webhooks`; one list, no
  /// pages).
  virtual std::vector<WorkspaceWebhook> list_webhooks() = 0;
  /// The workspace webhook `webhook_id`, or empty when the provider does not know it (read from
  /// the list: the provider has no request for one webhook).
  virtual std::optional<WorkspaceWebhook> get_webhook(const std::string& webhook_id) = 0;
  /// Creates a workspace webhook signed with HMAC, named `name`, delivering to `url` (https),
  /// and returns its id and secret, which the provider never shows again (ElevenLabs
  /// `POST /v1/workspace/webhooks`, `WebhookHMACSettings`). Not idempotent: after an ambiguous
  /// failure look for it by name and URL (its secret is lost: delete it and create another).
  /// @throws Error(invalid_input) when the provider refuses the URL (422); Error(provider) when
  ///         the answer carries no secret.
  virtual CreatedWebhook create_webhook(const std::string& name, const std::string& url) = 0;
  /// Deletes a workspace webhook (ElevenLabs `DELETE /v1/workspace/webhooks/{webhook_id}`).
  /// @throws Error(not_found) when the provider does not know it.
  virtual void delete_webhook(const std::string& webhook_id) = 0;
  /// The workspace's post-call webhook settings (ElevenLabs `GET /v1/convai/settings`,
  /// `webhooks`).
  virtual PostCallWebhookSettings post_call_webhook() = 0;
  /// Makes `settings` the workspace's post-call webhook and events, and returns the settings as
  /// the provider then reports them. The other Agents Platform settings are sent back as they
  /// were read, so that a PATCH whose schema has defaults cannot reset them (ElevenLabs
  /// `GET`, then `PATCH /v1/convai/settings` `{"webhooks": {post_call_webhook_id, events}}`).
  /// Setting the same values again changes nothing.
  virtual PostCallWebhookSettings
  set_post_call_webhook(const PostCallWebhookSettings& settings) = 0;
};

} // namespace vami
