// `vami profiles`: named credentials and defaults in the config file. Secrets are typed at a
// prompt or taken from the environment, never from a flag (it would land in shell history),
// and are shown masked everywhere.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>

#include "agent_provider_registry.hpp"
#include "app.hpp"
#include "profiles.hpp"
#include "provider_words.hpp"
#include "signals.hpp"
#include <termios.h>
#include <unistd.h>

#include <vami/core/bulk_runner.hpp>

namespace vami::cli {

namespace {

struct AddOptions {
  std::string name;
  std::string twilio_account_sid;
  std::string twilio_api_key;
  std::string twilio_base_url;
  std::string twilio_pricing_base_url;
  /// The voice-agent providers' plain settings given as flags (`--` and the key with dashes),
  /// by key; the map's nodes stay where CLI11 writes them.
  std::map<std::string, std::string> provider_flags;
  std::string default_country;
  std::string agent_provider;
  int concurrency = 0;
  bool from_env = false;
  bool replace = false;
};

struct NameOptions {
  std::string name;
  bool dry_run = false;
};

/// Where `profiles add` takes the secrets from.
enum class SecretSource { prompt, environment };

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Reads one line from the terminal without echoing it. Any stopping signal while it waits
// (SIGINT, SIGTERM, SIGHUP) gives the terminal its echo back before vami ends (signals.hpp).
std::string ask_secret(const std::string& question) {
  PromptSignalScope prompt;
  TerminalRestore restore;
  termios current{};
  bool echo_off = restore.saved() && tcgetattr(STDIN_FILENO, &current) == 0;
  if (echo_off) {
    termios hidden = current;
    hidden.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    // TCSANOW, not TCSAFLUSH: a line typed ahead is the answer, not noise to discard.
    tcsetattr(STDIN_FILENO, TCSANOW, &hidden);
  }
  // Asked only once echo is off: an answer typed as soon as the question shows is never echoed.
  std::cerr << question << ": " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    answer.clear();
  }
  if (echo_off) {
    tcsetattr(STDIN_FILENO, TCSANOW, &current);
  }
  std::cerr << '\n';
  while (!answer.empty() && (answer.back() == '\r' || answer.back() == ' ')) {
    answer.pop_back();
  }
  return answer;
}

void check_value(const std::string& flag, const std::string& key, const std::string& value) {
  if (auto problem = check_profile_value(key, value); !problem.empty()) {
    throw Error(ErrorKind::invalid_input, flag + " " + problem);
  }
}

// The flag of a profile key: "synthflow_region" -> "--synthflow-region".
std::string flag_of(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return "--" + key;
}

void check_name(const std::string& name) {
  if (!is_valid_profile_name(name)) {
    throw Error(ErrorKind::invalid_input, "'" + name + "' is not a valid profile name",
                "use 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a letter or digit");
  }
}

std::string known_names(const ConfigFile& config) {
  std::string names;
  for (const auto& name : config.names()) {
    names += (names.empty() ? "" : ", ") + name;
  }
  return names.empty() ? "none" : names;
}

Profile& existing(ConfigFile& config, const std::string& name) {
  Profile* profile = config.find(name);
  if (profile == nullptr) {
    throw Error(ErrorKind::not_found,
                "no profile '" + name + "' in " + config_file_path().string() +
                    " (known profiles: " + known_names(config) + ")",
                "run 'vami profiles list', or add it with 'vami profiles add " + name + "'");
  }
  return *profile;
}

nlohmann::ordered_json masked_or_null(const std::string& secret) {
  return text_or_null(mask_secret(secret));
}

// One profile as JSON, secrets masked: the shape of `list` and `show` (docs/json.md).
nlohmann::ordered_json to_json(const Profile& profile, const ConfigFile& config) {
  nlohmann::ordered_json json;
  json["name"] = profile.name;
  json["default"] = profile.name == config.default_profile;
  json["twilio_account_sid"] = text_or_null(profile.twilio_account_sid);
  json["twilio_auth_token"] = masked_or_null(profile.twilio_auth_token);
  json["twilio_api_key"] = text_or_null(profile.twilio_api_key);
  json["twilio_api_secret"] = masked_or_null(profile.twilio_api_secret);
  json["twilio_base_url"] = text_or_null(profile.twilio_base_url);
  json["twilio_pricing_base_url"] = text_or_null(profile.twilio_pricing_base_url);
  for (const auto& [key, shown] : shown_provider_values(profile)) {
    json[key] = shown ? nlohmann::ordered_json(*shown) : nlohmann::ordered_json();
  }
  json["default_country"] = text_or_null(profile.default_country);
  json["router_url"] = text_or_null(profile.router_url);
  json["concurrency"] =
      profile.concurrency ? nlohmann::ordered_json(*profile.concurrency) : nlohmann::ordered_json();
  json["agent_provider"] = text_or_null(profile.agent_provider);
  return json;
}

std::string twilio_cell(const nlohmann::ordered_json& record) {
  if (record["twilio_account_sid"].is_null()) {
    return "-";
  }
  std::string text = record["twilio_account_sid"].get<std::string>();
  if (!record["twilio_api_key"].is_null()) {
    text += " key " + record["twilio_api_key"].get<std::string>() + " " +
            display(record["twilio_api_secret"]);
  }
  if (!record["twilio_auth_token"].is_null()) {
    text += " token " + record["twilio_auth_token"].get<std::string>();
  }
  return text;
}

// A voice-agent provider's cell: its summary of the shown values (secrets masked), else its
// credentials, space-separated.
std::string provider_cell(const AgentProviderDescriptor& provider,
                          const nlohmann::ordered_json& record) {
  auto shown = [&](const std::string& key) -> std::optional<std::string> {
    auto found = record.find(key);
    if (found == record.end() || !found->is_string()) {
      return std::nullopt;
    }
    return found->get<std::string>();
  };
  if (provider.summary) {
    return provider.summary(shown);
  }
  std::string text;
  for (const ProviderSetting* credential : provider.settings_of(SettingRole::credential)) {
    if (auto value = shown(credential->key)) {
      text += (text.empty() ? "" : " ") + *value;
    }
  }
  return text.empty() ? "-" : text;
}

bool is_base_url_key(const std::string& key) {
  return key.size() > 9 && key.compare(key.size() - 9, 9, "_base_url") == 0;
}

std::string base_urls_cell(const nlohmann::ordered_json& record) {
  std::vector<std::string> keys{"twilio_base_url", "twilio_pricing_base_url"};
  for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
    for (const ProviderSetting& setting : provider->settings) {
      if (is_base_url_key(setting.key)) {
        keys.push_back(setting.key);
      }
    }
  }
  std::string text;
  for (const std::string& key : keys) {
    if (!record[key].is_null()) {
      text += (text.empty() ? "" : " ") + record[key].get<std::string>();
    }
  }
  return text.empty() ? "-" : text;
}

