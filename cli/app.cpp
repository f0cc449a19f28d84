#include "app.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include "provider_words.hpp"
#include "signals.hpp"
#include <pwd.h>
#include <unistd.h>

#include <vami/core/input_rules.hpp>
#include <vami/core/money.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/router_health_probe.hpp>
#include <vami/stores/state_store_factory.hpp>

namespace vami::cli {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::filesystem::path data_home() {
  std::string xdg = env("XDG_DATA_HOME");
  if (!xdg.empty()) {
    return std::filesystem::path(xdg) / "vami";
  }
  std::string home = env("HOME");
  if (home.empty()) {
    throw Error(ErrorKind::invalid_input, "neither XDG_DATA_HOME nor HOME is set",
                "pass --db PATH or set VAMI_DB");
  }
  return std::filesystem::path(home) / ".local" / "share" / "vami";
}

} // namespace

ExitCode exit_code_for(ErrorKind kind) noexcept {
  switch (kind) {
  case ErrorKind::invalid_input:
    return ExitCode::usage;
  case ErrorKind::not_found:
    return ExitCode::not_found;
  case ErrorKind::conflict:
    return ExitCode::conflict;
  case ErrorKind::auth:
    return ExitCode::credentials;
  case ErrorKind::rate_limited:
  case ErrorKind::unavailable:
    return ExitCode::unavailable;
  case ErrorKind::uncertain:
    return ExitCode::uncertain;
  case ErrorKind::interrupted:
    return ExitCode::interrupted;
  case ErrorKind::provider:
  case ErrorKind::storage:
    return ExitCode::failure;
  }
  return ExitCode::failure;
}

namespace {

// The kind whose `to_string` is `text` (a bulk item's `error_kind`); empty for any other text.
std::optional<ErrorKind> error_kind_named(const std::string& text) noexcept {
  for (ErrorKind kind :
       {ErrorKind::invalid_input, ErrorKind::not_found, ErrorKind::conflict, ErrorKind::auth,
        ErrorKind::rate_limited, ErrorKind::unavailable, ErrorKind::provider, ErrorKind::storage,
        ErrorKind::uncertain, ErrorKind::interrupted}) {
    if (text == to_string(kind)) {
      return kind;
    }
  }
  return std::nullopt;
}

} // namespace

ExitCode exit_code_for(const BulkReport& report) noexcept {
  if (report.state_failure) {
    return ExitCode::uncertain;
  }
  if (report.interrupted) {
    return ExitCode::interrupted;
  }
  if (report.uncertain > 0) {
    return ExitCode::uncertain;
  }
  if (report.failed > 0 && report.succeeded == 0) {
    // Nothing done: the items' common reason says more than "partial" (a script repeating a
    // refused command sees the same code as for one number).
    std::optional<ErrorKind> common;
    bool same = true;
    for (const auto& item : report.items) {
      if (item.status != ItemStatus::failed) {
        continue;
      }
      std::optional<ErrorKind> kind = error_kind_named(item.error_kind);
      same = same && kind && (!common || *common == *kind);
      common = kind;
    }
    if (same && common) {
      return exit_code_for(*common);
    }
  }
  if (report.failed > 0) {
    return ExitCode::partial;
  }
  return ExitCode::ok;
}

AppContext::AppContext() = default;

OutputFormat AppContext::output_format() const {
  if (options.json || options.output == "json") {
    return OutputFormat::json;
  }
  if (options.output == "csv") {
    return OutputFormat::csv;
  }
  return OutputFormat::table;
}

bool AppContext::show_progress() const {
  if (options.progress == "always") {
    return true;
  }
  if (options.progress == "never" || options.quiet) {
    return false;
  }
  return isatty(STDERR_FILENO) != 0;
}

std::filesystem::path AppContext::database_path() const {
  if (!options.db.empty()) {
    return options.db;
  }
  return data_home() / "vami.db";
}

