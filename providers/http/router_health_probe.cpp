// The call router's health check over HTTP (router_health_probe.hpp).
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/router_health_probe.hpp>

namespace vami::http {

namespace {

class HttpRouterHealthProbe final : public RouterHealthProbe {
public:
  explicit HttpRouterHealthProbe(std::unique_ptr<HttpClient> http) : m_http(std::move(http)) {}

  RouterHealth probe(const std::string& health_url) override {
    RouterHealth health;
    health.url = health_url;
    HttpRequest request;
    request.method = "GET";
    request.url = health_url;
    request.headers = {{"Accept", "application/json"}};
    HttpResponse response;
    try {
      response = m_http->send(request);
    } catch (const Error& error) {
      health.problem = error.what();
      return health;
    } catch (const std::exception& error) {
      health.problem = error.what();
      return health;
    }
    health.http_status = response.status;
    if (response.status != 200) {
      health.problem = "answered HTTP " + std::to_string(response.status);
      return health;
    }
    nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    if (!body.is_object() || body.value("status", nlohmann::json()) != "ok") {
      health.problem = "answered HTTP 200 without {\"status\": \"ok\"}: not vami's router";
      return health;
    }
    health.healthy = true;
    return health;
  }

private:
  std::unique_ptr<HttpClient> m_http;
};

} // namespace

std::unique_ptr<RouterHealthProbe> make_router_health_probe(std::unique_ptr<HttpClient> http) {
  return std::make_unique<HttpRouterHealthProbe>(std::move(http));
}

} // namespace vami::http
