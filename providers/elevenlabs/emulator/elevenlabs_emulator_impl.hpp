#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elevenlabs/emulator/elevenlabs_emulator.hpp"
#include "elevenlabs/emulator/knowledge_base.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include "elevenlabs/emulator/workspace_webhooks.hpp"
#include "sandbox/sandbox_util.hpp"

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the ElevenLabs emulator: the class behind `ElevenLabsSandbox`, whose members are
// defined by concern: elevenlabs_emulator.cpp (routing, authentication), agents.cpp,
// phone_numbers.cpp, voices.cpp and conversations_list.cpp; and the rows they share.

namespace vami::sandbox {

namespace elevenlabs {

/// One of ElevenLabs' public premade voices (ids and labels as the real API lists them).

struct PremadeVoice {
  std::string_view voice_id;
  std::string_view name;
  std::string_view gender;
  std::string_view accent;
  std::string_view age;
  std::string_view description; ///< The `description` label: one adjective.
  std::string_view use_case;
};

/// The premade voice `voice_id`; nullptr when the catalogue has none (voices.cpp).
const PremadeVoice* find_voice(std::string_view voice_id);

/// One row of `convai_agents`.
struct AgentRow {
  std::int64_t seq = 0;
  std::string agent_id;
  std::string name;
  Json tags = Json::array();
  Json config = Json::object();
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

/// One row of `convai_phone_numbers`, with the name of the agent it is assigned to.
struct PhoneRow {
  std::string phone_number_id;
  std::string phone_number;
  std::string label;
  std::string twilio_number_sid;
  std::optional<std::string> agent_id;
  std::string agent_name;
};

/// The `PhoneNumberResponse` of an import (phone_numbers.cpp).
Json phone_json(const PhoneRow& row);

} // namespace elevenlabs

/// The ElevenLabs Agents Platform emulator (see `ElevenLabsSandbox`).
class ElevenLabsSandbox::Impl final : private AgentKnowledgeView {
public:
  explicit Impl(const EmulatorContext& context)
      : m_db(context.db), m_mutex(context.mutex), m_twilio(context.twilio),
        m_credentials(context.twilio_credentials), m_api_key(context.setting("elevenlabs_api_key")),
        m_knowledge_base(context.db, context.mutex, static_cast<AgentKnowledgeView&>(*this)),
        m_workspace(context.db, context.mutex) {}

  WorkspaceSandbox& workspace() { return m_workspace; }

  http::HttpResponse handle(const http::HttpRequest& request, const std::string& path,
                            const std::string& query);
  void forget_twilio_number(const std::string& twilio_number_sid);

private:
  bool authenticated(const http::HttpRequest& request) const;
  static http::HttpResponse route_not_found();
  static http::HttpResponse method_not_allowed();
  http::HttpResponse route(const http::HttpRequest& request, const std::string& path,
                           const Params& query);

  // -- Voices (voices.cpp) ----------------------------------------------------------------------
  static http::HttpResponse list_voices();
  static http::HttpResponse get_voice(const std::string& voice_id);
  static http::HttpResponse list_voices_v2(const Params& query);

  // -- Agents (agents.cpp) ----------------------------------------------------------------------
  std::optional<elevenlabs::AgentRow> select_agent(const std::string& agent_id);
  [[noreturn]] static void agent_not_found(const std::string& agent_id);
  elevenlabs::AgentRow require_agent(const std::string& agent_id);
  void check_documents(const elevenlabs::Json& config);
  void save_agent_documents(const std::string& agent_id, const elevenlabs::Json& config);
  void update_agent_row(const elevenlabs::AgentRow& row);
  elevenlabs::Json agent_json(const elevenlabs::AgentRow& row);
  http::HttpResponse create_agent(const http::HttpRequest& request);
  http::HttpResponse get_agent(const std::string& agent_id);
  http::HttpResponse patch_agent(const std::string& agent_id, const http::HttpRequest& request);
  http::HttpResponse delete_agent(const std::string& agent_id);
  http::HttpResponse list_agents(const Params& query);

  // -- Phone numbers (phone_numbers.cpp)
  // ------------------------------------------------------------
  std::vector<elevenlabs::PhoneRow> select_phones(const std::string& where,
                                                  const std::string& bound);
  bool twilio_credentials_match(const std::string& sid, const std::string& token) const;
  [[noreturn]] static void phone_number_not_found(const std::string& phone_number_id);
  elevenlabs::PhoneRow require_phone(const std::string& phone_number_id);
  http::HttpResponse import_number(const http::HttpRequest& request);
  http::HttpResponse list_numbers(const Params& query);
  http::HttpResponse get_number(const std::string& phone_number_id);
  http::HttpResponse patch_number(const std::string& phone_number_id,
                                  const http::HttpRequest& request);
  http::HttpResponse delete_number(const std::string& phone_number_id);

  // -- Conversations (conversations_list.cpp) --------------------------------------------------
  http::HttpResponse get_conversation(const std::string& conversation_id);
  http::HttpResponse list_conversations(const Params& query);

  // -- What the knowledge base sees of the agents (connection locked, inside a transaction) ---
  void remove_document_from_agent(const std::string& agent_id,
                                  const std::string& document_id) override;

  SQLite::Database& m_db;
  std::mutex& m_mutex;
  TwilioAccountView& m_twilio;
  SandboxCredentials m_credentials; ///< The sandbox's Twilio account, which imports must present.
  std::string m_api_key;            ///< The accepted `xi-api-key` (its descriptor derives it).
  KnowledgeBaseSandbox m_knowledge_base;
  WorkspaceSandbox m_workspace;
};

} // namespace vami::sandbox
