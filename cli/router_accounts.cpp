// The call router and tenants on their own accounts: where `router setup` keeps each account's
// webhook secret, and which secrets `router serve` checks each account's webhooks with.
#include "router_accounts.hpp"

#include <vector>

#include "profiles.hpp"

#include <vami/core/error.hpp>

namespace vami::cli {

RouterSetupAccountMemory router_account_memory() {
  RouterSetupAccountMemory memory;
  memory.recall = [](const std::string& account) {
    const ConfigFile config = read_config_file(config_file_path());
    RouterSetupMemory found;
    if (const Profile* profile = config.find(account); profile != nullptr) {
      found.webhook_id = profile->elevenlabs_webhook_id;
      found.webhook_secret = profile->elevenlabs_webhook_secret;
    }
    return found;
  };
  // Re-reads the file first, so that nothing written meanwhile is lost.
  memory.remember = [](const std::string& account, const RouterSetupRecord& record) {
    const auto path = config_file_path();
    ConfigFile config = read_config_file(path);
    Profile* profile = config.find(account);
    if (profile == nullptr) {
      throw Error(ErrorKind::not_found,
                  "profile '" + account + "', a tenant's own account, is not in " + path.string(),
                  "add it again with 'vami profiles add " + account + "'");
    }
    profile->elevenlabs_webhook_id = record.webhook_id;
    if (!record.new_secret.empty()) {
      profile->elevenlabs_webhook_secret = record.new_secret;
    }
    write_config_file(path, config);
  };
  return memory;
}

std::map<std::string, AccountWebhookSecrets> router_account_secrets(AppContext& context) {
  std::map<std::string, AccountWebhookSecrets> secrets;
  const ConfigFile config = read_config_file(config_file_path());
  for (const Profile& profile : config.profiles) {
    secrets[profile.name] = {profile.elevenlabs_webhook_secret, profile.synthflow_webhook_secret};
  }
  for (const std::string& account : context.agent_providers().accounts()) {
    if (account.empty()) {
      continue;
    }
    const std::string name = "profile '" + account + "' (a tenant's own account)";
    const Profile* profile = config.find(account);
    if (profile == nullptr) {
      context.note(name + " is not in the config file: webhooks about its tenants' calls are "
                          "refused");
      continue;
    }
    if (profile->has_credentials_of("elevenlabs") && profile->elevenlabs_webhook_secret.empty()) {
      context.note(name + " has no elevenlabs_webhook_secret: post-call webhooks of its agents "
                          "are refused; run 'vami router setup'");
    }
    if (profile->has_credentials_of("synthflow") && profile->synthflow_webhook_secret.empty()) {
      context.note(name + " has no synthflow_webhook_secret: Synthflow's webhooks about its "
                          "tenants are refused; generate it in that Synthflow account (Settings "
                          "> Security > Webhooks) and add it to the profile");
    }
  }
  return secrets;
}

void require_platform_profile(AppContext& context, const std::string& profile,
                              const std::string& command) {
  for (const Tenant& tenant : context.store().list_tenants()) {
    if (tenant.account_profile == profile) {
      throw Error(ErrorKind::invalid_input,
                  "profile '" + profile + "' holds tenant \"" + tenant.slug +
                      "\"'s own account: '" + command +
                      "' cannot keep the platform's webhook secrets in it too",
                  "run it with the platform's profile ('vami --profile NAME " + command +
                      "', or make it the default with 'vami profiles use NAME')");
    }
  }
}

} // namespace vami::cli
