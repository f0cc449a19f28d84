#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent_provider_registry.hpp"
#include "output.hpp"
#include "profiles.hpp"
#include "provider_settings.hpp"
#include <CLI/CLI.hpp>

#include <vami/core/agent_service.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/number_provisioning.hpp>
#include <vami/core/onboarding_service.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/resilient_telephony_provider.hpp>
#include <vami/core/resilient_voice_agent_provider.hpp>
#include <vami/core/router_health.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/suspension_service.hpp>
#include <vami/core/tenant_service.hpp>
#include <vami/providers/provider_factory.hpp>

namespace vami::cli {

/// The documented exit codes (docs/exit-codes.md, `man vami`).
enum class ExitCode : int {
  ok = 0,
  failure = 1,
  usage = 2,
  not_found = 3,
  conflict = 4,
  credentials = 5,
  unavailable = 6,
  partial = 7,
  uncertain = 8,
  interrupted = 130,
};

/// The exit code for an error of `kind`.
[[nodiscard]] ExitCode exit_code_for(ErrorKind kind) noexcept;

/// Options that every command accepts, filled by CLI11 before any callback runs.
struct GlobalOptions {
  std::string db; ///< --db / VAMI_DB.
  std::string output = "table";
  bool json = false;
  bool quiet = false;
  int verbosity = 0;
  bool debug = false;
  bool no_color = false;
  std::string progress = "auto";
  bool yes = false;
  std::string actor;      ///< --actor; defaults to the OS user.
  std::string router_url; ///< --router-url / VAMI_ROUTER_URL: the call router of webhook routing.
  std::string profile;    ///< --profile / VAMI_PROFILE: the config file's profile to use.
};

/// The state one command runs with: global options, and the state database and providers,
/// opened on first use so that `--help` and bad usage never touch them.
class AppContext {
public:
  AppContext();

  /// Global options, as parsed.
  GlobalOptions options;
  /// The providers' HTTP timeout for a whole request, in ms, when set before `providers()` is
  /// first used (`router serve`: its time budget); 0 for the default.
  long http_total_timeout_ms = 0;

  /// The output format from `-o` and `--json`.
  /// @throws Error(invalid_input) for an unknown format.
  [[nodiscard]] OutputFormat output_format() const;
  /// Whether to draw a progress line on stderr.
  [[nodiscard]] bool show_progress() const;

