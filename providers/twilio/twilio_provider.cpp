#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "twilio_sip_trunks.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/money.hpp>
#include <vami/providers/twilio_provider.hpp>
#include <vami/providers/twilio_trunking.hpp>

namespace vami::twilio {

namespace {

using nlohmann::json;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view k_api_version = "2010-04-01";
/// AvailablePhoneNumbers returns at most 30 numbers and has no next page.
constexpr int k_max_search_page = 30;
/// IncomingPhoneNumbers pages hold at most 1000 numbers; fewer pages, fewer chances to fail.
constexpr std::string_view k_list_page_size = "1000";
/// A list that keeps pointing to new pages past this is not Twilio (10 million numbers).
constexpr int k_max_list_pages = 10'000;
/// Twilio's echo Twimlet: answers with the TwiML given in its `Twiml` parameter (Twilio Labs
/// Twimlets, https://www.twilio.com/labs/twimlets/echo).
constexpr std::string_view k_echo_twimlet = "https://twimlets.com/echo";
/// "PhoneNumber requested is not available": someone else bought it first.
constexpr std::string_view k_number_not_available_code = "21422";

constexpr const char* k_auth_hint =
    "check TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET";
constexpr const char* k_unexpected_hint =
    "check that VAMI_TWILIO_BASE_URL and VAMI_TWILIO_PRICING_BASE_URL point at Twilio or at the "
    "vami sandbox";

enum class Service { api, pricing };

/// One provider request as the user would describe it, for error messages.
struct Call {
  Service service;
  std::string action;         ///< "buy +12125550101", "list owned numbers".
  std::string not_found_hint; ///< What a 404 means for this call, when not the default.
};

const char* provider_name(Service service) {
  return service == Service::api ? "twilio" : "twilio-pricing";
}

const char* display_name(Service service) {
  return service == Service::api ? "Twilio" : "Twilio Pricing";
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

const char* resource_of(NumberType type) {
  switch (type) {
  case NumberType::local:
    return "Local";
  case NumberType::toll_free:
    return "TollFree";
  case NumberType::mobile:
    return "Mobile";
  }
  return "Local";
}

/// The `number_type` Pricing v1 writes for each type.
const char* pricing_type_of(NumberType type) {
  switch (type) {
  case NumberType::local:
    return "local";
  case NumberType::toll_free:
    return "toll free";
  case NumberType::mobile:
    return "mobile";
  }
  return "local";
}

/// The parts of a Twilio error body `{code, message, more_info, status}` that are present.
struct ErrorBody {
  std::string code;
  std::string message;
  std::string more_info;
  bool is_json = false;
};

ErrorBody parse_error_body(const std::string& text) {
  ErrorBody body;
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_object()) {
    return body;
  }
  body.is_json = true;
  if (auto it = parsed.find("code"); it != parsed.end()) {
    if (it->is_number_integer()) {
      body.code = std::to_string(it->get<long long>());
    } else if (it->is_string()) {
      body.code = it->get<std::string>();
    }
  }
  if (auto it = parsed.find("message"); it != parsed.end() && it->is_string()) {
    body.message = it->get<std::string>();
  }
  if (auto it = parsed.find("more_info"); it != parsed.end() && it->is_string()) {
    body.more_info = it->get<std::string>();
  }
  return body;
}

ErrorKind classify(int status, std::string_view code) {
  if (status == 401 || status == 403 || code == "20003") {
    return ErrorKind::auth;
  }
  if (status == 404 || code == "20404") {
    return ErrorKind::not_found;
  }
  if (status == 429 || code == "20429") {
    return ErrorKind::rate_limited;
  }
  if (status >= 500) {
    return ErrorKind::unavailable;
  }
  return ErrorKind::provider;
}

std::string hint_for(ErrorKind kind, const ErrorBody& body, std::optional<double> retry_after) {
  switch (kind) {
  case ErrorKind::auth:
    return k_auth_hint;
  case ErrorKind::not_found:
    return "check the number or SID; 'vami reconcile' compares the state database with Twilio";
  case ErrorKind::rate_limited:
    if (retry_after) {
      return "Twilio asked to wait " + std::to_string(static_cast<long long>(*retry_after + 0.5)) +
             " s; retry then";
    }
    return "Twilio asked to slow down; retry in a moment";
  case ErrorKind::unavailable:
    return "retry later; Twilio or the network between may be down";
  default:
    return body.more_info.empty() ? "check the request against Twilio's documentation"
                                  : "see " + body.more_info;
  }
}

/// Turns a non-2xx response into the typed error the rest of vami understands.
[[noreturn]] void throw_response_error(const Call& call, const http::HttpResponse& response) {
  ErrorBody body = parse_error_body(response.body);
  ErrorKind kind = classify(response.status, body.code);
  std::optional<double> retry_after = http::parse_retry_after(response.header("Retry-After"));

  std::string reason;
  if (!body.message.empty()) {
    reason = body.message;
    if (!body.code.empty()) {
      reason += " (Twilio error " + body.code + ")";
    }
  } else {
    reason = "HTTP " + std::to_string(response.status);
    if (!body.code.empty()) {
      reason += " (Twilio error " + body.code + ")";
    } else if (!body.is_json && !trim(response.body).empty()) {
      reason += " with a body that is not JSON";
    }
  }
  bool transient = kind == ErrorKind::unavailable || kind == ErrorKind::rate_limited;
  std::string message = std::string(display_name(call.service)) +
                        (transient ? " could not " : " refused to ") + call.action + ": " + reason;

  ProviderErrorDetail detail{
      provider_name(call.service),         response.status, body.code, body.message, body.more_info,
      response.header("Twilio-Request-Id")};
  std::string hint = kind == ErrorKind::not_found && !call.not_found_hint.empty()
                         ? call.not_found_hint
                         : hint_for(kind, body, retry_after);
  Error error(kind, std::move(message), std::move(hint), std::move(detail));
  if (retry_after) {
    error.set_retry_after_seconds(*retry_after);
  }
  throw error;
}

/// Reads a 2xx body, turning any departure from the documented shape into one clear error.
class Reader {
public:
  Reader(const Call& call, const http::HttpResponse& response)
      : m_call(call), m_response(response) {}

