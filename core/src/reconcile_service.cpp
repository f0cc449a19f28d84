// `vami reconcile`, telephony side (DESIGN.md section 3, rule 4).
//
// Concurrency: other vami processes may buy, release or set webhooks while reconcile runs.
// Three things keep reconcile from undoing their work:
// - the pool is read before the provider is listed, so a number bought in between looks like
//   an orphan (whose adoption the store refuses, since the pool holds it by then) and never
//   like a ghost;
// - every repair is conditional on the row still being as it was read (status, SID, webhook);
// - a transitional row changed recently whose operation is still running is in flight: its
//   command may be waiting for the provider right now, so it is left alone.
#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <set>

#include "audit_json.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/reconcile_service.hpp>

namespace vami {

namespace {

constexpr const char* k_command = "reconcile";
constexpr std::string_view k_tag_prefix = "vami:";

constexpr std::array<FindingKind, 8> k_kinds{
    FindingKind::in_sync,          FindingKind::webhook_drift,   FindingKind::sid_drift,
    FindingKind::orphan_tagged,    FindingKind::orphan_untagged, FindingKind::ghost,
    FindingKind::stale_purchasing, FindingKind::stale_releasing,
};

bool has_vami_tag(const std::string& friendly_name) {
  return friendly_name.compare(0, k_tag_prefix.size(), k_tag_prefix) == 0;
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

std::string describe(const VoiceWebhook& webhook) {
  std::string text = webhook.voice_url.empty()
                         ? std::string("none")
                         : webhook.voice_url + " (" + effective_method(webhook.voice_method) + ")";
  if (!webhook.status_callback.empty()) {
    text += ", status callback " + webhook.status_callback;
  }
  return text;
}

/// The repair `apply` makes for a finding.
enum class Repair {
  none,
  adopt,
  mark_released,
  complete_purchase,
  abandon_purchase,
  complete_release,
  restore,
  store_provider_view,
};

/// What `apply` does, in the past tense once done.
std::string done(Repair repair, FindingKind kind) {
  switch (repair) {
  case Repair::adopt:
    return "adopted";
  case Repair::mark_released:
    return "marked released";
  case Repair::complete_purchase:
    return "completed purchase";
  case Repair::abandon_purchase:
    return "abandoned purchase";
  case Repair::complete_release:
    return "completed release";
  case Repair::restore:
    return "restored";
  case Repair::store_provider_view:
    return kind == FindingKind::sid_drift ? "stored provider sid" : "stored provider webhook";
  case Repair::none:
    break;
  }
  return "";
}

/// What `apply` would do.
std::string would(Repair repair, FindingKind kind) {
  switch (repair) {
  case Repair::adopt:
    return "would adopt";
  case Repair::mark_released:
    return "would mark released";
  case Repair::complete_purchase:
    return "would complete purchase";
  case Repair::abandon_purchase:
    return "would abandon purchase";
  case Repair::complete_release:
    return "would complete release";
  case Repair::restore:
    return "would restore";
  case Repair::store_provider_view:
    return kind == FindingKind::sid_drift ? "would store provider sid"
                                          : "would store provider webhook";
  case Repair::none:
    break;
  }
  return "";
}

} // namespace

/// A finding and the repair `apply` makes for it.
struct ReconcileService::Plan {
  Finding finding;
  Repair repair = Repair::none;
  std::optional<PoolNumber> row;
  std::optional<OwnedNumber> owned;
  std::string tag_operation; ///< For an adoption: the tag's operation, when journaled.
};

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
  }
  return "in_sync";
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

bool ReconcileReport::settled() const noexcept {
  return std::all_of(findings.begin(), findings.end(), [](const Finding& finding) {
    return finding.resolution == Resolution::none_needed ||
           finding.resolution == Resolution::repaired;
  });
}

ReconcileService::ReconcileService(TelephonyProvider& telephony, StateStore& store,
                                   std::string actor, std::chrono::seconds in_flight_grace)
    : m_telephony(telephony), m_store(store), m_actor(std::move(actor)),
      m_in_flight_grace(in_flight_grace) {}

ReconcileReport ReconcileService::reconcile(ReconcileMode mode,
                                            const StopRequested& stop_requested) {
  ReconcileReport report;
  report.applied = mode == ReconcileMode::apply;
  for (auto kind : k_kinds) {
    report.counts[kind] = 0;
  }
  const std::string in_flight_after = iso8601_before_now(m_in_flight_grace);

  // The pool first, then the provider: see the note at the top of this file.
  std::map<std::string, std::pair<std::optional<PoolNumber>, std::optional<OwnedNumber>>> numbers;
  for (auto& row : m_store.list_numbers(NumberFilter{})) {
    // Rows of another provider are that provider's business.
    if (row.provider == m_telephony.name()) {
      numbers[row.e164].first = std::move(row);
    }
  }
  for (auto& owned : m_telephony.list_owned()) {
    numbers[owned.e164].second = std::move(owned);
  }

  std::vector<Plan> plans;
  plans.reserve(numbers.size());
  int repairs = 0;
  for (const auto& [e164, sides] : numbers) {
    plans.push_back(classify(sides.first, sides.second, in_flight_after));
    repairs += plans.back().repair == Repair::none ? 0 : 1;
  }

  Operation operation;
  if (report.applied) {
    operation.id = new_operation_id();
    operation.kind = OperationKind::reconcile;
    operation.requested_count = repairs;
    operation.parameters = R"({"apply":true})";
    operation.actor = m_actor;
    m_store.create_operation(operation);
    report.operation_id = operation.id;
  }

  int repaired = 0;
  int unresolved = 0;
  try {
    for (auto& plan : plans) {
      if (report.applied && plan.repair != Repair::none) {
        if (!report.interrupted && stop_requested && stop_requested()) {
          report.interrupted = true;
        }
        if (report.interrupted) {
          plan.finding.action = "not attempted: interrupted";
          plan.finding.resolution = Resolution::unresolved;
        } else {
          repair(plan, plan.finding, operation.id);
        }
        (plan.finding.resolution == Resolution::repaired ? repaired : unresolved) += 1;
      }
      ++report.counts[plan.finding.kind];
      report.findings.push_back(std::move(plan.finding));
    }
  } catch (const Error&) {
    if (report.applied) {
      m_store.finish_operation(operation.id, OperationStatus::failed);
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
    m_store.finish_operation(operation.id, status);
  }
  return report;
}

ReconcileService::Plan ReconcileService::classify(const std::optional<PoolNumber>& row,
                                                  const std::optional<OwnedNumber>& owned,
                                                  const std::string& in_flight_after) {
  Plan plan;
  plan.row = row;
  plan.owned = owned;
  Finding& finding = plan.finding;
  finding.e164 = row ? row->e164 : owned->e164;
  finding.provider_sid = owned ? owned->provider_sid : row->provider_sid;
  auto planned = [&](FindingKind kind, Repair repair, std::string detail) {
    finding.kind = kind;
    finding.detail = std::move(detail);
    plan.repair = repair;
    finding.action = would(repair, kind);
    finding.resolution = Resolution::would_repair;
  };
  auto left_alone = [&](FindingKind kind, std::string detail, std::string why) {
    finding.kind = kind;
    finding.detail = std::move(detail);
    finding.action = "left alone: " + std::move(why);
    finding.resolution = Resolution::unresolved;
  };

  if (!row) {
    if (has_vami_tag(owned->friendly_name)) {
      std::string detail = "owned, not in the pool; tagged '" + owned->friendly_name + "'";
      plan.tag_operation = operation_of_tag(owned->friendly_name);
      if (!plan.tag_operation.empty() && !m_store.find_operation(plan.tag_operation)) {
        detail += " (operation " + plan.tag_operation + " is not in this journal)";
        plan.tag_operation.clear();
      }
      planned(FindingKind::orphan_tagged, Repair::adopt, std::move(detail));
    } else {
      left_alone(FindingKind::orphan_untagged,
                 "owned, not in the pool; friendly name '" + owned->friendly_name +
                     "' carries no vami tag",
                 "not bought by vami, never adopted");
    }
    return plan;
  }

  const std::string by_operation =
      row->operation_id.empty() ? std::string() : " by operation " + row->operation_id;
  if (row->status == NumberStatus::purchasing) {
    std::string detail = "purchase" + by_operation + " never recorded; ";
    if (in_flight(*row, in_flight_after)) {
      left_alone(FindingKind::stale_purchasing, detail + "its operation is still running",
                 "in flight; run again once it finished (or in " +
                     std::to_string(m_in_flight_grace.count() / 60) + " min if it died)");
    } else if (!owned) {
      planned(FindingKind::stale_purchasing, Repair::abandon_purchase,
              detail + "the provider does not own it");
    } else if (owned->friendly_name == row->friendly_name || has_vami_tag(owned->friendly_name)) {
      planned(FindingKind::stale_purchasing, Repair::complete_purchase,
              detail + "the provider owns it (" + owned->friendly_name + ")");
    } else {
      // Owned, but under someone else's name: our purchase did not get it.
      planned(FindingKind::stale_purchasing, Repair::abandon_purchase,
              detail + "the provider owns it under '" + owned->friendly_name + "', not a vami tag");
    }
    return plan;
  }
  if (row->status == NumberStatus::releasing) {
    std::string detail = "release never recorded; ";
    if (in_flight(*row, in_flight_after)) {
      left_alone(FindingKind::stale_releasing, detail + "its operation is still running",
                 "in flight; run again once it finished (or in " +
                     std::to_string(m_in_flight_grace.count() / 60) + " min if it died)");
    } else if (!owned) {
      planned(FindingKind::stale_releasing, Repair::complete_release,
              detail + "the provider no longer owns it");
    } else {
      planned(FindingKind::stale_releasing, Repair::restore, detail + "the provider still owns it");
    }
    return plan;
  }

  if (!owned) {
    std::string detail = std::string("in the pool (") + to_string(row->status) +
                         ") but the provider does not own it";
    if (row->status == NumberStatus::assigned) {
      detail += "; assigned to agent " + row->agent_slug + " (tenant " + row->tenant_slug +
                "), it rings nowhere";
    }
    planned(FindingKind::ghost, Repair::mark_released, std::move(detail));
    return plan;
  }
  if (owned->provider_sid != row->provider_sid) {
    planned(FindingKind::sid_drift, Repair::store_provider_view,
            "stored provider id " + (row->provider_sid.empty() ? "none" : row->provider_sid) +
                ", the provider reports " + owned->provider_sid);
    return plan;
  }
  if (!same_webhook(row->webhook, owned->webhook)) {
    planned(FindingKind::webhook_drift, Repair::store_provider_view,
            "stored voice webhook " + describe(row->webhook) + ", the provider reports " +
                describe(owned->webhook));
    return plan;
  }
  finding.kind = FindingKind::in_sync;
  return plan;
}

bool ReconcileService::in_flight(const PoolNumber& row, const std::string& in_flight_after) {
  if (row.updated_at <= in_flight_after) {
    return false; // Untouched for longer than any request waits: its process is gone.
  }
  if (row.status == NumberStatus::purchasing) {
    auto operation = m_store.find_operation(row.operation_id);
    return operation && operation->status == OperationStatus::running;
  }
  // A releasing row does not name its release operation; the operation's parameters list the
  // numbers it releases. Only recently changed rows get here, so this scan is rare.
  for (const auto& operation : m_store.list_operations(0)) {
    if (operation.kind == OperationKind::release && operation.status == OperationStatus::running &&
        operation.parameters.find("\"" + row.e164 + "\"") != std::string::npos) {
      return true;
    }
  }
  return false;
}

void ReconcileService::repair(const Plan& plan, Finding& finding, const std::string& operation_id) {
  const std::string& e164 = finding.e164;
  const std::string settled_by = "settled by reconcile " + operation_id + ": ";
  try {
    switch (plan.repair) {
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
      number.operation_id = plan.tag_operation;
      PoolNumber after = m_store.adopt_number(number);
      audit(e164, "", detail::audit_json(after));
      break;
    }
    case Repair::mark_released: {
      PoolNumber before = m_store.mark_released(e164, plan.row->provider_sid);
      auto after = m_store.find_number(e164);
      audit(e164, detail::audit_json(before), after ? detail::audit_json(*after) : "");
      break;
    }
    case Repair::complete_purchase: {
      PoolNumber after =
          m_store.complete_purchase(e164, *plan.owned, price_of(plan.row->country, plan.row->type));
      audit(e164, detail::audit_json(*plan.row), detail::audit_json(after));
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
      audit(e164, detail::audit_json(*plan.row), "");
      settle_items(e164, OperationKind::buy, plan.row->operation_id, ItemOutcome::failed,
                   settled_by + finding.detail);
      break;
    }
    case Repair::complete_release: {
      m_store.complete_release(e164);
      auto after = m_store.find_number(e164);
      audit(e164, detail::audit_json(*plan.row), after ? detail::audit_json(*after) : "");
      settle_items(e164, OperationKind::release, "", ItemOutcome::succeeded,
                   settled_by + "the provider no longer owns it");
      break;
    }
    case Repair::restore: {
      m_store.revert_release(e164, NumberStatus::available);
      auto after = m_store.find_number(e164);
      audit(e164, detail::audit_json(*plan.row), after ? detail::audit_json(*after) : "");
      settle_items(e164, OperationKind::release, "", ItemOutcome::failed,
                   settled_by + "the provider still owns it");
      break;
    }
    case Repair::store_provider_view: {
      PoolNumber after = m_store.record_provider_view(e164, plan.row->provider_sid,
                                                      plan.row->webhook, *plan.owned);
      audit(e164, detail::audit_json(*plan.row), detail::audit_json(after));
      break;
    }
    case Repair::none:
      return;
    }
  } catch (const Error& error) {
    // The row moved on since it was read (another vami process), or the provider reported
    // something the store refuses: leave it for the next run rather than force it.
    if (error.kind() != ErrorKind::conflict && error.kind() != ErrorKind::not_found &&
        error.kind() != ErrorKind::invalid_input) {
      throw;
    }
    finding.action = "skipped: " + std::string(error.what()) + "; run 'vami reconcile' again";
    finding.resolution = Resolution::unresolved;
    m_store.record_item({operation_id, e164, ItemOutcome::failed, to_string(error.kind()),
                         std::string(to_string(finding.kind)) + ": " + error.what()});
    return;
  }
  finding.action = done(plan.repair, finding.kind);
  finding.resolution = Resolution::repaired;
  m_store.record_item({operation_id, e164, ItemOutcome::succeeded, "",
                       std::string(to_string(finding.kind)) + ": " + finding.action});
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

void ReconcileService::audit(const std::string& entity_id, const std::string& before,
                             const std::string& after) {
  AuditEntry entry;
  entry.actor = m_actor;
  entry.command = k_command;
  entry.entity_type = "number";
  entry.entity_id = entity_id;
  entry.before_json = before;
  entry.after_json = after;
  m_store.append_audit(entry);
}

} // namespace vami
