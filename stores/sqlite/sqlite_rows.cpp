// Rows of the SQLite state store (see sqlite_rows.hpp).

#include "sqlite_rows.hpp"

#include <cctype>
#include <string>
#include <utility>

namespace vami::sqlite_store {

std::string column_text(const SQLite::Column& column) {
  return column.isNull() ? std::string{} : column.getString();
}

void bind_text_or_null(SQLite::Statement& statement, const char* name, const std::string& value) {
  if (value.empty()) {
    statement.bind(name);
  } else {
    statement.bind(name, value);
  }
}

void bind_text_or_null(SQLite::Statement& statement, int index, const std::string& value) {
  if (value.empty()) {
    statement.bind(index);
  } else {
    statement.bind(index, value);
  }
}

int primary_code(const SQLite::Exception& error) {
  return error.getErrorCode() & 0xFF;
}

PoolNumber read_number(const SQLite::Statement& row) {
  PoolNumber number;
  number.e164 = column_text(row.getColumn(0));
  const auto status_text = column_text(row.getColumn(1));
  number.status = stored_value(parse_number_status(status_text), status_text, "number status");
  number.provider = column_text(row.getColumn(2));
  number.provider_sid = column_text(row.getColumn(3));
  number.country = column_text(row.getColumn(4));
  number.type = parse_number_type(column_text(row.getColumn(5))).value_or(NumberType::local);
  number.locality = column_text(row.getColumn(6));
  number.region = column_text(row.getColumn(7));
  if (!row.getColumn(8).isNull()) {
    number.monthly_price = Money{row.getColumn(8).getInt64(), column_text(row.getColumn(9))};
  }
  number.friendly_name = column_text(row.getColumn(10));
  number.webhook.voice_url = column_text(row.getColumn(11));
  number.webhook.voice_method = column_text(row.getColumn(12));
  number.webhook.status_callback = column_text(row.getColumn(13));
  number.operation_id = column_text(row.getColumn(14));
  number.tenant_slug = column_text(row.getColumn(15));
  number.agent_slug = column_text(row.getColumn(16));
  number.created_at = column_text(row.getColumn(17));
  number.updated_at = column_text(row.getColumn(18));
  if (!row.getColumn(19).isNull()) {
    const auto mode_text = column_text(row.getColumn(19));
    number.routing_mode = stored_value(parse_routing_mode(mode_text), mode_text, "routing mode");
  }
  number.agent_phone_number_id = column_text(row.getColumn(20));
  number.routing_holder = column_text(row.getColumn(21));
  number.routing_since = column_text(row.getColumn(22));
  if (number.status == NumberStatus::suspended) {
    Suspension suspension;
    const auto from_text = column_text(row.getColumn(23));
    suspension.previous_status = from_text.empty() ? NumberStatus::available
                                                   : stored_value(parse_number_status(from_text),
                                                                  from_text, "number status");
    suspension.agent_slug = column_text(row.getColumn(24));
    suspension.previous_webhook.voice_url = column_text(row.getColumn(25));
    suspension.previous_webhook.voice_method = column_text(row.getColumn(26));
    suspension.previous_webhook.status_callback = column_text(row.getColumn(27));
    suspension.message = column_text(row.getColumn(28));
    suspension.suspended_at = column_text(row.getColumn(29));
    number.suspension = std::move(suspension);
  }
  number.released_at = column_text(row.getColumn(30));
  return number;
}

Tenant read_tenant(const SQLite::Statement& row) {
  Tenant tenant;
  tenant.slug = column_text(row.getColumn(0));
  tenant.name = column_text(row.getColumn(1));
  tenant.industry = column_text(row.getColumn(2));
  tenant.contact_name = column_text(row.getColumn(3));
  tenant.contact_email = column_text(row.getColumn(4));
  tenant.created_at = column_text(row.getColumn(5));
  tenant.updated_at = column_text(row.getColumn(6));
  if (!row.getColumn(7).isNull()) {
    tenant.rates.number_micros = row.getColumn(7).getInt64();
  }
  if (!row.getColumn(8).isNull()) {
    tenant.rates.minute_micros = row.getColumn(8).getInt64();
  }
  tenant.rates.currency = column_text(row.getColumn(9));
  tenant.account_profile = column_text(row.getColumn(10));
  return tenant;
}

Agent read_agent(const SQLite::Statement& row) {
  Agent agent;
  agent.slug = column_text(row.getColumn(0));
  agent.tenant_slug = column_text(row.getColumn(1));
  agent.name = column_text(row.getColumn(2));
  agent.provider = column_text(row.getColumn(3));
  agent.provider_agent_id = column_text(row.getColumn(4));
  agent.voice_id = column_text(row.getColumn(5));
  agent.language = column_text(row.getColumn(6));
  if (!row.getColumn(7).isNull()) {
    const auto personality_text = column_text(row.getColumn(7));
    agent.personality =
        stored_value(parse_personality(personality_text), personality_text, "personality");
  }
  agent.first_message = column_text(row.getColumn(8));
  agent.prompt = column_text(row.getColumn(9));
  agent.status = parse_stored_agent_status(column_text(row.getColumn(10)));
  agent.created_at = column_text(row.getColumn(11));
  agent.updated_at = column_text(row.getColumn(12));
  agent.stream_url = column_text(row.getColumn(13));
  const std::string parameters = column_text(row.getColumn(14));
  agent.stream_parameters =
      stored_value(parse_stream_parameters(parameters), parameters, "stream_parameters");
  return agent;
}

Document read_document(const SQLite::Statement& row) {
  Document document;
  document.agent_slug = column_text(row.getColumn(0));
  document.provider_document_id = column_text(row.getColumn(1));
  document.name = column_text(row.getColumn(2));
  const auto kind_text = column_text(row.getColumn(3));
  document.source_kind =
      stored_value(parse_document_source_kind(kind_text), kind_text, "document source kind");
  document.source = column_text(row.getColumn(4));
  document.mime_type = column_text(row.getColumn(5));
  document.size_bytes = row.getColumn(6).isNull() ? 0 : row.getColumn(6).getInt64();
  document.sha256 = column_text(row.getColumn(7));
  document.created_at = column_text(row.getColumn(8));
  const auto status_text = column_text(row.getColumn(9));
  document.status =
      stored_value(parse_document_status(status_text), status_text, "document status");
  document.upload_name = column_text(row.getColumn(10));
  document.holder = column_text(row.getColumn(11));
  return document;
}

AuditEntry read_audit_entry(const SQLite::Statement& row) {
  AuditEntry entry;
  entry.at = column_text(row.getColumn(0));
  entry.actor = column_text(row.getColumn(1));
  entry.command = column_text(row.getColumn(2));
  entry.entity_type = column_text(row.getColumn(3));
  entry.entity_id = column_text(row.getColumn(4));
  entry.before_json = column_text(row.getColumn(5));
  entry.after_json = column_text(row.getColumn(6));
  entry.tenant_slug = column_text(row.getColumn(7));
  return entry;
}

Operation read_operation(const SQLite::Statement& row) {
  Operation operation;
  operation.id = column_text(row.getColumn(0));
  const auto kind_text = column_text(row.getColumn(1));
  operation.kind = stored_value(parse_operation_kind(kind_text), kind_text, "operation kind");
  const auto status_text = column_text(row.getColumn(2));
  operation.status =
      stored_value(parse_operation_status(status_text), status_text, "operation status");
  operation.requested_count = row.getColumn(3).getInt();
  operation.parameters = column_text(row.getColumn(4));
  operation.actor = column_text(row.getColumn(5));
  operation.created_at = column_text(row.getColumn(6));
  operation.finished_at = column_text(row.getColumn(7));
  operation.holder = column_text(row.getColumn(8));
  operation.active_at = column_text(row.getColumn(9));
  return operation;
}

OperationItem read_item(const SQLite::Statement& row) {
  OperationItem item;
  item.operation_id = column_text(row.getColumn(0));
  item.e164 = column_text(row.getColumn(1));
  const auto outcome_text = column_text(row.getColumn(2));
  item.outcome = stored_value(parse_item_outcome(outcome_text), outcome_text, "item outcome");
  item.error_code = column_text(row.getColumn(3));
  item.error_message = column_text(row.getColumn(4));
  return item;
}

void append_number_filter(std::string& sql, const NumberFilter& filter) {
  if (!filter.area_code.empty()) {
    // A range on e164 rather than LIKE: SQLite uses an index for LIKE only under
    // case-insensitive collation. E.164 holds digits only, so both select the same rows.
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
    // NOCASE folds ASCII letters only (SQLite folds no other case without ICU), so a locality
    // with other letters matches only as the provider spelled it.
    sql += " AND n.locality = :locality COLLATE NOCASE";
  }
  if (!filter.operation_id.empty()) {
    sql += " AND n.operation_id = :operation_id";
  }
  if (!filter.provider.empty()) {
    sql += " AND n.provider = :provider";
  }
}

void bind_number_filter(SQLite::Statement& query, const NumberFilter& filter) {
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

} // namespace vami::sqlite_store