  [[noreturn]] void unexpected(const std::string& why) const {
    ProviderErrorDetail detail{
        provider_name(m_call.service),         m_response.status, {}, why, {},
        m_response.header("Twilio-Request-Id")};
    throw Error(ErrorKind::provider,
                std::string("unexpected response from ") + display_name(m_call.service) + " to " +
                    m_call.action + " (HTTP " + std::to_string(m_response.status) + "): " + why,
                k_unexpected_hint, std::move(detail));
  }

  [[nodiscard]] json object() const {
    json parsed = json::parse(m_response.body, nullptr, false);
    if (parsed.is_discarded()) {
      unexpected("the body is not JSON");
    }
    if (!parsed.is_object()) {
      unexpected("the body is not a JSON object");
    }
    return parsed;
  }

  /// The array member `name`; a null or absent one reads as empty when `nullable`.
  enum class Nullable { no, yes };
  [[nodiscard]] const json& array(const json& object, const char* name, Nullable nullable) const {
    static const json k_empty = json::array();
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) {
      if (nullable == Nullable::yes) {
        return k_empty;
      }
      unexpected(std::string("'") + name + "' is missing");
    }
    if (!it->is_array()) {
      unexpected(std::string("'") + name + "' is not an array");
    }
    return *it;
  }

  /// The string member `name`; null or absent reads as empty unless `required`.
  enum class Presence { optional, required };
  [[nodiscard]] std::string text(const json& object, const char* name, Presence presence) const {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) {
      if (presence == Presence::required) {
        unexpected(std::string("'") + name + "' is missing");
      }
      return {};
    }
    if (!it->is_string()) {
      unexpected(std::string("'") + name + "' is not a string");
    }
    return it->get<std::string>();
  }

  [[nodiscard]] OwnedNumber owned_number(const json& item) const {
    if (!item.is_object()) {
      unexpected("a phone number is not a JSON object");
    }
    OwnedNumber number;
    number.provider_sid = text(item, "sid", Presence::required);
    number.e164 = text(item, "phone_number", Presence::required);
    number.friendly_name = text(item, "friendly_name", Presence::optional);
    number.webhook.voice_url = text(item, "voice_url", Presence::optional);
    number.webhook.voice_method = text(item, "voice_method", Presence::optional);
    number.webhook.status_callback = text(item, "status_callback", Presence::optional);
    number.date_created = text(item, "date_created", Presence::optional);
    number.sip_trunk_id = text(item, "trunk_sid", Presence::optional);
    return number;
  }

