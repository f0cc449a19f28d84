// `vami reconcile`: the routing a call to a number follows (the voice URL at the telephony
// provider, the import and its agent at the voice-agent provider), read, compared and repaired.

#include "reconcile_internal.hpp"

namespace vami {

using namespace reconcile_detail;

ReconcileService::VoiceView
ReconcileService::read_voice_side(const std::vector<Agent>& agents,
                                  const std::map<std::string, std::vector<Document>>& documents,
                                  const std::set<std::string>& workspace_providers) {
  VoiceView voice;
  for (const auto& agent : agents) {
    voice.local[agent.slug] = agent;
    if (!agent.provider_agent_id.empty()) {
      voice.slug_of[agent.provider_agent_id] = agent.slug;
    }
  }
  // Every (provider, account) an agent is at, and every provider whose credentials an account
  // in use holds (agents, imports, uploads and workspace numbers can outlive the database's
  // last agent there, or never have had one). Accounts are disjoint: what one lists is never
  // another's orphan.
  std::set<std::pair<std::string, std::string>> in_use;
  for (const std::string& account : m_agents->accounts()) {
    for (const std::string& name : m_agents->with_credentials(account)) {
      in_use.insert({name, account});
    }
  }
  for (const auto& agent : agents) {
    in_use.insert({agent.provider, m_agents->account_of(agent.tenant_slug)});
  }
  // The pool's workspace numbers are the platform's (account "").
  for (const std::string& name : workspace_providers) {
    in_use.insert({name, std::string()});
  }
  for (const auto& [name, account] : in_use) {
    VoiceAgentProvider& provider = m_agents->in_account(name, account);
    const std::string key = provider_key(name, account);
    const AgentProviderCapabilities can = provider.capabilities();
    if (can.hosted_agents) {
      for (auto& summary : provider.list_agents("")) {
        voice.listed.insert(summary.agent_id);
        voice.provider_of[summary.agent_id] = name;
        voice.agents.push_back(std::move(summary));
      }
    }
    if (can.native_numbers) {
      for (auto& imported : provider.list_imported_numbers()) {
        voice.imports[{key, imported.e164}] = std::move(imported);
      }
    }
    if (can.workspace_numbers && account.empty()) { // the platform's workspace only
      voice.workspaces[name] = provider.list_workspace_numbers();
    }
    if (can.knowledge_base) {
      for (auto& upload : provider.list_documents(k_document_name_prefix)) {
        voice.upload_provider[upload.document_id] = key;
        voice.uploads.push_back(std::move(upload));
      }
    }
  }
  if (!m_post_call_webhook_id.empty()) {
    VoiceAgentProvider& workspace = m_agents->named(RouterSetupService::k_post_call_provider);
    voice.post_call_workspaces[""] = {m_post_call_webhook_id, workspace.list_webhooks(),
                                      workspace.post_call_webhook()};
  }
  // The tenant accounts' (two requests each); one without the provider's key is not read.
  const std::vector<std::string> accounts = m_agents->accounts();
  for (const auto& [account, webhook_id] : m_account_webhook_ids) {
    if (account.empty() || webhook_id.empty() ||
        std::find(accounts.begin(), accounts.end(), account) == accounts.end()) {
      continue;
    }
    VoiceAgentProvider* workspace = nullptr;
    try {
      workspace = &m_agents->in_account(RouterSetupService::k_post_call_provider, account);
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::auth) {
        throw;
      }
      continue;
    }
    voice.post_call_workspaces[account] = {webhook_id, workspace->list_webhooks(),
                                           workspace->post_call_webhook()};
  }
  // Ask for an agent the listing lacks (deleted, or not listed yet), for an agent whose
  // knowledge base must be read, and for an agent whose own webhooks must be the router's;
  // 404 answers "gone", any other failure stops the run here.
  const bool router_known = endpoints_of_router_url(m_router_url).has_value();
  for (const auto& agent : agents) {
    const std::string& id = agent.provider_agent_id;
    if (id.empty() || agent.status == AgentStatus::creating) {
      continue;
    }
    auto held = documents.find(agent.slug);
    const bool has_documents = held != documents.end() && !held->second.empty();
    const bool has_webhooks = router_known && agent.status == AgentStatus::active &&
                              m_agents->of(agent).capabilities().agent_webhooks;
    if (voice.listed.count(id) == 0 || has_documents || has_webhooks) {
      voice.looked_up[id] = m_agents->of(agent).get_agent(id);
    }
  }
  return voice;
}

