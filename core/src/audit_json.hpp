#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <vami/core/number.hpp>

namespace vami::detail {

/// A pool number as the audit trail records it before and after a change (JSON text; the
/// fields that identify, route and bill the number, never a secret).
inline std::string audit_json(const PoolNumber& number) {
  nlohmann::ordered_json json{
      {"e164", number.e164},
      {"status", to_string(number.status)},
      {"provider_sid", number.provider_sid},
      {"friendly_name", number.friendly_name},
      {"voice_url", number.webhook.voice_url},
      {"voice_method", number.webhook.voice_method},
      {"status_callback", number.webhook.status_callback},
      {"tenant", number.tenant_slug},
      {"agent", number.agent_slug},
      {"operation_id", number.operation_id},
  };
  if (number.monthly_price) {
    json["monthly_price_micros"] = number.monthly_price->micros;
    json["currency"] = number.monthly_price->currency;
  }
  return json.dump();
}

} // namespace vami::detail