  [[nodiscard]] AvailableNumber available_number(const json& item, const NumberSearch& search,
                                                 const std::string& country) const {
    if (!item.is_object()) {
      unexpected("an available number is not a JSON object");
    }
    AvailableNumber number;
    number.e164 = text(item, "phone_number", Presence::required);
    number.country = text(item, "iso_country", Presence::optional);
    if (number.country.empty()) {
      number.country = country;
    }
    number.type = search.type;
    number.locality = text(item, "locality", Presence::optional);
    number.region = text(item, "region", Presence::optional);
    number.postal_code = text(item, "postal_code", Presence::optional);
    if (auto caps = item.find("capabilities"); caps != item.end() && caps->is_object()) {
      // The spec writes `voice` in lower case, but live responses have mixed `voice`/`SMS`/`MMS`;
      // accept any case rather than report a voice number as unusable.
      for (const auto& [key, value] : caps->items()) {
        if (lower(key) == "voice" && value.is_boolean()) {
          number.voice_capable = value.get<bool>();
        }
      }
    }
    return number;
  }

  /// A call of `Calls.json` (`api.v2010.account.call`). Its times are RFC 2822 ("Tue, 31 Aug
  /// 2010 20:36:28 +0000"); its price a signed decimal string, negative for a charge.
  [[nodiscard]] TelephonyCall telephony_call(const json& item) const {
    if (!item.is_object()) {
      unexpected("a call is not a JSON object");
    }
    TelephonyCall call;
    call.call_sid = text(item, "sid", Presence::required);
    call.from = text(item, "from", Presence::optional);
    call.to = text(item, "to", Presence::optional);
    call.direction = parse_call_direction(text(item, "direction", Presence::optional));
    call.status = parse_call_status(text(item, "status", Presence::optional));
    const std::string start = text(item, "start_time", Presence::optional);
    if (!start.empty()) {
      call.start_time = iso8601_of_rfc2822(start);
    }
    const std::string duration(trim(text(item, "duration", Presence::optional)));
    if (!duration.empty()) {
      std::int64_t seconds = 0;
      auto [end, error] =
          std::from_chars(duration.data(), duration.data() + duration.size(), seconds);
      if (error != std::errc() || end != duration.data() + duration.size() || seconds < 0) {
        unexpected("'duration' is not a number of seconds: '" + duration + "'");
      }
      call.duration_seconds = seconds;
    }
    if (std::optional<std::int64_t> micros = price(item, "price")) {
      std::string currency = upper(text(item, "price_unit", Presence::optional));
      if (currency.size() != 3) {
        unexpected("call " + call.call_sid + " has a price without a 'price_unit'");
      }
      call.price = Money{*micros < 0 ? -*micros : *micros, currency};
    }
    return call;
  }

  /// A price as Pricing v1 writes it: a decimal string ("1.15") or, per the schema, a number.
  [[nodiscard]] std::optional<std::int64_t> price(const json& entry, const char* name) const {
    auto it = entry.find(name);
    if (it == entry.end() || it->is_null()) {
      return std::nullopt;
    }
    std::string decimal;
    if (it->is_string()) {
      decimal = it->get<std::string>();
    } else if (it->is_number()) {
      decimal = it->dump();
    } else {
      unexpected(std::string("'") + name + "' is not a price");
    }
    if (trim(decimal).empty()) {
      return std::nullopt;
    }
    try {
      return parse_decimal_micros(trim(decimal));
    } catch (const Error&) {
      unexpected(std::string("'") + name + "' is not a price: '" + decimal + "'");
    }
  }

private:
  std::string iso8601_of_rfc2822(const std::string& time) const {
    std::tm parts{};
    const char* end = strptime(time.c_str(), "%a, %d %b %Y %H:%M:%S %z", &parts);
    if (end == nullptr || *end != '\0') {
      unexpected("'start_time' is not an RFC 2822 time: '" + time + "'");
    }
    const long offset = parts.tm_gmtoff; // strptime's %z; timegm ignores it.
    return utc_iso8601(static_cast<std::int64_t>(timegm(&parts)) - offset);
  }

