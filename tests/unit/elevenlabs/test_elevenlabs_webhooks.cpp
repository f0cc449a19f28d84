// ElevenLabs-Signature of post-call webhooks, with the vectors of shared/notes/calls-facts.md
// section 4.1 (E-1..E-3, derived from the inputs of the official SDKs' tests).
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/providers/elevenlabs_webhooks.hpp>

namespace vami::elevenlabs {
namespace {

constexpr std::int64_t k_sdk_now = 1600000000;
constexpr const char* k_e1_body = R"({"event_type": "speech.completed", "id": "123456"})";
constexpr const char* k_e1_header =
    "t=1600000000,v0=f8a0d1dc33ee963cb54d2f31514555995e93313c9d2042c030adbb82b87fae13";

TEST(ElevenLabsSignature, PythonSdkVector) { // E-1
  EXPECT_EQ(webhook_signature("test_secret", "1600000000", k_e1_body),
            "f8a0d1dc33ee963cb54d2f31514555995e93313c9d2042c030adbb82b87fae13");
  EXPECT_EQ(check_webhook_signature(k_e1_header, k_e1_body, "test_secret", k_sdk_now),
            WebhookSignatureCheck::valid);
}

TEST(ElevenLabsSignature, JsSdkVector) { // E-2
  EXPECT_EQ(check_webhook_signature(
                "t=1600000000,v0=ea402a10212866fd631bba39e6c765831ac23d3eca6fb0bd9d79a43367554fa9",
                R"({"eventType":"test_event","data":{"id":"123"}})", "webhook_secret",
                k_sdk_now + 60),
            WebhookSignatureCheck::valid);
}

TEST(ElevenLabsSignature, PostCallVector) { // E-3
  const std::string body = R"({"type":"post_call_transcription","event_timestamp":1739537297,)"
                           R"("data":{"agent_id":"xyz","conversation_id":"abc"}})";
  const std::string header =
      "t=1739537297,v0=3c1759532b83d15efcd752edb7579aa6ee8a260d8a5cfc29a3fa93435bcc4d73";
  EXPECT_EQ(check_webhook_signature(header, body, "wsec_test", 1739537297),
            WebhookSignatureCheck::valid);
  // Parts in another order, with spaces and an unknown scheme, still pass.
  EXPECT_EQ(check_webhook_signature(
                " v1=abc, v0=3c1759532b83d15efcd752edb7579aa6ee8a260d8a5cfc29a3fa93435bcc4d73 ,"
                "t=1739537297",
                body, "wsec_test", 1739537297),
            WebhookSignatureCheck::valid);
  // Any of several v0 hashes may match.
  EXPECT_EQ(
      check_webhook_signature(
          "t=1739537297,v0=00,v0=3c1759532b83d15efcd752edb7579aa6ee8a260d8a5cfc29a3fa93435bcc4d73",
          body, "wsec_test", 1739537297),
      WebhookSignatureCheck::valid);
}

TEST(ElevenLabsSignature, OldTimestampsAreRefused) {
  // 30 minutes old passes; 30 minutes and a second, or the SDK tests' 31 minutes, does not.
  EXPECT_EQ(check_webhook_signature(k_e1_header, k_e1_body, "test_secret", k_sdk_now + 30 * 60),
            WebhookSignatureCheck::valid);
  EXPECT_EQ(check_webhook_signature(k_e1_header, k_e1_body, "test_secret", k_sdk_now + 30 * 60 + 1),
            WebhookSignatureCheck::expired);
  EXPECT_EQ(check_webhook_signature(k_e1_header, k_e1_body, "test_secret", k_sdk_now + 31 * 60),
            WebhookSignatureCheck::expired);
}

TEST(ElevenLabsSignature, WrongSecretBodyOrHashIsAMismatch) {
  EXPECT_EQ(check_webhook_signature(k_e1_header, k_e1_body, "other_secret", k_sdk_now),
            WebhookSignatureCheck::mismatch);
  EXPECT_EQ(check_webhook_signature(k_e1_header,
                                    R"({"event_type": "speech.completed", "id": "123457"})",
                                    "test_secret", k_sdk_now),
            WebhookSignatureCheck::mismatch);
  EXPECT_EQ(check_webhook_signature("t=1600000000,v0=invalid_signature", k_e1_body, "test_secret",
                                    k_sdk_now),
            WebhookSignatureCheck::mismatch);
  // The same hash under another timestamp is another signature.
  EXPECT_EQ(check_webhook_signature(
                "t=1600000001,v0=f8a0d1dc33ee963cb54d2f31514555995e93313c9d2042c030adbb82b87fae13",
                k_e1_body, "test_secret", k_sdk_now),
            WebhookSignatureCheck::mismatch);
  // Upper-case hex is not what ElevenLabs sends.
  EXPECT_EQ(check_webhook_signature(
                "t=1600000000,v0=F8A0D1DC33EE963CB54D2F31514555995E93313C9D2042C030ADBB82B87FAE13",
                k_e1_body, "test_secret", k_sdk_now),
            WebhookSignatureCheck::mismatch);
}

TEST(ElevenLabsSignature, MissingOrMalformedHeaders) {
  EXPECT_EQ(check_webhook_signature("", k_e1_body, "test_secret", k_sdk_now),
            WebhookSignatureCheck::missing);
  EXPECT_EQ(check_webhook_signature(k_e1_header, k_e1_body, "", k_sdk_now),
            WebhookSignatureCheck::missing);
  EXPECT_EQ(check_webhook_signature("v0=f8a0", k_e1_body, "test_secret", k_sdk_now),
            WebhookSignatureCheck::malformed);
  EXPECT_EQ(check_webhook_signature("t=1600000000", k_e1_body, "test_secret", k_sdk_now),
            WebhookSignatureCheck::malformed);
  EXPECT_EQ(check_webhook_signature("t=16e8,v0=f8a0", k_e1_body, "test_secret", k_sdk_now),
            WebhookSignatureCheck::malformed);
  EXPECT_EQ(check_webhook_signature("t=,v0=f8a0", k_e1_body, "test_secret", k_sdk_now),
            WebhookSignatureCheck::malformed);
}

} // namespace
} // namespace vami::elevenlabs

