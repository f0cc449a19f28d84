#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elevenlabs_wire.hpp"
#include "elevenlabs_workspace_webhooks.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/elevenlabs_provider.hpp>

namespace vami::elevenlabs {

namespace {

using namespace detail;
using Fields = std::vector<std::pair<std::string, std::string>>;

/// Cursor lists (`/v1/convai/agents`, `/v1/convai/conversations`) hold at most 100 items a
/// page; fewer pages, fewer chances for a listing to fail half way.
constexpr int k_max_page_size = 100;
/// A list that keeps handing out new cursors past this is not ElevenLabs (a million agents).
constexpr int k_max_pages = 10'000;
/// The defaults `TTSConversationalConfig.voice_id` and `AgentConfigAPIModel.language` document:
/// what "the provider's default" means when an update asks for it.
constexpr const char* k_default_voice_id = "cjVigY5qzO86Huf0OWal";
constexpr const char* k_default_language = "en";

class Reader : public ResponseReader {
public:
  using ResponseReader::ResponseReader;

  /// `GetAgentResponseModel`.
  [[nodiscard]] ProviderAgent agent(const json& body) const {
    ProviderAgent agent;
    agent.agent_id = text(body, "agent_id", Presence::required);
    AgentDefinition& definition = agent.definition;
    definition.name = text(body, "name", Presence::required);
    definition.tags = strings(body, "tags");
    // `conversation_config` is required by the schema, yet the document's own example of this
    // response leaves it out (and mock servers answer with that example): absent reads as the
    // provider's defaults.
    const json& config = child(body, "conversation_config", Presence::optional);
    const json& agent_config = child(config, "agent", Presence::optional, "conversation_config");
    definition.first_message =
        text(agent_config, "first_message", Presence::optional, "conversation_config.agent");
    definition.language =
        text(agent_config, "language", Presence::optional, "conversation_config.agent");
    const std::string prompt_path = "conversation_config.agent.prompt";
    const json& prompt =
        child(agent_config, "prompt", Presence::optional, "conversation_config.agent");
    definition.prompt = text(prompt, "prompt", Presence::optional, prompt_path);
    std::size_t index = 0;
    for (const json& item : array(prompt, "knowledge_base", Presence::optional, prompt_path)) {
      std::string where = prompt_path + ".knowledge_base[" + std::to_string(index++) + "]";
      expect_object(item, where);
      std::string type = text(item, "type", Presence::required, where);
      std::optional<DocumentSourceKind> kind = parse_document_source_kind(type);
      // A folder (or a type newer than this code) has no `DocumentSourceKind`: vami neither
      // created nor manages it, so it is left out rather than failing every read of the agent.
      if (!kind) {
        continue;
      }
      KnowledgeBaseRef ref;
      ref.document_id = text(item, "id", Presence::required, where);
      ref.name = text(item, "name", Presence::optional, where);
      ref.kind = *kind;
      definition.knowledge_base.push_back(std::move(ref));
    }
    const json& tts = child(config, "tts", Presence::optional, "conversation_config");
    definition.voice_id = text(tts, "voice_id", Presence::optional, "conversation_config.tts");
    return agent;
  }

  /// `AgentSummaryResponseModel`.
  [[nodiscard]] AgentSummary agent_summary(const json& item, const std::string& where) const {
    expect_object(item, where);
    AgentSummary summary;
    summary.agent_id = text(item, "agent_id", Presence::required, where);
    summary.name = text(item, "name", Presence::required, where);
    summary.voice_id = text(item, "voice_id", Presence::optional, where);
    summary.tags = strings(item, "tags", where);
    summary.created_at_unix = integer(item, "created_at_unix_secs", Presence::optional, where);
    return summary;
  }

