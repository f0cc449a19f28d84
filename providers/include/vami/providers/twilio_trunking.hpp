#pragma once

#include <memory>
#include <string>
#include <vector>

#include <vami/providers/http_client.hpp>

namespace vami::twilio {

/// How to reach Twilio Elastic SIP Trunking v1 for one account (HTTP Basic with the Account SID
/// and Auth Token, or an API Key SID and Secret, as `TwilioConfig`).
struct TrunkingConfig {
  std::string auth_username;                            ///< Account SID or API Key SID ("SK...").
  std::string auth_password;                            ///< Auth Token or API Key Secret.
  std::string base_url = "https://trunking.twilio.com"; ///< VAMI_TWILIO_TRUNKING_BASE_URL.
};

/// An Elastic SIP trunk (`trunking.v1.trunk`).
struct SipTrunk {
  std::string sid;           ///< "TK" + 32 hex digits.
  std::string friendly_name; ///< At most 64 characters.
  /// The trunk's termination SIP domain (`<name>.pstn.twilio.com`): where an agent provider
  /// sends the calls it places (Synthflow's `termination_uri`).
  std::string domain_name;
};

/// Where a trunk sends the calls its numbers receive (`trunking.v1.trunk.origination_url`).
struct OriginationUrl {
  std::string sid; ///< "OU" + 32 hex digits.
  std::string trunk_sid;
  std::string sip_url; ///< `sip:` URI of the agent provider's SIP endpoint.
  std::string friendly_name;
  int priority = 10; ///< 0..65535; lower is tried first.
  int weight = 10;   ///< 1..65535; shares calls among URLs of one priority.
  bool enabled = true;
};

/// A pool number on a trunk (`trunking.v1.trunk.phone_number`); while there, its voice URL is
/// not used: calls follow the trunk's origination URLs.
struct TrunkPhoneNumber {
  std::string sid;          ///< The IncomingPhoneNumber SID ("PN...").
  std::string phone_number; ///< E.164.
  std::string trunk_sid;
};

/// Twilio Elastic SIP Trunking v1 (`../shared/specs/twilio_trunking_v1.json`), what a Twilio pool
/// number needs to reach an agent provider over SIP (Synthflow): a trunk, its origination URL,
/// and numbers moved onto it and off. Form-encoded POSTs, JSON answers, lists followed through
/// `meta.next_page_url` to the end. Errors as the Twilio client's: 401/403/20003 -> auth,
/// 404/20404 -> not_found, 429/20429 -> rate_limited (with `Retry-After`), 5xx -> unavailable,
/// 400 -> invalid_input, others -> provider; the provider detail ("twilio-trunking") keeps the
/// code, message, `more_info` and `Twilio-Request-Id`. Thread-safe.
class SipTrunking {
public:
  virtual ~SipTrunking() = default;
  /// Creates a trunk (`POST /v1/Trunks` `FriendlyName`, `DomainName`; an empty domain is left
  /// for Twilio to choose). Not idempotent: after an ambiguous failure look for it by name.
  virtual SipTrunk create_trunk(const std::string& friendly_name,
                                const std::string& domain_name) = 0;
  /// Every trunk of the account (`GET /v1/Trunks`, every page).
  virtual std::vector<SipTrunk> list_trunks() = 0;
  /// Deletes a trunk (`DELETE /v1/Trunks/{Sid}`); its numbers go back to their voice URLs.
  /// @throws Error(not_found) when Twilio does not know it.
  virtual void delete_trunk(const std::string& trunk_sid) = 0;
  /// Points the trunk at `sip_url` (`POST /v1/Trunks/{TrunkSid}/OriginationUrls`, enabled,
  /// priority 10, weight 10).
  virtual OriginationUrl add_origination_url(const std::string& trunk_sid,
                                             const std::string& sip_url,
                                             const std::string& friendly_name) = 0;
  /// The trunk's origination URLs (every page).
  virtual std::vector<OriginationUrl> list_origination_urls(const std::string& trunk_sid) = 0;
  /// Moves the pool number `phone_number_sid` onto the trunk
  /// (`POST /v1/Trunks/{TrunkSid}/PhoneNumbers` `PhoneNumberSid`).
  virtual TrunkPhoneNumber add_number(const std::string& trunk_sid,
                                      const std::string& phone_number_sid) = 0;
  /// Takes the number off the trunk (`DELETE /v1/Trunks/{TrunkSid}/PhoneNumbers/{Sid}`): its
  /// voice URL answers again. @throws Error(not_found) when it is not on the trunk.
  virtual void remove_number(const std::string& trunk_sid, const std::string& phone_number_sid) = 0;
  /// The numbers on the trunk (every page).
  virtual std::vector<TrunkPhoneNumber> list_numbers(const std::string& trunk_sid) = 0;
};

/// The Elastic SIP Trunking client of `config` over `http`, which must outlive it.
[[nodiscard]] std::unique_ptr<SipTrunking> make_twilio_trunking(TrunkingConfig config,
                                                                http::HttpClient& http);

} // namespace vami::twilio