std::filesystem::path AppContext::sandbox_state_path() const {
  std::string explicit_path = env("VAMI_SANDBOX_DB");
  if (!explicit_path.empty()) {
    return explicit_path;
  }
  if (is_server_location(options.db)) {
    // A database server has no folder to keep the sandbox's file beside: the default place.
    const auto folder = data_home();
    std::error_code ignored;
    std::filesystem::create_directories(folder, ignored);
    return folder / "vami.sandbox.db";
  }
  // The sandbox account lives beside the state database, so a fresh --db starts afresh.
  auto db = database_path();
  if (options.db.empty()) {
    std::error_code ignored;
    std::filesystem::create_directories(db.parent_path(), ignored);
  }
  return db.parent_path() / (db.stem().string() + ".sandbox.db");
}

StateStore& AppContext::store() {
  if (!m_store && is_server_location(options.db)) {
    m_store = open_state_store(options.db);
  }
  if (!m_store) {
    auto path = database_path();
    if (options.db.empty()) {
      // The default location is ours to create; an explicit one must exist.
      std::error_code ignored;
      std::filesystem::create_directories(path.parent_path(), ignored);
      std::filesystem::permissions(path.parent_path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ignored);
    }
    m_store = open_state_store(path.string());
  }
  return *m_store;
}

const Profile* AppContext::profile() {
  if (!m_profile_selected) {
    m_profile = select_profile(options.profile);
    m_profile_selected = true;
  }
  return m_profile ? &*m_profile : nullptr;
}

void AppContext::concurrency_from_profile(CLI::App* command, int& target) {
  m_profile_defaults.emplace_back([this, command, &target] {
    if (command->parsed() && command->count("--concurrency") == 0) {
      if (const Profile* chosen = profile(); chosen != nullptr && chosen->concurrency) {
        target = *chosen->concurrency;
      }
    }
  });
}

void AppContext::country_from_profile(CLI::App* command, std::string& target) {
  m_profile_defaults.emplace_back([this, command, &target] {
    if (command->parsed() && command->count("--country") == 0) {
      if (const Profile* chosen = profile();
          chosen != nullptr && !chosen->default_country.empty()) {
        target = chosen->default_country;
      }
    }
  });
}

void AppContext::apply_profile_defaults() {
  for (const auto& apply : m_profile_defaults) {
    apply();
  }
  for (CLI::App* command : m_stopping_commands) {
    if (command->parsed()) {
      m_stopping_after_step = true;
      catch_interrupts();
    }
  }
}

void AppContext::stops_after_step(CLI::App* command) {
  m_stopping_commands.push_back(command);
}

ProviderSettings AppContext::platform_settings() {
  ProviderSettings settings = platform_provider_settings(profile());
  settings.sandbox_state_path = sandbox_state_path();
  settings.http_total_timeout_ms = http_total_timeout_ms;
  if (options.debug) {
    settings.debug_trace = [](std::string_view text) { std::cerr << text << std::flush; };
  }
  return settings;
}

AppContext::TenantAccount& AppContext::tenant_account(const std::string& account) {
  auto found = m_tenant_accounts.find(account);
  if (found == m_tenant_accounts.end()) {
    const auto path = config_file_path();
    const ConfigFile config = read_config_file(path);
    const Profile* chosen = config.find(account);
    if (chosen == nullptr) {
      throw Error(ErrorKind::not_found,
                  "profile '" + account +
                      "', which holds a tenant's own voice-agent accounts, is "
                      "not in " +
                      path.string(),
                  "add it again with 'vami profiles add " + account +
                      "', or give its tenants the platform's accounts with 'vami tenants update "
                      "SLUG --no-profile'");
    }
    TenantAccount made;
    made.providers = connect_providers(account_provider_settings(platform_settings(), *chosen));
    found = m_tenant_accounts.emplace(account, std::move(made)).first;
  }
  return found->second;
}

bool AppContext::account_has_credentials(const std::string& name, const std::string& account) {
  if (account.empty()) {
    return providers().has_agent_provider(name);
  }
  std::lock_guard lock(m_tenant_accounts_mutex);
  return tenant_account(account).providers->has_agent_provider(name);
}