std::vector<ReconcileService::Plan>
ReconcileService::classify_number_routing(const PoolNumber& row, const OwnedNumber& owned,
                                          const VoiceView& voice,
                                          const std::string& in_flight_after) {
  std::vector<Plan> plans;
  std::optional<Agent> agent;
  if (auto local = voice.local.find(row.agent_slug);
      row.status == NumberStatus::assigned && local != voice.local.end()) {
    agent = local->second;
  }
  // The chain a call follows, compared link by link with what the pool row asks for.
  const DesiredRouting desired = desired_routing(row, agent, m_router_url);
  if (desired.blocked == RoutingFault::agent_unroutable) {
    return plans; // Not routable: an agent without a provider id takes no numbers.
  }
  ObservedRouting observed;
  observed.owned = owned;
  VoiceAgentProvider& provider = m_agents->of(agent);
  observed.voice_url_is_agent_provider = provider.answers_voice_url(owned.webhook.voice_url);
  // Over a SIP trunk the import is found by its number and the row keeps the id of the import
  // routing by voice URL made (`enact_routing`).
  observed.over_sip_trunk = provider.capabilities().native_numbers_need_sip_trunk;
  if (observed.over_sip_trunk && desired.target == RoutingTarget::native &&
      !owned.sip_trunk_id.empty()) {
    if (!m_sip_trunks) {
      m_sip_trunks = m_telephony.list_sip_trunks(); // before anything changes
    }
    observed.other_sip_trunk = foreign_sip_trunk(*m_sip_trunks, owned.sip_trunk_id, provider);
  }
  const std::string key = provider_key(
      provider.name(), agent ? m_agents->account_of(agent->tenant_slug) : std::string());
  auto imported = voice.imports.find({key, row.e164});
  if (imported != voice.imports.end()) {
    observed.imported = imported->second;
  }
  if (!desired.provider_agent_id.empty()) {
    observed.agent_exists = voice.exists(desired.provider_agent_id);
  }
  const std::vector<RoutingFault> faults = routing_faults(desired, observed);
  auto found = [&](RoutingFault fault) {
    return std::find(faults.begin(), faults.end(), fault) != faults.end();
  };
  const std::string& expected = desired.import_agent_id; // Empty: no agent.
  const bool agent_gone = found(RoutingFault::agent_missing);

  auto finding_for = [&](FindingKind kind) {
    Plan plan;
    plan.row = row;
    Finding& finding = plan.finding;
    finding.kind = kind;
    finding.subject = Subject::number;
    finding.e164 = row.e164;
    finding.provider_sid = row.provider_sid;
    finding.provider_id = row.agent_phone_number_id;
    finding.agent_slug = row.agent_slug;
    finding.tenant_slug = row.tenant_slug;
    finding.agent_provider = provider.name();
    finding.name = row.friendly_name;
    finding.status = row.status;
    finding.routing_mode = row.routing_mode;
    return plan;
  };
  // A process changing the number's routing right now is about to tell the providers itself.
  const bool routing_in_flight =
      !row.routing_holder.empty() &&
      holder_still_working(row.routing_holder, row.routing_since, m_in_flight_grace);
  auto planned = [&](Plan& plan, Repair repair) {
    if (routing_in_flight) {
      plan.leave_for(Holdup::in_flight);
      return;
    }
    plan.repair_with(repair);
  };

  // The voice URL (or the SIP trunk) first: it is what a call meets first, and routing the
  // number again mends the import and its agent as well.
  // A suspended number's voice URL must be the out-of-service answer: suspension_drift's.
  const bool voice_url_wrong =
      row.status != NumberStatus::suspended &&
      (found(RoutingFault::no_voice_url) || found(RoutingFault::wrong_voice_url) ||
       found(RoutingFault::not_on_sip_trunk) || found(RoutingFault::on_sip_trunk) ||
       found(RoutingFault::on_other_sip_trunk));
  if (voice_url_wrong) {
    Plan plan = finding_for(FindingKind::voice_url_drift);
    plan.finding.stored_webhook = desired.voice_webhook;
    plan.finding.reported_webhook = owned.webhook;
    plan.finding.reported_sip_trunk = owned.sip_trunk_id;
    plan.finding.over_sip_trunk =
        observed.over_sip_trunk && desired.target == RoutingTarget::native;
    if (found(RoutingFault::on_other_sip_trunk)) {
      plan.finding.on_other_sip_trunk = true;
      plan.finding.reported_sip_trunk_name = observed.other_sip_trunk->name;
    }
    if (desired.target == RoutingTarget::none) {
      planned(plan, Repair::clear_voice_url);
    } else if (agent_gone) {
      plan.leave_for(Holdup::agent_gone);
    } else if (desired.blocked == RoutingFault::no_router_url) {
      plan.leave_for(Holdup::no_router_url);
    } else {
      planned(plan, Repair::route_again);
    }
    plans.push_back(std::move(plan));
  }

  if (observed.imported) {
    const ImportedNumber& import = *observed.imported;
    if (!observed.over_sip_trunk && row.agent_phone_number_id != import.phone_number_id) {
      Plan plan = finding_for(FindingKind::import_drift);
      plan.finding.provider_id = import.phone_number_id;
      plan.finding.stored = row.agent_phone_number_id;
      plan.finding.reported = import.phone_number_id;
      planned(plan, Repair::store_import_id);
      plans.push_back(std::move(plan));
    }
    const bool routed_again = voice_url_wrong && desired.target == RoutingTarget::native;
    if (import.agent_id != expected && !routed_again) {
      Plan plan = finding_for(FindingKind::agent_drift);
      plan.finding.provider_id = import.phone_number_id;
      plan.finding.stored = expected;
      plan.finding.reported = import.agent_id;
      if (auto known = voice.slug_of.find(import.agent_id); known != voice.slug_of.end()) {
        plan.finding.reported_agent_slug = known->second;
      }
      plan.phone_number_id = import.phone_number_id;
      plan.target_agent_id = expected;
      plan.provider = key;
      if (agent_gone && !expected.empty()) {
        plan.leave_for(Holdup::agent_gone);
      } else {
        planned(plan, Repair::set_provider_agent);
      }
      plans.push_back(std::move(plan));
    }
    return plans;
  }
  if (desired.target == RoutingTarget::native) {
    if (voice_url_wrong) {
      return plans; // Routing it again imports it.
    }
    Plan plan = finding_for(FindingKind::not_imported);
    plan.finding.stored = row.agent_phone_number_id;
    plan.target_agent_id = expected;
    if (agent_gone) {
      plan.leave_for(Holdup::agent_gone);
    } else if (row.updated_at > in_flight_after) {
      // An assignment moments ago may be importing it right now.
      plan.leave_for(Holdup::in_flight);
    } else {
      planned(plan, Repair::import_number);
    }
    plans.push_back(std::move(plan));
  } else if (!row.agent_phone_number_id.empty() && !observed.over_sip_trunk) {
    Plan plan = finding_for(FindingKind::import_drift);
    plan.finding.stored = row.agent_phone_number_id;
    planned(plan, Repair::forget_import_id);
    plans.push_back(std::move(plan));
  }
  return plans;
}

