// Twilio Elastic SIP Trunking v1 in the sandbox (trunking.hpp): trunks, origination URLs and
// the numbers on a trunk.

#include "twilio/emulator/trunking.hpp"

#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "twilio/emulator/wire.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox {

using namespace twilio_wire; // NOLINT(google-build-using-namespace): Twilio's wire helpers

namespace {

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS twilio_trunks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sid TEXT NOT NULL UNIQUE,
  friendly_name TEXT NOT NULL DEFAULT '',
  domain_name TEXT NOT NULL UNIQUE,
  date_created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS twilio_trunk_origination_urls (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sid TEXT NOT NULL UNIQUE,
  trunk_sid TEXT NOT NULL,
  sip_url TEXT NOT NULL,
  friendly_name TEXT NOT NULL,
  priority INTEGER NOT NULL,
  weight INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  date_created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS twilio_trunk_numbers (
  sid TEXT NOT NULL PRIMARY KEY,
  trunk_sid TEXT NOT NULL,
  phone_number TEXT NOT NULL,
  date_created INTEGER NOT NULL
);
)sql";

constexpr const char* k_host = "https://trunking.twilio.com";
constexpr std::string_view k_domain_suffix = ".pstn.twilio.com";

std::string lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

[[noreturn]] void refuse(int status, int code, const std::string& message) {
  throw RequestFailure(twilio_error(status, code, message));
}

std::string required(const Params& form, const char* name) {
  std::optional<std::string> value = param(form, name);
  if (!value || value->empty()) {
    refuse(400, 21201, std::string("Missing required parameter ") + name + " in the post body");
  }
  return *value;
}

int bounded(const Params& form, const char* name, int min, int max) {
  std::optional<std::int64_t> value = parse_integer(required(form, name));
  if (!value || *value < min || *value > max) {
    refuse(400, 21202, std::string("Invalid parameter ") + name);
  }
  return static_cast<int>(*value);
}

/// One page of `rows` (`PageSize`, `Page`) with Twilio's `meta`, under the list `key`.
Json page_of(const std::vector<Json>& rows, const char* key, const std::string& base,
             const Params& query) {
  std::int64_t size = validated_page_size(query);
  std::int64_t page = 0;
  if (std::optional<std::string> text = param(query, "Page")) {
    std::optional<std::int64_t> parsed = parse_integer(*text);
    if (!parsed || *parsed < 0) {
      refuse(400, 20001, "Invalid parameter Page");
    }
    page = *parsed;
  }
  Json items = Json::array();
  for (std::int64_t i = page * size;
       i < static_cast<std::int64_t>(rows.size()) && i < (page + 1) * size; ++i) {
    items.push_back(rows[static_cast<std::size_t>(i)]);
  }
  auto url_of = [&](std::int64_t number) {
    return base + "?PageSize=" + std::to_string(size) + "&Page=" + std::to_string(number);
  };
  Json meta;
  meta["page"] = page;
  meta["page_size"] = size;
  meta["first_page_url"] = url_of(0);
  meta["previous_page_url"] = page > 0 ? Json(url_of(page - 1)) : Json();
  meta["url"] = url_of(page);
  meta["next_page_url"] =
      (page + 1) * size < static_cast<std::int64_t>(rows.size()) ? Json(url_of(page + 1)) : Json();
  meta["key"] = key;
  Json body;
  body[key] = std::move(items);
  body["meta"] = std::move(meta);
  return body;
}

} // namespace

TrunkingSandbox::TrunkingSandbox(SQLite::Database& db, std::string account_sid,
                                 OwnedNumber owned_number)
    : m_db(db), m_account_sid(std::move(account_sid)), m_owned_number(std::move(owned_number)) {}

void TrunkingSandbox::create_schema(SQLite::Database& db) {
  db.exec(k_schema);
}

bool TrunkingSandbox::handles(const std::vector<std::string>& segments) {
  return segments.size() >= 2 && segments[0] == "v1" && segments[1] == "Trunks";
}

