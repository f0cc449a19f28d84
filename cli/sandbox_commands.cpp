// `vami sandbox`: the built-in emulator of the providers, served on loopback for tests and demos.
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app.hpp"
#include "output.hpp"

#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/sandbox.hpp>

namespace vami::cli {

namespace {

struct ServeOptions {
  int port = 0;
  int latency_ms = 0;
  int jitter_ms = 0;
  double rate_limit = 0;
  int max_concurrent = 0;
  double fail_rate = 0;
  double drop_rate = 0;
  std::vector<std::string> fail_nth;
  std::uint64_t seed = 0;
  int timeout_ms = 90'000;
  int call_rate = 0;
  int synthflow_numbers = 0;
  std::string state;
};

// The KIND of `--fail-nth N[:KIND]`, in the words of the help text.
std::optional<sandbox::InjectedFault> fault_named(std::string_view name) {
  if (name == "500") {
    return sandbox::InjectedFault::server_error;
  }
  if (name == "503") {
    return sandbox::InjectedFault::service_unavailable;
  }
  if (name == "429") {
    return sandbox::InjectedFault::rate_limited;
  }
  if (name == "drop") {
    return sandbox::InjectedFault::drop;
  }
  if (name == "timeout") {
    return sandbox::InjectedFault::timeout;
  }
  if (name == "refuse") {
    return sandbox::InjectedFault::refuse;
  }
  return std::nullopt;
}

// "N" or "N:KIND"; nullopt when malformed.
std::optional<sandbox::NthFault> parse_nth_fault(std::string_view text) {
  sandbox::NthFault fault;
  std::string_view number = text.substr(0, text.find(':'));
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), fault.request);
  if (error != std::errc() || end != number.data() + number.size() || fault.request < 1) {
    return std::nullopt;
  }
  if (number.size() < text.size()) {
    auto kind = fault_named(text.substr(number.size() + 1));
    if (!kind) {
      return std::nullopt;
    }
    fault.fault = *kind;
  }
  return fault;
}

const CLI::Validator k_nth_fault(
    [](std::string& text) -> std::string {
      if (parse_nth_fault(text)) {
        return {};
      }
      return "'" + text +
             "' is not N[:KIND] with N >= 1 and KIND one of 500, 503, 429, drop, timeout, refuse";
    },
    "");

const CLI::Validator k_probability = CLI::Range(0.0, 1.0).description("");

struct RequestsOptions {
  std::string state;
  std::string provider;
  int limit = 100;
};

// `vami sandbox requests`: the request log of a state file (`LoggedRequest`), as docs/json.md
// describes it.
void register_requests_command(CLI::App& sandbox, AppContext& context) {
  auto options = std::make_shared<RequestsOptions>();
  auto* command = sandbox.add_subcommand(
      "requests", "List the requests the sandbox answered: when, whose API, method, path, the "
                  "credential each carried (masked) and the status answered");
  command->footer(
      "Every request the sandbox's emulators answer is logged in its state file, by 'vami\n"
      "sandbox serve' and by the built-in sandbox alike (injected faults included), with its\n"
      "path (never the query string) and its credential masked: xi-api-key ...ab12\n"
      "(ElevenLabs), AC...1234 or SK...1234 (Twilio: the SID only, never the token or secret),\n"
      "Bearer ...9f0c (Synthflow). The log keeps the newest 20000 requests; a running\n"
      "'vami sandbox serve' writes them within 0.1 s. --json: docs/json.md, sandbox requests.");
  command
      ->add_option("--state", options->state,
                   "Sandbox state file (default: VAMI_SANDBOX_DB, else beside --db)")
      ->type_name("PATH");
  command
      ->add_option("--provider", options->provider,
                   "Only requests to this API (sandbox: the sandbox's own /__sandbox "
                   "endpoints, such as simulated calls)")
      ->type_name("P")
      ->check(CLI::IsMember(
          {"twilio", "twilio-pricing", "twilio-trunking", "elevenlabs", "synthflow", "sandbox"}));
  command->add_option("--limit", options->limit, "Only the newest N requests (0: all kept)")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->callback([&context, options] {
    const std::filesystem::path path = options->state.empty()
                                           ? context.sandbox_state_path()
                                           : std::filesystem::path(options->state);
    std::error_code ignored;
    if (!std::filesystem::exists(path, ignored)) {
      throw Error(ErrorKind::not_found, "there is no sandbox state file at " + path.string(),
                  "the built-in sandbox makes it on first use, 'vami sandbox serve --state "
                  "PATH' at PATH; give the one to read with --state");
    }
    sandbox::RequestLogFilter filter;
    filter.provider = options->provider;
    filter.limit = options->limit;
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const sandbox::LoggedRequest& row : sandbox::open_sandbox(path)->requests(filter)) {
      records.push_back({{"id", row.id},
                         {"time", row.time},
                         {"provider", row.provider},
                         {"method", row.method},
                         {"path", row.path},
                         {"credential", text_or_null(row.credential)},
                         {"status", row.status == 0 ? nlohmann::ordered_json(nullptr)
                                                    : nlohmann::ordered_json(row.status)}});
    }
    write_records(std::cout, context.output_format(), records,
                  {field("TIME", "time"), field("PROVIDER", "provider"), field("METHOD", "method"),
                   field("STATUS", "status"), field("CREDENTIAL", "credential"),
                   field("PATH", "path")});
  });
}

} // namespace

