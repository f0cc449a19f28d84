// Rows of the PostgreSQL state store (see pg_rows.hpp).

#include "pg_rows.hpp"

#include <utility>

namespace vami::postgres_store {

PoolNumber read_number(const pg::Row& row) {
  PoolNumber number;
  number.e164 = row.text(0);
  const auto status_text = row.text(1);
  number.status = stored_value(parse_number_status(status_text), status_text, "number status");
  number.provider = row.text(2);
  number.provider_sid = row.text(3);
  number.country = row.text(4);
  number.type = parse_number_type(row.text(5)).value_or(NumberType::local);
  number.locality = row.text(6);
  number.region = row.text(7);
  if (!row.null(8)) {
    number.monthly_price = Money{row.integer(8), row.text(9)};
  }
  number.friendly_name = row.text(10);
  number.webhook.voice_url = row.text(11);
  number.webhook.voice_method = row.text(12);
  number.webhook.status_callback = row.text(13);
  number.operation_id = row.text(14);
  number.tenant_slug = row.text(15);
  number.agent_slug = row.text(16);
  number.created_at = row.text(17);
  number.updated_at = row.text(18);
  if (!row.null(19)) {
    const auto mode_text = row.text(19);
    number.routing_mode = stored_value(parse_routing_mode(mode_text), mode_text, "routing mode");
  }
  number.agent_phone_number_id = row.text(20);
  if (row.boolean(31)) { // a holder whose session has ended holds nothing
    number.routing_holder = row.text(21);
    number.routing_since = row.text(22);
  }
  if (number.status == NumberStatus::suspended) {
    Suspension suspension;
    const auto from_text = row.text(23);
    suspension.previous_status = from_text.empty() ? NumberStatus::available
                                                   : stored_value(parse_number_status(from_text),
                                                                  from_text, "number status");
    suspension.agent_slug = row.text(24);
    suspension.previous_webhook.voice_url = row.text(25);
    suspension.previous_webhook.voice_method = row.text(26);
    suspension.previous_webhook.status_callback = row.text(27);
    suspension.message = row.text(28);
    suspension.suspended_at = row.text(29);
    number.suspension = std::move(suspension);
  }
  number.released_at = row.text(30);
  return number;
}

Operation read_operation(const pg::Row& row) {
  Operation operation;
  operation.id = row.text(0);
  const auto kind_text = row.text(1);
  operation.kind = stored_value(parse_operation_kind(kind_text), kind_text, "operation kind");
  const auto status_text = row.text(2);
  operation.status =
      stored_value(parse_operation_status(status_text), status_text, "operation status");
  operation.requested_count = static_cast<int>(row.integer(3));
  operation.parameters = row.text(4);
  operation.actor = row.text(5);
  operation.created_at = row.text(6);
  operation.finished_at = row.text(7);
  operation.holder = row.text(8);
  operation.active_at = row.text(9);
  return operation;
}

Tenant read_tenant(const pg::Row& row) {
  Tenant tenant;
  tenant.slug = row.text(0);
  tenant.name = row.text(1);
  tenant.industry = row.text(2);
  tenant.contact_name = row.text(3);
  tenant.contact_email = row.text(4);
  tenant.created_at = row.text(5);
  tenant.updated_at = row.text(6);
  if (!row.null(7)) {
    tenant.rates.number_micros = row.integer(7);
  }
  if (!row.null(8)) {
    tenant.rates.minute_micros = row.integer(8);
  }
  tenant.rates.currency = row.text(9);
  tenant.account_profile = row.text(10);
  return tenant;
}

Agent read_agent(const pg::Row& row) {
  Agent agent;
  agent.slug = row.text(0);
  agent.tenant_slug = row.text(1);
  agent.name = row.text(2);
  agent.provider = row.text(3);
  agent.provider_agent_id = row.text(4);
  agent.voice_id = row.text(5);
  agent.language = row.text(6);
  if (!row.null(7)) {
    const auto personality_text = row.text(7);
    agent.personality =
        stored_value(parse_personality(personality_text), personality_text, "personality");
  }
  agent.first_message = row.text(8);
  agent.prompt = row.text(9);
  agent.status = parse_stored_agent_status(row.text(10));
  agent.created_at = row.text(11);
  agent.updated_at = row.text(12);
  agent.stream_url = row.text(13);
  const std::string parameters = row.text(14);
  agent.stream_parameters =
      stored_value(parse_stream_parameters(parameters), parameters, "stream_parameters");
  return agent;
}

Document read_document(const pg::Row& row) {
  Document document;
  document.agent_slug = row.text(0);
  document.provider_document_id = row.text(1);
  document.name = row.text(2);
  const auto kind_text = row.text(3);
  document.source_kind =
      stored_value(parse_document_source_kind(kind_text), kind_text, "document source kind");
  document.source = row.text(4);
  document.mime_type = row.text(5);
  document.size_bytes = row.integer(6);
  document.sha256 = row.text(7);
  document.created_at = row.text(8);
  const auto status_text = row.text(9);
  document.status =
      stored_value(parse_document_status(status_text), status_text, "document status");
  document.upload_name = row.text(10);
  document.holder = row.text(11);
  return document;
}

AuditEntry read_audit_entry(const pg::Row& row) {
  AuditEntry entry;
  entry.at = row.text(0);
  entry.actor = row.text(1);
  entry.command = row.text(2);
  entry.entity_type = row.text(3);
  entry.entity_id = row.text(4);
  entry.before_json = row.text(5);
  entry.after_json = row.text(6);
  entry.tenant_slug = row.text(7);
  return entry;
}

OperationItem read_item(const pg::Row& row) {
  OperationItem item;
  item.operation_id = row.text(0);
  item.e164 = row.text(1);
  const auto outcome_text = row.text(2);
  item.outcome = stored_value(parse_item_outcome(outcome_text), outcome_text, "item outcome");
  item.error_code = row.text(3);
  item.error_message = row.text(4);
  return item;
}

void append_number_filter(std::string& sql, const NumberFilter& filter) {
  if (!filter.area_code.empty()) {
    // A range on e164 (bytewise, COLLATE "C") rather than LIKE, as in the SQLite store: the
    // (status, e164) index serves it.
    sql += " AND n.e164 >= :prefix_low AND n.e164 < :prefix_high";
  }
  if (!filter.region.empty()) {
    sql += " AND n.region = :region";
  }
  if (!filter.tenant_slug.empty()) {
    sql += " AND t.slug = :tenant_slug";
  }
  if (!filter.agent_slug.empty()) {
    sql += " AND (a.slug = :agent_slug OR sa.slug = :agent_slug)";
  }
  if (!filter.locality.empty()) {
    // SQLite's NOCASE folds ASCII letters only; so does this.
    sql += " AND translate(n.locality, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
           "'abcdefghijklmnopqrstuvwxyz') = translate(:locality, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
           "'abcdefghijklmnopqrstuvwxyz')";
  }
  if (!filter.operation_id.empty()) {
    sql += " AND n.operation_id = :operation_id";
  }
  if (!filter.provider.empty()) {
    sql += " AND n.provider = :provider";
  }
}

void bind_number_filter(pg::Statement& query, const NumberFilter& filter) {
  if (!filter.area_code.empty()) {
    const std::string prefix = "+1" + filter.area_code;
    query.bind(":prefix_low", prefix);
    query.bind(":prefix_high", prefix + "\x7f");
  }
  if (!filter.region.empty()) {
    query.bind(":region", filter.region);
  }
  if (!filter.tenant_slug.empty()) {
    query.bind(":tenant_slug", filter.tenant_slug);
  }
  if (!filter.agent_slug.empty()) {
    query.bind(":agent_slug", filter.agent_slug);
  }
  if (!filter.locality.empty()) {
    query.bind(":locality", filter.locality);
  }
  if (!filter.operation_id.empty()) {
    query.bind(":operation_id", filter.operation_id);
  }
  if (!filter.provider.empty()) {
    query.bind(":provider", filter.provider);
  }
}

} // namespace vami::postgres_store
