#pragma once

#include <map>
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
/// (`RouterWebhook::secret_key`), read once (a profile changed later needs a restart). Says,
/// through `context.note`, which tenant account in use lacks a secret its keys call for (its
/// webhooks are then refused; `ProviderSetting::account_unset`). Never prints a secret.
/// @throws the errors of `read_config_file`; Error(storage).
[[nodiscard]] std::map<std::string, WebhookSecrets>
router_account_secrets(AppContext& context,
                       const AgentProviderList& list = registered_agent_providers());

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