VoiceAgentProvider& AppContext::account_agents(const std::string& name, const std::string& account,
                                               bool resilient) {
  std::lock_guard lock(m_tenant_accounts_mutex);
  TenantAccount& held = tenant_account(account);
  VoiceAgentProvider& plain = held.providers->agent_provider(name);
  if (!resilient) {
    return plain;
  }
  LimitedAgents& wrapped = held.limited[name];
  if (!wrapped.provider) {
    // An account of its own: its own rate limits.
    wrapped.limiter = std::make_unique<AdaptiveRateLimiter>(system_monotonic_clock());
    wrapped.provider = std::make_unique<ResilientVoiceAgentProvider>(
        plain, *wrapped.limiter, RetryPolicy{}, system_monotonic_clock());
  }
  return *wrapped.provider;
}

AgentProviderRegistry::Accounts AppContext::tenant_accounts(bool resilient) {
  AgentProviderRegistry::Accounts accounts;
  accounts.of_tenant = [this](const std::string& slug) {
    std::optional<Tenant> tenant = store().find_tenant(slug);
    return tenant ? tenant->account_profile : std::string();
  };
  accounts.in_use = [this] {
    std::vector<std::string> names;
    for (const Tenant& tenant : store().list_tenants()) {
      if (!tenant.account_profile.empty()) {
        names.push_back(tenant.account_profile);
      }
    }
    return names;
  };
  accounts.provider = [this, resilient](const std::string& name,
                                        const std::string& account) -> VoiceAgentProvider& {
    return account_agents(name, account, resilient);
  };
  accounts.has_credentials = [this](const std::string& name, const std::string& account) {
    return account_has_credentials(name, account);
  };
  return accounts;
}

Providers& AppContext::providers() {
  if (!m_providers) {
    m_providers = connect_providers(platform_settings());
    if (m_providers->is_sandbox()) {
      note(sandbox_notice(m_providers->sandbox_state_path().string()));
    }
  }
  return *m_providers;
}

TelephonyProvider& AppContext::telephony() {
  if (!m_resilient_telephony) {
    // Missing credentials: the factory's message names what is missing and what is set, from
    // the environment or the profile (ProviderSettings::profile_name).
    // Rate limiting and retries of what is safe to repeat (DESIGN.md section 3, rule 3).
    m_telephony_limiter = std::make_unique<AdaptiveRateLimiter>(system_monotonic_clock());
    m_resilient_telephony = std::make_unique<ResilientTelephonyProvider>(
        providers().telephony(), *m_telephony_limiter, RetryPolicy{}, system_monotonic_clock());
  }
  return *m_resilient_telephony;
}

VoiceAgentProvider& AppContext::resilient_agents(const std::string& name) {
  auto found = m_resilient_agents.find(name);
  if (found == m_resilient_agents.end()) {
    VoiceAgentProvider& plain = providers().agent_provider(name);
    LimitedAgents made;
    made.limiter = std::make_unique<AdaptiveRateLimiter>(system_monotonic_clock());
    made.provider = std::make_unique<ResilientVoiceAgentProvider>(
        plain, *made.limiter, RetryPolicy{}, system_monotonic_clock());
    found = m_resilient_agents.emplace(name, std::move(made)).first;
  }
  return *found->second.provider;
}

AgentProviders& AppContext::agent_providers() {
  if (!m_agent_providers) {
    // New agents go to the profile's agent_provider (checked against the registered names when
    // the file is read) when no --provider / --agent-provider names one.
    const Profile* chosen = profile();
    std::string default_name = chosen != nullptr ? chosen->agent_provider : std::string();
    m_agent_providers = std::make_unique<AgentProviderRegistry>(
        [this](const std::string& name) -> VoiceAgentProvider& { return resilient_agents(name); },
        std::move(default_name));
    m_agent_providers->set_accounts(tenant_accounts());
  }
  return *m_agent_providers;
}

AgentProviders* AppContext::agent_providers_if_configured(std::string& why) {
  try {
    // The default provider's (a Synthflow platform has no ElevenLabs key, an orchestrator's
    // platform none at all), not the first registered.
    AgentProviders& agents = agent_providers();
    (void)resilient_agents(agents.default_name());
    return &agents;
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::auth) {
      throw;
    }
    why = error.what();
    if (!error.hint().empty()) {
      why += "; " + error.hint();
    }
    return nullptr;
  }
}

PoolService AppContext::pool() {
  PoolService pool(telephony(), store(), actor());
  pool.set_workspaces(agent_providers()); // releases a workspace's numbers there (lazily)
  return pool;
}

