// `vami db copy`: a whole state from one state database to another (state_copy.hpp). Generic
// over the stores: it reads and writes rows as typed values through `TableAccess`, table by
// table in the order of `stored_tables()`, so a table added to the schemas and to that list is
// copied without a line here.

#include <chrono>
#include <set>
#include <string>
#include <utility>

#include <store_tables.hpp>
#include <table_access.hpp>

#include <vami/core/error.hpp>
#include <vami/stores/postgres_state_store.hpp>
#include <vami/stores/state_copy.hpp>
#include <vami/stores/state_store_factory.hpp>

namespace vami {

namespace {

using store_tables::AccessMode;
using store_tables::ColumnRole;
using store_tables::Row;
using store_tables::StoredTable;
using store_tables::TableAccess;
using store_tables::Value;

/// Whole-table access to the database `location` names.
std::unique_ptr<TableAccess> open_tables(const std::string& location, AccessMode mode) {
  return is_postgres_uri(location) ? store_tables::open_postgres_tables(location, mode)
                                   : store_tables::open_sqlite_tables(location, mode);
}

/// "2 tenants, 12 numbers": the tables of `counts` that hold rows.
std::string describe_rows(const std::vector<TableCopy>& counts) {
  std::string text;
  for (const TableCopy& table : counts) {
    if (table.replaced_rows > 0) {
      text += (text.empty() ? "" : ", ") + std::to_string(table.replaced_rows) + " " + table.table;
    }
  }
  return text;
}

/// "a; b; c".
std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) {
    text += (text.empty() ? "" : "; ") + part;
  }
  return text;
}

/// Checks that `db` holds exactly the tables and columns of `stored_tables()`, so that no
/// column is left behind by a copy (a schema changed without the list).
/// @throws Error(storage) naming the first difference.
void check_tables(TableAccess& db) {
  std::set<std::string> known;
  for (const StoredTable& table : store_tables::stored_tables()) {
    known.insert(table.name);
    std::vector<std::string> expected;
    for (const auto& column : table.columns) {
      expected.push_back(column.name);
    }
    std::vector<std::string> found;
    for (const std::string& column : db.column_names(table.name)) {
      bool generated = false;
      for (const std::string& name : table.postgres_generated) {
        generated = generated || (db.backend() == "postgresql" && name == column);
      }
      if (!generated) {
        found.push_back(column);
      }
    }
    if (std::set<std::string>(found.begin(), found.end()) !=
        std::set<std::string>(expected.begin(), expected.end())) {
      throw Error(ErrorKind::storage,
                  "cannot copy: table " + table.name + " of " + db.location() +
                      " does not have the columns this vami copies",
                  "run 'vami --db " + db.location() +
                      " init' with this vami, or report it: the copy's table list and the "
                      "schema differ");
    }
  }
  for (const std::string& schema_table : store_tables::schema_tables()) {
    known.insert(schema_table);
  }
  for (const std::string& table : db.table_names()) {
    if (known.count(table) == 0) {
      throw Error(ErrorKind::invalid_input,
                  "cannot copy: " + db.location() + " holds a table \"" + table +
                      "\" that is not vami's",
                  "give vami a database (or a schema) of its own");
    }
  }
}

/// The source's schema must be the one this vami writes: an older one would be copied into
/// columns it does not fill, a newer one would lose what this vami does not know.
void check_source_version(TableAccess& source) {
  const int version = source.schema_version();
  const int current = source.current_schema_version();
  if (version == 0) {
    throw Error(ErrorKind::invalid_input, source.location() + " holds no vami state",
                "name the state database to copy from with --from");
  }
  if (version < current) {
    throw Error(ErrorKind::invalid_input,
                "the source " + source.location() + " is at schema version " +
                    std::to_string(version) + "; this vami copies version " +
                    std::to_string(current),
                "upgrade it first with 'vami --db " + source.location() +
                    " init' (a copy never writes to its source), then copy again");
  }
  if (version > current) {
    throw Error(ErrorKind::invalid_input,
                "the source " + source.location() + " is at schema version " +
                    std::to_string(version) + ", newer than this vami knows (" +
                    std::to_string(current) + ")",
                "copy it with the newer vami that wrote it");
  }
}

/// Clears what names a process in `row` of `table`; true when it named one. A `running`
/// operation is carried as `interrupted`: its process is gone (a live one refused the copy).
bool clear_holds(const StoredTable& table, Row& row, std::int64_t& interrupted) {
  bool cleared = false;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].role == ColumnRole::holder &&
        !std::holds_alternative<std::monostate>(row[i])) {
      row[i] = Value();
      cleared = true;
    }
  }
  if (table.name == "operations") {
    Value& status = row[store_tables::column_index(table, "status")];
    if (const auto* text = std::get_if<std::string>(&status); text && *text == "running") {
      status = std::string("interrupted");
      ++interrupted;
    }
  }
  return cleared;
}

