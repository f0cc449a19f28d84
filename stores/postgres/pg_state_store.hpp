#pragma once

// The PostgreSQL state store: one pool shared by every admin, CI job and router of a team.
//
// Concurrency model (docs/architecture.md, "State stores"): every read-then-write runs in one
// SERIALIZABLE transaction, retried from the start when the server reports a serialization
// failure (40001) or a deadlock (40P01), so a decision and its write always see the same rows
// and two processes can never both win: the loser's retry reads the winner's row and refuses
// as the SQLite store does. Single reads run on their own (autocommit). Within a process, one
// mutex serialises the use of the home connection, which holds the holds; the hold-free calls
// of concurrent threads (a bulk command's workers, the router's) run on up to three spare
// connections meanwhile (`parallel_transaction`, `parallel_read`).
//
// Holds: a number's routing change, an operation's run and a knowledge-base upload in flight
// are held with session advisory locks of this store's connection (keyed by a hash of the
// schema and the number, operation or upload name), beside the holder columns the SQLite store
// keeps. The server drops them when the connection dies, so a process killed on any host holds
// nothing: rows read through this store show a routing holder and an upload's holder only while
// its lock is held, and a running operation whose lock is free as `interrupted`, which it then
// is. A store whose connection broke takes its locks again on the new one.
//
// The class is declared here and defined one concern a file: pg_state_store.cpp (connection,
// transactions, holds), pg_schema.cpp, pg_operations.cpp, pg_numbers.cpp, pg_assignment.cpp,
// pg_tenants.cpp, pg_documents.cpp and pg_call_history.cpp; pg_rows and pg_errors hold what
// they share.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pg_connection.hpp"

#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>

namespace vami::postgres_store {

/// What an assignment needs of an agent row.
struct AgentIds {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  AgentStatus status = AgentStatus::active;
};

/// Thrown inside a transaction's body to run it again from the start after a short pause
/// (a hold another session is taking in a transaction not yet committed).
struct RetryTransaction {};

/// The PostgreSQL state store; its methods are documented on `StateStore`.
class PostgresStateStore final : public StateStore {
public:
  /// Connects with `uri`, checks that its schema is vami's (or empty) and migrates it.
  /// `holder` names this process in routing changes and operation claims.
  /// @throws Error as `open_postgres_state_store`.
  PostgresStateStore(const std::string& uri, std::string holder);

  int schema_version() override;
  std::string location() const override { return m_location; }

  // --- operations journal (pg_operations.cpp)

  void create_operation(const Operation& operation) override;
  void finish_operation(const std::string& operation_id, OperationStatus status) override;
  void claim_operation(const std::string& operation_id) override;
  std::optional<Operation> find_operation(const std::string& operation_id) override;
  std::vector<Operation> list_operations(int limit) override;
  void record_item(const OperationItem& item) override;
  std::vector<OperationItem> list_items(const std::string& operation_id) override;
  std::vector<OperationItem> list_items_of_number(const std::string& e164) override;

  // --- audit (pg_operations.cpp)

  void append_audit(const AuditEntry& entry) override;
  std::vector<AuditEntry> list_audit(const AuditFilter& filter) override;

  // --- numbers and reconcile (pg_numbers.cpp)

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
  PoolNumber adopt_number(const AdoptedNumber& number) override;
  PoolNumber mark_released(const std::string& e164, const std::string& provider_sid) override;
  PoolNumber record_provider_view(const std::string& e164, const std::string& expected_sid,
                                  const VoiceWebhook& expected_webhook,
                                  const OwnedNumber& owned) override;

  // --- tenants and agents (pg_tenants.cpp)

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

  // --- documents (pg_documents.cpp)

  Document insert_document(const Document& document) override;
  std::vector<Document> list_documents(const std::string& agent_slug) override;
  std::optional<Document> find_document_by_sha256(const std::string& agent_slug,
                                                  const std::string& sha256) override;
  Document mark_document_uploaded(const std::string& upload_name,
                                  const std::string& provider_document_id) override;
  void delete_document_intent(const std::string& upload_name) override;
  void delete_document(const std::string& agent_slug,
                       const std::string& provider_document_id) override;

  // --- assignment (pg_assignment.cpp)

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

  // --- call history (pg_call_history.cpp)

  CallUpsert upsert_call(const CallRecord& call) override;
  std::optional<CallRecord> find_call(const std::string& id) override;
  std::vector<CallRecord> list_calls(const CallFilter& filter) override;

private:
  // --- transactions (pg_state_store.cpp)

  /// Runs `body` in one SERIALIZABLE transaction holding the connection, again from the start
  /// after a serialization failure, a deadlock or a `RetryTransaction`; turns every database
  /// failure into an `Error` about `what`. Holds taken by an attempt that finally fails are
  /// given back.
  template <typename Body>
  auto transaction(const std::string& what, Body&& body) -> decltype(body()) {
    std::lock_guard lock(m_mutex);
    return run_transaction(what, body, Connections::home);
  }

