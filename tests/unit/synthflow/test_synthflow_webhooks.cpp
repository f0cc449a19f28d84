// Synthflow's webhooks: the signature, the inbound webhook and its answers, the post-call
// payload (providers/synthflow/synthflow_webhooks.cpp).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/synthflow_webhooks.hpp>

namespace vami::synthflow {
namespace {

// The call id and secret of the documentation's Python example
// (https://docs.synthflow.ai/webhooks-security); the signature computed independently:
// printf '%s' 123456789 | openssl dgst -sha256 -hmac your-secret-key -binary | base64
constexpr const char* k_secret = "your-secret-key";
constexpr const char* k_call_id = "123456789";
constexpr const char* k_signature = "BDYfUVpCOdnUFPaYuTYUbNCIr4aYC/CL503qxdV2c8A=";

TEST(SynthflowWebhookSignature, IsTheBase64HmacOfTheCallId) {
  EXPECT_EQ(webhook_signature(k_secret, k_call_id), k_signature);
}

TEST(SynthflowWebhookSignature, AcceptsTheCallIdsSignatureWhateverTheBody) {
  EXPECT_EQ(check_webhook_signature(k_signature, k_call_id, R"({"call":{}})", k_secret),
            WebhookSignatureCheck::valid);
  EXPECT_EQ(
      check_webhook_signature(std::string(" ") + k_signature + "\r", k_call_id, "{}", k_secret),
      WebhookSignatureCheck::valid);
}

TEST(SynthflowWebhookSignature, AcceptsTheBodysSignatureWhenNoCallIsNamed) {
  // printf '%s' '{"call_inbound":{}}' | openssl dgst -sha256 -hmac your-secret-key -binary | base64
  EXPECT_EQ(check_webhook_signature("8mx9DFRu48ESI480ScQXHCoXq6l4PpMzK5ter8ZuBzk=", "",
                                    R"({"call_inbound":{}})", k_secret),
            WebhookSignatureCheck::valid);
}

TEST(SynthflowWebhookSignature, RefusesOtherSignaturesAndMissingOnes) {
  EXPECT_EQ(check_webhook_signature(k_signature, "987654321", "{}", k_secret),
            WebhookSignatureCheck::mismatch);
  EXPECT_EQ(check_webhook_signature(k_signature, k_call_id, "{}", "another-secret"),
            WebhookSignatureCheck::mismatch);
  EXPECT_EQ(check_webhook_signature("abc123", k_call_id, "{}", k_secret),
            WebhookSignatureCheck::mismatch);
  EXPECT_EQ(check_webhook_signature("", k_call_id, "{}", k_secret), WebhookSignatureCheck::missing);
  EXPECT_EQ(check_webhook_signature(k_signature, k_call_id, "{}", ""),
            WebhookSignatureCheck::missing);
  // The signature of an empty call id is not taken for the call's.
  EXPECT_EQ(check_webhook_signature(webhook_signature(k_secret, ""), "", "{}", k_secret),
            WebhookSignatureCheck::mismatch);
}

TEST(SynthflowInboundWebhook, ReadsTheDocumentedRequest) {
  InboundWebhook webhook = parse_inbound_webhook(R"({
    "event": "call_inbound",
    "call_inbound": {"model_id": "optional_agent_id", "from_number": "+12137771234",
                     "to_number": "+12137771235", "call_id": "c-1"}})");
  EXPECT_EQ(webhook.agent_id, "optional_agent_id");
  EXPECT_EQ(webhook.from_number, "+12137771234");
  EXPECT_EQ(webhook.to_number, "+12137771235");
  EXPECT_EQ(webhook.call_id, "c-1");
  EXPECT_EQ(parse_inbound_webhook(R"({"call_id":"top","call_inbound":{}})").call_id, "top");
}

TEST(SynthflowInboundWebhook, RefusesWhatIsNotOne) {
  for (const char* body :
       {"", "[]", "{}", R"({"event":"call_ended","call_inbound":{}})", R"({"call_inbound":"x"})"}) {
    EXPECT_THROW((void)parse_inbound_webhook(body), Error) << body;
  }
}

TEST(SynthflowInboundWebhook, AnswersKeepTheAgentAndCarryTheVariables) {
  const nlohmann::json answer =
      nlohmann::json::parse(inbound_answer("", {{"vami_tenant", "acme"}, {"vami_agent", "desk"}}));
  EXPECT_EQ(answer.at("call_inbound").at("override_model_id"), "");
  EXPECT_EQ(answer.at("call_inbound").at("custom_variables"),
            (nlohmann::json{{"vami_tenant", "acme"}, {"vami_agent", "desk"}}));
  EXPECT_EQ(answer.at("call_inbound").at("metadata").at("vami_tenant"), "acme");
  EXPECT_EQ(
      nlohmann::json::parse(inbound_answer("m-2", {})).at("call_inbound").at("override_model_id"),
      "m-2");
  // An empty call_inbound object disconnects the call.
  EXPECT_EQ(nlohmann::json::parse(inbound_decline()),
            (nlohmann::json{{"call_inbound", nlohmann::json::object()}}));
}

TEST(SynthflowPostCall, ReadsTheDocumentedPayload) {
  // The example of https://docs.synthflow.ai/post-call-webhook (trimmed), with the numbers and
  // variables the router gave the call.
  CallRecord call = parse_post_call(R"({
    "status": "completed", "error_message": "",
    "lead": {"name": "test", "phone_number": "+14155550100",
             "prompt_variables": {"vami_tenant": "acme"}},
    "call": {"status": "completed", "end_call_reason": "agent_goodbye", "model_id": "m-1",
             "timezone": "Europe/Berlin", "call_id": "c-1", "duration": 113,
             "start_time": "2025-10-27T10:59:46+01:00", "type_of_call": "inbound",
             "phone_number_to": "+12125550101", "cost": 0.25,
             "transcript": "\nbot: Hello, thank you for calling!\nhuman: Hi. I'm Julian",
             "diversion": null, "external_id": "x"},
    "executed_actions": {}})");
  EXPECT_EQ(call.conversation_id, "c-1");
  EXPECT_TRUE(call.call_sid.empty());
  EXPECT_EQ(call.provider_agent_id, "m-1");
  EXPECT_EQ(call.number, "+12125550101");
  EXPECT_EQ(call.caller, "+14155550100");
  EXPECT_EQ(call.tenant_slug, "acme");
  EXPECT_EQ(call.direction, CallDirection::inbound);
  EXPECT_EQ(call.status, CallStatus::completed);
  EXPECT_EQ(call.started_at, "2025-10-27T09:59:46Z");
  EXPECT_EQ(call.duration_seconds, 113);
  ASSERT_TRUE(call.agent_cost.has_value());
  EXPECT_EQ(call.agent_cost->micros, 250000);
  EXPECT_EQ(call.source, CallSource::router);
  EXPECT_TRUE(call.failure_reason.empty());
  ASSERT_EQ(call.transcript.size(), 2U);
  EXPECT_EQ(call.transcript[0].role, "agent");
  EXPECT_EQ(call.transcript[1].message, "Hi. I'm Julian");
}

