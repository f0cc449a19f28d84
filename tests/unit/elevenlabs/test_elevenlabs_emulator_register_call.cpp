// The sandbox's ElevenLabs register-call: TwiML connecting a call to an existing agent.

#include "elevenlabs_emulator_client.hpp"

namespace {

using namespace vami::sandbox_testing; // NOLINT(google-build-using-namespace)

class RegisterCallTest : public ElevenLabsSandboxTest {
protected:
  std::string make_agent(const std::string& name) {
    HttpResponse created = m_client.post("/v1/convai/agents/create",
                                         {{"name", name}, {"conversation_config", json::object()}});
    EXPECT_EQ(created.status, 200) << created.body;
    return json::parse(created.body).at("agent_id").get<std::string>();
  }
};

TEST_F(RegisterCallTest, AnswersTwimlThatConnectsTheCallToTheAgent) {
  std::string agent_id = make_agent("Front Desk");
  json body = {
      {"agent_id", agent_id},
      {"from_number", "+14155550123"},
      {"to_number", "+12125550101"},
      {"direction", "inbound"},
      {"conversation_initiation_client_data",
       {{"user_id", "acme"}, {"dynamic_variables", {{"vami_tenant", "acme & <co>"}, {"n", 3}}}}}};
  HttpResponse answer = m_client.post("/v1/convai/twilio/register-call", body);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(answer.body.rfind(R"(<?xml version="1.0" encoding="UTF-8"?><Response><Connect>)"
                              R"(<Stream url="wss://convai.sandbox.vami.invalid/twilio/conv_)",
                              0),
            0U)
      << answer.body;
  EXPECT_NE(answer.body.find(R"(<Parameter name="agent_id" value=")" + agent_id + R"("/>)"),
            std::string::npos);
  EXPECT_NE(answer.body.find(R"(<Parameter name="to_number" value="+12125550101"/>)"),
            std::string::npos);
  EXPECT_NE(answer.body.find(R"(<Parameter name="vami_tenant" value="acme &amp; &lt;co&gt;"/>)"),
            std::string::npos);
  EXPECT_NE(answer.body.find(R"(<Parameter name="n" value="3"/>)"), std::string::npos);
  EXPECT_NE(answer.body.find("</Stream></Connect></Response>"), std::string::npos);
  // Every registration is a new conversation.
  HttpResponse again = m_client.post("/v1/convai/twilio/register-call", body);
  EXPECT_NE(again.body, answer.body);
}

TEST_F(RegisterCallTest, RefusesUnknownAgentsAndInvalidBodies) {
  HttpResponse unknown =
      m_client.post("/v1/convai/twilio/register-call",
                    {{"agent_id", "agent_nope"}, {"from_number", "+1"}, {"to_number", "+2"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body).at("detail").at("status"), "agent_not_found");

  HttpResponse invalid = m_client.post(
      "/v1/convai/twilio/register-call",
      {{"agent_id", 7}, {"direction", "sideways"}, {"conversation_initiation_client_data", 1}});
  EXPECT_EQ(invalid.status, 422);
  expect_documented("post", "/v1/convai/twilio/register-call", invalid);
  std::string detail = json::parse(invalid.body).at("detail").dump();
  for (const char* field : {"agent_id", "from_number", "to_number", "direction",
                            "conversation_initiation_client_data"}) {
    EXPECT_NE(detail.find(field), std::string::npos) << field << " in " << detail;
  }
  EXPECT_EQ(m_client.send("GET", "/v1/convai/twilio/register-call").status, 405);
  m_client.set_api_key(std::nullopt);
  EXPECT_EQ(m_client.post("/v1/convai/twilio/register-call", json::object()).status, 401);
}

} // namespace
