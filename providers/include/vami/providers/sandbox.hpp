#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <vami/core/test_call.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::sandbox {

/// The credentials of the sandbox: its one Twilio account, made when its state file is created,
/// and each voice-agent provider's account, derived from it. The Twilio account accepts HTTP
/// Basic with either the Account SID and Auth Token or its one API key (SID and secret), as
/// Twilio does.
struct SandboxCredentials {
  std::string account_sid;    ///< "AC" + 32 hex digits.
  std::string auth_token;     ///< 32 hex digits.
  std::string api_key_sid;    ///< "SK" + 32 hex digits, derived from the auth token.
  std::string api_key_secret; ///< 32 hex digits, derived from the auth token.
  /// Each voice-agent provider's sandbox values by profile key ("elevenlabs_api_key",
  /// "synthflow_workspace_id", "synthflow_webhook_secret"), as its descriptor's
  /// `sandbox_settings` derives them from the auth token: its credentials and sandbox-only
  /// values, never its options (base URLs depend on where the sandbox is served).
  std::map<std::string, std::string> provider_values;

  /// The value of `key` in `provider_values`; "" when absent.
  [[nodiscard]] std::string value(const std::string& key) const;
};

/// One request the sandbox answered, as its request log keeps it (`vami sandbox requests`).
struct LoggedRequest {
  std::int64_t id = 0; ///< Increasing in the order the requests were answered.
  std::string time;    ///< When it was answered, UTC ISO 8601 with ms: "2026-12-06T09:49:02.123Z".
  /// Whose API: "twilio" (REST API 2010-04-01), "twilio-pricing" (Pricing v1),
  /// "twilio-trunking" (Elastic SIP Trunking v1), the name of the voice-agent provider whose
  /// emulator claims the path ("elevenlabs", "synthflow"), or "sandbox" (the sandbox's own
  /// `/__sandbox/...` endpoints, such as its simulated calls).
  std::string provider;
  std::string method; ///< "GET", "POST", ...
  std::string path;   ///< The URL's path, never its query string.
  /// The credential it carried, masked (`xi-api-key …ab12`, `AC…1234`, `Bearer …9f0c`); empty
  /// when it carried none. Never a whole secret.
  std::string credential;
  /// The HTTP status answered (with an injected `drop` or `timeout`, the one the emulator
  /// answered before the connection was cut); 0 when an injected `refuse` cut it unanswered.
  int status = 0;
};

/// The first of the numbers `seed_synthflow_numbers` puts in the Synthflow workspace: +1 415 555
/// 0100, in the 555-0100 to 555-0199 range the North American Numbering Plan keeps for fiction.
inline constexpr std::int64_t k_first_seeded_synthflow_number = 14155550100;
/// How many numbers `seed_synthflow_numbers` can seed: the 100 of that range.
inline constexpr int k_max_seeded_synthflow_numbers = 100;

/// What `SandboxEmulator::seed_synthflow_numbers` did.
struct SeededNumbers {
  /// The seeded numbers, E.164, in order: +14155550100, +14155550101, ...
  std::vector<std::string> numbers;
  /// How many of them the workspace did not hold before (0 on a second seeding of as many).
  int added = 0;
};

/// A request an injected fault of `vami sandbox serve` rejects, as the provider whose path it
/// is on is asked to word its error (`SandboxEmulator::fault_body`).
struct RejectedRequest {
  int status = 0; ///< 429, 500 or 503.
  /// A 429 of the sandbox's rate limit (`--rate-limit`); false for its concurrency limit
  /// (`--max-concurrent`) and for `--fail-nth`.
  bool rate_limited = false;
  std::string request_id; ///< The fault's request id: "RQ" + 32 hex digits.
};

/// A provider's own error response to an injected fault: its body, and the headers it adds
/// besides `Content-Type: application/json` and a 429's `Retry-After` (which the sandbox adds).
struct FaultBody {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers; ///< (name, value), in order.
};

/// Which rows of the request log to read.
struct RequestLogFilter {
  std::string provider; ///< Only this `LoggedRequest::provider`; empty: every one.
  int limit = 0;        ///< Only the newest N; 0: every row kept.
};

