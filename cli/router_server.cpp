// `vami router serve`'s HTTP side: cpp-httplib, limits, Twilio's signatures, the access log and
// metrics, and the voice-agent providers' webhooks mounted from their descriptors
// (router_provider_webhooks.cpp). What to answer a call is core's (CallRouter); how to say it is
// the providers' (TwiML, their webhook answers).
#include "router_server.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "router_provider_webhooks.hpp"
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/providers/twilio_webhooks.hpp>

namespace vami::cli {

namespace {

constexpr std::string_view k_voice_route = "/twilio/voice";
constexpr std::string_view k_status_route = "/twilio/status";
constexpr std::size_t k_max_form_params = 1000;
constexpr auto k_stop_poll_interval = std::chrono::milliseconds(100);

// httplib listens with a backlog of 5; a burst of calls would overflow the accept queue.
template <typename Base>
class Listening final : public Base {
public:
  using Base::Base;
  void raise_backlog() { ::listen(this->svr_sock_, SOMAXCONN); }
};

// The facts of the request this worker thread handles: httplib runs the pre-routing handler,
// the route's handler and the logger of one request on the same thread.
struct RequestState {
  bool active = false;
  std::chrono::steady_clock::time_point arrived;
  RequestFacts facts;
};
thread_local RequestState t_request;

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

void send(httplib::Response& response, const RouterReply& reply) {
  response.status = reply.status;
  if (!reply.body.empty()) {
    response.set_content(reply.body, reply.content_type);
  }
}

void answer(httplib::Response& response, int status, const std::string& outcome,
            const std::string& reason) {
  send(response, refusal(status, outcome, reason, t_request.facts));
}

const char* form_error_word(twilio::FormError error) {
  switch (error) {
  case twilio::FormError::bad_escape:
    return "malformed_form";
  case twilio::FormError::too_many:
    return "too_many_parameters";
  case twilio::FormError::not_utf8:
    return "form_not_utf8";
  case twilio::FormError::empty_name:
    return "malformed_form";
  case twilio::FormError::none:
    break;
  }
  return "malformed_form";
}

class Router {
public:
  Router(const RouterServerOptions& options, CallRouter& router, StateStore& store, AccessLog& log,
         RouterMetrics& metrics)
      : m_options(options), m_router(router), m_store(store), m_log(log), m_metrics(metrics) {}

  void install(httplib::Server& server) {
    server.new_task_queue = [this] { return new httplib::ThreadPool(m_options.worker_threads); };
    server.set_tcp_nodelay(true);
    server.set_read_timeout(m_options.read_timeout_seconds, 0);
    server.set_write_timeout(m_options.write_timeout_seconds, 0);
    server.set_keep_alive_timeout(5);
    server.set_keep_alive_max_count(m_options.keep_alive_max_requests);
    server.set_payload_max_length(m_options.max_body);
    server.set_socket_options([](socket_t socket) {
      int yes = 1;
      ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          begin();
          if (request.headers.size() > m_options.max_headers) {
            answer(response, 431, "refused", "too_many_headers");
            return httplib::Server::HandlerResponse::Handled;
          }
          return httplib::Server::HandlerResponse::Unhandled;
        });
    server.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
      finish(request, response);
    });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
          answer(response, 500, "failed", "internal_error");
        });
    server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
      if (response.body.empty()) {
        nlohmann::json body = {{"error", response.status == 404 ? "not_found" : "refused"}};
        response.set_content(body.dump(), "application/json");
      }
      if (t_request.facts.outcome.empty()) {
        t_request.facts.outcome = "refused";
      }
    });

    server.Post(std::string(k_voice_route),
                [this](const httplib::Request& request, httplib::Response& response) {
                  voice(request, response);
                });
    server.Post(std::string(k_status_route),
                [this](const httplib::Request& request, httplib::Response& response) {
                  status(request, response);
                });
    // Every registered voice-agent provider's webhooks, as its descriptor declares them.
    for (const AgentProviderDescriptor* provider : m_options.providers) {
      for (const RouterWebhook& webhook : provider->webhooks) {
        server.Post(webhook.route,
                    [this, &webhook](const httplib::Request& request, httplib::Response& response) {
                      provider_webhook(webhook, request, response);
                    });
      }
    }
    server.Get("/healthz", [this](const httplib::Request&, httplib::Response& response) {
      t_request.facts.route = "/healthz";
      try {
        (void)m_store.schema_version();
        response.set_content(R"({"status":"ok"})", "application/json");
        t_request.facts.outcome = "ok";
      } catch (const Error& error) {
        answer(response, 503, "failed", "state_database");
        t_request.facts.error = error.what();
      }
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
      t_request.facts.route = "/metrics";
      t_request.facts.outcome = "ok";
      response.set_content(m_metrics.prometheus_text(), "text/plain; version=0.0.4");
    });
  }

