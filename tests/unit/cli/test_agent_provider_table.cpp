// Voice-agent providers are table-driven (providers/agent_provider_list.cpp): a fourth provider,
// registered here in a test list beside the real ones, gets its profile keys read, checked and
// shown masked, its variables read, its credentials taken as a group, its own secrets redacted
// from the --debug trace, and the registry builds it, without any code naming it.
#include <cstdlib>
#include <fstream>

#include "agent_provider_registry.hpp"
#include "fake_http_client.hpp"
#include "fake_voice_agent_provider.hpp"
#include "profiles.hpp"
#include "provider_settings.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <vami/core/error.hpp>
#include <vami/providers/provider_factory.hpp>

namespace vami::cli {
namespace {

constexpr const char* k_key = "vapi-key-canary-0123456789";

// What the test provider's factory saw, last time it ran.
struct Made {
  std::string api_key;
  std::string base_url;
  bool had_http = false;
};
Made g_made;

// "vapi": an API key (secret credential), a base URL and a region (options), an emulator whose
// key derives from the sandbox's seed. Its provider is a fake that sends one request carrying
// the key in its URL when made, so the trace shows whether the key is redacted.
const AgentProviderDescriptor& vapi() {
  static const AgentProviderDescriptor descriptor = [] {
    AgentProviderDescriptor made;
    made.name = "vapi";
    made.display_name = "Vapi";
    ProviderSetting key;
    key.key = "vapi_api_key";
    key.variable = "VAPI_API_KEY";
    key.role = SettingRole::credential;
    key.secrecy = Secrecy::secret;
    key.help = "The Vapi API key.";
    key.noun = "API key";
    key.prompt = "Vapi API key (not shown; empty for none)";
    ProviderSetting base_url;
    base_url.key = "vapi_base_url";
    base_url.variable = "VAMI_VAPI_BASE_URL";
    base_url.role = SettingRole::option;
    base_url.help = "Replaces https://api.vapi.ai.";
    ProviderSetting region;
    region.key = "vapi_region";
    region.variable = "VAMI_VAPI_REGION";
    region.role = SettingRole::option;
    region.choices = {"us", "eu"};
    region.not_a_choice = "is not a Vapi region (us or eu)";
    made.settings = {key, base_url, region};
    made.make = [](const AgentProviderConnection& connection) {
      g_made.api_key = connection.settings.setting("vapi_api_key");
      g_made.base_url = connection.settings.setting("vapi_base_url");
      g_made.had_http = connection.http != nullptr;
      http::HttpRequest request;
      request.url = g_made.base_url + "/assistant?key=" + g_made.api_key;
      (void)connection.http->send(request);
      auto provider = std::make_unique<test::FakeVoiceAgentProvider>();
      provider->act_as("vapi", AgentProviderCapabilities{});
      return std::unique_ptr<VoiceAgentProvider>(std::move(provider));
    };
    made.sandbox_settings = [](const SandboxAccount& account) {
      return std::vector<std::pair<std::string, std::string>>{
          {"vapi_base_url", account.base_url + "/vapi"},
          {"vapi_api_key", "vapi_sandbox_" + account.auth_token.substr(0, 8)},
      };
    };
    return made;
  }();
  return descriptor;
}

AgentProviderList with_vapi() {
  AgentProviderList list = registered_agent_providers();
  list.push_back(&vapi());
  return list;
}

class AgentProviderTableTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (const AgentProviderDescriptor* provider : with_vapi()) {
      for (const ProviderSetting& setting : provider->settings) {
        ::unsetenv(setting.variable.c_str());
      }
    }
    for (const char* name :
         {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"}) {
      ::unsetenv(name);
    }
    g_made = {};
  }
  void TearDown() override { SetUp(); }

  std::filesystem::path write_config(const std::string& text) {
    std::filesystem::path folder = m_dir.path() / "vami";
    std::filesystem::create_directories(folder);
    ::chmod(folder.c_str(), 0700);
    std::filesystem::path path = folder / "config.toml";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
    return path;
  }

