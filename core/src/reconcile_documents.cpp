// `vami reconcile`: knowledge-base uploads (issue 10, item 8), compared and repaired.

#include "reconcile_internal.hpp"

namespace vami {

using namespace reconcile_detail;

std::vector<ReconcileService::Plan>
ReconcileService::classify_documents(const std::vector<Agent>& agents,
                                     const std::map<std::string, std::vector<Document>>& documents,
                                     const VoiceView& voice, const std::string& in_flight_after) {
  std::map<std::string, const DocumentSummary*> uploaded; // by upload name
  for (const DocumentSummary& summary : voice.uploads) {
    uploaded.emplace(summary.name, &summary);
  }
  // Every document the database knows, by provider id and by upload name (agents not active
  // included: an orphan is only what no row accounts for).
  std::set<std::string> known_ids;
  std::set<std::string> known_names;
  std::vector<Plan> plans;
  for (const Agent& agent : agents) {
    auto held = documents.find(agent.slug);
    const std::vector<Document> rows =
        held != documents.end() ? held->second : m_store.list_documents(agent.slug);
    for (const Document& document : rows) {
      known_ids.insert(document.provider_document_id);
      known_names.insert(document.upload_name);
      if (document.status != DocumentStatus::uploading) {
        continue;
      }
      Plan plan;
      plan.agent = agent;
      plan.document = document;
      Finding& finding = plan.finding;
      finding.kind = FindingKind::document_uploading;
      finding.subject = Subject::document;
      finding.agent_slug = agent.slug;
      finding.tenant_slug = agent.tenant_slug;
      finding.agent_provider = agent.provider;
      finding.name = document.upload_name;
      auto found = uploaded.find(document.upload_name);
      if (found != uploaded.end()) {
        finding.provider_id = found->second->document_id;
        finding.reported = found->second->document_id;
      }
      const HolderLiveness liveness = holder_liveness(document.holder);
      if (liveness == HolderLiveness::this_process || liveness == HolderLiveness::running ||
          (liveness == HolderLiveness::unknown && document.created_at > in_flight_after)) {
        // Its `kb add` may be waiting for the provider's answer right now (a process on another
        // host cannot be asked: it gets the grace).
        finding.holdup = Holdup::in_flight;
        finding.resolution = Resolution::unresolved;
      } else if (agent.status != AgentStatus::active && found != uploaded.end()) {
        finding.holdup = Holdup::needs_person; // nothing to attach it to
        finding.resolution = Resolution::unresolved;
      } else {
        finding.repair = found != uploaded.end() ? Repair::adopt_document : Repair::forget_upload;
        finding.resolution = Resolution::would_repair;
      }
      plans.push_back(std::move(plan));
    }
  }
  // Documents an agent at the provider references, as far as reconcile read agents.
  std::set<std::string> referenced;
  for (const auto& [id, agent] : voice.looked_up) {
    if (agent) {
      for (const auto& ref : agent->definition.knowledge_base) {
        referenced.insert(ref.document_id);
      }
    }
  }
  std::vector<Plan> orphans;
  for (const DocumentSummary& summary : voice.uploads) {
    if (known_ids.count(summary.document_id) > 0 || known_names.count(summary.name) > 0) {
      continue;
    }
    Plan plan;
    Finding& finding = plan.finding;
    finding.kind = FindingKind::document_orphan;
    finding.subject = Subject::document;
    finding.provider_id = summary.document_id;
    finding.reported = summary.document_id;
    finding.name = summary.name;
    plan.provider = voice.upload_provider.at(summary.document_id);
    finding.agent_provider = plan.provider;
    // `vami:<agent slug>:<key> <name>`: the agent it was uploaded for.
    const std::string rest = summary.name.substr(std::string(k_document_name_prefix).size());
    finding.agent_slug = rest.substr(0, rest.find(':'));
    if (referenced.count(summary.document_id) > 0) {
      finding.holdup = Holdup::needs_person; // an agent answers from it: a person decides
      finding.resolution = Resolution::unresolved;
    } else {
      finding.repair = Repair::delete_document;
      finding.resolution = Resolution::would_repair;
    }
    orphans.push_back(std::move(plan));
  }
  std::sort(orphans.begin(), orphans.end(), [](const Plan& a, const Plan& b) {
    return a.finding.provider_id < b.finding.provider_id;
  });
  for (auto& plan : orphans) {
    plans.push_back(std::move(plan));
  }
  return plans;
}

void ReconcileService::repair_document(const Plan& plan) {
  const Finding& finding = plan.finding;
  if (finding.repair == Repair::delete_document) {
    // Conditional on the database still not knowing it: a `kb add` records its intent before
    // it uploads, so a document it is adding right now has a row by now.
    std::optional<Agent> agent = m_store.find_agent(finding.agent_slug);
    if (agent) {
      for (const Document& document : m_store.list_documents(agent->slug)) {
        if (document.upload_name == finding.name ||
            document.provider_document_id == finding.provider_id) {
          throw Error(ErrorKind::conflict,
                      "document " + finding.provider_id + " was recorded meanwhile");
        }
      }
    }
    at_provider([&] {
      try {
        provider_by_key(*m_agents, plan.provider).delete_document(finding.provider_id);
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::not_found) {
          throw;
        }
      }
    });
    audit("document", finding.provider_id,
          nlohmann::ordered_json{{"provider_document_id", finding.provider_id},
                                 {"name", finding.name}}
              .dump(),
          "", agent ? agent->tenant_slug : std::string());
    return;
  }
  const Document& read = *plan.document;
  if (finding.repair == Repair::forget_upload) {
    m_store.delete_document_intent(read.upload_name);
    audit("document", read.upload_name, detail::audit_json(read), "", finding.tenant_slug);
    return;
  }
  // adopt_document: record the upload, then attach every active document of the agent.
  Document adopted = m_store.mark_document_uploaded(read.upload_name, finding.reported);
  AgentChange change;
  change.knowledge_base.emplace();
  for (const Document& document : m_store.list_documents(read.agent_slug)) {
    if (document.status == DocumentStatus::active) {
      change.knowledge_base->push_back(
          {document.provider_document_id, document.name, document.source_kind});
    }
  }
  at_provider([&] {
    return m_agents->of(*plan.agent).update_agent(plan.agent->provider_agent_id, change);
  });
  audit("document", adopted.provider_document_id, detail::audit_json(read),
        detail::audit_json(adopted), finding.tenant_slug);
}

} // namespace vami
