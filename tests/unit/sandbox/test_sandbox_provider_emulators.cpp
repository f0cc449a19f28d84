// The sandbox composes the emulators the voice-agent providers register
// (`AgentProviderDescriptor::make_emulator`): a fourth provider, "vapi", registered here in a
// test list beside the real ones, gets its tables created, its paths routed to its emulator,
// its requests logged under its name with the key masked, its key derived once (by its
// descriptor's `sandbox_settings`), released Twilio numbers told to it, and the simulated calls
// to its inbound voice URL answered by it, the faults injected on its paths answered with its
// own error body, without any code of the sandbox naming it.

#include <atomic>
#include <map>
#include <optional>

#include "../elevenlabs/elevenlabs_emulator_client.hpp"
#include "sandbox/provider_emulator.hpp"
#include "sandbox/sandbox_faults.hpp"
#include "sandbox/sandbox_util.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/document_file.hpp>
#include <vami/providers/agent_provider_registration.hpp>

namespace {

using namespace vami::sandbox_testing; // NOLINT(google-build-using-namespace)
using vami::sandbox::AgentProviderEmulator;
using vami::sandbox::CallContext;
using vami::sandbox::CallProgress;
using vami::sandbox::EmulatorContext;
using vami::sandbox::InboundCall;

constexpr const char* k_inbound_url = "https://api.vapi.invalid/twilio/inbound";

// What the test provider's emulator saw.
struct Seen {
  std::string key;                    ///< The key it was made to accept.
  std::vector<std::string> released;  ///< Twilio numbers it was told of.
  std::atomic<int> recorded_calls{0}; ///< Calls it recorded (`record_call`).
};
Seen g_seen;

// Vapi's emulator: `/vapi/...` with `X-Vapi-Key: <its sandbox key>`; it answers calls
// to numbers whose voice URL is its inbound URL as the assistant "asst_1", and records them in
// a table of its own.
class VapiEmulator final : public AgentProviderEmulator {
public:
  explicit VapiEmulator(const EmulatorContext& context) : m_key(context.setting("vapi_api_key")) {
    g_seen.key = m_key;
  }
  void create_schema(SQLite::Database& db) override {
    db.exec("CREATE TABLE IF NOT EXISTS vapi_calls (call_sid TEXT PRIMARY KEY, assistant TEXT)");
  }
  [[nodiscard]] bool handles(std::string_view path) const override {
    return path.rfind("/vapi/", 0) == 0;
  }
  HttpResponse handle(const HttpRequest& request, const std::string& path,
                      const std::string& query) override {
    (void)query;
    HttpResponse response;
    response.status = vami::sandbox::header_value(request, "X-Vapi-Key") == m_key ? 200 : 401;
    response.body = json{{"vapi", path}}.dump();
    return response;
  }
  [[nodiscard]] std::string credential_header() const override { return "X-Vapi-Key"; }
  [[nodiscard]] std::optional<vami::sandbox::FaultBody>
  fault_body(const vami::sandbox::RejectedRequest& fault) const override {
    return vami::sandbox::FaultBody{
        json{{"message", "vapi fault"}, {"statusCode", fault.status}}.dump(),
        {{"x-vapi-request-id", fault.request_id}}};
  }
  void twilio_number_released(const std::string& sid) override { g_seen.released.push_back(sid); }
  [[nodiscard]] bool answers_voice_url(std::string_view url) const override {
    return url == k_inbound_url;
  }
  void answer_voice_url(const CallContext& context, const InboundCall& call,
                        CallProgress& progress) override {
    (void)context, (void)call;
    progress.outcome = "connected";
    progress.agent = vami::sandbox::CallAgent{"asst_1", "Vapi assistant", "Vapi here."};
    progress.conversation_id = "vapi_call_1";
  }
  void record_call(SQLite::Database& db, const InboundCall& call, const CallProgress& progress,
                   const nlohmann::ordered_json& transcript) override {
    (void)transcript;
    SQLite::Statement insert(db, "INSERT INTO vapi_calls (call_sid, assistant) VALUES (?, ?)");
    insert.bind(1, call.call_sid);
    insert.bind(2, progress.agent->agent_id);
    insert.exec();
    ++g_seen.recorded_calls;
  }
  void after_call(const CallContext& context, const InboundCall& call,
                  CallProgress& progress) override {
    (void)context;
    progress.post_call =
        json{{"url", "vapi:" + call.call_sid}, {"status", 200}, {"error", nullptr}};
  }

private:
  std::string m_key;
};

std::string vapi_key_of(const std::string& auth_token) {
  return "vapi_" + vami::sha256_hex("vapi-api-key:" + auth_token).substr(0, 32);
}

const vami::AgentProviderDescriptor& vapi() {
  static const vami::AgentProviderDescriptor descriptor = [] {
    vami::AgentProviderDescriptor made;
    made.name = "vapi";
    made.display_name = "Vapi";
    vami::ProviderSetting key;
    key.key = "vapi_api_key";
    key.variable = "VAPI_API_KEY";
    key.secrecy = vami::Secrecy::secret;
    vami::ProviderSetting base_url;
    base_url.key = "vapi_base_url";
    base_url.variable = "VAMI_VAPI_BASE_URL";
    base_url.role = vami::SettingRole::option;
    made.settings = {key, base_url};
    made.sandbox_settings = [](const vami::SandboxAccount& account) {
      return std::vector<std::pair<std::string, std::string>>{
          {"vapi_base_url", account.base_url + "/vapi"},
          {"vapi_api_key", vapi_key_of(account.auth_token)},
      };
    };
    made.make_emulator = [](const EmulatorContext& context) {
      return std::unique_ptr<AgentProviderEmulator>(std::make_unique<VapiEmulator>(context));
    };
    return made;
  }();
  return descriptor;
}

vami::AgentProviderList with_vapi() {
  vami::AgentProviderList list = vami::registered_agent_providers();
  list.push_back(&vapi());
  return list;
}

class SandboxProviderEmulatorsTest : public ::testing::Test {
protected:
  SandboxProviderEmulatorsTest()
      : m_emulator(vami::sandbox::open_sandbox(m_dir.path() / "sandbox.db", with_vapi())),
        m_client(*m_emulator) {
    g_seen.released.clear();
    g_seen.recorded_calls = 0;
  }

