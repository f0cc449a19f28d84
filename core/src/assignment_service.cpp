#include <functional>
#include <set>
#include <string>
#include <utility>

#include "audit_json.hpp"
#include "bulk_journal.hpp"
#include "lookups.hpp"
#include "routing_steps.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/assignment_service.hpp>
#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>

namespace vami {

namespace {

using detail::bulk_item;
using detail::distinct_numbers;
using detail::pool_row;
using detail::roll_back;

std::string holder(const PoolNumber& number) {
  return "agent \"" + number.agent_slug + "\" (tenant " + number.tenant_slug + ")";
}

// Twilio defaults the voice method to POST, and the store keeps no method for an unset one.
bool same_webhook(const VoiceWebhook& stored, const VoiceWebhook& reported) {
  auto method = [](const std::string& text) { return text.empty() ? std::string("POST") : text; };
  return stored.voice_url == reported.voice_url &&
         method(stored.voice_method) == method(reported.voice_method) &&
         stored.status_callback == reported.status_callback;
}

using detail::require_webhook_router;

} // namespace

AssignmentService::AssignmentService(TelephonyProvider& telephony, AgentProviders& agents,
                                     StateStore& store, std::string actor, std::string router_url)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)),
      m_router_url(std::move(router_url)) {
  if (!m_router_url.empty()) {
    // Plain http only for a router on this machine (the served sandbox and a local router).
    validate_webhook_url(m_router_url, /*allow_http=*/is_loopback_url(m_router_url));
  }
}

AssignOutcome AssignmentService::assign(const std::string& number, const std::string& agent_name,
                                        RoutingMode mode) {
  const std::string e164 = to_e164(number);
  require_webhook_router(mode, m_router_url);
  const Agent agent = detail::require_active_agent(m_store, agent_name);
  require_pairing(m_agents.of(agent), agent, mode, workspace_of_number(e164));
  require_reachable_stream(agent);
  require_number_room(m_agents.of(agent), m_store, agent, {e164});
  AssignOutcome outcome;
  outcome.number = assign_to(e164, agent, mode, Rerun::no, &outcome.already_assigned);
  return outcome;
}

PoolNumber AssignmentService::assign_to(const std::string& e164, const Agent& agent,
                                        RoutingMode mode, Rerun rerun, bool* already_assigned) {
  const PoolNumber before = current(e164);
  PoolNumber row = before;
  const bool held_by_agent =
      before.status == NumberStatus::assigned && before.agent_slug == agent.slug;
  // Assigned to this agent in this mode already (a script repeating itself): route it again.
  const bool already = held_by_agent && before.routing_mode.value_or(RoutingMode::native) == mode;
  if (already || (rerun == Rerun::yes && held_by_agent)) {
    // Or an interrupted run took the number and may not have told the providers: route it
    // again, in the mode the row records.
    m_store.begin_routing_change(e164);
  } else {
    // The transaction decides the winner when two people assign the same number.
    row = m_store.assign_number(e164, {agent.slug, mode});
  }
  RoutingHold held(m_store, e164);
  try {
    connect(row, agent);
  } catch (const Error&) {
    if (already) {
      throw; // The assignment predates this command: it stays, whatever the providers said.
    }
    roll_back(e164, [&] { m_store.unassign_number(e164, agent.slug); });
  }
  if (already_assigned != nullptr) {
    *already_assigned = already;
  }
  if (!already) {
    audit("numbers assign", before, row);
  }
  return row;
}

PoolNumber AssignmentService::assign_pick(const PickFilter& filter, const std::string& agent_name,
                                          RoutingMode mode) {
  require_webhook_router(mode, m_router_url);
  NumberFilter numbers;
  numbers.status = NumberStatus::available;
  if (!filter.area_code.empty()) {
    validate_area_code("US", filter.area_code);
    numbers.area_code = filter.area_code;
  }
  numbers.locality = filter.locality;
  // A pick takes a number of the telephony provider: a workspace's numbers are named.
  numbers.provider = m_telephony.name();
  const Agent agent = detail::require_active_agent(m_store, agent_name);
  require_pairing(m_agents.of(agent), agent, mode, "");
  require_reachable_stream(agent);
  require_number_room(m_agents.of(agent), m_store, agent, {}); // a number not known yet
  PoolNumber row = m_store.assign_first_available(numbers, {agent.slug, mode});
  RoutingHold held(m_store, row.e164);
  PoolNumber before = row;
  before.status = NumberStatus::available;
  before.agent_slug.clear();
  before.tenant_slug.clear();
  before.routing_mode.reset();
  try {
    connect(row, agent);
  } catch (const Error&) {
    roll_back(row.e164, [&] { m_store.unassign_number(row.e164, agent.slug); });
  }
  audit("numbers assign", before, row);
  return row;
}

