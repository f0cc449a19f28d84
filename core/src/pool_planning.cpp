// Searching the provider's inventory and planning a purchase: which numbers to buy, found before
// anything is bought (PoolService::search, plan_purchase and the candidates' search).
#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>

namespace vami {

namespace {

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

std::vector<AvailableNumber> PoolService::find_candidates(
    const BuyRequest& request, std::size_t wanted, std::set<std::string>& seen, int& searches,
    const StopRequested& stop_requested, const std::function<void()>& alongside) {
  NumberSearch base = request.search;
  base.limit = k_max_search_page;
  std::vector<AvailableNumber> found;
  // Takes one search's numbers exactly as a one-at-a-time loop would, so that the plan does not
  // depend on which concurrent search answered first.
  auto take = [&](std::vector<AvailableNumber>& numbers, const std::set<std::string>& pooled) {
    for (auto& number : numbers) {
      if (found.size() >= wanted || !seen.insert(number.e164).second ||
          pooled.count(number.e164) > 0) {
        continue;
      }
      found.push_back(std::move(number));
    }
  };
  struct Answer {
    std::vector<AvailableNumber> numbers;
    std::exception_ptr error;
  };
  std::vector<std::string> areas = request.area_codes;
  if (areas.empty()) {
    areas.emplace_back();
  }
  for (const auto& area : areas) {
    // The same search returns the same numbers; partitioning by the last two digits reaches
    // the rest of the inventory (Twilio's `Contains` with a `$` anchor).
    std::vector<NumberSearch> queue;
    NumberSearch search = base;
    search.area_code = area;
    // The unpartitioned search is a sample of the partitions: worth a request only when one
    // page may be enough or nothing partitions.
    const bool sampled = wanted <= k_max_search_page || !base.contains.empty();
    if (sampled) {
      queue.push_back(search);
    }
    for (int suffix = 0; suffix < 100 && base.contains.empty(); ++suffix) {
      search.contains = (suffix < 10 ? "0" : "") + std::to_string(suffix) + "$";
      queue.push_back(search);
    }
    const std::size_t found_before = found.size();
    std::size_t next = 0;
    // A search answering less than a full page has shown everything it matches: searching its
    // partitions would find nothing more (a sold-out area code costs one search, not 101).
    bool exhausted = false;
    // At 50 ms a search, 100 of them one after the other took seconds: they go out in waves,
    // --concurrency at a time, each wave as large as the searches still needed (at least the
    // remainder over a full page; more when this area's searches have yielded less), so that
    // a search for a few replacements does not fire a hundred requests.
    while (next < queue.size() && !exhausted && (next == 0 || found.size() < wanted)) {
      const double remaining = static_cast<double>(wanted - std::min(wanted, found.size()));
      double estimate = std::ceil(remaining / k_max_search_page);
      if (next > 0) {
        const double yield =
            static_cast<double>(found.size() - found_before) / static_cast<double>(next);
        estimate = yield > 0 ? std::max(estimate, std::ceil(remaining / yield))
                             : static_cast<double>(queue.size());
      }
      // A wave that leaves workers idle costs a whole round trip for a few searches: round it
      // up to whole rounds of --concurrency.
      const auto slots = static_cast<std::size_t>(request.concurrency);
      auto needed =
          static_cast<std::size_t>(std::clamp(estimate, 1.0, static_cast<double>(queue.size())));
      if (needed > 1) {
        needed = (needed + slots - 1) / slots * slots;
      }
      // The first wave gives one of its slots to the request sent alongside.
      const bool with_alongside = alongside && next == 0 && &area == &areas.front();
      const std::size_t wave =
          std::min(queue.size() - next, needed - (with_alongside && needed > 1 ? 1 : 0));
      std::function<Answer(std::size_t)> ask = [&](std::size_t index) {
        Answer answer;
        try {
          if (index == wave) {
            alongside();
          } else {
            answer.numbers = m_telephony.search_available(queue[next + index]);
          }
        } catch (...) {
          answer.error = std::current_exception();
        }
        return answer;
      };
      auto outcome =
          run_bulk(wave + (with_alongside ? 1 : 0), request.concurrency, ask, stop_requested);
      if (with_alongside && outcome.results[wave] && outcome.results[wave]->error) {
        std::rethrow_exception(outcome.results[wave]->error);
      }
      if (outcome.stopped || (stop_requested && stop_requested())) {
        throw Error(ErrorKind::interrupted,
                    "interrupted while looking for numbers to buy; nothing was bought");
      }
      searches += static_cast<int>(wave);
      std::vector<std::string> offered;
      for (const auto& answer : outcome.results) {
        for (const auto& number : answer ? answer->numbers : std::vector<AvailableNumber>{}) {
          offered.push_back(number.e164);
        }
      }
      const std::set<std::string> pooled = m_store.numbers_in_pool(offered);
      for (std::size_t index = 0; index < wave; ++index) {
        // Past the area's first search, the rest are only asked for while numbers are wanted;
        // a search that failed matters only when its numbers were still needed.
        if (next + index > 0 && found.size() >= wanted) {
          break;
        }
        auto& answer = *outcome.results[index];
        if (answer.error) {
          std::rethrow_exception(answer.error);
        }
        if (sampled && next + index == 0 &&
            answer.numbers.size() < static_cast<std::size_t>(k_max_search_page)) {
          exhausted = true;
        }
        take(answer.numbers, pooled);
      }
      next += wave;
    }
    if (found.size() >= wanted) {
      break;
    }
  }
  return found;
}

PurchasePlan PoolService::plan_purchase(const BuyRequest& request,
                                        const StopRequested& stop_requested) {
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
  // The price is asked within the first wave of searches: one round trip less before buying.
  // Searching costs nothing, so a price over --max-monthly-cost still refuses before a purchase.
  const auto wanted = static_cast<std::size_t>(request.count + std::max(2, request.count / 10));
  std::set<std::string> seen;
  bool priced = false;
  auto price = [&] {
    plan.monthly_price = m_telephony.monthly_price(base.country, base.type);
    priced = true;
  };
  std::vector<AvailableNumber> found =
      find_candidates(request, wanted, seen, plan.searches, stop_requested, price);
  if (!priced) {
    price();
  }
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

} // namespace vami
