#include <gtest/gtest.h>

#include <vami/core/error.hpp>

namespace vami {
namespace {

TEST(Error, KeepsKindHintAndProviderDetail) {
  ProviderErrorDetail detail{"twilio",
                             400,
                             "21422",
                             "PhoneNumber requested is not available",
                             "https://www.twilio.com/docs/errors/21422",
                             "RQ123"};
  Error error(ErrorKind::provider, "Twilio refused", "try another number", detail);
  error.set_retry_after_seconds(2.5);
  EXPECT_EQ(error.kind(), ErrorKind::provider);
  EXPECT_STREQ(error.what(), "Twilio refused");
  EXPECT_EQ(error.hint(), "try another number");
  ASSERT_TRUE(error.provider_detail().has_value());
  EXPECT_EQ(error.provider_detail()->code, "21422");
  EXPECT_EQ(error.provider_detail()->request_id, "RQ123");
  EXPECT_EQ(error.retry_after_seconds(), 2.5);
}

TEST(Error, NamesEveryKindStably) {
  EXPECT_STREQ(to_string(ErrorKind::invalid_input), "invalid_input");
  EXPECT_STREQ(to_string(ErrorKind::not_found), "not_found");
  EXPECT_STREQ(to_string(ErrorKind::conflict), "conflict");
  EXPECT_STREQ(to_string(ErrorKind::auth), "auth");
  EXPECT_STREQ(to_string(ErrorKind::rate_limited), "rate_limited");
  EXPECT_STREQ(to_string(ErrorKind::unavailable), "unavailable");
  EXPECT_STREQ(to_string(ErrorKind::provider), "provider");
  EXPECT_STREQ(to_string(ErrorKind::storage), "storage");
  EXPECT_STREQ(to_string(ErrorKind::uncertain), "uncertain");
  EXPECT_STREQ(to_string(ErrorKind::interrupted), "interrupted");
}

TEST(Error, OnlyRateLimitsAndOutagesAreTransient) {
  EXPECT_TRUE(is_transient(ErrorKind::rate_limited));
  EXPECT_TRUE(is_transient(ErrorKind::unavailable));
  EXPECT_FALSE(is_transient(ErrorKind::provider));
  EXPECT_FALSE(is_transient(ErrorKind::auth));
  EXPECT_FALSE(is_transient(ErrorKind::conflict));
}

} // namespace
} // namespace vami
