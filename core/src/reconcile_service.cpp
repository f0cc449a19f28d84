// `vami reconcile` (DESIGN.md section 3, rule 4).
//
// Every provider read happens before the first change: a listing that fails (any page) throws
// with the database untouched. The findings are facts; the command line words them.
//
// Concurrency: other vami processes may buy, release, set webhooks, assign numbers, create
// agents or add documents while reconcile runs. These keep reconcile from undoing their work:
// - the database is read before the providers are listed, so a number bought (or an agent
//   created) in between looks like an orphan (never adopted over the new row) and never like a
//   ghost;
// - every repair is conditional on the row still being as it was read (status, SID, webhook,
//   assignment, import id, agent status and time of change);
// - a transitional row changed recently whose command may still be running is in flight and
//   left alone: a number `purchasing`/`releasing` whose operation is still running, an agent
//   `creating`/`deleting`, a number assigned moments ago and not yet imported, a document added
//   moments ago and not yet attached (its command may be waiting for a provider right now);
// - a number's agent at the voice-agent provider is set only to what the database says, which
//   is what an assign, unassign or reassign in flight is about to set too (they change the
//   database first).
#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <set>

#include "audit_json.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/agent_service.hpp>
#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/process_holder.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/router_endpoints.hpp>
#include <vami/core/routing.hpp>

namespace vami {

namespace {

constexpr const char* k_command = "reconcile";
constexpr std::string_view k_tag_prefix = "vami:";
constexpr std::string_view k_agent_tag_prefix = "vami-agent:";
constexpr std::string_view k_tenant_tag_prefix = "vami-tenant:";

constexpr std::array<FindingKind, 20> k_kinds{
    FindingKind::in_sync,
    FindingKind::webhook_drift,
    FindingKind::sid_drift,
    FindingKind::orphan_tagged,
    FindingKind::orphan_untagged,
    FindingKind::ghost,
    FindingKind::stale_purchasing,
    FindingKind::stale_releasing,
    FindingKind::suspension_drift,
    FindingKind::agent_drift,
    FindingKind::import_drift,
    FindingKind::not_imported,
    FindingKind::voice_url_drift,
    FindingKind::agent_ghost,
    FindingKind::agent_orphan,
    FindingKind::stale_creating,
    FindingKind::stale_deleting,
    FindingKind::document_ghost,
    FindingKind::document_uploading,
    FindingKind::document_orphan,
};

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool has_vami_tag(const std::string& friendly_name) {
  return starts_with(friendly_name, k_tag_prefix);
}

/// The operation id at the end of a tag `vami:<pool>:<op-id>`; empty when there is none.
std::string operation_of_tag(const std::string& tag) {
  const auto colon = tag.rfind(':');
  if (!has_vami_tag(tag) || colon == std::string::npos) {
    return {};
  }
  std::string id = tag.substr(colon + 1);
  const bool well_formed = id.size() == 15 && id.compare(0, 3, "op-") == 0 &&
                           std::all_of(id.begin() + 3, id.end(), [](char c) {
                             return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                           });
  return well_formed ? id : std::string{};
}

/// The value of the first provider tag starting with `prefix`; empty when none does.
std::string tag_value(const std::vector<std::string>& tags, std::string_view prefix) {
  for (const auto& tag : tags) {
    if (starts_with(tag, prefix)) {
      return tag.substr(prefix.size());
    }
  }
  return {};
}

/// Whether an agent at the provider carries a tag vami gives its agents.
bool has_vami_agent_tag(const std::vector<std::string>& tags) {
  return std::any_of(tags.begin(), tags.end(), [](const std::string& tag) {
    return tag == "vami" || starts_with(tag, k_agent_tag_prefix);
  });
}

/// UTC ISO 8601 of `ago` before now, in the stored `updated_at` format, so that the two
/// compare as strings.
std::string iso8601_before_now(std::chrono::seconds ago) {
  const auto at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - ago);
  std::tm parts{};
  gmtime_r(&at, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

// Twilio defaults the voice method to POST, and the store keeps no method for an unset one.
std::string effective_method(const std::string& method) {
  std::string upper = method.empty() ? "POST" : method;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return upper;
}

bool same_webhook(const VoiceWebhook& stored, const VoiceWebhook& provider) {
  return stored.voice_url == provider.voice_url &&
         effective_method(stored.voice_method) == effective_method(provider.voice_method) &&
         stored.status_callback == provider.status_callback;
}

/// A number whose pool row is settled (neither transitional nor released).
bool settled_status(NumberStatus status) {
  return status == NumberStatus::available || status == NumberStatus::assigned ||
         status == NumberStatus::suspended;
}

/// Whether calls to an assigned row go through the voice-agent provider's import.
bool routed_natively(const PoolNumber& row) {
  return row.status == NumberStatus::assigned &&
         row.routing_mode.value_or(RoutingMode::native) == RoutingMode::native;
}

/// A voice-agent provider's refusal of a repair (as opposed to the database refusing it
/// because the row changed meanwhile).
struct ProviderRefused {
  std::string message;
};

/// Runs a request to a provider; its errors, but for the database's, become `ProviderRefused`.
template <typename Request>
auto at_provider(Request&& request) {
  try {
    return request();
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::storage) {
      throw;
    }
    throw ProviderRefused{error.what()};
  }
}

/// The audit trail's record of where the voice-agent provider routes a number.
std::string routing_json(const std::string& e164, const std::string& phone_number_id,
                         const std::string& agent_id) {
  return nlohmann::ordered_json{
      {"e164", e164}, {"agent_phone_number_id", phone_number_id}, {"provider_agent_id", agent_id}}
      .dump();
}

/// The key of a finding's journal item: the number, or the agent or document it is about.
std::string item_key(const Finding& finding) {
  switch (finding.subject) {
  case Subject::number:
    return finding.e164;
  case Subject::agent:
    return "agent:" + (finding.agent_slug.empty() ? finding.provider_id : finding.agent_slug);
  case Subject::document:
    return "document:" + (finding.provider_id.empty() ? finding.name : finding.provider_id);
  }
  return finding.e164;
}

} // namespace

/// A finding, and what `apply` needs to repair it.
struct ReconcileService::Plan {
  Finding finding;
  std::optional<PoolNumber> row;
  std::optional<OwnedNumber> owned;
  std::optional<Agent> agent;
  std::optional<Document> document;
  std::string phone_number_id; ///< set_provider_agent: the import to route.
  std::string target_agent_id; ///< set_provider_agent, import_number: where to route it.
};

/// What the voice-agent provider reported, read in full before anything changes.
struct ReconcileService::VoiceView {
  std::vector<AgentSummary> agents;                              ///< Every agent it has.
  std::set<std::string> listed;                                  ///< Their ids.
  std::map<std::string, ImportedNumber> imports;                 ///< By E.164.
  std::map<std::string, std::optional<ProviderAgent>> looked_up; ///< get_agent, by id.
  std::map<std::string, Agent> local;                            ///< Database agents by slug.
  std::map<std::string, std::string> slug_of;                    ///< Provider id -> slug.
  std::vector<DocumentSummary> uploads; ///< Documents under a vami upload name.