PoolNumber AssignmentService::unassign(const std::string& number) {
  return unassign_one(to_e164(number), "", Rerun::no);
}

PoolNumber AssignmentService::unassign_one(const std::string& e164,
                                           const std::string& expected_agent, Rerun rerun) {
  const PoolNumber before = current(e164);
  if (before.status != NumberStatus::assigned) {
    if (rerun == Rerun::yes && before.status == NumberStatus::available) {
      // An interrupted run put the number back in the pool and may not have told the
      // providers: clear its routing again (both steps are safe to repeat).
      PoolNumber as_assigned = before;
      as_assigned.status = NumberStatus::assigned;
      if (!before.agent_phone_number_id.empty() ||
          !workspace_of(before, m_telephony.name()).empty()) {
        as_assigned.routing_mode = RoutingMode::native;
      } else if (!m_router_url.empty() && before.webhook.voice_url.rfind(m_router_url, 0) == 0) {
        as_assigned.routing_mode = RoutingMode::webhook;
      } else {
        return before;
      }
      m_store.begin_routing_change(e164);
      RoutingHold held(m_store, e164);
      PoolNumber row = before;
      disconnect(row, as_assigned);
      return current(e164);
    }
    throw Error(ErrorKind::conflict,
                e164 + " is not assigned (it is " + to_string(before.status) + ")",
                "see 'vami route " + e164 + "'");
  }
  if (!expected_agent.empty() && before.agent_slug != expected_agent) {
    throw Error(ErrorKind::conflict,
                e164 + " is now assigned to " + holder(before) + ", not to agent \"" +
                    expected_agent + "\" as when the operation started",
                "unassign it by itself with 'vami numbers unassign " + e164 + "' if that is meant");
  }
  PoolNumber row = m_store.unassign_number(e164, before.agent_slug);
  RoutingHold held(m_store, e164);
  try {
    disconnect(row, before);
  } catch (const Error&) {
    roll_back(e164, [&] {
      m_store.assign_number(e164,
                            {before.agent_slug, before.routing_mode.value_or(RoutingMode::native)});
    });
  }
  // `row` is this command's result; re-reading could show another staff member's later change.
  audit("numbers unassign", before, row);
  return row;
}

BulkReport AssignmentService::assign_many(const BulkAssignRequest& request,
                                          const StopRequested& stop_requested,
                                          const ItemObserver& observer) {
  validate_concurrency(request.concurrency);
  const std::vector<std::string> numbers = distinct_numbers(request.numbers);
  require_webhook_router(request.mode, m_router_url);
  const Agent agent = detail::require_active_agent(m_store, request.agent);
  require_reachable_stream(agent);
  for (const std::string& e164 : numbers) {
    require_pairing(m_agents.of(agent), agent, request.mode, workspace_of_number(e164));
  }
  require_number_room(m_agents.of(agent), m_store, agent, numbers);

  Operation operation;
  operation.id = new_operation_id();
  operation.kind = OperationKind::assign;
  operation.requested_count = static_cast<int>(numbers.size());
  operation.actor = m_actor;
  operation.parameters = nlohmann::ordered_json{{"numbers", numbers},
                                                {"agent", agent.slug},
                                                {"mode", to_string(request.mode)}}
                             .dump();
  m_store.create_operation(operation);
  return run_assignments(operation.id, numbers, agent, request.mode, request.concurrency,
                         stop_requested, observer, 0, Rerun::no);
}

BulkReport AssignmentService::unassign_many(const std::vector<std::string>& numbers_given,
                                            int concurrency, const StopRequested& stop_requested,
                                            const ItemObserver& observer) {
  validate_concurrency(concurrency);
  const std::vector<std::string> numbers = distinct_numbers(numbers_given);
  // Who held each number, so that a resumed unassign never takes one from a later holder.
  std::map<std::string, std::string> holders;
  for (const auto& e164 : numbers) {
    std::optional<PoolNumber> row = m_store.find_number(e164);
    if (row && row->status == NumberStatus::assigned) {
      holders[e164] = row->agent_slug;
    }
  }

  Operation operation;
  operation.id = new_operation_id();
  operation.kind = OperationKind::unassign;
  operation.requested_count = static_cast<int>(numbers.size());
  operation.actor = m_actor;
  operation.parameters = nlohmann::ordered_json{{"numbers", numbers}, {"holders", holders}}.dump();
  m_store.create_operation(operation);
  return run_unassignments(operation.id, numbers, {}, concurrency, stop_requested, observer, 0,
                           Rerun::no);
}

