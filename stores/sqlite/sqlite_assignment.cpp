// The SQLite state store: assignment, routing holds and suspension of pool numbers.

#include "sqlite_conflicts.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_state_store.hpp"

#include <vami/core/clock.hpp>
#include <vami/core/process_holder.hpp>

namespace vami::sqlite_store {

PoolNumber SqliteStateStore::assign_number(const std::string& e164,
                                           const AssignmentTarget& target) {
  return guarded("cannot assign " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto before = select_number(e164);
    if (!before || before->status == NumberStatus::released) {
      throw not_in_pool(e164);
    }
    const auto agent = require_assignable_agent(target.agent_slug);
    require_routing_free(*before);
    if (before->status != NumberStatus::available) {
      throw not_assignable(*before);
    }
    auto after = write_assignment(e164, std::nullopt, agent, target);
    transaction.commit();
    return after;
  });
}

PoolNumber SqliteStateStore::assign_first_available(const NumberFilter& filter,
                                                    const AssignmentTarget& target) {
  check_area_code(filter);
  if (filter.status && *filter.status != NumberStatus::available) {
    throw Error(ErrorKind::invalid_input,
                std::string("only an available number can be assigned, not a ") +
                    to_string(*filter.status) + " one");
  }
  return guarded("cannot assign a number to agent " + target.agent_slug, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto agent = require_assignable_agent(target.agent_slug);
    std::string sql = std::string(k_number_select) + "WHERE n.status = 'available'";
    append_number_filter(sql, filter);
    sql += " ORDER BY n.e164 LIMIT 1";
    SQLite::Statement query(m_db, sql);
    bind_number_filter(query, filter);
    std::string e164;
    while (e164.empty() && query.executeStep()) {
      PoolNumber candidate = read_number(query);
      if (routing_free(candidate)) { // one another process is unassigning is not free yet
        e164 = candidate.e164;
      }
    }
    query.reset();
    if (e164.empty()) {
      const auto words = describe(filter);
      throw Error(ErrorKind::conflict,
                  "no available number in the pool" + (words.empty() ? "" : " matches " + words),
                  "buy more with 'vami numbers buy' or widen the filter");
    }
    auto after = write_assignment(e164, std::nullopt, agent, target);
    transaction.commit();
    return after;
  });
}

PoolNumber SqliteStateStore::reassign_number(const std::string& e164,
                                             const std::string& expected_agent_slug,
                                             const AssignmentTarget& target) {
  return guarded("cannot reassign " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto before = select_number(e164);
    if (!before || before->status == NumberStatus::released) {
      throw not_in_pool(e164);
    }
    const auto agent = require_assignable_agent(target.agent_slug);
    const auto expected = select_agent_ids(expected_agent_slug);
    require_routing_free(*before);
    if (before->status != NumberStatus::assigned || !expected ||
        before->agent_slug != expected_agent_slug) {
      throw not_held_by(*before, expected_agent_slug);
    }
    auto after = write_assignment(e164, expected->id, agent, target);
    transaction.commit();
    return after;
  });
}

PoolNumber SqliteStateStore::unassign_number(const std::string& e164,
                                             const std::string& expected_agent_slug) {
  return guarded("cannot unassign " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto before = select_number(e164);
    if (!before || before->status == NumberStatus::released) {
      throw not_in_pool(e164);
    }
    const auto expected = select_agent_ids(expected_agent_slug);
    require_routing_free(*before);
    if (before->status != NumberStatus::assigned || !expected ||
        before->agent_slug != expected_agent_slug) {
      throw not_held_by(*before, expected_agent_slug);
    }
    // The voice-agent provider's id of the number stays: the number remains imported there,
    // and a later assignment reuses the import.
    SQLite::Statement update(
        m_db, "UPDATE numbers SET status = 'available', tenant_id = NULL, agent_id = NULL, "
              "routing_mode = NULL, routing_holder = :holder, routing_since = :now, "
              "updated_at = :now "
              "WHERE e164 = :e164 AND status = 'assigned' AND agent_id = :agent_id");
    update.bind(":holder", m_holder);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    update.bind(":agent_id", expected->id);
    if (update.exec() == 0) {
      throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
    }
    auto after = select_number(e164);
    transaction.commit();
    return *after;
  });
}

