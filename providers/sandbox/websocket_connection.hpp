#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sandbox/websocket.hpp"

// Private to the sandbox: WebSocket connections over blocking loopback sockets (POSIX), for the
// sandbox's stream orchestrator (the server end) and its simulated Twilio (the client end).
// cpp-httplib 0.11 has no WebSocket support and no way to take a connection's socket over, so
// the orchestrator has a small listener of its own (docs/architecture.md).

namespace vami::sandbox::websocket {

/// How long one read or write on a sandbox WebSocket may wait, in milliseconds.
inline constexpr int k_io_timeout_ms = 10'000;

/// A socket that failed: refused, reset, timed out, or closed too early; `what()` says which.
class IoError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A socket descriptor, closed when destroyed.
class Socket {
public:
  Socket() = default;
  explicit Socket(int fd) : m_fd(fd) {}
  Socket(Socket&& other) noexcept : m_fd(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();
  [[nodiscard]] int fd() const noexcept { return m_fd; }
  [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }
  int release() noexcept {
    const int fd = m_fd;
    m_fd = -1;
    return fd;
  }

private:
  int m_fd = -1;
};

/// Sets `k_io_timeout_ms` as the socket's send and receive timeouts, and TCP_NODELAY.
void set_io_timeouts(int fd);

/// A TCP listener on `host` (a numeric address) and `port` (0: any free one), backlog
/// SOMAXCONN. `bound_port` gets the port.
/// @throws IoError when it cannot be bound.
[[nodiscard]] Socket listen_on(const std::string& host, int port, int& bound_port);

/// A TCP connection to `host` (a numeric address) and `port`, timeouts set.
/// @throws IoError when refused or unreachable.
[[nodiscard]] Socket connect_to(const std::string& host, int port);

/// Writes every byte of `bytes` (no SIGPIPE).
/// @throws IoError when the peer is gone or the write times out.
void write_all(int fd, std::string_view bytes);

/// Reads an HTTP head through its blank line; bytes that arrived after it go to `rest`.
/// @returns the head without the blank line.
/// @throws IoError when the peer closes first, times out, or sends more than `k_max_head`.
[[nodiscard]] std::string read_head(int fd, std::string& rest);

/// One open WebSocket, after its handshake, over the socket `fd` (which the caller owns and
/// keeps open while the connection is used): `role` is this end.
class Connection {
public:
  /// `already_read`: bytes that arrived after the handshake's head.
  Connection(int fd, Role role, std::string already_read = {});

  /// Sends one frame (masked when this end is the client).
  /// @throws IoError when the peer is gone.
  void send(Opcode opcode, std::string_view payload);
  /// The next data or close frame; pings are answered with pongs and pongs skipped.
  /// @returns nullopt when the peer closed the TCP connection.
  /// @throws ProtocolError for a frame FrameReader refuses; IoError on a reset or a timeout.
  [[nodiscard]] std::optional<Frame> receive();
  /// Starts the closing handshake: sends a close frame with `code` and `reason`, then waits for
  /// the peer's close frame (data frames in between are dropped).
  /// @returns the status code of the peer's close (nullopt when it carried none).
  /// @throws IoError when the peer closes the TCP connection or times out first.
  std::optional<std::uint16_t> close(std::uint16_t code, std::string_view reason);

private:
  int m_fd;
  Role m_role;
  FrameReader m_reader;
};

} // namespace vami::sandbox::websocket
