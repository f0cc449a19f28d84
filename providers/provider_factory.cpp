#include <algorithm>
#include <map>
#include <optional>

#include "missing_credentials.hpp"

#include <vami/core/agent_providers.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/providers/provider_factory.hpp>
#include <vami/providers/sandbox.hpp>
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

// `example`: the address it replaces, given in the hint.
void check_base_url(const char* variable, const std::string& url, const char* example) {
  if (!url.empty() && url_scheme(url) == UrlScheme::other) {
    throw Error(ErrorKind::invalid_input,
                std::string(variable) + " '" + url + "' is not an http(s) URL",
                std::string("set it to a base URL such as ") + example);
  }
}

class ConnectedProviders final : public Providers {
public:
  ConnectedProviders(const ProviderSettings& settings, const AgentProviderList& list)
      : m_settings(settings), m_list(list) {
    // Kept for the messages of missing credentials; never printed whole.
    m_settings.debug_trace = nullptr;
    bool any_twilio = !settings.twilio_account_sid.empty() || !settings.twilio_auth_token.empty() ||
                      !settings.twilio_api_key.empty() || !settings.twilio_api_secret.empty();
    bool any_live = any_twilio;
    for (const AgentProviderDescriptor* provider : list) {
      for (const ProviderSetting* credential : provider->settings_of(SettingRole::credential)) {
        any_live = any_live || !settings.setting(credential->key).empty();
      }
    }
    // The voice-agent providers' settings in use: the user's, or the sandbox's.
    ProviderSettings agent_settings = m_settings;
    std::vector<std::string> secrets;
    std::optional<twilio::TwilioConfig> twilio_config;
    std::unique_ptr<http::HttpClient> transport;
    if (any_live) {
      if (any_twilio) {
        twilio_config = live_config(settings, list);
        secrets.push_back(twilio_config->auth_password);
        secrets.push_back(settings.twilio_auth_token);
      }
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
      secrets.push_back(credentials.auth_token);
      agent_settings.values.clear();
      const SandboxAccount account{credentials.auth_token, k_in_process_base_url};
      for (const AgentProviderDescriptor* provider : list) {
        if (provider->sandbox_settings) {
          for (auto& [key, value] : provider->sandbox_settings(account)) {
            agent_settings.values[key] = value;
          }
        }
      }
      transport = http::make_in_process_http_client(
          [emulator = m_sandbox.get()](const http::HttpRequest& request) {
            return emulator->handle(request);
          });
    }
    for (const AgentProviderDescriptor* provider : list) {
      for (const ProviderSetting& setting : provider->settings) {
        if (setting.secrecy == Secrecy::secret) {
          secrets.push_back(agent_settings.setting(setting.key));
        }
      }
    }
    secrets.erase(std::remove(secrets.begin(), secrets.end(), std::string()), secrets.end());
    if (settings.debug_trace) {
      transport = http::make_tracing_http_client(std::move(transport), settings.debug_trace,
                                                 std::move(secrets));
    }
    m_http = std::move(transport);
    AgentProviderConnection connection{agent_settings, m_http.get(), {}, {}, {}};
    if (twilio_config) {
      m_telephony = twilio::make_twilio_provider(*twilio_config, *m_http);
      if (m_sandbox || twilio_config->base_url != twilio::TwilioConfig().base_url) {
        m_test_calls =
            sandbox::make_call_placer(*m_http, twilio_config->base_url,
                                      twilio_config->auth_username, twilio_config->auth_password);
      }
      connection.twilio_username = twilio_config->auth_username;
      connection.twilio_password = twilio_config->auth_password;
      if (!m_sandbox && twilio_config->auth_username != twilio_config->account_sid) {
        connection.twilio_account_auth_token = settings.twilio_auth_token;
      }
    }
    for (const AgentProviderDescriptor* provider : list) {
      // A provider is made once all its credentials are set; the others fail when used.
      bool complete = true;
      for (const ProviderSetting* credential : provider->settings_of(SettingRole::credential)) {
        complete = complete && !agent_settings.setting(credential->key).empty();
      }
      if (complete && provider->make) {
        m_agents[provider->name] = provider->make(connection);
      }
    }
  }

  TelephonyProvider& telephony() override {
    if (!m_telephony) {
      throw credentials::missing_twilio(m_settings, m_list);
    }
    return *m_telephony;
  }

  VoiceAgentProvider& agent_provider(const std::string& name) override {
    const AgentProviderDescriptor* provider = find_agent_provider(m_list, name);
    if (provider == nullptr) {
      std::vector<std::string> known;
      for (const AgentProviderDescriptor* each : m_list) {
        known.push_back(each->name);
      }
      throw unknown_agent_provider(name, known);
    }
    auto found = m_agents.find(name);
    if (found == m_agents.end()) {
      throw credentials::missing_agent_provider(*provider, m_settings, m_list);
    }
    return *found->second;
  }

  [[nodiscard]] bool has_agent_provider(const std::string& name) const override {
    return m_agents.count(name) > 0;
  }

  [[nodiscard]] const AgentProviderList& agent_providers() const override { return m_list; }

  TestCallPlacer* test_calls() override { return m_test_calls.get(); }

  [[nodiscard]] bool is_sandbox() const override { return m_sandbox != nullptr; }
  [[nodiscard]] std::filesystem::path sandbox_state_path() const override { return m_sandbox_path; }

private:
  static twilio::TwilioConfig live_config(const ProviderSettings& settings,
                                          const AgentProviderList& list) {
    const std::string hint = "set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with "
                             "TWILIO_API_KEY and TWILIO_API_SECRET";
    if (settings.twilio_account_sid.empty()) {
      throw credentials::incomplete_twilio(settings, list);
    }
    if (!is_account_sid(settings.twilio_account_sid)) {
      throw Error(ErrorKind::invalid_input,
                  "TWILIO_ACCOUNT_SID is not an Account SID (AC followed by 32 hex digits)", hint);
    }
    check_base_url("VAMI_TWILIO_BASE_URL", settings.twilio_base_url, "https://api.twilio.com");
    check_base_url("VAMI_TWILIO_PRICING_BASE_URL", settings.twilio_pricing_base_url,
                   "https://pricing.twilio.com");
    check_base_url("VAMI_TWILIO_TRUNKING_BASE_URL", settings.twilio_trunking_base_url,
                   "https://trunking.twilio.com");
    twilio::TwilioConfig config;
    config.account_sid = settings.twilio_account_sid;
    if (!settings.twilio_api_key.empty() || !settings.twilio_api_secret.empty()) {
      if (settings.twilio_api_key.empty() || settings.twilio_api_secret.empty()) {
        throw credentials::incomplete_twilio(settings, list);
      }
      config.auth_username = settings.twilio_api_key;
      config.auth_password = settings.twilio_api_secret;
    } else if (!settings.twilio_auth_token.empty()) {
      config.auth_username = settings.twilio_account_sid;
      config.auth_password = settings.twilio_auth_token;
    } else {
      throw credentials::incomplete_twilio(settings, list);
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
  AgentProviderList m_list;
  std::map<std::string, std::unique_ptr<VoiceAgentProvider>> m_agents; // by name
  std::unique_ptr<TestCallPlacer> m_test_calls;
};

} // namespace

std::unique_ptr<Providers> connect_providers(const ProviderSettings& settings,
                                             const AgentProviderList& list) {
  return std::make_unique<ConnectedProviders>(settings, list);
}

} // namespace vami
