#pragma once

// One process-wide handling of the signals that end a command: SIGINT (Ctrl-C), SIGTERM (kill,
// systemd, CI timeouts) and SIGHUP (the terminal or SSH session went away). SIGPIPE is
// ignored: a write to a closed pipe then fails with EPIPE instead of killing vami in the middle
// of work it has not recorded (`vami -v numbers buy ... 2>&1 | head -3`).

namespace vami::cli {

/// What a stopping signal does.
enum class SignalMode {
  /// End at once, killed by the signal (the shell sees 128 + its number: 130, 143, 129). For
  /// commands that change nothing at a provider, and while a prompt waits for an answer.
  end_at_once,
  /// Only note it: the command stops starting new work, settles or records what is in flight,
  /// undoes what it half made, says what was done, and exits 130.
  stop_after_step,
};

/// Installs the handler of SIGINT, SIGTERM and SIGHUP (mode `end_at_once`) and ignores SIGPIPE.
/// `main` calls it once, before any command runs.
void install_signal_handling();

/// Sets what the next stopping signal does; returns the mode before.
SignalMode set_signal_mode(SignalMode mode) noexcept;

/// True once SIGINT, SIGTERM or SIGHUP arrived in mode `stop_after_step`.
[[nodiscard]] bool stop_signal_received() noexcept;

/// The number of the stopping signal that arrived (SIGINT, SIGTERM, SIGHUP), or 0.
[[nodiscard]] int received_signal() noexcept;

/// While it lives, a stopping signal (in either mode) first gives standard input's terminal
/// back the settings it had when the guard was made: a hidden prompt turns echo off and a
/// signal must never leave it off. Does nothing when standard input is not a terminal.
class TerminalRestore {
public:
  TerminalRestore();
  ~TerminalRestore();
  TerminalRestore(const TerminalRestore&) = delete;
  TerminalRestore& operator=(const TerminalRestore&) = delete;

  /// Whether standard input is a terminal whose settings were saved.
  [[nodiscard]] bool saved() const noexcept { return m_saved; }

private:
  bool m_saved = false;
};

/// While it lives, a stopping signal ends vami at once (mode `end_at_once`): for prompts, where
/// there is nothing in flight and a read must not carry on with a default answer. Made when a
/// signal was already noted, it throws Error(interrupted) instead of letting the prompt start.
class PromptSignalScope {
public:
  PromptSignalScope();
  ~PromptSignalScope();
  PromptSignalScope(const PromptSignalScope&) = delete;
  PromptSignalScope& operator=(const PromptSignalScope&) = delete;

private:
  SignalMode m_previous;
};

} // namespace vami::cli
