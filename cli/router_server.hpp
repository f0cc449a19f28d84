#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "router_access_log.hpp"
#include "router_metrics.hpp"

#include <vami/core/call_router.hpp>
#include <vami/core/state_store.hpp>
#include <vami/providers/agent_provider_registration.hpp>

namespace vami::cli {

/// The webhook secrets of one voice-agent account, by the profile key of their setting
/// (`RouterWebhook::secret_key`: "elevenlabs_webhook_secret"); secrets, never logged or printed.
/// An empty or missing value: none is known, and the webhooks it checks are refused.
using WebhookSecrets = std::map<std::string, std::string>;

/// How `vami router serve` runs: where it listens, how it checks signatures, what it answers
/// when an agent cannot take a call, and its limits.
struct RouterServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080; ///< 0 picks a free port.
  /// The URL Twilio calls, without a trailing slash ("https://router.example.com"): Twilio
  /// signs this URL followed by the request's path and query string as received.
  std::string public_url;
  std::string tls_cert; ///< PEM certificate chain; empty for plain HTTP (behind a proxy).
  std::string tls_key;  ///< PEM private key, with `tls_cert`.
  /// Primary Auth Token by Account SID: a request is checked with its `AccountSid`'s token.
  std::map<std::string, std::string> twilio_auth_tokens;
  /// The voice-agent providers whose webhooks are mounted (`AgentProviderDescriptor::webhooks`).
  AgentProviderList providers = registered_agent_providers();
  /// The platform's webhook secrets: they check the providers' webhooks about the platform's
  /// accounts; a webhook whose secret is unset here is refused (when signatures are checked).
  WebhookSecrets webhook_secrets;
  /// The secrets of tenants' own accounts, by account key (`AgentProviders::account_of`: the
  /// profile's name). A provider's webhook is checked with the secret of the account that owns
  /// what it is about (`CallRouter::owner_of`) and no other; an account not here, or without
  /// that webhook's secret, has its webhooks refused.
  std::map<std::string, WebhookSecrets> account_webhook_secrets;
  /// When set, the tenant accounts' secrets as they are now, in place of
  /// `account_webhook_secrets`: `vami router serve` reads them again once the config file
  /// changes (`reloading_account_secrets`). Asked at each webhook about a tenant account, from
  /// any worker thread: it must be thread-safe and cheap.
  std::function<std::shared_ptr<const std::map<std::string, WebhookSecrets>>()>
      account_webhook_secrets_now;
  bool check_signatures = true;    ///< False only with `--insecure-no-signatures`.
  bool log_caller_numbers = false; ///< Log `From` whole instead of masked.
  std::string apology;             ///< What a caller hears when the agent cannot take the call.
  /// Bytes of a Twilio form body. cpp-httplib 0.11 (Debian's shared library) refuses any
  /// `application/x-www-form-urlencoded` body above 8 KiB with 413 before a handler runs
  /// (`CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH`, compiled in), so this is that limit.
  std::size_t max_twilio_body = 8 * 1024;
  std::size_t max_body = 4 * 1024 * 1024; ///< Bytes of any body (post-call).
  std::size_t max_headers = 100;          ///< Header fields of one request.
  int read_timeout_seconds = 5;           ///< A client that sends slower is cut.
  int write_timeout_seconds = 5;          ///< A client that reads slower is cut.
  std::size_t worker_threads = 256;       ///< Requests (connections) at once.
  /// Requests one keep-alive connection carries before the router closes it. httplib's default
  /// (5) cost a new TCP connection and a worker hand-off every 5 webhooks from a client that
  /// reuses connections (Twilio, a reverse proxy); idle connections still close after 5 s.
  std::size_t keep_alive_max_requests = 1000;
};

/// Serves the call router until `stop_requested` returns true (polled every 100 ms), then stops
/// accepting, lets the requests in flight finish, and returns. `on_listening` is called once
/// with the bound port. Routes: `POST /twilio/voice` (the decision of `router`, as TwiML),
/// `POST /twilio/status`, each webhook of `options.providers` at its route
/// (`AgentProviderDescriptor::webhooks`: `/elevenlabs/post-call`, `/synthflow/inbound`, whose
/// answer is the decision of `router.answer_provider_call`, `/synthflow/post-call`),
/// `GET /healthz`, `GET /metrics`. A provider's webhook is checked with the secret of the
/// account that owns the agent or number it is about (`RouterServerOptions::webhook_secrets`,
/// `account_webhook_secrets`); Twilio's with the platform's tokens.
/// @throws Error(unavailable) when the address cannot be bound; Error(invalid_input) when the
///         TLS certificate or key cannot be loaded, or when two webhooks declare one route.
void serve_router(const RouterServerOptions& options, CallRouter& router, StateStore& store,
                  AccessLog& log, RouterMetrics& metrics,
                  const std::function<void(int port)>& on_listening,
                  const std::function<bool()>& stop_requested);

} // namespace vami::cli
