// `vami profiles`: named credentials and defaults in the config file. Secrets are typed at a
// prompt or taken from the environment, never from a flag (it would land in shell history),
// and are shown masked everywhere.
#include <cstdlib>
#include <iostream>

#include "agent_provider_registry.hpp"
#include "app.hpp"
#include "profiles.hpp"
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
  std::string elevenlabs_base_url;
  std::string synthflow_workspace_id;
  std::string synthflow_base_url;
  std::string synthflow_region;
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
  json["elevenlabs_api_key"] = masked_or_null(profile.elevenlabs_api_key);
  json["twilio_base_url"] = text_or_null(profile.twilio_base_url);
  json["twilio_pricing_base_url"] = text_or_null(profile.twilio_pricing_base_url);
  json["elevenlabs_base_url"] = text_or_null(profile.elevenlabs_base_url);
  json["synthflow_api_key"] = masked_or_null(profile.synthflow_api_key);
  json["synthflow_workspace_id"] = text_or_null(profile.synthflow_workspace_id);
  json["synthflow_base_url"] = text_or_null(profile.synthflow_base_url);
  json["synthflow_region"] = text_or_null(profile.synthflow_region);
  json["synthflow_webhook_secret"] = masked_or_null(profile.synthflow_webhook_secret);
  json["default_country"] = text_or_null(profile.default_country);
  json["router_url"] = text_or_null(profile.router_url);
  json["elevenlabs_webhook_id"] = text_or_null(profile.elevenlabs_webhook_id);
  json["elevenlabs_webhook_secret"] = masked_or_null(profile.elevenlabs_webhook_secret);
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

std::string synthflow_cell(const nlohmann::ordered_json& record) {
  if (record["synthflow_workspace_id"].is_null() && record["synthflow_api_key"].is_null()) {
    return "-";
  }
  std::string text = display(record["synthflow_workspace_id"]);
  if (!record["synthflow_api_key"].is_null()) {
    text += " key " + record["synthflow_api_key"].get<std::string>();
  }
  if (!record["synthflow_region"].is_null()) {
    text += " (" + record["synthflow_region"].get<std::string>() + ")";
  }
  return text;
}

std::string base_urls_cell(const nlohmann::ordered_json& record) {
  std::string text;
  for (const char* key : {"twilio_base_url", "twilio_pricing_base_url", "elevenlabs_base_url",
                          "synthflow_base_url"}) {
    if (!record[key].is_null()) {
      text += (text.empty() ? "" : " ") + record[key].get<std::string>();
    }
  }
  return text.empty() ? "-" : text;
}

const std::vector<Column>& profile_columns() {
  static const std::vector<Column> columns{field("NAME", "name"),
                                           Column{"DEFAULT",
                                                  [](const nlohmann::ordered_json& record) {
                                                    return record["default"].get<bool>()
                                                               ? std::string("*")
                                                               : std::string();
                                                  }},
                                           Column{"TWILIO", twilio_cell},
                                           field("ELEVENLABS", "elevenlabs_api_key"),
                                           Column{"SYNTHFLOW", synthflow_cell},
                                           field("COUNTRY", "default_country"),
                                           field("CONCURRENCY", "concurrency"),
                                           field("AGENT PROVIDER", "agent_provider"),
                                           Column{"BASE URLS", base_urls_cell}};
  return columns;
}

// Fills the credentials of `profile` from the environment or from prompts, and checks that
// they make a usable set.
void fill_credentials(Profile& profile, const AddOptions& options, SecretSource source) {
  profile.twilio_account_sid = options.twilio_account_sid;
  profile.twilio_api_key = options.twilio_api_key;
  profile.synthflow_workspace_id = options.synthflow_workspace_id;
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
    profile.elevenlabs_api_key = env("ELEVENLABS_API_KEY");
    if (profile.synthflow_workspace_id.empty()) {
      profile.synthflow_workspace_id = env("SYNTHFLOW_WORKSPACE_ID");
    }
    // Synthflow's secrets only for a workspace given, as Twilio's for an account.
    if (!profile.synthflow_workspace_id.empty()) {
      profile.synthflow_api_key = env("SYNTHFLOW_API_KEY");
      profile.synthflow_webhook_secret = env("VAMI_SYNTHFLOW_WEBHOOK_SECRET");
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
    profile.elevenlabs_api_key = ask_secret("ElevenLabs API key (not shown; empty for none)");
    // Asked only for a workspace given (--synthflow-workspace-id): most profiles have none.
    if (!profile.synthflow_workspace_id.empty()) {
      profile.synthflow_api_key = ask_secret("Synthflow API key of workspace " +
                                             profile.synthflow_workspace_id + " (not shown)");
      profile.synthflow_webhook_secret =
          ask_secret("Synthflow webhook secret (not shown; empty for none)");
    }
  }
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
  if (!profile.synthflow_workspace_id.empty() && profile.synthflow_api_key.empty()) {
    throw Error(ErrorKind::invalid_input,
                "no API key for the Synthflow workspace " + profile.synthflow_workspace_id,
                from_env ? "set SYNTHFLOW_API_KEY" : "type the API key at the prompt");
  }
}

