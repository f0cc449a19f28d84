#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace vami {

/// The class of a failure, chosen so that the command line can map it to one documented exit
/// code (see docs/exit-codes.md) and a caller can decide whether a retry may help.
enum class ErrorKind {
  invalid_input, ///< Bad input from the user: flag, argument, file, configuration (exit 2).
  not_found,     ///< A number, tenant, agent or operation that does not exist (exit 3).
  conflict,      ///< The state forbids it: already assigned, pool too small (exit 4).
  auth,          ///< Credentials missing or rejected by a provider (exit 5).
  rate_limited,  ///< The provider asked to slow down (HTTP 429); safe to retry later (exit 6).
  unavailable,   ///< Provider or network unreachable, timed out or 5xx; retry later (exit 6).
  provider,      ///< The provider refused the request for another reason (exit 1).
  storage,       ///< The state database failed (I/O, corruption, lock timeout) (exit 1).
  uncertain,     ///< An action may or may not have happened; run `vami reconcile` (exit 8).
  interrupted,   ///< The user interrupted the command (Ctrl-C) (exit 130).
};

/// What a provider said when it refused a request, kept verbatim so that support staff can
/// quote it to the provider: HTTP status, the provider's own error code (Twilio's numeric
/// `code` such as "21422", ElevenLabs' `detail.status`), its message, its documentation link
/// (`more_info`) and the request id from the response headers (`Twilio-Request-Id`).
struct ProviderErrorDetail {
  std::string provider; ///< "twilio", "twilio-pricing", "elevenlabs".
  int http_status = 0;  ///< HTTP status of the response; 0 when no response arrived.
  std::string code;     ///< Provider error code as text; empty when the body had none.
  std::string message;  ///< Provider's message.
  std::string more_info;
  std::string request_id;
};

/// The one exception type vami throws for failures a user can meet. `what()` says what failed
/// and why; `hint()` says what to do next. It is caught once, in `main`, and mapped to an exit
/// code by its kind.
class Error : public std::runtime_error {
public:
  /// Builds an error of `kind` with a message (what failed and why) and an optional hint (what
  /// to do next).
  Error(ErrorKind kind, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)) {}

  /// Builds an error that carries what a provider answered.
  Error(ErrorKind kind, std::string message, std::string hint, ProviderErrorDetail detail)
      : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)),
        m_provider(std::move(detail)) {}

  /// The class of the failure.
  [[nodiscard]] ErrorKind kind() const noexcept { return m_kind; }
  /// What to do next; may be empty.
  [[nodiscard]] const std::string& hint() const noexcept { return m_hint; }
  /// The provider's own answer, when the failure came from a provider response.
  [[nodiscard]] const std::optional<ProviderErrorDetail>& provider_detail() const noexcept {
    return m_provider;
  }
  /// Seconds the provider asked to wait (HTTP `Retry-After`), when it said so.
  [[nodiscard]] std::optional<double> retry_after_seconds() const noexcept {
    return m_retry_after_seconds;
  }
  /// Records the provider's `Retry-After`, in seconds.
  void set_retry_after_seconds(double seconds) { m_retry_after_seconds = seconds; }

private:
  ErrorKind m_kind;
  std::string m_hint;
  std::optional<ProviderErrorDetail> m_provider;
  std::optional<double> m_retry_after_seconds;
};

/// The stable lower-case name of an error kind ("invalid_input", "not_found", ...), used in
/// JSON output and logs.
[[nodiscard]] const char* to_string(ErrorKind kind) noexcept;

/// Whether repeating the same request later may succeed (rate_limited, unavailable).
[[nodiscard]] bool is_transient(ErrorKind kind) noexcept;

} // namespace vami
