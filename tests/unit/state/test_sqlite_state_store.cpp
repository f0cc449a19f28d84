#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "disk_full.hpp"
#include "permissions_enforced.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int k_vami_application_id = 0x76616D69;

/// The schema of version 1 as vami shipped it, frozen here: databases written by that vami
/// exist and must keep opening.
constexpr const char* k_schema_v1 = R"sql(
CREATE TABLE tenants (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  industry TEXT,
  contact_name TEXT,
  contact_email TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE agents (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT 'elevenlabs',
  provider_agent_id TEXT UNIQUE,
  voice_id TEXT,
  language TEXT,
  personality TEXT CHECK (personality IN ('friendly', 'professional', 'casual')
                          OR personality IS NULL),
  first_message TEXT,
  prompt TEXT,
  status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('creating', 'active', 'deleting', 'deleted')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX agents_tenant_id ON agents(tenant_id);

CREATE TABLE documents (
  id INTEGER PRIMARY KEY,
  agent_id INTEGER NOT NULL REFERENCES agents(id),
  provider_document_id TEXT UNIQUE,
  name TEXT NOT NULL,
  source_kind TEXT NOT NULL CHECK (source_kind IN ('file', 'url', 'text')),
  source TEXT,
  mime_type TEXT,
  size_bytes INTEGER CHECK (size_bytes >= 0),
  sha256 TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (agent_id, sha256)
);

CREATE TABLE operations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('buy', 'release', 'webhook', 'assign', 'unassign',
                                     'reassign', 'reconcile', 'onboard')),
  status TEXT NOT NULL
    CHECK (status IN ('running', 'completed', 'partial', 'failed', 'interrupted')),
  requested_count INTEGER NOT NULL CHECK (requested_count >= 0),
  parameters TEXT NOT NULL DEFAULT '{}',
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT
);

CREATE TABLE operation_items (
  id INTEGER PRIMARY KEY,
  operation_id TEXT NOT NULL REFERENCES operations(id),
  e164 TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'failed', 'uncertain')),
  error_code TEXT,
  error_message TEXT,
  updated_at TEXT NOT NULL,
  UNIQUE (operation_id, e164)
);

CREATE TABLE numbers (
  id INTEGER PRIMARY KEY,
  e164 TEXT NOT NULL UNIQUE,
  provider TEXT NOT NULL,
  provider_sid TEXT UNIQUE,
  country TEXT NOT NULL,
  number_type TEXT NOT NULL CHECK (number_type IN ('local', 'toll-free', 'mobile')),
  locality TEXT,
  region TEXT,
  status TEXT NOT NULL CHECK (status IN ('purchasing', 'available', 'assigned', 'suspended',
                                         'releasing', 'released')),
  tenant_id INTEGER REFERENCES tenants(id),
  agent_id INTEGER REFERENCES agents(id),
  routing_mode TEXT CHECK (routing_mode IN ('native', 'webhook') OR routing_mode IS NULL),
  provider_agent_phone_id TEXT UNIQUE,
  friendly_name TEXT,
  voice_url TEXT,
  voice_method TEXT CHECK (voice_method IN ('GET', 'POST') OR voice_method IS NULL),
  status_callback TEXT,
  monthly_price_micros INTEGER
    CHECK (monthly_price_micros IS NULL OR monthly_price_micros >= 0),
  currency TEXT CHECK (currency IS NULL OR length(currency) = 3),
  operation_id TEXT REFERENCES operations(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  released_at TEXT,
  CHECK ((status = 'assigned') = (agent_id IS NOT NULL)),
  CHECK (monthly_price_micros IS NULL OR currency IS NOT NULL)
);
-- Its leading column makes it the index on status too; with e164 second it serves
-- "status = ? AND e164 in the +1<area> range" and returns rows already ordered by e164.
CREATE INDEX numbers_status_e164 ON numbers(status, e164);
CREATE INDEX numbers_agent_id ON numbers(agent_id);
CREATE INDEX numbers_tenant_id ON numbers(tenant_id);
CREATE INDEX numbers_region ON numbers(region);

CREATE TABLE audit_entries (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  command TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT
);
CREATE INDEX audit_entries_at ON audit_entries(at);
)sql";

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(fs::file_size(path)), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// Runs `action`, expecting a vami::Error of `kind`; returns it for further checks.
template <typename Action>
Error expect_error(ErrorKind kind, Action&& action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error;
  }
  ADD_FAILURE() << "expected Error(" << to_string(kind) << ")";
  return Error(kind, "not thrown");
}

class SqliteStateStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vami-state-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    m_dir = pattern;
    m_path = m_dir / "state.db";
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(m_dir, ignored);
  }

  /// A second connection to the same file, as another program (or a later vami) would open it.
  [[nodiscard]] SQLite::Database raw() const {
    return SQLite::Database(m_path.string(), SQLite::OPEN_READWRITE, 10'000);
  }

  static Operation operation(const std::string& id, OperationKind kind = OperationKind::buy) {
    Operation op;
    op.id = id;
    op.kind = kind;
    op.requested_count = 2;
    op.parameters = R"({"area_code":"212"})";
    op.actor = "alice";
    return op;
  }

  static PurchaseIntent intent(const std::string& e164, const std::string& operation_id,
                               const std::string& region = "NY") {
    PurchaseIntent purchase;
    purchase.e164 = e164;
    purchase.operation_id = operation_id;
    purchase.country = "US";
    purchase.type = NumberType::local;
    purchase.locality = "New York";
    purchase.region = region;
    purchase.friendly_name = "vami:default:" + operation_id;
    return purchase;
  }

  static OwnedNumber owned(const std::string& e164, const std::string& sid) {
    OwnedNumber number;
    number.e164 = e164;
    number.provider_sid = sid;
    number.friendly_name = "vami:default:op-000000000001";
    number.webhook = {"https://hooks.example.com/voice", "POST",
                      "https://hooks.example.com/status"};
    return number;
  }

  /// Puts an `available` number in the pool through the store, as a purchase does.
  static void add_available(StateStore& store, const std::string& e164, const std::string& sid,
                            const std::string& operation_id, const std::string& region = "NY") {
    store.insert_purchase_intent(intent(e164, operation_id, region));
    (void)store.complete_purchase(e164, owned(e164, sid), Money{1'150'000, "USD"});
  }

  /// Assigns a number to agent "front-desk" of tenant "acme", written as the assign use case
  /// would, through another connection.
  void assign_raw(const std::string& e164) const {
    auto db = raw();
    db.exec("INSERT OR IGNORE INTO tenants (id, slug, name, created_at, updated_at) VALUES "
            "(1, 'acme', 'Acme Dental', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
    db.exec("INSERT OR IGNORE INTO agents (id, tenant_id, slug, name, created_at, updated_at) "
            "VALUES (1, 1, 'front-desk', 'Front desk', '2026-01-01T00:00:00Z', "
            "'2026-01-01T00:00:00Z')");
    SQLite::Statement assign(db, "UPDATE numbers SET status = 'assigned', tenant_id = 1, "
                                 "agent_id = 1 WHERE e164 = ?");
    assign.bind(1, e164);
    ASSERT_EQ(assign.exec(), 1);
  }

  fs::path m_dir;
  fs::path m_path;
};

// --- opening -------------------------------------------------------------------------------

TEST_F(SqliteStateStoreTest, CreatesAndMigratesANewDatabase) {
  auto store = open_sqlite_state_store(m_path);
  EXPECT_GE(current_schema_version(), 1);
  EXPECT_EQ(store->schema_version(), current_schema_version());
  EXPECT_EQ(store->location(), m_path.string());

  auto db = raw();
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), current_schema_version());
  EXPECT_EQ(db.execAndGet("PRAGMA application_id").getInt(), k_vami_application_id);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
  for (const char* table : {"tenants", "agents", "documents", "operations", "operation_items",
                            "numbers", "audit_entries"}) {
    EXPECT_TRUE(db.tableExists(table)) << table;
  }
}

