#pragma once

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami::test {

/// An in-memory `VoiceAgentProvider` for core unit tests: agents (with their tags and knowledge
/// base), a voices catalogue, knowledge-base documents, imported numbers with their agent and
/// conversations. It records every call (method name and main argument) and can be told to fail
/// the Nth call (1-based, over the fake's whole life, every method counted) or the next calls of a
/// named method, with a given `ErrorKind`. A fault may let the provider act first and lose the
/// answer (`acted`), as a timeout after the request reached the provider does: the change is made
/// and the caller gets the error. Thread-safe.
class FakeVoiceAgentProvider final : public VoiceAgentProvider {
public:
  /// What a faulted call does instead of answering.
  struct Fault {
    ErrorKind kind = ErrorKind::unavailable;
    /// The provider carries the request out, then the answer is lost. Only meaningful for the
    /// methods that change something; read-only methods just fail.
    bool acted = false;
  };

  /// One recorded call: the method name, its main argument and, for two-argument methods, the
  /// second one (`set_number_agent`: the agent id; `add_document_url`: the name).
  struct Call {
    std::string method;
    std::string argument;
    std::string detail;
  };

  /// A document the provider holds.
  struct StoredDocument {
    std::string document_id;
    std::string name;
    DocumentSourceKind kind = DocumentSourceKind::file;
    std::string file_name; ///< For files.
    std::string mime_type; ///< For files.
    std::string content;   ///< File bytes, URL or text.
  };

  /// An empty account with a catalogue of premade voices (the ElevenLabs defaults' names and ids).
  FakeVoiceAgentProvider() {
    m_voices = {
        {"21m00Tcm4TlvDq8ikWAM", "Rachel", "premade", "female", "american", "calm"},
        {"EXAVITQu4vr4xnSDxMaL", "Bella", "premade", "female", "american", "soft"},
        {"pNInz6obpgDQGcFmaJgB", "Adam", "premade", "male", "american", "deep"},
        {"ErXwobaYiN019PkySvjV", "Antoni", "premade", "male", "american", "well-rounded"},
        {"AZnzlk1XvdvUeBnXmlld", "Domi", "premade", "female", "american", "strong"},
        {"MF3mGyEYCl7XYWbV9V6O", "Elli", "premade", "female", "american", "emotional"},
        {"TxGEqnHWrfWFTfGW9XjX", "Josh", "premade", "male", "american", "deep"},
        {"VR6AewLTigWG4xSOukaG", "Arnold", "premade", "male", "american", "crisp"},
        {"yoZ06aMxZJJ28mfd3POQ", "Sam", "premade", "male", "american", "raspy"},
    };
  }

  // --- scripting ----------------------------------------------------------------------------

  /// Makes call number `n` (1-based, counting every method over the fake's life) fail.
  void fail_at(int n, Fault fault) {
    std::lock_guard lock(m_mutex);
    m_faults[n] = fault;
  }
  /// Makes the next `times` calls of `method` ("create_agent", "update_agent", ...) fail,
  /// replacing what was asked earlier for that method.
  void fail_next(const std::string& method, Fault fault, int times = 1) {
    std::lock_guard lock(m_mutex);
    m_method_faults[method] = {fault, times};
  }
  /// Runs `hook` at the start of every later call, before the provider acts: what another
  /// process does while a request is on its way.
  void on_call(std::function<void(const Call&)> hook) {
    std::lock_guard lock(m_mutex);
    m_on_call = std::move(hook);
  }
  /// The telephony account whose numbers this account imports: an import points the number's
  /// voice URL at `k_inbound_url`, and removing the import clears it while it still points
  /// there, as ElevenLabs' native Twilio integration does. Unlinked, imports touch no voice URL.
  struct TelephonyLink {
    std::function<std::string(const std::string& e164)> voice_url;
    std::function<void(const std::string& e164, const std::string& url)> point;
  };
  /// The voice URL this fake's imports give a number (ElevenLabs' inbound-call endpoint).
  static constexpr const char* k_inbound_url = "https://api.us.elevenlabs.io/twilio/inbound_call";
  /// Links the fake to a telephony account (see `TelephonyLink`).
  void link_telephony(TelephonyLink link) {
    std::lock_guard lock(m_mutex);
    m_telephony = std::move(link);
  }
  /// Adds a voice to the catalogue.
  void add_voice(Voice voice) {
    std::lock_guard lock(m_mutex);
    m_voices.push_back(std::move(voice));
  }
  /// Adds a conversation of `conversation.agent_id`.
  void add_conversation(Conversation conversation) {
    std::lock_guard lock(m_mutex);
    m_conversations.push_back(std::move(conversation));
  }
  /// Puts a number into the workspace as the provider sells them (Synthflow: bought in its
  /// dashboard), unrecorded: listed by `list_workspace_numbers` and, as Synthflow lists every
  /// number of the workspace, by `list_imported_numbers` (id: the slug, E.164 without `+`).
  void seed_workspace_number(const std::string& e164, const std::string& agent_id = "") {
    std::lock_guard lock(m_mutex);
    ImportedNumber number;
    number.phone_number_id = e164.substr(1);
    number.e164 = e164;
    number.agent_id = agent_id;
    m_imported[number.phone_number_id] = number;
    m_workspace.insert(number.phone_number_id);
  }
  /// Creates an agent directly (as someone using the provider's console would), unrecorded.
  std::string seed_agent(AgentDefinition definition) {
    std::lock_guard lock(m_mutex);
    return store_agent(std::move(definition));
  }

  // --- inspection ---------------------------------------------------------------------------

  /// Every call so far, in order, faulted ones included.
  std::vector<Call> calls() const {
    std::lock_guard lock(m_mutex);
    return m_calls;
  }
  /// The recorded calls of `method`, in order.
  std::vector<Call> calls_of(const std::string& method) const {
    std::lock_guard lock(m_mutex);
    std::vector<Call> found;
    std::copy_if(m_calls.begin(), m_calls.end(), std::back_inserter(found),
                 [&](const Call& call) { return call.method == method; });
    return found;
  }
  /// The names of the methods called so far, in order.
  std::vector<std::string> methods() const {
    std::lock_guard lock(m_mutex);
    std::vector<std::string> names;
    for (const auto& call : m_calls) {
      names.push_back(call.method);
    }
    return names;
  }
  /// Numbers the ids it makes from `first` on (agents, documents, imports, webhooks), so that
  /// two fakes standing for two accounts of one provider never make the same id.
  void first_ids_at(int first) {
    std::lock_guard lock(m_mutex);
    m_next_agent = m_next_document = m_next_webhook = m_next_number = first;
  }
  /// Number of calls of `method`.
  int count(const std::string& method) const {
    std::lock_guard lock(m_mutex);
    return static_cast<int>(std::count_if(m_calls.begin(), m_calls.end(),
                                          [&](const Call& call) { return call.method == method; }));
  }
  /// Number of calls over the fake's life, every method counted (`clear_calls` does not reset
  /// it): the next call is `fail_at(call_count() + 1, ...)`.
  int call_count() const {
    std::lock_guard lock(m_mutex);
    return m_cleared + static_cast<int>(m_calls.size());
  }
  /// Forgets the recorded calls (faults keep their positions over the fake's life).
  void clear_calls() {
    std::lock_guard lock(m_mutex);
    m_cleared += static_cast<int>(m_calls.size());
    m_calls.clear();
  }
  /// The agents the account holds, by id.
  std::map<std::string, ProviderAgent> agents() const {
    std::lock_guard lock(m_mutex);
    return m_agents;
  }
  /// The documents the account holds, by id.
  std::map<std::string, StoredDocument> documents() const {
    std::lock_guard lock(m_mutex);
    return m_documents;
  }
  /// The imported numbers, by phone number id.
  std::map<std::string, ImportedNumber> imported() const {
    std::lock_guard lock(m_mutex);
    return m_imported;
  }
  /// Every change `update_agent` was given (agent id, change), in order, faulted ones included.
  std::vector<std::pair<std::string, AgentChange>> changes() const {
    std::lock_guard lock(m_mutex);
    return m_changes;
  }
  /// How many times a document was deleted while an agent still referenced it.
  int deleted_while_referenced() const {
    std::lock_guard lock(m_mutex);
    return m_deleted_while_referenced;
  }

  // --- VoiceAgentProvider -------------------------------------------------------------------

  std::string name() const override { return m_name; }
  AgentProviderCapabilities capabilities() const override { return m_capabilities; }
  /// Makes the fake another provider: its name and what it can do ("elevenlabs" and everything
  /// but stream agents until told).
  void act_as(std::string name, AgentProviderCapabilities capabilities) {
    m_name = std::move(name);
    m_capabilities = capabilities;
  }

  std::string create_agent(const AgentDefinition& definition) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("create_agent", definition.name, "", true);
    check_voice(definition.voice_id);
    check_documents(definition.knowledge_base);
    std::string id = store_agent(definition);
    if (act_then_fail) {
      fail();
    }
    return id;
  }

  std::optional<ProviderAgent> get_agent(const std::string& agent_id) override {
    std::lock_guard lock(m_mutex);
    begin("get_agent", agent_id, "", false);
    auto it = m_agents.find(agent_id);
    return it == m_agents.end() ? std::nullopt : std::optional<ProviderAgent>(it->second);
  }

  ProviderAgent update_agent(const std::string& agent_id, const AgentChange& change) override {
    std::lock_guard lock(m_mutex);
    m_changes.emplace_back(agent_id, change);
    const bool act_then_fail = begin("update_agent", agent_id, "", true);
    ProviderAgent& agent = require_agent(agent_id);
    if (change.voice_id) {
      check_voice(*change.voice_id);
    }
    if (change.knowledge_base) {
      check_documents(*change.knowledge_base);
    }
    AgentDefinition& definition = agent.definition;
    definition.name = change.name.value_or(definition.name);
    definition.prompt = change.prompt.value_or(definition.prompt);
    definition.first_message = change.first_message.value_or(definition.first_message);
    definition.voice_id = change.voice_id.value_or(definition.voice_id);
    definition.language = change.language.value_or(definition.language);
    definition.knowledge_base = change.knowledge_base.value_or(definition.knowledge_base);
    if (m_capabilities.agent_webhooks) { // kept only where the provider has per-agent webhooks
      definition.inbound_webhook_url =
          change.inbound_webhook_url.value_or(definition.inbound_webhook_url);
      definition.post_call_webhook_url =
          change.post_call_webhook_url.value_or(definition.post_call_webhook_url);
    }
    if (act_then_fail) {
      fail();
    }
    return agent;
  }

  void delete_agent(const std::string& agent_id) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("delete_agent", agent_id, "", true);
    require_agent(agent_id);
    m_agents.erase(agent_id);
    // A deleted agent answers no number any more.
    for (auto& [id, number] : m_imported) {
      if (number.agent_id == agent_id) {
        number.agent_id.clear();
      }
    }
    if (act_then_fail) {
      fail();
    }
  }

  std::vector<AgentSummary> list_agents(const std::string& search) override {
    std::lock_guard lock(m_mutex);
    begin("list_agents", search, "", false);
    std::vector<AgentSummary> found;
    for (const auto& [id, agent] : m_agents) {
      if (lower(agent.definition.name).find(lower(search)) == std::string::npos) {
        continue;
      }
      found.push_back({id, agent.definition.name, agent.definition.voice_id, agent.definition.tags,
                       1'700'000'000 + static_cast<std::int64_t>(found.size())});
    }
    return found;
  }

  std::vector<Voice> list_voices() override {
    std::lock_guard lock(m_mutex);
    begin("list_voices", "", "", false);
    return m_voices;
  }

  ProviderDocument add_document_file(const DocumentUpload& upload) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("add_document_file", upload.name, upload.file_name, true);
    StoredDocument document;
    document.name = upload.name;
    document.kind = DocumentSourceKind::file;
    document.file_name = upload.file_name;
    document.mime_type = upload.mime_type;
    document.content = upload.content;
    return store_document(std::move(document), act_then_fail);
  }

  ProviderDocument add_document_url(const std::string& url, const std::string& name) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("add_document_url", url, name, true);
    StoredDocument document;
    document.name = name.empty() ? url : name;
    document.kind = DocumentSourceKind::url;
    document.content = url;
    return store_document(std::move(document), act_then_fail);
  }

  ProviderDocument add_document_text(const std::string& text, const std::string& name) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("add_document_text", name, "", true);
    StoredDocument document;
    document.name = name.empty() ? "Text document" : name;
    document.kind = DocumentSourceKind::text;
    document.content = text;
    return store_document(std::move(document), act_then_fail);
  }

  std::vector<DocumentSummary> list_documents(const std::string& name_prefix) override {
    std::lock_guard lock(m_mutex);
    begin("list_documents", name_prefix, "", false);
    std::vector<DocumentSummary> found;
    for (const auto& [id, document] : m_documents) {
      if (document.name.rfind(name_prefix, 0) == 0) {
        found.push_back({id, document.name, document.kind});
      }
    }
    return found;
  }

  void delete_document(const std::string& document_id) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("delete_document", document_id, "", true);
    if (m_documents.erase(document_id) == 0) {
      throw Error(ErrorKind::not_found, "document " + document_id + " not found");
    }
    for (const auto& [id, agent] : m_agents) {
      const auto& refs = agent.definition.knowledge_base;
      if (std::any_of(refs.begin(), refs.end(), [&](const KnowledgeBaseRef& ref) {
            return ref.document_id == document_id;
          })) {
        ++m_deleted_while_referenced;
      }
    }
    if (act_then_fail) {
      fail();
    }
  }

  ImportedNumber import_number(const std::string& e164, const std::string& label) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("import_number", e164, label, true);
    for (const auto& [id, number] : m_imported) {
      if (number.e164 == e164) {
        throw Error(ErrorKind::provider, "phone number " + e164 + " is already imported");
      }
    }
    ImportedNumber number;
    number.phone_number_id = "phnum_" + padded(m_next_number++);
    number.e164 = e164;
    number.label = label;
    m_imported[number.phone_number_id] = number;
    if (m_telephony.point) {
      m_telephony.point(e164, k_inbound_url);
    }
    if (act_then_fail) {
      fail();
    }
    return number;
  }

  /// The SIP address of a fake acting as a provider that answers over SIP
  /// (`native_numbers_need_sip_trunk`).
  static constexpr const char* k_sip_address = "sip:sip.agents.test:32681";

  ImportedNumber import_sip_trunk_number(const std::string& e164, const std::string& label,
                                         const std::string& sip_termination_uri) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("import_sip_trunk_number", e164, sip_termination_uri, true);
    if (!m_capabilities.native_numbers_need_sip_trunk) {
      throw Error(ErrorKind::invalid_input, "this provider answers numbers by voice URL");
    }
    for (const auto& [id, number] : m_imported) {
      if (number.e164 == e164) {
        throw Error(ErrorKind::provider, "phone number " + e164 + " is already imported");
      }
    }
    ImportedNumber number;
    number.phone_number_id = e164.substr(1); // Synthflow's slug: the number without its `+`
    number.e164 = e164;
    number.label = label;
    m_imported[number.phone_number_id] = number;
    m_sip_termination[number.phone_number_id] = sip_termination_uri;
    if (act_then_fail) {
      fail();
    }
    return number;
  }

  std::string sip_origination_uri() const override {
    return m_capabilities.native_numbers_need_sip_trunk ? k_sip_address : "";
  }

  /// The termination URI a SIP-trunk import was given; empty for other imports.
  std::string sip_termination_of(const std::string& phone_number_id) const {
    std::lock_guard lock(m_mutex);
    auto found = m_sip_termination.find(phone_number_id);
    return found == m_sip_termination.end() ? "" : found->second;
  }

  ImportedNumber set_number_agent(const std::string& phone_number_id,
                                  const std::string& agent_id) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("set_number_agent", phone_number_id, agent_id, true);
    auto it = m_imported.find(phone_number_id);
    if (it == m_imported.end()) {
      throw Error(ErrorKind::not_found, "phone number " + phone_number_id + " not found");
    }
    if (!agent_id.empty()) {
      require_agent(agent_id);
    }
    it->second.agent_id = agent_id;
    if (act_then_fail) {
      fail();
    }
    return it->second;
  }

  bool answers_voice_url(const std::string& voice_url) const override {
    return voice_url == k_inbound_url;
  }

  std::vector<ImportedNumber> list_imported_numbers() override {
    std::lock_guard lock(m_mutex);
    begin("list_imported_numbers", "", "", false);
    std::vector<ImportedNumber> numbers;
    for (const auto& [id, number] : m_imported) {
      numbers.push_back(number);
    }
    return numbers;
  }

  std::vector<WorkspaceNumber> list_workspace_numbers() override {
    std::lock_guard lock(m_mutex);
    begin("list_workspace_numbers", "", "", false);
    std::vector<WorkspaceNumber> numbers;
    for (const std::string& id : m_workspace) {
      const ImportedNumber& held = m_imported.at(id);
      numbers.push_back(WorkspaceNumber{id, held.e164, held.agent_id});
    }
    return numbers;
  }

  void release_workspace_number(const std::string& provider_id) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("release_workspace_number", provider_id, "", true);
    if (m_workspace.erase(provider_id) == 0) {
      throw Error(ErrorKind::not_found, "phone number " + provider_id + " not found");
    }
    m_imported.erase(provider_id);
    if (act_then_fail) {
      fail();
    }
  }

  void remove_imported_number(const std::string& phone_number_id) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("remove_imported_number", phone_number_id, "", true);
    auto it = m_imported.find(phone_number_id);
    if (it == m_imported.end()) {
      throw Error(ErrorKind::not_found, "phone number " + phone_number_id + " not found");
    }
    const std::string e164 = it->second.e164;
    m_imported.erase(it);
    if (m_telephony.point && m_telephony.voice_url(e164) == k_inbound_url) {
      m_telephony.point(e164, "");
    }
    if (act_then_fail) {
      fail();
    }
  }

  /// Adds a conversation with its details (also listed as its summary).
  void add_conversation_details(ConversationDetails details) {
    std::lock_guard lock(m_mutex);
    m_conversations.push_back(details.conversation);
    m_details[details.conversation.conversation_id] = std::move(details);
  }

  std::vector<Conversation> list_conversations_since(const std::string& agent_id,
                                                     std::int64_t start_after_unix) override {
    std::lock_guard lock(m_mutex);
    begin("list_conversations_since", agent_id, std::to_string(start_after_unix), false);
    std::vector<Conversation> found;
    for (const Conversation& conversation : m_conversations) {
      if (conversation.agent_id == agent_id && conversation.start_time_unix >= start_after_unix) {
        found.push_back(conversation);
      }
    }
    return found;
  }

  ConversationDetails get_conversation(const std::string& conversation_id) override {
    std::lock_guard lock(m_mutex);
    begin("get_conversation", conversation_id, "", false);
    if (auto it = m_details.find(conversation_id); it != m_details.end()) {
      return it->second;
    }
    for (const Conversation& conversation : m_conversations) {
      if (conversation.conversation_id == conversation_id) {
        return ConversationDetails{conversation, {}, {}, {}, {}, {}, {}, {}, {}};
      }
    }
    throw Error(ErrorKind::not_found, "conversation " + conversation_id + " not found");
  }

  std::vector<Conversation> list_conversations(const std::string& agent_id, int limit) override {
    std::lock_guard lock(m_mutex);
    begin("list_conversations", agent_id, std::to_string(limit), false);
    std::vector<Conversation> found;
    for (auto it = m_conversations.rbegin();
         it != m_conversations.rend() && static_cast<int>(found.size()) < limit; ++it) {
      if (it->agent_id == agent_id) {
        found.push_back(*it);
      }
    }
    return found;
  }

  /// `<Response><Connect><Stream url="wss://fake.invalid/<agent_id>"/></Connect></Response>`
  /// for an agent the account holds; Error(not_found) otherwise. Recorded as ("register_call",
  /// agent id, "from -> to"); every registration is kept (`registrations`). Runs `delay` first,
  /// when set (a slow provider).
  std::string register_call(const CallRegistration& call) override {
    std::function<void()> delay;
    {
      std::lock_guard lock(m_mutex);
      begin("register_call", call.agent_id, call.from_number + " -> " + call.to_number, false);
      if (m_agents.count(call.agent_id) == 0) {
        throw Error(ErrorKind::not_found, "agent " + call.agent_id + " not found");
      }
      m_registrations.push_back(call);
      delay = m_register_delay;
    }
    if (delay) {
      delay();
    }
    return "<Response><Connect><Stream url=\"wss://fake.invalid/" + call.agent_id +
           "\"/></Connect></Response>";
  }
  /// Runs `delay` inside every later `register_call`, after it is recorded, without the lock.
  void on_register_call(std::function<void()> delay) {
    std::lock_guard lock(m_mutex);
    m_register_delay = std::move(delay);
  }
  /// Every registration `register_call` accepted, in order.
  std::vector<CallRegistration> registrations() const {
    std::lock_guard lock(m_mutex);
    return m_registrations;
  }

  // --- workspace webhooks -------------------------------------------------------------------

  std::vector<WorkspaceWebhook> list_webhooks() override {
    std::lock_guard lock(m_mutex);
    begin("list_webhooks", "", "", false);
    std::vector<WorkspaceWebhook> out;
    for (const auto& [id, webhook] : m_webhooks) {
      out.push_back(webhook);
    }
    return out;
  }

  std::optional<WorkspaceWebhook> get_webhook(const std::string& webhook_id) override {
    std::lock_guard lock(m_mutex);
    begin("get_webhook", webhook_id, "", false);
    auto it = m_webhooks.find(webhook_id);
    return it == m_webhooks.end() ? std::nullopt : std::optional<WorkspaceWebhook>(it->second);
  }

  /// Creates an HMAC webhook whose secret is "whsec_<n>"; its id is "wh<n>".
  CreatedWebhook create_webhook(const std::string& name, const std::string& url) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("create_webhook", name, url, true);
    const std::string n = padded(m_next_webhook++);
    WorkspaceWebhook webhook;
    webhook.webhook_id = "wh" + n;
    webhook.name = name;
    webhook.url = url;
    webhook.auth_type = "hmac";
    m_webhooks[webhook.webhook_id] = webhook;
    m_webhook_secrets[webhook.webhook_id] = "whsec_" + n;
    if (act_then_fail) {
      fail();
    }
    return {webhook.webhook_id, "whsec_" + n};
  }

  void delete_webhook(const std::string& webhook_id) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("delete_webhook", webhook_id, "", true);
    if (m_webhooks.erase(webhook_id) == 0) {
      throw Error(ErrorKind::not_found, "webhook " + webhook_id + " not found");
    }
    if (m_post_call.webhook_id == webhook_id) {
      m_post_call.webhook_id.clear(); // as ElevenLabs: a deleted webhook is attached nowhere
    }
    if (act_then_fail) {
      fail();
    }
  }

  PostCallWebhookSettings post_call_webhook() override {
    std::lock_guard lock(m_mutex);
    begin("post_call_webhook", "", "", false);
    return m_post_call;
  }

  PostCallWebhookSettings set_post_call_webhook(const PostCallWebhookSettings& settings) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("set_post_call_webhook", settings.webhook_id, "", true);
    if (!settings.webhook_id.empty() && m_webhooks.count(settings.webhook_id) == 0) {
      throw Error(ErrorKind::invalid_input, "webhook " + settings.webhook_id + " not found");
    }
    m_post_call = settings;
    if (act_then_fail) {
      fail();
    }
    return m_post_call;
  }

  /// Adds a workspace webhook directly (as a person in the console would), unrecorded.
  void seed_webhook(WorkspaceWebhook webhook) {
    std::lock_guard lock(m_mutex);
    m_webhooks[webhook.webhook_id] = std::move(webhook);
  }
  /// The secret the fake gave webhook `webhook_id` when it created it ("" for seeded ones).
  std::string webhook_secret(const std::string& webhook_id) const {
    std::lock_guard lock(m_mutex);
    auto it = m_webhook_secrets.find(webhook_id);
    return it == m_webhook_secrets.end() ? std::string() : it->second;
  }
  /// Every workspace webhook, unrecorded.
  std::vector<WorkspaceWebhook> webhooks() const {
    std::lock_guard lock(m_mutex);
    std::vector<WorkspaceWebhook> out;
    for (const auto& [id, webhook] : m_webhooks) {
      out.push_back(webhook);
    }
    return out;
  }
  /// The post-call webhook setting, unrecorded.
  PostCallWebhookSettings post_call_setting() const {
    std::lock_guard lock(m_mutex);
    return m_post_call;
  }

