#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/state_store.hpp>

// What every journaled bulk use case (buy, release, assign, unassign, and their resumption)
// shares: turning an error into an item, writing an item to the journal, counting, the
// operation's final status, and a state database that fails while providers act. Defined in
// bulk_journal.cpp.

namespace vami::detail {

/// The item of a number whose step failed with `error`.
[[nodiscard]] ItemResult failed_item(const std::string& e164, const Error& error,
                                     ItemStatus status);

/// Writes `item` as the outcome of its number in operation `operation_id` (a skipped item is
/// journaled as failed: it was not done).
void journal_item(StateStore& store, const std::string& operation_id, const ItemResult& item);

/// Adds `item` to the report's counts.
void count_item(BulkReport& report, const ItemResult& item);

/// The status an operation ends in after `report`, given that `done_before` of its items had
/// succeeded in earlier runs (a resumed operation).
[[nodiscard]] OperationStatus final_status(const BulkReport& report, int done_before = 0);

/// What a bulk run knows of its state database: the first storage failure of its items (the
/// database could not record what a provider did). Once it failed, no new item starts.
/// Thread-safe.
class JournalHealth {
public:
  /// Records a storage failure; the first one is kept.
  void fail(const Error& error);
  /// Whether a storage failure happened.
  [[nodiscard]] bool failed() const noexcept;
  /// The first storage failure, if any.
  [[nodiscard]] std::optional<Error> first() const;

private:
  mutable std::mutex m_mutex;
  std::optional<Error> m_first;
  std::atomic<bool> m_failed{false};
};

/// Runs one item's `work` (its provider calls and the writes that record them) and journals its
/// result in operation `operation_id`. A storage failure in `work` or in the journal, after
/// which nobody can tell what the provider did, makes the item `uncertain` (journaled so if the
/// database still takes it) and marks `health`. Other errors propagate.
[[nodiscard]] ItemResult journaled(StateStore& store, const std::string& operation_id,
                                   const std::string& e164, const std::function<ItemResult()>& work,
                                   JournalHealth& health);

/// The stop predicate of a journaled run: the user's (`stop_requested`, may be empty), or a
/// state database that failed. Both arguments must outlive the predicate.
[[nodiscard]] StopRequested stop_or_lost(const StopRequested& stop_requested,
                                         const JournalHealth& health);

/// Finishes operation `report.operation_id` once its items have settled: with `final_status`
/// when the database held up. When it failed (in an item or in this last write), the operation
/// is left `interrupted` (or `running`, whose process will have exited: interrupted too) for
/// `vami operations resume`, and `report.state_failure` says so (Error(uncertain)).
void finish_journaled(StateStore& store, BulkReport& report, int done_before,
                      JournalHealth& health);

/// Runs `work` over the items 0 .. numbers.size()-1 of operation `report.operation_id` with
/// `run_bulk`: journals each item as it settles (`journaled`, `numbers[i]` naming item i),
/// counts it into `report`, tells `observer` (with `report.requested` as the total), then
/// finishes the operation (`finish_journaled`). Items not started (stopped) are not in the
/// report. A rethrown error finishes the operation `failed` (or `partial` when some items are
/// done).
void run_journaled(StateStore& store, BulkReport& report, const std::vector<std::string>& numbers,
                   int concurrency, const std::function<ItemResult(std::size_t)>& work,
                   const StopRequested& stop_requested, const ItemObserver& observer,
                   int done_before = 0);

/// The journal's `parameters` of `operation` (the request it was started with), as a JSON object.
/// @throws Error(invalid_input) when they are not a JSON object: a journal vami cannot resume from.
nlohmann::json journal_parameters(const Operation& operation);

/// The journaled operation `operation_id`, to resume: refused while the process that runs it
/// (its `holder`) is still running, so that two processes never work one operation.
/// @throws Error(not_found) naming it; Error(conflict) naming the pid that still runs it.
Operation resumable_operation(StateStore& store, const std::string& operation_id);

/// Fills `plan.numbers` with the numbers operation `plan.operation` still has to work on (its
/// requested numbers in order, each once, without those whose item succeeded; none once it
/// completed) and `plan.done_before` with those that succeeded: the plan of resuming an
/// operation whose items are independent (assign, unassign, suspend, resume).
void plan_remaining_numbers(StateStore& store, ResumePlan& plan);

/// Claims operation `plan.operation` for this process before it is resumed (Error(conflict) while
/// another live process runs it). With nothing left to do, completes it (unless it already is)
/// and returns the empty report to answer with; otherwise nullopt: go on and run the rest.
[[nodiscard]] std::optional<BulkReport> claim_for_resume(StateStore& store, const ResumePlan& plan);

} // namespace vami::detail
