#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "disk_full.hpp"
#include "permissions_enforced.hpp"
#include "store_rows.hpp"
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

using testing::add_available;
using testing::expect_error;
using testing::intent;
using testing::operation;
using testing::owned;

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
  EXPECT_EQ(current_schema_version(), 9);
  auto acme = store->find_tenant("acme");
  ASSERT_TRUE(acme);
  EXPECT_FALSE(acme->rates.any()); // v7: no rates stored
  EXPECT_EQ(acme->rates.currency, "USD");
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

TEST_F(SqliteStateStoreTest, SchemaV8DatabaseGainsAccountProfilesAndItsTenantsHaveNone) {
  {
    auto store = open_sqlite_state_store(m_path);
    Tenant acme;
    acme.slug = "acme";
    acme.name = "Acme Dental";
    (void)store->create_tenant(acme);
  }
  {
    // Back to version 8 as vami shipped it: the tenants table without the v9 column.
    auto db = raw();
    db.exec("ALTER TABLE tenants DROP COLUMN account_profile; PRAGMA user_version = 8");
  }
  auto store = open_sqlite_state_store(m_path);
  EXPECT_EQ(store->schema_version(), 9);
  auto acme = store->find_tenant("acme");
  ASSERT_TRUE(acme);
  EXPECT_EQ(acme->account_profile, ""); // the platform's accounts
  TenantChange own;
  own.account_profile = "acme-own";
  EXPECT_EQ(store->update_tenant("acme", own).account_profile, "acme-own");
  // The schema refuses what is no profile name.
  auto db = raw();
  EXPECT_THROW(db.exec("UPDATE tenants SET account_profile = 'Acme Own'"), SQLite::Exception);
  EXPECT_THROW(db.exec("UPDATE tenants SET account_profile = ''"), SQLite::Exception);
}

TEST_F(SqliteStateStoreTest, SchemaV7DatabaseGainsStreamSettingsAndItsAgentsHaveNone) {
  {
    auto store = open_sqlite_state_store(m_path);
    Tenant acme;
    acme.slug = "acme";
    acme.name = "Acme Dental";
    (void)store->create_tenant(acme);
    Agent desk;
    desk.slug = "desk";
    desk.tenant_slug = "acme";
    desk.name = "Front Desk";
    desk.provider_agent_id = "agent_01";
    (void)store->insert_agent(desk);
  }
  {
    // Back to version 7 as vami shipped it: the agents table without the v8 columns (and the
    // tenants table without v9's).
    auto db = raw();
    db.exec("ALTER TABLE tenants DROP COLUMN account_profile; "
            "ALTER TABLE agents DROP COLUMN stream_parameters; "
            "ALTER TABLE agents DROP COLUMN stream_url; PRAGMA user_version = 7");
  }
  auto store = open_sqlite_state_store(m_path);
  EXPECT_EQ(store->schema_version(), current_schema_version());
  auto desk = store->find_agent("desk");
  ASSERT_TRUE(desk);
  EXPECT_EQ(desk->provider, "elevenlabs");
  EXPECT_TRUE(desk->stream_url.empty());
  EXPECT_TRUE(desk->stream_parameters.empty());
  // The schema refuses a stream URL that is no WebSocket URL.
  auto db = raw();
  EXPECT_THROW(db.exec("UPDATE agents SET stream_url = 'https://orchestrator.example.com'"),
               SQLite::Exception);
}

TEST_F(SqliteStateStoreTest, SchemaV6DatabaseGainsTenantRatesAsIntegerMicros) {
  {
    auto store = open_sqlite_state_store(m_path);
    Tenant acme;
    acme.slug = "acme";
    acme.name = "Acme Dental";
    (void)store->create_tenant(acme);
  }
  {
    // Back to version 6 as vami shipped it: the tenants table without the v7 columns (and the
    // agents table without v8's).
    auto db = raw();
    db.exec("ALTER TABLE tenants DROP COLUMN account_profile; "
            "ALTER TABLE agents DROP COLUMN stream_parameters; "
            "ALTER TABLE agents DROP COLUMN stream_url; "
            "ALTER TABLE tenants DROP COLUMN rate_currency; "
            "ALTER TABLE tenants DROP COLUMN rate_minute_micros; "
            "ALTER TABLE tenants DROP COLUMN rate_number_micros; PRAGMA user_version = 6");
  }
  auto store = open_sqlite_state_store(m_path);
  EXPECT_EQ(store->schema_version(), current_schema_version());
  auto acme = store->find_tenant("acme");
  ASSERT_TRUE(acme);
  EXPECT_EQ(acme->name, "Acme Dental");
  EXPECT_FALSE(acme->rates.any());
  EXPECT_EQ(acme->rates.currency, "USD");

  TenantChange rates;
  rates.rate_number_micros = std::optional<std::int64_t>(2'500'000);
  rates.rate_minute_micros = std::optional<std::int64_t>(125'000);
  rates.rate_currency = "EUR";
  (void)store->update_tenant("acme", rates);
  auto db = raw();
  SQLite::Statement query(db, "SELECT rate_number_micros, typeof(rate_number_micros), "
                              "rate_minute_micros, typeof(rate_minute_micros), rate_currency "
                              "FROM tenants WHERE slug = 'acme'");
  ASSERT_TRUE(query.executeStep());
  EXPECT_EQ(query.getColumn(0).getInt64(), 2'500'000);
  EXPECT_EQ(query.getColumn(1).getString(), "integer");
  EXPECT_EQ(query.getColumn(2).getInt64(), 125'000);
  EXPECT_EQ(query.getColumn(3).getString(), "integer");
  EXPECT_EQ(query.getColumn(4).getString(), "EUR");
  // The schema refuses what vami never writes: a negative rate, a currency that is no code.
  EXPECT_THROW(db.exec("UPDATE tenants SET rate_minute_micros = -1"), SQLite::Exception);
  EXPECT_THROW(db.exec("UPDATE tenants SET rate_currency = 'usd'"), SQLite::Exception);
  store.reset();
  EXPECT_EQ(open_sqlite_state_store(m_path)->find_tenant("acme")->rates.minute_micros, 125'000);
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

// --- how SQLite stores values ----------------------------------------------------------

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
