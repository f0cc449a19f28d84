#include "signals.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>

#include <termios.h>
#include <unistd.h>

#include <vami/core/error.hpp>

namespace vami::cli {

namespace {

constexpr int k_stopping_signals[] = {SIGINT, SIGTERM, SIGHUP};

std::atomic<int> g_mode{static_cast<int>(SignalMode::end_at_once)};
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
// The terminal settings to give back on a signal (written before `g_terminal_saved` is set).
termios g_terminal{};
std::atomic<bool> g_terminal_saved{false};

static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the signal handler uses these atomics");

// Async-signal-safe only: atomics, tcsetattr, signal, raise.
extern "C" void on_stopping_signal(int signal_number) {
  const int saved_errno = errno;
  if (g_terminal_saved.load()) {
    tcsetattr(STDIN_FILENO, TCSANOW, &g_terminal);
  }
  g_signal.store(signal_number);
  if (g_mode.load() == static_cast<int>(SignalMode::end_at_once)) {
    // Killed by the signal itself, as a process without a handler would be: the shell then
    // sees it (and stops a script, for Ctrl-C). Blocked while this handler runs, it is
    // delivered as soon as the handler returns.
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  } else {
    g_stop.store(true);
  }
  errno = saved_errno;
}

} // namespace

void install_signal_handling() {
  struct sigaction action {};
  action.sa_handler = on_stopping_signal;
  sigemptyset(&action.sa_mask);
  for (int signal_number : k_stopping_signals) {
    sigaddset(&action.sa_mask, signal_number); // one handler at a time
  }
  // No SA_RESTART: a blocking read returns (EINTR) so that a waiting command can notice.
  action.sa_flags = 0;
  for (int signal_number : k_stopping_signals) {
    sigaction(signal_number, &action, nullptr);
  }
  std::signal(SIGPIPE, SIG_IGN);
}

SignalMode set_signal_mode(SignalMode mode) noexcept {
  return static_cast<SignalMode>(g_mode.exchange(static_cast<int>(mode)));
}

bool stop_signal_received() noexcept {
  return g_stop.load();
}

int received_signal() noexcept {
  return g_signal.load();
}

TerminalRestore::TerminalRestore() {
  termios current{};
  if (isatty(STDIN_FILENO) != 0 && tcgetattr(STDIN_FILENO, &current) == 0) {
    g_terminal = current;
    g_terminal_saved.store(true);
    m_saved = true;
  }
}

TerminalRestore::~TerminalRestore() {
  if (m_saved) {
    g_terminal_saved.store(false);
  }
}

PromptSignalScope::PromptSignalScope() : m_previous(set_signal_mode(SignalMode::end_at_once)) {
  if (stop_signal_received()) {
    set_signal_mode(m_previous);
    throw Error(ErrorKind::interrupted, "interrupted before the question was asked");
  }
}

PromptSignalScope::~PromptSignalScope() {
  set_signal_mode(m_previous);
}

} // namespace vami::cli
