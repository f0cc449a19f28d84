// Twilio Elastic SIP Trunking v1 (twilio_trunking.hpp): trunks, origination URLs, numbers on a
// trunk.
#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/twilio_trunking.hpp>

namespace vami::twilio {

namespace {

using json = nlohmann::json;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr const char* k_provider = "twilio-trunking";
/// Twilio's largest page.
constexpr int k_page_size = 1000;
constexpr int k_max_pages = 10'000;

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

/// The path and query of an absolute URL (`next_page_url`), so that pages are read from the
/// configured base URL (a mock or the sandbox) whatever host Twilio writes.
std::string path_and_query(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    return url;
  }
  auto slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? std::string("/") : url.substr(slash);
}

std::string text_of(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int integer_of(const json& object, const char* name, int fallback) {
  auto it = object.find(name);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

class TwilioTrunking final : public SipTrunking {
public:
  TwilioTrunking(TrunkingConfig config, http::HttpClient& http)
      : m_config(std::move(config)), m_http(http),
        m_base(without_trailing_slashes(m_config.base_url)) {}

  SipTrunk create_trunk(const std::string& friendly_name, const std::string& domain_name) override {
    Fields form{{"FriendlyName", friendly_name}};
    if (!domain_name.empty()) {
      form.emplace_back("DomainName", domain_name);
    }
    json body = send("create SIP trunk \"" + friendly_name + "\"", "POST", "/v1/Trunks", form);
    return trunk(body, "create SIP trunk");
  }

  std::vector<SipTrunk> list_trunks() override {
    std::vector<SipTrunk> trunks;
    read_pages("list SIP trunks", "/v1/Trunks", "trunks",
               [&](const json& item) { trunks.push_back(trunk(item, "list SIP trunks")); });
    return trunks;
  }

  void delete_trunk(const std::string& trunk_sid) override {
    (void)send("delete SIP trunk " + trunk_sid, "DELETE", trunk_path(trunk_sid));
  }

  OriginationUrl add_origination_url(const std::string& trunk_sid, const std::string& sip_url,
                                     const std::string& friendly_name) override {
    Fields form{{"Weight", "10"},
                {"Priority", "10"},
                {"Enabled", "true"},
                {"FriendlyName", friendly_name},
                {"SipUrl", sip_url}};
    json body = send("point SIP trunk " + trunk_sid + " at " + sip_url, "POST",
                     trunk_path(trunk_sid) + "/OriginationUrls", form);
    return origination_url(body, "point SIP trunk " + trunk_sid + " at " + sip_url);
  }

  std::vector<OriginationUrl> list_origination_urls(const std::string& trunk_sid) override {
    std::vector<OriginationUrl> urls;
    std::string action = "list the origination URLs of SIP trunk " + trunk_sid;
    read_pages(action, trunk_path(trunk_sid) + "/OriginationUrls", "origination_urls",
               [&](const json& item) { urls.push_back(origination_url(item, action)); });
    return urls;
  }

  TrunkPhoneNumber add_number(const std::string& trunk_sid,
                              const std::string& phone_number_sid) override {
    std::string action = "move number " + phone_number_sid + " onto SIP trunk " + trunk_sid;
    json body = send(action, "POST", trunk_path(trunk_sid) + "/PhoneNumbers",
                     Fields{{"PhoneNumberSid", phone_number_sid}});
    return number(body, action);
  }

  void remove_number(const std::string& trunk_sid, const std::string& phone_number_sid) override {
    (void)send("take number " + phone_number_sid + " off SIP trunk " + trunk_sid, "DELETE",
               trunk_path(trunk_sid) + "/PhoneNumbers/" + http::url_encode(phone_number_sid));
  }

  std::vector<TrunkPhoneNumber> list_numbers(const std::string& trunk_sid) override {
    std::vector<TrunkPhoneNumber> numbers;
    std::string action = "list the numbers on SIP trunk " + trunk_sid;
    read_pages(action, trunk_path(trunk_sid) + "/PhoneNumbers", "phone_numbers",
               [&](const json& item) { numbers.push_back(number(item, action)); });
    return numbers;
  }

private:
  static std::string trunk_path(const std::string& trunk_sid) {
    return "/v1/Trunks/" + http::url_encode(trunk_sid);
  }

  [[noreturn]] static void unexpected(const std::string& action, int status,
                                      const std::string& why) {
    throw Error(ErrorKind::provider,
                "Twilio could not " + action + ": unexpected response (HTTP " +
                    std::to_string(status) + "): " + why,
                "check that VAMI_TWILIO_TRUNKING_BASE_URL points at Twilio or at a mock",
                ProviderErrorDetail{k_provider, status, {}, why, {}, {}});
  }

  static std::string required(const json& item, const char* name, const std::string& action) {
    std::string value = text_of(item, name);
    if (value.empty()) {
      unexpected(action, 200, std::string("'") + name + "' is missing");
    }
    return value;
  }

  static SipTrunk trunk(const json& item, const std::string& action) {
    return {required(item, "sid", action), text_of(item, "friendly_name"),
            text_of(item, "domain_name")};
  }

  static OriginationUrl origination_url(const json& item, const std::string& action) {
    OriginationUrl url;
    url.sid = required(item, "sid", action);
    url.trunk_sid = text_of(item, "trunk_sid");
    url.sip_url = text_of(item, "sip_url");
    url.friendly_name = text_of(item, "friendly_name");
    url.priority = integer_of(item, "priority", 10);
    url.weight = integer_of(item, "weight", 10);
    auto enabled = item.find("enabled");
    url.enabled = enabled == item.end() || !enabled->is_boolean() || enabled->get<bool>();
    return url;
  }

  static TrunkPhoneNumber number(const json& item, const std::string& action) {
    return {required(item, "sid", action), text_of(item, "phone_number"),
            text_of(item, "trunk_sid")};
  }

  /// Sends one request (form body for POST) and returns the JSON object of a 2xx answer (an
  /// empty object for 204).
  json send(const std::string& action, const std::string& method, const std::string& path,
            const Fields& form = {}) const {
    http::HttpRequest request;
    request.method = method;
    request.url = m_base + path;
    request.headers = {{"Authorization",
                        http::basic_authorization(m_config.auth_username, m_config.auth_password)},
                       {"Accept", "application/json"}};
    if (method == "POST") {
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      request.body = http::form_encode(form);
    }
    http::HttpResponse response = m_http.send(request);
    if (response.status < 200 || response.status >= 300) {
      throw_error(action, response);
    }
    if (response.status == 204 || response.body.find_first_not_of(" \r\n\t") == std::string::npos) {
      return json::object();
    }
    json body = json::parse(response.body, nullptr, false);
    if (!body.is_object()) {
      unexpected(action, response.status, "the body is not a JSON object");
    }
    return body;
  }

  template <typename Take>
  void read_pages(const std::string& action, const std::string& path, const char* member,
                  Take take) const {
    std::string next = path + "?" + http::form_encode({{"PageSize", std::to_string(k_page_size)}});
    std::set<std::string> seen;
    for (int page = 1; !next.empty(); ++page) {
      json body =
          send(page == 1 ? action : action + " (page " + std::to_string(page) + ")", "GET", next);
      auto list = body.find(member);
      if (list == body.end() || !list->is_array()) {
        unexpected(action, 200, std::string("'") + member + "' is not a list");
      }
      for (const json& item : *list) {
        if (!item.is_object()) {
          unexpected(action, 200, std::string("an item of '") + member + "' is not an object");
        }
        take(item);
      }
      auto meta = body.find("meta");
      std::string url =
          meta != body.end() && meta->is_object() ? text_of(*meta, "next_page_url") : "";
      next = url.empty() ? std::string() : path_and_query(url);
      if (!next.empty() && (!seen.insert(next).second || page >= k_max_pages)) {
        unexpected(action, 200, "'meta.next_page_url' points back to a page already read");
      }
    }
  }

  [[noreturn]] static void throw_error(const std::string& action,
                                       const http::HttpResponse& response) {
    std::string code;
    std::string message;
    std::string more_info;
    json body = json::parse(response.body, nullptr, false);
    if (body.is_object()) {
      if (auto it = body.find("code"); it != body.end() && it->is_number_integer()) {
        code = std::to_string(it->get<long long>());
      }
      message = text_of(body, "message");
      more_info = text_of(body, "more_info");
    }
    ErrorKind kind = ErrorKind::provider;
    int status = response.status;
    if (status == 401 || status == 403 || code == "20003") {
      kind = ErrorKind::auth;
    } else if (status == 404 || code == "20404") {
      kind = ErrorKind::not_found;
    } else if (status == 429 || code == "20429") {
      kind = ErrorKind::rate_limited;
    } else if (status >= 500) {
      kind = ErrorKind::unavailable;
    } else if (status == 400) {
      kind = ErrorKind::invalid_input;
    }
    std::string reason = message.empty() ? "HTTP " + std::to_string(status) : message;
    if (!code.empty()) {
      reason += " (Twilio error " + code + ")";
    }
    std::optional<double> retry_after = http::parse_retry_after(response.header("Retry-After"));
    std::string hint;
    switch (kind) {
    case ErrorKind::auth:
      hint = "check TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
             "TWILIO_API_SECRET)";
      break;
    case ErrorKind::not_found:
      hint = "check the trunk and number SIDs";
      break;
    case ErrorKind::rate_limited:
    case ErrorKind::unavailable:
      hint = "retry later";
      break;
    default:
      hint = more_info.empty() ? "check the request against Twilio's documentation"
                               : "see " + more_info;
    }
    Error error(kind, "Twilio could not " + action + ": " + reason, hint,
                ProviderErrorDetail{k_provider, status, code, message, more_info,
                                    response.header("Twilio-Request-Id")});
    if (retry_after) {
      error.set_retry_after_seconds(*retry_after);
    }
    throw error;
  }

  const TrunkingConfig m_config;
  http::HttpClient& m_http;
  const std::string m_base;
};

} // namespace

std::unique_ptr<SipTrunking> make_twilio_trunking(TrunkingConfig config, http::HttpClient& http) {
  return std::make_unique<TwilioTrunking>(std::move(config), http);
}

} // namespace vami::twilio
