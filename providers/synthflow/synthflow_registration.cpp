// Synthflow as a registered voice-agent provider (providers/agent_provider_list.cpp): its
// settings (an API key and the workspace it belongs to, a base URL or a region), how it is made,
// live or on the sandbox's emulator (/synthflow/v2), and what vami says when its credentials
// are missing or half set.
#include <algorithm>

#include "missing_credentials.hpp"

#include <vami/core/document_file.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/provider_factory.hpp>
#include <vami/providers/synthflow_provider.hpp>

namespace vami {

namespace {

constexpr const char* k_api_key = "synthflow_api_key";
constexpr const char* k_workspace_id = "synthflow_workspace_id";

Error missing(const ProviderSettings& settings, const AgentProviderList& list) {
  using namespace credentials;
  const std::string profile = settings.credentials_profile("synthflow");
  std::vector<const ProviderSetting*> credentials =
      find_agent_provider(list, "synthflow")->settings_of(SettingRole::credential);
  auto name = [&](const ProviderSetting* credential) {
    return profile.empty() ? credential->variable : credential->key;
  };
  std::vector<std::string> missing;
  std::vector<std::string> present;
  for (const ProviderSetting* credential : credentials) {
    (settings.setting(credential->key).empty() ? missing : present).push_back(name(credential));
  }
  Others others = others_than(settings, "synthflow", list);
  // A half-set Synthflow pair keeps the sandbox off by itself.
  std::vector<std::string> set = present;
  set.insert(set.end(), others.set.begin(), others.set.end());
  std::vector<std::string> variables = profile.empty() ? present : std::vector<std::string>();
  variables.insert(variables.end(), others.variables.begin(), others.variables.end());
  std::vector<std::string> profiles = others.from_profile;
  if (!profile.empty() && !present.empty() &&
      std::find(profiles.begin(), profiles.end(), profile) == profiles.end()) {
    profiles.push_back(profile);
  }
  const std::string in_profile = profile.empty() ? std::string() : " of profile '" + profile + "'";
  std::string what =
      present.empty()
          ? "no Synthflow credentials" + and_in_profile(settings) + and_list(missing) +
                " are not set (nor synthflow_api_key and synthflow_workspace_id in a profile)"
          : "Synthflow credentials are incomplete: " + and_list(missing) + in_profile +
                is_or_are(missing) + " not set, while " + and_list(present) + is_or_are(present) +
                " set";
  what += why_no_sandbox(set);
  std::string hint =
      missing.size() == 2 ? "set SYNTHFLOW_API_KEY to an API key of the Synthflow workspace and "
                            "SYNTHFLOW_WORKSPACE_ID to its id"
      : missing.front() == name(credentials.front())
          ? "set " + missing.front() + in_profile + " to an API key of the workspace " +
                name(credentials.back()) + " names"
          : "set " + missing.front() + in_profile +
                " to the id of the Synthflow workspace the key belongs to";
  hint += or_write_the_profile(settings, "them");
  hint += to_use_the_sandbox(variables, profiles);
  return Error(ErrorKind::auth, what, hint);
}

// "ws_1 key ••••a1b2 (eu)": the workspace, its masked key and the region.
std::string summary(const std::function<std::optional<std::string>(const std::string&)>& shown) {
  const std::optional<std::string> workspace = shown(k_workspace_id);
  const std::optional<std::string> key = shown(k_api_key);
  if (!workspace && !key) {
    return "-";
  }
  std::string text = workspace && !workspace->empty() ? *workspace : std::string("-");
  if (key) {
    text += " key " + *key;
  }
  if (const std::optional<std::string> region = shown("synthflow_region")) {
    text += " (" + *region + ")";
  }
  return text;
}

} // namespace

const AgentProviderDescriptor& synthflow_registration() {
  static const AgentProviderDescriptor descriptor = [] {
    AgentProviderDescriptor made;
    made.name = "synthflow";
    made.display_name = "Synthflow";
    ProviderSetting key;
    key.key = k_api_key;
    key.variable = "SYNTHFLOW_API_KEY";
    key.role = SettingRole::credential;
    key.secrecy = Secrecy::secret;
    key.help = "The Synthflow API key (agents --provider synthflow, knowledge, voices), with "
               "SYNTHFLOW_WORKSPACE_ID.";
    key.noun = "API key";
    key.prompt = "Synthflow API key of workspace {account} (not shown)";
    ProviderSetting workspace;
    workspace.key = k_workspace_id;
    workspace.variable = "SYNTHFLOW_WORKSPACE_ID";
    workspace.role = SettingRole::credential;
    workspace.help = "The Synthflow workspace (its voices and numbers).";
    workspace.flag_help =
        "Synthflow workspace id (its API key is asked, or read from SYNTHFLOW_API_KEY)";
    workspace.type_name = "ID";
    workspace.names_the_account = true;
    workspace.noun = "workspace";
    ProviderSetting base_url;
    base_url.key = "synthflow_base_url";
    base_url.variable = "VAMI_SYNTHFLOW_BASE_URL";
    base_url.role = SettingRole::option;
    base_url.help = "Replaces https://api.synthflow.ai/v2.";
    base_url.flag_help = "Synthflow API base URL, ending in /v2 (unset: the region's)";
    ProviderSetting region;
    region.key = "synthflow_region";
    region.variable = "VAMI_SYNTHFLOW_REGION";
    region.role = SettingRole::option;
    region.help = "The Synthflow region: us (api.us.synthflow.ai) or eu (api.eu.synthflow.ai).";
    region.flag_help = "Synthflow region: us or eu (unset: the global API)";
    region.choices = {"us", "eu"};
    region.not_a_choice = "is not a Synthflow region (us or eu; leave it unset for the global API)";
    made.settings = {key, workspace, base_url, region};
    made.make = [](const AgentProviderConnection& connection) {
      return make_synthflow_provider(connection.settings, *connection.http);
    };
    made.missing = missing;
    made.sandbox_settings = [](const SandboxAccount& account) {
      // Derived from the sandbox account's auth token, as the emulator derives them.
      return std::vector<std::pair<std::string, std::string>>{
          {"synthflow_base_url", account.base_url + "/synthflow/v2"},
          {k_api_key, "sf_" + sha256_hex("synthflow-api-key:" + account.auth_token).substr(0, 40)},
          {k_workspace_id,
           "ws_" + sha256_hex("synthflow-workspace:" + account.auth_token).substr(0, 24)},
      };
    };
    made.summary = summary;
    return made;
  }();
  return descriptor;
}

} // namespace vami
