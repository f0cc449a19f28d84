// Usage and cost over a period (issue 11, item 4): the pool's numbers prorated by calendar
// month, and the call history's calls, minutes and costs, grouped by tenant, agent or number.

#include <algorithm>
#include <array>
#include <map>
#include <string>

#include "enum_names.hpp"

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/usage_report.hpp>

namespace vami {

namespace {

constexpr detail::EnumNames<UsageGrouping, 3> k_grouping_names{{
    {UsageGrouping::tenant, "tenant"},
    {UsageGrouping::agent, "agent"},
    {UsageGrouping::number, "number"},
}};

/// `a * b`, or Error(invalid_input) naming `what` when it does not fit in 63 bits: a bill is
/// never silently wrapped around.
std::int64_t times(std::int64_t a, std::int64_t b, const std::string& what) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    throw Error(ErrorKind::invalid_input, what + " is too large to compute",
                "check the rates: they are amounts per number-month and per minute");
  }
  return product;
}

/// `a + b`, or Error(invalid_input) naming `what` when it does not fit in 63 bits.
std::int64_t plus(std::int64_t a, std::int64_t b, const std::string& what) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    throw Error(ErrorKind::invalid_input, what + " is too large to compute",
                "check the rates: they are amounts per number-month and per minute");
  }
  return sum;
}

/// `amount * numerator / denominator`, rounded half away from zero. The whole multiples of
/// `denominator` are multiplied exactly first, so only `amount * (numerator % denominator)` is
/// rounded; that product fits in 63 bits for any amount up to nine million units (a monthly
/// price of a million dollars times a month of seconds, or a rate per number-month). Larger
/// products are refused, naming `what`.
std::int64_t prorate(std::int64_t amount, std::int64_t numerator, std::int64_t denominator,
                     const std::string& what = "an amount") {
  const std::int64_t whole = times(amount, numerator / denominator, what);
  const std::int64_t product = times(amount, numerator % denominator, what);
  const std::int64_t half = denominator / 2;
  return plus(whole,
              product >= 0 ? (product + half) / denominator : -((-product + half) / denominator),
              what);
}

/// One calendar-month piece of a holding: its seconds and the seconds of its month.
struct MonthPiece {
  std::int64_t seconds = 0;
  std::int64_t month_seconds = 0;
};

/// [from, to) split at calendar-month boundaries.
std::vector<MonthPiece> month_pieces(std::int64_t from, std::int64_t to) {
  std::vector<MonthPiece> pieces;
  while (from < to) {
    const std::int64_t month_start = unix_of_iso8601(month_start_iso8601(from));
    const std::int64_t month_end = unix_of_iso8601(month_start_iso8601(from, 1));
    const std::int64_t piece_end = std::min(to, month_end);
    pieces.push_back({piece_end - from, month_end - month_start});
    from = piece_end;
  }
  return pieces;
}

class Totals {
public:
  explicit Totals(const UsageQuery& query) : m_query(query) {}

  UsageRow& row(const std::string& key, const std::string& tenant_slug) {
    auto [it, inserted] = m_rows.try_emplace(key);
    if (inserted) {
      it->second.key = key;
      it->second.tenant_slug = tenant_slug;
    }
    return it->second;
  }

  /// Checks that `money` is in the report's currency (the first one seen).
  void currency(const Money& money) {
    if (m_currency.empty()) {
      m_currency = money.currency;
    } else if (money.currency != m_currency) {
      throw Error(ErrorKind::invalid_input,
                  "usage mixes amounts in " + m_currency + " and " + money.currency +
                      ", which cannot be added up",
                  "report a tenant or a period whose amounts share one currency");
    }
  }

  /// Totals the rows; `stored` holds the stored rates of the tenants that have some, used
  /// when the query gives no rate.
  UsageReport finish(UsageReport report, const std::map<std::string, TenantRates>& stored) {
    const bool given = m_query.rate_number_micros || m_query.rate_minute_micros;
    auto stored_rates_of = [&](const UsageRow& row) -> const TenantRates* {
      auto it = given ? stored.end() : stored.find(row.tenant_slug);
      return it == stored.end() ? nullptr : &it->second;
    };
    for (const auto& [key, row] : m_rows) {
      const TenantRates* rates = stored_rates_of(row);
      if (rates == nullptr) {
        continue;
      }
      if (!m_currency.empty() && rates->currency != m_currency) {
        throw Error(ErrorKind::invalid_input,
                    "tenant \"" + row.tenant_slug + "\" is billed in " + rates->currency +
                        " (its stored rates) but the usage amounts are in " + m_currency,
                    "store its rates in " + m_currency + " ('vami tenants update " +
                        row.tenant_slug + " --rate-currency " + m_currency +
                        "'), or give --rate-number/--rate-minute");
      }
      currency(Money{0, rates->currency});
    }
    if (!m_currency.empty()) {
      report.currency = m_currency;
    }
    UsageRow& total = report.total;
    if (given) {
      total.bill_micros = 0;
      total.margin_micros = 0;
    }
    for (auto& [key, row] : m_rows) {
      row.total_cost_micros =
          row.number_cost_micros + row.telephony_cost_micros + row.agent_cost_micros;
      const TenantRates* rates = stored_rates_of(row);
      if (given || rates != nullptr) {
        const std::int64_t per_number =
            given ? m_query.rate_number_micros.value_or(0) : rates->number_micros.value_or(0);
        const std::int64_t per_minute =
            given ? m_query.rate_minute_micros.value_or(0) : rates->minute_micros.value_or(0);
        row.stored_rates = !given;
        const std::string what = "the bill of " + (row.key.empty() ? "the pool" : row.key);
        row.bill_micros = plus(prorate(per_number, row.number_month_micros, 1'000'000, what),
                               times(per_minute, row.minutes, what), what);
        row.margin_micros = *row.bill_micros - row.total_cost_micros;
        total.bill_micros = plus(total.bill_micros.value_or(0), *row.bill_micros, "the total bill");
        total.margin_micros = total.margin_micros.value_or(0) + *row.margin_micros;
      }
      total.numbers += row.numbers;
      total.number_month_micros += row.number_month_micros;
      total.number_cost_micros += row.number_cost_micros;
      total.calls += row.calls;
      total.seconds += row.seconds;
      total.minutes += row.minutes;
      total.telephony_cost_micros += row.telephony_cost_micros;
      total.agent_cost_micros += row.agent_cost_micros;
      total.total_cost_micros += row.total_cost_micros;
      report.rows.push_back(row);
    }
    return report;
  }

private:
  const UsageQuery& m_query;
  std::string m_currency;
  std::map<std::string, UsageRow> m_rows; ///< By key; "" sorts first.
};

} // namespace

