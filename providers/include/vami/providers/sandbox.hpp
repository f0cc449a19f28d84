#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <vami/providers/http_client.hpp>

namespace vami::sandbox {

/// The credentials of the sandbox's one Twilio account, made when its state file is created.
/// The account accepts HTTP Basic with either the Account SID and Auth Token or its one API
/// key (SID and secret), as Twilio does.
struct SandboxCredentials {
  std::string account_sid;    ///< "AC" + 32 hex digits.
  std::string auth_token;     ///< 32 hex digits.
  std::string api_key_sid;    ///< "SK" + 32 hex digits, derived from the auth token.
  std::string api_key_secret; ///< 32 hex digits, derived from the auth token.
  /// The sandbox ElevenLabs account's `xi-api-key`: "sk_" + 48 hex digits, derived from the
  /// auth token.
  std::string elevenlabs_api_key;
};

/// A local emulator of the Twilio REST API 2010-04-01 (`AvailablePhoneNumbers`,
/// `IncomingPhoneNumbers`) and Pricing v1 (`/v1/PhoneNumbers/Countries/{IsoCountry}`): same
/// paths, fields, status codes and error bodies (20003, 20404, 21422, 21452, ...) as the
/// official documents in `shared/specs`. Its inventory is deterministic for every US and
/// Canadian area code in service and for GB; localities and regions come from
/// libphonenumber's offline geocoder. State (owned numbers) lives in its own SQLite file so
/// separate vami runs see the same account. Thread-safe.
class SandboxEmulator {
public:
  virtual ~SandboxEmulator() = default;
  /// Answers one request exactly as the providers would (including 401 for wrong credentials
  /// and 404 for unknown paths).
  virtual http::HttpResponse handle(const http::HttpRequest& request) = 0;
  /// The sandbox account's credentials.
  [[nodiscard]] virtual SandboxCredentials credentials() const = 0;
};

/// Opens (creating if needed) the emulator's state file at `state_path`.
/// @throws vami::Error(invalid_input) when the folder does not exist or the file is not a
///         sandbox state file; Error(storage) for other database failures.
[[nodiscard]] std::unique_ptr<SandboxEmulator>
open_sandbox(const std::filesystem::path& state_path);

/// Options of `vami sandbox serve`.
struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 0;       ///< 0 picks a free port.
  int latency_ms = 0; ///< Added before each response.
};

/// Serves `emulator` over HTTP on loopback (cpp-httplib) until `stop_requested` returns true
/// (polled every 100 ms). `on_listening` is called once with the bound port.
/// @throws vami::Error(unavailable) when the port cannot be bound.
void serve(SandboxEmulator& emulator, const ServeOptions& options,
           const std::function<void(int port)>& on_listening,
           const std::function<bool()>& stop_requested);

} // namespace vami::sandbox
