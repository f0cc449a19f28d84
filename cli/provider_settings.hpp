#pragma once

#include <string>

#include "profiles.hpp"

#include <vami/providers/provider_factory.hpp>

namespace vami::cli {

/// The settings of the platform's own accounts (docs/configuration.md, "Precedence"): each
/// provider's credentials from its environment variables when any of them is set, else from
/// `profile` (null: none), as a group; the providers' options (base URLs, the Synthflow region:
/// `SettingRole::option`) from the environment, else from the profile. Twilio's, and the
/// settings of every provider of `list` (their `variable`s and profile keys). `profile_name`
/// and the credentials profiles name the profile where its keys were used. Leaves the sandbox
/// path, the trace and the timeout unset.
[[nodiscard]] ProviderSettings
platform_provider_settings(const Profile* profile,
                           const AgentProviderList& list = registered_agent_providers());

/// The settings of a tenant's own account, the profile `account` (`tenants update --profile`):
/// Twilio exactly as `platform` has it (pool numbers are the platform's); the voice-agent
/// providers' credentials from `account` only, never from the environment, which holds the
/// platform's; their options (base URLs, region) from `account`, else as `platform` has them.
/// The sandbox path, trace and timeout are `platform`'s; `profile_name` names `account` in the
/// errors of missing credentials.
[[nodiscard]] ProviderSettings
account_provider_settings(const ProviderSettings& platform, const Profile& account,
                          const AgentProviderList& list = registered_agent_providers());

} // namespace vami::cli