TEST_F(SqliteStateStoreTest, StoreConnectionEnforcesForeignKeys) {
  auto store = open_sqlite_state_store(m_path);
  // Both writes reference an operation that does not exist; only the store's own connection
  // (with foreign_keys on) can refuse them.
  expect_error(ErrorKind::not_found, [&] {
    store->record_item({"op-000000000404", "+12125550100", ItemOutcome::pending, "", ""});
  });
  auto error = expect_error(ErrorKind::not_found, [&] {
    store->insert_purchase_intent(intent("+12125550100", "op-000000000404"));
  });
  EXPECT_THAT(error.what(), HasSubstr("op-000000000404"));
  EXPECT_FALSE(store->find_number("+12125550100"));
  EXPECT_EQ(raw().execAndGet("SELECT count(*) FROM operation_items").getInt(), 0);
}

TEST_F(SqliteStateStoreTest, EmptyExistingFileIsMigrated) {
  write_bytes(m_path, "");
  auto store = open_sqlite_state_store(m_path);
  EXPECT_EQ(store->schema_version(), current_schema_version());
}

/// A vami database with one operation, closed (its write-ahead log folded in).
void make_database(const fs::path& path) {
  auto store = open_sqlite_state_store(path);
  Operation op;
  op.id = "op-000000000001";
  op.requested_count = 1;
  op.actor = "alice";
  store->create_operation(op);
}

TEST_F(SqliteStateStoreTest, ADamagedHeaderIsNamedWithARestoreHint) {
  make_database(m_path);
  std::string bytes = read_bytes(m_path);
  bytes.replace(0, 16, "not a header....");
  write_bytes(m_path, bytes);
  auto error =
      expect_error(ErrorKind::invalid_input, [&] { (void)open_sqlite_state_store(m_path); });
  EXPECT_THAT(error.what(), HasSubstr(m_path.string() + " is not a vami state database"));
  EXPECT_THAT(error.what(), HasSubstr("header is damaged"));
  EXPECT_THAT(error.hint(), HasSubstr("restore it from a backup"));
}

TEST_F(SqliteStateStoreTest, ADamagedFileIsNamedWithTheIntegrityCheckAndARestoreHint) {
  make_database(m_path);
  std::string bytes = read_bytes(m_path);
  for (std::size_t i = 100; i < 300; ++i) {
    bytes[i] = static_cast<char>(0xA5); // the first page's b-tree, past the file header
  }
  write_bytes(m_path, bytes);
  auto error = expect_error(ErrorKind::storage, [&] {
    auto store = open_sqlite_state_store(m_path);
    (void)store->list_operations(0);
  });
  EXPECT_THAT(error.what(),
              HasSubstr("state database " + m_path.string() + ": the file is damaged"));
  EXPECT_THAT(error.hint(), HasSubstr("sqlite3 " + m_path.string() + " 'PRAGMA integrity_check'"));
  EXPECT_THAT(error.hint(), HasSubstr("restore it from a backup"));
}

TEST_F(SqliteStateStoreTest, ADamagedWriteAheadLogIsRefusedBeforeSqliteDropsIt) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001")); // in the write-ahead log
  const fs::path wal = m_path.string() + "-wal";
  ASSERT_GE(fs::file_size(wal), 32U);
  {
    std::fstream out(wal, std::ios::binary | std::ios::in | std::ios::out);
    out.write("garbage garbage garbage garbage!", 32);
  }
  auto error = expect_error(ErrorKind::storage, [&] { (void)open_sqlite_state_store(m_path); });
  EXPECT_THAT(error.what(), HasSubstr("the write-ahead log " + wal.string()));
  EXPECT_THAT(error.what(), HasSubstr("is damaged"));
  EXPECT_THAT(error.hint(), HasSubstr("restore the database from a backup"));
}

TEST_F(SqliteStateStoreTest, AFullDiskIsNamedWithTheFolderToFree) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  const fs::path wal = m_path.string() + "-wal";
  Error error(ErrorKind::provider, "not thrown");
  {
    // The file may not grow: SQLite's write is refused as on a full disk.
    testing::FileSizeLimit full(static_cast<rlim_t>(fs::file_size(wal) + 100));
    error = expect_error(ErrorKind::storage,
                         [&] { store->create_operation(operation("op-000000000002")); });
  }
  EXPECT_THAT(error.what(), HasSubstr("cannot record operation op-000000000002: state database " +
                                      m_path.string()));
  EXPECT_THAT(error.what(), HasSubstr("writing the file failed: the disk is full"));
  EXPECT_THAT(error.hint(),
              HasSubstr("free space on the file system that holds " + m_dir.string()));
  // Once there is room again, nothing is lost and the next write works.
  store->create_operation(operation("op-000000000002"));
  EXPECT_EQ(store->list_operations(0).size(), 2U);
}

TEST_F(SqliteStateStoreTest, AReadOnlyFileOrLeftoverSharedMemoryFileIsNamed) {
  const testing::PermissionsEnforced enforced; // root (CI) would write read-only files
  make_database(m_path);
  fs::permissions(m_path, fs::perms::owner_write, fs::perm_options::remove);
  auto error = expect_error(ErrorKind::storage, [&] {
    auto store = open_sqlite_state_store(m_path);
    store->create_operation(operation("op-000000000002"));
  });
  EXPECT_THAT(error.what(),
              HasSubstr("state database " + m_path.string() + ": the file is read-only"));
  EXPECT_THAT(error.hint(), HasSubstr("chmod u+w " + m_path.string()));
  fs::permissions(m_path, fs::perms::owner_write, fs::perm_options::add);

  const fs::path shm = m_path.string() + "-shm";
  write_bytes(shm, std::string(32768, '\0'));
  fs::permissions(shm, fs::perms::owner_write, fs::perm_options::remove);
  error = expect_error(ErrorKind::storage, [&] {
    auto store = open_sqlite_state_store(m_path);
    store->create_operation(operation("op-000000000002"));
  });
  EXPECT_THAT(error.what(), HasSubstr("its shared-memory file " + shm.string() + " is read-only"));
  EXPECT_THAT(error.hint(), HasSubstr("delete " + shm.string()));
}

