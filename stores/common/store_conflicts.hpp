#pragma once

// Why a state store refuses a change: the not-found and conflict errors that several
// of its concerns raise, worded once.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/core/number.hpp>

namespace vami::store_rules {

/// Error(not_found): `e164` is not in the pool.
Error not_in_pool(const std::string& e164);

/// Error(not_found): the journal has no such operation.
Error operation_not_found(const std::string& operation_id);

/// Error(not_found): no tenant `slug`.
Error tenant_not_found(const std::string& slug);

/// Error(not_found): no agent `slug`.
Error agent_not_found(const std::string& slug);

/// "+12125550101 is assigned to agent "dr-smith" (tenant acme)": the words every conflict over
/// an assigned number starts with, so that support staff see who holds it.
std::string held_by(const PoolNumber& number);

/// Error(conflict): tenant `slug` cannot move from account profile `from` to `to` (empty: the
/// platform's accounts) while `agents` of its agents live at a provider in the old account.
Error account_change_with_agents(const std::string& slug, const std::string& from,
                                 const std::string& to, std::int64_t agents);

/// "1 agent", "2 agents".
std::string count_of(std::int64_t count, const std::string& noun);

/// Why a number that is not `available` cannot be assigned.
Error not_assignable(const PoolNumber& number);

/// "pid 4242", or "a vami process on another host" when the holder names none.
std::string describe_holder(const std::string& holder);

/// Why a number whose routing another process is changing cannot be changed now.
Error routing_in_flight(const PoolNumber& number);

/// Why a number is not, or no longer, assigned to `expected_agent_slug`.
Error not_held_by(const PoolNumber& number, const std::string& expected_agent_slug);

/// Checks that `current`, the row of `e164` as just read, is being released.
/// @throws Error(not_found) when it is not in the pool; Error(conflict) for another status.
void require_releasing(const std::optional<PoolNumber>& current, const std::string& e164);

/// Checks that `current`, the row of `e164` as just read, is settled (available, assigned or
/// suspended) under `provider_sid`, and returns it.
/// @throws Error(not_found) when it is not in the pool (or released); Error(conflict) when it
///         is transitional or under another provider SID (changed meanwhile).
PoolNumber require_settled(const std::optional<PoolNumber>& current, const std::string& e164,
                           const std::string& provider_sid);

/// Why agent `slug` cannot be deleted while `numbers` (E.164, `suspended` of them suspended
/// from it) still route to it: Error(conflict) naming the first three and what to do.
Error agent_still_has_numbers(const std::string& slug, const std::vector<std::string>& numbers,
                              std::size_t suspended);

} // namespace vami::store_rules
