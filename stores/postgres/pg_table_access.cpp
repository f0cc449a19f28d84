// Whole-table access to a PostgreSQL state database (table_access.hpp): what `vami db copy`
// reads and writes and `vami db status` shows, on a connection of its own. Reads run in one
// REPEATABLE READ READ ONLY transaction (one snapshot, and rows are fetched through a cursor so
// that a large pool is never held whole); a copy writes in one transaction that first locks
// every table against other writers (EXCLUSIVE mode: readers still see the rows from before).

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "pg_connection.hpp"
#include "pg_errors.hpp"
#include <store_conflicts.hpp>
#include <table_access.hpp>

#include <vami/core/error.hpp>
#include <vami/stores/postgres_state_store.hpp>

namespace vami::store_tables {

namespace {

/// Rows fetched from the cursor at a time.
constexpr int k_fetch = 2'000;
/// PostgreSQL takes at most 65,535 parameters per statement; a batch insert stays below.
constexpr std::size_t k_max_parameters = 60'000;
constexpr std::size_t k_max_batch_rows = 1'000;

std::string quoted(const std::string& name) {
  return "\"" + name + "\"";
}

std::string column_list(const StoredTable& table) {
  std::string list;
  for (const TableColumn& column : table.columns) {
    list += (list.empty() ? "" : ", ") + quoted(column.name);
  }
  return list;
}

class PostgresTables final : public TableAccess {
public:
  PostgresTables(const std::string& uri, AccessMode)
      : m_location(pg::redact_uri(uri)), m_db(connect(uri)) {
    guarded("cannot read the schema", [&] {
      const pg::Result schema = m_db.exec("SELECT current_schema() IS NOT NULL");
      if (!schema.boolean(0, 0)) {
        throw Error(ErrorKind::invalid_input,
                    "the state database " + m_location +
                        ": none of the schemas of its search_path exists",
                    "create the schema (CREATE SCHEMA), or name one in the URI's "
                    "options=-csearch_path%3D...");
      }
    });
  }

  std::string backend() const override { return "postgresql"; }
  std::string location() const override { return m_location; }

  std::string identity() override {
    return guarded("cannot read the server's identity", [&] {
      return m_db
          .exec("SELECT concat_ws(':', 'postgresql', pg_postmaster_start_time(), "
                "current_setting('port'), coalesce(host(inet_server_addr()), 'socket'), "
                "current_database(), current_schema())")
          .text(0, 0);
    });
  }

  int schema_version() override {
    return guarded("cannot read the schema version", [&] {
      if (!m_db.exec("SELECT to_regclass('vami_migrations') IS NOT NULL").boolean(0, 0)) {
        return 0;
      }
      return static_cast<int>(
          m_db.exec("SELECT coalesce(max(version), 0) FROM vami_migrations").integer(0, 0));
    });
  }

  int current_schema_version() const override { return current_postgres_schema_version(); }

  std::vector<std::string> table_names() override {
    return strings("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = "
                   "current_schema() ORDER BY tablename",
                   {});
  }

  std::vector<std::string> column_names(const std::string& table) override {
    return strings("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                   "current_schema() AND table_name = $1 ORDER BY ordinal_position",
                   {table.c_str()});
  }

  void begin_snapshot() override {
    guarded("cannot start reading",
            [&] { m_db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); });
  }

  void begin_exclusive() override {
    try {
      m_db.exec("BEGIN");
      // A process in the middle of a change keeps its row locks until it commits: wait a while,
      // not for ever.
      m_db.exec("SET LOCAL lock_timeout = '30s'");
      std::string tables;
      for (const StoredTable& table : stored_tables()) {
        tables += (tables.empty() ? "" : ", ") + quoted(table.name);
      }
      m_db.exec("LOCK TABLE " + tables + " IN EXCLUSIVE MODE");
    } catch (const pg::PgError& error) {
      rollback();
      if (error.sqlstate() == "55P03") {
        throw Error(ErrorKind::conflict,
                    "cannot copy into " + m_location +
                        ": other processes kept writing to it for 30 seconds",
                    "stop the vami processes and the router that use it, then copy again");
      }
      throw postgres_store::pg_error(m_location, "cannot start the copy's transaction", error);
    }
  }

