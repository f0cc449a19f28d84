#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fake_http_client.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/twilio_provider.hpp>

namespace vami::twilio {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr const char* k_account_sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* k_auth_token = "auth-token-canary-7f3e";
constexpr const char* k_base = "https://api.twilio.test";
constexpr const char* k_pricing_base = "https://pricing.twilio.test";
const std::string k_account_url = std::string(k_base) + "/2010-04-01/Accounts/" + k_account_sid;
const std::string k_numbers_url = k_account_url + "/IncomingPhoneNumbers.json";

/// The official OpenAPI documents, from $VAMI_SPECS_DIR or the shared/ folder beside the repo.
std::optional<json> load_spec(const std::string& file) {
  namespace fs = std::filesystem;
  std::vector<fs::path> folders;
  if (const char* dir = std::getenv("VAMI_SPECS_DIR"); dir != nullptr && *dir != '\0') {
    folders.emplace_back(dir);
  }
  // tests/unit/twilio/<this file> -> <repo>/../shared/specs
  folders.push_back(fs::path(__FILE__).parent_path() / "../../../../shared/specs");
  folders.emplace_back("/work/main/../shared/specs");
  for (const auto& folder : folders) {
    std::ifstream in(folder / file);
    if (in) {
      return json::parse(in);
    }
  }
  return std::nullopt;
}

/// The example body named `example` of the documented response `status` of `method path`.
std::string example(const json& spec, const std::string& path, const std::string& method,
                    const std::string& status, const std::string& name) {
  return spec.at("paths")
      .at(path)
      .at(method)
      .at("responses")
      .at(status)
      .at("content")
      .at("application/json")
      .at("examples")
      .at(name)
      .at("value")
      .dump();
}

const std::string k_local_path =
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json";
const std::string k_mobile_path =
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Mobile.json";
const std::string k_incoming_path = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
const std::string k_incoming_one_path =
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";
const std::string k_price_path = "/v1/PhoneNumbers/Countries/{IsoCountry}";

std::string twilio_error(int code, const std::string& message, int status) {
  return json{{"code", code},
              {"message", message},
              {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
              {"status", status}}
      .dump();
}

/// An incoming_phone_number resource, as in the spec's examples.
json incoming_number(const std::string& sid, const std::string& e164) {
  return json{{"sid", sid},
              {"phone_number", e164},
              {"friendly_name", "vami:main:" + sid},
              {"voice_url", nullptr},
              {"voice_method", "POST"},
              {"status_callback", ""},
              {"date_created", "Thu, 30 Jul 2015 23:19:04 +0000"}};
}

class TwilioProviderTest : public ::testing::Test {
protected:
  TwilioProviderTest() {
    TwilioConfig config;
    config.account_sid = k_account_sid;
    config.auth_username = k_account_sid;
    config.auth_password = k_auth_token;
    config.base_url = std::string(k_base) + "/"; // a trailing slash must not double up
    config.pricing_base_url = k_pricing_base;
    m_provider = make_twilio_provider(config, m_http);
  }

  void SetUp() override {
    // Parsed once for the whole suite: the API document is large.
    static const std::optional<json> api = load_spec("twilio_api_v2010.json");
    static const std::optional<json> pricing = load_spec("twilio_pricing_v1.json");
    m_api = api ? &*api : nullptr;
    m_pricing = pricing ? &*pricing : nullptr;
  }

  /// Skips the calling test when the official documents are not beside the repository.
  [[nodiscard]] bool have_specs() const { return m_api != nullptr && m_pricing != nullptr; }

  void expect_common_headers(const http::HttpRequest& request) const {
    http::HttpResponse headers{0, request.headers, {}};
    EXPECT_EQ(headers.header("Authorization"),
              http::basic_authorization(k_account_sid, k_auth_token));
    EXPECT_EQ(headers.header("Accept"), "application/json");
  }

  /// Runs `action`, which must throw vami::Error, and returns that error.
  template <typename Action>
  static Error error_of(Action action) {
    try {
      action();
    } catch (const Error& error) {
      return error;
    }
    ADD_FAILURE() << "expected a vami::Error";
    return Error(ErrorKind::invalid_input, "no error was thrown");
  }

  test::FakeHttpClient m_http;
  std::unique_ptr<TelephonyProvider> m_provider;
  const json* m_api = nullptr;
  const json* m_pricing = nullptr;
};

#define REQUIRE_SPECS()                                                                            \
  if (!have_specs()) {                                                                             \
    GTEST_SKIP()                                                                                   \
        << "twilio_api_v2010.json / twilio_pricing_v1.json not found: set VAMI_SPECS_DIR";         \
  }

// ---- search_available -----------------------------------------------------------------------

TEST_F(TwilioProviderTest, SearchSendsTheDocumentedRequestAndParsesTheSpecExample) {
  REQUIRE_SPECS();
  m_http.push_response(200, example(*m_api, k_local_path, "get", "200", "readFull"));

  NumberSearch search;
  search.country = "US";
  search.type = NumberType::local;
  search.area_code = "808";
  search.contains = "*55";
  search.region = "HI";
  search.locality = "Hilo Town";
  search.limit = 50;
  auto numbers = m_provider->search_available(search);

  auto request = m_http.last_request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, k_account_url +
                             "/AvailablePhoneNumbers/US/Local.json?AreaCode=808&Contains=%2A55"
                             "&InRegion=HI&InLocality=Hilo%20Town&PageSize=30");
  EXPECT_EQ(request.body, "");
  expect_common_headers(request);

  ASSERT_EQ(numbers.size(), 1U);
  EXPECT_EQ(numbers[0].e164, "+18089251571");
  EXPECT_EQ(numbers[0].country, "US");
  EXPECT_EQ(numbers[0].type, NumberType::local);
  EXPECT_EQ(numbers[0].locality, "Hilo");
  EXPECT_EQ(numbers[0].region, "HI");
  EXPECT_EQ(numbers[0].postal_code, "96720");
  EXPECT_TRUE(numbers[0].voice_capable);
}

TEST_F(TwilioProviderTest, SearchSendsOnlyTheGivenFiltersAndClampsThePageSize) {
  m_http.set_handler([](const http::HttpRequest&) {
    return http::HttpResponse{200, {}, R"({"available_phone_numbers": []})"};
  });

  NumberSearch search;
  search.country = "us";
  search.type = NumberType::toll_free;
  search.limit = 0;
  EXPECT_TRUE(m_provider->search_available(search).empty());
  EXPECT_EQ(m_http.last_request().url,
            k_account_url + "/AvailablePhoneNumbers/US/TollFree.json?PageSize=1");

  search.type = NumberType::mobile;
  search.country = "GB";
  search.limit = 7;
  (void)m_provider->search_available(search);
  EXPECT_EQ(m_http.last_request().url,
            k_account_url + "/AvailablePhoneNumbers/GB/Mobile.json?PageSize=7");
}

TEST_F(TwilioProviderTest, SearchReadsNullFieldsAndCapabilitiesOfTheMobileExample) {
  REQUIRE_SPECS();
  m_http.push_response(200, example(*m_api, k_mobile_path, "get", "200", "readFull"));
  NumberSearch search;
  search.country = "NO";
  search.type = NumberType::mobile;
  auto numbers = m_provider->search_available(search);
  ASSERT_EQ(numbers.size(), 1U);
  EXPECT_EQ(numbers[0].e164, "+4759440374");
  EXPECT_EQ(numbers[0].country, "NO");
  EXPECT_EQ(numbers[0].type, NumberType::mobile);
  EXPECT_EQ(numbers[0].locality, "");
  EXPECT_EQ(numbers[0].postal_code, "");
  EXPECT_FALSE(numbers[0].voice_capable);
}

TEST_F(TwilioProviderTest, SearchReturnsNothingForTheEmptyExample) {
  REQUIRE_SPECS();
  m_http.push_response(200, example(*m_api, k_local_path, "get", "200", "readEmpty"));
  EXPECT_TRUE(m_provider->search_available(NumberSearch{}).empty());
}

TEST_F(TwilioProviderTest, SearchOfATypeTheCountryLacksSaysSo) {
  m_http.push_response(404, twilio_error(20404, "The requested resource was not found", 404));
  NumberSearch search;
  search.type = NumberType::mobile;
  Error error = error_of([&] { (void)m_provider->search_available(search); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
  EXPECT_THAT(error.hint(), HasSubstr("offers no mobile numbers in US"));
}

TEST_F(TwilioProviderTest, SearchRejectsABodyWithoutTheDocumentedShape) {
  m_http.push_response(200, R"({"available_phone_numbers": "none"})");
  Error error = error_of([&] { (void)m_provider->search_available(NumberSearch{}); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("unexpected response from Twilio"));

  m_http.push_response(200, R"({"available_phone_numbers": [{"locality": "Hilo"}]})");
  error = error_of([&] { (void)m_provider->search_available(NumberSearch{}); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("phone_number"));

  m_http.push_response(200, "<html>maintenance</html>");
  error = error_of([&] { (void)m_provider->search_available(NumberSearch{}); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("not JSON"));
}

// ---- buy ------------------------------------------------------------------------------------

TEST_F(TwilioProviderTest, BuyPostsTheExactNumberWithItsTagAndParsesTheSpecExample) {
  REQUIRE_SPECS();
  m_http.push_response(201, example(*m_api, k_incoming_path, "post", "201", "create"));

  PurchaseOutcome outcome = m_provider->buy("+18089255327", "vami:main:op-1");

  auto request = m_http.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, k_numbers_url);
  expect_common_headers(request);
  EXPECT_EQ((http::HttpResponse{0, request.headers, {}}.header("Content-Type")),
            "application/x-www-form-urlencoded");
  EXPECT_EQ(http::form_decode(request.body),
            (Fields{{"PhoneNumber", "+18089255327"}, {"FriendlyName", "vami:main:op-1"}}));

  EXPECT_EQ(outcome.status, PurchaseOutcome::Status::bought);
  EXPECT_EQ(outcome.number.provider_sid, "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(outcome.number.e164, "+18089255327");
  EXPECT_EQ(outcome.number.friendly_name, "friendly_name");
  EXPECT_EQ(outcome.number.webhook.voice_url, "https://example.com");
  EXPECT_EQ(outcome.number.webhook.voice_method, "GET");
  EXPECT_EQ(outcome.number.webhook.status_callback, "https://example.com");
  EXPECT_EQ(outcome.number.date_created, "Thu, 30 Jul 2015 23:19:04 +0000");
}

TEST_F(TwilioProviderTest, BuyReportsANumberThatIsNoLongerForSale) {
  m_http.push_response(400, twilio_error(21422, "PhoneNumber requested is not available", 400));
  PurchaseOutcome outcome = m_provider->buy("+12125550101", "vami:main:op-2");
  EXPECT_EQ(outcome.status, PurchaseOutcome::Status::unavailable);
  EXPECT_EQ(outcome.provider_message, "PhoneNumber requested is not available");
  EXPECT_EQ(m_http.call_count(), 1U) << "nothing is retried or bought instead";
}

TEST_F(TwilioProviderTest, BuyRefusalKeepsTwiliosAnswer) {
  m_http.push_response(400, twilio_error(21421, "PhoneNumber is invalid", 400),
                       {{"Twilio-Request-Id", "RQ0123456789abcdef"}});
  Error error = error_of([&] { (void)m_provider->buy("+12125550101", "vami:main:op-3"); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_STREQ(error.what(),
               "Twilio refused to buy +12125550101: PhoneNumber is invalid (Twilio error 21421)");
  EXPECT_EQ(error.hint(), "see https://www.twilio.com/docs/errors/21421");
  ASSERT_TRUE(error.provider_detail().has_value());
  const ProviderErrorDetail& detail = *error.provider_detail();
  EXPECT_EQ(detail.provider, "twilio");
  EXPECT_EQ(detail.http_status, 400);
  EXPECT_EQ(detail.code, "21421");
  EXPECT_EQ(detail.message, "PhoneNumber is invalid");
  EXPECT_EQ(detail.more_info, "https://www.twilio.com/docs/errors/21421");
  EXPECT_EQ(detail.request_id, "RQ0123456789abcdef");
}

TEST_F(TwilioProviderTest, BuyAfterATransportFailurePropagatesUnavailable) {
  m_http.fail_at(1, test::HttpFault::timeout);
  Error error = error_of([&] { (void)m_provider->buy("+12125550101", "vami:main:op-4"); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
}

// ---- find_owned -----------------------------------------------------------------------------

TEST_F(TwilioProviderTest, FindOwnedQueriesByNumberAndParsesTheSpecExample) {
  REQUIRE_SPECS();
  m_http.push_response(200, example(*m_api, k_incoming_path, "get", "200", "readFull"));

  auto number = m_provider->find_owned("+18089255327");

  auto request = m_http.last_request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, k_numbers_url + "?PhoneNumber=%2B18089255327&PageSize=20");
  expect_common_headers(request);
  ASSERT_TRUE(number.has_value());
  EXPECT_EQ(number->provider_sid, "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(number->friendly_name, "(808) 925-5327");
  EXPECT_EQ(number->webhook.voice_url, "") << "null voice_url";
  EXPECT_EQ(number->webhook.voice_method, "POST");
  EXPECT_EQ(number->webhook.status_callback, "");
}

TEST_F(TwilioProviderTest, FindOwnedIgnoresOtherNumbersAndEmptyPages) {
  REQUIRE_SPECS();
  m_http.push_response(200, example(*m_api, k_incoming_path, "get", "200", "readFull"));
  EXPECT_FALSE(m_provider->find_owned("+12125550101").has_value());
  m_http.push_response(200, example(*m_api, k_incoming_path, "get", "200", "readEmpty"));
  EXPECT_FALSE(m_provider->find_owned("+18089255327").has_value());
}

// ---- list_calls -----------------------------------------------------------------------------

TEST_F(TwilioProviderTest, ListCallsFollowsThePagesOfTheSpecExampleAndReadsChargesAsCosts) {
  REQUIRE_SPECS();
  const std::string calls_path = "/2010-04-01/Accounts/{AccountSid}/Calls.json";
  json page1 = json::parse(example(*m_api, calls_path, "get", "200", "readFullPage1"));
  json page2 = json::parse(example(*m_api, calls_path, "get", "200", "readFullPage2"));
  page2["next_page_uri"] = nullptr; // The example links to a third page it does not show.
  m_http.set_handler([&](const http::HttpRequest& request) -> http::HttpResponse {
    return {200, {}, request.url.find("Page=1") == std::string::npos ? page1.dump() : page2.dump()};
  });
  auto calls = m_provider->list_calls("2019-10-18");

  auto requests = m_http.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].url, k_account_url + "/Calls.json?PageSize=1000&StartTime%3E=2019-10-18");
  EXPECT_EQ(requests[1].url, std::string(k_base) + page1["next_page_uri"].get<std::string>());
  expect_common_headers(requests[0]);
  ASSERT_EQ(calls.size(), 4U);
  const TelephonyCall& call = calls[0];
  EXPECT_EQ(call.call_sid, "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(call.from, "+13051416799");
  EXPECT_EQ(call.direction, CallDirection::outbound_api);
  EXPECT_EQ(call.status, CallStatus::completed);
  EXPECT_EQ(call.start_time, "2019-10-18T17:02:00Z");
  EXPECT_EQ(call.duration_seconds, 4);
  EXPECT_EQ(call.price, (Money{200'000, "USD"})); // "-0.200": a charge of 0.20
}

TEST_F(TwilioProviderTest, ListCallsWithoutADateListsEveryCallAndReadsUnpricedCalls) {
  m_http.push_response(200,
                       R"({"calls": [{"sid": "CA1", "from": "+14155550199", "to": "+12125550101",
                "direction": "inbound", "status": "in-progress", "start_time":
                "Tue, 01 Dec 2026 09:30:00 -0500", "duration": null, "price": null,
                "price_unit": "USD"}], "next_page_uri": null})");
  auto calls = m_provider->list_calls("");
  EXPECT_EQ(m_http.last_request().url, k_account_url + "/Calls.json?PageSize=1000");
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].start_time, "2026-12-01T14:30:00Z"); // the offset applied
  EXPECT_FALSE(calls[0].duration_seconds);
  EXPECT_FALSE(calls[0].price);
  EXPECT_EQ(calls[0].status, CallStatus::in_progress);

  m_http.push_response(200, R"({"calls": [{"sid": "CA1", "start_time": "yesterday"}]})");
  Error error = error_of([&] { (void)m_provider->list_calls(""); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_NE(std::string(error.what()).find("RFC 2822"), std::string::npos);
}

// ---- list_owned -----------------------------------------------------------------------------

/// Three pages of two numbers, linked by next_page_uri the way Twilio links them.
http::HttpResponse three_pages(const http::HttpRequest& request) {
  auto page_uri = [](int page) {
    return "/2010-04-01/Accounts/" + std::string(k_account_sid) +
           "/IncomingPhoneNumbers.json?PageSize=1000&Page=" + std::to_string(page) +
           "&PageToken=PAPN" + std::to_string(page);
  };
  int page = 0;
  for (int candidate = 1; candidate < 3; ++candidate) {
    if (request.url == std::string(k_base) + page_uri(candidate)) {
      page = candidate;
    }
  }
  json body = {{"incoming_phone_numbers", json::array()},
               {"page", page},
               {"page_size", 1000},
               {"next_page_uri", page < 2 ? json(page_uri(page + 1)) : json(nullptr)}};
  for (int i = 0; i < 2; ++i) {
    int n = page * 2 + i;
    body["incoming_phone_numbers"].push_back(
        incoming_number("PN" + std::to_string(n), "+1212555010" + std::to_string(n)));
  }
  return {200, {}, body.dump()};
}

TEST_F(TwilioProviderTest, ListOwnedFollowsEveryPage) {
  m_http.set_handler(three_pages);
  auto numbers = m_provider->list_owned();

  auto requests = m_http.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].url, k_numbers_url + "?PageSize=1000");
  EXPECT_EQ(requests[1].url, k_numbers_url + "?PageSize=1000&Page=1&PageToken=PAPN1");
  EXPECT_EQ(requests[2].url, k_numbers_url + "?PageSize=1000&Page=2&PageToken=PAPN2");
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "GET");
    expect_common_headers(request);
  }
  ASSERT_EQ(numbers.size(), 6U);
  for (int n = 0; n < 6; ++n) {
    EXPECT_EQ(numbers[static_cast<std::size_t>(n)].provider_sid, "PN" + std::to_string(n));
  }
}

TEST_F(TwilioProviderTest, ListOwnedStopsAtAnEmptyOrAbsentNextPage) {
  m_http.push_response(
      200, json{{"incoming_phone_numbers", json::array({incoming_number("PN1", "+12125550101")})},
                {"next_page_uri", ""}}
               .dump());
  EXPECT_EQ(m_provider->list_owned().size(), 1U);
  m_http.push_response(200, R"({"incoming_phone_numbers": []})");
  EXPECT_TRUE(m_provider->list_owned().empty());
  EXPECT_EQ(m_http.call_count(), 2U);
}

TEST_F(TwilioProviderTest, ListOwnedThrowsWhenPageTwoFails) {
  m_http.set_handler(three_pages);
  m_http.fail_at(2, test::HttpFault::server_error);
  Error error = error_of([&] { (void)m_provider->list_owned(); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  EXPECT_THAT(error.what(), HasSubstr("page 2"));
  EXPECT_EQ(m_http.call_count(), 2U) << "no page is read after a failed one";
}

TEST_F(TwilioProviderTest, ListOwnedThrowsWhenTheLastPageIsLost) {
  m_http.set_handler(three_pages);
  m_http.fail_at(3, test::HttpFault::connection_refused);
  Error error = error_of([&] { (void)m_provider->list_owned(); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
}

TEST_F(TwilioProviderTest, ListOwnedRefusesALoopingOrForeignNextPage) {
  std::string loop = json{{"incoming_phone_numbers", json::array()},
                          {"next_page_uri", "/2010-04-01/Accounts/" + std::string(k_account_sid) +
                                                "/IncomingPhoneNumbers.json?PageSize=1000"}}
                         .dump();
  m_http.set_handler([&](const http::HttpRequest&) { return http::HttpResponse{200, {}, loop}; });
  Error error = error_of([&] { (void)m_provider->list_owned(); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_EQ(m_http.call_count(), 1U);

  m_http.push_response(200, json{{"incoming_phone_numbers", json::array()},
                                 {"next_page_uri", "https://elsewhere.test/steal"}}
                                .dump());
  error = error_of([&] { (void)m_provider->list_owned(); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_EQ(m_http.call_count(), 2U) << "credentials were sent to another host";
}

// ---- set_voice_webhook and release ----------------------------------------------------------

TEST_F(TwilioProviderTest, SetVoiceWebhookPostsOnlyTheGivenFieldsAndParsesTheSpecExample) {
  REQUIRE_SPECS();
  m_http.push_response(200, example(*m_api, k_incoming_one_path, "post", "200", "update"));

  VoiceWebhook webhook{"https://hooks.example.test/voice?agent=a1", "POST", ""};
  OwnedNumber number = m_provider->set_voice_webhook("PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", webhook);

  auto request = m_http.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url,
            k_account_url + "/IncomingPhoneNumbers/PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json");
  expect_common_headers(request);
  EXPECT_EQ(
      http::form_decode(request.body),
      (Fields{{"VoiceUrl", "https://hooks.example.test/voice?agent=a1"}, {"VoiceMethod", "POST"}}));
  EXPECT_EQ(number.provider_sid, "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(number.e164, "+18089255327");
  EXPECT_EQ(number.webhook.voice_method, "POST");

  // A status callback is sent when given, with POST as its method: the router takes status
  // callbacks by POST only, and a number once set to GET would otherwise keep GET.
  m_http.push_response(200, example(*m_api, k_incoming_one_path, "post", "200", "update"));
  (void)m_provider->set_voice_webhook(
      "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      {"https://hooks.example.test/voice", "GET", "https://hooks.example.test/status"});
  EXPECT_EQ(http::form_decode(m_http.last_request().body),
            (Fields{{"VoiceUrl", "https://hooks.example.test/voice"},
                    {"VoiceMethod", "GET"},
                    {"StatusCallback", "https://hooks.example.test/status"},
                    {"StatusCallbackMethod", "POST"}}));
}

TEST_F(TwilioProviderTest, ReleaseDeletesTheNumber) {
  m_http.push_response(204, "");
  m_provider->release("PNbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  auto request = m_http.last_request();
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.url,
            k_account_url + "/IncomingPhoneNumbers/PNbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.json");
  EXPECT_EQ(request.body, "");
  expect_common_headers(request);
}

TEST_F(TwilioProviderTest, ReleaseOfAnUnknownNumberIsNotFound) {
  m_http.push_response(404, twilio_error(20404, "The requested resource was not found", 404));
  Error error = error_of([&] { m_provider->release("PNcccccccccccccccccccccccccccccccc"); });
  EXPECT_EQ(error.kind(), ErrorKind::not_found);
  EXPECT_THAT(error.what(), HasSubstr("release PNcccccccccccccccccccccccccccccccc"));
  ASSERT_TRUE(error.provider_detail().has_value());
  EXPECT_EQ(error.provider_detail()->code, "20404");
}

// ---- monthly_price --------------------------------------------------------------------------

TEST_F(TwilioProviderTest, MonthlyPriceReadsTheSpecExampleOnceAndCachesIt) {
  REQUIRE_SPECS();
  m_http.push_response(200, example(*m_pricing, k_price_path, "get", "200", "fetch"));

  EXPECT_EQ(m_provider->monthly_price("US", NumberType::local), (Money{1'000'000, "USD"}));
  EXPECT_EQ(m_provider->monthly_price("us", NumberType::toll_free), (Money{2'000'000, "USD"}));
  EXPECT_FALSE(m_provider->monthly_price("US", NumberType::mobile).has_value());

  ASSERT_EQ(m_http.call_count(), 1U);
  auto request = m_http.last_request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, std::string(k_pricing_base) + "/v1/PhoneNumbers/Countries/US");
  expect_common_headers(request);
}

TEST_F(TwilioProviderTest, MonthlyPriceFallsBackToBasePriceAndAcceptsNumbers) {
  m_http.push_response(200, R"({"iso_country": "GB", "price_unit": "gbp", "phone_number_prices": [
      {"number_type": "local", "base_price": "1.15", "current_price": null},
      {"number_type": "mobile", "base_price": 4.5, "current_price": 4.25},
      {"number_type": "toll free"}]})");
  EXPECT_EQ(m_provider->monthly_price("GB", NumberType::local), (Money{1'150'000, "GBP"}));
  EXPECT_EQ(m_provider->monthly_price("GB", NumberType::mobile), (Money{4'250'000, "GBP"}));
  EXPECT_FALSE(m_provider->monthly_price("GB", NumberType::toll_free).has_value());
}

TEST_F(TwilioProviderTest, MonthlyPriceOfAnUnknownCountryIsEmpty) {
  m_http.push_response(404, twilio_error(20404, "The requested resource was not found", 404));
  EXPECT_FALSE(m_provider->monthly_price("XX", NumberType::local).has_value());
  EXPECT_FALSE(m_provider->monthly_price("XX", NumberType::mobile).has_value());
  EXPECT_EQ(m_http.call_count(), 1U);
}

TEST_F(TwilioProviderTest, MonthlyPriceFailureIsNotCached) {
  m_http.fail_at(1, test::HttpFault::server_error);
  m_http.push_response(200, R"({"price_unit": "USD", "phone_number_prices": [
      {"number_type": "local", "base_price": "1.00", "current_price": "1.00"}]})");
  Error error = error_of([&] { (void)m_provider->monthly_price("US", NumberType::local); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  ASSERT_TRUE(error.provider_detail().has_value());
  EXPECT_EQ(error.provider_detail()->provider, "twilio-pricing");
  EXPECT_EQ(m_provider->monthly_price("US", NumberType::local), (Money{1'000'000, "USD"}));
}

TEST_F(TwilioProviderTest, MonthlyPriceRejectsAPriceThatIsNotADecimal) {
  m_http.push_response(200, R"({"price_unit": "USD", "phone_number_prices": [
      {"number_type": "local", "current_price": "one dollar"}]})");
  Error error = error_of([&] { (void)m_provider->monthly_price("US", NumberType::local); });
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_THAT(error.what(), HasSubstr("unexpected response from Twilio Pricing"));
}

TEST_F(TwilioProviderTest, MonthlyPriceIsSafeFromManyThreads) {
  std::atomic<int> fetches{0};
  m_http.set_handler([&](const http::HttpRequest& request) {
    ++fetches;
    std::string country = request.url.substr(request.url.size() - 2);
    std::string price = country == "US" ? "1.00" : "2.50";
    return http::HttpResponse{
        200,
        {},
        R"({"price_unit": "USD", "phone_number_prices": [{"number_type": "local", "current_price": ")" +
            price + R"("}]})"};
  });
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        bool us = (t + i) % 2 == 0;
        auto price = m_provider->monthly_price(us ? "US" : "CA", NumberType::local);
        if (price && price->micros == (us ? 1'000'000 : 2'500'000)) {
          ++correct;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(correct.load(), 400);
  EXPECT_LE(fetches.load(), 16) << "the cache was not used";
}

// ---- error mapping --------------------------------------------------------------------------

struct ErrorCase {
  const char* name;
  int status;
  std::string body;
  http::Headers headers;
  ErrorKind kind;
};

TEST_F(TwilioProviderTest, MapsEveryErrorResponseToItsKind) {
  std::vector<ErrorCase> cases = {
      {"401", 401, twilio_error(20003, "Authenticate", 401), {}, ErrorKind::auth},
      {"401 empty", 401, "", {}, ErrorKind::auth},
      {"403 html", 403, "<html>Forbidden</html>", {}, ErrorKind::auth},
      {"20003 on 400", 400, twilio_error(20003, "Authenticate", 400), {}, ErrorKind::auth},
      {"404", 404, twilio_error(20404, "Not found", 404), {}, ErrorKind::not_found},
      {"20404 on 400", 400, twilio_error(20404, "Not found", 400), {}, ErrorKind::not_found},
      {"429", 429, twilio_error(20429, "Too Many Requests", 429), {}, ErrorKind::rate_limited},
      {"20429 on 400",
       400,
       twilio_error(20429, "Too Many Requests", 400),
       {},
       ErrorKind::rate_limited},
      {"500", 500, twilio_error(20500, "Internal Server Error", 500), {}, ErrorKind::unavailable},
      {"503 empty", 503, "", {}, ErrorKind::unavailable},
      {"502 html",
       502,
       "<html><body><h1>502 Bad Gateway</h1></body></html>",
       {{"Content-Type", "text/html"}},
       ErrorKind::unavailable},
      {"400 other",
       400,
       twilio_error(21421, "PhoneNumber is invalid", 400),
       {},
       ErrorKind::provider},
      {"409", 409, twilio_error(21218, "Invalid ApplicationSid", 409), {}, ErrorKind::provider},
      {"400 html", 400, "<html>Bad Request</html>", {}, ErrorKind::provider},
  };
  for (const auto& one : cases) {
    SCOPED_TRACE(one.name);
    m_http.push_response(one.status, one.body, one.headers);
    Error error = error_of([&] { (void)m_provider->find_owned("+12125550101"); });
    EXPECT_EQ(error.kind(), one.kind);
    EXPECT_THAT(error.what(), HasSubstr("look up +12125550101"));
    ASSERT_TRUE(error.provider_detail().has_value());
    EXPECT_EQ(error.provider_detail()->http_status, one.status);
    EXPECT_EQ(error.provider_detail()->provider, "twilio");
  }
}

TEST_F(TwilioProviderTest, AuthFailureSaysWhichVariablesToCheck) {
  m_http.push_response(401, twilio_error(20003, "Authenticate", 401));
  Error error = error_of([&] { (void)m_provider->list_owned(); });
  EXPECT_EQ(error.kind(), ErrorKind::auth);
  EXPECT_EQ(
      error.hint(),
      "check TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET");
  EXPECT_STREQ(error.what(),
               "Twilio refused to list owned numbers: Authenticate (Twilio error 20003)");
}

TEST_F(TwilioProviderTest, NonJsonBadGatewayStillMapsByStatus) {
  m_http.push_response(502, "<html><body><h1>502 Bad Gateway</h1></body></html>",
                       {{"Content-Type", "text/html"}});
  Error error = error_of([&] { (void)m_provider->buy("+12125550101", "vami:main:op-5"); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  EXPECT_STREQ(error.what(),
               "Twilio could not buy +12125550101: HTTP 502 with a body that is not JSON");
  ASSERT_TRUE(error.provider_detail().has_value());
  EXPECT_EQ(error.provider_detail()->http_status, 502);
  EXPECT_EQ(error.provider_detail()->code, "");
}

TEST_F(TwilioProviderTest, RateLimitKeepsRetryAfterInSeconds) {
  m_http.push_response(429, twilio_error(20429, "Too Many Requests", 429),
                       {{"Retry-After", "7"}, {"Twilio-Request-Id", "RQ429"}});
  Error error = error_of([&] { (void)m_provider->search_available(NumberSearch{}); });
  EXPECT_EQ(error.kind(), ErrorKind::rate_limited);
  ASSERT_TRUE(error.retry_after_seconds().has_value());
  EXPECT_DOUBLE_EQ(*error.retry_after_seconds(), 7.0);
  EXPECT_EQ(error.provider_detail()->request_id, "RQ429");
  EXPECT_EQ(error.provider_detail()->code, "20429");
}

TEST_F(TwilioProviderTest, RateLimitReadsRetryAfterAsAnHttpDate) {
  std::time_t later = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                           std::chrono::hours(1));
  std::tm utc{};
  gmtime_r(&later, &utc);
  char date[64] = {};
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &utc);

  m_http.push_response(429, twilio_error(20429, "Too Many Requests", 429), {{"Retry-After", date}});
  Error error = error_of([&] { (void)m_provider->search_available(NumberSearch{}); });
  EXPECT_EQ(error.kind(), ErrorKind::rate_limited);
  ASSERT_TRUE(error.retry_after_seconds().has_value()) << date;
  EXPECT_GT(*error.retry_after_seconds(), 3000.0);
  EXPECT_LE(*error.retry_after_seconds(), 3601.0);

  m_http.push_response(429, "", {{"Retry-After", "Thu, 01 Jan 2015 00:00:00 GMT"}});
  error = error_of([&] { (void)m_provider->search_available(NumberSearch{}); });
  ASSERT_TRUE(error.retry_after_seconds().has_value());
  EXPECT_EQ(*error.retry_after_seconds(), 0.0) << "a date in the past means now";

  m_http.push_response(429, "", {{"Retry-After", "soon"}});
  error = error_of([&] { (void)m_provider->search_available(NumberSearch{}); });
  EXPECT_FALSE(error.retry_after_seconds().has_value());
}

TEST_F(TwilioProviderTest, FaultyTransportAndInjectedFaultsMapLikeRealOnes) {
  m_http.fail_at(1, test::HttpFault::rate_limited);
  m_http.fail_at(2, test::HttpFault::connection_refused);
  m_http.push_response(200, R"({"available_phone_numbers": []})");
  EXPECT_EQ(error_of([&] { (void)m_provider->search_available(NumberSearch{}); }).kind(),
            ErrorKind::rate_limited);
  EXPECT_EQ(error_of([&] { (void)m_provider->search_available(NumberSearch{}); }).kind(),
            ErrorKind::unavailable);
  EXPECT_TRUE(m_provider->search_available(NumberSearch{}).empty());
}

TEST_F(TwilioProviderTest, CredentialsNeverAppearInErrors) {
  std::string authorization = http::basic_authorization(k_account_sid, k_auth_token);
  std::vector<http::HttpResponse> answers = {
      {401, {}, twilio_error(20003, "Authenticate", 401)},
      {500, {}, "oops"},
      {200, {}, "not json"},
      {400, {}, twilio_error(21421, "PhoneNumber is invalid", 400)},
  };
  for (const auto& answer : answers) {
    m_http.push_response(answer);
    Error error = error_of([&] { (void)m_provider->buy("+12125550101", "tag"); });
    std::string everything = std::string(error.what()) + error.hint();
    if (error.provider_detail()) {
      everything += error.provider_detail()->message + error.provider_detail()->more_info;
    }
    EXPECT_THAT(everything, Not(HasSubstr(k_auth_token)));
    EXPECT_THAT(everything, Not(HasSubstr(authorization.substr(6))));
  }
}

TEST(TwilioProvider, NameIsTwilio) {
  test::FakeHttpClient http;
  auto provider = make_twilio_provider(TwilioConfig{}, http);
  EXPECT_EQ(provider->name(), "twilio");
}

} // namespace
} // namespace vami::twilio
