#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/retry.hpp>

namespace vami {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

RetrySettings settings(int attempts = 5) {
  RetrySettings result;
  result.max_attempts = attempts;
  result.base_delay = milliseconds(100);
  result.max_delay = milliseconds(1000);
  result.max_retry_after = seconds(60);
  return result;
}

// Always draws just under 1: the delay is (almost) its ceiling, which the test can predict.
double almost_one() {
  return 0.999999;
}

Error error_of(ErrorKind kind) {
  return Error(kind, "test failure");
}

TEST(RetryPolicy, RetriesOnlyRateLimitsAndUnavailability) {
  RetryPolicy policy(settings(), almost_one);
  for (ErrorKind kind : {ErrorKind::rate_limited, ErrorKind::unavailable}) {
    EXPECT_TRUE(RetryPolicy::is_retryable(kind));
    EXPECT_TRUE(policy.delay_before_retry(error_of(kind), 1).has_value()) << to_string(kind);
  }
  for (ErrorKind kind :
       {ErrorKind::invalid_input, ErrorKind::not_found, ErrorKind::conflict, ErrorKind::auth,
        ErrorKind::provider, ErrorKind::storage, ErrorKind::uncertain, ErrorKind::interrupted}) {
    EXPECT_FALSE(RetryPolicy::is_retryable(kind)) << to_string(kind);
    EXPECT_FALSE(policy.delay_before_retry(error_of(kind), 1).has_value()) << to_string(kind);
  }
}

TEST(RetryPolicy, BacksOffExponentiallyUpToTheCapAndStopsAfterTheLastAttempt) {
  RetryPolicy policy(settings(6), almost_one);
  auto unavailable = error_of(ErrorKind::unavailable);
  std::vector<Duration> delays;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    auto delay = policy.delay_before_retry(unavailable, attempt);
    ASSERT_TRUE(delay.has_value()) << attempt;
    delays.push_back(*delay);
  }
  // Ceilings 100, 200, 400, 800, then capped at 1000 ms; the draw takes just under each.
  const std::vector<milliseconds> ceilings{milliseconds(100), milliseconds(200), milliseconds(400),
                                           milliseconds(800), milliseconds(1000)};
  for (std::size_t i = 0; i < ceilings.size(); ++i) {
    EXPECT_LE(delays[i], ceilings[i]) << i;
    EXPECT_GT(delays[i], ceilings[i] - milliseconds(1)) << i;
  }
  EXPECT_FALSE(policy.delay_before_retry(unavailable, 6).has_value()) << "six tries in all";
}

TEST(RetryPolicy, FullJitterSpreadsTheDelayOverTheWholeWindow) {
  double draw = 0.0;
  RetryPolicy policy(settings(), [&draw] { return draw; });
  auto limited = error_of(ErrorKind::rate_limited);
  EXPECT_EQ(policy.delay_before_retry(limited, 3), Duration::zero());
  draw = 0.5;
  EXPECT_EQ(policy.delay_before_retry(limited, 3), Duration(milliseconds(200)));
  draw = 7.0; // a broken source is clamped to the window
  EXPECT_EQ(policy.delay_before_retry(limited, 3), Duration(milliseconds(400)));
}

TEST(RetryPolicy, WaitsAtLeastWhatRetryAfterAsksAndGivesUpOnTooLongAWait) {
  RetryPolicy policy(settings(), [] { return 0.0; });
  Error limited(ErrorKind::rate_limited, "slow down");
  limited.set_retry_after_seconds(7.5);
  EXPECT_EQ(policy.delay_before_retry(limited, 1), Duration(milliseconds(7500)));
  limited.set_retry_after_seconds(3600);
  EXPECT_FALSE(policy.delay_before_retry(limited, 1).has_value());
  // Retry-After does not buy extra attempts.
  limited.set_retry_after_seconds(1);
  EXPECT_FALSE(policy.delay_before_retry(limited, 5).has_value());
}

TEST(RetryPolicy, DefaultRandomSourceStaysInsideTheWindow) {
  RetryPolicy policy(settings());
  for (int i = 0; i < 200; ++i) {
    auto delay = policy.delay_before_retry(error_of(ErrorKind::unavailable), 2);
    ASSERT_TRUE(delay.has_value());
    EXPECT_GE(*delay, Duration::zero());
    EXPECT_LE(*delay, Duration(milliseconds(200)));
  }
}

TEST(RetryPolicy, RefusesSettingsThatMakeNoSense) {
  auto kind = [](RetrySettings bad) {
    try {
      RetryPolicy policy(bad);
    } catch (const Error& error) {
      return error.kind();
    }
    return ErrorKind::provider;
  };
  EXPECT_EQ(kind(settings(0)), ErrorKind::invalid_input);
  auto inverted = settings();
  inverted.max_delay = milliseconds(10);
  EXPECT_EQ(kind(inverted), ErrorKind::invalid_input);
}

} // namespace
} // namespace vami
