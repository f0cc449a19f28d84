#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

#include "audit_json.hpp"
#include "bulk_journal.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/process_holder.hpp>

namespace vami {

namespace {

// Marks a purchase refused because the number is no longer for sale (replaceable by a spare).
constexpr const char* k_not_for_sale = "not_for_sale";

std::string purchase_tag(const std::string& pool, const std::string& operation_id) {
  // FriendlyName holds at most 64 characters; the pool name is cut to fit.
  return "vami:" + pool.substr(0, 40) + ":" + operation_id;
}

// The text of a journal's `parameters`, as an object; anything else is a journal vami cannot
// resume from.
nlohmann::json parameters_object(const Operation& operation) {
  nlohmann::json parameters = nlohmann::json::parse(operation.parameters, nullptr, false);
  if (parameters.is_discarded() || !parameters.is_object()) {
    throw Error(ErrorKind::invalid_input,
                "the journal's request of operation " + operation.id + " cannot be read",
                "run the command again instead of resuming it");
  }
  return parameters;
}

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

const char* to_string(ItemStatus status) noexcept {
  switch (status) {
  case ItemStatus::succeeded:
    return "succeeded";
  case ItemStatus::failed:
    return "failed";
  case ItemStatus::uncertain:
    return "uncertain";
  case ItemStatus::skipped:
    return "skipped";
  }
  return "failed";
}

void validate_webhook_url(const std::string& url, bool allow_http) {
  auto invalid = [&](const std::string& why, const std::string& hint) {
    return Error(ErrorKind::invalid_input, "voice webhook '" + url + "' " + why, hint);
  };
  bool https = url_scheme(url) == UrlScheme::https;
  bool http = url_scheme(url) == UrlScheme::http;
  if (!https && !http) {
    throw invalid("is not an http(s) URL",
                  "give an absolute URL such as https://example.com/voice");
  }
  if (http && !allow_http) {
    throw invalid("is not https", "use https, or pass --allow-http for a test endpoint");
  }
  std::string rest = url.substr(https ? 8 : 7);
  std::string host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || url.find_first_of(" \t\r\n\"<>\\^`{|}") != std::string::npos) {
    throw invalid("is not a valid URL", "give an absolute URL such as https://example.com/voice");
  }
}

PoolService::PoolService(TelephonyProvider& telephony, StateStore& store, std::string actor)
    : m_telephony(telephony), m_store(store), m_actor(std::move(actor)) {}

BulkReport PoolService::buy(const BuyRequest& request, const PurchasePlan& plan,
                            const StopRequested& stop_requested, const ItemObserver& observer) {
  validate_concurrency(request.concurrency);
  Operation operation;
  operation.id = new_operation_id();
  operation.kind = OperationKind::buy;
  operation.requested_count = request.count;
  operation.parameters = request.journal_parameters.empty() || request.journal_parameters == "{}"
                             ? buy_parameters(request)
                             : request.journal_parameters;
  operation.actor = m_actor;
  m_store.create_operation(operation);
  return run_purchases(operation.id, purchase_tag(request.pool, operation.id), request, plan,
                       stop_requested, observer, 0);
}

BulkReport PoolService::run_purchases(const std::string& operation_id, const std::string& tag,
                                      const BuyRequest& request, const PurchasePlan& plan,
                                      const StopRequested& stop_requested,
                                      const ItemObserver& observer, int done_before) {
  BulkReport report;
  report.operation_id = operation_id;
  report.requested = request.count;

  // The spares and the numbers already seen are shared by the workers under one lock, so that
  // a spare goes to one worker only and one worker at a time searches for more.
  std::mutex spare_mutex;
  std::deque<AvailableNumber> spares(plan.spares.begin(), plan.spares.end());
  std::set<std::string> seen;
  for (const auto& number : plan.numbers) {
    seen.insert(number.e164);
  }
  for (const auto& number : plan.spares) {
    seen.insert(number.e164);
  }
  auto next_spare = [&](std::size_t position, ItemResult& item) -> std::optional<AvailableNumber> {
    std::lock_guard lock(spare_mutex);
    if (spares.empty()) {
      // Another buyer is draining the same inventory: search again for what is left.
      try {
        int searches = 0;
        auto more = find_candidates(
            request, std::max<std::size_t>(2, plan.numbers.size() - position), seen, searches);
        spares.insert(spares.end(), more.begin(), more.end());
      } catch (const Error& error) {
        if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::storage) {
          throw;
        }
        item.message += std::string("; searching for a replacement failed: ") + error.what();
        return std::nullopt;
      }
    }
    if (spares.empty()) {
      return std::nullopt;
    }
    AvailableNumber spare = spares.front();
    spares.pop_front();
    return spare;
  };

