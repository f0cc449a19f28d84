// Why a state store refuses a change (see store_conflicts.hpp).

#include "store_conflicts.hpp"

#include <vami/core/process_holder.hpp>

namespace vami::store_rules {

Error account_change_with_agents(const std::string& slug, const std::string& from,
                                 const std::string& to, std::int64_t agents) {
  auto account = [](const std::string& profile) {
    return profile.empty() ? std::string("the platform's accounts")
                           : "the accounts of profile '" + profile + "'";
  };
  return Error(ErrorKind::conflict,
               "tenant \"" + slug + "\" has " + count_of(agents, "agent") + " in " + account(from) +
                   ", which cannot move to " + account(to),
               "delete its agents first ('vami agents delete SLUG', after unassigning their "
               "numbers), change the profile, then create them again");
}

Error not_in_pool(const std::string& e164) {
  return Error(ErrorKind::not_found, e164 + " is not in the pool",
               "list the pool with 'vami numbers list'");
}

Error operation_not_found(const std::string& operation_id) {
  return Error(ErrorKind::not_found, "operation " + operation_id + " is not in the journal");
}

Error tenant_not_found(const std::string& slug) {
  return Error(ErrorKind::not_found, "tenant \"" + slug + "\" does not exist",
               "list the tenants with 'vami tenants list'");
}

Error agent_not_found(const std::string& slug) {
  return Error(ErrorKind::not_found, "agent \"" + slug + "\" does not exist",
               "list the agents with 'vami agents list'");
}

std::string held_by(const PoolNumber& number) {
  return number.e164 + " is assigned to agent \"" + number.agent_slug + "\" (tenant " +
         number.tenant_slug + ")";
}

std::string count_of(std::int64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

Error not_assignable(const PoolNumber& number) {
  switch (number.status) {
  case NumberStatus::assigned:
    return Error(ErrorKind::conflict, held_by(number),
                 "unassign it first or use 'vami numbers reassign'");
  case NumberStatus::purchasing:
    return Error(ErrorKind::conflict,
                 number.e164 + " is not available (status purchasing): an operation is buying it",
                 "run 'vami reconcile' if that operation died");
  case NumberStatus::releasing:
    return Error(ErrorKind::conflict,
                 number.e164 + " is not available (status releasing): an operation is releasing it",
                 "run 'vami reconcile' if that operation died");
  case NumberStatus::released:
    return not_in_pool(number.e164);
  case NumberStatus::suspended:
  case NumberStatus::available:
    break;
  }
  return Error(ErrorKind::conflict,
               number.e164 + " is not available (status " + to_string(number.status) + ")");
}

std::string describe_holder(const std::string& holder) {
  const std::string pid = holder_pid(holder);
  return pid.empty() ? "another vami process" : "another vami process (pid " + pid + ")";
}

Error routing_in_flight(const PoolNumber& number) {
  std::string now = number.status == NumberStatus::assigned
                        ? held_by(number)
                        : number.e164 + " is " + to_string(number.status);
  return Error(ErrorKind::conflict,
               number.e164 + " is being changed by " + describe_holder(number.routing_holder) +
                   " since " + number.routing_since + " (" + now + " in the state database)",
               "try again when that command has finished");
}

Error not_held_by(const PoolNumber& number, const std::string& expected_agent_slug) {
  if (number.status == NumberStatus::assigned) {
    return Error(ErrorKind::conflict,
                 held_by(number) + ", not to agent \"" + expected_agent_slug + "\"");
  }
  return Error(ErrorKind::conflict, number.e164 + " is not assigned to agent \"" +
                                        expected_agent_slug + "\" (status " +
                                        to_string(number.status) + ")");
}

void require_releasing(const std::optional<PoolNumber>& current, const std::string& e164) {
  if (!current) {
    throw not_in_pool(e164);
  }
  if (current->status != NumberStatus::releasing) {
    throw Error(ErrorKind::conflict,
                e164 + " is not being released (status " + to_string(current->status) + ")");
  }
}

PoolNumber require_settled(const std::optional<PoolNumber>& current, const std::string& e164,
                           const std::string& provider_sid) {
  if (!current || current->status == NumberStatus::released) {
    throw not_in_pool(e164);
  }
  const bool settled = current->status == NumberStatus::available ||
                       current->status == NumberStatus::assigned ||
                       current->status == NumberStatus::suspended;
  if (!settled || current->provider_sid != provider_sid) {
    throw Error(ErrorKind::conflict,
                e164 + " changed meanwhile (now " + to_string(current->status) + ", provider id " +
                    (current->provider_sid.empty() ? std::string("none") : current->provider_sid) +
                    ")");
  }
  return *current;
}

Error agent_still_has_numbers(const std::string& slug, const std::vector<std::string>& numbers,
                              std::size_t suspended) {
  constexpr std::size_t k_named = 3;
  std::string named;
  for (std::size_t i = 0; i < numbers.size() && i < k_named; ++i) {
    named += (i == 0 ? "" : ", ") + numbers[i];
  }
  if (numbers.size() > k_named) {
    named += ", ...";
  }
  return Error(ErrorKind::conflict,
               "agent \"" + slug + "\" still has " +
                   count_of(static_cast<std::int64_t>(numbers.size()),
                            suspended == 0                ? "assigned number"
                            : suspended == numbers.size() ? "suspended number"
                                                          : "assigned or suspended number") +
                   " (" + named + ")",
               suspended == 0 ? "unassign them first or move them with 'vami numbers reassign'"
                              : "resume the suspended ones first ('vami numbers resume'), "
                                "then unassign or move them");
}

} // namespace vami::store_rules
