#pragma once

// The PostgreSQL store's thin RAII layer over libpq: a connection, a result, a statement with
// named parameters, and the failure libpq or the server reported (its SQLSTATE). Private to the
// PostgreSQL store; nothing here knows vami's domain.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

namespace vami::pg {

/// A failure reported by the server (with its SQLSTATE, "40001") or by libpq (an empty
/// SQLSTATE: the connection is gone or could not be made). The message never holds the
/// connection's password (`Connection` scrubs it).
class PgError : public std::runtime_error {
public:
  /// `sqlstate`: five characters, empty for a libpq failure; `constraint`: the constraint the
  /// row broke, when the server names one.
  PgError(std::string sqlstate, const std::string& message, std::string constraint = {},
          bool connection_lost = false);
  /// The SQLSTATE ("23505"), empty when libpq failed before the server answered.
  [[nodiscard]] const std::string& sqlstate() const noexcept { return m_sqlstate; }
  /// The name of the constraint a row broke, if the server said.
  [[nodiscard]] const std::string& constraint() const noexcept { return m_constraint; }
  /// Whether the connection to the server was lost (the server restarted, the network broke).
  [[nodiscard]] bool connection_lost() const noexcept { return m_connection_lost; }

private:
  std::string m_sqlstate;
  std::string m_constraint;
  bool m_connection_lost;
};

/// The result of one statement, owned (PQclear on destruction). Values are read as text.
class Result {
public:
  /// Takes ownership of `result` (may be null: no rows).
  explicit Result(PGresult* result) : m_result(result) {}
  /// The number of rows returned.
  [[nodiscard]] int rows() const noexcept;
  /// Whether column `column` of row `row` is NULL.
  [[nodiscard]] bool null(int row, int column) const noexcept;
  /// The value as text, "" for NULL.
  [[nodiscard]] std::string text(int row, int column) const;
  /// The value as an integer, 0 for NULL. @throws std::invalid_argument for non-digits.
  [[nodiscard]] std::int64_t integer(int row, int column) const;
  /// The value of a boolean column ("t").
  [[nodiscard]] bool boolean(int row, int column) const noexcept;
  /// How many rows an INSERT, UPDATE or DELETE changed.
  [[nodiscard]] int affected() const;

private:
  struct Clear {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> m_result;
};

/// One row of a result, read by column index.
class Row {
public:
  /// Row `index` of `result`, which must outlive it.
  Row(const Result& result, int index) : m_result(result), m_index(index) {}
  /// See `Result::null`.
  [[nodiscard]] bool null(int column) const noexcept { return m_result.null(m_index, column); }
  /// See `Result::text`.
  [[nodiscard]] std::string text(int column) const { return m_result.text(m_index, column); }
  /// See `Result::integer`.
  [[nodiscard]] std::int64_t integer(int column) const { return m_result.integer(m_index, column); }
  /// See `Result::boolean`.
  [[nodiscard]] bool boolean(int column) const noexcept {
    return m_result.boolean(m_index, column);
  }

private:
  const Result& m_result;
  int m_index;
};

/// A statement whose parameters are named (`:e164`) as in the SQLite store's SQL, sent to the
/// server as `$1`, `$2`, ... with every value as text (the server infers the types). `::` (a
/// cast) and quoted literals are left alone.
class Statement {
public:
  /// Parses the names out of `sql`. @throws std::logic_error for an unterminated literal.
  explicit Statement(std::string_view sql);
  /// Binds every occurrence of `name` (":e164") to `value`. @throws std::logic_error for a
  /// name the statement does not have.
  Statement& bind(std::string_view name, std::string value);
  /// Binds `name` to a whole number.
  Statement& bind(std::string_view name, std::int64_t value);
  /// Binds `name` to a whole number.
  Statement& bind(std::string_view name, int value) {
    return bind(name, static_cast<std::int64_t>(value));
  }
  /// Binds `name` to text (a C string literal).
  Statement& bind(std::string_view name, const char* value) {
    return bind(name, std::string(value));
  }
  /// Binds `name` to NULL.
  Statement& bind_null(std::string_view name);
  /// Binds `name` to `value`, or NULL when it is empty: optional text is stored as NULL so
  /// that UNIQUE columns (provider ids) do not collide on "not set".
  Statement& bind_text_or_null(std::string_view name, const std::string& value);
  /// The SQL with `$n` placeholders.
  [[nodiscard]] const std::string& sql() const noexcept { return m_sql; }
  /// The values in `$n` order. @throws std::logic_error when one is not bound.
  [[nodiscard]] std::vector<const char*> values() const;

private:
  std::size_t index_of(std::string_view name) const;

