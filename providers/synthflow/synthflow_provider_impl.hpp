#pragma once

// The Synthflow client's one class, declared here so that its concerns live in files of their
// own: synthflow_provider.cpp (requests, agents, voices, calls, what Synthflow has not),
// synthflow_knowledge.cpp (knowledge bases), synthflow_numbers.cpp (phone numbers). Internal to
// providers/synthflow.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "synthflow_mapping.hpp"
#include "synthflow_wire.hpp"

#include <vami/core/voice_agent_provider.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/synthflow_provider.hpp>

namespace vami::synthflow::detail {

/// Query parameters in order.
using Fields = std::vector<std::pair<std::string, std::string>>;

/// Reads Synthflow's answers into vami's types.
class Reader : public ResponseReader {
public:
  using ResponseReader::ResponseReader;

  /// One agent of `GET /assistants/{id}` or `GET /assistants/` (`model_id`, `name`,
  /// `description` with vami's marker, `agent.{prompt, greeting_message, voice_id, language}`).
  [[nodiscard]] ProviderAgent agent(const json& item, const std::string& where) const;
  /// The agent's `phone_number`, empty when none.
  [[nodiscard]] std::string agent_phone_number(const json& item, const std::string& where) const;
  /// One call of `GET /calls` or `GET /calls/{id}`.
  [[nodiscard]] Conversation conversation(const json& item, const std::string& where) const;
};

/// One agent as `GET /assistants/{id}` answered it: the response (for messages) and its item.
struct AgentRead {
  http::HttpResponse response;
  json item;
};

/// The `VoiceAgentProvider` over Synthflow (see `make_synthflow_provider`).
class SynthflowProvider final : public VoiceAgentProvider {
public:
  /// A client of the workspace `config` names, sending through `http`.
  SynthflowProvider(SynthflowConfig config, http::HttpClient& http);

  [[nodiscard]] std::string name() const override { return k_provider_name; }
  /// Everything but workspace webhooks (Synthflow delivers per agent: `external_webhook_url`
  /// and `inbound_call_webhook_url`, `agent_webhooks`),
  /// stream agents and calls through vami's router (`register_call` throws); native numbers
  /// need a SIP trunk (`POST /custom-numbers`).
  [[nodiscard]] AgentProviderCapabilities capabilities() const override {
    AgentProviderCapabilities can;
    can.workspace_webhooks = false;
    can.router_calls = false;
    can.native_numbers_need_sip_trunk = true;
    can.agent_webhooks = true;
    can.one_number_per_agent = true;
    can.workspace_numbers = true;
    return can;
  }

  std::string create_agent(const AgentDefinition& definition) override;
  std::optional<ProviderAgent> get_agent(const std::string& agent_id) override;
  ProviderAgent update_agent(const std::string& agent_id, const AgentChange& change) override;
  void delete_agent(const std::string& agent_id) override;
  std::vector<AgentSummary> list_agents(const std::string& search) override;
  std::vector<Voice> list_voices() override;

  ProviderDocument add_document_file(const DocumentUpload& upload) override;
  ProviderDocument add_document_url(const std::string& url, const std::string& name) override;
  ProviderDocument add_document_text(const std::string& text, const std::string& name) override;
  std::vector<DocumentSummary> list_documents(const std::string& name_prefix) override;
  void delete_document(const std::string& document_id) override;

  ImportedNumber import_number(const std::string& e164, const std::string& label) override;
  ImportedNumber import_sip_trunk_number(const std::string& e164, const std::string& label,
                                         const std::string& sip_termination_uri) override;
  [[nodiscard]] std::string sip_origination_uri() const override {
    return m_config.sip_origination_uri;
  }
  ImportedNumber set_number_agent(const std::string& phone_number_id,
                                  const std::string& agent_id) override;
  [[nodiscard]] bool answers_voice_url(const std::string& voice_url) const override;
  std::vector<ImportedNumber> list_imported_numbers() override;
  void remove_imported_number(const std::string& phone_number_id) override;
  std::vector<WorkspaceNumber> list_workspace_numbers() override;
  void release_workspace_number(const std::string& provider_id) override;

  std::vector<Conversation> list_conversations(const std::string& agent_id, int limit) override;
  std::string register_call(const CallRegistration& call) override;
  std::vector<Conversation> list_conversations_since(const std::string& agent_id,
                                                     std::int64_t start_after_unix) override;
  ConversationDetails get_conversation(const std::string& conversation_id) override;

  std::vector<WorkspaceWebhook> list_webhooks() override;
  std::optional<WorkspaceWebhook> get_webhook(const std::string& webhook_id) override;
  CreatedWebhook create_webhook(const std::string& name, const std::string& url) override;
  void delete_webhook(const std::string& webhook_id) override;
  PostCallWebhookSettings post_call_webhook() override;
  PostCallWebhookSettings set_post_call_webhook(const PostCallWebhookSettings& settings) override;

private:
  /// `path` (with its query) under the base URL.
  [[nodiscard]] std::string url(const std::string& path) const;
  /// Sends one request; a JSON `body` goes with `Content-Type: application/json`.
  http::HttpResponse exchange(const std::string& method, const std::string& path,
                              const std::optional<json>& body = std::nullopt) const;
  /// Throws the typed error of a non-2xx `response`.
  void check(const Call& call, const http::HttpResponse& response) const;
  /// `exchange` then `check`.
  http::HttpResponse send(const Call& call, const std::string& method, const std::string& path,
                          const std::optional<json>& body = std::nullopt) const;
  /// The workspace id. @throws Error(invalid_input) naming `action` when it is not set.
  [[nodiscard]] const std::string& workspace(const std::string& action) const;