  /// The state database path: --db, VAMI_DB, else $XDG_DATA_HOME/vami/vami.db.
  [[nodiscard]] std::filesystem::path database_path() const;
  /// The sandbox's state file: VAMI_SANDBOX_DB, else `<db name>.sandbox.db` beside the state
  /// database.
  [[nodiscard]] std::filesystem::path sandbox_state_path() const;
  /// Opens the state database (creating the default folder, never an explicit one).
  StateStore& store();
  /// Connects the providers; announces the sandbox on stderr once. Credentials and base URLs
  /// come from the environment, else from `profile()` (each provider's credentials as a group;
  /// `platform_provider_settings`).
  /// @throws the errors of `profile()` and of `connect_providers`.
  Providers& providers();
  /// The profile of this command: --profile, VAMI_PROFILE, else the config file's
  /// default_profile; null when none. The config file is read once, on first use.
  /// @throws Error(not_found) for an unknown profile; Error(invalid_input) for a config file
  ///         others can read or that is not valid (read_config_file).
  const Profile* profile();
  /// Makes the profile's `concurrency` the value of `target` when `command` runs without
  /// `--concurrency` (the flag still wins). Applied by `apply_profile_defaults`.
  void concurrency_from_profile(CLI::App* command, int& target);
  /// Makes the profile's `default_country` the value of `target` when `command` runs without
  /// `--country` (the flag still wins). Applied by `apply_profile_defaults`.
  void country_from_profile(CLI::App* command, std::string& target);
  /// Applies the defaults registered by `*_from_profile` for the commands that were parsed;
  /// `main` calls it once parsing is complete, before any command's callback runs. Reads the
  /// config file only when such a command runs without the flag.
  void apply_profile_defaults();
  /// The settings of the platform's own accounts: `platform_provider_settings` of `profile()`,
  /// with this command's sandbox path, `--debug` trace and HTTP timeout.
  /// @throws the errors of `profile()`.
  ProviderSettings platform_settings();
  /// The voice-agent provider `name` (a registered one with credentials) in the tenant account
  /// of profile `account` (`Tenant::account_profile`): connected on first use with
  /// `account_provider_settings` (the profile's voice-agent keys, the platform's Twilio) and
  /// kept per profile; with `resilient`, behind a rate limiter and retries of its own.
  /// Thread-safe (`router serve`).
  /// @throws Error(not_found) when the config file has no profile `account`; the errors of
  ///         `read_config_file` and `connect_providers`; Error(auth) when the profile lacks that
  ///         provider's keys.
  VoiceAgentProvider& account_agents(const std::string& name, const std::string& account,
                                     bool resilient = true);
  /// Whether account `account` ("" the platform's, else a tenant profile's name) holds all of
  /// voice-agent provider `name`'s credentials: `Providers::has_agent_provider` of the platform's
  /// providers (every provider with an emulator on the sandbox), or of the account's, connected
  /// as `account_agents` connects them.
  /// @throws what `providers()` and `account_agents` throw when connecting.
  bool account_has_credentials(const std::string& name, const std::string& account);
  /// How an `AgentProviderRegistry` reaches tenants' own accounts: their profile from the state
  /// database, their providers from `account_agents`, their credentials from
  /// `account_has_credentials`.
  AgentProviderRegistry::Accounts tenant_accounts(bool resilient = true);
  /// The telephony provider behind its rate limiter and retries (one per command).
  TelephonyProvider& telephony();
  /// Every registered voice-agent provider by name (`AgentProviderRegistry`), those with
  /// credentials as `resilient_agents` gives them.
  AgentProviders& agent_providers();
  /// The platform's voice-agent provider `name` behind a rate limiter and retries of its own
  /// (one per provider and command).
  /// @throws what `Providers::agent_provider` throws (Error(auth) for missing credentials).
  VoiceAgentProvider& resilient_agents(const std::string& name);
  /// `agent_providers()`, or null when the default voice-agent provider (the profile's
  /// `agent_provider`, else ElevenLabs) is not configured (its key is missing), with the reason
  /// in `why`: for the commands that compare what they can without it.
  AgentProviders* agent_providers_if_configured(std::string& why);
  /// The pool use cases over `store()` and `telephony()`.
  PoolService pool();
  /// The tenant use cases.
  TenantService tenants();
  /// The agent use cases.
  AgentService agents();
  /// The knowledge-base use cases.
  KnowledgeBaseService knowledge_base();
  /// Assignment of pool numbers to agents, with the router URL of `--router-url`.
  AssignmentService assignments();
  /// Suspension and resumption of pool numbers.
  SuspensionService suspensions();
  /// `vami onboard`.
  OnboardingService onboarding();
  /// `numbers assign --pick --buy-if-needed`: a pool number, or one bought for the agent.
  NumberProvisioning provisioning();
  /// The call router of webhook routing: --router-url, else VAMI_ROUTER_URL, else the
  /// profile's `router_url` (written by `vami router setup`); empty when none.
  /// @throws the errors of `profile()`.
  [[nodiscard]] std::string router_url();
  /// What the telephony account reaches: the sandbox's orchestrator and this machine when it
  /// is the built-in sandbox or a Twilio base URL on this machine (`vami sandbox serve`), else
  /// only the internet (a real Twilio account).
  [[nodiscard]] StreamReach stream_reach();
  /// Asks routers for their health (`GET /healthz`) over HTTP with a short timeout
  /// (`http::k_router_health_timeout_ms`), traced with --debug. Made on first use.
  RouterHealthProbe& router_health();
  /// Who is acting: --actor, else the OS user name.
  [[nodiscard]] std::string actor() const;