namespace vami::elevenlabs {
namespace {

TEST(PostCallEvent, TranscriptionIsReadIntoACallRecord) {
  PostCallEvent event = parse_post_call_event(R"({
    "type": "post_call_transcription", "event_timestamp": 1739537297,
    "data": {
      "agent_id": "agent_1", "conversation_id": "conv_1", "status": "done",
      "transcript": [{"role": "agent", "message": "Hello", "time_in_call_secs": 0},
                     {"role": "user", "message": "Hi", "time_in_call_secs": 2.0}, 7],
      "metadata": {"start_time_unix_secs": 1739537297, "call_duration_secs": 22, "cost": 296,
                   "cost_fiat": 0.05,
                   "phone_call": {"type": "twilio", "direction": "inbound",
                                  "agent_number": "+12125550101",
                                  "external_number": "+14155550123", "call_sid": "CA9"}},
      "analysis": {"call_successful": "success", "transcript_summary": "Greeted."},
      "conversation_initiation_client_data": {"user_id": "acme",
        "dynamic_variables": {"vami_tenant": "acme-dental"}}}})");
  EXPECT_EQ(event.type, PostCallEventType::transcription);
  const CallRecord& call = event.call;
  EXPECT_EQ(call.conversation_id, "conv_1");
  EXPECT_EQ(call.provider_agent_id, "agent_1");
  EXPECT_EQ(call.tenant_slug, "acme-dental"); // the router's variable wins over user_id
  EXPECT_EQ(call.call_sid, "CA9");            // from phone_call when the variable is absent
  EXPECT_EQ(call.number, "+12125550101");
  EXPECT_EQ(call.caller, "+14155550123");
  EXPECT_EQ(call.direction, CallDirection::inbound);
  EXPECT_EQ(call.started_at, "2025-02-14T12:48:17Z");
  EXPECT_EQ(call.duration_seconds, 22);
  EXPECT_EQ(call.agent_credits, 296);
  EXPECT_EQ(call.agent_cost, (Money{50'000, "USD"}));
  EXPECT_EQ(call.outcome, CallOutcome::success);
  EXPECT_EQ(call.summary, "Greeted.");
  ASSERT_EQ(call.transcript.size(), 2u);
  EXPECT_EQ(call.transcript[1].time_in_call_seconds, 2);
  EXPECT_FALSE(call.status.has_value());
}

TEST(PostCallEvent, FailuresAudioAndMalformedBodies) {
  PostCallEvent failure = parse_post_call_event(
      R"({"type":"call_initiation_failure","data":{"agent_id":"a","conversation_id":"c",)"
      R"("failure_reason":"busy","metadata":"odd"}})");
  EXPECT_EQ(failure.type, PostCallEventType::initiation_failure);
  EXPECT_EQ(failure.call.status, CallStatus::failed_to_start);
  EXPECT_EQ(failure.call.failure_reason, "busy");
  EXPECT_EQ(
      parse_post_call_event(R"({"type":"post_call_audio","data":{"conversation_id":"c"}})").type,
      PostCallEventType::audio);
  EXPECT_EQ(parse_post_call_event(R"({"type":"new_kind","data":{"conversation_id":"c"}})").type,
            PostCallEventType::other);
  for (const char* body :
       {"", "[]", R"({"data":{"conversation_id":"c"}})", R"({"type":"post_call_transcription"})",
        R"({"type":"post_call_transcription","data":{}})"}) {
    EXPECT_THROW((void)parse_post_call_event(body), Error) << body;
  }
}

} // namespace
} // namespace vami::elevenlabs
