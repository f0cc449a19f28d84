#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <thread>

#include "fake_monotonic_clock.hpp"
#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/rate_limiter.hpp>

namespace vami {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeMonotonicClock;

RateLimiterSettings ten_per_second() {
  RateLimiterSettings settings;
  settings.initial_rate = 10;
  settings.min_rate = 1;
  settings.max_rate = 12;
  settings.additive_increase = 0.5;
  settings.decrease_factor = 0.5;
  return settings;
}

TEST(AdaptiveRateLimiter, ByDefaultLetsEveryRequestGoUntilTheFirstRateLimit) {
  FakeMonotonicClock clock;
  AdaptiveRateLimiter limiter(clock);
  for (int i = 0; i < 200; ++i) {
    (void)limiter.acquire();
    limiter.on_success();
  }
  EXPECT_TRUE(clock.sleeps().empty()) << "a provider that limits nothing is not paced";
  EXPECT_TRUE(std::isinf(limiter.rate()));
}

TEST(AdaptiveRateLimiter, FirstRateLimitCutsTheRateRequestsWentOutAtAndPacesFromThen) {
  FakeMonotonicClock clock;
  AdaptiveRateLimiter limiter(clock);
  // 40 requests over the last second: the provider refused 40/s.
  AdaptiveRateLimiter::Permit last;
  for (int i = 0; i < 40; ++i) {
    last = limiter.acquire();
    clock.advance(milliseconds(25));
  }
  EXPECT_TRUE(clock.sleeps().empty());
  limiter.on_rate_limited(last, std::nullopt);
  EXPECT_DOUBLE_EQ(limiter.rate(), 20.0);
  (void)limiter.acquire();
  const Instant paced_from = clock.now();
  (void)limiter.acquire();
  EXPECT_EQ(clock.now() - paced_from, milliseconds(50)) << "1/20 s apart";
  // Additive recovery, with no ceiling by default.
  for (int i = 0; i < 100; ++i) {
    limiter.on_success();
  }
  EXPECT_DOUBLE_EQ(limiter.rate(), 70.0);
}

TEST(AdaptiveRateLimiter, UnthrottledBurstIsCutHardAndKeepsFallingWhileRefused) {
  FakeMonotonicClock clock;
  auto settings = RateLimiterSettings{};
  settings.min_rate = 1;
  AdaptiveRateLimiter limiter(clock, settings);
  // Eight workers' first requests went out in the same instant and one was refused.
  std::vector<AdaptiveRateLimiter::Permit> burst;
  for (int i = 0; i < 8; ++i) {
    burst.push_back(limiter.acquire());
  }
  limiter.on_rate_limited(burst.front(), seconds(1));
  const double after_burst = limiter.rate();
  EXPECT_TRUE(std::isfinite(after_burst));
  for (const auto& permit : burst) {
    limiter.on_rate_limited(permit, std::nullopt);
  }
  EXPECT_DOUBLE_EQ(limiter.rate(), after_burst) << "one congestion event, one cut";
  EXPECT_EQ(limiter.paused_until(), FakeMonotonicClock::start() + seconds(1));
  while (limiter.rate() > 1.0) {
    limiter.on_rate_limited(limiter.acquire(), std::nullopt);
  }
  EXPECT_DOUBLE_EQ(limiter.rate(), 1.0) << "stops at the floor";
}

TEST(AdaptiveRateLimiter, CutsFromTheRateRequestsReallyWentOutAtAfterALongClimb) {
  FakeMonotonicClock clock;
  auto settings = ten_per_second();
  settings.max_rate = 1000;
  AdaptiveRateLimiter limiter(clock, settings);
  AdaptiveRateLimiter::Permit last;
  // Slow workers: 10 requests a second, while successes climbed the allowed rate to 60/s.
  for (int i = 0; i < 100; ++i) {
    last = limiter.acquire();
    limiter.on_success();
    clock.advance(milliseconds(100));
  }
  EXPECT_DOUBLE_EQ(limiter.rate(), 60.0);
  limiter.on_rate_limited(last, std::nullopt);
  EXPECT_DOUBLE_EQ(limiter.rate(), 5.0) << "half of the 10/s refused, not half of 60/s";
}

TEST(AdaptiveRateLimiter, SpacesRequestsEvenlyAtTheCurrentRate) {
  FakeMonotonicClock clock;
  AdaptiveRateLimiter limiter(clock, ten_per_second());
  const Instant start = FakeMonotonicClock::start();
  EXPECT_EQ(limiter.acquire().sequence, 1U);
  EXPECT_TRUE(clock.sleeps().empty()) << "the first request waits for nothing";
  EXPECT_EQ(limiter.acquire().sequence, 2U);
  EXPECT_EQ(limiter.acquire().sequence, 3U);
  EXPECT_EQ(clock.sleeps(),
            (std::vector<Instant>{start + milliseconds(100), start + milliseconds(200)}));
  // Idle time earns no burst: after a long quiet spell, requests are spaced again.
  clock.advance(seconds(10));
  (void)limiter.acquire();
  (void)limiter.acquire();
  EXPECT_EQ(clock.sleeps().back(), clock.now());
  EXPECT_EQ(clock.now(), start + milliseconds(200) + seconds(10) + milliseconds(100));
}

TEST(AdaptiveRateLimiter, HalvesOnARateLimitAndClimbsBackToTheCeilingOneStepPerSuccess) {
  FakeMonotonicClock clock;
  AdaptiveRateLimiter limiter(clock, ten_per_second());
  auto permit = limiter.acquire();
  limiter.on_rate_limited(permit, std::nullopt);
  EXPECT_DOUBLE_EQ(limiter.rate(), 5.0);
  const Instant before = clock.now();
  (void)limiter.acquire(); // the slot reserved at the old rate
  (void)limiter.acquire();
  EXPECT_EQ(clock.now() - before, milliseconds(100) + milliseconds(200))
      << "the request after the cut waits 1/5 s";
  for (int i = 0; i < 4; ++i) {
    limiter.on_success();
  }
  EXPECT_DOUBLE_EQ(limiter.rate(), 7.0);
  for (int i = 0; i < 100; ++i) {
    limiter.on_success();
  }
  EXPECT_DOUBLE_EQ(limiter.rate(), 12.0) << "stops at the ceiling";
  for (int i = 0; i < 10; ++i) {
    limiter.on_rate_limited(limiter.acquire(), std::nullopt);
  }
  EXPECT_DOUBLE_EQ(limiter.rate(), 1.0) << "stops at the floor";
}

TEST(AdaptiveRateLimiter, CutsOncePerCongestionEvent) {
  FakeMonotonicClock clock;
  AdaptiveRateLimiter limiter(clock, ten_per_second());
  // Four workers had requests out when the provider started answering 429.
  std::vector<AdaptiveRateLimiter::Permit> in_flight;
  for (int i = 0; i < 4; ++i) {
    in_flight.push_back(limiter.acquire());
  }
  for (const auto& permit : in_flight) {
    limiter.on_rate_limited(permit, std::nullopt);
  }
  EXPECT_DOUBLE_EQ(limiter.rate(), 5.0);
  // A request let go after the cut that is refused again means the cut was not enough.
  limiter.on_rate_limited(limiter.acquire(), std::nullopt);
  EXPECT_DOUBLE_EQ(limiter.rate(), 2.5);
}

TEST(AdaptiveRateLimiter, RetryAfterHoldsEveryRequestUntilThen) {
  FakeMonotonicClock clock;
  AdaptiveRateLimiter limiter(clock, ten_per_second());
  auto permit = limiter.acquire();
  const Instant refused_at = clock.now();
  limiter.on_rate_limited(permit, seconds(5));
  EXPECT_EQ(limiter.paused_until(), refused_at + seconds(5));
  (void)limiter.acquire();
  EXPECT_EQ(clock.now(), refused_at + seconds(5));
  (void)limiter.acquire();
  EXPECT_EQ(clock.now(), refused_at + seconds(5) + milliseconds(200))
      << "after the pause, requests go out at the halved rate";
  // A shorter Retry-After answering another request does not shorten a pause in force.
  auto one = limiter.acquire();
  auto other = limiter.acquire();
  limiter.on_rate_limited(one, seconds(30));
  const Instant long_pause = limiter.paused_until();
  EXPECT_EQ(long_pause, clock.now() + seconds(30));
  limiter.on_rate_limited(other, seconds(1));
  EXPECT_EQ(limiter.paused_until(), long_pause);
}

TEST(AdaptiveRateLimiter, CutsAnAbsurdRetryAfterToTheMaximumPause) {
  FakeMonotonicClock clock;
  auto settings = ten_per_second();
  settings.max_pause = seconds(60);
  AdaptiveRateLimiter limiter(clock, settings);
  limiter.on_rate_limited(limiter.acquire(), std::chrono::hours(24 * 30));
  EXPECT_EQ(limiter.paused_until(), clock.now() + seconds(60));
}

// A clock that runs `during_sleep` the first time someone sleeps, as if another worker reported
// a 429 while this one waited for its slot.
class InterruptedSleepClock final : public MonotonicClock {
public:
  std::function<void()> during_sleep;
  FakeMonotonicClock inner;
  Instant now() override { return inner.now(); }
  void sleep_until(Instant deadline) override {
    if (during_sleep) {
      auto hook = std::move(during_sleep);
      during_sleep = nullptr;
      hook();
    }
    inner.sleep_until(deadline);
  }
};

TEST(AdaptiveRateLimiter, APauseThatBeginsWhileACallerWaitsHoldsItToo) {
  InterruptedSleepClock clock;
  AdaptiveRateLimiter limiter(clock, ten_per_second());
  auto first = limiter.acquire();
  Instant refused_at;
  clock.during_sleep = [&] {
    refused_at = clock.now();
    limiter.on_rate_limited(first, seconds(3));
  };
  (void)limiter.acquire(); // reserved a slot 100 ms on, then the 429 arrived
  EXPECT_EQ(clock.now(), refused_at + seconds(3));
}

TEST(AdaptiveRateLimiter, HandsOutOnePermitPerCallerAcrossThreads) {
  FakeMonotonicClock clock;
  RateLimiterSettings settings = ten_per_second();
  AdaptiveRateLimiter limiter(clock, settings);
  constexpr int k_threads = 8;
  constexpr int k_each = 50;
  std::mutex mutex;
  std::set<std::uint64_t> sequences;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < k_threads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < k_each; ++i) {
          auto permit = limiter.acquire();
          if (i % 10 == 9) {
            limiter.on_rate_limited(permit, milliseconds(50));
          } else {
            limiter.on_success();
          }
          std::lock_guard lock(mutex);
          sequences.insert(permit.sequence);
        }
      });
    }
  }
  EXPECT_EQ(sequences.size(), static_cast<std::size_t>(k_threads * k_each));
  EXPECT_EQ(*sequences.rbegin(), static_cast<std::uint64_t>(k_threads * k_each));
  EXPECT_GE(limiter.rate(), settings.min_rate);
  EXPECT_LE(limiter.rate(), settings.max_rate);
}