  /// Reads the `limit`/`offset` pages of a list (`response.<member>`, its total in
  /// `response.pagination.total_records` or `response.total_records`), handing each item to
  /// `take`, until the total is reached, a page comes back empty (or, with no total, short), or
  /// `enough` says so. Any failed page throws, so the caller never returns part of a list.
  template <typename Take, typename Enough>
  void read_pages(const std::string& action, const std::string& path, const Fields& filters,
                  const char* member, int page_size, Take take, Enough enough) const;

  /// The agent's raw JSON (`response.assistants[0]`), or empty for a 404 or an empty list.
  std::optional<AgentRead> read_agent(const Call& call, const std::string& agent_id) const;
  /// The marker-carrying agent, or Error(not_found).
  [[nodiscard]] AgentMarker require_marker(const Call& call, const std::string& agent_id) const;
  /// `POST /knowledge_base/{id}/attach?model_id=`.
  void attach_knowledge_base(const std::string& knowledge_base_id,
                             const std::string& agent_id) const;
  /// `POST /knowledge_base/{id}/detach {model_id}`; a 404 (the knowledge base was deleted) is done.
  void detach_knowledge_base(const std::string& knowledge_base_id,
                             const std::string& agent_id) const;
  /// `POST /knowledge_base {name}` then `POST .../sources {source}`; the knowledge base is
  /// deleted again (best effort) when the source is refused.
  ProviderDocument add_knowledge_base(const std::string& action, const std::string& name,
                                      json source) const;
  /// One number of `GET /numbers`, with the inbound agent that names it.
  struct ListedNumber {
    std::string e164;
    std::string agent_id;    ///< Empty when no agent names it.
    bool sip_import = false; ///< `sid` null: imported over SIP (`/custom-numbers`).
  };
  /// Every number of `GET /numbers?workspace=` (all pages) with its agent (`GET /assistants/`,
  /// read only when the workspace has numbers).
  [[nodiscard]] std::vector<ListedNumber> read_numbers() const;
  /// `PUT /assistants/{id} {phone_number}` (empty clears it).
  void set_agent_phone_number(const std::string& agent_id, const std::string& e164) const;
  /// The `assistants` of `GET /numbers/{slug}?workspace=`.
  std::vector<std::string> number_agents(const Call& call, const std::string& slug) const;
  [[noreturn]] void refuse_unsupported(const std::string& what, const std::string& instead) const;

  const SynthflowConfig m_config;
  http::HttpClient& m_http;
  const std::string m_base;
  const Secrets m_secrets;
};

template <typename Take, typename Enough>
void SynthflowProvider::read_pages(const std::string& action, const std::string& path,
                                   const Fields& filters, const char* member, int page_size,
                                   Take take, Enough enough) const {
  // A list that keeps handing out items past this is not Synthflow (a million agents).
  constexpr int k_max_pages = 10'000;
  std::int64_t offset = 0;
  std::size_t index = 0;
  for (int page = 1;; ++page) {
    Call call{page == 1 ? action : action + " (page " + std::to_string(page) + ")", {}, {}};
    Fields query = filters;
    query.emplace_back("limit", std::to_string(page_size));
    query.emplace_back("offset", std::to_string(offset));
    http::HttpResponse response = send(call, "GET", path + "?" + http::form_encode(query));
    Reader reader(call, response);
    json body = reader.envelope();
    std::vector<json> items = reader.items(body, member, Reader::Presence::optional, "response");
    for (const json& item : items) {
      take(reader, item, "response." + std::string(member) + "[" + std::to_string(index++) + "]");
    }
    offset += static_cast<std::int64_t>(items.size());
    std::optional<std::int64_t> total;
    const json& pagination =
        reader.child(body, "pagination", Reader::Presence::optional, "response");
    if (reader.member(pagination, "total_records", Reader::Presence::optional,
                      "response.pagination") != nullptr) {
      total = reader.integer(pagination, "total_records", Reader::Presence::optional,
                             "response.pagination");
    } else if (reader.member(body, "total_records", Reader::Presence::optional, "response") !=
               nullptr) {
      total = reader.integer(body, "total_records", Reader::Presence::optional, "response");
    }
    // The total decides when there is one (a page may hold fewer than asked when Synthflow caps
    // the page size); without one, a short page is the last.
    bool last =
        items.empty() || (total ? offset >= *total : static_cast<int>(items.size()) < page_size);
    if (last || enough()) {
      return;
    }
    if (page >= k_max_pages) {
      reader.unexpected("more than " + std::to_string(k_max_pages) + " pages");
    }
  }
}

} // namespace vami::synthflow::detail
