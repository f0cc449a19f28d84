// `vami operations`: the journal of bulk commands; list it, show one operation item by item,
// and resume one that was interrupted.
#include <iostream>

#include "app.hpp"
#include <unistd.h>

namespace vami::cli {

namespace {

struct ListOptions {
  int limit = 20;
  std::string kind;
  std::string status;
};

struct ResumeCommandOptions {
  std::string id;
  int concurrency = k_default_concurrency;
};

constexpr OperationKind k_kinds[] = {OperationKind::buy,       OperationKind::release,
                                     OperationKind::webhook,   OperationKind::assign,
                                     OperationKind::unassign,  OperationKind::reassign,
                                     OperationKind::reconcile, OperationKind::onboard,
                                     OperationKind::suspend,   OperationKind::resume};
constexpr OperationStatus k_statuses[] = {OperationStatus::running, OperationStatus::completed,
                                          OperationStatus::partial, OperationStatus::failed,
                                          OperationStatus::interrupted};

template <typename Enum, std::size_t N>
std::vector<std::string> names(const Enum (&values)[N]) {
  std::vector<std::string> result;
  for (Enum value : values) {
    result.emplace_back(to_string(value));
  }
  return result;
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse(const Enum (&values)[N], const std::string& text) {
  for (Enum value : values) {
    if (text == to_string(value)) {
      return value;
    }
  }
  return std::nullopt;
}

nlohmann::ordered_json to_json(const OperationSummary& summary) {
  const Operation& operation = summary.operation;
  nlohmann::ordered_json json;
  json["id"] = operation.id;
  json["kind"] = to_string(operation.kind);
  json["status"] = to_string(operation.status);
  json["requested"] = operation.requested_count;
  json["succeeded"] = summary.succeeded;
  json["failed"] = summary.failed;
  json["uncertain"] = summary.uncertain;
  json["pending"] = summary.pending;
  json["actor"] = text_or_null(operation.actor);
  json["created_at"] = text_or_null(operation.created_at);
  json["finished_at"] = operation.status == OperationStatus::running
                            ? nlohmann::ordered_json()
                            : text_or_null(operation.finished_at);
  return json;
}

nlohmann::ordered_json to_json(const OperationItem& item) {
  nlohmann::ordered_json json;
  json["e164"] = item.e164;
  json["outcome"] = to_string(item.outcome);
  json["error_code"] = text_or_null(item.error_code);
  json["message"] = text_or_null(item.error_message);
  return json;
}

const std::vector<Column>& operation_columns() {
  static const std::vector<Column> columns{field("ID", "id"),
                                           field("KIND", "kind"),
                                           field("STATUS", "status"),
                                           field("REQUESTED", "requested"),
                                           field("SUCCEEDED", "succeeded"),
                                           field("FAILED", "failed"),
                                           field("UNCERTAIN", "uncertain"),
                                           field("CREATED", "created_at"),
                                           field("ACTOR", "actor")};
  return columns;
}

void run_list(AppContext& context, const ListOptions& options) {
  OperationFilter filter;
  filter.limit = options.limit;
  if (!options.kind.empty()) {
    filter.kind = parse(k_kinds, options.kind);
  }
  if (!options.status.empty()) {
    filter.status = parse(k_statuses, options.status);
  }
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& summary : list_journal(context.store(), filter)) {
    rows.push_back(to_json(summary));
  }
  write_records(std::cout, context.output_format(), rows, operation_columns());
  if (rows.empty()) {
    context.note("no operation in the journal matches");
  }
}

void run_show(AppContext& context, const std::string& id) {
  OperationDetail detail = show_operation(context.store(), id);
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  for (const auto& item : detail.items) {
    items.push_back(to_json(item));
  }
  nlohmann::ordered_json not_started = nlohmann::ordered_json::array();
  for (const auto& e164 : detail.not_started) {
    not_started.push_back(e164);
  }
  nlohmann::ordered_json json = to_json(detail.summary);
  nlohmann::ordered_json parameters =
      nlohmann::ordered_json::parse(detail.summary.operation.parameters, nullptr, false);
  json["parameters"] = parameters.is_discarded()
                           ? nlohmann::ordered_json(detail.summary.operation.parameters)
                           : parameters;

  switch (context.output_format()) {
  case OutputFormat::json:
    json["items"] = items;
    json["not_started"] = not_started;
    std::cout << json.dump(2) << '\n';
    return;
  case OutputFormat::csv: {
    // One row per number: the journaled items, then those never started.
    for (const auto& e164 : detail.not_started) {
      items.push_back({{"e164", e164},
                       {"outcome", "not_started"},
                       {"error_code", nullptr},
                       {"message", nullptr}});
    }
    write_records(std::cout, OutputFormat::csv, items, {});
    return;
  }
  case OutputFormat::table:
    break;
  }
  json["parameters"] = json["parameters"].dump();
  write_object(std::cout, OutputFormat::table, json);
  for (const auto& e164 : detail.not_started) {
    items.push_back({{"e164", e164}, {"outcome", "not_started"}});
  }
  if (!items.empty()) {
    std::cout << '\n';
    write_records(std::cout, OutputFormat::table, items,
                  {field("NUMBER", "e164"), field("OUTCOME", "outcome"),
                   field("CODE", "error_code"), field("MESSAGE", "message")});
  }
}

// What a resumed operation does, in the words of its command.
BulkWords words_of(OperationKind kind) {
  switch (kind) {
  case OperationKind::buy:
    return {"buying", "buy", "bought"};
  case OperationKind::release:
    return {"releasing", "release", "released"};
  case OperationKind::assign:
    return {"assigning", "assign", "assigned"};
  case OperationKind::unassign:
    return {"unassigning", "unassign", "unassigned"};
  case OperationKind::suspend:
    return {"suspending", "suspend", "suspended"};
  case OperationKind::resume:
    return {"resuming", "resume", "resumed"};
  default:
    return {"resuming", "resume", "done"};
  }
}

void run_resume(AppContext& context, const ResumeCommandOptions& options) {
  validate_concurrency(options.concurrency);
  const Operation operation = journal_operation(context.store(), options.id);
  const std::string kind = to_string(operation.kind);
  const bool pool_kind =
      operation.kind == OperationKind::buy || operation.kind == OperationKind::release;
  const bool assignment_kind =
      operation.kind == OperationKind::assign || operation.kind == OperationKind::unassign;
  const bool suspension_kind =
      operation.kind == OperationKind::suspend || operation.kind == OperationKind::resume;
  if (!pool_kind && !assignment_kind && !suspension_kind) {
    throw Error(ErrorKind::invalid_input,
                "operation " + operation.id + " is a " + kind + ", which cannot be resumed",
                "only buy, release, assign, unassign, suspend and resume operations can be "
                "resumed");
  }

  // In a script, refuse a resume that spends money or gives numbers up before anything is
  // looked up or settled, as `numbers buy` and `numbers release` refuse before they begin.
  const bool destructive =
      operation.kind == OperationKind::buy || operation.kind == OperationKind::release;
  if (destructive && operation.status != OperationStatus::completed && !context.options.yes &&
      isatty(STDIN_FILENO) == 0) {
    throw Error(ErrorKind::invalid_input,
                "refusing to resume " + kind + " operation " + operation.id +
                    " without --yes: standard input is not a terminal",
                "add --yes to confirm; 'vami operations show " + operation.id +
                    "' shows what it did so far");
  }

  // A release that deletes a tenant finishes the deletion: its numbers, then its agents and
  // the tenant itself (unless the tenant is gone already).
  const std::string tenant = deleted_tenant(operation);
  if (!tenant.empty() && operation.status != OperationStatus::completed &&
      context.store().find_tenant(tenant)) {
    std::string what = "release the numbers of operation " + operation.id +
                       " that are left and delete tenant " + tenant;
    if (!context.confirm(what + "? This cannot be undone.", what)) {
      throw Error(ErrorKind::invalid_input, "not confirmed; nothing was released or deleted");
    }
    write_tenant_removal(context, tenant,
                         context.tenants().remove(tenant, NumberDisposition::release));
    return;
  }

  ResumeOptions resume_options;
  resume_options.concurrency = options.concurrency;
  // Both services are built now (not in the callback) so that they outlive the run.
  std::optional<PoolService> pool;
  std::optional<AssignmentService> assignments;
  std::optional<SuspensionService> suspensions;
  ResumePlan plan;
  if (pool_kind) {
    pool.emplace(context.pool());
    plan = pool->plan_resume(operation.id, resume_options);
  } else if (suspension_kind) {
    suspensions.emplace(context.suspensions());
    plan = suspensions->plan_resume(operation.id, resume_options);
  } else {
    assignments.emplace(context.assignments());
    plan = assignments->plan_resume(operation.id, resume_options);
  }

  const std::string unit = operation.kind == OperationKind::buy ? " numbers bought" : " done";
  nlohmann::ordered_json extra{{"kind", kind},
                               {"done_before", plan.done_before},
                               {"settled", plan.settled},
                               {"already_complete", false}};
  if (operation.status == OperationStatus::completed) {
    extra["already_complete"] = true;
    BulkReport nothing;
    nothing.operation_id = operation.id;
    write_report(context, nothing, extra);
    context.note("operation " + operation.id + " (" + kind +
                 ") is already completed: " + std::to_string(plan.done_before) + " of " +
                 std::to_string(operation.requested_count) + unit + "; nothing to do");
    return;
  }
  std::string progress = "operation " + operation.id + " (" + kind + ", " +
                         to_string(operation.status) + "): " + std::to_string(plan.done_before) +
                         " of " + std::to_string(operation.requested_count) + unit;
  if (plan.settled > 0) {
    progress += ", " + std::to_string(plan.settled) +
                " whose outcome was unknown settled by looking at the provider";
  }
  if (plan.remaining() == 0) {
    BulkReport nothing = pool          ? pool->resume(plan, {}, {})
                         : suspensions ? suspensions->resume_operation(plan, {}, {})
                                       : assignments->resume(plan, {}, {});
    write_report(context, nothing, extra);
    context.note(progress + "; nothing was left to do: it is now completed");
    return;
  }
  context.note(progress + "; " + std::to_string(plan.remaining()) + " left");

  // Resuming spends money (buy) or gives numbers up (release): confirm as those commands do.
  if (operation.kind == OperationKind::buy) {
    std::optional<Money> total;
    if (plan.purchase.monthly_price) {
      total = Money{plan.purchase.monthly_price->micros * plan.remaining(),
                    plan.purchase.monthly_price->currency};
    }
    std::string what =
        "buy " + std::to_string(plan.remaining()) + " more numbers for operation " + operation.id;
    if (!context.confirm(what + " for " + format_money(total) + " per month?", what)) {
      throw Error(ErrorKind::invalid_input, "not confirmed; nothing was bought");
    }
  } else if (operation.kind == OperationKind::release) {
    std::string what = "release " + std::to_string(plan.remaining()) +
                       " more numbers for operation " + operation.id;
    if (!context.confirm(what + " to the provider? This cannot be undone.", what)) {
      throw Error(ErrorKind::invalid_input, "not confirmed; nothing was released");
    }
  }
  run_bulk_command(
      context, words_of(operation.kind),
      [&](const StopRequested& stop, const ItemObserver& observer) {
        return pool          ? pool->resume(plan, stop, observer)
               : suspensions ? suspensions->resume_operation(plan, stop, observer)
                             : assignments->resume(plan, stop, observer);
      },
      extra);
}

} // namespace

void register_operations_commands(CLI::App& app, AppContext& context) {
  auto* operations = app.add_subcommand(
      "operations", "The journal of bulk commands: list, show item by item, resume");
  operations->require_subcommand(1);

  auto list = std::make_shared<ListOptions>();
  auto* list_command =
      operations->add_subcommand("list", "List journaled operations, newest first");
  list_command->add_option("--limit", list->limit, "At most this many operations (0: all)")
      ->capture_default_str()
      ->type_name("N");
  list_command->add_option("--kind", list->kind, "Only operations of this kind")
      ->check(CLI::IsMember(names(k_kinds)));
  list_command->add_option("--status", list->status, "Only operations in this status")
      ->check(CLI::IsMember(names(k_statuses)));
  list_command->callback([&context, list] { run_list(context, *list); });

  auto show_id = std::make_shared<std::string>();
  auto* show_command =
      operations->add_subcommand("show", "Show one operation and the outcome of every item");
  show_command->add_option("id", *show_id, "Operation id (op-...)")->required();
  show_command->callback([&context, show_id] { run_show(context, *show_id); });

  auto resume = std::make_shared<ResumeCommandOptions>();
  auto* resume_command = operations->add_subcommand(
      "resume", "Finish an interrupted buy, release, assign, unassign, suspend or resume in the "
                "same operation");
  resume_command->footer(
      "Numbers whose outcome is unknown are first looked up at the provider, so a buy never\n"
      "buys a number twice and stops at its original count. Run it once the command that\n"
      "started the operation has stopped (or died). A completed operation is left as it is.");
  resume_command->add_option("id", resume->id, "Operation id (op-...)")->required();
  resume_command->add_option("--concurrency", resume->concurrency, "Items in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(resume_command, resume->concurrency);
  context.stops_after_step(resume_command); // changes providers: see cli/signals.hpp
  resume_command->callback([&context, resume] { run_resume(context, *resume); });
}

} // namespace vami::cli