  const Call& m_call;
  const http::HttpResponse& m_response;
};

/// Monthly prices of one country by lower-case `number_type`; empty when Twilio has none.
using CountryPrices = std::map<std::string, Money>;

class TwilioProvider final : public TelephonyProvider {
public:
  TwilioProvider(TwilioConfig config, http::HttpClient& http)
      : m_config(std::move(config)), m_http(http),
        m_authorization(http::basic_authorization(m_config.auth_username, m_config.auth_password)),
        m_base(without_trailing_slashes(m_config.base_url)),
        m_pricing_base(without_trailing_slashes(m_config.pricing_base_url)),
        m_account_url(m_base + "/" + std::string(k_api_version) + "/Accounts/" +
                      http::url_encode(m_config.account_sid)),
        m_trunking(make_twilio_trunking(
            TrunkingConfig{m_config.auth_username, m_config.auth_password,
                           without_trailing_slashes(m_config.trunking_base_url)},
            http)),
        m_sip_trunks(*m_trunking, m_config.account_sid) {}

  [[nodiscard]] std::string name() const override { return "twilio"; }

  std::vector<AvailableNumber> search_available(const NumberSearch& search) override {
    std::string country = upper(search.country);
    Fields query;
    auto add = [&](const char* name, const std::string& value) {
      if (!value.empty()) {
        query.emplace_back(name, value);
      }
    };
    add("AreaCode", search.area_code);
    add("Contains", search.contains);
    add("InRegion", search.region);
    add("InLocality", search.locality);
    query.emplace_back("PageSize", std::to_string(std::clamp(search.limit, 1, k_max_search_page)));

    // Twilio answers 404 for a number type a country does not offer (US Mobile).
    Call call{Service::api,
              "search " + std::string(to_string(search.type)) + " numbers for sale in " + country,
              "Twilio offers no " + std::string(to_string(search.type)) + " numbers in " + country +
                  "; try another --type or --country"};
    std::string url = m_account_url + "/AvailablePhoneNumbers/" + http::url_encode(country) + "/" +
                      resource_of(search.type) + ".json?" + http::form_encode(query);
    http::HttpResponse response = send(call, "GET", url);
    Reader reader(call, response);
    json body = reader.object();
    std::vector<AvailableNumber> numbers;
    for (const json& item : reader.array(body, "available_phone_numbers", Reader::Nullable::no)) {
      numbers.push_back(reader.available_number(item, search, country));
    }
    return numbers;
  }

  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override {
    Call call{Service::api, "buy " + e164, {}};
    http::HttpResponse response =
        exchange("POST", m_account_url + "/IncomingPhoneNumbers.json",
                 http::form_encode({{"PhoneNumber", e164}, {"FriendlyName", tag}}));
    if (response.status >= 400 && response.status < 500) {
      ErrorBody error = parse_error_body(response.body);
      if (error.code == k_number_not_available_code) {
        PurchaseOutcome outcome;
        outcome.status = PurchaseOutcome::Status::unavailable;
        outcome.provider_message =
            error.message.empty() ? "PhoneNumber requested is not available" : error.message;
        return outcome;
      }
    }
    check(call, response);
    Reader reader(call, response);
    PurchaseOutcome outcome;
    outcome.status = PurchaseOutcome::Status::bought;
    outcome.number = reader.owned_number(reader.object());
    return outcome;
  }

  std::optional<OwnedNumber> find_owned(const std::string& e164) override {
    Call call{Service::api, "look up " + e164, {}};
    http::HttpResponse response =
        send(call, "GET",
             m_account_url + "/IncomingPhoneNumbers.json?" +
                 http::form_encode({{"PhoneNumber", e164}, {"PageSize", "20"}}));
    Reader reader(call, response);
    json body = reader.object();
    for (const json& item : reader.array(body, "incoming_phone_numbers", Reader::Nullable::no)) {
      OwnedNumber number = reader.owned_number(item);
      if (number.e164 == e164) {
        return number;
      }
    }
    return std::nullopt;
  }

  std::vector<OwnedNumber> list_owned() override {
    std::vector<OwnedNumber> numbers;
    read_pages("list owned numbers",
               m_account_url +
                   "/IncomingPhoneNumbers.json?PageSize=" + std::string(k_list_page_size),
               "incoming_phone_numbers", [&](const Reader& reader, const json& item) {
                 numbers.push_back(reader.owned_number(item));
               });
    return numbers;
  }

