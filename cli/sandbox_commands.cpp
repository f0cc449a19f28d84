// `vami sandbox`: the built-in emulator of the providers, served on loopback for tests and demos.
#include <iostream>

#include "app.hpp"

#include <vami/providers/sandbox.hpp>

namespace vami::cli {

namespace {

struct ServeOptions {
  int port = 0;
  int latency_ms = 0;
  std::string state;
};

} // namespace

void register_sandbox_commands(CLI::App& app, AppContext& context) {
  auto* sandbox = app.add_subcommand("sandbox", "The built-in provider emulator");
  sandbox->require_subcommand(1);

  auto serve = std::make_shared<ServeOptions>();
  auto* serve_command = sandbox->add_subcommand(
      "serve", "Serve the sandbox's Twilio API on 127.0.0.1 until interrupted; prints the base "
               "URLs and credentials as shell exports");
  serve_command->add_option("--port", serve->port, "TCP port (0 picks a free one)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve_command->add_option("--latency-ms", serve->latency_ms, "Delay added to every response")
      ->capture_default_str()
      ->check(CLI::Range(0, 60'000));
  serve_command
      ->add_option("--state", serve->state,
                   "Sandbox state file (default: VAMI_SANDBOX_DB, else beside --db)")
      ->type_name("PATH");
  serve_command->callback([&context, serve] {
    auto path =
        serve->state.empty() ? context.sandbox_state_path() : std::filesystem::path(serve->state);
    auto emulator = sandbox::open_sandbox(path);
    auto credentials = emulator->credentials();
    sandbox::ServeOptions options;
    options.port = serve->port;
    options.latency_ms = serve->latency_ms;
    AppContext::catch_interrupts();
    sandbox::serve(
        *emulator, options,
        [&](int port) {
          std::string base = "http://127.0.0.1:" + std::to_string(port);
          std::cout << "export VAMI_TWILIO_BASE_URL=" << base << '\n'
                    << "export VAMI_TWILIO_PRICING_BASE_URL=" << base << '\n'
                    << "export TWILIO_ACCOUNT_SID=" << credentials.account_sid << '\n'
                    << "export TWILIO_AUTH_TOKEN=" << credentials.auth_token << '\n'
                    << "# or, with the account's API key instead of the auth token:\n"
                    << "# export TWILIO_API_KEY=" << credentials.api_key_sid
                    << " TWILIO_API_SECRET=" << credentials.api_key_secret << '\n'
                    << std::flush;
          context.note("sandbox listening on " + base + " (state in " + path.string() +
                       "); Ctrl-C stops it");
        },
        [] { return AppContext::interrupted(); });
    context.note("sandbox stopped");
  });
}

} // namespace vami::cli
