#pragma once

#include <memory>
#include <string>

#include <vami/core/telephony_provider.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::twilio {

/// How to reach one Twilio account. Authentication is HTTP Basic with either the Account SID
/// and Auth Token or an API Key SID and Secret (the Account SID is always in the path).
struct TwilioConfig {
  std::string account_sid;                         ///< "AC" + 32 hex digits.
  std::string auth_username;                       ///< Account SID or API Key SID ("SK...").
  std::string auth_password;                       ///< Auth Token or API Key Secret.
  std::string base_url = "https://api.twilio.com"; ///< REST API 2010-04-01 host.
  std::string pricing_base_url = "https://pricing.twilio.com"; ///< Pricing v1 host.
  /// Elastic SIP Trunking v1 host (VAMI_TWILIO_TRUNKING_BASE_URL).
  std::string trunking_base_url = "https://trunking.twilio.com";
};

/// The Twilio implementation of `TelephonyProvider`, following the REST API 2010-04-01
/// (`AvailablePhoneNumbers`, `IncomingPhoneNumbers`), Pricing v1 (`PhoneNumbers/Countries`) and
/// Elastic SIP Trunking v1 (the trunks to voice-agent providers that answer over SIP: one per
/// name, created with the termination domain `<name>-<last 8 of the Account SID>.pstn.twilio.com`;
/// a number's `trunk_sid` is reported in `OwnedNumber::sip_trunk_id`).
/// Twilio error bodies `{code, message, more_info, status}` become `vami::Error` whose
/// provider detail keeps the code, message, link and `Twilio-Request-Id`:
/// 401 or 20003 -> auth, 404 or 20404 -> not_found, 429 or 20429 -> rate_limited (with
/// `Retry-After`), 5xx -> unavailable, other 4xx -> provider; 21422 on purchase -> `unavailable`
/// purchase outcome. `http` must outlive the provider.
[[nodiscard]] std::unique_ptr<TelephonyProvider> make_twilio_provider(TwilioConfig config,
                                                                      http::HttpClient& http);

} // namespace vami::twilio
