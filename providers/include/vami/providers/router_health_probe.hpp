#pragma once

#include <memory>

#include <vami/core/router_health.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::http {

/// How long a router has to answer its health check, in ms: connection and answer together.
inline constexpr long k_router_health_timeout_ms = 3'000;

/// A `RouterHealthProbe` over `http` (which should give up within
/// `k_router_health_timeout_ms`): healthy when `GET <url>` answers 200 with the JSON
/// `{"status": "ok"}` that `vami router serve` gives; otherwise the status, or the transport's
/// reason, is the problem. Thread-safe when `http` is.
[[nodiscard]] std::unique_ptr<RouterHealthProbe>
make_router_health_probe(std::unique_ptr<HttpClient> http);

} // namespace vami::http