  /// Whether the provider has the agent: its own answer when asked, else the listing.
  [[nodiscard]] bool exists(const std::string& agent_id) const {
    if (auto found = looked_up.find(agent_id); found != looked_up.end()) {
      return found->second.has_value();
    }
    return listed.count(agent_id) > 0;
  }

  /// Agents carrying `tag` that the database does not know by id, oldest first.
  [[nodiscard]] std::vector<const AgentSummary*> tagged(const std::string& tag) const {
    std::vector<const AgentSummary*> found;
    for (const auto& summary : agents) {
      if (std::find(summary.tags.begin(), summary.tags.end(), tag) != summary.tags.end() &&
          slug_of.count(summary.agent_id) == 0) {
        found.push_back(&summary);
      }
    }
    std::sort(found.begin(), found.end(), [](const AgentSummary* a, const AgentSummary* b) {
      return a->created_at_unix != b->created_at_unix ? a->created_at_unix < b->created_at_unix
                                                      : a->agent_id < b->agent_id;
    });
    return found;
  }
};

/// The journal of an applied run: one item per number, agent or document repaired (a number
/// repaired on both sides gets one item naming both repairs).
struct ReconcileService::Journal {
  std::string operation_id;
  std::map<std::string, OperationItem> items;
};

const char* to_string(Subject subject) noexcept {
  switch (subject) {
  case Subject::number:
    return "number";
  case Subject::agent:
    return "agent";
  case Subject::document:
    return "document";
  }
  return "number";
}

const char* to_string(FindingKind kind) noexcept {
  switch (kind) {
  case FindingKind::in_sync:
    return "in_sync";
  case FindingKind::webhook_drift:
    return "webhook_drift";
  case FindingKind::sid_drift:
    return "sid_drift";
  case FindingKind::orphan_tagged:
    return "orphan_tagged";
  case FindingKind::orphan_untagged:
    return "orphan_untagged";
  case FindingKind::ghost:
    return "ghost";
  case FindingKind::stale_purchasing:
    return "stale_purchasing";
  case FindingKind::stale_releasing:
    return "stale_releasing";
  case FindingKind::suspension_drift:
    return "suspension_drift";
  case FindingKind::agent_drift:
    return "agent_drift";
  case FindingKind::import_drift:
    return "import_drift";
  case FindingKind::not_imported:
    return "not_imported";
  case FindingKind::voice_url_drift:
    return "voice_url_drift";
  case FindingKind::agent_ghost:
    return "agent_ghost";
  case FindingKind::agent_orphan:
    return "agent_orphan";
  case FindingKind::stale_creating:
    return "stale_creating";
  case FindingKind::stale_deleting:
    return "stale_deleting";
  case FindingKind::document_ghost:
    return "document_ghost";
  case FindingKind::document_uploading:
    return "document_uploading";
  case FindingKind::document_orphan:
    return "document_orphan";
  }
  return "in_sync";
}

const char* to_string(Repair repair) noexcept {
  switch (repair) {
  case Repair::none:
    return "none";
  case Repair::adopt:
    return "adopt";
  case Repair::mark_released:
    return "mark_released";
  case Repair::complete_purchase:
    return "complete_purchase";
  case Repair::abandon_purchase:
    return "abandon_purchase";
  case Repair::complete_release:
    return "complete_release";
  case Repair::restore:
    return "restore";
  case Repair::store_provider_sid:
    return "store_provider_sid";
  case Repair::store_provider_webhook:
    return "store_provider_webhook";
  case Repair::answer_out_of_service:
    return "answer_out_of_service";
  case Repair::set_provider_agent:
    return "set_provider_agent";
  case Repair::store_import_id:
    return "store_import_id";
  case Repair::forget_import_id:
    return "forget_import_id";
  case Repair::import_number:
    return "import_number";
  case Repair::route_again:
    return "route_again";
  case Repair::clear_voice_url:
    return "clear_voice_url";
  case Repair::adopt_agent:
    return "adopt_agent";
  case Repair::remove_agent_row:
    return "remove_agent_row";
  case Repair::forget_document:
    return "forget_document";
  case Repair::adopt_document:
    return "adopt_document";
  case Repair::forget_upload:
    return "forget_upload";
  case Repair::delete_document:
    return "delete_document";
  }
  return "none";
}

const char* to_string(Resolution resolution) noexcept {
  switch (resolution) {
  case Resolution::none_needed:
    return "none_needed";
  case Resolution::would_repair:
    return "would_repair";
  case Resolution::repaired:
    return "repaired";
  case Resolution::unresolved:
    return "unresolved";
  }
  return "unresolved";
}

const char* to_string(Holdup holdup) noexcept {
  switch (holdup) {
  case Holdup::none:
    return "none";
  case Holdup::not_vami:
    return "not_vami";
  case Holdup::in_flight:
    return "in_flight";
  case Holdup::needs_person:
    return "needs_person";
  case Holdup::agent_gone:
    return "agent_gone";
  case Holdup::changed_meanwhile:
    return "changed_meanwhile";
  case Holdup::refused:
    return "refused";
  case Holdup::interrupted:
    return "interrupted";
  case Holdup::no_router_url:
    return "no_router_url";
  }
  return "none";
}

const char* to_string(VoiceAgentCoverage coverage) noexcept {
  switch (coverage) {
  case VoiceAgentCoverage::compared:
    return "compared";
  case VoiceAgentCoverage::not_needed:
    return "not_needed";
  case VoiceAgentCoverage::skipped:
    return "skipped";
  }
  return "skipped";
}

bool ReconcileReport::settled() const noexcept {
  return voice_agents != VoiceAgentCoverage::skipped &&
         (!router_health || router_health->healthy) &&
         std::all_of(findings.begin(), findings.end(), [](const Finding& finding) {
           return finding.resolution == Resolution::none_needed ||
                  finding.resolution == Resolution::repaired;
         });
}

ReconcileService::ReconcileService(TelephonyProvider& telephony, VoiceAgentProvider* agents,
                                   StateStore& store, std::string actor,
                                   std::chrono::seconds in_flight_grace, std::string router_url,
                                   RouterHealthProbe* router_health)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)),
      m_in_flight_grace(in_flight_grace), m_router_url(std::move(router_url)),
      m_router_health(router_health) {}

