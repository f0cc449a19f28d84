// The Twilio emulator's front: its schema, HTTP Basic authentication, the routing of a request
// to its resources (AvailablePhoneNumbers, IncomingPhoneNumbers, Calls, Pricing v1) and the
// account itself (Accounts/{Sid}.json).

#include "twilio/emulator/twilio_emulator.hpp"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include "sandbox/sandbox_voice_calls.hpp"
#include "twilio/emulator/calls_list.hpp"
#include "twilio/emulator/number_settings.hpp"
#include "twilio/emulator/wire.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/core/number.hpp>

namespace vami::sandbox {

using namespace twilio_wire; // NOLINT(google-build-using-namespace): this emulator's wire helpers

namespace {

constexpr const char* k_schema = R"sql(
CREATE TABLE incoming_phone_numbers (
  sid TEXT NOT NULL UNIQUE,
  phone_number TEXT NOT NULL UNIQUE,
  friendly_name TEXT NOT NULL,
  voice_url TEXT NOT NULL DEFAULT '',
  voice_method TEXT NOT NULL DEFAULT 'POST' CHECK (voice_method IN ('GET', 'POST')),
  status_callback TEXT NOT NULL DEFAULT '',
  status_callback_method TEXT NOT NULL DEFAULT 'POST'
    CHECK (status_callback_method IN ('GET', 'POST')),
  iso_country TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('local', 'toll-free', 'mobile')),
  date_created INTEGER NOT NULL,
  date_updated INTEGER NOT NULL
);
CREATE INDEX incoming_phone_numbers_by_date ON incoming_phone_numbers (date_created, sid);
)sql";

} // namespace

TwilioSandbox::TwilioSandbox(SQLite::Database& db, std::mutex& mutex, TwilioAccount account,
                             Hooks hooks)
    : m_db(db), m_mutex(mutex), m_credentials(std::move(account.credentials)),
      m_account_name(std::move(account.friendly_name)), m_account_created(account.date_created),
      m_place_call(std::move(hooks.place_call)),
      m_number_released(std::move(hooks.number_released)),
      m_trunking(db, m_credentials.account_sid, [this](const std::string& sid) {
        std::optional<NumberRow> row = select_number(sid);
        return row ? std::optional<std::string>(row->phone_number) : std::nullopt;
      }) {
  m_accepted_authorizations = {
      http::basic_authorization(m_credentials.account_sid, m_credentials.auth_token),
      http::basic_authorization(m_credentials.api_key_sid, m_credentials.api_key_secret)};
}

void TwilioSandbox::create_schema(SQLite::Database& db) {
  db.exec(k_schema);
}

void TwilioSandbox::upgrade_schema(SQLite::Database& db) {
  add_missing_columns(db, "incoming_phone_numbers", number_setting_columns());
  twilio_calls::create_schema(db);
  TrunkingSandbox::create_schema(db);
}

http::HttpResponse TwilioSandbox::handle(const http::HttpRequest& request) {
  http::HttpResponse response;
  try {
    response = route(request);
  } catch (RequestFailure& failure) {
    response = std::move(failure.response());
  } catch (const SQLite::Exception& e) {
    response = twilio_error(
        500, 20500, std::string("Internal Server Error: sandbox state database: ") + e.what());
  } catch (const std::exception& e) {
    response = twilio_error(500, 20500, std::string("Internal Server Error: ") + e.what());
  }
  response.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  response.headers.emplace_back("Twilio-Request-Id", "RQ" + random_hex(32));
  return response;
}

// -- What the ElevenLabs emulator sees of the account (connection already locked) ---------

std::optional<std::string> TwilioSandbox::owned_number_sid(const std::string& e164) {
  SQLite::Statement select(m_db, "SELECT sid FROM incoming_phone_numbers WHERE phone_number = ?");
  select.bind(1, e164);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  return select.getColumn(0).getString();
}

std::string TwilioSandbox::number_voice_url(const std::string& sid) {
  std::optional<NumberRow> row = select_number(sid);
  return row ? row->settings.at("voice_url") : std::string();
}

void TwilioSandbox::set_number_voice_url(const std::string& sid, const std::string& url,
                                         const std::string& method) {
  SQLite::Statement update(m_db, "UPDATE incoming_phone_numbers SET voice_url = ?, "
                                 "voice_method = ?, date_updated = ? WHERE sid = ?");
  update.bind(1, url);
  update.bind(2, method);
  update.bind(3, static_cast<std::int64_t>(now_seconds()));
  update.bind(4, sid);
  update.exec();
}

bool TwilioSandbox::authenticated(const http::HttpRequest& request) const {
  std::string value = header_value(request, "Authorization");
  auto space = value.find(' ');
  if (space == std::string::npos || !iequals(value.substr(0, space), "Basic")) {
    return false;
  }
  std::string_view credentials = std::string_view(value).substr(space + 1);
  while (!credentials.empty() && credentials.front() == ' ') {
    credentials.remove_prefix(1);
  }
  while (!credentials.empty() && credentials.back() == ' ') {
    credentials.remove_suffix(1);
  }
  return std::any_of(m_accepted_authorizations.begin(), m_accepted_authorizations.end(),
                     [&](const std::string& accepted) {
                       return credentials == std::string_view(accepted).substr(6);
                     });
}

