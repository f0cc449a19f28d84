#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/call.hpp>
#include <vami/core/money.hpp>
#include <vami/core/number.hpp>

namespace vami {

/// The longest message a suspended number speaks, in characters (it travels in a voice URL).
inline constexpr std::size_t k_max_suspension_message = 300;

/// A call as the telephony provider lists it (Twilio `api.v2010.account.call`).
struct TelephonyCall {
  std::string call_sid; ///< Twilio `sid` ("CA...").
  std::string from;     ///< The calling party: E.164, or a `client:`/`sip:` address.
  std::string to;       ///< The called party, same forms.
  std::optional<CallDirection> direction;
  std::optional<CallStatus> status;
  std::string start_time; ///< UTC ISO 8601; empty while the call has not started.
  std::optional<std::int64_t> duration_seconds; ///< Empty for unanswered or ongoing calls.
  /// What the call cost, as a positive amount (Twilio writes charges as negative decimals);
  /// empty until the provider has priced the call.
  std::optional<Money> price;
};

/// A SIP trunk of the telephony account that sends the calls of the numbers on it to one
/// voice-agent provider's SIP address (Twilio Elastic SIP Trunking `trunking.v1.trunk` with one
/// origination URL).
struct AgentSipTrunk {
  std::string trunk_id; ///< Twilio "TK..." SID.
  std::string name;     ///< The trunk's friendly name ("vami synthflow").
  /// Where the agent provider sends the calls it places on the trunk's numbers: the trunk's
  /// termination SIP domain (`<domain>.pstn.twilio.com`).
  std::string termination_uri;
};

/// A telephony provider account that sells and hosts phone numbers (Twilio today). Every
/// method makes one or more provider requests and throws `vami::Error` typed by what went wrong:
/// `auth` for rejected credentials, `rate_limited` for 429, `unavailable` for network failures,
/// timeouts and 5xx, `not_found` for a missing resource, `provider` for other refusals.
/// Implementations must be safe to call from several threads at once.
class TelephonyProvider {
public:
  virtual ~TelephonyProvider() = default;

  /// Short name of the provider ("twilio"), stored with each number.
  [[nodiscard]] virtual std::string name() const = 0;

  /// One search of the inventory for sale: at most `min(search.limit, 30)` numbers, as the
  /// provider ranks them. The same search repeated tends to return the same numbers.
  virtual std::vector<AvailableNumber> search_available(const NumberSearch& search) = 0;

  /// Buys exactly `e164` (never "any number in an area code", so a retry cannot buy a second
  /// one) and tags it with `tag` (at most 64 characters) so that it can be found again.
  /// Returns `unavailable` when the provider says the number is not for sale any more.
  virtual PurchaseOutcome buy(const std::string& e164, const std::string& tag) = 0;

  /// Looks up an owned number by E.164; empty when the account does not own it.
  virtual std::optional<OwnedNumber> find_owned(const std::string& e164) = 0;

  /// Every number the account owns, following the provider's pages to the end. Throws, and
  /// returns nothing, if any page fails.
  virtual std::vector<OwnedNumber> list_owned() = 0;

  /// Sets the voice webhook of an owned number and returns the number as the provider now
  /// reports it. `voice_url` is always set (empty clears it: the number stops answering);
  /// `voice_method` and `status_callback` are sent only when not empty, so an empty one leaves
  /// the provider's value as it is (a status callback set elsewhere survives).
  virtual OwnedNumber set_voice_webhook(const std::string& provider_sid,
                                        const VoiceWebhook& webhook) = 0;

  /// The voice webhook that answers every call of a suspended number without reaching an agent
  /// or any server of the platform, served by the provider itself: `message` (plain text, at
  /// most `k_max_suspension_message` characters) spoken once, then hang up; with an empty
  /// `message`, the call rejected unanswered. Sends no request.
  /// (Twilio: its echo Twimlet, `https://twimlets.com/echo?Twiml=...`, serving `<Say>` and
  /// `<Hangup/>`, or `<Reject/>`, for which Twilio bills no call.)
  [[nodiscard]] virtual VoiceWebhook out_of_service_webhook(const std::string& message) const = 0;

  /// Gives an owned number back to the provider (irreversible; billing stops).
  /// @throws Error(not_found) when the provider does not know the number.
  virtual void release(const std::string& provider_sid) = 0;

  /// Every call of the account that started on or after the UTC date `started_on_or_after`
  /// ("2026-11-22"; empty: every call), following the provider's pages to the end (Twilio
  /// `GET Calls.json` with `StartTime>`). Throws, and returns nothing, if any page fails.
  virtual std::vector<TelephonyCall> list_calls(const std::string& started_on_or_after) = 0;

  /// The account's SIP trunk named `name` that sends calls to `origination_sip_uri` (a `sip:`
  /// URI: the voice-agent provider's SIP address), created when the account has none of that
  /// name, and pointed at `origination_sip_uri` when it sends calls elsewhere or nowhere (Twilio
  /// `GET`/`POST /v1/Trunks`, `/v1/Trunks/{Sid}/OriginationUrls`). Safe to repeat: a creation
  /// whose answer was lost is found again by name.
  virtual AgentSipTrunk ensure_sip_trunk(const std::string& name,
                                         const std::string& origination_sip_uri) = 0;
  /// Moves the owned number `provider_sid` onto the trunk `trunk_id`, so that its calls follow
  /// the trunk rather than its voice webhook (Twilio `POST /v1/Trunks/{Sid}/PhoneNumbers`).
  /// Nothing changes when it is on that trunk already.
  /// @throws Error(conflict) when the number is on another trunk (take it off first).
  virtual void move_to_sip_trunk(const std::string& provider_sid, const std::string& trunk_id) = 0;
  /// Takes the number off the trunk `trunk_id`, so that its voice webhook answers again (Twilio
  /// `DELETE /v1/Trunks/{Sid}/PhoneNumbers/{PhoneNumberSid}`). Nothing changes when it is not
  /// on that trunk.
  virtual void remove_from_sip_trunk(const std::string& provider_sid,
                                     const std::string& trunk_id) = 0;
  /// Every SIP trunk of the account, oldest first, following the provider's pages to the end
  /// (Twilio `GET /v1/Trunks`): what tells vami's trunk (`ensure_sip_trunk`'s name) from
  /// another one a number may have been put on. Throws, and returns nothing, if any page fails.
  virtual std::vector<AgentSipTrunk> list_sip_trunks() = 0;

  /// The monthly price of a number of `type` in `country` (Twilio Pricing v1
  /// `current_price`); empty when the provider publishes none for that type.
  virtual std::optional<Money> monthly_price(const std::string& country, NumberType type) = 0;
};

} // namespace vami
