#pragma once

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
//
// The class is declared here and defined one concern a file: sqlite_state_store.cpp (the
// connection and its helpers), sqlite_schema.cpp, sqlite_operations.cpp, sqlite_numbers.cpp,
// sqlite_assignment.cpp, sqlite_tenants.cpp, sqlite_documents.cpp, sqlite_audit.cpp and
// sqlite_call_history.cpp; sqlite_rows, sqlite_conflicts and sqlite_errors hold what they share.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>

namespace vami::sqlite_store {

/// How long a statement waits for another process's write lock, in milliseconds.
inline constexpr int k_busy_timeout_ms = 10'000;

/// 'vami' in ASCII, stored in the database header so that vami never mistakes another
/// application's SQLite file for its own (and never migrates it).
inline constexpr int k_application_id = 0x76616D69;

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

/// What an assignment needs of an agent row.
struct AgentIds {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  AgentStatus status = AgentStatus::active;
};

/// The SQLite state store; its methods are documented on `StateStore`.
class SqliteStateStore final : public StateStore {
public:
  /// Opens the connection at `path`, checks that the file is vami's, switches it to WAL and
  /// migrates it. `holder` names this process in routing changes and operation claims.
  /// @throws Error as `open_sqlite_state_store`.
  SqliteStateStore(const std::filesystem::path& path, std::string holder);

  int schema_version() override;
  std::string location() const override { return m_path; }

  // --- operations journal (sqlite_operations.cpp)

  void create_operation(const Operation& operation) override;
  void finish_operation(const std::string& operation_id, OperationStatus status) override;
  void claim_operation(const std::string& operation_id) override;
  std::optional<Operation> find_operation(const std::string& operation_id) override;
  std::vector<Operation> list_operations(int limit) override;
  void record_item(const OperationItem& item) override;
  std::vector<OperationItem> list_items(const std::string& operation_id) override;

  // --- numbers (sqlite_numbers.cpp)

  void insert_purchase_intent(const PurchaseIntent& intent) override;
  PoolNumber complete_purchase(const std::string& e164, const OwnedNumber& owned,
                               const std::optional<Money>& monthly_price) override;
  void abandon_purchase(const std::string& e164) override;
  std::optional<PoolNumber> find_number(const std::string& e164) override;
  std::set<std::string> numbers_in_pool(const std::vector<std::string>& e164s) override;
  std::vector<PoolNumber> list_numbers(const NumberFilter& filter) override;
  PoolNumber begin_release(const std::string& e164) override;
  void complete_release(const std::string& e164) override;
  void revert_release(const std::string& e164, NumberStatus previous) override;
  void update_webhook(const std::string& e164, const VoiceWebhook& webhook) override;

  // --- reconcile (sqlite_numbers.cpp, list_items_of_number in sqlite_operations.cpp)

  PoolNumber adopt_number(const AdoptedNumber& number) override;
  PoolNumber mark_released(const std::string& e164, const std::string& provider_sid) override;
  PoolNumber record_provider_view(const std::string& e164, const std::string& expected_sid,
                                  const VoiceWebhook& expected_webhook,
                                  const OwnedNumber& owned) override;
  std::vector<OperationItem> list_items_of_number(const std::string& e164) override;

  // --- audit (sqlite_audit.cpp)

  void append_audit(const AuditEntry& entry) override;
  std::vector<AuditEntry> list_audit(const AuditFilter& filter) override;

  // --- tenants and agents (sqlite_tenants.cpp)

  Tenant create_tenant(const Tenant& tenant) override;
  std::optional<Tenant> find_tenant(const std::string& slug) override;
  std::vector<Tenant> list_tenants() override;
  Tenant update_tenant(const std::string& slug, const TenantChange& change) override;
  void delete_tenant(const std::string& slug) override;
  Agent insert_agent(const Agent& agent) override;
  std::optional<Agent> find_agent(const std::string& slug_or_provider_id) override;
  std::vector<Agent> list_agents(const std::string& tenant_slug) override;
  Agent update_agent(const Agent& agent) override;
  void delete_agent(const std::string& slug) override;

  // --- documents (sqlite_documents.cpp)

  Document insert_document(const Document& document) override;
  std::vector<Document> list_documents(const std::string& agent_slug) override;
  std::optional<Document> find_document_by_sha256(const std::string& agent_slug,
                                                  const std::string& sha256) override;
  Document mark_document_uploaded(const std::string& upload_name,
                                  const std::string& provider_document_id) override;
  void delete_document_intent(const std::string& upload_name) override;
  void delete_document(const std::string& agent_slug,
                       const std::string& provider_document_id) override;

  // --- assignment (sqlite_assignment.cpp)