  // The caller's predicate is asked by the runner before each number and by a worker before a
  // replacement; one lock keeps those calls one at a time.
  std::mutex stop_mutex;
  std::atomic<bool> stopped_before_replacement{false};
  StopRequested stop = [&] {
    std::lock_guard lock(stop_mutex);
    return stop_requested && stop_requested();
  };

  detail::JournalHealth health;
  const StopRequested stop_or_lost = detail::stop_or_lost(stop, health);

  // One position of the plan: its number, then spares while the numbers turn out taken.
  std::function<std::vector<ItemResult>(std::size_t)> work = [&](std::size_t position) {
    std::vector<ItemResult> attempts;
    AvailableNumber candidate = plan.numbers[position];
    while (true) {
      std::optional<AvailableNumber> spare;
      ItemResult item = detail::journaled(
          m_store, operation_id, candidate.e164,
          [&] {
            ItemResult tried = purchase_one(candidate, operation_id, tag, plan.monthly_price);
            if (tried.status == ItemStatus::failed && tried.error_code == k_not_for_sale) {
              if (stop_or_lost()) {
                // A replacement is a new purchase: after Ctrl-C none is started.
                stopped_before_replacement = !health.failed();
              } else {
                spare = next_spare(position, tried);
              }
            }
            if (spare) {
              tried.status = ItemStatus::skipped;
              tried.message += "; replaced by " + spare->e164;
            }
            return tried;
          },
          health);
      if (item.status != ItemStatus::skipped) {
        spare.reset(); // the database failed while journaling the replaced number
      }
      attempts.push_back(std::move(item));
      if (!spare) {
        return attempts;
      }
      candidate = std::move(*spare);
    }
  };
  std::function<void(std::size_t, const std::vector<ItemResult>&)> settled =
      [&](std::size_t, const std::vector<ItemResult>& attempts) {
        for (const auto& item : attempts) {
          detail::count_item(report, item);
          if (observer) {
            observer(item, report.succeeded + report.failed + report.uncertain, request.count);
          }
        }
      };

  try {
    auto outcome = run_bulk(plan.numbers.size(), request.concurrency, work, stop_or_lost, settled);
    report.interrupted = outcome.stopped || stopped_before_replacement;
    for (auto& attempts : outcome.results) {
      if (attempts) {
        std::move(attempts->begin(), attempts->end(), std::back_inserter(report.items));
      }
    }
  } catch (const Error& error) {
    report.interrupted = error.kind() == ErrorKind::interrupted;
    // The run stopped with numbers not yet settled (the counts do not hold them): never
    // `completed`, or resume would take it for done. Rejected credentials fail it for good.
    try {
      m_store.finish_operation(operation_id, error.kind() == ErrorKind::auth
                                                 ? OperationStatus::failed
                                                 : OperationStatus::interrupted);
    } catch (const Error&) {
      // Left `running`: once this process has exited, that reads as interrupted.
    }
    if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::interrupted) {
      throw;
    }
    throw Error(error.kind(), error.what(),
                (error.hint().empty() ? std::string() : error.hint() + "; then ") +
                    "'vami operations resume " + operation_id + "' finishes the purchase");
  }
  detail::finish_journaled(m_store, report, done_before, health);
  return report;
}