  testing::TempDir m_dir;
};

TEST_F(AgentProviderTableTest, ItsProfileKeysAreReadCheckedAndShownMasked) {
  const auto path = write_config(std::string("[profiles.acme]\nvapi_api_key = \"") + k_key +
                                 "\"\nvapi_region = \"eu\"\n");
  // Unknown to the registered providers alone.
  EXPECT_THROW((void)read_config_file(path), Error);
  const ConfigFile config = read_config_file(path, with_vapi());
  const Profile* acme = config.find("acme");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->value("vapi_api_key"), k_key);
  EXPECT_TRUE(acme->has_voice_agent_credentials(with_vapi()));
  EXPECT_FALSE(acme->has_voice_agent_credentials());

  std::map<std::string, std::optional<std::string>> shown;
  for (auto& [key, value] : shown_provider_values(*acme, with_vapi())) {
    shown[key] = value;
  }
  EXPECT_EQ(shown.at("vapi_api_key"), std::optional<std::string>("••••6789"));
  EXPECT_EQ(shown.at("vapi_region"), std::optional<std::string>("eu"));
  EXPECT_EQ(shown.at("vapi_base_url"), std::nullopt);

  EXPECT_NE(check_profile_value("vapi_region", "ap", with_vapi()), "");
  EXPECT_NE(check_profile_value("vapi_base_url", "ftp://x", with_vapi()), "");
  EXPECT_EQ(check_profile_value("agent_provider", "vapi", with_vapi()), "");
  EXPECT_NE(check_profile_value("agent_provider", "vapi"), "");
}

TEST_F(AgentProviderTableTest, ItsVariablesAreReadAndItsCredentialsComeFromOnePlace) {
  Profile profile;
  profile.name = "acme";
  profile.provider_values["vapi_api_key"] = "profile-key";
  profile.provider_values["vapi_region"] = "eu";
  CredentialSources sources;
  ProviderSettings from_profile = platform_provider_settings(&profile, &sources, with_vapi());
  EXPECT_EQ(from_profile.setting("vapi_api_key"), "profile-key");
  EXPECT_EQ(from_profile.credentials_profile("vapi"), "acme");
  EXPECT_EQ(sources.of("vapi"), CredentialSource::profile);

  ::setenv("VAPI_API_KEY", k_key, 1);
  ::setenv("VAMI_VAPI_BASE_URL", "http://127.0.0.1:9", 1);
  ProviderSettings from_env = platform_provider_settings(&profile, &sources, with_vapi());
  EXPECT_EQ(from_env.setting("vapi_api_key"), k_key);
  EXPECT_EQ(from_env.setting("vapi_base_url"), "http://127.0.0.1:9");
  EXPECT_EQ(from_env.setting("vapi_region"), "eu"); // an option: the profile's still
  EXPECT_EQ(from_env.credentials_profile("vapi"), "");
  EXPECT_EQ(sources.of("vapi"), CredentialSource::environment);

  // A tenant's own account: its key from its profile only, never the environment's.
  Profile own;
  own.name = "acme-own";
  ProviderSettings account = account_provider_settings(from_env, own, with_vapi());
  EXPECT_EQ(account.setting("vapi_api_key"), "");
  EXPECT_EQ(account.setting("vapi_base_url"), "http://127.0.0.1:9");
}

