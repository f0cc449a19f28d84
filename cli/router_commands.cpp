// `vami router serve`: the call router of webhook-routed numbers (docs/router.md).
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app.hpp"
#include "provider_words.hpp"
#include "router_access_log.hpp"
#include "router_accounts.hpp"
#include "router_metrics.hpp"
#include "router_server.hpp"

#include <vami/core/call_router.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/monotonic_clock.hpp>
#include <vami/core/router_endpoints.hpp>
#include <vami/providers/sandbox.hpp>

namespace vami::cli {

namespace {

constexpr const char* k_apology =
    "We're sorry, no one can take your call right now. Please try again later.";

struct RouterServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string public_url;
  std::string tls_cert;
  std::string tls_key;
  std::string log;
  bool log_caller_numbers = false;
  bool insecure_no_signatures = false;
  int budget_ms = 5000;
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// "HOST:PORT" or "[IPv6]:PORT".
std::optional<std::pair<std::string, int>> parse_listen(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) {
      return std::nullopt;
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;
  }
  int port = -1;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return std::nullopt;
  }
  return std::pair<std::string, int>(std::string(host), port);
}

// Twilio signs with the primary Auth Token of the account the number belongs to: the
// environment's account, else the profile's, else (no credentials at all) the sandbox's.
std::map<std::string, std::string> twilio_tokens(AppContext& context) {
  std::map<std::string, std::string> tokens;
  const std::string sid = env("TWILIO_ACCOUNT_SID");
  const bool from_env = !sid.empty() || !env("TWILIO_AUTH_TOKEN").empty() ||
                        !env("TWILIO_API_KEY").empty() || !env("TWILIO_API_SECRET").empty();
  if (from_env) {
    if (!sid.empty() && !env("TWILIO_AUTH_TOKEN").empty()) {
      tokens[sid] = env("TWILIO_AUTH_TOKEN");
    }
    return tokens;
  }
  if (const Profile* profile = context.profile();
      profile != nullptr && profile->has_twilio_credentials()) {
    if (!profile->twilio_account_sid.empty() && !profile->twilio_auth_token.empty()) {
      tokens[profile->twilio_account_sid] = profile->twilio_auth_token;
    }
    return tokens;
  }
  if (context.providers().is_sandbox()) {
    auto credentials =
        sandbox::open_sandbox(context.providers().sandbox_state_path())->credentials();
    tokens[credentials.account_sid] = credentials.auth_token;
  }
  return tokens;
}

// Whether `provider`'s emulator has a value of `key` (without opening the sandbox).
bool has_sandbox_value(const AgentProviderDescriptor& provider, const std::string& key) {
  if (!provider.sandbox_settings) {
    return false;
  }
  for (const auto& [sandbox_key, value] : provider.sandbox_settings(SandboxAccount{})) {
    if (sandbox_key == key) {
      return true;
    }
  }
  return false;
}

// The platform's secret of each provider's router webhooks (their descriptors' webhook
// settings): the environment's, else the profile's, else (no credentials at all) the sandbox's
// when the provider's emulator has one (Synthflow's workspace secret has no API).
WebhookSecrets platform_webhook_secrets(AppContext& context) {
  WebhookSecrets secrets;
  std::optional<SandboxAccount> sandbox;
  for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
    for (const std::string& key : router_secret_keys(AgentProviderList{provider})) {
      const ProviderSetting* setting = provider->setting(key);
      std::string secret = setting != nullptr && !setting->variable.empty()
                               ? env(setting->variable.c_str())
                               : std::string();
      if (const Profile* profile = context.profile(); secret.empty() && profile != nullptr) {
        secret = profile->value(key);
      }
      if (secret.empty() && has_sandbox_value(*provider, key) && context.providers().is_sandbox()) {
        if (!sandbox) {
          sandbox = SandboxAccount{sandbox::open_sandbox(context.providers().sandbox_state_path())
                                       ->credentials()
                                       .auth_token,
                                   std::string()};
        }
        for (const auto& [sandbox_key, value] : provider->sandbox_settings(*sandbox)) {
          if (sandbox_key == key) {
            secret = value;
          }
        }
      }
      secrets[key] = secret;
      if (secret.empty() && setting != nullptr && !setting->router_unset_hint.empty()) {
        throw Error(ErrorKind::auth, setting->router_unset, setting->router_unset_hint);
      }
      if (secret.empty() && setting != nullptr && !setting->router_unset.empty()) {
        context.note(setting->router_unset);
      }
    }
  }
  return secrets;
}

