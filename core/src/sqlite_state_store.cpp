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
#include <filesystem>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>

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

constexpr std::array<Migration, 1> k_migrations{{
    {1, k_schema_v1},
}};

constexpr std::array<std::pair<OperationKind, const char*>, 8> k_kind_names{{
    {OperationKind::buy, "buy"},
    {OperationKind::release, "release"},
    {OperationKind::webhook, "webhook"},
    {OperationKind::assign, "assign"},
    {OperationKind::unassign, "unassign"},
    {OperationKind::reassign, "reassign"},
    {OperationKind::reconcile, "reconcile"},
    {OperationKind::onboard, "onboard"},
}};

constexpr std::array<std::pair<OperationStatus, const char*>, 5> k_operation_status_names{{
    {OperationStatus::running, "running"},
    {OperationStatus::completed, "completed"},
    {OperationStatus::partial, "partial"},
    {OperationStatus::failed, "failed"},
    {OperationStatus::interrupted, "interrupted"},
}};

constexpr std::array<std::pair<ItemOutcome, const char*>, 4> k_outcome_names{{
    {ItemOutcome::pending, "pending"},
    {ItemOutcome::succeeded, "succeeded"},
    {ItemOutcome::failed, "failed"},
    {ItemOutcome::uncertain, "uncertain"},
}};

template <typename Enum, std::size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) {
      return name;
    }
  }
  return names.front().second;
}

/// The enum value stored as `text`. The CHECK constraints keep the column to known words, but
/// a newer vami may know more of them than this one.
template <typename Enum, std::size_t N>
Enum parse_stored(const std::array<std::pair<Enum, const char*>, N>& names, std::string_view text,
                  std::string_view what) {
  for (const auto& [value, name] : names) {
    if (text == name) {
      return value;
    }
  }
  throw Error(ErrorKind::storage,
              "the state database holds " + std::string(what) + " '" + std::string(text) +
                  "', which this vami does not know",
              "upgrade vami");
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
       n.status_callback, n.operation_id, t.slug, a.slug, n.created_at, n.updated_at
FROM numbers AS n
LEFT JOIN tenants AS t ON t.id = n.tenant_id
LEFT JOIN agents AS a ON a.id = n.agent_id
)sql";

constexpr const char* k_operation_select =
    "SELECT id, kind, status, requested_count, parameters, actor, created_at, finished_at "
    "FROM operations ";

PoolNumber read_number(const SQLite::Statement& row) {
  PoolNumber number;
  number.e164 = column_text(row.getColumn(0));
  const auto status_text = column_text(row.getColumn(1));
  const auto status = parse_number_status(status_text);
  if (!status) {
    throw Error(ErrorKind::storage,
                "the state database holds number status '" + status_text +
                    "', which this vami does not know",
                "upgrade vami");
  }
  number.status = *status;
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
  return number;
}

Operation read_operation(const SQLite::Statement& row) {
  Operation operation;
  operation.id = column_text(row.getColumn(0));
  operation.kind = parse_stored(k_kind_names, column_text(row.getColumn(1)), "operation kind");
  operation.status =
      parse_stored(k_operation_status_names, column_text(row.getColumn(2)), "operation status");
  operation.requested_count = row.getColumn(3).getInt();
  operation.parameters = column_text(row.getColumn(4));
  operation.actor = column_text(row.getColumn(5));
  operation.created_at = column_text(row.getColumn(6));
  operation.finished_at = column_text(row.getColumn(7));
  return operation;
}

