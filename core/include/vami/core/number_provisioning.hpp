#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <vami/core/agent_providers.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/number.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// `--buy-if-needed`: what may be bought when the pool has no available number matching a pick.
struct BuyIfNeeded {
  /// Refuse a number costing more a month (micros of the price list's currency); none: no cap.
  std::optional<std::int64_t> max_monthly_price_micros;
  std::string pool = "default"; ///< Pool name, part of the provider tag.
};

/// The purchase of one number for a pick that the pool cannot serve, planned before anything
/// changes: `request` is a one-number `BuyRequest` (the pick's area code first, then the other
/// area codes of its state, those of the same city first; the pick's city as `InLocality`), and
/// `purchase` what `PoolService::plan_purchase` found for it.
struct ProvisionPlan {
  BuyRequest request;
  PurchasePlan purchase;
};

/// What `NumberProvisioning::assign_pick` did.
struct ProvisionedNumber {
  PoolNumber number;        ///< The pool row afterwards (assigned).
  bool bought = false;      ///< Whether the number was bought for this assignment.
  std::string operation_id; ///< The journaled buy, when bought.
};

/// Where the number of a new agent comes from: an available pool number matching a pick, or —
/// when the pool has none and the caller allows it — one bought for it, as the platform's own
/// flow provisions a number while it creates an agent. The purchase goes through
/// `PoolService::plan_purchase` and `PoolService::buy` (a journaled intent row, the provider
/// tag, a look-up after an ambiguous failure): there is no second purchase path. A bought number
/// that cannot be routed is released again (journaled as a release operation).
class NumberProvisioning {
public:
  /// `router_url` as `AssignmentService` takes it.
  NumberProvisioning(TelephonyProvider& telephony, AgentProviders& agents, StateStore& store,
                     std::string actor, std::string router_url);

  /// Nothing when the pool has an available number matching `pick`; otherwise the plan of a
  /// one-number purchase (searches only; nothing is bought).
  /// @throws Error(invalid_input) for an area code not in service; Error(conflict) when no
  ///         number is for sale in the area code nor near it, or it costs more than the cap;
  ///         provider errors as `PoolService::plan_purchase`.
  std::optional<ProvisionPlan> plan(const PickFilter& pick, const BuyIfNeeded& options);

  /// Buys the planned number, as one journaled buy operation of one item (a number taken
  /// meanwhile is replaced by a spare of the plan); its pool row (`available`), `bought` set and
  /// the operation id.
  /// @throws Error(uncertain) when the purchase may have happened and could not be looked up
  ///         (its intent row stays for `vami reconcile`); the item's failure otherwise
  ///         (conflict when no number was left for sale, provider errors by their kind).
  ProvisionedNumber buy(const ProvisionPlan& plan);

  /// Releases a number that `buy` bought, to undo it when a later step failed (one journaled
  /// release operation).
  /// @throws Error(uncertain) naming the number and how to release it when the release failed
  ///         or may not have happened.
  void release(const std::string& e164);

  /// `vami numbers assign --pick --buy-if-needed`: assigns an available pool number matching
  /// `pick` to the agent as `AssignmentService::assign_pick` does; when the pool has none,
  /// checks the agent and routing first, buys one (`plan`, `buy`), assigns it, and releases it
  /// if the assignment fails (then rethrows the assignment's error).
  /// @throws what `plan`, `buy`, `AssignmentService::assign` throw; Error(uncertain) when
  ///         undoing the purchase failed.
  ProvisionedNumber assign_pick(const PickFilter& pick, const std::string& agent, RoutingMode mode,
                                const BuyIfNeeded& options);

private:
  TelephonyProvider& m_telephony;
  AgentProviders& m_agents;
  StateStore& m_store;
  std::string m_actor;
  std::string m_router_url;
};

} // namespace vami
