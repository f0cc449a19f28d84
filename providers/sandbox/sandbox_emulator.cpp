// The sandbox's composition: its state file (one SQLite file holding one Twilio account and the
// state of every provider's emulator), the Twilio emulator (twilio/emulator/) and the emulators
// the voice-agent providers register (`AgentProviderDescriptor::make_emulator`, made with the
// values their `sandbox_settings` derive), the routing of each request to the emulator whose
// paths it is on, and the simulated calls that cross them.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/provider_emulator.hpp"
#include "sandbox/sandbox_request_log.hpp"
#include "sandbox/sandbox_util.hpp"
#include "sandbox/sandbox_voice_calls.hpp"
#include "stream/emulator/orchestrator.hpp"
#include "twilio/emulator/trunking.hpp"
#include "twilio/emulator/twilio_emulator.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>
#include <vami/providers/sandbox.hpp>

namespace vami::sandbox {

namespace {

// `PRAGMA application_id` of a sandbox state file ("vsbx"), so that vami never mistakes its own
// state database or any other SQLite file for one.
constexpr int k_application_id = 0x76736278;
constexpr int k_busy_timeout_ms = 10'000;

constexpr const char* k_schema = R"sql(
CREATE TABLE account (
  sid TEXT NOT NULL UNIQUE,
  auth_token TEXT NOT NULL,
  friendly_name TEXT NOT NULL,
  date_created INTEGER NOT NULL
);
)sql";

// Account credentials come straight from the OS entropy source.
std::string secure_random_hex(std::size_t digits) {
  std::random_device device;
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  while (out.size() < digits) {
    unsigned value = device();
    for (int i = 0; i < 8 && out.size() < digits; ++i) {
      out += k_hex[value & 0xFU];
      value >>= 4U;
    }
  }
  return out;
}

// Whose API a request path outside the voice-agent providers' is, in the words of the request
// log (`LoggedRequest::provider`).
std::string_view twilio_api_of(const std::string& path) {
  const std::vector<std::string> segments = split_path(path);
  if (TrunkingSandbox::handles(segments)) {
    return "twilio-trunking";
  }
  if (segments.size() >= 2 && segments[0] == "v1" && segments[1] == "PhoneNumbers") {
    return "twilio-pricing";
  }
  if (!segments.empty() && segments[0] == "__sandbox") {
    return "sandbox";
  }
  return "twilio";
}

// One registered voice-agent provider's emulator.
struct ProviderEmulator {
  std::string name; ///< The provider's (`AgentProviderDescriptor::name`): the request log's.
  std::unique_ptr<AgentProviderEmulator> emulator;
};

class SqliteSandbox final : public SandboxEmulator, private TwilioAccountView {
public:
  SqliteSandbox(const std::filesystem::path& path, const AgentProviderList& providers)
      : m_path(path), m_db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    m_db.setBusyTimeout(k_busy_timeout_ms);
    // Look before touching anything: a foreign file is refused unchanged.
    refuse_if_foreign();
    m_db.exec("PRAGMA journal_mode = WAL");
    // An emulator's account survives a crash of vami or of the sandbox (WAL); it need not
    // survive a power cut, so commits are not flushed to the disk one by one.
    m_db.exec("PRAGMA synchronous = NORMAL");
    TwilioAccount twilio_account;
    {
      SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      // Another process may have initialised the file since the look above.
      if (refuse_if_foreign() == 0) {
        m_db.exec(k_schema);
        TwilioSandbox::create_schema(m_db);
        m_db.exec("PRAGMA application_id = " + std::to_string(k_application_id));
        SQLite::Statement insert(m_db, "INSERT INTO account (sid, auth_token, friendly_name, "
                                       "date_created) VALUES (?, ?, ?, ?)");
        insert.bind(1, "AC" + secure_random_hex(32));
        insert.bind(2, secure_random_hex(32));
        insert.bind(3, "vami sandbox");
        insert.bind(4, static_cast<std::int64_t>(now_seconds()));
        insert.exec();
      }
      // Outside the fresh-file branch: state files made by an older vami get the settings
      // columns and the emulators' tables too.
      TwilioSandbox::upgrade_schema(m_db);
      twilio_account = read_account();
      add_provider_emulators(providers);
      orchestrator::create_schema(m_db);
      RequestLog::create_schema(m_db);
      transaction.commit();
    }
    TwilioSandbox::Hooks hooks;
    hooks.place_call = [this](const http::HttpRequest& request) { return place_call(request); };
    // A released number can no longer ring a provider's agent: its import goes with it.
    hooks.number_released = [this](const std::string& sid) {
      for (ProviderEmulator& each : m_emulators) {
        each.emulator->twilio_number_released(sid);
      }
    };
    m_twilio =
        std::make_unique<TwilioSandbox>(m_db, m_mutex, std::move(twilio_account), std::move(hooks));
  }

