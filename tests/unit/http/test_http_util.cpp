#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <vami/providers/http_client.hpp>

namespace vami::http {
namespace {

TEST(UrlEncode, KeepsUnreservedCharactersAndEncodesTheRest) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("+12125550101"), "%2B12125550101");
  EXPECT_EQ(url_encode("New York"), "New%20York");
  EXPECT_EQ(url_encode("a&b=c/d?e*"), "a%26b%3Dc%2Fd%3Fe%2A");
  EXPECT_EQ(url_encode(""), "");
}

TEST(UrlEncode, EncodesUtf8BytesInUpperCaseHex) {
  EXPECT_EQ(url_encode("S\xC3\xA3o Paulo"), "S%C3%A3o%20Paulo");
}

TEST(UrlDecode, DecodesPercentAndPlus) {
  EXPECT_EQ(url_decode("%2B1%20212+555"), "+1 212 555");
  EXPECT_EQ(url_decode("S%c3%a3o"), "S\xC3\xA3o");
}

TEST(UrlDecode, KeepsMalformedEscapesAsTheyAre) {
  EXPECT_EQ(url_decode("100%"), "100%");
  EXPECT_EQ(url_decode("%zz"), "%zz");
  EXPECT_EQ(url_decode("%4"), "%4");
}

TEST(UrlEncode, RoundTripsEveryByte) {
  std::string all;
  for (int byte = 0; byte < 256; ++byte) {
    all += static_cast<char>(byte);
  }
  EXPECT_EQ(url_decode(url_encode(all)), all);
}

TEST(FormEncode, JoinsEncodedPairsInOrder) {
  EXPECT_EQ(form_encode({{"PhoneNumber", "+12125550101"}, {"FriendlyName", "vami:main:op 1"}}),
            "PhoneNumber=%2B12125550101&FriendlyName=vami%3Amain%3Aop%201");
  EXPECT_EQ(form_encode({{"StatusCallback", ""}}), "StatusCallback=");
  EXPECT_EQ(form_encode({}), "");
}

TEST(FormDecode, SplitsPairsAndToleratesEmptyParts) {
  std::vector<std::pair<std::string, std::string>> expected = {
      {"a", "1"}, {"b", ""}, {"c", ""}, {"d e", "x=y"}};
  EXPECT_EQ(form_decode("a=1&&b=&c&d+e=x%3Dy"), expected);
  EXPECT_TRUE(form_decode("").empty());
}

TEST(FormDecode, InvertsFormEncode) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"VoiceUrl", "https://example.com/voice?tenant=acme&x=1"},
      {"VoiceMethod", "POST"},
      {"StatusCallback", ""},
      {"Text", "a+b c%d"}};
  EXPECT_EQ(form_decode(form_encode(fields)), fields);
}

TEST(BasicAuthorization, MatchesTheRfc7617Example) {
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(BasicAuthorization, PadsEveryLength) {
  EXPECT_EQ(basic_authorization("", ""), "Basic Og==");
  EXPECT_EQ(basic_authorization("a", ""), "Basic YTo=");
  EXPECT_EQ(basic_authorization("ab", ""), "Basic YWI6");
}

TEST(HttpResponseHeader, FindsTheFirstMatchIgnoringCase) {
  HttpResponse response;
  response.headers = {{"Content-Type", "application/json"},
                      {"twilio-request-id", "RQ1"},
                      {"Twilio-Request-Id", "RQ2"}};
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.header("TWILIO-REQUEST-ID"), "RQ1");
  EXPECT_EQ(response.header("Retry-After"), "");
  EXPECT_EQ(response.header("Content-Typ"), "");
}

} // namespace
} // namespace vami::http
