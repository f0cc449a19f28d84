// `vami numbers`: search the provider's inventory, buy into the pool, list, show, release.
#include <iostream>
#include <map>

#include "app.hpp"

#include <vami/core/money.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/workspace_numbers.hpp>

namespace vami::cli {

namespace {

struct SearchOptions {
  std::string country = "US";
  std::string type = "local";
  std::string area_code;
  std::string contains;
  std::string region;
  std::string locality;
  int limit = 30;
};

struct BuyOptions {
  int count = 0;
  std::string country = "US";
  std::string type = "local";
  std::vector<std::string> area_codes;
  std::string contains;
  std::string region;
  std::string locality;
  std::string max_monthly_cost;
  bool dry_run = false;
  int concurrency = k_default_concurrency;
};

struct ListOptions {
  std::string status;
  std::string area_code;
  std::string region;
  std::string tenant;
};

struct ShowOptions {
  std::string number;
};

struct ImportOptions {
  std::string provider;
  bool dry_run = false;
};

struct ReleaseOptions {
  std::vector<std::string> numbers;
  bool dry_run = false;
  bool unassign = false;
  int concurrency = k_default_concurrency;
};

NumberType number_type(const std::string& text) {
  auto type = parse_number_type(text);
  if (!type) {
    throw Error(ErrorKind::invalid_input, "--type '" + text + "' is not a number type",
                "use local, toll-free or mobile");
  }
  return *type;
}

void add_search_filters(CLI::App* command, std::string& country, std::string& type,
                        std::string& contains, std::string& region, std::string& locality) {
  command->add_option("--country", country, "ISO 3166-1 country code")
      ->capture_default_str()
      ->type_name("CC");
  command->add_option("--type", type, "Number type")
      ->capture_default_str()
      ->type_name("local|toll-free|mobile");
  command
      ->add_option("--contains", contains,
                   "Twilio Contains pattern: digits or letters, * one digit, % any, "
                   "+ anchors the start, $ the end")
      ->type_name("PATTERN");
  command->add_option("--region", region, "State or province code, e.g. NY")->type_name("ST");
  command->add_option("--locality", locality, "City, e.g. \"New York\"")->type_name("CITY");
}

std::string total_footer(const std::vector<PoolNumber>& numbers) {
  std::map<std::string, std::int64_t> totals;
  for (const auto& number : numbers) {
    if (number.monthly_price) {
      totals[number.monthly_price->currency] += number.monthly_price->micros;
    }
  }
  std::string footer =
      std::to_string(numbers.size()) + (numbers.size() == 1 ? " number" : " numbers");
  for (const auto& [currency, micros] : totals) {
    footer += ", " + format_decimal_micros(micros) + " " + currency + " per month";
  }
  return footer;
}

Column money_column() {
  return Column{"MONTHLY", [](const nlohmann::ordered_json& record) {
                  if (record.value("monthly_price", nlohmann::ordered_json()).is_null()) {
                    return std::string("-");
                  }
                  return record["monthly_price"].get<std::string>() + " " +
                         record["currency"].get<std::string>();
                }};
}

const std::vector<Column>& pool_columns() {
  static const std::vector<Column> columns{
      field("NUMBER", "e164"),       field("STATUS", "status"),     field("TYPE", "type"),
      field("LOCALITY", "locality"), field("REGION", "region"),     field("TENANT", "tenant"),
      field("AGENT", "agent"),       field("PROVIDER", "provider"), money_column()};
  return columns;
}

void run_search(AppContext& context, const SearchOptions& options) {
  NumberSearch search;
  search.country = upper(options.country);
  search.type = number_type(options.type);
  search.area_code = options.area_code;
  search.contains = options.contains;
  search.region = options.region;
  search.locality = options.locality;
  search.limit = options.limit;
  SearchResult result = context.pool().search(search);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& number : result.numbers) {
    rows.push_back(to_json(number, result.monthly_price));
  }
  write_records(std::cout, context.output_format(), rows,
                {field("NUMBER", "e164"), field("TYPE", "type"), field("LOCALITY", "locality"),
                 field("REGION", "region"), money_column()});
  context.note(std::to_string(result.numbers.size()) + " numbers for sale");
}

void run_buy(AppContext& context, const BuyOptions& options) {
  BuyRequest request;
  request.count = options.count;
  request.search.country = upper(options.country);
  request.search.type = number_type(options.type);
  request.search.contains = options.contains;
  request.search.region = options.region;
  request.search.locality = options.locality;
  request.area_codes = options.area_codes;
  request.concurrency = options.concurrency;
  request.max_monthly_price_micros = max_monthly_cost_micros(options.max_monthly_cost);
  request.journal_parameters = buy_parameters(request);

  PoolService pool = context.pool();
  // Ctrl-C while searching stops the searches and says that nothing was bought (exit 130).
  AppContext::catch_interrupts();
  PurchasePlan plan = pool.plan_purchase(request, [] { return AppContext::interrupted(); });
  if (AppContext::interrupted()) {
    throw Error(ErrorKind::interrupted, "interrupted after the search; nothing was bought");
  }
  std::optional<Money> total;
  if (plan.monthly_price) {
    total = Money{plan.monthly_price->micros * request.count, plan.monthly_price->currency};
  }
  std::string what = "buy " + std::to_string(request.count) + " " + to_string(request.search.type) +
                     " numbers in " + request.search.country;

  if (options.dry_run) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& number : plan.numbers) {
      rows.push_back(to_json(number, plan.monthly_price));
    }
    if (context.output_format() == OutputFormat::json) {
      nlohmann::ordered_json json;
      json["dry_run"] = true;
      json["count"] = request.count;
      json["monthly_total"] = total ? nlohmann::ordered_json(format_decimal_micros(total->micros))
                                    : nlohmann::ordered_json();
      json["monthly_total_micros"] =
          total ? nlohmann::ordered_json(total->micros) : nlohmann::ordered_json();
      json["currency"] = total ? nlohmann::ordered_json(total->currency) : nlohmann::ordered_json();
      json["numbers"] = rows;
      std::cout << json.dump(2) << '\n';
    } else {
      write_records(std::cout, context.output_format(), rows,
                    {field("NUMBER", "e164"), field("TYPE", "type"), field("LOCALITY", "locality"),
                     field("REGION", "region"), money_column()});
    }
    context.note("dry run: would " + what + " for " + format_money(total) +
                 " per month; nothing was bought");
    return;
  }

  if (!context.confirm(what + " for " + format_money(total) + " per month?", what)) {
    throw Error(ErrorKind::invalid_input, "not confirmed; nothing was bought");
  }
  run_bulk_command(context, {"buying", "buy", "bought"},
                   [&](const StopRequested& stop, const ItemObserver& observer) {
                     return pool.buy(request, plan, stop, observer);
                   });
}

