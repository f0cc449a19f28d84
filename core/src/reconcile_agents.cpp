// `vami reconcile`: agents, compared with the voice-agent provider and repaired.

#include "reconcile_internal.hpp"

namespace vami {

using namespace reconcile_detail;

std::vector<ReconcileService::Plan>
ReconcileService::classify_agents(const std::vector<Agent>& agents,
                                  const std::map<std::string, std::vector<Document>>& documents,
                                  const std::vector<PoolNumber>& rows, const VoiceView& voice,
                                  const std::string& in_flight_after, ReconcileReport& report) {
  std::vector<Plan> agent_plans;
  std::vector<Plan> document_plans;
  std::set<std::string> claimed; // Provider agents a transitional row accounts for.
  for (const auto& agent : agents) {
    const std::string& id = agent.provider_agent_id;
    const bool fresh = agent.updated_at > in_flight_after;
    switch (agent.status) {
    case AgentStatus::active: {
      if (id.empty()) {
        break; // Nothing to compare it with.
      }
      if (!voice.exists(id)) {
        Plan plan = Plan::for_agent(agent, FindingKind::agent_ghost);
        plan.finding.assigned_numbers =
            static_cast<int>(std::count_if(rows.begin(), rows.end(), [&](const PoolNumber& row) {
              return row.status == NumberStatus::assigned && row.agent_slug == agent.slug;
            }));
        plan.leave_for(Holdup::needs_person);
        agent_plans.push_back(std::move(plan));
        break;
      }
      if (std::optional<Plan> drift = classify_agent_webhooks(agent, voice)) {
        agent_plans.push_back(std::move(*drift));
      } else {
        ++report.agents_in_sync;
      }
      auto held = documents.find(agent.slug);
      if (held == documents.end() || held->second.empty()) {
        break;
      }
      std::set<std::string> attached;
      if (auto found = voice.looked_up.find(id); found != voice.looked_up.end() && found->second) {
        for (const auto& ref : found->second->definition.knowledge_base) {
          attached.insert(ref.document_id);
        }
      }
      for (const auto& document : held->second) {
        if (document.status == DocumentStatus::uploading) {
          continue; // classify_documents
        }
        if (attached.count(document.provider_document_id) > 0) {
          ++report.documents_in_sync;
          continue;
        }
        Plan plan;
        plan.agent = agent;
        plan.document = document;
        Finding& finding = plan.finding;
        finding.kind = FindingKind::document_ghost;
        finding.subject = Subject::document;
        finding.provider_id = document.provider_document_id;
        finding.agent_slug = agent.slug;
        finding.tenant_slug = agent.tenant_slug;
        finding.agent_provider = agent.provider;
        finding.name = document.name;
        if (document.created_at > in_flight_after) {
          // A `kb add` records the document before it attaches it to the agent.
          plan.leave_for(Holdup::in_flight);
        } else {
          plan.repair_with(Repair::forget_document);
        }
        document_plans.push_back(std::move(plan));
      }
      break;
    }
    case AgentStatus::creating: {
      Plan plan = Plan::for_agent(agent, FindingKind::stale_creating);
      std::vector<const AgentSummary*> tagged = voice.tagged(agent_tag(agent.slug));
      if (fresh) {
        for (const auto* summary : tagged) {
          claimed.insert(summary->agent_id);
        }
        plan.leave_for(Holdup::in_flight);
      } else if (!id.empty() && voice.exists(id)) {
        plan.finding.reported = id;
        plan.repair_with(Repair::adopt_agent);
      } else if (!tagged.empty()) {
        // The oldest is the first request's; any later one is a duplicate, left an orphan.
        plan.finding.reported = tagged.front()->agent_id;
        claimed.insert(tagged.front()->agent_id);
        plan.repair_with(Repair::adopt_agent);
      } else {
        plan.repair_with(Repair::remove_agent_row);
      }
      agent_plans.push_back(std::move(plan));
      break;
    }
    case AgentStatus::deleting: {
      Plan plan = Plan::for_agent(agent, FindingKind::stale_deleting);
      std::vector<const AgentSummary*> tagged = voice.tagged(agent_tag(agent.slug));
      for (const auto* summary : tagged) {
        claimed.insert(summary->agent_id);
      }
      std::string still_there = !id.empty() && voice.exists(id) ? id : std::string();
      if (id.empty() && !tagged.empty()) {
        still_there = tagged.front()->agent_id;
      }
      plan.finding.reported = still_there;
      if (fresh) {
        plan.leave_for(Holdup::in_flight);
      } else if (!still_there.empty()) {
        plan.leave_for(Holdup::needs_person); // `agents delete` again finishes it.
      } else {
        plan.repair_with(Repair::remove_agent_row);
      }
      agent_plans.push_back(std::move(plan));
      break;
    }
    }
  }

  std::vector<Plan> orphan_plans;
  for (const auto& summary : voice.agents) {
    if (voice.slug_of.count(summary.agent_id) > 0 || claimed.count(summary.agent_id) > 0 ||
        !has_vami_agent_tag(summary.tags)) {
      continue;
    }
    Plan plan;
    Finding& finding = plan.finding;
    finding.kind = FindingKind::agent_orphan;
    finding.subject = Subject::agent;
    finding.provider_id = summary.agent_id;
    finding.agent_provider = voice.provider_of.at(summary.agent_id);
    finding.name = summary.name;
    finding.agent_slug = tag_value(summary.tags, k_agent_tag_prefix);
    finding.tenant_slug = tag_value(summary.tags, k_tenant_tag_prefix);
    plan.leave_for(Holdup::needs_person);
    orphan_plans.push_back(std::move(plan));
  }
  std::sort(orphan_plans.begin(), orphan_plans.end(), [](const Plan& a, const Plan& b) {
    return a.finding.provider_id < b.finding.provider_id;
  });

  for (auto& plan : orphan_plans) {
    agent_plans.push_back(std::move(plan));
  }
  for (auto& plan : document_plans) {
    agent_plans.push_back(std::move(plan));
  }
  return agent_plans;
}

std::optional<ReconcileService::Plan>
ReconcileService::classify_agent_webhooks(const Agent& agent, const VoiceView& voice) {
  const std::optional<RouterEndpoints> router = endpoints_of_router_url(m_router_url);
  if (!router || !m_agents->of(agent).capabilities().agent_webhooks) {
    return std::nullopt;
  }
  auto found = voice.looked_up.find(agent.provider_agent_id);
  if (found == voice.looked_up.end() || !found->second) {
    return std::nullopt;
  }
  const AgentDefinition& definition = found->second->definition;
  const std::string inbound_url = router->inbound_url_of(agent.provider);
  const std::string post_call_url = router->post_call_url_of(agent.provider);
  if (definition.inbound_webhook_url == inbound_url &&
      definition.post_call_webhook_url == post_call_url) {
    return std::nullopt;
  }
  Plan plan = Plan::for_agent(agent, FindingKind::agent_webhook_drift);
  Finding& finding = plan.finding;
  finding.stored = inbound_url;
  finding.stored_post_call_url = post_call_url;
  finding.reported = definition.inbound_webhook_url;
  finding.reported_post_call_url = definition.post_call_webhook_url;
  finding.repair = Repair::point_agent_webhooks;
  finding.resolution = Resolution::would_repair;
  return plan;
}

void ReconcileService::repair_agent_webhooks(const Plan& plan) {
  const Finding& finding = plan.finding;
  const Agent& read = *plan.agent;
  std::optional<Agent> current = m_store.find_agent(read.slug);
  if (!current || current->status != AgentStatus::active ||
      current->provider_agent_id != read.provider_agent_id) {
    throw Error(ErrorKind::conflict, "agent \"" + read.slug + "\" changed meanwhile");
  }
  AgentChange change;
  change.inbound_webhook_url = finding.stored;
  change.post_call_webhook_url = finding.stored_post_call_url;
  at_provider([&] { return m_agents->of(*current).update_agent(read.provider_agent_id, change); });
  // As `vami router setup` records the agents it points.
  nlohmann::json before = {{"inbound_webhook_url", finding.reported},
                           {"post_call_webhook_url", finding.reported_post_call_url}};
  nlohmann::json after = {{"inbound_webhook_url", finding.stored},
                          {"post_call_webhook_url", finding.stored_post_call_url}};
  audit("agent", read.slug, before.dump(), after.dump(), read.tenant_slug);
}

void ReconcileService::repair_agent(const Plan& plan) {
  const Finding& finding = plan.finding;
  if (finding.repair == Repair::forget_document) {
    m_store.delete_document(finding.agent_slug, finding.provider_id);
    audit("document", finding.provider_id, detail::audit_json(*plan.document), "",
          finding.tenant_slug);
    return;
  }
  const Agent& read = *plan.agent;
  // Conditional on the row as it was read: a command that resumed it since changed it.
  std::optional<Agent> current = m_store.find_agent(read.slug);
  if (!current || current->slug != read.slug || current->status != read.status ||
      current->updated_at != read.updated_at ||
      current->provider_agent_id != read.provider_agent_id) {
    throw Error(ErrorKind::conflict, "agent \"" + read.slug + "\" changed meanwhile");
  }
  if (finding.repair == Repair::adopt_agent) {
    Agent adopted = *current;
    adopted.provider_agent_id = finding.reported;
    adopted.status = AgentStatus::active;
    Agent after = m_store.update_agent(adopted);
    audit("agent", read.slug, detail::audit_json(*current), detail::audit_json(after),
          read.tenant_slug);
  } else if (finding.repair == Repair::remove_agent_row) {
    m_store.delete_agent(read.slug);
    audit("agent", read.slug, detail::audit_json(*current), "", read.tenant_slug);
  }
}

} // namespace vami
