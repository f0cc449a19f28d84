// The Twilio emulator's IncomingPhoneNumbers: buy (by PhoneNumber or AreaCode), list in pages
// (Page, PageSize, PageToken; filters PhoneNumber, FriendlyName, Beta, Origin), fetch, update
// and release, as `shared/specs/twilio_api_v2010.json` describes them.

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include "twilio/emulator/inventory.hpp"
#include "twilio/emulator/number_settings.hpp"
#include "twilio/emulator/twilio_emulator.hpp"
#include "twilio/emulator/wire.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <vami/core/number.hpp>
#include <vami/core/phone_number.hpp>

namespace vami::sandbox {

using namespace twilio_wire; // NOLINT(google-build-using-namespace): this emulator's wire helpers

namespace {

// Purchases by AreaCode that lose a race for a number to another process try the next one.
constexpr int k_area_code_purchase_tries = 8;

constexpr int k_fixed_number_columns = 7;

// The columns of a number row: the fixed ones, then one per setting.
const std::string& number_columns() {
  static const std::string k_columns = [] {
    std::string columns = "sid, phone_number, friendly_name, iso_country, type, date_created, "
                          "date_updated";
    for (const ColumnDefinition& column : number_setting_columns()) {
      columns += ", " + column.name;
    }
    return columns;
  }();
  return k_columns;
}

NumberRow read_row(SQLite::Statement& statement) {
  NumberRow row;
  row.sid = statement.getColumn(0).getString();
  row.phone_number = statement.getColumn(1).getString();
  row.friendly_name = statement.getColumn(2).getString();
  row.iso_country = statement.getColumn(3).getString();
  row.type = statement.getColumn(4).getString();
  row.date_created = statement.getColumn(5).getInt64();
  row.date_updated = statement.getColumn(6).getInt64();
  int index = k_fixed_number_columns;
  for (const ColumnDefinition& column : number_setting_columns()) {
    row.settings[column.name] = statement.getColumn(index++).getString();
  }
  return row;
}

// Binds a row's settings from `index` on, in number_setting_columns() order.
void bind_settings(SQLite::Statement& statement, int index, const NumberSettings& settings) {
  for (const ColumnDefinition& column : number_setting_columns()) {
    statement.bind(index++, settings.at(column.name));
  }
}

// A page position: the (date_created, sid) of the item a page starts after ("PA") or ends
// before ("PB"). Twilio's tokens are opaque to clients; these are too.
struct PageToken {
  bool after = true;
  std::int64_t date_created = 0;
  std::string sid;
};

std::string encode_token(bool after, const NumberRow& row) {
  return std::string(after ? "PA" : "PB") + std::to_string(row.date_created) + "_" + row.sid;
}

std::optional<PageToken> decode_token(std::string_view text) {
  if (text.size() < 4 || (text.substr(0, 2) != "PA" && text.substr(0, 2) != "PB")) {
    return std::nullopt;
  }
  PageToken token;
  token.after = text.substr(0, 2) == "PA";
  text.remove_prefix(2);
  auto underscore = text.find('_');
  if (underscore == std::string_view::npos) {
    return std::nullopt;
  }
  auto date = parse_integer(text.substr(0, underscore));
  if (!date) {
    return std::nullopt;
  }
  token.date_created = *date;
  token.sid = std::string(text.substr(underscore + 1));
  return token;
}

// Escapes LIKE's own wildcards, then turns Twilio's '*' (any one digit) into '_'.
std::string like_pattern(std::string_view filter) {
  std::string out = "%";
  for (char c : filter) {
    if (c == '%' || c == '_' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '*') {
      out += '_';
    } else {
      out += c;
    }
  }
  return out + "%";
}

} // namespace

std::string TwilioSandbox::number_uri(const std::string& sid) const {
  return "/2010-04-01/Accounts/" + m_credentials.account_sid + "/IncomingPhoneNumbers/" + sid +
         ".json";
}

Json TwilioSandbox::number_json(const NumberRow& row) const {
  NumberType type = parse_number_type(row.type).value_or(NumberType::local);
  Json body;
  body["account_sid"] = m_credentials.account_sid;
  body["address_requirements"] = "none";
  body["beta"] = false;
  body["capabilities"] = capabilities(row.iso_country, type);
  body["date_created"] = rfc2822(row.date_created);
  body["date_updated"] = rfc2822(row.date_updated);
  body["emergency_address_status"] = "unregistered";
  body["friendly_name"] = row.friendly_name;
  body["origin"] = "twilio";
  body["phone_number"] = row.phone_number;
  body["sid"] = row.sid;
  body["uri"] = number_uri(row.sid);
  body["status"] = "in-use";
  body["type"] = row.type;
  write_number_settings(row.settings, body);
  // On a trunk, the trunk handles its calls (`trunk_sid`, set through Elastic SIP Trunking).
  if (std::string trunk = m_trunking.trunk_of(row.sid); !trunk.empty()) {
    body["trunk_sid"] = trunk;
  }
  return body;
}

std::optional<NumberRow> TwilioSandbox::select_number(const std::string& sid) {
  SQLite::Statement select(m_db, std::string("SELECT ") + number_columns() +
                                     " FROM incoming_phone_numbers WHERE sid = ?");
  select.bind(1, sid);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  return read_row(select);
}

// Inserts a purchased number in its own transaction; nullopt when the number is already owned
// (the UNIQUE constraint makes concurrent buyers of one number, in any process, exclusive).
std::optional<NumberRow>
TwilioSandbox::insert_number(const Listing& listing,
                             const std::optional<std::string>& friendly_name,
                             const NumberSettings& settings) {
  NumberRow row;
  row.sid = "PN" + random_hex(32);
  row.phone_number = listing.e164;
  row.friendly_name = friendly_name.value_or(details_of(listing).friendly_name);
  row.settings = settings;
  row.iso_country = listing.iso_country;
  row.type = to_string(listing.type);
  row.date_created = now_seconds();
  row.date_updated = row.date_created;
  std::lock_guard lock(m_mutex);
  try {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    std::string placeholders = "?";
    for (std::size_t i = 1;
         i < static_cast<std::size_t>(k_fixed_number_columns) + number_setting_columns().size();
         ++i) {
      placeholders += ", ?";
    }
    SQLite::Statement insert(m_db, std::string("INSERT INTO incoming_phone_numbers (") +
                                       number_columns() + ") VALUES (" + placeholders + ")");
    insert.bind(1, row.sid);
    insert.bind(2, row.phone_number);
    insert.bind(3, row.friendly_name);
    insert.bind(4, row.iso_country);
    insert.bind(5, row.type);
    insert.bind(6, static_cast<std::int64_t>(row.date_created));
    insert.bind(7, static_cast<std::int64_t>(row.date_updated));
    bind_settings(insert, k_fixed_number_columns + 1, row.settings);
    insert.exec();
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    if (e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE) {
      return std::nullopt;
    }
    throw;
  }
  return row;
}

http::HttpResponse TwilioSandbox::not_available() {
  return twilio_error(400, 21422, "PhoneNumber requested is not available");
}

// `only` is the type of IncomingPhoneNumbers/{Local,TollFree,Mobile}.json, which take a
// PhoneNumber only; nullopt for IncomingPhoneNumbers.json, which also buys by AreaCode.
http::HttpResponse TwilioSandbox::buy(const Params& form, std::optional<NumberType> only) {
  auto friendly_name = validated_friendly_name(form);
  NumberSettings settings = default_number_settings();
  if (auto error = apply_number_settings(form, settings)) {
    return twilio_error(400, error->code, error->message);
  }
  std::string phone_number = param(form, "PhoneNumber").value_or("");
  std::string area_code = only ? std::string() : param(form, "AreaCode").value_or("");

  if (!phone_number.empty()) {
    if (!is_e164(phone_number)) {
      return twilio_error(400, 21421, "PhoneNumber is invalid");
    }
    std::optional<Listing> listing = find_in_inventory(phone_number);
    if (!listing) {
      return not_available();
    }
    if (only && listing->type != *only) {
      return twilio_error(400, 21422,
                          "PhoneNumber requested is not available as a " +
                              std::string(to_string(*only)) + " number: " + phone_number + " is " +
                              std::string(to_string(listing->type)));
    }
    auto row = insert_number(*listing, friendly_name, settings);
    return row ? json_response(201, number_json(*row)) : not_available();
  }
  if (only) {
    return twilio_error(400, 21450, "PhoneNumber is required");
  }
  if (!area_code.empty()) {
    InventoryQuery query;
    query.area_code = area_code;
    query.limit = 1;
    if (is_area_code_in_service("US", area_code)) {
      query.country = "US";
    } else if (is_area_code_in_service("CA", area_code)) {
      query.country = "CA";
    }
    for (const char* toll_free : {"800", "833", "844", "855", "866", "877", "888"}) {
      if (area_code == toll_free) {
        query.country = "US";
        query.type = NumberType::toll_free;
      }
    }
    for (int attempt = 0; !query.country.empty() && attempt < k_area_code_purchase_tries;
         ++attempt) {
      std::unordered_set<std::string> owned = owned_numbers();
      std::vector<Listing> listings =
          search_inventory(query, [&](const std::string& e164) { return owned.count(e164) > 0; });
      if (listings.empty()) {
        break;
      }
      auto row = insert_number(listings.front(), friendly_name, settings);
      if (row) {
        return json_response(201, number_json(*row));
      }
    }
    return twilio_error(400, 21452, "No phone numbers found in area code " + area_code);
  }
  return twilio_error(400, 21450, "PhoneNumber or AreaCode is required");
}

// `type`: the type of IncomingPhoneNumbers/{Local,TollFree,Mobile}.json; nullopt for all.
http::HttpResponse TwilioSandbox::list_numbers(const Params& query,
                                               std::optional<NumberType> type) {
  std::int64_t page_size = validated_page_size(query);
  std::int64_t page = 0;
  if (auto value = param(query, "Page")) {
    auto parsed = parse_integer(*value);
    if (!parsed || *parsed > k_max_page_index) {
      return twilio_error(400, 20001, "Page must be a non-negative integer, got '" + *value + "'");
    }
    page = *parsed;
  }
  std::optional<PageToken> token;
  std::string token_text = param(query, "PageToken").value_or("");
  if (!token_text.empty()) {
    token = decode_token(token_text);
    if (!token) {
      return twilio_error(400, 20001, "PageToken is not valid: '" + token_text + "'");
    }
  }
  auto phone_filter = param(query, "PhoneNumber");
  auto name_filter = param(query, "FriendlyName");
  // Every sandbox number is a Twilio number out of beta: other Beta or Origin match none.
  auto beta_filter = param(query, "Beta");
  auto origin_filter = param(query, "Origin");
  bool none = (beta_filter && to_upper(*beta_filter) == "TRUE") ||
              (origin_filter && !origin_filter->empty() && *origin_filter != "twilio");

  // The filters, repeated in every page URI so that following them keeps the same list.
  Params filters;
  std::string where = " WHERE 1 = 1";
  if (phone_filter && !phone_filter->empty()) {
    filters.emplace_back("PhoneNumber", *phone_filter);
    where += " AND phone_number LIKE ? ESCAPE '\\'";
  }
  if (name_filter && !name_filter->empty()) {
    filters.emplace_back("FriendlyName", *name_filter);
    where += " AND friendly_name = ?";
  }
  if (beta_filter) {
    filters.emplace_back("Beta", *beta_filter);
  }
  if (origin_filter) {
    filters.emplace_back("Origin", *origin_filter);
  }
  if (none) {
    where += " AND 0";
  }
  if (type) {
    where += " AND type = ?";
  }
  auto bind_filters = [&](SQLite::Statement& statement) {
    int index = 1;
    if (phone_filter && !phone_filter->empty()) {
      statement.bind(index++, like_pattern(*phone_filter));
    }
    if (name_filter && !name_filter->empty()) {
      statement.bind(index++, *name_filter);
    }
    if (type) {
      statement.bind(index++, std::string(to_string(*type)));
    }
    return index;
  };

  std::vector<NumberRow> rows;
  bool has_next = false;
  bool has_previous = page > 0;
  {
    std::lock_guard lock(m_mutex);
    std::string sql =
        std::string("SELECT ") + number_columns() + " FROM incoming_phone_numbers" + where;
    if (token) {
      sql += token->after ? " AND (date_created, sid) > (?, ?) ORDER BY date_created, sid"
                          : " AND (date_created, sid) < (?, ?) ORDER BY date_created DESC, "
                            "sid DESC";
      sql += " LIMIT ?";
    } else {
      sql += " ORDER BY date_created, sid LIMIT ? OFFSET ?";
    }
    SQLite::Statement select(m_db, sql);
    int index = bind_filters(select);
    if (token) {
      select.bind(index++, static_cast<std::int64_t>(token->date_created));
      select.bind(index++, token->sid);
      select.bind(index, static_cast<std::int64_t>(page_size));
    } else {
      select.bind(index++, static_cast<std::int64_t>(page_size));
      select.bind(index, static_cast<std::int64_t>(page) * page_size);
    }
    while (select.executeStep()) {
      rows.push_back(read_row(select));
    }
    if (token && !token->after) {
      std::reverse(rows.begin(), rows.end());
    }
    auto exists = [&](const NumberRow& row, const char* comparison) {
      SQLite::Statement probe(m_db, "SELECT EXISTS (SELECT 1 FROM incoming_phone_numbers" + where +
                                        " AND (date_created, sid) " + comparison + " (?, ?))");
      int at = bind_filters(probe);
      probe.bind(at++, static_cast<std::int64_t>(row.date_created));
      probe.bind(at, row.sid);
      probe.executeStep();
      return probe.getColumn(0).getInt() != 0;
    };
    if (!rows.empty()) {
      has_next = exists(rows.back(), ">");
      has_previous = exists(rows.front(), "<");
    }
  }

  std::string base = "/2010-04-01/Accounts/" + m_credentials.account_sid + "/IncomingPhoneNumbers" +
                     (type ? "/" + resource_name(*type) : ".json");
  auto page_uri = [&](std::int64_t page_number, const std::string& page_token) {
    Params fields = filters;
    fields.emplace_back("PageSize", std::to_string(page_size));
    fields.emplace_back("Page", std::to_string(page_number));
    if (!page_token.empty()) {
      fields.emplace_back("PageToken", page_token);
    }
    return base + "?" + http::form_encode(fields);
  };

  Json numbers = Json::array();
  for (const NumberRow& row : rows) {
    numbers.push_back(number_json(row));
  }
  std::int64_t start = page * page_size;
  Json body;
  body["first_page_uri"] = page_uri(0, "");
  body["end"] = rows.empty() ? start : start + static_cast<std::int64_t>(rows.size()) - 1;
  body["next_page_uri"] =
      has_next ? Json(page_uri(page + 1, encode_token(true, rows.back()))) : Json(nullptr);
  body["page"] = page;
  body["page_size"] = page_size;
  if (has_previous && page > 0) {
    body["previous_page_uri"] = rows.empty()
                                    ? page_uri(page - 1, "")
                                    : page_uri(page - 1, encode_token(false, rows.front()));
  } else {
    body["previous_page_uri"] = nullptr;
  }
  body["start"] = start;
  body["uri"] = page_uri(page, token_text);
  body["incoming_phone_numbers"] = std::move(numbers);
  return json_response(200, body);
}

http::HttpResponse TwilioSandbox::fetch_number(const std::string& path, const std::string& sid) {
  std::optional<NumberRow> row;
  {
    std::lock_guard lock(m_mutex);
    row = select_number(sid);
  }
  return row ? json_response(200, number_json(*row)) : not_found(path);
}

http::HttpResponse TwilioSandbox::update_number(const std::string& path, const std::string& sid,
                                                const Params& form) {
  auto friendly_name = validated_friendly_name(form);

  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  std::optional<NumberRow> row = select_number(sid);
  if (!row) {
    return not_found(path);
  }
  if (auto error = apply_number_settings(form, row->settings)) {
    return twilio_error(400, error->code, error->message);
  }
  if (friendly_name) {
    row->friendly_name = *friendly_name;
  }
  row->date_updated = now_seconds();
  std::string sql = "UPDATE incoming_phone_numbers SET friendly_name = ?, date_updated = ?";
  for (const ColumnDefinition& column : number_setting_columns()) {
    sql += ", " + column.name + " = ?";
  }
  SQLite::Statement update(m_db, sql + " WHERE sid = ?");
  update.bind(1, row->friendly_name);
  update.bind(2, static_cast<std::int64_t>(row->date_updated));
  bind_settings(update, 3, row->settings);
  update.bind(3 + static_cast<int>(number_setting_columns().size()), sid);
  update.exec();
  transaction.commit();
  return json_response(200, number_json(*row));
}

http::HttpResponse TwilioSandbox::delete_number(const std::string& path, const std::string& sid) {
  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement remove(m_db, "DELETE FROM incoming_phone_numbers WHERE sid = ?");
  remove.bind(1, sid);
  if (remove.exec() == 0) {
    return not_found(path);
  }
  // A released number can no longer ring an ElevenLabs agent: its import goes with it; nor
  // stay on an Elastic SIP trunk.
  m_trunking.forget_number(sid);
  m_number_released(sid);
  transaction.commit();
  http::HttpResponse response;
  response.status = 204;
  return response;
}

} // namespace vami::sandbox
