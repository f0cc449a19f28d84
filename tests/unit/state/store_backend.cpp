// The backends of the state store's behaviour tests (see store_backend.hpp): SQLite, a file in
// the test's temporary folder; PostgreSQL, a schema of its own on the test cluster
// (postgres_backend.cpp).

#include "store_backend.hpp"

#include <cstdlib>
#include <string>
#include <utility>

#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/stores/sqlite_state_store.hpp>

namespace vami::testing {

namespace {

class SqliteBackend final : public StoreBackend {
public:
  explicit SqliteBackend(std::filesystem::path path) : m_path(std::move(path)) {}

  std::unique_ptr<StateStore> open(const std::string& holder) override {
    return open_sqlite_state_store(m_path, holder);
  }

  std::string location() const override { return m_path.string(); }

  int execute(const std::string& sql, const std::vector<std::string>& values) override {
    SQLite::Database db = connect();
    SQLite::Statement statement(db, sql);
    int index = 0;
    for (const std::string& value : values) {
      statement.bind(++index, value);
    }
    return statement.exec();
  }

  std::optional<std::string> query(const std::string& sql) override {
    SQLite::Database db = connect();
    SQLite::Statement statement(db, sql);
    if (!statement.executeStep() || statement.getColumn(0).isNull()) {
      return std::nullopt;
    }
    return statement.getColumn(0).getString();
  }

private:
  /// A second connection to the file, as another program would open it.
  [[nodiscard]] SQLite::Database connect() const {
    return SQLite::Database(m_path.string(), SQLite::OPEN_READWRITE, 10'000);
  }

  std::filesystem::path m_path;
};

} // namespace

std::vector<StoreBackendKind> store_backends() {
  return {{"sqlite",
           [](const std::filesystem::path& folder) -> std::unique_ptr<StoreBackend> {
             return std::make_unique<SqliteBackend>(folder / "state.db");
           }},
          postgres_backend()};
}

std::string backend_name(const ::testing::TestParamInfo<StoreBackendKind>& info) {
  return info.param.name;
}

void PrintTo(const StoreBackendKind& kind, std::ostream* out) {
  *out << kind.name;
}

void StoreBackendTest::SetUp() {
  std::string pattern = (std::filesystem::temp_directory_path() / "vami-store-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  m_dir = pattern;
  try {
    m_backend = GetParam().make(m_dir);
  } catch (const BackendUnavailable& unavailable) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      FAIL() << GetParam().name << " cannot run here: " << unavailable.reason;
    }
    GTEST_SKIP() << GetParam().name << " cannot run here: " << unavailable.reason;
  }
  if (m_backend != nullptr && !HasFatalFailure() && !IsSkipped()) {
    SetUpState();
  }
}

void StoreBackendTest::TearDown() {
  m_backend.reset();
  std::error_code ignored;
  std::filesystem::remove_all(m_dir, ignored);
}

} // namespace vami::testing
