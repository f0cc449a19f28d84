// The SQLite state store: the audit trail.

#include "sqlite_conflicts.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_state_store.hpp"

#include <vami/core/clock.hpp>

namespace vami::sqlite_store {

void SqliteStateStore::append_audit(const AuditEntry& entry) {
  guarded("cannot append to the audit trail", [&] {
    Prepared insert = prepared(std::string("INSERT INTO audit_entries (") + k_audit_columns +
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insert->bind(1, entry.at.empty() ? utc_now_iso8601() : entry.at);
    insert->bind(2, entry.actor);
    insert->bind(3, entry.command);
    insert->bind(4, entry.entity_type);
    insert->bind(5, entry.entity_id);
    bind_text_or_null(*insert, 6, entry.before_json);
    bind_text_or_null(*insert, 7, entry.after_json);
    bind_text_or_null(*insert, 8, entry.tenant_slug);
    insert->exec(); // A lone INSERT is its own transaction and reads nothing first.
  });
}

std::vector<AuditEntry> SqliteStateStore::list_audit(const AuditFilter& filter) {
  return guarded("cannot read the audit trail", [&] {
    // Every string is >= "", so an empty `since` selects everything. The inner query takes
    // the newest entries; the outer one puts them back in time order.
    std::string sql = std::string("SELECT ") + k_audit_columns + " FROM (SELECT id, " +
                      k_audit_columns + " FROM audit_entries WHERE at >= :since";
    if (!filter.tenant_slug.empty()) {
      sql += " AND tenant_slug = :tenant_slug";
    }
    sql += " ORDER BY at DESC, id DESC LIMIT :limit) ORDER BY at, id";
    SQLite::Statement query(m_db, sql);
    query.bind(":since", filter.since);
    if (!filter.tenant_slug.empty()) {
      query.bind(":tenant_slug", filter.tenant_slug);
    }
    query.bind(":limit", filter.limit > 0 ? filter.limit : -1); // Negative: no limit.
    std::vector<AuditEntry> entries;
    while (query.executeStep()) {
      entries.push_back(read_audit_entry(query));
    }
    return entries;
  });
}

} // namespace vami::sqlite_store
