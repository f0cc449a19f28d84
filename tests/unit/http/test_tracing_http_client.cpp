#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fake_http_client.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view k_canary = "CANARY-5e3c7e7-4f2a";

/// A traced client over a fake, with everything the sink received joined in one string.
struct Traced {
  test::FakeHttpClient* fake = nullptr;
  std::unique_ptr<HttpClient> client;
  std::vector<std::string> calls;

  [[nodiscard]] std::string text() const {
    std::string all;
    for (const auto& call : calls) {
      all += call;
    }
    return all;
  }
};

std::unique_ptr<Traced> make_traced(std::vector<std::string> secrets) {
  auto traced = std::make_unique<Traced>();
  auto fake = std::make_unique<test::FakeHttpClient>();
  traced->fake = fake.get();
  traced->client = make_tracing_http_client(
      std::move(fake),
      [raw = traced.get()](std::string_view line) { raw->calls.emplace_back(line); },
      std::move(secrets));
  return traced;
}

TEST(TracingHttpClient, NeverWritesTheCanaryWhileKeepingTheRest) {
  std::string canary(k_canary);
  auto traced = make_traced({canary});
  traced->fake->push_response(
      200, R"({"sid": "PN123", "token": ")" + canary + R"(", "friendly_name": "visible-name"})",
      {{"Content-Type", "application/json"}, {"Set-Cookie", "session=" + canary}});

  HttpRequest request;
  request.method = "POST";
  request.url =
      "https://api.example.test/v1/things/" + canary + "/x.json?PageSize=20&key=" + canary;
  request.headers = {{"Authorization", "Bearer " + canary},
                     {"Content-Type", "application/x-www-form-urlencoded"},
                     {"X-Trace-Me", "plain-header-value"}};
  request.body = "FriendlyName=visible-tag&AuthToken=" + canary;
  HttpResponse response = traced->client->send(request);

  // The inner client got the real request, secrets included.
  EXPECT_EQ(traced->fake->last_request().body, request.body);
  EXPECT_THAT(response.body, HasSubstr(canary));

  std::string trace = traced->text();
  EXPECT_THAT(trace, Not(HasSubstr(canary)));
  EXPECT_THAT(trace, HasSubstr("> POST https://api.example.test/v1/things/[REDACTED]/x.json"));
  EXPECT_THAT(trace, HasSubstr("PageSize=20"));
  EXPECT_THAT(trace, HasSubstr("> Authorization: [REDACTED]"));
  EXPECT_THAT(trace, HasSubstr("> X-Trace-Me: plain-header-value"));
  EXPECT_THAT(trace, HasSubstr("FriendlyName=visible-tag"));
  EXPECT_THAT(trace, HasSubstr("AuthToken=[REDACTED]"));
  EXPECT_THAT(trace, HasSubstr("< 200 ("));
  EXPECT_THAT(trace, HasSubstr("< Set-Cookie: [REDACTED]"));
  EXPECT_THAT(trace, HasSubstr("\"sid\": \"PN123\""));
  EXPECT_THAT(trace, HasSubstr("visible-name"));
  EXPECT_EQ(traced->calls.size(), 2U) << "one call for the request, one for the response";
}

TEST(TracingHttpClient, RedactsByNameEvenWhenTheSecretIsNotListed) {
  std::string canary(k_canary);
  auto traced = make_traced({});
  traced->fake->push_response(201, R"({"api_key":")" + canary + R"(","name":"kept"})");

  HttpRequest request;
  request.method = "POST";
  request.url = "https://api.example.test/v1/import?Token=" + canary + "&page=2";
  request.headers = {{"xi-api-key", canary}, {"Cookie", "sid=" + canary}};
  request.body = R"({"label": "kept-label", "token": ")" + canary + R"("})";
  (void)traced->client->send(request);

  std::string trace = traced->text();
  EXPECT_THAT(trace, Not(HasSubstr(canary)));
  EXPECT_THAT(trace, HasSubstr("Token=[REDACTED]&page=2"));
  EXPECT_THAT(trace, HasSubstr("> xi-api-key: [REDACTED]"));
  EXPECT_THAT(trace, HasSubstr("> Cookie: [REDACTED]"));
  EXPECT_THAT(trace, HasSubstr("\"label\": \"kept-label\""));
  EXPECT_THAT(trace, HasSubstr("\"token\": \"[REDACTED]\""));
  EXPECT_THAT(trace, HasSubstr("\"name\":\"kept\""));
}

