#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/bulk_runner.hpp>
#include <vami/core/number.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/routing.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/stream_agent.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// Which available pool number `assign --pick` takes.
struct PickFilter {
  std::string area_code; ///< Three digits; empty for any.
  std::string locality;  ///< City; empty for any.
};

/// Many pool numbers to assign to one agent (`numbers assign N1 N2 ... --agent A`).
struct BulkAssignRequest {
  std::vector<std::string> numbers; ///< As given; each must be a valid number.
  std::string agent;                ///< Slug or provider id.
  RoutingMode mode = RoutingMode::native;
  int concurrency = k_default_concurrency; ///< Assignments in flight at once, 1..k_max_concurrency.
};

/// What `AssignmentService::assign` came to.
struct AssignOutcome {
  PoolNumber number; ///< The pool row afterwards.
  /// The number was assigned to that agent in that mode already: nothing changed but its
  /// routing at the providers, which was checked and made whole again.
  bool already_assigned = false;
};

/// Where a call to a pool number goes.
struct Route {
  PoolNumber number;
  std::optional<Tenant> tenant; ///< Set when assigned, or suspended from an assignment.
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
  AssignmentService(TelephonyProvider& telephony, AgentProviders& agents, StateStore& store,
                    std::string actor, std::string router_url);
  /// What the telephony account reaches (`StreamReach::sandbox` until told): with `internet`,
  /// assigning a number to a stream agent whose URL Twilio cannot reach is refused before
  /// anything changes (`require_reachable_stream_url`).
  void set_stream_reach(StreamReach reach) { m_stream_reach = reach; }

  /// Assigns an available pool number to an agent. Assigning a number to the agent it is
  /// assigned to already, in the same mode, succeeds (`already_assigned`) after routing it again
  /// at the providers, so that a script can repeat it.
  /// @throws Error(conflict) when another agent holds the number, or this agent in another mode.
  AssignOutcome assign(const std::string& number, const std::string& agent, RoutingMode mode);
  /// Assigns the first available pool number matching `filter` to an agent.
  /// @throws Error(conflict) when no available number matches.
  PoolNumber assign_pick(const PickFilter& filter, const std::string& agent, RoutingMode mode);
  /// Takes a number back from its agent into the pool (`available`).
  /// @throws Error(conflict) when it is not assigned.
  PoolNumber unassign(const std::string& number);
  /// Moves an assigned number to another agent in one provider request, keeping its routing
  /// mode, so the number always rings an agent. Natively routed to an agent on another platform
  /// (ElevenLabs to Synthflow), the previous platform lets the number go first, so calls made
  /// between the two steps reach no agent.
  /// @throws Error(conflict) when it is not assigned or already assigned to that agent.
  PoolNumber reassign(const std::string& number, const std::string& agent);

  /// Assigns many pool numbers to one agent, `request.concurrency` at a time, journaled as one
  /// operation of kind `assign` (its parameters: `numbers`, `agent`, `mode`) with one item per
  /// number. Each number is taken and routed as `assign` does; a number that cannot be (not in
  /// the pool, held by someone, refused by a provider) fails alone and the rest carry on. Stops
  /// starting numbers once `stop_requested` returns true; those in flight finish and are
  /// journaled. Numbers named twice are assigned once.
  /// @throws Error(invalid_input) for no number, a malformed one (naming it), webhook routing
  ///         without router URL or a concurrency outside 1..k_max_concurrency;
  ///         Error(not_found | conflict) for an unknown or inactive agent (all before anything
  ///         is journaled); Error(auth) when a provider rejects the credentials (nothing more
  ///         is started).
  BulkReport assign_many(const BulkAssignRequest& request, const StopRequested& stop_requested,
                         const ItemObserver& observer);

  /// Takes many numbers back from their agents, `concurrency` at a time, journaled as one
  /// operation of kind `unassign` (parameters: `numbers`, and `holders`: the agent holding each
  /// assigned number when it started); per number as `unassign`, carrying on past failures and
  /// stopping as `assign_many` does.
  /// @throws Error(invalid_input) for no number, a malformed one or a bad concurrency;
  ///         Error(auth) as `assign_many`.
  BulkReport unassign_many(const std::vector<std::string>& numbers, int concurrency,
                           const StopRequested& stop_requested, const ItemObserver& observer);

