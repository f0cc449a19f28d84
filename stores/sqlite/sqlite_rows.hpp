#pragma once

// Rows of the SQLite state store: the SELECTs whose columns the readers expect, reading a row
// into a domain value (refusing a stored word this vami does not know), binding optional text,
// and the conditions of a number filter.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <SQLiteCpp/SQLiteCpp.h>
#include <store_rules.hpp>

#include <vami/core/error.hpp>
#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/tenant.hpp>

namespace vami::sqlite_store {

using store_rules::check_area_code;
using store_rules::check_money;
using store_rules::describe;
using store_rules::normalized_voice_method;
using store_rules::parse_stored_agent_status;
using store_rules::stored_value;
using store_rules::unknown_stored;

/// The column's text, "" for NULL.
std::string column_text(const SQLite::Column& column);

/// Optional text is stored as NULL rather than "" so that UNIQUE columns (provider ids) do not
/// collide on "not set".
void bind_text_or_null(SQLite::Statement& statement, const char* name, const std::string& value);

/// As above, by position.
void bind_text_or_null(SQLite::Statement& statement, int index, const std::string& value);

/// SQLite's primary result code (the low byte of the extended one).
int primary_code(const SQLite::Exception& error);

/// The hint of every refusal of the file as a state database.
inline constexpr const char* k_db_hint = "choose another path with --db or VAMI_DB";

/// The columns `read_number` reads, from `numbers` and its tenant, agent and suspended agent.
inline constexpr const char* k_number_select = R"sql(
SELECT n.e164, n.status, n.provider, n.provider_sid, n.country, n.number_type, n.locality,
       n.region, n.monthly_price_micros, n.currency, n.friendly_name, n.voice_url, n.voice_method,
       n.status_callback, n.operation_id, t.slug, a.slug, n.created_at, n.updated_at,
       n.routing_mode, n.provider_agent_phone_id, n.routing_holder, n.routing_since,
       n.suspended_from, sa.slug, n.suspended_voice_url, n.suspended_voice_method,
       n.suspended_status_callback, n.suspension_message, n.suspended_at,
       n.released_at
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

// The last column is the operation's last sign of life (`Operation::active_at`): a running
// operation's `finished_at` is the time it was last resumed.
inline constexpr const char* k_operation_select =
    "SELECT id, kind, status, requested_count, parameters, actor, created_at, finished_at, holder, "
    "max(created_at, coalesce(finished_at, ''), coalesce((SELECT max(i.updated_at) FROM "
    "operation_items AS i WHERE i.operation_id = operations.id), '')) "
    "FROM operations ";

/// A pool number from a row of `k_number_select`.
PoolNumber read_number(const SQLite::Statement& row);

/// The columns `read_tenant` reads.
inline constexpr const char* k_tenant_select =
    "SELECT slug, name, industry, contact_name, contact_email, created_at, updated_at, "
    "rate_number_micros, rate_minute_micros, rate_currency, account_profile FROM tenants ";

/// A tenant from a row of `k_tenant_select`.
Tenant read_tenant(const SQLite::Statement& row);

/// The columns `read_agent` reads.
inline constexpr const char* k_agent_select = R"sql(
SELECT a.slug, t.slug, a.name, a.provider, a.provider_agent_id, a.voice_id, a.language,
       a.personality, a.first_message, a.prompt, a.status, a.created_at, a.updated_at,
       a.stream_url, a.stream_parameters
FROM agents AS a
JOIN tenants AS t ON t.id = a.tenant_id
)sql";

/// An agent from a row of `k_agent_select`.
Agent read_agent(const SQLite::Statement& row);

/// The columns `read_document` reads.
inline constexpr const char* k_document_select = R"sql(
SELECT a.slug, d.provider_document_id, d.name, d.source_kind, d.source, d.mime_type,
       d.size_bytes, d.sha256, d.created_at, d.status, d.upload_name, d.holder
FROM documents AS d
JOIN agents AS a ON a.id = d.agent_id
)sql";

/// A document from a row of `k_document_select`.
Document read_document(const SQLite::Statement& row);

/// The columns `read_audit_entry` reads, in order.
inline constexpr const char* k_audit_columns =
    "at, actor, command, entity_type, entity_id, before_json, after_json, tenant_slug";

/// An audit entry from a row of `k_audit_columns`.
AuditEntry read_audit_entry(const SQLite::Statement& row);

/// An operation from a row of `k_operation_select`.
Operation read_operation(const SQLite::Statement& row);

/// An operation item from the columns operation_id, e164, outcome, error_code, error_message.
OperationItem read_item(const SQLite::Statement& row);

/// The conditions of `filter` other than the status, appended to a query over
/// `k_number_select`; `bind_number_filter` binds their values.
void append_number_filter(std::string& sql, const NumberFilter& filter);

/// Binds the values of the conditions `append_number_filter` wrote.
void bind_number_filter(SQLite::Statement& query, const NumberFilter& filter);

} // namespace vami::sqlite_store
