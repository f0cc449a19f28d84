#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "in_flight_gate.hpp"
#include <gtest/gtest.h>

#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>

namespace vami {
namespace {

using testing::InFlightGate;

using Work = std::function<int(std::size_t)>;
using Observer = std::function<void(std::size_t, const int&)>;

TEST(BulkRunner, NeverHasMoreThanTheConcurrencyInFlightAndReachesIt) {
  for (int concurrency : {1, 2, 4, 8}) {
    InFlightGate gate(concurrency);
    const auto count = static_cast<std::size_t>(concurrency * 3);
    auto outcome = run_bulk<int>(count, concurrency, Work([&](std::size_t index) {
                                   gate.pass();
                                   return static_cast<int>(index);
                                 }));
    EXPECT_FALSE(gate.gave_up()) << concurrency << " items were never in flight together";
    EXPECT_EQ(gate.most_inside(), concurrency);
    EXPECT_EQ(outcome.results.size(), count);
  }
}

TEST(BulkRunner, ResultsComeBackInInputOrderWhateverOrderItemsSettleIn) {
  // Item 0 finishes only after item 3 has settled: they settle out of order.
  std::mutex mutex;
  std::condition_variable changed;
  bool item_3_settled = false;
  std::vector<std::size_t> settle_order;
  auto outcome = run_bulk<std::string>(
      8, 4, std::function<std::string(std::size_t)>([&](std::size_t index) {
        if (index == 0) {
          std::unique_lock lock(mutex);
          changed.wait_for(lock, std::chrono::seconds(30), [&] { return item_3_settled; });
        }
        return "item " + std::to_string(index);
      }),
      {}, [&](std::size_t index, const std::string&) {
        std::lock_guard lock(mutex);
        settle_order.push_back(index);
        if (index == 3) {
          item_3_settled = true;
          changed.notify_all();
        }
      });
  ASSERT_EQ(outcome.results.size(), 8U);
  for (std::size_t i = 0; i < 8; ++i) {
    ASSERT_TRUE(outcome.results[i].has_value()) << i;
    EXPECT_EQ(*outcome.results[i], "item " + std::to_string(i));
  }
  ASSERT_EQ(settle_order.size(), 8U);
  auto position = [&](std::size_t index) {
    return std::find(settle_order.begin(), settle_order.end(), index) - settle_order.begin();
  };
  EXPECT_LT(position(3), position(0));
  EXPECT_FALSE(outcome.stopped);
}

TEST(BulkRunner, OneAtATimeRunsOnTheCallingThreadInInputOrder) {
  std::vector<std::size_t> order;
  const auto caller = std::this_thread::get_id();
  bool elsewhere = false;
  (void)run_bulk<int>(5, 1, Work([&](std::size_t index) {
                        order.push_back(index);
                        elsewhere = elsewhere || std::this_thread::get_id() != caller;
                        return 0;
                      }));
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(elsewhere);
}

TEST(BulkRunner, StopPredicateStopsNewItemsAndLetsInFlightOnesFinish) {
  for (int concurrency : {1, 3}) {
    int asked = 0;
    std::atomic<int> finished{0};
    auto outcome =
        run_bulk<int>(10, concurrency, Work([&](std::size_t index) {
                        ++finished;
                        return static_cast<int>(index) * 2;
                      }),
                      [&] { return asked++ >= 4; }); // called one at a time: a plain int is enough
    EXPECT_TRUE(outcome.stopped);
    EXPECT_EQ(finished.load(), 4) << concurrency;
    for (std::size_t i = 0; i < 10; ++i) {
      EXPECT_EQ(outcome.results[i].has_value(), i < 4) << i;
    }
    EXPECT_EQ(*outcome.results[3], 6);
  }
}

TEST(BulkRunner, StopRequestedAfterTheLastItemStartedIsNotAStop) {
  auto outcome = run_bulk<int>(3, 2, Work([](std::size_t) { return 1; }), [] { return false; });
  EXPECT_FALSE(outcome.stopped);
  auto none = run_bulk<int>(0, 8, Work([](std::size_t) { return 1; }), [] { return true; });
  EXPECT_FALSE(none.stopped);
  EXPECT_TRUE(none.results.empty());
}

TEST(BulkRunner, ObserverCallsNeverOverlapAndSeeEveryItem) {
  std::atomic<bool> inside{false};
  bool overlapped = false;
  int calls = 0; // guarded by the runner's serialisation, which the test checks
  std::set<std::size_t> seen;
  (void)run_bulk<int>(200, 8, Work([](std::size_t index) { return static_cast<int>(index); }), {},
                      Observer([&](std::size_t index, const int& result) {
                        if (inside.exchange(true)) {
                          overlapped = true;
                        }
                        ++calls;
                        seen.insert(index);
                        EXPECT_EQ(result, static_cast<int>(index));
                        std::this_thread::yield();
                        inside = false;
                      }));
  EXPECT_FALSE(overlapped);
  EXPECT_EQ(calls, 200);
  EXPECT_EQ(seen.size(), 200U);
}

TEST(BulkRunner, AFailureStopsNewItemsLetsInFlightOnesFinishAndIsRethrown) {
  std::vector<std::size_t> ran;
  try {
    (void)run_bulk<int>(6, 1, Work([&](std::size_t index) {
                          ran.push_back(index);
                          if (index == 2) {
                            throw Error(ErrorKind::auth, "credentials rejected");
                          }
                          return 0;
                        }));
    FAIL() << "the failure was swallowed";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::auth);
  }
  EXPECT_EQ(ran, (std::vector<std::size_t>{0, 1, 2}));

  // Concurrently: item 1 fails while items 0 and 2 are in flight; those two still settle.
  InFlightGate first_three(3);
  std::mutex mutex;
  std::set<std::size_t> settled;
  EXPECT_THROW((void)run_bulk<int>(9, 3, Work([&](std::size_t index) {
                                     if (index < 3) {
                                       first_three.pass();
                                     }
                                     if (index == 1) {
                                       throw std::runtime_error("boom");
                                     }
                                     return 0;
                                   }),
                                   {}, Observer([&](std::size_t index, const int&) {
                                     std::lock_guard lock(mutex);
                                     settled.insert(index);
                                   })),
               std::runtime_error);
  EXPECT_FALSE(first_three.gave_up());
  EXPECT_EQ(settled.count(0), 1U);
  EXPECT_EQ(settled.count(1), 0U);
  EXPECT_EQ(settled.count(2), 1U);
}

TEST(BulkRunner, RefusesAConcurrencyOutsideOneToSixtyFour) {
  for (int concurrency : {0, -1, k_max_concurrency + 1}) {
    bool ran = false;
    try {
      (void)run_bulk<int>(3, concurrency, Work([&](std::size_t) {
                            ran = true;
                            return 0;
                          }));
      ADD_FAILURE() << concurrency;
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
      EXPECT_NE(std::string(error.what()).find("--concurrency"), std::string::npos);
    }
    EXPECT_FALSE(ran);
  }
  EXPECT_NO_THROW(validate_concurrency(1));
  EXPECT_NO_THROW(validate_concurrency(k_max_concurrency));
}

} // namespace
} // namespace vami
