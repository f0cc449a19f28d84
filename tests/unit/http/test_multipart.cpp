#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::http {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::string boundary_of(const MultipartBody& body) {
  const std::string prefix = "multipart/form-data; boundary=";
  EXPECT_EQ(body.content_type.substr(0, prefix.size()), prefix);
  return body.content_type.substr(prefix.size());
}

/// Runs `action`, which must throw vami::Error, and returns that error.
template <typename Action>
Error error_of(Action action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "expected a vami::Error";
  return Error(ErrorKind::provider, "no error was thrown");
}

void expect_same_parts(const std::vector<MultipartPart>& actual,
                       const std::vector<MultipartPart>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("part " + std::to_string(i));
    EXPECT_EQ(actual[i].name, expected[i].name);
    EXPECT_EQ(actual[i].file_name, expected[i].file_name);
    EXPECT_EQ(actual[i].content_type, expected[i].content_type);
    EXPECT_EQ(actual[i].content, expected[i].content);
  }
}

TEST(MultipartEncode, WritesTheRfc7578Layout) {
  MultipartBody body = multipart_encode(
      {{"file", "faq.pdf", "application/pdf", "%PDF-1.4"}, {"name", "", "", "Opening hours"}});
  std::string boundary = boundary_of(body);
  EXPECT_EQ(body.body, "--" + boundary +
                           "\r\n"
                           "Content-Disposition: form-data; name=\"file\"; filename=\"faq.pdf\"\r\n"
                           "Content-Type: application/pdf\r\n"
                           "\r\n"
                           "%PDF-1.4\r\n"
                           "--" +
                           boundary +
                           "\r\n"
                           "Content-Disposition: form-data; name=\"name\"\r\n"
                           "\r\n"
                           "Opening hours\r\n"
                           "--" +
                           boundary + "--\r\n");
}

TEST(MultipartEncode, ChoosesAFreshBoundaryWithinRfc2046Limits) {
  std::set<std::string> boundaries;
  for (int i = 0; i < 20; ++i) {
    std::string boundary = boundary_of(multipart_encode({{"text", "", "", "x"}}));
    EXPECT_LE(boundary.size(), 70U);
    EXPECT_THAT(boundary, MatchesRegex("[0-9A-Za-z-]+"));
    boundaries.insert(boundary);
  }
  EXPECT_EQ(boundaries.size(), 20U) << "a fixed boundary could occur in some file";
}

TEST(Multipart, RoundTripsBinaryContentAndAwkwardNames) {
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) {
    every_byte += static_cast<char>(byte);
  }
  std::vector<MultipartPart> parts = {
      {"file", "price \"list\" \\ 2025.pdf", "application/pdf",
       every_byte + "\r\n--not-a-boundary\r\n\r\n" + every_byte},
      {"name", "", "", "Caf\xC3\xA9 menu"},
      {"empty", "", "", ""},
      {"file", "\xE6\x97\xA5\xE6\x9C\xAC.txt", "text/plain; charset=utf-8", "\r\n"},
  };
  MultipartBody body = multipart_encode(parts);
  expect_same_parts(multipart_decode(body.content_type, body.body), parts);
}

TEST(Multipart, RoundTripsNoParts) {
  MultipartBody body = multipart_encode({});
  EXPECT_TRUE(multipart_decode(body.content_type, body.body).empty());
}

TEST(Multipart, LineBreaksInHeaderValuesCannotAddHeadersOrParts) {
  MultipartBody body = multipart_encode({{"file", "evil.txt\"\r\nContent-Type: text/html\r\n\r\n",
                                          "text/plain\r\nX-Injected: 1", "content"}});
  EXPECT_THAT(body.body, Not(HasSubstr("\r\nContent-Type: text/html")));
  EXPECT_THAT(body.body, Not(HasSubstr("\r\nX-Injected")));
  auto parts = multipart_decode(body.content_type, body.body);
  ASSERT_EQ(parts.size(), 1U);
  EXPECT_EQ(parts[0].file_name, "evil.txt\"  Content-Type: text/html    ");
  EXPECT_EQ(parts[0].content_type, "text/plain  X-Injected: 1");
  EXPECT_EQ(parts[0].content, "content");
}

TEST(MultipartDecode, ReadsWhatOtherClientsSend) {
  // Preamble, quoted boundary, parameter names in another case, header names in lower case,
  // transport padding after a boundary, a quoted value that contains "; filename=".
  std::string body = "This is the preamble.\r\n"
                     "--XyZ\r\n"
                     "content-disposition: form-data; NAME=\"a; filename=b\"\r\n"
                     "\r\n"
                     "one\r\n"
                     "--XyZ  \r\n"
                     "Content-Type:application/json\r\n"
                     "Content-Disposition: form-data; filename=\"c.json\";name=doc\r\n"
                     "\r\n"
                     "{}\r\n"
                     "--XyZ--\r\n"
                     "epilogue";
  auto parts = multipart_decode("multipart/form-data; Boundary=\"XyZ\"", body);
  expect_same_parts(
      parts, {{"a; filename=b", "", "", "one"}, {"doc", "c.json", "application/json", "{}"}});
}

TEST(MultipartDecode, RefusesMalformedBodies) {
  struct Case {
    const char* name;
    std::string content_type;
    std::string body;
    const char* why;
  };
  const std::string type = "multipart/form-data; boundary=b";
  std::vector<Case> cases = {
      {"no boundary", "multipart/form-data", "--b--\r\n", "names no boundary"},
      {"boundary absent", type, "hello", "does not occur"},
      {"boundary only inside a line", type, "x--b\r\n", "does not occur"},
      {"no closing boundary", type,
       "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", "closing boundary"},
      {"no blank line", type, "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n--b--\r\n",
       "no blank line"},
      {"blank line shares the delimiter's CRLF", type,
       "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n--b--\r\n", "no blank line"},
      {"no Content-Disposition", type, "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n",
       "no Content-Disposition"},
      {"no headers at all", type, "--b\r\n\r\nx\r\n--b--\r\n", "no Content-Disposition"},
      {"no name", type, "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n", "no name"},
      {"junk after boundary", type,
       "--bjunk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n",
       "does not end with CRLF"},
  };
  for (const auto& one : cases) {
    SCOPED_TRACE(one.name);
    Error error = error_of([&] { (void)multipart_decode(one.content_type, one.body); });
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_THAT(error.what(), HasSubstr("malformed multipart/form-data body"));
    EXPECT_THAT(error.what(), HasSubstr(one.why));
  }
}

} // namespace
} // namespace vami::http
