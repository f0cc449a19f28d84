#pragma once

#include <cstdint>
#include <string>

#include "sandbox/sandbox_util.hpp"
#include <nlohmann/json.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// The Twilio emulator's call log: `GET /2010-04-01/Accounts/{Sid}/Calls.json`.
namespace vami::sandbox::twilio_calls {

/// Creates the `calls` table when the state file lacks it (call inside a write transaction):
/// `sid TEXT PRIMARY KEY` ("CA" + 32 hex), `from_number`, `to_number` (E.164),
/// `direction` ('inbound', 'outbound-api', 'outbound-dial'; 'inbound'), `status` (Twilio's
/// `call_enum_status`; 'completed'), `start_time`, `end_time` (Unix seconds or NULL), `duration`
/// (seconds or NULL), `price` (a signed decimal string such as '-0.01700', or NULL),
/// `price_unit` ('USD'), `phone_number_sid` (NULL), `date_created` (Unix seconds). Nothing in the
/// emulator places calls yet: tests seed it with sqlite3.
void create_schema(SQLite::Database& db);

/// What the list answers: a page (`status` 200, `body`) or a Twilio error (`status`, `code`,
/// `message`), which the emulator wraps in its error body.
struct ListAnswer {
  int status = 200;
  nlohmann::ordered_json body;
  int code = 0;
  std::string message;
};

/// One page of the account's calls, newest `start_time` first (not yet started last), as
/// `ListCall` documents: filters `To`, `From`, `Status`, `StartTime>` / `StartTime<` /
/// `StartTime` (UTC dates `YYYY-MM-DD`: on or after, on or before, on); `PageSize` (given
/// already checked), `Page`, `PageToken`; `next_page_uri` keeps the filters. Runs under the
/// caller's lock on `db`.
[[nodiscard]] ListAnswer list(SQLite::Database& db, const std::string& account_sid,
                              const Params& query, std::int64_t page_size);

} // namespace vami::sandbox::twilio_calls