  /// `GetKnowledgeBaseSummary{File,URL,Text}ResponseModel`; empty for a folder (or a type newer
  /// than this code), which vami neither creates nor manages.
  [[nodiscard]] std::optional<DocumentSummary> document_summary(const json& item,
                                                                const std::string& where) const {
    expect_object(item, where);
    std::optional<DocumentSourceKind> kind =
        parse_document_source_kind(text(item, "type", Presence::required, where));
    if (!kind) {
      return std::nullopt;
    }
    DocumentSummary summary;
    summary.document_id = text(item, "id", Presence::required, where);
    summary.name = text(item, "name", Presence::required, where);
    summary.kind = *kind;
    return summary;
  }

  /// `VoiceResponseModel`.
  [[nodiscard]] Voice voice(const json& item, const std::string& where) const {
    expect_object(item, where);
    Voice voice;
    voice.voice_id = text(item, "voice_id", Presence::required, where);
    voice.name = text(item, "name", Presence::optional, where);
    voice.category = text(item, "category", Presence::optional, where);
    voice.description = text(item, "description", Presence::optional, where);
    const json& labels = child(item, "labels", Presence::optional, where);
    // Labels are free-form strings; a label of another type is not worth failing the list for.
    if (auto gender = labels.find("gender"); gender != labels.end() && gender->is_string()) {
      voice.gender = gender->get<std::string>();
    }
    if (auto accent = labels.find("accent"); accent != labels.end() && accent->is_string()) {
      voice.accent = accent->get<std::string>();
    }
    return voice;
  }

  /// `AddKnowledgeBaseResponseModel`; `requested_name` stands in for a missing `name`.
  [[nodiscard]] ProviderDocument document(const std::string& requested_name) const {
    json body = object();
    ProviderDocument document;
    document.document_id = text(body, "id", Presence::required);
    document.name = text(body, "name", Presence::optional);
    if (document.name.empty()) {
      document.name = requested_name;
    }
    return document;
  }

  /// `GetPhoneNumberTwilioResponseModel` (and the Exotel and SIP trunk variants, which share
  /// these fields).
  [[nodiscard]] ImportedNumber imported_number(const json& item, const std::string& where) const {
    expect_object(item, where);
    ImportedNumber number;
    number.phone_number_id = text(item, "phone_number_id", Presence::required, where);
    number.e164 = text(item, "phone_number", Presence::required, where);
    number.label = text(item, "label", Presence::optional, where);
    const json& assigned = child(item, "assigned_agent", Presence::optional, where);
    number.agent_id = text(assigned, "agent_id", Presence::optional, path(where, "assigned_agent"));
    return number;
  }

  /// `ConversationSummaryResponseModel`.
  [[nodiscard]] Conversation conversation(const json& item, const std::string& where) const {
    expect_object(item, where);
    Conversation conversation;
    conversation.conversation_id = text(item, "conversation_id", Presence::required, where);
    conversation.agent_id = text(item, "agent_id", Presence::optional, where);
    conversation.status = text(item, "status", Presence::optional, where);
    conversation.start_time_unix = integer(item, "start_time_unix_secs", Presence::optional, where);
    conversation.duration_seconds = integer(item, "call_duration_secs", Presence::optional, where);
    conversation.message_count = integer(item, "message_count", Presence::optional, where);
    conversation.call_successful = text(item, "call_successful", Presence::optional, where);
    return conversation;
  }

