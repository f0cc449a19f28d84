// `vami operations resume` of a buy or a release: settle the items whose outcome is unknown,
// then finish the rest into the same journal entry.

#include <map>
#include <set>

#include "audit_json.hpp"
#include "bulk_journal.hpp"

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>

namespace vami {

namespace {

OperationItem settled_item(const std::string& operation_id, const std::string& e164,
                           ItemOutcome outcome, const std::string& message) {
  OperationItem item;
  item.operation_id = operation_id;
  item.e164 = e164;
  item.outcome = outcome;
  item.error_code = outcome == ItemOutcome::failed ? "settled" : "";
  item.error_message = message;
  return item;
}

} // namespace

ResumePlan PoolService::plan_resume(const std::string& operation_id, const ResumeOptions& options) {
  validate_concurrency(options.concurrency);
  ResumePlan plan;
  plan.operation = detail::resumable_operation(m_store, operation_id);
  plan.concurrency = options.concurrency;
  if (plan.operation.kind != OperationKind::buy && plan.operation.kind != OperationKind::release) {
    throw Error(ErrorKind::invalid_input,
                "operation " + operation_id + " is a " + to_string(plan.operation.kind) +
                    ", not a buy or a release",
                "see it with 'vami operations show " + operation_id + "'");
  }
  if (plan.operation.status == OperationStatus::completed) {
    // Nothing is left, so nothing is looked up either.
    for (const auto& item : m_store.list_items(operation_id)) {
      plan.done_before += item.outcome == ItemOutcome::succeeded ? 1 : 0;
    }
    plan.buy.count = 0;
    return plan;
  }
  if (plan.operation.kind == OperationKind::buy) {
    plan_buy_resume(plan);
  } else {
    plan_release_resume(plan);
  }
  return plan;
}

void PoolService::plan_buy_resume(ResumePlan& plan) {
  const Operation& operation = plan.operation;
  BuyRequest request = buy_request_from_parameters(operation.parameters);
  request.concurrency = plan.concurrency;
  const std::string tag = purchase_tag(request.pool, operation.id);

  auto rows_of_operation = [&] {
    NumberFilter bought;
    bought.operation_id = operation.id;
    bought.include_released = true;
    return m_store.list_numbers(bought);
  };

  // Unknown outcomes: items journaled as uncertain (or never finished), and intent rows whose
  // purchase was sent by a process that died before it could record the answer.
  std::set<std::string> unknown;
  for (const auto& item : m_store.list_items(operation.id)) {
    if (item.outcome == ItemOutcome::uncertain || item.outcome == ItemOutcome::pending) {
      unknown.insert(item.e164);
    }
  }
  for (const auto& row : rows_of_operation()) {
    if (row.status == NumberStatus::purchasing) {
      unknown.insert(row.e164);
    }
  }

  std::optional<std::optional<Money>> price; // read once, when a purchase is completed
  for (const auto& e164 : unknown) {
    std::optional<PoolNumber> row = m_store.find_number(e164);
    auto record = [&](ItemOutcome outcome, const std::string& message) {
      m_store.record_item(
          settled_item(operation.id, e164, outcome, "settled on resume: " + message));
      ++plan.settled;
    };
    if (row && row->status != NumberStatus::purchasing && row->status != NumberStatus::released) {
      // Reconcile, or the command itself, finished it already.
      if (row->operation_id == operation.id) {
        record(ItemOutcome::succeeded, "in the pool");
      } else {
        record(ItemOutcome::failed, "in the pool under operation " + row->operation_id);
      }
      continue;
    }
    if (row && row->status == NumberStatus::purchasing && row->operation_id != operation.id) {
      record(ItemOutcome::failed, "operation " + row->operation_id + " is buying it");
      continue;
    }
    std::optional<OwnedNumber> owned;
    try {
      owned = m_telephony.find_owned(e164);
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::storage) {
        throw;
      }
      throw Error(ErrorKind::unavailable,
                  "cannot tell whether " + e164 + " was bought by operation " + operation.id +
                      ": looking it up failed (" + error.what() + ")",
                  "nothing more was bought; try again later, or run 'vami reconcile'");
    }
    if (owned && owned->friendly_name == tag) {
      if (!row || row->status == NumberStatus::released) {
        // Bought, but its intent row is gone (reconcile abandoned it too early): put it back.
        NumberLocation location = locate(e164);
        PurchaseIntent intent;
        intent.e164 = e164;
        intent.operation_id = operation.id;
        intent.provider = m_telephony.name();
        intent.country = request.search.country;
        intent.type = request.search.type;
        intent.locality = location.locality;
        intent.region = location.region;
        intent.friendly_name = tag;
        m_store.insert_purchase_intent(intent);
      }
      if (!price) {
        try {
          price = m_telephony.monthly_price(request.search.country, request.search.type);
        } catch (const Error& error) {
          if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::storage) {
            throw;
          }
          price = std::optional<Money>(); // unknown price: recorded as unknown
        }
      }
      PoolNumber after = m_store.complete_purchase(e164, *owned, *price);
      audit("operations resume", e164, row ? detail::audit_json(*row) : "",
            detail::audit_json(after));
      record(ItemOutcome::succeeded, "the provider owns it under this operation's tag");
    } else {
      if (row && row->status == NumberStatus::purchasing) {
        m_store.abandon_purchase(e164);
        audit("operations resume", e164, detail::audit_json(*row), "");
      }
      record(ItemOutcome::failed, "the provider does not own it under this operation's tag");
    }
  }

  // Bought by this operation: its succeeded items, and the rows that carry its id (a number
  // adopted by reconcile, or bought just before a kill -9 let its item be written).
  std::set<std::string> bought;
  for (const auto& item : m_store.list_items(operation.id)) {
    if (item.outcome == ItemOutcome::succeeded) {
      bought.insert(item.e164);
    }
  }
  for (const auto& row : rows_of_operation()) {
    if (row.status != NumberStatus::purchasing) {
      bought.insert(row.e164);
    }
  }
  plan.done_before = static_cast<int>(bought.size());
  request.count = std::max(0, operation.requested_count - plan.done_before);
  plan.buy = request;
  if (request.count > 0) {
    plan.purchase = plan_purchase(request);
  }
}

