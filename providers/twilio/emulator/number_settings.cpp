#include "twilio/emulator/number_settings.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace vami::sandbox {

namespace {

enum class Kind {
  uri,         ///< format: uri; empty clears
  method,      ///< GET or POST
  boolean,     ///< true or false
  choice,      ///< one of `choices`
  missing_sid, ///< a SID of a resource the sandbox does not have; empty clears
};

struct Setting {
  const char* form;   ///< the request parameter
  const char* column; ///< the column and the response member
  Kind kind;
  const char* initial;                        ///< the stored value of a new number
  std::vector<std::string_view> choices = {}; ///< for `choice`; the SID prefix for `missing_sid`
  const char* resource = "";                  ///< for `missing_sid`: what the SID names
};

const std::vector<Setting>& settings_table() {
  static const std::vector<Setting> k_settings = {
      {"VoiceUrl", "voice_url", Kind::uri, ""},
      {"VoiceMethod", "voice_method", Kind::method, "POST"},
      {"VoiceFallbackUrl", "voice_fallback_url", Kind::uri, ""},
      {"VoiceFallbackMethod", "voice_fallback_method", Kind::method, "POST"},
      {"VoiceCallerIdLookup", "voice_caller_id_lookup", Kind::boolean, "false"},
      {"StatusCallback", "status_callback", Kind::uri, ""},
      {"StatusCallbackMethod", "status_callback_method", Kind::method, "POST"},
      {"SmsUrl", "sms_url", Kind::uri, ""},
      {"SmsMethod", "sms_method", Kind::method, "POST"},
      {"SmsFallbackUrl", "sms_fallback_url", Kind::uri, ""},
      {"SmsFallbackMethod", "sms_fallback_method", Kind::method, "POST"},
      {"ApiVersion", "api_version", Kind::choice, "2010-04-01", {"2010-04-01", "2008-08-01"}},
      {"VoiceReceiveMode", "voice_receive_mode", Kind::choice, "voice", {"voice", "fax"}},
      // Active needs a registered emergency address, which the sandbox cannot have.
      {"EmergencyStatus", "emergency_status", Kind::choice, "Inactive", {"Inactive"}},
      {"VoiceApplicationSid",
       "voice_application_sid",
       Kind::missing_sid,
       "",
       {"AP"},
       "Application"},
      {"SmsApplicationSid", "sms_application_sid", Kind::missing_sid, "", {"AP"}, "Application"},
      {"TrunkSid", "trunk_sid", Kind::missing_sid, "", {"TK"}, "Trunk"},
      {"IdentitySid", "identity_sid", Kind::missing_sid, "", {"RI"}, "Identity"},
      {"AddressSid", "address_sid", Kind::missing_sid, "", {"AD"}, "Address"},
      {"EmergencyAddressSid", "emergency_address_sid", Kind::missing_sid, "", {"AD"}, "Address"},
      {"BundleSid", "bundle_sid", Kind::missing_sid, "", {"BU"}, "Bundle"},
  };
  return k_settings;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// An absolute http or https URL with a host and no white space: what Twilio can call.
bool is_callable_url(std::string_view url) {
  std::string lower(url);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  std::size_t host = lower.rfind("https://", 0) == 0 ? 8 : lower.rfind("http://", 0) == 0 ? 7 : 0;
  return host != 0 && url.size() > host && url[host] != '/' &&
         url.find_first_of(" \t\r\n") == std::string_view::npos;
}

std::optional<NumberSettingError> apply_one(const Setting& setting, const std::string& value,
                                            NumberSettings& settings) {
  const std::string name = setting.form;
  switch (setting.kind) {
  case Kind::uri:
    if (!value.empty() && !is_callable_url(value)) {
      return NumberSettingError{21205, name + " is not a valid URL: '" + value +
                                           "'. It must be an absolute http or https URL."};
    }
    settings[setting.column] = value;
    return std::nullopt;
  case Kind::method: {
    std::string method = upper(value);
    if (method != "GET" && method != "POST") {
      return NumberSettingError{21209,
                                name + " is not valid: '" + value + "'. It must be GET or POST."};
    }
    settings[setting.column] = method;
    return std::nullopt;
  }
  case Kind::boolean: {
    std::string word = upper(value);
    if (word != "TRUE" && word != "FALSE") {
      return NumberSettingError{20001,
                                name + " is not valid: '" + value + "'. It must be true or false."};
    }
    settings[setting.column] = word == "TRUE" ? "true" : "false";
    return std::nullopt;
  }
  case Kind::choice:
    if (std::find(setting.choices.begin(), setting.choices.end(), value) == setting.choices.end()) {
      std::string accepted;
      for (std::string_view choice : setting.choices) {
        accepted += (accepted.empty() ? "" : ", ") + std::string(choice);
      }
      return NumberSettingError{20001, name + " is not valid: '" + value +
                                           "'. The sandbox accepts: " + accepted + "."};
    }
    settings[setting.column] = value;
    return std::nullopt;
  case Kind::missing_sid:
    if (value.empty()) {
      settings[setting.column] = "";
      return std::nullopt;
    }
    if (value.size() != 34 || value.rfind(setting.choices.front(), 0) != 0 ||
        !std::all_of(value.begin() + 2, value.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; })) {
      return NumberSettingError{20001, name + " is not valid: '" + value + "'. It must be " +
                                           std::string(setting.choices.front()) +
                                           " followed by 32 hexadecimal digits."};
    }
    return NumberSettingError{20404, name + " names " + std::string(setting.resource) + " " +
                                         value +
                                         ", which was not found: the sandbox account has none"};
  }
  return std::nullopt;
}

} // namespace

const std::vector<ColumnDefinition>& number_setting_columns() {
  static const std::vector<ColumnDefinition> k_columns = [] {
    std::vector<ColumnDefinition> columns;
    for (const Setting& setting : settings_table()) {
      std::string definition = std::string("TEXT NOT NULL DEFAULT '") + setting.initial + "'";
      if (setting.kind == Kind::method) {
        definition += std::string(" CHECK (") + setting.column + " IN ('GET', 'POST'))";
      }
      columns.push_back({setting.column, definition});
    }
    return columns;
  }();
  return k_columns;
}

NumberSettings default_number_settings() {
  NumberSettings settings;
  for (const Setting& setting : settings_table()) {
    settings[setting.column] = setting.initial;
  }
  return settings;
}

std::optional<NumberSettingError> apply_number_settings(const Params& form,
                                                        NumberSettings& settings) {
  for (const Setting& setting : settings_table()) {
    if (auto value = param(form, setting.form)) {
      if (auto error = apply_one(setting, *value, settings)) {
        return error;
      }
    }
  }
  return std::nullopt;
}

void write_number_settings(const NumberSettings& settings, nlohmann::ordered_json& body) {
  for (const Setting& setting : settings_table()) {
    auto found = settings.find(setting.column);
    std::string value = found == settings.end() ? setting.initial : found->second;
    switch (setting.kind) {
    case Kind::uri:
    case Kind::missing_sid:
      body[setting.column] =
          value.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(value);
      break;
    case Kind::boolean:
      body[setting.column] = value == "true";
      break;
    case Kind::method:
    case Kind::choice:
      body[setting.column] = value;
      break;
    }
  }
}

} // namespace vami::sandbox
