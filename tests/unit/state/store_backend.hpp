#pragma once

// The state store's behaviour tests are one set run against every store implementation: a
// suite is a TEST_P fixture deriving from `StoreBackendTest`, instantiated over
// `store_backends()`, so a new store is one more entry there. What only one implementation
// has (SQLite's files, pragmas and migrations from old files) stays in its own suites.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <vami/core/process_holder.hpp>
#include <vami/core/state_store.hpp>

namespace vami::testing {

/// One store implementation holding one test's state, as the behaviour tests drive it.
class StoreBackend {
public:
  virtual ~StoreBackend() = default;

  /// Opens a store on this test's state with its own connection, as another process would;
  /// `holder` names that process (`open_state_store`).
  [[nodiscard]] virtual std::unique_ptr<StateStore>
  open(const std::string& holder = current_process_holder()) = 0;

  /// Where the state is, as `--db` names it: the SQLite file's path or the PostgreSQL URI.
  [[nodiscard]] virtual std::string location() const = 0;

  /// Runs one SQL statement on a connection of its own, outside every store, with the `?`
  /// placeholders bound to `values` in order: what no StateStore method does (a row as a crash,
  /// another host or an older vami left it). Returns the number of rows changed.
  /// @throws std::runtime_error when the database refuses the statement (a CHECK, a UNIQUE).
  virtual int execute(const std::string& sql, const std::vector<std::string>& values = {}) = 0;

  /// The first column of the first row of the SELECT `sql`, as text; nullopt for NULL or no row.
  [[nodiscard]] virtual std::optional<std::string> query(const std::string& sql) = 0;

  /// `query` read as an integer (a count); 0 for NULL or no row.
  [[nodiscard]] std::int64_t count(const std::string& sql) {
    const std::optional<std::string> text = query(sql);
    return text ? std::stoll(*text) : 0;
  }
};

/// A store implementation the suites run against: its name (the last part of each test's name)
/// and how to make a fresh, empty state in `folder`, a temporary folder of the test's own.
struct StoreBackendKind {
  std::string name;
  std::function<std::unique_ptr<StoreBackend>(const std::filesystem::path& folder)> make;
  /// Whether a hold (a routing change, an operation) ends with its holder's connection, as
  /// PostgreSQL's session locks do; otherwise a holder on another host holds for up to
  /// `k_foreign_holder_limit` after its last sign of life (SQLite).
  bool holds_end_with_connection = false;
};

/// Thrown by `StoreBackendKind::make` when the backend cannot run here (no database server):
/// the test then fails when CI=true and is skipped, saying why, otherwise.
struct BackendUnavailable {
  std::string reason;
};

/// Every store implementation vami has: SQLite, and PostgreSQL on the server the test cluster
/// (tests/postgres_cluster.sh, a CTest fixture) or VAMI_TEST_POSTGRES_URI names.
[[nodiscard]] std::vector<StoreBackendKind> store_backends();

/// The PostgreSQL backend: each test gets a schema of its own on the server.
[[nodiscard]] StoreBackendKind postgres_backend();

/// The URI of the test server (VAMI_TEST_POSTGRES_URI, else the file VAMI_TEST_POSTGRES_URI_FILE
/// names, as the test cluster writes it). @throws BackendUnavailable when there is none.
[[nodiscard]] std::string postgres_server_uri();

/// The backend's name, as the suffix of a test's name.
[[nodiscard]] std::string backend_name(const ::testing::TestParamInfo<StoreBackendKind>& info);

/// How gtest prints a backend in a failure: by its name.
void PrintTo(const StoreBackendKind& kind, std::ostream* out);

/// A fixture of the behaviour suites: a temporary folder and the backend's fresh state in it.
/// A suite prepares its state in `SetUpState`, never in SetUp: when the backend cannot run here
/// the test is skipped, and GTEST_SKIP in SetUp neither stops SetUp's callers nor TearDown, so a
/// suite's own SetUp would go on with no backend (a crash). TearDown overrides run after a skip
/// too: they must not assume the backend or anything SetUpState made.
class StoreBackendTest : public ::testing::TestWithParam<StoreBackendKind> {
protected:
  void SetUp() final;
  void TearDown() override;

  /// The suite's own preparation, called by SetUp only once `m_backend` holds a fresh state
  /// (not when the test is skipped or failed there).
  virtual void SetUpState() {}

  /// The test's own temporary folder, removed after it.
  std::filesystem::path m_dir;
  /// The state of this test.
  std::unique_ptr<StoreBackend> m_backend;
};

} // namespace vami::testing

/// Runs the TEST_P tests of `suite` against every store implementation.
#define VAMI_STORE_BACKENDS(suite)                                                                 \
  INSTANTIATE_TEST_SUITE_P(Stores, suite, ::testing::ValuesIn(::vami::testing::store_backends()),  \
                           ::vami::testing::backend_name)
