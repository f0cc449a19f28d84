// ElevenLabs Agents as a registered voice-agent provider (providers/agent_provider_list.cpp):
// its settings, how it is made, live or on the sandbox, and what vami says when its key is
// missing.
#include "missing_credentials.hpp"

#include <vami/core/document_file.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/elevenlabs_provider.hpp>
#include <vami/providers/provider_factory.hpp>

namespace vami {

namespace {

std::unique_ptr<VoiceAgentProvider> make(const AgentProviderConnection& connection) {
  const std::string base_url = connection.settings.setting("elevenlabs_base_url");
  if (!base_url.empty() && url_scheme(base_url) == UrlScheme::other) {
    throw Error(ErrorKind::invalid_input,
                "VAMI_ELEVENLABS_BASE_URL '" + base_url + "' is not an http(s) URL",
                "set it to a base URL such as https://api.elevenlabs.io");
  }
  elevenlabs::ElevenLabsConfig config;
  config.api_key = connection.settings.setting("elevenlabs_api_key");
  if (!base_url.empty()) {
    config.base_url = base_url;
  }
  while (!config.base_url.empty() && config.base_url.back() == '/') {
    config.base_url.pop_back();
  }
  // Numbers are imported with the Twilio credentials in use.
  config.twilio_sid = connection.twilio_username;
  config.twilio_token = connection.twilio_password;
  config.twilio_account_auth_token = connection.twilio_account_auth_token;
  return elevenlabs::make_elevenlabs_provider(std::move(config), *connection.http);
}

Error missing(const ProviderSettings& settings, const AgentProviderList& list) {
  using namespace credentials;
  Others others = others_than(settings, "elevenlabs", list);
  std::string what = "no ElevenLabs API key" + and_in_profile(settings) +
                     "ELEVENLABS_API_KEY is not set" + why_no_sandbox(others.set);
  std::string hint = "set ELEVENLABS_API_KEY to the key of the ElevenLabs account" +
                     or_write_the_profile(settings, "it") +
                     to_use_the_sandbox(others.variables, others.from_profile);
  return Error(ErrorKind::auth, what, hint);
}

} // namespace

const AgentProviderDescriptor& elevenlabs_registration() {
  static const AgentProviderDescriptor descriptor = [] {
    AgentProviderDescriptor made;
    made.name = "elevenlabs";
    made.display_name = "ElevenLabs";
    ProviderSetting key;
    key.key = "elevenlabs_api_key";
    key.variable = "ELEVENLABS_API_KEY";
    key.role = SettingRole::credential;
    key.secrecy = Secrecy::secret;
    key.help = "The ElevenLabs API key (agents, knowledge base, voices).";
    key.noun = "API key";
    key.prompt = "ElevenLabs API key (not shown; empty for none)";
    ProviderSetting base_url;
    base_url.key = "elevenlabs_base_url";
    base_url.variable = "VAMI_ELEVENLABS_BASE_URL";
    base_url.role = SettingRole::option;
    base_url.help = "Replaces https://api.elevenlabs.io.";
    base_url.flag_help = "ElevenLabs API base URL";
    made.settings = {key, base_url};
    made.make = make;
    made.missing = missing;
    made.sandbox_settings = [](const SandboxAccount& account) {
      // Derived from the sandbox account's auth token, as the emulator derives it.
      return std::vector<std::pair<std::string, std::string>>{
          {"elevenlabs_base_url", account.base_url},
          {"elevenlabs_api_key",
           "sk_" + sha256_hex("elevenlabs-api-key:" + account.auth_token).substr(0, 48)},
      };
    };
    return made;
  }();
  return descriptor;
}

} // namespace vami