void PoolService::plan_release_resume(ResumePlan& plan) {
  const Operation& operation = plan.operation;
  std::map<std::string, ItemOutcome> outcomes;
  for (const auto& item : m_store.list_items(operation.id)) {
    outcomes[item.e164] = item.outcome;
  }
  std::set<std::string> seen;
  for (const auto& e164 : requested_numbers(operation)) {
    if (!seen.insert(e164).second) {
      continue;
    }
    auto outcome = outcomes.find(e164);
    if (outcome != outcomes.end() && outcome->second == ItemOutcome::succeeded) {
      ++plan.done_before;
      continue;
    }
    auto record = [&](ItemOutcome settled, const std::string& message) {
      m_store.record_item(
          settled_item(operation.id, e164, settled, "settled on resume: " + message));
      ++plan.settled;
    };
    std::optional<PoolNumber> row = m_store.find_number(e164);
    if (row && row->status == NumberStatus::released) {
      record(ItemOutcome::succeeded, "released");
      ++plan.done_before;
      continue;
    }
    // A `releasing` row is this operation's only when its item is unknown or was never
    // written (a kill -9 after the row changed); otherwise another release holds it.
    bool ours = outcome == outcomes.end() || outcome->second == ItemOutcome::uncertain ||
                outcome->second == ItemOutcome::pending;
    if (row && row->status == NumberStatus::releasing && ours) {
      bool held = false;
      try {
        held = still_held(*row);
      } catch (const Error& error) {
        if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::storage ||
            error.kind() == ErrorKind::invalid_input) {
          throw;
        }
        throw Error(ErrorKind::unavailable,
                    "cannot tell whether " + e164 + " was released by operation " + operation.id +
                        ": looking it up failed (" + error.what() + ")",
                    "nothing more was released; try again later, or run 'vami reconcile'");
      }
      if (!held) {
        m_store.complete_release(e164);
        auto after = m_store.find_number(e164);
        audit("operations resume", e164, detail::audit_json(*row),
              after ? detail::audit_json(*after) : "");
        record(ItemOutcome::succeeded, "the provider no longer owns it");
        ++plan.done_before;
        continue;
      }
      m_store.revert_release(e164, NumberStatus::available);
      auto after = m_store.find_number(e164);
      audit("operations resume", e164, detail::audit_json(*row),
            after ? detail::audit_json(*after) : "");
      record(ItemOutcome::failed, "the provider still owns it; releasing it again");
    }
    plan.numbers.push_back(e164);
  }
}

BulkReport PoolService::resume(const ResumePlan& plan, const StopRequested& stop_requested,
                               const ItemObserver& observer) {
  const Operation& operation = plan.operation;
  if (operation.kind != OperationKind::buy && operation.kind != OperationKind::release) {
    throw Error(ErrorKind::invalid_input, "operation " + operation.id + " is a " +
                                              to_string(operation.kind) +
                                              ", not a buy or a release");
  }
  validate_concurrency(plan.concurrency);
  if (std::optional<BulkReport> nothing_left = detail::claim_for_resume(m_store, plan)) {
    return *nothing_left;
  }
  // `running` again while it runs, so that reconcile leaves its rows in flight alone.
  m_store.finish_operation(operation.id, OperationStatus::running);
  if (operation.kind == OperationKind::buy) {
    BuyRequest request = plan.buy;
    request.concurrency = plan.concurrency;
    return run_purchases(operation.id, purchase_tag(request.pool, operation.id), request,
                         plan.purchase, stop_requested, observer, plan.done_before);
  }
  std::vector<PoolNumber> rows;
  for (const auto& e164 : plan.numbers) {
    std::optional<PoolNumber> row = m_store.find_number(e164);
    if (!row) {
      row = PoolNumber{};
      row->e164 = e164;
    }
    rows.push_back(std::move(*row));
  }
  return run_releases(operation.id, rows, plan.concurrency, stop_requested, observer,
                      plan.done_before);
}

} // namespace vami
