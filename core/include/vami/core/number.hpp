#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vami/core/money.hpp>

namespace vami {

/// The kind of phone number, as Twilio's AvailablePhoneNumbers resources name them
/// (`Local`, `TollFree`, `Mobile`).
enum class NumberType { local, toll_free, mobile };

/// "local", "toll-free", "mobile": the words used on the command line and in JSON output.
[[nodiscard]] const char* to_string(NumberType type) noexcept;
/// Parses "local", "toll-free" (also "toll_free", "tollfree") or "mobile".
[[nodiscard]] std::optional<NumberType> parse_number_type(std::string_view text) noexcept;

/// Where a pool number is in its life. `purchasing` and `releasing` are transitional (a
/// provider request is in flight or its outcome is unknown); `released` is terminal.
enum class NumberStatus { purchasing, available, assigned, suspended, releasing, released };

/// "purchasing", "available", "assigned", "suspended", "releasing", "released".
[[nodiscard]] const char* to_string(NumberStatus status) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<NumberStatus> parse_number_status(std::string_view text) noexcept;

/// How calls to an assigned number reach its agent. `native`: the number is imported into the
/// voice-agent provider (ElevenLabs) and assigned to the agent there; the provider sets the
/// number's voice URL. `webhook`: the number's voice webhook is set to the platform's call router
/// with the agent's id (`<router URL>?agent_id=<id>`).
enum class RoutingMode { native, webhook };
/// "native", "webhook".
[[nodiscard]] const char* to_string(RoutingMode mode) noexcept;
/// Parses one of the names above.
[[nodiscard]] std::optional<RoutingMode> parse_routing_mode(std::string_view text) noexcept;

/// What the telephony provider calls when a number rings (Twilio `VoiceUrl`, `VoiceMethod`,
/// `StatusCallback`). Empty strings mean "not set"; asked of a provider
/// (`TelephonyProvider::set_voice_webhook`), an empty method or status callback means "leave as
/// it is".
struct VoiceWebhook {
  std::string voice_url;
  std::string voice_method = "POST"; ///< "POST" or "GET".
  std::string status_callback;

  friend bool operator==(const VoiceWebhook&, const VoiceWebhook&) = default;
};

/// A search of a provider's inventory of numbers for sale.
struct NumberSearch {
  std::string country = "US"; ///< ISO 3166-1 alpha-2.
  NumberType type = NumberType::local;
  std::string area_code; ///< Three digits, US and Canada only; empty for any.
  std::string contains;  ///< Twilio `Contains` pattern (digits, letters, `*`, `%`, `+`, `$`).
  std::string region;    ///< State or province code ("NY"); empty for any.
  std::string locality;  ///< City ("New York"); empty for any.
  int limit = 30;        ///< Numbers wanted; providers return at most 30 per search.
};

/// A number offered for sale by a telephony provider.
struct AvailableNumber {
  std::string e164;
  std::string country; ///< ISO 3166-1 alpha-2.
  NumberType type = NumberType::local;
  std::string locality;
  std::string region;
  std::string postal_code;
  bool voice_capable = true;
};

/// A number the platform's provider account owns, as the provider reports it.
struct OwnedNumber {
  std::string provider_sid; ///< Twilio `PN...` SID.
  std::string e164;
  std::string
      friendly_name; ///< Carries vami's tag (`vami:<pool>:<operation>`) when vami bought it.
  VoiceWebhook webhook;
  std::string date_created; ///< As the provider wrote it (RFC 2822 for Twilio).
  /// The SIP trunk the number is on (Twilio `trunk_sid`, "TK..."), empty when none. While on a
  /// trunk the voice webhook is not used: calls follow the trunk's origination URLs.
  std::string sip_trunk_id;
};

/// What a purchase request came to, when the provider answered.
struct PurchaseOutcome {
  /// `bought`: the number now belongs to the account. `unavailable`: someone else took it or it
  /// was never for sale (Twilio 21422); nothing was bought.
  enum class Status { bought, unavailable };
  Status status = Status::bought;
  OwnedNumber number; ///< Set when bought.
  std::string provider_message;
};

/// Why a pool number is out of service and the routing it had before, so that resuming it
/// restores exactly that routing. Kept in the state database while the number is `suspended`.
struct Suspension {
  /// The status before: `available` or `assigned`.
  NumberStatus previous_status = NumberStatus::available;
  /// The agent the number was assigned to (its tenant stays on the row); empty when available.
  std::string agent_slug;
  /// The voice webhook before (for native routing: the one the voice-agent provider set).
  VoiceWebhook previous_webhook;
  /// What callers hear before the call is hung up; empty: calls are rejected.
  std::string message;
  std::string suspended_at; ///< UTC, ISO 8601; filled by the state store when empty.

  friend bool operator==(const Suspension&, const Suspension&) = default;
};

/// A number of the pool as the state database knows it.
struct PoolNumber {
  std::string e164;
  NumberStatus status = NumberStatus::available;
  /// Who holds the number and is paid for it: the telephony provider ("twilio": bought with
  /// `numbers buy`), or a voice-agent provider whose workspace holds it ("synthflow": `numbers
  /// import --provider synthflow`; only that provider's agents answer it, and no request about
  /// it ever goes to the telephony provider).
  std::string provider = "twilio";
  std::string provider_sid; ///< Empty while `purchasing`.
  std::string country;
  NumberType type = NumberType::local;
  std::string locality;
  std::string region;
  std::optional<Money> monthly_price; ///< What the provider charges per month; unknown if empty.
  std::string friendly_name;
  VoiceWebhook webhook;
  std::string operation_id; ///< The operation that bought it.
  std::string tenant_slug;  ///< Set when assigned, and when suspended from an assignment.
  std::string agent_slug;   ///< Set when assigned (a suspended number's is in `suspension`).
  /// Set when assigned, and kept while suspended from an assignment (the mode resume restores).
  std::optional<RoutingMode> routing_mode;
  /// The voice-agent provider's id of the number once imported (ElevenLabs `phone_number_id`);
  /// kept after unassignment so the number is not imported twice.
  std::string agent_phone_number_id;
  /// The vami process changing how the number is routed right now (`current_process_holder`
  /// form): taken by assign, reassign and unassign in the same transaction as the change and
  /// given back once the providers have answered, so that no second change starts before the
  /// first has reached the providers. Empty when no change is in flight.
  std::string routing_holder;
  std::string routing_since; ///< UTC, ISO 8601: when `routing_holder` took the number.
  /// Set exactly when `suspended`: what callers hear and the routing `numbers resume` restores.
  std::optional<Suspension> suspension;
  std::string created_at; ///< UTC, ISO 8601 ("2026-11-22T03:35:28Z"): when it was bought.
  std::string updated_at;
  std::string released_at; ///< UTC, ISO 8601: when it was released; empty unless `released`.
};

/// A filter over the pool; empty fields match everything.
struct NumberFilter {
  std::optional<NumberStatus> status;
  std::string area_code; ///< Three digits after +1.
  std::string region;
  std::string tenant_slug;
  std::string agent_slug;   ///< Assigned to it, or suspended from an assignment to it.
  std::string locality;     ///< City, compared without regard to case.
  std::string operation_id; ///< Numbers bought by this operation.
  /// Numbers held by this provider (`PoolNumber::provider`: "twilio", or a voice-agent
  /// provider whose workspace holds them, "synthflow").
  std::string provider;
  bool include_released = false; ///< Released numbers are listed only when asked for by status.
};

} // namespace vami
