// The Elastic SIP Trunking client against a fake HTTP client: the requests it builds, how it
// reads answers and pages, and its errors (../shared/specs/twilio_trunking_v1.json).
#include <fake_http_client.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/twilio_trunking.hpp>

namespace vami::twilio {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr const char* k_base = "https://trunking.twilio.test";
constexpr const char* k_trunk = "TK0123456789abcdef0123456789abcdef";

struct Fixture {
  test::FakeHttpClient http;
  std::unique_ptr<SipTrunking> trunking = make_twilio_trunking(
      {"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "token-canary", std::string(k_base) + "/"}, http);
};

Fields form_of(const http::HttpRequest& request) {
  return http::form_decode(request.body);
}

TEST(TwilioTrunking, CreateTrunkPostsItsNameAndDomain) {
  Fixture f;
  f.http.push_response(201, json{{"sid", k_trunk},
                                 {"friendly_name", "vami pool"},
                                 {"domain_name", "vami-pool.pstn.twilio.com"}}
                                .dump());
  SipTrunk trunk = f.trunking->create_trunk("vami pool", "vami-pool.pstn.twilio.com");
  EXPECT_EQ(trunk.sid, k_trunk);
  EXPECT_EQ(trunk.domain_name, "vami-pool.pstn.twilio.com");
  http::HttpRequest request = f.http.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, std::string(k_base) + "/v1/Trunks");
  EXPECT_EQ(form_of(request),
            (Fields{{"FriendlyName", "vami pool"}, {"DomainName", "vami-pool.pstn.twilio.com"}}));
  bool basic = false;
  for (const auto& [name, value] : request.headers) {
    basic = basic || (name == "Authorization" && value.rfind("Basic ", 0) == 0);
  }
  EXPECT_TRUE(basic);
}

TEST(TwilioTrunking, OriginationUrlsAndNumbersAreAddedAndRemoved) {
  Fixture f;
  f.http.push_response(201, json{{"sid", "OU1"},
                                 {"trunk_sid", k_trunk},
                                 {"sip_url", "sip:agent.example"},
                                 {"priority", 10},
                                 {"weight", 10},
                                 {"enabled", true}}
                                .dump());
  OriginationUrl url = f.trunking->add_origination_url(k_trunk, "sip:agent.example", "agents");
  EXPECT_EQ(url.sid, "OU1");
  EXPECT_EQ(url.sip_url, "sip:agent.example");
  EXPECT_EQ(f.http.last_request().url,
            std::string(k_base) + "/v1/Trunks/" + k_trunk + "/OriginationUrls");
  EXPECT_EQ(form_of(f.http.last_request()), (Fields{{"Weight", "10"},
                                                    {"Priority", "10"},
                                                    {"Enabled", "true"},
                                                    {"FriendlyName", "agents"},
                                                    {"SipUrl", "sip:agent.example"}}));

  f.http.push_response(
      201, json{{"sid", "PN1"}, {"phone_number", "+12125550101"}, {"trunk_sid", k_trunk}}.dump());
  TrunkPhoneNumber number = f.trunking->add_number(k_trunk, "PN1");
  EXPECT_EQ(number.phone_number, "+12125550101");
  EXPECT_EQ(form_of(f.http.last_request()), (Fields{{"PhoneNumberSid", "PN1"}}));

  f.http.push_response(204, "");
  f.trunking->remove_number(k_trunk, "PN1");
  EXPECT_EQ(f.http.last_request().method, "DELETE");
  EXPECT_EQ(f.http.last_request().url,
            std::string(k_base) + "/v1/Trunks/" + k_trunk + "/PhoneNumbers/PN1");
  EXPECT_TRUE(f.http.last_request().body.empty());

  f.http.push_response(204, "");
  f.trunking->delete_trunk(k_trunk);
  EXPECT_EQ(f.http.last_request().url, std::string(k_base) + "/v1/Trunks/" + k_trunk);
}

TEST(TwilioTrunking, ListsFollowNextPageUrlOnTheConfiguredHost) {
  Fixture f;
  f.http.push_response(
      200,
      json{{"phone_numbers", {{{"sid", "PN1"}, {"phone_number", "+12125550101"}}}},
           {"meta",
            {{"next_page_url", "https://trunking.twilio.com/v1/Trunks/" + std::string(k_trunk) +
                                   "/PhoneNumbers?PageSize=1000&Page=1&PageToken=PA1"}}}}
          .dump());
  f.http.push_response(200,
                       json{{"phone_numbers", {{{"sid", "PN2"}, {"phone_number", "+12125550102"}}}},
                            {"meta", {{"next_page_url", nullptr}}}}
                           .dump());
  std::vector<TrunkPhoneNumber> numbers = f.trunking->list_numbers(k_trunk);
  ASSERT_EQ(numbers.size(), 2U);
  EXPECT_EQ(numbers[1].sid, "PN2");
  std::vector<http::HttpRequest> requests = f.http.requests();
  EXPECT_EQ(requests[0].url,
            std::string(k_base) + "/v1/Trunks/" + k_trunk + "/PhoneNumbers?PageSize=1000");
  EXPECT_EQ(requests[1].url, std::string(k_base) + "/v1/Trunks/" + k_trunk +
                                 "/PhoneNumbers?PageSize=1000&Page=1&PageToken=PA1");
}

TEST(TwilioTrunking, AFailedPageFailsTheList) {
  Fixture f;
  f.http.push_response(200, json{{"trunks", {{{"sid", k_trunk}}}},
                                 {"meta", {{"next_page_url", "https://x/v1/Trunks?Page=1"}}}}
                                .dump());
  f.http.fail_at(2, test::HttpFault::server_error);
  try {
    (void)f.trunking->list_trunks();
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  }
}

TEST(TwilioTrunking, ErrorsAreTyped) {
  struct Case {
    int status;
    int code;
    ErrorKind kind;
  };
  for (const Case& c :
       {Case{401, 20003, ErrorKind::auth}, Case{404, 20404, ErrorKind::not_found},
        Case{429, 20429, ErrorKind::rate_limited}, Case{400, 21212, ErrorKind::invalid_input},
        Case{503, 20503, ErrorKind::unavailable}}) {
    Fixture f;
    f.http.push_response(
        c.status, json{{"code", c.code}, {"message", "refused"}, {"status", c.status}}.dump(),
        {{"Twilio-Request-Id", "RQ1"}, {"Retry-After", "2"}});
    try {
      f.trunking->remove_number(k_trunk, "PN1");
      FAIL() << "no error for " << c.status;
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), c.kind) << c.status;
      EXPECT_THAT(error.what(), HasSubstr("take number PN1 off SIP trunk"));
      EXPECT_THAT(error.what(), Not(HasSubstr("token-canary")));
      EXPECT_EQ(error.provider_detail()->provider, "twilio-trunking");
      EXPECT_EQ(error.provider_detail()->code, std::to_string(c.code));
      EXPECT_EQ(error.provider_detail()->request_id, "RQ1");
    }
  }
}

} // namespace
} // namespace vami::twilio