  http::HttpResponse handle(const http::HttpRequest& request) override {
    ParsedUrl url = parse_url(request.url);
    const std::string_view provider = provider_of(url.path);
    http::HttpResponse response;
    try {
      response = dispatch(request, url);
    } catch (...) {
      // What the server answers for it.
      m_requests.record(request, provider, 500, key_header_of(url.path));
      throw;
    }
    m_requests.record(request, provider, response.status, key_header_of(url.path));
    return response;
  }

  std::vector<LoggedRequest> requests(const RequestLogFilter& filter) override {
    try {
      return m_requests.read(filter);
    } catch (const SQLite::Exception& e) {
      throw Error(ErrorKind::storage,
                  "cannot read the request log of " + m_path.string() + ": " + e.what(),
                  "check the file's permissions, or try again if the sandbox is busy");
    }
  }

  void log_request(const http::HttpRequest& request, int status) override {
    const std::string path = parse_url(request.url).path;
    m_requests.record(request, provider_of(path), status, key_header_of(path));
  }

  // The header the key of a request on `path` travels in: the one the emulator claiming the
  // path names, else `Authorization` (Twilio's and the sandbox's own).
  [[nodiscard]] std::string key_header_of(const std::string& path) const {
    if (const ProviderEmulator* found = emulator_of(path)) {
      return found->emulator->credential_header();
    }
    return "Authorization";
  }

  std::optional<FaultBody> fault_body(const std::string& path,
                                      const RejectedRequest& fault) override {
    if (const ProviderEmulator* found = emulator_of(path)) {
      return found->emulator->fault_body(fault);
    }
    return std::nullopt;
  }

  // Whose API a request path is, in the words of the request log: the voice-agent provider's
  // whose emulator claims it, else Twilio's or the sandbox's own.
  [[nodiscard]] std::string_view provider_of(const std::string& path) const {
    if (const ProviderEmulator* found = emulator_of(path)) {
      return found->name;
    }
    return twilio_api_of(path);
  }

  [[nodiscard]] SandboxCredentials credentials() const override { return m_credentials; }

  int start_stream_orchestrator(int port) override { return m_orchestrator.start(port); }

  SeededNumbers seed_synthflow_numbers(int count) override {
    if (count < 0 || count > k_max_seeded_synthflow_numbers) {
      throw Error(ErrorKind::invalid_input,
                  "cannot seed " + std::to_string(count) + " Synthflow numbers",
                  "seed 0 to " + std::to_string(k_max_seeded_synthflow_numbers) +
                      " (+14155550100 to +14155550199)");
    }
    try {
      for (ProviderEmulator& each : m_emulators) {
        if (std::optional<SeededNumbers> seeded = each.emulator->seed_numbers(count)) {
          return *seeded;
        }
      }
    } catch (const SQLite::Exception& e) {
      throw Error(ErrorKind::storage,
                  "cannot seed the Synthflow numbers of " + m_path.string() + ": " + e.what(),
                  "check the file's permissions, or try again if the sandbox is busy");
    }
    throw Error(ErrorKind::invalid_input, "this sandbox has no Synthflow workspace to seed",
                "use a vami built with the Synthflow provider");
  }

