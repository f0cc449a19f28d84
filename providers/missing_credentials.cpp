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

// One credential: the variable, the profile key that can stand for it and its value in the
// settings (a member for Twilio's; null: `ProviderSettings::setting(profile_key)`).
struct Credential {
  std::string variable;
  std::string profile_key;
  const std::string ProviderSettings::*value = nullptr;
};

const std::vector<Credential> k_twilio = {
    {"TWILIO_ACCOUNT_SID", "twilio_account_sid", &ProviderSettings::twilio_account_sid},
    {"TWILIO_AUTH_TOKEN", "twilio_auth_token", &ProviderSettings::twilio_auth_token},
    {"TWILIO_API_KEY", "twilio_api_key", &ProviderSettings::twilio_api_key},
    {"TWILIO_API_SECRET", "twilio_api_secret", &ProviderSettings::twilio_api_secret},
};
// A provider's credentials: Twilio's table, or a voice-agent provider's credential settings.
std::vector<Credential> credentials_of(const std::string& name, const AgentProviderList& list) {
  if (name == "twilio") {
    return k_twilio;
  }
  std::vector<Credential> found;
  if (const AgentProviderDescriptor* provider = find_agent_provider(list, name)) {
    for (const ProviderSetting* setting : provider->settings_of(SettingRole::credential)) {
      found.push_back({setting->variable, setting->key, nullptr});
    }
  }
  return found;
}

// The profile a provider's credentials came from; empty for the environment.
std::string source_profile(const ProviderSettings& settings, const std::string& name) {
  return name == "twilio" ? settings.twilio_credentials_profile
                          : settings.credentials_profile(name);
}

std::string value_of(const ProviderSettings& settings, const Credential& credential) {
  return credential.value != nullptr ? settings.*credential.value
                                     : settings.setting(credential.profile_key);
}

} // namespace

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

std::vector<std::string> set_of(const ProviderSettings& settings, const std::string& name,
                                const AgentProviderList& list) {
  const std::string profile = source_profile(settings, name);
  std::vector<std::string> names;
  for (const Credential& credential : credentials_of(name, list)) {
    if (!value_of(settings, credential).empty()) {
      names.emplace_back(profile.empty() ? credential.variable : credential.profile_key);
    }
  }
  if (!profile.empty() && !names.empty()) {
    names.back() += " of profile '" + profile + "'";
  }
  return names;
}

Others others_than(const ProviderSettings& settings, const std::string& name,
                   const AgentProviderList& list) {
  std::vector<std::string> providers{"twilio"};
  for (const AgentProviderDescriptor* provider : list) {
    providers.push_back(provider->name);
  }
  Others others;
  for (const std::string& other : providers) {
    if (other == name) {
      continue;
    }
    std::vector<std::string> names = set_of(settings, other, list);
    others.set.insert(others.set.end(), names.begin(), names.end());
    const std::string profile = source_profile(settings, other);
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

std::string why_no_sandbox(const std::vector<std::string>& set) {
  return set.empty()
             ? std::string()
             : "; vami does not use the sandbox while " + and_list(set) + is_or_are(set) + " set";
}

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

Error missing_twilio(const ProviderSettings& settings, const AgentProviderList& list) {
  Others others = others_than(settings, "twilio", list);
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

Error missing_agent_provider(const AgentProviderDescriptor& provider,
                             const ProviderSettings& settings, const AgentProviderList& list) {
  if (provider.missing) {
    return provider.missing(settings, list);
  }
  const std::string profile = settings.credentials_profile(provider.name);
  std::vector<std::string> missing;
  std::vector<std::string> present;
  std::vector<std::string> keys;
  for (const Credential& credential : credentials_of(provider.name, list)) {
    const std::string name = profile.empty() ? credential.variable : credential.profile_key;
    (value_of(settings, credential).empty() ? missing : present).push_back(name);
    keys.push_back(credential.profile_key);
  }
  Others others = others_than(settings, provider.name, list);
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
  std::string what = present.empty()
                         ? "no " + provider.display_name + " credentials" +
                               and_in_profile(settings) + and_list(missing) + is_or_are(missing) +
                               " not set (nor " + and_list(keys) + " in a profile)"
                         : provider.display_name +
                               " credentials are incomplete: " + and_list(missing) + in_profile +
                               is_or_are(missing) + " not set, while " + and_list(present) +
                               is_or_are(present) + " set";
  what += why_no_sandbox(set);
  std::string hint = provider.missing_hint ? provider.missing_hint(missing, in_profile)
                                           : "set " + and_list(missing) + in_profile;
  hint += or_write_the_profile(settings, "them") + to_use_the_sandbox(variables, profiles);
  return Error(ErrorKind::auth, what, hint);
}

Error incomplete_twilio(const ProviderSettings& settings, const AgentProviderList& list) {
  const bool from_profile = !settings.twilio_credentials_profile.empty();
  auto name = [&](const Credential& credential) {
    return from_profile ? credential.profile_key : credential.variable;
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
  std::vector<std::string> present = set_of(settings, "twilio", list);
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
