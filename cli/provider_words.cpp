// The words that name the voice-agent providers in `--help` and messages, built from the list.
#include "provider_words.hpp"

#include <algorithm>
#include <sstream>

namespace vami::cli {

namespace {

// The width of hand-wrapped footers (CLI11 prints them as they are).
constexpr std::size_t k_footer_width = 88;

std::string with_article(const std::string& noun) {
  const bool vowel =
      !noun.empty() && std::string("AEIOUaeiou").find(noun.front()) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

std::string flag_of(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return "--" + key;
}

// The providers whose agents live in an account (they have credentials), in order.
AgentProviderList with_accounts(const AgentProviderList& list) {
  AgentProviderList found;
  for (const AgentProviderDescriptor* provider : list) {
    if (provider->has_account()) {
      found.push_back(provider);
    }
  }
  return found;
}

// The setting that names the provider's account (Synthflow's workspace), or null.
const ProviderSetting* account_setting(const AgentProviderDescriptor& provider) {
  for (const ProviderSetting& setting : provider.settings) {
    if (setting.names_the_account) {
      return &setting;
    }
  }
  return nullptr;
}

// The settings `profiles add` asks for (or reads from the environment): the secret credentials
// and the webhook settings with a question.
std::vector<const ProviderSetting*> asked_settings(const AgentProviderDescriptor& provider) {
  std::vector<const ProviderSetting*> asked;
  for (const ProviderSetting& setting : provider.settings) {
    if ((setting.role == SettingRole::credential && !setting.names_the_account) ||
        (setting.role == SettingRole::webhook && !setting.prompt.empty())) {
      asked.push_back(&setting);
    }
  }
  return asked;
}

std::string name_and(const AgentProviderDescriptor& provider, const std::string& words) {
  return words.empty() ? provider.name : provider.name + " " + words;
}

// `text` wrapped into lines of at most `width` columns, at spaces.
std::string wrapped(const std::string& text, std::size_t width) {
  std::istringstream words(text);
  std::string word;
  std::string out;
  std::size_t column = 0;
  while (words >> word) {
    if (column > 0 && column + 1 + word.size() > width) {
      out += '\n';
      column = 0;
    } else if (column > 0) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
  }
  return out;
}

} // namespace

std::string joined_words(const std::vector<std::string>& items, const std::string& conjunction) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == items.size() ? " " + conjunction + " " : ", ") + items[i];
  }
  return text;
}

std::string described_providers(const AgentProviderList& list) {
  std::vector<std::string> items;
  for (const AgentProviderDescriptor* provider : list) {
    items.push_back(name_and(*provider, provider->description));
  }
  return joined_words(items);
}

std::string briefly_described_providers(const AgentProviderList& list) {
  std::vector<std::string> items;
  for (const AgentProviderDescriptor* provider : list) {
    items.push_back(name_and(*provider, provider->short_description));
  }
  return joined_words(items);
}

std::string default_provider_words(const AgentProviderList& list) {
  return "(default: the profile's agent_provider, else " +
         (list.empty() ? std::string("none") : list.front()->name) + ")";
}

std::string account_credentials_words(const AgentProviderList& list) {
  std::vector<std::string> items;
  for (const AgentProviderDescriptor* provider : with_accounts(list)) {
    std::vector<std::string> nouns;
    for (const ProviderSetting* credential : provider->settings_of(SettingRole::credential)) {
      nouns.push_back(credential->noun);
    }
    items.push_back(with_article(provider->display_name) + " " + joined_words(nouns, "and"));
  }
  return joined_words(items);
}

std::string account_variables_words(const AgentProviderList& list) {
  std::vector<std::string> items;
  for (const AgentProviderDescriptor* provider : with_accounts(list)) {
    std::vector<std::string> variables;
    for (const ProviderSetting* credential : provider->settings_of(SettingRole::credential)) {
      if (!credential->names_the_account) {
        variables.push_back(credential->variable);
      }
    }
    std::string item = joined_words(variables, "and");
    if (const ProviderSetting* account = account_setting(*provider)) {
      item += " with " + flag_of(account->key);
    }
    items.push_back(item);
  }
  std::string text;
  for (const std::string& item : items) {
    text += (text.empty() ? "" : ", or ") + item;
  }
  return text;
}