/// A local emulator of the Twilio REST API 2010-04-01 (`AvailablePhoneNumbers` countries and
/// their Local, TollFree and Mobile searches; `IncomingPhoneNumbers` and its Local, TollFree and
/// Mobile lists and creates, fetch, update, release, with every documented setting stored or
/// refused; `Calls.json`, the call log, from a `calls` table tests seed) and Pricing v1
/// (`/v1/PhoneNumbers/Countries[/{IsoCountry}]`), and of the ElevenLabs Agents Platform: same
/// paths, fields, status codes and error bodies (20003, 20404, 21205, 21209, 21422, 21452, ...) as
/// the official documents in `shared/specs`. Its inventory is deterministic for every US and
/// Canadian area code in service and for GB; localities and regions come from libphonenumber's
/// offline geocoder. State (owned numbers) lives in its own SQLite file so separate vami runs see
/// the same account. Thread-safe.
class SandboxEmulator {
public:
  virtual ~SandboxEmulator() = default;
  /// Answers one request exactly as the providers would (including 401 for wrong credentials
  /// and 404 for unknown paths).
  virtual http::HttpResponse handle(const http::HttpRequest& request) = 0;
  /// The sandbox account's credentials.
  [[nodiscard]] virtual SandboxCredentials credentials() const = 0;
  /// Starts the sandbox's stream orchestrator unless it runs: the WebSocket endpoint
  /// (RFC 6455, paths `/stream` and below) that plays the platform's own orchestrator for
  /// stream agents and records the Twilio Media Streams messages it receives in the state file.
  /// It listens on 127.0.0.1:`port` (0: a free port). A simulated call to a stream agent whose
  /// URL names it (`wss://sandbox.vami.invalid/stream/...`, or `ws://127.0.0.1:PORT/stream/...`
  /// once it runs) starts it itself.
  /// @returns the port it listens on.
  /// @throws vami::Error(unavailable) when the port cannot be bound.
  virtual int start_stream_orchestrator(int port) = 0;
  /// The request log: every request `handle` answered and every one `log_request` was told
  /// of, the newest `LoggedRequest` rows of the state file (it keeps the last 20,000), as
  /// `filter` says, oldest first. Shared by every process using the state file.
  /// @throws vami::Error(storage) when the state file cannot be read.
  [[nodiscard]] virtual std::vector<LoggedRequest> requests(const RequestLogFilter& filter) = 0;
  /// Adds to the request log a request answered without `handle`: an injected fault
  /// (`status`: 429, 500 or 503; 0 when the connection was cut unanswered). Never throws.
  virtual void log_request(const http::HttpRequest& request, int status) = 0;
  /// The error an injected fault answers `fault` on `path` (the URL's path, without its query)
  /// with, in the wire format of the voice-agent provider whose emulator claims the path
  /// (`AgentProviderEmulator::fault_body`); nullopt on Twilio's and the sandbox's own paths,
  /// and for a provider that words no error of its own: then Twilio's body is answered.
  [[nodiscard]] virtual std::optional<FaultBody> fault_body(const std::string& path,
                                                            const RejectedRequest& fault) = 0;
  /// Puts the first `count` numbers from `k_first_seeded_synthflow_number` (+14155550100 on)
  /// in the Synthflow workspace as numbers bought through Synthflow (provider twilio, a sid, no
  /// SIP termination URI: what `vami numbers import --provider synthflow` brings into the
  /// pool), unless the workspace holds them already: seeding again adds none, and adds back
  /// only those deleted since (`DELETE /numbers/{slug}`, a release).
  /// @throws vami::Error(invalid_input) unless 0 <= `count` <= `k_max_seeded_synthflow_numbers`;
  ///         Error(storage) when the state file cannot be written.
  virtual SeededNumbers seed_synthflow_numbers(int count) = 0;
};

/// Opens (creating if needed) the emulator's state file at `state_path`, with the emulators of
/// the registered voice-agent providers (`registered_agent_providers`).
/// @throws vami::Error(invalid_input) when the folder does not exist or the file is not a
///         sandbox state file; Error(storage) for other database failures.
[[nodiscard]] std::unique_ptr<SandboxEmulator>
open_sandbox(const std::filesystem::path& state_path);

/// The same with the emulators of `providers` (those with `make_emulator`), each with the
/// values its `sandbox_settings` derives; the list must outlive the sandbox.
[[nodiscard]] std::unique_ptr<SandboxEmulator> open_sandbox(const std::filesystem::path& state_path,
                                                            const AgentProviderList& providers);

/// What a `--fail-nth` fault does to the request it hits.
enum class InjectedFault {
  server_error,        ///< HTTP 500 with the provider's error body, without acting.
  service_unavailable, ///< HTTP 503 with the provider's error body, without acting.
  rate_limited, ///< HTTP 429 with the provider's error body and `Retry-After`, without acting.
  drop,         ///< Acts, then closes the connection without sending a response.
  timeout, ///< Acts, then holds the connection without answering for `ServeOptions::timeout_ms`,
           ///< then closes it.
  refuse,  ///< Closes the connection without acting or answering.
};

/// One `--fail-nth N[:KIND]`: the `request`-th request the server receives (1-based, counting
/// every request except those to the stats endpoint) fails with `fault`.
struct NthFault {
  std::uint64_t request = 1;
  InjectedFault fault = InjectedFault::server_error;
};