/// An operation item from the columns operation_id, e164, outcome, error_code, error_message.
OperationItem read_item(const SQLite::Statement& row) {
  OperationItem item;
  item.operation_id = column_text(row.getColumn(0));
  item.e164 = column_text(row.getColumn(1));
  item.outcome = parse_stored(k_outcome_names, column_text(row.getColumn(2)), "item outcome");
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

class SqliteStateStore final : public StateStore {
public:
  explicit SqliteStateStore(const std::filesystem::path& path)
      : m_path(path.string()), m_db(open_connection(m_path)) {
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
                "created_at, finished_at) VALUES (:id, :kind, :status, :requested_count, "
                ":parameters, :actor, :created_at, :finished_at)");
      insert.bind(":id", operation.id);
      insert.bind(":kind", to_string(operation.kind));
      insert.bind(":status", to_string(operation.status));
      insert.bind(":requested_count", operation.requested_count);
      insert.bind(":parameters", operation.parameters.empty() ? "{}" : operation.parameters);
      insert.bind(":actor", operation.actor);
      insert.bind(":created_at",
                  operation.created_at.empty() ? utc_now_iso8601() : operation.created_at);
      bind_text_or_null(insert, ":finished_at", operation.finished_at);
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
      SQLite::Statement upsert(
          m_db, "INSERT INTO operation_items (operation_id, e164, outcome, error_code, "
                "error_message, updated_at) VALUES (:operation_id, :e164, :outcome, :error_code, "
                ":error_message, :updated_at) ON CONFLICT (operation_id, e164) DO UPDATE SET "
                "outcome = excluded.outcome, error_code = excluded.error_code, "
                "error_message = excluded.error_message, updated_at = excluded.updated_at");
      upsert.bind(":operation_id", item.operation_id);
      upsert.bind(":e164", item.e164);
      upsert.bind(":outcome", to_string(item.outcome));
      bind_text_or_null(upsert, ":error_code", item.error_code);
      bind_text_or_null(upsert, ":error_message", item.error_message);
      upsert.bind(":updated_at", utc_now_iso8601());
      execute_with_operation(upsert, item.operation_id);
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
      SQLite::Statement write(m_db, sql);
      write.bind(":e164", intent.e164);
      write.bind(":provider", intent.provider);
      write.bind(":country", intent.country);
      write.bind(":number_type", to_string(intent.type));
      bind_text_or_null(write, ":locality", intent.locality);
      bind_text_or_null(write, ":region", intent.region);
      bind_text_or_null(write, ":friendly_name", intent.friendly_name);
      write.bind(":operation_id", intent.operation_id);
      write.bind(":now", utc_now_iso8601());
      execute_with_operation(write, intent.operation_id);
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
      SQLite::Statement update(
          m_db, "UPDATE numbers SET status = 'available', provider_sid = :provider_sid, "
                "friendly_name = COALESCE(:friendly_name, friendly_name), voice_url = :voice_url, "
                "voice_method = :voice_method, status_callback = :status_callback, "
                "monthly_price_micros = :micros, currency = :currency, updated_at = :now "
                "WHERE e164 = :e164 AND status = 'purchasing'");
      update.bind(":e164", e164);
      bind_text_or_null(update, ":provider_sid", owned.provider_sid);
      bind_text_or_null(update, ":friendly_name", owned.friendly_name);
      bind_text_or_null(update, ":voice_url", owned.webhook.voice_url);
      bind_text_or_null(update, ":voice_method", method);
      bind_text_or_null(update, ":status_callback", owned.webhook.status_callback);
      if (monthly_price) {
        update.bind(":micros", monthly_price->micros);
        update.bind(":currency", monthly_price->currency);
      } else {
        update.bind(":micros");
        update.bind(":currency");
      }
      update.bind(":now", utc_now_iso8601());
      if (execute_unique(update, "provider id " + owned.provider_sid) == 0) {
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

  std::vector<PoolNumber> list_numbers(const NumberFilter& filter) override {
    for (const char c : filter.area_code) {
      if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
        throw Error(ErrorKind::invalid_input,
                    "area code '" + filter.area_code + "' must be three digits");
      }
    }
    return guarded("cannot list the pool", [&] {
      std::string sql = std::string(k_number_select) + "WHERE 1 = 1";
      if (filter.status) {
        sql += " AND n.status = :status";
      } else if (!filter.include_released) {
        sql += " AND n.status <> 'released'";
      }
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
      sql += " ORDER BY n.e164";
      SQLite::Statement query(m_db, sql);
      if (filter.status) {
        query.bind(":status", to_string(*filter.status));
      }
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
      switch (before->status) {
      case NumberStatus::assigned:
        throw Error(ErrorKind::conflict, e164 + " is assigned to agent \"" + before->agent_slug +
                                             "\" (tenant " + before->tenant_slug +
                                             "); unassign it first");
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
                "status_callback = NULL, routing_mode = NULL, provider_agent_phone_id = NULL "
                "WHERE e164 = :e164 AND status = 'releasing'");
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
                "tenant_id = NULL, agent_id = NULL WHERE e164 = :e164 AND status = :status");
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
      SQLite::Statement insert(
          m_db, "INSERT INTO audit_entries (at, actor, command, entity_type, entity_id, "
                "before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?)");
      insert.bind(1, entry.at.empty() ? utc_now_iso8601() : entry.at);
      insert.bind(2, entry.actor);
      insert.bind(3, entry.command);
      insert.bind(4, entry.entity_type);
      insert.bind(5, entry.entity_id);
      if (entry.before_json.empty()) {
        insert.bind(6);
      } else {
        insert.bind(6, entry.before_json);
      }
      if (entry.after_json.empty()) {
        insert.bind(7);
      } else {
        insert.bind(7, entry.after_json);
      }
      insert.exec(); // A lone INSERT is its own transaction and reads nothing first.
    });
  }

  // Placeholders until the tenant, agent, document and assignment storage lands.
  Tenant create_tenant(const Tenant&) override { throw not_yet(); }
  std::optional<Tenant> find_tenant(const std::string&) override { throw not_yet(); }
  std::vector<Tenant> list_tenants() override { throw not_yet(); }
  Tenant update_tenant(const std::string&, const TenantChange&) override { throw not_yet(); }
  void delete_tenant(const std::string&) override { throw not_yet(); }
  Agent insert_agent(const Agent&) override { throw not_yet(); }
  std::optional<Agent> find_agent(const std::string&) override { throw not_yet(); }
  std::vector<Agent> list_agents(const std::string&) override { throw not_yet(); }
  Agent update_agent(const Agent&) override { throw not_yet(); }
  void delete_agent(const std::string&) override { throw not_yet(); }
  Document insert_document(const Document&) override { throw not_yet(); }
  std::vector<Document> list_documents(const std::string&) override { throw not_yet(); }
  std::optional<Document> find_document_by_sha256(const std::string&, const std::string&) override {
    throw not_yet();
  }
  void delete_document(const std::string&, const std::string&) override { throw not_yet(); }
  PoolNumber assign_number(const std::string&, const AssignmentTarget&) override {
    throw not_yet();
  }
  PoolNumber assign_first_available(const NumberFilter&, const AssignmentTarget&) override {
    throw not_yet();
  }
  PoolNumber reassign_number(const std::string&, const std::string&,
                             const AssignmentTarget&) override {
    throw not_yet();
  }
  PoolNumber unassign_number(const std::string&, const std::string&) override { throw not_yet(); }
  void set_agent_phone_number_id(const std::string&, const std::string&) override {
    throw not_yet();
  }
  static Error not_yet() { return Error(ErrorKind::storage, "not implemented yet"); }

  std::vector<AuditEntry> list_audit(const AuditFilter& filter) override {
    const std::string& since = filter.since;
    return guarded("cannot read the audit trail", [&] {
      // Every string is >= "", so an empty `since` selects everything.
      SQLite::Statement query(m_db, "SELECT at, actor, command, entity_type, entity_id, "
                                    "before_json, after_json FROM audit_entries WHERE at >= ? "
                                    "ORDER BY at, id");
      query.bind(1, since);
      std::vector<AuditEntry> entries;
      while (query.executeStep()) {
        AuditEntry entry;
        entry.at = column_text(query.getColumn(0));
        entry.actor = column_text(query.getColumn(1));
        entry.command = column_text(query.getColumn(2));
        entry.entity_type = column_text(query.getColumn(3));
        entry.entity_id = column_text(query.getColumn(4));
        entry.before_json = column_text(query.getColumn(5));
        entry.after_json = column_text(query.getColumn(6));
        entries.push_back(std::move(entry));
      }
      return entries;
    });
  }

private:
  static SQLite::Database open_connection(const std::string& path) {
    try {
      return SQLite::Database(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                              k_busy_timeout_ms);
    } catch (const SQLite::Exception& error) {
      throw Error(ErrorKind::storage,
                  "cannot open the state database " + path + ": " + error.what());
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
        throw Error(ErrorKind::invalid_input, m_path + " is not a vami state database", k_db_hint);
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

  void migrate() {
    int version = read_user_version();
    for (const auto& migration : k_migrations) {
      if (migration.version <= version) {
        continue;
      }
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      // Another process may have migrated while this one waited for the write lock.
      version = read_user_version();
      check_not_newer(version);
      if (migration.version <= version) {
        transaction.commit();
        continue;
      }
      m_db.exec(migration.sql);
      m_db.exec("PRAGMA application_id = " + std::to_string(k_application_id));
      m_db.exec("PRAGMA user_version = " + std::to_string(migration.version));
      transaction.commit();
      version = migration.version;
    }
  }

  int read_user_version() { return m_db.execAndGet("PRAGMA user_version").getInt(); }

  std::optional<PoolNumber> select_number(const std::string& e164) {
    SQLite::Statement query(m_db, std::string(k_number_select) + "WHERE n.e164 = ?");
    query.bind(1, e164);
    if (!query.executeStep()) {
      return std::nullopt;
    }
    return read_number(query);
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
    const int code = primary_code(error);
    std::string hint;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
      hint = "another vami process kept the database busy for more than " +
             std::to_string(k_busy_timeout_ms / 1000) + " s; try again";
    } else if (code == SQLITE_FULL) {
      hint = "free some disk space";
    } else if (code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN) {
      hint = "check that the file and its folder are writable, or " + std::string(k_db_hint);
    }
    return Error(ErrorKind::storage, what + " (state database " + m_path + "): " + error.what(),
                 std::move(hint));
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
  std::mutex m_mutex;
  SQLite::Database m_db;
};

} // namespace

const char* to_string(OperationKind kind) noexcept {
  return name_of(k_kind_names, kind);
}

const char* to_string(OperationStatus status) noexcept {
  return name_of(k_operation_status_names, status);
}

const char* to_string(ItemOutcome outcome) noexcept {
  return name_of(k_outcome_names, outcome);
}

int current_schema_version() noexcept {
  return k_migrations.back().version;
}

std::unique_ptr<StateStore> open_sqlite_state_store(const std::filesystem::path& path) {
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
  return std::make_unique<SqliteStateStore>(path);
}

} // namespace vami