TEST_F(SqliteStateStoreTest, AnEmptyReadOnlyFileIsNamedAsEmpty) {
  const testing::PermissionsEnforced enforced; // root (CI) would write read-only files
  write_bytes(m_path, "");
  fs::permissions(m_path, fs::perms::owner_write, fs::perm_options::remove);
  auto error = expect_error(ErrorKind::storage, [&] { (void)open_sqlite_state_store(m_path); });
  EXPECT_THAT(error.what(), HasSubstr(m_path.string() + ": the file is read-only"));
  EXPECT_THAT(error.what(), HasSubstr("the file was empty: vami was making a new database in it"));
  EXPECT_THAT(error.hint(), HasSubstr("chmod u+w " + m_path.string()));
  EXPECT_THAT(error.hint(), HasSubstr("restore it from a backup"));
}

TEST_F(SqliteStateStoreTest, ReopenKeepsData) {
  {
    auto store = open_sqlite_state_store(m_path);
    store->create_operation(operation("op-000000000001"));
    add_available(*store, "+12125550101", "PN01", "op-000000000001");
  }
  auto store = open_sqlite_state_store(m_path);
  EXPECT_EQ(store->schema_version(), current_schema_version());
  ASSERT_TRUE(store->find_operation("op-000000000001"));
  auto number = store->find_number("+12125550101");
  ASSERT_TRUE(number);
  EXPECT_EQ(number->status, NumberStatus::available);
  EXPECT_EQ(number->provider_sid, "PN01");
}

TEST_F(SqliteStateStoreTest, SchemaV1DatabaseIsMigratedAndKeepsItsRows) {
  {
    SQLite::Database v1(m_path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    v1.exec("PRAGMA journal_mode = WAL");
    v1.exec(k_schema_v1);
    v1.exec("PRAGMA application_id = " + std::to_string(k_vami_application_id));
    v1.exec("PRAGMA user_version = 1");
    v1.exec(R"sql(
INSERT INTO tenants (id, slug, name, created_at, updated_at)
  VALUES (1, 'acme', 'Acme Dental', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO agents (id, tenant_id, slug, name, provider_agent_id, created_at, updated_at)
  VALUES (1, 1, 'dr-smith', 'Dr Smith', 'agent_01', '2026-01-01T00:00:00Z',
          '2026-01-01T00:00:00Z');
INSERT INTO operations (id, kind, status, requested_count, actor, created_at)
  VALUES ('op-000000000001', 'buy', 'completed', 1, 'alice', '2026-01-01T00:00:00Z');
INSERT INTO operation_items (operation_id, e164, outcome, updated_at)
  VALUES ('op-000000000001', '+12125550101', 'succeeded', '2026-01-01T00:00:00Z');
INSERT INTO numbers (e164, provider, provider_sid, country, number_type, status, tenant_id,
                     agent_id, routing_mode, provider_agent_phone_id, operation_id, created_at,
                     updated_at)
  VALUES ('+12125550101', 'twilio', 'PN01', 'US', 'local', 'assigned', 1, 1, 'native',
          'phnum_01', 'op-000000000001', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO audit_entries (at, actor, command, entity_type, entity_id)
  VALUES ('2026-01-01T00:00:00Z', 'alice', 'numbers buy', 'number', '+12125550101');
INSERT INTO documents (agent_id, provider_document_id, name, source_kind, sha256, created_at)
  VALUES (1, 'doc_01', 'hours', 'text', 'ab', '2026-01-01T00:00:00Z');
)sql");
  }

  auto store = open_sqlite_state_store(m_path);
  EXPECT_EQ(store->schema_version(), current_schema_version());
  EXPECT_EQ(current_schema_version(), 6);
  auto number = store->find_number("+12125550101");
  ASSERT_TRUE(number);
  EXPECT_EQ(number->status, NumberStatus::assigned);
  EXPECT_EQ(number->tenant_slug, "acme");
  EXPECT_EQ(number->agent_slug, "dr-smith");
  EXPECT_EQ(number->routing_mode, RoutingMode::native);
  EXPECT_EQ(number->agent_phone_number_id, "phnum_01");
  EXPECT_EQ(number->routing_holder, ""); // v3: no change in flight
  EXPECT_FALSE(number->suspension);      // v6
  // v6 rebuilt the journal (new kinds): its rows, their items and the references stay.
  auto bought = store->find_operation("op-000000000001");
  ASSERT_TRUE(bought);
  EXPECT_EQ(bought->kind, OperationKind::buy);
  EXPECT_EQ(bought->actor, "alice");
  ASSERT_EQ(store->list_items("op-000000000001").size(), 1U);
  EXPECT_EQ(number->operation_id, "op-000000000001");
  Operation suspend;
  suspend.id = "op-000000000002";
  suspend.kind = OperationKind::suspend;
  suspend.actor = "bob";
  store->create_operation(suspend);
  EXPECT_EQ(store->find_operation("op-000000000002")->kind, OperationKind::suspend);
  EXPECT_THROW(store->record_item({"op-000000000009", "+12125550101", ItemOutcome::failed, "", ""}),
               Error); // foreign keys are on again
  ASSERT_TRUE(store->find_tenant("acme"));
  EXPECT_EQ(store->find_agent("agent_01")->slug, "dr-smith");
  auto documents = store->list_documents("dr-smith");
  ASSERT_EQ(documents.size(), 1U);
  EXPECT_EQ(documents[0].status, DocumentStatus::active); // v4: uploaded before intents
  EXPECT_EQ(documents[0].upload_name, "");

  auto audit = store->list_audit({});
  ASSERT_EQ(audit.size(), 1U);
  EXPECT_EQ(audit[0].actor, "alice");
  EXPECT_EQ(audit[0].tenant_slug, "");
  store->append_audit(
      {"2026-01-02T00:00:00Z", "bob", "numbers assign", "number", "+12125550101", "", "", "acme"});
  auto about_acme = store->list_audit({.since = "", .tenant_slug = "acme", .limit = 0});
  ASSERT_EQ(about_acme.size(), 1U);
  EXPECT_EQ(about_acme[0].actor, "bob");

  auto db = raw();
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                          "tbl_name = 'audit_entries' AND sql LIKE '%tenant_slug%'")
                .getInt(),
            1);
  SQLite::Statement dangling(db, "PRAGMA foreign_key_check");
  EXPECT_FALSE(dangling.executeStep());
  store.reset();
  // Opening again applies nothing twice.
  EXPECT_EQ(open_sqlite_state_store(m_path)->schema_version(), current_schema_version());
}

TEST_F(SqliteStateStoreTest, MissingFolderIsInvalidInput) {
  const auto path = m_dir / "no-such-folder" / "state.db";
  auto error = expect_error(ErrorKind::invalid_input, [&] { (void)open_sqlite_state_store(path); });
  EXPECT_THAT(error.what(), HasSubstr("does not exist"));
  EXPECT_THAT(error.what(), HasSubstr((m_dir / "no-such-folder").string()));
  EXPECT_THAT(error.hint(), HasSubstr("--db"));
  EXPECT_FALSE(fs::exists(m_dir / "no-such-folder"));
}

TEST_F(SqliteStateStoreTest, TextFileIsRefusedAndLeftAlone) {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text += "tenant,number\nacme,+12125550101\n";
  }
  write_bytes(m_path, text);
  auto error =
      expect_error(ErrorKind::invalid_input, [&] { (void)open_sqlite_state_store(m_path); });
  EXPECT_THAT(error.what(), HasSubstr("is not a vami state database"));
  EXPECT_EQ(read_bytes(m_path), text);
}

