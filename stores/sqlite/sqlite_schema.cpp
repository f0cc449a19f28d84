// The SQLite state store: its schema, the migrations between versions, and the checks that a
// file is vami's before anything is written to it.

#include <array>
#include <chrono>
#include <thread>

#include "sqlite_call_history.hpp"
#include "sqlite_conflicts.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_state_store.hpp"
#include <sqlite3.h>

#include <vami/stores/sqlite_state_store.hpp>

namespace vami::sqlite_store {

namespace {

/// One step of the schema. Steps are applied in order, each in its own transaction together
/// with the `user_version` it leads to, so a crash leaves the database at a whole version.
struct Migration {
  int version;
  const char* sql;
  /// Whether the step rebuilds a table that others reference (SQLite cannot change a CHECK
  /// constraint in place): it then runs with foreign keys off, checked before it commits.
  bool rebuilds_tables = false;
};

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

// v2: audit entries remember the tenant they concern, as a slug rather than a foreign key so
// that the trail outlives the tenant. The index leads with the slug and serves the per-tenant
// listing in time order.
constexpr const char* k_schema_v2 = R"sql(
ALTER TABLE audit_entries ADD COLUMN tenant_slug TEXT;
CREATE INDEX audit_entries_tenant_slug_at ON audit_entries(tenant_slug, at);
)sql";

// v3: who is changing a number's routing right now, and which process runs an operation, so
// that a second process waits for the first to reach the providers (DESIGN.md section 3).
constexpr const char* k_schema_v3 = R"sql(
ALTER TABLE numbers ADD COLUMN routing_holder TEXT;
ALTER TABLE numbers ADD COLUMN routing_since TEXT;
ALTER TABLE operations ADD COLUMN holder TEXT;
CREATE INDEX numbers_operation_id ON numbers(operation_id);
)sql";

// v4: a knowledge-base upload is recorded before it is sent (`uploading`, with the name it is
// uploaded under), so that an upload whose answer is lost is found again (issue 10, item 8).
constexpr const char* k_schema_v4 = R"sql(
ALTER TABLE documents ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
  CHECK (status IN ('uploading', 'active'));
ALTER TABLE documents ADD COLUMN upload_name TEXT;
ALTER TABLE documents ADD COLUMN holder TEXT;
CREATE UNIQUE INDEX documents_upload_name ON documents(upload_name);
)sql";

// v5: the call history (issue 11), its schema and statements in sqlite_call_history.cpp.
// v6: suspension. A suspended number keeps its tenant, routing mode and import, and remembers
// what it was before (status, agent, voice webhook) so that a resume restores exactly that; the
// journal learns the `suspend` and `resume` kinds (a CHECK, so the table is rebuilt).
constexpr const char* k_schema_v6 = R"sql(
CREATE TABLE operations_v6 (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('buy', 'release', 'webhook', 'assign', 'unassign',
                                     'reassign', 'reconcile', 'onboard', 'suspend', 'resume')),
  status TEXT NOT NULL
    CHECK (status IN ('running', 'completed', 'partial', 'failed', 'interrupted')),
  requested_count INTEGER NOT NULL CHECK (requested_count >= 0),
  parameters TEXT NOT NULL DEFAULT '{}',
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  holder TEXT
);
INSERT INTO operations_v6 (id, kind, status, requested_count, parameters, actor, created_at,
                           finished_at, holder)
  SELECT id, kind, status, requested_count, parameters, actor, created_at, finished_at, holder
  FROM operations;
DROP TABLE operations;
ALTER TABLE operations_v6 RENAME TO operations;

ALTER TABLE numbers ADD COLUMN suspended_from TEXT
  CHECK (suspended_from IN ('available', 'assigned') OR suspended_from IS NULL);
