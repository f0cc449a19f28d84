#include "sandbox/sandbox_request_log.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "http/crypto.hpp"
#include "sandbox/sandbox_util.hpp"

#include <vami/core/error.hpp>

namespace vami::sandbox {

namespace {

constexpr std::string_view k_ellipsis = "\u2026";
constexpr std::size_t k_shown_tail = 4;
constexpr std::size_t k_shortest_shown = 16;

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS sandbox_requests (
  id INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  provider TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  credential TEXT NOT NULL,
  status INTEGER NOT NULL
);
)sql";

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

std::string tail_of(std::string_view secret) {
  return secret.size() >= k_shortest_shown
             ? std::string(k_ellipsis) + std::string(secret.substr(secret.size() - k_shown_tail))
             : std::string(k_ellipsis);
}

// "2026-12-06T09:49:02.123Z"
std::string utc_now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text.data() + length, text.size() - length, ".%03dZ", static_cast<int>(millis));
  return text.data();
}

LoggedRequest row_of(SQLite::Statement& query) {
  LoggedRequest row;
  row.id = query.getColumn(0).getInt64();
  row.time = query.getColumn(1).getString();
  row.provider = query.getColumn(2).getString();
  row.method = query.getColumn(3).getString();
  row.path = query.getColumn(4).getString();
  row.credential = query.getColumn(5).getString();
  row.status = query.getColumn(6).getInt();
  return row;
}

} // namespace

std::string masked_secret(std::string_view secret) {
  return tail_of(secret);
}

std::string masked_credential(const http::HttpRequest& request, std::string_view key_header) {
  if (!iequals(key_header, "Authorization")) {
    if (const std::string key = header_value(request, key_header); !key.empty()) {
      return std::string(key_header) + " " + tail_of(trimmed(key));
    }
  }
  const std::string authorization = header_value(request, "Authorization");
  const std::string_view value = trimmed(authorization);
  if (value.empty()) {
    return {};
  }
  const std::size_t space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  const std::string_view rest =
      space == std::string_view::npos ? std::string_view() : trimmed(value.substr(space + 1));
  if (iequals(scheme, "Basic")) {
    // The user names the account or key (Twilio's SIDs); the password is never shown.
    const std::optional<std::string> pair = http::base64_decode(rest);
    if (!pair || pair->find(':') == std::string::npos) {
      return "Basic " + std::string(k_ellipsis);
    }
    const std::string_view user = std::string_view(*pair).substr(0, pair->find(':'));
    return user.size() >= k_shortest_shown ? std::string(user.substr(0, 2)) + tail_of(user)
                                           : std::string(k_ellipsis);
  }
  // "Bearer …9f0c". A value without a space has no scheme: it is a bare secret, shown as one.
  const bool a_word = space != std::string_view::npos && scheme.size() <= 16 &&
                      std::all_of(scheme.begin(), scheme.end(), [](char c) {
                        return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '-';
                      });
  return a_word ? std::string(scheme) + " " + tail_of(rest) : "Authorization " + tail_of(value);
}

RequestLog::RequestLog(SQLite::Database& db, std::mutex& mutex, std::int64_t max_rows,
                       std::int64_t prune_every)
    : m_db(db), m_mutex(mutex), m_max_rows(max_rows), m_prune_every(prune_every) {}

RequestLog::~RequestLog() {
  {
    std::lock_guard lock(m_pending_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_writer.joinable()) {
    m_writer.join();
  }
  flush();
}

void RequestLog::create_schema(SQLite::Database& db) {
  db.exec(k_schema);
}

void RequestLog::record(const http::HttpRequest& request, std::string_view provider, int status,
                        std::string_view key_header) noexcept {
  try {
    LoggedRequest row;
    row.time = utc_now_iso8601();
    row.provider = provider;
    row.method = request.method;
    row.path = parse_url(request.url).path;
    row.credential = masked_credential(request, key_header);
    row.status = status;
    bool wake = false;
    {
      std::lock_guard lock(m_pending_mutex);
      if (m_pending.size() >= k_request_log_max_pending) {
        return; // the file has stayed busy for long: the oldest waiting rows are kept
      }
      m_pending.push_back(std::move(row));
      wake = m_pending.size() >= k_request_log_batch;
      if (!m_writer.joinable() && !m_stopping) {
        m_writer = std::thread([this] { write_forever(); });
      }
    }
    if (wake) {
      m_wake.notify_one();
    }
  } catch (const std::exception&) {
    // The request was answered; losing its log row must not change that answer.
  }
}

void RequestLog::write_forever() {
  std::unique_lock lock(m_pending_mutex);
  while (!m_stopping) {
    m_wake.wait_for(lock, k_request_log_flush_interval,
                    [this] { return m_stopping || m_pending.size() >= k_request_log_batch; });
    if (m_pending.empty()) {
      continue;
    }
    lock.unlock();
    flush();
    lock.lock();
  }
}

void RequestLog::flush() noexcept {
  try {
    std::lock_guard in_order(m_flush_mutex);
    std::vector<LoggedRequest> rows;
    {
      std::lock_guard lock(m_pending_mutex);
      rows.swap(m_pending);
    }
    if (rows.empty()) {
      return;
    }
    std::lock_guard lock(m_mutex);
    try {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement insert(m_db, "INSERT INTO sandbox_requests (time, provider, method, "
                                     "path, credential, status) VALUES (?, ?, ?, ?, ?, ?)");
      for (const LoggedRequest& row : rows) {
        insert.reset();
        insert.bind(1, row.time);
        insert.bind(2, row.provider);
        insert.bind(3, row.method);
        insert.bind(4, row.path);
        insert.bind(5, row.credential);
        insert.bind(6, row.status);
        insert.exec();
      }
      m_since_prune += static_cast<std::int64_t>(rows.size());
      if (m_since_prune >= m_prune_every) {
        m_since_prune = 0;
        // By id, the primary key: a range delete of the oldest rows, whoever wrote them.
        SQLite::Statement prune(m_db, "DELETE FROM sandbox_requests WHERE id <= "
                                      "(SELECT max(id) FROM sandbox_requests) - ?");
        prune.bind(1, m_max_rows);
        prune.exec();
      }
      transaction.commit();
    } catch (const std::exception&) {
      // A file busy past its timeout, or full: these rows are lost, the sandbox carries on.
    }
  } catch (const std::exception&) {
    // As above (a lock that throws, an allocation).
  }
}

std::vector<LoggedRequest> RequestLog::read(const RequestLogFilter& filter) {
  flush();
  std::string sql = "SELECT id, time, provider, method, path, credential, status "
                    "FROM sandbox_requests";
  if (!filter.provider.empty()) {
    sql += " WHERE provider = :provider";
  }
  sql += " ORDER BY id DESC";
  if (filter.limit > 0) {
    sql += " LIMIT :limit";
  }
  std::lock_guard lock(m_mutex);
  SQLite::Statement query(m_db, sql);
  if (!filter.provider.empty()) {
    query.bind(":provider", filter.provider);
  }
  if (filter.limit > 0) {
    query.bind(":limit", filter.limit);
  }
  std::vector<LoggedRequest> rows;
  while (query.executeStep()) {
    rows.push_back(row_of(query));
  }
  return {rows.rbegin(), rows.rend()};
}

} // namespace vami::sandbox
