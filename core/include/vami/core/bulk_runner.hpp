#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

namespace vami {

/// Polled before each item of a bulk command starts; true once the user asked to stop (Ctrl-C).
using StopRequested = std::function<bool()>;

/// Items of a bulk command in flight at once unless the user says otherwise (`--concurrency`).
inline constexpr int k_default_concurrency = 8;
/// The most items of a bulk command that may be in flight at once.
inline constexpr int k_max_concurrency = 64;

/// Checks a bulk command's concurrency.
/// @throws Error(invalid_input) naming `--concurrency` unless 1 <= concurrency <= 64.
void validate_concurrency(int concurrency);

/// How a bulk run ended, with one result per input item.
template <typename Result>
struct BulkOutcome {
  /// By input position; empty for the items never started (stopped, or after a failure).
  std::vector<std::optional<Result>> results;
  /// Whether the stop predicate ended the run before every item was started.
  bool stopped = false;
};

namespace detail {

/// The engine under `run_bulk`: runs `work(i)` for i = 0, 1, ... on up to `concurrency` threads
/// (the caller's included), calling `settled(i)` after each, one at a time. Sets `stopped` when
/// `stop` ended the run. Rethrows the first exception of `work`, `settled` or `stop` once the
/// items in flight have finished.
void run_indexed(std::size_t count, int concurrency, const std::function<void(std::size_t)>& work,
                 const StopRequested& stop, const std::function<void(std::size_t)>& settled,
                 bool& stopped);

} // namespace detail

/// Runs `work` over the items 0 .. count-1 with bounded concurrency: at most `concurrency`
/// items are in flight at once (worker threads, the calling thread among them; one item runs
/// on the calling thread alone). Items start in input order; `stop` (may be empty) is asked
/// before each item starts, one call at a time, and once it returns true no item starts (the
/// ones in flight finish). `observer` (may be empty) is told about each item as it settles,
/// with its input position and result: one call at a time, from whichever thread ran the
/// item. Results come back in input order.
/// When `work`, `observer` or `stop` throws, no further item starts; once the items in flight
/// have finished, the first exception is rethrown (their results are lost, so record anything
/// that matters inside `work`).
/// @throws Error(invalid_input) for a concurrency outside 1..k_max_concurrency.
template <typename Result>
BulkOutcome<Result>
run_bulk(std::size_t count, int concurrency, const std::function<Result(std::size_t index)>& work,
         const StopRequested& stop = {},
         const std::function<void(std::size_t index, const Result& result)>& observer = {}) {
  BulkOutcome<Result> outcome;
  outcome.results.resize(count);
  // Each position is written by the one thread that ran it and read after every thread joined.
  detail::run_indexed(
      count, concurrency, [&](std::size_t index) { outcome.results[index] = work(index); }, stop,
      [&](std::size_t index) {
        if (observer) {
          observer(index, *outcome.results[index]);
        }
      },
      outcome.stopped);
  return outcome;
}

} // namespace vami
