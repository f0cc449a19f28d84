// The PostgreSQL backend of the state store's behaviour tests (see store_backend.hpp): one
// throw-away schema per test on the test cluster, named in the store's URI through the
// connection's search_path, dropped after the test.

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "store_backend.hpp"
#include <libpq-fe.h>

#include <vami/stores/postgres_state_store.hpp>

namespace vami::testing {

namespace {

/// `sql` with each `?` outside quotes numbered `$1`, `$2`, ... as libpq wants them.
std::string numbered(const std::string& sql) {
  std::string out;
  bool quoted = false;
  int next = 0;
  for (const char c : sql) {
    if (c == '\'') {
      quoted = !quoted;
    }
    if (c == '?' && !quoted) {
      out += "$" + std::to_string(++next);
    } else {
      out += c;
    }
  }
  return out;
}

/// A libpq connection for what the tests do outside every store.
class RawConnection {
public:
  explicit RawConnection(const std::string& uri) : m_connection(PQconnectdb(uri.c_str())) {
    if (PQstatus(m_connection.get()) != CONNECTION_OK) {
      throw std::runtime_error(std::string("cannot connect: ") +
                               PQerrorMessage(m_connection.get()));
    }
  }

  /// Runs `sql` with `values`; returns the result. @throws std::runtime_error when it fails.
  std::unique_ptr<PGresult, void (*)(PGresult*)> run(const std::string& sql,
                                                     const std::vector<std::string>& values = {}) {
    std::vector<const char*> pointers;
    for (const auto& value : values) {
      pointers.push_back(value.c_str());
    }
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(
        PQexecParams(m_connection.get(), numbered(sql).c_str(), static_cast<int>(pointers.size()),
                     nullptr, pointers.data(), nullptr, nullptr, 0),
        PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      throw std::runtime_error(sql + ": " + PQresultErrorMessage(result.get()));
    }
    return result;
  }

private:
  struct Finish {
    void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
  };
  std::unique_ptr<PGconn, Finish> m_connection;
};

std::string random_schema() {
  std::random_device random;
  std::ostringstream name;
  name << "vami_test_" << std::hex << random() << random();
  return name.str();
}

class PostgresBackend final : public StoreBackend {
public:
  explicit PostgresBackend(const std::string& server)
      : m_server(server), m_schema(random_schema()) {
    RawConnection(m_server).run("CREATE SCHEMA " + m_schema);
    m_uri = m_server + (m_server.find('?') == std::string::npos ? "?" : "&") +
            "options=-csearch_path%3D" + m_schema + "&application_name=" + m_schema;
  }

  PostgresBackend(const PostgresBackend&) = delete;
  PostgresBackend& operator=(const PostgresBackend&) = delete;

  ~PostgresBackend() override {
    try {
      RawConnection(m_server).run("DROP SCHEMA " + m_schema + " CASCADE");
    } catch (...) { // NOLINT(bugprone-empty-catch): the cluster goes away after the run anyway
    }
  }

  std::unique_ptr<StateStore> open(const std::string& holder) override {
    return open_postgres_state_store(m_uri, holder);
  }

  std::string location() const override { return m_uri; }

  int execute(const std::string& sql, const std::vector<std::string>& values) override {
    RawConnection connection(m_uri);
    auto result = connection.run(sql, values);
    const char* count = PQcmdTuples(result.get());
    return count[0] == '\0' ? 0 : std::stoi(count);
  }

  std::optional<std::string> query(const std::string& sql) override {
    RawConnection connection(m_uri);
    auto result = connection.run(sql);
    if (PQntuples(result.get()) == 0 || PQgetisnull(result.get(), 0, 0) != 0) {
      return std::nullopt;
    }
    return std::string(PQgetvalue(result.get(), 0, 0));
  }

private:
  std::string m_server;
  std::string m_schema;
  std::string m_uri;
};

} // namespace

std::string postgres_server_uri() {
  if (const char* uri = std::getenv("VAMI_TEST_POSTGRES_URI"); uri != nullptr && *uri != '\0') {
    return uri;
  }
  const char* file = std::getenv("VAMI_TEST_POSTGRES_URI_FILE");
  if (file == nullptr || *file == '\0') {
    throw BackendUnavailable{"no PostgreSQL test server: run the tests with ctest (its "
                             "postgres_cluster_start fixture starts one) or set "
                             "VAMI_TEST_POSTGRES_URI"};
  }
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line.rfind("postgresql://", 0) != 0) {
    throw BackendUnavailable{"the test cluster did not start (" + std::string(file) +
                             (line.empty() ? std::string(" is missing") : ": " + line) + ")"};
  }
  return line;
}

StoreBackendKind postgres_backend() {
  return {"postgres",
          [](const std::filesystem::path&) -> std::unique_ptr<StoreBackend> {
            return std::make_unique<PostgresBackend>(postgres_server_uri());
          },
          true};
}

} // namespace vami::testing
