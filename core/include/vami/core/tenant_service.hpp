#pragma once

#include <optional>
#include <string>
#include <vector>

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
  TenantService(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
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
  /// and documents at the provider, then the tenant.
  TenantRemoval remove(const std::string& slug, NumberDisposition numbers);

private:
  TelephonyProvider& m_telephony;
  VoiceAgentProvider& m_agents;
  StateStore& m_store;
  std::string m_actor;
};

/// Checks a tenant's fields (slug, name, e-mail, and that the rest are printable).
/// @throws Error(invalid_input).
void validate_tenant(const Tenant& tenant);

} // namespace vami