std::vector<Column> profile_columns() {
  std::vector<Column> columns{field("NAME", "name"),
                              Column{"DEFAULT",
                                     [](const nlohmann::ordered_json& record) {
                                       return record["default"].get<bool>() ? std::string("*")
                                                                            : std::string();
                                     }},
                              Column{"TWILIO", twilio_cell}};
  for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
    if (provider->has_account()) {
      columns.push_back(
          Column{upper(provider->display_name), [provider](const nlohmann::ordered_json& record) {
                   return provider_cell(*provider, record);
                 }});
    }
  }
  columns.push_back(field("COUNTRY", "default_country"));
  columns.push_back(field("CONCURRENCY", "concurrency"));
  columns.push_back(field("AGENT PROVIDER", "agent_provider"));
  columns.push_back(Column{"BASE URLS", base_urls_cell});
  return columns;
}

// The setting of `provider` that names its account (Synthflow's workspace id), or null.
const ProviderSetting* account_setting(const AgentProviderDescriptor& provider) {
  for (const ProviderSetting& setting : provider.settings) {
    if (setting.names_the_account) {
      return &setting;
    }
  }
  return nullptr;
}

// `text` with `{account}` replaced by `account`.
std::string with_account(std::string text, const std::string& account) {
  const std::string marker = "{account}";
  if (auto at = text.find(marker); at != std::string::npos) {
    text.replace(at, marker.size(), account);
  }
  return text;
}

