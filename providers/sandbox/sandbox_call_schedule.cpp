// `vami sandbox serve --call-rate N` (see sandbox_call_schedule.hpp): a ticker that makes calls
// due at an even pace and a fixed set of callers that place them through the emulator.

#include "sandbox/sandbox_call_schedule.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

#include "sandbox/sandbox_voice_calls.hpp"
#include "twilio/emulator/twiml.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>

namespace vami::sandbox {

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

/// How often the routed numbers are read again.
constexpr auto k_refresh_interval = std::chrono::seconds(1);
/// A ticker that falls further behind than this (a stalled machine) skips the calls it missed
/// instead of placing them in one burst.
constexpr auto k_most_behind = std::chrono::seconds(1);
/// The callers of scheduled calls: +14155550100 to +14155550199, in turn.
constexpr int k_callers = 100;

std::string caller_number(std::uint64_t call) {
  char text[16];
  std::snprintf(text, sizeof text, "+141555501%02d", static_cast<int>(call % k_callers));
  return text;
}

} // namespace

CallSchedule::CallSchedule(SandboxEmulator& emulator, std::string origin, int calls_per_second)
    : m_emulator(emulator), m_origin(std::move(origin)), m_calls_per_second(calls_per_second),
      m_authorization(http::basic_authorization(emulator.credentials().account_sid,
                                                emulator.credentials().auth_token)) {
  if (calls_per_second < 1) {
    throw Error(ErrorKind::invalid_input, "--call-rate must be at least 1 call per second",
                "see 'vami sandbox serve --help'");
  }
}

CallSchedule::~CallSchedule() {
  stop();
}

void CallSchedule::start() {
  std::lock_guard lock(m_mutex);
  if (m_started || m_stopping) {
    return;
  }
  m_started = true;
  const int callers = std::min(m_calls_per_second, k_max_scheduled_calls_in_flight);
  m_callers.reserve(static_cast<std::size_t>(callers));
  for (int i = 0; i < callers; ++i) {
    m_callers.emplace_back([this] { caller_loop(); });
  }
  m_ticker = std::thread([this] { tick_loop(); });
}

void CallSchedule::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
    m_due.clear(); // due but not placed: never placed
  }
  m_tick.notify_all();
  m_work.notify_all();
  std::call_once(m_joined, [this] {
    if (m_ticker.joinable()) {
      m_ticker.join();
    }
    for (std::thread& caller : m_callers) {
      if (caller.joinable()) {
        caller.join();
      }
    }
  });
}

void CallSchedule::add_to(ServeStats& stats) const {
  std::lock_guard lock(m_mutex);
  stats.call_rate = m_calls_per_second;
  stats.calls_placed = m_placed;
  stats.calls_skipped = m_skipped;
  stats.calls_by_outcome = m_by_outcome;
}

void CallSchedule::tick_loop() {
  const auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)) / m_calls_per_second;
  const auto callers = static_cast<std::size_t>(m_callers.size());
  std::vector<std::string> targets;
  std::size_t turn = 0;
  std::uint64_t call = 0;
  Clock::time_point next = Clock::now();
  Clock::time_point refresh = next;
  std::unique_lock lock(m_mutex);
  while (!m_tick.wait_until(lock, next, [this] { return m_stopping; })) {
    Clock::time_point now = Clock::now();
    if (now >= refresh) {
      lock.unlock();
      try {
        targets = routed_numbers();
      } catch (const std::exception&) {
        // The state file is busy or the list failed: keep calling the numbers read last.
      }
      lock.lock();
      refresh = now + k_refresh_interval;
      if (m_stopping) {
        break;
      }
    }
    if (now - next > k_most_behind) {
      const auto missed = (now - next) / period;
      m_skipped += static_cast<std::uint64_t>(missed);
      next += missed * period;
    }
    next += period;
    if (targets.empty() || m_due.size() + static_cast<std::size_t>(m_busy) >= callers) {
      ++m_skipped;
      continue;
    }
    m_due.emplace_back(targets[turn++ % targets.size()], caller_number(call++));
    m_work.notify_one();
  }
}

void CallSchedule::caller_loop() {
  std::unique_lock lock(m_mutex);
  while (true) {
    m_work.wait(lock, [this] { return m_stopping || !m_due.empty(); });
    if (m_due.empty()) {
      return;
    }
    auto [to, from] = std::move(m_due.front());
    m_due.pop_front();
    ++m_busy;
    lock.unlock();
    std::string outcome = "error";
    try {
      outcome = place(to, from);
    } catch (const std::exception&) {
      // Counted as an error; the schedule carries on.
    }
    lock.lock();
    --m_busy;
    ++m_placed;
    ++m_by_outcome[outcome];
  }
}

std::string CallSchedule::place(const std::string& to, const std::string& from) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = m_origin + voice_calls::k_calls_path;
  request.headers.emplace_back("Authorization", m_authorization);
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = http::form_encode({{"To", to}, {"From", from}});
  http::HttpResponse response = m_emulator.handle(request);
  if (response.status != 200) {
    return "error";
  }
  Json answer = Json::parse(response.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("outcome") || !answer["outcome"].is_string()) {
    return "error";
  }
  return answer["outcome"].get<std::string>();
}

std::vector<std::string> CallSchedule::routed_numbers() {
  std::vector<std::string> routed;
  std::string path = "/2010-04-01/Accounts/" + m_emulator.credentials().account_sid +
                     "/IncomingPhoneNumbers.json?PageSize=1000";
  while (!path.empty()) {
    http::HttpRequest request;
    request.method = "GET";
    request.url = m_origin + path;
    request.headers.emplace_back("Authorization", m_authorization);
    http::HttpResponse response = m_emulator.handle(request);
    Json page = Json::parse(response.body, nullptr, false);
    if (response.status != 200 || !page.is_object()) {
      throw Error(ErrorKind::unavailable, "the sandbox could not list its numbers");
    }
    for (const Json& number : page.value("incoming_phone_numbers", Json::array())) {
      const Json url = number.value("voice_url", Json());
      if (url.is_string() && !url.get<std::string>().empty() &&
          !twiml::echo_twimlet_document(url.get<std::string>())) {
        routed.push_back(number.value("phone_number", ""));
      }
    }
    const Json next = page.value("next_page_uri", Json());
    path = next.is_string() ? next.get<std::string>() : std::string();
  }
  return routed;
}

} // namespace vami::sandbox