  /// As `transaction`, for a body that takes and gives back no hold (a purchase's rows, a
  /// journal item): on the home connection when no other thread uses it, else on a spare
  /// connection of this store (opened on first need, at most `k_spares`), so that the small
  /// transactions of a bulk command's workers run side by side instead of one at a time.
  template <typename Body>
  auto parallel_transaction(const std::string& what, Body&& body) -> decltype(body()) {
    std::unique_lock home(m_mutex, std::try_to_lock);
    if (home.owns_lock()) {
      return run_transaction(what, body, Connections::home);
    }
    const SpareLease spare(*this);
    return run_transaction(what, body, spare.connections());
  }

  /// Runs `body` (single reads, and lone statements that are their own transaction) holding
  /// the connection, again once on a new connection if the server went away (waiting for it to
  /// come back, as a restart or a failover takes a few seconds), and turns every database
  /// failure into an `Error` about `what`.
  template <typename Body>
  auto read(const std::string& what, Body&& body) -> decltype(body()) {
    std::lock_guard lock(m_mutex);
    return run_read(what, body, Connections::home);
  }

  /// As `read`, on a spare connection while another thread uses the home one (see
  /// `parallel_transaction`).
  template <typename Body>
  auto parallel_read(const std::string& what, Body&& body) -> decltype(body()) {
    std::unique_lock home(m_mutex, std::try_to_lock);
    if (home.owns_lock()) {
      return run_read(what, body, Connections::home);
    }
    const SpareLease spare(*this);
    return run_read(what, body, spare.connections());
  }

  /// Which connection a call runs on: the home one (its holds, under `m_mutex`), or a spare.
  enum class Connections { home, spare };

  template <typename Body>
  auto run_transaction(const std::string& what, Body& body, Connections on) -> decltype(body()) {
    // Holds live on the home connection only; a spare's bodies take none.
    const std::set<std::string> held_before =
        on == Connections::home ? m_holds : std::set<std::string>{};
    auto give_back = [&] {
      if (on == Connections::home) {
        release_holds_since(held_before);
      }
    };
    for (int attempt = 1;; ++attempt) {
      try {
        const std::string xid = begin();
        if constexpr (std::is_void_v<decltype(body())>) {
          body();
          commit(what, xid);
          return;
        } else {
          auto result = body();
          commit(what, xid);
          return result;
        }
      } catch (const pg::PgError& error) {
        rollback();
        if (!retry_after(error, attempt)) {
          give_back();
          throw storage_error(what, error);
        }
      } catch (const RetryTransaction&) {
        rollback();
        if (!pause_before_retry(attempt)) {
          give_back();
          throw Error(ErrorKind::conflict,
                      what + ": another vami process kept changing the same rows", "try again");
        }
      } catch (...) {
        rollback();
        give_back();
        throw;
      }
    }
  }

  template <typename Body>
  auto run_read(const std::string& what, Body& body, Connections) -> decltype(body()) {
    for (int attempt = 1;; ++attempt) {
      try {
        return body();
      } catch (const pg::PgError& error) {
        if (!(error.connection_lost() && attempt == 1 && reconnect_in_time())) {
          throw storage_error(what, error);
        }
      }
    }
  }

  /// A spare connection lent to the calling thread for one call: `db()` is it meanwhile. When
  /// no spare can be opened (the server's connection limit), the thread waits for the home
  /// connection instead.
  class SpareLease {
  public:
    explicit SpareLease(PostgresStateStore& store);
    ~SpareLease();
    SpareLease(const SpareLease&) = delete;
    SpareLease& operator=(const SpareLease&) = delete;
    /// What the call runs on: a spare, or the home connection when none could be opened.
    [[nodiscard]] Connections connections() const noexcept {
      return m_spare ? Connections::spare : Connections::home;
    }

  private:
    PostgresStateStore& m_store;
    pg::Connection* m_spare = nullptr;
    std::unique_lock<std::mutex> m_home;
  };

  /// The connection of the calling thread's current call: a lent spare, else the home one.
  [[nodiscard]] pg::Connection& db() noexcept {
    return t_lender == this && t_spare ? *t_spare : m_home;
  }