  /// A `GetConversationResponseModel`: the summary fields, `metadata` (phone call, cost) and
  /// `analysis`, and the transcript.
  [[nodiscard]] ConversationDetails conversation_details(const json& body) const {
    ConversationDetails details;
    details.conversation = conversation(body, "");
    if (const json* metadata = member(body, "metadata", Presence::optional, "")) {
      expect_object(*metadata, "metadata");
      details.conversation.start_time_unix =
          integer(*metadata, "start_time_unix_secs", Presence::optional, "metadata");
      details.conversation.duration_seconds =
          integer(*metadata, "call_duration_secs", Presence::optional, "metadata");
      if (const json* credits = member(*metadata, "cost", Presence::optional, "metadata")) {
        if (!credits->is_number()) {
          unexpected("'metadata.cost' is not a number");
        }
        details.credits = integer(*metadata, "cost", Presence::optional, "metadata");
      }
      if (const json* fiat = member(*metadata, "cost_fiat", Presence::optional, "metadata")) {
        if (!fiat->is_number() || fiat->get<double>() < 0) {
          unexpected("'metadata.cost_fiat' is not an amount");
        }
        // A JSON number in USD: its nearest micro (exact for any real cost).
        details.cost = Money{std::llround(fiat->get<double>() * 1'000'000.0), "USD"};
      }
      if (const json* call = member(*metadata, "phone_call", Presence::optional, "metadata")) {
        expect_object(*call, "metadata.phone_call");
        const std::string where = "metadata.phone_call";
        details.call_sid = text(*call, "call_sid", Presence::optional, where);
        details.agent_number = text(*call, "agent_number", Presence::optional, where);
        details.external_number = text(*call, "external_number", Presence::optional, where);
        details.direction =
            parse_call_direction(text(*call, "direction", Presence::optional, where));
      }
    }
    if (const json* analysis = member(body, "analysis", Presence::optional, "")) {
      expect_object(*analysis, "analysis");
      details.transcript_summary =
          text(*analysis, "transcript_summary", Presence::optional, "analysis");
      details.conversation.call_successful =
          text(*analysis, "call_successful", Presence::optional, "analysis");
    }
    if (const json* lines = member(body, "transcript", Presence::optional, "")) {
      if (!lines->is_array()) {
        unexpected("'transcript' is not an array");
      }
      std::size_t index = 0;
      for (const json& line : *lines) {
        const std::string where = "transcript[" + std::to_string(index++) + "]";
        expect_object(line, where);
        TranscriptLine entry;
        entry.role = text(line, "role", Presence::optional, where);
        entry.message = text(line, "message", Presence::optional, where);
        if (member(line, "time_in_call_secs", Presence::optional, where) != nullptr) {
          entry.time_in_call_seconds =
              integer(line, "time_in_call_secs", Presence::optional, where);
        }
        details.transcript.push_back(std::move(entry));
      }
    }
    return details;
  }
};

json knowledge_base_json(const std::vector<KnowledgeBaseRef>& refs) {
  json list = json::array();
  for (const KnowledgeBaseRef& ref : refs) {
    list.push_back({{"type", to_string(ref.kind)},
                    {"name", ref.name},
                    {"id", ref.document_id},
                    {"usage_mode", "auto"}});
  }
  return list;
}

/// `conversation_config` of a create or PATCH body, from the fields that are set. Nested
/// objects with nothing in them are left out, so that a PATCH does not touch them.
struct ConversationFields {
  std::optional<std::string> prompt;
  std::optional<std::string> first_message;
  std::optional<std::string> voice_id;
  std::optional<std::string> language;
  std::optional<std::vector<KnowledgeBaseRef>> knowledge_base;
};

json conversation_config_json(const ConversationFields& fields) {
  json prompt = json::object();
  if (fields.prompt) {
    prompt["prompt"] = *fields.prompt;
  }
  if (fields.knowledge_base) {
    prompt["knowledge_base"] = knowledge_base_json(*fields.knowledge_base);
  }
  json agent = json::object();
  if (fields.first_message) {
    agent["first_message"] = *fields.first_message;
  }
  if (fields.language) {
    agent["language"] = *fields.language;
  }
  if (!prompt.empty()) {
    agent["prompt"] = std::move(prompt);
  }
  json config = json::object();
  if (!agent.empty()) {
    config["agent"] = std::move(agent);
  }
  if (fields.voice_id) {
    config["tts"] = {{"voice_id", *fields.voice_id}};
  }
  return config;
}

std::optional<std::string> unless_empty(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional<std::string>(value);
}

class ElevenLabsProvider final : public VoiceAgentProvider {
public:
  ElevenLabsProvider(ElevenLabsConfig config, http::HttpClient& http)
      : m_config(std::move(config)), m_http(http),
        m_base(without_trailing_slashes(m_config.base_url)),
        m_secrets{m_config.api_key, m_config.twilio_token, m_config.twilio_account_auth_token},
        m_workspace(http, m_base, m_config.api_key, m_secrets) {}