  // -- Simulated calls --------------------------------------------------------------------------

  http::HttpResponse place_call(const http::HttpRequest& request) {
    CallContext context{m_db, m_mutex, m_credentials, [this]() -> http::HttpClient& {
                          std::call_once(m_outgoing_once, [this] {
                            http::HttpClientOptions options;
                            // Twilio waits 10 s to connect and 15 s in all for a voice
                            // webhook's answer.
                            options.connect_timeout_ms = 10'000;
                            options.total_timeout_ms = 15'000;
                            options.user_agent = "TwilioProxy/1.1";
                            m_outgoing = http::make_curl_http_client(options);
                          });
                          return *m_outgoing;
                        }};
    context.follow_stream = [this](const std::string& url,
                                   const media_streams::StreamedCall& call) {
      return media_stream::follow(m_orchestrator, m_db, m_mutex, url, call);
    };
    std::vector<AgentProviderEmulator*> emulators;
    for (ProviderEmulator& each : m_emulators) {
      emulators.push_back(each.emulator.get());
    }
    return voice_calls::place(context, emulators, request);
  }

private:
  // The account row, its API key and every provider's sandbox values derived from its token.
  TwilioAccount read_account() {
    SQLite::Statement account(m_db,
                              "SELECT sid, auth_token, friendly_name, date_created FROM account");
    if (!account.executeStep()) {
      throw Error(ErrorKind::storage, m_path.string() + " has no sandbox account",
                  "delete the file to start a new sandbox");
    }
    m_credentials.account_sid = account.getColumn(0).getString();
    m_credentials.auth_token = account.getColumn(1).getString();
    TwilioAccount twilio_account;
    twilio_account.friendly_name = account.getColumn(2).getString();
    twilio_account.date_created = account.getColumn(3).getInt64();
    // The API key is derived rather than stored, so state files made before it existed work.
    m_credentials.api_key_sid =
        "SK" + vami::sha256_hex("api-key-sid:" + m_credentials.auth_token).substr(0, 32);
    m_credentials.api_key_secret =
        vami::sha256_hex("api-key-secret:" + m_credentials.auth_token).substr(0, 32);
    twilio_account.credentials = m_credentials;
    return twilio_account;
  }

  // Makes the emulator of every provider of `providers` that has one, with the values its
  // descriptor derives from the account (the one derivation of its sandbox keys), and creates
  // its tables. Inside the opening transaction.
  void add_provider_emulators(const AgentProviderList& providers) {
    const SandboxCredentials twilio_credentials = m_credentials;
    // The emulators need no base URL: "" stands for wherever the sandbox is served.
    const SandboxAccount account{m_credentials.auth_token, ""};
    for (const AgentProviderDescriptor* provider : providers) {
      std::map<std::string, std::string> values;
      if (provider->sandbox_settings) {
        for (auto& [key, value] : provider->sandbox_settings(account)) {
          const ProviderSetting* setting = provider->setting(key);
          if (setting == nullptr || setting->role != SettingRole::option) {
            m_credentials.provider_values[key] = value;
          }
          values[key] = std::move(value);
        }
      }
      if (!provider->make_emulator) {
        continue;
      }
      EmulatorContext context{m_db, m_mutex, static_cast<TwilioAccountView&>(*this),
                              twilio_credentials, std::move(values)};
      std::unique_ptr<AgentProviderEmulator> emulator = provider->make_emulator(context);
      emulator->create_schema(m_db);
      m_emulators.push_back({provider->name, std::move(emulator)});
    }
  }

