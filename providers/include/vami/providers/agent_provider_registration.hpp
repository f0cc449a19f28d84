#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/core/voice_agent_provider.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/router_webhooks.hpp>

// How a voice-agent provider registers itself (docs/architecture.md, "Adding a provider"): one
// `AgentProviderDescriptor` in its own folder (`providers/<name>/<name>_registration.cpp`) and
// one line in `providers/agent_provider_list.cpp`. Everything else derives from the list: the
// profile keys (accepted, shown masked), the environment variables read, the man page's
// environment section, the `--provider` choices and the words that describe them, the CLI
// registry, the per-account providers with their rate limiters, the connection of the providers
// (live or on the sandbox), and the call router's provider webhooks and their secrets.

namespace vami {

namespace sandbox {
// Private to providers/ (providers/sandbox/provider_emulator.hpp): a provider's emulator and
// what it is made with.
class AgentProviderEmulator;
struct EmulatorContext;
} // namespace sandbox

struct ProviderSettings;
struct AgentProviderDescriptor;

/// Voice-agent providers, in the order `--help` and messages list them.
using AgentProviderList = std::vector<const AgentProviderDescriptor*>;

/// What one setting of a provider is for.
enum class SettingRole {
  /// One of the provider's credentials: read as a group (any of its variables set means all come
  /// from the environment), taken from a tenant's own profile only, and any of them set turns
  /// the sandbox off. The provider is usable when all of them are set.
  credential,
  /// Where or how to reach it (base URL, region): from the environment, else the profile; a
  /// tenant's own profile overrides the platform's.
  option,
  /// What the call router (`vami router serve`, `router setup`) keeps for the provider's
  /// webhooks: their secrets (`RouterWebhook::secret_key`) and ids. Not a credential: it never
  /// turns the sandbox off nor makes the provider usable. From the environment (when it has a
  /// `variable`), else the profile; a tenant's own profile holds its account's.
  webhook,
};

/// Whether a setting's value is a secret: masked in output (`••••` and its last 4 characters),
/// redacted from the `--debug` trace, typed at a prompt rather than given as a flag.
enum class Secrecy { plain, secret };

/// One setting of a voice-agent provider.
struct ProviderSetting {
  std::string key;      ///< The profile key, `<name>_...` ("synthflow_api_key").
  std::string variable; ///< The environment variable ("SYNTHFLOW_API_KEY").
  SettingRole role = SettingRole::credential;
  Secrecy secrecy = Secrecy::plain;
  /// What it is, one sentence: the man page's environment entry.
  std::string help;
  /// The help of its `profiles add` flag (`--` and the key with dashes), for plain settings;
  /// empty: `help`.
  std::string flag_help;
  /// The flag's value name in `--help` ("ID"); empty: "URL" for base URLs, else CLI11's.
  std::string type_name;
  /// The only values allowed (empty: any; keys ending in `_base_url` must be http(s) URLs).
  std::vector<std::string> choices;
  /// What is wrong with a value outside `choices`, after the key ("is not a Synthflow region
  /// (us or eu; ...)"); never quotes the value.
  std::string not_a_choice;
  /// A plain credential that names the account (Synthflow's workspace id): `profiles add` takes
  /// it as a flag and asks or reads the secrets only when it is given. Without one, the
  /// provider's secrets are always asked (empty answers: none).
  bool names_the_account = false;
  /// What the value is called in messages ("API key", "workspace").
  std::string noun;
  /// The question `profiles add` asks for a secret; `{account}` stands for the value of the
  /// setting that names the account. A `webhook` setting with a prompt is asked (or read from
  /// its variable) with the credentials, for an account given; without one, `profiles add`
  /// leaves it to `router setup` and keeps the value a replaced profile had.
  std::string prompt;
  /// A webhook secret: what `router serve` says when the platform's is unset ("no ElevenLabs
  /// webhook secret: ..."), as a note on stderr, or as the error when `router_unset_hint` is set.
  std::string router_unset;
  /// A webhook secret the router cannot start without: the hint of its Error(auth) when unset.
  std::string router_unset_hint;
  /// A webhook secret: why a tenant's own profile holding the provider's credentials needs it,
  /// after "profile 'NAME' (a tenant's own account) has no KEY: " (`router serve`'s note).
  std::string account_unset;
};

/// What a provider is made from: its settings and the other providers' credentials it needs.
struct AgentProviderConnection {
  /// Every provider's settings (`ProviderSettings::setting(key)`); in the sandbox, the
  /// sandbox's values (`AgentProviderDescriptor::sandbox_settings`) in place of the user's.
  const ProviderSettings& settings;
  /// The transport every provider shares (libcurl, or the in-process sandbox), traced and
  /// redacted with `--debug`; null for a provider without settings (it has no remote API).
  http::HttpClient* http = nullptr;
  /// The Twilio credentials in use (HTTP Basic user: the Account SID or an API key SID; its
  /// password), for providers that import Twilio numbers; empty when Twilio has none.
  std::string twilio_username;
  std::string twilio_password;
  /// Twilio's Account Auth Token when the credentials above are an API key; else empty.
  std::string twilio_account_auth_token;
};

/// The sandbox's own account, as the providers' sandbox settings are derived from it.
struct SandboxAccount {
  std::string auth_token; ///< The sandbox Twilio account's auth token: the seed of every key.
  std::string base_url;   ///< Where the sandbox answers (in-process, or `sandbox serve`).
};

/// One voice-agent provider, as it registers itself.
struct AgentProviderDescriptor {
  std::string name;         ///< Stored with its agents (`VoiceAgentProvider::name`).
  std::string display_name; ///< In messages and table headers ("Synthflow").
  /// What it is, after its name in the help of `--provider` and `--agent-provider`: a
  /// parenthesis or "" ("(Synthflow agents: knowledge as text or URL; ...)").
  std::string description;
  /// The same in a few words, for `onboard --agent-provider` ("(native routing, ...)"), or "":
  /// the name alone.
  std::string short_description;
  std::vector<ProviderSetting> settings;
  /// Makes the provider. @throws Error(invalid_input) for a bad setting (a base URL that is not
  /// http(s), an unknown region).
  std::function<std::unique_ptr<VoiceAgentProvider>(const AgentProviderConnection&)> make;
  /// The error when the provider is used while its credentials are missing (the sandbox is off
  /// because others are set), given the list of providers in use (whose credentials are named
  /// as what keeps the sandbox off); null: a generic message names them.
  std::function<Error(const ProviderSettings&, const AgentProviderList&)> missing;
  /// With the generic message (`missing` null): what to set, given the credentials not set (as
  /// named to the user: variables, or a profile's keys) and " of profile 'NAME'" or ""; null:
  /// "set " and their names.
  std::function<std::string(const std::vector<std::string>& missing, const std::string& in_profile)>
      missing_hint;
  /// Its settings in the sandbox (credentials, base URL, webhook secrets), by profile key, in the
  /// order of `settings`, derived from the sandbox account: the one derivation of its sandbox
  /// keys (the in-process sandbox configures the provider with them, `sandbox serve` exports
  /// them as their variables, and its emulator accepts them, `EmulatorContext::settings`).
  /// Null: the provider has no emulator.
  std::function<std::vector<std::pair<std::string, std::string>>(const SandboxAccount&)>
      sandbox_settings;
  /// Makes its emulator in the sandbox (providers/<name>/emulator/): the sandbox creates its
  /// tables, routes the paths it claims to it, names it in the request log and lets it answer
  /// the simulated calls that reach it. Null: none (the provider has no remote API).
  std::function<std::unique_ptr<sandbox::AgentProviderEmulator>(const sandbox::EmulatorContext&)>
      make_emulator;
  /// Its cell in `profiles list`'s table, from the shown values (masked secrets, null unset)
  /// by key; null: the shown values of its credentials, space-separated.
  std::function<std::string(const std::function<std::optional<std::string>(const std::string&)>&)>
      summary;
  /// The webhooks it sends to the call router, mounted by `vami router serve` at their routes.
  std::vector<RouterWebhook> webhooks;

  /// The settings of `role`, in order.
  [[nodiscard]] std::vector<const ProviderSetting*> settings_of(SettingRole role) const;
  /// Whether the provider has credentials, so its agents live in an account (stream: false).
  [[nodiscard]] bool has_account() const;
  /// The setting of profile key `key`, or null.
  [[nodiscard]] const ProviderSetting* setting(const std::string& key) const;
};

/// The voice-agent providers vami knows: the one list, in `providers/agent_provider_list.cpp`.
[[nodiscard]] const AgentProviderList& registered_agent_providers();

/// The provider of `name` in `list`, or null.
[[nodiscard]] const AgentProviderDescriptor* find_agent_provider(const AgentProviderList& list,
                                                                 const std::string& name);

/// The setting of profile key `key` among `list`'s providers (and its provider), or nulls.
[[nodiscard]] std::pair<const AgentProviderDescriptor*, const ProviderSetting*>
find_provider_setting(const AgentProviderList& list, const std::string& key);

/// What is wrong with `value` for `setting` ("is not a Synthflow region (us or eu; ...)"), or ""
/// when it is fine or empty. Never quotes the value.
[[nodiscard]] std::string provider_setting_problem(const ProviderSetting& setting,
                                                   const std::string& value);

} // namespace vami