std::string sandbox_notice(const std::string& state_path, const AgentProviderList& list) {
  std::vector<std::string> names{"Twilio"};
  std::vector<std::string> first{"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"};
  std::vector<std::string> others;
  for (const AgentProviderDescriptor* provider : with_accounts(list)) {
    names.push_back(provider->display_name);
    std::vector<std::string> variables;
    for (const ProviderSetting* credential : provider->settings_of(SettingRole::credential)) {
      variables.push_back(credential->variable);
    }
    if (names.size() == 2) {
      first.insert(first.end(), variables.begin(), variables.end());
    } else {
      others.push_back(joined_words(variables, "and"));
    }
  }
  std::string alternatives;
  for (const std::string& other : others) {
    alternatives += (alternatives.empty() ? " (or " : ", or ") + other;
  }
  if (!alternatives.empty()) {
    alternatives += ")";
  }
  return "no " + joined_words(names) + " credentials set: using the built-in sandbox (state in " +
         state_path + "); set " + joined_words(first, "and") + alternatives +
         ", or add a profile with 'vami profiles add NAME', to use real accounts";
}

std::string router_serve_footer(const AgentProviderList& list) {
  std::string routes = "Routes: POST /twilio/voice (TwiML: the agent's, <Reject/> for a number no "
                       "agent has, an apology and <Hangup/> when the agent provider fails or is "
                       "too slow), POST /twilio/status";
  std::string refusals = "Requests without a valid X-Twilio-Signature get 403";
  std::string secrets = "Secrets: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or the profile)";
  for (const AgentProviderDescriptor* provider : list) {
    for (const RouterWebhook& webhook : provider->webhooks) {
      routes += ", POST " + webhook.route + (webhook.help.empty() ? "" : " (" + webhook.help + ")");
    }
    if (!provider->webhooks.empty()) {
      const RouterWebhook& first = provider->webhooks.front();
      const std::string& name = provider->display_name;
      refusals += ", " + name + (name.back() == 's' ? "'" : "'s") + " without a valid " +
                  first.signature_header + " " + std::to_string(first.refusal_status);
    }
    for (const ProviderSetting* setting : provider->settings_of(SettingRole::webhook)) {
      if (setting->secrecy == Secrecy::secret && !setting->variable.empty()) {
        secrets += ", " + setting->variable + " (or the profile's " + setting->key + ")";
      }
    }
  }
  return wrapped(routes + ", GET /healthz, GET /metrics (Prometheus). " + refusals + ". " +
                     secrets +
                     "; a webhook whose secret is unset is refused. A provider's webhooks about a "
                     "tenant on its own account are checked with that account's profile's "
                     "secrets only (read again once the config file changes: no restart after "
                     "'vami router setup' or a new tenant profile). Refused when the command's "
                     "profile is a tenant's account. One JSON line per request on stderr or --log. "
                     "Exits 0 when stopped. See docs/router.md.",
                 k_footer_width);
}

std::string profiles_add_footer(const AgentProviderList& list) {
  std::vector<std::string> asked{"the auth token (or API secret)"};
  std::string asked_for_accounts;
  std::vector<std::string> read{"TWILIO_AUTH_TOKEN", "TWILIO_API_SECRET"};
  std::string read_for_accounts;
  std::vector<std::string> flags{"TWILIO_ACCOUNT_SID", "TWILIO_API_KEY"};
  std::vector<std::string> own;
  for (const AgentProviderDescriptor* provider : with_accounts(list)) {
    own.push_back(provider->display_name);
    std::vector<std::string> nouns;
    std::vector<std::string> variables;
    for (const ProviderSetting* setting : asked_settings(*provider)) {
      nouns.push_back(setting->noun);
      variables.push_back(setting->variable);
    }
    const std::string what = "the " + provider->display_name + " " + joined_words(nouns, "and");
    if (const ProviderSetting* account = account_setting(*provider)) {
      asked_for_accounts += ", and, with " + flag_of(account->key) + ", " + what;
      read_for_accounts += " and, for " +
                           with_article(provider->display_name + " " + account->noun) + ", " +
                           joined_words(variables, "and");
      flags.push_back(account->variable);
    } else {
      asked.push_back(what);
      read.insert(read.end(), variables.begin(), variables.end());
    }
  }
  std::string reads;
  if (read_for_accounts.empty()) {
    reads = joined_words(read, "and");
  } else {
    for (const std::string& variable : read) {
      reads += (reads.empty() ? "" : ", ") + variable;
    }
    reads += read_for_accounts;
  }
  std::string flag_list;
  for (const std::string& flag : flags) {
    flag_list += (flag_list.empty() ? "" : ", ") + flag;
  }
  return wrapped("Secrets are never flag values. On a terminal vami asks for " +
                     joined_words(asked, "and") + " without echo" + asked_for_accounts +
                     "; with --from-env, or when standard input is not a terminal, it reads " +
                     reads + " (and " + flag_list + " when not given as flags).",
                 k_footer_width) +
         "\n" +
         wrapped("A tenant on its own account ('vami tenants update SLUG --profile NAME') uses "
                 "the profile's " +
                     joined_words(own, "and") + " keys; its Twilio keys are not used for it.",
                 k_footer_width) +
         "\nThe first profile added becomes the default.";
}

} // namespace vami::cli