void run_list(AppContext& context, const ListOptions& options) {
  NumberFilter filter;
  if (!options.status.empty()) {
    filter.status = parse_number_status(options.status);
  }
  filter.area_code = options.area_code;
  filter.region = upper(options.region);
  filter.tenant_slug = options.tenant;
  auto numbers = list_pool(context.store(), filter);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& number : numbers) {
    rows.push_back(to_json(number));
  }
  write_records(std::cout, context.output_format(), rows, pool_columns(), total_footer(numbers));
}

void run_import(AppContext& context, const ImportOptions& options) {
  VoiceAgentProvider& provider = context.agent_providers().named(options.provider);
  const WorkspaceImportReport report =
      import_workspace_numbers(provider, context.store(), context.actor(),
                               options.dry_run ? ImportMode::dry_run : ImportMode::apply);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const WorkspaceImportItem& item : report.items) {
    nlohmann::ordered_json row;
    row["e164"] = item.number.e164;
    row["result"] = to_string(item.outcome);
    row["provider"] = report.provider;
    row["provider_id"] = item.number.provider_id;
    row["workspace_agent_id"] = text_or_null(item.number.agent_id);
    row["number"] = item.row ? to_json(*item.row) : nlohmann::ordered_json();
    rows.push_back(std::move(row));
  }
  if (context.output_format() == OutputFormat::table) {
    nlohmann::ordered_json table = nlohmann::ordered_json::array();
    for (const auto& row : rows) {
      nlohmann::ordered_json line;
      line["e164"] = row["e164"];
      line["result"] = row["result"];
      line["status"] = row["number"].is_null() ? nlohmann::ordered_json() : row["number"]["status"];
      line["provider_id"] = row["provider_id"];
      line["workspace_agent_id"] = row["workspace_agent_id"];
      table.push_back(std::move(line));
    }
    write_records(std::cout, OutputFormat::table, table,
                  {field("NUMBER", "e164"), field("RESULT", "result"), field("STATUS", "status"),
                   field("PROVIDER ID", "provider_id"),
                   field("WORKSPACE AGENT", "workspace_agent_id")});
  } else {
    write_records(std::cout, context.output_format(), rows, {});
  }
  const std::string count =
      std::to_string(report.imported) + (report.imported == 1 ? " number" : " numbers");
  if (report.dry_run) {
    context.note("dry run: would import " + count + " of the " + report.provider +
                 " workspace into the pool; nothing was changed");
  } else {
    context.note("imported " + count + " of the " + report.provider + " workspace (" +
                 std::to_string(report.items.size() - static_cast<std::size_t>(report.imported)) +
                 " in the pool already)");
  }
}