void register_sandbox_commands(CLI::App& app, AppContext& context) {
  auto* sandbox = app.add_subcommand("sandbox", "The built-in provider emulator");
  sandbox->require_subcommand(1);

  auto serve = std::make_shared<ServeOptions>();
  auto* serve_command = sandbox->add_subcommand(
      "serve", "Serve the sandbox's Twilio and ElevenLabs APIs on 127.0.0.1 until interrupted, "
               "optionally with faults; prints the base URLs and credentials as shell exports");
  serve_command->footer(
      "GET /__sandbox/stats answers what the server counted, as JSON: requests, by_status,\n"
      "injected {rate_limited, failed, dropped, nth}, peak_concurrency, in_flight, seed, calls\n"
      "{rate, placed, by_outcome, skipped} (--call-rate). The same line is printed on stderr on\n"
      "exit (\"vami: sandbox stats: {...}\").\n"
      "Stream agents: the sandbox's orchestrator takes WebSocket streams on a port of its own,\n"
      "printed on stderr (ws://127.0.0.1:PORT/stream/NAME); give agents the stream URL\n"
      "wss://sandbox.vami.invalid/stream/NAME, which the sandbox takes for it in every mode, and\n"
      "'vami calls test' shows what it recorded (table media_streams of the state file).");
  serve_command->add_option("--port", serve->port, "TCP port (0 picks a free one)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve_command
      ->add_option("--latency-ms", serve->latency_ms,
                   "Time to answer each request, in ms (the emulator's own work included)")
      ->capture_default_str()
      ->check(CLI::Range(0, 60'000));
  serve_command
      ->add_option("--jitter-ms", serve->jitter_ms,
                   "Each delay is uniform in latency +- jitter (never below 0), in ms")
      ->capture_default_str()
      ->check(CLI::Range(0, 60'000));
  serve_command
      ->add_option("--rate-limit", serve->rate_limit,
                   "Admit at most RPS requests per second (token bucket); more get 429")
      ->type_name("RPS")
      ->check(CLI::PositiveNumber);
  serve_command
      ->add_option("--max-concurrent", serve->max_concurrent,
                   "Handle at most N requests at once; more get 429")
      ->type_name("N")
      ->check(CLI::Range(1, 1'000'000));
  serve_command
      ->add_option("--fail-rate", serve->fail_rate,
                   "Probability (0 to 1) that a request gets a 500 or 503 before the sandbox "
                   "acts")
      ->type_name("P")
      ->capture_default_str()
      ->check(k_probability);
  serve_command
      ->add_option("--drop-rate", serve->drop_rate,
                   "Probability (0 to 1) that the sandbox acts, then closes the connection "
                   "without a response")
      ->type_name("P")
      ->capture_default_str()
      ->check(k_probability);
  serve_command
      ->add_option("--fail-nth", serve->fail_nth,
                   "The Nth request (from 1, counting every request) fails with KIND: 500 "
                   "(default), 503, 429, drop (act, then close), timeout (act, then hold the "
                   "connection for --timeout-ms, then close), refuse (close without acting); "
                   "repeatable")
      ->type_name("N[:KIND]")
      ->check(k_nth_fault);
  auto* seed_option =
      serve_command
          ->add_option("--seed", serve->seed,
                       "Seed of every random choice, for a run that can be repeated (default: "
                       "a random one, shown in the stats)")
          ->type_name("N");
  serve_command
      ->add_option("--timeout-ms", serve->timeout_ms,
                   "How long a --fail-nth timeout holds its connection, in ms")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  serve_command
      ->add_option("--call-rate", serve->call_rate,
                   "Place N simulated inbound calls per second, evenly spaced, to the account's "
                   "assigned numbers in turn (voice URL: an agent's or a webhook's, such as "
                   "'vami router serve'), as Twilio would, to load the router; at most 128 in "
                   "flight (more are skipped and counted)")
      ->type_name("N")
      ->check(CLI::Range(1, 10'000));
  serve_command
      ->add_option("--synthflow-numbers", serve->synthflow_numbers,
                   "Put N numbers bought through Synthflow in the sandbox's Synthflow workspace "
                   "before serving (+14155550100 on, a range kept for fiction), for 'vami "
                   "numbers import --provider synthflow'; those it holds already are kept, so "
                   "a second start adds none")
      ->type_name("N")
      ->check(CLI::Range(1, sandbox::k_max_seeded_synthflow_numbers));
  serve_command
      ->add_option("--state", serve->state,
                   "Sandbox state file (default: VAMI_SANDBOX_DB, else beside --db)")
      ->type_name("PATH");
  serve_command->callback([&context, serve, seed_option] {
    sandbox::ServeOptions options;
    options.port = serve->port;
    options.latency_ms = serve->latency_ms;
    options.jitter_ms = serve->jitter_ms;
    options.rate_limit_rps = serve->rate_limit;
    options.max_concurrent = serve->max_concurrent;
    options.fail_rate = serve->fail_rate;
    options.drop_rate = serve->drop_rate;
    for (const std::string& text : serve->fail_nth) {
      options.fail_nth.push_back(*parse_nth_fault(text)); // checked by k_nth_fault
    }
    if (seed_option->count() > 0) {
      options.seed = serve->seed;
    }
    options.timeout_ms = serve->timeout_ms;
    options.call_rate = serve->call_rate;

    auto path =
        serve->state.empty() ? context.sandbox_state_path() : std::filesystem::path(serve->state);
    auto emulator = sandbox::open_sandbox(path);
    auto credentials = emulator->credentials();
    sandbox::SeededNumbers seeded;
    if (serve->synthflow_numbers > 0) {
      seeded = emulator->seed_synthflow_numbers(serve->synthflow_numbers);
    }
    AppContext::catch_interrupts();
    sandbox::ServeStats stats = sandbox::serve(
        *emulator, options,
        [&](int port) {
          std::string base = "http://127.0.0.1:" + std::to_string(port);
          // The commented alternative comes last: readers (tests/integration/conftest.py) stop
          // at it.
          std::cout << "export VAMI_TWILIO_BASE_URL=" << base << '\n'
                    << "export VAMI_TWILIO_PRICING_BASE_URL=" << base << '\n'
                    << "export VAMI_TWILIO_TRUNKING_BASE_URL=" << base << '\n'
                    << "export TWILIO_ACCOUNT_SID=" << credentials.account_sid << '\n'
                    << "export TWILIO_AUTH_TOKEN=" << credentials.auth_token << '\n';
          // Each voice-agent provider's settings on this sandbox (credentials, base URLs,
          // webhook secrets), as its descriptor derives them (the same the in-process sandbox
          // uses).
          const SandboxAccount account{credentials.auth_token, base};
          for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
            if (!provider->sandbox_settings) {
              continue;
            }
            for (const auto& [key, value] : provider->sandbox_settings(account)) {
              if (const ProviderSetting* setting = provider->setting(key)) {
                std::cout << "export " << setting->variable << "=" << value << '\n';
              }
            }
          }
          std::cout << "# or, with the account's API key instead of the auth token:\n"
                    << "# export TWILIO_API_KEY=" << credentials.api_key_sid
                    << " TWILIO_API_SECRET=" << credentials.api_key_secret << '\n'
                    << std::flush;
          context.note("sandbox listening on " + base + " (state in " + path.string() +
                       "); Ctrl-C stops it");
          const int stream_port = emulator->start_stream_orchestrator(0);
          context.note(
              "stream agents' orchestrator (WebSocket) on ws://127.0.0.1:" +
              std::to_string(stream_port) +
              "/stream/NAME; stream URL for agents: wss://sandbox.vami.invalid/stream/NAME");
          if (!seeded.numbers.empty()) {
            context.note("Synthflow workspace numbers " + seeded.numbers.front() + " to " +
                         seeded.numbers.back() + " (" + std::to_string(seeded.added) +
                         " added now); import them with 'vami numbers import --provider "
                         "synthflow'");
          }
          if (options.call_rate > 0) {
            context.note("placing " + std::to_string(options.call_rate) +
                         " simulated calls per second to the assigned numbers");
          }
        },
        [] { return AppContext::interrupted(); });
    context.note("sandbox stats: " + sandbox::stats_json(stats));
    context.note("sandbox stopped");
  });

  register_requests_command(*sandbox, context);
}

} // namespace vami::cli
