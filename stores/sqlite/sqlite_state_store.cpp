// The SQLite state store (DESIGN.md section 3, rule 5).
//
// Concurrency model: many vami processes may share one database file, and one process may use
// one store from several threads. Across processes, SQLite's WAL mode lets readers run beside
// the one writer, and every read-then-write runs in a `BEGIN IMMEDIATE` transaction: the write
// lock is taken (waiting up to `busy_timeout`) before anything is read, so the decision and the
// write see the same rows and two processes can never both win. A deferred transaction would
// instead fail with SQLITE_BUSY, without waiting, when it tries to upgrade a stale read snapshot.
// Within a process, one mutex serialises the use of the single connection, because a SQLite
// transaction belongs to the connection, not to the thread.

#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "sqlite_call_history.hpp"
#include "sqlite_errors.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/process_holder.hpp>
#include <vami/core/state_store.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami {

namespace {

/// 'vami' in ASCII, stored in the database header so that vami never mistakes another
/// application's SQLite file for its own (and never migrates it).
constexpr int k_application_id = 0x76616D69;
constexpr int k_busy_timeout_ms = 10'000;

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

constexpr std::array<Migration, 6> k_migrations{{
    {1, k_schema_v1},
    {2, k_schema_v2},
    {3, k_schema_v3},
    {4, k_schema_v4},
    {5, sqlite_calls::k_schema},
    {6, k_schema_v6, true},
}};

/// A stored word this vami does not know. The CHECK constraints keep the columns to known
/// words, but a newer vami may know more of them than this one.
Error unknown_stored(std::string_view text, std::string_view what) {
  return Error(ErrorKind::storage,
               "the state database holds " + std::string(what) + " '" + std::string(text) +
                   "', which this vami does not know",
               "upgrade vami");
}

AgentStatus parse_stored_agent_status(std::string_view text) {
  if (std::optional<AgentStatus> status = parse_agent_status(text)) {
    return *status;
  }
  throw unknown_stored(text, "agent status");
}

/// The value a public parser (`parse_routing_mode`, ...) found in stored `text`.
template <typename Enum>
Enum stored_value(const std::optional<Enum>& parsed, std::string_view text, std::string_view what) {
  if (!parsed) {
    throw unknown_stored(text, what);
  }
  return *parsed;
}

std::string column_text(const SQLite::Column& column) {
  return column.isNull() ? std::string{} : column.getString();
}

/// Optional text is stored as NULL rather than "" so that UNIQUE columns (provider ids) do not
/// collide on "not set".
void bind_text_or_null(SQLite::Statement& statement, const char* name, const std::string& value) {
  if (value.empty()) {
    statement.bind(name);
  } else {
    statement.bind(name, value);
  }
}

void bind_text_or_null(SQLite::Statement& statement, int index, const std::string& value) {
  if (value.empty()) {
    statement.bind(index);
  } else {
    statement.bind(index, value);
  }
}

int primary_code(const SQLite::Exception& error) {
  return error.getErrorCode() & 0xFF;
}

constexpr const char* k_db_hint = "choose another path with --db or VAMI_DB";

/// The voice method as the schema stores it ("GET", "POST" or NULL for "not set").
std::string normalized_voice_method(const std::string& method) {
  std::string upper = method;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (!upper.empty() && upper != "GET" && upper != "POST") {
    throw Error(ErrorKind::invalid_input,
                "voice method '" + method + "' is not supported; use GET or POST");
  }
  return upper;
}

void check_money(const Money& money) {
  if (money.micros < 0 || money.currency.size() != 3) {
    throw Error(ErrorKind::invalid_input, "a monthly price needs a non-negative amount and a "
                                          "three-letter currency code, not " +
                                              std::to_string(money.micros) + " micros '" +
                                              money.currency + "'");
  }
}

constexpr const char* k_number_select = R"sql(
SELECT n.e164, n.status, n.provider, n.provider_sid, n.country, n.number_type, n.locality,
       n.region, n.monthly_price_micros, n.currency, n.friendly_name, n.voice_url, n.voice_method,
       n.status_callback, n.operation_id, t.slug, a.slug, n.created_at, n.updated_at,
       n.routing_mode, n.provider_agent_phone_id, n.routing_holder, n.routing_since,
       n.suspended_from, sa.slug, n.suspended_voice_url, n.suspended_voice_method,
       n.suspended_status_callback, n.suspension_message, n.suspended_at,
       n.released_at
FROM numbers AS n
LEFT JOIN tenants AS t ON t.id = n.tenant_id
LEFT JOIN agents AS a ON a.id = n.agent_id
LEFT JOIN agents AS sa ON sa.id = n.suspended_agent_id
)sql";

/// The assignments of an UPDATE of `numbers` that forget a number's suspension.
constexpr const char* k_no_suspension =
    "suspended_from = NULL, suspended_agent_id = NULL, suspended_voice_url = NULL, "
    "suspended_voice_method = NULL, suspended_status_callback = NULL, suspension_message = NULL, "
    "suspended_at = NULL";

// The last column is the operation's last sign of life (`Operation::active_at`): a running
// operation's `finished_at` is the time it was last resumed.
constexpr const char* k_operation_select =
    "SELECT id, kind, status, requested_count, parameters, actor, created_at, finished_at, holder, "
    "max(created_at, coalesce(finished_at, ''), coalesce((SELECT max(i.updated_at) FROM "
    "operation_items AS i WHERE i.operation_id = operations.id), '')) "
    "FROM operations ";

PoolNumber read_number(const SQLite::Statement& row) {
  PoolNumber number;
  number.e164 = column_text(row.getColumn(0));
  const auto status_text = column_text(row.getColumn(1));
  number.status = stored_value(parse_number_status(status_text), status_text, "number status");
  number.provider = column_text(row.getColumn(2));
  number.provider_sid = column_text(row.getColumn(3));
  number.country = column_text(row.getColumn(4));
  number.type = parse_number_type(column_text(row.getColumn(5))).value_or(NumberType::local);
  number.locality = column_text(row.getColumn(6));
  number.region = column_text(row.getColumn(7));
  if (!row.getColumn(8).isNull()) {
    number.monthly_price = Money{row.getColumn(8).getInt64(), column_text(row.getColumn(9))};
  }
  number.friendly_name = column_text(row.getColumn(10));
  number.webhook.voice_url = column_text(row.getColumn(11));
  number.webhook.voice_method = column_text(row.getColumn(12));
  number.webhook.status_callback = column_text(row.getColumn(13));
  number.operation_id = column_text(row.getColumn(14));
  number.tenant_slug = column_text(row.getColumn(15));
  number.agent_slug = column_text(row.getColumn(16));
  number.created_at = column_text(row.getColumn(17));
  number.updated_at = column_text(row.getColumn(18));
  if (!row.getColumn(19).isNull()) {
    const auto mode_text = column_text(row.getColumn(19));
    number.routing_mode = stored_value(parse_routing_mode(mode_text), mode_text, "routing mode");
  }
  number.agent_phone_number_id = column_text(row.getColumn(20));
  number.routing_holder = column_text(row.getColumn(21));
  number.routing_since = column_text(row.getColumn(22));
  if (number.status == NumberStatus::suspended) {
    Suspension suspension;
    const auto from_text = column_text(row.getColumn(23));
    suspension.previous_status = from_text.empty() ? NumberStatus::available
                                                   : stored_value(parse_number_status(from_text),
                                                                  from_text, "number status");
    suspension.agent_slug = column_text(row.getColumn(24));
    suspension.previous_webhook.voice_url = column_text(row.getColumn(25));
    suspension.previous_webhook.voice_method = column_text(row.getColumn(26));
    suspension.previous_webhook.status_callback = column_text(row.getColumn(27));
    suspension.message = column_text(row.getColumn(28));
    suspension.suspended_at = column_text(row.getColumn(29));
    number.suspension = std::move(suspension);
  }
  number.released_at = column_text(row.getColumn(30));
  return number;
}

constexpr const char* k_tenant_select =
    "SELECT slug, name, industry, contact_name, contact_email, created_at, updated_at "
    "FROM tenants ";

Tenant read_tenant(const SQLite::Statement& row) {
  Tenant tenant;
  tenant.slug = column_text(row.getColumn(0));
  tenant.name = column_text(row.getColumn(1));
  tenant.industry = column_text(row.getColumn(2));
  tenant.contact_name = column_text(row.getColumn(3));
  tenant.contact_email = column_text(row.getColumn(4));
  tenant.created_at = column_text(row.getColumn(5));
  tenant.updated_at = column_text(row.getColumn(6));
  return tenant;
}

constexpr const char* k_agent_select = R"sql(
SELECT a.slug, t.slug, a.name, a.provider, a.provider_agent_id, a.voice_id, a.language,
       a.personality, a.first_message, a.prompt, a.status, a.created_at, a.updated_at
FROM agents AS a
JOIN tenants AS t ON t.id = a.tenant_id
)sql";

Agent read_agent(const SQLite::Statement& row) {
  Agent agent;
  agent.slug = column_text(row.getColumn(0));
  agent.tenant_slug = column_text(row.getColumn(1));
  agent.name = column_text(row.getColumn(2));
  agent.provider = column_text(row.getColumn(3));
  agent.provider_agent_id = column_text(row.getColumn(4));
  agent.voice_id = column_text(row.getColumn(5));
  agent.language = column_text(row.getColumn(6));
  if (!row.getColumn(7).isNull()) {
    const auto personality_text = column_text(row.getColumn(7));
    agent.personality =
        stored_value(parse_personality(personality_text), personality_text, "personality");
  }
  agent.first_message = column_text(row.getColumn(8));
  agent.prompt = column_text(row.getColumn(9));
  agent.status = parse_stored_agent_status(column_text(row.getColumn(10)));
  agent.created_at = column_text(row.getColumn(11));
  agent.updated_at = column_text(row.getColumn(12));
  return agent;
}

constexpr const char* k_document_select = R"sql(
SELECT a.slug, d.provider_document_id, d.name, d.source_kind, d.source, d.mime_type,
       d.size_bytes, d.sha256, d.created_at, d.status, d.upload_name, d.holder
FROM documents AS d
JOIN agents AS a ON a.id = d.agent_id
)sql";