void run_add(AppContext& context, const AddOptions& options) {
  check_name(options.name);
  Profile profile;
  profile.name = options.name;
  profile.twilio_base_url = options.twilio_base_url;
  profile.twilio_pricing_base_url = options.twilio_pricing_base_url;
  profile.elevenlabs_base_url = options.elevenlabs_base_url;
  for (char c : options.default_country) {
    profile.default_country += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  check_value("--twilio-base-url", "twilio_base_url", profile.twilio_base_url);
  check_value("--twilio-pricing-base-url", "twilio_pricing_base_url",
              profile.twilio_pricing_base_url);
  check_value("--elevenlabs-base-url", "elevenlabs_base_url", profile.elevenlabs_base_url);
  profile.synthflow_base_url = options.synthflow_base_url;
  profile.synthflow_region = options.synthflow_region;
  check_value("--synthflow-base-url", "synthflow_base_url", profile.synthflow_base_url);
  check_value("--synthflow-region", "synthflow_region", profile.synthflow_region);
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
    profile.elevenlabs_webhook_id = previous->elevenlabs_webhook_id;
    profile.elevenlabs_webhook_secret = previous->elevenlabs_webhook_secret;
    // Synthflow's webhook secret is shown once in its dashboard: kept unless a new one is given.
    if (profile.synthflow_webhook_secret.empty() &&
        profile.synthflow_workspace_id == previous->synthflow_workspace_id) {
      profile.synthflow_webhook_secret = previous->synthflow_webhook_secret;
    }
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
  if (!profile.has_twilio_credentials() && !profile.has_elevenlabs_credentials() &&
      !profile.has_synthflow_credentials()) {
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
  add_command->footer(
      "Secrets are never flag values. On a terminal vami asks for the auth token (or API\n"
      "secret) and the ElevenLabs key without echo, and, with --synthflow-workspace-id, the\n"
      "Synthflow API key and webhook secret; with --from-env, or when standard input is not a\n"
      "terminal, it reads TWILIO_AUTH_TOKEN, TWILIO_API_SECRET, ELEVENLABS_API_KEY and, for a\n"
      "Synthflow workspace, SYNTHFLOW_API_KEY and VAMI_SYNTHFLOW_WEBHOOK_SECRET (and\n"
      "TWILIO_ACCOUNT_SID, TWILIO_API_KEY, SYNTHFLOW_WORKSPACE_ID when not given as flags).\n"
      "A tenant on its own account ('vami tenants update SLUG --profile NAME') uses the\n"
      "profile's ElevenLabs and Synthflow keys; its Twilio keys are not used for it.\n"
      "The first profile added becomes the default.");
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
  add_command
      ->add_option("--elevenlabs-base-url", add->elevenlabs_base_url, "ElevenLabs API base URL")
      ->type_name("URL");
  add_command
      ->add_option("--synthflow-workspace-id", add->synthflow_workspace_id,
                   "Synthflow workspace id (its API key is asked, or read from SYNTHFLOW_API_KEY)")
      ->type_name("ID");
  add_command
      ->add_option("--synthflow-base-url", add->synthflow_base_url,
                   "Synthflow API base URL, ending in /v2 (unset: the region's)")
      ->type_name("URL");
  add_command
      ->add_option("--synthflow-region", add->synthflow_region,
                   "Synthflow region: us or eu (unset: the global API)")
      ->check(CLI::IsMember({"us", "eu"}));
  add_command
      ->add_option("--default-country", add->default_country,
                   "Default of --country (ISO 3166-1 alpha-2)")
      ->type_name("CC");
  add_command
      ->add_option("--agent-provider", add->agent_provider,
                   "Default voice-agent provider of 'agents create --provider', 'onboard "
                   "--agent-provider' and 'voices list --provider': elevenlabs, stream or "
                   "synthflow (unset: elevenlabs)")
      ->check(CLI::IsMember(AgentProviderRegistry::known_names()));
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
