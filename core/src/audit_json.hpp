#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/tenant.hpp>

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
  if (number.routing_mode) {
    json["routing_mode"] = to_string(*number.routing_mode);
  }
  if (number.monthly_price) {
    json["monthly_price_micros"] = number.monthly_price->micros;
    json["currency"] = number.monthly_price->currency;
  }
  if (number.suspension) {
    const Suspension& suspension = *number.suspension;
    json["suspension"] = {{"previous_status", to_string(suspension.previous_status)},
                          {"agent", suspension.agent_slug},
                          {"previous_voice_url", suspension.previous_webhook.voice_url},
                          {"previous_voice_method", suspension.previous_webhook.voice_method},
                          {"message", suspension.message}};
  }
  return json.dump();
}

/// A tenant as the audit trail records it.
inline std::string audit_json(const Tenant& tenant) {
  return nlohmann::ordered_json{
      {"slug", tenant.slug},
      {"name", tenant.name},
      {"industry", tenant.industry},
      {"contact_name", tenant.contact_name},
      {"contact_email", tenant.contact_email},
      {"rate_number_micros", tenant.rates.number_micros
                                 ? nlohmann::ordered_json(*tenant.rates.number_micros)
                                 : nlohmann::ordered_json()},
      {"rate_minute_micros", tenant.rates.minute_micros
                                 ? nlohmann::ordered_json(*tenant.rates.minute_micros)
                                 : nlohmann::ordered_json()},
      {"rate_currency", tenant.rates.currency},
      // The profile's name only: its keys stay in the config file.
      {"account_profile", tenant.account_profile.empty()
                              ? nlohmann::ordered_json()
                              : nlohmann::ordered_json(tenant.account_profile)}}
      .dump();
}

/// An agent as the audit trail records it (the prompt by size and hash: it may be long).
inline std::string audit_json(const Agent& agent) {
  return nlohmann::ordered_json{
      {"slug", agent.slug},
      {"tenant", agent.tenant_slug},
      {"name", agent.name},
      {"provider_agent_id", agent.provider_agent_id},
      {"status", to_string(agent.status)},
      {"voice_id", agent.voice_id},
      {"language", agent.language},
      {"personality", agent.personality ? to_string(*agent.personality) : ""},
      {"first_message", agent.first_message},
      {"prompt_bytes", agent.prompt.size()}}
      .dump();
}

/// A knowledge-base document as the audit trail records it.
inline std::string audit_json(const Document& document) {
  return nlohmann::ordered_json{{"agent", document.agent_slug},
                                {"provider_document_id", document.provider_document_id},
                                {"name", document.name},
                                {"source_kind", to_string(document.source_kind)},
                                {"source", document.source},
                                {"mime_type", document.mime_type},
                                {"size_bytes", document.size_bytes},
                                {"sha256", document.sha256}}
      .dump();
}

/// A workspace webhook of the voice-agent provider as the audit trail records it (entity type
/// "webhook"): its id, where it delivers and the post-call events it is attached for (empty
/// when not attached); never its secret, which the audit trail's readers must not learn.
inline std::string webhook_audit_json(const std::string& webhook_id, const std::string& url,
                                      const std::vector<std::string>& events) {
  return nlohmann::ordered_json{{"webhook_id", webhook_id}, {"url", url}, {"events", events}}
      .dump();
}

/// Appends one audit entry for a change made by `actor`.
inline void append_audit(StateStore& store, const std::string& actor, const std::string& command,
                         const std::string& entity_type, const std::string& entity_id,
                         const std::string& before, const std::string& after,
                         const std::string& tenant_slug) {
  AuditEntry entry;
  entry.actor = actor;
  entry.command = command;
  entry.entity_type = entity_type;
  entry.entity_id = entity_id;
  entry.before_json = before;
  entry.after_json = after;
  entry.tenant_slug = tenant_slug;
  store.append_audit(entry);
}

} // namespace vami::detail