  std::string m_sql;
  std::vector<std::string> m_names;
  std::vector<std::optional<std::string>> m_values;
  std::vector<bool> m_bound;
};

/// One connection to a PostgreSQL server, owned (PQfinish on destruction). Not thread-safe:
/// its owner serialises its use.
class Connection {
public:
  /// Connects with `conninfo` (a `postgresql://` URI or `key=value` words); libpq completes it
  /// from the PG* environment variables and ~/.pgpass. @throws PgError when it cannot connect.
  explicit Connection(const std::string& conninfo);
  /// Runs one statement with its parameters. @throws PgError when it fails.
  Result exec(const Statement& statement);
  /// Runs `sql` (one or more statements, no parameters). @throws PgError when it fails.
  Result exec(const std::string& sql);
  /// Runs `sql` with positional parameters (`$1` is `values[0]`; a null pointer is NULL), every
  /// value as text: for statements built at run time with many values (a copy's batch insert).
  /// @throws PgError when it fails.
  Result exec_positional(const std::string& sql, const std::vector<const char*>& values);
  /// Runs `sql` (several statements, no parameters) in one round trip, appending the result
  /// of each statement that succeeded to `results` in order, so that the caller knows what ran
  /// before a failure. @throws PgError for the first statement that failed (no later one runs).
  void exec_each(const std::string& sql, std::vector<Result>& results);
  /// Runs `sql` and returns the first column of its first row ("" for NULL or no row).
  std::string value(const Statement& statement);
  /// Whether the connection is still up (false once the server has gone away).
  [[nodiscard]] bool alive() const noexcept;
  /// Whether a statement failed on this connection because the session ended (a FATAL answer
  /// counts, even while libpq has not yet noticed the connection close): it must be made again.
  [[nodiscard]] bool lost() const noexcept { return m_lost; }
  /// Whether a transaction is open on the connection (begun, not yet committed or rolled back).
  [[nodiscard]] bool in_transaction() const noexcept;
  /// Connects again with the same parameters (after the server restarted).
  /// @throws PgError when it cannot.
  void reconnect();
  /// `text` with the connection's password replaced by "***".
  [[nodiscard]] std::string scrub(std::string text) const;
  /// The server's process id of this session.
  [[nodiscard]] int backend_pid() const noexcept;
  /// libpq's connection, for what it reports of it (host, port, SSL); never null while
  /// connected. Its password must never be read from it for output.
  [[nodiscard]] PGconn* native() const noexcept { return m_connection.get(); }

private:
  PgError failure(PGresult* result) const;
  /// `raw` as a Result when it succeeded. @throws PgError (clearing it) when it failed.
  Result checked(PGresult* raw) const;
  void connect();

  struct Finish {
    void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
  };
  std::string m_conninfo;
  std::string m_password; ///< As libpq found it (URI, PGPASSWORD, ~/.pgpass), to scrub messages.
  std::unique_ptr<PGconn, Finish> m_connection;
  mutable bool m_lost = false; ///< See `lost`; `failure` sets it.
};

/// Whether `location` names a PostgreSQL database: a `postgresql://` or `postgres://` URI.
[[nodiscard]] bool is_uri(std::string_view location) noexcept;

/// `uri` with its password (in the user part or a `password=` parameter) replaced by "***".
[[nodiscard]] std::string redact_uri(std::string_view uri);

/// Whether `uri` carries a password itself (in the user part or a `password=` parameter).
[[nodiscard]] bool uri_has_password(std::string_view uri);

} // namespace vami::pg