// The credentials of the voice-agent providers: the setting naming the account from its flag
// (else its variable, from the environment), then the secrets, read or asked only for an
// account given; a provider without such a setting has its secrets always read or asked.
void fill_provider_credentials(Profile& profile, const AddOptions& options, SecretSource source) {
  for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
    const ProviderSetting* account = account_setting(*provider);
    std::string account_value;
    if (account != nullptr) {
      auto flag = options.provider_flags.find(account->key);
      account_value = flag == options.provider_flags.end() ? std::string() : flag->second;
      if (account_value.empty() && source == SecretSource::environment) {
        account_value = env(account->variable.c_str());
      }
      profile.provider_values[account->key] = account_value;
      if (account_value.empty()) {
        continue;
      }
    }
    for (const ProviderSetting* credential : provider->settings_of(SettingRole::credential)) {
      if (credential == account) {
        continue;
      }
      profile.provider_values[credential->key] =
          source == SecretSource::environment
              ? env(credential->variable.c_str())
              : (credential->secrecy == Secrecy::secret
                     ? ask_secret(with_account(credential->prompt, account_value))
                     : AppContext::ask(with_account(credential->prompt, account_value), ""));
    }
    // The router's webhook secrets of the account (Synthflow's), those with a question; the
    // others are `router setup`'s to write.
    for (const ProviderSetting* webhook : provider->settings_of(SettingRole::webhook)) {
      if (webhook->prompt.empty()) {
        continue;
      }
      profile.provider_values[webhook->key] =
          source == SecretSource::environment
              ? env(webhook->variable.c_str())
              : (webhook->secrecy == Secrecy::secret
                     ? ask_secret(with_account(webhook->prompt, account_value))
                     : AppContext::ask(with_account(webhook->prompt, account_value), ""));
    }
  }
}

// A provider whose account is named but a secret is missing cannot be used.
void check_provider_credentials(const Profile& profile, SecretSource source) {
  for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
    const ProviderSetting* account = account_setting(*provider);
    if (account == nullptr || profile.value(account->key).empty()) {
      continue;
    }
    for (const ProviderSetting* credential : provider->settings_of(SettingRole::credential)) {
      if (credential != account && profile.value(credential->key).empty()) {
        throw Error(ErrorKind::invalid_input,
                    "no " + credential->noun + " for the " + provider->display_name + " " +
                        account->noun + " " + profile.value(account->key),
                    source == SecretSource::environment
                        ? "set " + credential->variable
                        : "type the " + credential->noun + " at the prompt");
      }
    }
  }
}

// A provider's webhook settings are shown once (Synthflow's secret in its dashboard, ElevenLabs'
// when `router setup` creates the webhook): a replaced profile keeps them unless new ones are
// given, as long as it names the same account of the provider (or the provider names none).
void keep_webhook_settings(Profile& profile, const Profile& previous) {
  for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
    const ProviderSetting* account = account_setting(*provider);
    if (account != nullptr && profile.value(account->key) != previous.value(account->key)) {
      continue;
    }
    for (const ProviderSetting* webhook : provider->settings_of(SettingRole::webhook)) {
      if (profile.value(webhook->key).empty() && !previous.value(webhook->key).empty()) {
        profile.provider_values[webhook->key] = previous.value(webhook->key);
      }
    }
  }
}

