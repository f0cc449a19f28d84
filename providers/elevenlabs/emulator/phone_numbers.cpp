// The ElevenLabs emulator's phone numbers: Twilio imports (`POST|GET /v1/convai/phone-numbers`,
// `GET|PATCH|DELETE /v1/convai/phone-numbers/{id}`), checked against the sandbox's Twilio
// account; an import points the number's voice URL at ElevenLabs' inbound URL.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elevenlabs/emulator/elevenlabs_emulator.hpp"
#include "elevenlabs/emulator/elevenlabs_emulator_impl.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include "sandbox/sandbox_util.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <vami/core/phone_number.hpp>

namespace vami::sandbox {

namespace elevenlabs {

namespace {

// Joined with the agents for the assigned agent's name.
constexpr const char* k_phone_select =
    "SELECT p.phone_number_id, p.phone_number, p.label, p.twilio_number_sid, p.agent_id, "
    "coalesce(a.name, '') FROM convai_phone_numbers p "
    "LEFT JOIN convai_agents a ON a.agent_id = p.agent_id";

PhoneRow read_phone(SQLite::Statement& statement) {
  PhoneRow row;
  row.phone_number_id = statement.getColumn(0).getString();
  row.phone_number = statement.getColumn(1).getString();
  row.label = statement.getColumn(2).getString();
  row.twilio_number_sid = statement.getColumn(3).getString();
  if (!statement.getColumn(4).isNull()) {
    row.agent_id = statement.getColumn(4).getString();
  }
  row.agent_name = statement.getColumn(5).getString();
  return row;
}

} // namespace

Json phone_json(const PhoneRow& row) {
  Json body;
  body["phone_number"] = row.phone_number;
  body["label"] = row.label;
  body["supports_inbound"] = true;
  body["supports_outbound"] = true;
  body["phone_number_id"] = row.phone_number_id;
  if (row.agent_id) {
    body["assigned_agent"] = Json{{"agent_id", *row.agent_id}, {"agent_name", row.agent_name}};
  } else {
    body["assigned_agent"] = nullptr;
  }
  body["provider"] = "twilio";
  return body;
}

} // namespace elevenlabs

using namespace elevenlabs; // NOLINT(google-build-using-namespace): this half's wire helpers

std::vector<PhoneRow> ElevenLabsSandbox::Impl::select_phones(const std::string& where,
                                                             const std::string& bound) {
  SQLite::Statement select(m_db, std::string(k_phone_select) + where + " ORDER BY p.seq");
  if (!bound.empty()) {
    select.bind(1, bound);
  }
  std::vector<PhoneRow> rows;
  while (select.executeStep()) {
    rows.push_back(read_phone(select));
  }
  return rows;
}

bool ElevenLabsSandbox::Impl::twilio_credentials_match(const std::string& sid,
                                                       const std::string& token) const {
  return (sid == m_credentials.account_sid && token == m_credentials.auth_token) ||
         (sid == m_credentials.api_key_sid && token == m_credentials.api_key_secret);
}

void ElevenLabsSandbox::Impl::phone_number_not_found(const std::string& phone_number_id) {
  fail(404, "phone_number_not_found", "Phone number with id " + phone_number_id + " was not found");
}

// Connection locked by the caller.
PhoneRow ElevenLabsSandbox::Impl::require_phone(const std::string& phone_number_id) {
  auto rows = select_phones(" WHERE p.phone_number_id = ?", phone_number_id);
  if (rows.empty()) {
    phone_number_not_found(phone_number_id);
  }
  return rows.front();
}

http::HttpResponse ElevenLabsSandbox::Impl::import_number(const http::HttpRequest& request) {
  Json body = json_body(request, BodyPresence::required);
  Validation validation;
  const Json base = Json::array({"body"});
  auto provider = string_member(body, "provider", base, validation, Presence::optional);
  if (provider && *provider != "twilio") {
    // Exotel and SIP trunk imports are valid at the service; the sandbox has only Twilio.
    validation.add(Json::array({"body", "provider"}),
                   "Value error, the sandbox imports Twilio numbers only (provider 'twilio')",
                   "value_error");
    validation.throw_if_any();
  }
  auto phone_number = string_member(body, "phone_number", base, validation, Presence::required);
  auto label = string_member(body, "label", base, validation, Presence::required);
  auto sid = string_member(body, "sid", base, validation, Presence::required);
  auto token = string_member(body, "token", base, validation, Presence::required);
  auto agent_id =
      string_member(body, "agent_id", base, validation, Presence::optional, Nullable::yes);
  auto account_auth_token = string_member(body, "account_auth_token", base, validation,
                                          Presence::optional, Nullable::yes);
  validation.throw_if_any();
  if (!is_e164(*phone_number)) {
    validation.add(Json::array({"body", "phone_number"}),
                   "Value error, '" + *phone_number +
                       "' is not a phone number in E.164 format, such as +12125550101",
                   "value_error");
  }
  if (!twilio_credentials_match(*sid, *token)) {
    validation.add(Json::array({"body", "sid"}),
                   "Value error, Twilio rejected the credentials: sid and token must be an "
                   "Account SID and its Auth Token, or an API Key SID and its Secret",
                   "value_error");
  } else if (account_auth_token && *account_auth_token != m_credentials.auth_token) {
    validation.add(Json::array({"body", "account_auth_token"}),
                   "Value error, account_auth_token is not the Auth Token of account " +
                       m_credentials.account_sid,
                   "value_error");
  }
  validation.throw_if_any();

  std::string phone_number_id = "phnum_" + random_text(k_lower_alnum, 28);
  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  if (agent_id) {
    require_agent(*agent_id);
  }
  {
    SQLite::Statement existing(
        m_db, "SELECT phone_number_id FROM convai_phone_numbers WHERE phone_number = ?");
    existing.bind(1, *phone_number);
    if (existing.executeStep()) {
      fail(409, "phone_number_already_exists",
           "Phone number " + *phone_number + " is already imported as " +
               existing.getColumn(0).getString());
    }
  }
  std::optional<std::string> twilio_sid = m_twilio.owned_number_sid(*phone_number);
  if (!twilio_sid) {
    reject(Json::array({"body", "phone_number"}),
           "Value error, " + *phone_number + " is not a phone number of the Twilio account " +
               m_credentials.account_sid,
           "value_error");
  }
  SQLite::Statement insert(m_db, "INSERT INTO convai_phone_numbers (phone_number_id, "
                                 "phone_number, label, twilio_number_sid, agent_id, created_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, phone_number_id);
  insert.bind(2, *phone_number);
  insert.bind(3, *label);
  insert.bind(4, *twilio_sid);
  if (agent_id) {
    insert.bind(5, *agent_id);
  } else {
    insert.bind(5);
  }
  insert.bind(6, static_cast<std::int64_t>(now_seconds()));
  insert.exec();
  // The native integration points the number at ElevenLabs, which then answers its calls.
  m_twilio.set_number_voice_url(*twilio_sid, std::string(k_elevenlabs_inbound_url), "POST");
  transaction.commit();
  return json_response(200, Json{{"phone_number_id", phone_number_id}});
}

http::HttpResponse ElevenLabsSandbox::Impl::list_numbers(const Params& query) {
  auto provider = param(query, "provider");
  if (provider && *provider != "twilio" && *provider != "sip_trunk" && *provider != "exotel") {
    reject(Json::array({"query", "provider"}), "Input should be 'twilio', 'sip_trunk' or 'exotel'",
           "enum");
  }
  Json numbers = Json::array();
  if (provider && *provider != "twilio") {
    return json_response(200, numbers);
  }
  auto agent_id = param(query, "agent_id");
  std::vector<PhoneRow> rows;
  {
    std::lock_guard lock(m_mutex);
    rows = agent_id && !agent_id->empty() ? select_phones(" WHERE p.agent_id = ?", *agent_id)
                                          : select_phones("", "");
  }
  for (const PhoneRow& row : rows) {
    numbers.push_back(phone_json(row));
  }
  return json_response(200, numbers);
}

http::HttpResponse ElevenLabsSandbox::Impl::get_number(const std::string& phone_number_id) {
  std::lock_guard lock(m_mutex);
  return json_response(200, phone_json(require_phone(phone_number_id)));
}

http::HttpResponse ElevenLabsSandbox::Impl::patch_number(const std::string& phone_number_id,
                                                         const http::HttpRequest& request) {
  Json body = json_body(request, BodyPresence::required);
  Validation validation;
  const Json base = Json::array({"body"});
  bool change_agent = body.contains("agent_id");
  auto agent_id =
      string_member(body, "agent_id", base, validation, Presence::optional, Nullable::yes);
  auto label = string_member(body, "label", base, validation, Presence::optional, Nullable::yes);
  validation.throw_if_any();

  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  (void)require_phone(phone_number_id);
  if (change_agent) {
    if (agent_id) {
      require_agent(*agent_id);
    }
    // One statement moves the number from its old agent to the new one: never unassigned
    // in between.
    SQLite::Statement update(
        m_db, "UPDATE convai_phone_numbers SET agent_id = ? WHERE phone_number_id = ?");
    if (agent_id) {
      update.bind(1, *agent_id);
    } else {
      update.bind(1);
    }
    update.bind(2, phone_number_id);
    update.exec();
  }
  if (label) {
    SQLite::Statement update(m_db,
                             "UPDATE convai_phone_numbers SET label = ? WHERE phone_number_id = ?");
    update.bind(1, *label);
    update.bind(2, phone_number_id);
    update.exec();
  }
  PhoneRow row = require_phone(phone_number_id);
  transaction.commit();
  return json_response(200, phone_json(row));
}

http::HttpResponse ElevenLabsSandbox::Impl::delete_number(const std::string& phone_number_id) {
  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  PhoneRow row = require_phone(phone_number_id);
  SQLite::Statement remove(m_db, "DELETE FROM convai_phone_numbers WHERE phone_number_id = ?");
  remove.bind(1, phone_number_id);
  remove.exec();
  // Undo what the import did, unless someone has pointed the number elsewhere since.
  if (m_twilio.number_voice_url(row.twilio_number_sid) == k_elevenlabs_inbound_url) {
    m_twilio.set_number_voice_url(row.twilio_number_sid, "", "POST");
  }
  transaction.commit();
  return json_response(200, Json::object());
}

} // namespace vami::sandbox
