// The Twilio emulator's Pricing v1: `GET /v1/PhoneNumbers/Countries[/{IsoCountry}]`, the
// monthly prices of the countries the sandbox sells in.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include "twilio/emulator/twilio_emulator.hpp"
#include "twilio/emulator/wire.hpp"
#include <nlohmann/json.hpp>

namespace vami::sandbox {

using namespace twilio_wire; // NOLINT(google-build-using-namespace): this emulator's wire helpers

// GET /v1/PhoneNumbers/Countries: the countries the sandbox prices, in Page/PageSize pages.
http::HttpResponse TwilioSandbox::pricing_countries(const ParsedUrl& url, const Params& query) {
  std::int64_t page_size = validated_page_size(query);
  std::int64_t page = 0;
  if (auto value = param(query, "Page")) {
    auto parsed = parse_integer(*value);
    if (!parsed || *parsed > k_max_page_index) {
      return twilio_error(400, 20001, "Page must be a non-negative integer, got '" + *value + "'");
    }
    page = *parsed;
  }
  std::string origin = url.origin.empty() ? "https://pricing.twilio.com" : url.origin;
  std::string base = origin + url.path;
  auto page_url = [&](std::int64_t number) {
    return base + "?PageSize=" + std::to_string(page_size) + "&Page=" + std::to_string(number);
  };
  Json countries = Json::array();
  auto total = static_cast<std::int64_t>(k_countries.size());
  for (std::int64_t i = page * page_size; i < total && i < (page + 1) * page_size; ++i) {
    const SandboxCountry& country = k_countries[static_cast<std::size_t>(i)];
    countries.push_back(Json{{"country", country.name},
                             {"iso_country", country.iso},
                             {"url", base + "/" + std::string(country.iso)}});
  }
  Json meta;
  meta["page"] = page;
  meta["page_size"] = page_size;
  meta["first_page_url"] = page_url(0);
  meta["previous_page_url"] = page > 0 ? Json(page_url(page - 1)) : Json(nullptr);
  meta["url"] = page_url(page);
  meta["next_page_url"] = (page + 1) * page_size < total ? Json(page_url(page + 1)) : Json(nullptr);
  meta["key"] = "countries";
  Json body;
  body["countries"] = std::move(countries);
  body["meta"] = std::move(meta);
  return json_response(200, body);
}

http::HttpResponse TwilioSandbox::pricing(const ParsedUrl& url, const std::string& iso) {
  struct CountryPrices {
    const char* iso;
    const char* name;
    std::vector<std::pair<const char*, const char*>> prices; // number_type, USD per month
  };
  static const std::array<CountryPrices, 3> k_prices = {{
      {"US", "United States", {{"local", "1.15"}, {"toll free", "2.15"}}},
      {"CA", "Canada", {{"local", "1.15"}, {"toll free", "2.15"}}},
      {"GB", "United Kingdom", {{"local", "1.15"}, {"mobile", "1.15"}, {"toll free", "2.15"}}},
  }};
  for (const CountryPrices& country : k_prices) {
    if (iso != country.iso) {
      continue;
    }
    Json prices = Json::array();
    for (const auto& [number_type, price] : country.prices) {
      prices.push_back(
          Json{{"number_type", number_type}, {"base_price", price}, {"current_price", price}});
    }
    std::string origin = url.origin.empty() ? "https://pricing.twilio.com" : url.origin;
    Json body;
    body["country"] = country.name;
    body["iso_country"] = country.iso;
    body["phone_number_prices"] = std::move(prices);
    body["price_unit"] = "USD";
    body["url"] = origin + url.path;
    return json_response(200, body);
  }
  return not_found(url.path);
}

} // namespace vami::sandbox