// Fills the credentials of `profile` from the environment or from prompts, and checks that
// they make a usable set.
void fill_credentials(Profile& profile, const AddOptions& options, SecretSource source) {
  profile.twilio_account_sid = options.twilio_account_sid;
  profile.twilio_api_key = options.twilio_api_key;
  if (source == SecretSource::environment) {
    if (profile.twilio_account_sid.empty()) {
      profile.twilio_account_sid = env("TWILIO_ACCOUNT_SID");
    }
    if (profile.twilio_api_key.empty()) {
      profile.twilio_api_key = env("TWILIO_API_KEY");
    }
    // Secrets only for the account given: a token from the environment may be another's.
    if (!profile.twilio_account_sid.empty()) {
      profile.twilio_auth_token = env("TWILIO_AUTH_TOKEN");
      if (!profile.twilio_api_key.empty()) {
        profile.twilio_api_secret = env("TWILIO_API_SECRET");
      }
    }
  } else {
    if (profile.twilio_account_sid.empty()) {
      profile.twilio_account_sid =
          AppContext::ask("Twilio Account SID (AC..., empty for no Twilio account)", "");
    }
    if (!profile.twilio_account_sid.empty()) {
      if (!profile.twilio_api_key.empty()) {
        profile.twilio_api_secret =
            ask_secret("Twilio API secret of " + profile.twilio_api_key + " (not shown)");
      } else {
        profile.twilio_auth_token = ask_secret("Twilio auth token (not shown)");
      }
    }
  }
  // Secrets only for an account given (as Twilio's): most profiles have no Synthflow workspace.
  fill_provider_credentials(profile, options, source);
  check_value(options.twilio_account_sid.empty() ? "the Account SID" : "--twilio-account-sid",
              "twilio_account_sid", profile.twilio_account_sid);
  check_value(options.twilio_api_key.empty() ? "the API key" : "--twilio-api-key", "twilio_api_key",
              profile.twilio_api_key);
  bool from_env = source == SecretSource::environment;
  if (profile.twilio_account_sid.empty() && !profile.twilio_api_key.empty()) {
    throw Error(ErrorKind::invalid_input, "a Twilio API key needs the Account SID it belongs to",
                from_env ? "set TWILIO_ACCOUNT_SID or pass --twilio-account-sid"
                         : "pass --twilio-account-sid");
  }
  if (!profile.twilio_api_key.empty() && profile.twilio_api_secret.empty()) {
    throw Error(ErrorKind::invalid_input,
                "no secret for the Twilio API key " + profile.twilio_api_key,
                from_env ? "set TWILIO_API_SECRET" : "type the secret at the prompt");
  }
  if (!profile.twilio_account_sid.empty() && profile.twilio_api_key.empty() &&
      profile.twilio_auth_token.empty()) {
    throw Error(ErrorKind::invalid_input,
                "no auth token for the Twilio account " + profile.twilio_account_sid,
                from_env ? "set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET"
                         : "type the auth token at the prompt, or pass --twilio-api-key");
  }
  check_provider_credentials(profile, source);
}