  [[nodiscard]] std::string name() const override { return k_provider_name; }
  [[nodiscard]] AgentProviderCapabilities capabilities() const override { return {}; }

  std::string create_agent(const AgentDefinition& definition) override {
    Call call{"create agent " + in_quotes(definition.name), {}, ErrorKind::provider, {}};
    ConversationFields fields;
    fields.prompt = unless_empty(definition.prompt);
    fields.first_message = unless_empty(definition.first_message);
    fields.voice_id = unless_empty(definition.voice_id);
    fields.language = unless_empty(definition.language);
    if (!definition.knowledge_base.empty()) {
      fields.knowledge_base = definition.knowledge_base;
    }
    json body = {{"conversation_config", conversation_config_json(fields)}};
    if (!definition.name.empty()) {
      body["name"] = definition.name;
    }
    if (!definition.tags.empty()) {
      body["tags"] = definition.tags;
    }
    http::HttpResponse response = send(call, "POST", url("/v1/convai/agents/create"), body);
    Reader reader(call, response);
    return reader.text(reader.object(), "agent_id", Reader::Presence::required);
  }

  std::optional<ProviderAgent> get_agent(const std::string& agent_id) override {
    Call call{"look up agent " + agent_id, {}, ErrorKind::provider, {}};
    http::HttpResponse response = exchange("GET", agent_url(agent_id));
    if (response.status == 404) {
      return std::nullopt;
    }
    check(call, response);
    Reader reader(call, response);
    return reader.agent(reader.object());
  }

  ProviderAgent update_agent(const std::string& agent_id, const AgentChange& change) override {
    Call call{"update agent " + agent_id, {}, ErrorKind::provider, {}};
    ConversationFields fields;
    fields.prompt = change.prompt;
    fields.first_message = change.first_message;
    fields.knowledge_base = change.knowledge_base;
    // An empty voice or language asks for the provider's default, which a PATCH can only say by
    // naming it: an empty string is not a voice, and the language must be an ISO code.
    if (change.voice_id) {
      fields.voice_id = change.voice_id->empty() ? k_default_voice_id : *change.voice_id;
    }
    if (change.language) {
      fields.language = change.language->empty() ? k_default_language : *change.language;
    }
    json body = json::object();
    if (change.name) {
      body["name"] = *change.name;
    }
    json config = conversation_config_json(fields);
    if (!config.empty()) {
      body["conversation_config"] = std::move(config);
    }
    http::HttpResponse response = send(call, "PATCH", agent_url(agent_id), body);
    Reader reader(call, response);
    return reader.agent(reader.object());
  }

  void delete_agent(const std::string& agent_id) override {
    Call call{"delete agent " + agent_id, {}, ErrorKind::provider, {}};
    (void)send(call, "DELETE", agent_url(agent_id));
  }

  std::vector<AgentSummary> list_agents(const std::string& search) override {
    std::string action = search.empty() ? std::string("list agents")
                                        : "list agents whose name contains " + in_quotes(search);
    Fields filters;
    if (!search.empty()) {
      filters.emplace_back("search", search);
    }
    std::vector<AgentSummary> agents;
    read_pages(
        action, "/v1/convai/agents", filters, "agents", [] { return k_max_page_size; },
        [&](const Reader& reader, const json& item, const std::string& where) {
          agents.push_back(reader.agent_summary(item, where));
        },
        [] { return false; });
    return agents;
  }

  std::vector<Voice> list_voices() override {
    Call call{"list voices", {}, ErrorKind::provider, {}};
    http::HttpResponse response = send(call, "GET", url("/v1/voices"));
    Reader reader(call, response);
    json body = reader.object();
    std::vector<Voice> voices;
    std::size_t index = 0;
    for (const json& item : reader.array(body, "voices", Reader::Presence::required)) {
      voices.push_back(reader.voice(item, "voices[" + std::to_string(index++) + "]"));
    }
    return voices;
  }

