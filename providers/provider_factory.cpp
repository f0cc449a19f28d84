#include <algorithm>
#include <optional>

#include "missing_credentials.hpp"

#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/providers/elevenlabs_provider.hpp>
#include <vami/providers/provider_factory.hpp>
#include <vami/providers/sandbox.hpp>
#include <vami/providers/synthflow_provider.hpp>
#include <vami/providers/twilio_provider.hpp>

namespace vami {

namespace {

// In-process requests never leave the process; the host only has to be well-formed.
constexpr const char* k_in_process_base_url = "http://sandbox.vami.invalid";

bool is_account_sid(const std::string& sid) {
  if (sid.size() != 34 || sid.rfind("AC", 0) != 0) {
    return false;
  }
  return sid.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos;
}

void check_base_url(const char* variable, const std::string& url) {
  if (!url.empty() && url_scheme(url) == UrlScheme::other) {
    throw Error(ErrorKind::invalid_input,
                std::string(variable) + " '" + url + "' is not an http(s) URL",
                "set it to a base URL such as https://api.twilio.com");
  }
}

class ConnectedProviders final : public Providers {
public:
  ConnectedProviders(const ProviderSettings& settings) : m_settings(settings) {
    // Kept for the messages of missing credentials; never printed whole.
    m_settings.debug_trace = nullptr;
    bool any_twilio = !settings.twilio_account_sid.empty() || !settings.twilio_auth_token.empty() ||
                      !settings.twilio_api_key.empty() || !settings.twilio_api_secret.empty();
    bool any_synthflow =
        !settings.synthflow_api_key.empty() || !settings.synthflow_workspace_id.empty();
    bool any_live = any_twilio || !settings.elevenlabs_api_key.empty() || any_synthflow;
    ProviderSettings synthflow_settings;
    bool synthflow_ready = false;
    std::vector<std::string> secrets;
    std::optional<twilio::TwilioConfig> twilio_config;
    std::optional<elevenlabs::ElevenLabsConfig> elevenlabs_config;
    std::unique_ptr<http::HttpClient> transport;
    if (any_live) {
      if (any_twilio) {
        twilio_config = live_config(settings);
        secrets.push_back(twilio_config->auth_password);
        secrets.push_back(settings.twilio_auth_token);
      }
      if (!settings.elevenlabs_api_key.empty()) {
        check_base_url("VAMI_ELEVENLABS_BASE_URL", settings.elevenlabs_base_url);
        elevenlabs::ElevenLabsConfig config;
        config.api_key = settings.elevenlabs_api_key;
        if (!settings.elevenlabs_base_url.empty()) {
          config.base_url = settings.elevenlabs_base_url;
        }
        while (!config.base_url.empty() && config.base_url.back() == '/') {
          config.base_url.pop_back();
        }
        if (twilio_config) {
          config.twilio_sid = twilio_config->auth_username;
          config.twilio_token = twilio_config->auth_password;
          if (twilio_config->auth_username != twilio_config->account_sid) {
            config.twilio_account_auth_token = settings.twilio_auth_token;
          }
        }
        elevenlabs_config = config;
        secrets.push_back(settings.elevenlabs_api_key);
      }
      if (!settings.synthflow_api_key.empty() && !settings.synthflow_workspace_id.empty()) {
        synthflow_settings = settings;
        synthflow_ready = true;
      }
      secrets.push_back(settings.synthflow_api_key);
      http::HttpClientOptions options;
      if (settings.http_total_timeout_ms > 0) {
        options.total_timeout_ms = settings.http_total_timeout_ms;
        options.connect_timeout_ms =
            std::min(options.connect_timeout_ms, settings.http_total_timeout_ms);
      }
      transport = http::make_curl_http_client(options);
    } else {
      m_sandbox_path = settings.sandbox_state_path;
      m_sandbox = sandbox::open_sandbox(m_sandbox_path);
      auto credentials = m_sandbox->credentials();
      twilio_config.emplace();
      twilio_config->account_sid = credentials.account_sid;
      twilio_config->auth_username = credentials.account_sid;
      twilio_config->auth_password = credentials.auth_token;
      twilio_config->base_url = k_in_process_base_url;
      twilio_config->pricing_base_url = k_in_process_base_url;
      twilio_config->trunking_base_url = k_in_process_base_url;
      elevenlabs_config.emplace();
      elevenlabs_config->api_key = credentials.elevenlabs_api_key;
      elevenlabs_config->base_url = k_in_process_base_url;
      elevenlabs_config->twilio_sid = credentials.account_sid;
      elevenlabs_config->twilio_token = credentials.auth_token;
      synthflow_settings.synthflow_api_key = credentials.synthflow_api_key;
      synthflow_settings.synthflow_workspace_id = credentials.synthflow_workspace_id;
      synthflow_settings.synthflow_base_url = std::string(k_in_process_base_url) + "/synthflow/v2";
      synthflow_ready = true;
      secrets = {credentials.auth_token, credentials.elevenlabs_api_key,
                 credentials.synthflow_api_key};
      transport = http::make_in_process_http_client(
          [emulator = m_sandbox.get()](const http::HttpRequest& request) {
            return emulator->handle(request);
          });
    }
    secrets.erase(std::remove(secrets.begin(), secrets.end(), std::string()), secrets.end());
    if (settings.debug_trace) {
      transport = http::make_tracing_http_client(std::move(transport), settings.debug_trace,
                                                 std::move(secrets));
    }
    m_http = std::move(transport);
    if (twilio_config) {
      m_telephony = twilio::make_twilio_provider(*twilio_config, *m_http);
      if (m_sandbox || twilio_config->base_url != twilio::TwilioConfig().base_url) {
        m_test_calls =
            sandbox::make_call_placer(*m_http, twilio_config->base_url,
                                      twilio_config->auth_username, twilio_config->auth_password);
      }
    }
    if (elevenlabs_config) {
      m_agents = elevenlabs::make_elevenlabs_provider(*elevenlabs_config, *m_http);
    }
    if (synthflow_ready) {
      m_synthflow = make_synthflow_provider(synthflow_settings, *m_http);
    }
  }