void run_add(AppContext& context, const AddOptions& options) {
  check_name(options.name);
  Profile profile;
  profile.name = options.name;
  profile.twilio_base_url = options.twilio_base_url;
  profile.twilio_pricing_base_url = options.twilio_pricing_base_url;
  for (char c : options.default_country) {
    profile.default_country += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  check_value("--twilio-base-url", "twilio_base_url", profile.twilio_base_url);
  check_value("--twilio-pricing-base-url", "twilio_pricing_base_url",
              profile.twilio_pricing_base_url);
  for (const auto& [key, value] : options.provider_flags) {
    check_value(flag_of(key), key, value);
    auto [provider, setting] = find_provider_setting(registered_agent_providers(), key);
    if (setting != nullptr && setting->role == SettingRole::option) {
      profile.provider_values[key] = value;
    }
  }
  check_value("--default-country", "default_country", profile.default_country);
  profile.agent_provider = options.agent_provider;
  check_value("--agent-provider", "agent_provider", profile.agent_provider);
  if (options.concurrency != 0) {
    profile.concurrency = options.concurrency;
  }

  auto path = config_file_path();
  ConfigFile config = read_config_file(path);
  Profile* previous = config.find(options.name);
  if (previous != nullptr && !options.replace) {
    throw Error(ErrorKind::conflict,
                "profile '" + options.name + "' already exists in " + path.string(),
                "add --replace to write it again, or choose another name");
  }
  // Asked only once the name is known to be free, so nothing is typed for nothing.
  bool prompt = !options.from_env && isatty(STDIN_FILENO) != 0;
  fill_credentials(profile, options, prompt ? SecretSource::prompt : SecretSource::environment);

  if (previous != nullptr) {
    // What `router setup` wrote is not a credential of the accounts: a new key keeps the router
    // (and the webhook secret ElevenLabs shows only once).
    profile.router_url = previous->router_url;
    keep_webhook_settings(profile, *previous);
    *previous = profile;
  } else {
    config.profiles.push_back(profile);
  }
  if (config.default_profile.empty() || config.find(config.default_profile) == nullptr) {
    config.default_profile = profile.name;
  }
  write_config_file(path, config);

  context.note(std::string(previous != nullptr ? "replaced" : "added") + " profile '" +
               profile.name + "' in " + path.string() +
               (config.default_profile == profile.name ? " (the default profile)" : ""));
  if (!profile.has_any_credentials()) {
    context.note("profile '" + profile.name +
                 "' holds no credentials: commands using it run against the sandbox");
  }
  write_object(std::cout, context.output_format(), to_json(profile, config));
}

void run_list(AppContext& context) {
  auto path = config_file_path();
  ConfigFile config = read_config_file(path);
  if (config.profiles.empty() && context.output_format() == OutputFormat::table) {
    context.note("no profiles in " + path.string() + "; add one with 'vami profiles add NAME'");
  }
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  for (const Profile& profile : config.profiles) {
    records.push_back(to_json(profile, config));
  }
  write_records(std::cout, context.output_format(), records, profile_columns());
}

void run_show(AppContext& context, const NameOptions& options) {
  ConfigFile config = read_config_file(config_file_path());
  write_object(std::cout, context.output_format(), to_json(existing(config, options.name), config));
}

void run_use(AppContext& context, const NameOptions& options) {
  auto path = config_file_path();
  ConfigFile config = read_config_file(path);
  existing(config, options.name);
  config.default_profile = options.name;
  write_config_file(path, config);
  context.note("the default profile is now '" + options.name + "'");
}

void run_remove(AppContext& context, const NameOptions& options) {
  auto path = config_file_path();
  ConfigFile config = read_config_file(path);
  existing(config, options.name);
  bool was_default = config.default_profile == options.name;
  if (options.dry_run) {
    context.note("would remove profile '" + options.name + "' and its credentials from " +
                 path.string() + (was_default ? " (it is the default profile)" : ""));
    return;
  }
  if (!context.confirm("remove profile '" + options.name + "' and its credentials from " +
                           path.string() + "?",
                       "remove profile '" + options.name + "'")) {
    throw Error(ErrorKind::invalid_input, "not confirmed; nothing was removed");
  }
  std::erase_if(config.profiles,
                [&](const Profile& profile) { return profile.name == options.name; });
  // Never switch accounts silently: with the default gone, none is the default.
  if (was_default) {
    config.default_profile.clear();
  }
  write_config_file(path, config);
  context.note("removed profile '" + options.name + "'" +
               (was_default ? "; there is no default profile now: choose one with 'vami "
                              "profiles use NAME'"
                            : ""));
}

} // namespace

