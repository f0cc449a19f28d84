// The PostgreSQL state store: assigning numbers to agents, moving them, taking them back,
// suspending and resuming them, and the routing hold ("one change of a number at a time").
//
// The hold is the session advisory lock "routing:<e164>" of the process's connection, beside
// the row's routing_holder and routing_since (who and since when, for messages). Rows are read
// with the holder only while the lock is held (pg_rows.hpp), so a process killed on any host
// holds nothing once the server sees its connection close.

#include "pg_rows.hpp"
#include "pg_state_store.hpp"
#include <store_conflicts.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/process_holder.hpp>

namespace vami::postgres_store {

using store_rules::agent_not_found;
using store_rules::held_by;
using store_rules::not_assignable;
using store_rules::not_held_by;
using store_rules::not_in_pool;
using store_rules::routing_in_flight;

namespace {

std::string routing_hold(const std::string& e164) {
  return "routing:" + e164;
}

/// The row of a number the pool holds (not released). @throws Error(not_found) otherwise.
PoolNumber require_in_pool(const std::optional<PoolNumber>& row, const std::string& e164) {
  if (!row || row->status == NumberStatus::released) {
    throw not_in_pool(e164);
  }
  return *row;
}

} // namespace

PoolNumber PostgresStateStore::assign_number(const std::string& e164,
                                             const AssignmentTarget& target) {
  return transaction("cannot assign " + e164, [&] {
    const PoolNumber before = require_in_pool(select_number(e164), e164);
    const auto agent = require_assignable_agent(target.agent_slug);
    require_routing_free(before);
    if (before.status != NumberStatus::available) {
      throw not_assignable(before);
    }
    take_routing(before);
    return write_assignment(e164, std::nullopt, agent, target);
  });
}

PoolNumber PostgresStateStore::assign_first_available(const NumberFilter& filter,
                                                      const AssignmentTarget& target) {
  check_area_code(filter);
  if (filter.status && *filter.status != NumberStatus::available) {
    throw Error(ErrorKind::invalid_input,
                std::string("only an available number can be assigned, not a ") +
                    to_string(*filter.status) + " one");
  }
  return transaction("cannot assign a number to agent " + target.agent_slug, [&] {
    const auto agent = require_assignable_agent(target.agent_slug);
    std::string sql = std::string(k_number_select) + "WHERE n.status = 'available'";
    append_number_filter(sql, filter);
    // Candidates in order, a few at a time: the first free one whose lock this session gets.
    sql += " ORDER BY n.e164 LIMIT 32";
    pg::Statement query(sql);
    bind_number_filter(query, filter);
    const pg::Result rows = db().exec(query);
    std::string e164;
    for (int i = 0; e164.empty() && i < rows.rows(); ++i) {
      const PoolNumber candidate = read_number(pg::Row(rows, i));
      // One another process is unassigning, or another session is taking now, is not free.
      if (routing_free(candidate) &&
          (take_hold(routing_hold(candidate.e164)) || !candidate.routing_holder.empty())) {
        e164 = candidate.e164;
      }
    }
    if (e164.empty()) {
      if (rows.rows() == 32) {
        throw RetryTransaction{}; // every one of the first candidates is being changed
      }
      const auto words = describe(filter);
      throw Error(ErrorKind::conflict,
                  "no available number in the pool" + (words.empty() ? "" : " matches " + words),
                  "buy more with 'vami numbers buy' or widen the filter");
    }
    return write_assignment(e164, std::nullopt, agent, target);
  });
}

PoolNumber PostgresStateStore::reassign_number(const std::string& e164,
                                               const std::string& expected_agent_slug,
                                               const AssignmentTarget& target) {
  return transaction("cannot reassign " + e164, [&] {
    const PoolNumber before = require_in_pool(select_number(e164), e164);
    const auto agent = require_assignable_agent(target.agent_slug);
    const auto expected = select_agent_ids(expected_agent_slug);
    require_routing_free(before);
    if (before.status != NumberStatus::assigned || !expected ||
        before.agent_slug != expected_agent_slug) {
      throw not_held_by(before, expected_agent_slug);
    }
    take_routing(before);
    return write_assignment(e164, expected->id, agent, target);
  });
}

PoolNumber PostgresStateStore::unassign_number(const std::string& e164,
                                               const std::string& expected_agent_slug) {
  return transaction("cannot unassign " + e164, [&] {
    const PoolNumber before = require_in_pool(select_number(e164), e164);
    const auto expected = select_agent_ids(expected_agent_slug);
    require_routing_free(before);
    if (before.status != NumberStatus::assigned || !expected ||
        before.agent_slug != expected_agent_slug) {
      throw not_held_by(before, expected_agent_slug);
    }
    take_routing(before);
    // The voice-agent provider's id of the number stays: the number remains imported there,
    // and a later assignment reuses the import.
    pg::Statement update(
        "UPDATE numbers SET status = 'available', tenant_id = NULL, agent_id = NULL, "
        "routing_mode = NULL, routing_holder = :holder, routing_since = :now, updated_at = :now "
        "WHERE e164 = :e164 AND status = 'assigned' AND agent_id = :agent_id");
    update.bind(":holder", m_holder);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    update.bind(":agent_id", expected->id);
    if (db().exec(update).affected() == 0) {
      throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
    }
    return *select_number(e164);
  });
}

void PostgresStateStore::begin_routing_change(const std::string& e164) {
  transaction("cannot take the routing of " + e164, [&] {
    const PoolNumber before = require_in_pool(select_number(e164), e164);
    require_routing_free(before);
    take_routing(before);
    pg::Statement update("UPDATE numbers SET routing_holder = :holder, routing_since = :now "
                         "WHERE e164 = :e164");
    update.bind(":holder", m_holder);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    db().exec(update);
  });
}

void PostgresStateStore::end_routing_change(const std::string& e164) {
  read("cannot give back the routing of " + e164, [&] {
    pg::Statement update("UPDATE numbers SET routing_holder = NULL, routing_since = NULL "
                         "WHERE e164 = :e164 AND routing_holder = :holder");
    update.bind(":e164", e164);
    update.bind(":holder", m_holder);
    db().exec(update);
    release_hold(routing_hold(e164)); // after the row says nobody holds it
  });
}

PoolNumber PostgresStateStore::suspend_number(const std::string& e164,
                                              const Suspension& suspension) {
  const bool from_assigned = suspension.previous_status == NumberStatus::assigned;
  if (!from_assigned && suspension.previous_status != NumberStatus::available) {
    throw Error(ErrorKind::invalid_input,
                std::string("only an available or assigned number can be suspended, not a ") +
                    to_string(suspension.previous_status) + " one");
  }
  const auto method = normalized_voice_method(suspension.previous_webhook.voice_method);
  return transaction("cannot suspend " + e164, [&] {
    const PoolNumber before = require_in_pool(select_number(e164), e164);
    require_routing_free(before);
    if (before.status == NumberStatus::suspended) {
      throw Error(ErrorKind::conflict, e164 + " is already suspended");
    }
    if (before.status != suspension.previous_status ||
        (from_assigned && before.agent_slug != suspension.agent_slug)) {
      throw Error(ErrorKind::conflict,
                  (before.status == NumberStatus::assigned
                       ? held_by(before)
                       : e164 + " is " + to_string(before.status)) +
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
    take_routing(before);
    const std::string now = utc_now_iso8601();
    pg::Statement update(
        "UPDATE numbers SET status = 'suspended', agent_id = NULL, suspended_from = :from, "
        "suspended_agent_id = :agent_id, suspended_voice_url = :voice_url, "
        "suspended_voice_method = :voice_method, suspended_status_callback = :status_callback, "
        "suspension_message = :message, suspended_at = :at, routing_holder = :holder, "
        "routing_since = :now, updated_at = :now WHERE e164 = :e164 AND status = :status");
    update.bind(":from", to_string(suspension.previous_status));
    if (agent) {
      update.bind(":agent_id", agent->id);
    } else {
      update.bind_null(":agent_id");
    }
    update.bind_text_or_null(":voice_url", suspension.previous_webhook.voice_url);
    update.bind_text_or_null(":voice_method", method);
    update.bind_text_or_null(":status_callback", suspension.previous_webhook.status_callback);
    update.bind_text_or_null(":message", suspension.message);
    update.bind(":at", suspension.suspended_at.empty() ? now : suspension.suspended_at);
    update.bind(":holder", m_holder);
    update.bind(":now", now);
    update.bind(":e164", e164);
    update.bind(":status", to_string(before.status));
    if (db().exec(update).affected() == 0) {
      throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
    }
    return *select_number(e164);
  });
}

PoolNumber PostgresStateStore::resume_number(const std::string& e164) {
  return transaction("cannot resume " + e164, [&] {
    const PoolNumber before = require_in_pool(select_number(e164), e164);
    require_routing_free(before);
    if (before.status != NumberStatus::suspended || !before.suspension) {
      throw Error(ErrorKind::conflict,
                  e164 + " is not suspended (it is " + to_string(before.status) + ")");
    }
    const Suspension& suspension = *before.suspension;
    const bool to_assigned = suspension.previous_status == NumberStatus::assigned;
    std::optional<AgentIds> agent;
    if (to_assigned) {
      agent = require_assignable_agent(suspension.agent_slug);
    }
    take_routing(before);
    // An available number has no routing mode; a stale one would mislead `route`.
    pg::Statement update(
        "UPDATE numbers SET status = :status, agent_id = :agent_id, tenant_id = :tenant_id, "
        "routing_mode = CASE WHEN :to_assigned THEN routing_mode END, routing_holder = :holder, "
        "routing_since = :now, updated_at = :now, " +
        std::string(k_no_suspension) + " WHERE e164 = :e164 AND status = 'suspended'");
    if (agent) {
      update.bind(":status", "assigned");
      update.bind(":agent_id", agent->id);
      update.bind(":tenant_id", agent->tenant_id);
    } else {
      update.bind(":status", "available");
      update.bind_null(":agent_id");
      update.bind_null(":tenant_id");
    }
    update.bind(":to_assigned", to_assigned ? "true" : "false");
    update.bind(":holder", m_holder);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    if (db().exec(update).affected() == 0) {
      throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
    }
    return *select_number(e164);
  });
}

void PostgresStateStore::set_agent_phone_number_id(const std::string& e164,
                                                   const std::string& phone_number_id) {
  transaction("cannot record the voice-agent id of " + e164, [&] {
    if (!phone_number_id.empty()) {
      pg::Statement holder("SELECT e164 FROM numbers WHERE provider_agent_phone_id = :id "
                           "AND e164 <> :e164");
      holder.bind(":id", phone_number_id);
      holder.bind(":e164", e164);
      const pg::Result other = db().exec(holder);
      if (other.rows() > 0) {
        throw Error(ErrorKind::conflict, "voice-agent phone number id " + phone_number_id +
                                             " already belongs to " + other.text(0, 0));
      }
    }
    pg::Statement update("UPDATE numbers SET provider_agent_phone_id = :id, updated_at = :now "
                         "WHERE e164 = :e164 AND status <> 'released'");
    update.bind_text_or_null(":id", phone_number_id);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    if (db().exec(update).affected() == 0) {
      throw not_in_pool(e164);
    }
  });
}

std::optional<AgentIds> PostgresStateStore::select_agent_ids(const std::string& slug) {
  pg::Statement query("SELECT id, tenant_id, status FROM agents WHERE slug = :slug");
  query.bind(":slug", slug);
  const pg::Result found = db().exec(query);
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return AgentIds{found.integer(0, 0), found.integer(0, 1),
                  parse_stored_agent_status(found.text(0, 2))};
}

AgentIds PostgresStateStore::require_assignable_agent(const std::string& slug) {
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

bool PostgresStateStore::routing_free(const PoolNumber& number) const {
  // The holder read is empty once its session has ended. Another store of this process (a
  // test's second staff member) is a holder still working; a process of this host that has
  // exited is not, even while its connection lingers.
  return number.routing_holder.empty() || number.routing_holder == m_holder ||
         holder_liveness(number.routing_holder) == HolderLiveness::gone;
}

void PostgresStateStore::require_routing_free(const PoolNumber& number) const {
  if (!routing_free(number)) {
    throw routing_in_flight(number);
  }
}

void PostgresStateStore::take_routing(const PoolNumber& number) {
  if (take_hold(routing_hold(number.e164))) {
    return;
  }
  // Its lock is another session's: one this process may take over (its own, an exited
  // process's) is changed without the lock; otherwise that session is taking the number right
  // now and its row is not committed yet: read it again.
  if (!number.routing_holder.empty()) {
    return;
  }
  throw RetryTransaction{};
}

PoolNumber PostgresStateStore::write_assignment(const std::string& e164,
                                                const std::optional<std::int64_t>& from_agent_id,
                                                const AgentIds& agent,
                                                const AssignmentTarget& target) {
  std::string sql = "UPDATE numbers SET status = 'assigned', tenant_id = :tenant_id, "
                    "agent_id = :agent_id, routing_mode = :routing_mode, "
                    "routing_holder = :holder, routing_since = :now, updated_at = :now "
                    "WHERE e164 = :e164 AND ";
  sql +=
      from_agent_id ? "status = 'assigned' AND agent_id = :from_agent_id" : "status = 'available'";
  pg::Statement update(sql);
  update.bind(":tenant_id", agent.tenant_id);
  update.bind(":agent_id", agent.id);
  update.bind(":routing_mode", to_string(target.routing_mode));
  update.bind(":holder", m_holder);
  update.bind(":now", utc_now_iso8601());
  update.bind(":e164", e164);
  if (from_agent_id) {
    update.bind(":from_agent_id", *from_agent_id);
  }
  if (db().exec(update).affected() == 0) {
    throw Error(ErrorKind::conflict, e164 + " changed meanwhile; try again");
  }
  return *select_number(e164);
}

} // namespace vami::postgres_store