Document read_document(const SQLite::Statement& row) {
  Document document;
  document.agent_slug = column_text(row.getColumn(0));
  document.provider_document_id = column_text(row.getColumn(1));
  document.name = column_text(row.getColumn(2));
  const auto kind_text = column_text(row.getColumn(3));
  document.source_kind =
      stored_value(parse_document_source_kind(kind_text), kind_text, "document source kind");
  document.source = column_text(row.getColumn(4));
  document.mime_type = column_text(row.getColumn(5));
  document.size_bytes = row.getColumn(6).isNull() ? 0 : row.getColumn(6).getInt64();
  document.sha256 = column_text(row.getColumn(7));
  document.created_at = column_text(row.getColumn(8));
  const auto status_text = column_text(row.getColumn(9));
  document.status =
      stored_value(parse_document_status(status_text), status_text, "document status");
  document.upload_name = column_text(row.getColumn(10));
  document.holder = column_text(row.getColumn(11));
  return document;
}

constexpr const char* k_audit_columns =
    "at, actor, command, entity_type, entity_id, before_json, after_json, tenant_slug";

AuditEntry read_audit_entry(const SQLite::Statement& row) {
  AuditEntry entry;
  entry.at = column_text(row.getColumn(0));
  entry.actor = column_text(row.getColumn(1));
  entry.command = column_text(row.getColumn(2));
  entry.entity_type = column_text(row.getColumn(3));
  entry.entity_id = column_text(row.getColumn(4));
  entry.before_json = column_text(row.getColumn(5));
  entry.after_json = column_text(row.getColumn(6));
  entry.tenant_slug = column_text(row.getColumn(7));
  return entry;
}

Operation read_operation(const SQLite::Statement& row) {
  Operation operation;
  operation.id = column_text(row.getColumn(0));
  const auto kind_text = column_text(row.getColumn(1));
  operation.kind = stored_value(parse_operation_kind(kind_text), kind_text, "operation kind");
  const auto status_text = column_text(row.getColumn(2));
  operation.status =
      stored_value(parse_operation_status(status_text), status_text, "operation status");
  operation.requested_count = row.getColumn(3).getInt();
  operation.parameters = column_text(row.getColumn(4));
  operation.actor = column_text(row.getColumn(5));
  operation.created_at = column_text(row.getColumn(6));
  operation.finished_at = column_text(row.getColumn(7));
  operation.holder = column_text(row.getColumn(8));
  operation.active_at = column_text(row.getColumn(9));
  return operation;
}

/// An operation item from the columns operation_id, e164, outcome, error_code, error_message.
OperationItem read_item(const SQLite::Statement& row) {
  OperationItem item;
  item.operation_id = column_text(row.getColumn(0));
  item.e164 = column_text(row.getColumn(1));
  const auto outcome_text = column_text(row.getColumn(2));
  item.outcome = stored_value(parse_item_outcome(outcome_text), outcome_text, "item outcome");
  item.error_code = column_text(row.getColumn(3));
  item.error_message = column_text(row.getColumn(4));
  return item;
}

Error not_in_pool(const std::string& e164) {
  return Error(ErrorKind::not_found, e164 + " is not in the pool",
               "list the pool with 'vami numbers list'");
}

Error operation_not_found(const std::string& operation_id) {
  return Error(ErrorKind::not_found, "operation " + operation_id + " is not in the journal");
}

Error tenant_not_found(const std::string& slug) {
  return Error(ErrorKind::not_found, "tenant \"" + slug + "\" does not exist",
               "list the tenants with 'vami tenants list'");
}

Error agent_not_found(const std::string& slug) {
  return Error(ErrorKind::not_found, "agent \"" + slug + "\" does not exist",
               "list the agents with 'vami agents list'");
}

/// "+12125550101 is assigned to agent "dr-smith" (tenant acme)": the words every conflict over
/// an assigned number starts with, so that support staff see who holds it.
std::string held_by(const PoolNumber& number) {
  return number.e164 + " is assigned to agent \"" + number.agent_slug + "\" (tenant " +
         number.tenant_slug + ")";
}

/// "1 agent", "2 agents".
std::string count_of(std::int64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

/// Why a number that is not `available` cannot be assigned.
Error not_assignable(const PoolNumber& number) {
  switch (number.status) {
  case NumberStatus::assigned:
    return Error(ErrorKind::conflict, held_by(number),
                 "unassign it first or use 'vami numbers reassign'");
  case NumberStatus::purchasing:
    return Error(ErrorKind::conflict,
                 number.e164 + " is not available (status purchasing): an operation is buying it",
                 "run 'vami reconcile' if that operation died");
  case NumberStatus::releasing:
    return Error(ErrorKind::conflict,
                 number.e164 + " is not available (status releasing): an operation is releasing it",
                 "run 'vami reconcile' if that operation died");
  case NumberStatus::released:
    return not_in_pool(number.e164);
  case NumberStatus::suspended:
  case NumberStatus::available:
    break;
  }
  return Error(ErrorKind::conflict,
               number.e164 + " is not available (status " + to_string(number.status) + ")");
}

/// "pid 4242", or "a vami process on another host" when the holder names none.
std::string describe_holder(const std::string& holder) {
  const std::string pid = holder_pid(holder);
  return pid.empty() ? "another vami process" : "another vami process (pid " + pid + ")";
}

/// Why a number whose routing another process is changing cannot be changed now.
Error routing_in_flight(const PoolNumber& number) {
  std::string now = number.status == NumberStatus::assigned
                        ? held_by(number)
                        : number.e164 + " is " + to_string(number.status);
  return Error(ErrorKind::conflict,
               number.e164 + " is being changed by " + describe_holder(number.routing_holder) +
                   " since " + number.routing_since + " (" + now + " in the state database)",
               "try again when that command has finished");
}

/// Why a number is not, or no longer, assigned to `expected_agent_slug`.
Error not_held_by(const PoolNumber& number, const std::string& expected_agent_slug) {
  if (number.status == NumberStatus::assigned) {
    return Error(ErrorKind::conflict,
                 held_by(number) + ", not to agent \"" + expected_agent_slug + "\"");
  }
  return Error(ErrorKind::conflict, number.e164 + " is not assigned to agent \"" +
                                        expected_agent_slug + "\" (status " +
                                        to_string(number.status) + ")");
}

void check_area_code(const NumberFilter& filter) {
  for (const char c : filter.area_code) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      throw Error(ErrorKind::invalid_input,
                  "area code '" + filter.area_code + "' must be three digits");
    }
  }
}

/// The conditions of `filter` other than the status, appended to a query over
/// `k_number_select`; `bind_number_filter` binds their values.
void append_number_filter(std::string& sql, const NumberFilter& filter) {
  if (!filter.area_code.empty()) {
    // A range on e164 rather than LIKE: SQLite uses an index for LIKE only under
    // case-insensitive collation. E.164 holds digits only, so both select the same rows.
    sql += " AND n.e164 >= :prefix_low AND n.e164 < :prefix_high";
  }
  if (!filter.region.empty()) {
    sql += " AND n.region = :region";
  }
  if (!filter.tenant_slug.empty()) {
    sql += " AND t.slug = :tenant_slug";
  }
  if (!filter.agent_slug.empty()) {
    sql += " AND (a.slug = :agent_slug OR sa.slug = :agent_slug)";
  }
  if (!filter.locality.empty()) {
    // NOCASE folds ASCII letters only (SQLite folds no other case without ICU), so a locality
    // with other letters matches only as the provider spelled it.
    sql += " AND n.locality = :locality COLLATE NOCASE";
  }
  if (!filter.operation_id.empty()) {
    sql += " AND n.operation_id = :operation_id";
  }
}

void bind_number_filter(SQLite::Statement& query, const NumberFilter& filter) {
  if (!filter.area_code.empty()) {
    const std::string prefix = "+1" + filter.area_code;
    query.bind(":prefix_low", prefix);
    query.bind(":prefix_high", prefix + "\x7f");
  }
  if (!filter.region.empty()) {
    query.bind(":region", filter.region);
  }
  if (!filter.tenant_slug.empty()) {
    query.bind(":tenant_slug", filter.tenant_slug);
  }
  if (!filter.agent_slug.empty()) {
    query.bind(":agent_slug", filter.agent_slug);
  }
  if (!filter.locality.empty()) {
    query.bind(":locality", filter.locality);
  }
  if (!filter.operation_id.empty()) {
    query.bind(":operation_id", filter.operation_id);
  }
}

/// The filter in words ("area code 212, locality new york"), for "no available number in the
/// pool matches ..."; empty when it matches everything.
std::string describe(const NumberFilter& filter) {
  std::string words;
  auto add = [&](const std::string& name, const std::string& value) {
    if (!value.empty()) {
      words += (words.empty() ? "" : ", ") + name + " " + value;
    }
  };
  add("area code", filter.area_code);
  add("region", filter.region);
  add("locality", filter.locality);
  add("tenant", filter.tenant_slug);
  add("agent", filter.agent_slug);
  return words;
}

class SqliteStateStore final : public StateStore {
public:
  SqliteStateStore(const std::filesystem::path& path, std::string holder)
      : m_path(path.string()), m_holder(std::move(holder)), m_db(open_connection(m_path)) {
    try {
      check_identity();
      configure_connection();
      migrate();
    } catch (const SQLite::Exception& error) {
      throw storage_error("cannot set up the connection or the schema", error);
    }
  }

  int schema_version() override {
    return guarded("cannot read the schema version", [&] { return read_user_version(); });
  }

  std::string location() const override { return m_path; }

  // --- operations journal -----------------------------------------------------------------