void SqliteStateStore::begin_routing_change(const std::string& e164) {
  guarded("cannot take the routing of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto before = select_number(e164);
    if (!before || before->status == NumberStatus::released) {
      throw not_in_pool(e164);
    }
    require_routing_free(*before);
    SQLite::Statement update(
        m_db, "UPDATE numbers SET routing_holder = ?, routing_since = ? WHERE e164 = ?");
    update.bind(1, m_holder);
    update.bind(2, utc_now_iso8601());
    update.bind(3, e164);
    update.exec();
    transaction.commit();
  });
}

void SqliteStateStore::end_routing_change(const std::string& e164) {
  guarded("cannot give back the routing of " + e164, [&] {
    SQLite::Statement update(m_db, "UPDATE numbers SET routing_holder = NULL, "
                                   "routing_since = NULL WHERE e164 = ? AND routing_holder = ?");
    update.bind(1, e164);
    update.bind(2, m_holder);
    update.exec();
  });
}

PoolNumber SqliteStateStore::suspend_number(const std::string& e164, const Suspension& suspension) {
  const bool from_assigned = suspension.previous_status == NumberStatus::assigned;
  if (!from_assigned && suspension.previous_status != NumberStatus::available) {
    throw Error(ErrorKind::invalid_input,
                std::string("only an available or assigned number can be suspended, not a ") +
                    to_string(suspension.previous_status) + " one");
  }
  const auto method = normalized_voice_method(suspension.previous_webhook.voice_method);
  return guarded("cannot suspend " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto before = select_number(e164);
    if (!before || before->status == NumberStatus::released) {
      throw not_in_pool(e164);
    }
    require_routing_free(*before);
    if (before->status == NumberStatus::suspended) {
      throw Error(ErrorKind::conflict, e164 + " is already suspended");
    }
    if (before->status != suspension.previous_status ||
        (from_assigned && before->agent_slug != suspension.agent_slug)) {
      throw Error(ErrorKind::conflict,
                  (before->status == NumberStatus::assigned
                       ? held_by(*before)
                       : e164 + " is " + to_string(before->status)) +
                      " now; it changed since it was read",
                  "see 'vami route " + e164 + "' and try again");
    }
    std::optional<AgentIds> agent;
    if (from_assigned) {
      agent = select_agent_ids(suspension.agent_slug);
      if (!agent) {
        throw agent_not_found(suspension.agent_slug);
      }
    }
    const std::string now = utc_now_iso8601();
    SQLite::Statement update(
        m_db, "UPDATE numbers SET status = 'suspended', agent_id = NULL, "
              "suspended_from = :from, suspended_agent_id = :agent_id, "
              "suspended_voice_url = :voice_url, suspended_voice_method = :voice_method, "
              "suspended_status_callback = :status_callback, suspension_message = :message, "
              "suspended_at = :at, routing_holder = :holder, routing_since = :now, "
              "updated_at = :now WHERE e164 = :e164 AND status = :status");
    update.bind(":from", to_string(suspension.previous_status));
    if (agent) {
      update.bind(":agent_id", agent->id);
    } else {
      update.bind(":agent_id");
    }
    bind_text_or_null(update, ":voice_url", suspension.previous_webhook.voice_url);
    bind_text_or_null(update, ":voice_method", method);
    bind_text_or_null(update, ":status_callback", suspension.previous_webhook.status_callback);
    bind_text_or_null(update, ":message", suspension.message);
    update.bind(":at", suspension.suspended_at.empty() ? now : suspension.suspended_at);
    update.bind(":holder", m_holder);
    update.bind(":now", now);
    update.bind(":e164", e164);
    update.bind(":status", to_string(before->status));
    if (update.exec() == 0) {
      throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
    }
    auto after = select_number(e164);
    transaction.commit();
    return *after;
  });
}

PoolNumber SqliteStateStore::resume_number(const std::string& e164) {
  return guarded("cannot resume " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto before = select_number(e164);
    if (!before || before->status == NumberStatus::released) {
      throw not_in_pool(e164);
    }
    require_routing_free(*before);
    if (before->status != NumberStatus::suspended || !before->suspension) {
      throw Error(ErrorKind::conflict,
                  e164 + " is not suspended (it is " + to_string(before->status) + ")");
    }
    const Suspension& suspension = *before->suspension;
    std::string sql = "UPDATE numbers SET status = :status, agent_id = :agent_id, "
                      "tenant_id = :tenant_id, routing_holder = :holder, routing_since = :now, "
                      "updated_at = :now, " +
                      std::string(k_no_suspension) + " WHERE e164 = :e164 AND status = 'suspended'";
    SQLite::Statement update(m_db, sql);
    if (suspension.previous_status == NumberStatus::assigned) {
      const auto agent = require_assignable_agent(suspension.agent_slug);
      update.bind(":status", "assigned");
      update.bind(":agent_id", agent.id);
      update.bind(":tenant_id", agent.tenant_id);
    } else {
      update.bind(":status", "available");
      update.bind(":agent_id");
      update.bind(":tenant_id");
    }
    update.bind(":holder", m_holder);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    if (update.exec() == 0) {
      throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
    }
    if (suspension.previous_status != NumberStatus::assigned) {
      // An available number has no routing mode; a stale one would mislead `route`.
      SQLite::Statement clear(m_db, "UPDATE numbers SET routing_mode = NULL WHERE e164 = ?");
      clear.bind(1, e164);
      clear.exec();
    }
    auto after = select_number(e164);
    transaction.commit();
    return *after;
  });
}