TenantService AppContext::tenants() {
  return TenantService(telephony(), agent_providers(), store(), actor());
}

AgentService AppContext::agents() {
  AgentService service(agent_providers(), store(), actor(), router_url());
  service.set_stream_reach(stream_reach());
  return service;
}

StreamReach AppContext::stream_reach() {
  if (providers().is_sandbox()) {
    return StreamReach::sandbox;
  }
  // The Twilio base URL the telephony provider uses (environment, else profile): one on this
  // machine is `vami sandbox serve` (or a mock), whose calls reach this machine too.
  const std::string base = platform_provider_settings(profile()).twilio_base_url;
  return !base.empty() && is_loopback_url(base) ? StreamReach::sandbox : StreamReach::internet;
}

KnowledgeBaseService AppContext::knowledge_base() {
  return KnowledgeBaseService(agent_providers(), store(), actor());
}

AssignmentService AppContext::assignments() {
  AssignmentService service(telephony(), agent_providers(), store(), actor(), router_url());
  service.set_stream_reach(stream_reach());
  return service;
}

NumberProvisioning AppContext::provisioning() {
  return NumberProvisioning(telephony(), agent_providers(), store(), actor(), router_url());
}

SuspensionService AppContext::suspensions() {
  return SuspensionService(telephony(), agent_providers(), store(), actor());
}

OnboardingService AppContext::onboarding() {
  OnboardingService service(telephony(), agent_providers(), store(), actor(), router_url());
  service.set_stream_reach(stream_reach());
  return service;
}

std::string AppContext::router_url() {
  if (!options.router_url.empty()) {
    return options.router_url; // --router-url, or VAMI_ROUTER_URL (CLI11 reads it)
  }
  const Profile* chosen = profile();
  return chosen == nullptr ? std::string() : chosen->router_url;
}

RouterHealthProbe& AppContext::router_health() {
  if (!m_router_health) {
    http::HttpClientOptions client;
    client.connect_timeout_ms = http::k_router_health_timeout_ms;
    client.total_timeout_ms = http::k_router_health_timeout_ms;
    std::unique_ptr<http::HttpClient> transport = http::make_curl_http_client(client);
    if (options.debug) {
      transport = http::make_tracing_http_client(
          std::move(transport), [](std::string_view text) { std::cerr << text << std::flush; }, {});
    }
    m_router_health = http::make_router_health_probe(std::move(transport));
  }
  return *m_router_health;
}

std::string AppContext::actor() const {
  if (!options.actor.empty()) {
    return options.actor; // --actor refuses control characters (main.cpp)
  }
  // Printed in audit rows: escaped like every free text, so that it cannot forge one.
  if (const passwd* entry = getpwuid(geteuid()); entry != nullptr && entry->pw_name != nullptr) {
    return terminal_text(entry->pw_name);
  }
  std::string user = env("USER");
  return user.empty() ? "uid:" + std::to_string(geteuid()) : terminal_text(user);
}

void AppContext::note(const std::string& message) const {
  if (!options.quiet) {
    std::cerr << "vami: " << terminal_text(message) << '\n';
  }
}

bool AppContext::interactive() noexcept {
  return isatty(STDIN_FILENO) != 0 && isatty(STDERR_FILENO) != 0;
}

std::string AppContext::ask(const std::string& question, const std::string& default_value) {
  PromptSignalScope prompt; // a signal at a question ends vami: nothing is in flight
  std::cerr << terminal_text(question);
  if (!default_value.empty()) {
    std::cerr << " [" << terminal_text(default_value) << "]";
  }
  std::cerr << ": " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    std::cerr << '\n';
    return default_value;
  }
  auto first = answer.find_first_not_of(" \t");
  if (first == std::string::npos) {
    return default_value;
  }
  return answer.substr(first, answer.find_last_not_of(" \t\r") - first + 1);
}

bool AppContext::confirm(const std::string& question, const std::string& what) const {
  if (options.yes) {
    return true;
  }
  if (isatty(STDIN_FILENO) == 0) {
    throw Error(ErrorKind::invalid_input,
                "refusing to " + what + " without --yes: standard input is not a terminal",
                "add --yes to confirm, or --dry-run to see what it would do");
  }
  PromptSignalScope prompt; // a signal at a question ends vami: nothing is in flight
  std::string sentence = question;
  if (!sentence.empty() && sentence.front() >= 'a' && sentence.front() <= 'z') {
    sentence.front() = static_cast<char>(sentence.front() - 'a' + 'A');
  }
  std::cerr << terminal_text(sentence) << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    return false;
  }
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

