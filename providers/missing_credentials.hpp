#pragma once

#include <string>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/provider_factory.hpp>

// Private to providers/: what vami says when a provider's credentials are missing or incomplete
// while the sandbox is off (docs/configuration.md, docs/troubleshooting.md). The voice-agent
// providers' own messages (their `AgentProviderDescriptor::missing`) are worded with the
// helpers below.

namespace vami::credentials {

/// Error(auth) for Twilio when none of its credentials is set but another provider's are: which
/// of Twilio's variables (and profile keys) are unset, which other credentials are set and keep
/// the sandbox off, and what to do.
[[nodiscard]] Error missing_twilio(const ProviderSettings& settings, const AgentProviderList& list);

/// Error(auth) for Twilio credentials that are set only in part (a SID without its token, an
/// API key without its secret, a token without the SID), naming what is missing and what is set
/// (variables, or keys of the profile they came from).
[[nodiscard]] Error incomplete_twilio(const ProviderSettings& settings,
                                      const AgentProviderList& list);

/// Error(auth) for the voice-agent provider `provider` when some of its credentials are missing:
/// its own `missing` message, else "no <Name> credentials ...: X and Y are not set" (or "...
/// are incomplete: X is not set, while Y is set"), what else keeps the sandbox off, and what
/// to do.
[[nodiscard]] Error missing_agent_provider(const AgentProviderDescriptor& provider,
                                           const ProviderSettings& settings,
                                           const AgentProviderList& list);

/// The credentials of provider `name` ("twilio" or a voice-agent provider of `list`) that are
/// set, as the user set them: variables, or the profile's keys ("twilio_account_sid and
/// twilio_auth_token of profile 'acme'").
[[nodiscard]] std::vector<std::string>
set_of(const ProviderSettings& settings, const std::string& name, const AgentProviderList& list);

/// The other providers' credentials that are set, which is why the sandbox is off.
struct Others {
  std::vector<std::string> set;          ///< Every credential set, as `set_of` names it.
  std::vector<std::string> variables;    ///< Those from the environment, to unset.
  std::vector<std::string> from_profile; ///< Profiles holding some, to leave.
};

/// The credentials set of every provider but `name` (Twilio and `list`'s).
[[nodiscard]] Others others_than(const ProviderSettings& settings, const std::string& name,
                                 const AgentProviderList& list);

/// "A", "A and B", "A, B and C".
[[nodiscard]] std::string and_list(const std::vector<std::string>& items);
/// " is" for one item, " are" for more.
[[nodiscard]] std::string is_or_are(const std::vector<std::string>& items);
/// "; vami does not use the sandbox while X and Y are set" ("" when nothing is).
[[nodiscard]] std::string why_no_sandbox(const std::vector<std::string>& set);
/// "; or, to use the sandbox, unset X and Y, and use no profile with credentials (...)".
[[nodiscard]] std::string to_use_the_sandbox(const std::vector<std::string>& variables,
                                             const std::vector<std::string>& profiles);
/// ": " without a profile in use, " in profile 'acme', and " with one.
[[nodiscard]] std::string and_in_profile(const ProviderSettings& settings);
/// ", or write <what> into the profile with 'vami profiles add acme --replace'" with a profile
/// in use; "" without.
[[nodiscard]] std::string or_write_the_profile(const ProviderSettings& settings, const char* what);

} // namespace vami::credentials
