#include "provider_settings.hpp"

#include <cstdlib>

namespace vami::cli {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

void or_profile(std::string& value, const std::string& from_profile) {
  if (value.empty()) {
    value = from_profile;
  }
}

} // namespace

ProviderSettings platform_provider_settings(const Profile* profile, CredentialSources* sources) {
  ProviderSettings settings;
  // Each provider's credentials come from one place: any of its variables set means all of
  // them come from the environment, so an SID never pairs with another account's token.
  settings.twilio_account_sid = env("TWILIO_ACCOUNT_SID");
  settings.twilio_auth_token = env("TWILIO_AUTH_TOKEN");
  settings.twilio_api_key = env("TWILIO_API_KEY");
  settings.twilio_api_secret = env("TWILIO_API_SECRET");
  settings.elevenlabs_api_key = env("ELEVENLABS_API_KEY");
  settings.twilio_base_url = env("VAMI_TWILIO_BASE_URL");
  settings.twilio_pricing_base_url = env("VAMI_TWILIO_PRICING_BASE_URL");
  settings.twilio_trunking_base_url = env("VAMI_TWILIO_TRUNKING_BASE_URL");
  settings.elevenlabs_base_url = env("VAMI_ELEVENLABS_BASE_URL");
  settings.synthflow_api_key = env("SYNTHFLOW_API_KEY");
  settings.synthflow_workspace_id = env("SYNTHFLOW_WORKSPACE_ID");
  settings.synthflow_base_url = env("VAMI_SYNTHFLOW_BASE_URL");
  settings.synthflow_region = env("VAMI_SYNTHFLOW_REGION");
  const bool twilio_from_env =
      !settings.twilio_account_sid.empty() || !settings.twilio_auth_token.empty() ||
      !settings.twilio_api_key.empty() || !settings.twilio_api_secret.empty();
  const bool synthflow_from_env =
      !settings.synthflow_api_key.empty() || !settings.synthflow_workspace_id.empty();
  CredentialSources found;
  found.twilio = twilio_from_env ? CredentialSource::environment : CredentialSource::none;
  found.elevenlabs =
      settings.elevenlabs_api_key.empty() ? CredentialSource::none : CredentialSource::environment;
  found.synthflow = synthflow_from_env ? CredentialSource::environment : CredentialSource::none;
  if (profile != nullptr) {
    settings.profile_name = profile->name;
    if (!twilio_from_env && profile->has_twilio_credentials()) {
      settings.twilio_account_sid = profile->twilio_account_sid;
      settings.twilio_auth_token = profile->twilio_auth_token;
      settings.twilio_api_key = profile->twilio_api_key;
      settings.twilio_api_secret = profile->twilio_api_secret;
      settings.twilio_credentials_profile = profile->name;
      found.twilio = CredentialSource::profile;
    }
    if (settings.elevenlabs_api_key.empty() && profile->has_elevenlabs_credentials()) {
      settings.elevenlabs_api_key = profile->elevenlabs_api_key;
      settings.elevenlabs_credentials_profile = profile->name;
      found.elevenlabs = CredentialSource::profile;
    }
    if (!synthflow_from_env && profile->has_synthflow_credentials()) {
      settings.synthflow_api_key = profile->synthflow_api_key;
      settings.synthflow_workspace_id = profile->synthflow_workspace_id;
      settings.synthflow_credentials_profile = profile->name;
      found.synthflow = CredentialSource::profile;
    }
    or_profile(settings.twilio_base_url, profile->twilio_base_url);
    or_profile(settings.twilio_pricing_base_url, profile->twilio_pricing_base_url);
    or_profile(settings.elevenlabs_base_url, profile->elevenlabs_base_url);
    or_profile(settings.synthflow_base_url, profile->synthflow_base_url);
    or_profile(settings.synthflow_region, profile->synthflow_region);
  }
  if (sources != nullptr) {
    *sources = found;
  }
  return settings;
}

ProviderSettings account_provider_settings(const ProviderSettings& platform,
                                           const Profile& account) {
  ProviderSettings settings = platform;
  settings.profile_name = account.name;
  settings.elevenlabs_api_key = account.elevenlabs_api_key;
  settings.elevenlabs_credentials_profile = account.name;
  settings.synthflow_api_key = account.synthflow_api_key;
  settings.synthflow_workspace_id = account.synthflow_workspace_id;
  settings.synthflow_credentials_profile = account.name;
  if (!account.elevenlabs_base_url.empty()) {
    settings.elevenlabs_base_url = account.elevenlabs_base_url;
  }
  if (!account.synthflow_base_url.empty()) {
    settings.synthflow_base_url = account.synthflow_base_url;
  }
  if (!account.synthflow_region.empty()) {
    settings.synthflow_region = account.synthflow_region;
  }
  return settings;
}

} // namespace vami::cli