private:
  void begin() {
    t_request = RequestState{};
    t_request.active = true;
    t_request.arrived = std::chrono::steady_clock::now();
    t_request.facts.time = utc_now_iso8601();
    m_metrics.add_in_flight(1);
  }

  void finish(const httplib::Request& request, const httplib::Response& response) {
    RequestFacts& facts = t_request.facts;
    if (t_request.active) {
      facts.duration_ms = milliseconds_since(t_request.arrived);
      m_metrics.add_in_flight(-1);
    } else {
      facts.time = utc_now_iso8601(); // refused by httplib before any handler ran
    }
    facts.remote = request.remote_addr;
    facts.method = request.method;
    facts.path = request.path;
    facts.status = response.status;
    if (facts.outcome.empty()) {
      facts.outcome = response.status < 400 ? "ok" : "refused";
    }
    m_metrics.count_request(facts.route.empty() ? "other" : facts.route, facts.outcome);
    m_log.write(facts);
    t_request = RequestState{};
  }

  // The checks every Twilio webhook passes: a form body within the limits, signed by the
  // account it names. Answers and returns nothing when one fails.
  std::optional<twilio::FormParams> twilio_form(const httplib::Request& request,
                                                httplib::Response& response,
                                                std::string_view route) {
    t_request.facts.route = std::string(route);
    if (!starts_with_ignoring_case(request.get_header_value("Content-Type"),
                                   "application/x-www-form-urlencoded")) {
      answer(response, 415, "refused", "not_a_form");
      return std::nullopt;
    }
    if (request.body.size() > m_options.max_twilio_body) {
      answer(response, 413, "refused", "body_too_large");
      return std::nullopt;
    }
    twilio::ParsedForm form = twilio::parse_form(request.body, k_max_form_params);
    if (form.error != twilio::FormError::none) {
      answer(response, 400, "refused", form_error_word(form.error));
      return std::nullopt;
    }
    RequestFacts& facts = t_request.facts;
    facts.account_sid = twilio::form_value(form.params, "AccountSid");
    facts.call_sid = twilio::form_value(form.params, "CallSid");
    const std::string from = twilio::form_value(form.params, "From");
    facts.from = m_options.log_caller_numbers ? from : mask_caller(from);
    facts.to = twilio::form_value(form.params, "To");
    if (m_options.check_signatures) {
      std::string signature = request.get_header_value("X-Twilio-Signature");
      auto token = m_options.twilio_auth_tokens.find(facts.account_sid);
      const char* refusal = nullptr;
      if (signature.empty()) {
        refusal = "missing_signature";
      } else if (token == m_options.twilio_auth_tokens.end()) {
        refusal = "unknown_account";
      } else if (!twilio::validate_signature(token->second, m_options.public_url + request.target,
                                             form.params, request.body, signature)) {
        refusal = "bad_signature";
      }
      if (refusal != nullptr) {
        m_metrics.count_signature_reject(std::string(route));
        answer(response, 403, "forbidden", refusal);
        return std::nullopt;
      }
    }
    return std::move(form.params);
  }

  void voice(const httplib::Request& request, httplib::Response& response) {
    std::optional<twilio::FormParams> params = twilio_form(request, response, k_voice_route);
    if (!params) {
      return;
    }
    IncomingCall call = twilio::incoming_call(*params);
    // The voice URL names the agent it was set for (`?agent_id=`): compared, never obeyed.
    if (auto question = request.target.find('?'); question != std::string::npos) {
      twilio::ParsedForm query =
          twilio::parse_form(std::string_view(request.target).substr(question + 1), 100);
      call.requested_agent_id = twilio::form_value(query.params, "agent_id");
    }
    CallDecision decision = m_router.route(call);
    RequestFacts& facts = t_request.facts;
    facts.outcome = to_string(decision.outcome);
    facts.tenant = decision.tenant_slug;
    facts.agent = decision.agent_slug;
    if (decision.provider_latency > Duration::zero()) {
      m_metrics.observe_provider_latency(decision.provider_latency);
      facts.provider_ms =
          std::chrono::duration<double, std::milli>(decision.provider_latency).count();
    }
    std::string twiml;
    switch (decision.outcome) {
    case RouteOutcome::connected:
      twiml = std::move(decision.connect_document);
      m_metrics.count_routed(decision.tenant_slug);
      if (decision.agent_id_mismatch) {
        facts.reason = "voice_url_names_another_agent";
      }
      break;
    case RouteOutcome::rejected:
      twiml = twilio::twiml_reject();
      facts.reason = decision.reject_reason ? to_string(*decision.reject_reason) : "";
      break;
    case RouteOutcome::out_of_service:
      twiml = twilio::twiml_say_and_hang_up(decision.spoken_message);
      facts.reason = "suspended";
      break;
    case RouteOutcome::failed:
      twiml = twilio::twiml_say_and_hang_up(m_options.apology);
      facts.reason = decision.failure ? to_string(*decision.failure) : "";
      facts.error = decision.error_message;
      break;
    }
    response.set_content(twiml, "text/xml");
  }

  void status(const httplib::Request& request, httplib::Response& response) {
    std::optional<twilio::FormParams> params = twilio_form(request, response, k_status_route);
    if (!params) {
      return;
    }
    send(response,
         record_call(m_router, twilio::status_callback_call(*params), 204, t_request.facts));
  }

  void provider_webhook(const RouterWebhook& webhook, const httplib::Request& request,
                        httplib::Response& response) {
    const WebhookRequest delivery{
        request.body,
        [&request](const std::string& name) { return request.get_header_value(name); }, unix_now()};
    send(response, answer_provider_webhook(webhook, delivery, m_options, m_router, m_metrics,
                                           t_request.facts));
  }

  const RouterServerOptions& m_options;
  CallRouter& m_router;
  StateStore& m_store;
  AccessLog& m_log;
  RouterMetrics& m_metrics;
};

