// Buying numbers into the pool: a journaled bulk purchase with spares for numbers no longer for
// sale, and the journaled request it can be resumed from.

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

} // namespace

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

} // namespace vami