/// The copy once both databases are open and the source's snapshot taken.
void copy_rows(TableAccess& source, TableAccess& target, ExistingState existing,
               CopyReport& report) {
  const auto& tables = store_tables::stored_tables();
  target.begin_exclusive();
  check_tables(target);
  bool held_rows = false;
  for (TableCopy& copy : report.tables) {
    for (const StoredTable& table : tables) {
      if (table.name == copy.table) {
        copy.replaced_rows = target.count_rows(table);
        held_rows = held_rows || copy.replaced_rows > 0;
      }
    }
  }
  if (held_rows && existing == ExistingState::refuse) {
    throw Error(ErrorKind::conflict,
                "the target " + target.location() + " already holds a state (" +
                    describe_rows(report.tables) + ")",
                "copy into an empty database, or add --force to replace its rows with the "
                "source's (in the same transaction)");
  }
  if (held_rows) {
    if (const auto holds = target.live_holds(3); !holds.empty()) {
      throw Error(ErrorKind::conflict,
                  "the target " + target.location() + " is in use: " + joined(holds),
                  "wait for those vami processes to finish and stop every vami that uses the "
                  "target, then copy again");
    }
    target.delete_rows(tables);
    report.replaced = true;
  }
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const StoredTable& table = tables[t];
    source.read_rows(table, [&](std::vector<Row>& batch) {
      for (Row& row : batch) {
        report.holds_cleared += clear_holds(table, row, report.operations_interrupted) ? 1 : 0;
      }
      target.insert_rows(table, batch);
    });
    target.rows_inserted(table);
  }
  // Verified before the commit: a count that differs rolls the whole copy back.
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const std::int64_t copied = target.count_rows(tables[t]);
    if (copied != report.tables[t].rows) {
      throw Error(ErrorKind::storage,
                  "the copy was not made: table " + tables[t].name + " holds " +
                      std::to_string(copied) + " rows in " + target.location() + " but " +
                      std::to_string(report.tables[t].rows) + " in " + source.location(),
                  "nothing was changed in the target; run the copy again with no other vami "
                  "process using either database");
    }
  }
  target.commit();
}

} // namespace

CopyReport copy_state(const std::string& from, const std::string& to, ExistingState existing) {
  const auto started = std::chrono::steady_clock::now();
  if (from == to) {
    throw Error(ErrorKind::invalid_input,
                "--from and --to name the same database (" + redact_location(from) + ")",
                "copy into another database");
  }
  std::unique_ptr<TableAccess> source = open_tables(from, AccessMode::read_only);
  CopyReport report;
  report.from = source->location();
  report.from_backend = source->backend();
  check_source_version(*source);
  report.schema_version = source->schema_version();
  // The target's schema is made or brought up to date by opening its store, as any command does.
  (void)open_state_store(to);
  std::unique_ptr<TableAccess> target = open_tables(to, AccessMode::read_write);
  report.to = target->location();
  report.to_backend = target->backend();
  if (source->identity() == target->identity()) {
    throw Error(ErrorKind::invalid_input,
                "--from " + report.from + " and --to " + report.to + " name the same database",
                "copy into another database");
  }
  source->begin_snapshot();
  try {
    check_tables(*source);
    if (const auto holds = source->live_holds(3); !holds.empty()) {
      throw Error(ErrorKind::conflict, "the source " + report.from + " is in use: " + joined(holds),
                  "wait for those vami processes to finish ('vami operations list' shows what "
                  "runs), stop every vami that uses the source, then copy again");
    }
    for (const StoredTable& table : store_tables::stored_tables()) {
      report.tables.push_back({table.name, source->count_rows(table), 0});
    }
    try {
      copy_rows(*source, *target, existing, report);
    } catch (...) {
      target->rollback();
      throw;
    }
  } catch (...) {
    source->rollback();
    throw;
  }
  source->rollback(); // a read-only snapshot: nothing to commit
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

DatabaseStatus database_status(const std::string& location) {
  std::unique_ptr<TableAccess> db = open_tables(location, AccessMode::read_only);
  DatabaseStatus status;
  status.backend = db->backend();
  status.location = db->location();
  db->begin_snapshot();
  try {
    status.schema_version = db->schema_version();
    status.current_schema_version = db->current_schema_version();
    const std::vector<std::string> present = db->table_names();
    const std::set<std::string> tables(present.begin(), present.end());
    for (const StoredTable& table : store_tables::stored_tables()) {
      std::optional<std::int64_t> rows;
      if (tables.count(table.name) != 0) {
        rows = db->count_rows(table);
      }
      status.tables.emplace_back(table.name, rows);
    }
    for (auto& [name, fact] : db->connection_facts()) {
      status.connection.emplace_back(name, std::move(fact));
    }
  } catch (...) {
    db->rollback();
    throw;
  }
  db->rollback();
  return status;
}

} // namespace vami