private:
  std::string m_name = "elevenlabs";
  std::map<std::string, std::string> m_sip_termination;
  AgentProviderCapabilities m_capabilities;
  std::set<std::string> m_workspace; ///< The ids of `m_imported` the workspace holds itself.
  static std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
  }

  static std::string padded(int n) {
    std::string digits = std::to_string(n);
    return std::string(digits.size() < 8 ? 8 - digits.size() : 0, '0') + digits;
  }

  // Records the call; throws its fault, or returns true when the fault wants the action done
  // first (the caller then acts and calls fail()).
  bool begin(const std::string& method, const std::string& argument, const std::string& detail,
             bool can_act) {
    m_calls.push_back({method, argument, detail});
    if (m_on_call) {
      m_on_call(m_calls.back());
    }
    std::optional<Fault> fault;
    if (auto it = m_faults.find(m_cleared + static_cast<int>(m_calls.size()));
        it != m_faults.end()) {
      fault = it->second;
    } else if (auto named = m_method_faults.find(method);
               named != m_method_faults.end() && named->second.second > 0) {
      fault = named->second.first;
      --named->second.second;
    }
    if (!fault) {
      return false;
    }
    m_pending = *fault;
    if (m_pending.acted && can_act) {
      return true;
    }
    fail();
  }

  [[noreturn]] void fail() const {
    throw Error(m_pending.kind, std::string("injected ") + to_string(m_pending.kind) +
                                    (m_pending.acted ? " after acting" : "") + " at call " +
                                    std::to_string(m_cleared + static_cast<int>(m_calls.size())) +
                                    " (" + m_calls.back().method + ")");
  }

  std::string store_agent(AgentDefinition definition) {
    // Another provider's ids differ from ElevenLabs' ("stream_00000001").
    std::string id = (m_name == "elevenlabs" ? "agent" : m_name) + "_" + padded(m_next_agent++);
    m_agents[id] = ProviderAgent{id, std::move(definition)};
    return id;
  }

  ProviderAgent& require_agent(const std::string& agent_id) {
    auto it = m_agents.find(agent_id);
    if (it == m_agents.end()) {
      throw Error(ErrorKind::not_found, "agent " + agent_id + " not found");
    }
    return it->second;
  }

  void check_voice(const std::string& voice_id) const {
    if (voice_id.empty() || !m_capabilities.voice_catalogue) {
      return;
    }
    if (std::none_of(m_voices.begin(), m_voices.end(),
                     [&](const Voice& voice) { return voice.voice_id == voice_id; })) {
      throw Error(ErrorKind::invalid_input, "voice " + voice_id + " does not exist");
    }
  }

  void check_documents(const std::vector<KnowledgeBaseRef>& refs) const {
    for (const auto& ref : refs) {
      if (m_documents.count(ref.document_id) == 0) {
        throw Error(ErrorKind::invalid_input,
                    "knowledge base document " + ref.document_id + " does not exist");
      }
    }
  }

  ProviderDocument store_document(StoredDocument document, bool act_then_fail) {
    document.document_id = "doc" + padded(m_next_document++);
    ProviderDocument created{document.document_id, document.name};
    m_documents[document.document_id] = std::move(document);
    if (act_then_fail) {
      fail();
    }
    return created;
  }

  mutable std::mutex m_mutex;
  std::map<std::string, ProviderAgent> m_agents;
  std::map<std::string, StoredDocument> m_documents;
  std::map<std::string, ImportedNumber> m_imported;
  std::vector<Voice> m_voices;
  std::vector<Conversation> m_conversations;
  std::vector<CallRegistration> m_registrations;
  std::function<void()> m_register_delay;
  std::map<std::string, ConversationDetails> m_details;
  std::vector<Call> m_calls;
  std::vector<std::pair<std::string, AgentChange>> m_changes;
  std::function<void(const Call&)> m_on_call;
  TelephonyLink m_telephony;
  std::map<int, Fault> m_faults;
  std::map<std::string, std::pair<Fault, int>> m_method_faults;
  Fault m_pending;
  int m_cleared = 0;
  int m_next_agent = 1;
  int m_next_document = 1;
  int m_next_webhook = 1;
  std::map<std::string, WorkspaceWebhook> m_webhooks;
  std::map<std::string, std::string> m_webhook_secrets;
  PostCallWebhookSettings m_post_call;
  int m_next_number = 1;
  int m_deleted_while_referenced = 0;
};

} // namespace vami::test