bool AppContext::interrupted() noexcept {
  return stop_signal_received();
}

void AppContext::catch_interrupts() {
  set_signal_mode(SignalMode::stop_after_step);
}

void AppContext::default_interrupts() {
  set_signal_mode(SignalMode::end_at_once);
}

ProgressLine::ProgressLine(bool enabled, std::string verb)
    : m_enabled(enabled), m_verb(std::move(verb)), m_started(now_seconds()) {}

void ProgressLine::update(int settled, int total, int failed) {
  if (!m_enabled) {
    return;
  }
  double elapsed = now_seconds() - m_started;
  double rate = elapsed > 0 ? settled / elapsed : 0;
  // A dumb terminal has no "erase line": spaces cover what a longer line left.
  std::string line = (terminal_has_escapes() ? "\r\033[K" : "\r") + m_verb + " " +
                     std::to_string(settled) + "/" + std::to_string(total);
  if (failed > 0) {
    line += ", " + std::to_string(failed) + " failed";
  }
  if (rate > 0) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, ", %.1f/s, ETA %.0fs", rate, (total - settled) / rate);
    line += buffer;
  }
  if (!terminal_has_escapes()) {
    std::size_t length = line.size();
    line.append(m_drawn > length ? m_drawn - length : 0, ' ');
    m_drawn = length;
  }
  std::cerr << line << std::flush;
}

void ProgressLine::finish() {
  if (m_enabled && terminal_has_escapes()) {
    std::cerr << "\r\033[K" << std::flush;
  } else if (m_enabled && m_drawn > 0) {
    std::cerr << '\r' << std::string(m_drawn, ' ') << '\r' << std::flush;
    m_drawn = 0;
  }
}

std::optional<std::int64_t> max_monthly_cost_micros(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t micros = parse_decimal_micros(text);
  if (micros < 0) {
    throw Error(ErrorKind::invalid_input, "--max-monthly-cost " + text + " is negative",
                "give the most one number may cost per month, such as 1.50");
  }
  return micros;
}

BuyIfNeeded buy_if_needed(const std::string& max_monthly_cost) {
  BuyIfNeeded options;
  options.max_monthly_price_micros = max_monthly_cost_micros(max_monthly_cost);
  return options;
}

std::string format_money(const std::optional<Money>& money) {
  if (!money) {
    return "-";
  }
  return format_decimal_micros(money->micros) + " " + money->currency;
}

namespace {

void put_monthly_price(nlohmann::ordered_json& json, const std::optional<Money>& price) {
  json["monthly_price"] = price ? nlohmann::ordered_json(format_decimal_micros(price->micros))
                                : nlohmann::ordered_json();
  json["monthly_price_micros"] =
      price ? nlohmann::ordered_json(price->micros) : nlohmann::ordered_json();
  json["currency"] = price ? nlohmann::ordered_json(price->currency) : nlohmann::ordered_json();
}

} // namespace

nlohmann::ordered_json to_json(const PoolNumber& number) {
  nlohmann::ordered_json json;
  json["e164"] = number.e164;
  json["status"] = to_string(number.status);
  json["country"] = number.country;
  json["type"] = to_string(number.type);
  json["locality"] = text_or_null(number.locality);
  json["region"] = text_or_null(number.region);
  json["tenant"] = text_or_null(number.tenant_slug);
  json["agent"] = text_or_null(number.agent_slug);
  json["routing_mode"] =
      number.routing_mode ? nlohmann::ordered_json(to_string(*number.routing_mode)) : nullptr;
  put_monthly_price(json, number.monthly_price);
  json["provider"] = number.provider;
  json["provider_sid"] = text_or_null(number.provider_sid);
  json["friendly_name"] = text_or_null(number.friendly_name);
  json["voice_url"] = text_or_null(number.webhook.voice_url);
  json["voice_method"] = text_or_null(number.webhook.voice_method);
  json["status_callback"] = text_or_null(number.webhook.status_callback);
  json["operation_id"] = text_or_null(number.operation_id);
  json["created_at"] = text_or_null(number.created_at);
  json["updated_at"] = text_or_null(number.updated_at);
  const Suspension* suspension = number.suspension ? &*number.suspension : nullptr;
  json["suspended_from"] =
      suspension ? nlohmann::ordered_json(to_string(suspension->previous_status)) : nullptr;
  json["suspended_agent"] = suspension ? text_or_null(suspension->agent_slug) : nullptr;
  json["suspension_message"] = suspension ? text_or_null(suspension->message) : nullptr;
  json["suspended_at"] = suspension ? text_or_null(suspension->suspended_at) : nullptr;
  return json;
}

