// The sandbox's Twilio IncomingPhoneNumbers settings and the resources around them
// (IncomingPhoneNumbers/{Local,TollFree,Mobile}.json, AvailablePhoneNumbers countries, Pricing
// countries), as twilio_api_v2010.json and twilio_pricing_v1.json document them.

#include <set>
#include <string>
#include <vector>

#include "twilio_emulator_client.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

namespace {

using namespace vami::sandbox_testing::twilio; // NOLINT(google-build-using-namespace)

const std::vector<std::string> k_uri_members = {"voice_url", "voice_fallback_url",
                                                "status_callback", "sms_url", "sms_fallback_url"};
const std::vector<std::string> k_sid_members = {
    "voice_application_sid", "sms_application_sid",   "trunk_sid", "identity_sid",
    "address_sid",           "emergency_address_sid", "bundle_sid"};

// Every documented setting with a value other than its default.
const Fields k_every_setting = {{"VoiceUrl", "https://agents.test/voice"},
                                {"VoiceMethod", "GET"},
                                {"VoiceFallbackUrl", "https://agents.test/fallback"},
                                {"VoiceFallbackMethod", "GET"},
                                {"VoiceCallerIdLookup", "true"},
                                {"StatusCallback", "https://agents.test/status"},
                                {"StatusCallbackMethod", "GET"},
                                {"SmsUrl", "https://agents.test/sms"},
                                {"SmsMethod", "GET"},
                                {"SmsFallbackUrl", "https://agents.test/sms-fallback"},
                                {"SmsFallbackMethod", "GET"},
                                {"ApiVersion", "2008-08-01"},
                                {"VoiceReceiveMode", "fax"}};

void expect_every_setting(const json& number) {
  EXPECT_EQ(number.at("voice_url"), "https://agents.test/voice");
  EXPECT_EQ(number.at("voice_method"), "GET");
  EXPECT_EQ(number.at("voice_fallback_url"), "https://agents.test/fallback");
  EXPECT_EQ(number.at("voice_fallback_method"), "GET");
  EXPECT_EQ(number.at("voice_caller_id_lookup"), true);
  EXPECT_EQ(number.at("status_callback"), "https://agents.test/status");
  EXPECT_EQ(number.at("status_callback_method"), "GET");
  EXPECT_EQ(number.at("sms_url"), "https://agents.test/sms");
  EXPECT_EQ(number.at("sms_method"), "GET");
  EXPECT_EQ(number.at("sms_fallback_url"), "https://agents.test/sms-fallback");
  EXPECT_EQ(number.at("sms_fallback_method"), "GET");
  EXPECT_EQ(number.at("api_version"), "2008-08-01");
  EXPECT_EQ(number.at("voice_receive_mode"), "fax");
}

std::string sid_of(const HttpResponse& response) {
  return json::parse(response.body).at("sid").get<std::string>();
}

TEST_F(SandboxTest, ANewNumberHasTheDocumentedDefaultsAndNullUris) {
  HttpResponse bought = m_client.buy({{"AreaCode", "212"}});
  ASSERT_EQ(bought.status, 201) << bought.body;
  json number = json::parse(bought.body);
  for (const std::string& member : k_uri_members) {
    EXPECT_TRUE(number.at(member).is_null()) << member << ": " << number.at(member);
  }
  for (const std::string& member : k_sid_members) {
    EXPECT_TRUE(number.at(member).is_null()) << member;
  }
  for (const char* member : {"voice_method", "voice_fallback_method", "status_callback_method",
                             "sms_method", "sms_fallback_method"}) {
    EXPECT_EQ(number.at(member), "POST") << member;
  }
  EXPECT_EQ(number.at("voice_caller_id_lookup"), false);
  EXPECT_EQ(number.at("api_version"), "2010-04-01");
  EXPECT_EQ(number.at("voice_receive_mode"), "voice");
  EXPECT_EQ(number.at("emergency_status"), "Inactive");
}

TEST_F(SandboxTest, EveryDocumentedSettingIsStoredOnCreateAndUpdate) {
  Fields create = k_every_setting;
  create.emplace_back("AreaCode", "212");
  HttpResponse bought = m_client.buy(create);
  ASSERT_EQ(bought.status, 201) << bought.body;
  expect_every_setting(json::parse(bought.body));
  std::string path = m_client.number_path(sid_of(bought));
  expect_every_setting(json::parse(m_client.get(path).body));

  HttpResponse plain = m_client.buy({{"AreaCode", "212"}});
  std::string plain_path = m_client.number_path(sid_of(plain));
  HttpResponse updated = m_client.post(plain_path, k_every_setting);
  ASSERT_EQ(updated.status, 200) << updated.body;
  expect_every_setting(json::parse(updated.body));
  expect_every_setting(json::parse(m_client.get(plain_path).body));

  // An empty URI clears it: null again, not "".
  Fields clear;
  for (const char* name :
       {"VoiceUrl", "VoiceFallbackUrl", "StatusCallback", "SmsUrl", "SmsFallbackUrl"}) {
    clear.emplace_back(name, "");
  }
  ASSERT_EQ(m_client.post(plain_path, clear).status, 200);
  json cleared = json::parse(m_client.get(plain_path).body);
  for (const std::string& member : k_uri_members) {
    EXPECT_TRUE(cleared.at(member).is_null()) << member;
  }
  EXPECT_EQ(cleared.at("sms_method"), "GET"); // what was not sent stays
}

TEST_F(SandboxTest, RefusedSettingsAreTwilios400AndChangeNothing) {
  HttpResponse bought = m_client.buy({{"AreaCode", "212"}, {"SmsUrl", "https://a.test/sms"}});
  ASSERT_EQ(bought.status, 201) << bought.body;
  std::string path = m_client.number_path(sid_of(bought));
  const std::string hex32(32, 'a');
  const std::vector<std::pair<Fields, int>> refused = {
      {{{"SmsMethod", "PUT"}}, 21209},
      {{{"VoiceFallbackMethod", "DELETE"}}, 21209},
      {{{"SmsUrl", "not a url"}}, 21205},
      {{{"VoiceFallbackUrl", "ftp://a.test/x"}}, 21205},
      {{{"StatusCallback", "https://"}}, 21205},
      {{{"VoiceCallerIdLookup", "maybe"}}, 20001},
      {{{"ApiVersion", "2020-01-01"}}, 20001},
      {{{"VoiceReceiveMode", "video"}}, 20001},
      {{{"EmergencyStatus", "Active"}}, 20001},
      {{{"VoiceApplicationSid", "AP" + hex32}}, 20404},
      {{{"TrunkSid", "TK" + hex32}}, 20404},
      {{{"BundleSid", "XX" + hex32}}, 20001},
      {{{"AddressSid", "AD123"}}, 20001},
      // One bad field refuses the whole request: the good one is not stored either.
      {{{"VoiceUrl", "https://a.test/voice"}, {"SmsMethod", "PUT"}}, 21209},
  };
  for (const auto& [fields, code] : refused) {
    SCOPED_TRACE(fields.front().first + "=" + fields.front().second);
    expect_twilio_error(m_client.post(path, fields), 400, code);
    Fields create = fields;
    create.emplace_back("AreaCode", "212");
    expect_twilio_error(m_client.buy(create), 400, code);
  }
  json number = json::parse(m_client.get(path).body);
  EXPECT_EQ(number.at("sms_url"), "https://a.test/sms");
  EXPECT_TRUE(number.at("voice_url").is_null());
  EXPECT_EQ(number.at("sms_method"), "POST");
  // Nothing was bought by the refused creates.
  json listed =
      json::parse(m_client.get(m_client.account_path() + "/IncomingPhoneNumbers.json").body);
  EXPECT_EQ(listed.at("incoming_phone_numbers").size(), 1U);
  // Clearing a SID the number does not have is accepted.
  EXPECT_EQ(m_client.post(path, {{"TrunkSid", ""}}).status, 200);
}

TEST_F(SandboxTest, TypedResourcesListAndBuyOneTypeOfNumber) {
  std::string local = m_client.search_numbers("US", "Local", {{"AreaCode", "212"}}).at(0);
  std::string toll_free = m_client.search_numbers("US", "TollFree", {}).at(0);
  std::string mobile = m_client.search_numbers("GB", "Mobile", {}).at(0);
  const std::string base = m_client.account_path() + "/IncomingPhoneNumbers/";

  expect_twilio_error(m_client.post(base + "Local.json", {{"PhoneNumber", toll_free}}), 400, 21422);
  expect_twilio_error(m_client.post(base + "Local.json", {{"AreaCode", "212"}}), 400, 21450);
  HttpResponse bought_local =
      m_client.post(base + "Local.json", {{"PhoneNumber", local}, {"SmsUrl", "https://a.test/s"}});
  ASSERT_EQ(bought_local.status, 201) << bought_local.body;
  EXPECT_EQ(json::parse(bought_local.body).at("type"), "local");
  EXPECT_EQ(json::parse(bought_local.body).at("sms_url"), "https://a.test/s");
  ASSERT_EQ(m_client.post(base + "TollFree.json", {{"PhoneNumber", toll_free}}).status, 201);
  ASSERT_EQ(m_client.post(base + "Mobile.json", {{"PhoneNumber", mobile}}).status, 201);

  auto listed = [&](const std::string& resource, const std::string& query) {
    HttpResponse response = m_client.get(base + resource + query);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body);
  };
  json locals = listed("Local.json", "");
  ASSERT_EQ(locals.at("incoming_phone_numbers").size(), 1U);
  EXPECT_EQ(locals.at("incoming_phone_numbers").at(0).at("phone_number"), local);
  EXPECT_EQ(listed("TollFree.json", "").at("incoming_phone_numbers").at(0).at("phone_number"),
            toll_free);
  EXPECT_EQ(listed("Mobile.json", "").at("incoming_phone_numbers").at(0).at("phone_number"),
            mobile);
  EXPECT_EQ(json::parse(m_client.get(m_client.account_path() + "/IncomingPhoneNumbers.json").body)
                .at("incoming_phone_numbers")
                .size(),
            3U);
  // Pages of a typed list stay on it.
  ASSERT_EQ(m_client
                .post(base + "Local.json",
                      {{"PhoneNumber",
                        m_client.search_numbers("US", "Local", {{"AreaCode", "415"}}).at(0)}})
                .status,
            201);
  json first = listed("Local.json", "?PageSize=1");
  ASSERT_TRUE(first.at("next_page_uri").is_string());
  std::string next = first.at("next_page_uri").get<std::string>();
  EXPECT_EQ(next.rfind(base + "Local.json?", 0), 0U) << next;
  json second = json::parse(m_client.get(next).body);
  ASSERT_EQ(second.at("incoming_phone_numbers").size(), 1U);
  EXPECT_TRUE(second.at("next_page_uri").is_null());
  EXPECT_EQ(second.at("incoming_phone_numbers").at(0).at("type"), "local");

