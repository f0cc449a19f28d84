#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/sandbox_media_stream.hpp"
#include "twilio/emulator/twiml.hpp"
#include <nlohmann/json.hpp>

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to providers/: what a voice-agent provider's emulator is to the sandbox that composes
// it (docs/architecture.md, "Adding a provider"). A provider's registration makes its emulator
// (`AgentProviderDescriptor::make_emulator`); the sandbox (sandbox_emulator.cpp) creates its
// tables, routes the paths it claims to it, names it in the request log, tells it of released
// Twilio numbers, and lets it answer the simulated calls that reach it
// (sandbox_voice_calls.cpp).

namespace vami::sandbox {

/// What an emulator sees of the sandbox's Twilio account: its owned numbers
/// (`incoming_phone_numbers`) and their voice URL. Every method is called with the connection's
/// mutex held and inside the caller's transaction, so it must neither lock nor begin one.
class TwilioAccountView {
public:
  virtual ~TwilioAccountView() = default;
  /// The SID ("PN...") of the number `e164` the account owns; empty when it owns no such number.
  virtual std::optional<std::string> owned_number_sid(const std::string& e164) = 0;
  /// The voice URL of the owned number `sid` ("" when none or unknown).
  virtual std::string number_voice_url(const std::string& sid) = 0;
  /// Sets the voice URL and its method ("GET" or "POST") of the owned number `sid`, as
  /// `POST /IncomingPhoneNumbers/{Sid}.json` with `VoiceUrl` and `VoiceMethod` would.
  virtual void set_number_voice_url(const std::string& sid, const std::string& url,
                                    const std::string& method) = 0;
};

/// What an emulator is made with. Every reference must outlive the emulator.
struct EmulatorContext {
  SQLite::Database& db; ///< The sandbox's state file, guarded by `mutex`.
  std::mutex& mutex;
  TwilioAccountView& twilio; ///< The sandbox's Twilio account (imports, voice URLs).
  /// The sandbox's Twilio account (its SID, auth token and API key; `provider_values` empty),
  /// for emulators that check the Twilio credentials an import presents.
  SandboxCredentials twilio_credentials;
  /// This provider's own sandbox values by profile key, as its descriptor's `sandbox_settings`
  /// derives them from the sandbox account (its credentials, and values such as a webhook
  /// secret; its base URL is relative, "" standing for the sandbox's origin): the key the
  /// emulator accepts is the one the provider is configured with.
  std::map<std::string, std::string> settings;

  /// The value of `key` in `settings`; "" when absent.
  [[nodiscard]] std::string setting(const std::string& key) const;
};

/// One simulated inbound call, as the sandbox's Twilio hands it to a provider.
struct InboundCall {
  std::string call_sid;     ///< Twilio's SID of the call ("CA...").
  std::string to;           ///< The number called (E.164).
  std::string from;         ///< The caller (E.164).
  std::string line;         ///< What the caller says after the greeting.
  std::int64_t started = 0; ///< Seconds since the epoch.
  std::int64_t seconds = 0; ///< How long a connected conversation lasts.
};

/// The agent that took a call.
struct CallAgent {
  std::string agent_id;
  std::string name;
  std::string first_message; ///< Its greeting; empty: "Hello, this is NAME."
};

/// How a simulated call went, as it is followed (the answer of `POST /__sandbox/calls` is
/// made from it).
struct CallProgress {
  /// "connected", "rejected", "spoken" or "failed".
  std::string outcome = "failed";
  std::string reason;  ///< Why it was rejected or failed ("not_imported", ...); empty else.
  std::string message; ///< What a `<Say>` spoke.
  std::optional<CallAgent> agent;
  /// The provider's id of the number that answered natively (ElevenLabs' import), if any.
  std::string answering_number_id;
  std::string conversation_id; ///< The provider's id of the conversation; empty: none.
  /// The call's dynamic variables (name, value), in order.
  std::vector<std::pair<std::string, std::string>> dynamic_variables;
  /// The delivery of the voice webhook (or of the provider's inbound webhook), or null.
  nlohmann::ordered_json voice_webhook = nullptr;
  /// The delivery of the provider's post-call webhook, or null.
  nlohmann::ordered_json post_call = nullptr;
  /// A stream agent's call: the `<Stream url>` the sandbox took as the orchestrator; empty
  /// otherwise (then `conversation_id` is shown).
  std::string stream_url;
  std::optional<media_stream::Followed> followed; ///< How a stream agent's stream went.
};

/// What answering a call may use. Every member must outlive the call.
struct CallContext {
  SQLite::Database& db; ///< The sandbox's state file, guarded by `mutex` (not held on entry).
  std::mutex& mutex;
  SandboxCredentials credentials; ///< The Twilio account (its SID; its auth token signs).
  /// The client of the requests providers send (webhooks); made on first use.
  std::function<http::HttpClient&()> http;
  /// Follows a stream agent's `<Connect><Stream url>` (media_stream::follow with the sandbox's
  /// orchestrator); unset: followed to the TwiML only.
  std::function<media_stream::Followed(const std::string& url,
                                       const media_streams::StreamedCall& call)>
      follow_stream = {};
};

/// Sends `request` with `http` (a provider's webhook, as a simulated call sends it): `{url:
/// shown_url, status, error}` and the response when one came (errors are caught and shown, never
/// thrown).
[[nodiscard]] std::pair<nlohmann::ordered_json, std::optional<http::HttpResponse>>
deliver_webhook(http::HttpClient& http, const http::HttpRequest& request,
                const std::string& shown_url);

/// One voice-agent provider's emulator in the sandbox. Thread-safe: requests and calls may
/// come from several threads at once; the state file is shared through `EmulatorContext::db`
/// under its mutex.
class AgentProviderEmulator {
public:
  virtual ~AgentProviderEmulator() = default;