TEST_F(SqliteStateStoreTest, OtherApplicationsDatabaseIsRefusedAndLeftAlone) {
  {
    SQLite::Database other(m_path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("PRAGMA application_id = 42; CREATE TABLE notes (body TEXT); "
               "INSERT INTO notes VALUES ('keep me')");
  }
  const auto before = read_bytes(m_path);
  auto error =
      expect_error(ErrorKind::invalid_input, [&] { (void)open_sqlite_state_store(m_path); });
  EXPECT_THAT(error.what(), HasSubstr("is not a vami state database"));
  EXPECT_EQ(read_bytes(m_path), before);
}

TEST_F(SqliteStateStoreTest, UnmarkedDatabaseWithTablesIsRefusedAndLeftAlone) {
  {
    SQLite::Database other(m_path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE numbers (e164 TEXT)");
  }
  const auto before = read_bytes(m_path);
  expect_error(ErrorKind::invalid_input, [&] { (void)open_sqlite_state_store(m_path); });
  EXPECT_EQ(read_bytes(m_path), before);
}

TEST_F(SqliteStateStoreTest, NewerSchemaIsRefused) {
  (void)open_sqlite_state_store(m_path);
  raw().exec("PRAGMA user_version = " + std::to_string(current_schema_version() + 1));
  auto error =
      expect_error(ErrorKind::invalid_input, [&] { (void)open_sqlite_state_store(m_path); });
  EXPECT_THAT(error.what(), HasSubstr("newer vami"));
  EXPECT_THAT(error.what(), HasSubstr("schema " + std::to_string(current_schema_version() + 1)));
  EXPECT_EQ(error.hint(), "upgrade vami");
}

TEST_F(SqliteStateStoreTest, ProcessesCreatingTheSameDatabaseAtOnceAllSucceed) {
  constexpr int k_openers = 4;
  std::latch start(k_openers);
  std::array<std::string, k_openers> failures;
  std::vector<std::thread> threads;
  for (int i = 0; i < k_openers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        auto store = open_sqlite_state_store(m_path);
        if (store->schema_version() != current_schema_version()) {
          failures[static_cast<std::size_t>(i)] = "wrong schema version";
        }
      } catch (const std::exception& error) {
        failures[static_cast<std::size_t>(i)] = error.what();
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const auto& failure : failures) {
    EXPECT_EQ(failure, "");
  }
  EXPECT_EQ(raw().execAndGet("PRAGMA application_id").getInt(), k_vami_application_id);
}

// --- numbers -------------------------------------------------------------------------------

TEST_F(SqliteStateStoreTest, PurchaseLifecycleReusesTheReleasedRow) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000001"));

  auto purchasing = store->find_number("+12125550101");
  ASSERT_TRUE(purchasing);
  EXPECT_EQ(purchasing->status, NumberStatus::purchasing);
  EXPECT_EQ(purchasing->provider_sid, "");
  EXPECT_EQ(purchasing->operation_id, "op-000000000001");
  EXPECT_EQ(purchasing->friendly_name, "vami:default:op-000000000001");
  EXPECT_FALSE(purchasing->monthly_price);
  EXPECT_FALSE(purchasing->created_at.empty());

  auto bought = store->complete_purchase("+12125550101", owned("+12125550101", "PN01"),
                                         Money{1'150'000, "USD"});
  EXPECT_EQ(bought.status, NumberStatus::available);
  EXPECT_EQ(bought.provider_sid, "PN01");
  EXPECT_EQ(bought.provider, "twilio");
  EXPECT_EQ(bought.country, "US");
  EXPECT_EQ(bought.type, NumberType::local);
  EXPECT_EQ(bought.locality, "New York");
  EXPECT_EQ(bought.region, "NY");
  EXPECT_EQ(bought.webhook.voice_url, "https://hooks.example.com/voice");
  EXPECT_EQ(bought.webhook.voice_method, "POST");
  EXPECT_EQ(bought.webhook.status_callback, "https://hooks.example.com/status");
  ASSERT_TRUE(bought.monthly_price);
  EXPECT_EQ(*bought.monthly_price, (Money{1'150'000, "USD"}));

  auto listed = store->list_numbers({});
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].e164, "+12125550101");
  EXPECT_EQ(listed[0].status, NumberStatus::available);

  auto before = store->begin_release("+12125550101");
  EXPECT_EQ(before.status, NumberStatus::available);
  EXPECT_EQ(before.provider_sid, "PN01");
  EXPECT_EQ(store->find_number("+12125550101")->status, NumberStatus::releasing);

  store->complete_release("+12125550101");
  auto released = store->find_number("+12125550101");
  ASSERT_TRUE(released);
  EXPECT_EQ(released->status, NumberStatus::released);
  EXPECT_EQ(released->provider_sid, "");
  EXPECT_EQ(released->webhook.voice_url, "");
  EXPECT_TRUE(store->list_numbers({}).empty());
  EXPECT_FALSE(raw().execAndGet("SELECT released_at FROM numbers").isNull());

  store->create_operation(operation("op-000000000002"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000002"));
  auto db = raw();
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM numbers").getInt(), 1);
  EXPECT_TRUE(db.execAndGet("SELECT released_at FROM numbers").isNull());
  auto again = store->find_number("+12125550101");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, NumberStatus::purchasing);
  EXPECT_EQ(again->operation_id, "op-000000000002");
  EXPECT_EQ(again->provider_sid, "");
  EXPECT_FALSE(again->monthly_price);
  EXPECT_EQ(again->webhook.voice_url, "");

  // The old SID is gone, so the new purchase may bring any SID, even the old one.
  auto rebought =
      store->complete_purchase("+12125550101", owned("+12125550101", "PN02"), std::nullopt);
  EXPECT_EQ(rebought.provider_sid, "PN02");
  EXPECT_FALSE(rebought.monthly_price);
}

