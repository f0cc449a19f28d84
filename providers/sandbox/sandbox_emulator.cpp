#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sandbox_elevenlabs.hpp"
#include "sandbox_inventory.hpp"
#include "sandbox_number_settings.hpp"
#include "sandbox_twilio_calls.hpp"
#include "sandbox_util.hpp"
#include "sandbox_voice_calls.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>
#include <vami/core/number.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/providers/sandbox.hpp>

namespace vami::sandbox {

namespace {

using Json = nlohmann::ordered_json;

// `PRAGMA application_id` of a sandbox state file ("vsbx"), so that vami never mistakes its own
// state database or any other SQLite file for one.
constexpr int k_application_id = 0x76736278;
constexpr int k_busy_timeout_ms = 10'000;
constexpr std::string_view k_api_version = "2010-04-01";
constexpr std::size_t k_max_friendly_name = 64;
constexpr std::size_t k_max_search_results = 30; // Twilio's search returns at most 30 numbers
constexpr std::int64_t k_default_page_size = 50;
constexpr std::int64_t k_max_page_size = 1000;
constexpr std::int64_t k_max_page_index = 1'000'000'000;
// Purchases by AreaCode that lose a race for a number to another process try the next one.
constexpr int k_area_code_purchase_tries = 8;

constexpr const char* k_schema = R"sql(
CREATE TABLE account (
  sid TEXT NOT NULL UNIQUE,
  auth_token TEXT NOT NULL,
  friendly_name TEXT NOT NULL,
  date_created INTEGER NOT NULL
);
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

// ---------------------------------------------------------------------------------------------
// Small helpers.

std::string random_hex(std::size_t digits) {
  // One generator per thread, seeded from the OS: SIDs and request ids must not repeat across
  // processes sharing a state file.
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  while (out.size() < digits) {
    std::uint64_t value = engine();
    for (int i = 0; i < 16 && out.size() < digits; ++i) {
      out += k_hex[value & 0xFU];
      value >>= 4U;
    }
  }
  return out;
}

// Account credentials come straight from the OS entropy source.
std::string secure_random_hex(std::size_t digits) {
  std::random_device device;
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  while (out.size() < digits) {
    unsigned value = device();
    for (int i = 0; i < 8 && out.size() < digits; ++i) {
      out += k_hex[value & 0xFU];
      value >>= 4U;
    }
  }
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(std::string(text)); // 18 digits always fit in 64 bits
}

// What a number can do, by country and type (Twilio's `capabilities`, lower-case names as in
// the API document).
Json capabilities(std::string_view country, NumberType type) {
  bool messaging = country != "GB" || type == NumberType::mobile;
  bool mms = country != "GB";
  return Json{{"voice", true}, {"sms", messaging}, {"mms", mms}, {"fax", false}};
}

// The countries whose numbers the sandbox sells (sandbox_inventory.cpp) and prices.
struct SandboxCountry {
  const char* iso;
  const char* name;
};
constexpr std::array<SandboxCountry, 3> k_countries = {{
    {"US", "United States"},
    {"CA", "Canada"},
    {"GB", "United Kingdom"},
}};

// "Local.json", "TollFree.json", "Mobile.json": the resource of a number type.
std::string resource_name(NumberType type) {
  switch (type) {
  case NumberType::toll_free:
    return "TollFree.json";
  case NumberType::mobile:
    return "Mobile.json";
  case NumberType::local:
    break;
  }
  return "Local.json";
}

std::optional<NumberType> typed_resource(std::string_view segment) {
  for (NumberType type : {NumberType::local, NumberType::toll_free, NumberType::mobile}) {
    if (segment == resource_name(type)) {
      return type;
    }
  }
  return std::nullopt;
}

Json nullable(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

// ---------------------------------------------------------------------------------------------
// Responses.

struct ParsedUrl {
  std::string origin; ///< "http://127.0.0.1:8080"; empty for a relative URL.
  std::string path;
  std::string query;
};

ParsedUrl parse_url(std::string_view url) {
  ParsedUrl parsed;
  if (auto hash = url.find('#'); hash != std::string_view::npos) {
    url = url.substr(0, hash);
  }
  std::size_t path_start = 0;
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    path_start = url.find('/', scheme + 3);
    if (path_start == std::string_view::npos) {
      path_start = url.find('?', scheme + 3);
    }
    if (path_start == std::string_view::npos) {
      path_start = url.size();
    }
    parsed.origin = std::string(url.substr(0, path_start));
  }
  std::string_view rest = url.substr(path_start);
  auto question = rest.find('?');
  parsed.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) {
    parsed.query = std::string(rest.substr(question + 1));
  }
  if (parsed.path.empty()) {
    parsed.path = "/";
  }
  return parsed;
}

http::HttpResponse json_response(int status, const Json& body) {
  http::HttpResponse response;
  response.status = status;
  // Bytes that are not UTF-8 (a FriendlyName, a mistyped path) are replaced rather than thrown
  // on, so that one bad value never makes a list unreadable.
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

// Twilio's error body: {"code", "message", "more_info", "status"}.
http::HttpResponse twilio_error(int status, int code, std::string message) {
  Json body;
  body["code"] = code;
  body["message"] = std::move(message);
  body["more_info"] = "https://www.twilio.com/docs/errors/" + std::to_string(code);
  body["status"] = status;
  return json_response(status, body);
}

http::HttpResponse not_authenticated() {
  return twilio_error(401, 20003, "Authenticate");
}

http::HttpResponse not_found(std::string_view path) {
  return twilio_error(404, 20404, "The requested resource " + std::string(path) + " was not found");
}

http::HttpResponse method_not_allowed() {
  return twilio_error(405, 20004, "Method not allowed");
}

// ---------------------------------------------------------------------------------------------
// The emulator.

struct NumberRow {
  std::string sid;
  std::string phone_number;
  std::string friendly_name;
  std::string iso_country;
  std::string type;
  std::int64_t date_created = 0;
  std::int64_t date_updated = 0;
  NumberSettings settings = default_number_settings(); ///< URLs, methods and the rest
};

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

// Thrown by the parameter checks below to answer with a Twilio error; handle() catches it.
class RequestFailure {
public:
  explicit RequestFailure(http::HttpResponse response) : m_response(std::move(response)) {}
  http::HttpResponse& response() { return m_response; }

private:
  http::HttpResponse m_response;
};

std::optional<std::string> validated_friendly_name(const Params& params) {
  auto value = param(params, "FriendlyName");
  if (value && utf8_length(*value) > k_max_friendly_name) {
    throw RequestFailure(
        twilio_error(400, 20002, "FriendlyName is too long: it can be up to 64 characters"));
  }
  return value;
}

std::int64_t validated_page_size(const Params& params) {
  auto value = param(params, "PageSize");
  if (!value) {
    return k_default_page_size;
  }
  auto size = parse_integer(*value);
  if (!size || *size < 1) {
    throw RequestFailure(twilio_error(
        400, 20001, "PageSize must be an integer between 1 and 1000, got '" + *value + "'"));
  }
  return std::min(*size, k_max_page_size);
}

class SqliteSandbox final : public SandboxEmulator, private TwilioAccountView {
public:
  explicit SqliteSandbox(const std::filesystem::path& path)
      : m_path(path), m_db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    m_db.setBusyTimeout(k_busy_timeout_ms);
    // Look before touching anything: a foreign file is refused unchanged.
    refuse_if_foreign();
    m_db.exec("PRAGMA journal_mode = WAL");
    // An emulator's account survives a crash of vami or of the sandbox (WAL); it need not
    // survive a power cut, so commits are not flushed to the disk one by one.
    m_db.exec("PRAGMA synchronous = NORMAL");
    {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      // Another process may have initialised the file since the look above.
      if (refuse_if_foreign() == 0) {
        m_db.exec(k_schema);
        m_db.exec("PRAGMA application_id = " + std::to_string(k_application_id));
        SQLite::Statement insert(m_db, "INSERT INTO account (sid, auth_token, friendly_name, "
                                       "date_created) VALUES (?, ?, ?, ?)");
        insert.bind(1, "AC" + secure_random_hex(32));
        insert.bind(2, secure_random_hex(32));
        insert.bind(3, "vami sandbox");
        insert.bind(4, static_cast<std::int64_t>(now_seconds()));
        insert.exec();
      }
      // Outside the fresh-file branch: state files made by an older vami get the settings
      // columns and the ElevenLabs emulator's tables too.
      add_missing_columns(m_db, "incoming_phone_numbers", number_setting_columns());
      ElevenLabsSandbox::create_schema(m_db);
      twilio_calls::create_schema(m_db);
      transaction.commit();
    }
    SQLite::Statement account(m_db,
                              "SELECT sid, auth_token, friendly_name, date_created FROM account");
    if (!account.executeStep()) {
      throw Error(ErrorKind::storage, m_path.string() + " has no sandbox account",
                  "delete the file to start a new sandbox");
    }
    m_credentials.account_sid = account.getColumn(0).getString();
    m_credentials.auth_token = account.getColumn(1).getString();
    m_account_name = account.getColumn(2).getString();
    m_account_created = account.getColumn(3).getInt64();
    // The API key is derived rather than stored, so state files made before it existed work.
    m_credentials.api_key_sid =
        "SK" + vami::sha256_hex("api-key-sid:" + m_credentials.auth_token).substr(0, 32);
    m_credentials.api_key_secret =
        vami::sha256_hex("api-key-secret:" + m_credentials.auth_token).substr(0, 32);
    m_credentials.elevenlabs_api_key =
        "sk_" + vami::sha256_hex("elevenlabs-api-key:" + m_credentials.auth_token).substr(0, 48);
    m_accepted_authorizations = {
        http::basic_authorization(m_credentials.account_sid, m_credentials.auth_token),
        http::basic_authorization(m_credentials.api_key_sid, m_credentials.api_key_secret)};
    m_elevenlabs = std::make_unique<ElevenLabsSandbox>(
        m_db, m_mutex, static_cast<TwilioAccountView&>(*this), m_credentials);
  }

  http::HttpResponse handle(const http::HttpRequest& request) override {
    ParsedUrl url = parse_url(request.url);
    if (ElevenLabsSandbox::handles(url.path)) {
      return m_elevenlabs->handle(request, url.path, url.query);
    }
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

  [[nodiscard]] SandboxCredentials credentials() const override { return m_credentials; }

  // -- Simulated calls --------------------------------------------------------------------------

  http::HttpResponse place_call(const http::HttpRequest& request) {
    voice_calls::Environment environment{m_db, m_mutex, m_credentials,
                                         [this]() -> http::HttpClient& {
                                           std::call_once(m_outgoing_once, [this] {
                                             http::HttpClientOptions options;
                                             // Twilio waits 10 s to connect and 15 s in all for a
                                             // voice webhook's answer.
                                             options.connect_timeout_ms = 10'000;
                                             options.total_timeout_ms = 15'000;
                                             options.user_agent = "TwilioProxy/1.1";
                                             m_outgoing = http::make_curl_http_client(options);
                                           });
                                           return *m_outgoing;
                                         },
                                         [this] { return m_elevenlabs->post_call_webhook(); }};
    return voice_calls::place(environment, request);
  }

private:
  // -- What the ElevenLabs emulator sees of the Twilio account (connection already locked) ---

  std::optional<std::string> owned_number_sid(const std::string& e164) override {
    SQLite::Statement select(m_db, "SELECT sid FROM incoming_phone_numbers WHERE phone_number = ?");
    select.bind(1, e164);
    if (!select.executeStep()) {
      return std::nullopt;
    }
    return select.getColumn(0).getString();
  }

  std::string number_voice_url(const std::string& sid) override {
    std::optional<NumberRow> row = select_number(sid);
    return row ? row->settings.at("voice_url") : std::string();
  }

  void set_number_voice_url(const std::string& sid, const std::string& url,
                            const std::string& method) override {
    SQLite::Statement update(m_db, "UPDATE incoming_phone_numbers SET voice_url = ?, "
                                   "voice_method = ?, date_updated = ? WHERE sid = ?");
    update.bind(1, url);
    update.bind(2, method);
    update.bind(3, static_cast<std::int64_t>(now_seconds()));
    update.bind(4, sid);
    update.exec();
  }

  // The file's application id when it is (or may become) a sandbox file; throws otherwise.
  int refuse_if_foreign() {
    int application_id = m_db.execAndGet("PRAGMA application_id").getInt();
    if (application_id == k_application_id) {
      return application_id;
    }
    int objects = m_db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
    if (application_id != 0 || objects > 0) {
      throw Error(ErrorKind::invalid_input, m_path.string() + " is not a vami sandbox state file",
                  "choose another path for the sandbox state; vami creates the file when it is "
                  "missing");
    }
    return 0;
  }

  bool authenticated(const http::HttpRequest& request) const {
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

  http::HttpResponse route(const http::HttpRequest& request) {
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
    if (url.path == voice_calls::k_calls_path) {
      return method == "POST" ? place_call(request) : method_not_allowed();
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

  // -- Accounts/{Sid}.json --------------------------------------------------------------------

  http::HttpResponse account() const {
    std::string uri = "/2010-04-01/Accounts/" + m_credentials.account_sid;
    Json body;
    body["auth_token"] = m_credentials.auth_token;
    body["date_created"] = rfc2822(m_account_created);
    body["date_updated"] = rfc2822(m_account_created);
    body["friendly_name"] = m_account_name;
    body["owner_account_sid"] = m_credentials.account_sid;
    body["sid"] = m_credentials.account_sid;
    body["status"] = "active";
    body["subresource_uris"] =
        Json{{"incoming_phone_numbers", uri + "/IncomingPhoneNumbers.json"},
             {"available_phone_numbers", uri + "/AvailablePhoneNumbers.json"}};
    body["type"] = "Full";
    body["uri"] = uri + ".json";
    return json_response(200, body);
  }

  // -- AvailablePhoneNumbers -------------------------------------------------------------------

  // api.v2010.account.available_phone_number_country of a country the sandbox sells in.
  Json country_json(const SandboxCountry& country) const {
    std::string base = "/2010-04-01/Accounts/" + m_credentials.account_sid +
                       "/AvailablePhoneNumbers/" + country.iso;
    Json subresources = Json::object();
    for (NumberType type : {NumberType::local, NumberType::toll_free, NumberType::mobile}) {
      if (inventory_offers(country.iso, type)) {
        subresources[type == NumberType::local       ? "local"
                     : type == NumberType::toll_free ? "toll_free"
                                                     : "mobile"] = base + "/" + resource_name(type);
      }
    }
    Json body;
    body["country_code"] = country.iso;
    body["country"] = country.name;
    body["uri"] = base + ".json";
    body["beta"] = false;
    body["subresource_uris"] = std::move(subresources);
    return body;
  }

  http::HttpResponse available_countries(const std::string& path) const {
    Json countries = Json::array();
    for (const SandboxCountry& country : k_countries) {
      countries.push_back(country_json(country));
    }
    Json body;
    body["countries"] = std::move(countries);
    body["uri"] = path;
    return json_response(200, body);
  }

  http::HttpResponse available_country(const std::string& path, const std::string& iso) const {
    for (const SandboxCountry& country : k_countries) {
      if (to_upper(iso) == country.iso) {
        return json_response(200, country_json(country));
      }
    }
    return not_found(path);
  }

  std::unordered_set<std::string> owned_numbers() {
    std::lock_guard lock(m_mutex);
    std::unordered_set<std::string> owned;
    SQLite::Statement select(m_db, "SELECT phone_number FROM incoming_phone_numbers");
    while (select.executeStep()) {
      owned.insert(select.getColumn(0).getString());
    }
    return owned;
  }

  http::HttpResponse search(const ParsedUrl& url, const std::string& country_segment,
                            const std::string& type_segment, const Params& query) {
    std::optional<NumberType> type;
    if (type_segment == "Local.json") {
      type = NumberType::local;
    } else if (type_segment == "TollFree.json") {
      type = NumberType::toll_free;
    } else if (type_segment == "Mobile.json") {
      type = NumberType::mobile;
    }
    std::string country = to_upper(country_segment);
    if (!type || !inventory_offers(country, *type)) {
      return not_found(url.path);
    }
    InventoryQuery inventory_query;
    inventory_query.country = country;
    inventory_query.type = *type;
    inventory_query.area_code = param(query, "AreaCode").value_or("");
    inventory_query.contains = param(query, "Contains").value_or("");
    inventory_query.in_region = param(query, "InRegion").value_or("");
    inventory_query.in_locality = param(query, "InLocality").value_or("");
    inventory_query.in_postal_code = param(query, "InPostalCode").value_or("");
    inventory_query.limit =
        std::min(static_cast<std::size_t>(validated_page_size(query)), k_max_search_results);

    std::unordered_set<std::string> owned = owned_numbers();
    std::vector<Listing> listings = search_inventory(
        inventory_query, [&](const std::string& e164) { return owned.count(e164) > 0; });

    Json numbers = Json::array();
    for (const Listing& listing : listings) {
      ListingDetails details = details_of(listing);
      Json number;
      number["friendly_name"] = details.friendly_name;
      number["phone_number"] = listing.e164;
      number["lata"] = nullable(details.lata);
      number["locality"] = nullable(listing.locality);
      number["rate_center"] = nullable(details.rate_center);
      number["latitude"] = nullable(details.latitude);
      number["longitude"] = nullable(details.longitude);
      number["region"] = nullable(listing.region);
      number["postal_code"] = nullable(details.postal_code);
      number["iso_country"] = listing.iso_country;
      number["address_requirements"] = "none";
      number["beta"] = false;
      number["capabilities"] = capabilities(listing.iso_country, listing.type);
      numbers.push_back(std::move(number));
    }
    // Twilio's search has a single page: no next or previous page.
    Json body;
    body["uri"] = url.path;
    body["first_page_uri"] = url.path;
    body["next_page_uri"] = nullptr;
    body["previous_page_uri"] = nullptr;
    body["page"] = 0;
    body["page_size"] = inventory_query.limit;
    body["start"] = 0;
    body["end"] = numbers.empty() ? 0 : numbers.size() - 1;
    body["available_phone_numbers"] = std::move(numbers);
    return json_response(200, body);
  }

  // -- IncomingPhoneNumbers --------------------------------------------------------------------

  std::string number_uri(const std::string& sid) const {
    return "/2010-04-01/Accounts/" + m_credentials.account_sid + "/IncomingPhoneNumbers/" + sid +
           ".json";
  }

  Json number_json(const NumberRow& row) const {
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
    return body;
  }

  std::optional<NumberRow> select_number(const std::string& sid) {
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
  std::optional<NumberRow> insert_number(const Listing& listing,
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

  static http::HttpResponse not_available() {
    return twilio_error(400, 21422, "PhoneNumber requested is not available");
  }

  // `only` is the type of IncomingPhoneNumbers/{Local,TollFree,Mobile}.json, which take a
  // PhoneNumber only; nullopt for IncomingPhoneNumbers.json, which also buys by AreaCode.
  http::HttpResponse buy(const Params& form, std::optional<NumberType> only) {
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
                                std::string(to_string(*only)) + " number: " + phone_number +
                                " is " + std::string(to_string(listing->type)));
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
  http::HttpResponse list_numbers(const Params& query, std::optional<NumberType> type) {
    std::int64_t page_size = validated_page_size(query);
    std::int64_t page = 0;
    if (auto value = param(query, "Page")) {
      auto parsed = parse_integer(*value);
      if (!parsed || *parsed > k_max_page_index) {
        return twilio_error(400, 20001,
                            "Page must be a non-negative integer, got '" + *value + "'");
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
        SQLite::Statement probe(m_db, "SELECT EXISTS (SELECT 1 FROM incoming_phone_numbers" +
                                          where + " AND (date_created, sid) " + comparison +
                                          " (?, ?))");
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

    std::string base = "/2010-04-01/Accounts/" + m_credentials.account_sid +
                       "/IncomingPhoneNumbers" + (type ? "/" + resource_name(*type) : ".json");
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

  http::HttpResponse fetch_number(const std::string& path, const std::string& sid) {
    std::optional<NumberRow> row;
    {
      std::lock_guard lock(m_mutex);
      row = select_number(sid);
    }
    return row ? json_response(200, number_json(*row)) : not_found(path);
  }

  http::HttpResponse update_number(const std::string& path, const std::string& sid,
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

  http::HttpResponse delete_number(const std::string& path, const std::string& sid) {
    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement remove(m_db, "DELETE FROM incoming_phone_numbers WHERE sid = ?");
    remove.bind(1, sid);
    if (remove.exec() == 0) {
      return not_found(path);
    }
    // A released number can no longer ring an ElevenLabs agent: its import goes with it.
    m_elevenlabs->forget_twilio_number(sid);
    transaction.commit();
    http::HttpResponse response;
    response.status = 204;
    return response;
  }

  // -- Pricing v1 ------------------------------------------------------------------------------

  // GET /v1/PhoneNumbers/Countries: the countries the sandbox prices, in Page/PageSize pages.
  static http::HttpResponse pricing_countries(const ParsedUrl& url, const Params& query) {
    std::int64_t page_size = validated_page_size(query);
    std::int64_t page = 0;
    if (auto value = param(query, "Page")) {
      auto parsed = parse_integer(*value);
      if (!parsed || *parsed > k_max_page_index) {
        return twilio_error(400, 20001,
                            "Page must be a non-negative integer, got '" + *value + "'");
      }
      page = *parsed;
    }
    std::string origin = url.origin.empty() ? "https://pricing.twilio.com" : url.origin;
    std::string base = origin + url.path;
    auto page_url = [&](std::int64_t number) {
      return base + "?PageSize=" + std::to_string(page_size) + "&Page=" + std::to_string(number);
    };
    Json countries = Json::array();
    auto total = static_cast<std::int64_t>(k_countries.size());
    for (std::int64_t i = page * page_size; i < total && i < (page + 1) * page_size; ++i) {
      const SandboxCountry& country = k_countries[static_cast<std::size_t>(i)];
      countries.push_back(Json{{"country", country.name},
                               {"iso_country", country.iso},
                               {"url", base + "/" + std::string(country.iso)}});
    }
    Json meta;
    meta["page"] = page;
    meta["page_size"] = page_size;
    meta["first_page_url"] = page_url(0);
    meta["previous_page_url"] = page > 0 ? Json(page_url(page - 1)) : Json(nullptr);
    meta["url"] = page_url(page);
    meta["next_page_url"] =
        (page + 1) * page_size < total ? Json(page_url(page + 1)) : Json(nullptr);
    meta["key"] = "countries";
    Json body;
    body["countries"] = std::move(countries);
    body["meta"] = std::move(meta);
    return json_response(200, body);
  }

  static http::HttpResponse pricing(const ParsedUrl& url, const std::string& iso) {
    struct CountryPrices {
      const char* iso;
      const char* name;
      std::vector<std::pair<const char*, const char*>> prices; // number_type, USD per month
    };
    static const std::array<CountryPrices, 3> k_prices = {{
        {"US", "United States", {{"local", "1.15"}, {"toll free", "2.15"}}},
        {"CA", "Canada", {{"local", "1.15"}, {"toll free", "2.15"}}},
        {"GB", "United Kingdom", {{"local", "1.15"}, {"mobile", "1.15"}, {"toll free", "2.15"}}},
    }};
    for (const CountryPrices& country : k_prices) {
      if (iso != country.iso) {
        continue;
      }
      Json prices = Json::array();
      for (const auto& [number_type, price] : country.prices) {
        prices.push_back(
            Json{{"number_type", number_type}, {"base_price", price}, {"current_price", price}});
      }
      std::string origin = url.origin.empty() ? "https://pricing.twilio.com" : url.origin;
      Json body;
      body["country"] = country.name;
      body["iso_country"] = country.iso;
      body["phone_number_prices"] = std::move(prices);
      body["price_unit"] = "USD";
      body["url"] = origin + url.path;
      return json_response(200, body);
    }
    return not_found(url.path);
  }

  std::filesystem::path m_path;
  std::mutex m_mutex; // one connection, used by one thread at a time
  SQLite::Database m_db;
  SandboxCredentials m_credentials;
  std::string m_account_name;
  std::int64_t m_account_created = 0;
  std::vector<std::string> m_accepted_authorizations; ///< Basic credentials, auth token or API key.
  /// The client of the requests simulated calls send (webhooks), made on first use.
  std::unique_ptr<http::HttpClient> m_outgoing;
  std::once_flag m_outgoing_once;
  std::unique_ptr<ElevenLabsSandbox> m_elevenlabs; ///< The ElevenLabs Agents Platform half.
};

} // namespace

std::unique_ptr<SandboxEmulator> open_sandbox(const std::filesystem::path& state_path) {
  std::filesystem::path folder = state_path.parent_path();
  if (folder.empty()) {
    folder = ".";
  }
  std::error_code ignored;
  if (!std::filesystem::is_directory(folder, ignored)) {
    throw Error(ErrorKind::invalid_input,
                "cannot open the sandbox state file " + state_path.string() + ": the folder " +
                    folder.string() + " does not exist",
                "create the folder first, or choose another path for the sandbox state");
  }
  try {
    return std::make_unique<SqliteSandbox>(state_path);
  } catch (const SQLite::Exception& e) {
    if ((e.getErrorCode() & 0xFF) == SQLITE_NOTADB) {
      throw Error(ErrorKind::invalid_input,
                  state_path.string() + " is not a vami sandbox state file",
                  "choose another path for the sandbox state; vami creates the file when it is "
                  "missing");
    }
    throw Error(ErrorKind::storage,
                "cannot open the sandbox state file " + state_path.string() + ": " + e.what(),
                "check the file's permissions and free disk space");
  }
}

} // namespace vami::sandbox
