#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// The ElevenLabs emulator's conversation details: `GET /v1/convai/conversations/{id}`.
namespace vami::sandbox::conversations {

/// Creates the `conversation_details` table when the state file lacks it (call inside a write
/// transaction); tests seed it with sqlite3 beside `conversations`, one optional row per
/// conversation: `conversation_id TEXT PRIMARY KEY`, `call_sid`, `phone_number_id`,
/// `agent_number`, `external_number` (TEXT, NULL when the conversation was not a Twilio call),
/// `cost` (INTEGER credits), `cost_fiat` (REAL, USD), `transcript` (TEXT: a JSON array of
/// `{"role", "message", "time_in_call_secs"}`).
void create_schema(SQLite::Database& db);

/// The `GetConversationResponseModel` of a conversation of the `conversations` table, with its
/// `conversation_details` row when there is one; nullopt when the conversation does not exist.
/// Runs under the caller's lock on `db`.
[[nodiscard]] std::optional<nlohmann::ordered_json> details(SQLite::Database& db,
                                                            const std::string& conversation_id);

} // namespace vami::sandbox::conversations