ALTER TABLE numbers ADD COLUMN suspended_agent_id INTEGER REFERENCES agents(id);
ALTER TABLE numbers ADD COLUMN suspended_voice_url TEXT;
ALTER TABLE numbers ADD COLUMN suspended_voice_method TEXT
  CHECK (suspended_voice_method IN ('GET', 'POST') OR suspended_voice_method IS NULL);
ALTER TABLE numbers ADD COLUMN suspended_status_callback TEXT;
ALTER TABLE numbers ADD COLUMN suspension_message TEXT;
ALTER TABLE numbers ADD COLUMN suspended_at TEXT;
CREATE INDEX numbers_suspended_agent_id ON numbers(suspended_agent_id);
)sql";

/// Version 7: what to bill each tenant (`vami tenants update --rate-number/--rate-minute`, used
/// by `vami usage` without rates on its command line): per number-month and per billed minute,
/// in integer micros of `rate_currency`; NULL: no rate stored. Existing tenants get none.
constexpr const char* k_schema_v7 = R"sql(
ALTER TABLE tenants ADD COLUMN rate_number_micros INTEGER
  CHECK (rate_number_micros >= 0 OR rate_number_micros IS NULL);
ALTER TABLE tenants ADD COLUMN rate_minute_micros INTEGER
  CHECK (rate_minute_micros >= 0 OR rate_minute_micros IS NULL);
ALTER TABLE tenants ADD COLUMN rate_currency TEXT NOT NULL DEFAULT 'USD'
  CHECK (length(rate_currency) = 3 AND rate_currency GLOB '[A-Z][A-Z][A-Z]');
)sql";

/// Version 8: stream agents (issue 12), reached at the platform's own orchestrator over Twilio
/// Media Streams: the orchestrator's WebSocket URL, and the parameters passed with each call as
/// a JSON array of `{"name", "value"}` objects, in order (`stream_parameters_text`). Other
/// agents have neither.
constexpr const char* k_schema_v8 = R"sql(
ALTER TABLE agents ADD COLUMN stream_url TEXT
  CHECK (stream_url IS NULL OR stream_url GLOB 'wss://?*' OR stream_url GLOB 'ws://?*');
ALTER TABLE agents ADD COLUMN stream_parameters TEXT NOT NULL DEFAULT '[]';
)sql";

/// Version 9: tenants on their own accounts (issue 12 item 5): the NAME of the profile holding
/// the tenant's voice-agent provider credentials (never a credential); NULL: the platform's.
constexpr const char* k_schema_v9 = R"sql(
ALTER TABLE tenants ADD COLUMN account_profile TEXT
  CHECK (account_profile IS NULL OR (length(account_profile) BETWEEN 1 AND 32
         AND account_profile GLOB '[a-z0-9]*' AND account_profile NOT GLOB '*[^a-z0-9_-]*'));
)sql";

constexpr std::array<Migration, 9> k_migrations{{
    {1, k_schema_v1},
    {2, k_schema_v2},
    {3, k_schema_v3},
    {4, k_schema_v4},
    {5, sqlite_calls::k_schema},
    {6, k_schema_v6, true},
    {7, k_schema_v7},
    {8, k_schema_v8},
    {9, k_schema_v9},
}};

/// Turns foreign keys off for the life of a table-rebuilding migration step (the pragma is a
/// no-op inside a transaction, so it brackets the step's transaction) and back on after.
class ForeignKeysOff {
public:
  ForeignKeysOff(SQLite::Database& db, bool off) : m_db(db), m_off(off) {
    if (m_off) {
      m_db.exec("PRAGMA foreign_keys = OFF");
    }
  }
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;
  ~ForeignKeysOff() {
    if (m_off) {
      (void)m_db.tryExec("PRAGMA foreign_keys = ON");
    }
  }

private:
  SQLite::Database& m_db;
  bool m_off;
};

} // namespace