const char* to_string(UsageGrouping grouping) noexcept {
  return detail::name_of(k_grouping_names, grouping);
}

std::optional<UsageGrouping> parse_usage_grouping(std::string_view text) noexcept {
  return detail::value_named(k_grouping_names, text);
}

UsageReport usage_report(StateStore& store, const UsageQuery& query, std::int64_t now_unix) {
  const std::int64_t since = unix_of_iso8601(query.since);
  const std::int64_t until = unix_of_iso8601(query.until);
  if (until <= since) {
    throw Error(ErrorKind::invalid_input,
                "the usage period from " + query.since + " to " + query.until + " is empty",
                "give an --until after --since");
  }
  std::map<std::string, TenantRates> stored_rates;
  if (!query.rate_number_micros && !query.rate_minute_micros) {
    for (const Tenant& tenant : store.list_tenants()) {
      if (tenant.rates.any()) {
        stored_rates.emplace(tenant.slug, tenant.rates);
      }
    }
  }
  UsageReport report;
  report.since = query.since;
  report.until = query.until;
  report.by = query.by;
  Totals totals(query);

  // Agents by provider id, so that a call recorded with only ElevenLabs' agent id is still
  // counted for its vami agent and tenant.
  std::map<std::string, Agent> agents_by_provider_id;
  for (Agent& agent : store.list_agents("")) {
    if (!agent.provider_agent_id.empty()) {
      agents_by_provider_id.emplace(agent.provider_agent_id, std::move(agent));
    }
  }
  auto key_of = [&](const std::string& tenant, const std::string& agent,
                    const std::string& number) -> const std::string& {
    switch (query.by) {
    case UsageGrouping::tenant:
      return tenant;
    case UsageGrouping::agent:
      return agent;
    case UsageGrouping::number:
      break;
    }
    return number;
  };

  NumberFilter every_number;
  every_number.include_released = true;
  for (const PoolNumber& number : store.list_numbers(every_number)) {
    if (number.status == NumberStatus::purchasing || number.created_at.empty()) {
      continue; // Not bought (yet): nothing is paid for it.
    }
    if (!query.tenant_slug.empty() && number.tenant_slug != query.tenant_slug) {
      continue;
    }
    const std::int64_t held_from = std::max(since, unix_of_iso8601(number.created_at));
    std::int64_t held_to = std::min(until, now_unix);
    if (number.status == NumberStatus::released && !number.released_at.empty()) {
      held_to = std::min(held_to, unix_of_iso8601(number.released_at));
    }
    if (held_to <= held_from) {
      continue;
    }
    UsageRow& row =
        totals.row(key_of(number.tenant_slug, number.agent_slug, number.e164), number.tenant_slug);
    ++row.numbers;
    if (!number.monthly_price) {
      ++report.numbers_without_price;
    } else {
      totals.currency(*number.monthly_price);
    }
    for (const MonthPiece& piece : month_pieces(held_from, held_to)) {
      row.number_month_micros += prorate(1'000'000, piece.seconds, piece.month_seconds);
      if (number.monthly_price) {
        row.number_cost_micros +=
            prorate(number.monthly_price->micros, piece.seconds, piece.month_seconds);
      }
    }
  }

  CallFilter calls;
  calls.tenant_slug = query.tenant_slug;
  calls.since = query.since;
  calls.until = query.until;
  for (const CallRecord& call : store.list_calls(calls)) {
    std::string tenant = call.tenant_slug;
    std::string agent = call.agent_slug;
    if (auto it = agents_by_provider_id.find(call.provider_agent_id);
        it != agents_by_provider_id.end()) {
      if (agent.empty()) {
        agent = it->second.slug;
      }
      if (tenant.empty()) {
        tenant = it->second.tenant_slug;
      }
    }
    UsageRow& row = totals.row(key_of(tenant, agent, call.number), tenant);
    ++row.calls;
    const std::int64_t seconds = call.duration_seconds.value_or(0);
    row.seconds += seconds;
    row.minutes += (seconds + 59) / 60;
    if (call.telephony_cost) {
      totals.currency(*call.telephony_cost);
      row.telephony_cost_micros += call.telephony_cost->micros;
    }
    if (call.agent_cost) {
      totals.currency(*call.agent_cost);
      row.agent_cost_micros += call.agent_cost->micros;
    }
    // A call that was never answered costs nothing and is not missing a cost.
    if (seconds > 0 && (!call.telephony_cost || !call.agent_cost)) {
      ++report.calls_without_cost;
    }
  }
  return totals.finish(std::move(report), stored_rates);
}

} // namespace vami
