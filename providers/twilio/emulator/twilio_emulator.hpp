#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include "twilio/emulator/inventory.hpp"
#include "twilio/emulator/number_settings.hpp"
#include "twilio/emulator/trunking.hpp"
#include "twilio/emulator/wire.hpp"

#include <vami/core/number.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox: its Twilio half.

namespace vami::sandbox {

/// One row of `incoming_phone_numbers`: a number the account owns.
struct NumberRow {
  std::string sid;
  std::string phone_number;
  std::string friendly_name;
  std::string iso_country;
  std::string type;
  std::int64_t date_created = 0;
  std::int64_t date_updated = 0;
  NumberSettings settings = default_number_settings(); ///< URLs, methods and the rest
};

/// The sandbox's one Twilio account, as its state file holds it.
struct TwilioAccount {
  SandboxCredentials credentials;
  std::string friendly_name;     ///< "vami sandbox".
  std::int64_t date_created = 0; ///< Unix seconds.
};

/// An emulator of the Twilio REST API 2010-04-01 and Pricing v1 endpoints vami uses, following
/// `shared/specs/twilio_api_v2010.json` (same paths, fields, status codes and error bodies; see
/// `SandboxEmulator` in <vami/providers/sandbox.hpp> for the list):
///
/// - `Accounts/{Sid}.json`: the account.
/// - `AvailablePhoneNumbers.json`, `AvailablePhoneNumbers/{Country}.json` and its Local,
///   TollFree and Mobile searches (available_numbers.cpp), from the deterministic inventory
///   (inventory.hpp) less the numbers owned.
/// - `IncomingPhoneNumbers.json` and its Local, TollFree and Mobile lists and creates, fetch,
///   update and release (incoming_numbers.cpp), every documented setting stored or refused
///   (number_settings.hpp).
/// - `Calls.json`: the call log (calls_list.hpp).
/// - `/v1/Trunks...`: Elastic SIP Trunking v1 (trunking.hpp); a released number leaves its
///   trunk.
/// - `/v1/PhoneNumbers/Countries[/{IsoCountry}]`: Pricing v1 (pricing.cpp).
/// - `POST /__sandbox/calls`, the sandbox's own: answered by `Hooks::place_call`.
///
/// State: `incoming_phone_numbers (sid, phone_number UNIQUE, friendly_name, the settings,
/// iso_country, type, date_created, date_updated)` and `calls`, in the sandbox's SQLite file.
/// Thread-safe: it shares the sandbox's one connection and the mutex that guards it; writes run
/// in `BEGIN IMMEDIATE` transactions so several processes may share the file.
class TwilioSandbox {
public:
  /// What the Twilio half asks of the rest of the sandbox.
  struct Hooks {
    /// Answers `POST /__sandbox/calls` (a simulated inbound call), once authenticated.
    std::function<http::HttpResponse(const http::HttpRequest&)> place_call;
    /// Called with the SID of a number being released, with the mutex held and inside the
    /// release's transaction (the ElevenLabs emulator forgets its import).
    std::function<void(const std::string& sid)> number_released;
  };

  /// Uses `db` (guarded by `mutex`; both must outlive this object) as the account `account`.
  TwilioSandbox(SQLite::Database& db, std::mutex& mutex, TwilioAccount account, Hooks hooks);

  /// Creates `incoming_phone_numbers` in a fresh state file. Call inside a write transaction.
  static void create_schema(SQLite::Database& db);
  /// Brings the tables of a state file made by an older vami up to date (the settings columns,
  /// the `calls` table). Call inside a write transaction.
  static void upgrade_schema(SQLite::Database& db);

  /// Answers one request exactly as Twilio would (401 for wrong credentials, 404 for unknown
  /// paths). Never throws: failures become Twilio's 500 (code 20500).
  http::HttpResponse handle(const http::HttpRequest& request);

  // -- What the ElevenLabs emulator sees of the account: call with the mutex held ------------

  /// The SID ("PN...") of the number `e164` the account owns; nullopt when it owns none.
  std::optional<std::string> owned_number_sid(const std::string& e164);
  /// The voice URL of the owned number `sid` ("" when none or unknown).
  std::string number_voice_url(const std::string& sid);
  /// Sets the voice URL and its method ("GET" or "POST") of the owned number `sid`.
  void set_number_voice_url(const std::string& sid, const std::string& url,
                            const std::string& method);

private:
  bool authenticated(const http::HttpRequest& request) const;
  http::HttpResponse route(const http::HttpRequest& request);
  http::HttpResponse account() const;

  // -- AvailablePhoneNumbers (available_numbers.cpp) -------------------------------------------
  twilio_wire::Json country_json(const twilio_wire::SandboxCountry& country) const;
  http::HttpResponse available_countries(const std::string& path) const;
  http::HttpResponse available_country(const std::string& path, const std::string& iso) const;
  std::unordered_set<std::string> owned_numbers();
  http::HttpResponse search(const ParsedUrl& url, const std::string& country_segment,
                            const std::string& type_segment, const Params& query);

  // -- IncomingPhoneNumbers (incoming_numbers.cpp) ---------------------------------------------
  std::string number_uri(const std::string& sid) const;
  twilio_wire::Json number_json(const NumberRow& row) const;
  std::optional<NumberRow> select_number(const std::string& sid);
  std::optional<NumberRow> insert_number(const Listing& listing,
                                         const std::optional<std::string>& friendly_name,
                                         const NumberSettings& settings);
  static http::HttpResponse not_available();
  http::HttpResponse buy(const Params& form, std::optional<NumberType> only);
  http::HttpResponse list_numbers(const Params& query, std::optional<NumberType> type);
  http::HttpResponse fetch_number(const std::string& path, const std::string& sid);
  http::HttpResponse update_number(const std::string& path, const std::string& sid,
                                   const Params& form);
  http::HttpResponse delete_number(const std::string& path, const std::string& sid);

  // -- Pricing v1 (pricing.cpp) ----------------------------------------------------------------
  static http::HttpResponse pricing_countries(const ParsedUrl& url, const Params& query);
  static http::HttpResponse pricing(const ParsedUrl& url, const std::string& iso);

  SQLite::Database& m_db;
  std::mutex& m_mutex; // one connection, used by one thread at a time
  SandboxCredentials m_credentials;
  std::string m_account_name;
  std::int64_t m_account_created = 0;
  std::vector<std::string> m_accepted_authorizations; ///< Basic credentials, auth token or API key.
  std::function<http::HttpResponse(const http::HttpRequest&)> m_place_call;
  std::function<void(const std::string& sid)> m_number_released;
  /// Elastic SIP Trunking v1 (`/v1/Trunks...`, trunking.hpp).
  TrunkingSandbox m_trunking;
};

} // namespace vami::sandbox
