#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/state_store.hpp>

// What every journaled bulk use case (buy, release, assign, unassign, and their resumption)
// shares: turning an error into an item, writing an item to the journal, counting, and the
// operation's final status. Defined in pool_service.cpp.
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

/// Runs `work` over the items 0 .. count-1 of operation `report.operation_id` with `run_bulk`:
/// journals each item as it settles, counts it into `report`, tells `observer` (with
/// `report.requested` as the total), then finishes the operation with `final_status`. Items not
/// started (stopped) are not in the report. A rethrown error finishes the operation `failed`
/// (or `partial` when some items are done).
void run_journaled(StateStore& store, BulkReport& report, std::size_t count, int concurrency,
                   const std::function<ItemResult(std::size_t)>& work,
                   const StopRequested& stop_requested, const ItemObserver& observer,
                   int done_before = 0);

/// The journaled operation `operation_id`, to resume: refused while the process that runs it
/// (its `holder`) is still running, so that two processes never work one operation.
/// @throws Error(not_found) naming it; Error(conflict) naming the pid that still runs it.
Operation resumable_operation(StateStore& store, const std::string& operation_id);

} // namespace vami::detail
