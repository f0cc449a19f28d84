// The settings of the platform's accounts and of a tenant's own account
// (cli/provider_settings.cpp): which credential comes from the environment, which from a
// profile, and that a tenant's account never takes the platform's voice-agent keys.
#include <cstdlib>

#include "provider_settings.hpp"
#include <gtest/gtest.h>

namespace vami::cli {
namespace {

// Unsets every variable the settings read, and sets those a test asks for; restores nothing
// (each test sets what it needs).
class ProviderSettingsTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (const char* name :
         {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET",
          "ELEVENLABS_API_KEY", "VAMI_TWILIO_BASE_URL", "VAMI_TWILIO_PRICING_BASE_URL",
          "VAMI_TWILIO_TRUNKING_BASE_URL", "VAMI_ELEVENLABS_BASE_URL", "SYNTHFLOW_API_KEY",
          "SYNTHFLOW_WORKSPACE_ID", "VAMI_SYNTHFLOW_BASE_URL", "VAMI_SYNTHFLOW_REGION"}) {
      ::unsetenv(name);
    }
  }
  void TearDown() override { SetUp(); }

  static Profile platform_profile() {
    Profile profile;
    profile.name = "platform";
    profile.twilio_account_sid = "AC" + std::string(32, '1');
    profile.twilio_auth_token = "platform-twilio-token";
    profile.provider_values["elevenlabs_api_key"] = "platform-eleven-key";
    profile.provider_values["synthflow_api_key"] = "platform-synthflow-key";
    profile.provider_values["synthflow_workspace_id"] = "ws-platform";
    profile.provider_values["synthflow_region"] = "eu";
    return profile;
  }
};

TEST_F(ProviderSettingsTest, SynthflowCredentialsAndRegionComeFromTheProfile) {
  const Profile profile = platform_profile();
  ProviderSettings settings = platform_provider_settings(&profile);
  EXPECT_EQ(settings.setting("synthflow_api_key"), "platform-synthflow-key");
  EXPECT_EQ(settings.setting("synthflow_workspace_id"), "ws-platform");
  EXPECT_EQ(settings.setting("synthflow_region"), "eu");
  EXPECT_EQ(settings.credentials_profile("synthflow"), "platform");
  EXPECT_EQ(settings.credentials_profile("elevenlabs"), "platform");
}

TEST_F(ProviderSettingsTest, AnySynthflowVariableTakesBothFromTheEnvironment) {
  ::setenv("SYNTHFLOW_API_KEY", "env-synthflow-key", 1);
  ::setenv("VAMI_SYNTHFLOW_REGION", "us", 1);
  const Profile profile = platform_profile();
  ProviderSettings settings = platform_provider_settings(&profile);
  // Never the profile's workspace with the environment's key: another account's pair.
  EXPECT_EQ(settings.setting("synthflow_api_key"), "env-synthflow-key");
  EXPECT_EQ(settings.setting("synthflow_workspace_id"), "");
  EXPECT_EQ(settings.setting("synthflow_region"), "us");
  EXPECT_EQ(settings.credentials_profile("synthflow"), "");
}

TEST_F(ProviderSettingsTest, ATenantAccountTakesItsVoiceAgentKeysAndThePlatformsTwilio) {
  ::setenv("ELEVENLABS_API_KEY", "env-eleven-key", 1);
  ::setenv("VAMI_ELEVENLABS_BASE_URL", "http://127.0.0.1:9/", 1);
  const Profile platform = platform_profile();
  ProviderSettings base = platform_provider_settings(&platform);
  base.sandbox_state_path = "/tmp/sandbox.db";
  Profile own;
  own.name = "acme-own";
  own.provider_values["synthflow_api_key"] = "acme-synthflow-key";
  own.provider_values["synthflow_workspace_id"] = "ws-acme";
  own.twilio_account_sid = "AC" + std::string(32, '2');
  own.twilio_auth_token = "acme-twilio-token";
  ProviderSettings account = account_provider_settings(base, own);
  EXPECT_EQ(account.profile_name, "acme-own");
  // The environment's key is the platform's: never the tenant account's.
  EXPECT_EQ(account.setting("elevenlabs_api_key"), "");
  EXPECT_EQ(account.setting("synthflow_api_key"), "acme-synthflow-key");
  EXPECT_EQ(account.setting("synthflow_workspace_id"), "ws-acme");
  EXPECT_EQ(account.credentials_profile("synthflow"), "acme-own");
  // Pool numbers are the platform's: its Twilio account, whatever the tenant's profile holds.
  EXPECT_EQ(account.twilio_account_sid, platform.twilio_account_sid);
  EXPECT_EQ(account.twilio_auth_token, "platform-twilio-token");
  // Endpoints the tenant's profile does not set are the platform's.
  EXPECT_EQ(account.setting("elevenlabs_base_url"), "http://127.0.0.1:9/");
  EXPECT_EQ(account.setting("synthflow_region"), "eu");
  EXPECT_EQ(account.sandbox_state_path, "/tmp/sandbox.db");
}

TEST(ProfileSynthflowKeysTest, TheRegionIsUsOrEu) {
  EXPECT_EQ(check_profile_value("synthflow_region", "eu"), "");
  EXPECT_EQ(check_profile_value("synthflow_region", "us"), "");
  EXPECT_NE(check_profile_value("synthflow_region", "ap"), "");
  EXPECT_NE(check_profile_value("synthflow_base_url", "ftp://x"), "");
}

TEST(ProfileSynthflowKeysTest, VoiceAgentCredentialsNeedAKeyAndForSynthflowItsWorkspace) {
  Profile profile;
  EXPECT_FALSE(profile.has_voice_agent_credentials());
  profile.provider_values["synthflow_api_key"] = "key";
  EXPECT_FALSE(profile.has_voice_agent_credentials());
  profile.provider_values["synthflow_workspace_id"] = "ws";
  EXPECT_TRUE(profile.has_voice_agent_credentials());
  Profile eleven;
  eleven.provider_values["elevenlabs_api_key"] = "key";
  EXPECT_TRUE(eleven.has_voice_agent_credentials());
  Profile twilio_only;
  twilio_only.twilio_auth_token = "token";
  EXPECT_FALSE(twilio_only.has_voice_agent_credentials());
}

} // namespace
} // namespace vami::cli
