#pragma once

#include "profiles.hpp"

#include <vami/providers/provider_factory.hpp>

namespace vami::cli {

/// Where one provider's credentials came from (environment variables win over the profile, as a
/// group: never an SID from one and a token from the other).
enum class CredentialSource { none, environment, profile };

/// Where each provider's credentials of one `ProviderSettings` came from.
struct CredentialSources {
  CredentialSource twilio = CredentialSource::none;     ///< TWILIO_* or twilio_* keys.
  CredentialSource elevenlabs = CredentialSource::none; ///< ELEVENLABS_API_KEY or its key.
  CredentialSource synthflow = CredentialSource::none;  ///< SYNTHFLOW_* or synthflow_* keys.
};

/// The settings of the platform's own accounts (docs/configuration.md, "Precedence"): each
/// provider's credentials from its environment variables when any of them is set, else from
/// `profile` (null: none), as a group; base URLs and the Synthflow region (VAMI_*_BASE_URL,
/// VAMI_SYNTHFLOW_REGION) from the environment, else from the profile. `profile_name` and the
/// `*_credentials_profile` fields name the profile where its keys were used. Leaves the sandbox
/// path, the trace and the timeout unset. `sources` (optional) receives where each provider's
/// credentials came from.
[[nodiscard]] ProviderSettings platform_provider_settings(const Profile* profile,
                                                          CredentialSources* sources = nullptr);

/// The settings of a tenant's own account, the profile `account` (`tenants update --profile`):
/// Twilio exactly as `platform` has it (pool numbers are the platform's); the voice-agent
/// providers' credentials (ElevenLabs key, Synthflow key and workspace) from `account` only,
/// never from the environment, which holds the platform's; their base URLs and the Synthflow
/// region from `account`, else as `platform` has them. The sandbox path, trace and timeout are
/// `platform`'s; `profile_name` names `account` in the errors of missing credentials.
[[nodiscard]] ProviderSettings account_provider_settings(const ProviderSettings& platform,
                                                         const Profile& account);

} // namespace vami::cli
