// The sandbox's stream orchestrator (see orchestrator.hpp): a WebSocket listener that records
// the Twilio Media Streams messages of each session in the sandbox state file.

#include "stream/emulator/orchestrator.hpp"

#include <cerrno>
#include <condition_variable>
#include <set>
#include <thread>

#include "sandbox/sandbox_util.hpp"
#include "sandbox/websocket_connection.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include <vami/core/error.hpp>

namespace vami::sandbox::orchestrator {

namespace {

using Json = nlohmann::ordered_json; // keeps customParameters in the order they arrived
namespace ws = websocket;

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS media_streams (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL,
  protocol TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  stream_sid TEXT NOT NULL DEFAULT '',
  account_sid TEXT NOT NULL DEFAULT '',
  call_sid TEXT NOT NULL DEFAULT '',
  tracks TEXT NOT NULL DEFAULT '[]',
  media_format TEXT NOT NULL DEFAULT '{}',
  custom_parameters TEXT NOT NULL DEFAULT '{}',
  events TEXT NOT NULL DEFAULT '[]',
  media_messages INTEGER NOT NULL DEFAULT 0,
  stopped INTEGER NOT NULL DEFAULT 0,
  close_code INTEGER,
  error TEXT NOT NULL DEFAULT '',
  opened_at INTEGER NOT NULL,
  closed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS media_streams_stream_sid ON media_streams (stream_sid);
)sql";

std::string text(const Json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// One session, as it goes.
struct Session {
  RecordedStream stream;
  Json tracks = Json::array();
  Json custom_parameters = Json::object();
  std::int64_t opened_at = now_seconds();
};

// Reads one Twilio message into the session; throws ProtocolError for a message that is not one.
void take_message(Session& session, const std::string& payload) {
  const Json message = Json::parse(payload, nullptr, false);
  if (!message.is_object() || !message.contains("event") || !message["event"].is_string()) {
    throw ws::ProtocolError(ws::close_code::invalid_payload,
                            "a text message that is not a Media Streams JSON event");
  }
  const std::string event = message["event"].get<std::string>();
  RecordedStream& stream = session.stream;
  if (stream.events.size() < k_max_events) {
    stream.events.push_back(event);
  }
  if (event == "connected") {
    stream.protocol = text(message, "protocol");
    stream.version = text(message, "version");
  } else if (event == "start") {
    const Json start = message.value("start", Json::object());
    stream.stream_sid = text(start, "streamSid");
    stream.account_sid = text(start, "accountSid");
    stream.call_sid = text(start, "callSid");
    if (auto tracks = start.find("tracks"); tracks != start.end() && tracks->is_array()) {
      session.tracks = *tracks;
    }
    if (auto format = start.find("mediaFormat"); format != start.end() && format->is_object()) {
      stream.media_format = format->dump();
    }
    if (auto custom = start.find("customParameters");
        custom != start.end() && custom->is_object()) {
      session.custom_parameters = *custom;
    }
  } else if (event == "media") {
    ++stream.media_messages;
  } else if (event == "stop") {
    stream.stopped = true;
  }
}

void record(SQLite::Database& db, std::mutex& mutex, const Session& session) {
  const RecordedStream& stream = session.stream;
  std::lock_guard lock(mutex);
  SQLite::Statement insert(
      db, "INSERT INTO media_streams (path, protocol, version, stream_sid, account_sid, "
          "call_sid, tracks, media_format, custom_parameters, events, media_messages, stopped, "
          "close_code, error, opened_at, closed_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, stream.path);
  insert.bind(2, stream.protocol);
  insert.bind(3, stream.version);
  insert.bind(4, stream.stream_sid);
  insert.bind(5, stream.account_sid);
  insert.bind(6, stream.call_sid);
  insert.bind(7, session.tracks.dump());
  insert.bind(8, stream.media_format.empty() ? std::string("{}") : stream.media_format);
  insert.bind(9, session.custom_parameters.dump());
  insert.bind(10, Json(stream.events).dump());
  insert.bind(11, stream.media_messages);
  insert.bind(12, stream.stopped ? 1 : 0);
  if (stream.close_code) {
    insert.bind(13, *stream.close_code);
  } else {
    insert.bind(13);
  }
  insert.bind(14, stream.error);
  insert.bind(15, session.opened_at);
  insert.bind(16, now_seconds());
  insert.exec();
}

bool serves(const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  return path.rfind(k_path, 0) == 0 && (path.size() == k_path.size() || path[k_path.size()] == '/');
}

} // namespace

struct Orchestrator::State {
  SQLite::Database& db;
  std::mutex& db_mutex;
  std::mutex mutex; // guards everything below
  std::condition_variable sessions_ended;
  ws::Socket listener;
  std::optional<int> port;
  std::thread acceptor;
  std::set<int> session_fds;
  int sessions = 0;
  bool stopping = false;

  State(SQLite::Database& database, std::mutex& database_mutex)
      : db(database), db_mutex(database_mutex) {}

  void serve_session(int fd);
  static void accept_loop(const std::shared_ptr<State>& self);
};

// One WebSocket session: the handshake, then Twilio's messages until a close.
void Orchestrator::State::serve_session(int fd) {
  std::string rest;
  std::string head;
  try {
    head = ws::read_head(fd, rest);
  } catch (const ws::IoError&) {
    return; // not even a request: nothing to record
  }
  ws::HandshakeRefusal refusal;
  std::optional<ws::HandshakeRequest> request = ws::read_handshake_request(head, refusal);
  if (request && !serves(request->path)) {
    request.reset();
    refusal = {404, "the sandbox's orchestrator serves " + std::string(k_path) + "/..."};
  }
  if (!request) {
    try {
      ws::write_all(fd, ws::refusal_response(refusal.status, refusal.message));
    } catch (const ws::IoError&) {
    }
    return;
  }
  Session session;
  session.stream.path = request->path;
  try {
    ws::write_all(fd, ws::handshake_response(request->key));
  } catch (const ws::IoError&) {
    return;
  }
  ws::Connection connection(fd, ws::Role::server, std::move(rest));
  std::optional<std::uint16_t> reply;
  try {
    for (;;) {
      std::optional<ws::Frame> frame = connection.receive();
      if (!frame) {
        session.stream.error = "the connection closed without a close frame";
        break;
      }
      if (frame->opcode == ws::Opcode::close) {
        std::optional<std::uint16_t> code = ws::close_status(frame->payload);
        session.stream.close_code = code ? std::optional<int>(*code) : std::nullopt;
        reply = code.value_or(ws::close_code::normal);
        break;
      }
      if (frame->opcode != ws::Opcode::text) {
        throw ws::ProtocolError(ws::close_code::unsupported_data,
                                "a binary message (Media Streams sends JSON text)");
      }
      take_message(session, frame->payload);
    }
  } catch (const ws::ProtocolError& e) {
    session.stream.error = e.what();
    try {
      connection.send(ws::Opcode::close, ws::close_payload(e.code(), e.what()));
    } catch (const ws::IoError&) {
    }
  } catch (const ws::IoError& e) {
    session.stream.error = e.what();
  }
  // Recorded before the close is answered: a client that saw the answer finds the row.
  try {
    record(db, db_mutex, session);
  } catch (const std::exception& e) {
    session.stream.error = std::string("not recorded: ") + e.what();
  }
  if (reply) {
    try {
      connection.send(ws::Opcode::close, ws::close_payload(*reply, ""));
    } catch (const ws::IoError&) {
    }
  }
}

// `self` is shared with every session thread, so the state outlives the last of them.
void Orchestrator::State::accept_loop(const std::shared_ptr<State>& self) {
  for (;;) {
    const int accepted = ::accept4(self->listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (accepted < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return; // shut down by stop()
    }
    ws::Socket socket(accepted);
    ws::set_io_timeouts(accepted);
    std::unique_lock lock(self->mutex);
    if (self->stopping) {
      return;
    }
    if (self->sessions >= k_max_sessions) {
      lock.unlock();
      try {
        ws::write_all(accepted, ws::refusal_response(503, "too many streams at once"));
      } catch (const ws::IoError&) {
      }
      continue;
    }
    ++self->sessions;
    self->session_fds.insert(accepted);
    lock.unlock();
    std::thread([self, socket = std::move(socket)]() mutable {
      self->serve_session(socket.fd());
      // Forgotten before the descriptor is closed, so that stop() never shuts down a number
      // the system has given to another file since.
      std::lock_guard guard(self->mutex);
      self->session_fds.erase(socket.fd());
      socket = ws::Socket();
      --self->sessions;
      self->sessions_ended.notify_all();
    }).detach();
  }
}

Orchestrator::Orchestrator(SQLite::Database& db, std::mutex& mutex)
    : m_state(std::make_shared<State>(db, mutex)) {}

Orchestrator::~Orchestrator() {
  stop();
}

int Orchestrator::start(int port) {
  std::lock_guard lock(m_state->mutex);
  if (m_state->port) {
    return *m_state->port;
  }
  int bound = 0;
  try {
    m_state->listener = ws::listen_on("127.0.0.1", port, bound);
  } catch (const ws::IoError& e) {
    throw Error(ErrorKind::unavailable,
                std::string("the sandbox's stream orchestrator cannot listen: ") + e.what(),
                "free the port, or choose another one");
  }
  m_state->port = bound;
  m_state->stopping = false;
  m_state->acceptor = std::thread([state = m_state] { State::accept_loop(state); });
  return bound;
}

std::optional<int> Orchestrator::port() const {
  std::lock_guard lock(m_state->mutex);
  return m_state->port;
}

void Orchestrator::stop() {
  std::thread acceptor;
  {
    std::unique_lock lock(m_state->mutex);
    if (!m_state->port) {
      return;
    }
    m_state->stopping = true;
    ::shutdown(m_state->listener.fd(), SHUT_RDWR);
    acceptor = std::move(m_state->acceptor);
  }
  if (acceptor.joinable()) {
    acceptor.join();
  }
  std::unique_lock lock(m_state->mutex);
  for (int fd : m_state->session_fds) {
    ::shutdown(fd, SHUT_RDWR);
  }
  m_state->sessions_ended.wait(lock, [&] { return m_state->sessions == 0; });
  m_state->listener = ws::Socket();
  m_state->port.reset();
}

void create_schema(SQLite::Database& db) {
  db.exec(k_schema);
}

std::optional<RecordedStream> find_recorded(SQLite::Database& db, const std::string& stream_sid) {
  SQLite::Statement select(
      db, "SELECT id, path, protocol, version, stream_sid, account_sid, call_sid, tracks, "
          "media_format, custom_parameters, events, media_messages, stopped, close_code, error "
          "FROM media_streams WHERE stream_sid = ? ORDER BY id DESC LIMIT 1");
  select.bind(1, stream_sid);
  if (!select.executeStep()) {
    return std::nullopt;
  }
  RecordedStream stream;
  stream.id = select.getColumn(0).getInt64();
  stream.path = select.getColumn(1).getString();
  stream.protocol = select.getColumn(2).getString();
  stream.version = select.getColumn(3).getString();
  stream.stream_sid = select.getColumn(4).getString();
  stream.account_sid = select.getColumn(5).getString();
  stream.call_sid = select.getColumn(6).getString();
  const Json tracks = Json::parse(select.getColumn(7).getString(), nullptr, false);
  for (const Json& track : tracks.is_array() ? tracks : Json::array()) {
    stream.tracks.push_back(track.is_string() ? track.get<std::string>() : track.dump());
  }
  stream.media_format = select.getColumn(8).getString();
  const Json custom = Json::parse(select.getColumn(9).getString(), nullptr, false);
  if (custom.is_object()) {
    for (const auto& [name, value] : custom.items()) {
      stream.custom_parameters.emplace_back(name, value.is_string() ? value.get<std::string>()
                                                                    : value.dump());
    }
  }
  const Json events = Json::parse(select.getColumn(10).getString(), nullptr, false);
  for (const Json& event : events.is_array() ? events : Json::array()) {
    stream.events.push_back(event.is_string() ? event.get<std::string>() : event.dump());
  }
  stream.media_messages = select.getColumn(11).getInt64();
  stream.stopped = select.getColumn(12).getInt() != 0;
  if (!select.getColumn(13).isNull()) {
    stream.close_code = select.getColumn(13).getInt();
  }
  stream.error = select.getColumn(14).getString();
  return stream;
}

} // namespace vami::sandbox::orchestrator