void register_profiles_commands(CLI::App& app, AppContext& context) {
  auto* profiles = app.add_subcommand(
      "profiles", "Named credentials and defaults in the config file ($XDG_CONFIG_HOME/vami)");
  profiles->require_subcommand(1);
  profiles->footer(
      "Precedence: flags, then environment variables, then the profile (--profile, VAMI_PROFILE,\n"
      "else default_profile), then the sandbox. Each provider's credentials come from one\n"
      "place: any TWILIO_* credential variable set means none come from the profile.\n"
      "The config file is VAMI_CONFIG, else $XDG_CONFIG_HOME/vami/config.toml, else\n"
      "~/.config/vami/config.toml; vami refuses to read it when others can.");

  auto add = std::make_shared<AddOptions>();
  auto* add_command = profiles->add_subcommand(
      "add", "Add a profile: secrets are typed at a prompt, or read from the environment");
  add_command->footer(profiles_add_footer());
  add_command->add_option("name", add->name, "Profile name: a-z, 0-9, _ and -")->required();
  add_command->add_option("--twilio-account-sid", add->twilio_account_sid, "Twilio Account SID")
      ->type_name("AC...");
  add_command
      ->add_option("--twilio-api-key", add->twilio_api_key,
                   "Twilio API key SID, used with its secret instead of the auth token")
      ->type_name("SK...");
  add_command->add_option("--twilio-base-url", add->twilio_base_url, "Twilio API base URL")
      ->type_name("URL");
  add_command
      ->add_option("--twilio-pricing-base-url", add->twilio_pricing_base_url,
                   "Twilio Pricing API base URL")
      ->type_name("URL");
  // Each voice-agent provider's plain settings, as their descriptors declare them.
  std::vector<std::string> provider_names;
  for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
    provider_names.push_back(provider->name);
    for (const ProviderSetting& setting : provider->settings) {
      // Secrets are asked; the router's webhook settings are written by `router setup`.
      if (setting.secrecy == Secrecy::secret || setting.role == SettingRole::webhook) {
        continue;
      }
      auto* option =
          add_command->add_option(flag_of(setting.key), add->provider_flags[setting.key],
                                  setting.flag_help.empty() ? setting.help : setting.flag_help);
      if (!setting.choices.empty()) {
        option->check(CLI::IsMember(setting.choices));
      } else if (!setting.type_name.empty()) {
        option->type_name(setting.type_name);
      } else if (is_base_url_key(setting.key)) {
        option->type_name("URL");
      }
    }
  }
  add_command
      ->add_option("--default-country", add->default_country,
                   "Default of --country (ISO 3166-1 alpha-2)")
      ->type_name("CC");
  add_command
      ->add_option("--agent-provider", add->agent_provider,
                   "Default voice-agent provider of 'agents create --provider', 'onboard "
                   "--agent-provider' and 'voices list --provider': " +
                       joined_words(provider_names) + " (unset: " + provider_names.front() + ")")
      ->check(CLI::IsMember(provider_names));
  add_command
      ->add_option("--concurrency", add->concurrency, "Default of --concurrency of bulk commands")
      ->check(CLI::Range(1, k_max_concurrency))
      ->type_name("N");
  add_command->add_flag("--from-env", add->from_env,
                        "Read the secrets from environment variables, even on a terminal");
  add_command->add_flag("--replace", add->replace, "Write over a profile of the same name");
  add_command->callback([&context, add] { run_add(context, *add); });

  auto* list_command =
      profiles->add_subcommand("list", "List the profiles, secrets masked, the default marked *");
  list_command->callback([&context] { run_list(context); });

  auto show = std::make_shared<NameOptions>();
  auto* show_command = profiles->add_subcommand("show", "Show one profile, secrets masked");
  show_command->add_option("name", show->name, "Profile name")->required();
  show_command->callback([&context, show] { run_show(context, *show); });

  auto use = std::make_shared<NameOptions>();
  auto* use_command =
      profiles->add_subcommand("use", "Make a profile the default (default_profile)");
  use_command->add_option("name", use->name, "Profile name")->required();
  use_command->callback([&context, use] { run_use(context, *use); });

  auto remove = std::make_shared<NameOptions>();
  auto* remove_command =
      profiles->add_subcommand("remove", "Remove a profile and its credentials from the file");
  remove_command->add_option("name", remove->name, "Profile name")->required();
  remove_command->add_flag("--dry-run", remove->dry_run, "Show what would be removed");
  remove_command->callback([&context, remove] { run_remove(context, *remove); });
}

} // namespace vami::cli