  std::vector<TelephonyCall> list_calls(const std::string& started_on_or_after) override {
    std::vector<TelephonyCall> calls;
    Fields query{{"PageSize", std::string(k_list_page_size)}};
    if (!started_on_or_after.empty()) {
      query.emplace_back("StartTime>", started_on_or_after);
    }
    read_pages("list calls", m_account_url + "/Calls.json?" + http::form_encode(query), "calls",
               [&](const Reader& reader, const json& item) {
                 calls.push_back(reader.telephony_call(item));
               });
    return calls;
  }

  OwnedNumber set_voice_webhook(const std::string& provider_sid,
                                const VoiceWebhook& webhook) override {
    Call call{Service::api, "set the voice webhook of " + provider_sid, {}};
    Fields fields{{"VoiceUrl", webhook.voice_url}};
    // VoiceMethod accepts only GET or POST: an empty one means "leave Twilio's as it is".
    if (!webhook.voice_method.empty()) {
      fields.emplace_back("VoiceMethod", webhook.voice_method);
    }
    // Only what was given: an empty StatusCallback would clear one set elsewhere, and the API
    // document types it `format: uri`, which an empty string is not.
    if (!webhook.status_callback.empty()) {
      fields.emplace_back("StatusCallback", webhook.status_callback);
      // vami's router takes status callbacks by POST only; a number once set to GET keeps GET
      // unless told.
      fields.emplace_back("StatusCallbackMethod", "POST");
    }
    http::HttpResponse response =
        send(call, "POST", number_url(provider_sid), http::form_encode(fields));
    Reader reader(call, response);
    return reader.owned_number(reader.object());
  }

  [[nodiscard]] VoiceWebhook out_of_service_webhook(const std::string& message) const override {
    // The echo Twimlet answers with the TwiML in its `Twiml` parameter: Twilio serves it, so a
    // suspended number needs no server of the platform and reaches no agent.
    std::string twiml = "<Response>";
    if (message.empty()) {
      twiml += "<Reject/>";
    } else {
      twiml += "<Say>";
      for (const char c : message) {
        switch (c) {
        case '&':
          twiml += "&amp;";
          break;
        case '<':
          twiml += "&lt;";
          break;
        case '>':
          twiml += "&gt;";
          break;
        default:
          twiml += c;
        }
      }
      twiml += "</Say><Hangup/>";
    }
    twiml += "</Response>";
    VoiceWebhook webhook;
    webhook.voice_url = std::string(k_echo_twimlet) + "?Twiml=" + http::url_encode(twiml);
    webhook.voice_method = "GET";
    return webhook;
  }

  void release(const std::string& provider_sid) override {
    Call call{Service::api, "release " + provider_sid, {}};
    (void)send(call, "DELETE", number_url(provider_sid));
  }

  AgentSipTrunk ensure_sip_trunk(const std::string& name,
                                 const std::string& origination_sip_uri) override {
    return m_sip_trunks.ensure(name, origination_sip_uri);
  }

  void move_to_sip_trunk(const std::string& provider_sid, const std::string& trunk_id) override {
    m_sip_trunks.move(provider_sid, trunk_id);
  }

  void remove_from_sip_trunk(const std::string& provider_sid,
                             const std::string& trunk_id) override {
    m_sip_trunks.remove(provider_sid, trunk_id);
  }

  std::vector<AgentSipTrunk> list_sip_trunks() override { return m_sip_trunks.list(); }