  EXPECT_TRUE(listed("Local.json", "?Beta=true").at("incoming_phone_numbers").empty());
  EXPECT_TRUE(listed("Local.json", "?Origin=hosted").at("incoming_phone_numbers").empty());
  EXPECT_EQ(listed("Local.json", "?Origin=twilio").at("incoming_phone_numbers").size(), 2U);
  expect_twilio_error(m_client.send("DELETE", base + "Local.json"), 405, 20004);
}

TEST_F(SandboxTest, AvailablePhoneNumberCountries) {
  HttpResponse response = m_client.get(m_client.account_path() + "/AvailablePhoneNumbers.json");
  ASSERT_EQ(response.status, 200) << response.body;
  json body = json::parse(response.body);
  std::set<std::string> codes;
  for (const json& country : body.at("countries")) {
    codes.insert(country.at("country_code").get<std::string>());
    EXPECT_EQ(country.at("beta"), false);
  }
  EXPECT_EQ(codes, (std::set<std::string>{"US", "CA", "GB"}));

  json us =
      json::parse(m_client.get(m_client.account_path() + "/AvailablePhoneNumbers/US.json").body);
  EXPECT_EQ(us.at("country"), "United States");
  EXPECT_EQ(us.at("uri"), m_client.account_path() + "/AvailablePhoneNumbers/US.json");
  const json& uris = us.at("subresource_uris");
  EXPECT_EQ(uris.at("local"), m_client.account_path() + "/AvailablePhoneNumbers/US/Local.json");
  EXPECT_EQ(uris.at("toll_free"),
            m_client.account_path() + "/AvailablePhoneNumbers/US/TollFree.json");
  EXPECT_FALSE(uris.contains("mobile")); // the sandbox sells no US mobile numbers
  // The listed resources answer.
  EXPECT_EQ(m_client.get(uris.at("local").get<std::string>() + "?AreaCode=212").status, 200);
  json gb =
      json::parse(m_client.get(m_client.account_path() + "/AvailablePhoneNumbers/GB.json").body);
  EXPECT_TRUE(gb.at("subresource_uris").contains("mobile"));
  expect_twilio_error(m_client.get(m_client.account_path() + "/AvailablePhoneNumbers/FR.json"), 404,
                      20404);
}

