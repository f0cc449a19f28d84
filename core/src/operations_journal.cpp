// The journal of bulk operations as `vami operations list|show` read it.

#include <set>

#include "bulk_journal.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/core/pool_service.hpp>

namespace vami {

Operation journal_operation(StateStore& store, const std::string& operation_id) {
  if (auto operation = store.find_operation(operation_id)) {
    return *operation;
  }
  throw Error(ErrorKind::not_found, "operation " + operation_id + " is not in the journal",
              "list the journal with 'vami operations list'");
}

namespace {

OperationSummary summarize(const Operation& operation, const std::vector<OperationItem>& items) {
  OperationSummary summary;
  summary.operation = operation;
  // A `running` operation whose process died is shown as what it is: interrupted.
  summary.operation.status = current_status(operation);
  for (const auto& item : items) {
    switch (item.outcome) {
    case ItemOutcome::succeeded:
      ++summary.succeeded;
      break;
    case ItemOutcome::failed:
      ++summary.failed;
      break;
    case ItemOutcome::uncertain:
      ++summary.uncertain;
      break;
    case ItemOutcome::pending:
      ++summary.pending;
      break;
    }
  }
  return summary;
}

} // namespace

std::vector<OperationSummary> list_journal(StateStore& store, const OperationFilter& filter) {
  if (filter.limit < 0) {
    throw Error(ErrorKind::invalid_input,
                "--limit " + std::to_string(filter.limit) + " is negative",
                "give how many operations to list, or 0 for all");
  }
  std::vector<OperationSummary> summaries;
  for (const auto& operation : store.list_operations(0)) {
    if ((filter.kind && operation.kind != *filter.kind) ||
        (filter.status && current_status(operation) != *filter.status)) {
      continue;
    }
    summaries.push_back(summarize(operation, store.list_items(operation.id)));
    if (filter.limit > 0 && static_cast<int>(summaries.size()) >= filter.limit) {
      break;
    }
  }
  return summaries;
}

OperationDetail show_operation(StateStore& store, const std::string& operation_id) {
  OperationDetail detail;
  Operation operation = journal_operation(store, operation_id);
  detail.items = store.list_items(operation_id);
  detail.summary = summarize(operation, detail.items);
  std::set<std::string> recorded;
  for (const auto& item : detail.items) {
    recorded.insert(item.e164);
  }
  for (const auto& e164 : requested_numbers(operation)) {
    if (recorded.insert(e164).second) {
      detail.not_started.push_back(e164);
    }
  }
  return detail;
}

std::vector<std::string> requested_numbers(const Operation& operation) {
  std::vector<std::string> numbers;
  if (operation.kind != OperationKind::release && operation.kind != OperationKind::assign &&
      operation.kind != OperationKind::unassign && operation.kind != OperationKind::suspend &&
      operation.kind != OperationKind::resume) {
    return numbers;
  }
  nlohmann::json parameters = detail::journal_parameters(operation);
  auto list = parameters.find("numbers");
  if (list == parameters.end() || !list->is_array()) {
    throw Error(ErrorKind::invalid_input,
                "the journal's request of operation " + operation.id + " names no numbers",
                "run the command again instead of resuming it");
  }
  for (const auto& number : *list) {
    if (!number.is_string()) {
      throw Error(ErrorKind::invalid_input,
                  "the journal's request of operation " + operation.id + " cannot be read",
                  "run the command again instead of resuming it");
    }
    numbers.push_back(number.get<std::string>());
  }
  return numbers;
}

} // namespace vami
