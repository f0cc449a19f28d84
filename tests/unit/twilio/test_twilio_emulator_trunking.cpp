// The sandbox's Elastic SIP Trunking (providers/twilio/emulator/trunking.cpp), driven by vami's
// trunking client: trunks, origination URLs, a pool number moved onto a trunk and off, the
// refusals, and a released number leaving its trunk.
#include <memory>

#include "twilio_emulator_client.hpp"
#include <gmock/gmock.h>

#include <vami/core/error.hpp>
#include <vami/providers/twilio_provider.hpp>
#include <vami/providers/twilio_trunking.hpp>

namespace vami::sandbox_testing::twilio {
namespace {

class TrunkingSandboxTest : public SandboxTest {
protected:
  TrunkingSandboxTest()
      : m_http(http::make_in_process_http_client(
            [this](const http::HttpRequest& request) { return m_emulator->handle(request); })),
        m_trunking(vami::twilio::make_twilio_trunking(
            {m_emulator->credentials().account_sid, m_emulator->credentials().auth_token, k_origin},
            *m_http)) {}

  /// Buys one 212 number and returns its SID.
  std::string buy_number() {
    std::vector<std::string> numbers =
        m_client.search_numbers("US", "Local", {{"AreaCode", "212"}});
    EXPECT_FALSE(numbers.empty());
    HttpResponse bought = m_client.buy({{"PhoneNumber", numbers.at(0)}});
    EXPECT_EQ(bought.status, 201) << bought.body;
    return json::parse(bought.body).at("sid").get<std::string>();
  }

  static Error error_of(const std::function<void()>& action) {
    try {
      action();
    } catch (const Error& error) {
      return error;
    }
    ADD_FAILURE() << "no error thrown";
    return Error(ErrorKind::interrupted, "none");
  }

