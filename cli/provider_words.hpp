#pragma once

#include <string>
#include <vector>

#include <vami/providers/agent_provider_registration.hpp>

// The words of `--help` and messages that name the voice-agent providers, built from the list
// (`AgentProviderDescriptor::description`, credentials, display names), so that a provider added
// to providers/agent_provider_list.cpp is described everywhere without editing them.

namespace vami::cli {

/// "a, b or c" ("a and b" with `conjunction` "and"); "" for none.
[[nodiscard]] std::string joined_words(const std::vector<std::string>& items,
                                       const std::string& conjunction = "or");

/// Every provider of `list` by name and description, for `agents create --provider`:
/// "elevenlabs (ElevenLabs Agents), stream (the platform's own ...) or synthflow (...)".
[[nodiscard]] std::string
described_providers(const AgentProviderList& list = registered_agent_providers());

/// The same with the short descriptions (a name alone without one), for `onboard
/// --agent-provider`: "elevenlabs, stream (...) or synthflow (...)".
[[nodiscard]] std::string
briefly_described_providers(const AgentProviderList& list = registered_agent_providers());

/// "(default: the profile's agent_provider, else elevenlabs)": the list's first is the default.
[[nodiscard]] std::string
default_provider_words(const AgentProviderList& list = registered_agent_providers());

/// What a voice-agent account of each provider with credentials holds, for `tenants update
/// --profile`: "an ElevenLabs API key or a Synthflow API key and workspace"
/// (`ProviderSetting::noun` of its credentials).
[[nodiscard]] std::string
account_credentials_words(const AgentProviderList& list = registered_agent_providers());

/// How `profiles add --from-env` takes each such account: "ELEVENLABS_API_KEY, or
/// SYNTHFLOW_API_KEY with --synthflow-workspace-id" (its secret credentials' variables, with the
/// flag of the setting that names the account).
[[nodiscard]] std::string
account_variables_words(const AgentProviderList& list = registered_agent_providers());

/// The sandbox notice of `AppContext::providers()`: "no Twilio, ElevenLabs or Synthflow
/// credentials set: using the built-in sandbox (state in PATH); set TWILIO_ACCOUNT_SID,
/// TWILIO_AUTH_TOKEN and ELEVENLABS_API_KEY (or SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID), or
/// add a profile with 'vami profiles add NAME', to use real accounts".
[[nodiscard]] std::string
sandbox_notice(const std::string& state_path,
               const AgentProviderList& list = registered_agent_providers());

/// The footer of `router serve`: its routes (Twilio's, then every webhook of `list`'s providers
/// with its `RouterWebhook::help`), the signature each needs and the status of a refusal, and
/// where each secret comes from (Twilio's, then each `SettingRole::webhook` secret's variable
/// and profile key), wrapped at 88 columns.
[[nodiscard]] std::string
router_serve_footer(const AgentProviderList& list = registered_agent_providers());

/// The footer of `profiles add`: which secrets are asked on a terminal and which variables are
/// read otherwise, for Twilio and each provider (its secret credentials, and its webhook
/// settings that have a prompt), wrapped at 88 columns, one paragraph per line.
[[nodiscard]] std::string
profiles_add_footer(const AgentProviderList& list = registered_agent_providers());

} // namespace vami::cli
