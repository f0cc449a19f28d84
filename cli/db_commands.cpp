// `vami db copy` and `vami db status`: a whole state copied between state databases, and what
// a state database holds. The work is the stores' (vami/stores/state_copy.hpp); this file
// parses and prints.
#include <cstdio>
#include <iostream>
#include <variant>

#include "app.hpp"

#include <vami/stores/state_copy.hpp>

namespace vami::cli {

namespace {

struct CopyOptions {
  std::string from;
  std::string to;
  bool force = false;
};

/// "50,000".
std::string with_commas(std::int64_t value) {
  std::string digits = std::to_string(value);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) {
    digits.insert(static_cast<std::size_t>(at), ",");
  }
  return digits;
}

nlohmann::ordered_json to_json(const CopyReport& report) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::array();
  std::int64_t total = 0;
  for (const TableCopy& table : report.tables) {
    tables.push_back(
        {{"table", table.table}, {"rows", table.rows}, {"replaced_rows", table.replaced_rows}});
    total += table.rows;
  }
  return {{"from", report.from},
          {"to", report.to},
          {"from_backend", report.from_backend},
          {"to_backend", report.to_backend},
          {"schema_version", report.schema_version},
          {"replaced", report.replaced},
          {"total_rows", total},
          {"holds_cleared", report.holds_cleared},
          {"operations_interrupted", report.operations_interrupted},
          {"tables", tables}};
}

nlohmann::ordered_json to_json(const DatabaseFact& fact) {
  if (const auto* text = std::get_if<std::string>(&fact)) {
    return *text;
  }
  if (const auto* number = std::get_if<std::int64_t>(&fact)) {
    return *number;
  }
  if (const auto* yes = std::get_if<bool>(&fact)) {
    return *yes;
  }
  return nullptr;
}

nlohmann::ordered_json to_json(const DatabaseStatus& status) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::array();
  for (const auto& [table, rows] : status.tables) {
    tables.push_back({{"table", table},
                      {"rows", rows ? nlohmann::ordered_json(*rows) : nlohmann::ordered_json()}});
  }
  nlohmann::ordered_json connection = nlohmann::ordered_json::object();
  for (const auto& [name, fact] : status.connection) {
    connection[name] = to_json(fact);
  }
  return {{"backend", status.backend},
          {"location", status.location},
          {"schema_version", status.schema_version},
          {"current_schema_version", status.current_schema_version},
          {"schema_current", status.schema_version == status.current_schema_version},
          {"connection", connection},
          {"tables", tables}};
}

void register_copy(CLI::App& db, AppContext& context) {
  auto options = std::make_shared<CopyOptions>();
  auto* copy = db.add_subcommand(
      "copy", "Copy a whole state (pool, tenants, agents, documents, journal, audit, calls) "
              "between SQLite and PostgreSQL, in one transaction on the target");
  copy->add_option("--from", options->from,
                   "State database to copy from: a SQLite file or a postgresql:// URI (only "
                   "read; its schema must be current)")
      ->required()
      ->type_name("PATH|URI");
  copy->add_option("--to", options->to,
                   "State database to copy into: a SQLite file (created if missing) or a "
                   "postgresql:// URI (its schema is created or upgraded first)")
      ->required()
      ->type_name("PATH|URI");
  copy->add_flag("--force", options->force,
                 "Replace the rows the target already holds (refused without it: exit 4)");
  copy->footer("Every table is copied as stored (ids, times, micros); the rows are counted in "
               "the target before the commit, and a difference rolls it all back. Holds "
               "(routing changes, running operations, uploads) belong to processes of the "
               "source: a live one refuses the copy (exit 4), finished ones are cleared.");
  copy->callback([&context, options] {
    const CopyReport report =
        copy_state(options->from, options->to,
                   options->force ? ExistingState::replace : ExistingState::refuse);
    const nlohmann::ordered_json json = to_json(report);
    if (context.output_format() == OutputFormat::json) {
      write_object(std::cout, OutputFormat::json, json);
    } else {
      write_records(
          std::cout, context.output_format(), json["tables"],
          {field("TABLE", "table"), field("ROWS", "rows"), field("REPLACED", "replaced_rows")});
    }
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", report.seconds);
    std::string note = "copied " + with_commas(json["total_rows"].get<std::int64_t>()) +
                       " rows from " + report.from + " to " + report.to + " in " + seconds +
                       " s (schema " + std::to_string(report.schema_version) + ", counts verified)";
    if (report.replaced) {
      note += "; the target's earlier rows were replaced";
    }
    if (report.operations_interrupted > 0) {
      note += "; " + std::to_string(report.operations_interrupted) +
              " operations left running by a process that is gone were copied as interrupted "
              "('vami operations resume' finishes them)";
    }
    context.note(note);
  });
}

void register_status(CLI::App& db, AppContext& context) {
  auto* status = db.add_subcommand(
      "status", "Show the state database: backend, schema version, rows per table, connection "
                "(never the password)");
  status->callback([&context] {
    const std::string location =
        context.options.db.empty() ? context.database_path().string() : context.options.db;
    const DatabaseStatus found = database_status(location);
    const nlohmann::ordered_json json = to_json(found);
    const OutputFormat format = context.output_format();
    if (format == OutputFormat::json) {
      write_object(std::cout, format, json);
      return;
    }
    if (format == OutputFormat::csv) {
      write_records(std::cout, format, json["tables"], {});
      return;
    }
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
    for (const auto& [key, value] : json.items()) {
      if (value.is_primitive()) {
        fields[key] = value;
      }
    }
    for (const auto& [key, value] : json["connection"].items()) {
      fields[key] = value;
    }
    write_object(std::cout, format, fields);
    std::cout << '\n';
    write_records(std::cout, format, json["tables"],
                  {field("TABLE", "table"), field("ROWS", "rows")});
    if (found.schema_version < found.current_schema_version) {
      context.note("the schema is older than this vami's (" +
                   std::to_string(found.current_schema_version) +
                   "); any vami command on it, such as 'vami init', upgrades it");
    }
  });
}

} // namespace

void register_db_commands(CLI::App& app, AppContext& context) {
  auto* db = app.add_subcommand("db", "Copy a state between databases, show a state database");
  db->require_subcommand(1);
  register_copy(*db, context);
  register_status(*db, context);
}

} // namespace vami::cli
