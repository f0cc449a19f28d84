// The tables of a vami state database (see store_tables.hpp), at schema version 9.

#include "store_tables.hpp"

#include <stdexcept>
#include <utility>

namespace vami::store_tables {

namespace {

constexpr ColumnType k_int = ColumnType::integer;
constexpr ColumnType k_text = ColumnType::text;
constexpr ColumnRole k_holder = ColumnRole::holder;

StoredTable table(const char* name, std::vector<TableColumn> columns) {
  StoredTable made;
  made.name = name;
  made.columns = std::move(columns);
  return made;
}

std::vector<StoredTable> make_tables() {
  std::vector<StoredTable> tables;
  tables.push_back(table("tenants", {{"id", k_int},
                                     {"slug"},
                                     {"name"},
                                     {"industry"},
                                     {"contact_name"},
                                     {"contact_email"},
                                     {"created_at"},
                                     {"updated_at"},
                                     {"rate_number_micros", k_int},
                                     {"rate_minute_micros", k_int},
                                     {"rate_currency"},
                                     {"account_profile"}}));
  tables.push_back(table("agents", {{"id", k_int},
                                    {"tenant_id", k_int},
                                    {"slug"},
                                    {"name"},
                                    {"provider"},
                                    {"provider_agent_id"},
                                    {"voice_id"},
                                    {"language"},
                                    {"personality"},
                                    {"first_message"},
                                    {"prompt"},
                                    {"status"},
                                    {"created_at"},
                                    {"updated_at"},
                                    {"stream_url"},
                                    {"stream_parameters"}}));
  tables.push_back(table("documents", {{"id", k_int},
                                       {"agent_id", k_int},
                                       {"provider_document_id"},
                                       {"name"},
                                       {"source_kind"},
                                       {"source"},
                                       {"mime_type"},
                                       {"size_bytes", k_int},
                                       {"sha256"},
                                       {"created_at"},
                                       {"status"},
                                       {"upload_name"},
                                       {"holder", k_text, k_holder}}));
  StoredTable operations = table("operations", {{"id"},
                                                {"kind"},
                                                {"status"},
                                                {"requested_count", k_int},
                                                {"parameters"},
                                                {"actor"},
                                                {"created_at"},
                                                {"finished_at"},
                                                {"holder", k_text, k_holder}});
  operations.postgres_order = "seq";
  operations.postgres_generated = {"seq"};
  operations.postgres_identity = false;
  tables.push_back(std::move(operations));
  tables.push_back(table("operation_items", {{"id", k_int},
                                             {"operation_id"},
                                             {"e164"},
                                             {"outcome"},
                                             {"error_code"},
                                             {"error_message"},
                                             {"updated_at"}}));
  tables.push_back(table("numbers", {{"id", k_int},
                                     {"e164"},
                                     {"provider"},
                                     {"provider_sid"},
                                     {"country"},
                                     {"number_type"},
                                     {"locality"},
                                     {"region"},
                                     {"status"},
                                     {"tenant_id", k_int},
                                     {"agent_id", k_int},
                                     {"routing_mode"},
                                     {"provider_agent_phone_id"},
                                     {"friendly_name"},
                                     {"voice_url"},
                                     {"voice_method"},
                                     {"status_callback"},
                                     {"monthly_price_micros", k_int},
                                     {"currency"},
                                     {"operation_id"},
                                     {"created_at"},
                                     {"updated_at"},
                                     {"released_at"},
                                     {"routing_holder", k_text, k_holder},
                                     {"routing_since", k_text, k_holder},
                                     {"suspended_from"},
                                     {"suspended_agent_id", k_int},
                                     {"suspended_voice_url"},
                                     {"suspended_voice_method"},
                                     {"suspended_status_callback"},
                                     {"suspension_message"},
                                     {"suspended_at"}}));
  tables.push_back(table("audit_entries", {{"id", k_int},
                                           {"at"},
                                           {"actor"},
                                           {"command"},
                                           {"entity_type"},
                                           {"entity_id"},
                                           {"before_json"},
                                           {"after_json"},
                                           {"tenant_slug"}}));
  tables.push_back(table("calls", {{"id", k_int},
                                   {"call_sid"},
                                   {"conversation_id"},
                                   {"number"},
                                   {"caller"},
                                   {"tenant_slug"},
                                   {"agent_slug"},
                                   {"provider_agent_id"},
                                   {"direction"},
                                   {"status"},
                                   {"started_at"},
                                   {"duration_seconds", k_int},
                                   {"telephony_cost_micros", k_int},
                                   {"telephony_currency"},
                                   {"agent_cost_micros", k_int},
                                   {"agent_currency"},
                                   {"agent_credits", k_int},
                                   {"outcome"},
                                   {"summary"},
                                   {"failure_reason"},
                                   {"transcript_json"},
                                   {"source"},
                                   {"created_at"},
                                   {"updated_at"}}));
  return tables;
}

} // namespace

const std::vector<StoredTable>& stored_tables() {
  static const std::vector<StoredTable> tables = make_tables();
  return tables;
}

const std::vector<std::string>& schema_tables() {
  static const std::vector<std::string> tables{"vami_migrations"};
  return tables;
}

std::size_t column_index(const StoredTable& table, std::string_view column) {
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].name == column) {
      return i;
    }
  }
  throw std::logic_error("table " + table.name + " has no column " + std::string(column));
}

} // namespace vami::store_tables