ItemResult PoolService::purchase_one(const AvailableNumber& candidate,
                                     const std::string& operation_id, const std::string& tag,
                                     const std::optional<Money>& price) {
  PurchaseIntent intent;
  intent.e164 = candidate.e164;
  intent.operation_id = operation_id;
  intent.provider = m_telephony.name();
  intent.country = candidate.country;
  intent.type = candidate.type;
  intent.locality = candidate.locality;
  intent.region = candidate.region;
  intent.friendly_name = tag;
  try {
    m_store.insert_purchase_intent(intent);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::conflict) {
      throw;
    }
    // Another process put this number in the pool since we searched: treat it as taken.
    ItemResult item = detail::failed_item(candidate.e164, error, ItemStatus::failed);
    item.error_code = k_not_for_sale;
    return item;
  }

  auto bought = [&](const OwnedNumber& owned) {
    ItemResult item;
    item.e164 = candidate.e164;
    item.status = ItemStatus::succeeded;
    item.number = m_store.complete_purchase(candidate.e164, owned, price);
    audit("numbers buy", candidate.e164, "", detail::audit_json(*item.number));
    return item;
  };
  // After an ambiguous failure the purchase may have happened: look before anything else.
  auto resolve = [&](const Error& error) {
    std::optional<OwnedNumber> owned;
    try {
      owned = m_telephony.find_owned(candidate.e164);
    } catch (const Error& lookup_error) {
      ItemResult item = detail::failed_item(candidate.e164, error, ItemStatus::uncertain);
      item.message = "the purchase of " + candidate.e164 + " may have happened (" + error.what() +
                     ") and the look-up failed too (" + lookup_error.what() +
                     "); run 'vami reconcile'";
      return item;
    }
    if (owned && owned->friendly_name == tag) {
      return bought(*owned);
    }
    m_store.abandon_purchase(candidate.e164);
    return detail::failed_item(candidate.e164, error, ItemStatus::failed);
  };

  PurchaseOutcome outcome;
  try {
    outcome = m_telephony.buy(candidate.e164, tag);
  } catch (const Error& error) {
    switch (error.kind()) {
    case ErrorKind::unavailable:
      return resolve(error);
    case ErrorKind::uncertain:
    case ErrorKind::interrupted: {
      // The provider may have acted and nobody could tell (a resilient provider's look-up
      // failed, or the request was cut short): the intent row stays for reconcile.
      ItemResult item = detail::failed_item(candidate.e164, error, ItemStatus::uncertain);
      item.message += "; run 'vami reconcile'";
      return item;
    }
    case ErrorKind::auth:
      m_store.abandon_purchase(candidate.e164);
      throw;
    default:
      // A definite refusal (rate limit, bad request): the provider did not act.
      m_store.abandon_purchase(candidate.e164);
      return detail::failed_item(candidate.e164, error, ItemStatus::failed);
    }
  }
  if (outcome.status == PurchaseOutcome::Status::bought) {
    return bought(outcome.number);
  }
  // "Not available" is also what a repeated purchase of a number we already bought says.
  Error taken(ErrorKind::conflict,
              candidate.e164 + " is no longer for sale: " + outcome.provider_message);
  ItemResult item = resolve(taken);
  if (item.status == ItemStatus::failed) {
    item.error_code = k_not_for_sale;
  }
  return item;
}

std::vector<PoolNumber> list_pool(StateStore& store, const NumberFilter& filter) {
  bool three_digits =
      filter.area_code.size() == 3 && std::all_of(filter.area_code.begin(), filter.area_code.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!filter.area_code.empty() && !three_digits) {
    throw Error(ErrorKind::invalid_input,
                "area code '" + filter.area_code + "' is not three digits", "write it like 212");
  }
  return store.list_numbers(filter);
}

PoolNumber find_pool_number(StateStore& store, const std::string& number) {
  std::string e164 = to_e164(number);
  auto row = store.find_number(e164);
  if (!row) {
    throw Error(ErrorKind::not_found, e164 + " is not in the pool",
                "list the pool with 'vami numbers list'");
  }
  return *row;
}

PoolNumber PoolService::owned_row(const std::string& e164) {
  auto row = m_store.find_number(e164);
  if (!row || row->status == NumberStatus::released) {
    throw Error(ErrorKind::not_found, e164 + " is not in the pool",
                "list the pool with 'vami numbers list'");
  }
  if (row->status == NumberStatus::purchasing || row->provider_sid.empty()) {
    throw Error(ErrorKind::conflict, e164 + " is still being purchased",
                "wait for the purchase to finish, or run 'vami reconcile'");
  }
  return *row;
}

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

