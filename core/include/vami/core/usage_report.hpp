#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/money.hpp>

namespace vami {

class StateStore;

/// What a usage report has one row per.
enum class UsageGrouping { tenant, agent, number };
/// "tenant", "agent", "number".
[[nodiscard]] const char* to_string(UsageGrouping grouping) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<UsageGrouping> parse_usage_grouping(std::string_view text) noexcept;

/// What to report: a period, an optional tenant, a grouping, and optional rates to bill.
struct UsageQuery {
  std::string since;       ///< UTC ISO 8601, included. Required.
  std::string until;       ///< UTC ISO 8601, excluded. Required, after `since`.
  std::string tenant_slug; ///< Only this tenant's numbers and calls; empty: every tenant.
  UsageGrouping by = UsageGrouping::tenant;
  /// What to bill per number per month (prorated like the numbers' cost), in the report's
  /// currency; with `rate_minute`, adds what to bill and the margin to each row. When neither
  /// rate is given, each row is billed at its tenant's stored rates (`Tenant::rates`), if any.
  std::optional<std::int64_t> rate_number_micros;
  /// What to bill per started minute of each call, in the report's currency.
  std::optional<std::int64_t> rate_minute_micros;
};

/// The usage of one tenant, agent or number over the period. Amounts are in the report's
/// currency.
struct UsageRow {
  /// The tenant slug, agent slug or E.164 of the row; empty for what belongs to none (pool
  /// numbers not assigned to anyone, calls with no tenant or agent recorded).
  std::string key;
  std::string tenant_slug; ///< The row's tenant (the key itself when grouped by tenant).
  int numbers = 0;         ///< Numbers held for part or all of the period.
  /// Number-time held in the period, in millionths of a month (1'000'000: one number for one
  /// whole calendar month), the base of the prorated number cost and number billing.
  std::int64_t number_month_micros = 0;
  std::int64_t number_cost_micros = 0; ///< Monthly prices prorated over the time held.
  int calls = 0;                       ///< Calls started in the period.
  std::int64_t seconds = 0;            ///< Their total duration.
  std::int64_t minutes = 0;            ///< Their billed minutes: each call rounded up.
  std::int64_t telephony_cost_micros = 0;
  std::int64_t agent_cost_micros = 0;
  std::int64_t total_cost_micros = 0;        ///< Numbers + telephony + agent.
  std::optional<std::int64_t> bill_micros;   ///< With rates: numbers and minutes at the rates.
  std::optional<std::int64_t> margin_micros; ///< With rates: bill - total cost.
  /// Billed at its tenant's stored rates (no rate given in the query); false otherwise.
  bool stored_rates = false;
};

/// Usage over a period: numbers held and their prorated monthly cost, calls, minutes, telephony
/// and agent cost, per row and in total.
struct UsageReport {
  std::string since;
  std::string until;
  UsageGrouping by = UsageGrouping::tenant;
  std::string currency = "USD";  ///< ISO 4217; of every amount in the report.
  std::vector<UsageRow> rows;    ///< Ordered by key ("" first).
  UsageRow total;                ///< The sum of the rows (key empty).
  int calls_without_cost = 0;    ///< Calls of the period with no telephony or no agent cost known.
  int numbers_without_price = 0; ///< Numbers held with no monthly price known.
};

/// Reports usage from the state database (pool and call history) as `query` asks.
///
/// Numbers: each number is held from its purchase (`created_at`) until its release
/// (`released_at`) or `now`; the part of that inside the period is split by calendar month and
/// each piece costs `monthly price * piece seconds / seconds of that month`, rounded half away
/// from zero to the micro, so a whole calendar month costs exactly the monthly price. A number
/// belongs to the tenant and agent it is assigned to now (unassigned and released numbers to no
/// one). Calls: those whose start (or first record) is in the period; minutes are billed per
/// started minute of each call. Bill: `rate_number` prorated like the cost, plus `rate_minute`
/// per billed minute; margin: bill minus total cost. Rates given in the query apply to every
/// row; without them, a row whose tenant has stored rates is billed at those (a rate not stored
/// counts as zero) and the other rows are not billed; the total's bill and margin then add up
/// the billed rows only. So a rate on the command line always takes precedence over stored
/// rates, and the two are never mixed in one report.
/// @throws Error(invalid_input) when the period is empty or reversed, when amounts are in more
///         than one currency (naming both; a tenant whose stored rates are in another currency
///         than the costs is named), or when a bill does not fit in 63 bits of micros.
[[nodiscard]] UsageReport usage_report(StateStore& store, const UsageQuery& query,
                                       std::int64_t now_unix);

} // namespace vami
