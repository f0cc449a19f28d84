// `vami reconcile`: compare the state database with the provider account and repair the pool.
#include <iostream>

#include "app.hpp"

#include <vami/core/reconcile_service.hpp>

namespace vami::cli {

namespace {

struct ReconcileOptions {
  bool apply = false;
};

constexpr const char* k_exit_rule =
    "Exit codes: 0 when nothing is left to do (every number in sync, or every finding repaired\n"
    "by --apply); 4 when drift remains: any finding without --apply, or one that --apply\n"
    "leaves (an untagged orphan, a row still in flight, a row changed meanwhile); 5 or 6 when\n"
    "the provider's listing failed (nothing was changed); 1 for a database failure;\n"
    "130 when interrupted.";

nlohmann::ordered_json to_json(const Finding& finding) {
  nlohmann::ordered_json json;
  json["kind"] = to_string(finding.kind);
  json["e164"] = finding.e164;
  json["provider_sid"] = text_or_null(finding.provider_sid);
  json["detail"] = text_or_null(finding.detail);
  json["action"] = text_or_null(finding.action);
  json["resolution"] = to_string(finding.resolution);
  return json;
}

// In-sync numbers are counted, not listed: a healthy pool of thousands prints one line.
nlohmann::ordered_json findings_json(const ReconcileReport& report) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const auto& finding : report.findings) {
    if (finding.kind != FindingKind::in_sync) {
      findings.push_back(to_json(finding));
    }
  }
  return findings;
}

nlohmann::ordered_json to_json(const ReconcileReport& report) {
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  for (const auto& [kind, count] : report.counts) {
    counts[to_string(kind)] = count;
  }
  nlohmann::ordered_json json;
  json["applied"] = report.applied;
  json["operation_id"] = text_or_null(report.operation_id);
  json["in_sync"] = report.counts.at(FindingKind::in_sync);
  json["settled"] = report.settled();
  json["interrupted"] = report.interrupted;
  json["findings"] = findings_json(report);
  json["counts"] = std::move(counts);
  return json;
}

std::string summary(const ReconcileReport& report) {
  const int in_sync = report.counts.at(FindingKind::in_sync);
  std::string text = std::to_string(in_sync) + (in_sync == 1 ? " number" : " numbers") + " in sync";
  std::string kinds;
  int would_repair = 0;
  int repaired = 0;
  int unresolved = 0;
  for (const auto& [kind, count] : report.counts) {
    if (kind != FindingKind::in_sync && count > 0) {
      kinds += (kinds.empty() ? "" : ", ") + std::to_string(count) + " " + to_string(kind);
    }
  }
  for (const auto& finding : report.findings) {
    would_repair += finding.resolution == Resolution::would_repair ? 1 : 0;
    repaired += finding.resolution == Resolution::repaired ? 1 : 0;
    unresolved += finding.resolution == Resolution::unresolved ? 1 : 0;
  }
  if (kinds.empty()) {
    return text + "; nothing to do";
  }
  text += "; " + kinds;
  if (report.applied) {
    text += "; repaired " + std::to_string(repaired) + " (operation " + report.operation_id + ")";
  } else if (would_repair > 0) {
    text += "; 'vami reconcile --apply' would repair " + std::to_string(would_repair);
  }
  if (unresolved > 0) {
    text += "; " + std::to_string(unresolved) + " left as they are (see ACTION)";
  }
  return text;
}

void run_reconcile(AppContext& context, const ReconcileOptions& options) {
  if (options.apply) {
    AppContext::catch_interrupts();
  }
  ReconcileService service(context.providers().telephony(), context.store(), context.actor());
  ReconcileReport report =
      service.reconcile(options.apply ? ReconcileMode::apply : ReconcileMode::report,
                        [] { return AppContext::interrupted(); });
  switch (context.output_format()) {
  case OutputFormat::json:
    std::cout << to_json(report).dump(2) << '\n';
    break;
  case OutputFormat::csv:
  case OutputFormat::table:
    write_records(std::cout, context.output_format(), findings_json(report),
                  {field("KIND", "kind"), field("NUMBER", "e164"), field("DETAIL", "detail"),
                   field("ACTION", "action")});
    break;
  }
  context.note(summary(report));
  if (report.interrupted) {
    throw BulkExit{ExitCode::interrupted};
  }
  if (!report.settled()) {
    throw BulkExit{ExitCode::conflict};
  }
}

} // namespace

void register_reconcile_command(CLI::App& app, AppContext& context) {
  auto options = std::make_shared<ReconcileOptions>();
  auto* command = app.add_subcommand(
      "reconcile", "Compare the state database with every number the provider account owns; "
                   "--apply repairs the database (it never buys or releases at the provider)");
  command->add_flag("--apply", options->apply,
                    "Repair the state database: adopt vami-tagged orphans, mark ghosts released, "
                    "finish purchases and releases left in flight, store the provider's webhook");
  command->footer(k_exit_rule);
  command->callback([&context, options] { run_reconcile(context, *options); });
}

} // namespace vami::cli
