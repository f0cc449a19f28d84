// The URLs of vami's call router, from its public URL (router_endpoints.hpp).
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/router_endpoints.hpp>

namespace vami {

std::string checked_router_public_url(const std::string& public_url) {
  std::string url = public_url;
  const UrlScheme scheme = url_scheme(url);
  if (scheme == UrlScheme::other || url_host(url).empty() ||
      url.find_first_of("?# \t\r\n") != std::string::npos) {
    throw Error(ErrorKind::invalid_input,
                "public URL '" + url + "' is not an http(s) URL with a host and no query",
                "give the URL Twilio calls, such as https://router.example.com");
  }
  if (scheme == UrlScheme::http && !is_loopback_url(url)) {
    throw Error(ErrorKind::invalid_input,
                "public URL '" + url + "' is plain http on a host other than this machine",
                "use https (with --tls-cert and --tls-key, or a TLS proxy in front); plain http "
                "is accepted for 127.0.0.1, ::1 and localhost only");
  }
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

std::string provider_post_call_path(const std::string& provider) {
  return "/" + provider + "/post-call";
}

std::string provider_inbound_path(const std::string& provider) {
  return "/" + provider + "/inbound";
}

RouterEndpoints router_endpoints(const std::string& public_url) {
  RouterEndpoints endpoints;
  endpoints.public_url = public_url;
  endpoints.voice_url = public_url + k_router_voice_path;
  endpoints.status_callback = public_url + "/twilio/status";
  endpoints.health_url = public_url + "/healthz";
  return endpoints;
}

std::optional<RouterEndpoints> endpoints_of_router_url(const std::string& router_url) {
  const std::string suffix = k_router_voice_path;
  if (router_url.size() <= suffix.size() ||
      router_url.compare(router_url.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      router_url.find_first_of("?#") != std::string::npos) {
    return std::nullopt;
  }
  std::string public_url = router_url.substr(0, router_url.size() - suffix.size());
  if (url_host(public_url).empty()) {
    return std::nullopt;
  }
  return router_endpoints(public_url);
}

} // namespace vami