  // The provider's emulator whose paths `path` is on; null: Twilio's or the sandbox's own.
  [[nodiscard]] const ProviderEmulator* emulator_of(const std::string& path) const {
    for (const ProviderEmulator& each : m_emulators) {
      if (each.emulator->handles(path)) {
        return &each;
      }
    }
    return nullptr;
  }

  http::HttpResponse dispatch(const http::HttpRequest& request, const ParsedUrl& url) {
    if (const ProviderEmulator* found = emulator_of(url.path)) {
      return found->emulator->handle(request, url.path, url.query);
    }
    return m_twilio->handle(request);
  }

  // -- What the providers' emulators see of the Twilio account (connection already locked) --

  std::optional<std::string> owned_number_sid(const std::string& e164) override {
    return m_twilio->owned_number_sid(e164);
  }

  std::string number_voice_url(const std::string& sid) override {
    return m_twilio->number_voice_url(sid);
  }

  void set_number_voice_url(const std::string& sid, const std::string& url,
                            const std::string& method) override {
    m_twilio->set_number_voice_url(sid, url, method);
  }

  // The file's application id when it is (or may become) a sandbox file; throws otherwise.
  int refuse_if_foreign() {
    int application_id = m_db.execAndGet("PRAGMA application_id").getInt();
    if (application_id == k_application_id) {
      return application_id;
    }
    int objects = m_db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
    if (application_id != 0 || objects > 0) {
      throw Error(ErrorKind::invalid_input, m_path.string() + " is not a vami sandbox state file",
                  "choose another path for the sandbox state; vami creates the file when it is "
                  "missing");
    }
    return 0;
  }

  std::filesystem::path m_path;
  std::mutex m_mutex; // one connection, used by one thread at a time
  SQLite::Database m_db;
  SandboxCredentials m_credentials;
  /// The client of the requests simulated calls send (webhooks), made on first use.
  std::unique_ptr<http::HttpClient> m_outgoing;
  std::once_flag m_outgoing_once;
  /// The voice-agent providers' emulators, in the order of their list (declared after the
  /// database, so that they go before it closes).
  std::vector<ProviderEmulator> m_emulators;
  std::unique_ptr<TwilioSandbox> m_twilio; ///< The Twilio half.
  /// Every request answered, with its credential masked (`vami sandbox requests`).
  RequestLog m_requests{m_db, m_mutex};
  /// The platform's orchestrator for stream agents (WebSocket, /stream/...); declared after the
  /// database so that it stops before the database closes.
  orchestrator::Orchestrator m_orchestrator{m_db, m_mutex};
};

} // namespace

std::unique_ptr<SandboxEmulator> open_sandbox(const std::filesystem::path& state_path) {
  return open_sandbox(state_path, registered_agent_providers());
}

std::unique_ptr<SandboxEmulator> open_sandbox(const std::filesystem::path& state_path,
                                              const AgentProviderList& providers) {
  std::filesystem::path folder = state_path.parent_path();
  if (folder.empty()) {
    folder = ".";
  }
  std::error_code ignored;
  if (!std::filesystem::is_directory(folder, ignored)) {
    throw Error(ErrorKind::invalid_input,
                "cannot open the sandbox state file " + state_path.string() + ": the folder " +
                    folder.string() + " does not exist",
                "create the folder first, or choose another path for the sandbox state");
  }
  try {
    return std::make_unique<SqliteSandbox>(state_path, providers);
  } catch (const SQLite::Exception& e) {
    if ((e.getErrorCode() & 0xFF) == SQLITE_NOTADB) {
      throw Error(ErrorKind::invalid_input,
                  state_path.string() + " is not a vami sandbox state file",
                  "choose another path for the sandbox state; vami creates the file when it is "
                  "missing");
    }
    throw Error(ErrorKind::storage,
                "cannot open the sandbox state file " + state_path.string() + ": " + e.what(),
                "check the file's permissions and free disk space");
  }
}

} // namespace vami::sandbox
