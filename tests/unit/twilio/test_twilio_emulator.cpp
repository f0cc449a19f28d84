// The Twilio emulator (providers/twilio/emulator), driven through the sandbox's handle() with
// real HttpRequests, checked against the wire format of Twilio's API documents.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <latch>
#include <locale>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "twilio_emulator_client.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace {

using namespace vami::sandbox_testing::twilio; // NOLINT(google-build-using-namespace)

TEST_F(SandboxTest, CredentialsHaveTwilioShapes) {
  auto credentials = m_emulator->credentials();
  EXPECT_TRUE(is_hex_id(credentials.account_sid, "AC")) << credentials.account_sid;
  EXPECT_TRUE(is_hex_id(credentials.auth_token, "")) << credentials.auth_token;
}

TEST_F(SandboxTest, WrongCredentialsGetTwilios401) {
  auto credentials = m_emulator->credentials();
  m_client.set_authorization(vami::http::basic_authorization(credentials.account_sid, "wrong"));
  HttpResponse response = m_client.search("US", "Local", {{"AreaCode", "212"}});
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(json::parse(response.body),
            json::parse(R"({"code":20003,"message":"Authenticate","more_info":)"
                        R"("https://www.twilio.com/docs/errors/20003","status":401})"));
  EXPECT_TRUE(is_hex_id(response.header("Twilio-Request-Id"), "RQ"));
  EXPECT_NE(response.header("Content-Type").find("application/json"), std::string::npos);

  m_client.set_authorization("");
  expect_twilio_error(m_client.get(m_client.account_path() + "/IncomingPhoneNumbers.json"), 401,
                      20003);
}

TEST_F(SandboxTest, TheAccountsApiKeyAuthenticatesAndItsWrongSecretDoesNot) {
  auto credentials = m_emulator->credentials();
  EXPECT_TRUE(is_hex_id(credentials.api_key_sid, "SK")) << credentials.api_key_sid;
  EXPECT_TRUE(is_hex_id(credentials.api_key_secret, "")) << credentials.api_key_secret;
  m_client.set_authorization(
      vami::http::basic_authorization(credentials.api_key_sid, credentials.api_key_secret));
  EXPECT_EQ(m_client.search("US", "Local", {{"AreaCode", "212"}}).status, 200);
  m_client.set_authorization(
      vami::http::basic_authorization(credentials.api_key_sid, credentials.auth_token));
  expect_twilio_error(m_client.search("US", "Local", {{"AreaCode", "212"}}), 401, 20003);
  // Derived from the auth token, the key is the same when the state file is reopened.
  auto reopened = vami::sandbox::open_sandbox(m_dir.path() / "sandbox.db");
  EXPECT_EQ(reopened->credentials().api_key_sid, credentials.api_key_sid);
  EXPECT_EQ(reopened->credentials().api_key_secret, credentials.api_key_secret);
}

TEST_F(SandboxTest, AnotherAccountSidInThePathGets401) {
  HttpResponse response = m_client.get(
      "/2010-04-01/Accounts/AC00000000000000000000000000000000/IncomingPhoneNumbers.json");
  expect_twilio_error(response, 401, 20003);
}

TEST_F(SandboxTest, EveryResponseHasARequestIdAndJsonType) {
  HttpResponse first = m_client.get(m_client.account_path() + "/IncomingPhoneNumbers.json");
  HttpResponse second = m_client.get("/no/such/path");
  for (const HttpResponse* response : {&first, &second}) {
    EXPECT_TRUE(is_hex_id(response->header("Twilio-Request-Id"), "RQ"));
    EXPECT_NE(response->header("Content-Type").find("application/json"), std::string::npos);
  }
  EXPECT_NE(first.header("Twilio-Request-Id"), second.header("Twilio-Request-Id"));
}

TEST_F(SandboxTest, SearchByAreaCodeReturnsValidNewYorkNumbersWithTheSchemasFields) {
  HttpResponse response = m_client.search("US", "Local", {{"AreaCode", "212"}});
  ASSERT_EQ(response.status, 200) << response.body;
  json body = json::parse(response.body);
  EXPECT_TRUE(body.at("next_page_uri").is_null());
  const json& numbers = body.at("available_phone_numbers");
  ASSERT_GE(numbers.size(), 1U);
  ASSERT_LE(numbers.size(), 30U);
  const std::set<std::string> schema_fields = {"friendly_name",
                                               "phone_number",
                                               "lata",
                                               "locality",
                                               "rate_center",
                                               "latitude",
                                               "longitude",
                                               "region",
                                               "postal_code",
                                               "iso_country",
                                               "address_requirements",
                                               "beta",
                                               "capabilities"};
  std::set<std::string> seen;
  for (const json& number : numbers) {
    std::set<std::string> fields;
    for (const auto& item : number.items()) {
      fields.insert(item.key());
    }
    EXPECT_EQ(fields, schema_fields);
    std::string e164 = number.at("phone_number").get<std::string>();
    EXPECT_TRUE(vami::is_e164(e164)) << e164;
    EXPECT_EQ(e164.substr(0, 5), "+1212");
    EXPECT_TRUE(seen.insert(e164).second) << "duplicate " << e164;
    EXPECT_EQ(number.at("friendly_name"), vami::format_national(e164));
    EXPECT_EQ(number.at("locality"), "New York");
    EXPECT_EQ(number.at("rate_center"), "NEW YORK");
    EXPECT_EQ(number.at("region"), "NY");
    EXPECT_EQ(number.at("iso_country"), "US");
    EXPECT_EQ(number.at("address_requirements"), "none");
    EXPECT_EQ(number.at("beta"), false);
    EXPECT_EQ(number.at("capabilities").at("voice"), true);
    EXPECT_TRUE(number.at("latitude").is_string());
    EXPECT_TRUE(number.at("longitude").is_string());
  }
}

TEST_F(SandboxTest, SearchIsDeterministicAcrossStateFiles) {
  std::vector<std::string> first = m_client.search_numbers("US", "Local", {{"AreaCode", "212"}});
  std::vector<std::string> again = m_client.search_numbers("US", "Local", {{"AreaCode", "212"}});
  auto other = vami::sandbox::open_sandbox(m_dir.path() / "other.db");
  Client other_client(*other);
  std::vector<std::string> elsewhere =
      other_client.search_numbers("US", "Local", {{"AreaCode", "212"}});
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, again);
  EXPECT_EQ(first, elsewhere);
}

TEST_F(SandboxTest, PageSizeLimitsTheSearchAndThirtyIsTheMaximum) {
  EXPECT_EQ(m_client.search_numbers("US", "Local", {{"AreaCode", "212"}, {"PageSize", "5"}}).size(),
            5U);
  EXPECT_EQ(m_client.search_numbers("US", "Local", {{"AreaCode", "212"}}).size(), 30U);
  EXPECT_EQ(
      m_client.search_numbers("US", "Local", {{"AreaCode", "212"}, {"PageSize", "1000"}}).size(),
      30U);
}

TEST_F(SandboxTest, ContainsAnchoredAtTheEndMatchesTheLastDigits) {
  for (const char* pattern : {"01$", "00$", "99$"}) {
    std::vector<std::string> numbers =
        m_client.search_numbers("US", "Local", {{"AreaCode", "212"}, {"Contains", pattern}});
    ASSERT_FALSE(numbers.empty()) << pattern;
    for (const std::string& number : numbers) {
      EXPECT_EQ(number.substr(number.size() - 2), std::string(pattern).substr(0, 2)) << number;
    }
  }
  // Partitions by the last two digits gather disjoint candidates.
  std::set<std::string> all;
  std::size_t total = 0;
  for (int i = 0; i < 10; ++i) {
    std::string pattern = "0" + std::to_string(i) + "$";
    auto numbers =
        m_client.search_numbers("US", "Local", {{"AreaCode", "212"}, {"Contains", pattern}});
    total += numbers.size();
    all.insert(numbers.begin(), numbers.end());
  }
  EXPECT_EQ(all.size(), total);
  EXPECT_GT(total, 30U);
}

// A 1,000-number buy partitions its search by the last two digits: in a metropolitan area code
// each partition fills Twilio's page, as Twilio's own inventory does, and patterns that end in
// a wildcard still reach every ending.
TEST_F(SandboxTest, APartitionOfAnAreaCodeFillsAPageAndWholeSearchesSeeEveryEnding) {
  for (const char* pattern : {"07$", "%07$", "+1212%07$"}) {
    std::vector<std::string> numbers =
        m_client.search_numbers("US", "Local", {{"AreaCode", "212"}, {"Contains", pattern}});
    EXPECT_EQ(numbers.size(), 30U) << pattern;
    for (const std::string& number : numbers) {
      EXPECT_EQ(number.substr(number.size() - 2), "07") << pattern << ": " << number;
    }
  }
  std::set<char> tens;
  for (const std::string& number :
       m_client.search_numbers("US", "Local", {{"AreaCode", "212"}, {"Contains", "0*$"}})) {
    EXPECT_EQ(number[number.size() - 2], '0') << number;
    tens.insert(number.back());
  }
  EXPECT_GT(tens.size(), 5U);
  std::set<std::string> endings;
  for (const std::string& number : m_client.search_numbers("US", "Local", {{"AreaCode", "212"}})) {
    endings.insert(number.substr(number.size() - 2));
  }
  EXPECT_GT(endings.size(), 20U);
  // Country-wide, a partition is gathered across area codes.
  for (const std::string& number : m_client.search_numbers("US", "Local", {{"Contains", "42$"}})) {
    EXPECT_EQ(number.substr(number.size() - 2), "42") << number;
  }
}

TEST_F(SandboxTest, ContainsWildcardsLettersAndStartAnchor) {
  for (const std::string& number :
       m_client.search_numbers("US", "Local", {{"Contains", "+1907"}})) {
    EXPECT_EQ(number.substr(0, 5), "+1907");
  }
  EXPECT_FALSE(m_client.search_numbers("US", "Local", {{"Contains", "+1907"}}).empty());
  // "+212" anchors the national number; "*" is one character.
  for (const std::string& number :
       m_client.search_numbers("US", "Local", {{"Contains", "+212*0"}})) {
    EXPECT_EQ(number.substr(2, 3), "212");
    EXPECT_EQ(number[6], '0') << number;
  }
  // Letters are keypad digits: "JO" is 56.
  auto lettered = m_client.search_numbers("US", "Local", {{"AreaCode", "212"}, {"Contains", "JO"}});
  ASSERT_FALSE(lettered.empty());
  for (const std::string& number : lettered) {
    EXPECT_NE(number.find("56"), std::string::npos) << number;
  }
  // "%" is any sequence.
  for (const std::string& number :
       m_client.search_numbers("US", "Local", {{"AreaCode", "212"}, {"Contains", "+1212%9$"}})) {
    EXPECT_EQ(number.back(), '9');
  }
}

TEST_F(SandboxTest, InRegionFiltersCanadianProvinces) {
  HttpResponse response = m_client.search("CA", "Local", {{"InRegion", "ON"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json numbers = json::parse(response.body).at("available_phone_numbers");
  ASSERT_FALSE(numbers.empty());
  for (const json& number : numbers) {
    EXPECT_EQ(number.at("region"), "ON");
    EXPECT_EQ(number.at("iso_country"), "CA");
    EXPECT_EQ(vami::region_of(number.at("phone_number").get<std::string>()), "CA");
  }
}

TEST_F(SandboxTest, InLocalityAndInPostalCodeFilter) {
  HttpResponse response = m_client.search("US", "Local", {{"InLocality", "new york"}});
  ASSERT_EQ(response.status, 200);
  const json numbers = json::parse(response.body).at("available_phone_numbers");
  ASSERT_FALSE(numbers.empty());
  for (const json& number : numbers) {
    EXPECT_EQ(number.at("locality"), "New York");
  }
  std::string postal_code = numbers.front().at("postal_code").get<std::string>();
  const json by_postal_code =
      json::parse(m_client.search("US", "Local", {{"InPostalCode", postal_code}}).body);
  ASSERT_FALSE(by_postal_code.at("available_phone_numbers").empty());
  for (const json& number : by_postal_code.at("available_phone_numbers")) {
    EXPECT_EQ(number.at("postal_code"), postal_code);
  }
}

TEST_F(SandboxTest, AnAreaCodeNotInServiceIsAnEmptyList) {
  HttpResponse response = m_client.search("US", "Local", {{"AreaCode", "999"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(json::parse(response.body).at("available_phone_numbers").empty());
}

TEST_F(SandboxTest, TypesACountryLacksAndUnknownCountriesAre404) {
  HttpResponse mobile = m_client.search("US", "Mobile", {});
  expect_twilio_error(mobile, 404, 20404);
  EXPECT_EQ(json::parse(mobile.body).at("message"),
            "The requested resource " + m_client.account_path() +
                "/AvailablePhoneNumbers/US/Mobile.json was not found");
  expect_twilio_error(m_client.search("ZZ", "Local", {}), 404, 20404);
}

TEST_F(SandboxTest, TollFreeAndGreatBritainInventories) {
  HttpResponse toll_free = m_client.search("US", "TollFree", {});
  ASSERT_EQ(toll_free.status, 200);
  const json free_numbers = json::parse(toll_free.body).at("available_phone_numbers");
  ASSERT_FALSE(free_numbers.empty());
  for (const json& number : free_numbers) {
    std::string e164 = number.at("phone_number").get<std::string>();
    EXPECT_TRUE(vami::is_e164(e164));
    EXPECT_EQ(e164.substr(0, 3), "+18");
    EXPECT_TRUE(number.at("locality").is_null());
    EXPECT_TRUE(number.at("region").is_null());
  }
  for (const char* type : {"Local", "Mobile"}) {
    std::vector<std::string> numbers = m_client.search_numbers("GB", type, {});
    ASSERT_FALSE(numbers.empty()) << type;
    for (const std::string& e164 : numbers) {
      EXPECT_TRUE(vami::is_e164(e164)) << e164;
      EXPECT_EQ(vami::region_of(e164), "GB");
    }
  }
  const json london = json::parse(m_client.search("GB", "Local", {{"AreaCode", "20"}}).body);
  ASSERT_FALSE(london.at("available_phone_numbers").empty());
  EXPECT_EQ(london.at("available_phone_numbers").front().at("locality"), "London");
}

TEST_F(SandboxTest, BuyingASearchedNumberTakesItOutOfTheInventory) {
  std::vector<std::string> found = m_client.search_numbers("US", "Local", {{"AreaCode", "212"}});
  ASSERT_FALSE(found.empty());
  const std::string number = found.front();
  HttpResponse bought = m_client.buy({{"PhoneNumber", number},
                                      {"FriendlyName", "vami:main:op-1"},
                                      {"VoiceUrl", "https://a.test/v"}});
  ASSERT_EQ(bought.status, 201) << bought.body;
  json body = json::parse(bought.body);
  EXPECT_EQ(body.at("phone_number"), number);
  EXPECT_EQ(body.at("friendly_name"), "vami:main:op-1");
  EXPECT_EQ(body.at("voice_url"), "https://a.test/v");
  EXPECT_EQ(body.at("voice_method"), "POST");
  EXPECT_EQ(body.at("account_sid"), m_emulator->credentials().account_sid);
  EXPECT_EQ(body.at("api_version"), "2010-04-01");
  EXPECT_EQ(body.at("status"), "in-use");
  EXPECT_EQ(body.at("origin"), "twilio");
  EXPECT_EQ(body.at("type"), "local");
  std::string sid = body.at("sid").get<std::string>();
  EXPECT_TRUE(is_hex_id(sid, "PN")) << sid;
  EXPECT_EQ(body.at("uri"), m_client.number_path(sid));
  EXPECT_TRUE(is_rfc2822_utc(body.at("date_created").get<std::string>()))
      << body.at("date_created");
  EXPECT_EQ(body.at("date_updated"), body.at("date_created"));
  EXPECT_TRUE(body.at("capabilities").at("voice").get<bool>());

  HttpResponse again = m_client.buy({{"PhoneNumber", number}});
  expect_twilio_error(again, 400, 21422);
  EXPECT_EQ(json::parse(again.body).at("message"), "PhoneNumber requested is not available");

  std::vector<std::string> after = m_client.search_numbers("US", "Local", {{"AreaCode", "212"}});
  EXPECT_EQ(std::count(after.begin(), after.end(), number), 0);
  EXPECT_EQ(after.size(), found.size());
}

TEST_F(SandboxTest, BuyingByAreaCodeGetsANumberThereWithTheDefaultFriendlyName) {
  HttpResponse bought = m_client.buy({{"AreaCode", "212"}});
  ASSERT_EQ(bought.status, 201) << bought.body;
  json body = json::parse(bought.body);
  std::string e164 = body.at("phone_number").get<std::string>();
  EXPECT_EQ(e164.substr(0, 5), "+1212");
  EXPECT_EQ(body.at("friendly_name"), vami::format_national(e164));
  HttpResponse second = m_client.buy({{"AreaCode", "212"}});
  ASSERT_EQ(second.status, 201);
  EXPECT_NE(json::parse(second.body).at("phone_number"), e164);
}

TEST_F(SandboxTest, PurchaseErrors) {
  expect_twilio_error(m_client.buy({}), 400, 21450);
  // 555 exchanges are never in the inventory.
  expect_twilio_error(m_client.buy({{"PhoneNumber", "+12125550100"}}), 400, 21422);
  expect_twilio_error(m_client.buy({{"PhoneNumber", "not a number"}}), 400, 21421);
  expect_twilio_error(m_client.buy({{"AreaCode", "999"}}), 400, 21452);
  expect_twilio_error(m_client.buy({{"AreaCode", "212"}, {"FriendlyName", std::string(65, 'x')}}),
                      400, 20002);
  expect_twilio_error(m_client.buy({{"AreaCode", "212"}, {"VoiceMethod", "PUT"}}), 400, 21209);
  // None of the failures bought anything.
  json list =
      json::parse(m_client.get(m_client.account_path() + "/IncomingPhoneNumbers.json").body);
  EXPECT_TRUE(list.at("incoming_phone_numbers").empty());
}

TEST_F(SandboxTest, ListingPagesFollowNextPageUriToTheEnd) {
  std::set<std::string> bought;
  for (int i = 0; i < 5; ++i) {
    HttpResponse response = m_client.buy({{"AreaCode", "415"}, {"FriendlyName", "pool"}});
    ASSERT_EQ(response.status, 201) << response.body;
    bought.insert(json::parse(response.body).at("sid").get<std::string>());
  }
  std::vector<std::string> listed;
  std::string path = m_client.account_path() + "/IncomingPhoneNumbers.json?PageSize=2";
  int pages = 0;
  while (!path.empty()) {
    ASSERT_LT(++pages, 10);
    HttpResponse response = m_client.get(path);
    ASSERT_EQ(response.status, 200) << response.body;
    json body = json::parse(response.body);
    EXPECT_EQ(body.at("page"), pages - 1);
    EXPECT_EQ(body.at("page_size"), 2);
    EXPECT_EQ(body.at("start"), (pages - 1) * 2);
    EXPECT_EQ(body.at("previous_page_uri").is_null(), pages == 1);
    EXPECT_NE(body.at("first_page_uri").get<std::string>().find("Page=0"), std::string::npos);
    for (const json& number : body.at("incoming_phone_numbers")) {
      listed.push_back(number.at("sid").get<std::string>());
    }
    if (body.at("next_page_uri").is_null()) {
      path.clear();
    } else {
      path = body.at("next_page_uri").get<std::string>();
      EXPECT_EQ(path.rfind(m_client.account_path() + "/IncomingPhoneNumbers.json?", 0), 0U);
      EXPECT_NE(path.find("PageToken="), std::string::npos);
    }
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(listed.size(), 5U);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), bought);
}

TEST_F(SandboxTest, ListFiltersByPhoneNumberAndFriendlyName) {
  HttpResponse first = m_client.buy({{"AreaCode", "212"}, {"FriendlyName", "alpha"}});
  HttpResponse second = m_client.buy({{"AreaCode", "415"}, {"FriendlyName", "beta"}});
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(second.status, 201);
  std::string number = json::parse(first.body).at("phone_number").get<std::string>();
  auto list = [&](const Fields& query) {
    HttpResponse response = m_client.get(m_client.account_path() + "/IncomingPhoneNumbers.json?" +
                                         vami::http::form_encode(query));
    EXPECT_EQ(response.status, 200);
    return json::parse(response.body).at("incoming_phone_numbers");
  };
  json by_number = list({{"PhoneNumber", number}});
  ASSERT_EQ(by_number.size(), 1U);
  EXPECT_EQ(by_number.front().at("phone_number"), number);
  json by_name = list({{"FriendlyName", "beta"}});
  ASSERT_EQ(by_name.size(), 1U);
  EXPECT_EQ(by_name.front().at("friendly_name"), "beta");
  EXPECT_TRUE(list({{"FriendlyName", "gamma"}}).empty());
}

TEST_F(SandboxTest, UpdateFetchAndDelete) {
  HttpResponse bought = m_client.buy({{"AreaCode", "212"}});
  ASSERT_EQ(bought.status, 201);
  std::string sid = json::parse(bought.body).at("sid").get<std::string>();
  std::string path = m_client.number_path(sid);

  HttpResponse updated = m_client.post(path, {{"VoiceUrl", "https://agents.test/voice"},
                                              {"VoiceMethod", "GET"},
                                              {"StatusCallback", "https://agents.test/status"}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  json fetched = json::parse(m_client.get(path).body);
  EXPECT_EQ(fetched.at("voice_url"), "https://agents.test/voice");
  EXPECT_EQ(fetched.at("voice_method"), "GET");
  EXPECT_EQ(fetched.at("status_callback"), "https://agents.test/status");
  EXPECT_EQ(fetched.at("sid"), sid);

  expect_twilio_error(m_client.post(path, {{"VoiceMethod", "PUT"}}), 400, 21209);
  EXPECT_EQ(json::parse(m_client.get(path).body).at("voice_method"), "GET");

  ASSERT_EQ(m_client.post(path, {{"VoiceUrl", ""}}).status, 200);
  EXPECT_TRUE(json::parse(m_client.get(path).body).at("voice_url").is_null());

  HttpResponse deleted = m_client.send("DELETE", path);
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  HttpResponse gone = m_client.get(path);
  expect_twilio_error(gone, 404, 20404);
  EXPECT_EQ(json::parse(gone.body).at("message"),
            "The requested resource " + path + " was not found");
  expect_twilio_error(m_client.send("DELETE", path), 404, 20404);
  expect_twilio_error(m_client.post(path, {{"VoiceUrl", "https://x.test"}}), 404, 20404);
}

TEST_F(SandboxTest, UnknownPathsAndMethods) {
  expect_twilio_error(m_client.get("/2010-04-01/Accounts/" + m_emulator->credentials().account_sid +
                                   "/Calls/Unknown/Thing.json"),
                      404, 20404);
  expect_twilio_error(m_client.get("/favicon.ico"), 404, 20404);
  expect_twilio_error(m_client.send("PUT", m_client.account_path() + "/IncomingPhoneNumbers.json"),
                      405, 20004);
  expect_twilio_error(m_client.send("DELETE", "/v1/PhoneNumbers/Countries/US"), 405, 20004);
}

TEST_F(SandboxTest, PricingFollowsThePricingV1Shape) {
  HttpResponse response = m_client.get("/v1/PhoneNumbers/Countries/US");
  ASSERT_EQ(response.status, 200) << response.body;
  json body = json::parse(response.body);
  EXPECT_EQ(body.at("country"), "United States");
  EXPECT_EQ(body.at("iso_country"), "US");
  EXPECT_EQ(body.at("price_unit"), "USD");
  EXPECT_EQ(body.at("url"), std::string(k_origin) + "/v1/PhoneNumbers/Countries/US");
  std::map<std::string, std::string> prices;
  for (const json& price : body.at("phone_number_prices")) {
    EXPECT_EQ(price.at("base_price"), price.at("current_price"));
    prices[price.at("number_type").get<std::string>()] =
        price.at("current_price").get<std::string>();
  }
  EXPECT_EQ(prices, (std::map<std::string, std::string>{{"local", "1.15"}, {"toll free", "2.15"}}));
  json gb = json::parse(m_client.get("/v1/PhoneNumbers/Countries/GB").body);
  EXPECT_EQ(gb.at("phone_number_prices").size(), 3U);
  expect_twilio_error(m_client.get("/v1/PhoneNumbers/Countries/FR"), 404, 20404);
}

TEST_F(SandboxTest, AccountFetch) {
  HttpResponse response = m_client.get(m_client.account_path() + ".json");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body).at("sid"), m_emulator->credentials().account_sid);
}

TEST(SandboxState, TwoBuyersOfOneNumberGetOne201AndOne21422) {
  TempDir dir;
  fs::path file = dir.path() / "state.db";
  // Two emulators on one file stand for two processes; two threads share the first one too.
  auto first = vami::sandbox::open_sandbox(file);
  auto second = vami::sandbox::open_sandbox(file);
  Client lister(*first);
  std::vector<std::string> numbers = lister.search_numbers("US", "Local", {{"AreaCode", "646"}});
  ASSERT_GE(numbers.size(), 6U);
  for (std::size_t round = 0; round < 6; ++round) {
    vami::sandbox::SandboxEmulator& other = round % 2 == 0 ? *second : *first;
    std::latch start(2);
    auto buy = [&](vami::sandbox::SandboxEmulator& emulator) {
      Client client(emulator);
      start.arrive_and_wait();
      return client.buy({{"PhoneNumber", numbers[round]}});
    };
    auto a = std::async(std::launch::async, buy, std::ref(*first));
    auto b = std::async(std::launch::async, buy, std::ref(other));
    std::vector<HttpResponse> responses = {a.get(), b.get()};
    int created = 0;
    int refused = 0;
    for (const HttpResponse& response : responses) {
      if (response.status == 201) {
        ++created;
      } else {
        expect_twilio_error(response, 400, 21422);
        ++refused;
      }
    }
    EXPECT_EQ(created, 1) << "round " << round;
    EXPECT_EQ(refused, 1) << "round " << round;
  }
  json list = json::parse(lister.get(lister.account_path() + "/IncomingPhoneNumbers.json").body);
  EXPECT_EQ(list.at("incoming_phone_numbers").size(), 6U);
}

} // namespace