/// Options of `vami sandbox serve`: where to listen and which faults to inject. Every random
/// choice (jitter, fail and drop draws) of request N depends only on `seed` and N.
struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 0; ///< 0 picks a free port.
  /// Each response is sent this long after its request arrived (the emulator's own work
  /// included, as a provider's latency would), in milliseconds.
  int latency_ms = 0;
  /// Each response's delay is uniform in [latency_ms - jitter_ms, latency_ms + jitter_ms],
  /// clipped at 0; in milliseconds.
  int jitter_ms = 0;
  /// Requests per second admitted by a token bucket (burst: max(1, rate)); more get 429. 0: none.
  double rate_limit_rps = 0;
  /// Requests handled at once; more get 429 (as both providers do). 0: no limit.
  int max_concurrent = 0;
  double fail_rate = 0; ///< Probability (0..1) of a 500 or 503 answered before acting.
  /// Probability (0..1) that the emulator acts and the connection is then cut with no response.
  double drop_rate = 0;
  std::vector<NthFault> fail_nth;    ///< Faults for given request numbers; they skip the limits.
  std::optional<std::uint64_t> seed; ///< Seed of every random choice; unset: a random one.
  int timeout_ms = 90'000; ///< How long an `InjectedFault::timeout` holds its connection, in ms.
  /// Simulated inbound calls placed per second, evenly spaced, to the account's routed numbers
  /// (voice URL: the voice-agent provider's inbound URL or a voice webhook), as
  /// `POST /__sandbox/calls` places them, to load a call router; at most 128 in flight, a call
  /// due beyond that is skipped and counted. 0: none.
  int call_rate = 0;
};

/// What a server counted: every request (except those to the stats endpoint), the status codes
/// it answered, the faults it injected (each counted once, under `nth` when `--fail-nth` chose
/// it), and the concurrency of requests the limits admitted.
struct ServeStats {
  std::uint64_t requests = 0;
  std::map<int, std::uint64_t> by_status; ///< Responses sent, by HTTP status.
  std::uint64_t rate_limited = 0;         ///< 429s from the rate or concurrency limit.
  std::uint64_t failed = 0;               ///< 5xx from `fail_rate`.
  std::uint64_t dropped = 0;              ///< Connections cut by `drop_rate`.
  std::uint64_t nth = 0;                  ///< Faults from `fail_nth`.
  std::uint64_t peak_concurrency = 0;     ///< Most admitted requests in flight at once.
  std::uint64_t in_flight = 0;            ///< Admitted requests in flight now.
  std::uint64_t seed = 0;                 ///< The seed in use (given or drawn).
  int call_rate = 0;                      ///< `ServeOptions::call_rate`: calls per second.
  std::uint64_t calls_placed = 0;         ///< Scheduled calls placed and ended.
  /// Scheduled calls by outcome: "connected", "spoken", "rejected", "failed" (as
  /// `POST /__sandbox/calls` answers), "error" (the emulator could not place it).
  std::map<std::string, std::uint64_t> calls_by_outcome;
  /// Scheduled calls not placed: no routed number yet, all 128 callers busy, or the schedule
  /// fell more than a second behind.
  std::uint64_t calls_skipped = 0;
};

/// The stats as one line of JSON: `{"requests", "by_status": {"200": n, ...}, "injected":
/// {"rate_limited", "failed", "dropped", "nth"}, "peak_concurrency", "in_flight", "seed",
/// "calls": {"rate", "placed", "by_outcome": {"connected": n, ...}, "skipped"}}` (what
/// `GET /__sandbox/stats` answers). Scheduled calls are not requests: they are counted under
/// `calls` only.
[[nodiscard]] std::string stats_json(const ServeStats& stats);

/// Serves `emulator` over HTTP on loopback (cpp-httplib) until `stop_requested` returns true
/// (polled every 100 ms), injecting the faults of `options` and placing `options.call_rate`
/// calls per second once listening (stopped, and the calls in flight ended, before the server
/// stops). `on_listening` is called once with the bound port. `GET /__sandbox/stats` answers
/// `stats_json` to loopback clients (no credentials; never counted, never faulted). Injected errors
/// on ElevenLabs paths
/// (`/v1/convai/...`, `/v1/voices...`, `/v2/voices...`, `/v1/workspace/webhooks...`) have
/// ElevenLabs' body `{detail: {status, message}}`, others Twilio's `{code, message, more_info,
/// status}` (20429, 20500, 20503).
/// @returns what the server counted, once it has stopped.
/// @throws vami::Error(invalid_input) for options out of range (a rate outside 0..1, a
///         negative latency, a fail-nth request of 0, ...); Error(unavailable) when the port
///         cannot be bound.
ServeStats serve(SandboxEmulator& emulator, const ServeOptions& options,
                 const std::function<void(int port)>& on_listening,
                 const std::function<bool()>& stop_requested);

/// Places simulated inbound calls through the sandbox emulator at `base_url` (its Twilio
/// origin: "http://127.0.0.1:PORT" of `vami sandbox serve`, or the in-process origin) over
/// `http` (which must outlive the placer), as the Twilio account `username` / `password` (HTTP
/// Basic): `POST /__sandbox/calls` with `To`, `From` and `Say`, its JSON read into a
/// `PlacedTestCall`. `place` answers nullopt when the server is not a sandbox (404 or 405).
/// @throws (from `place`) Error(auth) for 401/403, Error(invalid_input) for 400 with the
///         emulator's message, Error(unavailable) for no response or 5xx, Error(provider) for
///         an answer it cannot read.
[[nodiscard]] std::unique_ptr<TestCallPlacer> make_call_placer(http::HttpClient& http,
                                                               std::string base_url,
                                                               std::string username,
                                                               std::string password);

} // namespace vami::sandbox