ReconcileReport ReconcileService::reconcile(ReconcileMode mode,
                                            const StopRequested& stop_requested) {
  ReconcileReport report;
  report.applied = mode == ReconcileMode::apply;
  for (auto kind : k_kinds) {
    report.counts[kind] = 0;
  }
  const std::string in_flight_after = iso8601_before_now(m_in_flight_grace);

  // The database first, then the providers: see the note at the top of this file.
  std::map<std::string, std::pair<std::optional<PoolNumber>, std::optional<OwnedNumber>>> numbers;
  std::vector<PoolNumber> rows;
  for (auto& row : m_store.list_numbers(NumberFilter{})) {
    // Rows of another provider are that provider's business.
    if (row.provider == m_telephony.name()) {
      rows.push_back(row);
      numbers[row.e164].first = std::move(row);
    }
  }
  const std::vector<Agent> agents = m_store.list_agents("");
  std::map<std::string, std::vector<Document>> documents;
  for (const auto& agent : agents) {
    if (agent.status == AgentStatus::active) {
      documents[agent.slug] = m_store.list_documents(agent.slug);
    }
  }

  for (auto& owned : m_telephony.list_owned()) {
    numbers[owned.e164].second = std::move(owned);
  }
  // vami's router answers calls of every webhook-routed number: one check for them all.
  if (m_router_health != nullptr) {
    if (std::optional<RouterEndpoints> router = endpoints_of_router_url(m_router_url)) {
      report.router_health = m_router_health->probe(router->health_url);
    }
  }
  std::optional<VoiceView> voice;
  if (m_agents != nullptr) {
    voice = read_voice_side(agents, documents);
  } else {
    const bool needed =
        !agents.empty() || std::any_of(rows.begin(), rows.end(), [](const PoolNumber& row) {
          return settled_status(row.status) &&
                 (!row.agent_phone_number_id.empty() || routed_natively(row));
        });
    report.voice_agents = needed ? VoiceAgentCoverage::skipped : VoiceAgentCoverage::not_needed;
  }

  std::vector<Plan> plans;
  plans.reserve(numbers.size());
  for (const auto& [e164, sides] : numbers) {
    Plan plan = classify(sides.first, sides.second);
    std::vector<Plan> routing;
    const FindingKind kind = plan.finding.kind;
    if (voice && sides.first && sides.second && settled_status(sides.first->status) &&
        (kind == FindingKind::in_sync || kind == FindingKind::webhook_drift ||
         kind == FindingKind::sid_drift || kind == FindingKind::suspension_drift)) {
      routing = classify_number_routing(*sides.first, *sides.second, *voice, in_flight_after);
    }
    // Routing the number again stores the voice webhook the provider then reports: storing
    // the wrong one first would only record the drift.
    const bool routed_again = std::any_of(routing.begin(), routing.end(), [](const Plan& routed) {
      return routed.finding.kind == FindingKind::voice_url_drift;
    });
    // One in_sync finding for a number in sync on both sides; otherwise only what differs.
    if ((kind != FindingKind::in_sync || routing.empty()) &&
        !(routed_again && kind == FindingKind::webhook_drift)) {
      plans.push_back(std::move(plan));
    }
    for (auto& routed : routing) {
      plans.push_back(std::move(routed));
    }
  }
  if (voice) {
    for (auto& plan : classify_agents(agents, documents, rows, *voice, in_flight_after, report)) {
      plans.push_back(std::move(plan));
    }
    for (auto& plan : classify_documents(agents, documents, *voice, in_flight_after)) {
      plans.push_back(std::move(plan));
    }
  }

  int repairs = 0;
  for (const auto& plan : plans) {
    repairs += plan.finding.repair == Repair::none ? 0 : 1;
  }
  Journal journal;
  if (report.applied) {
    Operation operation;
    operation.id = new_operation_id();
    operation.kind = OperationKind::reconcile;
    operation.requested_count = repairs;
    operation.parameters = R"({"apply":true})";
    operation.actor = m_actor;
    m_store.create_operation(operation);
    report.operation_id = operation.id;
    journal.operation_id = operation.id;
  }

  int repaired = 0;
  int unresolved = 0;
  try {
    for (auto& plan : plans) {
      if (report.applied && plan.finding.repair != Repair::none) {
        if (!report.interrupted && stop_requested && stop_requested()) {
          report.interrupted = true;
        }
        if (report.interrupted) {
          plan.finding.resolution = Resolution::unresolved;
          plan.finding.holdup = Holdup::interrupted;
        } else {
          repair(plan, journal);
        }
        (plan.finding.resolution == Resolution::repaired ? repaired : unresolved) += 1;
      }
      ++report.counts[plan.finding.kind];
      report.findings.push_back(std::move(plan.finding));
    }
  } catch (const Error&) {
    if (report.applied) {
      m_store.finish_operation(journal.operation_id, OperationStatus::failed);
    }
    throw;
  }
  if (report.applied) {
    OperationStatus status = OperationStatus::completed;
    if (report.interrupted) {
      status = OperationStatus::interrupted;
    } else if (unresolved > 0) {
      status = repaired > 0 ? OperationStatus::partial : OperationStatus::failed;
    }
    m_store.finish_operation(journal.operation_id, status);
  }
  return report;
}

