#pragma once

// The refusals the SQLite store shares with every store (stores/common/store_conflicts.hpp),
// under the SQLite store's namespace.

#include <store_conflicts.hpp>

namespace vami::sqlite_store {

using store_rules::agent_not_found;
using store_rules::count_of;
using store_rules::describe_holder;
using store_rules::held_by;
using store_rules::not_assignable;
using store_rules::not_held_by;
using store_rules::not_in_pool;
using store_rules::operation_not_found;
using store_rules::routing_in_flight;
using store_rules::tenant_not_found;

} // namespace vami::sqlite_store
