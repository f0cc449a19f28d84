// What the sandbox shares with the voice-agent providers' emulators (provider_emulator.hpp).

#include "sandbox/provider_emulator.hpp"

#include <vami/core/error.hpp>

namespace vami::sandbox {

std::string SandboxCredentials::value(const std::string& key) const {
  auto found = provider_values.find(key);
  return found == provider_values.end() ? std::string() : found->second;
}

std::string EmulatorContext::setting(const std::string& key) const {
  auto found = settings.find(key);
  return found == settings.end() ? std::string() : found->second;
}

std::pair<nlohmann::ordered_json, std::optional<http::HttpResponse>>
deliver_webhook(http::HttpClient& http, const http::HttpRequest& request,
                const std::string& shown_url) {
  nlohmann::ordered_json delivery{{"url", shown_url}, {"status", nullptr}, {"error", nullptr}};
  try {
    http::HttpResponse response = http.send(request);
    delivery["status"] = response.status;
    return {delivery, std::move(response)};
  } catch (const Error& e) {
    delivery["error"] = e.what();
  } catch (const std::exception& e) {
    delivery["error"] = e.what();
  }
  return {delivery, std::nullopt};
}

} // namespace vami::sandbox