  std::optional<Money> monthly_price(const std::string& country, NumberType type) override {
    std::string code = upper(country);
    std::shared_ptr<const CountryPrices> prices;
    {
      std::lock_guard lock(m_price_mutex);
      if (auto it = m_prices.find(code); it != m_prices.end()) {
        prices = it->second;
      }
    }
    if (!prices) {
      // Fetched outside the lock so that one slow country does not hold up the others; two
      // threads may both fetch the same country once, which is harmless.
      prices = fetch_prices(code);
      std::lock_guard lock(m_price_mutex);
      m_prices.emplace(code, prices);
    }
    if (auto it = prices->find(pricing_type_of(type)); it != prices->end()) {
      return it->second;
    }
    return std::nullopt;
  }

private:
  /// Reads every page of a list from `url` on, handing each item of its array `member` to
  /// `take`. Throws, having handed over part of the list, if any page fails.
  template <typename Take>
  void read_pages(const std::string& action, std::string url, const char* member, Take take) const {
    std::set<std::string> visited;
    for (int page = 1;; ++page) {
      Call call{
          Service::api, page == 1 ? action : action + " (page " + std::to_string(page) + ")", {}};
      visited.insert(url);
      http::HttpResponse response = send(call, "GET", url);
      Reader reader(call, response);
      json body = reader.object();
      for (const json& item : reader.array(body, member, Reader::Nullable::no)) {
        take(reader, item);
      }
      std::string next = reader.text(body, "next_page_uri", Reader::Presence::optional);
      if (next.empty()) {
        return;
      }
      // next_page_uri is a path on the API host; an absolute URL elsewhere would receive the
      // credentials, and a page seen before would loop for ever.
      if (next.front() != '/') {
        reader.unexpected("next_page_uri '" + next + "' is not a path");
      }
      url = m_base + next;
      if (visited.count(url) != 0) {
        reader.unexpected("next_page_uri points back to a page already read");
      }
      if (page >= k_max_list_pages) {
        reader.unexpected("more than " + std::to_string(k_max_list_pages) + " pages");
      }
    }
  }

  std::string number_url(const std::string& provider_sid) const {
    return m_account_url + "/IncomingPhoneNumbers/" + http::url_encode(provider_sid) + ".json";
  }

  http::HttpResponse exchange(const std::string& method, const std::string& url,
                              std::string form_body = {}) const {
    http::HttpRequest request;
    request.method = method;
    request.url = url;
    request.headers = {{"Authorization", m_authorization}, {"Accept", "application/json"}};
    if (method == "POST") {
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      request.body = std::move(form_body);
    }
    return m_http.send(request);
  }

  static void check(const Call& call, const http::HttpResponse& response) {
    if (response.status < 200 || response.status >= 300) {
      throw_response_error(call, response);
    }
  }

  http::HttpResponse send(const Call& call, const std::string& method, const std::string& url,
                          std::string form_body = {}) const {
    http::HttpResponse response = exchange(method, url, std::move(form_body));
    check(call, response);
    return response;
  }

  std::shared_ptr<const CountryPrices> fetch_prices(const std::string& country) const {
    Call call{Service::pricing, "give the monthly prices of numbers in " + country, {}};
    http::HttpResponse response =
        exchange("GET", m_pricing_base + "/v1/PhoneNumbers/Countries/" + http::url_encode(country));
    auto prices = std::make_shared<CountryPrices>();
    if (response.status == 404) {
      return prices;
    }
    check(call, response);
    Reader reader(call, response);
    json body = reader.object();
    std::string currency = upper(reader.text(body, "price_unit", Reader::Presence::optional));
    for (const json& entry : reader.array(body, "phone_number_prices", Reader::Nullable::yes)) {
      if (!entry.is_object()) {
        reader.unexpected("a phone_number_prices entry is not a JSON object");
      }
      std::string type = lower(reader.text(entry, "number_type", Reader::Presence::required));
      std::optional<std::int64_t> micros = reader.price(entry, "current_price");
      if (!micros) {
        micros = reader.price(entry, "base_price");
      }
      if (!micros) {
        continue;
      }
      if (currency.empty()) {
        reader.unexpected("'price_unit' is missing");
      }
      prices->emplace(type, Money{*micros, currency});
    }
    return prices;
  }

  const TwilioConfig m_config;
  http::HttpClient& m_http;
  const std::string m_authorization;
  const std::string m_base;
  const std::string m_pricing_base;
  const std::string m_account_url;

  std::unique_ptr<SipTrunking> m_trunking;
  detail::AgentSipTrunks m_sip_trunks;

  std::mutex m_price_mutex;
  std::map<std::string, std::shared_ptr<const CountryPrices>> m_prices;
};

} // namespace

std::unique_ptr<TelephonyProvider> make_twilio_provider(TwilioConfig config,
                                                        http::HttpClient& http) {
  return std::make_unique<TwilioProvider>(std::move(config), http);
}

} // namespace vami::twilio
