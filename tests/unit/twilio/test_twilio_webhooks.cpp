// X-Twilio-Signature validation against the vectors the official SDKs publish in their tests
// (twilio-python tests/unit/test_request_validator.py, twilio-node spec/validation.spec.js,
// twilio-java RequestValidatorTest.java, twilio-go client/request_validator_test.go), quoted in
// shared/notes/calls-facts.md section 1.5 with their ids (P-*, N-*, J-*, G-*), and TwiML.
#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vami/providers/twilio_webhooks.hpp>

namespace vami::twilio {
namespace {

using ::testing::HasSubstr;

constexpr const char* k_token = "12345";
constexpr const char* k_url = "https://mycompany.com/myapp.php?foo=1&bar=2";
constexpr const char* k_body = R"({"property": "value", "boolean": true})";
constexpr const char* k_body_hash =
    "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
constexpr const char* k_default_signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

FormParams common_params() {
  return {{"CallSid", "CA1234567890ABCDE"},
          {"Caller", "+14158675309"},
          {"Digits", "1234"},
          {"From", "+14158675309"},
          {"To", "+18005551212"}};
}

bool valid(const std::string& url, const FormParams& params, const std::string& signature,
           const std::string& body = "") {
  return validate_signature(k_token, url, params, body, signature);
}

TEST(TwilioSignature, ComputesThePublishedSignatureOfTheCommonRequest) { // P-1, N-1, J-1
  EXPECT_EQ(compute_signature(k_token, k_url, common_params()), k_default_signature);
  EXPECT_EQ(signature_base(k_url, common_params()),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+"
            "14158675309Digits1234From+14158675309To+18005551212");
  EXPECT_TRUE(valid(k_url, common_params(), k_default_signature));
}

TEST(TwilioSignature, SortsByNameWhateverTheOrderReceived) {
  FormParams shuffled = {{"To", "+18005551212"},
                         {"Digits", "1234"},
                         {"CallSid", "CA1234567890ABCDE"},
                         {"From", "+14158675309"},
                         {"Caller", "+14158675309"}};
  EXPECT_TRUE(valid(k_url, shuffled, k_default_signature));
}

TEST(TwilioSignature, BodyHash) { // P-2, N-2
  EXPECT_EQ(body_sha256(k_body), k_body_hash);
  EXPECT_EQ(body_sha256("{}"), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST(TwilioSignature, RepeatedNamesSortAndDeduplicateTheirValues) { // P-3, N-14
  FormParams params = {{"Sid", "CA123"},
                       {"SidAccount", "AC123"},
                       {"Digits", "5678"},
                       {"Digits", "1234"},
                       {"Digits", "1234"}};
  EXPECT_TRUE(valid(k_url, params, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
}

TEST(TwilioSignature, ArrayParameterInEitherOrder) { // N-13
  FormParams params = {{"MessagingBinding.Address", "+1325xxxxxxx"},
                       {"MessagingBinding.Address", "+1415xxxxxxx"}};
  EXPECT_TRUE(valid(k_url, params, "83O6e2vORAoJHUNzJjDWN1jz+BA="));
  std::swap(params[0], params[1]);
  EXPECT_TRUE(valid(k_url, params, "83O6e2vORAoJHUNzJjDWN1jz+BA="));
}

TEST(TwilioSignature, PortIsStrippedOrAdded) {
  // P-4, N-6, G-2: an explicit port on https validates against the port-less signature.
  EXPECT_TRUE(valid("https://mycompany.com:1234/myapp.php?foo=1&bar=2", common_params(),
                    k_default_signature));
  // P-5, N-7: and on http.
  EXPECT_TRUE(valid("http://mycompany.com:1234/myapp.php?foo=1&bar=2", common_params(),
                    "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
  // P-6, P-7, N-8, J-6: no port in the URL, signature made with the default port.
  EXPECT_TRUE(valid(k_url, common_params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
  EXPECT_TRUE(valid("http://mycompany.com/myapp.php?foo=1&bar=2", common_params(),
                    "0ZXoZLH/DfblKGATFgpif+LLRf4="));
  // Derived: the port-less http signature.
  EXPECT_TRUE(valid("http://mycompany.com/myapp.php?foo=1&bar=2", common_params(),
                    "OyGYPqTF6ztdbRNCvuQO/oPvqQ4="));
}

TEST(TwilioSignature, ThePortChangesTheSignature) {
  // Port 1234 signed is not port 4321, nor the https signature for http.
  std::string signed_with_port =
      compute_signature(k_token, "https://mycompany.com:1234/myapp.php?foo=1&bar=2", {});
  EXPECT_TRUE(valid("https://mycompany.com:1234/myapp.php?foo=1&bar=2", {}, signed_with_port));
  EXPECT_FALSE(valid("https://mycompany.com:4321/myapp.php?foo=1&bar=2", {}, signed_with_port));
  EXPECT_FALSE(valid("http://mycompany.com:1234/myapp.php?foo=1&bar=2", common_params(),
                     k_default_signature));
}

TEST(TwilioSignature, JsonBodiesAreBoundByTheirHash) {
  // P-8, N-3, J-3, G-5.
  std::string with_hash = std::string(k_url) + "&bodySHA256=" + k_body_hash;
  EXPECT_TRUE(valid(with_hash, {}, "a9nBmqA0ju/hNViExpshrM61xv4=", k_body));
  // A changed body fails although the URL's signature is right.
  EXPECT_FALSE(valid(with_hash, {}, "a9nBmqA0ju/hNViExpshrM61xv4=", R"({"property": "other"})"));
  // N-4: an empty JSON object, signed with the :443 form of the URL.
  EXPECT_TRUE(
      valid(std::string(k_url) +
                "&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            {}, "Ldidvp12m26NI7eqEvxnEpkd9Hc=", "{}"));
  // N-5, J-4, G-8: the hash as the only query parameter.
  EXPECT_TRUE(valid(std::string("https://mycompany.com/myapp.php?bodySHA256=") + k_body_hash, {},
                    "y77kIzt2vzLz71DgmJGsen2scGs=", k_body));
  // J-5: a body without bodySHA256 is a form; the common signature does not cover it.
  EXPECT_FALSE(valid(k_url, {}, k_default_signature, k_body));
}

TEST(TwilioSignature, UrlsWithCredentials) { // N-9, N-10, N-11
  EXPECT_TRUE(valid("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", common_params(),
                    "CukzLTc1tT5dXEDIHm/tKBanW10="));
  EXPECT_TRUE(valid("https://user@mycompany.com/myapp.php?foo=1&bar=2", common_params(),
                    "2YRLlVAflCqxaNicjMpJcSTgzSs="));
  EXPECT_TRUE(valid("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", common_params(),
                    "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="));
}

TEST(TwilioSignature, TheQueryStringIsSignedAsReceived) {
  // N-12: the percent-encoded apostrophe is what was signed; the raw one is another URL.
  EXPECT_TRUE(valid(std::string(k_url) + "&Body=It%27s+amazing", common_params(),
                    "TfZzewPq8wqrGlMfyAud8+/IvJ0="));
  EXPECT_FALSE(valid(std::string(k_url) + "&Body=It's+amazing", common_params(),
                     "TfZzewPq8wqrGlMfyAud8+/IvJ0="));
  // J-17: escapes are kept as they are.
  EXPECT_TRUE(valid("https://mycompany.com/myapp.php?foo=hello%20world&bar=test%2Bvalue",
                    common_params(), "er2tvAP1Wx+iuTTE2BPgvEaN1cs="));
  EXPECT_FALSE(valid("https://mycompany.com/myapp.php?foo=hello+world&bar=test%2Bvalue",
                     common_params(), "er2tvAP1Wx+iuTTE2BPgvEaN1cs="));
  // J-16: every query parameter is signed.
  EXPECT_TRUE(
      valid(std::string(k_url) + "&type=thiswontbeusedinthesignaturegeneratorandsoshouldbeignored",
            common_params(), "hYkNsTBttoNGkyCS0p+wWmQoRTg="));
  // J-13: raw UTF-8 in the URL.
  EXPECT_TRUE(valid("https://mycompany.com/webhook/Espa\xC3\xB1"
                    "a?a\xC3\xB1o=2023",
                    common_params(), "G/Hx6mqqnjUNlPAoi2Sp9bGst0g="));
  // J-15: a doubled slash is signed as it is.
  EXPECT_TRUE(valid("https://mycompany.com:443//myapp.php?foo=1&bar=2", common_params(),
                    "A9lH3u16NjyiiM/+wylw5rirFUs="));
  // Node's webhooks.spec.js inputs (token s3cr3t), derived: with and without :443.
  EXPECT_TRUE(validate_signature("s3cr3t", "https://example.com/path?test=param", {}, "",
                                 "IdwMFypqvNxti3YgvWWmfcNL26M="));
  EXPECT_TRUE(validate_signature("s3cr3t", "https://example.com:443/path?test=param", {}, "",
                                 "loLgTitFAoWx57yy5oEU4Hlddzw="));
  EXPECT_FALSE(validate_signature("s3cr3t", "https://example.com/path?test=param2", {}, "",
                                  "loLgTitFAoWx57yy5oEU4Hlddzw="));
}

TEST(TwilioSignature, JavaParameterCases) {
  EXPECT_TRUE(valid(k_url, {}, "zYQTYrRWXE7LtzbG4PfP7/bkkGo="));        // J-7
  EXPECT_TRUE(valid("https://mycompany.com/myapp.php", common_params(), // J-8
                    "1xaxFBvyzXYvWplzNOSs28HWO94="));
  EXPECT_TRUE(valid(k_url, // J-9
                    {{"Message", "Hello & goodbye! @#$%^*()"},
                     {"From", "+1 (415) 867-5309"},
                     {"Special", "unicode: \xC3\xB1\xC3\xA1\xC3\xA9\xC3\xAD\xC3\xB3\xC3\xBA"}},
                    "dCPiR4WtQ6QFN6pJh81CtlCcWLQ="));
  EXPECT_TRUE(valid(k_url, // J-10
                    {{"Digits", ""}, {"CallSid", "CA1234567890ABCDE"}, {"EmptyParam", ""}},
                    "9HHp/OqQMEwdrVebHDdA/+tqjX8="));
  EXPECT_TRUE(valid(k_url, // J-11
                    {{"Digits", ""}, {"CallSid", "CA1234567890ABCDE"}, {"NullParam", ""}},
                    "L9lTTwIlxM1xGAtLRwhOSZggRhM="));
  EXPECT_TRUE(valid(k_url, // J-12
                    {{"Zebra", "last"}, {"Alpha", "first"}, {"Beta", "second"}, {"Gamma", "third"}},
                    "enveUe73ZTVLAekHxez3Qx6JuuQ="));
  EXPECT_TRUE(valid(k_url, // J-14
                    {{"callSid", "lowercase"}, {"CallSid", "uppercase"}, {"CALLSID", "allcaps"}},
                    "jDK7WKT8wiNrwggd4ceTv4e1MJ4="));
}

TEST(TwilioSignature, GoVectorsSortByNameNotByConcatenation) {
  FormParams params = common_params();
  params.emplace_back("ReasonConferenceEnded", "test");
  params.emplace_back("Reason", "Participant");
  EXPECT_TRUE(valid(k_url, params, "vOEb5UThFn24KEfnOFLQY2AE5FY="));            // G-1
  EXPECT_TRUE(valid("https://mycompany.com:1234/myapp.php?foo=1&bar=2", params, // G-2
                    "vOEb5UThFn24KEfnOFLQY2AE5FY="));
  EXPECT_TRUE(valid("http://mycompany.com/myapp.php?foo=1&bar=2", params, // G-3
                    "n2xBNyzSW7rfYStDtOFiFMv7qNo="));
  EXPECT_TRUE(valid("http://mycompany.com:1234/myapp.php?foo=1&bar=2", params, // G-4
                    "n2xBNyzSW7rfYStDtOFiFMv7qNo="));
  EXPECT_TRUE(valid("http://mycompany.com/myapp.php?foo=1&bar=2", params, // derived
                    "oCUk9kaPGFSgDUJ9NnSKaV+LTwE="));
  EXPECT_FALSE(valid(k_url, params, "95+Bu0JVPi0r/SsESZCVf0dWAjw=")); // G-7
  // G-6: a form body, decoded.
  ParsedForm form = parse_form("property=value&boolean=true", 100);
  ASSERT_EQ(form.error, FormError::none);
  EXPECT_TRUE(valid(k_url, form.params, "NBdBDr/T/lgjI+tlgpXjKZQZs/k="));
}

TEST(TwilioSignature, WrongSignaturesTokensAndValuesFail) {
  EXPECT_FALSE(valid(k_url, common_params(), "WRONG_SIGNATURE"));                 // N-15
  EXPECT_FALSE(valid(k_url, common_params(), "NOTRSOYDt4T1cUTdK1PDd93/VVr8B8=")); // J-2
  EXPECT_FALSE(valid(k_url, common_params(), "IncorrectSignatureValue123="));     // J-18
  EXPECT_FALSE(valid(k_url, common_params(), ""));
  EXPECT_FALSE(validate_signature("54321", k_url, common_params(), "", k_default_signature));
  EXPECT_FALSE(validate_signature("", k_url, common_params(), "", k_default_signature));
  FormParams changed = common_params();
  changed.back().second = "+18005551213"; // another To
  EXPECT_FALSE(valid(k_url, changed, k_default_signature));
  FormParams added = common_params();
  added.emplace_back("Extra", "1");
  EXPECT_FALSE(valid(k_url, added, k_default_signature));
  // Another host, path or scheme.
  EXPECT_FALSE(
      valid("https://mycompany.org/myapp.php?foo=1&bar=2", common_params(), k_default_signature));
  EXPECT_FALSE(
      valid("https://mycompany.com/myapp.php?bar=2&foo=1", common_params(), k_default_signature));
  EXPECT_FALSE(
      valid("http://mycompany.com/myapp.php?foo=1&bar=2", common_params(), k_default_signature));
}

TEST(TwilioSignature, PortHelpers) {
  EXPECT_EQ(url_without_port("https://h.example:8443/p?q=1"), "https://h.example/p?q=1");
  EXPECT_EQ(url_without_port("https://h.example/p"), "https://h.example/p");
  EXPECT_EQ(url_without_port("http://u:p@h.example:81"), "http://u:p@h.example");
  EXPECT_EQ(url_without_port("http://[::1]:8080/x"), "http://[::1]/x");
  EXPECT_EQ(url_with_default_port("https://h.example/p"), "https://h.example:443/p");
  EXPECT_EQ(url_with_default_port("http://h.example?x=1"), "http://h.example:80?x=1");
  EXPECT_EQ(url_with_default_port("http://h.example:81/"), "http://h.example:81/");
  EXPECT_EQ(url_with_default_port("ftp://h.example/"), "ftp://h.example/");
}

TEST(TwilioForm, DecodesAsTwilioEncodes) {
  ParsedForm form = parse_form("From=%2B14158675309&Caller=+1+(415)&Empty=&Flag&&A%26B=c%3Dd", 10);
  ASSERT_EQ(form.error, FormError::none);
  FormParams expected = {{"From", "+14158675309"},
                         {"Caller", " 1 (415)"},
                         {"Empty", ""},
                         {"Flag", ""},
                         {"A&B", "c=d"}};
  EXPECT_EQ(form.params, expected);
  EXPECT_EQ(form_value(form.params, "From"), "+14158675309");
  EXPECT_EQ(form_value(form.params, "from"), "");
}

TEST(TwilioForm, RefusesMalformedBodies) {
  EXPECT_EQ(parse_form("To=%2", 10).error, FormError::bad_escape);
  EXPECT_EQ(parse_form("To=%zz", 10).error, FormError::bad_escape);
  EXPECT_EQ(parse_form("To=%", 10).error, FormError::bad_escape);
  EXPECT_EQ(parse_form("=value", 10).error, FormError::empty_name);
  EXPECT_EQ(parse_form("To=%C3%28", 10).error, FormError::not_utf8);
  EXPECT_EQ(parse_form("To=%ED%A0%80", 10).error, FormError::not_utf8); // a surrogate
  EXPECT_EQ(parse_form("a=1&b=2&c=3", 2).error, FormError::too_many);
  EXPECT_EQ(parse_form("a=1&b=2", 2).error, FormError::none);
}

TEST(Twiml, RejectIsTheFirstAndOnlyVerb) {
  EXPECT_EQ(
      twiml_reject(),
      R"(<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="rejected"/></Response>)");
}

TEST(Twiml, SayAndHangUpEscapesTheMessage) {
  EXPECT_EQ(twiml_say_and_hang_up("Sorry & <goodbye> \"now\" 'ok'\x01"),
            R"(<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry &amp; &lt;goodbye&gt; )"
            R"(&quot;now&quot; &apos;ok&apos; </Say><Hangup/></Response>)");
}

TEST(Twiml, RecognisesAResponseDocument) {
  EXPECT_TRUE(looks_like_twiml(R"(<?xml version="1.0"?><Response><Connect/></Response>)"));
  EXPECT_FALSE(looks_like_twiml("<html>Service unavailable</html>"));
  EXPECT_FALSE(looks_like_twiml(""));
}

} // namespace
} // namespace vami::twilio

namespace vami::twilio {
namespace {

TEST(TwilioStatusCallback, IsReadIntoACallRecord) {
  FormParams inbound = {{"CallSid", "CA1"},          {"Direction", "inbound"},
                        {"CallStatus", "completed"}, {"From", "+14155550123"},
                        {"To", "+12125550101"},      {"CallDuration", "42"}};
  CallRecord call = status_callback_call(inbound);
  EXPECT_EQ(call.call_sid, "CA1");
  EXPECT_EQ(call.direction, CallDirection::inbound);
  EXPECT_EQ(call.status, CallStatus::completed);
  EXPECT_EQ(call.number, "+12125550101");
  EXPECT_EQ(call.caller, "+14155550123");
  EXPECT_EQ(call.duration_seconds, 42);
  EXPECT_EQ(call.source, CallSource::router);

  FormParams outbound = {{"CallSid", "CA2"},          {"Direction", "outbound-api"},
                         {"CallStatus", "no-answer"}, {"From", "+12125550101"},
                         {"To", "+14155550123"},      {"CallDuration", "4.5"}};
  call = status_callback_call(outbound);
  EXPECT_EQ(call.number, "+12125550101");
  EXPECT_EQ(call.caller, "+14155550123");
  EXPECT_EQ(call.status, CallStatus::no_answer);
  EXPECT_FALSE(call.duration_seconds.has_value());

  call = status_callback_call({{"CallSid", "CA3"}, {"CallStatus", "exploded"}});
  EXPECT_FALSE(call.status.has_value());
  EXPECT_FALSE(call.direction.has_value());
}

} // namespace
} // namespace vami::twilio