  /// Finds what is left of a journaled `assign` or `unassign`: the numbers of its request
  /// without a succeeded item (no provider call; nothing changes).
  /// @throws Error(not_found) for an id the journal does not hold; Error(invalid_input) for
  ///         another kind, unreadable parameters or a bad concurrency.
  ResumePlan plan_resume(const std::string& operation_id, const ResumeOptions& options = {});

  /// Runs what `plan` left into the same operation and finishes it (`completed` when nothing
  /// was left). A number already assigned to the operation's agent (the process died after the
  /// database changed) is routed again, which is safe to repeat; one already back in the pool
  /// of an unassign has its provider side cleared again; an unassign leaves alone a number
  /// that another agent than its journaled holder holds now (that item fails).
  /// @throws Error(invalid_input) for a plan of another kind; as `assign_many`.
  BulkReport resume(const ResumePlan& plan, const StopRequested& stop_requested,
                    const ItemObserver& observer);

private:
  /// Whether a bulk item may find its number half done by an earlier, interrupted run.
  enum class Rerun { no, yes };
  PoolNumber assign_to(const std::string& e164, const Agent& agent, RoutingMode mode, Rerun rerun,
                       bool* already_assigned = nullptr);
  PoolNumber unassign_one(const std::string& e164, const std::string& expected_agent, Rerun rerun);
  BulkReport run_assignments(const std::string& operation_id,
                             const std::vector<std::string>& numbers, const Agent& agent,
                             RoutingMode mode, int concurrency, const StopRequested& stop_requested,
                             const ItemObserver& observer, int done_before, Rerun rerun);
  BulkReport run_unassignments(const std::string& operation_id,
                               const std::vector<std::string>& numbers,
                               const std::map<std::string, std::string>& holders, int concurrency,
                               const StopRequested& stop_requested, const ItemObserver& observer,
                               int done_before, Rerun rerun);
  void connect(PoolNumber& row, const Agent& agent);
  void disconnect(PoolNumber& row, const PoolNumber& before);
  /// The workspace holding the pool number `e164` (`workspace_of`); empty for a telephony
  /// number or one the pool does not hold.
  std::string workspace_of_number(const std::string& e164);
  PoolNumber current(const std::string& e164);
  /// Refuses a stream agent whose URL the telephony account cannot reach
  /// (`require_reachable_stream_url`), before anything changes.
  void require_reachable_stream(const Agent& agent) const;
  void audit(const std::string& command, const PoolNumber& before, const PoolNumber& after);

  TelephonyProvider& m_telephony;
  AgentProviders& m_agents;
  StateStore& m_store;
  std::string m_actor;
  std::string m_router_url;
  StreamReach m_stream_reach = StreamReach::sandbox;
};

/// Where calls to a pool number go, checked at the providers (`vami route`, `vami webhooks
/// show`).
struct RouteCheck {
  Route route;                      ///< What the state database says.
  DesiredRouting desired;           ///< What the providers must hold for it.
  ObservedRouting observed;         ///< What they hold.
  std::vector<RoutingFault> faults; ///< `routing_faults(desired, observed)`.
  /// Whether calls reach the agent the pool assigns the number to: assigned, and no fault that
  /// a call cannot get past (`calls_unanswered`). False for an unassigned number.
  bool calls_answered = false;
  /// Whether the stored voice webhook is the one the telephony provider reports.
  bool stored_webhook_current = false;
};

/// Checks where calls to `number` go: its pool row, the routing that row asks for
/// (`desired_routing`, with `router_url`) and what the providers hold (`observe_routing`).
/// `agents` may be null (no voice-agent provider configured): only the telephony side is then
/// compared. With `router` (may be null), a number routed by webhook through vami's router has
/// the router's health checked too (`router_unhealthy`). Changes nothing.
/// @throws Error(invalid_input) for a malformed number; Error(not_found) when the pool does not
///         own it; what `observe_routing` throws.
[[nodiscard]] RouteCheck check_route(TelephonyProvider& telephony, AgentProviders* agents,
                                     StateStore& store, const std::string& router_url,
                                     const std::string& number,
                                     RouterHealthProbe* router = nullptr);

/// Where a call to `number` goes, from the state database alone (no provider call).
/// @throws Error(invalid_input) for a malformed number; Error(not_found) when the pool does not
///         own it.
[[nodiscard]] Route find_route(StateStore& store, const std::string& number);

} // namespace vami
