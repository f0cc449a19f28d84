// The "stream" voice-agent provider: the platform's own orchestrator behind Twilio Media
// Streams. Nothing is sent anywhere; the state database holds the agents.

#include <array>
#include <random>
#include <string>

#include <vami/core/error.hpp>
#include <vami/providers/stream_agent_provider.hpp>
#include <vami/providers/twilio_webhooks.hpp>

namespace vami {

namespace {

constexpr std::string_view k_id_prefix = "stream_";
constexpr std::size_t k_id_hex_digits = 24;

/// A new agent id: `stream_` and 24 random hex digits (96 bits: no two agents share one).
std::string new_agent_id() {
  static constexpr std::array<char, 16> k_hex{'0', '1', '2', '3', '4', '5', '6', '7',
                                              '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::random_device entropy;
  std::string id(k_id_prefix);
  for (std::size_t i = 0; i < k_id_hex_digits; ++i) {
    id += k_hex[entropy() % k_hex.size()];
  }
  return id;
}

bool is_stream_agent_id(const std::string& agent_id) {
  return agent_id.size() == k_id_prefix.size() + k_id_hex_digits &&
         agent_id.compare(0, k_id_prefix.size(), k_id_prefix) == 0 &&
         agent_id.find_first_not_of("0123456789abcdef", k_id_prefix.size()) == std::string::npos;
}

Error has_none(const std::string& what, const std::string& hint) {
  return Error(ErrorKind::invalid_input,
               std::string("stream agents have no ") + what +
                   ": their orchestrator keeps it, and vami only passes each call on to it",
               hint);
}

class StreamAgentProvider final : public VoiceAgentProvider {
public:
  [[nodiscard]] std::string name() const override { return k_stream_provider_name; }

  [[nodiscard]] AgentProviderCapabilities capabilities() const override {
    AgentProviderCapabilities can;
    can.voice_catalogue = false;
    can.knowledge_base = false;
    can.native_numbers = false;
    can.hosted_agents = false;
    can.workspace_webhooks = false;
    can.stream_agents = true;
    return can;
  }

  std::string create_agent(const AgentDefinition& /*definition*/) override {
    return new_agent_id();
  }

  std::optional<ProviderAgent> get_agent(const std::string& agent_id) override {
    if (!is_stream_agent_id(agent_id)) {
      return std::nullopt;
    }
    // The database is the only record: every id this provider made stands for an agent.
    return ProviderAgent{agent_id, {}};
  }

  ProviderAgent update_agent(const std::string& agent_id, const AgentChange& change) override {
    if (!is_stream_agent_id(agent_id)) {
      throw Error(ErrorKind::not_found, "no stream agent has the id " + agent_id);
    }
    if (change.knowledge_base && !change.knowledge_base->empty()) {
      throw has_none("knowledge base", "give the orchestrator its knowledge");
    }
    return ProviderAgent{agent_id, {}};
  }

  void delete_agent(const std::string& agent_id) override {
    if (!is_stream_agent_id(agent_id)) {
      throw Error(ErrorKind::not_found, "no stream agent has the id " + agent_id);
    }
  }

  std::vector<AgentSummary> list_agents(const std::string& /*search*/) override { return {}; }

  std::vector<Voice> list_voices() override {
    throw has_none("voice catalogue", "give --voice as the orchestrator names its voices");
  }

  ProviderDocument add_document_file(const DocumentUpload& /*upload*/) override {
    throw has_none("knowledge base", "give the orchestrator its knowledge");
  }
  ProviderDocument add_document_url(const std::string& /*url*/,
                                    const std::string& /*name*/) override {
    throw has_none("knowledge base", "give the orchestrator its knowledge");
  }
  ProviderDocument add_document_text(const std::string& /*text*/,
                                     const std::string& /*name*/) override {
    throw has_none("knowledge base", "give the orchestrator its knowledge");
  }
  std::vector<DocumentSummary> list_documents(const std::string& /*name_prefix*/) override {
    return {};
  }
  void delete_document(const std::string& document_id) override {
    throw Error(ErrorKind::not_found, "stream agents have no document " + document_id);
  }

  ImportedNumber import_number(const std::string& e164, const std::string& /*label*/) override {
    throw has_none("imported numbers (" + e164 + ")",
                   "route the number to the agent by webhook: --mode webhook");
  }
  ImportedNumber import_sip_trunk_number(const std::string& e164, const std::string& /*label*/,
                                         const std::string& /*sip_termination_uri*/) override {
    throw has_none("imported numbers (" + e164 + ")",
                   "route the number to the agent by webhook: --mode webhook");
  }
  [[nodiscard]] std::string sip_origination_uri() const override { return {}; }
  ImportedNumber set_number_agent(const std::string& phone_number_id,
                                  const std::string& /*agent_id*/) override {
    throw Error(ErrorKind::not_found, "stream agents have no imported number " + phone_number_id);
  }
  [[nodiscard]] bool answers_voice_url(const std::string& /*voice_url*/) const override {
    return false;
  }
  std::vector<ImportedNumber> list_imported_numbers() override { return {}; }
  std::vector<WorkspaceNumber> list_workspace_numbers() override {
    return {}; // the orchestrator holds no numbers
  }
  void release_workspace_number(const std::string& provider_id) override {
    throw Error(ErrorKind::invalid_input,
                "stream agents have no workspace numbers: cannot release " + provider_id);
  }
  void remove_imported_number(const std::string& phone_number_id) override {
    throw Error(ErrorKind::not_found, "stream agents have no imported number " + phone_number_id);
  }

  std::vector<Conversation> list_conversations(const std::string& /*agent_id*/,
                                               int /*limit*/) override {
    return {}; // the router's call history holds their calls
  }

  std::string register_call(const CallRegistration& call) override {
    if (call.stream_url.empty()) {
      throw Error(ErrorKind::invalid_input,
                  "stream agent " + call.agent_id + " has no stream URL to connect the call to",
                  "set one with 'vami agents update AGENT --stream-url wss://...'");
    }
    return twilio::twiml_connect_stream(call.stream_url, call.stream_parameters);
  }

  std::vector<Conversation> list_conversations_since(const std::string& /*agent_id*/,
                                                     std::int64_t /*start_after_unix*/) override {
    return {};
  }
  ConversationDetails get_conversation(const std::string& conversation_id) override {
    throw Error(ErrorKind::not_found, "stream agents keep no conversation " + conversation_id);
  }

  std::vector<WorkspaceWebhook> list_webhooks() override { return {}; }
  std::optional<WorkspaceWebhook> get_webhook(const std::string& /*webhook_id*/) override {
    return std::nullopt;
  }
  CreatedWebhook create_webhook(const std::string& /*name*/, const std::string& /*url*/) override {
    throw has_none("workspace webhooks", "the router records their calls itself");
  }
  void delete_webhook(const std::string& webhook_id) override {
    throw Error(ErrorKind::not_found, "stream agents have no webhook " + webhook_id);
  }
  PostCallWebhookSettings post_call_webhook() override { return {}; }
  PostCallWebhookSettings
  set_post_call_webhook(const PostCallWebhookSettings& /*settings*/) override {
    throw has_none("post-call webhooks", "the router records their calls itself");
  }
};

} // namespace

std::unique_ptr<VoiceAgentProvider> make_stream_agent_provider() {
  return std::make_unique<StreamAgentProvider>();
}

} // namespace vami