  /// Writes a message for the user on stderr ("vami: ..."), unless --quiet.
  void note(const std::string& message) const;

  /// Asks "question [y/N]" on the terminal and returns the answer. With --yes, true. When stdin
  /// is not a terminal, refuses.
  /// @throws Error(invalid_input) "refusing to <what> without --yes ..." in a script.
  bool confirm(const std::string& question, const std::string& what) const;

  /// Whether prompts may be shown: standard input and standard error are terminals.
  [[nodiscard]] static bool interactive() noexcept;
  /// Asks `question` on the terminal and returns the answer, or `default_value` when the answer
  /// is empty (shown in brackets). End of input gives the default.
  [[nodiscard]] static std::string ask(const std::string& question,
                                       const std::string& default_value);

  /// True once SIGINT, SIGTERM or SIGHUP arrived while the command was stopping after a step
  /// (see cli/signals.hpp).
  [[nodiscard]] static bool interrupted() noexcept;
  /// From now on a stopping signal only sets the interrupted flag (`SignalMode::stop_after_step`).
  static void catch_interrupts();
  /// From now on a stopping signal ends vami at once (`SignalMode::end_at_once`).
  static void default_interrupts();
  /// Marks `command` as one that changes providers: when it runs, SIGINT, SIGTERM and SIGHUP
  /// stop it after the step in flight (it settles or undoes what it started) rather than
  /// ending vami at once, and `main` exits 130 once it returns. Applied by
  /// `apply_profile_defaults` once parsing is complete.
  void stops_after_step(CLI::App* command);
  /// Whether the command that runs was marked with `stops_after_step`.
  [[nodiscard]] bool stopping_after_step() const noexcept { return m_stopping_after_step; }

private:
  // The defaults from the profile, each applied only when its command ran without its flag.
  std::vector<std::function<void()>> m_profile_defaults;
  std::vector<CLI::App*> m_stopping_commands;
  bool m_stopping_after_step = false;
  bool m_profile_selected = false;
  std::optional<Profile> m_profile;
  std::unique_ptr<StateStore> m_store;
  std::unique_ptr<Providers> m_providers;
  // One rate limiter per telephony account, shared by every worker; the retrying provider
  // over it is what the pool use cases talk to.
  std::unique_ptr<AdaptiveRateLimiter> m_telephony_limiter;
  std::unique_ptr<ResilientTelephonyProvider> m_resilient_telephony;
  // A voice-agent provider behind its own rate limiter and retries: one per (account,
  // provider), since each account has rate limits of its own.
  struct LimitedAgents {
    std::unique_ptr<AdaptiveRateLimiter> limiter;
    std::unique_ptr<ResilientVoiceAgentProvider> provider;
  };
  // The platform's, by provider name.
  std::map<std::string, LimitedAgents> m_resilient_agents;
  std::unique_ptr<AgentProviderRegistry> m_agent_providers;
  // The providers of tenants' own accounts, by profile name.
  struct TenantAccount {
    std::unique_ptr<Providers> providers;
    std::map<std::string, LimitedAgents> limited; // by provider name
  };
  std::mutex m_tenant_accounts_mutex;
  std::map<std::string, TenantAccount> m_tenant_accounts;
  // The account of profile `account`, connected on first use; m_tenant_accounts_mutex held.
  TenantAccount& tenant_account(const std::string& account);
  std::unique_ptr<RouterHealthProbe> m_router_health;
};

/// Registers `vami init`.
void register_init_command(CLI::App& app, AppContext& context);
/// Registers `vami numbers ...`.
void register_numbers_commands(CLI::App& app, AppContext& context);
/// Registers `vami webhooks ...`.
void register_webhooks_commands(CLI::App& app, AppContext& context);
/// Registers `vami router serve` and `vami router setup`.
void register_router_commands(CLI::App& app, AppContext& context);
/// Registers `vami router setup` under `router`.
void register_router_setup_command(CLI::App& router, AppContext& context);
/// Registers `vami sandbox ...`.
void register_sandbox_commands(CLI::App& app, AppContext& context);
/// Registers `vami reconcile`.
void register_reconcile_command(CLI::App& app, AppContext& context);
/// Registers `vami tenants ...`.
void register_tenants_commands(CLI::App& app, AppContext& context);
/// Registers `vami agents ...` and `vami voices list`.
void register_agents_commands(CLI::App& app, AppContext& context);
/// Registers `vami kb ...`.
void register_kb_commands(CLI::App& app, AppContext& context);
/// Registers `vami numbers assign|unassign|reassign` under `numbers`, and `vami route`.
void register_assignment_commands(CLI::App& app, CLI::App& numbers, AppContext& context);
/// Registers `vami numbers suspend|resume` under `numbers`.
void register_number_suspension_commands(CLI::App& numbers, AppContext& context);
/// Registers `vami tenants suspend|resume` under `tenants`.
void register_tenant_suspension_commands(CLI::App& tenants, AppContext& context);
/// The numbers of a bulk command: `arguments`, then those of `from_file` (one per line, `-` for
/// standard input; blanks and `#` comments ignored); `from_file` may be empty.
/// @throws Error(invalid_input) when the file cannot be read or lists nothing.
[[nodiscard]] std::vector<std::string> numbers_given(const std::vector<std::string>& arguments,
                                                     const std::string& from_file);
/// Registers `vami onboard`.
void register_onboard_command(CLI::App& app, AppContext& context);
/// Registers `vami calls list|show|sync`.
void register_calls_commands(CLI::App& app, AppContext& context);
/// Registers `vami usage`.
void register_usage_command(CLI::App& app, AppContext& context);
/// Registers `vami audit`.
void register_audit_command(CLI::App& app, AppContext& context);
/// Registers `vami operations list|show|resume`.
void register_operations_commands(CLI::App& app, AppContext& context);
/// Registers `vami db copy|status`.
void register_db_commands(CLI::App& app, AppContext& context);
/// Registers `vami profiles add|list|show|use|remove`.
void register_profiles_commands(CLI::App& app, AppContext& context);
/// Registers `vami completion bash|zsh|fish` and the hidden `vami __complete KIND [PREFIX]`
/// (values for the scripts, from the state database) and `vami __man` (the man page).
void register_completion_commands(CLI::App& app, AppContext& context);

/// A pool number as JSON: the one shape every command uses (docs/json.md).
[[nodiscard]] nlohmann::ordered_json to_json(const PoolNumber& number);
/// `text`, read from a text file that messages call `what` ("the prompt file notes.txt"),
/// without the UTF-8 byte order mark an editor may have put first.
/// @throws Error(invalid_input) naming UTF-16 or UTF-32 text (a byte order mark or NUL bytes):
///         vami reads UTF-8 only.
[[nodiscard]] std::string utf8_text(std::string text, const std::string& what);
/// The text of a `--prompt-file` (`utf8_text`).
/// @throws Error(invalid_input) when the file does not exist or cannot be read.
[[nodiscard]] std::string read_prompt_file(const std::string& path);

/// A tenant as JSON (docs/json.md).
[[nodiscard]] nlohmann::ordered_json to_json(const Tenant& tenant);

/// A rate option (`--rate-number`, `--rate-minute`: a decimal amount such as `0.10`, parsed
/// exactly) in micros; an option not given gives no rate.
/// @throws Error(invalid_input) naming `option` for an empty value (never read as "no rate"),
///         text that is not a decimal of at most six decimals, or a negative amount.
[[nodiscard]] std::optional<std::int64_t> rate_option(const std::optional<std::string>& text,
                                                      const char* option);
/// An agent as JSON; the prompt is included only with `with_prompt`.
[[nodiscard]] nlohmann::ordered_json to_json(const Agent& agent, bool with_prompt = false);
/// A knowledge-base document as JSON.
[[nodiscard]] nlohmann::ordered_json to_json(const Document& document);
/// A number for sale as JSON, with the monthly price when known.
[[nodiscard]] nlohmann::ordered_json to_json(const AvailableNumber& number,
                                             const std::optional<Money>& monthly_price);
/// One item of a bulk command's report as JSON (docs/json.md, "bulk report").
[[nodiscard]] nlohmann::ordered_json to_json(const ItemResult& item);
/// Writes a bulk command's report as JSON (docs/json.md): its counts, every item, then the
/// members of `extra`; the text `dump(2)` of the whole document would give, built an item at a
/// time so that a large report is never held in memory as JSON.
void write_report_json(std::ostream& out, const BulkReport& report,
                       const nlohmann::ordered_json& extra);
/// `--max-monthly-cost AMOUNT` in micros of the price list's currency; empty text: no cap.
/// @throws Error(invalid_input) for text that is not a decimal amount, or a negative amount.
[[nodiscard]] std::optional<std::int64_t> max_monthly_cost_micros(const std::string& text);
/// `--buy-if-needed` with the text of its `--max-monthly-cost` (empty: no cap).
[[nodiscard]] BuyIfNeeded buy_if_needed(const std::string& max_monthly_cost);
/// "1.15 USD", or "-" when unknown.
[[nodiscard]] std::string format_money(const std::optional<Money>& money);
/// The exit code of a bulk command: 0, 7 (some failed), 8 (uncertain) or 130 (interrupted).
[[nodiscard]] ExitCode exit_code_for(const BulkReport& report) noexcept;

/// A live "verb done/total" line on stderr, redrawn in place (only on a terminal or with
/// `--progress always`), with failures, rate and ETA.
class ProgressLine {
public:
  /// A line for `verb` ("buying"), drawn only when `enabled`.
  ProgressLine(bool enabled, std::string verb);
  /// Redraws the line.
  void update(int settled, int total, int failed);
  /// Clears the line.
  void finish();

private:
  bool m_enabled;
  std::string m_verb;
  double m_started;
  std::size_t m_drawn = 0; // length of the line drawn last, on a terminal without escapes
};

/// A bulk command's exit code travels up to `main` in this exception after its report is printed.
struct BulkExit {
  ExitCode code;
};

/// The words of a bulk command's messages: `progress` on the live line ("buying"), `item` in
/// the -v line of each number ("buy"), `done` in the summary ("bought 3 of 5 numbers").
struct BulkWords {
  std::string progress;
  std::string item;
  std::string done;
};

/// Draws `progress` as items settle and, with -v, names each item on stderr.
[[nodiscard]] ItemObserver bulk_observer(AppContext& context, ProgressLine& progress,
                                         const std::string& item_verb);
/// Writes a bulk command's report on stdout: a table of the items, its JSON
/// (`write_report_json`) with the members of `extra` added, or CSV rows of the items.
void write_report(AppContext& context, const BulkReport& report,
                  const nlohmann::ordered_json& extra = nlohmann::ordered_json::object());
/// `write_report`, then the summary on stderr ("bought 3 of 5 numbers (operation op-...)", with
/// the failed, uncertain and interrupted counts).
void print_report(AppContext& context, const BulkReport& report, const std::string& done_verb,
                  const nlohmann::ordered_json& extra = nlohmann::ordered_json::object());
/// Writes what deleting tenant `slug` did (`tenants delete`, or `operations resume` of its
/// release): a table, or JSON `{slug, agents_deleted, numbers_returned, numbers_released}`.
void write_tenant_removal(AppContext& context, const std::string& slug,
                          const TenantRemoval& removal);
/// Runs one bulk use case as every bulk command does: Ctrl-C stops it from starting more
/// items, a progress line is drawn on stderr, the report is printed, and a non-zero exit code
/// (7 partial, 8 uncertain, 130 interrupted) is thrown as `BulkExit`.
void run_bulk_command(
    AppContext& context, const BulkWords& words,
    const std::function<BulkReport(const StopRequested&, const ItemObserver&)>& run,
    const nlohmann::ordered_json& extra = nlohmann::ordered_json::object());

} // namespace vami::cli