  void create_operation(const Operation& operation) override {
    guarded("cannot record operation " + operation.id, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement exists(m_db, "SELECT 1 FROM operations WHERE id = ?");
      exists.bind(1, operation.id);
      if (exists.executeStep()) {
        throw Error(ErrorKind::conflict, "operation " + operation.id + " already exists");
      }
      SQLite::Statement insert(
          m_db, "INSERT INTO operations (id, kind, status, requested_count, parameters, actor, "
                "created_at, finished_at, holder) VALUES (:id, :kind, :status, :requested_count, "
                ":parameters, :actor, :created_at, :finished_at, :holder)");
      insert.bind(":id", operation.id);
      insert.bind(":kind", to_string(operation.kind));
      insert.bind(":status", to_string(operation.status));
      insert.bind(":requested_count", operation.requested_count);
      insert.bind(":parameters", operation.parameters.empty() ? "{}" : operation.parameters);
      insert.bind(":actor", operation.actor);
      insert.bind(":created_at",
                  operation.created_at.empty() ? utc_now_iso8601() : operation.created_at);
      bind_text_or_null(insert, ":finished_at", operation.finished_at);
      insert.bind(":holder", m_holder);
      insert.exec();
      transaction.commit();
    });
  }

  void finish_operation(const std::string& operation_id, OperationStatus status) override {
    guarded("cannot finish operation " + operation_id, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement update(m_db,
                               "UPDATE operations SET status = ?, finished_at = ? WHERE id = ?");
      update.bind(1, to_string(status));
      update.bind(2, utc_now_iso8601());
      update.bind(3, operation_id);
      if (update.exec() == 0) {
        throw operation_not_found(operation_id);
      }
      transaction.commit();
    });
  }

  void claim_operation(const std::string& operation_id) override {
    guarded("cannot claim operation " + operation_id, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement query(m_db, std::string(k_operation_select) + "WHERE id = ?");
      query.bind(1, operation_id);
      if (!query.executeStep()) {
        throw operation_not_found(operation_id);
      }
      const Operation operation = read_operation(query);
      query.reset();
      // Whatever its status says: a finished operation's holder may be resuming it right now.
      if (!operation.holder.empty() && operation.holder != m_holder &&
          holder_still_working(operation.holder, operation.active_at)) {
        throw Error(ErrorKind::conflict,
                    "operation " + operation_id + " is still running in " +
                        describe_holder(operation.holder),
                    "wait for it to finish, or stop it (Ctrl-C) and resume it then");
      }
      SQLite::Statement update(m_db, "UPDATE operations SET holder = ? WHERE id = ?");
      update.bind(1, m_holder);
      update.bind(2, operation_id);
      update.exec();
      transaction.commit();
    });
  }

  std::optional<Operation> find_operation(const std::string& operation_id) override {
    return guarded("cannot read operation " + operation_id, [&]() -> std::optional<Operation> {
      SQLite::Statement query(m_db, std::string(k_operation_select) + "WHERE id = ?");
      query.bind(1, operation_id);
      if (!query.executeStep()) {
        return std::nullopt;
      }
      return read_operation(query);
    });
  }

  std::vector<Operation> list_operations(int limit) override {
    return guarded("cannot list operations", [&] {
      SQLite::Statement query(m_db, std::string(k_operation_select) +
                                        "ORDER BY created_at DESC, rowid DESC LIMIT ?");
      query.bind(1, limit > 0 ? limit : -1); // SQLite reads a negative LIMIT as "no limit".
      std::vector<Operation> operations;
      while (query.executeStep()) {
        operations.push_back(read_operation(query));
      }
      return operations;
    });
  }

  void record_item(const OperationItem& item) override {
    guarded("cannot record " + item.e164 + " in operation " + item.operation_id, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      // The upsert keeps the row id, so list_items keeps the order of first recording.
      Prepared upsert = prepared(
          "INSERT INTO operation_items (operation_id, e164, outcome, error_code, "
          "error_message, updated_at) VALUES (:operation_id, :e164, :outcome, :error_code, "
          ":error_message, :updated_at) ON CONFLICT (operation_id, e164) DO UPDATE SET "
          "outcome = excluded.outcome, error_code = excluded.error_code, "
          "error_message = excluded.error_message, updated_at = excluded.updated_at");
      upsert->bind(":operation_id", item.operation_id);
      upsert->bind(":e164", item.e164);
      upsert->bind(":outcome", to_string(item.outcome));
      bind_text_or_null(*upsert, ":error_code", item.error_code);
      bind_text_or_null(*upsert, ":error_message", item.error_message);
      upsert->bind(":updated_at", utc_now_iso8601());
      execute_with_operation(*upsert, item.operation_id);
      transaction.commit();
    });
  }

  std::vector<OperationItem> list_items(const std::string& operation_id) override {
    return guarded("cannot list the items of operation " + operation_id, [&] {
      SQLite::Statement query(m_db, "SELECT operation_id, e164, outcome, error_code, error_message "
                                    "FROM operation_items WHERE operation_id = ? ORDER BY id");
      query.bind(1, operation_id);
      std::vector<OperationItem> items;
      while (query.executeStep()) {
        items.push_back(read_item(query));
      }
      return items;
    });
  }

  // --- numbers ----------------------------------------------------------------------------

  void insert_purchase_intent(const PurchaseIntent& intent) override {
    guarded("cannot record the purchase intent for " + intent.e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto current = select_number(intent.e164);
      if (current && current->status != NumberStatus::released) {
        throw Error(ErrorKind::conflict,
                    intent.e164 + " is already in the pool (status " + to_string(current->status) +
                        ")",
                    current->status == NumberStatus::purchasing
                        ? "another operation is buying it; run 'vami reconcile' if it died"
                        : "");
      }
      // A released number that is bought again reuses its row (E.164 is UNIQUE) and starts a
      // new life: nothing of the old purchase survives but the row id.
      const char* sql =
          current
              ? "UPDATE numbers SET provider = :provider, provider_sid = NULL, country = :country, "
                "number_type = :number_type, locality = :locality, region = :region, "
                "status = 'purchasing', tenant_id = NULL, agent_id = NULL, routing_mode = NULL, "
                "provider_agent_phone_id = NULL, friendly_name = :friendly_name, "
                "voice_url = NULL, voice_method = NULL, status_callback = NULL, "
                "monthly_price_micros = NULL, currency = NULL, operation_id = :operation_id, "
                "created_at = :now, updated_at = :now, released_at = NULL "
                "WHERE e164 = :e164 AND status = 'released'"
              : "INSERT INTO numbers (e164, provider, country, number_type, locality, region, "
                "status, friendly_name, operation_id, created_at, updated_at) VALUES (:e164, "
                ":provider, :country, :number_type, :locality, :region, 'purchasing', "
                ":friendly_name, :operation_id, :now, :now)";
      Prepared write = prepared(sql);
      write->bind(":e164", intent.e164);
      write->bind(":provider", intent.provider);
      write->bind(":country", intent.country);
      write->bind(":number_type", to_string(intent.type));
      bind_text_or_null(*write, ":locality", intent.locality);
      bind_text_or_null(*write, ":region", intent.region);
      bind_text_or_null(*write, ":friendly_name", intent.friendly_name);
      write->bind(":operation_id", intent.operation_id);
      write->bind(":now", utc_now_iso8601());
      execute_with_operation(*write, intent.operation_id);
      transaction.commit();
    });
  }

  PoolNumber complete_purchase(const std::string& e164, const OwnedNumber& owned,
                               const std::optional<Money>& monthly_price) override {
    const auto method = normalized_voice_method(owned.webhook.voice_method);
    if (monthly_price) {
      check_money(*monthly_price);
    }
    return guarded("cannot record the purchase of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      Prepared update = prepared(
          "UPDATE numbers SET status = 'available', provider_sid = :provider_sid, "
          "friendly_name = COALESCE(:friendly_name, friendly_name), voice_url = :voice_url, "
          "voice_method = :voice_method, status_callback = :status_callback, "
          "monthly_price_micros = :micros, currency = :currency, updated_at = :now "
          "WHERE e164 = :e164 AND status = 'purchasing'");
      update->bind(":e164", e164);
      bind_text_or_null(*update, ":provider_sid", owned.provider_sid);
      bind_text_or_null(*update, ":friendly_name", owned.friendly_name);
      bind_text_or_null(*update, ":voice_url", owned.webhook.voice_url);
      bind_text_or_null(*update, ":voice_method", method);
      bind_text_or_null(*update, ":status_callback", owned.webhook.status_callback);
      if (monthly_price) {
        update->bind(":micros", monthly_price->micros);
        update->bind(":currency", monthly_price->currency);
      } else {
        update->bind(":micros");
        update->bind(":currency");
      }
      update->bind(":now", utc_now_iso8601());
      if (execute_unique(*update, "provider id " + owned.provider_sid) == 0) {
        throw Error(ErrorKind::not_found, e164 + " has no purchase in progress",
                    "run 'vami reconcile' to compare the pool with the provider");
      }
      auto number = select_number(e164);
      transaction.commit();
      return *number;
    });
  }

  void abandon_purchase(const std::string& e164) override {
    guarded("cannot abandon the purchase of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement remove(m_db,
                               "DELETE FROM numbers WHERE e164 = ? AND status = 'purchasing'");
      remove.bind(1, e164);
      remove.exec();
      transaction.commit();
    });
  }

  std::optional<PoolNumber> find_number(const std::string& e164) override {
    return guarded("cannot read " + e164, [&] { return select_number(e164); });
  }

  std::set<std::string> numbers_in_pool(const std::vector<std::string>& e164s) override {
    return guarded("cannot read the pool", [&] {
      // One bound JSON array instead of one parameter per number (SQLite's json_each).
      SQLite::Statement query(m_db, "SELECT e164 FROM numbers WHERE status <> 'released' AND "
                                    "e164 IN (SELECT value FROM json_each(?))");
      std::string array = "[";
      for (const auto& e164 : e164s) {
        // Only "+" and digits can be in the pool, and need no escaping in JSON.
        if (e164.size() < 2 || e164[0] != '+' ||
            e164.find_first_not_of("0123456789", 1) != std::string::npos) {
          continue;
        }
        array += (array.size() > 1 ? ",\"" : "\"") + e164 + "\"";
      }
      query.bind(1, array + "]");
      std::set<std::string> held;
      while (query.executeStep()) {
        held.insert(column_text(query.getColumn(0)));
      }
      return held;
    });
  }

  std::vector<PoolNumber> list_numbers(const NumberFilter& filter) override {
    check_area_code(filter);
    return guarded("cannot list the pool", [&] {
      std::string sql = std::string(k_number_select) + "WHERE 1 = 1";
      if (filter.status) {
        sql += " AND n.status = :status";
      } else if (!filter.include_released) {
        sql += " AND n.status <> 'released'";
      }
      append_number_filter(sql, filter);
      sql += " ORDER BY n.e164";
      SQLite::Statement query(m_db, sql);
      if (filter.status) {
        query.bind(":status", to_string(*filter.status));
      }
      bind_number_filter(query, filter);
      std::vector<PoolNumber> numbers;
      while (query.executeStep()) {
        numbers.push_back(read_number(query));
      }
      return numbers;
    });
  }

  PoolNumber begin_release(const std::string& e164) override {
    return guarded("cannot start the release of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      auto before = select_number(e164);
      if (!before || before->status == NumberStatus::released) {
        throw not_in_pool(e164);
      }
      require_routing_free(*before); // an unassign in flight may still be reaching the providers
      switch (before->status) {
      case NumberStatus::assigned:
        throw Error(ErrorKind::conflict, held_by(*before) + "; unassign it first");
      case NumberStatus::purchasing:
        throw Error(ErrorKind::conflict, e164 + " is being purchased by another operation; run "
                                                "'vami reconcile'");
      case NumberStatus::releasing:
        throw Error(ErrorKind::conflict, e164 + " is being released by another operation; run "
                                                "'vami reconcile'");
      case NumberStatus::available:
      case NumberStatus::suspended:
      case NumberStatus::released:
        break;
      }
      SQLite::Statement update(m_db, "UPDATE numbers SET status = 'releasing', updated_at = ? "
                                     "WHERE e164 = ? AND status IN ('available', 'suspended')");
      update.bind(1, utc_now_iso8601());
      update.bind(2, e164);
      update.exec();
      transaction.commit();
      return *before;
    });
  }

  void complete_release(const std::string& e164) override {
    guarded("cannot record the release of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      require_releasing(e164);
      // The provider ids go: a later purchase of the same number gets a new SID, and the
      // UNIQUE columns must not keep the old one alive. The price stays as history.
      SQLite::Statement update(
          m_db, "UPDATE numbers SET status = 'released', released_at = :now, updated_at = :now, "
                "provider_sid = NULL, voice_url = NULL, voice_method = NULL, "
                "status_callback = NULL, routing_mode = NULL, provider_agent_phone_id = NULL, "
                "tenant_id = NULL, " +
                    std::string(k_no_suspension) + " WHERE e164 = :e164 AND status = 'releasing'");
      update.bind(":now", utc_now_iso8601());
      update.bind(":e164", e164);
      update.exec();
      transaction.commit();
    });
  }

  void revert_release(const std::string& e164, NumberStatus previous) override {
    if (previous != NumberStatus::available && previous != NumberStatus::suspended) {
      throw Error(ErrorKind::invalid_input, std::string("a release can only be reverted to "
                                                        "available or suspended, not ") +
                                                to_string(previous));
    }
    guarded("cannot revert the release of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      require_releasing(e164);
      SQLite::Statement update(m_db, "UPDATE numbers SET status = ?, updated_at = ? "
                                     "WHERE e164 = ? AND status = 'releasing'");
      update.bind(1, to_string(previous));
      update.bind(2, utc_now_iso8601());
      update.bind(3, e164);
      update.exec();
      transaction.commit();
    });
  }

  void update_webhook(const std::string& e164, const VoiceWebhook& webhook) override {
    const auto method = normalized_voice_method(webhook.voice_method);
    guarded("cannot record the voice webhook of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement update(
          m_db, "UPDATE numbers SET voice_url = :voice_url, voice_method = :voice_method, "
                "status_callback = :status_callback, updated_at = :now "
                "WHERE e164 = :e164 AND status <> 'released'");
      bind_text_or_null(update, ":voice_url", webhook.voice_url);
      bind_text_or_null(update, ":voice_method", method);
      bind_text_or_null(update, ":status_callback", webhook.status_callback);
      update.bind(":now", utc_now_iso8601());
      update.bind(":e164", e164);
      if (update.exec() == 0) {
        throw not_in_pool(e164);
      }
      transaction.commit();
    });
  }

  // --- reconcile --------------------------------------------------------------------------

  PoolNumber adopt_number(const AdoptedNumber& number) override {
    const auto method = normalized_voice_method(number.webhook.voice_method);
    if (number.monthly_price) {
      check_money(*number.monthly_price);
    }
    return guarded("cannot adopt " + number.e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto current = select_number(number.e164);
      if (current && current->status != NumberStatus::released) {
        throw Error(ErrorKind::conflict, number.e164 + " is already in the pool (status " +
                                             to_string(current->status) + ")");
      }
      // Like a purchase, an adoption of a released number reuses its row and starts a new life.
      const char* sql =
          current ? "UPDATE numbers SET provider = :provider, provider_sid = :provider_sid, "
                    "country = :country, number_type = :number_type, locality = :locality, "
                    "region = :region, status = 'available', tenant_id = NULL, agent_id = NULL, "
                    "routing_mode = NULL, provider_agent_phone_id = NULL, "
                    "friendly_name = :friendly_name, voice_url = :voice_url, "
                    "voice_method = :voice_method, status_callback = :status_callback, "
                    "monthly_price_micros = :micros, currency = :currency, "
                    "operation_id = :operation_id, created_at = :now, updated_at = :now, "
                    "released_at = NULL WHERE e164 = :e164 AND status = 'released'"
                  : "INSERT INTO numbers (e164, provider, provider_sid, country, number_type, "
                    "locality, region, status, friendly_name, voice_url, voice_method, "
                    "status_callback, monthly_price_micros, currency, operation_id, created_at, "
                    "updated_at) VALUES (:e164, :provider, :provider_sid, :country, :number_type, "
                    ":locality, :region, 'available', :friendly_name, :voice_url, :voice_method, "
                    ":status_callback, :micros, :currency, :operation_id, :now, :now)";
      SQLite::Statement write(m_db, sql);
      write.bind(":e164", number.e164);
      write.bind(":provider", number.provider);
      bind_text_or_null(write, ":provider_sid", number.provider_sid);
      write.bind(":country", number.country);
      write.bind(":number_type", to_string(number.type));
      bind_text_or_null(write, ":locality", number.locality);
      bind_text_or_null(write, ":region", number.region);
      bind_text_or_null(write, ":friendly_name", number.friendly_name);
      bind_text_or_null(write, ":voice_url", number.webhook.voice_url);
      bind_text_or_null(write, ":voice_method", method);
      bind_text_or_null(write, ":status_callback", number.webhook.status_callback);
      if (number.monthly_price) {
        write.bind(":micros", number.monthly_price->micros);
        write.bind(":currency", number.monthly_price->currency);
      } else {
        write.bind(":micros");
        write.bind(":currency");
      }
      bind_text_or_null(write, ":operation_id", number.operation_id);
      write.bind(":now", utc_now_iso8601());
      try {
        write.exec();
      } catch (const SQLite::Exception& error) {
        if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
          throw operation_not_found(number.operation_id);
        }
        if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE) {
          throw Error(ErrorKind::conflict, "provider id " + number.provider_sid +
                                               " already belongs to another pool number");
        }
        throw;
      }
      auto adopted = select_number(number.e164);
      transaction.commit();
      return *adopted;
    });
  }

  PoolNumber mark_released(const std::string& e164, const std::string& provider_sid) override {
    return guarded("cannot mark " + e164 + " released", [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto before = require_settled(e164, provider_sid);
      // As complete_release, and the assignment goes too: the number no longer rings anywhere.
      SQLite::Statement update(
          m_db, "UPDATE numbers SET status = 'released', released_at = :now, updated_at = :now, "
                "provider_sid = NULL, voice_url = NULL, voice_method = NULL, "
                "status_callback = NULL, routing_mode = NULL, provider_agent_phone_id = NULL, "
                "tenant_id = NULL, agent_id = NULL, " +
                    std::string(k_no_suspension) + " WHERE e164 = :e164 AND status = :status");
      update.bind(":now", utc_now_iso8601());
      update.bind(":e164", e164);
      update.bind(":status", to_string(before.status));
      update.exec();
      transaction.commit();
      return before;
    });
  }

  PoolNumber record_provider_view(const std::string& e164, const std::string& expected_sid,
                                  const VoiceWebhook& expected_webhook,
                                  const OwnedNumber& owned) override {
    const auto method = normalized_voice_method(owned.webhook.voice_method);
    return guarded("cannot record the provider's view of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto before = require_settled(e164, expected_sid);
      if (before.webhook != expected_webhook) {
        throw Error(ErrorKind::conflict, "the voice webhook of " + e164 + " changed meanwhile");
      }
      SQLite::Statement update(
          m_db, "UPDATE numbers SET provider_sid = :provider_sid, voice_url = :voice_url, "
                "voice_method = :voice_method, status_callback = :status_callback, "
                "updated_at = :now WHERE e164 = :e164 AND status = :status");
      bind_text_or_null(update, ":provider_sid", owned.provider_sid);
      bind_text_or_null(update, ":voice_url", owned.webhook.voice_url);
      bind_text_or_null(update, ":voice_method", method);
      bind_text_or_null(update, ":status_callback", owned.webhook.status_callback);
      update.bind(":now", utc_now_iso8601());
      update.bind(":e164", e164);
      update.bind(":status", to_string(before.status));
      execute_unique(update, "provider id " + owned.provider_sid);
      auto after = select_number(e164);
      transaction.commit();
      return *after;
    });
  }

  std::vector<OperationItem> list_items_of_number(const std::string& e164) override {
    return guarded("cannot list the journal items of " + e164, [&] {
      SQLite::Statement query(m_db, "SELECT operation_id, e164, outcome, error_code, error_message "
                                    "FROM operation_items WHERE e164 = ? ORDER BY id");
      query.bind(1, e164);
      std::vector<OperationItem> items;
      while (query.executeStep()) {
        items.push_back(read_item(query));
      }
      return items;
    });
  }

  // --- audit ------------------------------------------------------------------------------

  void append_audit(const AuditEntry& entry) override {
    guarded("cannot append to the audit trail", [&] {
      Prepared insert = prepared(std::string("INSERT INTO audit_entries (") + k_audit_columns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      insert->bind(1, entry.at.empty() ? utc_now_iso8601() : entry.at);
      insert->bind(2, entry.actor);
      insert->bind(3, entry.command);
      insert->bind(4, entry.entity_type);
      insert->bind(5, entry.entity_id);
      bind_text_or_null(*insert, 6, entry.before_json);
      bind_text_or_null(*insert, 7, entry.after_json);
      bind_text_or_null(*insert, 8, entry.tenant_slug);
      insert->exec(); // A lone INSERT is its own transaction and reads nothing first.
    });
  }

  std::vector<AuditEntry> list_audit(const AuditFilter& filter) override {
    return guarded("cannot read the audit trail", [&] {
      // Every string is >= "", so an empty `since` selects everything. The inner query takes
      // the newest entries; the outer one puts them back in time order.
      std::string sql = std::string("SELECT ") + k_audit_columns + " FROM (SELECT id, " +
                        k_audit_columns + " FROM audit_entries WHERE at >= :since";
      if (!filter.tenant_slug.empty()) {
        sql += " AND tenant_slug = :tenant_slug";
      }
      sql += " ORDER BY at DESC, id DESC LIMIT :limit) ORDER BY at, id";
      SQLite::Statement query(m_db, sql);
      query.bind(":since", filter.since);
      if (!filter.tenant_slug.empty()) {
        query.bind(":tenant_slug", filter.tenant_slug);
      }
      query.bind(":limit", filter.limit > 0 ? filter.limit : -1); // Negative: no limit.
      std::vector<AuditEntry> entries;
      while (query.executeStep()) {
        entries.push_back(read_audit_entry(query));
      }
      return entries;
    });
  }

  // --- tenants ----------------------------------------------------------------------------

  Tenant create_tenant(const Tenant& tenant) override {
    return guarded("cannot create tenant " + tenant.slug, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      if (const auto existing = select_tenant(tenant.slug)) {
        throw Error(ErrorKind::conflict,
                    "tenant \"" + tenant.slug + "\" already exists (" + existing->name +
                        ", created " + existing->created_at + ")",
                    "choose another slug");
      }
      const auto now = utc_now_iso8601();
      SQLite::Statement insert(
          m_db, "INSERT INTO tenants (slug, name, industry, contact_name, contact_email, "
                "created_at, updated_at) VALUES (:slug, :name, :industry, :contact_name, "
                ":contact_email, :created_at, :updated_at)");
      insert.bind(":slug", tenant.slug);
      insert.bind(":name", tenant.name);
      bind_text_or_null(insert, ":industry", tenant.industry);
      bind_text_or_null(insert, ":contact_name", tenant.contact_name);
      bind_text_or_null(insert, ":contact_email", tenant.contact_email);
      insert.bind(":created_at", tenant.created_at.empty() ? now : tenant.created_at);
      insert.bind(":updated_at", tenant.updated_at.empty() ? now : tenant.updated_at);
      insert.exec();
      auto created = select_tenant(tenant.slug);
      transaction.commit();
      return *created;
    });
  }

  std::optional<Tenant> find_tenant(const std::string& slug) override {
    return guarded("cannot read tenant " + slug, [&] { return select_tenant(slug); });
  }

  std::vector<Tenant> list_tenants() override {
    return guarded("cannot list the tenants", [&] {
      SQLite::Statement query(m_db, std::string(k_tenant_select) + "ORDER BY slug");
      std::vector<Tenant> tenants;
      while (query.executeStep()) {
        tenants.push_back(read_tenant(query));
      }
      return tenants;
    });
  }

  Tenant update_tenant(const std::string& slug, const TenantChange& change) override {
    return guarded("cannot update tenant " + slug, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      auto before = select_tenant(slug);
      if (!before) {
        throw tenant_not_found(slug);
      }
      if (!change.name && !change.industry && !change.contact_name && !change.contact_email) {
        transaction.commit();
        return *before; // Nothing changes, so neither does updated_at.
      }
      // An unset field keeps its value; a set one replaces it (empty clears it, name aside:
      // it is NOT NULL and stays as given).
      SQLite::Statement update(
          m_db, "UPDATE tenants SET "
                "name = CASE WHEN :set_name THEN :name ELSE name END, "
                "industry = CASE WHEN :set_industry THEN :industry ELSE industry END, "
                "contact_name = CASE WHEN :set_contact_name THEN :contact_name "
                "ELSE contact_name END, "
                "contact_email = CASE WHEN :set_contact_email THEN :contact_email "
                "ELSE contact_email END, "
                "updated_at = :now WHERE slug = :slug");
      update.bind(":set_name", change.name ? 1 : 0);
      update.bind(":name", change.name.value_or(before->name));
      update.bind(":set_industry", change.industry ? 1 : 0);
      bind_text_or_null(update, ":industry", change.industry.value_or(""));
      update.bind(":set_contact_name", change.contact_name ? 1 : 0);
      bind_text_or_null(update, ":contact_name", change.contact_name.value_or(""));
      update.bind(":set_contact_email", change.contact_email ? 1 : 0);
      bind_text_or_null(update, ":contact_email", change.contact_email.value_or(""));
      update.bind(":now", utc_now_iso8601());
      update.bind(":slug", slug);
      update.exec();
      auto after = select_tenant(slug);
      transaction.commit();
      return *after;
    });
  }

  void delete_tenant(const std::string& slug) override {
    guarded("cannot delete tenant " + slug, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto id = select_tenant_id(slug);
      if (!id) {
        throw tenant_not_found(slug);
      }
      SQLite::Statement counts(m_db, "SELECT (SELECT count(*) FROM agents WHERE tenant_id = :id), "
                                     "(SELECT count(*) FROM numbers WHERE tenant_id = :id)");
      counts.bind(":id", *id);
      counts.executeStep();
      const std::int64_t agents = counts.getColumn(0).getInt64();
      const std::int64_t numbers = counts.getColumn(1).getInt64();
      if (agents > 0 || numbers > 0) {
        throw Error(ErrorKind::conflict,
                    "tenant \"" + slug + "\" still has " + count_of(agents, "agent") + " and " +
                        count_of(numbers, "assigned number"),
                    "unassign its numbers and delete its agents first");
      }
      SQLite::Statement remove(m_db, "DELETE FROM tenants WHERE id = ?");
      remove.bind(1, *id);
      remove.exec();
      transaction.commit();
    });
  }

  // --- agents -----------------------------------------------------------------------------

  Agent insert_agent(const Agent& agent) override {
    return guarded("cannot record agent " + agent.slug, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto tenant_id = select_tenant_id(agent.tenant_slug);
      if (!tenant_id) {
        throw tenant_not_found(agent.tenant_slug);
      }
      if (const auto existing = select_agent_by_slug(agent.slug)) {
        throw Error(ErrorKind::conflict,
                    "agent \"" + agent.slug + "\" already exists (tenant " + existing->tenant_slug +
                        ")",
                    "choose another slug");
      }
      require_free_provider_agent_id(agent.provider_agent_id, agent.slug);
      const auto now = utc_now_iso8601();
      SQLite::Statement insert(
          m_db, "INSERT INTO agents (tenant_id, slug, name, provider, provider_agent_id, "
                "voice_id, language, personality, first_message, prompt, status, created_at, "
                "updated_at) VALUES (:tenant_id, :slug, :name, :provider, :provider_agent_id, "
                ":voice_id, :language, :personality, :first_message, :prompt, :status, "
                ":created_at, :updated_at)");
      insert.bind(":tenant_id", *tenant_id);
      insert.bind(":slug", agent.slug);
      insert.bind(":provider", agent.provider);
      insert.bind(":created_at", agent.created_at.empty() ? now : agent.created_at);
      insert.bind(":updated_at", agent.updated_at.empty() ? now : agent.updated_at);
      bind_agent_configuration(insert, agent);
      insert.exec();
      auto inserted = select_agent_by_slug(agent.slug);
      transaction.commit();
      return *inserted;
    });
  }

  std::optional<Agent> find_agent(const std::string& slug_or_provider_id) override {
    return guarded("cannot read agent " + slug_or_provider_id, [&]() -> std::optional<Agent> {
      // A slug cannot be mistaken for an ElevenLabs id ("agent_..." holds '_', which slugs do
      // not), but should one ever equal another agent's provider id, the slug wins.
      SQLite::Statement query(m_db, std::string(k_agent_select) +
                                        "WHERE a.slug = :key OR a.provider_agent_id = :key "
                                        "ORDER BY a.slug = :key DESC LIMIT 1");
      query.bind(":key", slug_or_provider_id);
      if (!query.executeStep()) {
        return std::nullopt;
      }
      return read_agent(query);
    });
  }

  std::vector<Agent> list_agents(const std::string& tenant_slug) override {
    return guarded("cannot list the agents", [&] {
      std::string sql = k_agent_select;
      if (!tenant_slug.empty()) {
        sql += "WHERE t.slug = :tenant_slug ";
      }
      sql += "ORDER BY a.slug";
      SQLite::Statement query(m_db, sql);
      if (!tenant_slug.empty()) {
        query.bind(":tenant_slug", tenant_slug);
      }
      std::vector<Agent> agents;
      while (query.executeStep()) {
        agents.push_back(read_agent(query));
      }
      return agents;
    });
  }

  Agent update_agent(const Agent& agent) override {
    return guarded("cannot update agent " + agent.slug, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      if (!select_agent_by_slug(agent.slug)) {
        throw agent_not_found(agent.slug);
      }
      require_free_provider_agent_id(agent.provider_agent_id, agent.slug);
      SQLite::Statement update(
          m_db, "UPDATE agents SET name = :name, provider_agent_id = :provider_agent_id, "
                "voice_id = :voice_id, language = :language, personality = :personality, "
                "first_message = :first_message, prompt = :prompt, status = :status, "
                "updated_at = :now WHERE slug = :slug");
      bind_agent_configuration(update, agent);
      update.bind(":now", utc_now_iso8601());
      update.bind(":slug", agent.slug);
      update.exec();
      auto after = select_agent_by_slug(agent.slug);
      transaction.commit();
      return *after;
    });
  }

  void delete_agent(const std::string& slug) override {
    guarded("cannot delete agent " + slug, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto agent = select_agent_ids(slug);
      if (!agent) {
        throw agent_not_found(slug);
      }
      // A number suspended from it counts: resuming it gives it back to this agent.
      SQLite::Statement held(m_db, "SELECT e164, agent_id IS NULL FROM numbers WHERE "
                                   "agent_id = :id OR suspended_agent_id = :id ORDER BY e164");
      held.bind(":id", agent->id);
      std::vector<std::string> numbers;
      std::size_t suspended = 0;
      while (held.executeStep()) {
        numbers.push_back(column_text(held.getColumn(0)));
        suspended += held.getColumn(1).getInt() != 0 ? 1U : 0U;
      }
      if (!numbers.empty()) {
        constexpr std::size_t k_named = 3;
        std::string named;
        for (std::size_t i = 0; i < numbers.size() && i < k_named; ++i) {
          named += (i == 0 ? "" : ", ") + numbers[i];
        }
        if (numbers.size() > k_named) {
          named += ", ...";
        }
        throw Error(ErrorKind::conflict,
                    "agent \"" + slug + "\" still has " +
                        count_of(static_cast<std::int64_t>(numbers.size()),
                                 suspended == 0                ? "assigned number"
                                 : suspended == numbers.size() ? "suspended number"
                                                               : "assigned or suspended number") +
                        " (" + named + ")",
                    suspended == 0 ? "unassign them first or move them with 'vami numbers reassign'"
                                   : "resume the suspended ones first ('vami numbers resume'), "
                                     "then unassign or move them");
      }
      SQLite::Statement documents(m_db, "DELETE FROM documents WHERE agent_id = ?");
      documents.bind(1, agent->id);
      documents.exec();
      SQLite::Statement remove(m_db, "DELETE FROM agents WHERE id = ?");
      remove.bind(1, agent->id);
      remove.exec();
      transaction.commit();
    });
  }

  // --- documents --------------------------------------------------------------------------

  Document insert_document(const Document& document) override {
    return guarded(
        "cannot record document " + document.name + " of agent " + document.agent_slug, [&] {
          SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
          const auto agent = select_agent_ids(document.agent_slug);
          if (!agent) {
            throw agent_not_found(document.agent_slug);
          }
          if (!document.sha256.empty()) {
            if (const auto same = select_document_by_sha256(document.agent_slug, document.sha256)) {
              throw Error(ErrorKind::conflict,
                          "agent \"" + document.agent_slug +
                              "\" already has this content as document \"" + same->name +
                              "\" (id " + same->provider_document_id + ")",
                          "delete that document first to upload it again");
            }
          }
          if (!document.provider_document_id.empty()) {
            SQLite::Statement holder(m_db, std::string(k_document_select) +
                                               "WHERE d.provider_document_id = ?");
            holder.bind(1, document.provider_document_id);
            if (holder.executeStep()) {
              const auto other = read_document(holder);
              throw Error(ErrorKind::conflict, "document id " + document.provider_document_id +
                                                   " already belongs to document \"" + other.name +
                                                   "\" of agent \"" + other.agent_slug + "\"");
            }
          }
          SQLite::Statement insert(
              m_db,
              "INSERT INTO documents (agent_id, provider_document_id, name, source_kind, "
              "source, mime_type, size_bytes, sha256, created_at, status, upload_name, holder) "
              "VALUES (:agent_id, :provider_document_id, :name, :source_kind, :source, "
              ":mime_type, :size_bytes, :sha256, :created_at, :status, :upload_name, "
              ":holder)");
          insert.bind(":agent_id", agent->id);
          bind_text_or_null(insert, ":provider_document_id", document.provider_document_id);
          insert.bind(":name", document.name);
          insert.bind(":source_kind", to_string(document.source_kind));
          bind_text_or_null(insert, ":source", document.source);
          bind_text_or_null(insert, ":mime_type", document.mime_type);
          insert.bind(":size_bytes", document.size_bytes);
          bind_text_or_null(insert, ":sha256", document.sha256);
          const auto created_at =
              document.created_at.empty() ? utc_now_iso8601() : document.created_at;
          insert.bind(":created_at", created_at);
          insert.bind(":status", to_string(document.status));
          bind_text_or_null(insert, ":upload_name", document.upload_name);
          bind_text_or_null(insert, ":holder", document.holder);
          try {
            insert.exec();
          } catch (const SQLite::Exception& error) {
            if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_CHECK) {
              throw Error(ErrorKind::invalid_input, "document size " +
                                                        std::to_string(document.size_bytes) +
                                                        " bytes is negative");
            }
            throw;
          }
          Document inserted = document;
          inserted.created_at = created_at;
          transaction.commit();
          return inserted;
        });
  }

  std::vector<Document> list_documents(const std::string& agent_slug) override {
    return guarded("cannot list the documents of agent " + agent_slug, [&] {
      SQLite::Statement query(m_db,
                              std::string(k_document_select) + "WHERE a.slug = ? ORDER BY d.id");
      query.bind(1, agent_slug);
      std::vector<Document> documents;
      while (query.executeStep()) {
        documents.push_back(read_document(query));
      }
      return documents;
    });
  }

  std::optional<Document> find_document_by_sha256(const std::string& agent_slug,
                                                  const std::string& sha256) override {
    return guarded("cannot read the documents of agent " + agent_slug,
                   [&] { return select_document_by_sha256(agent_slug, sha256); });
  }

  Document mark_document_uploaded(const std::string& upload_name,
                                  const std::string& provider_document_id) override {
    return guarded("cannot record the upload of document " + upload_name, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement update(
          m_db, "UPDATE documents SET provider_document_id = ?, status = 'active', holder = "
                "NULL WHERE upload_name = ? AND status = 'uploading'");
      update.bind(1, provider_document_id);
      update.bind(2, upload_name);
      if (update.exec() == 0) {
        throw Error(ErrorKind::not_found, "no upload of document " + upload_name + " is pending");
      }
      SQLite::Statement query(m_db, std::string(k_document_select) + "WHERE d.upload_name = ?");
      query.bind(1, upload_name);
      query.executeStep();
      Document document = read_document(query);
      transaction.commit();
      return document;
    });
  }

  void delete_document_intent(const std::string& upload_name) override {
    guarded("cannot forget the upload of document " + upload_name, [&] {
      SQLite::Statement remove(
          m_db, "DELETE FROM documents WHERE upload_name = ? AND status = 'uploading'");
      remove.bind(1, upload_name);
      if (remove.exec() == 0) {
        throw Error(ErrorKind::not_found, "no upload of document " + upload_name + " is pending");
      }
    });
  }

  void delete_document(const std::string& agent_slug,
                       const std::string& provider_document_id) override {
    guarded("cannot delete document " + provider_document_id + " of agent " + agent_slug, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement remove(m_db, "DELETE FROM documents WHERE provider_document_id = ? AND "
                                     "agent_id = (SELECT id FROM agents WHERE slug = ?)");
      remove.bind(1, provider_document_id);
      remove.bind(2, agent_slug);
      if (remove.exec() == 0) {
        throw Error(ErrorKind::not_found,
                    "agent \"" + agent_slug + "\" has no document with id " + provider_document_id);
      }
      transaction.commit();
    });
  }

  // --- assignment -------------------------------------------------------------------------

  PoolNumber assign_number(const std::string& e164, const AssignmentTarget& target) override {
    return guarded("cannot assign " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto before = select_number(e164);
      if (!before || before->status == NumberStatus::released) {
        throw not_in_pool(e164);
      }
      const auto agent = require_assignable_agent(target.agent_slug);
      require_routing_free(*before);
      if (before->status != NumberStatus::available) {
        throw not_assignable(*before);
      }
      auto after = write_assignment(e164, std::nullopt, agent, target);
      transaction.commit();
      return after;
    });
  }

  PoolNumber assign_first_available(const NumberFilter& filter,
                                    const AssignmentTarget& target) override {
    check_area_code(filter);
    if (filter.status && *filter.status != NumberStatus::available) {
      throw Error(ErrorKind::invalid_input,
                  std::string("only an available number can be assigned, not a ") +
                      to_string(*filter.status) + " one");
    }
    return guarded("cannot assign a number to agent " + target.agent_slug, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto agent = require_assignable_agent(target.agent_slug);
      std::string sql = std::string(k_number_select) + "WHERE n.status = 'available'";
      append_number_filter(sql, filter);
      sql += " ORDER BY n.e164 LIMIT 1";
      SQLite::Statement query(m_db, sql);
      bind_number_filter(query, filter);
      std::string e164;
      while (e164.empty() && query.executeStep()) {
        PoolNumber candidate = read_number(query);
        if (routing_free(candidate)) { // one another process is unassigning is not free yet
          e164 = candidate.e164;
        }
      }
      query.reset();
      if (e164.empty()) {
        const auto words = describe(filter);
        throw Error(ErrorKind::conflict,
                    "no available number in the pool" + (words.empty() ? "" : " matches " + words),
                    "buy more with 'vami numbers buy' or widen the filter");
      }
      auto after = write_assignment(e164, std::nullopt, agent, target);
      transaction.commit();
      return after;
    });
  }

  PoolNumber reassign_number(const std::string& e164, const std::string& expected_agent_slug,
                             const AssignmentTarget& target) override {
    return guarded("cannot reassign " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto before = select_number(e164);
      if (!before || before->status == NumberStatus::released) {
        throw not_in_pool(e164);
      }
      const auto agent = require_assignable_agent(target.agent_slug);
      const auto expected = select_agent_ids(expected_agent_slug);
      require_routing_free(*before);
      if (before->status != NumberStatus::assigned || !expected ||
          before->agent_slug != expected_agent_slug) {
        throw not_held_by(*before, expected_agent_slug);
      }
      auto after = write_assignment(e164, expected->id, agent, target);
      transaction.commit();
      return after;
    });
  }

  PoolNumber unassign_number(const std::string& e164,
                             const std::string& expected_agent_slug) override {
    return guarded("cannot unassign " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto before = select_number(e164);
      if (!before || before->status == NumberStatus::released) {
        throw not_in_pool(e164);
      }
      const auto expected = select_agent_ids(expected_agent_slug);
      require_routing_free(*before);
      if (before->status != NumberStatus::assigned || !expected ||
          before->agent_slug != expected_agent_slug) {
        throw not_held_by(*before, expected_agent_slug);
      }
      // The voice-agent provider's id of the number stays: the number remains imported there,
      // and a later assignment reuses the import.
      SQLite::Statement update(
          m_db, "UPDATE numbers SET status = 'available', tenant_id = NULL, agent_id = NULL, "
                "routing_mode = NULL, routing_holder = :holder, routing_since = :now, "
                "updated_at = :now "
                "WHERE e164 = :e164 AND status = 'assigned' AND agent_id = :agent_id");
      update.bind(":holder", m_holder);
      update.bind(":now", utc_now_iso8601());
      update.bind(":e164", e164);
      update.bind(":agent_id", expected->id);
      if (update.exec() == 0) {
        throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
      }
      auto after = select_number(e164);
      transaction.commit();
      return *after;
    });
  }

  void begin_routing_change(const std::string& e164) override {
    guarded("cannot take the routing of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto before = select_number(e164);
      if (!before || before->status == NumberStatus::released) {
        throw not_in_pool(e164);
      }
      require_routing_free(*before);
      SQLite::Statement update(
          m_db, "UPDATE numbers SET routing_holder = ?, routing_since = ? WHERE e164 = ?");
      update.bind(1, m_holder);
      update.bind(2, utc_now_iso8601());
      update.bind(3, e164);
      update.exec();
      transaction.commit();
    });
  }

  void end_routing_change(const std::string& e164) override {
    guarded("cannot give back the routing of " + e164, [&] {
      SQLite::Statement update(m_db, "UPDATE numbers SET routing_holder = NULL, "
                                     "routing_since = NULL WHERE e164 = ? AND routing_holder = ?");
      update.bind(1, e164);
      update.bind(2, m_holder);
      update.exec();
    });
  }

  PoolNumber suspend_number(const std::string& e164, const Suspension& suspension) override {
    const bool from_assigned = suspension.previous_status == NumberStatus::assigned;
    if (!from_assigned && suspension.previous_status != NumberStatus::available) {
      throw Error(ErrorKind::invalid_input,
                  std::string("only an available or assigned number can be suspended, not a ") +
                      to_string(suspension.previous_status) + " one");
    }
    const auto method = normalized_voice_method(suspension.previous_webhook.voice_method);
    return guarded("cannot suspend " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto before = select_number(e164);
      if (!before || before->status == NumberStatus::released) {
        throw not_in_pool(e164);
      }
      require_routing_free(*before);
      if (before->status == NumberStatus::suspended) {
        throw Error(ErrorKind::conflict, e164 + " is already suspended");
      }
      if (before->status != suspension.previous_status ||
          (from_assigned && before->agent_slug != suspension.agent_slug)) {
        throw Error(ErrorKind::conflict,
                    (before->status == NumberStatus::assigned
                         ? held_by(*before)
                         : e164 + " is " + to_string(before->status)) +
                        " now; it changed since it was read",
                    "see 'vami route " + e164 + "' and try again");
      }
      std::optional<AgentIds> agent;
      if (from_assigned) {
        agent = select_agent_ids(suspension.agent_slug);
        if (!agent) {
          throw agent_not_found(suspension.agent_slug);
        }
      }
      const std::string now = utc_now_iso8601();
      SQLite::Statement update(
          m_db, "UPDATE numbers SET status = 'suspended', agent_id = NULL, "
                "suspended_from = :from, suspended_agent_id = :agent_id, "
                "suspended_voice_url = :voice_url, suspended_voice_method = :voice_method, "
                "suspended_status_callback = :status_callback, suspension_message = :message, "
                "suspended_at = :at, routing_holder = :holder, routing_since = :now, "
                "updated_at = :now WHERE e164 = :e164 AND status = :status");
      update.bind(":from", to_string(suspension.previous_status));
      if (agent) {
        update.bind(":agent_id", agent->id);
      } else {
        update.bind(":agent_id");
      }
      bind_text_or_null(update, ":voice_url", suspension.previous_webhook.voice_url);
      bind_text_or_null(update, ":voice_method", method);
      bind_text_or_null(update, ":status_callback", suspension.previous_webhook.status_callback);
      bind_text_or_null(update, ":message", suspension.message);
      update.bind(":at", suspension.suspended_at.empty() ? now : suspension.suspended_at);
      update.bind(":holder", m_holder);
      update.bind(":now", now);
      update.bind(":e164", e164);
      update.bind(":status", to_string(before->status));
      if (update.exec() == 0) {
        throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
      }
      auto after = select_number(e164);
      transaction.commit();
      return *after;
    });
  }

  PoolNumber resume_number(const std::string& e164) override {
    return guarded("cannot resume " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto before = select_number(e164);
      if (!before || before->status == NumberStatus::released) {
        throw not_in_pool(e164);
      }
      require_routing_free(*before);
      if (before->status != NumberStatus::suspended || !before->suspension) {
        throw Error(ErrorKind::conflict,
                    e164 + " is not suspended (it is " + to_string(before->status) + ")");
      }
      const Suspension& suspension = *before->suspension;
      std::string sql = "UPDATE numbers SET status = :status, agent_id = :agent_id, "
                        "tenant_id = :tenant_id, routing_holder = :holder, routing_since = :now, "
                        "updated_at = :now, " +
                        std::string(k_no_suspension) +
                        " WHERE e164 = :e164 AND status = 'suspended'";
      SQLite::Statement update(m_db, sql);
      if (suspension.previous_status == NumberStatus::assigned) {
        const auto agent = require_assignable_agent(suspension.agent_slug);
        update.bind(":status", "assigned");
        update.bind(":agent_id", agent.id);
        update.bind(":tenant_id", agent.tenant_id);
      } else {
        update.bind(":status", "available");
        update.bind(":agent_id");
        update.bind(":tenant_id");
      }
      update.bind(":holder", m_holder);
      update.bind(":now", utc_now_iso8601());
      update.bind(":e164", e164);
      if (update.exec() == 0) {
        throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
      }
      if (suspension.previous_status != NumberStatus::assigned) {
        // An available number has no routing mode; a stale one would mislead `route`.
        SQLite::Statement clear(m_db, "UPDATE numbers SET routing_mode = NULL WHERE e164 = ?");
        clear.bind(1, e164);
        clear.exec();
      }
      auto after = select_number(e164);
      transaction.commit();
      return *after;
    });
  }

  void set_agent_phone_number_id(const std::string& e164,
                                 const std::string& phone_number_id) override {
    guarded("cannot record the voice-agent id of " + e164, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      if (!phone_number_id.empty()) {
        SQLite::Statement holder(m_db, "SELECT e164 FROM numbers WHERE provider_agent_phone_id = ? "
                                       "AND e164 <> ?");
        holder.bind(1, phone_number_id);
        holder.bind(2, e164);
        if (holder.executeStep()) {
          throw Error(ErrorKind::conflict, "voice-agent phone number id " + phone_number_id +
                                               " already belongs to " +
                                               column_text(holder.getColumn(0)));
        }
      }
      SQLite::Statement update(m_db, "UPDATE numbers SET provider_agent_phone_id = ?, "
                                     "updated_at = ? WHERE e164 = ? AND status <> 'released'");
      bind_text_or_null(update, 1, phone_number_id);
      update.bind(2, utc_now_iso8601());
      update.bind(3, e164);
      if (update.exec() == 0) {
        throw not_in_pool(e164);
      }
      transaction.commit();
    });
  }

  // --- call history ------------------------------------------------------------------------

  CallUpsert upsert_call(const CallRecord& call) override {
    const std::string id = call.call_sid.empty() ? call.conversation_id : call.call_sid;
    return guarded("cannot record call " + id, [&] {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      CallUpsert upsert = sqlite_calls::upsert(m_db, call);
      transaction.commit();
      return upsert;
    });
  }

  std::optional<CallRecord> find_call(const std::string& id) override {
    return guarded("cannot read call " + id, [&] { return sqlite_calls::find(m_db, id); });
  }

  std::vector<CallRecord> list_calls(const CallFilter& filter) override {
    return guarded("cannot read the call history",
                   [&] { return sqlite_calls::list(m_db, filter); });
  }

