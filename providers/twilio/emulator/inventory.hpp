#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vami/core/number.hpp>

// Private to the sandbox emulator: the deterministic inventory of numbers "for sale".

namespace vami::sandbox {

/// One number the sandbox offers for sale, as its inventory generated it.
struct Listing {
  std::string e164;
  std::string iso_country; ///< "US", "CA", "GB".
  NumberType type = NumberType::local;
  std::string area_code; ///< The inventory block: NANP area code ("212"), GB prefix ("20", "74").
  std::string locality;  ///< City from libphonenumber's geocoder; empty when unknown.
  std::string region;    ///< Two-letter US state or Canadian province; empty elsewhere or unknown.
};

/// The fields of Twilio's `available_phone_number_*` schema that the geocoder does not give,
/// made up deterministically from the listing so that a number always shows the same values.
/// Empty strings stand for JSON null.
struct ListingDetails {
  std::string friendly_name; ///< National format for NANP ("(212) 555-0101"), else E.164.
  std::string lata;          ///< Three digits (US and Canada only).
  std::string rate_center;   ///< The locality in upper case (US and Canada only).
  std::string latitude;      ///< Degrees with six decimals, such as "40.712800".
  std::string longitude;
  std::string postal_code; ///< US ZIP code or Canadian postal code.
};

/// A search of the inventory, with Twilio's `AvailablePhoneNumbers` filters.
struct InventoryQuery {
  std::string country; ///< Upper-case ISO 3166-1 alpha-2.
  NumberType type = NumberType::local;
  std::string area_code;      ///< `AreaCode`; empty for any.
  std::string contains;       ///< `Contains` pattern; empty for any.
  std::string in_region;      ///< `InRegion`, compared case-insensitively; empty for any.
  std::string in_locality;    ///< `InLocality`, compared case-insensitively; empty for any.
  std::string in_postal_code; ///< `InPostalCode`, compared ignoring case and spaces.
  std::size_t limit = 30;
};

/// Whether the sandbox sells numbers of `type` in `country`: US and CA Local and TollFree; GB
/// Local, Mobile and TollFree.
[[nodiscard]] bool inventory_offers(std::string_view country, NumberType type);

/// Loads what searches need on first use (libphonenumber's metadata, the offline geocoder's
/// North American and British tables), so that the
/// first searches of a served sandbox answer within its latency like later ones. Optional:
/// everything also loads on demand. Thread-safe.
void warm_up_inventory();

/// The first `query.limit` listings matching `query`, in the inventory's fixed order, skipping
/// those for which `is_taken(e164)` is true. The same query over the same taken set always
/// returns the same listings. Thread-safe; generated inventory blocks are cached per process.
[[nodiscard]] std::vector<Listing>
search_inventory(const InventoryQuery& query,
                 const std::function<bool(const std::string&)>& is_taken);

/// The listing of `e164` when the inventory has it (taken or not); nullopt otherwise.
[[nodiscard]] std::optional<Listing> find_in_inventory(std::string_view e164);

/// The made-up details of `listing` (see `ListingDetails`).
[[nodiscard]] ListingDetails details_of(const Listing& listing);

/// Whether `e164` matches Twilio's `Contains` pattern: `*` one character, `%` any sequence,
/// a leading `+` anchors the start, a trailing `$` anchors the end, letters stand for their
/// phone-keypad digits; unanchored, the pattern may match anywhere. The pattern is tried
/// against the E.164 digits without '+' and against the national significant number; a match
/// on either counts. A pattern with other characters matches nothing.
[[nodiscard]] bool contains_matches(std::string_view pattern, std::string_view e164);

} // namespace vami::sandbox
