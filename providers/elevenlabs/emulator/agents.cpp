// The ElevenLabs emulator's agents: `POST /v1/convai/agents/create`,
// `GET|PATCH|DELETE /v1/convai/agents/{agent_id}` and `GET /v1/convai/agents`.

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

#include "elevenlabs/emulator/agent_config.hpp"
#include "elevenlabs/emulator/elevenlabs_emulator_impl.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include "sandbox/sandbox_util.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

namespace vami::sandbox {

using namespace elevenlabs; // NOLINT(google-build-using-namespace): this half's wire helpers

namespace {

constexpr const char* k_agent_columns =
    "seq, agent_id, name, tags, conversation_config, created_at, updated_at";

AgentRow read_agent(SQLite::Statement& statement) {
  AgentRow row;
  row.seq = statement.getColumn(0).getInt64();
  row.agent_id = statement.getColumn(1).getString();
  row.name = statement.getColumn(2).getString();
  row.tags = Json::parse(statement.getColumn(3).getString(), nullptr, false);
  if (!row.tags.is_array()) {
    row.tags = Json::array();
  }
  row.config = Json::parse(statement.getColumn(4).getString(), nullptr, false);
  if (!row.config.is_object()) {
    row.config = Json::object();
  }
  row.created_at = statement.getColumn(5).getInt64();
  row.updated_at = statement.getColumn(6).getInt64();
  return row;
}

} // namespace

// Connection locked by the caller.
std::optional<AgentRow> ElevenLabsSandbox::Impl::select_agent(const std::string& agent_id) {
  SQLite::Statement select(m_db, std::string("SELECT ") + k_agent_columns +
                                     " FROM convai_agents WHERE agent_id = ?");
  select.bind(1, agent_id);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  return read_agent(select);
}

void ElevenLabsSandbox::Impl::agent_not_found(const std::string& agent_id) {
  fail(404, "agent_not_found", "Agent with id " + agent_id + " was not found");
}

AgentRow ElevenLabsSandbox::Impl::require_agent(const std::string& agent_id) {
  auto row = select_agent(agent_id);
  if (!row) {
    agent_not_found(agent_id);
  }
  return *row;
}

// Every knowledge-base entry must name an existing document of the same type: 404 for an
// unknown id, as for any other unknown resource. Connection locked by the caller.
void ElevenLabsSandbox::Impl::check_documents(const Json& config) {
  Json entries = knowledge_base_of(config);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Json& entry = entries[i];
    std::string id = entry.value("id", "");
    SQLite::Statement select(m_db, "SELECT type FROM convai_documents WHERE document_id = ?");
    select.bind(1, id);
    if (!select.executeStep()) {
      fail(404, "document_not_found",
           "Knowledge base document " + id + " was not found; add it to the knowledge base first");
    }
    std::string type = select.getColumn(0).getString();
    if (entry.value("type", "") != type) {
      reject(loc_of(knowledge_base_loc(i), "type"),
             "Value error, document " + id + " is of type '" + type + "', not '" +
                 entry.value("type", "") + "'",
             "value_error");
    }
  }
}

void ElevenLabsSandbox::Impl::save_agent_documents(const std::string& agent_id,
                                                   const Json& config) {
  SQLite::Statement remove(m_db, "DELETE FROM convai_agent_documents WHERE agent_id = ?");
  remove.bind(1, agent_id);
  remove.exec();
  for (const Json& entry : knowledge_base_of(config)) {
    SQLite::Statement insert(m_db, "INSERT OR IGNORE INTO convai_agent_documents "
                                   "(agent_id, document_id) VALUES (?, ?)");
    insert.bind(1, agent_id);
    insert.bind(2, entry.value("id", ""));
    insert.exec();
  }
}

void ElevenLabsSandbox::Impl::update_agent_row(const AgentRow& row) {
  SQLite::Statement update(m_db, "UPDATE convai_agents SET name = ?, tags = ?, "
                                 "conversation_config = ?, updated_at = ? WHERE agent_id = ?");
  update.bind(1, row.name);
  update.bind(2, row.tags.dump());
  update.bind(3, row.config.dump(-1, ' ', false, Json::error_handler_t::replace));
  update.bind(4, static_cast<std::int64_t>(row.updated_at));
  update.bind(5, row.agent_id);
  update.exec();
}

