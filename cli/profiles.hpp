#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <vami/providers/agent_provider_registration.hpp>

namespace vami::cli {

/// One named set of provider credentials and defaults: a `[profiles.NAME]` table of the config
/// file (docs/configuration.md). Empty strings are unset keys.
struct Profile {
  std::string name;                    ///< The table name: [a-z0-9][a-z0-9_-]{0,31}.
  std::string twilio_account_sid;      ///< "AC" + 32 hex digits.
  std::string twilio_auth_token;       ///< Secret.
  std::string twilio_api_key;          ///< "SK" + 32 hex digits, used with the secret below.
  std::string twilio_api_secret;       ///< Secret.
  std::string twilio_base_url;         ///< Replaces https://api.twilio.com.
  std::string twilio_pricing_base_url; ///< Replaces https://pricing.twilio.com.
  /// The voice-agent providers' keys (`AgentProviderDescriptor::settings`: credentials, base
  /// URLs, regions, the router's webhook secrets and ids), by key ("elevenlabs_api_key",
  /// "synthflow_region", "synthflow_webhook_secret"); empty values are unset.
  std::map<std::string, std::string> provider_values;
  std::string default_country;    ///< ISO 3166 alpha-2; the default of `--country`.
  std::optional<int> concurrency; ///< 1..64; the default of `--concurrency`.
  /// The voice-agent provider of new agents when `--provider` / `--agent-provider` is not
  /// given (`agents create`, `onboard`, `voices list`): a registered name ("elevenlabs",
  /// "stream", "synthflow"); empty means elevenlabs.
  std::string agent_provider;
  /// The call router of webhook routing (`<public>/twilio/voice`), as `--router-url`; written
  /// by `vami router setup`.
  std::string router_url;

  /// Whether any Twilio credential (SID, token, key or secret) is set.
  [[nodiscard]] bool has_twilio_credentials() const noexcept;
  /// The value of the voice-agent providers' key `key` ("" when unset).
  [[nodiscard]] std::string value(const std::string& key) const;
  /// Whether any credential of `provider` is set.
  [[nodiscard]] bool has_credentials_of(const AgentProviderDescriptor& provider) const;
  /// Whether any credential of the provider named `provider_name` in `list` is set (false for a
  /// name the list does not hold).
  [[nodiscard]] bool
  has_credentials_of(const std::string& provider_name,
                     const AgentProviderList& list = registered_agent_providers()) const;
  /// Whether every credential of `provider` is set (it can be used: an ElevenLabs key, a
  /// Synthflow key with its workspace id).
  [[nodiscard]] bool has_all_credentials_of(const AgentProviderDescriptor& provider) const;
  /// Whether the profile holds the credentials of at least one voice-agent provider of `list`
  /// (`has_all_credentials_of`): what a tenant's own account needs (`tenants update --profile`).
  [[nodiscard]] bool
  has_voice_agent_credentials(const AgentProviderList& list = registered_agent_providers()) const;
  /// Whether any credential of any provider (Twilio or `list`'s) is set.
  [[nodiscard]] bool
  has_any_credentials(const AgentProviderList& list = registered_agent_providers()) const;
};

/// The whole config file: `default_profile = "NAME"` and the `[profiles.NAME]` tables, in the
/// order of the file.
struct ConfigFile {
  std::string default_profile; ///< Empty when unset.
  std::vector<Profile> profiles;

  /// The profile called `name`, or null.
  [[nodiscard]] const Profile* find(const std::string& name) const noexcept;
  /// The profile called `name`, or null.
  [[nodiscard]] Profile* find(const std::string& name) noexcept;
  /// The names of every profile, in file order.
  [[nodiscard]] std::vector<std::string> names() const;
};

/// The config file's path: $VAMI_CONFIG, else $XDG_CONFIG_HOME/vami/config.toml, else
/// $HOME/.config/vami/config.toml.
/// @throws Error(invalid_input) when none of VAMI_CONFIG, XDG_CONFIG_HOME and HOME is set.
[[nodiscard]] std::filesystem::path config_file_path();

/// Reads and checks the config file at `path`: the keys of `Profile`'s members and the settings
/// of `list`'s providers (`provider_values`). A missing file is an empty config.
/// @throws Error(invalid_input) (exit 2) when the file or its folder is open to group or others
///         (nothing is read then), when it is not valid TOML, or for an unknown key, a key of
///         the wrong type or a bad value; the message names the file, line and key. Never
///         includes a secret value in a message.
[[nodiscard]] ConfigFile
read_config_file(const std::filesystem::path& path,
                 const AgentProviderList& list = registered_agent_providers());

/// Writes `config` to `path` atomically: the folder is created 0700 if missing, a temporary
/// file is created 0600 in the same folder, written, fsync'ed and renamed over `path`.
/// @throws Error(storage) when the folder or file cannot be written; Error(invalid_input) for an
///         invalid profile name.
void write_config_file(const std::filesystem::path& path, const ConfigFile& config);

/// The profile names of the config file at `config_file_path()`, in file order; empty when the
/// file is missing or cannot be read (for shell completion, which must never fail).
[[nodiscard]] std::vector<std::string> profile_names();

/// Whether `name` is a valid profile name: [a-z0-9][a-z0-9_-]{0,31}.
[[nodiscard]] bool is_valid_profile_name(const std::string& name) noexcept;

/// What is wrong with `value` as the profile key `key` ("is not an Account SID (AC followed by 32
/// hex digits)"), or "" when it is fine or empty. Checks twilio_account_sid, twilio_api_key,
/// default_country (capitals), agent_provider (a provider of `list`), the settings of `list`'s
/// providers (`provider_setting_problem`: their choices, such as synthflow_region "us" or "eu"),
/// the *_base_url keys and router_url (http:// or https://); never quotes the value.
[[nodiscard]] std::string
check_profile_value(const std::string& key, const std::string& value,
                    const AgentProviderList& list = registered_agent_providers());

/// The settings of `list`'s providers in `profile` as output shows them, in the order of the
/// list: each key with its value, secrets masked (`mask_secret`), nullopt when unset.
[[nodiscard]] std::vector<std::pair<std::string, std::optional<std::string>>>
shown_provider_values(const Profile& profile,
                      const AgentProviderList& list = registered_agent_providers());

/// `secret` masked for display: "••••" and its last 4 characters ("••••a1b2"), only "••••"
/// when it is 8 characters or shorter, "" when empty.
[[nodiscard]] std::string mask_secret(const std::string& secret);

/// Selects the profile for this command: `flag_name` (--profile), else $VAMI_PROFILE, else the
/// file's default_profile, else none (null). Reads the config file only when needed.
/// @throws Error(not_found) (exit 3) for an unknown name, listing the known names;
///         the errors of `read_config_file`.
[[nodiscard]] std::optional<Profile> select_profile(const std::string& flag_name);

} // namespace vami::cli
