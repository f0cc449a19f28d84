#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include <nlohmann/json.hpp>

// Private to the sandbox emulator: the settings of a Twilio IncomingPhoneNumber that a create
// (`POST .../IncomingPhoneNumbers[/Local|/TollFree|/Mobile].json`) or an update
// (`POST .../IncomingPhoneNumbers/{Sid}.json`) may carry, following
// `shared/specs/twilio_api_v2010.json`. Every documented field is either stored (and reported
// back) or refused with Twilio's 400 body; none is accepted and dropped.

namespace vami::sandbox {

/// A documented setting refused, for a Twilio 400 `{code, message, more_info, status}`.
struct NumberSettingError {
  int code = 0;        ///< Twilio's error code (21205 invalid URL, 21209 invalid method, ...).
  std::string message; ///< Names the parameter, the value and what it accepts.
};

/// The stored settings of one number: column name -> stored text. URIs and SIDs store `""` for
/// "not set" (reported as JSON null), booleans `"true"`/`"false"`.
using NumberSettings = std::map<std::string, std::string>;

/// The columns of `incoming_phone_numbers` that hold the settings, with their SQL definitions,
/// for `CREATE TABLE` and for upgrading older state files (`add_missing_columns`). Includes the
/// four the first emulator had (`voice_url`, `voice_method`, `status_callback`,
/// `status_callback_method`).
[[nodiscard]] const std::vector<ColumnDefinition>& number_setting_columns();

/// The settings of a new number before its create request is applied: methods `POST`, no URIs,
/// `voice_caller_id_lookup` false, `api_version` 2010-04-01, `voice_receive_mode` voice,
/// `emergency_status` Inactive.
[[nodiscard]] NumberSettings default_number_settings();

/// Applies the documented settings present in `form` (`VoiceUrl`, `VoiceMethod`,
/// `VoiceFallbackUrl`, `VoiceFallbackMethod`, `VoiceCallerIdLookup`, `StatusCallback`,
/// `StatusCallbackMethod`, `SmsUrl`, `SmsMethod`, `SmsFallbackUrl`, `SmsFallbackMethod`,
/// `ApiVersion`, `VoiceReceiveMode`, `EmergencyStatus`, and the SIDs of resources the sandbox
/// does not have: `VoiceApplicationSid`, `SmsApplicationSid`, `TrunkSid`, `IdentitySid`,
/// `AddressSid`, `EmergencyAddressSid`, `BundleSid`) to `settings`. An empty URI or SID clears
/// it. Parameters the document does not name are ignored, as Twilio does.
/// @returns the first refused setting (and leaves `settings` partly applied: discard it then).
[[nodiscard]] std::optional<NumberSettingError> apply_number_settings(const Params& form,
                                                                      NumberSettings& settings);

/// Writes the settings as the members of `api.v2010.account.incoming_phone_number`
/// (`voice_url`, `sms_method`, `voice_caller_id_lookup`, ...) into `body`, unset URIs and SIDs
/// as null.
void write_number_settings(const NumberSettings& settings, nlohmann::ordered_json& body);

} // namespace vami::sandbox