http::HttpResponse TwilioSandbox::route(const http::HttpRequest& request) {
  if (!authenticated(request)) {
    return not_authenticated();
  }
  ParsedUrl url = parse_url(request.url);
  std::vector<std::string> segments = split_path(url.path);
  std::string method = request.method == "HEAD" ? "GET" : request.method;
  Params query = http::form_decode(url.query);

  if (segments.size() == 3 && segments[0] == "v1" && segments[1] == "PhoneNumbers" &&
      segments[2] == "Countries") {
    return method == "GET" ? pricing_countries(url, query) : method_not_allowed();
  }
  if (segments.size() == 4 && segments[0] == "v1" && segments[1] == "PhoneNumbers" &&
      segments[2] == "Countries") {
    if (method != "GET") {
      return method_not_allowed();
    }
    return pricing(url, segments[3]);
  }
  if (TrunkingSandbox::handles(segments)) {
    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    http::HttpResponse response = m_trunking.handle(
        method, segments, query, method == "POST" ? http::form_decode(request.body) : Params{},
        url.origin);
    transaction.commit();
    return response;
  }
  if (url.path == voice_calls::k_calls_path) {
    return method == "POST" ? m_place_call(request) : method_not_allowed();
  }
  if (segments.size() < 3 || segments[0] != k_api_version || segments[1] != "Accounts") {
    return not_found(url.path);
  }
  if (segments.size() == 3) {
    if (!ends_with(segments[2], ".json")) {
      return not_found(url.path);
    }
    if (segments[2].substr(0, segments[2].size() - 5) != m_credentials.account_sid) {
      return not_authenticated();
    }
    return method == "GET" ? account() : method_not_allowed();
  }
  if (segments[2] != m_credentials.account_sid) {
    return not_authenticated();
  }
  if (segments.size() == 4 && segments[3] == "AvailablePhoneNumbers.json") {
    return method == "GET" ? available_countries(url.path) : method_not_allowed();
  }
  if (segments.size() == 5 && segments[3] == "AvailablePhoneNumbers" &&
      ends_with(segments[4], ".json")) {
    return method == "GET"
               ? available_country(url.path, segments[4].substr(0, segments[4].size() - 5))
               : method_not_allowed();
  }
  if (segments.size() == 5 && segments[3] == "IncomingPhoneNumbers") {
    if (std::optional<NumberType> type = typed_resource(segments[4])) {
      if (method == "GET") {
        return list_numbers(query, type);
      }
      if (method == "POST") {
        return buy(http::form_decode(request.body), type);
      }
      return method_not_allowed();
    }
  }
  if (segments.size() == 6 && segments[3] == "AvailablePhoneNumbers") {
    if (method != "GET") {
      return method_not_allowed();
    }
    return search(url, segments[4], segments[5], query);
  }
  if (segments.size() == 4 && segments[3] == "Calls.json") {
    if (method != "GET") {
      return method_not_allowed();
    }
    const std::int64_t page_size = validated_page_size(query);
    std::lock_guard lock(m_mutex);
    twilio_calls::ListAnswer answer =
        twilio_calls::list(m_db, m_credentials.account_sid, query, page_size);
    return answer.status == 200 ? json_response(200, answer.body)
                                : twilio_error(answer.status, answer.code, answer.message);
  }
  if (segments.size() == 4 && segments[3] == "IncomingPhoneNumbers.json") {
    if (method == "GET") {
      return list_numbers(query, std::nullopt);
    }
    if (method == "POST") {
      return buy(http::form_decode(request.body), std::nullopt);
    }
    return method_not_allowed();
  }
  if (segments.size() == 5 && segments[3] == "IncomingPhoneNumbers" &&
      ends_with(segments[4], ".json")) {
    std::string sid = segments[4].substr(0, segments[4].size() - 5);
    if (method == "GET") {
      return fetch_number(url.path, sid);
    }
    if (method == "POST") {
      return update_number(url.path, sid, http::form_decode(request.body));
    }
    if (method == "DELETE") {
      return delete_number(url.path, sid);
    }
    return method_not_allowed();
  }
  return not_found(url.path);
}

http::HttpResponse TwilioSandbox::account() const {
  std::string uri = "/2010-04-01/Accounts/" + m_credentials.account_sid;
  Json body;
  body["auth_token"] = m_credentials.auth_token;
  body["date_created"] = rfc2822(m_account_created);
  body["date_updated"] = rfc2822(m_account_created);
  body["friendly_name"] = m_account_name;
  body["owner_account_sid"] = m_credentials.account_sid;
  body["sid"] = m_credentials.account_sid;
  body["status"] = "active";
  body["subresource_uris"] = Json{{"incoming_phone_numbers", uri + "/IncomingPhoneNumbers.json"},
                                  {"available_phone_numbers", uri + "/AvailablePhoneNumbers.json"}};
  body["type"] = "Full";
  body["uri"] = uri + ".json";
  return json_response(200, body);
}

} // namespace vami::sandbox