void ReconcileService::repair_routing(const Plan& plan) {
  const Finding& finding = plan.finding;
  const std::string& e164 = finding.e164;
  const PoolNumber& read = *plan.row;
  // The repairs that tell the providers take the number's routing first, as assign does, so
  // that no assign, reassign or unassign changes it meanwhile.
  const bool provider_repair = finding.repair == Repair::import_number ||
                               finding.repair == Repair::route_again ||
                               finding.repair == Repair::clear_voice_url;
  std::optional<RoutingHold> hold;
  if (provider_repair) {
    m_store.begin_routing_change(e164);
    hold.emplace(m_store, e164);
  }
  // Conditional on the row as it was read: its assignment (and, for the id repairs, the id).
  std::optional<PoolNumber> current = m_store.find_number(e164);
  const bool id_repair =
      finding.repair == Repair::store_import_id || finding.repair == Repair::forget_import_id;
  if (!current || current->status != read.status || current->agent_slug != read.agent_slug ||
      current->routing_mode != read.routing_mode ||
      (id_repair && current->agent_phone_number_id != read.agent_phone_number_id)) {
    throw Error(ErrorKind::conflict,
                e164 + " changed meanwhile (it is now " +
                    (current ? std::string(to_string(current->status)) +
                                   (current->agent_slug.empty()
                                        ? std::string()
                                        : " to agent \"" + current->agent_slug + "\"")
                             : std::string("gone")) +
                    ")");
  }
  switch (finding.repair) {
  case Repair::store_import_id:
  case Repair::forget_import_id: {
    m_store.set_agent_phone_number_id(e164, finding.reported);
    auto after = m_store.find_number(e164);
    audit("number", e164, detail::audit_json(*current), after ? detail::audit_json(*after) : "",
          current->tenant_slug);
    break;
  }
  case Repair::set_provider_agent: {
    at_provider([&] {
      return provider_by_key(*m_agents, plan.provider)
          .set_number_agent(plan.phone_number_id, plan.target_agent_id);
    });
    audit("number", e164, routing_json(e164, plan.phone_number_id, finding.reported),
          routing_json(e164, plan.phone_number_id, plan.target_agent_id), current->tenant_slug);
    break;
  }
  case Repair::import_number:
  case Repair::route_again: {
    // What assign does: the import, its agent and the voice URL, whatever the number's history.
    PoolNumber row = *current;
    const std::optional<Agent> agent = m_store.find_agent(row.agent_slug);
    const DesiredRouting desired = desired_routing(row, agent, m_router_url);
    VoiceAgentProvider& provider = m_agents->of(agent);
    at_provider([&] {
      enact_routing(m_telephony, provider, m_store, desired, row);
      return true;
    });
    auto after = m_store.find_number(e164);
    audit("number", e164, detail::audit_json(*current), after ? detail::audit_json(*after) : "",
          current->tenant_slug);
    break;
  }
  case Repair::clear_voice_url: {
    OwnedNumber owned =
        at_provider([&] { return m_telephony.set_voice_webhook(current->provider_sid, {}); });
    if (!owned.sip_trunk_id.empty()) { // its calls follow the trunk: no agent must answer
      at_provider([&] {
        m_telephony.remove_from_sip_trunk(owned.provider_sid, owned.sip_trunk_id);
        return true;
      });
    }
    m_store.update_webhook(e164, owned.webhook);
    auto after = m_store.find_number(e164);
    audit("number", e164, detail::audit_json(*current), after ? detail::audit_json(*after) : "",
          current->tenant_slug);
    break;
  }
  default:
    break;
  }
}

} // namespace vami