TEST_F(SqliteStateStoreTest, MoneyIsStoredAsIntegerMicros) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  auto db = raw();
  SQLite::Statement query(db, "SELECT monthly_price_micros, typeof(monthly_price_micros), "
                              "currency FROM numbers");
  ASSERT_TRUE(query.executeStep());
  EXPECT_EQ(query.getColumn(0).getInt64(), 1'150'000);
  EXPECT_EQ(query.getColumn(1).getString(), "integer");
  EXPECT_EQ(query.getColumn(2).getString(), "USD");
  EXPECT_EQ(store->find_number("+12125550101")->monthly_price, (Money{1'150'000, "USD"}));
}

TEST_F(SqliteStateStoreTest, AbandonRemovesOnlyAPurchasingRow) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000001"));
  store->abandon_purchase("+12125550101");
  EXPECT_FALSE(store->find_number("+12125550101"));

  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  store->abandon_purchase("+12125550102");
  EXPECT_EQ(store->find_number("+12125550102")->status, NumberStatus::available);
  store->abandon_purchase("+12125550199"); // Unknown: nothing to do.
}

TEST_F(SqliteStateStoreTest, IntentForANumberAlreadyInThePoolConflicts) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  store->create_operation(operation("op-000000000002"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000001"));
  auto error = expect_error(ErrorKind::conflict, [&] {
    store->insert_purchase_intent(intent("+12125550101", "op-000000000002"));
  });
  EXPECT_THAT(error.what(), HasSubstr("+12125550101 is already in the pool (status purchasing)"));
  EXPECT_EQ(store->find_number("+12125550101")->operation_id, "op-000000000001");

  (void)store->complete_purchase("+12125550101", owned("+12125550101", "PN01"), std::nullopt);
  error = expect_error(ErrorKind::conflict, [&] {
    store->insert_purchase_intent(intent("+12125550101", "op-000000000002"));
  });
  EXPECT_THAT(error.what(), HasSubstr("(status available)"));
}

TEST_F(SqliteStateStoreTest, ProviderSidIsUnique) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  store->insert_purchase_intent(intent("+12125550102", "op-000000000001"));
  expect_error(ErrorKind::conflict, [&] {
    (void)store->complete_purchase("+12125550102", owned("+12125550102", "PN01"), std::nullopt);
  });
  EXPECT_EQ(store->find_number("+12125550102")->status, NumberStatus::purchasing);
}

TEST_F(SqliteStateStoreTest, BeginReleaseOfAnAssignedNumberConflicts) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  assign_raw("+12125550101");

  auto number = store->find_number("+12125550101");
  ASSERT_TRUE(number);
  EXPECT_EQ(number->status, NumberStatus::assigned);
  EXPECT_EQ(number->tenant_slug, "acme");
  EXPECT_EQ(number->agent_slug, "front-desk");

  auto error =
      expect_error(ErrorKind::conflict, [&] { (void)store->begin_release("+12125550101"); });
  EXPECT_STREQ(error.what(),
               "+12125550101 is assigned to agent \"front-desk\" (tenant acme); unassign it first");
  EXPECT_EQ(store->find_number("+12125550101")->status, NumberStatus::assigned);
}

TEST_F(SqliteStateStoreTest, BeginReleaseOfATransitionalNumberConflicts) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000001"));
  auto error =
      expect_error(ErrorKind::conflict, [&] { (void)store->begin_release("+12125550101"); });
  EXPECT_THAT(error.what(), HasSubstr("being purchased"));
  EXPECT_THAT(error.what(), HasSubstr("vami reconcile"));

  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  (void)store->begin_release("+12125550102");
  error = expect_error(ErrorKind::conflict, [&] { (void)store->begin_release("+12125550102"); });
  EXPECT_THAT(error.what(), HasSubstr("being released"));
}

TEST_F(SqliteStateStoreTest, SuspendedNumberCanBeReleasedAndReverted) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  raw().exec("UPDATE numbers SET status = 'suspended'");

  auto before = store->begin_release("+12125550101");
  EXPECT_EQ(before.status, NumberStatus::suspended);
  store->revert_release("+12125550101", before.status);
  auto reverted = store->find_number("+12125550101");
  EXPECT_EQ(reverted->status, NumberStatus::suspended);
  EXPECT_EQ(reverted->provider_sid, "PN01");

  expect_error(ErrorKind::conflict,
               [&] { store->revert_release("+12125550101", NumberStatus::available); });
  expect_error(ErrorKind::conflict, [&] { store->complete_release("+12125550101"); });
  expect_error(ErrorKind::invalid_input,
               [&] { store->revert_release("+12125550101", NumberStatus::assigned); });
}

TEST_F(SqliteStateStoreTest, MissingNumbersAreNotFound) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  EXPECT_FALSE(store->find_number("+12125550100"));

  auto error =
      expect_error(ErrorKind::not_found, [&] { (void)store->begin_release("+12125550100"); });
  EXPECT_STREQ(error.what(), "+12125550100 is not in the pool");
  EXPECT_EQ(error.hint(), "list the pool with 'vami numbers list'");
  expect_error(ErrorKind::not_found, [&] {
    (void)store->complete_purchase("+12125550100", owned("+12125550100", "PN00"), std::nullopt);
  });
  expect_error(ErrorKind::not_found, [&] { store->complete_release("+12125550100"); });
  expect_error(ErrorKind::not_found, [&] {
    store->update_webhook("+12125550100", {"https://x.example.com", "POST", ""});
  });

  // A released number is no longer in the pool either.
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  (void)store->begin_release("+12125550101");
  store->complete_release("+12125550101");
  expect_error(ErrorKind::not_found, [&] { (void)store->begin_release("+12125550101"); });
  expect_error(ErrorKind::not_found, [&] {
    store->update_webhook("+12125550101", {"https://x.example.com", "POST", ""});
  });
  // complete_purchase only moves a purchasing row.
  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  expect_error(ErrorKind::not_found, [&] {
    (void)store->complete_purchase("+12125550102", owned("+12125550102", "PN03"), std::nullopt);
  });
  EXPECT_EQ(store->find_number("+12125550102")->provider_sid, "PN02");
}

TEST_F(SqliteStateStoreTest, UpdateWebhookRoundTrips) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  const VoiceWebhook webhook{"https://agents.example.com/inbound", "GET", ""};
  store->update_webhook("+12125550101", webhook);
  EXPECT_EQ(store->find_number("+12125550101")->webhook, webhook);
  expect_error(ErrorKind::invalid_input, [&] {
    store->update_webhook("+12125550101", {"https://x.example.com", "PUT", ""});
  });
  EXPECT_EQ(store->find_number("+12125550101")->webhook, webhook);
}

