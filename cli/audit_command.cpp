// `vami audit`: who changed what, and when.
#include <iostream>

#include "app.hpp"

#include <vami/core/clock.hpp>

namespace vami::cli {

namespace {

struct AuditOptions {
  std::string tenant;
  std::string since;
  int limit = 0;
};

nlohmann::ordered_json parsed_or_null(const std::string& text) {
  if (text.empty()) {
    return nullptr;
  }
  return nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
}

} // namespace

void register_audit_command(CLI::App& app, AppContext& context) {
  auto options = std::make_shared<AuditOptions>();
  auto* command = app.add_subcommand("audit", "List the audit trail: every change, who made it");
  command->add_option("--tenant", options->tenant, "Only changes about this tenant")
      ->type_name("SLUG");
  command
      ->add_option("--since", options->since,
                   "Only changes at or after this UTC time (2026-11-22, "
                   "2026-11-22T10:00:00Z) or within this age (90m, 24h, 7d)")
      ->type_name("TIME");
  command->add_option("--limit", options->limit, "Only the newest N entries (0: all)")
      ->check(CLI::NonNegativeNumber);
  command->callback([&context, options] {
    AuditFilter filter;
    filter.since = parse_since(options->since, unix_now());
    filter.tenant_slug = options->tenant;
    filter.limit = options->limit;
    if (!filter.tenant_slug.empty() && !context.store().find_tenant(filter.tenant_slug)) {
      // A deleted tenant still has its trail: only refuse slugs the trail has never seen.
      bool known = !context.store().list_audit(filter).empty();
      if (!known) {
        throw Error(ErrorKind::not_found,
                    "tenant \"" + filter.tenant_slug + "\" has no audit entries",
                    "see 'vami tenants list'");
      }
    }
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const AuditEntry& entry : context.store().list_audit(filter)) {
      records.push_back({{"at", entry.at},
                         {"actor", entry.actor},
                         {"command", entry.command},
                         {"entity_type", entry.entity_type},
                         {"entity_id", entry.entity_id},
                         {"tenant", text_or_null(entry.tenant_slug)},
                         {"before", parsed_or_null(entry.before_json)},
                         {"after", parsed_or_null(entry.after_json)}});
    }
    write_records(std::cout, context.output_format(), records,
                  {field("AT", "at"), field("ACTOR", "actor"), field("COMMAND", "command"),
                   field("ENTITY", "entity_type"), field("ID", "entity_id"),
                   field("TENANT", "tenant")});
  });
}

} // namespace vami::cli
