#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app.hpp"
#include "router_server.hpp"

#include <vami/core/router_setup_service.hpp>

namespace vami::cli {

/// What `vami router setup` keeps of tenants' own accounts (docs/guides/tenant-accounts.md): each
/// account's ElevenLabs post-call webhook id and secret, in the profile of that name (0600,
/// written atomically; its router URL and the default profile are left alone).
/// @throws (when used) the errors of `read_config_file` and `write_config_file`;
///         Error(not_found) when the profile is no longer in the config file.
[[nodiscard]] RouterSetupAccountMemory router_account_memory();

/// The profile keys of the ElevenLabs post-call webhook `vami router setup` makes in each
/// account (core's `RouterSetupService` sets up ElevenLabs' workspace webhook): its id and
/// secret, settings of ElevenLabs' descriptor (`SettingRole::webhook`).
inline constexpr const char* k_post_call_webhook_id = "elevenlabs_webhook_id";
inline constexpr const char* k_post_call_webhook_secret = "elevenlabs_webhook_secret";

/// The webhook secrets of tenants' own accounts for `vami router serve`, by profile name: every
/// profile's values of the settings that check `list`'s router webhooks
/// (`RouterWebhook::secret_key`), as the config file holds them now. Says,
/// through `context.note`, which tenant account in use lacks a secret its keys call for (its
/// webhooks are then refused; `ProviderSetting::account_unset`). Never prints a secret.
/// @throws the errors of `read_config_file`; Error(storage).
[[nodiscard]] std::map<std::string, WebhookSecrets>
router_account_secrets(AppContext& context,
                       const AgentProviderList& list = registered_agent_providers());

/// `router_account_secrets`, read now and read again once the config file has changed (a new
/// tenant profile, a re-run of `vami router setup`): the file is looked at no more than once a
/// second, by the first webhook about a tenant account after that second (`FileReloaded`), so a
/// running router needs no restart. A reload that fails keeps the secrets in use and says so
/// once. The function returned is thread-safe and keeps what it needs alive (`context` must
/// outlive it).
/// @throws (now) what `router_account_secrets` throws.
[[nodiscard]] std::function<std::shared_ptr<const std::map<std::string, WebhookSecrets>>()>
reloading_account_secrets(AppContext& context);

/// The profile keys of the secrets that check `list`'s router webhooks, each once, in order.
[[nodiscard]] std::vector<std::string> router_secret_keys(const AgentProviderList& list);

/// Refuses to let the router's own settings live in `profile`, the profile of this command,
/// when it is also a tenant's own account (`tenants update --profile`): the platform's webhook
/// and the tenant's would share its keys, and a tenant's account could then sign for the
/// platform's agents. `command` names the command ("router setup").
/// @throws Error(invalid_input) naming the tenant and how to choose the platform's profile;
///         Error(storage).
void require_platform_profile(AppContext& context, const std::string& profile,
                              const std::string& command);

} // namespace vami::cli
