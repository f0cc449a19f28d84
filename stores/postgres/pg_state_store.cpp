// The PostgreSQL state store: the connection, its transactions, its holds and
// `open_postgres_state_store`. The concurrency model is told in pg_state_store.hpp.

#include "pg_state_store.hpp"

#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <utility>

#include "pg_errors.hpp"

#include <vami/stores/postgres_state_store.hpp>

namespace vami::postgres_store {

namespace {

/// How many times a transaction runs before vami gives up on a busy row: with pauses of up to
/// 50 ms, several seconds of other processes winning every time.
constexpr int k_attempts = 200;

/// How long a store whose connection broke waits for the server to come back (a restart, a
/// failover) before giving up on the statement, and how often it tries meanwhile.
constexpr std::chrono::seconds k_reconnect_window{15};
constexpr std::chrono::milliseconds k_reconnect_pause{250};
/// How many times a transaction runs again on a new connection (each waits up to the window for
/// the server: a restart, a failover, a server that flaps).
constexpr int k_reconnect_attempts = 20;

/// How many connections a store opens beside its home one, for the workers of a bulk command.
constexpr std::size_t k_spares = 3;

constexpr const char* k_uncertain_commit_hint =
    "run 'vami reconcile' to compare the pool with the providers, then run the command again";

} // namespace

PostgresStateStore::PostgresStateStore(const std::string& uri, std::string holder)
    : m_location(pg::redact_uri(uri)), m_holder(std::move(holder)), m_home(uri), m_uri(uri) {
  // Times are written by vami as UTC ISO 8601 text; the session's own clock is UTC too, so
  // nothing the server prints depends on where it runs.
  db().exec("SET TIME ZONE 'UTC'");
  std::lock_guard lock(m_mutex);
  migrate();
}

PostgresStateStore::SpareLease::SpareLease(PostgresStateStore& store) : m_store(store) {
  std::unique_lock lock(store.m_spares_mutex);
  while (store.m_idle_spares.empty() && !store.m_spares_refused) {
    if (store.m_spares.size() < k_spares) {
      try {
        auto spare = std::make_unique<pg::Connection>(store.m_uri);
        spare->exec("SET TIME ZONE 'UTC'");
        store.m_idle_spares.push_back(spare.get());
        store.m_spares.push_back(std::move(spare));
      } catch (const pg::PgError&) {
        store.m_spares_refused = true; // the server's connection limit, most likely
      }
      continue;
    }
    store.m_spare_returned.wait(lock);
  }
  if (store.m_idle_spares.empty()) {
    lock.unlock();
    m_home = std::unique_lock(store.m_mutex);
    return;
  }
  m_spare = store.m_idle_spares.back();
  store.m_idle_spares.pop_back();
  t_spare = m_spare;
  t_lender = &store;
}

PostgresStateStore::SpareLease::~SpareLease() {
  if (m_spare == nullptr) {
    return;
  }
  t_spare = nullptr;
  t_lender = nullptr;
  {
    std::lock_guard lock(m_store.m_spares_mutex);
    m_store.m_idle_spares.push_back(m_spare);
  }
  m_store.m_spare_returned.notify_one();
}

int PostgresStateStore::schema_version() {
  return read("cannot read the schema version", [&] { return read_version(); });
}

std::string PostgresStateStore::begin() {
  if (!db().alive()) {
    throw pg::PgError("", "the connection to the server was lost", "", true);
  }
  // The transaction's id, in BEGIN's own round trip: what the server is asked about if the
  // connection breaks during the COMMIT (a session the server ended while idle is only noticed
  // then, with no word of whether the COMMIT ran).
  std::vector<pg::Result> results;
  db().exec_each("BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT txid_current()", results);
  return results.back().text(0, 0);
}

void PostgresStateStore::commit(const std::string& what, const std::string& xid) {
  try {
    db().exec("COMMIT");
    return;
  } catch (const pg::PgError& error) {
    if (!error.connection_lost()) {
      throw;
    }
    switch (outcome_of(xid)) {
    case CommitOutcome::committed:
      return;
    case CommitOutcome::aborted:
      throw; // the server rolled it back as the session ended: run it again
    case CommitOutcome::unknown:
      break;
    }
  }
  // The server may have committed before the connection broke, and cannot be asked.
  throw Error(ErrorKind::uncertain, uncertain_commit(what), k_uncertain_commit_hint);
}

std::string PostgresStateStore::uncertain_commit(const std::string& what) const {
  return what + ": state database " + m_location +
         ": the connection broke while the change was being committed; it may or may not have "
         "been made";
}

PostgresStateStore::CommitOutcome PostgresStateStore::outcome_of(const std::string& xid) noexcept {
  // A session ended by a restart or a terminated backend is gone at once; a connection cut by
  // the network may leave its backend finishing the COMMIT for a moment ("in progress").
  const auto deadline = std::chrono::steady_clock::now() + k_reconnect_window;
  while (reconnect_in_time()) {
    try {
      pg::Statement status("SELECT txid_status(:xid)");
      status.bind(":xid", xid);
      const std::string said = db().value(status);
      if (said == "committed") {
        return CommitOutcome::committed;
      }
      if (said == "aborted") {
        return CommitOutcome::aborted;
      }
      if (said != "in progress" || std::chrono::steady_clock::now() > deadline) {
        return CommitOutcome::unknown; // NULL: too old to tell
      }
    } catch (...) {
      if (std::chrono::steady_clock::now() > deadline) {
        return CommitOutcome::unknown;
      }
    }
    std::this_thread::sleep_for(k_reconnect_pause);
  }
  return CommitOutcome::unknown;
}

void PostgresStateStore::rollback() noexcept {
  try {
    if (db().alive() && db().in_transaction()) {
      db().exec("ROLLBACK");
    }
  } catch (...) { // NOLINT(bugprone-empty-catch): nothing to roll back on a broken connection
  }
}

bool PostgresStateStore::retry_after(const pg::PgError& error, int attempt) {
  if (error.connection_lost()) {
    // Nothing was committed (a broken COMMIT that may have been is never retried here): run
    // the transaction again on a new connection, once the server is back.
    return attempt <= k_reconnect_attempts && reconnect_in_time();
  }
  return retryable(error) && pause_before_retry(attempt);
}

bool PostgresStateStore::pause_before_retry(int attempt) {
  if (attempt >= k_attempts) {
    return false;
  }
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling = std::min(50, 2 + 2 * attempt);
  std::uniform_int_distribution<int> pause(1, ceiling);
  std::this_thread::sleep_for(std::chrono::milliseconds(pause(random)));
  return true;
}

bool PostgresStateStore::try_reconnect() noexcept {
  try {
    db().reconnect();
    db().exec("SET TIME ZONE 'UTC'");
  } catch (...) {
    return false;
  }
  if (&db() != &m_home) {
    return true; // a spare holds nothing
  }
  // The old session's locks went with it. This process still runs what they held (a buy, a
  // routing change): take them again, so that nobody else resumes or changes it meanwhile.
  std::set<std::string> held;
  held.swap(m_holds);
  for (const auto& name : held) {
    try {
      (void)take_hold(name); // false: another session took it while this one was away
    } catch (...) {          // NOLINT(bugprone-empty-catch): the next statement reconnects
    }
  }
  return true;
}

bool PostgresStateStore::reconnect_in_time() noexcept {
  // Connected again since the failure (a cut COMMIT asked about): nothing to do. A connection
  // that merely looks alive is not trusted: after a FATAL answer libpq may not have read the
  // end of the connection yet, and the next statement would fail on it too.
  if (db().alive() && !db().lost()) {
    return true;
  }
  const auto deadline = std::chrono::steady_clock::now() + k_reconnect_window;
  while (!try_reconnect()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(k_reconnect_pause);
  }
  return true;
}

Error PostgresStateStore::storage_error(const std::string& what, const pg::PgError& error) const {
  return pg_error(m_location, what, error);
}

bool PostgresStateStore::take_hold(const std::string& name) {
  if (&db() != &m_home) {
    throw std::logic_error("a hold taken on a spare connection: " + name);
  }
  if (m_holds.count(name) != 0) {
    return true;
  }
  pg::Statement take("SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':' || "
                     ":name, 0))");
  take.bind(":name", name);
  if (!db().exec(take).boolean(0, 0)) {
    return false;
  }
  m_holds.insert(name);
  return true;
}

void PostgresStateStore::release_hold(const std::string& name) {
  if (m_holds.erase(name) == 0) {
    return;
  }
  pg::Statement release("SELECT pg_advisory_unlock(hashtextextended(current_schema() || ':' || "
                        ":name, 0))");
  release.bind(":name", name);
  (void)db().exec(release);
}

void PostgresStateStore::release_holds_since(const std::set<std::string>& before) noexcept {
  std::vector<std::string> taken;
  for (const auto& name : m_holds) {
    if (before.count(name) == 0) {
      taken.push_back(name);
    }
  }
  for (const auto& name : taken) {
    try {
      release_hold(name);
    } catch (...) {
      m_holds.erase(name); // a broken connection holds nothing any more
    }
  }
}

} // namespace vami::postgres_store

namespace vami {

std::unique_ptr<StateStore> open_postgres_state_store(const std::string& uri,
                                                      const std::string& holder) {
  try {
    return std::make_unique<postgres_store::PostgresStateStore>(uri, holder);
  } catch (const pg::PgError& error) {
    throw postgres_store::pg_error(pg::redact_uri(uri), "cannot open the state database", error);
  }
}

bool is_postgres_uri(std::string_view location) noexcept {
  return pg::is_uri(location);
}

std::string redact_postgres_uri(std::string_view uri) {
  return pg::redact_uri(uri);
}

bool postgres_uri_has_password(std::string_view uri) {
  return pg::uri_has_password(uri);
}

} // namespace vami
