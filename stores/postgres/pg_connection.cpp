// The PostgreSQL store's RAII layer over libpq (see pg_connection.hpp).

#include "pg_connection.hpp"

#include <cctype>
#include <charconv>
#include <utility>

namespace vami::pg {

PgError::PgError(std::string sqlstate, const std::string& message, std::string constraint,
                 bool connection_lost)
    : std::runtime_error(message), m_sqlstate(std::move(sqlstate)),
      m_constraint(std::move(constraint)), m_connection_lost(connection_lost) {}

// --- Result ---------------------------------------------------------------------------------

int Result::rows() const noexcept {
  return m_result ? PQntuples(m_result.get()) : 0;
}

bool Result::null(int row, int column) const noexcept {
  return !m_result || PQgetisnull(m_result.get(), row, column) != 0;
}

std::string Result::text(int row, int column) const {
  if (null(row, column)) {
    return {};
  }
  return std::string(PQgetvalue(m_result.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(m_result.get(), row, column)));
}

std::int64_t Result::integer(int row, int column) const {
  if (null(row, column)) {
    return 0;
  }
  const std::string value = text(row, column);
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (error != std::errc{} || end != value.data() + value.size()) {
    throw std::invalid_argument("not a whole number: " + value);
  }
  return number;
}

bool Result::boolean(int row, int column) const noexcept {
  return !null(row, column) && PQgetvalue(m_result.get(), row, column)[0] == 't';
}

int Result::affected() const {
  const char* count = m_result ? PQcmdTuples(m_result.get()) : "";
  return count[0] == '\0' ? 0 : std::stoi(count);
}

// --- Statement ------------------------------------------------------------------------------

namespace {

bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

} // namespace

Statement::Statement(std::string_view sql) {
  m_sql.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == '\'') { // a literal: copied whole, '' included
      const std::size_t end = sql.find('\'', i + 1);
      if (end == std::string_view::npos) {
        throw std::logic_error("unterminated literal in SQL");
      }
      m_sql.append(sql.substr(i, end - i + 1));
      i = end + 1;
      continue;
    }
    if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') { // a cast
      m_sql += "::";
      i += 2;
      continue;
    }
    if (c == ':' && i + 1 < sql.size() && name_start(sql[i + 1])) {
      std::size_t end = i + 1;
      while (end < sql.size() && name_char(sql[end])) {
        ++end;
      }
      const std::string name(sql.substr(i, end - i));
      std::size_t index = 0;
      while (index < m_names.size() && m_names[index] != name) {
        ++index;
      }
      if (index == m_names.size()) {
        m_names.push_back(name);
      }
      m_sql += "$" + std::to_string(index + 1);
      i = end;
      continue;
    }
    m_sql += c;
    ++i;
  }
  m_values.resize(m_names.size());
  m_bound.resize(m_names.size(), false);
}

std::size_t Statement::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < m_names.size(); ++i) {
    if (m_names[i] == name) {
      return i;
    }
  }
  throw std::logic_error("the statement has no parameter " + std::string(name));
}

Statement& Statement::bind(std::string_view name, std::string value) {
  const std::size_t index = index_of(name);
  m_values[index] = std::move(value);
  m_bound[index] = true;
  return *this;
}

Statement& Statement::bind(std::string_view name, std::int64_t value) {
  return bind(name, std::to_string(value));
}

Statement& Statement::bind_null(std::string_view name) {
  const std::size_t index = index_of(name);
  m_values[index].reset();
  m_bound[index] = true;
  return *this;
}

Statement& Statement::bind_text_or_null(std::string_view name, const std::string& value) {
  return value.empty() ? bind_null(name) : bind(name, value);
}

std::vector<const char*> Statement::values() const {
  std::vector<const char*> values;
  values.reserve(m_values.size());
  for (std::size_t i = 0; i < m_values.size(); ++i) {
    if (!m_bound[i]) {
      throw std::logic_error("parameter " + m_names[i] + " is not bound");
    }
    values.push_back(m_values[i] ? m_values[i]->c_str() : nullptr);
  }
  return values;
}

// --- Connection -----------------------------------------------------------------------------

Connection::Connection(const std::string& conninfo) : m_conninfo(conninfo) {
  connect();
}

void Connection::connect() {
  m_lost = false;
  m_connection.reset(PQconnectdb(m_conninfo.c_str()));
  if (!m_connection) {
    throw PgError("", "libpq could not allocate a connection", "", true);
  }
  // The server's notices ("relation ... already exists, skipping" of a migration's IF NOT
  // EXISTS) are not for the user: libpq would print them on stderr.
  PQsetNoticeProcessor(
      m_connection.get(), [](void*, const char*) {}, nullptr);
  if (const char* password = PQpass(m_connection.get())) {
    m_password = password;
  }
  if (PQstatus(m_connection.get()) != CONNECTION_OK) {
    std::string message = scrub(PQerrorMessage(m_connection.get()));
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    // libpq's hints come on lines of their own ("\n\tIs the server running ..."): one line.
    for (std::size_t at = message.find('\n'); at != std::string::npos; at = message.find('\n')) {
      const std::size_t end = message.find_first_not_of("\n\t ", at);
      message.replace(at, (end == std::string::npos ? message.size() : end) - at, " ");
    }
    m_connection.reset();
    throw PgError("", message, "", true);
  }
}

void Connection::reconnect() {
  connect();
}

bool Connection::alive() const noexcept {
  return m_connection && PQstatus(m_connection.get()) == CONNECTION_OK;
}

bool Connection::in_transaction() const noexcept {
  return m_connection && PQtransactionStatus(m_connection.get()) != PQTRANS_IDLE;
}