void TrunkingSandbox::forget_number(const std::string& sid) {
  SQLite::Statement remove(m_db, "DELETE FROM twilio_trunk_numbers WHERE sid = ?");
  remove.bind(1, sid);
  remove.exec();
}

std::string TrunkingSandbox::trunk_of(const std::string& sid) const {
  SQLite::Statement select(m_db, "SELECT trunk_sid FROM twilio_trunk_numbers WHERE sid = ?");
  select.bind(1, sid);
  return select.executeStep() ? select.getColumn(0).getString() : std::string();
}

http::HttpResponse TrunkingSandbox::handle(const std::string& method,
                                           const std::vector<std::string>& s, const Params& query,
                                           const Params& form, const std::string& origin) {
  const std::string host = origin.empty() ? std::string(k_host) : origin;
  const std::size_t n = s.size();
  auto trunk_json = [&](SQLite::Statement& row) {
    std::string sid = row.getColumn(0).getString();
    Json trunk;
    trunk["account_sid"] = m_account_sid;
    trunk["domain_name"] = row.getColumn(2).getString();
    trunk["friendly_name"] = row.getColumn(1).getString();
    trunk["secure"] = false;
    trunk["transfer_mode"] = "disable-all";
    trunk["cnam_lookup_enabled"] = false;
    trunk["date_created"] = rfc2822(row.getColumn(3).getInt64());
    trunk["date_updated"] = rfc2822(row.getColumn(3).getInt64());
    trunk["sid"] = sid;
    trunk["url"] = host + "/v1/Trunks/" + sid;
    return trunk;
  };
  auto find_trunk = [&](const std::string& sid) {
    SQLite::Statement select(m_db, "SELECT sid, friendly_name, domain_name, date_created FROM "
                                   "twilio_trunks WHERE sid = ?");
    select.bind(1, sid);
    if (!select.executeStep()) {
      refuse(404, 20404, "The requested resource /v1/Trunks/" + sid + " was not found");
    }
    return trunk_json(select);
  };

  if (n == 2) {
    if (method == "POST") {
      std::optional<std::string> name = validated_friendly_name(form);
      std::string sid = "TK" + random_hex(32);
      std::string domain = lower(param(form, "DomainName").value_or(""));
      if (domain.empty()) {
        domain = lower(sid) + std::string(k_domain_suffix);
      }
      if (domain.size() <= k_domain_suffix.size() || !ends_with(domain, k_domain_suffix)) {
        refuse(400, 21245, "DomainName must end in .pstn.twilio.com");
      }
      SQLite::Statement taken(m_db, "SELECT 1 FROM twilio_trunks WHERE domain_name = ?");
      taken.bind(1, domain);
      if (taken.executeStep()) {
        refuse(400, 21245, "DomainName " + domain + " is already in use");
      }
      SQLite::Statement insert(m_db, "INSERT INTO twilio_trunks (sid, friendly_name, "
                                     "domain_name, date_created) VALUES (?, ?, ?, ?)");
      insert.bind(1, sid);
      insert.bind(2, name.value_or(""));
      insert.bind(3, domain);
      insert.bind(4, static_cast<std::int64_t>(now_seconds()));
      insert.exec();
      return json_response(201, find_trunk(sid));
    }
    if (method != "GET") {
      return method_not_allowed();
    }
    std::vector<Json> rows;
    SQLite::Statement select(m_db, "SELECT sid, friendly_name, domain_name, date_created FROM "
                                   "twilio_trunks ORDER BY seq");
    while (select.executeStep()) {
      rows.push_back(trunk_json(select));
    }
    return json_response(200, page_of(rows, "trunks", host + "/v1/Trunks", query));
  }
  const std::string trunk_sid = s[2];
  Json trunk = find_trunk(trunk_sid);
  const std::string trunk_url = host + "/v1/Trunks/" + trunk_sid;
  if (n == 3) {
    if (method == "GET") {
      return json_response(200, trunk);
    }
    if (method != "DELETE") {
      return method_not_allowed();
    }
    for (const char* table :
         {"twilio_trunk_numbers", "twilio_trunk_origination_urls", "twilio_trunks"}) {
      std::string column = std::string(table) == "twilio_trunks" ? "sid" : "trunk_sid";
      SQLite::Statement remove(m_db,
                               std::string("DELETE FROM ") + table + " WHERE " + column + " = ?");
      remove.bind(1, trunk_sid);
      remove.exec();
    }
    return http::HttpResponse{204, {}, {}};
  }
  if (s[3] == "OriginationUrls" && (n == 4 || n == 5)) {
    auto url_json = [&](SQLite::Statement& row) {
      Json url;
      url["account_sid"] = m_account_sid;
      url["sid"] = row.getColumn(0).getString();
      url["trunk_sid"] = trunk_sid;
      url["weight"] = row.getColumn(4).getInt();
      url["enabled"] = row.getColumn(5).getInt() != 0;
      url["sip_url"] = row.getColumn(1).getString();
      url["friendly_name"] = row.getColumn(2).getString();
      url["priority"] = row.getColumn(3).getInt();
      url["date_created"] = rfc2822(row.getColumn(6).getInt64());
      url["date_updated"] = rfc2822(row.getColumn(6).getInt64());
      url["url"] = trunk_url + "/OriginationUrls/" + row.getColumn(0).getString();
      return url;
    };
    const char* columns =
        "SELECT sid, sip_url, friendly_name, priority, weight, enabled, date_created FROM "
        "twilio_trunk_origination_urls WHERE trunk_sid = ?";
    if (n == 5) {
      if (method != "DELETE") {
        return method_not_allowed();
      }
      SQLite::Statement remove(
          m_db, "DELETE FROM twilio_trunk_origination_urls WHERE trunk_sid = ? AND sid = ?");
      remove.bind(1, trunk_sid);
      remove.bind(2, s[4]);
      if (remove.exec() == 0) {
        refuse(404, 20404, "The requested resource was not found");
      }
      return http::HttpResponse{204, {}, {}};
    }
    if (method == "POST") {
      int weight = bounded(form, "Weight", 1, 65535);
      int priority = bounded(form, "Priority", 0, 65535);
      std::string enabled = lower(required(form, "Enabled"));
      if (enabled != "true" && enabled != "false") {
        refuse(400, 21202, "Invalid parameter Enabled");
      }
      std::string name = required(form, "FriendlyName");
      std::string sip_url = required(form, "SipUrl");
      if (lower(sip_url).rfind("sip:", 0) != 0) {
        refuse(400, 21202, "SipUrl must be a sip: URI");
      }
      std::string sid = "OU" + random_hex(32);
      SQLite::Statement insert(m_db, "INSERT INTO twilio_trunk_origination_urls (sid, trunk_sid, "
                                     "sip_url, friendly_name, priority, weight, enabled, "
                                     "date_created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      insert.bind(1, sid);
      insert.bind(2, trunk_sid);
      insert.bind(3, sip_url);
      insert.bind(4, name);
      insert.bind(5, priority);
      insert.bind(6, weight);
      insert.bind(7, enabled == "true" ? 1 : 0);
      insert.bind(8, static_cast<std::int64_t>(now_seconds()));
      insert.exec();
      SQLite::Statement select(m_db, std::string(columns) + " AND sid = ?");
      select.bind(1, trunk_sid);
      select.bind(2, sid);
      select.executeStep();
      return json_response(201, url_json(select));
    }
    if (method != "GET") {
      return method_not_allowed();
    }
    std::vector<Json> rows;
    SQLite::Statement select(m_db, std::string(columns) + " ORDER BY seq");
    select.bind(1, trunk_sid);
    while (select.executeStep()) {
      rows.push_back(url_json(select));
    }
    return json_response(200,
                         page_of(rows, "origination_urls", trunk_url + "/OriginationUrls", query));
  }
  if (s[3] == "PhoneNumbers" && (n == 4 || n == 5)) {
    auto number_json = [&](const std::string& sid, const std::string& e164, std::int64_t created) {
      Json number;
      number["account_sid"] = m_account_sid;
      number["date_created"] = rfc2822(created);
      number["date_updated"] = rfc2822(created);
      number["friendly_name"] = e164;
      number["phone_number"] = e164;
      number["sid"] = sid;
      number["trunk_sid"] = trunk_sid;
      number["url"] = trunk_url + "/PhoneNumbers/" + sid;
      return number;
    };
    if (n == 5) {
      if (method != "DELETE" && method != "GET") {
        return method_not_allowed();
      }
      SQLite::Statement select(m_db, "SELECT phone_number, date_created FROM "
                                     "twilio_trunk_numbers WHERE trunk_sid = ? AND sid = ?");
      select.bind(1, trunk_sid);
      select.bind(2, s[4]);
      if (!select.executeStep()) {
        refuse(404, 20404, "The requested resource was not found");
      }
      if (method == "GET") {
        return json_response(200, number_json(s[4], select.getColumn(0).getString(),
                                              select.getColumn(1).getInt64()));
      }
      forget_number(s[4]);
      return http::HttpResponse{204, {}, {}};
    }
    if (method == "POST") {
      std::string sid = required(form, "PhoneNumberSid");
      std::optional<std::string> e164 = m_owned_number(sid);
      if (!e164) {
        refuse(404, 20404, "The account does not own the phone number " + sid);
      }
      SQLite::Statement held(m_db, "SELECT trunk_sid FROM twilio_trunk_numbers WHERE sid = ?");
      held.bind(1, sid);
      if (held.executeStep()) {
        refuse(400, 21220, "The phone number is already on trunk " + held.getColumn(0).getString());
      }
      std::int64_t now = static_cast<std::int64_t>(now_seconds());
      SQLite::Statement insert(m_db, "INSERT INTO twilio_trunk_numbers (sid, trunk_sid, "
                                     "phone_number, date_created) VALUES (?, ?, ?, ?)");
      insert.bind(1, sid);
      insert.bind(2, trunk_sid);
      insert.bind(3, *e164);
      insert.bind(4, now);
      insert.exec();
      return json_response(201, number_json(sid, *e164, now));
    }
    if (method != "GET") {
      return method_not_allowed();
    }
    std::vector<Json> rows;
    SQLite::Statement select(m_db, "SELECT sid, phone_number, date_created FROM "
                                   "twilio_trunk_numbers WHERE trunk_sid = ? ORDER BY "
                                   "date_created, sid");
    select.bind(1, trunk_sid);
    while (select.executeStep()) {
      rows.push_back(number_json(select.getColumn(0).getString(), select.getColumn(1).getString(),
                                 select.getColumn(2).getInt64()));
    }
    return json_response(200, page_of(rows, "phone_numbers", trunk_url + "/PhoneNumbers", query));
  }
  return not_found("/" + s[0] + "/" + s[1] + "/" + trunk_sid + "/" + s[3]);
}

std::optional<std::string> TrunkingSandbox::origination_of(SQLite::Database& db,
                                                           const std::string& e164) {
  if (!db.tableExists("twilio_trunk_numbers")) {
    return std::nullopt;
  }
  SQLite::Statement trunk(db, "SELECT trunk_sid FROM twilio_trunk_numbers WHERE phone_number = ?");
  trunk.bind(1, e164);
  if (!trunk.executeStep()) {
    return std::nullopt;
  }
  SQLite::Statement origination(
      db, "SELECT sip_url FROM twilio_trunk_origination_urls WHERE trunk_sid = ? AND enabled != 0 "
          "ORDER BY priority ASC, weight DESC, seq ASC LIMIT 1");
  origination.bind(1, trunk.getColumn(0).getString());
  return origination.executeStep() ? origination.getColumn(0).getString() : std::string();
}

} // namespace vami::sandbox
