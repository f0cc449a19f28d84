// The Twilio emulator's AvailablePhoneNumbers: the countries it sells in and the searches of
// their Local, TollFree and Mobile numbers, answered from the deterministic inventory
// (inventory.hpp) less the numbers the account owns.

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include "twilio/emulator/inventory.hpp"
#include "twilio/emulator/twilio_emulator.hpp"
#include "twilio/emulator/wire.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <vami/core/number.hpp>

namespace vami::sandbox {

using namespace twilio_wire; // NOLINT(google-build-using-namespace): this emulator's wire helpers

// api.v2010.account.available_phone_number_country of a country the sandbox sells in.
Json TwilioSandbox::country_json(const SandboxCountry& country) const {
  std::string base =
      "/2010-04-01/Accounts/" + m_credentials.account_sid + "/AvailablePhoneNumbers/" + country.iso;
  Json subresources = Json::object();
  for (NumberType type : {NumberType::local, NumberType::toll_free, NumberType::mobile}) {
    if (inventory_offers(country.iso, type)) {
      subresources[type == NumberType::local       ? "local"
                   : type == NumberType::toll_free ? "toll_free"
                                                   : "mobile"] = base + "/" + resource_name(type);
    }
  }
  Json body;
  body["country_code"] = country.iso;
  body["country"] = country.name;
  body["uri"] = base + ".json";
  body["beta"] = false;
  body["subresource_uris"] = std::move(subresources);
  return body;
}

http::HttpResponse TwilioSandbox::available_countries(const std::string& path) const {
  Json countries = Json::array();
  for (const SandboxCountry& country : k_countries) {
    countries.push_back(country_json(country));
  }
  Json body;
  body["countries"] = std::move(countries);
  body["uri"] = path;
  return json_response(200, body);
}

http::HttpResponse TwilioSandbox::available_country(const std::string& path,
                                                    const std::string& iso) const {
  for (const SandboxCountry& country : k_countries) {
    if (to_upper(iso) == country.iso) {
      return json_response(200, country_json(country));
    }
  }
  return not_found(path);
}

std::unordered_set<std::string> TwilioSandbox::owned_numbers() {
  std::lock_guard lock(m_mutex);
  std::unordered_set<std::string> owned;
  SQLite::Statement select(m_db, "SELECT phone_number FROM incoming_phone_numbers");
  while (select.executeStep()) {
    owned.insert(select.getColumn(0).getString());
  }
  return owned;
}

http::HttpResponse TwilioSandbox::search(const ParsedUrl& url, const std::string& country_segment,
                                         const std::string& type_segment, const Params& query) {
  std::optional<NumberType> type;
  if (type_segment == "Local.json") {
    type = NumberType::local;
  } else if (type_segment == "TollFree.json") {
    type = NumberType::toll_free;
  } else if (type_segment == "Mobile.json") {
    type = NumberType::mobile;
  }
  std::string country = to_upper(country_segment);
  if (!type || !inventory_offers(country, *type)) {
    return not_found(url.path);
  }
  InventoryQuery inventory_query;
  inventory_query.country = country;
  inventory_query.type = *type;
  inventory_query.area_code = param(query, "AreaCode").value_or("");
  inventory_query.contains = param(query, "Contains").value_or("");
  inventory_query.in_region = param(query, "InRegion").value_or("");
  inventory_query.in_locality = param(query, "InLocality").value_or("");
  inventory_query.in_postal_code = param(query, "InPostalCode").value_or("");
  inventory_query.limit =
      std::min(static_cast<std::size_t>(validated_page_size(query)), k_max_search_results);

  std::unordered_set<std::string> owned = owned_numbers();
  std::vector<Listing> listings = search_inventory(
      inventory_query, [&](const std::string& e164) { return owned.count(e164) > 0; });

  Json numbers = Json::array();
  for (const Listing& listing : listings) {
    ListingDetails details = details_of(listing);
    Json number;
    number["friendly_name"] = details.friendly_name;
    number["phone_number"] = listing.e164;
    number["lata"] = nullable(details.lata);
    number["locality"] = nullable(listing.locality);
    number["rate_center"] = nullable(details.rate_center);
    number["latitude"] = nullable(details.latitude);
    number["longitude"] = nullable(details.longitude);
    number["region"] = nullable(listing.region);
    number["postal_code"] = nullable(details.postal_code);
    number["iso_country"] = listing.iso_country;
    number["address_requirements"] = "none";
    number["beta"] = false;
    number["capabilities"] = capabilities(listing.iso_country, listing.type);
    numbers.push_back(std::move(number));
  }
  // Twilio's search has a single page: no next or previous page.
  Json body;
  body["uri"] = url.path;
  body["first_page_uri"] = url.path;
  body["next_page_uri"] = nullptr;
  body["previous_page_uri"] = nullptr;
  body["page"] = 0;
  body["page_size"] = inventory_query.limit;
  body["start"] = 0;
  body["end"] = numbers.empty() ? 0 : numbers.size() - 1;
  body["available_phone_numbers"] = std::move(numbers);
  return json_response(200, body);
}

} // namespace vami::sandbox