  std::unique_ptr<http::HttpClient> m_http;
  std::unique_ptr<vami::twilio::SipTrunking> m_trunking;
};

TEST_F(TrunkingSandboxTest, ANumberGoesOntoATrunkPointedAtAnAgentProviderAndOff) {
  vami::twilio::SipTrunk trunk = m_trunking->create_trunk("vami pool", "vami-pool.pstn.twilio.com");
  EXPECT_TRUE(is_hex_id(trunk.sid, "TK"));
  EXPECT_EQ(trunk.domain_name, "vami-pool.pstn.twilio.com");
  vami::twilio::OriginationUrl url =
      m_trunking->add_origination_url(trunk.sid, "sip:vami.sip.synthflow.example", "Synthflow");
  EXPECT_TRUE(is_hex_id(url.sid, "OU"));
  EXPECT_EQ(url.sip_url, "sip:vami.sip.synthflow.example");
  EXPECT_EQ(m_trunking->list_origination_urls(trunk.sid).size(), 1U);

  std::string sid = buy_number();
  vami::twilio::TrunkPhoneNumber moved = m_trunking->add_number(trunk.sid, sid);
  EXPECT_EQ(moved.sid, sid);
  EXPECT_EQ(moved.trunk_sid, trunk.sid);
  EXPECT_EQ(moved.phone_number.rfind("+1212", 0), 0U);
  ASSERT_EQ(m_trunking->list_numbers(trunk.sid).size(), 1U);
  // One trunk at a time.
  vami::twilio::SipTrunk other = m_trunking->create_trunk("other", "");
  EXPECT_EQ(other.domain_name, "tk" + other.sid.substr(2) + ".pstn.twilio.com");
  EXPECT_EQ(error_of([&] { (void)m_trunking->add_number(other.sid, sid); }).kind(),
            ErrorKind::invalid_input);

  m_trunking->remove_number(trunk.sid, sid);
  EXPECT_TRUE(m_trunking->list_numbers(trunk.sid).empty());
  EXPECT_EQ(error_of([&] { m_trunking->remove_number(trunk.sid, sid); }).kind(),
            ErrorKind::not_found);
  EXPECT_EQ(m_trunking->list_trunks().size(), 2U);
  m_trunking->delete_trunk(trunk.sid);
  EXPECT_EQ(m_trunking->list_trunks().size(), 1U);
  EXPECT_EQ(error_of([&] { (void)m_trunking->list_numbers(trunk.sid); }).kind(),
            ErrorKind::not_found);
}

TEST_F(TrunkingSandboxTest, RefusalsAreTwilioErrors) {
  EXPECT_EQ(error_of([&] { (void)m_trunking->create_trunk("x", "example.com"); }).kind(),
            ErrorKind::invalid_input);
  vami::twilio::SipTrunk trunk = m_trunking->create_trunk("t", "t.pstn.twilio.com");
  EXPECT_EQ(error_of([&] { (void)m_trunking->create_trunk("u", "t.pstn.twilio.com"); }).kind(),
            ErrorKind::invalid_input);
  EXPECT_EQ(error_of([&] {
              (void)m_trunking->add_origination_url(trunk.sid, "https://not.sip", "x");
            }).kind(),
            ErrorKind::invalid_input);
  Error foreign =
      error_of([&] { (void)m_trunking->add_number(trunk.sid, "PN" + std::string(32, 'f')); });
  EXPECT_EQ(foreign.kind(), ErrorKind::not_found);
  EXPECT_EQ(foreign.provider_detail()->code, "20404");
  HttpResponse missing = m_client.post("/v1/Trunks/" + trunk.sid + "/OriginationUrls", {});
  expect_twilio_error(missing, 400, 21201);
  m_client.set_authorization(http::basic_authorization("ACnobody", "wrong"));
  expect_twilio_error(m_client.get("/v1/Trunks"), 401, 20003);
}

TEST_F(TrunkingSandboxTest, ListsPageWithNextPageUrl) {
  for (int i = 0; i < 3; ++i) {
    (void)m_trunking->create_trunk("t" + std::to_string(i), "");
  }
  json first = json::parse(m_client.get("/v1/Trunks?PageSize=2").body);
  EXPECT_EQ(first.at("trunks").size(), 2U);
  EXPECT_EQ(first.at("meta").at("next_page_url"),
            std::string(k_origin) + "/v1/Trunks?PageSize=2&Page=1");
  json second = json::parse(m_client.get("/v1/Trunks?PageSize=2&Page=1").body);
  EXPECT_EQ(second.at("trunks").size(), 1U);
  EXPECT_TRUE(second.at("meta").at("next_page_url").is_null());
  EXPECT_EQ(m_trunking->list_trunks().size(), 3U);
}

TEST_F(TrunkingSandboxTest, AReleasedNumberLeavesItsTrunk) {
  vami::twilio::SipTrunk trunk = m_trunking->create_trunk("t", "");
  std::string sid = buy_number();
  (void)m_trunking->add_number(trunk.sid, sid);
  HttpResponse released = m_client.send("DELETE", m_client.number_path(sid));
  EXPECT_EQ(released.status, 204) << released.body;
  EXPECT_TRUE(m_trunking->list_numbers(trunk.sid).empty());
}

// The Twilio provider's trunks to agent providers (twilio_sip_trunks.cpp), against the emulator.
TEST_F(TrunkingSandboxTest, TheProviderKeepsOneTrunkPerNameAndMovesNumbersOntoItAndOff) {
  vami::twilio::TwilioConfig config;
  config.account_sid = m_emulator->credentials().account_sid;
  config.auth_username = config.account_sid;
  config.auth_password = m_emulator->credentials().auth_token;
  config.base_url = config.pricing_base_url = config.trunking_base_url = k_origin;
  auto telephony = vami::twilio::make_twilio_provider(config, *m_http);
  const std::string synthflow_sip = "sip:sip.synthflow.ai:32681";

  const AgentSipTrunk trunk = telephony->ensure_sip_trunk("vami synthflow", synthflow_sip);
  EXPECT_TRUE(is_hex_id(trunk.trunk_id, "TK"));
  std::string suffix = config.account_sid.substr(config.account_sid.size() - 8);
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  EXPECT_EQ(trunk.termination_uri, "vami-synthflow-" + suffix + ".pstn.twilio.com");
  const auto urls = m_trunking->list_origination_urls(trunk.trunk_id);
  ASSERT_EQ(urls.size(), 1U);
  EXPECT_EQ(urls[0].sip_url, synthflow_sip);
  // Found again by name, by this process or another one: no second trunk, no second URL.
  EXPECT_EQ(telephony->ensure_sip_trunk("vami synthflow", synthflow_sip).trunk_id, trunk.trunk_id);
  auto other_process = vami::twilio::make_twilio_provider(config, *m_http);
  EXPECT_EQ(other_process->ensure_sip_trunk("vami synthflow", synthflow_sip).trunk_id,
            trunk.trunk_id);
  EXPECT_EQ(m_trunking->list_trunks().size(), 1U);
  EXPECT_EQ(m_trunking->list_origination_urls(trunk.trunk_id).size(), 1U);

  const std::string sid = buy_number();
  const std::string e164 =
      json::parse(m_client.get(m_client.number_path(sid)).body).at("phone_number");
  EXPECT_TRUE(telephony->find_owned(e164)->sip_trunk_id.empty());
  telephony->move_to_sip_trunk(sid, trunk.trunk_id);
  EXPECT_EQ(telephony->find_owned(e164)->sip_trunk_id, trunk.trunk_id); // `trunk_sid`
  telephony->move_to_sip_trunk(sid, trunk.trunk_id); // there already: nothing changes
  const vami::twilio::SipTrunk elsewhere = m_trunking->create_trunk("elsewhere", "");
  EXPECT_EQ(error_of([&] { telephony->move_to_sip_trunk(sid, elsewhere.sid); }).kind(),
            ErrorKind::conflict);
  // Every trunk of the account, oldest first, with its name: what tells vami's from another.
  const std::vector<AgentSipTrunk> listed = telephony->list_sip_trunks();
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].trunk_id, trunk.trunk_id);
  EXPECT_EQ(listed[0].name, "vami synthflow");
  EXPECT_EQ(listed[0].termination_uri, trunk.termination_uri);
  EXPECT_EQ(listed[1].trunk_id, elsewhere.sid);
  EXPECT_EQ(listed[1].name, "elsewhere");

  telephony->remove_from_sip_trunk(sid, trunk.trunk_id);
  EXPECT_TRUE(telephony->find_owned(e164)->sip_trunk_id.empty());
  telephony->remove_from_sip_trunk(sid, trunk.trunk_id); // not on it: nothing changes
}

} // namespace
} // namespace vami::sandbox_testing::twilio
