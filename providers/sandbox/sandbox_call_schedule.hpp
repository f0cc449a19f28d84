#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <vami/providers/sandbox.hpp>

// Private to the sandbox server: `vami sandbox serve --call-rate N`, simulated inbound calls
// placed on a schedule to load a call router.

namespace vami::sandbox {

/// At most this many scheduled calls are in flight at once; a call due while they all are is
/// skipped (and counted), so that a router that stops answering cannot pile up threads.
inline constexpr int k_max_scheduled_calls_in_flight = 128;

/// Places `calls_per_second` simulated inbound calls per second, evenly spaced, to the Twilio
/// account's routed numbers in turn: the numbers whose voice URL sends calls to an agent (the
/// voice-agent provider's inbound URL) or to a voice webhook (a router), as the account's
/// `IncomingPhoneNumbers` list shows them, read again every second so that numbers assigned
/// later get calls too. Numbers with no voice URL (unassigned) or an out-of-service answer
/// (suspended) get none. Each call is the emulator's own `POST /__sandbox/calls` (Twilio follows
/// the voice URL, signs the webhook, delivers the status callback and the post-call webhook),
/// placed in this process from one of `k_max_scheduled_calls_in_flight` callers; callers vary
/// over +14155550100..+14155550199. Thread-safe.
class CallSchedule {
public:
  /// A schedule over `emulator` (which must outlive it), whose requests carry `origin` (the
  /// served base URL, "http://127.0.0.1:PORT"). Starts nothing.
  /// @throws vami::Error(invalid_input) when `calls_per_second` is below 1.
  CallSchedule(SandboxEmulator& emulator, std::string origin, int calls_per_second);
  /// Stops (`stop`).
  ~CallSchedule();
  CallSchedule(const CallSchedule&) = delete;
  CallSchedule& operator=(const CallSchedule&) = delete;

  /// Starts placing calls; the first is due at once.
  void start();
  /// Places no more calls and waits for those in flight (each ends within Twilio's 15 s for a
  /// voice webhook). Safe to call twice and without `start`.
  void stop();

  /// Adds what the schedule counted to `stats` (`calls_*` members).
  void add_to(ServeStats& stats) const;

private:
  void tick_loop();
  void caller_loop();
  std::string place(const std::string& to, const std::string& from);
  std::vector<std::string> routed_numbers();

  SandboxEmulator& m_emulator;
  const std::string m_origin;
  const int m_calls_per_second;
  const std::string m_authorization;

  mutable std::mutex m_mutex;
  std::condition_variable m_tick; ///< Wakes the ticker (stop).
  std::condition_variable m_work; ///< Wakes the callers (a call due, stop).
  bool m_stopping = false;
  bool m_started = false;
  std::deque<std::pair<std::string, std::string>> m_due; ///< (to, from) not yet taken.
  int m_busy = 0;                                        ///< Callers placing a call now.
  std::uint64_t m_placed = 0;
  std::uint64_t m_skipped = 0;
  std::map<std::string, std::uint64_t> m_by_outcome;

  std::thread m_ticker;
  std::vector<std::thread> m_callers;
  std::once_flag m_joined; ///< `stop` joins the threads once; other callers wait for it.
};

} // namespace vami::sandbox