void run_release(AppContext& context, const ReleaseOptions& options) {
  validate_concurrency(options.concurrency); // before the prompt, not after it
  PoolService pool = context.pool();
  ReleasePlan plan = pool.plan_release(
      options.numbers, options.unassign ? AssignedNumbers::allowed : AssignedNumbers::refused);
  std::vector<std::string> assigned;
  for (const PoolNumber& number : plan.numbers) {
    if (number.status == NumberStatus::assigned) {
      assigned.push_back(number.e164);
    }
  }
  std::string what = "release " + std::to_string(plan.numbers.size()) +
                     (plan.numbers.size() == 1 ? " number" : " numbers");
  if (!assigned.empty()) {
    what = "unassign " + std::to_string(assigned.size()) + " and " + what;
  }
  if (options.dry_run) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& number : plan.numbers) {
      rows.push_back(to_json(number));
    }
    write_records(std::cout, context.output_format(), rows, pool_columns());
    context.note("dry run: would " + what + ", saving " + format_money(plan.monthly_saving) +
                 " per month; nothing was released");
    return;
  }
  if (!context.confirm(what + " to the provider (saving " + format_money(plan.monthly_saving) +
                           " per month)? This cannot be undone.",
                       what)) {
    throw Error(ErrorKind::invalid_input, "not confirmed; nothing was released");
  }
  if (!assigned.empty()) {
    AssignmentService assignments = context.assignments();
    for (const std::string& e164 : assigned) {
      assignments.unassign(e164);
      context.note("unassigned " + e164);
    }
    plan = pool.plan_release(options.numbers);
  }
  vami::ReleaseOptions release_options;
  release_options.concurrency = options.concurrency;
  run_bulk_command(context, {"releasing", "release", "released"},
                   [&](const StopRequested& stop, const ItemObserver& observer) {
                     return pool.release(plan, stop, observer, release_options);
                   });
}

} // namespace

ItemObserver bulk_observer(AppContext& context, ProgressLine& progress,
                           const std::string& item_verb) {
  return [&context, &progress, item_verb, failed = 0](const ItemResult& item, int settled,
                                                      int total) mutable {
    if (item.status == ItemStatus::failed || item.status == ItemStatus::uncertain) {
      ++failed;
    }
    // A line on stderr that cannot be written (a closed pipe, a full disk) never stops the
    // work: the bulk runner halts on anything its observer throws.
    try {
      if (context.options.verbosity > 0) {
        progress.finish();
        context.note(item_verb + " " + item.e164 + ": " + to_string(item.status) +
                     (item.message.empty() ? "" : " (" + item.message + ")"));
      }
      progress.update(settled, total, failed);
    } catch (const std::exception&) {
      std::cerr.clear(std::ios::badbit); // stop trying: the reader is gone
    }
  };
}