TEST(TracingHttpClient, TracesATransportFailureAndRethrowsIt) {
  std::string canary(k_canary);
  auto traced = make_traced({canary});
  traced->fake->fail_at(1, test::HttpFault::connection_refused);

  HttpRequest request;
  request.url = "https://" + canary + ".example.test/x";
  try {
    (void)traced->client->send(request);
    FAIL() << "expected an Error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::unavailable);
  }
  std::string trace = traced->text();
  EXPECT_THAT(trace, HasSubstr("! failed"));
  EXPECT_THAT(trace, HasSubstr("connection refused"));
  EXPECT_THAT(trace, Not(HasSubstr(canary)));
}

TEST(TracingHttpClient, TruncatesLongBodiesWithANote) {
  auto traced = make_traced({});
  std::string body(10'000, 'x');
  body += "END-OF-BODY";
  traced->fake->push_response(200, body);
  HttpResponse response = traced->client->send(HttpRequest{});

  EXPECT_EQ(response.body, body);
  std::string trace = traced->text();
  EXPECT_THAT(trace, Not(HasSubstr("END-OF-BODY")));
  EXPECT_THAT(trace, HasSubstr("truncated"));
  EXPECT_THAT(trace, HasSubstr(std::to_string(body.size())));
  EXPECT_LT(trace.size(), 6000U);
}

TEST(TracingHttpClient, SummarisesBinaryBodies) {
  auto traced = make_traced({});
  std::string body("\x89PNG\r\n\x1a\n\0\0\0", 11);
  traced->fake->push_response(200, body);
  (void)traced->client->send(HttpRequest{});
  EXPECT_THAT(traced->text(), HasSubstr("[11 bytes of binary data]"));
}

TEST(Redact, ReplacesEverySecretWhereverItIs) {
  EXPECT_EQ(redact("a s3cr3t b s3cr3t", {"s3cr3t"}), "a [REDACTED] b [REDACTED]");
  EXPECT_EQ(redact("nothing here", {"", "absent"}), "nothing here");
}

TEST(Redact, ReplacesThePercentEncodedFormOfASecret) {
  EXPECT_EQ(redact("x=ab%2Bcd%2F&y=1", {"ab+cd/"}), "x=[REDACTED]&y=1");
}

TEST(Redact, PrefersTheLongestSecret) {
  EXPECT_EQ(redact("id=abcdef", {"abc", "abcdef"}), "id=[REDACTED]");
}

TEST(Redact, RedactsFormFieldsByNameIgnoringCase) {
  EXPECT_EQ(redact("AuthToken=abc&FriendlyName=tag", {}), "AuthToken=[REDACTED]&FriendlyName=tag");
  EXPECT_EQ(redact("PASSWORD=hunter2", {}), "PASSWORD=[REDACTED]");
  EXPECT_EQ(redact("https://h/p?client_secret=zz&a=1", {}),
            "https://h/p?client_secret=[REDACTED]&a=1");
  EXPECT_EQ(redact("Api_Key=k1 next", {}), "Api_Key=[REDACTED] next");
  EXPECT_EQ(redact("Tokenless=&PageSize=50", {}), "Tokenless=&PageSize=50");
  EXPECT_EQ(redact("FriendlyName=token", {}), "FriendlyName=token");
}

TEST(Redact, RedactsJsonMembersByNameIgnoringCase) {
  EXPECT_EQ(redact(R"({"Token" : "a\"b", "name": "n"})", {}),
            R"({"Token" : "[REDACTED]", "name": "n"})");
  EXPECT_EQ(redact(R"({"nested": {"webhook_secret": "w"}, "api_key": 12345})", {}),
            R"({"nested": {"webhook_secret": "[REDACTED]"}, "api_key": [REDACTED]})");
  // A value that merely looks like a sensitive key is not a key.
  EXPECT_EQ(redact(R"({"note": "token", "x": "y"})", {}), R"({"note": "token", "x": "y"})");
}

TEST(Redact, RedactsAnUnterminatedValueToTheEnd) {
  EXPECT_EQ(redact(R"({"password": "abc)", {}), R"({"password": "[REDACTED])");
}

} // namespace
} // namespace vami::http