TEST(SynthflowPostCall, ReadsOtherShapesLeniently) {
  CallRecord call = parse_post_call(R"({"status": "failed", "error_message": "no route",
    "call": {"call_id": "c-2", "start_time": "1732546200000", "duration": "long",
             "status": 7, "phone_number_from": "+14155550111", "summary": "Short."}})");
  EXPECT_EQ(call.status, CallStatus::failed);
  EXPECT_EQ(call.failure_reason, "no route");
  EXPECT_EQ(call.started_at, "2024-11-25T14:50:00Z");
  EXPECT_FALSE(call.duration_seconds.has_value());
  EXPECT_EQ(call.caller, "+14155550111");
  EXPECT_EQ(call.summary, "Short.");
  EXPECT_EQ(parse_post_call(R"({"call":{"call_id":"c","status":"no-answer",
      "start_time":"2024-03-28T18:17:46.205134Z"}})")
                .started_at,
            "2024-03-28T18:17:46Z");
  EXPECT_EQ(parse_post_call(R"({"call":{"call_id":"c","status":"left_voicemail"}})").status,
            CallStatus::completed);
  EXPECT_TRUE(
      parse_post_call(R"({"call":{"call_id":"c","start_time":"yesterday"}})").started_at.empty());
}

TEST(SynthflowPostCall, RefusesAPayloadWithoutACallId) {
  for (const char* body : {"", "[]", "{}", R"({"call":{}})", R"({"call":{"call_id":5}})"}) {
    EXPECT_THROW((void)parse_post_call(body), Error) << body;
  }
}

} // namespace
} // namespace vami::synthflow