TEST(AdaptiveRateLimiter, RefusesInconsistentSettings) {
  FakeMonotonicClock clock;
  auto refused = [&](const std::function<void(RateLimiterSettings&)>& change) {
    RateLimiterSettings settings = ten_per_second();
    change(settings);
    try {
      AdaptiveRateLimiter limiter(clock, settings);
    } catch (const Error& error) {
      return error.kind() == ErrorKind::invalid_input;
    }
    return false;
  };
  EXPECT_TRUE(refused([](auto& s) { s.min_rate = 0; }));
  EXPECT_TRUE(refused([](auto& s) { s.initial_rate = 20; }));
  EXPECT_TRUE(refused([](auto& s) { s.min_rate = 11; }));
  EXPECT_TRUE(refused([](auto& s) { s.decrease_factor = 1; }));
  EXPECT_TRUE(refused([](auto& s) { s.additive_increase = -1; }));
  EXPECT_TRUE(refused([](auto& s) { s.min_rate = std::numeric_limits<double>::infinity(); }));
  EXPECT_TRUE(refused([](auto& s) { s.initial_rate = std::numeric_limits<double>::infinity(); }))
      << "unthrottled start above a finite ceiling";
  EXPECT_FALSE(refused([](auto&) {}));
  EXPECT_FALSE(refused([](auto& s) { s = RateLimiterSettings{}; })) << "the defaults";
}

} // namespace
} // namespace vami