void write_report(AppContext& context, const BulkReport& report,
                  const nlohmann::ordered_json& extra) {
  if (context.output_format() == OutputFormat::json) {
    write_report_json(std::cout, report, extra);
    return;
  }
  // Table and CSV rows hold only what they show: a thousand items' full JSON took megabytes.
  const bool table = context.output_format() == OutputFormat::table;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  bool any_agent = false;
  for (const auto& item : report.items) {
    nlohmann::ordered_json row;
    row["e164"] = item.e164;
    row["result"] = to_string(item.status);
    if (table) {
      if (item.number) {
        row["locality"] = text_or_null(item.number->locality);
        row["region"] = text_or_null(item.number->region);
        row["agent"] = text_or_null(item.number->agent_slug);
        row["monthly"] = format_money(item.number->monthly_price);
        any_agent = any_agent || !item.number->agent_slug.empty();
      }
    } else {
      row["error_kind"] = text_or_null(item.error_kind);
      row["error_code"] = text_or_null(item.error_code);
    }
    row["message"] = text_or_null(item.message);
    rows.push_back(std::move(row));
  }
  if (!table) {
    write_records(std::cout, OutputFormat::csv, rows, {});
    return;
  }
  // The agent column only where a number has one (assign), not for buy or release.
  std::vector<Column> columns{field("NUMBER", "e164"), field("RESULT", "result"),
                              field("LOCALITY", "locality"), field("REGION", "region")};
  if (any_agent) {
    columns.push_back(field("AGENT", "agent"));
  }
  columns.push_back(field("MONTHLY", "monthly"));
  columns.push_back(field("MESSAGE", "message"));
  write_records(std::cout, OutputFormat::table, rows, columns);
}

void print_report(AppContext& context, const BulkReport& report, const std::string& done_verb,
                  const nlohmann::ordered_json& extra) {
  write_report(context, report, extra);
  if (report.operation_id.empty() && report.requested == 0) {
    context.note("nothing to do: no number was " + done_verb + " (nothing journaled)");
    return;
  }
  std::string summary = done_verb + " " + std::to_string(report.succeeded) + " of " +
                        std::to_string(report.requested) + " numbers (operation " +
                        report.operation_id + ")";
  if (report.failed > 0) {
    summary += ", " + std::to_string(report.failed) + " failed";
  }
  if (report.uncertain > 0) {
    summary += ", " + std::to_string(report.uncertain) +
               " uncertain: run 'vami reconcile' before retrying";
  }
  if (report.interrupted) {
    summary += "; interrupted before the rest were started: finish with 'vami operations "
               "resume " +
               report.operation_id + "'";
  }
  context.note(summary);
}

void run_bulk_command(
    AppContext& context, const BulkWords& words,
    const std::function<BulkReport(const StopRequested&, const ItemObserver&)>& run,
    const nlohmann::ordered_json& extra) {
  AppContext::catch_interrupts();
  ProgressLine progress(context.show_progress(), words.progress);
  BulkReport report;
  try {
    report =
        run([] { return AppContext::interrupted(); }, bulk_observer(context, progress, words.item));
  } catch (...) {
    progress.finish(); // the error message starts on a clean line
    throw;
  }
  progress.finish();
  print_report(context, report, words.done, extra);
  if (report.state_failure) {
    throw *report.state_failure; // what failed, and reconcile then resume (exit 8)
  }
  if (auto code = exit_code_for(report); code != ExitCode::ok) {
    throw BulkExit{code};
  }
}

