// The encodings and keyed hashes the providers' signatures share (providers/http/crypto.hpp),
// against the RFCs' own test vectors.

#include <string>

#include "crypto.hpp"
#include <gtest/gtest.h>

namespace vami::http {
namespace {

TEST(Crypto, Base64EncodesTheVectorsOfRfc4648) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(Crypto, Base64DecodesWithOrWithoutPaddingAndRefusesOtherCharacters) {
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode("+/8="), std::string("\xfb\xff", 2));
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_FALSE(base64_decode("Zm9v-mFy").has_value());
  EXPECT_FALSE(base64_decode("Zm9v YmFy").has_value());
}

TEST(Crypto, HmacsMatchTheVectorsOfRfc2202AndRfc4231) {
  // RFC 2202, test case 2 (HMAC-SHA1); RFC 4231, test case 2 (HMAC-SHA256).
  EXPECT_EQ(lower_hex(hmac_sha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(lower_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Sha1MatchesFips180) {
  EXPECT_EQ(lower_hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Crypto, SameSecretTextComparesWholeTexts) {
  EXPECT_TRUE(same_secret_text("v0=abc", "v0=abc"));
  EXPECT_TRUE(same_secret_text("", ""));
  EXPECT_FALSE(same_secret_text("v0=abc", "v0=abd"));
  EXPECT_FALSE(same_secret_text("v0=abc", "v0=ab"));
  EXPECT_FALSE(same_secret_text("", "a"));
}

} // namespace
} // namespace vami::http
