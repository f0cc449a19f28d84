// Releasing pool numbers: at the telephony provider, or back to the voice-agent workspace that
// holds them; a release whose answer was lost is looked up before anything is decided.

#include <functional>

#include "audit_json.hpp"
#include "bulk_journal.hpp"

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>

namespace vami {

ReleasePlan PoolService::plan_release(const std::vector<std::string>& numbers,
                                      AssignedNumbers assigned) {
  if (numbers.empty()) {
    throw Error(ErrorKind::invalid_input, "no number to release", "name at least one number");
  }
  ReleasePlan plan;
  std::set<std::string> seen;
  for (const auto& number : numbers) {
    std::string e164 = to_e164(number);
    if (!seen.insert(e164).second) {
      continue;
    }
    PoolNumber row = owned_row(e164);
    if (row.status == NumberStatus::assigned && assigned == AssignedNumbers::refused) {
      throw Error(ErrorKind::conflict,
                  e164 + " is assigned to agent \"" + row.agent_slug + "\" (tenant " +
                      row.tenant_slug + ")",
                  "unassign it first with 'vami numbers unassign " + e164 +
                      "', or release it with --unassign");
    }
    if (row.status == NumberStatus::releasing) {
      throw Error(ErrorKind::conflict, e164 + " is being released by another operation",
                  "run 'vami reconcile' if that operation died");
    }
    if (row.monthly_price) {
      if (!plan.monthly_saving) {
        plan.monthly_saving = Money{0, row.monthly_price->currency};
      }
      if (plan.monthly_saving->currency == row.monthly_price->currency) {
        plan.monthly_saving->micros += row.monthly_price->micros;
      }
    }
    plan.numbers.push_back(std::move(row));
  }
  return plan;
}

BulkReport PoolService::release(const ReleasePlan& plan, const StopRequested& stop_requested,
                                const ItemObserver& observer, const ReleaseOptions& options) {
  validate_concurrency(options.concurrency);
  Operation operation;
  operation.id = new_operation_id();
  operation.kind = OperationKind::release;
  operation.requested_count = static_cast<int>(plan.numbers.size());
  operation.actor = m_actor;
  nlohmann::json numbers = nlohmann::json::array();
  for (const auto& number : plan.numbers) {
    numbers.push_back(number.e164);
  }
  operation.parameters = nlohmann::json{{"numbers", numbers}}.dump();
  m_store.create_operation(operation);
  return run_releases(operation.id, plan.numbers, options.concurrency, stop_requested, observer, 0);
}

BulkReport PoolService::run_releases(const std::string& operation_id,
                                     const std::vector<PoolNumber>& numbers, int concurrency,
                                     const StopRequested& stop_requested,
                                     const ItemObserver& observer, int done_before) {
  BulkReport report;
  report.operation_id = operation_id;
  report.requested = static_cast<int>(numbers.size());
  std::vector<std::string> e164s;
  e164s.reserve(numbers.size());
  for (const auto& number : numbers) {
    e164s.push_back(number.e164);
  }
  detail::run_journaled(
      m_store, report, e164s, concurrency,
      [&](std::size_t position) { return release_one(numbers[position]); }, stop_requested,
      observer, done_before);
  return report;
}

ItemResult PoolService::release_one(const PoolNumber& number) {
  PoolNumber before;
  try {
    before = m_store.begin_release(number.e164);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::storage) {
      throw;
    }
    return detail::failed_item(number.e164, error, ItemStatus::failed);
  }
  auto released = [&] {
    m_store.complete_release(number.e164);
    ItemResult item;
    item.e164 = number.e164;
    item.number = m_store.find_number(number.e164);
    audit("numbers release", number.e164, detail::audit_json(before),
          item.number ? detail::audit_json(*item.number) : "");
    return item;
  };
  if (before.provider != m_telephony.name()) {
    return release_from_workspace(before, released);
  }
  try {
    m_telephony.release(before.provider_sid);
    return released();
  } catch (const Error& error) {
    switch (error.kind()) {
    case ErrorKind::not_found:
      // Gone at the provider already (a ghost): the platform no longer pays for it.
      return released();
    case ErrorKind::unavailable: {
      std::optional<OwnedNumber> owned;
      try {
        owned = m_telephony.find_owned(number.e164);
      } catch (const Error& lookup_error) {
        ItemResult item = detail::failed_item(number.e164, error, ItemStatus::uncertain);
        item.message = "the release of " + number.e164 + " may have happened (" + error.what() +
                       ") and the look-up failed too (" + lookup_error.what() +
                       "); run 'vami reconcile'";
        return item;
      }
      if (!owned) {
        return released();
      }
      m_store.revert_release(number.e164, before.status);
      return detail::failed_item(number.e164, error, ItemStatus::failed);
    }
    case ErrorKind::auth:
      m_store.revert_release(number.e164, before.status);
      throw;
    default:
      m_store.revert_release(number.e164, before.status);
      return detail::failed_item(number.e164, error, ItemStatus::failed);
    }
  }
}

ItemResult PoolService::release_from_workspace(const PoolNumber& before,
                                               const std::function<ItemResult()>& released) {
  try {
    if (m_workspaces == nullptr) {
      throw Error(ErrorKind::invalid_input,
                  before.e164 + " is a number of the " + before.provider +
                      " workspace, and no voice-agent provider was given to release it");
    }
    m_workspaces->named(before.provider).release_workspace_number(before.provider_sid);
    return released();
  } catch (const Error& error) {
    switch (error.kind()) {
    case ErrorKind::not_found:
      return released(); // gone from the workspace already: nothing is paid for it
    case ErrorKind::storage:
      throw;
    case ErrorKind::unavailable: {
      // The workspace may have let it go: the row stays `releasing` for reconcile to settle.
      ItemResult item = detail::failed_item(before.e164, error, ItemStatus::uncertain);
      item.message = "the release of " + before.e164 + " from the " + before.provider +
                     " workspace may have happened (" + error.what() + "); run 'vami reconcile'";
      return item;
    }
    case ErrorKind::auth:
      m_store.revert_release(before.e164, before.status);
      throw;
    default:
      m_store.revert_release(before.e164, before.status);
      return detail::failed_item(before.e164, error, ItemStatus::failed);
    }
  }
}

bool PoolService::still_held(const PoolNumber& row) {
  if (row.provider == m_telephony.name()) {
    return m_telephony.find_owned(row.e164).has_value();
  }
  if (m_workspaces == nullptr) {
    throw Error(ErrorKind::invalid_input,
                row.e164 + " is a number of the " + row.provider +
                    " workspace, and no voice-agent provider was given to look it up");
  }
  // A workspace's number is settled by what the workspace holds, never by Twilio.
  for (const WorkspaceNumber& held : m_workspaces->named(row.provider).list_workspace_numbers()) {
    if (held.provider_id == row.provider_sid) {
      return true;
    }
  }
  return false;
}

} // namespace vami