  ProviderDocument add_document_file(const DocumentUpload& upload) override {
    Call call{"upload document " + in_quotes(upload.name.empty() ? upload.file_name : upload.name),
              {},
              ErrorKind::provider,
              {}};
    std::vector<http::MultipartPart> parts;
    parts.push_back(
        {"file", upload.file_name.empty() ? std::string("document") : upload.file_name,
         upload.mime_type.empty() ? std::string("application/octet-stream") : upload.mime_type,
         upload.content});
    // `name` has minLength 1: an empty one is left for ElevenLabs to derive from the file.
    if (!upload.name.empty()) {
      parts.push_back({"name", {}, {}, upload.name});
    }
    http::MultipartBody multipart = http::multipart_encode(parts);
    http::HttpRequest request = base_request("POST", url("/v1/convai/knowledge-base/file"));
    request.headers.emplace_back("Content-Type", multipart.content_type);
    request.body = std::move(multipart.body);
    http::HttpResponse response = m_http.send(request);
    check(call, response);
    return Reader(call, response).document(upload.name);
  }

  ProviderDocument add_document_url(const std::string& address, const std::string& name) override {
    Call call{
        "add the web page " + address + " to the knowledge base", {}, ErrorKind::provider, {}};
    json body = {{"url", address}};
    if (!name.empty()) {
      body["name"] = name;
    }
    http::HttpResponse response = send(call, "POST", url("/v1/convai/knowledge-base/url"), body);
    return Reader(call, response).document(name);
  }

  ProviderDocument add_document_text(const std::string& text, const std::string& name) override {
    Call call{name.empty() ? std::string("add a text to the knowledge base")
                           : "add the text " + in_quotes(name) + " to the knowledge base",
              {},
              ErrorKind::provider,
              {}};
    json body = {{"text", text}};
    if (!name.empty()) {
      body["name"] = name;
    }
    http::HttpResponse response = send(call, "POST", url("/v1/convai/knowledge-base/text"), body);
    return Reader(call, response).document(name);
  }

  std::vector<DocumentSummary> list_documents(const std::string& name_prefix) override {
    std::string action =
        name_prefix.empty()
            ? std::string("list knowledge-base documents")
            : "list knowledge-base documents whose name starts with " + in_quotes(name_prefix);
    Fields filters;
    if (!name_prefix.empty()) {
      filters.emplace_back("search", name_prefix);
    }
    std::vector<DocumentSummary> documents;
    read_pages(
        action, "/v1/convai/knowledge-base", filters, "documents", [] { return k_max_page_size; },
        [&](const Reader& reader, const json& item, const std::string& where) {
          if (std::optional<DocumentSummary> summary = reader.document_summary(item, where)) {
            documents.push_back(std::move(*summary));
          }
        },
        [] { return false; });
    return documents;
  }

  void delete_document(const std::string& document_id) override {
    Call call{"delete document " + document_id, {}, ErrorKind::provider, {}};
    // force=true: deleting a document that agents still reference is what the contract asks;
    // without it ElevenLabs refuses.
    (void)send(call, "DELETE",
               url("/v1/convai/knowledge-base/" + http::url_encode(document_id) + "?force=true"));
  }

  ImportedNumber import_number(const std::string& e164, const std::string& label) override {
    Call call{"import " + e164 + " into the Agents Platform",
              {},
              ErrorKind::invalid_input,
              "check that the Twilio account owns " + e164 +
                  " and that the Twilio credentials (TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, "
                  "or TWILIO_API_KEY and TWILIO_API_SECRET) are right"};
    if (m_config.twilio_sid.empty() || m_config.twilio_token.empty()) {
      throw Error(ErrorKind::auth,
                  "cannot " + call.action +
                      " at ElevenLabs: no Twilio credentials to give it (it needs them to answer "
                      "the number's calls)",
                  "set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and "
                  "TWILIO_API_SECRET");
    }
    json body = {{"phone_number", e164},
                 {"label", label},
                 {"sid", m_config.twilio_sid},
                 {"token", m_config.twilio_token},
                 {"provider", "twilio"}};
    if (!m_config.twilio_account_auth_token.empty()) {
      body["account_auth_token"] = m_config.twilio_account_auth_token;
    }
    http::HttpResponse response = send(call, "POST", url("/v1/convai/phone-numbers"), body);
    Reader reader(call, response);
    ImportedNumber number;
    number.phone_number_id =
        reader.text(reader.object(), "phone_number_id", Reader::Presence::required);
    number.e164 = e164;
    number.label = label;
    return number;
  }

