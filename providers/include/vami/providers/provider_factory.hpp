#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <vami/core/telephony_provider.hpp>
#include <vami/core/test_call.hpp>
#include <vami/core/voice_agent_provider.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/http_client.hpp>

namespace vami {

/// Provider credentials and endpoints, resolved by the CLI from flags, environment variables
/// (the names the providers' own SDKs use) and profiles. Empty fields are unset.
struct ProviderSettings {
  std::string twilio_account_sid;      ///< TWILIO_ACCOUNT_SID.
  std::string twilio_auth_token;       ///< TWILIO_AUTH_TOKEN.
  std::string twilio_api_key;          ///< TWILIO_API_KEY (an "SK..." SID), with the secret below.
  std::string twilio_api_secret;       ///< TWILIO_API_SECRET.
  std::string twilio_base_url;         ///< VAMI_TWILIO_BASE_URL; default https://api.twilio.com.
  std::string twilio_pricing_base_url; ///< VAMI_TWILIO_PRICING_BASE_URL.
  /// VAMI_TWILIO_TRUNKING_BASE_URL (Elastic SIP Trunking); default https://trunking.twilio.com.
  std::string twilio_trunking_base_url;
  /// The voice-agent providers' settings (`AgentProviderDescriptor::settings`), by profile key
  /// ("elevenlabs_api_key", "synthflow_region"); absent or empty keys are unset.
  std::map<std::string, std::string> values;
  /// The profile in use, if any: named by the errors of missing credentials ("no ElevenLabs API
  /// key in profile 'acme'").
  std::string profile_name;
  /// The profile the Twilio credentials above came from; empty when they came from the
  /// environment (or are unset). The errors name its keys instead of the variables.
  std::string twilio_credentials_profile;
  /// The profile each voice-agent provider's credentials came from, by provider name; absent or
  /// empty for the environment (or unset).
  std::map<std::string, std::string> credentials_profiles;
  std::filesystem::path sandbox_state_path; ///< Used when no credential at all is set.
  http::TraceSink debug_trace;              ///< `--debug`: HTTP trace, secrets redacted.
  /// The live providers' timeout for a whole request (and at most for connecting), in ms; 0
  /// for the default (`HttpClientOptions`).
  long http_total_timeout_ms = 0;

  /// The value of the voice-agent providers' setting `key` ("" when unset).
  [[nodiscard]] std::string setting(const std::string& key) const {
    auto found = values.find(key);
    return found == values.end() ? std::string() : found->second;
  }
  /// The profile provider `name`'s credentials came from ("" for the environment or unset).
  [[nodiscard]] std::string credentials_profile(const std::string& name) const {
    auto found = credentials_profiles.find(name);
    return found == credentials_profiles.end() ? std::string() : found->second;
  }
};

/// The providers one command talks to, and the transports they own.
class Providers {
public:
  virtual ~Providers() = default;
  /// The telephony provider (Twilio, live or sandbox).
  /// @throws Error(auth) when live credentials are in use but none are set for Twilio; the
  ///         message names Twilio's unset variables, the credentials that are set (and keep the
  ///         sandbox off), and both ways out.
  virtual TelephonyProvider& telephony() = 0;
  /// The voice-agent provider `name` of the list the providers were connected with (live, or
  /// on the sandbox's emulator), made when connecting.
  /// @throws Error(invalid_input) for a name the list does not hold; Error(auth) when live
  ///         credentials are in use but the provider's are missing or incomplete (the message,
  ///         `AgentProviderDescriptor::missing`, names which are missing and which are set).
  virtual VoiceAgentProvider& agent_provider(const std::string& name) = 0;
  /// Whether `agent_provider(name)` gives a provider rather than throwing: all its credentials
  /// are set, or the sandbox answers for every provider of the list with an emulator. False for
  /// a name the list does not hold.
  [[nodiscard]] virtual bool has_agent_provider(const std::string& name) const = 0;
  /// The list of voice-agent providers these providers were connected with.
  [[nodiscard]] virtual const AgentProviderList& agent_providers() const = 0;
  /// What places simulated calls (`vami calls test`): the in-process sandbox's, or, when Twilio
  /// is reached at another base URL than Twilio's own (`vami sandbox serve`), one that asks that
  /// server (it answers nullopt when the server is no sandbox); null for Twilio itself, where
  /// no call can be placed without a phone.
  virtual TestCallPlacer* test_calls() = 0;
  /// True when the built-in sandbox answers instead of a live account.
  [[nodiscard]] virtual bool is_sandbox() const = 0;
  /// Where the sandbox keeps its state, when `is_sandbox()`.
  [[nodiscard]] virtual std::filesystem::path sandbox_state_path() const = 0;
};

/// Connects the providers: Twilio and every voice-agent provider of `list` with settings
/// (`AgentProviderDescriptor::make`) over libcurl when any credential of any of them is set,
/// otherwise the built-in sandbox in-process for all (same provider code, no socket; each
/// provider's `sandbox_settings`); every secret setting is redacted from the `--debug` trace.
/// The sandbox is never used when any credential is set: a provider whose credentials are
/// missing then fails when first used.
/// @throws Error(auth) when Twilio's credentials are incomplete (a SID without a token, a key
///         without its secret, or no SID), naming what is missing and what is set;
///         Error(invalid_input) for a malformed SID or base URL or
///         an unusable sandbox state file.
[[nodiscard]] std::unique_ptr<Providers>
connect_providers(const ProviderSettings& settings,
                  const AgentProviderList& list = registered_agent_providers());

} // namespace vami
