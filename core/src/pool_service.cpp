#include <algorithm>
#include <atomic>
#include <deque>
#include <iterator>
#include <mutex>
#include <set>

#include "audit_json.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>

namespace vami {

namespace {

// Marks a purchase refused because the number is no longer for sale (replaceable by a spare).
constexpr const char* k_not_for_sale = "not_for_sale";

// Twilio's search returns at most this many numbers and no next page.
constexpr int k_max_search_page = 30;

void validate_search(const NumberSearch& search) {
  if (search.country.size() != 2 || !is_supported_country(search.country)) {
    throw Error(ErrorKind::invalid_input,
                "'" + search.country + "' is not a country code vami knows",
                "use an ISO 3166-1 alpha-2 code such as US, CA or GB");
  }
  if (!search.area_code.empty()) {
    validate_area_code(search.country, search.area_code);
  }
  if (search.limit < 1 || search.limit > k_max_search_page) {
    throw Error(ErrorKind::invalid_input,
                "--limit " + std::to_string(search.limit) + " is out of range",
                "the provider returns 1 to 30 numbers per search");
  }
  if (!search.contains.empty() && (search.contains.size() < 2 || search.contains.size() > 16)) {
    throw Error(ErrorKind::invalid_input,
                "--contains '" + search.contains + "' must be 2 to 16 characters long",
                "use digits, letters and the wildcards * % + $ as Twilio documents");
  }
}

ItemResult failure(const std::string& e164, const Error& error, ItemStatus status) {
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

void count(BulkReport& report, const ItemResult& item) {
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

OperationStatus final_status(const BulkReport& report) {
  if (report.interrupted) {
    return OperationStatus::interrupted;
  }
  if (report.failed == 0 && report.uncertain == 0) {
    return OperationStatus::completed;
  }
  return report.succeeded > 0 ? OperationStatus::partial : OperationStatus::failed;
}

std::string describe_search(const NumberSearch& search, const std::vector<std::string>& areas) {
  std::string text = std::string(to_string(search.type)) + " numbers in " + search.country;
  if (!areas.empty()) {
    text += " (area code";
    text += areas.size() > 1 ? "s " : " ";
    for (std::size_t i = 0; i < areas.size(); ++i) {
      text += (i > 0 ? "," : "") + areas[i];
    }
    text += ")";
  }
  if (!search.region.empty()) {
    text += " in region " + search.region;
  }
  if (!search.locality.empty()) {
    text += " in " + search.locality;
  }
  if (!search.contains.empty()) {
    text += " containing " + search.contains;
  }
  return text;
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

void validate_area_code(const std::string& country, const std::string& area_code) {
  if (country != "US" && country != "CA") {
    throw Error(ErrorKind::invalid_input,
                "area codes apply only to US and CA numbers, not to " + country,
                "search by --locality or --contains instead");
  }
  bool digits = area_code.size() == 3 && std::all_of(area_code.begin(), area_code.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    throw Error(ErrorKind::invalid_input, "area code '" + area_code + "' is not three digits",
                "write it like 212");
  }
  if (!is_area_code_in_service(country, area_code)) {
    throw Error(ErrorKind::invalid_input,
                "area code " + area_code + " is not in service in " + country,
                "check the area code; 'vami numbers search --region ST' lists numbers by state");
  }
}

std::vector<std::string> sibling_area_codes(const std::string& country,
                                            const std::string& area_code) {
  NumberLocation origin = locate("+1" + area_code + "2345678");
  std::vector<std::string> same_locality;
  std::vector<std::string> region_wide;
  std::vector<std::string> same_region;
  if (origin.region.empty()) {
    return same_locality;
  }
  for (int npa = 200; npa <= 999; ++npa) {
    std::string candidate = std::to_string(npa);
    if (candidate == area_code || !is_area_code_in_service(country, candidate)) {
      continue;
    }
    NumberLocation location = locate("+1" + candidate + "2345678");
    if (location.region != origin.region) {
      continue;
    }
    // Codes of the same city first, then overlays the geocoder places only in the state
    // (646, 917 over 212), then the rest of the state.
    if (location.locality == origin.locality) {
      same_locality.push_back(candidate);
    } else if (location.locality.empty()) {
      region_wide.push_back(candidate);
    } else {
      same_region.push_back(candidate);
    }
  }
  same_locality.insert(same_locality.end(), region_wide.begin(), region_wide.end());
  same_locality.insert(same_locality.end(), same_region.begin(), same_region.end());
  return same_locality;
}

void validate_webhook_url(const std::string& url, bool allow_http) {
  auto invalid = [&](const std::string& why, const std::string& hint) {
    return Error(ErrorKind::invalid_input, "voice webhook '" + url + "' " + why, hint);
  };
  bool https = url.rfind("https://", 0) == 0;
  bool http = url.rfind("http://", 0) == 0;
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

SearchResult PoolService::search(const NumberSearch& search) {
  validate_search(search);
  SearchResult result;
  result.numbers = m_telephony.search_available(search);
  try {
    result.monthly_price = m_telephony.monthly_price(search.country, search.type);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::storage) {
      throw;
    }
  }
  return result;
}

std::vector<AvailableNumber> PoolService::find_candidates(const BuyRequest& request,
                                                          std::size_t wanted,
                                                          std::set<std::string>& seen,
                                                          int& searches) {
  NumberSearch base = request.search;
  base.limit = k_max_search_page;
  std::vector<AvailableNumber> found;
  auto gather = [&](const NumberSearch& search) {
    ++searches;
    for (auto& number : m_telephony.search_available(search)) {
      if (found.size() >= wanted || !seen.insert(number.e164).second) {
        continue;
      }
      auto row = m_store.find_number(number.e164);
      if (row && row->status != NumberStatus::released) {
        continue;
      }
      found.push_back(std::move(number));
    }
  };
  std::vector<std::string> areas = request.area_codes;
  if (areas.empty()) {
    areas.emplace_back();
  }
  for (const auto& area : areas) {
    NumberSearch search = base;
    search.area_code = area;
    gather(search);
    // The same search returns the same numbers; partitioning by the last two digits reaches
    // the rest of the inventory (Twilio's `Contains` with a `$` anchor).
    for (int suffix = 0; suffix < 100 && found.size() < wanted && base.contains.empty(); ++suffix) {
      search.contains = (suffix < 10 ? "0" : "") + std::to_string(suffix) + "$";
      gather(search);
    }
    if (found.size() >= wanted) {
      break;
    }
  }
  return found;
}

PurchasePlan PoolService::plan_purchase(const BuyRequest& request) {
  if (request.count < 1 || request.count > k_max_purchase_count) {
    throw Error(
        ErrorKind::invalid_input, "--count " + std::to_string(request.count) + " is out of range",
        "buy between 1 and " + std::to_string(k_max_purchase_count) + " numbers per command");
  }
  validate_concurrency(request.concurrency);
  NumberSearch base = request.search;
  base.area_code.clear();
  base.limit = k_max_search_page;
  validate_search(base);
  for (const auto& area : request.area_codes) {
    validate_area_code(base.country, area);
  }

  PurchasePlan plan;
  plan.monthly_price = m_telephony.monthly_price(base.country, base.type);
  if (request.max_monthly_price_micros) {
    if (!plan.monthly_price) {
      throw Error(ErrorKind::conflict,
                  "the provider publishes no monthly price for " +
                      std::string(to_string(base.type)) + " numbers in " + base.country +
                      ", so --max-monthly-cost cannot be checked",
                  "drop --max-monthly-cost to buy anyway");
    }
    if (plan.monthly_price->micros > *request.max_monthly_price_micros) {
      throw Error(ErrorKind::conflict,
                  std::string(to_string(base.type)) + " numbers in " + base.country + " cost " +
                      format_decimal_micros(plan.monthly_price->micros) + " " +
                      plan.monthly_price->currency + " a month, more than --max-monthly-cost " +
                      format_decimal_micros(*request.max_monthly_price_micros),
                  "raise --max-monthly-cost or choose another number type or country");
    }
  }

  // A few spares replace numbers that someone else buys between our search and our purchase.
  const auto wanted = static_cast<std::size_t>(request.count + std::max(2, request.count / 10));
  std::set<std::string> seen;
  std::vector<AvailableNumber> found = find_candidates(request, wanted, seen, plan.searches);

  if (found.size() < static_cast<std::size_t>(request.count)) {
    std::string hint = "lower --count";
    if (request.area_codes.size() == 1) {
      auto siblings = sibling_area_codes(base.country, request.area_codes.front());
      if (!siblings.empty()) {
        hint = "add area codes of the same region, e.g. --area-code " + request.area_codes.front();
        for (std::size_t i = 0; i < siblings.size() && i < 4; ++i) {
          hint += "," + siblings[i];
        }
        hint += ", or lower --count";
      }
    } else if (!request.area_codes.empty()) {
      hint = "add more area codes to --area-code, or lower --count";
    }
    throw Error(ErrorKind::conflict,
                "found only " + std::to_string(found.size()) + " of " +
                    std::to_string(request.count) + " " +
                    describe_search(base, request.area_codes) + " for sale; nothing was bought",
                hint);
  }
  plan.numbers.assign(found.begin(), found.begin() + request.count);
  plan.spares.assign(found.begin() + request.count, found.end());
  return plan;
}

BulkReport PoolService::buy(const BuyRequest& request, const PurchasePlan& plan,
                            const StopRequested& stop_requested, const ItemObserver& observer) {
  validate_concurrency(request.concurrency);
  Operation operation;
  operation.id = new_operation_id();
  operation.kind = OperationKind::buy;
  operation.requested_count = request.count;
  operation.parameters = request.journal_parameters;
  operation.actor = m_actor;
  m_store.create_operation(operation);

  // FriendlyName holds at most 64 characters; the pool name is cut to fit.
  std::string tag = "vami:" + request.pool.substr(0, 40) + ":" + operation.id;

  BulkReport report;
  report.operation_id = operation.id;
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

  // One position of the plan: its number, then spares while the numbers turn out taken.
  std::function<std::vector<ItemResult>(std::size_t)> work = [&](std::size_t position) {
    std::vector<ItemResult> attempts;
    AvailableNumber candidate = plan.numbers[position];
    while (true) {
      ItemResult item = purchase_one(candidate, operation.id, tag, plan.monthly_price);
      std::optional<AvailableNumber> spare;
      if (item.status == ItemStatus::failed && item.error_code == k_not_for_sale) {
        if (stop()) {
          // A replacement is a new purchase: after Ctrl-C none is started.
          stopped_before_replacement = true;
        } else {
          spare = next_spare(position, item);
        }
      }
      if (spare) {
        item.status = ItemStatus::skipped;
        item.message += "; replaced by " + spare->e164;
      }
      journal_item(m_store, operation.id, item);
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
          count(report, item);
          if (observer) {
            observer(item, report.succeeded + report.failed + report.uncertain, request.count);
          }
        }
      };

  try {
    auto outcome = run_bulk(plan.numbers.size(), request.concurrency, work, stop, settled);
    report.interrupted = outcome.stopped || stopped_before_replacement;
    for (auto& attempts : outcome.results) {
      if (attempts) {
        std::move(attempts->begin(), attempts->end(), std::back_inserter(report.items));
      }
    }
  } catch (const Error& error) {
    report.interrupted = error.kind() == ErrorKind::interrupted;
    m_store.finish_operation(operation.id, error.kind() == ErrorKind::auth ? OperationStatus::failed
                                                                           : final_status(report));
    throw;
  }
  m_store.finish_operation(operation.id, final_status(report));
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
    ItemResult item = failure(candidate.e164, error, ItemStatus::failed);
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
      ItemResult item = failure(candidate.e164, error, ItemStatus::uncertain);
      item.message = "the purchase of " + candidate.e164 + " may have happened (" + error.what() +
                     ") and the look-up failed too (" + lookup_error.what() +
                     "); run 'vami reconcile'";
      return item;
    }
    if (owned && owned->friendly_name == tag) {
      return bought(*owned);
    }
    m_store.abandon_purchase(candidate.e164);
    return failure(candidate.e164, error, ItemStatus::failed);
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
      ItemResult item = failure(candidate.e164, error, ItemStatus::uncertain);
      item.message += "; run 'vami reconcile'";
      return item;
    }
    case ErrorKind::auth:
      m_store.abandon_purchase(candidate.e164);
      throw;
    default:
      // A definite refusal (rate limit, bad request): the provider did not act.
      m_store.abandon_purchase(candidate.e164);
      return failure(candidate.e164, error, ItemStatus::failed);
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

ReleasePlan PoolService::plan_release(const std::vector<std::string>& numbers) {
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
    if (row.status == NumberStatus::assigned) {
      throw Error(ErrorKind::conflict,
                  e164 + " is assigned to agent \"" + row.agent_slug + "\" (tenant " +
                      row.tenant_slug + ")",
                  "unassign it first with 'vami numbers unassign " + e164 + "'");
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

  BulkReport report;
  report.operation_id = operation.id;
  report.requested = operation.requested_count;
  std::function<ItemResult(std::size_t)> work = [&](std::size_t position) {
    ItemResult item = release_one(plan.numbers[position]);
    journal_item(m_store, operation.id, item);
    return item;
  };
  std::function<void(std::size_t, const ItemResult&)> settled = [&](std::size_t,
                                                                    const ItemResult& item) {
    count(report, item);
    if (observer) {
      observer(item, report.succeeded + report.failed + report.uncertain, report.requested);
    }
  };
  try {
    auto outcome =
        run_bulk(plan.numbers.size(), options.concurrency, work, stop_requested, settled);
    report.interrupted = outcome.stopped;
    for (auto& item : outcome.results) {
      if (item) {
        report.items.push_back(std::move(*item));
      }
    }
  } catch (const Error&) {
    m_store.finish_operation(operation.id, OperationStatus::failed);
    throw;
  }
  m_store.finish_operation(operation.id, final_status(report));
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
    return failure(number.e164, error, ItemStatus::failed);
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
        ItemResult item = failure(number.e164, error, ItemStatus::uncertain);
        item.message = "the release of " + number.e164 + " may have happened (" + error.what() +
                       ") and the look-up failed too (" + lookup_error.what() +
                       "); run 'vami reconcile'";
        return item;
      }
      if (!owned) {
        return released();
      }
      m_store.revert_release(number.e164, before.status);
      return failure(number.e164, error, ItemStatus::failed);
    }
    case ErrorKind::auth:
      m_store.revert_release(number.e164, before.status);
      throw;
    default:
      m_store.revert_release(number.e164, before.status);
      return failure(number.e164, error, ItemStatus::failed);
    }
  }
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
  m_telephony.set_voice_webhook(before.provider_sid, webhook);
  auto read_back = m_telephony.find_owned(e164);
  if (!read_back) {
    throw Error(ErrorKind::uncertain,
                "the provider no longer reports " + e164 + " after setting its voice webhook",
                "run 'vami reconcile'");
  }
  if (read_back->webhook != webhook) {
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

WebhookView PoolService::show_webhook(const std::string& number) {
  std::string e164 = to_e164(number);
  WebhookView view;
  view.number = owned_row(e164);
  auto owned = m_telephony.find_owned(e164);
  if (!owned) {
    throw Error(ErrorKind::uncertain, e164 + " is in the pool but the provider does not report it",
                "run 'vami reconcile'");
  }
  view.at_provider = owned->webhook;
  view.in_sync = view.at_provider == view.number.webhook;
  return view;
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