private:
  static SQLite::Database open_connection(const std::string& path) {
    try {
      return SQLite::Database(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                              k_busy_timeout_ms);
    } catch (const SQLite::Exception& error) {
      throw detail::sqlite_error(path, "cannot open the state database", error);
    }
  }

  /// Refuses files that are not vami's before anything is written to them: the journal mode
  /// switch below rewrites the header, and a migration would add tables to someone else's
  /// database.
  void check_identity() {
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

  void check_not_newer(int version) const {
    if (version > current_schema_version()) {
      throw Error(ErrorKind::invalid_input,
                  "the state database " + m_path + " was written by a newer vami (schema " +
                      std::to_string(version) + ", this vami knows up to " +
                      std::to_string(current_schema_version()) + ")",
                  "upgrade vami");
    }
  }

  void configure_connection() {
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

  void migrate() {
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

  int read_user_version() { return m_db.execAndGet("PRAGMA user_version").getInt(); }

  /// A statement of the paths every number of a bulk command takes, prepared once per
  /// connection: preparing them again for each of a thousand numbers was a third of vami's CPU
  /// in a 1,000-number buy. Resets the statement when it goes out of scope, ending any read it
  /// holds. Used under m_mutex (guarded), like every statement.
  class Prepared {
  public:
    explicit Prepared(SQLite::Statement& statement) : m_statement(statement) {}
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;
    Prepared(Prepared&&) = delete;
    Prepared& operator=(Prepared&&) = delete;
    ~Prepared() { (void)m_statement.tryReset(); }
    SQLite::Statement& operator*() { return m_statement; }
    SQLite::Statement* operator->() { return &m_statement; }

  private:
    SQLite::Statement& m_statement;
  };

  Prepared prepared(const std::string& sql) {
    std::unique_ptr<SQLite::Statement>& statement = m_prepared[sql];
    if (!statement) {
      statement = std::make_unique<SQLite::Statement>(m_db, sql);
    }
    (void)statement->tryReset();
    statement->clearBindings();
    return Prepared(*statement);
  }

  std::optional<PoolNumber> select_number(const std::string& e164) {
    Prepared query = prepared(std::string(k_number_select) + "WHERE n.e164 = ?");
    query->bind(1, e164);
    if (!query->executeStep()) {
      return std::nullopt;
    }
    return read_number(*query);
  }

  std::optional<Tenant> select_tenant(const std::string& slug) {
    SQLite::Statement query(m_db, std::string(k_tenant_select) + "WHERE slug = ?");
    query.bind(1, slug);
    if (!query.executeStep()) {
      return std::nullopt;
    }
    return read_tenant(query);
  }

  std::optional<std::int64_t> select_tenant_id(const std::string& slug) {
    SQLite::Statement query(m_db, "SELECT id FROM tenants WHERE slug = ?");
    query.bind(1, slug);
    if (!query.executeStep()) {
      return std::nullopt;
    }
    return query.getColumn(0).getInt64();
  }

  std::optional<Agent> select_agent_by_slug(const std::string& slug) {
    SQLite::Statement query(m_db, std::string(k_agent_select) + "WHERE a.slug = ?");
    query.bind(1, slug);
    if (!query.executeStep()) {
      return std::nullopt;
    }
    return read_agent(query);
  }

  /// What an assignment needs of an agent row.
  struct AgentIds {
    std::int64_t id = 0;
    std::int64_t tenant_id = 0;
    AgentStatus status = AgentStatus::active;
  };

  std::optional<AgentIds> select_agent_ids(const std::string& slug) {
    SQLite::Statement query(m_db, "SELECT id, tenant_id, status FROM agents WHERE slug = ?");
    query.bind(1, slug);
    if (!query.executeStep()) {
      return std::nullopt;
    }
    return AgentIds{query.getColumn(0).getInt64(), query.getColumn(1).getInt64(),
                    parse_stored_agent_status(column_text(query.getColumn(2)))};
  }

  /// The agent a number is about to be given to.
  /// @throws Error(not_found); Error(conflict) while the agent is being created or deleted: a
  ///         number given to it then could ring an agent that never comes to exist.
  AgentIds require_assignable_agent(const std::string& slug) {
    const auto agent = select_agent_ids(slug);
    if (!agent) {
      throw agent_not_found(slug);
    }
    if (agent->status != AgentStatus::active) {
      throw Error(ErrorKind::conflict,
                  "agent \"" + slug + "\" is being " +
                      (agent->status == AgentStatus::creating ? "created" : "deleted") +
                      " (status " + to_string(agent->status) + ") and cannot receive numbers",
                  "run 'vami reconcile' if the command that was changing it died");
    }
    return *agent;
  }

  /// @throws Error(conflict) naming the agent other than `slug` that has `provider_agent_id`.
  void require_free_provider_agent_id(const std::string& provider_agent_id,
                                      const std::string& slug) {
    if (provider_agent_id.empty()) {
      return;
    }
    SQLite::Statement holder(m_db,
                             "SELECT slug FROM agents WHERE provider_agent_id = ? AND slug <> ?");
    holder.bind(1, provider_agent_id);
    holder.bind(2, slug);
    if (holder.executeStep()) {
      throw Error(ErrorKind::conflict, "provider agent id " + provider_agent_id +
                                           " already belongs to agent \"" +
                                           column_text(holder.getColumn(0)) + "\"");
    }
  }

  /// Binds the columns insert_agent and update_agent both write.
  static void bind_agent_configuration(SQLite::Statement& statement, const Agent& agent) {
    statement.bind(":name", agent.name);
    bind_text_or_null(statement, ":provider_agent_id", agent.provider_agent_id);
    bind_text_or_null(statement, ":voice_id", agent.voice_id);
    bind_text_or_null(statement, ":language", agent.language);
    if (agent.personality) {
      statement.bind(":personality", to_string(*agent.personality));
    } else {
      statement.bind(":personality");
    }
    bind_text_or_null(statement, ":first_message", agent.first_message);
    bind_text_or_null(statement, ":prompt", agent.prompt);
    statement.bind(":status", to_string(agent.status));
  }

  std::optional<Document> select_document_by_sha256(const std::string& agent_slug,
                                                    const std::string& sha256) {
    SQLite::Statement query(m_db,
                            std::string(k_document_select) + "WHERE a.slug = ? AND d.sha256 = ?");
    query.bind(1, agent_slug);
    query.bind(2, sha256);
    if (!query.executeStep()) {
      return std::nullopt;
    }
    return read_document(query);
  }

  /// Whether this process may change the number's routing: nobody holds it, this process does,
  /// or its holder has exited (or, on another host, has held it for longer than any provider
  /// call takes).
  [[nodiscard]] bool routing_free(const PoolNumber& number) const {
    // Another store of this process (a test's second staff member) is a holder still working.
    return number.routing_holder.empty() || number.routing_holder == m_holder ||
           !holder_still_working(number.routing_holder, number.routing_since);
  }

  void require_routing_free(const PoolNumber& number) const {
    if (!routing_free(number)) {
      throw routing_in_flight(number);
    }
  }

  /// Gives `e164` to `agent` (and its tenant), on condition that the row is still `available`
  /// (`from_agent_id` empty) or still assigned to `from_agent_id`, and returns the row after.
  /// Callers hold a `BEGIN IMMEDIATE` transaction and have checked the row, so the condition
  /// only guards against a caller that did not.
  PoolNumber write_assignment(const std::string& e164,
                              const std::optional<std::int64_t>& from_agent_id,
                              const AgentIds& agent, const AssignmentTarget& target) {
    std::string sql = "UPDATE numbers SET status = 'assigned', tenant_id = :tenant_id, "
                      "agent_id = :agent_id, routing_mode = :routing_mode, "
                      "routing_holder = :holder, routing_since = :now, updated_at = :now "
                      "WHERE e164 = :e164 AND ";
    sql += from_agent_id ? "status = 'assigned' AND agent_id = :from_agent_id"
                         : "status = 'available'";
    SQLite::Statement update(m_db, sql);
    update.bind(":tenant_id", agent.tenant_id);
    update.bind(":agent_id", agent.id);
    update.bind(":routing_mode", to_string(target.routing_mode));
    update.bind(":holder", m_holder);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    if (from_agent_id) {
      update.bind(":from_agent_id", *from_agent_id);
    }
    if (update.exec() == 0) {
      throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
    }
    return *select_number(e164);
  }

  void require_releasing(const std::string& e164) {
    const auto current = select_number(e164);
    if (!current) {
      throw not_in_pool(e164);
    }
    if (current->status != NumberStatus::releasing) {
      throw Error(ErrorKind::conflict,
                  e164 + " is not being released (status " + to_string(current->status) + ")");
    }
  }

  /// The row of a number that is `available`, `assigned` or `suspended` under `provider_sid`.
  /// @throws Error(not_found) if the pool does not hold it; Error(conflict) otherwise.
  PoolNumber require_settled(const std::string& e164, const std::string& provider_sid) {
    auto current = select_number(e164);
    if (!current || current->status == NumberStatus::released) {
      throw not_in_pool(e164);
    }
    const bool settled = current->status == NumberStatus::available ||
                         current->status == NumberStatus::assigned ||
                         current->status == NumberStatus::suspended;
    if (!settled || current->provider_sid != provider_sid) {
      throw Error(
          ErrorKind::conflict,
          e164 + " changed meanwhile (now " + to_string(current->status) + ", provider id " +
              (current->provider_sid.empty() ? std::string("none") : current->provider_sid) + ")");
    }
    return *current;
  }

  /// Executes a write whose only foreign key that callers can break is the operation id.
  static int execute_with_operation(SQLite::Statement& statement, const std::string& operation_id) {
    try {
      return statement.exec();
    } catch (const SQLite::Exception& error) {
      if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
        throw operation_not_found(operation_id);
      }
      throw;
    }
  }

  /// Executes a write that may collide with a UNIQUE provider id held by another row.
  static int execute_unique(SQLite::Statement& statement, const std::string& what) {
    try {
      return statement.exec();
    } catch (const SQLite::Exception& error) {
      if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE) {
        throw Error(ErrorKind::conflict, what + " already belongs to another pool number",
                    "run 'vami reconcile' to compare the pool with the provider");
      }
      throw;
    }
  }

  Error storage_error(const std::string& what, const SQLite::Exception& error) const {
    return detail::sqlite_error(m_path, what, error);
  }

  /// Runs `body` holding the connection, and turns every SQLite failure into an `Error`.
  template <typename Body>
  auto guarded(const std::string& what, Body&& body) -> decltype(body()) {
    std::lock_guard lock(m_mutex);
    try {
      return std::forward<Body>(body)();
    } catch (const SQLite::Exception& error) {
      throw storage_error(what, error);
    }
  }

  std::string m_path;
  std::string m_holder; ///< This process, in routing changes and operation claims.
  std::mutex m_mutex;
  SQLite::Database m_db;
  // After m_db: the statements are finalised before the connection closes.
  std::map<std::string, std::unique_ptr<SQLite::Statement>> m_prepared;
};

} // namespace