BulkReport AssignmentService::run_assignments(const std::string& operation_id,
                                              const std::vector<std::string>& numbers,
                                              const Agent& agent, RoutingMode mode, int concurrency,
                                              const StopRequested& stop_requested,
                                              const ItemObserver& observer, int done_before,
                                              Rerun rerun) {
  BulkReport report;
  report.operation_id = operation_id;
  report.requested = static_cast<int>(numbers.size());
  detail::run_journaled(
      m_store, report, numbers, concurrency,
      [&](std::size_t position) {
        const std::string& e164 = numbers[position];
        return bulk_item(e164, [&] { return assign_to(e164, agent, mode, rerun); });
      },
      stop_requested, observer, done_before);
  return report;
}

BulkReport AssignmentService::run_unassignments(const std::string& operation_id,
                                                const std::vector<std::string>& numbers,
                                                const std::map<std::string, std::string>& holders,
                                                int concurrency,
                                                const StopRequested& stop_requested,
                                                const ItemObserver& observer, int done_before,
                                                Rerun rerun) {
  BulkReport report;
  report.operation_id = operation_id;
  report.requested = static_cast<int>(numbers.size());
  detail::run_journaled(
      m_store, report, numbers, concurrency,
      [&](std::size_t position) {
        const std::string& e164 = numbers[position];
        auto holder_of = holders.find(e164);
        const std::string expected = holder_of == holders.end() ? "" : holder_of->second;
        return bulk_item(e164, [&] { return unassign_one(e164, expected, rerun); });
      },
      stop_requested, observer, done_before);
  return report;
}

ResumePlan AssignmentService::plan_resume(const std::string& operation_id,
                                          const ResumeOptions& options) {
  validate_concurrency(options.concurrency);
  ResumePlan plan;
  plan.operation = detail::resumable_operation(m_store, operation_id);
  plan.concurrency = options.concurrency;
  if (plan.operation.kind != OperationKind::assign &&
      plan.operation.kind != OperationKind::unassign) {
    throw Error(ErrorKind::invalid_input,
                "operation " + operation_id + " is a " + to_string(plan.operation.kind) +
                    ", not an assign or an unassign",
                "see it with 'vami operations show " + operation_id + "'");
  }
  detail::plan_remaining_numbers(m_store, plan);
  return plan;
}

BulkReport AssignmentService::resume(const ResumePlan& plan, const StopRequested& stop_requested,
                                     const ItemObserver& observer) {
  const Operation& operation = plan.operation;
  if (operation.kind != OperationKind::assign && operation.kind != OperationKind::unassign) {
    throw Error(ErrorKind::invalid_input, "operation " + operation.id + " is a " +
                                              to_string(operation.kind) +
                                              ", not an assign or an unassign");
  }
  validate_concurrency(plan.concurrency);
  if (std::optional<BulkReport> nothing_left = detail::claim_for_resume(m_store, plan)) {
    return *nothing_left;
  }
  nlohmann::json parameters = detail::journal_parameters(operation);
  if (operation.kind == OperationKind::assign) {
    std::optional<RoutingMode> mode =
        parse_routing_mode(parameters.value("mode", std::string("native")));
    if (!mode || !parameters.contains("agent") || !parameters["agent"].is_string()) {
      throw Error(ErrorKind::invalid_input,
                  "the journal's request of operation " + operation.id + " names no agent",
                  "run the command again instead of resuming it");
    }
    require_webhook_router(*mode, m_router_url);
    const Agent agent =
        detail::require_active_agent(m_store, parameters["agent"].get<std::string>());
    require_reachable_stream(agent);
    for (const std::string& e164 : plan.numbers) {
      require_pairing(m_agents.of(agent), agent, *mode, workspace_of_number(e164));
    }
    require_number_room(m_agents.of(agent), m_store, agent, plan.numbers);
    m_store.finish_operation(operation.id, OperationStatus::running);
    return run_assignments(operation.id, plan.numbers, agent, *mode, plan.concurrency,
                           stop_requested, observer, plan.done_before, Rerun::yes);
  }
  std::map<std::string, std::string> holders;
  if (auto stored = parameters.find("holders"); stored != parameters.end() && stored->is_object()) {
    for (const auto& [e164, agent] : stored->items()) {
      if (agent.is_string()) {
        holders[e164] = agent.get<std::string>();
      }
    }
  }
  m_store.finish_operation(operation.id, OperationStatus::running);
  return run_unassignments(operation.id, plan.numbers, holders, plan.concurrency, stop_requested,
                           observer, plan.done_before, Rerun::yes);
}

