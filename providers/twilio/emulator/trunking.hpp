#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/sandbox_util.hpp"

#include <vami/providers/http_client.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox emulator: Twilio Elastic SIP Trunking v1, beside the REST API.

namespace vami::sandbox {

/// An emulator of the Elastic SIP Trunking v1 endpoints vami's trunking client uses, following
/// `shared/specs/twilio_trunking_v1.json` (same paths, form fields, JSON shapes, Twilio error
/// bodies; `trunking.twilio.com` is served at the sandbox's origin):
/// - `POST|GET /v1/Trunks`, `GET|DELETE /v1/Trunks/{Sid}`: trunks (`FriendlyName` at most 64
///   characters; `DomainName` ending in `.pstn.twilio.com` and unique, else 400 21245; none:
///   `<sid in lower case>.pstn.twilio.com`); deleting one takes its numbers off.
/// - `POST|GET /v1/Trunks/{TrunkSid}/OriginationUrls`, `DELETE .../OriginationUrls/{Sid}`:
///   `Weight`, `Priority`, `Enabled`, `FriendlyName` and a `sip:` `SipUrl` are required (400
///   21201 / 21202 otherwise).
/// - `POST|GET /v1/Trunks/{TrunkSid}/PhoneNumbers`, `DELETE .../PhoneNumbers/{Sid}`: a number the
///   account owns (`PhoneNumberSid`; 404 20404 for another), on one trunk at a time (400 21220).
/// Lists page with `PageSize` (default 50, at most 1000) and `Page`, `meta.next_page_url` naming
/// the next page. Unknown trunks and members: 404 20404.
/// State: `twilio_trunks (seq, sid UNIQUE, friendly_name, domain_name UNIQUE, date_created)`,
/// `twilio_trunk_origination_urls (seq, sid UNIQUE, trunk_sid, sip_url, friendly_name, priority,
/// weight, enabled, date_created)`, `twilio_trunk_numbers (sid PRIMARY KEY, trunk_sid,
/// phone_number, date_created)`. Every method runs with the sandbox's mutex held (the caller
/// takes it and the transaction).
class TrunkingSandbox {
public:
  /// The E.164 number of the account's number `sid`, empty when the account owns none.
  using OwnedNumber = std::function<std::optional<std::string>(const std::string& sid)>;

  /// Uses `db` (which must outlive this object) for the account `account_sid`.
  TrunkingSandbox(SQLite::Database& db, std::string account_sid, OwnedNumber owned_number);

  /// Creates the tables when missing. Call inside a write transaction.
  static void create_schema(SQLite::Database& db);
  /// Whether the path `segments` are Trunking's (`v1`, `Trunks`, ...).
  [[nodiscard]] static bool handles(const std::vector<std::string>& segments);
  /// Answers one request (`form`: the decoded body of a POST; `origin`: the request's, for
  /// `url` fields). @throws twilio_wire::RequestFailure for refusals.
  http::HttpResponse handle(const std::string& method, const std::vector<std::string>& segments,
                            const Params& query, const Params& form, const std::string& origin);
  /// Takes the released number `sid` off any trunk.
  void forget_number(const std::string& sid);
  /// The trunk the number `sid` is on (its IncomingPhoneNumber's `trunk_sid`); empty for none.
  [[nodiscard]] std::string trunk_of(const std::string& sid) const;
  /// Where a call to `e164` goes when the number is on a trunk (`twilio_trunk_numbers`): the
  /// SIP URL of the trunk's enabled origination URL of highest priority (lowest `priority`,
  /// then highest `weight`), empty when it has none enabled; nullopt when the number is on no
  /// trunk (or the state file has no trunks yet). Call with the sandbox's mutex held.
  [[nodiscard]] static std::optional<std::string> origination_of(SQLite::Database& db,
                                                                 const std::string& e164);

private:
  SQLite::Database& m_db;
  std::string m_account_sid;
  OwnedNumber m_owned_number;
};

} // namespace vami::sandbox
