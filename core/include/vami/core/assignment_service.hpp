#pragma once

#include <optional>
#include <string>

#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// Which available pool number `assign --pick` takes.
struct PickFilter {
  std::string area_code; ///< Three digits; empty for any.
  std::string locality;  ///< City; empty for any.
};

/// Where a call to a pool number goes.
struct Route {
  PoolNumber number;
  std::optional<Tenant> tenant; ///< Set when assigned.
  std::optional<Agent> agent;   ///< Set when assigned.
};

/// The use cases that route pool numbers to agents: assign, unassign, reassign, and the
/// routing lookup. Each change takes the number in one state-database transaction first (two
/// staff members can never both win), then tells the providers, and puts the row back if the
/// providers refuse. `native` routing imports the number into the voice-agent provider (once)
/// and assigns it there; `webhook` routing points the number's voice webhook at `router_url`
/// with the agent's id (`<router_url>?agent_id=<id>`).
/// Errors: `Error(invalid_input)` for a malformed number or a webhook routing without router
/// URL, `Error(not_found)` for a number the pool does not own or an unknown agent,
/// `Error(conflict)` naming the agent and tenant that hold a number, provider errors as the
/// provider interfaces document.
class AssignmentService {
public:
  /// `router_url` is the platform's call router for `webhook` routing (may be empty when only
  /// native routing is used).
  AssignmentService(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
                    std::string actor, std::string router_url);

  /// Assigns an available pool number to an agent.
  PoolNumber assign(const std::string& number, const std::string& agent, RoutingMode mode);
  /// Assigns the first available pool number matching `filter` to an agent.
  /// @throws Error(conflict) when no available number matches.
  PoolNumber assign_pick(const PickFilter& filter, const std::string& agent, RoutingMode mode);
  /// Takes a number back from its agent into the pool (`available`).
  /// @throws Error(conflict) when it is not assigned.
  PoolNumber unassign(const std::string& number);
  /// Moves an assigned number to another agent in one provider request, keeping its routing
  /// mode, so the number always rings an agent.
  /// @throws Error(conflict) when it is not assigned or already assigned to that agent.
  PoolNumber reassign(const std::string& number, const std::string& agent);

private:
  Agent routable_agent(const std::string& agent);
  void connect(PoolNumber& row, const Agent& agent, RoutingMode mode);
  void disconnect(PoolNumber& row, const PoolNumber& before);
  std::string import(const std::string& e164);
  PoolNumber current(const std::string& e164);
  void audit(const std::string& command, const PoolNumber& before, const PoolNumber& after);

  TelephonyProvider& m_telephony;
  VoiceAgentProvider& m_agents;
  StateStore& m_store;
  std::string m_actor;
  std::string m_router_url;
};

/// Where a call to `number` goes, from the state database alone (no provider call).
/// @throws Error(invalid_input) for a malformed number; Error(not_found) when the pool does not
///         own it.
[[nodiscard]] Route find_route(StateStore& store, const std::string& number);

/// The voice webhook that routes a number to an agent through the platform's call router.
[[nodiscard]] VoiceWebhook router_webhook(const std::string& router_url,
                                          const std::string& provider_agent_id);

} // namespace vami