  PoolNumber assign_number(const std::string& e164, const AssignmentTarget& target) override;
  PoolNumber assign_first_available(const NumberFilter& filter,
                                    const AssignmentTarget& target) override;
  PoolNumber reassign_number(const std::string& e164, const std::string& expected_agent_slug,
                             const AssignmentTarget& target) override;
  PoolNumber unassign_number(const std::string& e164,
                             const std::string& expected_agent_slug) override;
  void begin_routing_change(const std::string& e164) override;
  void end_routing_change(const std::string& e164) override;
  PoolNumber suspend_number(const std::string& e164, const Suspension& suspension) override;
  PoolNumber resume_number(const std::string& e164) override;
  void set_agent_phone_number_id(const std::string& e164,
                                 const std::string& phone_number_id) override;

  // --- call history (sqlite_call_history.cpp)

  CallUpsert upsert_call(const CallRecord& call) override;
  std::optional<CallRecord> find_call(const std::string& id) override;
  std::vector<CallRecord> list_calls(const CallFilter& filter) override;

private:
  // --- connection (sqlite_state_store.cpp)

  /// Opens (creating) the database file at `path`, waiting up to `k_busy_timeout_ms` for locks.
  static SQLite::Database open_connection(const std::string& path);

  /// The statement of `sql`, prepared on first use, reset and with no bindings.
  Prepared prepared(const std::string& sql);

  /// Executes a write whose only foreign key that callers can break is the operation id.
  static int execute_with_operation(SQLite::Statement& statement, const std::string& operation_id);

  /// Executes a write that may collide with a UNIQUE provider id held by another row.
  static int execute_unique(SQLite::Statement& statement, const std::string& what);

  /// `what` failed with `error`, as the vami error that names the file (`sqlite_error`).
  Error storage_error(const std::string& what, const SQLite::Exception& error) const;

  // --- schema (sqlite_schema.cpp)

  /// Refuses files that are not vami's before anything is written to them: the journal mode
  /// switch below rewrites the header, and a migration would add tables to someone else's
  /// database.
  void check_identity();

  /// @throws Error(invalid_input) when `version` is newer than this vami knows.
  void check_not_newer(int version) const;

  /// WAL (retrying while another process creates the file), `synchronous = NORMAL`, foreign keys.
  void configure_connection();

  /// Applies the migrations past the file's `user_version`, each in its own transaction.
  void migrate();

  // --- numbers (sqlite_numbers.cpp)

  /// The row of `e164`, whatever its status (a prepared statement: every bulk item reads one).
  std::optional<PoolNumber> select_number(const std::string& e164);

  /// @throws Error(not_found) if the pool does not hold `e164`; Error(conflict) unless `releasing`.
  void require_releasing(const std::string& e164);

  /// The row of a number that is `available`, `assigned` or `suspended` under `provider_sid`.
  /// @throws Error(not_found) if the pool does not hold it; Error(conflict) otherwise.
  PoolNumber require_settled(const std::string& e164, const std::string& provider_sid);

  // --- tenants and agents (sqlite_tenants.cpp)

  /// The tenant, its row id and the agent with `slug`, if any (inside the caller's transaction).
  std::optional<Tenant> select_tenant(const std::string& slug);

  std::optional<std::int64_t> select_tenant_id(const std::string& slug);

  std::optional<Agent> select_agent_by_slug(const std::string& slug);

  /// @throws Error(conflict) naming the agent other than `slug` that has `provider_agent_id`.
  void require_free_provider_agent_id(const std::string& provider_agent_id,
                                      const std::string& slug);

  /// Binds the columns insert_agent and update_agent both write.
  static void bind_agent_configuration(SQLite::Statement& statement, const Agent& agent);

  // --- documents (sqlite_documents.cpp)

  /// The document of `agent_slug` with that content, if any.
  std::optional<Document> select_document_by_sha256(const std::string& agent_slug,
                                                    const std::string& sha256);

  // --- assignment (sqlite_assignment.cpp)

  /// The row ids and status of the agent `slug`, if any.
  std::optional<AgentIds> select_agent_ids(const std::string& slug);

  /// The agent a number is about to be given to.
  /// @throws Error(not_found); Error(conflict) while the agent is being created or deleted: a
  ///         number given to it then could ring an agent that never comes to exist.
  AgentIds require_assignable_agent(const std::string& slug);

  /// Whether this process may change the number's routing: nobody holds it, this process does,
  /// or its holder has exited (or, on another host, has held it for longer than any provider
  /// call takes).
  [[nodiscard]] bool routing_free(const PoolNumber& number) const;

  /// @throws Error(conflict) unless `routing_free(number)`.
  void require_routing_free(const PoolNumber& number) const;

  /// Gives `e164` to `agent` (and its tenant), on condition that the row is still `available`
  /// (`from_agent_id` empty) or still assigned to `from_agent_id`, and returns the row after.
  /// Callers hold a `BEGIN IMMEDIATE` transaction and have checked the row, so the condition
  /// only guards against a caller that did not.
  PoolNumber write_assignment(const std::string& e164,
                              const std::optional<std::int64_t>& from_agent_id,
                              const AgentIds& agent, const AssignmentTarget& target);

  /// `PRAGMA user_version`: the schema version of the file.
  int read_user_version() { return m_db.execAndGet("PRAGMA user_version").getInt(); }

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
} // namespace vami::sqlite_store