TEST_F(SandboxTest, PricingCountriesPageLikePricingV1) {
  HttpResponse first = m_client.get("/v1/PhoneNumbers/Countries?PageSize=2");
  ASSERT_EQ(first.status, 200) << first.body;
  json body = json::parse(first.body);
  ASSERT_EQ(body.at("countries").size(), 2U);
  EXPECT_EQ(body.at("meta").at("key"), "countries");
  EXPECT_EQ(body.at("meta").at("page_size"), 2);
  EXPECT_TRUE(body.at("meta").at("previous_page_url").is_null());
  std::string next = body.at("meta").at("next_page_url").get<std::string>();
  EXPECT_EQ(next.rfind(std::string(k_origin) + "/v1/PhoneNumbers/Countries?", 0), 0U) << next;
  json second = json::parse(m_client.get(next.substr(std::string(k_origin).size())).body);
  ASSERT_EQ(second.at("countries").size(), 1U);
  EXPECT_TRUE(second.at("meta").at("next_page_url").is_null());
  std::set<std::string> codes;
  for (const json& page : {body, second}) {
    for (const json& country : page.at("countries")) {
      codes.insert(country.at("iso_country").get<std::string>());
      // Each names its own price resource, which answers.
      std::string url = country.at("url").get<std::string>();
      EXPECT_EQ(m_client.get(url.substr(std::string(k_origin).size())).status, 200) << url;
    }
  }
  EXPECT_EQ(codes, (std::set<std::string>{"US", "CA", "GB"}));
}

