// What every voice-agent provider's registration shares: finding providers and settings in a
// list, and checking a setting's value.
#include <algorithm>

#include <vami/core/input_rules.hpp>
#include <vami/providers/agent_provider_registration.hpp>

namespace vami {

std::vector<const ProviderSetting*> AgentProviderDescriptor::settings_of(SettingRole role) const {
  std::vector<const ProviderSetting*> found;
  for (const ProviderSetting& each : settings) {
    if (each.role == role) {
      found.push_back(&each);
    }
  }
  return found;
}

bool AgentProviderDescriptor::has_account() const {
  return !settings_of(SettingRole::credential).empty();
}

const ProviderSetting* AgentProviderDescriptor::setting(const std::string& key) const {
  auto found = std::find_if(settings.begin(), settings.end(),
                            [&](const ProviderSetting& each) { return each.key == key; });
  return found == settings.end() ? nullptr : &*found;
}

const AgentProviderDescriptor* find_agent_provider(const AgentProviderList& list,
                                                   const std::string& name) {
  auto found = std::find_if(list.begin(), list.end(), [&](const AgentProviderDescriptor* each) {
    return each->name == name;
  });
  return found == list.end() ? nullptr : *found;
}

std::pair<const AgentProviderDescriptor*, const ProviderSetting*>
find_provider_setting(const AgentProviderList& list, const std::string& key) {
  for (const AgentProviderDescriptor* provider : list) {
    if (const ProviderSetting* found = provider->setting(key)) {
      return {provider, found};
    }
  }
  return {nullptr, nullptr};
}

std::string provider_setting_problem(const ProviderSetting& setting, const std::string& value) {
  if (value.empty()) {
    return {};
  }
  if (!setting.choices.empty() &&
      std::find(setting.choices.begin(), setting.choices.end(), value) == setting.choices.end()) {
    return setting.not_a_choice;
  }
  const std::string suffix = "_base_url";
  if (setting.key.size() > suffix.size() &&
      setting.key.compare(setting.key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
      url_scheme(value) == UrlScheme::other) {
    return "is not an http:// or https:// URL";
  }
  return {};
}

} // namespace vami
