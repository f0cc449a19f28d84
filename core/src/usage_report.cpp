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

/// `amount * numerator / denominator`, rounded half away from zero. The product fits in 63
/// bits for any real figure: a monthly price of a million dollars (1e12 micros) times a month
/// of seconds (2.7e6), or a rate of a thousand dollars times ten million number-months.
std::int64_t prorate(std::int64_t amount, std::int64_t numerator, std::int64_t denominator) {
  const std::int64_t product = amount * numerator;
  const std::int64_t half = denominator / 2;
  return product >= 0 ? (product + half) / denominator : -((-product + half) / denominator);
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

  UsageReport finish(UsageReport report) {
    if (!m_currency.empty()) {
      report.currency = m_currency;
    }
    const bool rated = m_query.rate_number_micros || m_query.rate_minute_micros;
    UsageRow& total = report.total;
    if (rated) {
      total.bill_micros = 0;
      total.margin_micros = 0;
    }
    for (auto& [key, row] : m_rows) {
      row.total_cost_micros =
          row.number_cost_micros + row.telephony_cost_micros + row.agent_cost_micros;
      if (rated) {
        row.bill_micros =
            prorate(m_query.rate_number_micros.value_or(0), row.number_month_micros, 1'000'000) +
            m_query.rate_minute_micros.value_or(0) * row.minutes;
        row.margin_micros = *row.bill_micros - row.total_cost_micros;
        *total.bill_micros += *row.bill_micros;
        *total.margin_micros += *row.margin_micros;
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
  return totals.finish(std::move(report));
}

} // namespace vami