  void commit() override {
    try {
      m_db.exec("COMMIT");
    } catch (const pg::PgError& error) {
      if (!error.connection_lost()) {
        throw postgres_store::pg_error(m_location, "cannot commit the copy", error);
      }
      throw Error(ErrorKind::uncertain,
                  "the connection to " + m_location +
                      " broke while the copy was being committed: it may or may not have been "
                      "made",
                  "look with 'vami db status' on it: either every table holds the source's "
                  "rows or none does");
    }
  }

  void rollback() noexcept override {
    try {
      if (m_db.alive()) {
        m_db.exec("ROLLBACK");
      }
    } catch (...) { // NOLINT(bugprone-empty-catch): nothing to roll back on a broken connection
    }
  }

  std::int64_t count_rows(const StoredTable& table) override {
    return guarded("cannot count the rows of " + table.name, [&] {
      return m_db.exec("SELECT count(*) FROM " + quoted(table.name)).integer(0, 0);
    });
  }

  void read_rows(const StoredTable& table,
                 const std::function<void(std::vector<Row>&)>& take) override {
    guarded("cannot read " + table.name, [&] {
      m_db.exec("DECLARE vami_copy NO SCROLL CURSOR FOR SELECT " + column_list(table) + " FROM " +
                quoted(table.name) + " ORDER BY " + table.postgres_order);
      const std::string fetch = "FETCH FORWARD " + std::to_string(k_fetch) + " FROM vami_copy";
      std::vector<Row> batch;
      for (;;) {
        const pg::Result rows = m_db.exec(fetch);
        if (rows.rows() == 0) {
          break;
        }
        batch.clear();
        batch.reserve(static_cast<std::size_t>(rows.rows()));
        for (int r = 0; r < rows.rows(); ++r) {
          Row row;
          row.reserve(table.columns.size());
          for (std::size_t c = 0; c < table.columns.size(); ++c) {
            const int column = static_cast<int>(c);
            if (rows.null(r, column)) {
              row.emplace_back();
            } else if (table.columns[c].type == ColumnType::integer) {
              row.emplace_back(rows.integer(r, column));
            } else {
              row.emplace_back(rows.text(r, column));
            }
          }
          batch.push_back(std::move(row));
        }
        take(batch);
      }
      m_db.exec("CLOSE vami_copy");
    });
  }

  void insert_rows(const StoredTable& table, const std::vector<Row>& rows) override {
    guarded("cannot insert into " + table.name, [&] {
      const std::size_t width = table.columns.size();
      const std::size_t per_batch = std::min(k_max_batch_rows, k_max_parameters / width);
      std::vector<std::string> numbers;
      std::vector<const char*> values;
      for (std::size_t first = 0; first < rows.size(); first += per_batch) {
        const std::size_t last = std::min(rows.size(), first + per_batch);
        std::string sql =
            "INSERT INTO " + quoted(table.name) + " (" + column_list(table) + ") VALUES ";
        numbers.assign((last - first) * width, std::string());
        values.assign((last - first) * width, nullptr);
        std::size_t parameter = 0;
        for (std::size_t r = first; r < last; ++r) {
          sql += r == first ? "(" : ", (";
          for (std::size_t c = 0; c < width; ++c) {
            sql += (c == 0 ? "$" : ", $") + std::to_string(parameter + 1);
            const Value& value = rows[r][c];
            if (const auto* number = std::get_if<std::int64_t>(&value)) {
              numbers[parameter] = std::to_string(*number);
              values[parameter] = numbers[parameter].c_str();
            } else if (const auto* text = std::get_if<std::string>(&value)) {
              values[parameter] = text->c_str();
            }
            ++parameter;
          }
          sql += ")";
        }
        m_db.exec_positional(sql, values);
      }
    });
  }

  void rows_inserted(const StoredTable& table) override {
    if (!table.postgres_identity) {
      return;
    }
    guarded("cannot move the id sequence of " + table.name, [&] {
      m_db.exec("SELECT setval(pg_get_serial_sequence('" + table.name +
                "', 'id'), coalesce(max(id), 0) + 1, false) FROM " + quoted(table.name));
    });
  }

  void delete_rows(const std::vector<StoredTable>& tables) override {
    guarded("cannot delete the rows the target held", [&] {
      for (auto table = tables.rbegin(); table != tables.rend(); ++table) {
        m_db.exec("DELETE FROM " + quoted(table->name));
      }
    });
  }