std::string read_prompt_file(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw Error(ErrorKind::invalid_input,
                "cannot read the prompt file " + path + ": it does not exist or is not a file",
                "check the path given to --prompt-file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorKind::invalid_input, "cannot read the prompt file " + path,
                "check the file's permissions");
  }
  return utf8_text(
      std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
      "the prompt file " + path);
}

std::string utf8_text(std::string text, const std::string& what) {
  // Editors on Windows start a UTF-8 file with a byte order mark; it is no part of the text.
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) {
    text.erase(0, 3);
  }
  // Notepad's "Unicode" is UTF-16: a byte order mark, and a NUL byte in every ASCII character.
  bool utf16_mark = text.rfind("\xFF\xFE", 0) == 0 || text.rfind("\xFE\xFF", 0) == 0;
  if (utf16_mark || text.find('\0') != std::string::npos) {
    throw Error(ErrorKind::invalid_input,
                what + " is " + (utf16_mark ? "UTF-16" : "UTF-16 or binary") +
                    " text, and vami reads UTF-8 only",
                "save it as UTF-8 (in Notepad: Save As, Encoding UTF-8)");
  }
  return text;
}

std::optional<std::int64_t> rate_option(const std::optional<std::string>& text,
                                        const char* option) {
  if (!text) {
    return std::nullopt;
  }
  // The option rules refuse an empty value before this runs; refused here too, since an empty
  // rate read as "no rate" would drop a stored rate or bill nothing.
  if (text->empty()) {
    throw Error(ErrorKind::invalid_input, std::string(option) + " is empty",
                "give an amount such as 0.10, or leave the option out");
  }
  std::int64_t micros = 0;
  try {
    micros = parse_decimal_micros(*text);
  } catch (const Error& error) {
    throw Error(ErrorKind::invalid_input, std::string(option) + ": " + error.what(), error.hint());
  }
  if (micros < 0) {
    throw Error(ErrorKind::invalid_input,
                std::string(option) + ": '" + *text + "' is negative; a rate is zero or more");
  }
  return micros;
}

nlohmann::ordered_json to_json(const Tenant& tenant) {
  nlohmann::ordered_json json;
  json["slug"] = tenant.slug;
  json["name"] = tenant.name;
  json["industry"] = text_or_null(tenant.industry);
  json["contact_name"] = text_or_null(tenant.contact_name);
  json["contact_email"] = text_or_null(tenant.contact_email);
  for (const auto& [name, micros] : {std::pair{"rate_number", tenant.rates.number_micros},
                                     std::pair{"rate_minute", tenant.rates.minute_micros}}) {
    json[name] = micros ? nlohmann::ordered_json(format_decimal_micros(*micros)) : nullptr;
    json[std::string(name) + "_micros"] = micros ? nlohmann::ordered_json(*micros) : nullptr;
  }
  json["rate_currency"] =
      tenant.rates.any() ? nlohmann::ordered_json(tenant.rates.currency) : nlohmann::ordered_json();
  json["account_profile"] = text_or_null(tenant.account_profile);
  json["created_at"] = text_or_null(tenant.created_at);
  json["updated_at"] = text_or_null(tenant.updated_at);
  return json;
}

