// `vami usage`: numbers held, calls, minutes and costs over a period; with rates, the bill.
#include <iostream>

#include "app.hpp"

#include <vami/core/clock.hpp>
#include <vami/core/usage_report.hpp>

namespace vami::cli {

namespace {

struct UsageOptions {
  std::string tenant;
  std::string since;
  std::string until;
  std::string by = "tenant";
  std::optional<std::string> rate_number;
  std::optional<std::string> rate_minute;
};

void put_amount(nlohmann::ordered_json& json, const std::string& name, std::int64_t micros) {
  json[name] = format_decimal_micros(micros);
  json[name + "_micros"] = micros;
}

void put_optional_amount(nlohmann::ordered_json& json, const std::string& name,
                         const std::optional<std::int64_t>& micros) {
  json[name] = micros ? nlohmann::ordered_json(format_decimal_micros(*micros)) : nullptr;
  json[name + "_micros"] = micros ? nlohmann::ordered_json(*micros) : nullptr;
}

/// One row as JSON: its key under the grouping's name, then the figures (docs/json.md, "Usage").
nlohmann::ordered_json row_json(const UsageRow& row, UsageGrouping by) {
  nlohmann::ordered_json json;
  json[to_string(by)] = text_or_null(row.key);
  if (by != UsageGrouping::tenant) {
    json["tenant"] = text_or_null(row.tenant_slug);
  }
  json["numbers"] = row.numbers;
  json["number_months"] = format_decimal_micros(row.number_month_micros);
  put_amount(json, "number_cost", row.number_cost_micros);
  json["calls"] = row.calls;
  json["seconds"] = row.seconds;
  json["minutes"] = row.minutes;
  put_amount(json, "telephony_cost", row.telephony_cost_micros);
  put_amount(json, "agent_cost", row.agent_cost_micros);
  put_amount(json, "total_cost", row.total_cost_micros);
  put_optional_amount(json, "bill", row.bill_micros);
  put_optional_amount(json, "margin", row.margin_micros);
  json["rates_from"] = !row.bill_micros   ? nlohmann::ordered_json()
                       : row.stored_rates ? nlohmann::ordered_json("tenant")
                                          : nlohmann::ordered_json("options");
  return json;
}

} // namespace

void register_usage_command(CLI::App& app, AppContext& context) {
  auto options = std::make_shared<UsageOptions>();
  auto* command = app.add_subcommand(
      "usage", "Numbers held, calls, minutes and costs over a period, per tenant, agent or "
               "number; with rates, what to bill and the margin");
  command->add_option("--tenant", options->tenant, "Only this tenant's numbers and calls")
      ->type_name("SLUG");
  command
      ->add_option("--since", options->since,
                   "Start of the period: a UTC time (2026-11-01, 2026-11-01T00:00:00Z) or an age "
                   "(7d); default: the start of this month")
      ->type_name("TIME");
  command
      ->add_option("--until", options->until,
                   "End of the period, excluded (same forms as --since); default: now")
      ->type_name("TIME");
  command->add_option("--by", options->by, "One row per tenant, agent or number")
      ->type_name("tenant|agent|number")
      ->check(CLI::IsMember({"tenant", "agent", "number"}))
      ->capture_default_str();
  command
      ->add_option("--rate-number", options->rate_number,
                   "What to bill per number per month (prorated), in the report's currency; "
                   "given with or without --rate-minute, these rates bill every row instead of "
                   "the tenants' stored rates (a rate left out counts as 0)")
      ->type_name("AMOUNT");
  command
      ->add_option("--rate-minute", options->rate_minute,
                   "What to bill per started minute of each call, in the report's currency; "
                   "without either option, each tenant is billed at its stored rates ('vami "
                   "tenants update --rate-number/--rate-minute'), if any")
      ->type_name("AMOUNT");
  command->callback([&context, options] {
    const std::int64_t now = unix_now();
    UsageQuery query;
    query.since =
        options->since.empty() ? month_start_iso8601(now) : parse_since(options->since, now);
    if (options->until.empty()) {
      query.until = utc_iso8601(now);
    } else {
      try {
        query.until = parse_since(options->until, now);
      } catch (const Error&) {
        throw Error(ErrorKind::invalid_input, "--until \"" + options->until + "\" is not a time",
                    "give a UTC date or time (2026-12-01, 2026-12-01T00:00:00Z) or an age "
                    "such as 90m, 24h or 7d");
      }
    }
    query.tenant_slug = options->tenant;
    query.by = parse_usage_grouping(options->by).value_or(UsageGrouping::tenant);
    query.rate_number_micros = rate_option(options->rate_number, "--rate-number");
    query.rate_minute_micros = rate_option(options->rate_minute, "--rate-minute");
    if (!query.tenant_slug.empty() && !context.store().find_tenant(query.tenant_slug)) {
      throw Error(ErrorKind::not_found, "tenant \"" + query.tenant_slug + "\" does not exist",
                  "see 'vami tenants list'");
    }

    const UsageReport report = usage_report(context.store(), query, now);
    const OutputFormat format = context.output_format();
    if (format == OutputFormat::json) {
      nlohmann::ordered_json json;
      json["since"] = report.since;
      json["until"] = report.until;
      json["by"] = to_string(report.by);
      json["currency"] = report.currency;
      json["rows"] = nlohmann::ordered_json::array();
      for (const UsageRow& row : report.rows) {
        json["rows"].push_back(row_json(row, report.by));
      }
      json["total"] = row_json(report.total, report.by);
      json["total"].erase(to_string(report.by));
      json["total"].erase("rates_from");
      if (report.by != UsageGrouping::tenant) {
        json["total"].erase("tenant");
      }
      json["calls_without_cost"] = report.calls_without_cost;
      json["numbers_without_price"] = report.numbers_without_price;
      std::cout << json.dump(2) << '\n';
    } else {
      // Table and CSV: the rows, then a total row, each with the period and currency in CSV.
      nlohmann::ordered_json records = nlohmann::ordered_json::array();
      for (const UsageRow& row : report.rows) {
        records.push_back(row_json(row, report.by));
      }
      nlohmann::ordered_json total = row_json(report.total, report.by);
      total[to_string(report.by)] = "TOTAL";
      total["rates_from"] = nullptr; // the total adds up rows billed either way
      records.push_back(total);
      for (auto& record : records) {
        record["currency"] = report.currency;
        record["since"] = report.since;
        record["until"] = report.until;
      }
      std::vector<Column> columns{field(upper(to_string(report.by)), to_string(report.by))};
      if (report.by != UsageGrouping::tenant) {
        columns.push_back(field("TENANT", "tenant"));
      }
      for (auto [header, key] : std::initializer_list<std::pair<const char*, const char*>>{
               {"NUMBERS", "numbers"},
               {"NUMBER COST", "number_cost"},
               {"CALLS", "calls"},
               {"MINUTES", "minutes"},
               {"TELEPHONY", "telephony_cost"},
               {"AGENT", "agent_cost"},
               {"TOTAL COST", "total_cost"}}) {
        columns.push_back(field(header, key));
      }
      if (report.total.bill_micros) {
        columns.push_back(field("BILL", "bill"));
        columns.push_back(field("MARGIN", "margin"));
      }
      write_records(std::cout, format, records, columns,
                    "usage from " + report.since + " to " + report.until + ", amounts in " +
                        report.currency);
    }
    if (report.calls_without_cost > 0) {
      context.note(std::to_string(report.calls_without_cost) +
                   " answered call(s) have no telephony or agent cost recorded yet; "
                   "'vami calls sync' fills in what the providers have priced since");
    }
    if (report.numbers_without_price > 0) {
      context.note(std::to_string(report.numbers_without_price) +
                   " number(s) have no monthly price recorded and count as costing nothing");
    }
  });
}

} // namespace vami::cli