ReconcileService::Plan ReconcileService::classify(const std::optional<PoolNumber>& row,
                                                  const std::optional<OwnedNumber>& owned) {
  Plan plan;
  plan.row = row;
  plan.owned = owned;
  Finding& finding = plan.finding;
  finding.subject = Subject::number;
  finding.e164 = row ? row->e164 : owned->e164;
  finding.provider_sid = owned ? owned->provider_sid : row->provider_sid;
  if (row) {
    finding.status = row->status;
    finding.agent_slug = row->agent_slug;
    finding.tenant_slug = row->tenant_slug;
    finding.name = row->friendly_name;
  }
  auto planned = [&](FindingKind kind, Repair repair) {
    finding.kind = kind;
    finding.repair = repair;
    finding.resolution = Resolution::would_repair;
  };
  auto left_alone = [&](FindingKind kind, Holdup holdup) {
    finding.kind = kind;
    finding.holdup = holdup;
    finding.resolution = Resolution::unresolved;
  };

  if (!row) {
    finding.name = owned->friendly_name;
    if (has_vami_tag(owned->friendly_name)) {
      finding.tag_operation = operation_of_tag(owned->friendly_name);
      if (!finding.tag_operation.empty() && m_store.find_operation(finding.tag_operation)) {
        finding.operation_id = finding.tag_operation;
      }
      planned(FindingKind::orphan_tagged, Repair::adopt);
    } else {
      left_alone(FindingKind::orphan_untagged, Holdup::not_vami);
    }
    return plan;
  }

  if (row->status == NumberStatus::purchasing) {
    finding.operation_id = row->operation_id;
    finding.reported = owned ? owned->friendly_name : std::string();
    if (in_flight(*row)) {
      left_alone(FindingKind::stale_purchasing, Holdup::in_flight);
    } else if (owned &&
               (owned->friendly_name == row->friendly_name || has_vami_tag(owned->friendly_name))) {
      planned(FindingKind::stale_purchasing, Repair::complete_purchase);
    } else {
      // Not owned, or owned under someone else's name: our purchase did not get it.
      planned(FindingKind::stale_purchasing, Repair::abandon_purchase);
    }
    return plan;
  }
  if (row->status == NumberStatus::releasing) {
    if (in_flight(*row)) {
      left_alone(FindingKind::stale_releasing, Holdup::in_flight);
    } else if (!owned) {
      planned(FindingKind::stale_releasing, Repair::complete_release);
    } else {
      planned(FindingKind::stale_releasing, Repair::restore);
    }
    return plan;
  }

  if (!owned) {
    planned(FindingKind::ghost, Repair::mark_released);
    return plan;
  }
  if (owned->provider_sid != row->provider_sid) {
    finding.stored = row->provider_sid;
    finding.reported = owned->provider_sid;
    planned(FindingKind::sid_drift, Repair::store_provider_sid);
    return plan;
  }
  if (row->status == NumberStatus::suspended) {
    // The database decides: a suspended number answers out of service, whatever its voice URL
    // was set to since (storing the provider's would let calls reach an agent again).
    VoiceWebhook wanted =
        m_telephony.out_of_service_webhook(row->suspension ? row->suspension->message : "");
    wanted.status_callback = owned->webhook.status_callback;
    if (!same_webhook(wanted, owned->webhook)) {
      finding.stored_webhook = wanted;
      finding.reported_webhook = owned->webhook;
      if (!row->routing_holder.empty() &&
          holder_liveness(row->routing_holder) != HolderLiveness::gone) {
        left_alone(FindingKind::suspension_drift, Holdup::in_flight);
      } else {
        planned(FindingKind::suspension_drift, Repair::answer_out_of_service);
      }
      return plan;
    }
  }
  if (!same_webhook(row->webhook, owned->webhook)) {
    finding.stored_webhook = row->webhook;
    finding.reported_webhook = owned->webhook;
    planned(FindingKind::webhook_drift, Repair::store_provider_webhook);
    return plan;
  }
  finding.kind = FindingKind::in_sync;
  return plan;
}

