// Voice-agent providers are table-driven (providers/agent_provider_list.cpp): a fourth provider,
// registered here in a test list beside the real ones, gets its profile keys read, checked and
// shown masked, its variables read, its credentials taken as a group, its own secrets redacted
// from the --debug trace, the registry builds it, the call router mounts its webhook and checks
// it with the owning account's secret, and the help describes it, without any code naming it.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "agent_provider_registry.hpp"
#include "fake_http_client.hpp"
#include "fake_monotonic_clock.hpp"
#include "fake_voice_agent_provider.hpp"
#include "profiles.hpp"
#include "provider_settings.hpp"
#include "provider_words.hpp"
#include "router_server.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <vami/core/call_router.hpp>
#include <vami/core/error.hpp>
#include <vami/providers/provider_factory.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami::cli {
namespace {

constexpr const char* k_key = "vapi-key-canary-0123456789";
constexpr const char* k_webhook_secret = "vapi-hook-canary-9876543210";
constexpr const char* k_route = "/vapi/post-call";

// What the test provider's factory saw, last time it ran.
struct Made {
  std::string api_key;
  std::string base_url;
  bool had_http = false;
};
Made g_made;

// Vapi's end-of-call report as this test words it: "call=ID;assistant=ID", signed by sending the
// webhook secret itself in `X-Vapi-Secret` (as Vapi's server URL secret does).
ReadWebhook read_report(std::string_view body) {
  auto field = [&](std::string_view name) {
    const std::size_t at = body.find(name);
    if (at == std::string_view::npos) {
      return std::string();
    }
    const std::size_t start = at + name.size();
    return std::string(body.substr(start, body.find(';', start) - start));
  };
  ReadWebhook read;
  read.call.conversation_id = field("call=");
  read.call.provider_agent_id = field("assistant=");
  if (read.call.conversation_id.empty()) {
    throw Error(ErrorKind::invalid_input, "not an end-of-call report");
  }
  return read;
}

// "vapi": an API key (secret credential), a base URL and a region (options), a webhook secret
// (the router's), an emulator whose key derives from the sandbox's seed, one webhook to the
// router. Its provider is a fake that sends one request carrying the key and the webhook secret
// in its URL when made, so the trace shows whether they are redacted.
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
    ProviderSetting webhook_secret;
    webhook_secret.key = "vapi_webhook_secret";
    webhook_secret.variable = "VAMI_VAPI_WEBHOOK_SECRET";
    webhook_secret.role = SettingRole::webhook;
    webhook_secret.secrecy = Secrecy::secret;
    webhook_secret.help = "The secret of Vapi's end-of-call reports (router serve).";
    webhook_secret.account_unset = "Vapi's reports about its tenants are refused";
    made.settings = {key, base_url, region, webhook_secret};
    made.description = "(Vapi assistants, for this test)";
    RouterWebhook report;
    report.route = k_route;
    report.kind = WebhookKind::post_call;
    report.secret_key = "vapi_webhook_secret";
    report.refusal_status = 401;
    report.signature_header = "X-Vapi-Secret";
    report.help = "Vapi's end-of-call reports";
    report.unreadable_reason = "not_an_end_of_call_report";
    report.read = read_report;
    report.verify = [](const WebhookRequest& request, const ReadWebhook&,
                       const std::string& secret) {
      return request.header("X-Vapi-Secret") == secret ? std::string() : "bad_secret";
    };
    made.webhooks = {report};
    made.make = [](const AgentProviderConnection& connection) {
      g_made.api_key = connection.settings.setting("vapi_api_key");
      g_made.base_url = connection.settings.setting("vapi_base_url");
      g_made.had_http = connection.http != nullptr;
      http::HttpRequest request;
      request.url = g_made.base_url + "/assistant?key=" + g_made.api_key +
                    "&hook=" + connection.settings.setting("vapi_webhook_secret");
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
  void SetUp() override { clean(); }
  void TearDown() override { clean(); }

  // No provider variable set, nothing made yet.
  void clean() {
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
  ProviderSettings from_profile = platform_provider_settings(&profile, with_vapi());
  EXPECT_EQ(from_profile.setting("vapi_api_key"), "profile-key");
  EXPECT_EQ(from_profile.credentials_profile("vapi"), "acme");

  ::setenv("VAPI_API_KEY", k_key, 1);
  ::setenv("VAMI_VAPI_BASE_URL", "http://127.0.0.1:9", 1);
  ProviderSettings from_env = platform_provider_settings(&profile, with_vapi());
  EXPECT_EQ(from_env.setting("vapi_api_key"), k_key);
  EXPECT_EQ(from_env.setting("vapi_base_url"), "http://127.0.0.1:9");
  EXPECT_EQ(from_env.setting("vapi_region"), "eu"); // an option: the profile's still
  EXPECT_EQ(from_env.credentials_profile("vapi"), "");

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

  // Its webhook secret, a secret setting too, is redacted from the trace.
  settings.values["vapi_webhook_secret"] = k_webhook_secret;
  trace.clear();
  try {
    live = connect_providers(settings, with_vapi());
  } catch (const Error&) {
  }
  EXPECT_NE(trace.find("&hook="), std::string::npos) << trace;
  EXPECT_EQ(trace.find(k_webhook_secret), std::string::npos) << "the secret leaked: " << trace;

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

TEST_F(AgentProviderTableTest, ItsWebhookSecretIsAProfileKeyShownMaskedAndNoCredential) {
  const auto path = write_config(std::string("[profiles.acme]\nvapi_webhook_secret = \"") +
                                 k_webhook_secret + "\"\n");
  EXPECT_THROW((void)read_config_file(path), Error);
  const ConfigFile config = read_config_file(path, with_vapi());
  const Profile* acme = config.find("acme");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->value("vapi_webhook_secret"), k_webhook_secret);
  std::map<std::string, std::optional<std::string>> shown;
  for (auto& [key, value] : shown_provider_values(*acme, with_vapi())) {
    shown[key] = value;
  }
  EXPECT_EQ(shown.at("vapi_webhook_secret"), std::optional<std::string>("••••3210"));
  // Not a credential: the profile holds no account, and it keeps the sandbox on.
  EXPECT_FALSE(acme->has_credentials_of("vapi", with_vapi()));
  EXPECT_FALSE(acme->has_any_credentials(with_vapi()));
  ::setenv("VAMI_VAPI_WEBHOOK_SECRET", k_webhook_secret, 1);
  ProviderSettings settings = platform_provider_settings(acme, with_vapi());
  EXPECT_EQ(settings.setting("vapi_api_key"), "");
  EXPECT_EQ(settings.credentials_profile("vapi"), "");
  settings.sandbox_state_path = m_dir.path() / "sandbox.db";
  EXPECT_TRUE(connect_providers(settings, with_vapi())->is_sandbox());
}

// The help and messages that name the providers describe it, from its descriptor.
TEST_F(AgentProviderTableTest, TheHelpWordsDescribeIt) {
  EXPECT_NE(described_providers(with_vapi()).find("synthflow (Synthflow agents"),
            std::string::npos);
  EXPECT_NE(described_providers(with_vapi()).find(" or vapi (Vapi assistants, for this test)"),
            std::string::npos)
      << described_providers(with_vapi());
  EXPECT_EQ(described_providers().find("vapi"), std::string::npos);
  EXPECT_NE(briefly_described_providers(with_vapi()).find(", synthflow (native routing"),
            std::string::npos);
  EXPECT_NE(briefly_described_providers(with_vapi()).find(" or vapi"), std::string::npos);
  EXPECT_NE(account_credentials_words(with_vapi()).find(" or a Vapi API key"), std::string::npos)
      << account_credentials_words(with_vapi());
  EXPECT_NE(account_variables_words(with_vapi()).find(", or VAPI_API_KEY"), std::string::npos);
  const std::string notice = sandbox_notice("/tmp/x.sandbox.db", with_vapi());
  EXPECT_NE(notice.find("no Twilio, ElevenLabs, Synthflow or Vapi credentials set"),
            std::string::npos)
      << notice;
  EXPECT_NE(notice.find(", or VAPI_API_KEY)"), std::string::npos) << notice;
  std::string footer = profiles_add_footer(with_vapi());
  std::replace(footer.begin(), footer.end(), '\n', ' ');
  EXPECT_NE(footer.find("VAPI_API_KEY"), std::string::npos) << footer;
  EXPECT_NE(footer.find("Vapi keys"), std::string::npos) << footer;
  // router serve's footer: its route, its signature and refusal, its secret.
  std::string routes = router_serve_footer(with_vapi());
  std::replace(routes.begin(), routes.end(), '\n', ' ');
  EXPECT_NE(routes.find("POST /vapi/post-call (Vapi's end-of-call reports)"), std::string::npos)
      << routes;
  EXPECT_NE(routes.find("Vapi's without a valid X-Vapi-Secret 401"), std::string::npos) << routes;
  EXPECT_NE(routes.find("VAMI_VAPI_WEBHOOK_SECRET (or the profile's vapi_webhook_secret)"),
            std::string::npos)
      << routes;
  // The registered providers' words, as they always read.
  EXPECT_EQ(sandbox_notice("P"),
            "no Twilio, ElevenLabs or Synthflow credentials set: using the built-in sandbox "
            "(state in P); set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and ELEVENLABS_API_KEY (or "
            "SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID), or add a profile with 'vami profiles "
            "add NAME', to use real accounts");
  EXPECT_EQ(account_variables_words(),
            "ELEVENLABS_API_KEY, or SYNTHFLOW_API_KEY with --synthflow-workspace-id");
}

// The call router: a tenant "acme" on its own account (profile acme-own) has a Vapi agent; the
// router, given the test list, mounts Vapi's webhook and checks each report with the secret of
// the account that owns the agent it names, and no other.
class ProviderWebhookRouterTest : public AgentProviderTableTest {
protected:
  void SetUp() override {
    AgentProviderTableTest::SetUp();
    m_store = open_sqlite_state_store(m_dir.path() / "state.db");
    Tenant acme;
    acme.slug = "acme";
    acme.name = "Acme";
    acme.account_profile = "acme-own";
    (void)m_store->create_tenant(acme);
    Agent front;
    front.slug = "front";
    front.tenant_slug = "acme";
    front.name = "Front";
    front.provider = "vapi";
    front.provider_agent_id = "va_acme";
    (void)m_store->insert_agent(front);
    m_registry = std::make_unique<AgentProviderRegistry>(
        [](const std::string& name) -> VoiceAgentProvider& {
          throw Error(ErrorKind::auth, "no " + name + " in this test");
        },
        "", with_vapi());
    AgentProviderRegistry::Accounts accounts;
    accounts.of_tenant = [](const std::string& slug) {
      return slug == "acme" ? std::string("acme-own") : std::string();
    };
    accounts.in_use = [] { return std::vector<std::string>{"acme-own"}; };
    m_registry->set_accounts(accounts);
    m_router = std::make_unique<CallRouter>(*m_store, *m_registry, m_clock);
    m_log = std::make_unique<AccessLog>((m_dir.path() / "access.log").string());

    RouterServerOptions options;
    options.port = 0;
    options.public_url = "http://127.0.0.1";
    options.providers = with_vapi();
    options.webhook_secrets["vapi_webhook_secret"] = "platform-secret";
    options.account_webhook_secrets["acme-own"]["vapi_webhook_secret"] = "acme-secret";
    m_options = options;
    start();
  }

  // Serves the router with `m_options` on a free port until `m_stop`.
  void start() {
    m_stop = false;
    m_bound = -1;
    m_server = std::thread([this] {
      try {
        serve_router(
            m_options, *m_router, *m_store, *m_log, m_metrics, [this](int port) { m_bound = port; },
            [this] { return m_stop.load(); });
      } catch (const Error&) {
        m_bound = 0;
      }
    });
    while (m_bound < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    m_port = m_bound;
    ASSERT_GT(m_port, 0);
  }

  void stop() {
    m_stop = true;
    if (m_server.joinable()) {
      m_server.join();
    }
  }

  void TearDown() override {
    stop();
    AgentProviderTableTest::TearDown();
  }

  // Posts a report about `call` by assistant `assistant`, signed with `secret`: the status.
  int post(const std::string& call, const std::string& assistant, const std::string& secret) {
    httplib::Client client("127.0.0.1", m_port);
    httplib::Headers headers{{"X-Vapi-Secret", secret}};
    auto result =
        client.Post(k_route, headers, "call=" + call + ";assistant=" + assistant, "text/plain");
    return result ? result->status : -1;
  }

  std::unique_ptr<StateStore> m_store;
  std::unique_ptr<AgentProviderRegistry> m_registry;
  vami::testing::FakeMonotonicClock m_clock;
  std::unique_ptr<CallRouter> m_router;
  std::unique_ptr<AccessLog> m_log;
  RouterMetrics m_metrics;
  RouterServerOptions m_options;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_bound{-1};
  std::thread m_server;
  int m_port = 0;
};

TEST_F(ProviderWebhookRouterTest, ItsWebhookIsMountedAndCheckedWithTheOwningAccountsSecret) {
  // About the tenant's own agent: its account's secret only, never the platform's.
  EXPECT_EQ(post("c-1", "va_acme", "platform-secret"), 401);
  EXPECT_EQ(post("c-1", "va_acme", "wrong"), 401);
  EXPECT_FALSE(m_store->find_call("c-1").has_value());
  EXPECT_EQ(post("c-1", "va_acme", "acme-secret"), 200);
  std::optional<CallRecord> recorded = m_store->find_call("c-1");
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->tenant_slug, "acme");
  EXPECT_EQ(recorded->agent_slug, "front");
  // About what the pool does not know: the platform's.
  EXPECT_EQ(post("c-2", "va_unknown", "acme-secret"), 401);
  EXPECT_EQ(post("c-2", "va_unknown", "platform-secret"), 200);
  // Its unreadable report is refused before any check.
  httplib::Client client("127.0.0.1", m_port);
  auto unreadable = client.Post(k_route, "nonsense", "text/plain");
  ASSERT_TRUE(unreadable);
  EXPECT_EQ(unreadable->status, 400);
  EXPECT_NE(unreadable->body.find("not_an_end_of_call_report"), std::string::npos);
  // Counted under its route.
  const std::string metrics = m_metrics.prometheus_text();
  EXPECT_NE(metrics.find(k_route), std::string::npos) << metrics;
}

TEST_F(ProviderWebhookRouterTest, AWebhookElsewhereThanWhereVamiPointsItIsRefusedAtStart) {
  // vami gives a provider's agents <public>/vapi/post-call (RouterEndpoints::post_call_url_of);
  // a route of its own would leave those webhooks unanswered.
  stop();
  AgentProviderDescriptor moved = vapi();
  moved.webhooks.front().route = "/vapi/end-of-call";
  m_options.providers = registered_agent_providers();
  m_options.providers.push_back(&moved);
  try {
    serve_router(
        m_options, *m_router, *m_store, *m_log, m_metrics, [](int) {}, [] { return true; });
    FAIL() << "served a webhook route vami does not point the provider at";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("/vapi/post-call"), std::string::npos) << error.what();
  }
  EXPECT_EQ(router_endpoints("https://calls.example.com").post_call_url_of("vapi"),
            "https://calls.example.com" + vapi().webhooks.front().route);
}

TEST_F(ProviderWebhookRouterTest, ATenantAccountWithoutTheSecretHasItsReportsRefused) {
  stop();
  m_options.account_webhook_secrets.clear();
  start();
  EXPECT_EQ(post("c-3", "va_acme", "acme-secret"), 401);
  EXPECT_EQ(post("c-3", "va_acme", "platform-secret"), 401);
  EXPECT_FALSE(m_store->find_call("c-3").has_value());
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