  /// Begins a SERIALIZABLE transaction and returns its id (`txid_current`).
  std::string begin();
  /// Commits transaction `xid`. When the connection breaks during the COMMIT, asks the server,
  /// once connected again, what became of the transaction (`txid_status`): committed, it
  /// returns; aborted, it throws the connection's `PgError` so that the
  /// transaction runs again.
  /// @throws Error(uncertain) when the server cannot tell (or cannot be reached again).
  void commit(const std::string& what, const std::string& xid);
  /// The words of a change whose COMMIT may or may not have been made.
  [[nodiscard]] std::string uncertain_commit(const std::string& what) const;
  void rollback() noexcept;
  /// Whether to run the transaction again after `error` (pausing first, or connecting again).
  bool retry_after(const pg::PgError& error, int attempt);
  /// Pauses before attempt `attempt + 1`; false when the attempts are spent.
  bool pause_before_retry(int attempt);
  /// Connects again after the server went away, taking again the holds the old session had
  /// (the server dropped them with it) unless another session took one meanwhile.
  bool try_reconnect() noexcept;
  /// `try_reconnect` every quarter second until it succeeds or `k_reconnect_window` has passed;
  /// true at once when the connection is up again already.
  bool reconnect_in_time() noexcept;
  /// What became of a transaction whose COMMIT lost its connection.
  enum class CommitOutcome { committed, aborted, unknown };
  /// Asks the server, connected again, about transaction `xid` (`txid_status`).
  CommitOutcome outcome_of(const std::string& xid) noexcept;
  /// `what` failed with `error`, as the vami error that names the database (never its password).
  Error storage_error(const std::string& what, const pg::PgError& error) const;

  // --- holds (pg_state_store.cpp)

  /// Takes the session lock `name` ("routing:+12125550101", "operation:op-...") unless this
  /// session has it; false when another session has it.
  bool take_hold(const std::string& name);
  /// Gives the session lock `name` back if this session has it.
  void release_hold(const std::string& name);
  /// Gives back the holds taken since `before`.
  void release_holds_since(const std::set<std::string>& before) noexcept;

  // --- schema (pg_schema.cpp)

  /// Refuses a schema that holds tables but not vami's, and a schema newer than this vami.
  void check_identity();
  /// Applies the missing migrations, each in a transaction under a transaction-level advisory
  /// lock, so that two first runs never migrate twice.
  void migrate();
  /// The last migration applied (0 for an empty schema).
  int read_version();

  // --- numbers (pg_numbers.cpp)

  /// The row of `e164`, whatever its status, its routing holder shown only while held.
  std::optional<PoolNumber> select_number(const std::string& e164);
  /// @throws Error(not_found) if the pool does not hold `e164`; Error(conflict) unless `releasing`.
  void require_releasing(const std::string& e164);
  /// The row of a number that is `available`, `assigned` or `suspended` under `provider_sid`.
  /// @throws Error(not_found) if the pool does not hold it; Error(conflict) otherwise.
  PoolNumber require_settled(const std::string& e164, const std::string& provider_sid);

  // --- tenants and agents (pg_tenants.cpp)

  std::optional<Tenant> select_tenant(const std::string& slug);
  std::optional<std::int64_t> select_tenant_id(const std::string& slug);
  std::optional<Agent> select_agent_by_slug(const std::string& slug);
  /// @throws Error(conflict) naming the agent other than `slug` that has `provider_agent_id`.
  void require_free_provider_agent_id(const std::string& provider_agent_id,
                                      const std::string& slug);
  std::optional<Document> select_document_by_sha256(const std::string& agent_slug,
                                                    const std::string& sha256);

  // --- documents (pg_documents.cpp)

  /// Gives back the lock of an upload this session recorded, once it is settled.
  void end_upload(const std::string& upload_name);

  // --- assignment (pg_assignment.cpp)

  std::optional<AgentIds> select_agent_ids(const std::string& slug);
  /// @throws Error(not_found); Error(conflict) while the agent is being created or deleted.
  AgentIds require_assignable_agent(const std::string& slug);
  /// Whether this process may change the number's routing: nobody holds it (or its session
  /// has ended), this process does, or its holder is a process of this host that has exited.
  [[nodiscard]] bool routing_free(const PoolNumber& number) const;
  /// @throws Error(conflict) unless `routing_free(number)`.
  void require_routing_free(const PoolNumber& number) const;
  /// Takes the number's routing lock for this session; a free number whose lock another
  /// session is taking right now makes the transaction run again.
  void take_routing(const PoolNumber& number);
  /// Gives `e164` to `agent` on condition that the row is as the caller checked it.
  PoolNumber write_assignment(const std::string& e164,
                              const std::optional<std::int64_t>& from_agent_id,
                              const AgentIds& agent, const AssignmentTarget& target);

  std::string m_location; ///< The URI as given, its password replaced by "***".
  std::string m_holder;   ///< This process, in routing changes and operation claims.
  std::mutex m_mutex;     ///< Serialises the use of the home connection and `m_holds`.
  pg::Connection m_home;
  std::string m_uri; ///< To open spare connections (never shown: it may hold a password).
  std::mutex m_spares_mutex;
  std::condition_variable m_spare_returned;
  std::vector<std::unique_ptr<pg::Connection>> m_spares; ///< Opened so far.
  std::vector<pg::Connection*> m_idle_spares;            ///< Not lent right now.
  bool m_spares_refused = false; ///< The server refused one: lend none, use the home one.
  /// The spare lent to this thread, and by which store.
  static inline thread_local pg::Connection* t_spare = nullptr;
  static inline thread_local const PostgresStateStore* t_lender = nullptr;
  std::set<std::string> m_holds; ///< The session locks this connection holds, by name.
};

} // namespace vami::postgres_store