ReconcileService::VoiceView
ReconcileService::read_voice_side(const std::vector<Agent>& agents,
                                  const std::map<std::string, std::vector<Document>>& documents) {
  VoiceView voice;
  for (const auto& agent : agents) {
    voice.local[agent.slug] = agent;
    if (!agent.provider_agent_id.empty()) {
      voice.slug_of[agent.provider_agent_id] = agent.slug;
    }
  }
  voice.agents = m_agents->list_agents("");
  for (const auto& summary : voice.agents) {
    voice.listed.insert(summary.agent_id);
  }
  for (auto& imported : m_agents->list_imported_numbers()) {
    voice.imports[imported.e164] = std::move(imported);
  }
  voice.uploads = m_agents->list_documents(k_document_name_prefix);
  // Ask for an agent the listing lacks (deleted, or not listed yet) and for an agent whose
  // knowledge base must be read; 404 answers "gone", any other failure stops the run here.
  for (const auto& agent : agents) {
    const std::string& id = agent.provider_agent_id;
    if (id.empty() || agent.status == AgentStatus::creating) {
      continue;
    }
    auto held = documents.find(agent.slug);
    const bool has_documents = held != documents.end() && !held->second.empty();
    if (voice.listed.count(id) == 0 || has_documents) {
      voice.looked_up[id] = m_agents->get_agent(id);
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
  observed.voice_url_is_agent_provider = m_agents->answers_voice_url(owned.webhook.voice_url);
  auto imported = voice.imports.find(row.e164);
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
    finding.name = row.friendly_name;
    finding.status = row.status;
    finding.routing_mode = row.routing_mode;
    return plan;
  };
  auto left_alone = [](Plan& plan, Holdup holdup) {
    plan.finding.holdup = holdup;
    plan.finding.resolution = Resolution::unresolved;
  };
  // A process changing the number's routing right now is about to tell the providers itself.
  const bool routing_in_flight =
      !row.routing_holder.empty() &&
      holder_still_working(row.routing_holder, row.routing_since, m_in_flight_grace);
  auto planned = [&](Plan& plan, Repair repair) {
    if (routing_in_flight) {
      left_alone(plan, Holdup::in_flight);
      return;
    }
    plan.finding.repair = repair;
    plan.finding.resolution = Resolution::would_repair;
  };

  // The voice URL first: it is what a call meets first, and routing the number again mends
  // the import and its agent as well.
  // A suspended number's voice URL must be the out-of-service answer: suspension_drift's.
  const bool voice_url_wrong =
      row.status != NumberStatus::suspended &&
      (found(RoutingFault::no_voice_url) || found(RoutingFault::wrong_voice_url));
  if (voice_url_wrong) {
    Plan plan = finding_for(FindingKind::voice_url_drift);
    plan.finding.stored_webhook = desired.voice_webhook;
    plan.finding.reported_webhook = owned.webhook;
    if (desired.target == RoutingTarget::none) {
      planned(plan, Repair::clear_voice_url);
    } else if (agent_gone) {
      left_alone(plan, Holdup::agent_gone);
    } else if (desired.blocked == RoutingFault::no_router_url) {
      left_alone(plan, Holdup::no_router_url);
    } else {
      planned(plan, Repair::route_again);
    }
    plans.push_back(std::move(plan));
  }

  if (observed.imported) {
    const ImportedNumber& import = *observed.imported;
    if (row.agent_phone_number_id != import.phone_number_id) {
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
      if (agent_gone && !expected.empty()) {
        left_alone(plan, Holdup::agent_gone);
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
      left_alone(plan, Holdup::agent_gone);
    } else if (row.updated_at > in_flight_after) {
      // An assignment moments ago may be importing it right now.
      left_alone(plan, Holdup::in_flight);
    } else {
      planned(plan, Repair::import_number);
    }
    plans.push_back(std::move(plan));
  } else if (!row.agent_phone_number_id.empty()) {
    Plan plan = finding_for(FindingKind::import_drift);
    plan.finding.stored = row.agent_phone_number_id;
    planned(plan, Repair::forget_import_id);
    plans.push_back(std::move(plan));
  }
  return plans;
}

std::vector<ReconcileService::Plan>
ReconcileService::classify_agents(const std::vector<Agent>& agents,
                                  const std::map<std::string, std::vector<Document>>& documents,
                                  const std::vector<PoolNumber>& rows, const VoiceView& voice,
                                  const std::string& in_flight_after, ReconcileReport& report) {
  std::vector<Plan> agent_plans;
  std::vector<Plan> document_plans;
  std::set<std::string> claimed; // Provider agents a transitional row accounts for.
  auto finding_for = [](const Agent& agent, FindingKind kind) {
    Plan plan;
    plan.agent = agent;
    Finding& finding = plan.finding;
    finding.kind = kind;
    finding.subject = Subject::agent;
    finding.provider_id = agent.provider_agent_id;
    finding.agent_slug = agent.slug;
    finding.tenant_slug = agent.tenant_slug;
    finding.name = agent.name;
    return plan;
  };
  auto planned = [](Plan& plan, Repair repair) {
    plan.finding.repair = repair;
    plan.finding.resolution = Resolution::would_repair;
  };
  auto left_alone = [](Plan& plan, Holdup holdup) {
    plan.finding.holdup = holdup;
    plan.finding.resolution = Resolution::unresolved;
  };

  for (const auto& agent : agents) {
    const std::string& id = agent.provider_agent_id;
    const bool fresh = agent.updated_at > in_flight_after;
    switch (agent.status) {
    case AgentStatus::active: {
      if (id.empty()) {
        break; // Nothing to compare it with.
      }
      if (!voice.exists(id)) {
        Plan plan = finding_for(agent, FindingKind::agent_ghost);
        plan.finding.assigned_numbers =
            static_cast<int>(std::count_if(rows.begin(), rows.end(), [&](const PoolNumber& row) {
              return row.status == NumberStatus::assigned && row.agent_slug == agent.slug;
            }));
        left_alone(plan, Holdup::needs_person);
        agent_plans.push_back(std::move(plan));
        break;
      }
      ++report.agents_in_sync;
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
        finding.name = document.name;
        if (document.created_at > in_flight_after) {
          // A `kb add` records the document before it attaches it to the agent.
          left_alone(plan, Holdup::in_flight);
        } else {
          planned(plan, Repair::forget_document);
        }
        document_plans.push_back(std::move(plan));
      }
      break;
    }
    case AgentStatus::creating: {
      Plan plan = finding_for(agent, FindingKind::stale_creating);
      std::vector<const AgentSummary*> tagged = voice.tagged(agent_tag(agent.slug));
      if (fresh) {
        for (const auto* summary : tagged) {
          claimed.insert(summary->agent_id);
        }
        left_alone(plan, Holdup::in_flight);
      } else if (!id.empty() && voice.exists(id)) {
        plan.finding.reported = id;
        planned(plan, Repair::adopt_agent);
      } else if (!tagged.empty()) {
        // The oldest is the first request's; any later one is a duplicate, left an orphan.
        plan.finding.reported = tagged.front()->agent_id;
        claimed.insert(tagged.front()->agent_id);
        planned(plan, Repair::adopt_agent);
      } else {
        planned(plan, Repair::remove_agent_row);
      }
      agent_plans.push_back(std::move(plan));
      break;
    }
    case AgentStatus::deleting: {
      Plan plan = finding_for(agent, FindingKind::stale_deleting);
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
        left_alone(plan, Holdup::in_flight);
      } else if (!still_there.empty()) {
        left_alone(plan, Holdup::needs_person); // `agents delete` again finishes it.
      } else {
        planned(plan, Repair::remove_agent_row);
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
    finding.name = summary.name;
    finding.agent_slug = tag_value(summary.tags, k_agent_tag_prefix);
    finding.tenant_slug = tag_value(summary.tags, k_tenant_tag_prefix);
    left_alone(plan, Holdup::needs_person);
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

bool ReconcileService::in_flight(const PoolNumber& row) {
  // Its operation's process decides (`holder_still_working`): one on this host that has exited
  // is interrupted now; one on another host counts as working for the grace period after the
  // row last changed (a request hanging longer than that is given up).
  auto working = [&](const Operation& operation) {
    return operation.status == OperationStatus::running &&
           holder_still_working(operation.holder, row.updated_at, m_in_flight_grace);
  };
  if (row.status == NumberStatus::purchasing) {
    auto operation = m_store.find_operation(row.operation_id);
    return operation && working(*operation);
  }
  // A releasing row does not name its release operation; the operation's parameters list the
  // numbers it releases.
  for (const auto& operation : m_store.list_operations(0)) {
    if (operation.kind == OperationKind::release && working(operation) &&
        operation.parameters.find("\"" + row.e164 + "\"") != std::string::npos) {
      return true;
    }
  }
  return false;
}

void ReconcileService::repair(Plan& plan, Journal& journal) {
  Finding& finding = plan.finding;
  const std::string key = item_key(finding);
  const std::string what = std::string(to_string(finding.kind)) + ": " + to_string(finding.repair);
  auto record = [&](ItemOutcome outcome, const std::string& code, const std::string& message) {
    auto [entry, first] = journal.items.try_emplace(key);
    OperationItem& item = entry->second;
    if (first) {
      item = {journal.operation_id, key, outcome, code, message};
    } else {
      // A number repaired on both sides: one item naming both; failed if either failed.
      item.error_message += "; " + message;
      if (outcome == ItemOutcome::failed) {
        item.outcome = ItemOutcome::failed;
        item.error_code = code;
      }
    }
    m_store.record_item(item);
  };
  try {
    switch (finding.repair) {
    case Repair::adopt:
    case Repair::mark_released:
    case Repair::complete_purchase:
    case Repair::abandon_purchase:
    case Repair::complete_release:
    case Repair::restore:
    case Repair::store_provider_sid:
    case Repair::store_provider_webhook:
    case Repair::answer_out_of_service:
      repair_number(plan, journal.operation_id);
      break;
    case Repair::set_provider_agent:
    case Repair::store_import_id:
    case Repair::forget_import_id:
    case Repair::import_number:
    case Repair::route_again:
    case Repair::clear_voice_url:
      repair_routing(plan);
      break;
    case Repair::adopt_agent:
    case Repair::remove_agent_row:
    case Repair::forget_document:
      repair_agent(plan);
      break;
    case Repair::adopt_document:
    case Repair::forget_upload:
    case Repair::delete_document:
      repair_document(plan);
      break;
    case Repair::none:
      return;
    }
  } catch (const ProviderRefused& refused) {
    finding.resolution = Resolution::unresolved;
    finding.holdup = Holdup::refused;
    finding.error = refused.message;
    record(ItemOutcome::failed, "refused", what + ": " + refused.message);
    return;
  } catch (const Error& error) {
    // The row moved on since it was read (another vami process), or the provider reported
    // something the store refuses: leave it for the next run rather than force it.
    if (error.kind() != ErrorKind::conflict && error.kind() != ErrorKind::not_found &&
        error.kind() != ErrorKind::invalid_input) {
      throw;
    }
    finding.resolution = Resolution::unresolved;
    finding.holdup = Holdup::changed_meanwhile;
    finding.error = error.what();
    record(ItemOutcome::failed, to_string(error.kind()), what + ": " + error.what());
    return;
  }
  finding.resolution = Resolution::repaired;
  record(ItemOutcome::succeeded, "", what);
}

void ReconcileService::repair_number(const Plan& plan, const std::string& operation_id) {
  const Finding& finding = plan.finding;
  const std::string& e164 = finding.e164;
  const std::string settled_by = "settled by reconcile " + operation_id + ": ";
  switch (finding.repair) {
  case Repair::adopt: {
    AdoptedNumber number;
    number.e164 = e164;
    number.provider = m_telephony.name();
    number.provider_sid = plan.owned->provider_sid;
    number.country = region_of(e164);
    number.type = NumberType::local; // The provider's listing of owned numbers has no type.
    NumberLocation location = locate(e164);
    number.locality = location.locality;
    number.region = location.region;
    number.friendly_name = plan.owned->friendly_name;
    number.webhook = plan.owned->webhook;
    if (!number.country.empty()) {
      number.monthly_price = price_of(number.country, number.type);
    }
    number.operation_id = finding.operation_id;
    PoolNumber after = m_store.adopt_number(number);
    audit("number", e164, "", detail::audit_json(after));
    break;
  }
  case Repair::mark_released: {
    PoolNumber before = m_store.mark_released(e164, plan.row->provider_sid);
    auto after = m_store.find_number(e164);
    audit("number", e164, detail::audit_json(before), after ? detail::audit_json(*after) : "",
          before.tenant_slug);
    break;
  }
  case Repair::complete_purchase: {
    PoolNumber after =
        m_store.complete_purchase(e164, *plan.owned, price_of(plan.row->country, plan.row->type));
    audit("number", e164, detail::audit_json(*plan.row), detail::audit_json(after));
    settle_items(e164, OperationKind::buy, plan.row->operation_id, ItemOutcome::succeeded,
                 settled_by + "the provider owns it");
    break;
  }
  case Repair::abandon_purchase: {
    // abandon_purchase deletes only a `purchasing` row and is silent otherwise.
    auto current = m_store.find_number(e164);
    if (!current || current->status != NumberStatus::purchasing) {
      throw Error(ErrorKind::conflict, e164 + " is no longer being purchased");
    }
    m_store.abandon_purchase(e164);
    audit("number", e164, detail::audit_json(*plan.row), "");
    settle_items(e164, OperationKind::buy, plan.row->operation_id, ItemOutcome::failed,
                 settled_by + (plan.owned ? "the provider owns it under '" +
                                                plan.owned->friendly_name + "', not a vami tag"
                                          : std::string("the provider does not own it")));
    break;
  }
  case Repair::complete_release: {
    m_store.complete_release(e164);
    auto after = m_store.find_number(e164);
    audit("number", e164, detail::audit_json(*plan.row), after ? detail::audit_json(*after) : "");
    settle_items(e164, OperationKind::release, "", ItemOutcome::succeeded,
                 settled_by + "the provider no longer owns it");
    break;
  }
  case Repair::restore: {
    m_store.revert_release(e164, NumberStatus::available);
    auto after = m_store.find_number(e164);
    audit("number", e164, detail::audit_json(*plan.row), after ? detail::audit_json(*after) : "");
    settle_items(e164, OperationKind::release, "", ItemOutcome::failed,
                 settled_by + "the provider still owns it");
    break;
  }
  case Repair::store_provider_sid:
  case Repair::store_provider_webhook: {
    PoolNumber after =
        m_store.record_provider_view(e164, plan.row->provider_sid, plan.row->webhook, *plan.owned);
    audit("number", e164, detail::audit_json(*plan.row), detail::audit_json(after),
          after.tenant_slug);
    break;
  }
  case Repair::answer_out_of_service: {
    // Conditional on the row as read: still suspended with the same message.
    std::optional<PoolNumber> current = m_store.find_number(e164);
    if (!current || current->status != NumberStatus::suspended ||
        current->suspension != plan.row->suspension) {
      throw Error(ErrorKind::conflict, e164 + " changed meanwhile (it is now " +
                                           (current ? to_string(current->status) : "gone") + ")");
    }
    OwnedNumber owned = at_provider([&] {
      return m_telephony.set_voice_webhook(plan.row->provider_sid, finding.stored_webhook);
    });
    PoolNumber after =
        m_store.record_provider_view(e164, plan.row->provider_sid, current->webhook, owned);
    audit("number", e164, detail::audit_json(*current), detail::audit_json(after),
          after.tenant_slug);
    break;
  }
  default:
    break;
  }
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
    at_provider(
        [&] { return m_agents->set_number_agent(plan.phone_number_id, plan.target_agent_id); });
    audit("number", e164, routing_json(e164, plan.phone_number_id, finding.reported),
          routing_json(e164, plan.phone_number_id, plan.target_agent_id), current->tenant_slug);
    break;
  }
  case Repair::import_number:
  case Repair::route_again: {
    // What assign does: the import, its agent and the voice URL, whatever the number's history.
    PoolNumber row = *current;
    const DesiredRouting desired =
        desired_routing(row, m_store.find_agent(row.agent_slug), m_router_url);
    at_provider([&] {
      enact_routing(m_telephony, *m_agents, m_store, desired, row);
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

std::optional<Money> ReconcileService::price_of(const std::string& country, NumberType type) {
  auto key = std::make_pair(country, type);
  if (auto cached = m_prices.find(key); cached != m_prices.end()) {
    return cached->second;
  }
  std::optional<Money> price;
  try {
    price = m_telephony.monthly_price(country, type);
  } catch (const Error&) {
    // An unknown price is stored as unknown; it never blocks a repair. A failure is kept, so
    // that a price list that is down costs one request per country, not one per number.
  }
  m_prices[key] = price;
  return price;
}

void ReconcileService::settle_items(const std::string& e164, OperationKind kind,
                                    const std::string& operation_id, ItemOutcome outcome,
                                    const std::string& message) {
  std::set<std::string> operations;
  if (!operation_id.empty() && m_store.find_operation(operation_id)) {
    operations.insert(operation_id);
  }
  for (const auto& item : m_store.list_items_of_number(e164)) {
    if (item.outcome != ItemOutcome::uncertain && item.outcome != ItemOutcome::pending) {
      continue;
    }
    auto operation = m_store.find_operation(item.operation_id);
    if (operation && operation->kind == kind) {
      operations.insert(item.operation_id);
    }
  }
  for (const auto& id : operations) {
    m_store.record_item(
        {id, e164, outcome, outcome == ItemOutcome::failed ? "reconciled" : "", message});
  }
}

void ReconcileService::audit(const std::string& entity_type, const std::string& entity_id,
                             const std::string& before, const std::string& after,
                             const std::string& tenant_slug) {
  detail::append_audit(m_store, m_actor, k_command, entity_type, entity_id, before, after,
                       tenant_slug);
}

// --- knowledge-base uploads (issue 10, item 8) -----------------------------------------------

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
        m_agents->delete_document(finding.provider_id);
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
  at_provider([&] { return m_agents->update_agent(plan.agent->provider_agent_id, change); });
  audit("document", adopted.provider_document_id, detail::audit_json(read),
        detail::audit_json(adopted), finding.tenant_slug);
}

} // namespace vami
