#pragma once

#include <vami/core/error.hpp>
#include <vami/providers/provider_factory.hpp>

// Private to providers/: what vami says when a provider's credentials are missing or incomplete
// while the sandbox is off (docs/configuration.md, docs/troubleshooting.md).

namespace vami::credentials {

/// Error(auth) for Twilio when none of its credentials is set but another provider's are: which
/// of Twilio's variables (and profile keys) are unset, which other credentials are set and keep
/// the sandbox off, and what to do.
[[nodiscard]] Error missing_twilio(const ProviderSettings& settings);

/// Error(auth) for ElevenLabs when ELEVENLABS_API_KEY (and the profile's key) is not set but
/// another provider's credentials are; as `missing_twilio`.
[[nodiscard]] Error missing_elevenlabs(const ProviderSettings& settings);

/// Error(auth) for Synthflow when SYNTHFLOW_API_KEY or SYNTHFLOW_WORKSPACE_ID (or both) is not
/// set: which one is missing, which is set, and what else keeps the sandbox off.
[[nodiscard]] Error missing_synthflow(const ProviderSettings& settings);

/// Error(auth) for Twilio credentials that are set only in part (a SID without its token, an
/// API key without its secret, a token without the SID), naming what is missing and what is set
/// (variables, or keys of the profile they came from).
[[nodiscard]] Error incomplete_twilio(const ProviderSettings& settings);

} // namespace vami::credentials