template <typename Server>
void run(Server& server, const RouterServerOptions& options, Router& router,
         const std::function<void(int port)>& on_listening,
         const std::function<bool()>& stop_requested) {
  router.install(server);
  errno = 0;
  int port = options.port;
  bool bound = port == 0 ? (port = server.bind_to_any_port(options.host)) > 0
                         : server.bind_to_port(options.host, port);
  if (!bound) {
    int error = errno;
    throw Error(ErrorKind::unavailable,
                "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                    (error != 0 ? std::strerror(error) : "the address cannot be bound"),
                "choose another address with --listen, or port 0 for any free port");
  }
  server.raise_backlog();
  on_listening(port);

  // As in `vami sandbox serve`: httplib's stop() does nothing before the accept loop runs, so
  // the watcher polls until the server runs, stops it once, and leaves when listen returns.
  // listen_after_bind returns once the workers have finished the requests in flight.
  std::mutex mutex;
  std::condition_variable finished_changed;
  bool finished = false;
  std::atomic<bool> stopped{false};
  std::thread watcher([&] {
    std::unique_lock lock(mutex);
    while (!finished_changed.wait_for(lock, k_stop_poll_interval, [&] { return finished; })) {
      if (!stopped && server.is_running() && stop_requested()) {
        stopped = true;
        server.stop();
      }
    }
  });
  bool clean = server.listen_after_bind();
  {
    std::lock_guard lock(mutex);
    finished = true;
  }
  finished_changed.notify_all();
  watcher.join();
  if (!clean && !stopped) {
    throw Error(ErrorKind::unavailable,
                "the router on " + options.host + ":" + std::to_string(port) +
                    " stopped unexpectedly",
                "start it again");
  }
}

} // namespace

void serve_router(const RouterServerOptions& options, CallRouter& router, StateStore& store,
                  AccessLog& log, RouterMetrics& metrics,
                  const std::function<void(int port)>& on_listening,
                  const std::function<bool()>& stop_requested) {
  // httplib would answer a route declared twice with the first handler only.
  std::vector<std::string> routes_taken{std::string(k_voice_route), std::string(k_status_route),
                                        "/healthz", "/metrics"};
  for (const AgentProviderDescriptor* provider : options.providers) {
    for (const RouterWebhook& webhook : provider->webhooks) {
      // vami gives the providers these routes (agents' webhooks, workspace webhooks).
      const std::string expected = router_webhook_route(provider->name, webhook.kind);
      if (webhook.route != expected) {
        throw Error(ErrorKind::invalid_input,
                    "the webhook route " + webhook.route + " of " + provider->display_name +
                        " is not " + expected + ", where vami points its webhooks",
                    "declare it with router_webhook_route()");
      }
      if (std::find(routes_taken.begin(), routes_taken.end(), webhook.route) !=
          routes_taken.end()) {
        throw Error(ErrorKind::invalid_input,
                    "the webhook route " + webhook.route + " of " + provider->display_name +
                        " is declared twice",
                    "give each provider's webhooks routes of their own");
      }
      routes_taken.push_back(webhook.route);
    }
  }
  Router routes(options, router, store, log, metrics);
  if (options.tls_cert.empty()) {
    Listening<httplib::Server> server;
    run(server, options, routes, on_listening, stop_requested);
    return;
  }
  Listening<httplib::SSLServer> server(options.tls_cert.c_str(), options.tls_key.c_str());
  if (!server.is_valid()) {
    throw Error(ErrorKind::invalid_input,
                "cannot load the TLS certificate " + options.tls_cert + " and key " +
                    options.tls_key,
                "give a PEM certificate chain with --tls-cert and its PEM private key with "
                "--tls-key");
  }
  run(server, options, routes, on_listening, stop_requested);
}

} // namespace vami::cli
