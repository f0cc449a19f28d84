// The profile key agent_provider (cli/profiles.cpp) and the registry's default provider
// (cli/agent_provider_registry.cpp): read, checked against the registered names, written back,
// and where agents go when no provider is named.
#include <fstream>

#include "agent_provider_registry.hpp"
#include "fake_voice_agent_provider.hpp"
#include "profiles.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <vami/core/error.hpp>

namespace vami::cli {
namespace {

class ProfilesTest : public ::testing::Test {
protected:
  // A config file holding `text`, private as vami requires (0600 in a 0700 folder).
  std::filesystem::path write_config(const std::string& text) {
    std::filesystem::path folder = m_dir / "vami";
    std::filesystem::create_directories(folder);
    ::chmod(folder.c_str(), 0700);
    std::filesystem::path path = folder / "config.toml";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
    return path;
  }

  testing::TempDir m_dir;
};

TEST_F(ProfilesTest, TheAgentProviderKeyIsRead) {
  auto path = write_config("[profiles.demo]\nagent_provider = \"synthflow\"\n");
  ConfigFile config = read_config_file(path);
  ASSERT_NE(config.find("demo"), nullptr);
  EXPECT_EQ(config.find("demo")->agent_provider, "synthflow");
}

TEST_F(ProfilesTest, AnUnknownAgentProviderIsRefusedNamingTheLineAndTheKnownOnes) {
  auto path =
      write_config("[profiles.demo]\ndefault_country = \"US\"\nagent_provider = \"vapi\"\n");
  try {
    (void)read_config_file(path);
    FAIL() << "an unknown provider was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    const std::string message = error.what();
    EXPECT_NE(message.find(path.string() + ":3: key 'agent_provider' in [profiles.demo]"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("elevenlabs, stream, synthflow"), std::string::npos) << message;
  }
}

TEST_F(ProfilesTest, TheAgentProviderIsWrittenBackAndReadAgain) {
  auto path = write_config("");
  ConfigFile config;
  Profile profile;
  profile.name = "demo";
  profile.agent_provider = "stream";
  config.profiles.push_back(profile);
  write_config_file(path, config);
  EXPECT_EQ(read_config_file(path).find("demo")->agent_provider, "stream");
}

TEST_F(ProfilesTest, SynthflowKeysAreWrittenBackAndReadAgain) {
  auto path = write_config("");
  ConfigFile config;
  Profile profile;
  profile.name = "acme-own";
  profile.provider_values["synthflow_api_key"] = "sf-key-0123456789";
  profile.provider_values["synthflow_workspace_id"] = "ws-1";
  profile.provider_values["synthflow_base_url"] = "http://127.0.0.1:8/v2";
  profile.provider_values["synthflow_region"] = "eu";
  profile.provider_values["synthflow_webhook_secret"] = "sf-webhook-secret";
  config.profiles.push_back(profile);
  write_config_file(path, config);
  const ConfigFile again = read_config_file(path);
  const Profile* read = again.find("acme-own");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->value("synthflow_api_key"), profile.value("synthflow_api_key"));
  EXPECT_EQ(read->value("synthflow_workspace_id"), "ws-1");
  EXPECT_EQ(read->value("synthflow_base_url"), profile.value("synthflow_base_url"));
  EXPECT_EQ(read->value("synthflow_region"), "eu");
  EXPECT_EQ(read->value("synthflow_webhook_secret"), "sf-webhook-secret");
}

// The router's webhook keys, once `Profile` members, are the providers' descriptor settings: a
// file the previous version wrote reads the same, and they are written back under their names.
TEST_F(ProfilesTest, WebhookKeysOfThePreviousVersionReadTheSame) {
  auto path = write_config("[profiles.acme]\n"
                           "elevenlabs_webhook_secret = \"wsec_0123456789\"\n"
                           "synthflow_webhook_secret = \"sf-webhook-secret\"\n"
                           "router_url = \"https://router.example.com/twilio/voice\"\n"
                           "elevenlabs_webhook_id = \"wh_1\"\n");
  ConfigFile config = read_config_file(path);
  const Profile* acme = config.find("acme");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->value("elevenlabs_webhook_secret"), "wsec_0123456789");
  EXPECT_EQ(acme->value("synthflow_webhook_secret"), "sf-webhook-secret");
  EXPECT_EQ(acme->value("elevenlabs_webhook_id"), "wh_1");
  EXPECT_FALSE(acme->has_any_credentials());
  std::map<std::string, std::optional<std::string>> shown;
  for (auto& [key, value] : shown_provider_values(*acme)) {
    shown[key] = value;
  }
  EXPECT_EQ(shown.at("elevenlabs_webhook_secret"), std::optional<std::string>("••••6789"));
  EXPECT_EQ(shown.at("synthflow_webhook_secret"), std::optional<std::string>("••••cret"));
  EXPECT_EQ(shown.at("elevenlabs_webhook_id"), std::optional<std::string>("wh_1"));
  write_config_file(path, config);
  std::ifstream written(path);
  const std::string text((std::istreambuf_iterator<char>(written)),
                         std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("elevenlabs_webhook_secret = \"wsec_0123456789\""), std::string::npos);
  EXPECT_NE(text.find("elevenlabs_webhook_id = \"wh_1\""), std::string::npos);
  EXPECT_NE(text.find("synthflow_webhook_secret = \"sf-webhook-secret\""), std::string::npos);
}

TEST_F(ProfilesTest, AnUnknownSynthflowRegionIsRefusedWithoutQuotingIt) {
  auto path = write_config("[profiles.demo]\nsynthflow_region = \"ap-south\"\n");
  try {
    (void)read_config_file(path);
    FAIL() << "an unknown region was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    const std::string message = error.what();
    EXPECT_NE(message.find("key 'synthflow_region'"), std::string::npos) << message;
    EXPECT_EQ(message.find("ap-south"), std::string::npos) << message;
  }
}

TEST(ProfileValueTest, AgentProviderMustBeARegisteredName) {
  for (const std::string& name : AgentProviderRegistry::known_names()) {
    EXPECT_EQ(check_profile_value("agent_provider", name), "") << name;
  }
  EXPECT_NE(check_profile_value("agent_provider", "ElevenLabs"), "");
  EXPECT_EQ(check_profile_value("agent_provider", ""), ""); // unset: elevenlabs
}

TEST(AgentProviderRegistryTest, AgentsGoToTheDefaultNameGiven) {
  test::FakeVoiceAgentProvider elevenlabs;
  test::FakeVoiceAgentProvider synthflow;
  synthflow.act_as("synthflow", AgentProviderCapabilities{});
  auto at = [&](const std::string& name) -> VoiceAgentProvider& {
    return name == "synthflow" ? synthflow : elevenlabs;
  };
  AgentProviderRegistry chosen(at, "synthflow");
  EXPECT_EQ(chosen.default_name(), "synthflow");
  EXPECT_EQ(&chosen.default_provider(), &synthflow);
  AgentProviderRegistry unset(at);
  EXPECT_EQ(&unset.default_provider(), &elevenlabs);
  try {
    AgentProviderRegistry unknown(at, "vapi");
    FAIL() << "an unknown default was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  }
}

TEST(AgentProviderRegistryTest, ATenantsAgentsGoToTheProviderOfItsOwnAccount) {
  test::FakeVoiceAgentProvider platform;
  test::FakeVoiceAgentProvider own;
  int platform_built = 0;
  AgentProviderRegistry registry([&](const std::string&) -> VoiceAgentProvider& {
    ++platform_built;
    return platform;
  });
  std::vector<std::pair<std::string, std::string>> asked;
  AgentProviderRegistry::Accounts accounts;
  accounts.of_tenant = [](const std::string& slug) {
    return slug == "acme" ? std::string("acme-own") : std::string();
  };
  accounts.in_use = [] { return std::vector<std::string>{"acme-own", "acme-own", ""}; };
  accounts.provider = [&](const std::string& name,
                          const std::string& account) -> VoiceAgentProvider& {
    asked.emplace_back(name, account);
    return own;
  };
  registry.set_accounts(accounts);

  Agent acme_agent;
  acme_agent.tenant_slug = "acme";
  acme_agent.provider = "elevenlabs";
  EXPECT_EQ(&registry.of(acme_agent), &own);
  // The platform's provider is not even built for a tenant account: it may have no key.
  EXPECT_EQ(platform_built, 0);
  EXPECT_EQ(asked, (std::vector<std::pair<std::string, std::string>>{{"elevenlabs", "acme-own"}}));
  Agent bravo_agent = acme_agent;
  bravo_agent.tenant_slug = "bravo";
  EXPECT_EQ(&registry.of(bravo_agent), &platform);
  // Stream agents live in no account; the accounts in use are listed once, the platform's first.
  acme_agent.provider = "stream";
  EXPECT_EQ(registry.of(acme_agent).name(), "stream");
  EXPECT_EQ(registry.accounts(), (std::vector<std::string>{"", "acme-own"}));
  try {
    (void)registry.in_account("vapi", "acme-own");
    FAIL() << "an unknown provider was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  }
}

} // namespace
} // namespace vami::cli
