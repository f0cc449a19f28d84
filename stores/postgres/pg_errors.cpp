// What went wrong with the PostgreSQL state database, in words a user can act on (see
// pg_errors.hpp). Class 08 and libpq's own failures mean the server is out of reach; class 28
// the credentials; 3D000 a database that does not exist; 53 the server's resources.

#include "pg_errors.hpp"

#include <utility>

namespace vami::postgres_store {

namespace {

constexpr const char* k_other_database = "choose another database with --db or VAMI_DB";

bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

} // namespace

bool retryable(const pg::PgError& error) noexcept {
  if (error.sqlstate() == "40001" || error.sqlstate() == "40P01") {
    return true;
  }
  // A key every store method checks for before inserting it: a concurrent transaction
  // inserted it after the check. Run again, the check sees it and refuses in vami's words.
  const std::string& constraint = error.constraint();
  return error.sqlstate() == "23505" &&
         (constraint == "numbers_e164_key" || constraint == "tenants_slug_key" ||
          constraint == "agents_slug_key" || constraint == "operations_pkey" ||
          constraint == "operation_items_operation_id_e164_key");
}

Error pg_error(const std::string& location, const std::string& what, const pg::PgError& error) {
  const std::string& state = error.sqlstate();
  const std::string said = error.what();
  auto make = [&](ErrorKind kind, const std::string& cause, std::string hint) {
    return Error(kind, what + ": state database " + location + ": " + cause, std::move(hint));
  };
  if (starts_with(state, "28") || contains(said, "password authentication failed") ||
      contains(said, "no password supplied")) {
    return make(ErrorKind::auth, "the server refused the credentials (" + said + ")",
                "put the password in PGPASSWORD or ~/.pgpass (mode 0600), not in the URI, and "
                "check the user name");
  }
  if (state == "3D000" ||
      (state.empty() && contains(said, "database \"") && contains(said, "does not exist"))) {
    return make(ErrorKind::invalid_input, "the database does not exist (" + said + ")",
                "create it (createdb, or CREATE DATABASE), or " + std::string(k_other_database));
  }
  if (state == "3F000") {
    return make(ErrorKind::invalid_input, "the schema does not exist (" + said + ")",
                "create it (CREATE SCHEMA), or name another in the URI's "
                "options=-csearch_path%3D...");
  }
  if (state.empty() && (contains(said, "invalid ") || contains(said, "missing \"=\"") ||
                        contains(said, "unrecognized") || contains(said, "invalid URI"))) {
    return make(ErrorKind::invalid_input, "the URI is not valid (" + said + ")",
                "see the connection URI in PostgreSQL's libpq documentation: "
                "postgresql://[user@]host[:port]/dbname[?sslmode=require&...]");
  }
  if (state.empty() || starts_with(state, "08") || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    return make(ErrorKind::unavailable, "the server cannot be reached (" + said + ")",
                "check that PostgreSQL runs and accepts connections at that address "
                "(pg_isready), then run the command again");
  }
  if (retryable(error)) {
    return make(ErrorKind::storage,
                "other vami processes kept changing the same rows (" + said + ")", "try again");
  }
  if (state == "42501") {
    return make(ErrorKind::storage, "permission denied (" + said + ")",
                "grant this user the rights on vami's schema (see the admin guide), or " +
                    std::string(k_other_database));
  }
  if (state == "25006") {
    return make(ErrorKind::storage, "the server is read-only (" + said + ")",
                "point --db at the primary server, not a standby");
  }
  if (starts_with(state, "53")) {
    return make(ErrorKind::storage,
                "the server is out of resources: disk, memory or connections (" + said + ")",
                "free space on the server or raise max_connections, then run the command again");
  }
  return make(ErrorKind::storage, said + " (SQLSTATE " + state + ")", "");
}

} // namespace vami::postgres_store
