// The messages of missing credentials. vami uses the sandbox only when no credential of any
// provider is set; once one is, a provider without its own fails when first used, and its
// message must say what is missing, what is set (and so turned the sandbox off), and both ways
// out: set the missing ones, or unset the others to use the sandbox.
#include "missing_credentials.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace vami::credentials {

namespace {

// One credential: the variable, the profile key that can stand for it (empty: environment only)
// and its value in the settings.
struct Credential {
  const char* variable;
  const char* profile_key;
  const std::string ProviderSettings::*value;
};

const std::vector<Credential> k_twilio = {
    {"TWILIO_ACCOUNT_SID", "twilio_account_sid", &ProviderSettings::twilio_account_sid},
    {"TWILIO_AUTH_TOKEN", "twilio_auth_token", &ProviderSettings::twilio_auth_token},
    {"TWILIO_API_KEY", "twilio_api_key", &ProviderSettings::twilio_api_key},
    {"TWILIO_API_SECRET", "twilio_api_secret", &ProviderSettings::twilio_api_secret},
};
const std::vector<Credential> k_elevenlabs = {
    {"ELEVENLABS_API_KEY", "elevenlabs_api_key", &ProviderSettings::elevenlabs_api_key},
};
const std::vector<Credential> k_synthflow = {
    {"SYNTHFLOW_API_KEY", "synthflow_api_key", &ProviderSettings::synthflow_api_key},
    {"SYNTHFLOW_WORKSPACE_ID", "synthflow_workspace_id", &ProviderSettings::synthflow_workspace_id},
};

enum class Provider { twilio, elevenlabs, synthflow };

const std::vector<Credential>& credentials_of(Provider provider) {
  switch (provider) {
  case Provider::twilio:
    return k_twilio;
  case Provider::elevenlabs:
    return k_elevenlabs;
  case Provider::synthflow:
    return k_synthflow;
  }
  return k_synthflow;
}

// The profile a provider's credentials came from; empty for the environment.
const std::string& source_profile(const ProviderSettings& settings, Provider provider) {
  static const std::string k_environment;
  switch (provider) {
  case Provider::twilio:
    return settings.twilio_credentials_profile;
  case Provider::elevenlabs:
    return settings.elevenlabs_credentials_profile;
  case Provider::synthflow:
    return settings.synthflow_credentials_profile;
  }
  return k_environment;
}

// "A", "A and B", "A, B and C".
std::string and_list(const std::vector<std::string>& items) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  }
  return text;
}

std::string is_or_are(const std::vector<std::string>& items) {
  return items.size() == 1 ? " is" : " are";
}

// What is set of one provider's credentials, as the user set them: variables, or the profile's
// keys ("twilio_account_sid and twilio_auth_token of profile 'acme'").
std::vector<std::string> set_of(const ProviderSettings& settings, Provider provider) {
  const std::string& profile = source_profile(settings, provider);
  std::vector<std::string> names;
  for (const Credential& credential : credentials_of(provider)) {
    if (!(settings.*credential.value).empty()) {
      names.emplace_back(profile.empty() ? credential.variable : credential.profile_key);
    }
  }
  if (!profile.empty() && !names.empty()) {
    names.back() += " of profile '" + profile + "'";
  }
  return names;
}

// The other providers' credentials that are set, which is why the sandbox is off.
struct Others {
  std::vector<std::string> set;          ///< Every credential set, as `set_of` names it.
  std::vector<std::string> variables;    ///< Those from the environment, to unset.
  std::vector<std::string> from_profile; ///< Profiles holding some, to leave.
};

Others others_than(const ProviderSettings& settings, Provider provider) {
  Others others;
  for (Provider other : {Provider::twilio, Provider::elevenlabs, Provider::synthflow}) {
    if (other == provider) {
      continue;
    }
    std::vector<std::string> names = set_of(settings, other);
    others.set.insert(others.set.end(), names.begin(), names.end());
    const std::string& profile = source_profile(settings, other);
    if (names.empty()) {
      continue;
    }
    if (profile.empty()) {
      others.variables.insert(others.variables.end(), names.begin(), names.end());
    } else if (others.from_profile.empty() || others.from_profile.back() != profile) {
      others.from_profile.push_back(profile);
    }
  }
  return others;
}

// "...; vami does not use the sandbox while X and Y are set"
std::string why_no_sandbox(const std::vector<std::string>& set) {
  return set.empty()
             ? std::string()
             : "; vami does not use the sandbox while " + and_list(set) + is_or_are(set) + " set";
}

// "unset X and Y, and use no profile with credentials (profile 'acme' has some), to use the
// sandbox"
std::string to_use_the_sandbox(const std::vector<std::string>& variables,
                               const std::vector<std::string>& profiles) {
  std::vector<std::string> steps;
  if (!variables.empty()) {
    steps.push_back("unset " + and_list(variables));
  }
  for (const std::string& profile : profiles) {
    steps.push_back("use no profile with credentials (--profile, VAMI_PROFILE or "
                    "default_profile chose '" +
                    profile + "')");
  }
  return steps.empty() ? std::string() : "; or, to use the sandbox, " + and_list(steps);
}

// "no X: " without a profile, "no X in profile 'acme', and " with one.
std::string and_in_profile(const ProviderSettings& settings) {
  return settings.profile_name.empty() ? std::string(": ")
                                       : " in profile '" + settings.profile_name + "', and ";
}

