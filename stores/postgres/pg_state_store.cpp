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

} // namespace

PostgresStateStore::PostgresStateStore(const std::string& uri, std::string holder)
    : m_location(pg::redact_uri(uri)), m_holder(std::move(holder)), m_db(uri) {
  // Times are written by vami as UTC ISO 8601 text; the session's own clock is UTC too, so
  // nothing the server prints depends on where it runs.
  m_db.exec("SET TIME ZONE 'UTC'");
  std::lock_guard lock(m_mutex);
  migrate();
}

int PostgresStateStore::schema_version() {
  return read("cannot read the schema version", [&] { return read_version(); });
}

void PostgresStateStore::begin() {
  if (!m_db.alive()) {
    throw pg::PgError("", "the connection to the server was lost", "", true);
  }
  m_db.exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
}

void PostgresStateStore::commit(const std::string& what) {
  try {
    m_db.exec("COMMIT");
  } catch (const pg::PgError& error) {
    if (!error.connection_lost()) {
      throw;
    }
    // The server may have committed before the connection broke: nobody can tell.
    throw Error(ErrorKind::uncertain,
                what + ": state database " + m_location +
                    ": the connection broke while the change was being committed; it may or may "
                    "not have been made",
                "run 'vami reconcile' to compare the pool with the providers, then run the "
                "command again");
  }
}

void PostgresStateStore::rollback() noexcept {
  try {
    if (m_db.alive()) {
      m_db.exec("ROLLBACK");
    }
  } catch (...) { // NOLINT(bugprone-empty-catch): nothing to roll back on a broken connection
  }
}

bool PostgresStateStore::retry_after(const pg::PgError& error, int attempt) {
  if (error.connection_lost()) {
    // Nothing was committed (a broken COMMIT is uncertain and never retried here): run the
    // transaction again on a new connection, a few times while the server restarts.
    constexpr int k_reconnects = 20;
    for (int tries = 0; tries < k_reconnects && attempt <= 3; ++tries) {
      if (try_reconnect()) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
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
    m_db.reconnect();
    m_db.exec("SET TIME ZONE 'UTC'");
    m_holds.clear(); // the old session's locks went with it
    return true;
  } catch (...) {
    return false;
  }
}

Error PostgresStateStore::storage_error(const std::string& what, const pg::PgError& error) const {
  return pg_error(m_location, what, error);
}

bool PostgresStateStore::take_hold(const std::string& name) {
  if (m_holds.count(name) != 0) {
    return true;
  }
  pg::Statement take("SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':' || "
                     ":name, 0))");
  take.bind(":name", name);
  if (!m_db.exec(take).boolean(0, 0)) {
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
  (void)m_db.exec(release);
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
