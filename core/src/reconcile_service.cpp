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

#include "reconcile_internal.hpp"

namespace vami {

using namespace reconcile_detail;

ReconcileService::ReconcileService(TelephonyProvider& telephony, AgentProviders* agents,
                                   StateStore& store, std::string actor,
                                   std::chrono::seconds in_flight_grace, std::string router_url,
                                   RouterHealthProbe* router_health,
                                   std::string post_call_webhook_id)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)),
      m_in_flight_grace(in_flight_grace), m_router_url(std::move(router_url)),
      m_router_health(router_health), m_post_call_webhook_id(std::move(post_call_webhook_id)) {}

ReconcileReport ReconcileService::reconcile(ReconcileMode mode,
                                            const StopRequested& stop_requested) {
  ReconcileReport report;
  report.applied = mode == ReconcileMode::apply;
  m_sip_trunks.reset(); // read again by each run, once, when a number is on a trunk
  for (auto kind : k_kinds) {
    report.counts[kind] = 0;
  }
  const std::string in_flight_after = iso8601_before_now(m_in_flight_grace);

  // The database first, then the providers: see the note at the top of this file.
  std::map<std::string, std::pair<std::optional<PoolNumber>, std::optional<OwnedNumber>>> numbers;
  std::vector<PoolNumber> rows;
  // Rows of a voice-agent provider's workspace are compared with that workspace, never with the
  // telephony provider.
  std::vector<PoolNumber> workspace_rows;
  std::set<std::string> workspace_providers;
  std::set<std::string> in_pool;
  for (auto& row : m_store.list_numbers(NumberFilter{})) {
    in_pool.insert(row.e164);
    if (row.provider == m_telephony.name()) {
      rows.push_back(row);
      numbers[row.e164].first = std::move(row);
    } else {
      workspace_providers.insert(row.provider);
      workspace_rows.push_back(std::move(row));
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
  // vami's router answers calls of every webhook-routed number and takes the post-call
  // deliveries: one check for them all, when anything depends on it.
  const bool router_needed =
      !m_post_call_webhook_id.empty() || !m_account_webhook_ids.empty() ||
      std::any_of(rows.begin(), rows.end(), [](const PoolNumber& row) {
        return row.status == NumberStatus::assigned && row.routing_mode == RoutingMode::webhook;
      });
  if (m_router_health != nullptr && router_needed) {
    if (std::optional<RouterEndpoints> router = endpoints_of_router_url(m_router_url)) {
      report.router_health = m_router_health->probe(router->health_url);
    }
  }
  std::optional<VoiceView> voice;
  if (m_agents != nullptr) {
    voice = read_voice_side(agents, documents, workspace_providers);
  } else {
    const bool needed = !agents.empty() || !workspace_rows.empty() ||
                        std::any_of(rows.begin(), rows.end(), [](const PoolNumber& row) {
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
    for (auto& plan : classify_workspace_numbers(workspace_rows, in_pool, *voice)) {
      plans.push_back(std::move(plan));
    }
    for (auto& plan : classify_agents(agents, documents, rows, *voice, in_flight_after, report)) {
      plans.push_back(std::move(plan));
    }
    for (auto& plan : classify_documents(agents, documents, *voice, in_flight_after)) {
      plans.push_back(std::move(plan));
    }
    for (auto& plan : classify_post_call_webhook(*voice)) {
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
    case Repair::point_agent_webhooks:
      repair_agent_webhooks(plan);
      break;
    case Repair::adopt_document:
    case Repair::forget_upload:
    case Repair::delete_document:
      repair_document(plan);
      break;
    case Repair::attach_post_call_webhook:
      repair_post_call_webhook(plan);
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

} // namespace vami