// GetAgentResponseModel. Connection locked by the caller.
Json ElevenLabsSandbox::Impl::agent_json(const AgentRow& row) {
  Json phones = Json::array();
  for (const PhoneRow& phone : select_phones(" WHERE p.agent_id = ?", row.agent_id)) {
    phones.push_back(phone_json(phone));
  }
  Json body;
  body["agent_id"] = row.agent_id;
  body["name"] = row.name;
  body["conversation_config"] = row.config;
  body["metadata"] =
      Json{{"created_at_unix_secs", row.created_at}, {"updated_at_unix_secs", row.updated_at}};
  body["platform_settings"] = Json::object();
  body["phone_numbers"] = std::move(phones);
  body["access_info"] = access_info();
  body["tags"] = row.tags;
  body["version_id"] = nullptr;
  body["branch_id"] = nullptr;
  return body;
}

http::HttpResponse ElevenLabsSandbox::Impl::create_agent(const http::HttpRequest& request) {
  Json body = json_body(request, BodyPresence::required);
  Validation validation;
  auto config_member = body.find("conversation_config");
  if (config_member == body.end()) {
    validation.add(Json::array({"body", "conversation_config"}), "Field required", "missing");
  } else {
    validate_conversation_config(*config_member, validation);
  }
  auto name = string_member(body, "name", Json::array({"body"}), validation, Presence::optional,
                            Nullable::yes);
  auto tags = tags_member(body, validation);
  validation.throw_if_any();

  AgentRow row;
  row.agent_id = "agent_" + random_text(k_lower_alnum, 28);
  row.name = name.value_or("");
  row.tags = tags.value_or(Json::array());
  row.config = default_conversation_config();
  deep_merge(row.config, *config_member);
  normalize_knowledge_base(row.config);
  row.created_at = now_seconds();
  row.updated_at = row.created_at;

  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  check_documents(row.config);
  SQLite::Statement insert(m_db, "INSERT INTO convai_agents (agent_id, name, tags, "
                                 "conversation_config, created_at, updated_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, row.agent_id);
  insert.bind(2, row.name);
  insert.bind(3, row.tags.dump());
  insert.bind(4, row.config.dump(-1, ' ', false, Json::error_handler_t::replace));
  insert.bind(5, static_cast<std::int64_t>(row.created_at));
  insert.bind(6, static_cast<std::int64_t>(row.updated_at));
  insert.exec();
  save_agent_documents(row.agent_id, row.config);
  transaction.commit();
  return json_response(200, Json{{"agent_id", row.agent_id}});
}

http::HttpResponse ElevenLabsSandbox::Impl::get_agent(const std::string& agent_id) {
  std::lock_guard lock(m_mutex);
  return json_response(200, agent_json(require_agent(agent_id)));
}

http::HttpResponse ElevenLabsSandbox::Impl::patch_agent(const std::string& agent_id,
                                                        const http::HttpRequest& request) {
  Json body = json_body(request, BodyPresence::optional);
  Validation validation;
  auto config_member = body.find("conversation_config");
  if (config_member != body.end()) {
    validate_conversation_config(*config_member, validation);
  }
  auto name = string_member(body, "name", Json::array({"body"}), validation, Presence::optional,
                            Nullable::yes);
  auto tags = tags_member(body, validation);
  validation.throw_if_any();

  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  AgentRow row = require_agent(agent_id);
  if (config_member != body.end()) {
    deep_merge(row.config, *config_member);
    normalize_knowledge_base(row.config);
    check_documents(row.config);
  }
  if (name) {
    row.name = *name;
  }
  if (tags) {
    row.tags = *tags;
  }
  row.updated_at = now_seconds();
  update_agent_row(row);
  save_agent_documents(row.agent_id, row.config);
  Json response = agent_json(row);
  transaction.commit();
  return json_response(200, response);
}

http::HttpResponse ElevenLabsSandbox::Impl::delete_agent(const std::string& agent_id) {
  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement remove(m_db, "DELETE FROM convai_agents WHERE agent_id = ?");
  remove.bind(1, agent_id);
  if (remove.exec() == 0) {
    agent_not_found(agent_id);
  }
  SQLite::Statement documents(m_db, "DELETE FROM convai_agent_documents WHERE agent_id = ?");
  documents.bind(1, agent_id);
  documents.exec();
  // Its numbers stay imported, without an agent: calls to them are no longer answered.
  SQLite::Statement numbers(m_db,
                            "UPDATE convai_phone_numbers SET agent_id = NULL WHERE agent_id = ?");
  numbers.bind(1, agent_id);
  numbers.exec();
  transaction.commit();
  http::HttpResponse response;
  response.status = 204;
  return response;
}

http::HttpResponse ElevenLabsSandbox::Impl::list_agents(const Params& query) {
  Validation validation;
  std::int64_t page_size = page_size_param(query, k_default_page_size, validation);
  SortDirection direction = sort_direction_param(query, validation);
  std::optional<std::string> cursor = cursor_param(query, validation);
  std::optional<std::int64_t> after_seq;
  if (cursor) {
    after_seq = parse_integer(*cursor);
    if (!after_seq) {
      validation.add(Json::array({"query", "cursor"}),
                     "Value error, the cursor is not one this API returned", "value_error");
    }
  }
  validation.throw_if_any();
  std::string search = param(query, "search").value_or("");
  std::vector<std::string> tags = all_params(query, "tags");

  std::string sql = std::string("SELECT ") + k_agent_columns +
                    ", (SELECT max(c.start_time_unix_secs) FROM conversations c "
                    "WHERE c.agent_id = convai_agents.agent_id) FROM convai_agents WHERE 1 = 1";
  if (!search.empty()) {
    sql += " AND instr(lower(name), lower(?)) > 0";
  }
  if (!tags.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM json_each(convai_agents.tags) WHERE json_each.value IN (";
    for (std::size_t i = 0; i < tags.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
    }
    sql += "))";
  }
  bool descending = direction == SortDirection::descending;
  if (after_seq) {
    sql += descending ? " AND seq < ?" : " AND seq > ?";
  }
  sql += descending ? " ORDER BY seq DESC" : " ORDER BY seq ASC";
  sql += " LIMIT ?";

  std::vector<std::pair<AgentRow, std::optional<std::int64_t>>> rows;
  {
    std::lock_guard lock(m_mutex);
    SQLite::Statement select(m_db, sql);
    int index = 1;
    if (!search.empty()) {
      select.bind(index++, search);
    }
    for (const std::string& tag : tags) {
      select.bind(index++, tag);
    }
    if (after_seq) {
      select.bind(index++, static_cast<std::int64_t>(*after_seq));
    }
    // One more than a page tells whether another page follows.
    select.bind(index, static_cast<std::int64_t>(page_size + 1));
    while (select.executeStep()) {
      std::optional<std::int64_t> last_call;
      if (!select.getColumn(7).isNull()) {
        last_call = select.getColumn(7).getInt64();
      }
      rows.emplace_back(read_agent(select), last_call);
    }
  }
  bool has_more = static_cast<std::int64_t>(rows.size()) > page_size;
  if (has_more) {
    rows.resize(static_cast<std::size_t>(page_size));
  }
  Json agents = Json::array();
  for (const auto& [row, last_call] : rows) {
    Json summary;
    summary["agent_id"] = row.agent_id;
    summary["name"] = row.name;
    summary["voice_id"] = voice_of(row.config);
    summary["tags"] = row.tags;
    summary["created_at_unix_secs"] = row.created_at;
    summary["access_info"] = access_info();
    summary["last_call_time_unix_secs"] = last_call ? Json(*last_call) : Json(nullptr);
    summary["archived"] = false;
    agents.push_back(std::move(summary));
  }
  Json body;
  body["agents"] = std::move(agents);
  body["next_cursor"] =
      has_more ? Json(encode_cursor(std::to_string(rows.back().first.seq))) : Json(nullptr);
  body["has_more"] = has_more;
  return json_response(200, body);
}

} // namespace vami::sandbox