TEST_F(SqliteStateStoreTest, CheckConstraintsRejectBadRows) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  auto db = raw();
  EXPECT_THROW(db.exec("UPDATE numbers SET status = 'sold'"), SQLite::Exception);
  EXPECT_THROW(db.exec("UPDATE numbers SET status = 'assigned'"), SQLite::Exception); // no agent
  EXPECT_THROW(db.exec("UPDATE numbers SET currency = NULL"), SQLite::Exception);
  EXPECT_THROW(db.exec("UPDATE numbers SET monthly_price_micros = -1"), SQLite::Exception);
  EXPECT_THROW(db.exec("UPDATE numbers SET voice_method = 'PUT'"), SQLite::Exception);
  EXPECT_THROW(db.exec("UPDATE operations SET status = 'done'"), SQLite::Exception);
  EXPECT_THROW(db.exec("INSERT INTO numbers (e164, provider, country, number_type, status, "
                       "created_at, updated_at) VALUES ('+12125550101', 'twilio', 'US', 'local', "
                       "'available', 'x', 'x')"),
               SQLite::Exception); // UNIQUE e164
  EXPECT_EQ(store->find_number("+12125550101")->status, NumberStatus::available);
}

TEST_F(SqliteStateStoreTest, ListFiltersByStatusAreaCodeRegionAndTenant) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+13105550101", "PN01", "op-000000000001", "CA");
  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  add_available(*store, "+12125550101", "PN03", "op-000000000001");
  add_available(*store, "+12135550103", "PN04", "op-000000000001", "CA");
  add_available(*store, "+12125550104", "PN05", "op-000000000001");
  store->insert_purchase_intent(intent("+12125550105", "op-000000000001"));
  (void)store->begin_release("+12125550104");
  store->complete_release("+12125550104");
  assign_raw("+12125550102");

  auto e164s = [](const std::vector<PoolNumber>& numbers) {
    std::vector<std::string> result;
    for (const auto& number : numbers) {
      result.push_back(number.e164);
    }
    return result;
  };

  EXPECT_THAT(
      e164s(store->list_numbers({})),
      ElementsAre("+12125550101", "+12125550102", "+12125550105", "+12135550103", "+13105550101"));

  NumberFilter area;
  area.area_code = "212";
  EXPECT_THAT(e164s(store->list_numbers(area)),
              ElementsAre("+12125550101", "+12125550102", "+12125550105"));

  NumberFilter available_in_212 = area;
  available_in_212.status = NumberStatus::available;
  EXPECT_THAT(e164s(store->list_numbers(available_in_212)), ElementsAre("+12125550101"));

  NumberFilter released;
  released.status = NumberStatus::released;
  EXPECT_THAT(e164s(store->list_numbers(released)), ElementsAre("+12125550104"));

  NumberFilter everything;
  everything.include_released = true;
  EXPECT_EQ(store->list_numbers(everything).size(), 6U);

  NumberFilter california;
  california.region = "CA";
  EXPECT_THAT(e164s(store->list_numbers(california)), ElementsAre("+12135550103", "+13105550101"));

  NumberFilter acme;
  acme.tenant_slug = "acme";
  auto assigned = store->list_numbers(acme);
  ASSERT_EQ(assigned.size(), 1U);
  EXPECT_EQ(assigned[0].e164, "+12125550102");
  EXPECT_EQ(assigned[0].tenant_slug, "acme");
  EXPECT_EQ(assigned[0].agent_slug, "front-desk");

  NumberFilter bad_area;
  bad_area.area_code = "2%";
  expect_error(ErrorKind::invalid_input, [&] { (void)store->list_numbers(bad_area); });
}

// --- journal and audit -----------------------------------------------------------------------

TEST_F(SqliteStateStoreTest, OperationsRoundTripAndListNewestFirst) {
  auto store = open_sqlite_state_store(m_path);
  auto first = operation("op-000000000001");
  first.created_at = "2026-01-01T10:00:00Z";
  auto second = operation("op-000000000002", OperationKind::release);
  second.created_at = "2026-01-01T10:00:00Z"; // Same second: insertion order breaks the tie.
  auto third = operation("op-000000000003", OperationKind::webhook);
  third.created_at = "2026-01-02T09:00:00Z";
  store->create_operation(second);
  store->create_operation(third);
  store->create_operation(first);

  expect_error(ErrorKind::conflict, [&] { store->create_operation(first); });

  auto found = store->find_operation("op-000000000002");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->kind, OperationKind::release);
  EXPECT_EQ(found->status, OperationStatus::running);
  EXPECT_EQ(found->requested_count, 2);
  EXPECT_EQ(found->parameters, R"({"area_code":"212"})");
  EXPECT_EQ(found->actor, "alice");
  EXPECT_EQ(found->created_at, "2026-01-01T10:00:00Z");
  EXPECT_EQ(found->finished_at, "");
  EXPECT_FALSE(store->find_operation("op-000000000404"));

  std::vector<std::string> ids;
  for (const auto& op : store->list_operations(10)) {
    ids.push_back(op.id);
  }
  EXPECT_THAT(ids, ElementsAre("op-000000000003", "op-000000000001", "op-000000000002"));
  EXPECT_EQ(store->list_operations(2).size(), 2U);

  store->finish_operation("op-000000000002", OperationStatus::partial);
  found = store->find_operation("op-000000000002");
  EXPECT_EQ(found->status, OperationStatus::partial);
  EXPECT_FALSE(found->finished_at.empty());
  expect_error(ErrorKind::not_found,
               [&] { store->finish_operation("op-000000000404", OperationStatus::failed); });
}

TEST_F(SqliteStateStoreTest, ItemsAreUpsertedAndKeepTheirFirstOrder) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  store->create_operation(operation("op-000000000002"));
  store->record_item({"op-000000000001", "+12125550102", ItemOutcome::pending, "", ""});
  store->record_item({"op-000000000001", "+12125550101", ItemOutcome::pending, "", ""});
  store->record_item({"op-000000000002", "+12125550101", ItemOutcome::pending, "", ""});
  store->record_item(
      {"op-000000000001", "+12125550102", ItemOutcome::failed, "21422", "not available"});
  store->record_item({"op-000000000001", "+12125550101", ItemOutcome::succeeded, "", ""});

  auto items = store->list_items("op-000000000001");
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].e164, "+12125550102");
  EXPECT_EQ(items[0].outcome, ItemOutcome::failed);
  EXPECT_EQ(items[0].error_code, "21422");
  EXPECT_EQ(items[0].error_message, "not available");
  EXPECT_EQ(items[1].e164, "+12125550101");
  EXPECT_EQ(items[1].outcome, ItemOutcome::succeeded);
  EXPECT_EQ(items[1].error_code, "");
  ASSERT_EQ(store->list_items("op-000000000002").size(), 1U);
  EXPECT_EQ(store->list_items("op-000000000002")[0].outcome, ItemOutcome::pending);
  EXPECT_TRUE(store->list_items("op-000000000404").empty());
}