TEST(SandboxNumberSettingsState, AnOlderStateFileGetsTheSettingsColumns) {
  TempDir dir;
  fs::path path = dir.path() / "old.db";
  { auto emulator = vami::sandbox::open_sandbox(path); }
  {
    // incoming_phone_numbers as the first emulator made it, with one number in it.
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE incoming_phone_numbers");
    db.exec("CREATE TABLE incoming_phone_numbers (sid TEXT NOT NULL UNIQUE, phone_number TEXT "
            "NOT NULL UNIQUE, friendly_name TEXT NOT NULL, voice_url TEXT NOT NULL DEFAULT '', "
            "voice_method TEXT NOT NULL DEFAULT 'POST', status_callback TEXT NOT NULL DEFAULT '', "
            "status_callback_method TEXT NOT NULL DEFAULT 'POST', iso_country TEXT NOT NULL, "
            "type TEXT NOT NULL, date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL)");
    db.exec("INSERT INTO incoming_phone_numbers (sid, phone_number, friendly_name, voice_url, "
            "iso_country, type, date_created, date_updated) VALUES ('PN" +
            std::string(32, 'b') +
            "', '+12125550123', 'old', 'https://old.test/v', 'US', 'local', 1, 1)");
  }
  auto emulator = vami::sandbox::open_sandbox(path);
  Client client(*emulator);
  std::string number_path = client.number_path("PN" + std::string(32, 'b'));
  json number = json::parse(client.get(number_path).body);
  EXPECT_EQ(number.at("voice_url"), "https://old.test/v");
  EXPECT_TRUE(number.at("sms_url").is_null());
  EXPECT_EQ(number.at("sms_method"), "POST");
  ASSERT_EQ(client.post(number_path, {{"SmsUrl", "https://new.test/s"}}).status, 200);
  EXPECT_EQ(json::parse(client.get(number_path).body).at("sms_url"), "https://new.test/s");
}

} // namespace
