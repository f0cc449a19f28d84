// The journal side of every bulk use case (buy, release, assign, unassign, a tenant's deletion,
// and their resumption): items, counts, final statuses, and what happens when the state
// database fails while providers act (DESIGN.md section 3).
#include "bulk_journal.hpp"

#include <set>
#include <utility>

#include <vami/core/process_holder.hpp>

namespace vami::detail {

namespace {

// Leaves the operation's status as it is when the database refuses that too: a `running`
// operation whose process has exited is interrupted (`current_status`), so nothing is lost.
void try_finish(StateStore& store, const std::string& operation_id, OperationStatus status) {
  try {
    store.finish_operation(operation_id, status);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::storage) {
      throw;
    }
  }
}

} // namespace

ItemResult failed_item(const std::string& e164, const Error& error, ItemStatus status) {
  ItemResult item;
  item.e164 = e164;
  item.status = status;
  item.error_kind = to_string(error.kind());
  if (error.provider_detail()) {
    item.error_code = error.provider_detail()->code;
  }
  item.message = error.what();
  return item;
}

void journal_item(StateStore& store, const std::string& operation_id, const ItemResult& item) {
  OperationItem row;
  row.operation_id = operation_id;
  row.e164 = item.e164;
  switch (item.status) {
  case ItemStatus::succeeded:
    row.outcome = ItemOutcome::succeeded;
    break;
  case ItemStatus::uncertain:
    row.outcome = ItemOutcome::uncertain;
    break;
  case ItemStatus::failed:
  case ItemStatus::skipped:
    row.outcome = ItemOutcome::failed;
    break;
  }
  row.error_code = item.error_code.empty() ? item.error_kind : item.error_code;
  row.error_message = item.message;
  store.record_item(row);
}

void count_item(BulkReport& report, const ItemResult& item) {
  switch (item.status) {
  case ItemStatus::succeeded:
    ++report.succeeded;
    break;
  case ItemStatus::failed:
    ++report.failed;
    break;
  case ItemStatus::uncertain:
    ++report.uncertain;
    break;
  case ItemStatus::skipped:
    break;
  }
}

OperationStatus final_status(const BulkReport& report, int done_before) {
  if (report.interrupted) {
    return OperationStatus::interrupted;
  }
  if (report.failed == 0 && report.uncertain == 0) {
    return OperationStatus::completed;
  }
  return report.succeeded + done_before > 0 ? OperationStatus::partial : OperationStatus::failed;
}

void JournalHealth::fail(const Error& error) {
  std::lock_guard lock(m_mutex);
  if (!m_first) {
    m_first = error;
  }
  m_failed = true;
}

bool JournalHealth::failed() const noexcept {
  return m_failed;
}

std::optional<Error> JournalHealth::first() const {
  std::lock_guard lock(m_mutex);
  return m_first;
}

ItemResult journaled(StateStore& store, const std::string& operation_id, const std::string& e164,
                     const std::function<ItemResult()>& work, JournalHealth& health) {
  ItemResult item;
  auto lost = [&](const Error& error, const std::string& when) {
    health.fail(error);
    ItemResult unknown = failed_item(e164, error, ItemStatus::uncertain);
    unknown.number = std::move(item.number);
    unknown.message = "the state database failed " + when + " (" + error.what() +
                      "); the provider may have acted: run 'vami reconcile'";
    return unknown;
  };
  try {
    item = work();
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::storage) {
      throw;
    }
    item = lost(error, "while recording " + e164);
    try {
      journal_item(store, operation_id, item);
    } catch (const Error& ignored) {
      // The database refuses everything: reconcile and resume find the number by its row, and
      // the provider by its tag.
      if (ignored.kind() != ErrorKind::storage) {
        throw;
      }
    }
    return item;
  }
  try {
    journal_item(store, operation_id, item);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::storage) {
      throw;
    }
    // Done at the provider (and perhaps in the pool), but the journal does not say so.
    item = lost(error, "while journaling " + e164 + " (" + to_string(item.status) + ")");
  }
  return item;
}

StopRequested stop_or_lost(const StopRequested& stop_requested, const JournalHealth& health) {
  return [&stop_requested, &health] {
    return health.failed() || (stop_requested && stop_requested());
  };
}

