// Synthflow as a registered voice-agent provider (providers/agent_provider_list.cpp): its
// settings (an API key and the workspace it belongs to, a base URL or a region), how it is made,
// live or on the sandbox's emulator (/synthflow/v2), and what vami says when its credentials
// are missing or half set.

#include <vami/core/document_file.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/provider_factory.hpp>
#include <vami/providers/synthflow_provider.hpp>

namespace vami {

namespace {

constexpr const char* k_api_key = "synthflow_api_key";
constexpr const char* k_workspace_id = "synthflow_workspace_id";

// What to set when Synthflow's key, its workspace or both are missing (`missing_hint`).
std::string missing_hint(const std::vector<std::string>& missing, const std::string& in_profile) {
  if (missing.size() == 2) {
    return "set SYNTHFLOW_API_KEY to an API key of the Synthflow workspace and "
           "SYNTHFLOW_WORKSPACE_ID to its id";
  }
  const bool from_profile = !in_profile.empty();
  if (missing.front() == (from_profile ? k_api_key : "SYNTHFLOW_API_KEY")) {
    return "set " + missing.front() + in_profile + " to an API key of the workspace " +
           (from_profile ? k_workspace_id : "SYNTHFLOW_WORKSPACE_ID") + " names";
  }
  return "set " + missing.front() + in_profile +
         " to the id of the Synthflow workspace the key belongs to";
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
    made.missing_hint = missing_hint;
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
