// The ElevenLabs emulator's conversation details (see conversations.hpp), in the shape
// of `shared/specs/elevenlabs_openapi.json` `GetConversationResponseModel`.

#include "elevenlabs/emulator/conversations.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox::conversations {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS conversation_details (
  conversation_id TEXT NOT NULL PRIMARY KEY,
  call_sid TEXT,
  phone_number_id TEXT,
  agent_number TEXT,
  external_number TEXT,
  cost INTEGER,
  cost_fiat REAL,
  transcript TEXT
);
)sql";

Json text_or_null(const SQLite::Column& column) {
  return column.isNull() ? Json(nullptr) : Json(column.getString());
}

} // namespace

void create_schema(SQLite::Database& db) {
  db.exec(k_schema);
}

std::optional<Json> details(SQLite::Database& db, const std::string& conversation_id) {
  SQLite::Statement select(
      db, "SELECT c.conversation_id, c.agent_id, coalesce(c.agent_name, a.name), "
          "c.start_time_unix_secs, c.call_duration_secs, c.status, c.call_successful, "
          "c.termination_reason, c.direction, c.transcript_summary, c.call_summary_title, "
          "d.call_sid, d.phone_number_id, d.agent_number, d.external_number, d.cost, "
          "d.cost_fiat, d.transcript FROM conversations c "
          "LEFT JOIN convai_agents a ON a.agent_id = c.agent_id "
          "LEFT JOIN conversation_details d ON d.conversation_id = c.conversation_id "
          "WHERE c.conversation_id = ?");
  select.bind(1, conversation_id);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  Json metadata;
  metadata["start_time_unix_secs"] = select.getColumn(3).getInt64();
  metadata["accepted_time_unix_secs"] = select.getColumn(3).getInt64();
  metadata["call_duration_secs"] = select.getColumn(4).getInt64();
  metadata["cost"] =
      select.getColumn(15).isNull() ? Json(nullptr) : Json(select.getColumn(15).getInt64());
  metadata["cost_fiat"] =
      select.getColumn(16).isNull() ? Json(nullptr) : Json(select.getColumn(16).getDouble());
  metadata["termination_reason"] = select.getColumn(7).getString();
  if (select.getColumn(11).isNull()) {
    metadata["phone_call"] = nullptr;
  } else {
    metadata["phone_call"] = {
        {"direction", select.getColumn(8).isNull() ? "inbound" : select.getColumn(8).getString()},
        {"phone_number_id", select.getColumn(12).isNull() ? "" : select.getColumn(12).getString()},
        {"agent_number", select.getColumn(13).isNull() ? "" : select.getColumn(13).getString()},
        {"external_number", select.getColumn(14).isNull() ? "" : select.getColumn(14).getString()},
        {"type", "twilio"},
        {"stream_sid", "MZ" + select.getColumn(11).getString().substr(2)},
        {"call_sid", select.getColumn(11).getString()}};
  }
  metadata["conversation_initiation_source"] =
      select.getColumn(11).isNull() ? Json("unknown") : Json("twilio");

  Json analysis;
  analysis["call_successful"] = select.getColumn(6).getString();
  analysis["transcript_summary"] =
      select.getColumn(9).isNull() ? std::string() : select.getColumn(9).getString();
  analysis["call_summary_title"] = text_or_null(select.getColumn(10));
  analysis["evaluation_criteria_results"] = Json::object();
  analysis["data_collection_results"] = Json::object();

  Json transcript = Json::array();
  if (!select.getColumn(17).isNull()) {
    Json stored = Json::parse(select.getColumn(17).getString(), nullptr, false);
    if (stored.is_array()) {
      for (Json& line : stored) {
        if (line.is_object()) {
          if (!line.contains("time_in_call_secs")) {
            line["time_in_call_secs"] = 0;
          }
          transcript.push_back(std::move(line));
        }
      }
    }
  }

  Json body;
  body["agent_id"] = select.getColumn(1).getString();
  body["agent_name"] = text_or_null(select.getColumn(2));
  body["status"] = select.getColumn(5).getString();
  body["user_id"] = nullptr;
  body["metadata"] = std::move(metadata);
  body["analysis"] = std::move(analysis);
  body["conversation_id"] = select.getColumn(0).getString();
  body["has_audio"] = false;
  body["has_user_audio"] = false;
  body["has_response_audio"] = false;
  body["has_auxiliary_audio"] = false;
  body["transcript"] = std::move(transcript);
  return body;
}

} // namespace vami::sandbox::conversations