  ImportedNumber import_sip_trunk_number(const std::string& e164, const std::string& /*label*/,
                                         const std::string& /*sip_termination_uri*/) override {
    throw Error(ErrorKind::invalid_input,
                "cannot import " + e164 +
                    " into ElevenLabs over a SIP trunk: vami routes numbers to ElevenLabs through "
                    "their voice URL",
                "assign the number to the ElevenLabs agent with vami (native or webhook routing)");
  }

  [[nodiscard]] std::string sip_origination_uri() const override { return {}; }

  ImportedNumber set_number_agent(const std::string& phone_number_id,
                                  const std::string& agent_id) override {
    Call call{agent_id.empty() ? "unassign number " + phone_number_id
                               : "assign number " + phone_number_id + " to agent " + agent_id,
              "check the number's id and the agent's id; 'vami reconcile' compares the state "
              "database with ElevenLabs",
              ErrorKind::provider,
              {}};
    // A null agent_id is how the API document says "no agent"; an empty string is not.
    json body = {{"agent_id", agent_id.empty() ? json(nullptr) : json(agent_id)}};
    http::HttpResponse response = send(call, "PATCH", number_url(phone_number_id), body);
    Reader reader(call, response);
    return reader.imported_number(reader.object(), {});
  }

  bool answers_voice_url(const std::string& voice_url) const override {
    // The native Twilio integration points an imported number at
    // https://api[.us|.eu...].elevenlabs.io/twilio/inbound_call (the host depends on the
    // account's region); any https host of elevenlabs.io with that path is ElevenLabs'.
    constexpr std::string_view scheme = "https://";
    constexpr std::string_view path = "/twilio/inbound_call";
    constexpr std::string_view domain = "elevenlabs.io";
    if (voice_url.size() <= scheme.size() + path.size() ||
        !std::equal(scheme.begin(), scheme.end(), voice_url.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      return false;
    }
    const std::string rest = voice_url.substr(scheme.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos || rest.substr(slash) != path) {
      return false;
    }
    std::string host = rest.substr(0, slash);
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return host == domain || (host.size() > domain.size() + 1 &&
                              host.compare(host.size() - domain.size() - 1, std::string::npos,
                                           ".elevenlabs.io") == 0);
  }

  std::vector<ImportedNumber> list_imported_numbers() override {
    Call call{"list the imported phone numbers", {}, ErrorKind::provider, {}};
    http::HttpResponse response = send(call, "GET", url("/v1/convai/phone-numbers"));
    Reader reader(call, response);
    json body = reader.parse();
    if (!body.is_array()) {
      reader.unexpected("the body is not a JSON array");
    }
    std::vector<ImportedNumber> numbers;
    std::size_t index = 0;
    for (const json& item : body) {
      numbers.push_back(reader.imported_number(item, "[" + std::to_string(index++) + "]"));
    }
    return numbers;
  }

  /// ElevenLabs holds no numbers of its own: every number it answers is imported.
  std::vector<WorkspaceNumber> list_workspace_numbers() override { return {}; }
  void release_workspace_number(const std::string& provider_id) override {
    throw Error(ErrorKind::invalid_input,
                "ElevenLabs holds no numbers of its own: cannot release " + provider_id);
  }
  void remove_imported_number(const std::string& phone_number_id) override {
    Call call{"remove the imported number " + phone_number_id, {}, ErrorKind::provider, {}};
    (void)send(call, "DELETE", number_url(phone_number_id));
  }

  std::vector<Conversation> list_conversations(const std::string& agent_id, int limit) override {
    std::vector<Conversation> conversations;
    if (limit <= 0) {
      return conversations;
    }
    auto wanted = static_cast<std::size_t>(limit);
    read_pages(
        "list the conversations of agent " + agent_id, "/v1/convai/conversations",
        {{"agent_id", agent_id}}, "conversations",
        [&] {
          return static_cast<int>(
              std::min<std::size_t>(wanted - conversations.size(), k_max_page_size));
        },
        [&](const Reader& reader, const json& item, const std::string& where) {
          if (conversations.size() < wanted) {
            conversations.push_back(reader.conversation(item, where));
          }
        },
        [&] { return conversations.size() >= wanted; });
    return conversations;
  }

  std::string register_call(const CallRegistration& call) override {
    Call what{"register call " + call.from_number + " -> " + call.to_number + " with agent " +
                  call.agent_id,
              {},
              ErrorKind::provider,
              {}};
    json body = {{"agent_id", call.agent_id},
                 {"from_number", call.from_number},
                 {"to_number", call.to_number},
                 {"direction", call.direction == CallDirection::inbound ? "inbound" : "outbound"}};
    json client_data = json::object();
    if (!call.user_id.empty()) {
      client_data["user_id"] = call.user_id;
    }
    if (!call.dynamic_variables.empty()) {
      json variables = json::object();
      for (const auto& [name, value] : call.dynamic_variables) {
        variables[name] = value;
      }
      client_data["dynamic_variables"] = std::move(variables);
    }
    if (!client_data.empty()) {
      body["conversation_initiation_client_data"] = std::move(client_data);
    }
    // The answer is the TwiML as `text/html` (the API document's only 200 content type).
    http::HttpRequest request = base_request("POST", url("/v1/convai/twilio/register-call"));
    request.headers = {{"xi-api-key", m_config.api_key},
                       {"Accept", "text/html"},
                       {"Content-Type", "application/json"}};
    request.body = body.dump();
    http::HttpResponse response = m_http.send(request);
    check(what, response);
    // A proxy's or a login page's HTML must never reach Twilio as if it were TwiML.
    if (response.body.find("<Response") == std::string::npos) {
      Reader(what, response).unexpected("the body is not a TwiML document (no <Response>)");
    }
    return response.body;
  }

  std::vector<Conversation> list_conversations_since(const std::string& agent_id,
                                                     std::int64_t start_after_unix) override {
    std::vector<Conversation> conversations;
    Fields filters{{"agent_id", agent_id}};
    if (start_after_unix > 0) {
      // The document says "after" without saying whether the second itself is in: one second
      // earlier includes it either way.
      filters.emplace_back("call_start_after_unix", std::to_string(start_after_unix - 1));
    }
    read_pages(
        "list the conversations of agent " + agent_id, "/v1/convai/conversations", filters,
        "conversations", [] { return k_max_page_size; },
        [&](const Reader& reader, const json& item, const std::string& where) {
          conversations.push_back(reader.conversation(item, where));
        },
        [] { return false; });
    return conversations;
  }

  ConversationDetails get_conversation(const std::string& conversation_id) override {
    Call call{"read conversation " + conversation_id,
              "the conversation may have been deleted at ElevenLabs",
              ErrorKind::provider,
              {}};
    http::HttpResponse response =
        send(call, "GET", url("/v1/convai/conversations/" + http::url_encode(conversation_id)));
    Reader reader(call, response);
    return reader.conversation_details(reader.object());
  }

  std::vector<WorkspaceWebhook> list_webhooks() override { return m_workspace.list_webhooks(); }

  std::optional<WorkspaceWebhook> get_webhook(const std::string& webhook_id) override {
    return m_workspace.get_webhook(webhook_id);
  }

  CreatedWebhook create_webhook(const std::string& name, const std::string& url) override {
    return m_workspace.create_webhook(name, url);
  }

  void delete_webhook(const std::string& webhook_id) override {
    m_workspace.delete_webhook(webhook_id);
  }

  PostCallWebhookSettings post_call_webhook() override { return m_workspace.post_call_webhook(); }

  PostCallWebhookSettings set_post_call_webhook(const PostCallWebhookSettings& settings) override {
    return m_workspace.set_post_call_webhook(settings);
  }

private:
  std::string url(const std::string& path) const { return m_base + path; }

  std::string agent_url(const std::string& agent_id) const {
    return url("/v1/convai/agents/" + http::url_encode(agent_id));
  }

  std::string number_url(const std::string& phone_number_id) const {
    return url("/v1/convai/phone-numbers/" + http::url_encode(phone_number_id));
  }

  http::HttpRequest base_request(const std::string& method, const std::string& address) const {
    http::HttpRequest request;
    request.method = method;
    request.url = address;
    request.headers = {{"xi-api-key", m_config.api_key}, {"Accept", "application/json"}};
    return request;
  }

  /// Sends one request; a JSON `body` (an object) goes with `Content-Type: application/json`.
  http::HttpResponse exchange(const std::string& method, const std::string& address,
                              const std::optional<json>& body = std::nullopt) const {
    http::HttpRequest request = base_request(method, address);
    if (body) {
      request.headers.emplace_back("Content-Type", "application/json");
      request.body = body->dump();
    }
    return m_http.send(request);
  }

  void check(const Call& call, const http::HttpResponse& response) const {
    if (response.status < 200 || response.status >= 300) {
      throw_response_error(call, response, m_secrets);
    }
  }

  http::HttpResponse send(const Call& call, const std::string& method, const std::string& address,
                          const std::optional<json>& body = std::nullopt) const {
    http::HttpResponse response = exchange(method, address, body);
    check(call, response);
    return response;
  }

  /// Reads the cursor pages of a list (`{<member>: [...], has_more, next_cursor}`), handing each
  /// item to `take`, until the provider has no more or `enough` says so. Any failed page throws,
  /// so the caller never returns part of a list.
  template <typename PageSize, typename Take, typename Enough>
  void read_pages(const std::string& action, const std::string& path, const Fields& filters,
                  const char* member, PageSize page_size, Take take, Enough enough) const {
    std::set<std::string> seen;
    std::string cursor;
    std::size_t index = 0;
    for (int page = 1;; ++page) {
      Call call{page == 1 ? action : action + " (page " + std::to_string(page) + ")",
                {},
                ErrorKind::provider,
                {}};
      Fields query = filters;
      query.emplace_back("page_size", std::to_string(page_size()));
      if (!cursor.empty()) {
        query.emplace_back("cursor", cursor);
      }
      http::HttpResponse response = send(call, "GET", url(path + "?" + http::form_encode(query)));
      Reader reader(call, response);
      json body = reader.object();
      for (const json& item : reader.array(body, member, Reader::Presence::required)) {
        take(reader, item, std::string(member) + "[" + std::to_string(index++) + "]");
      }
      // The documented example pairs `has_more: false` with a `next_cursor`: has_more decides.
      if (!reader.boolean(body, "has_more", Reader::Presence::required) || enough()) {
        return;
      }
      cursor = reader.text(body, "next_cursor", Reader::Presence::optional);
      if (cursor.empty()) {
        reader.unexpected("'has_more' is true but 'next_cursor' is missing");
      }
      // A cursor seen before would loop for ever.
      if (!seen.insert(cursor).second) {
        reader.unexpected("'next_cursor' points back to a page already read");
      }
      if (page >= k_max_pages) {
        reader.unexpected("more than " + std::to_string(k_max_pages) + " pages");
      }
    }
  }

  const ElevenLabsConfig m_config;
  http::HttpClient& m_http;
  const std::string m_base;
  const Secrets m_secrets;
  const WorkspaceWebhooksClient m_workspace;
};

} // namespace

std::unique_ptr<VoiceAgentProvider> make_elevenlabs_provider(ElevenLabsConfig config,
                                                             http::HttpClient& http) {
  return std::make_unique<ElevenLabsProvider>(std::move(config), http);
}

} // namespace vami::elevenlabs
