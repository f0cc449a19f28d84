// The Twilio emulator's call log (see calls_list.hpp), in the shapes of
// `shared/specs/twilio_api_v2010.json` (`ListCall`, `api.v2010.account.call`).

#include "twilio/emulator/calls_list.hpp"

#include <ctime>
#include <optional>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/providers/http_client.hpp>

namespace vami::sandbox::twilio_calls {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::int64_t k_day = 86'400;
constexpr std::int64_t k_max_page = 1'000'000'000;

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS calls (
  sid TEXT NOT NULL PRIMARY KEY,
  from_number TEXT NOT NULL,
  to_number TEXT NOT NULL,
  direction TEXT NOT NULL DEFAULT 'inbound'
    CHECK (direction IN ('inbound', 'outbound-api', 'outbound-dial')),
  status TEXT NOT NULL DEFAULT 'completed'
    CHECK (status IN ('queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed',
                      'no-answer', 'canceled')),
  start_time INTEGER,
  end_time INTEGER,
  duration INTEGER,
  price TEXT,
  price_unit TEXT NOT NULL DEFAULT 'USD',
  phone_number_sid TEXT,
  date_created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_by_start ON calls (start_time, sid);
)sql";

/// Midnight UTC of a `YYYY-MM-DD` date, in Unix seconds.
std::optional<std::int64_t> parse_date(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  std::tm parts{};
  for (std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
  }
  parts.tm_year = std::stoi(text.substr(0, 4)) - 1900;
  parts.tm_mon = std::stoi(text.substr(5, 2)) - 1;
  parts.tm_mday = std::stoi(text.substr(8, 2));
  const int month = parts.tm_mon;
  const int day = parts.tm_mday;
  const auto midnight = static_cast<std::int64_t>(timegm(&parts));
  if (month < 0 || month > 11 || parts.tm_mon != month || parts.tm_mday != day) {
    return std::nullopt;
  }
  return midnight;
}

Json nullable_time(const SQLite::Column& column) {
  return column.isNull() ? Json(nullptr) : Json(rfc2822(column.getInt64()));
}

Json nullable_text(const SQLite::Column& column) {
  return column.isNull() ? Json(nullptr) : Json(column.getString());
}

} // namespace

void create_schema(SQLite::Database& db) {
  db.exec(k_schema);
}