  std::vector<std::string> live_holds(std::size_t limit) override {
    return guarded("cannot read the holds", [&] {
      std::vector<std::string> holds;
      const std::string most = std::to_string(limit);
      // The store's rules (pg_state_store.hpp): a routing change, an operation or an upload is
      // held while the session lock of the process that took it is.
      const pg::Result routing =
          m_db.exec("SELECT e164, routing_holder FROM numbers WHERE routing_holder IS NOT NULL AND "
                    "vami_hold_taken('routing:' || e164) ORDER BY e164 LIMIT " +
                    most);
      for (int r = 0; r < routing.rows(); ++r) {
        holds.push_back("the routing of " + routing.text(r, 0) + " (being changed by " +
                        store_rules::describe_holder(routing.text(r, 1)) + ")");
      }
      const pg::Result operations =
          m_db.exec("SELECT id, holder FROM operations WHERE status = 'running' AND "
                    "vami_hold_taken('operation:' || id) ORDER BY seq LIMIT " +
                    most);
      for (int r = 0; r < operations.rows(); ++r) {
        holds.push_back("operation " + operations.text(r, 0) + " (running in " +
                        store_rules::describe_holder(operations.text(r, 1)) + ")");
      }
      const pg::Result uploads =
          m_db.exec("SELECT upload_name, holder FROM documents WHERE status = 'uploading' AND "
                    "holder IS NOT NULL AND vami_hold_taken('upload:' || upload_name) ORDER BY "
                    "id LIMIT " +
                    most);
      for (int r = 0; r < uploads.rows(); ++r) {
        holds.push_back("the upload of " + uploads.text(r, 0) + " (by " +
                        store_rules::describe_holder(uploads.text(r, 1)) + ")");
      }
      holds.resize(std::min(holds.size(), limit));
      return holds;
    });
  }

  Facts connection_facts() override {
    return guarded("cannot read the connection's settings", [&] {
      PGconn* connection = m_db.native();
      auto text = [](const char* value) { return value ? Fact(std::string(value)) : Fact(); };
      Facts facts;
      facts.emplace_back("host", text(PQhost(connection)));
      const char* port = PQport(connection);
      facts.emplace_back("port", port && *port ? Fact(std::int64_t{std::atoi(port)}) : Fact());
      facts.emplace_back("database", text(PQdb(connection)));
      facts.emplace_back("user", text(PQuser(connection)));
      facts.emplace_back("server_version", text(PQparameterStatus(connection, "server_version")));
      facts.emplace_back("sslmode", sslmode(connection));
      facts.emplace_back("ssl", PQsslInUse(connection) != 0);
      const pg::Result schema =
          m_db.exec("SELECT current_schema(), current_setting('search_path')");
      facts.emplace_back("schema", schema.text(0, 0));
      facts.emplace_back("search_path", schema.text(0, 1));
      return facts;
    });
  }

private:
  pg::Connection connect(const std::string& uri) const {
    try {
      return pg::Connection(uri);
    } catch (const pg::PgError& error) {
      throw postgres_store::pg_error(m_location, "cannot connect", error);
    }
  }

  static Fact sslmode(PGconn* connection) {
    PQconninfoOption* options = PQconninfo(connection);
    Fact mode;
    for (PQconninfoOption* option = options; option && option->keyword; ++option) {
      if (std::string(option->keyword) == "sslmode" && option->val) {
        mode = std::string(option->val);
      }
    }
    PQconninfoFree(options);
    return mode;
  }

  template <typename Body>
  auto guarded(const std::string& what, Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const pg::PgError& error) {
      throw postgres_store::pg_error(m_location, what, error);
    }
  }

  std::vector<std::string> strings(const std::string& sql, std::vector<const char*> values) {
    return guarded("cannot read the schema", [&] {
      const pg::Result rows = m_db.exec_positional(sql, values);
      std::vector<std::string> found;
      for (int r = 0; r < rows.rows(); ++r) {
        found.push_back(rows.text(r, 0));
      }
      return found;
    });
  }

  std::string m_location;
  pg::Connection m_db;
};

} // namespace

std::unique_ptr<TableAccess> open_postgres_tables(const std::string& uri, AccessMode mode) {
  return std::make_unique<PostgresTables>(uri, mode);
}

} // namespace vami::store_tables
