// The ElevenLabs emulator's conversations: `GET /v1/convai/conversations` (filters, cursor
// pages, newest first) and `GET /v1/convai/conversations/{id}` with its details
// (conversations.hpp).

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

#include "elevenlabs/emulator/conversations.hpp"
#include "elevenlabs/emulator/elevenlabs_emulator_impl.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include "sandbox/sandbox_util.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

namespace vami::sandbox {

using namespace elevenlabs; // NOLINT(google-build-using-namespace): this half's wire helpers

http::HttpResponse ElevenLabsSandbox::Impl::get_conversation(const std::string& conversation_id) {
  std::optional<Json> body;
  {
    std::lock_guard lock(m_mutex);
    body = conversations::details(m_db, conversation_id);
  }
  if (!body) {
    fail(404, "conversation_not_found",
         "Conversation with id " + conversation_id + " was not found");
  }
  return json_response(200, *body);
}

http::HttpResponse ElevenLabsSandbox::Impl::list_conversations(const Params& query) {
  Validation validation;
  std::int64_t page_size = page_size_param(query, k_default_page_size, validation);
  std::optional<std::string> cursor = cursor_param(query, validation);
  // The cursor is "<start_time_unix_secs>:<conversation_id>" of the page's last item.
  std::optional<std::int64_t> cursor_start;
  std::string cursor_id;
  if (cursor) {
    auto colon = cursor->find(':');
    cursor_start =
        colon == std::string::npos ? std::nullopt : parse_integer(cursor->substr(0, colon));
    if (!cursor_start) {
      validation.add(Json::array({"query", "cursor"}),
                     "Value error, the cursor is not one this API returned", "value_error");
    } else {
      cursor_id = cursor->substr(colon + 1);
    }
  }
  auto start_after = param(query, "call_start_after_unix");
  std::optional<std::int64_t> start_after_unix;
  if (start_after && !start_after->empty()) {
    start_after_unix = parse_integer(*start_after);
    if (!start_after_unix) {
      validation.add(Json::array({"query", "call_start_after_unix"}),
                     "Input should be a valid integer, unable to parse string as an integer",
                     "int_parsing");
    }
  }
  validation.throw_if_any();
  auto agent_id = param(query, "agent_id");

  std::string sql = "SELECT c.conversation_id, c.agent_id, coalesce(c.agent_name, a.name), "
                    "c.start_time_unix_secs, c.call_duration_secs, c.message_count, c.status, "
                    "c.call_successful, c.termination_reason, c.direction, c.transcript_summary, "
                    "c.call_summary_title FROM conversations c "
                    "LEFT JOIN convai_agents a ON a.agent_id = c.agent_id WHERE 1 = 1";
  if (agent_id && !agent_id->empty()) {
    sql += " AND c.agent_id = ?";
  }
  if (start_after_unix) {
    sql += " AND c.start_time_unix_secs > ?";
  }
  if (cursor_start) {
    sql += " AND (c.start_time_unix_secs, c.conversation_id) < (?, ?)";
  }
  sql += " ORDER BY c.start_time_unix_secs DESC, c.conversation_id DESC LIMIT ?";

  auto nullable_text = [](SQLite::Statement& statement, int column) {
    return statement.getColumn(column).isNull() ? Json(nullptr)
                                                : Json(statement.getColumn(column).getString());
  };
  Json conversations = Json::array();
  std::string last_key;
  {
    std::lock_guard lock(m_mutex);
    SQLite::Statement select(m_db, sql);
    int index = 1;
    if (agent_id && !agent_id->empty()) {
      select.bind(index++, *agent_id);
    }
    if (start_after_unix) {
      select.bind(index++, static_cast<std::int64_t>(*start_after_unix));
    }
    if (cursor_start) {
      select.bind(index++, static_cast<std::int64_t>(*cursor_start));
      select.bind(index++, cursor_id);
    }
    select.bind(index, static_cast<std::int64_t>(page_size + 1));
    while (select.executeStep()) {
      if (static_cast<std::int64_t>(conversations.size()) == page_size) {
        conversations.push_back(nullptr); // marks that another page follows
        break;
      }
      Json item;
      item["agent_id"] = select.getColumn(1).getString();
      item["agent_name"] = nullable_text(select, 2);
      item["conversation_id"] = select.getColumn(0).getString();
      item["start_time_unix_secs"] = select.getColumn(3).getInt64();
      item["call_duration_secs"] = select.getColumn(4).getInt64();
      item["message_count"] = select.getColumn(5).getInt64();
      item["status"] = select.getColumn(6).getString();
      item["termination_reason"] = select.getColumn(8).getString();
      item["call_successful"] = select.getColumn(7).getString();
      item["transcript_summary"] = nullable_text(select, 10);
      item["call_summary_title"] = nullable_text(select, 11);
      item["direction"] = nullable_text(select, 9);
      item["tag_ids"] = Json::array();
      last_key =
          std::to_string(select.getColumn(3).getInt64()) + ":" + select.getColumn(0).getString();
      conversations.push_back(std::move(item));
    }
  }
  bool has_more = !conversations.empty() && conversations.back().is_null();
  if (has_more) {
    conversations.erase(conversations.end() - 1);
  }
  Json body;
  body["conversations"] = std::move(conversations);
  body["next_cursor"] = has_more ? Json(encode_cursor(last_key)) : Json(nullptr);
  body["has_more"] = has_more;
  return json_response(200, body);
}

} // namespace vami::sandbox