void finish_journaled(StateStore& store, BulkReport& report, int done_before,
                      JournalHealth& health) {
  if (!health.failed()) {
    try {
      store.finish_operation(report.operation_id, final_status(report, done_before));
      return;
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::storage) {
        throw;
      }
      // Every item settled, but the journal cannot say so: as uncertain as a lost item.
      health.fail(error);
    }
  } else {
    // Left for `operations resume`, which settles the uncertain items at the provider first.
    report.interrupted = false;
    try_finish(store, report.operation_id, OperationStatus::interrupted);
  }
  const Error cause = *health.first();
  report.state_failure = Error(
      ErrorKind::uncertain,
      "the state database failed while operation " + report.operation_id +
          " was under way, after the provider may have acted: " + cause.what(),
      (cause.hint().empty() ? std::string() : cause.hint() + "; then ") +
          "run 'vami reconcile --apply' to settle what the providers did, and 'vami operations "
          "resume " +
          report.operation_id + "' to finish the rest");
}

void run_journaled(StateStore& store, BulkReport& report, const std::vector<std::string>& numbers,
                   int concurrency, const std::function<ItemResult(std::size_t)>& work,
                   const StopRequested& stop_requested, const ItemObserver& observer,
                   int done_before) {
  JournalHealth health;
  std::function<ItemResult(std::size_t)> each = [&](std::size_t position) {
    return journaled(
        store, report.operation_id, numbers[position], [&] { return work(position); }, health);
  };
  std::function<void(std::size_t, const ItemResult&)> settled = [&](std::size_t,
                                                                    const ItemResult& item) {
    count_item(report, item);
    if (observer) {
      observer(item, report.succeeded + report.failed + report.uncertain, report.requested);
    }
  };
  try {
    auto outcome =
        run_bulk(numbers.size(), concurrency, each, stop_or_lost(stop_requested, health), settled);
    report.interrupted = outcome.stopped;
    report.items.reserve(outcome.results.size());
    for (auto& item : outcome.results) {
      if (item) {
        report.items.push_back(std::move(*item));
      }
    }
  } catch (const Error&) {
    try_finish(store, report.operation_id,
               report.succeeded + done_before > 0 ? OperationStatus::partial
                                                  : OperationStatus::failed);
    throw;
  }
  finish_journaled(store, report, done_before, health);
}

nlohmann::json journal_parameters(const Operation& operation) {
  nlohmann::json parameters = nlohmann::json::parse(operation.parameters, nullptr, false);
  if (parameters.is_discarded() || !parameters.is_object()) {
    throw Error(ErrorKind::invalid_input,
                "the journal's request of operation " + operation.id + " cannot be read",
                "run the command again instead of resuming it");
  }
  return parameters;
}

Operation resumable_operation(StateStore& store, const std::string& operation_id) {
  Operation operation = journal_operation(store, operation_id);
  // This process may resume what it ran itself (a test, or a rerun in one process).
  if (operation_in_progress(operation) &&
      holder_liveness(operation.holder) != HolderLiveness::this_process) {
    const bool elsewhere = holder_liveness(operation.holder) == HolderLiveness::unknown;
    throw Error(ErrorKind::conflict,
                "operation " + operation_id + " is still running (" +
                    (elsewhere ? "on another host, last active " + operation.active_at
                               : "pid " + holder_pid(operation.holder)) +
                    ")",
                elsewhere ? "wait for it to finish; vami takes it for dead after " +
                                std::to_string(k_foreign_holder_limit.count() / 60) +
                                " min without a sign of life"
                          : "wait for it to finish, or stop it (Ctrl-C) and resume it then");
  }
  return operation;
}

void plan_remaining_numbers(StateStore& store, ResumePlan& plan) {
  std::set<std::string> done;
  for (const auto& item : store.list_items(plan.operation.id)) {
    if (item.outcome == ItemOutcome::succeeded) {
      done.insert(item.e164);
    }
  }
  std::set<std::string> seen;
  for (const auto& e164 : requested_numbers(plan.operation)) {
    if (!seen.insert(e164).second) {
      continue;
    }
    if (done.count(e164) > 0) {
      ++plan.done_before;
    } else if (plan.operation.status != OperationStatus::completed) {
      plan.numbers.push_back(e164);
    }
  }
}

std::optional<BulkReport> claim_for_resume(StateStore& store, const ResumePlan& plan) {
  const Operation& operation = plan.operation;
  // The claim decides when two processes resume it at once (or its first run is still alive).
  store.claim_operation(operation.id);
  if (plan.remaining() > 0) {
    return std::nullopt;
  }
  BulkReport report;
  report.operation_id = operation.id;
  if (operation.status != OperationStatus::completed) {
    store.finish_operation(operation.id, OperationStatus::completed);
  }
  return report;
}

} // namespace vami::detail