ListAnswer list(SQLite::Database& db, const std::string& account_sid, const Params& query,
                std::int64_t page_size) {
  ListAnswer answer;
  auto refuse = [&](std::string message) {
    answer.status = 400;
    answer.code = 20001;
    answer.message = std::move(message);
    return answer;
  };
  std::int64_t page = 0;
  if (auto value = param(query, "Page")) {
    bool digits = !value->empty() && value->size() <= 10 &&
                  value->find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoll(*value) > k_max_page) {
      return refuse("Page must be a non-negative integer, got '" + *value + "'");
    }
    page = std::stoll(*value);
  }

  // Every filter, kept in the page URIs so that following them lists the same calls.
  Params filters;
  std::string where = " WHERE 1 = 1";
  std::vector<std::pair<bool, std::string>> texts; // (is integer, value) in bind order.
  for (const char* name : {"To", "From", "Status"}) {
    if (auto value = param(query, name); value && !value->empty()) {
      filters.emplace_back(name, *value);
      where += std::string(" AND ") +
               (std::string(name) == "To"     ? "to_number"
                : std::string(name) == "From" ? "from_number"
                                              : "status") +
               " = ?";
      texts.emplace_back(false, *value);
    }
  }
  for (const char* name : {"StartTime>", "StartTime<", "StartTime"}) {
    auto value = param(query, name);
    if (!value || value->empty()) {
      continue;
    }
    std::optional<std::int64_t> midnight = parse_date(*value);
    if (!midnight) {
      return refuse(std::string(name) + " must be a date in the form YYYY-MM-DD, got '" + *value +
                    "'");
    }
    filters.emplace_back(name, *value);
    const std::string kind(name);
    if (kind == "StartTime>") {
      where += " AND start_time >= ?";
      texts.emplace_back(true, std::to_string(*midnight));
    } else if (kind == "StartTime<") {
      where += " AND start_time < ?";
      texts.emplace_back(true, std::to_string(*midnight + k_day));
    } else {
      where += " AND start_time >= ? AND start_time < ?";
      texts.emplace_back(true, std::to_string(*midnight));
      texts.emplace_back(true, std::to_string(*midnight + k_day));
    }
  }

  SQLite::Statement select(
      db, "SELECT sid, from_number, to_number, direction, status, start_time, end_time, "
          "duration, price, price_unit, phone_number_sid, date_created FROM calls" +
              where + " ORDER BY start_time IS NULL, start_time DESC, sid DESC LIMIT ? OFFSET ?");
  int index = 1;
  for (const auto& [integer, value] : texts) {
    if (integer) {
      select.bind(index++, static_cast<std::int64_t>(std::stoll(value)));
    } else {
      select.bind(index++, value);
    }
  }
  select.bind(index++, page_size + 1); // One more tells whether a next page exists.
  select.bind(index, page * page_size);
  const std::string base = "/2010-04-01/Accounts/" + account_sid;
  Json calls = Json::array();
  std::string last_sid;
  bool has_next = false;
  while (select.executeStep()) {
    if (static_cast<std::int64_t>(calls.size()) == page_size) {
      has_next = true;
      break;
    }
    const std::string sid = select.getColumn(0).getString();
    Json call;
    call["account_sid"] = account_sid;
    call["answered_by"] = nullptr;
    call["api_version"] = "2010-04-01";
    call["caller_name"] = nullptr;
    call["date_created"] = rfc2822(select.getColumn(11).getInt64());
    call["date_updated"] = rfc2822(select.getColumn(11).getInt64());
    call["direction"] = select.getColumn(3).getString();
    call["duration"] =
        select.getColumn(7).isNull() ? Json(nullptr) : Json(select.getColumn(7).getString());
    call["end_time"] = nullable_time(select.getColumn(6));
    call["forwarded_from"] = nullptr;
    call["from"] = select.getColumn(1).getString();
    call["from_formatted"] = select.getColumn(1).getString();
    call["group_sid"] = nullptr;
    call["parent_call_sid"] = nullptr;
    call["phone_number_sid"] = nullable_text(select.getColumn(10));
    call["price"] = nullable_text(select.getColumn(8));
    call["price_unit"] = select.getColumn(9).getString();
    call["sid"] = sid;
    call["start_time"] = nullable_time(select.getColumn(5));
    call["status"] = select.getColumn(4).getString();
    call["subresource_uris"] = Json::object();
    call["to"] = select.getColumn(2).getString();
    call["to_formatted"] = select.getColumn(2).getString();
    call["trunk_sid"] = nullptr;
    call["uri"] = base + "/Calls/" + sid + ".json";
    call["queue_time"] = "0";
    calls.push_back(std::move(call));
    last_sid = sid;
  }

  auto page_uri = [&](std::int64_t number, const std::string& token) {
    Params fields = filters;
    fields.emplace_back("PageSize", std::to_string(page_size));
    fields.emplace_back("Page", std::to_string(number));
    if (!token.empty()) {
      fields.emplace_back("PageToken", token);
    }
    return base + "/Calls.json?" + http::form_encode(fields);
  };
  const std::int64_t start = page * page_size;
  Json& body = answer.body;
  body["calls"] = std::move(calls);
  body["end"] =
      body["calls"].empty() ? start : start + static_cast<std::int64_t>(body["calls"].size()) - 1;
  body["first_page_uri"] = page_uri(0, "");
  body["next_page_uri"] = has_next ? Json(page_uri(page + 1, "PA" + last_sid)) : Json(nullptr);
  body["page"] = page;
  body["page_size"] = page_size;
  body["previous_page_uri"] = page > 0 ? Json(page_uri(page - 1, "")) : Json(nullptr);
  body["start"] = start;
  body["uri"] = page_uri(page, param(query, "PageToken").value_or(""));
  return answer;
}

} // namespace vami::sandbox::twilio_calls