void serve(AppContext& context, const RouterServeOptions& options) {
  RouterServerOptions server;
  auto listen = parse_listen(options.listen);
  if (!listen) {
    throw Error(ErrorKind::invalid_input, "--listen '" + options.listen + "' is not HOST:PORT",
                "give an address and port such as 127.0.0.1:8080 or [::1]:8080");
  }
  server.host = listen->first;
  server.port = listen->second;
  server.public_url = checked_router_public_url(options.public_url);
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    throw Error(ErrorKind::invalid_input, "--tls-cert and --tls-key go together",
                "give both (PEM files), or neither to serve plain HTTP behind a TLS proxy");
  }
  server.tls_cert = options.tls_cert;
  server.tls_key = options.tls_key;
  server.log_caller_numbers = options.log_caller_numbers;
  server.check_signatures = !options.insecure_no_signatures;
  server.apology = k_apology;

  // The agent provider must answer within the budget: its HTTP timeout is the budget.
  context.http_total_timeout_ms = options.budget_ms;
  if (server.check_signatures) {
    if (const Profile* profile = context.profile(); profile != nullptr) {
      require_platform_profile(context, profile->name, "router serve");
    }
    server.twilio_auth_tokens = twilio_tokens(context);
    if (server.twilio_auth_tokens.empty()) {
      throw Error(ErrorKind::auth,
                  "no Twilio Auth Token: the router cannot check that requests come from Twilio",
                  "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the account's primary Auth "
                  "Token: Twilio signs webhooks with it, never with an API key), or add them to "
                  "the profile");
    }
    server.webhook_secrets = platform_webhook_secrets(context);
    server.account_webhook_secrets_now = reloading_account_secrets(context);
  }

  AccessLog log(options.log);
  RouterMetrics metrics;
  StateStore& store = context.store();
  // The providers without the command's rate limiting and retries: a call cannot wait for them.
  AgentProviderRegistry agents([&](const std::string& name) -> VoiceAgentProvider& {
    return context.providers().agent_provider(name);
  });
  // Calls of a tenant on its own account are registered there.
  agents.set_accounts(context.tenant_accounts(false));
  CallRouter router(store, agents, system_monotonic_clock(),
                    std::chrono::milliseconds(options.budget_ms));
  if (!server.check_signatures) {
    const std::string warning =
        "WARNING: --insecure-no-signatures: requests are NOT checked; anyone who can reach "
        "this router can place calls to agents and write call history. Never use it on a "
        "network others can reach.";
    std::cerr << "vami: " << warning << '\n';
    log.event("warning", warning);
  }
  AppContext::catch_interrupts();
  serve_router(
      server, router, store, log, metrics,
      [&](int port) {
        std::string scheme = server.tls_cert.empty() ? "http" : "https";
        std::string host =
            server.host.find(':') != std::string::npos ? "[" + server.host + "]" : server.host;
        std::string address = scheme + "://" + host + ":" + std::to_string(port);
        context.note("router listening on " + address + "; Twilio's voice URL is " +
                     server.public_url + "/twilio/voice ('vami router setup --public-url " +
                     server.public_url +
                     "' points the providers at it); SIGTERM or Ctrl-C stops it");
        log.event("start", "listening on " + address + ", public URL " + server.public_url);
      },
      [] { return AppContext::interrupted(); });
  log.event("stop", "stopped; requests in flight finished");
  context.note("router stopped");
}

} // namespace

void register_router_commands(CLI::App& app, AppContext& context) {
  auto* router = app.add_subcommand("router", "The call router of webhook-routed numbers");
  router->require_subcommand(1);

  auto options = std::make_shared<RouterServeOptions>();
  auto* serve_command = router->add_subcommand(
      "serve", "Answer Twilio's voice webhooks of webhook-routed numbers: each call goes to the "
               "agent its number is assigned to, until SIGTERM or Ctrl-C");
  serve_command->footer(router_serve_footer());
  serve_command
      ->add_option("--listen", options->listen, "Address and port to listen on (port 0: any)")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  serve_command
      ->add_option("--public-url", options->public_url,
                   "The URL Twilio reaches the router at (https; http only for a loopback "
                   "host); signatures are checked against it")
      ->type_name("URL")
      ->required();
  serve_command->add_option("--tls-cert", options->tls_cert, "PEM certificate chain to serve HTTPS")
      ->type_name("FILE");
  serve_command->add_option("--tls-key", options->tls_key, "PEM private key of --tls-cert")
      ->type_name("FILE");
  serve_command
      ->add_option("--log", options->log,
                   "Append the access log to FILE (created 0600) instead "
                   "of stderr")
      ->type_name("FILE");
  serve_command->add_flag("--log-caller-numbers", options->log_caller_numbers,
                          "Log callers' numbers whole (masked by default)");
  serve_command
      ->add_option("--budget-ms", options->budget_ms,
                   "Time the agent provider has to take a call before the caller hears an "
                   "apology, in ms")
      ->capture_default_str()
      ->check(CLI::Range(100, 14'000));
  serve_command->add_flag("--insecure-no-signatures", options->insecure_no_signatures,
                          "Check no signature (local experiments only; warns loudly)");
  serve_command->callback([&context, options] { serve(context, *options); });

  register_router_setup_command(*router, context);
}

} // namespace vami::cli
