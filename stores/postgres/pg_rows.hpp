#pragma once

// Rows of the PostgreSQL state store: the SELECTs whose columns the readers expect, reading a
// row into a domain value, and the conditions of a number filter. The columns and their order
// are the SQLite store's (sqlite_rows.hpp), plus what the server knows of holds.

#include <string>

#include "pg_connection.hpp"
#include <store_rules.hpp>

#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/tenant.hpp>

namespace vami::postgres_store {

using store_rules::check_area_code;
using store_rules::check_money;
using store_rules::describe;
using store_rules::normalized_voice_method;
using store_rules::parse_stored_agent_status;
using store_rules::stored_value;
using store_rules::unknown_stored;

/// The columns `read_number` reads, from `numbers` and its tenant, agent and suspended agent;
/// the last says whether the routing holder's session still holds the number's routing lock.
inline constexpr const char* k_number_select = R"sql(
SELECT n.e164, n.status, n.provider, n.provider_sid, n.country, n.number_type, n.locality,
       n.region, n.monthly_price_micros, n.currency, n.friendly_name, n.voice_url, n.voice_method,
       n.status_callback, n.operation_id, t.slug, a.slug, n.created_at, n.updated_at,
       n.routing_mode, n.provider_agent_phone_id, n.routing_holder, n.routing_since,
       n.suspended_from, sa.slug, n.suspended_voice_url, n.suspended_voice_method,
       n.suspended_status_callback, n.suspension_message, n.suspended_at,
       n.released_at,
       CASE WHEN n.routing_holder IS NULL THEN false
            ELSE vami_hold_taken('routing:' || n.e164) END
FROM numbers AS n
LEFT JOIN tenants AS t ON t.id = n.tenant_id
LEFT JOIN agents AS a ON a.id = n.agent_id
LEFT JOIN agents AS sa ON sa.id = n.suspended_agent_id
)sql";

/// The assignments of an UPDATE of `numbers` that forget a number's suspension.
inline constexpr const char* k_no_suspension =
    "suspended_from = NULL, suspended_agent_id = NULL, suspended_voice_url = NULL, "
    "suspended_voice_method = NULL, suspended_status_callback = NULL, suspension_message = NULL, "
    "suspended_at = NULL";

/// The columns `read_operation` reads. A `running` operation whose lock no session holds is
/// read as `interrupted`: the connection of the process that ran it is gone. The last column
/// is its last sign of life (`Operation::active_at`).
inline constexpr const char* k_operation_select =
    "SELECT id, kind, CASE WHEN status <> 'running' THEN status WHEN vami_hold_taken("
    "'operation:' || id) THEN status ELSE 'interrupted' END, requested_count, parameters, actor, "
    "created_at, "
    "finished_at, holder, greatest(created_at, coalesce(finished_at, ''), coalesce((SELECT "
    "max(i.updated_at) FROM operation_items AS i WHERE i.operation_id = operations.id), '')) "
    "FROM operations ";

/// The columns `read_tenant` reads.
inline constexpr const char* k_tenant_select =
    "SELECT slug, name, industry, contact_name, contact_email, created_at, updated_at, "
    "rate_number_micros, rate_minute_micros, rate_currency, account_profile FROM tenants ";

/// The columns `read_agent` reads.
inline constexpr const char* k_agent_select = R"sql(
SELECT a.slug, t.slug, a.name, a.provider, a.provider_agent_id, a.voice_id, a.language,
       a.personality, a.first_message, a.prompt, a.status, a.created_at, a.updated_at,
       a.stream_url, a.stream_parameters
FROM agents AS a
JOIN tenants AS t ON t.id = a.tenant_id
)sql";

/// The columns `read_document` reads. An `uploading` row's holder is shown only while its
/// session holds the upload's lock ("upload:<upload name>"): the process whose connection is
/// gone (killed, on any host) holds nothing, so its upload can be settled at once.
inline constexpr const char* k_document_select = R"sql(
SELECT a.slug, d.provider_document_id, d.name, d.source_kind, d.source, d.mime_type,
       d.size_bytes, d.sha256, d.created_at, d.status, d.upload_name,
       CASE WHEN d.status <> 'uploading' OR d.holder IS NULL THEN d.holder
            WHEN vami_hold_taken('upload:' || d.upload_name) THEN d.holder END
FROM documents AS d
JOIN agents AS a ON a.id = d.agent_id
)sql";

/// The columns `read_audit_entry` reads, in order.
inline constexpr const char* k_audit_columns =
    "at, actor, command, entity_type, entity_id, before_json, after_json, tenant_slug";

/// The columns `read_item` reads.
inline constexpr const char* k_item_select =
    "SELECT operation_id, e164, outcome, error_code, error_message FROM operation_items ";

/// A pool number from a row of `k_number_select`; its routing holder is shown only while its
/// lock is held.
PoolNumber read_number(const pg::Row& row);
/// An operation from a row of `k_operation_select`.
Operation read_operation(const pg::Row& row);
/// A tenant from a row of `k_tenant_select`.
Tenant read_tenant(const pg::Row& row);
/// An agent from a row of `k_agent_select`.
Agent read_agent(const pg::Row& row);
/// A document from a row of `k_document_select`.
Document read_document(const pg::Row& row);
/// An audit entry from a row of `k_audit_columns`.
AuditEntry read_audit_entry(const pg::Row& row);
/// An operation item from a row of `k_item_select`.
OperationItem read_item(const pg::Row& row);

/// The conditions of `filter` other than the status, appended to a query over
/// `k_number_select`; `bind_number_filter` binds their values.
void append_number_filter(std::string& sql, const NumberFilter& filter);
/// Binds the values of the conditions `append_number_filter` wrote.
void bind_number_filter(pg::Statement& query, const NumberFilter& filter);

} // namespace vami::postgres_store
