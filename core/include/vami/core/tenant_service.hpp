#pragma once

#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/bulk_runner.hpp>
#include <vami/core/money.hpp>
#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// A tenant with its agents, numbers and what its numbers cost.
struct TenantDetails {
  Tenant tenant;
  std::vector<Agent> agents;
  std::vector<PoolNumber> numbers;
  /// Sum of the numbers' monthly prices, per currency (usually one); numbers without a known
  /// price are not counted.
  std::vector<Money> monthly_cost;
};

/// What happens to a deleted tenant's numbers.
enum class NumberDisposition { return_to_pool, release };

/// What deleting a tenant did.
struct TenantRemoval {
  std::vector<std::string> agents_deleted;   ///< Agent slugs.
  std::vector<std::string> numbers_returned; ///< E.164, back in the pool.
  std::vector<std::string> numbers_released; ///< E.164, released to the provider.
};

/// The use cases of tenants: create, list, show, update, delete.
/// Errors: `Error(invalid_input)` for a bad slug, name or e-mail, `Error(not_found)` for an
/// unknown tenant, `Error(conflict)` for a duplicate slug; deletion raises what the agent, number
/// and provider calls raise and stops at the first failure, leaving what is not yet deleted
/// recorded so that running it again finishes the job.
class TenantService {
public:
  /// `actor` is written into the audit trail.
  TenantService(TelephonyProvider& telephony, AgentProviders& agents, StateStore& store,
                std::string actor);

  /// Records a new tenant (no provider call).
  Tenant create(const Tenant& tenant);
  /// Every tenant, ordered by slug.
  std::vector<Tenant> list();
  /// A tenant with its agents, numbers and monthly cost.
  TenantDetails show(const std::string& slug);
  /// Changes the set fields.
  Tenant update(const std::string& slug, const TenantChange& change);
  /// Deletes a tenant: unassigns its numbers (and releases them when asked), deletes its agents
  /// and documents at the provider, then the tenant. With `NumberDisposition::release`, the
  /// release is a journaled `release` operation recorded before the first number is
  /// unassigned; a deletion that died is finished by running it again (or by `operations
  /// resume`), which releases exactly the numbers it set out to release. `stop_requested` (may
  /// be empty) stops the releases as in a bulk command.
  /// @throws Error(conflict) while another process runs the same deletion, or when a deletion
  ///         with released numbers is unfinished and `numbers` is `return_to_pool`;
  ///         Error(uncertain) when the state database failed after a release (run reconcile);
  ///         Error(interrupted) when stopped before every number was released.
  TenantRemoval remove(const std::string& slug, NumberDisposition numbers,
                       const StopRequested& stop_requested = {});

private:
  /// The unfinished (not completed) release operation that deletes tenant `slug`, if any.
  /// @throws Error(conflict) while the process that runs it is still alive.
  std::optional<Operation> unfinished_deletion(const std::string& slug);

  TelephonyProvider& m_telephony;
  AgentProviders& m_agents;
  StateStore& m_store;
  std::string m_actor;
};

/// The slug of the tenant whose deletion `operation` is part of (a `release` operation made
/// by `TenantService::remove` with `NumberDisposition::release`); empty for any other.
[[nodiscard]] std::string deleted_tenant(const Operation& operation);

/// Checks a tenant's fields (slug, name, e-mail, and that the rest are printable).
/// @throws Error(invalid_input).
void validate_tenant(const Tenant& tenant);

} // namespace vami