TEST_F(AgentProviderTableTest, ConnectingBuildsItAndTheRegistryNamesIt) {
  ProviderSettings settings;
  settings.sandbox_state_path = m_dir.path() / "sandbox.db";
  std::string trace;
  settings.debug_trace = [&](std::string_view text) { trace += text; };
  // No credentials: on the sandbox, with the settings its descriptor derives.
  auto sandbox = connect_providers(settings, with_vapi());
  EXPECT_TRUE(sandbox->is_sandbox());
  EXPECT_EQ(sandbox->agent_provider("vapi").name(), "vapi");
  EXPECT_TRUE(g_made.had_http);
  EXPECT_EQ(g_made.base_url, "http://sandbox.vami.invalid/vapi");
  ASSERT_EQ(g_made.api_key.rfind("vapi_sandbox_", 0), 0U);
  EXPECT_NE(trace.find("/vapi/assistant?key="), std::string::npos) << trace;
  EXPECT_EQ(trace.find(g_made.api_key), std::string::npos) << "the sandbox key leaked: " << trace;

  // Its key alone turns the sandbox off; the others then say it is what is set.
  settings.values["vapi_api_key"] = k_key;
  settings.values["vapi_base_url"] = "http://127.0.0.1:9";
  trace.clear();
  std::unique_ptr<Providers> live;
  try {
    live = connect_providers(settings, with_vapi());
  } catch (const Error&) {
    // Nothing listens on port 9: the request failed after the trace recorded it.
  }
  EXPECT_NE(trace.find("/assistant?key="), std::string::npos) << trace;
  EXPECT_EQ(trace.find(k_key), std::string::npos) << "the key leaked: " << trace;
  EXPECT_EQ(g_made.api_key, k_key);

  AgentProviderRegistry registry(
      [&](const std::string& name) -> VoiceAgentProvider& { return sandbox->agent_provider(name); },
      "vapi", with_vapi());
  EXPECT_EQ(registry.names(),
            (std::vector<std::string>{"elevenlabs", "stream", "synthflow", "vapi"}));
  EXPECT_EQ(registry.default_provider().name(), "vapi");
  EXPECT_EQ(registry.named("stream").name(), "stream");
  EXPECT_THROW((void)AgentProviderRegistry(
                   [&](const std::string& name) -> VoiceAgentProvider& {
                     return sandbox->agent_provider(name);
                   },
                   "vapi"),
               Error);
}

TEST_F(AgentProviderTableTest, AMissingKeyNamesItsVariableAndWhatElseIsSet) {
  ProviderSettings settings;
  settings.values["elevenlabs_api_key"] = "sk_live";
  settings.sandbox_state_path = m_dir.path() / "sandbox.db";
  auto providers = connect_providers(settings, with_vapi());
  EXPECT_FALSE(providers->is_sandbox());
  try {
    (void)providers->agent_provider("vapi");
    FAIL() << "a provider without its key was made";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::auth);
    const std::string message = error.what();
    EXPECT_NE(message.find("no Vapi credentials: VAPI_API_KEY is not set"), std::string::npos)
        << message;
    EXPECT_NE(message.find("while ELEVENLABS_API_KEY is set"), std::string::npos) << message;
  }
}

// A base URL that is not http(s) is refused, and the hint gives the provider's own address, not
// another provider's (ElevenLabs' hint named https://api.twilio.com).
TEST(RegisteredAgentProviders, ABaseUrlThatIsNotHttpIsRefusedWithTheProvidersOwnAddress) {
  const std::map<std::string, std::string> own_address{{"elevenlabs", "https://api.elevenlabs.io"},
                                                       {"synthflow", "https://api.synthflow.ai"}};
  for (const auto& [name, address] : own_address) {
    const AgentProviderDescriptor* provider =
        find_agent_provider(registered_agent_providers(), name);
    ASSERT_NE(provider, nullptr) << name;
    ProviderSettings settings;
    settings.values[name + "_api_key"] = "key-of-" + name;
    settings.values[name + "_base_url"] = "ftp://x";
    test::FakeHttpClient http;
    try {
      (void)provider->make(AgentProviderConnection{settings, &http, {}, {}, {}});
      ADD_FAILURE() << name << " accepted ftp://x";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << name;
      EXPECT_NE(error.hint().find(address), std::string::npos) << name << ": " << error.hint();
    }
  }
}

// The same for Twilio's three base URLs, each with its own address.
TEST(RegisteredAgentProviders, TwilioBaseUrlsThatAreNotHttpAreRefusedWithTheirOwnAddress) {
  const std::vector<std::pair<std::string ProviderSettings::*, std::string>> urls{
      {&ProviderSettings::twilio_base_url, "https://api.twilio.com"},
      {&ProviderSettings::twilio_pricing_base_url, "https://pricing.twilio.com"},
      {&ProviderSettings::twilio_trunking_base_url, "https://trunking.twilio.com"}};
  for (const auto& [member, address] : urls) {
    ProviderSettings settings;
    settings.twilio_account_sid = "AC" + std::string(32, '1');
    settings.twilio_auth_token = "token";
    settings.*member = "ftp://x";
    try {
      (void)connect_providers(settings)->telephony();
      ADD_FAILURE() << address << ": ftp://x accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << address;
      EXPECT_NE(error.hint().find(address), std::string::npos) << error.hint();
    }
  }
}

} // namespace
} // namespace vami::cli