void SqliteStateStore::set_agent_phone_number_id(const std::string& e164,
                                                 const std::string& phone_number_id) {
  guarded("cannot record the voice-agent id of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    if (!phone_number_id.empty()) {
      SQLite::Statement holder(m_db, "SELECT e164 FROM numbers WHERE provider_agent_phone_id = ? "
                                     "AND e164 <> ?");
      holder.bind(1, phone_number_id);
      holder.bind(2, e164);
      if (holder.executeStep()) {
        throw Error(ErrorKind::conflict, "voice-agent phone number id " + phone_number_id +
                                             " already belongs to " +
                                             column_text(holder.getColumn(0)));
      }
    }
    SQLite::Statement update(m_db, "UPDATE numbers SET provider_agent_phone_id = ?, "
                                   "updated_at = ? WHERE e164 = ? AND status <> 'released'");
    bind_text_or_null(update, 1, phone_number_id);
    update.bind(2, utc_now_iso8601());
    update.bind(3, e164);
    if (update.exec() == 0) {
      throw not_in_pool(e164);
    }
    transaction.commit();
  });
}

std::optional<AgentIds> SqliteStateStore::select_agent_ids(const std::string& slug) {
  SQLite::Statement query(m_db, "SELECT id, tenant_id, status FROM agents WHERE slug = ?");
  query.bind(1, slug);
  if (!query.executeStep()) {
    return std::nullopt;
  }
  return AgentIds{query.getColumn(0).getInt64(), query.getColumn(1).getInt64(),
                  parse_stored_agent_status(column_text(query.getColumn(2)))};
}

AgentIds SqliteStateStore::require_assignable_agent(const std::string& slug) {
  const auto agent = select_agent_ids(slug);
  if (!agent) {
    throw agent_not_found(slug);
  }
  if (agent->status != AgentStatus::active) {
    throw Error(ErrorKind::conflict,
                "agent \"" + slug + "\" is being " +
                    (agent->status == AgentStatus::creating ? "created" : "deleted") + " (status " +
                    to_string(agent->status) + ") and cannot receive numbers",
                "run 'vami reconcile' if the command that was changing it died");
  }
  return *agent;
}

bool SqliteStateStore::routing_free(const PoolNumber& number) const {
  // Another store of this process (a test's second staff member) is a holder still working.
  return number.routing_holder.empty() || number.routing_holder == m_holder ||
         !holder_still_working(number.routing_holder, number.routing_since);
}

void SqliteStateStore::require_routing_free(const PoolNumber& number) const {
  if (!routing_free(number)) {
    throw routing_in_flight(number);
  }
}

PoolNumber SqliteStateStore::write_assignment(const std::string& e164,
                                              const std::optional<std::int64_t>& from_agent_id,
                                              const AgentIds& agent,
                                              const AssignmentTarget& target) {
  std::string sql = "UPDATE numbers SET status = 'assigned', tenant_id = :tenant_id, "
                    "agent_id = :agent_id, routing_mode = :routing_mode, "
                    "routing_holder = :holder, routing_since = :now, updated_at = :now "
                    "WHERE e164 = :e164 AND ";
  sql +=
      from_agent_id ? "status = 'assigned' AND agent_id = :from_agent_id" : "status = 'available'";
  SQLite::Statement update(m_db, sql);
  update.bind(":tenant_id", agent.tenant_id);
  update.bind(":agent_id", agent.id);
  update.bind(":routing_mode", to_string(target.routing_mode));
  update.bind(":holder", m_holder);
  update.bind(":now", utc_now_iso8601());
  update.bind(":e164", e164);
  if (from_agent_id) {
    update.bind(":from_agent_id", *from_agent_id);
  }
  if (update.exec() == 0) {
    throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
  }
  return *select_number(e164);
}

} // namespace vami::sqlite_store
