// `vami reconcile`: the numbers a voice-agent provider's workspace holds itself (Synthflow),
// compared with the pool's rows of that provider: numbers the pool does not track, rows whose
// number is gone from the workspace, releases never recorded, and the agent each one answers.

#include "reconcile_internal.hpp"

namespace vami {

using namespace reconcile_detail;

std::vector<ReconcileService::Plan>
ReconcileService::classify_workspace_numbers(const std::vector<PoolNumber>& workspace_rows,
                                             const std::set<std::string>& in_pool,
                                             const VoiceView& voice) {
  std::vector<Plan> plans;
  auto finding_for = [](FindingKind kind, const std::string& provider, const std::string& e164) {
    Plan plan;
    plan.finding.kind = kind;
    plan.finding.subject = Subject::number;
    plan.finding.e164 = e164;
    plan.finding.agent_provider = provider;
    return plan;
  };
  auto from_row = [&](FindingKind kind, const PoolNumber& row) {
    Plan plan = finding_for(kind, row.provider, row.e164);
    plan.row = row;
    Finding& finding = plan.finding;
    finding.provider_sid = row.provider_sid;
    finding.provider_id = row.provider_sid;
    finding.agent_slug = row.agent_slug;
    finding.tenant_slug = row.tenant_slug;
    finding.status = row.status;
    finding.routing_mode = row.routing_mode;
    return plan;
  };

  for (const PoolNumber& row : workspace_rows) {
    auto listing = voice.workspaces.find(row.provider);
    if (listing == voice.workspaces.end()) {
      continue; // not read: a provider vami does not know has nothing to compare
    }
    const WorkspaceNumber* held = nullptr;
    for (const WorkspaceNumber& number : listing->second) {
      if (number.e164 == row.e164) {
        held = &number;
      }
    }
    if (row.status == NumberStatus::releasing) {
      Plan plan = from_row(FindingKind::stale_releasing, row);
      if (in_flight(row)) {
        plan.leave_for(Holdup::in_flight);
      } else {
        plan.repair_with(held ? Repair::restore : Repair::complete_release);
      }
      plans.push_back(std::move(plan));
      continue;
    }
    if (!settled_status(row.status)) {
      continue;
    }
    if (!held) {
      Plan plan = from_row(FindingKind::ghost, row);
      plan.repair_with(Repair::mark_released);
      plans.push_back(std::move(plan));
      continue;
    }
    // The agent the workspace has it answered by must be the pool's (none when unassigned).
    std::optional<Agent> agent;
    if (auto local = voice.local.find(row.agent_slug);
        row.status == NumberStatus::assigned && local != voice.local.end()) {
      agent = local->second;
    }
    const DesiredRouting desired = desired_routing(row, agent, m_router_url);
    if (desired.blocked == RoutingFault::agent_unroutable) {
      plans.push_back(from_row(FindingKind::in_sync, row));
      continue; // an agent without a provider id takes no numbers
    }
    const std::string& expected = desired.import_agent_id;
    if (held->agent_id == expected) {
      plans.push_back(from_row(FindingKind::in_sync, row));
      continue;
    }
    Plan plan = from_row(FindingKind::agent_drift, row);
    plan.finding.provider_id = held->provider_id;
    plan.finding.stored = expected;
    plan.finding.reported = held->agent_id;
    if (auto known = voice.slug_of.find(held->agent_id); known != voice.slug_of.end()) {
      plan.finding.reported_agent_slug = known->second;
    }
    plan.phone_number_id = held->provider_id;
    plan.target_agent_id = expected;
    plan.provider = row.provider;
    const bool routing_in_flight =
        !row.routing_holder.empty() &&
        holder_still_working(row.routing_holder, row.routing_since, m_in_flight_grace);
    if (!expected.empty() && !voice.exists(expected)) {
      plan.leave_for(Holdup::agent_gone);
    } else if (routing_in_flight) {
      plan.leave_for(Holdup::in_flight);
    } else {
      plan.repair_with(Repair::set_provider_agent);
    }
    plans.push_back(std::move(plan));
  }

  // Numbers of the workspace the pool does not track: the platform pays for them, and no vami
  // agent can be given one until it is imported (a person decides: an agent outside vami may
  // be answering it).
  for (const auto& [provider, listed] : voice.workspaces) {
    for (const WorkspaceNumber& number : listed) {
      if (in_pool.count(number.e164) > 0) {
        continue;
      }
      Plan plan = finding_for(FindingKind::workspace_number_untracked, provider, number.e164);
      plan.finding.provider_id = number.provider_id;
      plan.finding.reported = number.agent_id;
      if (auto known = voice.slug_of.find(number.agent_id); known != voice.slug_of.end()) {
        plan.finding.reported_agent_slug = known->second;
      }
      plan.leave_for(Holdup::not_vami);
      plans.push_back(std::move(plan));
    }
  }
  std::stable_sort(plans.begin(), plans.end(),
                   [](const Plan& a, const Plan& b) { return a.finding.e164 < b.finding.e164; });
  return plans;
}

} // namespace vami
