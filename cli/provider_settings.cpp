#include "provider_settings.hpp"

#include <cstdlib>

namespace vami::cli {

namespace {

std::string env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value == nullptr ? std::string() : std::string(value);
}

void or_profile(std::string& value, const std::string& from_profile) {
  if (value.empty()) {
    value = from_profile;
  }
}

} // namespace

ProviderSettings platform_provider_settings(const Profile* profile, const AgentProviderList& list) {
  ProviderSettings settings;
  // Each provider's credentials come from one place: any of its variables set means all of
  // them come from the environment, so an SID never pairs with another account's token.
  settings.twilio_account_sid = env("TWILIO_ACCOUNT_SID");
  settings.twilio_auth_token = env("TWILIO_AUTH_TOKEN");
  settings.twilio_api_key = env("TWILIO_API_KEY");
  settings.twilio_api_secret = env("TWILIO_API_SECRET");
  settings.twilio_base_url = env("VAMI_TWILIO_BASE_URL");
  settings.twilio_pricing_base_url = env("VAMI_TWILIO_PRICING_BASE_URL");
  settings.twilio_trunking_base_url = env("VAMI_TWILIO_TRUNKING_BASE_URL");
  const bool twilio_from_env =
      !settings.twilio_account_sid.empty() || !settings.twilio_auth_token.empty() ||
      !settings.twilio_api_key.empty() || !settings.twilio_api_secret.empty();
  for (const AgentProviderDescriptor* provider : list) {
    bool from_env = false;
    for (const ProviderSetting& setting : provider->settings) {
      std::string value = env(setting.variable);
      from_env = from_env || (setting.role == SettingRole::credential && !value.empty());
      if (!value.empty()) {
        settings.values[setting.key] = std::move(value);
      }
    }
    if (!from_env && profile != nullptr && profile->has_credentials_of(*provider)) {
      for (const ProviderSetting* credential : provider->settings_of(SettingRole::credential)) {
        settings.values[credential->key] = profile->value(credential->key);
      }
      settings.credentials_profiles[provider->name] = profile->name;
    }
    if (profile != nullptr) {
      for (const ProviderSetting* option : provider->settings_of(SettingRole::option)) {
        if (settings.setting(option->key).empty() && !profile->value(option->key).empty()) {
          settings.values[option->key] = profile->value(option->key);
        }
      }
    }
  }
  if (profile != nullptr) {
    settings.profile_name = profile->name;
    if (!twilio_from_env && profile->has_twilio_credentials()) {
      settings.twilio_account_sid = profile->twilio_account_sid;
      settings.twilio_auth_token = profile->twilio_auth_token;
      settings.twilio_api_key = profile->twilio_api_key;
      settings.twilio_api_secret = profile->twilio_api_secret;
      settings.twilio_credentials_profile = profile->name;
    }
    or_profile(settings.twilio_base_url, profile->twilio_base_url);
    or_profile(settings.twilio_pricing_base_url, profile->twilio_pricing_base_url);
  }
  return settings;
}

ProviderSettings account_provider_settings(const ProviderSettings& platform, const Profile& account,
                                           const AgentProviderList& list) {
  ProviderSettings settings = platform;
  settings.profile_name = account.name;
  for (const AgentProviderDescriptor* provider : list) {
    for (const ProviderSetting& setting : provider->settings) {
      const std::string value = account.value(setting.key);
      if (setting.role == SettingRole::credential) {
        settings.values[setting.key] = value;
      } else if (!value.empty()) {
        settings.values[setting.key] = value;
      }
    }
    if (provider->has_account()) {
      settings.credentials_profiles[provider->name] = account.name;
    }
  }
  return settings;
}

} // namespace vami::cli