  HttpResponse vapi_request(const std::string& key) {
    HttpRequest request;
    request.method = "GET";
    request.url = std::string(k_origin) + "/vapi/assistant?limit=1";
    request.headers.emplace_back("X-Vapi-Key", key);
    return m_emulator->handle(request);
  }

  TempDir m_dir;
  std::unique_ptr<vami::sandbox::SandboxEmulator> m_emulator;
  Client m_client;
};

TEST_F(SandboxProviderEmulatorsTest, ItsTablesAreCreatedInTheStateFile) {
  SQLite::Database db((m_dir.path() / "sandbox.db").string(), SQLite::OPEN_READONLY);
  EXPECT_TRUE(db.tableExists("vapi_calls"));
  EXPECT_TRUE(db.tableExists("convai_agents")); // the registered providers' as well
  EXPECT_TRUE(db.tableExists("synthflow_agents"));
}

TEST_F(SandboxProviderEmulatorsTest, ItsKeyIsTheOneItsDescriptorDerivesOnce) {
  const vami::sandbox::SandboxCredentials credentials = m_emulator->credentials();
  const std::string derived = vapi_key_of(credentials.auth_token);
  EXPECT_EQ(g_seen.key, derived);
  EXPECT_EQ(credentials.value("vapi_api_key"), derived);
  EXPECT_EQ(credentials.value("vapi_base_url"), ""); // an option: where the sandbox is served
  // The registered providers' keys come from their descriptors too.
  const vami::SandboxAccount account{credentials.auth_token, ""};
  for (const vami::AgentProviderDescriptor* provider : vami::registered_agent_providers()) {
    if (!provider->sandbox_settings) {
      continue;
    }
    for (const auto& [key, value] : provider->sandbox_settings(account)) {
      const vami::ProviderSetting* setting = provider->setting(key);
      if (setting == nullptr || setting->role != vami::SettingRole::option) {
        EXPECT_EQ(credentials.value(key), value) << key;
      }
    }
  }
}

TEST_F(SandboxProviderEmulatorsTest, ItsPathsGoToItsEmulatorWithItsKey) {
  const HttpResponse answered = vapi_request(vapi_key_of(m_emulator->credentials().auth_token));
  EXPECT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(json::parse(answered.body), (json{{"vapi", "/vapi/assistant"}}));
  EXPECT_EQ(vapi_request("vapi_not_this_sandboxes_key_0000").status, 401);
}

TEST_F(SandboxProviderEmulatorsTest, ItsRequestsAreLoggedUnderItsNameWithTheKeyMasked) {
  const std::string key = vapi_key_of(m_emulator->credentials().auth_token);
  ASSERT_EQ(vapi_request(key).status, 200);
  vami::sandbox::RequestLogFilter filter;
  filter.provider = "vapi";
  const std::vector<vami::sandbox::LoggedRequest> logged = m_emulator->requests(filter);
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_EQ(logged[0].path, "/vapi/assistant");
  EXPECT_EQ(logged[0].status, 200);
  // Its key travels in its own header (`credential_header`): shown masked, never in clear,
  // never missing.
  EXPECT_EQ(logged[0].credential, "X-Vapi-Key \u2026" + key.substr(key.size() - 4));
}

TEST_F(SandboxProviderEmulatorsTest, AFaultOnItsPathsGetsItsOwnErrorBody) {
  vami::sandbox::FaultPlan plan;
  plan.action = vami::sandbox::FaultAction::reject;
  plan.status = 503;
  plan.request_id = "RQ0123456789abcdef0123456789abcdef";
  const vami::sandbox::RejectedRequest fault = vami::sandbox::rejected_request(plan);
  const HttpResponse rejected =
      vami::sandbox::fault_response(plan, m_emulator->fault_body("/vapi/assistant", fault));
  EXPECT_EQ(rejected.status, 503);
  EXPECT_EQ(rejected.body, R"({"message":"vapi fault","statusCode":503})");
  EXPECT_EQ(rejected.header("x-vapi-request-id"), plan.request_id);
  EXPECT_EQ(rejected.header("Twilio-Request-Id"), "");
  // Off its paths, Twilio's stays the default.
  EXPECT_FALSE(m_emulator->fault_body("/vapix/assistant", fault));
}

TEST_F(SandboxProviderEmulatorsTest, ItIsToldOfReleasedTwilioNumbers) {
  auto [sid, e164] = m_client.buy_number();
  ASSERT_EQ(m_client.twilio("DELETE", "/IncomingPhoneNumbers/" + sid + ".json").status, 204);
  EXPECT_EQ(g_seen.released, std::vector<std::string>{sid});
}

TEST_F(SandboxProviderEmulatorsTest, ItAnswersCallsToItsInboundVoiceUrl) {
  auto [sid, e164] = m_client.buy_number();
  ASSERT_EQ(m_client
                .twilio("POST", "/IncomingPhoneNumbers/" + sid + ".json",
                        {{"VoiceUrl", k_inbound_url}, {"VoiceMethod", "POST"}})
                .status,
            200);
  HttpRequest request;
  request.method = "POST";
  request.url = std::string(k_origin) + "/__sandbox/calls";
  request.headers.emplace_back("Authorization",
                               vami::http::basic_authorization(m_client.credentials().account_sid,
                                                               m_client.credentials().auth_token));
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = vami::http::form_encode({{"To", e164}});
  const HttpResponse response = m_emulator->handle(request);
  ASSERT_EQ(response.status, 200) << response.body;
  const json call = json::parse(response.body);
  EXPECT_EQ(call.at("voice_url_kind"), "agent_provider");
  EXPECT_EQ(call.at("outcome"), "connected");
  EXPECT_EQ(call.at("agent_id"), "asst_1");
  EXPECT_EQ(call.at("conversation_id"), "vapi_call_1");
  EXPECT_EQ(call.at("transcript").at(0).at("message"), "Vapi here.");
  EXPECT_EQ(call.at("post_call").at("url"), "vapi:" + call.at("call_sid").get<std::string>());
  EXPECT_EQ(g_seen.recorded_calls, 1);
}

// Without it in the list, its paths are nobody's but Twilio's (404), and its key is no
// sandbox value: what the sandbox serves is the list's, not a hand-wired set.
TEST(SandboxProviderEmulators, ASandboxWithoutItKnowsNothingOfIt) {
  TempDir dir;
  auto emulator = vami::sandbox::open_sandbox(dir.path() / "sandbox.db");
  HttpRequest request;
  request.method = "GET";
  request.url = std::string(k_origin) + "/vapi/assistant";
  request.headers.emplace_back("Authorization",
                               "Bearer " + vapi_key_of(emulator->credentials().auth_token));
  EXPECT_EQ(emulator->handle(request).status, 401); // Twilio's: no Basic credentials
  EXPECT_EQ(emulator->credentials().value("vapi_api_key"), "");
  SQLite::Database db((dir.path() / "sandbox.db").string(), SQLite::OPEN_READONLY);
  EXPECT_FALSE(db.tableExists("vapi_calls"));
}

} // namespace