  TelephonyProvider& telephony() override {
    if (!m_telephony) {
      throw credentials::missing_twilio(m_settings);
    }
    return *m_telephony;
  }

  VoiceAgentProvider& agents() override {
    if (!m_agents) {
      throw credentials::missing_elevenlabs(m_settings);
    }
    return *m_agents;
  }

  VoiceAgentProvider& synthflow() override {
    if (!m_synthflow) {
      throw credentials::missing_synthflow(m_settings);
    }
    return *m_synthflow;
  }

  TestCallPlacer* test_calls() override { return m_test_calls.get(); }

  [[nodiscard]] bool is_sandbox() const override { return m_sandbox != nullptr; }
  [[nodiscard]] std::filesystem::path sandbox_state_path() const override { return m_sandbox_path; }

private:
  static twilio::TwilioConfig live_config(const ProviderSettings& settings) {
    const std::string hint = "set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with "
                             "TWILIO_API_KEY and TWILIO_API_SECRET";
    if (settings.twilio_account_sid.empty()) {
      throw credentials::incomplete_twilio(settings);
    }
    if (!is_account_sid(settings.twilio_account_sid)) {
      throw Error(ErrorKind::invalid_input,
                  "TWILIO_ACCOUNT_SID is not an Account SID (AC followed by 32 hex digits)", hint);
    }
    check_base_url("VAMI_TWILIO_BASE_URL", settings.twilio_base_url);
    check_base_url("VAMI_TWILIO_PRICING_BASE_URL", settings.twilio_pricing_base_url);
    check_base_url("VAMI_TWILIO_TRUNKING_BASE_URL", settings.twilio_trunking_base_url);
    twilio::TwilioConfig config;
    config.account_sid = settings.twilio_account_sid;
    if (!settings.twilio_api_key.empty() || !settings.twilio_api_secret.empty()) {
      if (settings.twilio_api_key.empty() || settings.twilio_api_secret.empty()) {
        throw credentials::incomplete_twilio(settings);
      }
      config.auth_username = settings.twilio_api_key;
      config.auth_password = settings.twilio_api_secret;
    } else if (!settings.twilio_auth_token.empty()) {
      config.auth_username = settings.twilio_account_sid;
      config.auth_password = settings.twilio_auth_token;
    } else {
      throw credentials::incomplete_twilio(settings);
    }
    if (!settings.twilio_base_url.empty()) {
      config.base_url = settings.twilio_base_url;
    }
    if (!settings.twilio_pricing_base_url.empty()) {
      config.pricing_base_url = settings.twilio_pricing_base_url;
    }
    if (!settings.twilio_trunking_base_url.empty()) {
      config.trunking_base_url = settings.twilio_trunking_base_url;
    }
    while (!config.base_url.empty() && config.base_url.back() == '/') {
      config.base_url.pop_back();
    }
    while (!config.pricing_base_url.empty() && config.pricing_base_url.back() == '/') {
      config.pricing_base_url.pop_back();
    }
    return config;
  }

  ProviderSettings m_settings;
  std::filesystem::path m_sandbox_path;
  std::unique_ptr<sandbox::SandboxEmulator> m_sandbox;
  std::unique_ptr<http::HttpClient> m_http;
  std::unique_ptr<TelephonyProvider> m_telephony;
  std::unique_ptr<VoiceAgentProvider> m_agents;
  std::unique_ptr<VoiceAgentProvider> m_synthflow;
  std::unique_ptr<TestCallPlacer> m_test_calls;
};

} // namespace

std::unique_ptr<Providers> connect_providers(const ProviderSettings& settings) {
  return std::make_unique<ConnectedProviders>(settings);
}

} // namespace vami