TEST_F(SqliteStateStoreTest, AuditRoundTripsAndFiltersBySince) {
  auto store = open_sqlite_state_store(m_path);
  store->append_audit({"2026-03-01T12:00:00Z", "bob", "numbers release", "number", "+12125550102",
                       R"({"status":"available"})", R"({"status":"released"})", ""});
  store->append_audit({"2026-02-01T12:00:00Z", "alice", "numbers buy", "number", "+12125550101", "",
                       R"({"status":"available"})", ""});
  store->append_audit({"", "carol", "webhooks set", "number", "+12125550101", "", "", ""});

  auto all = store->list_audit({});
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].actor, "alice");
  EXPECT_EQ(all[0].command, "numbers buy");
  EXPECT_EQ(all[0].entity_type, "number");
  EXPECT_EQ(all[0].entity_id, "+12125550101");
  EXPECT_EQ(all[0].before_json, "");
  EXPECT_EQ(all[0].after_json, R"({"status":"available"})");
  EXPECT_EQ(all[1].actor, "bob");
  EXPECT_EQ(all[1].before_json, R"({"status":"available"})");
  EXPECT_EQ(all[2].actor, "carol"); // Stamped now, after the 2026 entries above.
  EXPECT_EQ(all[2].at.size(), std::string("2026-03-01T12:00:00Z").size());
  EXPECT_EQ(all[2].at.back(), 'Z');

  auto since = store->list_audit({.since = "2026-03-01T12:00:00Z", .tenant_slug = "", .limit = 0});
  ASSERT_EQ(since.size(), 2U);
  EXPECT_EQ(since[0].actor, "bob");
}

TEST_F(SqliteStateStoreTest, AuditFiltersByTenantAndKeepsTheNewestWithinALimit) {
  auto store = open_sqlite_state_store(m_path);
  // Two entries share a time stamp; the one appended later is the newer.
  store->append_audit({"2026-02-01T12:00:00Z", "alice", "tenants create", "tenant", "acme", "",
                       R"({"slug":"acme"})", "acme"});
  store->append_audit(
      {"2026-02-02T12:00:00Z", "bob", "tenants create", "tenant", "globex", "", "", "globex"});
  store->append_audit({"2026-02-03T12:00:00Z", "carol", "numbers assign", "number", "+12125550101",
                       "", "", "acme"});
  store->append_audit(
      {"2026-02-03T12:00:00Z", "dave", "numbers assign", "number", "+12125550102", "", "", "acme"});
  store->append_audit(
      {"2026-02-04T12:00:00Z", "erin", "numbers buy", "number", "+12125550103", "", "", ""});

  auto actors = [](const std::vector<AuditEntry>& entries) {
    std::vector<std::string> result;
    for (const auto& entry : entries) {
      result.push_back(entry.actor);
    }
    return result;
  };
  auto acme = store->list_audit({.since = "", .tenant_slug = "acme", .limit = 0});
  EXPECT_THAT(actors(acme), ElementsAre("alice", "carol", "dave"));
  EXPECT_EQ(acme[0].tenant_slug, "acme");
  EXPECT_EQ(acme[0].after_json, R"({"slug":"acme"})");

  EXPECT_THAT(actors(store->list_audit({.since = "", .tenant_slug = "", .limit = 2})),
              ElementsAre("dave", "erin"));
  EXPECT_THAT(actors(store->list_audit({.since = "", .tenant_slug = "acme", .limit = 2})),
              ElementsAre("carol", "dave"));
  EXPECT_THAT(actors(store->list_audit(
                  {.since = "2026-02-03T12:00:00Z", .tenant_slug = "acme", .limit = 1})),
              ElementsAre("dave"));
  EXPECT_THAT(actors(store->list_audit({.since = "", .tenant_slug = "", .limit = 50})),
              ElementsAre("alice", "bob", "carol", "dave", "erin"));
  EXPECT_TRUE(store->list_audit({.since = "", .tenant_slug = "initech", .limit = 0}).empty());
}

// --- concurrency ---------------------------------------------------------------------------

TEST_F(SqliteStateStoreTest, ConcurrentReleasesOfOneNumberHaveExactlyOneWinner) {
  constexpr int k_numbers = 20;
  std::vector<std::string> numbers;
  {
    auto store = open_sqlite_state_store(m_path);
    store->create_operation(operation("op-000000000001"));
    for (int i = 0; i < k_numbers; ++i) {
      numbers.push_back("+1212555" + std::to_string(1000 + i));
      add_available(*store, numbers.back(), "PN" + std::to_string(i), "op-000000000001");
    }
  }
  // Each racer has its own store, that is its own connection, as two processes would.
  auto first = open_sqlite_state_store(m_path);
  auto second = open_sqlite_state_store(m_path);
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::array<std::string, 2> unexpected;
  auto race = [&](StateStore& store, std::latch& start, std::string& failure) {
    start.arrive_and_wait();
    for (const auto& e164 : numbers) {
      try {
        (void)store.begin_release(e164);
        ++wins;
      } catch (const Error& error) {
        if (error.kind() == ErrorKind::conflict) {
          ++conflicts;
        } else {
          failure += std::string(to_string(error.kind())) + ": " + error.what() + "\n";
        }
      }
    }
  };
  std::latch start(2);
  std::thread one([&] { race(*first, start, unexpected[0]); });
  std::thread two([&] { race(*second, start, unexpected[1]); });
  one.join();
  two.join();

  EXPECT_EQ(unexpected[0], "");
  EXPECT_EQ(unexpected[1], "");
  EXPECT_EQ(wins.load(), k_numbers);
  EXPECT_EQ(conflicts.load(), k_numbers);
  NumberFilter releasing;
  releasing.status = NumberStatus::releasing;
  EXPECT_EQ(first->list_numbers(releasing).size(), static_cast<std::size_t>(k_numbers));
}

// --- reconcile -----------------------------------------------------------------------------

AdoptedNumber adopted(const std::string& e164, const std::string& sid) {
  AdoptedNumber number;
  number.e164 = e164;
  number.provider_sid = sid;
  number.country = "US";
  number.locality = "New York";
  number.region = "NY";
  number.friendly_name = "vami:default:op-00000000000f";
  number.webhook = {"https://hooks.example.com/voice", "post", ""};
  number.monthly_price = Money{1'150'000, "USD"};
  return number;
}