int current_schema_version() noexcept {
  return k_migrations.back().version;
}

std::unique_ptr<StateStore> open_sqlite_state_store(const std::filesystem::path& path,
                                                    const std::string& holder) {
  const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ignored;
  if (!std::filesystem::is_directory(folder, ignored)) {
    throw Error(ErrorKind::invalid_input,
                "cannot open the state database " + path.string() + ": folder " + folder.string() +
                    " does not exist",
                "create it, or choose another path with --db or VAMI_DB");
  }
  if (std::filesystem::is_directory(path, ignored)) {
    throw Error(ErrorKind::invalid_input,
                "cannot open the state database " + path.string() + ": it is a folder", k_db_hint);
  }
  detail::check_database_file(path);
  // SQLite takes an empty file for a new database; when making one in it fails, say so.
  const bool empty = std::filesystem::is_regular_file(path, ignored) &&
                     std::filesystem::file_size(path, ignored) == 0;
  try {
    return std::make_unique<SqliteStateStore>(path, holder);
  } catch (const Error& error) {
    if (!empty) {
      throw;
    }
    throw Error(error.kind(),
                std::string(error.what()) + " (the file was empty: vami was making a new "
                                            "database in it)",
                (error.hint().empty() ? std::string() : error.hint() + "; ") +
                    "if it held your pool before, it was truncated: restore it from a backup and "
                    "run 'vami reconcile --apply'");
  }
}

} // namespace vami