void SqliteStateStore::check_identity() {
  // One statement, so one snapshot: read separately, the header and the table list could
  // straddle another process's first migration and make a new vami file look foreign.
  int application_id = 0;
  int user_version = 0;
  int user_tables = 0;
  try {
    SQLite::Statement query(m_db, "SELECT (SELECT application_id FROM pragma_application_id), "
                                  "(SELECT user_version FROM pragma_user_version), "
                                  "(SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                  "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\')");
    query.executeStep();
    application_id = query.getColumn(0).getInt();
    user_version = query.getColumn(1).getInt();
    user_tables = query.getColumn(2).getInt();
  } catch (const SQLite::Exception& error) {
    if (primary_code(error) == SQLITE_NOTADB) {
      throw Error(ErrorKind::invalid_input,
                  m_path + " is not a vami state database: it is not a SQLite database, or "
                           "its header is damaged",
                  "if it held your pool, restore it from a backup and run 'vami reconcile "
                  "--apply'; otherwise " +
                      std::string(k_db_hint));
    }
    throw;
  }
  const bool new_file = application_id == 0 && user_tables == 0;
  if (application_id != k_application_id && !new_file) {
    throw Error(ErrorKind::invalid_input, m_path + " is not a vami state database", k_db_hint);
  }
  check_not_newer(user_version);
}

void SqliteStateStore::check_not_newer(int version) const {
  if (version > current_schema_version()) {
    throw Error(ErrorKind::invalid_input,
                "the state database " + m_path + " was written by a newer vami (schema " +
                    std::to_string(version) + ", this vami knows up to " +
                    std::to_string(current_schema_version()) + ")",
                "upgrade vami");
  }
}

void SqliteStateStore::configure_connection() {
  // Changing the journal mode of a new file needs a lock that SQLite does not always wait
  // for; when several processes create the database at once, one of them retries here.
  constexpr auto k_retry_pause = std::chrono::milliseconds(50);
  constexpr int k_attempts = k_busy_timeout_ms / 50;
  std::string mode;
  for (int attempt = 1;; ++attempt) {
    try {
      mode = m_db.execAndGet("PRAGMA journal_mode = WAL").getString();
      break;
    } catch (const SQLite::Exception& error) {
      const int code = primary_code(error);
      if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || attempt >= k_attempts) {
        throw;
      }
      std::this_thread::sleep_for(k_retry_pause);
    }
  }
  if (mode != "wal") {
    throw Error(ErrorKind::storage,
                "cannot switch the state database " + m_path +
                    " to WAL mode (SQLite kept journal mode '" + mode + "')",
                "keep the state database on a local file system");
  }
  m_db.exec("PRAGMA synchronous = NORMAL");
  m_db.exec("PRAGMA foreign_keys = ON");
}

void SqliteStateStore::migrate() {
  int version = read_user_version();
  for (const auto& migration : k_migrations) {
    if (migration.version <= version) {
      continue;
    }
    ForeignKeysOff foreign_keys(m_db, migration.rebuilds_tables);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    // Another process may have migrated while this one waited for the write lock.
    version = read_user_version();
    check_not_newer(version);
    if (migration.version <= version) {
      transaction.commit();
      continue;
    }
    m_db.exec(migration.sql);
    if (migration.rebuilds_tables) {
      SQLite::Statement broken(m_db, "PRAGMA foreign_key_check");
      if (broken.executeStep()) {
        throw Error(ErrorKind::storage,
                    "cannot upgrade the state database " + m_path + " to schema " +
                        std::to_string(migration.version) + ": table " +
                        column_text(broken.getColumn(0)) + " refers to rows that do not exist",
                    "run 'PRAGMA foreign_key_check' on a copy of it with sqlite3, or restore "
                    "a backup");
      }
    }
    m_db.exec("PRAGMA application_id = " + std::to_string(k_application_id));
    m_db.exec("PRAGMA user_version = " + std::to_string(migration.version));
    transaction.commit();
    version = migration.version;
  }
}

} // namespace vami::sqlite_store

namespace vami {

int current_schema_version() noexcept {
  return sqlite_store::k_migrations.back().version;
}

} // namespace vami