nlohmann::ordered_json to_json(const Agent& agent, bool with_prompt) {
  nlohmann::ordered_json json;
  json["slug"] = agent.slug;
  json["tenant"] = agent.tenant_slug;
  json["name"] = agent.name;
  json["status"] = to_string(agent.status);
  json["provider"] = agent.provider;
  json["provider_agent_id"] = text_or_null(agent.provider_agent_id);
  json["voice_id"] = text_or_null(agent.voice_id);
  json["language"] = text_or_null(agent.language);
  json["personality"] =
      agent.personality ? nlohmann::ordered_json(to_string(*agent.personality)) : nullptr;
  json["first_message"] = text_or_null(agent.first_message);
  if (with_prompt) {
    json["prompt"] = agent.prompt;
  }
  json["stream_url"] = text_or_null(agent.stream_url);
  json["stream_parameters"] = nlohmann::ordered_json::object();
  for (const auto& [name, value] : agent.stream_parameters) {
    json["stream_parameters"][name] = value;
  }
  json["created_at"] = text_or_null(agent.created_at);
  json["updated_at"] = text_or_null(agent.updated_at);
  return json;
}

nlohmann::ordered_json to_json(const Document& document) {
  nlohmann::ordered_json json;
  json["id"] = document.provider_document_id;
  json["agent"] = document.agent_slug;
  json["name"] = document.name;
  json["status"] = to_string(document.status);
  json["source_kind"] = to_string(document.source_kind);
  json["source"] = text_or_null(document.source);
  json["mime_type"] = text_or_null(document.mime_type);
  json["size_bytes"] = document.size_bytes;
  json["sha256"] = text_or_null(document.sha256);
  json["created_at"] = text_or_null(document.created_at);
  return json;
}

nlohmann::ordered_json to_json(const AvailableNumber& number,
                               const std::optional<Money>& monthly_price) {
  nlohmann::ordered_json json;
  json["e164"] = number.e164;
  json["country"] = number.country;
  json["type"] = to_string(number.type);
  json["locality"] = text_or_null(number.locality);
  json["region"] = text_or_null(number.region);
  json["postal_code"] = text_or_null(number.postal_code);
  put_monthly_price(json, monthly_price);
  return json;
}

nlohmann::ordered_json to_json(const ItemResult& item) {
  nlohmann::ordered_json json;
  json["e164"] = item.e164;
  json["result"] = to_string(item.status);
  json["error_kind"] = text_or_null(item.error_kind);
  json["error_code"] = text_or_null(item.error_code);
  json["message"] = text_or_null(item.message);
  json["number"] = item.number ? to_json(*item.number) : nlohmann::ordered_json();
  return json;
}

namespace {

// `value.dump(2)` as it reads nested `depth` levels deep in a dump(2) of a larger document. JSON
// text holds no raw newline inside a value, so re-indenting after each newline is exact.
std::string dump_nested(const nlohmann::ordered_json& value, std::size_t depth) {
  std::string text = value.dump(2);
  const std::string indent(2 * depth, ' ');
  for (std::size_t at = text.find('\n'); at != std::string::npos;
       at = text.find('\n', at + 1 + indent.size())) {
    text.insert(at + 1, indent);
  }
  return text;
}

} // namespace

void write_report_json(std::ostream& out, const BulkReport& report,
                       const nlohmann::ordered_json& extra) {
  // The text dump(2) of the whole document gives, written an item at a time: a thousand items'
  // JSON held at once took megabytes.
  nlohmann::ordered_json counts;
  counts["operation_id"] = report.operation_id;
  counts["requested"] = report.requested;
  counts["succeeded"] = report.succeeded;
  counts["failed"] = report.failed;
  counts["uncertain"] = report.uncertain;
  counts["interrupted"] = report.interrupted;
  const char* separator = "{\n  ";
  for (const auto& [key, value] : counts.items()) {
    out << separator << nlohmann::ordered_json(key).dump() << ": " << dump_nested(value, 1);
    separator = ",\n  ";
  }
  out << ",\n  \"items\": [";
  for (std::size_t index = 0; index < report.items.size(); ++index) {
    out << (index == 0 ? "\n    " : ",\n    ") << dump_nested(to_json(report.items[index]), 2);
  }
  out << (report.items.empty() ? "]" : "\n  ]");
  for (const auto& [key, value] : extra.items()) {
    out << ",\n  " << nlohmann::ordered_json(key).dump() << ": " << dump_nested(value, 1);
  }
  out << "\n}\n";
}

} // namespace vami::cli