PoolNumber AssignmentService::reassign(const std::string& number, const std::string& agent_name) {
  const std::string e164 = to_e164(number);
  const Agent agent = detail::require_active_agent(m_store, agent_name);
  const PoolNumber before = current(e164);
  if (before.status != NumberStatus::assigned) {
    throw Error(ErrorKind::conflict,
                e164 + " is not assigned (it is " + to_string(before.status) + ")",
                "assign it with 'vami numbers assign " + e164 + " --agent " + agent.slug + "'");
  }
  if (before.agent_slug == agent.slug) {
    throw Error(ErrorKind::conflict, e164 + " is already assigned to " + holder(before));
  }
  const RoutingMode mode = before.routing_mode.value_or(RoutingMode::native);
  require_pairing(m_agents.of(agent), agent, mode, workspace_of(before, m_telephony.name()));
  require_reachable_stream(agent);
  require_number_room(m_agents.of(agent), m_store, agent, {e164});
  if (mode == RoutingMode::webhook && m_router_url.empty()) {
    throw Error(ErrorKind::invalid_input,
                e164 + " is routed by webhook, which needs the platform's call router URL",
                "run 'vami router setup --public-url URL' (or set VAMI_ROUTER_URL or pass "
                "--router-url)");
  }
  PoolNumber row = m_store.reassign_number(e164, before.agent_slug, {agent.slug, mode});
  RoutingHold held(m_store, e164);
  try {
    const std::optional<Agent> previous = m_store.find_agent(before.agent_slug);
    if (mode == RoutingMode::native && m_agents.of(previous).name() != m_agents.of(agent).name()) {
      // Another platform answers from now on: the previous one lets the number go first (its
      // import names no agent, or is removed with the SIP trunk routing), so that neither
      // answers for the other.
      disconnect(row, before);
    }
    connect(row, agent);
  } catch (const Error&) {
    roll_back(e164, [&] { m_store.reassign_number(e164, agent.slug, {before.agent_slug, mode}); });
  }
  audit("numbers reassign", before, row);
  return row;
}

void AssignmentService::connect(PoolNumber& row, const Agent& agent) {
  // `row` is as the store left it (assigned to `agent` in its mode): the providers follow it.
  enact_routing(m_telephony, m_agents.of(agent), m_store, desired_routing(row, agent, m_router_url),
                row);
}

void AssignmentService::disconnect(PoolNumber& row, const PoolNumber& before) {
  // The agent's own provider holds the routing.
  const std::optional<Agent> agent = m_store.find_agent(before.agent_slug);
  // A workspace's number: its own provider, whoever the agent was.
  const std::string workspace = workspace_of(before, m_telephony.name());
  clear_routing(m_telephony, workspace.empty() ? m_agents.of(agent) : m_agents.named(workspace),
                m_store, desired_routing(before, agent, m_router_url), row);
}

PoolNumber AssignmentService::current(const std::string& e164) {
  return pool_row(m_store, e164);
}

void AssignmentService::require_reachable_stream(const Agent& agent) const {
  if (!agent.stream_url.empty()) {
    require_reachable_stream_url(agent.stream_url, m_stream_reach, agent.slug);
  }
}

std::string AssignmentService::workspace_of_number(const std::string& e164) {
  // A number the pool does not hold is refused later, as not found.
  std::optional<PoolNumber> row = m_store.find_number(e164);
  return row ? workspace_of(*row, m_telephony.name()) : std::string();
}

Route find_route(StateStore& store, const std::string& number) {
  Route route;
  route.number = pool_row(store, to_e164(number));
  if (!route.number.tenant_slug.empty()) { // assigned, or suspended from an assignment
    route.tenant = store.find_tenant(route.number.tenant_slug);
  }
  if (route.number.status == NumberStatus::assigned) {
    route.agent = store.find_agent(route.number.agent_slug);
  }
  return route;
}

RouteCheck check_route(TelephonyProvider& telephony, AgentProviders* agents, StateStore& store,
                       const std::string& router_url, const std::string& number,
                       RouterHealthProbe* router) {
  RouteCheck check;
  check.route = find_route(store, number);
  check.desired = desired_routing(check.route.number, check.route.agent, router_url);
  VoiceAgentProvider* provider = nullptr;
  if (agents != nullptr) {
    const std::string workspace = workspace_of(check.route.number, telephony.name());
    provider = !workspace.empty()  ? &agents->named(workspace)
               : check.route.agent ? &agents->of(*check.route.agent)
                                   : &agents->default_provider();
  }
  check.observed = observe_routing(telephony, provider, check.desired, router);
  check.faults = routing_faults(check.desired, check.observed);
  check.calls_answered =
      check.desired.target != RoutingTarget::none && !calls_unanswered(check.desired, check.faults);
  check.stored_webhook_current =
      check.observed.owned &&
      same_webhook(check.route.number.webhook, check.observed.owned->webhook);
  return check;
}

void AssignmentService::audit(const std::string& command, const PoolNumber& before,
                              const PoolNumber& after) {
  const std::string& tenant = after.tenant_slug.empty() ? before.tenant_slug : after.tenant_slug;
  detail::append_audit(m_store, m_actor, command, "number", after.e164, detail::audit_json(before),
                       detail::audit_json(after), tenant);
}

} // namespace vami