std::string or_write_the_profile(const ProviderSettings& settings, const char* what) {
  return settings.profile_name.empty()
             ? std::string()
             : std::string(", or write ") + what + " into the profile with 'vami profiles add " +
                   settings.profile_name + " --replace'";
}

} // namespace

Error missing_twilio(const ProviderSettings& settings) {
  Others others = others_than(settings, Provider::twilio);
  std::string what = "no Twilio credentials" + and_in_profile(settings) +
                     "none of TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY and "
                     "TWILIO_API_SECRET is set" +
                     why_no_sandbox(others.set);
  std::string hint = "set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
                     "TWILIO_API_SECRET)" +
                     or_write_the_profile(settings, "them") +
                     to_use_the_sandbox(others.variables, others.from_profile);
  return Error(ErrorKind::auth, what, hint);
}

Error missing_elevenlabs(const ProviderSettings& settings) {
  Others others = others_than(settings, Provider::elevenlabs);
  std::string what = "no ElevenLabs API key" + and_in_profile(settings) +
                     "ELEVENLABS_API_KEY is not set" + why_no_sandbox(others.set);
  std::string hint = "set ELEVENLABS_API_KEY to the key of the ElevenLabs account" +
                     or_write_the_profile(settings, "it") +
                     to_use_the_sandbox(others.variables, others.from_profile);
  return Error(ErrorKind::auth, what, hint);
}

Error missing_synthflow(const ProviderSettings& settings) {
  const std::string& profile = settings.synthflow_credentials_profile;
  auto name = [&](const Credential& credential) {
    return std::string(profile.empty() ? credential.variable : credential.profile_key);
  };
  std::vector<std::string> missing;
  std::vector<std::string> present;
  for (const Credential& credential : k_synthflow) {
    ((settings.*credential.value).empty() ? missing : present).push_back(name(credential));
  }
  Others others = others_than(settings, Provider::synthflow);
  // A half-set Synthflow pair keeps the sandbox off by itself.
  std::vector<std::string> set = present;
  set.insert(set.end(), others.set.begin(), others.set.end());
  std::vector<std::string> variables = profile.empty() ? present : std::vector<std::string>();
  variables.insert(variables.end(), others.variables.begin(), others.variables.end());
  std::vector<std::string> profiles = others.from_profile;
  if (!profile.empty() && !present.empty() &&
      std::find(profiles.begin(), profiles.end(), profile) == profiles.end()) {
    profiles.push_back(profile);
  }
  const std::string in_profile = profile.empty() ? std::string() : " of profile '" + profile + "'";
  std::string what =
      present.empty()
          ? "no Synthflow credentials" + and_in_profile(settings) + and_list(missing) +
                " are not set (nor synthflow_api_key and synthflow_workspace_id in a profile)"
          : "Synthflow credentials are incomplete: " + and_list(missing) + in_profile +
                is_or_are(missing) + " not set, while " + and_list(present) + is_or_are(present) +
                " set";
  what += why_no_sandbox(set);
  std::string hint =
      missing.size() == 2 ? "set SYNTHFLOW_API_KEY to an API key of the Synthflow workspace and "
                            "SYNTHFLOW_WORKSPACE_ID to its id"
      : missing.front() == name(k_synthflow.front())
          ? "set " + missing.front() + in_profile + " to an API key of the workspace " +
                name(k_synthflow.back()) + " names"
          : "set " + missing.front() + in_profile +
                " to the id of the Synthflow workspace the key belongs to";
  hint += or_write_the_profile(settings, "them");
  hint += to_use_the_sandbox(variables, profiles);
  return Error(ErrorKind::auth, what, hint);
}

Error incomplete_twilio(const ProviderSettings& settings) {
  const bool from_profile = !settings.twilio_credentials_profile.empty();
  auto name = [&](const Credential& credential) {
    return std::string(from_profile ? credential.profile_key : credential.variable);
  };
  const Credential& sid = k_twilio[0];
  const Credential& token = k_twilio[1];
  const Credential& key = k_twilio[2];
  const Credential& secret = k_twilio[3];
  std::vector<std::string> missing;
  if (settings.twilio_account_sid.empty()) {
    missing.push_back(name(sid));
  }
  if (!settings.twilio_api_key.empty() || !settings.twilio_api_secret.empty()) {
    for (const Credential* half : {&key, &secret}) {
      if ((settings.*(half->value)).empty()) {
        missing.push_back(name(*half));
      }
    }
  } else if (settings.twilio_auth_token.empty()) {
    missing.push_back(name(token) + " (or " + name(key) + " with " + name(secret) + ")");
  }
  std::vector<std::string> present = set_of(settings, Provider::twilio);
  std::string what = "Twilio credentials are incomplete: " + and_list(missing) +
                     is_or_are(missing) + " not set, while " + and_list(present) +
                     is_or_are(present) + " set";
  std::string hint = from_profile ? "write the profile again with 'vami profiles add " +
                                        settings.twilio_credentials_profile + " --replace'"
                                  : "set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with "
                                    "TWILIO_API_KEY and TWILIO_API_SECRET";
  return Error(ErrorKind::auth, what, hint);
}

} // namespace vami::credentials
