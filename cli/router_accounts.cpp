// The call router and tenants on their own accounts: where `router setup` keeps each account's
// webhook secret, and which secrets `router serve` checks each account's webhooks with.
#include "router_accounts.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include "file_reloaded.hpp"
#include "profiles.hpp"

#include <vami/core/error.hpp>

namespace vami::cli {

RouterSetupAccountMemory router_account_memory() {
  RouterSetupAccountMemory memory;
  memory.recall = [](const std::string& account) {
    const ConfigFile config = read_config_file(config_file_path());
    RouterSetupMemory found;
    if (const Profile* profile = config.find(account); profile != nullptr) {
      found.webhook_id = profile->value(k_post_call_webhook_id);
      found.webhook_secret = profile->value(k_post_call_webhook_secret);
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
    profile->provider_values[k_post_call_webhook_id] = record.webhook_id;
    if (!record.new_secret.empty()) {
      profile->provider_values[k_post_call_webhook_secret] = record.new_secret;
    }
    write_config_file(path, config);
  };
  return memory;
}

std::map<std::string, WebhookSecrets> router_account_secrets(AppContext& context,
                                                             const AgentProviderList& list) {
  std::map<std::string, WebhookSecrets> secrets;
  const ConfigFile config = read_config_file(config_file_path(), list);
  for (const Profile& profile : config.profiles) {
    WebhookSecrets& held = secrets[profile.name];
    for (const std::string& key : router_secret_keys(list)) {
      held[key] = profile.value(key);
    }
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
    for (const AgentProviderDescriptor* provider : list) {
      if (!profile->has_credentials_of(*provider)) {
        continue;
      }
      for (const std::string& key : router_secret_keys(AgentProviderList{provider})) {
        const ProviderSetting* setting = provider->setting(key);
        if (setting != nullptr && profile->value(key).empty()) {
          context.note(name + " has no " + key + ": " + setting->account_unset);
        }
      }
    }
  }
  return secrets;
}

std::function<std::shared_ptr<const std::map<std::string, WebhookSecrets>>()>
reloading_account_secrets(AppContext& context) {
  using Secrets = std::map<std::string, WebhookSecrets>;
  const std::filesystem::path path = config_file_path();
  auto held = std::make_shared<FileReloaded<Secrets>>(
      path, [&context] { return router_account_secrets(context); }, std::chrono::seconds(1),
      [] { return std::chrono::steady_clock::now(); },
      [&context, path](const std::string& problem) {
        context.note("could not read the tenant accounts' webhook secrets again from " +
                     path.string() + " (" + problem + "): the ones read before stay in use");
      },
      [&context, path] {
        context.note("read the tenant accounts' webhook secrets again: " + path.string() +
                     " changed");
      });
  return [held] { return held->current(); };
}

std::vector<std::string> router_secret_keys(const AgentProviderList& list) {
  std::vector<std::string> keys;
  for (const AgentProviderDescriptor* provider : list) {
    for (const RouterWebhook& webhook : provider->webhooks) {
      if (std::find(keys.begin(), keys.end(), webhook.secret_key) == keys.end()) {
        keys.push_back(webhook.secret_key);
      }
    }
  }
  return keys;
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