  /// Creates its tables when missing (`CREATE TABLE IF NOT EXISTS`, so state files made
  /// before it existed keep working). Called once when the sandbox opens, with the mutex not
  /// held, inside the sandbox's write transaction.
  virtual void create_schema(SQLite::Database& db) = 0;

  /// Whether the request path `path` is one of its API's.
  [[nodiscard]] virtual bool handles(std::string_view path) const = 0;

  /// Answers one request whose URL path is `path` and query string (without `?`) is `query`,
  /// as the provider would (401 for a wrong key, 404 for an unknown route). Never throws:
  /// failures become the provider's 500.
  virtual http::HttpResponse handle(const http::HttpRequest& request, const std::string& path,
                                    const std::string& query) = 0;

  /// The header its API key travels in, for the request log to show it masked
  /// (`masked_credential`): `Authorization` (any scheme) unless it names another
  /// (ElevenLabs' `xi-api-key`).
  [[nodiscard]] virtual std::string credential_header() const { return "Authorization"; }

  /// The error body (and headers) an injected fault answers `fault` with on one of its paths,
  /// in the provider's own wire format; nullopt: Twilio's (the sandbox's default). Called for
  /// paths it `handles` only, from any thread; must not touch the state file.
  [[nodiscard]] virtual std::optional<FaultBody> fault_body(const RejectedRequest& fault) const {
    (void)fault;
    return std::nullopt;
  }

  /// Told that the Twilio number `sid` is being released (mutex held, inside the release's
  /// transaction): an import of it goes with it.
  virtual void twilio_number_released(const std::string& sid) { (void)sid; }

  // -- Simulated calls (sandbox_voice_calls.cpp) ----------------------------------------------

  /// Whether a number whose voice URL is `url` rings this provider natively (kind
  /// `agent_provider`): then `answer_voice_url` answers it.
  [[nodiscard]] virtual bool answers_voice_url(std::string_view url) const {
    (void)url;
    return false;
  }
  /// Whether a number on an Elastic SIP trunk whose origination SIP URL is `sip_url` rings
  /// this provider (kind `sip_trunk`): then `answer_sip` answers it.
  [[nodiscard]] virtual bool answers_sip_address(std::string_view sip_url) const {
    (void)sip_url;
    return false;
  }
  /// Whether the TwiML `<Connect><Stream>` of `answer` goes to this provider: then
  /// `answer_stream` answers it.
  [[nodiscard]] virtual bool answers_stream(const twiml::Answer& answer) const {
    (void)answer;
    return false;
  }

  /// Answers `call` to a number whose voice URL `answers_voice_url`: sets `progress`'s outcome,
  /// reason, agent and conversation.
  virtual void answer_voice_url(const CallContext& context, const InboundCall& call,
                                CallProgress& progress) {
    (void)context, (void)call, (void)progress;
  }
  /// Answers `call`, sent over a SIP trunk to `sip_url`: as `answer_voice_url`, plus the
  /// provider's own webhooks (`voice_webhook`, `post_call`), and records its own conversation.
  virtual void answer_sip(const CallContext& context, const InboundCall& call,
                          const std::string& sip_url, CallProgress& progress) {
    (void)context, (void)call, (void)sip_url, (void)progress;
  }
  /// Answers `call`, connected to this provider by the TwiML `answer`: as `answer_voice_url`.
  virtual void answer_stream(const CallContext& context, const InboundCall& call,
                             const twiml::Answer& answer, CallProgress& progress) {
    (void)context, (void)call, (void)answer, (void)progress;
  }

  /// Records the conversation of a call this provider answered (`transcript`: `[{role,
  /// message, time_in_call_secs}]`, empty unless connected), with the mutex held and inside
  /// the transaction that records the call in Twilio's log.
  virtual void record_call(SQLite::Database& db, const InboundCall& call,
                           const CallProgress& progress, const nlohmann::ordered_json& transcript) {
    (void)db, (void)call, (void)progress, (void)transcript;
  }
  /// After the call is recorded and Twilio's status callback sent: sends the provider's
  /// post-call webhook of a call it answered, when it sends one then (`progress.post_call`).
  virtual void after_call(const CallContext& context, const InboundCall& call,
                          CallProgress& progress) {
    (void)context, (void)call, (void)progress;
  }

  /// Puts numbers in the provider's own workspace (`SandboxEmulator::seed_synthflow_numbers`);
  /// nullopt when the provider has no such numbers.
  /// @throws SQLite::Exception when the file cannot be written.
  virtual std::optional<SeededNumbers> seed_numbers(int count) {
    (void)count;
    return std::nullopt;
  }
};

} // namespace vami::sandbox