int Connection::backend_pid() const noexcept {
  return m_connection ? PQbackendPID(m_connection.get()) : 0;
}

std::string Connection::scrub(std::string text) const {
  if (m_password.empty()) {
    return text;
  }
  for (std::size_t at = text.find(m_password); at != std::string::npos;
       at = text.find(m_password, at + 3)) {
    text.replace(at, m_password.size(), "***");
  }
  return text;
}

PgError Connection::failure(PGresult* result) const {
  auto field = [&](int code) {
    const char* value = result ? PQresultErrorField(result, code) : nullptr;
    return value ? std::string(value) : std::string();
  };
  std::string message = field(PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) {
    message = m_connection ? PQerrorMessage(m_connection.get()) : "no connection";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
  }
  // A FATAL error ends the session (a restart's "terminating connection due to administrator
  // command"), even while libpq has not yet read the end of the connection.
  const std::string severity = field(PG_DIAG_SEVERITY_NONLOCALIZED);
  const bool lost = !m_connection || PQstatus(m_connection.get()) != CONNECTION_OK ||
                    severity == "FATAL" || severity == "PANIC";
  m_lost = m_lost || lost;
  return PgError(field(PG_DIAG_SQLSTATE), scrub(message), field(PG_DIAG_CONSTRAINT_NAME), lost);
}

Result Connection::exec(const Statement& statement) {
  if (!m_connection) {
    throw PgError("", "not connected", "", true);
  }
  const std::vector<const char*> values = statement.values();
  PGresult* raw =
      PQexecParams(m_connection.get(), statement.sql().c_str(), static_cast<int>(values.size()),
                   nullptr, values.data(), nullptr, nullptr, 0);
  return checked(raw);
}

Result Connection::exec_positional(const std::string& sql, const std::vector<const char*>& values) {
  if (!m_connection) {
    throw PgError("", "not connected", "", true);
  }
  return checked(PQexecParams(m_connection.get(), sql.c_str(), static_cast<int>(values.size()),
                              nullptr, values.data(), nullptr, nullptr, 0));
}

Result Connection::checked(PGresult* raw) const {
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PgError error = failure(raw);
    PQclear(raw);
    throw error;
  }
  return Result(raw);
}

Result Connection::exec(const std::string& sql) {
  if (!m_connection) {
    throw PgError("", "not connected", "", true);
  }
  return checked(PQexec(m_connection.get(), sql.c_str()));
}

void Connection::exec_each(const std::string& sql, std::vector<Result>& results) {
  if (!m_connection) {
    throw PgError("", "not connected", "", true);
  }
  if (PQsendQuery(m_connection.get(), sql.c_str()) == 0) {
    throw failure(nullptr);
  }
  std::optional<PgError> error;
  while (PGresult* raw = PQgetResult(m_connection.get())) {
    const ExecStatusType status = PQresultStatus(raw);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (!error) {
        error = failure(raw);
      }
      PQclear(raw);
    } else if (error) {
      PQclear(raw);
    } else {
      results.emplace_back(raw);
    }
  }
  if (!error && !alive()) {
    error = failure(nullptr); // the connection broke before the last result came
  }
  if (error) {
    throw *error;
  }
}

std::string Connection::value(const Statement& statement) {
  const Result result = exec(statement);
  return result.rows() == 0 ? std::string() : result.text(0, 0);
}

// --- URIs -----------------------------------------------------------------------------------

bool is_uri(std::string_view location) noexcept {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

namespace {

/// Where the password of the user part of `uri` is: [begin, end), or nothing.
std::optional<std::pair<std::size_t, std::size_t>> user_password(std::string_view uri) {
  const std::size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t start = scheme + 3;
  const std::size_t authority_end = std::min(uri.find_first_of("/?", start), uri.size());
  const std::size_t at = uri.rfind('@', authority_end);
  if (at == std::string_view::npos || at < start) {
    return std::nullopt;
  }
  const std::size_t colon = uri.find(':', start);
  if (colon == std::string_view::npos || colon > at) {
    return std::nullopt;
  }
  return std::make_pair(colon + 1, at);
}

/// Where the values of `password=` parameters of `uri` are.
std::vector<std::pair<std::size_t, std::size_t>> parameter_passwords(std::string_view uri) {
  std::vector<std::pair<std::size_t, std::size_t>> found;
  const std::size_t query = uri.find('?');
  if (query == std::string_view::npos) {
    return found;
  }
  for (std::size_t at = query + 1; at < uri.size();) {
    std::size_t end = uri.find('&', at);
    end = end == std::string_view::npos ? uri.size() : end;
    const std::string_view pair = uri.substr(at, end - at);
    if (pair.rfind("password=", 0) == 0) {
      found.emplace_back(at + 9, end);
    }
    at = end + 1;
  }
  return found;
}

} // namespace

bool uri_has_password(std::string_view uri) {
  const auto user = user_password(uri);
  if (user && user->second > user->first) {
    return true;
  }
  for (const auto& [begin, end] : parameter_passwords(uri)) {
    if (end > begin) {
      return true;
    }
  }
  return false;
}

std::string redact_uri(std::string_view uri) {
  std::vector<std::pair<std::size_t, std::size_t>> spans = parameter_passwords(uri);
  if (const auto user = user_password(uri)) {
    spans.insert(spans.begin(), *user);
  }
  std::string redacted;
  std::size_t copied = 0;
  for (const auto& [begin, end] : spans) {
    redacted.append(uri.substr(copied, begin - copied));
    redacted += "***";
    copied = end;
  }
  redacted.append(uri.substr(copied));
  return redacted;
}

} // namespace vami::pg
