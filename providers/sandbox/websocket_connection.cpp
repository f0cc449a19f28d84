// WebSocket connections over blocking loopback sockets: see websocket_connection.hpp.

#include "sandbox/websocket_connection.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace vami::sandbox::websocket {

namespace {

constexpr std::size_t k_read_chunk = 4096;

std::string system_words(int error) {
  return std::strerror(error);
}

// The address of a numeric host and port; throws IoError for a name (the sandbox never looks
// a host name up).
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
};

Address numeric_address(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    throw IoError("'" + host + "' is not a numeric address");
  }
  Address address;
  std::memcpy(&address.storage, found->ai_addr, found->ai_addrlen);
  address.length = found->ai_addrlen;
  address.family = found->ai_family;
  ::freeaddrinfo(found);
  return address;
}

sockaddr* as_sockaddr(sockaddr_storage& storage) {
  return reinterpret_cast<sockaddr*>(&storage); // the sockets API's own idiom
}

// Reads what is there (up to k_read_chunk bytes); empty when the peer closed.
std::string read_some(int fd) {
  std::array<char, k_read_chunk> buffer{};
  for (;;) {
    const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (got > 0) {
      return std::string(buffer.data(), static_cast<std::size_t>(got));
    }
    if (got == 0) {
      return {};
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      throw IoError("no data for " + std::to_string(k_io_timeout_ms / 1000) + " s");
    }
    throw IoError(system_words(errno));
  }
}

} // namespace

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = other.release();
  }
  return *this;
}

Socket::~Socket() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

void set_io_timeouts(int fd) {
  timeval timeout{};
  timeout.tv_sec = k_io_timeout_ms / 1000;
  timeout.tv_usec = (k_io_timeout_ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

Socket listen_on(const std::string& host, int port, int& bound_port) {
  Address address = numeric_address(host, port);
  Socket socket(::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket.valid()) {
    throw IoError(system_words(errno));
  }
  int yes = 1;
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::bind(socket.fd(), as_sockaddr(address.storage), address.length) != 0 ||
      ::listen(socket.fd(), SOMAXCONN) != 0) {
    throw IoError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                  system_words(errno));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(socket.fd(), as_sockaddr(bound), &length) != 0) {
    throw IoError(system_words(errno));
  }
  bound_port = bound.ss_family == AF_INET6
                   ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
                   : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  return socket;
}

Socket connect_to(const std::string& host, int port) {
  Address address = numeric_address(host, port);
  Socket socket(::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket.valid()) {
    throw IoError(system_words(errno));
  }
  set_io_timeouts(socket.fd());
  int result = 0;
  do {
    result = ::connect(socket.fd(), as_sockaddr(address.storage), address.length);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    throw IoError("cannot connect to " + host + ":" + std::to_string(port) + ": " +
                  system_words(errno));
  }
  return socket;
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError(errno == EAGAIN || errno == EWOULDBLOCK ? std::string("the write timed out")
                                                            : system_words(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

std::string read_head(int fd, std::string& rest) {
  std::string received;
  for (;;) {
    const std::size_t end = received.find("\r\n\r\n");
    if (end != std::string::npos) {
      rest = received.substr(end + 4);
      received.resize(end + 2);
      return received;
    }
    if (received.size() > k_max_head) {
      throw IoError("an HTTP head over " + std::to_string(k_max_head) + " bytes");
    }
    std::string more = read_some(fd);
    if (more.empty()) {
      throw IoError("the connection closed before the end of the HTTP head");
    }
    received += more;
  }
}

Connection::Connection(int fd, Role role, std::string already_read)
    : m_fd(fd), m_role(role), m_reader(role == Role::server ? Role::server : Role::client) {
  m_reader.feed(already_read);
}

void Connection::send(Opcode opcode, std::string_view payload) {
  write_all(m_fd, encode_frame(opcode, payload, m_role));
}

std::optional<Frame> Connection::receive() {
  for (;;) {
    while (std::optional<Frame> frame = m_reader.next()) {
      if (frame->opcode == Opcode::ping) {
        send(Opcode::pong, frame->payload);
        continue;
      }
      if (frame->opcode == Opcode::pong) {
        continue;
      }
      return frame;
    }
    std::string more = read_some(m_fd);
    if (more.empty()) {
      return std::nullopt;
    }
    m_reader.feed(more);
  }
}

std::optional<std::uint16_t> Connection::close(std::uint16_t code, std::string_view reason) {
  send(Opcode::close, close_payload(code, reason));
  for (;;) {
    std::optional<Frame> frame = receive();
    if (!frame) {
      throw IoError("the connection closed without a close frame");
    }
    if (frame->opcode == Opcode::close) {
      return close_status(frame->payload);
    }
  }
}

} // namespace vami::sandbox::websocket