TEST_F(SqliteStateStoreTest, AdoptInsertsAnAvailableRowOrReusesAReleasedOne) {
  auto store = open_sqlite_state_store(m_path);
  auto row = store->adopt_number(adopted("+12125550101", "PN01"));
  EXPECT_EQ(row.status, NumberStatus::available);
  EXPECT_EQ(row.provider_sid, "PN01");
  EXPECT_EQ(row.provider, "twilio");
  EXPECT_EQ(row.region, "NY");
  EXPECT_EQ(row.friendly_name, "vami:default:op-00000000000f");
  EXPECT_EQ(row.webhook.voice_method, "POST");
  EXPECT_EQ(row.operation_id, "");
  ASSERT_TRUE(row.monthly_price);
  EXPECT_EQ(row.monthly_price->micros, 1'150'000);
  EXPECT_TRUE(raw().execAndGet("SELECT operation_id FROM numbers").isNull());

  // The pool holds it now; another row cannot take its SID; the operation must exist.
  expect_error(ErrorKind::conflict,
               [&] { (void)store->adopt_number(adopted("+12125550101", "PN09")); });
  expect_error(ErrorKind::conflict,
               [&] { (void)store->adopt_number(adopted("+12125550102", "PN01")); });
  auto with_operation = adopted("+12125550103", "PN03");
  with_operation.operation_id = "op-00000000000f";
  expect_error(ErrorKind::not_found, [&] { (void)store->adopt_number(with_operation); });
  store->create_operation(operation("op-00000000000f"));
  EXPECT_EQ(store->adopt_number(with_operation).operation_id, "op-00000000000f");

  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550104", "PN04", "op-000000000001");
  (void)store->begin_release("+12125550104");
  store->complete_release("+12125550104");
  auto again = store->adopt_number(adopted("+12125550104", "PN05"));
  EXPECT_EQ(again.status, NumberStatus::available);
  EXPECT_EQ(again.provider_sid, "PN05");
  EXPECT_EQ(again.operation_id, "");
  EXPECT_EQ(raw().execAndGet("SELECT count(*) FROM numbers WHERE e164 = '+12125550104'").getInt(),
            1);
  EXPECT_TRUE(
      raw().execAndGet("SELECT released_at FROM numbers WHERE e164 = '+12125550104'").isNull());
}

TEST_F(SqliteStateStoreTest, MarkReleasedDropsProviderIdsAndAssignmentOnlyAsRead) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  assign_raw("+12125550102");
  store->insert_purchase_intent(intent("+12125550103", "op-000000000001"));

  // Another SID means the row is not what the caller read.
  expect_error(ErrorKind::conflict, [&] { (void)store->mark_released("+12125550101", "PN99"); });
  expect_error(ErrorKind::conflict, [&] { (void)store->mark_released("+12125550103", ""); });
  expect_error(ErrorKind::not_found, [&] { (void)store->mark_released("+12125550109", "PN09"); });

  auto before = store->mark_released("+12125550101", "PN01");
  EXPECT_EQ(before.status, NumberStatus::available);
  EXPECT_EQ(before.provider_sid, "PN01");
  auto released = store->find_number("+12125550101");
  EXPECT_EQ(released->status, NumberStatus::released);
  EXPECT_EQ(released->provider_sid, "");
  EXPECT_EQ(released->webhook.voice_url, "");
  ASSERT_TRUE(released->monthly_price); // kept as history
  expect_error(ErrorKind::not_found, [&] { (void)store->mark_released("+12125550101", ""); });

  auto assigned = store->mark_released("+12125550102", "PN02");
  EXPECT_EQ(assigned.status, NumberStatus::assigned);
  EXPECT_EQ(assigned.agent_slug, "front-desk");
  auto unassigned = store->find_number("+12125550102");
  EXPECT_EQ(unassigned->status, NumberStatus::released);
  EXPECT_EQ(unassigned->agent_slug, "");
  EXPECT_EQ(unassigned->tenant_slug, "");
}

TEST_F(SqliteStateStoreTest, RecordProviderViewIsConditionalOnTheRowAsRead) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  const auto read = store->find_number("+12125550101");
  auto provider = owned("+12125550101", "PN11");
  provider.webhook = {"https://console.example.com/voice", "GET", ""};

  expect_error(ErrorKind::conflict, [&] {
    (void)store->record_provider_view("+12125550101", "PN01",
                                      {"https://stale.example.com", "POST", ""}, provider);
  });
  expect_error(ErrorKind::conflict, [&] {
    (void)store->record_provider_view("+12125550101", "PN09", read->webhook, provider);
  });
  expect_error(ErrorKind::conflict, [&] {
    (void)store->record_provider_view("+12125550101", "PN01", read->webhook,
                                      owned("+12125550101", "PN02"));
  });
  expect_error(ErrorKind::not_found,
               [&] { (void)store->record_provider_view("+12125550109", "PN09", {}, provider); });
  EXPECT_EQ(store->find_number("+12125550101")->provider_sid, "PN01");

  auto after = store->record_provider_view("+12125550101", "PN01", read->webhook, provider);
  EXPECT_EQ(after.provider_sid, "PN11");
  EXPECT_EQ(after.webhook, provider.webhook);
  EXPECT_EQ(after.status, NumberStatus::available);

  (void)store->begin_release("+12125550102");
  const auto releasing = store->find_number("+12125550102");
  expect_error(ErrorKind::conflict, [&] {
    (void)store->record_provider_view("+12125550102", "PN02", releasing->webhook,
                                      owned("+12125550102", "PN02"));
  });
}

TEST_F(SqliteStateStoreTest, ItemsOfANumberSpanOperationsInRecordingOrder) {
  auto store = open_sqlite_state_store(m_path);
  store->create_operation(operation("op-000000000001"));
  store->create_operation(operation("op-000000000002", OperationKind::release));
  store->create_operation(operation("op-000000000003", OperationKind::reconcile));
  store->record_item({"op-000000000002", "+12125550101", ItemOutcome::uncertain, "", "lost"});
  store->record_item({"op-000000000001", "+12125550101", ItemOutcome::succeeded, "", ""});
  store->record_item({"op-000000000001", "+12125550102", ItemOutcome::succeeded, "", ""});
  auto items = store->list_items_of_number("+12125550101");
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].operation_id, "op-000000000002");
  EXPECT_EQ(items[0].outcome, ItemOutcome::uncertain);
  EXPECT_EQ(items[0].error_message, "lost");
  EXPECT_EQ(items[1].operation_id, "op-000000000001");
  EXPECT_TRUE(store->list_items_of_number("+12125550109").empty());
  EXPECT_EQ(store->find_operation("op-000000000003")->kind, OperationKind::reconcile);
  EXPECT_EQ(
      raw().execAndGet("SELECT kind FROM operations WHERE id = 'op-000000000003'").getString(),
      "reconcile");
}

TEST(StateStoreNames, EnumsHaveStableNames) {
  EXPECT_STREQ(to_string(OperationKind::buy), "buy");
  EXPECT_STREQ(to_string(OperationKind::release), "release");
  EXPECT_STREQ(to_string(OperationKind::webhook), "webhook");
  EXPECT_STREQ(to_string(OperationKind::suspend), "suspend");
  EXPECT_STREQ(to_string(OperationKind::resume), "resume");
  EXPECT_STREQ(to_string(OperationStatus::running), "running");
  EXPECT_STREQ(to_string(OperationStatus::completed), "completed");
  EXPECT_STREQ(to_string(OperationStatus::partial), "partial");
  EXPECT_STREQ(to_string(OperationStatus::failed), "failed");
  EXPECT_STREQ(to_string(OperationStatus::interrupted), "interrupted");
  EXPECT_STREQ(to_string(ItemOutcome::pending), "pending");
  EXPECT_STREQ(to_string(ItemOutcome::succeeded), "succeeded");
  EXPECT_STREQ(to_string(ItemOutcome::failed), "failed");
  EXPECT_STREQ(to_string(ItemOutcome::uncertain), "uncertain");
}

} // namespace
} // namespace vami