PoolNumber PoolService::set_webhook(const std::string& number, const VoiceWebhook& webhook,
                                    bool allow_http) {
  std::string e164 = to_e164(number);
  validate_webhook_url(webhook.voice_url, allow_http);
  if (!webhook.status_callback.empty()) {
    validate_webhook_url(webhook.status_callback, allow_http);
  }
  if (webhook.voice_method != "POST" && webhook.voice_method != "GET") {
    throw Error(ErrorKind::invalid_input,
                "voice method '" + webhook.voice_method + "' is not GET or POST",
                "use --voice-method POST or GET");
  }
  PoolNumber before = owned_row(e164);
  if (before.provider != m_telephony.name()) {
    throw Error(ErrorKind::invalid_input,
                "cannot set the voice webhook of " + e164 + ", a number of the " + before.provider +
                    " workspace: " + before.provider + " answers it itself, with no voice URL",
                "assign it to a " + before.provider + " agent ('vami numbers assign " + e164 +
                    " --agent SLUG') to choose who answers it");
  }
  // An assigned number's voice URL is its routing (the voice-agent provider's, or the router's
  // for its agent): another one would leave its calls unanswered until reconcile put it back.
  const auto method = [](const std::string& text) { return text.empty() ? "POST" : text; };
  if (before.status == NumberStatus::assigned &&
      (webhook.voice_url != before.webhook.voice_url ||
       method(webhook.voice_method) != method(before.webhook.voice_method))) {
    throw Error(ErrorKind::conflict,
                e164 + " is assigned to agent \"" + before.agent_slug + "\" (tenant " +
                    before.tenant_slug + ", " +
                    to_string(before.routing_mode.value_or(RoutingMode::native)) +
                    " routing): its voice URL is what routes its calls to the agent",
                "unassign it first ('vami numbers unassign " + e164 +
                    "'); to change only its status callback, give its current --voice-url and "
                    "--voice-method");
  }
  m_telephony.set_voice_webhook(before.provider_sid, webhook);
  auto read_back = m_telephony.find_owned(e164);
  if (!read_back) {
    throw Error(ErrorKind::uncertain,
                "the provider no longer reports " + e164 + " after setting its voice webhook",
                "run 'vami reconcile'");
  }
  // A status callback left out of the request stays as the provider had it.
  bool same = read_back->webhook.voice_url == webhook.voice_url &&
              read_back->webhook.voice_method == webhook.voice_method &&
              (webhook.status_callback.empty() ||
               read_back->webhook.status_callback == webhook.status_callback);
  if (!same) {
    throw Error(ErrorKind::provider,
                "the provider reports voice webhook '" + read_back->webhook.voice_url + "' (" +
                    read_back->webhook.voice_method + ") for " + e164 + " after setting '" +
                    webhook.voice_url + "' (" + webhook.voice_method + ")",
                "retry; if it persists, check the number in the provider's console");
  }
  m_store.update_webhook(e164, read_back->webhook);
  PoolNumber after = owned_row(e164);
  audit("webhooks set", e164, detail::audit_json(before), detail::audit_json(after));
  return after;
}

std::string buy_parameters(const BuyRequest& request) {
  nlohmann::ordered_json json{
      {"count", request.count},
      {"country", request.search.country},
      {"type", to_string(request.search.type)},
      {"area_codes", request.area_codes},
      {"contains", request.search.contains},
      {"region", request.search.region},
      {"locality", request.search.locality},
      {"max_monthly_price_micros", request.max_monthly_price_micros
                                       ? nlohmann::ordered_json(*request.max_monthly_price_micros)
                                       : nlohmann::ordered_json()},
      {"pool", request.pool},
  };
  return json.dump();
}

BuyRequest buy_request_from_parameters(const std::string& parameters) {
  nlohmann::json json = nlohmann::json::parse(parameters, nullptr, false);
  auto unreadable = [&](const std::string& why) {
    return Error(ErrorKind::invalid_input, "the journaled purchase request cannot be read: " + why,
                 "buy the rest with 'vami numbers buy' instead of resuming");
  };
  if (json.is_discarded() || !json.is_object()) {
    throw unreadable("it is not a JSON object");
  }
  BuyRequest request;
  try {
    request.count = json.value("count", 0);
    request.search.country = json.value("country", request.search.country);
    std::string type = json.value("type", std::string(to_string(request.search.type)));
    auto parsed = parse_number_type(type);
    if (!parsed) {
      throw unreadable("unknown number type '" + type + "'");
    }
    request.search.type = *parsed;
    request.area_codes = json.value("area_codes", std::vector<std::string>{});
    request.search.contains = json.value("contains", std::string());
    request.search.region = json.value("region", std::string());
    request.search.locality = json.value("locality", std::string());
    request.pool = json.value("pool", request.pool);
    if (auto micros = json.find("max_monthly_price_micros");
        micros != json.end() && !micros->is_null()) {
      request.max_monthly_price_micros = micros->get<std::int64_t>();
    } else if (std::string cost = json.value("max_monthly_cost", std::string()); !cost.empty()) {
      request.max_monthly_price_micros = parse_decimal_micros(cost);
    }
  } catch (const nlohmann::json::exception& error) {
    throw unreadable(error.what());
  }
  request.journal_parameters = parameters;
  return request;
}

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
  nlohmann::json parameters = parameters_object(operation);
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

void PoolService::audit(const std::string& command, const std::string& entity_id,
                        const std::string& before, const std::string& after) {
  AuditEntry entry;
  entry.actor = m_actor;
  entry.command = command;
  entry.entity_type = "number";
  entry.entity_id = entity_id;
  entry.before_json = before;
  entry.after_json = after;
  m_store.append_audit(entry);
}

} // namespace vami