void register_numbers_commands(CLI::App& app, AppContext& context) {
  auto* numbers = app.add_subcommand(
      "numbers", "The phone-number pool: search, buy, list, assign to agents, release");
  numbers->require_subcommand(1);

  auto search = std::make_shared<SearchOptions>();
  auto* search_command =
      numbers->add_subcommand("search", "Search the provider's numbers for sale (buys nothing)");
  add_search_filters(search_command, search->country, search->type, search->contains,
                     search->region, search->locality);
  context.country_from_profile(search_command, search->country);
  search_command->add_option("--area-code", search->area_code, "Area code (US and CA)")
      ->type_name("NNN");
  search_command->add_option("--limit", search->limit, "At most this many numbers (1-30)")
      ->capture_default_str();
  search_command->callback([&context, search] { run_search(context, *search); });

  auto buy = std::make_shared<BuyOptions>();
  auto* buy_command = numbers->add_subcommand(
      "buy", "Buy numbers into the pool: finds them all first, then buys each exact number");
  buy_command->add_option("--count", buy->count, "How many numbers to buy (1-1000)")
      ->required()
      ->type_name("N");
  add_search_filters(buy_command, buy->country, buy->type, buy->contains, buy->region,
                     buy->locality);
  context.country_from_profile(buy_command, buy->country);
  buy_command->add_option("--area-code", buy->area_codes, "Area codes to try, in order")
      ->delimiter(',')
      ->type_name("NNN[,NNN...]");
  buy_command
      ->add_option("--max-monthly-cost", buy->max_monthly_cost,
                   "Refuse numbers costing more per month (in the price list's currency)")
      ->type_name("AMOUNT");
  buy_command->add_flag("--dry-run", buy->dry_run, "Show the numbers and cost; buy nothing");
  buy_command->add_option("--concurrency", buy->concurrency, "Purchases in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(buy_command, buy->concurrency);
  context.stops_after_step(buy_command); // changes providers: see cli/signals.hpp
  buy_command->callback([&context, buy] { run_buy(context, *buy); });

  auto list = std::make_shared<ListOptions>();
  auto* list_command = numbers->add_subcommand("list", "List the pool from the state database");
  list_command->add_option("--status", list->status, "Only numbers in this status")
      ->check(CLI::IsMember(
          {"purchasing", "available", "assigned", "suspended", "releasing", "released"}));
  list_command->add_option("--area-code", list->area_code, "Only this area code")->type_name("NNN");
  list_command->add_option("--region", list->region, "Only this state or province")
      ->type_name("ST");
  list_command->add_option("--tenant", list->tenant, "Only numbers of this tenant")
      ->type_name("SLUG");
  list_command->callback([&context, list] { run_list(context, *list); });

  auto show = std::make_shared<ShowOptions>();
  auto* show_command = numbers->add_subcommand("show", "Show one pool number");
  show_command->add_option("number", show->number, "Phone number, E.164")->required();
  show_command->callback([&context, show] {
    write_object(std::cout, context.output_format(),
                 to_json(find_pool_number(context.store(), show->number)));
  });

  auto import = std::make_shared<ImportOptions>();
  auto* import_command = numbers->add_subcommand(
      "import", "Bring the numbers a voice-agent provider's workspace holds into the pool "
                "(Synthflow: the numbers bought in its dashboard), as available numbers that "
                "only that provider's agents answer");
  import_command
      ->add_option("--provider", import->provider,
                   "The voice-agent provider whose workspace holds the numbers (synthflow)")
      ->required()
      ->type_name("NAME");
  import_command->add_flag("--dry-run", import->dry_run,
                           "Show the numbers that would come into the pool; change nothing");
  import_command->callback([&context, import] { run_import(context, *import); });

  auto release = std::make_shared<ReleaseOptions>();
  auto* release_command = numbers->add_subcommand(
      "release", "Give numbers back to the provider (billing stops; irreversible)");
  release_command->add_option("numbers", release->numbers, "Phone numbers, E.164")->required();
  release_command->add_flag("--dry-run", release->dry_run, "Show what would be released");
  release_command->add_flag("--unassign", release->unassign,
                            "Unassign numbers from their agents first (else they are refused)");
  release_command
      ->add_option("--concurrency", release->concurrency, "Releases in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(release_command, release->concurrency);
  context.stops_after_step(release_command); // changes providers: see cli/signals.hpp
  release_command->callback([&context, release] { run_release(context, *release); });

  register_assignment_commands(app, *numbers, context);
  register_number_suspension_commands(*numbers, context);
}

} // namespace vami::cli
