// `vami reconcile`: compare the state database with the provider accounts and repair the drift.
// The core reports findings as facts; every word the user reads is written here.
#include <iostream>
#include <map>

#include "app.hpp"
#include "profiles.hpp"
#include "router_accounts.hpp"
#include "routing_words.hpp"

#include <vami/core/reconcile_service.hpp>

namespace vami::cli {

namespace {

struct ReconcileOptions {
  bool apply = false;
};

constexpr const char* k_exit_rule =
    "Exit codes: 0 when nothing is left to do (everything in sync, or every finding repaired\n"
    "by --apply); 4 when drift remains: any finding without --apply (a number whose calls are\n"
    "not answered among them), or one that --apply leaves (an untagged orphan, an agent\n"
    "deleted outside vami or unknown to the database, a row still in flight, a row changed\n"
    "meanwhile, a repair a provider refused, a webhook number without --router-url, the\n"
    "router's post-call webhook deleted or disabled at ElevenLabs), or when vami's router (a\n"
    "router URL ending in /twilio/voice) does not answer GET /healthz while a number is routed\n"
    "by webhook or its post-call webhook is set up; 5 when credentials were rejected (nothing\n"
    "was changed), or when ELEVENLABS_API_KEY is not set while the database holds agents or\n"
    "numbers imported into ElevenLabs (the Twilio side still ran); 6 when a provider's listing\n"
    "failed (nothing was changed); 1 for a database failure; 130 when interrupted.\n"
    "Agents deleted outside vami are only reported: their numbers stay assigned to them (a\n"
    "tenant's number is never handed back to the pool behind its back). Unassign or move the\n"
    "numbers, then 'vami agents delete SLUG'.";

std::string quoted(const std::string& text) {
  return "\"" + text + "\"";
}

/// `agent "dr-smith" (tenant acme)`.
std::string agent_words(const std::string& slug, const std::string& tenant) {
  return "agent " + quoted(slug) + (tenant.empty() ? "" : " (tenant " + tenant + ")");
}

/// An agent at a voice-agent provider: its id, with the local slug when the database knows it.
std::string provider_agent_words(const std::string& agent_id, const std::string& slug) {
  return "agent " + agent_id + (slug.empty() ? "" : " (" + quoted(slug) + ")");
}

// Twilio defaults the voice method to POST, and the store keeps no method for an unset one.
std::string describe(const VoiceWebhook& webhook) {
  std::string method = webhook.voice_method.empty() ? "POST" : webhook.voice_method;
  std::string text =
      webhook.voice_url.empty() ? std::string("none") : webhook.voice_url + " (" + method + ")";
  if (!webhook.status_callback.empty()) {
    text += ", status callback " + webhook.status_callback;
  }
  return text;
}

/// Where the database says a number should ring at ElevenLabs.
std::string routing_target(const Finding& finding) {
  return finding.stored.empty() ? std::string("no agent") : quoted(finding.agent_slug);
}

/// What `apply` does for a repair, in the present ("adopt") or the past ("adopted").
enum class Tense { future, past };

std::string repair_words(const Finding& finding, Tense tense) {
  const bool past = tense == Tense::past;
  const std::string platform = platform_name(finding.agent_provider);
  switch (finding.repair) {
  case Repair::adopt:
    return past ? "adopted" : "adopt";
  case Repair::mark_released:
    return past ? "marked released" : "mark released";
  case Repair::complete_purchase:
    return past ? "completed purchase" : "complete purchase";
  case Repair::abandon_purchase:
    return past ? "abandoned purchase" : "abandon purchase";
  case Repair::complete_release:
    return past ? "completed release" : "complete release";
  case Repair::restore:
    return past ? "restored" : "restore";
  case Repair::store_provider_sid:
    return past ? "stored provider sid" : "store provider sid";
  case Repair::store_provider_webhook:
    return past ? "stored provider webhook" : "store provider webhook";
  case Repair::answer_out_of_service:
    return past ? "answers out of service again" : "point it at the out-of-service answer";
  case Repair::set_provider_agent:
    if (finding.stored.empty()) {
      return (past ? "unassigned at " : "unassign it at ") + platform;
    }
    return (past ? "routed to " : "route it to ") + routing_target(finding) + " at " + platform;
  case Repair::store_import_id:
    return (past ? "stored " : "store ") + platform + "'s id";
  case Repair::forget_import_id:
    return past ? "forgot the unknown id" : "forget the unknown id";
  case Repair::import_number:
    return (past ? "imported into " + platform + ", routed to "
                 : "import it into " + platform + ", route it to ") +
           routing_target(finding);
  case Repair::route_again:
    if (finding.routing_mode == RoutingMode::webhook) {
      return past ? "pointed its voice URL at the router again"
                  : "point its voice URL at the router again";
    }
    if (!finding.agent_provider.empty() && finding.agent_provider != "elevenlabs") {
      // Natively routed elsewhere, over a SIP trunk (Synthflow).
      return (past ? "routed again to " : "route it again to ") + quoted(finding.agent_slug) +
             " at " + platform + " (the SIP trunk, the import and its agent)";
    }
    return (past ? "imported into ElevenLabs again, which points its voice URL there, routed to "
                 : "import it into ElevenLabs again (which points its voice URL there), route it "
                   "to ") +
           quoted(finding.agent_slug);
  case Repair::clear_voice_url:
    return past ? "cleared its voice URL" : "clear its voice URL";
  case Repair::adopt_agent:
    return (past ? "adopted " : "adopt ") + finding.reported;
  case Repair::remove_agent_row:
    return past ? "removed the agent row" : "remove the agent row";
  case Repair::point_agent_webhooks:
    return (past ? "pointed its webhooks at the router at "
                 : "point its webhooks at the router at ") +
           platform;
  case Repair::forget_document:
    return past ? "removed from the database; add it again with 'vami kb add'"
                : "remove it from the database (add it again with 'vami kb add')";
  case Repair::adopt_document:
    return (past ? "adopted " : "adopt ") + finding.reported +
           (past ? " and attached it to the agent" : " and attach it to the agent");
  case Repair::forget_upload:
    return past ? "removed the record; add it again with 'vami kb add'"
                : "remove the record (add it again with 'vami kb add')";
  case Repair::delete_document:
    return (past ? "deleted at " : "delete it at ") + platform;
  case Repair::attach_post_call_webhook:
    return past ? "attached it again as ElevenLabs' post-call webhook"
                : "attach it again as ElevenLabs' post-call webhook";
  case Repair::none:
    break;
  }
  return "";
}

/// What was done, what `--apply` would do, or why nothing is done.
std::string action_words(const Finding& finding) {
  switch (finding.resolution) {
  case Resolution::none_needed:
    return "";
  case Resolution::would_repair:
    return "would " + repair_words(finding, Tense::future);
  case Resolution::repaired:
    return repair_words(finding, Tense::past);
  case Resolution::unresolved:
    break;
  }
  switch (finding.holdup) {
  case Holdup::not_vami:
    if (finding.kind == FindingKind::workspace_number_untracked) {
      return "left alone: import it with 'vami numbers import --provider " +
             finding.agent_provider + "'";
    }
    return "left alone: not bought by vami, never adopted";
  case Holdup::in_flight:
    return "left alone: in flight; run again once its command has finished (one whose "
           "process cannot be checked, such as one on another host, counts as running for " +
           std::to_string(k_in_flight_grace.count() / 60) + " min after its last change)";
  case Holdup::needs_person:
    switch (finding.kind) {
    case FindingKind::agent_ghost:
      return finding.assigned_numbers > 0
                 ? "left alone: unassign or move its numbers ('vami numbers unassign', 'vami "
                   "numbers reassign'), then 'vami agents delete " +
                       finding.agent_slug + "'"
                 : "left alone: 'vami agents delete " + finding.agent_slug +
                       "' removes it from the database";
    case FindingKind::stale_deleting:
      return "left alone: run 'vami agents delete " + finding.agent_slug + "' again to finish";
    default:
      return "left alone: not in the database; delete it at " +
             platform_name(finding.agent_provider) + " if nobody uses it";
    }
  case Holdup::agent_gone:
    return "left alone: its agent " + quoted(finding.agent_slug) + " is gone at " +
           platform_name(finding.agent_provider) + " (see that agent)";
  case Holdup::changed_meanwhile:
    return "skipped: " + finding.error + "; run 'vami reconcile' again";
  case Holdup::refused:
    return "failed: " + finding.error + "; run 'vami reconcile --apply' again";
  case Holdup::interrupted:
    return "not attempted: interrupted";
  case Holdup::no_router_url:
    return "left alone: the router URL is not configured; run 'vami router setup' (or pass "
           "--router-url, or set VAMI_ROUTER_URL) to repair it";
  case Holdup::needs_router_setup:
    return "left alone: run 'vami router setup --public-url URL' to create a new one (its "
           "secret is handed out once)";
  case Holdup::none:
    break;
  }
  return "";
}

/// What differs, for a person.
// " in tenant account 'NAME'" for a finding in a tenant's own account, else nothing.
std::string account_words(const Finding& finding) {
  return finding.account.empty() ? std::string() : " in tenant account '" + finding.account + "'";
}

std::string detail_words(const Finding& finding) {
  const bool in_flight = finding.holdup == Holdup::in_flight;
  switch (finding.kind) {
  case FindingKind::in_sync:
    return "";
  case FindingKind::webhook_drift:
    return "stored voice webhook " + describe(finding.stored_webhook) + ", the provider reports " +
           describe(finding.reported_webhook);
  case FindingKind::suspension_drift:
    return "suspended, but the provider's voice webhook is " + describe(finding.reported_webhook) +
           ", not the out-of-service answer";
  case FindingKind::sid_drift:
    return "stored provider id " + (finding.stored.empty() ? "none" : finding.stored) +
           ", the provider reports " + finding.reported;
  case FindingKind::orphan_tagged: {
    std::string text = "owned, not in the pool; tagged '" + finding.name + "'";
    if (!finding.tag_operation.empty() && finding.operation_id.empty()) {
      text += " (operation " + finding.tag_operation + " is not in this journal)";
    }
    return text;
  }
  case FindingKind::orphan_untagged:
    return "owned, not in the pool; friendly name '" + finding.name + "' carries no vami tag";
  case FindingKind::ghost: {
    std::string text =
        std::string("in the pool (") + (finding.status ? to_string(*finding.status) : "?") +
        ") but " +
        (finding.agent_provider.empty()
             ? std::string("the provider does not own it")
             : "the " + platform_name(finding.agent_provider) + " workspace no longer holds it");
    if (!finding.agent_slug.empty()) {
      text += "; assigned to " + agent_words(finding.agent_slug, finding.tenant_slug) +
              ", it rings nowhere";
    }
    return text;
  }
  case FindingKind::stale_purchasing: {
    std::string text =
        "purchase" + (finding.operation_id.empty() ? "" : " by operation " + finding.operation_id) +
        " never recorded; ";
    if (in_flight) {
      return text + "its operation is still running";
    }
    if (finding.repair == Repair::complete_purchase) {
      return text + "the provider owns it (" + finding.reported + ")";
    }
    return text + (finding.reported.empty()
                       ? std::string("the provider does not own it")
                       : "the provider owns it under '" + finding.reported + "', not a vami tag");
  }
  case FindingKind::stale_releasing:
    if (in_flight) {
      return "release never recorded; its operation is still running";
    }
    return finding.repair == Repair::complete_release
               ? "release never recorded; the provider no longer owns it"
               : "release never recorded; the provider still owns it";
  case FindingKind::agent_drift: {
    const std::string platform = platform_name(finding.agent_provider);
    const std::string at_platform =
        finding.reported.empty()
            ? std::string("no agent")
            : provider_agent_words(finding.reported, finding.reported_agent_slug);
    // The database is the source of truth for assignment; say so where it decides.
    const std::string decides =
        finding.holdup == Holdup::agent_gone ? "" : "; the database decides";
    if (finding.stored.empty() && finding.status == NumberStatus::assigned) {
      return "routed by webhook to " + agent_words(finding.agent_slug, finding.tenant_slug) +
             ", but its " + platform + " import still routes it to " + at_platform + decides;
    }
    if (finding.stored.empty()) {
      return "not assigned in the pool, but " + platform + " routes it to " + at_platform + decides;
    }
    return "assigned to " + agent_words(finding.agent_slug, finding.tenant_slug) +
           " in the database, " + platform + " routes it to " + at_platform + decides;
  }
  case FindingKind::import_drift: {
    const std::string platform = platform_name(finding.agent_provider);
    if (finding.reported.empty()) {
      return "the database's id " + finding.stored + " of its " + platform +
             " import is unknown there";
    }
    return finding.stored.empty()
               ? "imported into " + platform + " as " + finding.reported +
                     ", the database has no id for it"
               : "the database's id of its " + platform + " import is " + finding.stored + ", " +
                     platform + "'s is " + finding.reported;
  }
  case FindingKind::not_imported:
    return "assigned to " + agent_words(finding.agent_slug, finding.tenant_slug) +
           " with native routing, but not imported into " + platform_name(finding.agent_provider) +
           (finding.stored.empty()
                ? ""
                : " (the database's id " + finding.stored + " is unknown there)") +
           (in_flight ? "; assigned moments ago" : "");
  case FindingKind::voice_url_drift:
    if (finding.over_sip_trunk && finding.reported_sip_trunk.empty()) {
      return "assigned to " + agent_words(finding.agent_slug, finding.tenant_slug) +
             " with native routing, but it is on no SIP trunk at Twilio: calls to it never reach " +
             platform_name(finding.agent_provider);
    }
    if (finding.on_other_sip_trunk) {
      return "assigned to " + agent_words(finding.agent_slug, finding.tenant_slug) +
             " with native routing, but it is on SIP trunk " + finding.reported_sip_trunk +
             (finding.reported_sip_trunk_name.empty()
                  ? std::string()
                  : " (" + quoted(finding.reported_sip_trunk_name) + ")") +
             " at Twilio, not vami's trunk to " + platform_name(finding.agent_provider) +
             ": its calls go wherever that trunk sends them";
    }
    if (!finding.over_sip_trunk && !finding.reported_sip_trunk.empty()) {
      return std::string(finding.status == NumberStatus::assigned ? "assigned" : "not assigned") +
             ", but it is on SIP trunk " + finding.reported_sip_trunk +
             " at Twilio, so its voice URL is not used and its calls follow the trunk";
    }
    if (finding.status != NumberStatus::assigned) {
      return "not assigned, but its voice URL at Twilio still points at the router (" +
             describe(finding.reported_webhook) + "): calls reach an agent";
    }
    return "assigned to " + agent_words(finding.agent_slug, finding.tenant_slug) + " with " +
           (finding.routing_mode == RoutingMode::webhook ? "webhook" : "native") +
           " routing, but its voice URL at Twilio is " + describe(finding.reported_webhook) +
           ", not " +
           (finding.routing_mode == RoutingMode::webhook
                ? (finding.stored_webhook.voice_url.empty()
                       ? std::string("the router's for that agent")
                       : "the router's " + describe(finding.stored_webhook))
                : platform_name(finding.agent_provider) + "'s") +
           ": calls to it are not answered";
  case FindingKind::agent_ghost:
    return "agent " + quoted(finding.agent_slug) + " (tenant " + finding.tenant_slug + ", " +
           finding.provider_id + ") is gone at " + platform_name(finding.agent_provider) +
           ", deleted outside vami" +
           (finding.assigned_numbers > 0
                ? "; its " + std::to_string(finding.assigned_numbers) +
                      (finding.assigned_numbers == 1 ? " number rings" : " numbers ring") +
                      " nowhere"
                : "");
  case FindingKind::agent_orphan:
    return platform_name(finding.agent_provider) + " agent '" + finding.name +
           "' carries a vami tag, unknown to the database" +
           (finding.agent_slug.empty()
                ? ""
                : " (made for agent " + quoted(finding.agent_slug) +
                      (finding.tenant_slug.empty() ? "" : " of tenant " + finding.tenant_slug) +
                      ")");
  case FindingKind::stale_creating:
    if (in_flight) {
      return "creation never recorded; 'vami agents create' may still be running";
    }
    return finding.repair == Repair::adopt_agent
               ? "creation never recorded; " + platform_name(finding.agent_provider) +
                     " has it as " + finding.reported
               : "creation never recorded; " + platform_name(finding.agent_provider) +
                     " has no agent tagged vami-agent:" + finding.agent_slug;
  case FindingKind::stale_deleting:
    if (in_flight) {
      return "deletion never finished; 'vami agents delete' may still be running";
    }
    return finding.reported.empty()
               ? "deletion never finished; " + platform_name(finding.agent_provider) +
                     " no longer has it"
               : "deletion never finished; " + platform_name(finding.agent_provider) +
                     " still has it (" + finding.reported + ")";
  case FindingKind::agent_webhook_drift: {
    auto url = [](const std::string& text) { return text.empty() ? std::string("none") : text; };
    return platform_name(finding.agent_provider) + " agent " + quoted(finding.agent_slug) +
           "'s inbound webhook is " + url(finding.reported) + " and its post-call webhook " +
           url(finding.reported_post_call_url) + ", not the router's " + finding.stored + " and " +
           finding.stored_post_call_url +
           ": its calls miss the tenant's variables or the call history";
  }
  case FindingKind::document_ghost:
    return "document '" + finding.name + "' of " + agent_words(finding.agent_slug, "") +
           " is no longer in the agent's knowledge base at " +
           platform_name(finding.agent_provider) + " (deleted or detached outside vami)" +
           (in_flight ? "; added moments ago" : "");
  case FindingKind::document_uploading:
    return "the upload of '" + finding.name + "' for " + agent_words(finding.agent_slug, "") +
           " never recorded its answer; " + platform_name(finding.agent_provider) +
           (finding.reported.empty() ? " has no such document"
                                     : " has it (" + finding.reported + ")") +
           (in_flight ? "; started moments ago" : "");
  case FindingKind::document_orphan:
    return "document '" + finding.name + "' at " + platform_name(finding.agent_provider) +
           " was uploaded by vami, is unknown to the database and attached to "
           "no agent";
  case FindingKind::post_call_webhook_detached:
    return "ElevenLabs' post-call webhook" + account_words(finding) + " is " +
           (finding.reported.empty() ? std::string("none") : finding.reported) +
           ", not the router's: conversations no longer reach the call history";
  case FindingKind::workspace_number_untracked:
    return "held in the " + platform_name(finding.agent_provider) + " workspace (" +
           finding.provider_id + "), not in the pool" +
           (finding.reported.empty()
                ? std::string()
                : "; " + provider_agent_words(finding.reported, finding.reported_agent_slug) +
                      " answers it there");
  case FindingKind::post_call_webhook_gone: {
    std::string why = "is gone from the ElevenLabs workspace";
    if (finding.name == "disabled") {
      why = "is disabled at ElevenLabs";
    } else if (finding.name == "auto_disabled") {
      why = "was disabled by ElevenLabs after repeated failed deliveries";
    } else if (finding.name == "elsewhere") {
      why = "delivers to " + finding.reported + ", not the router's " + finding.stored;
    }
    return "the router's post-call webhook" + account_words(finding) + " " + why +
           ": conversations no longer reach the call history";
  }
  }
  return "";
}

/// What a finding (as JSON) is about, for the table: the number, the agent or the document.
std::string subject_words(const nlohmann::ordered_json& record) {
  const std::string subject = record.at("subject").get<std::string>();
  if (subject == "number") {
    return display(record.at("e164"));
  }
  if (subject == "agent" && record.at("kind") != "agent_orphan") {
    return "agent " + display(record.at("agent"));
  }
  if (subject == "post_call_webhook") {
    return "post-call webhook " + display(record.at("provider_id"));
  }
  return subject + " " + display(record.at("provider_id"));
}

nlohmann::ordered_json to_json(const Finding& finding) {
  nlohmann::ordered_json json;
  json["kind"] = to_string(finding.kind);
  json["subject"] = to_string(finding.subject);
  json["e164"] = text_or_null(finding.e164);
  json["provider_sid"] = text_or_null(finding.provider_sid);
  json["provider_id"] = text_or_null(finding.provider_id);
  json["account"] = text_or_null(finding.account);
  json["agent"] = text_or_null(finding.agent_slug);
  json["tenant"] = text_or_null(finding.tenant_slug);
  json["agent_provider"] = text_or_null(finding.agent_provider);
  json["detail"] = text_or_null(detail_words(finding));
  json["action"] = text_or_null(action_words(finding));
  json["repair"] = to_string(finding.repair);
  json["resolution"] = to_string(finding.resolution);
  json["holdup"] = finding.holdup == Holdup::none
                       ? nlohmann::ordered_json(nullptr)
                       : nlohmann::ordered_json(to_string(finding.holdup));
  return json;
}

// In-sync numbers are counted, not listed: a healthy pool of thousands prints one line.
nlohmann::ordered_json findings_json(const ReconcileReport& report) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const auto& finding : report.findings) {
    if (finding.kind != FindingKind::in_sync) {
      findings.push_back(to_json(finding));
    }
  }
  return findings;
}

nlohmann::ordered_json to_json(const ReconcileReport& report, const std::string& skipped_because) {
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  for (const auto& [kind, count] : report.counts) {
    counts[to_string(kind)] = count;
  }
  nlohmann::ordered_json json;
  json["applied"] = report.applied;
  json["operation_id"] = text_or_null(report.operation_id);
  json["in_sync"] = report.counts.at(FindingKind::in_sync);
  json["agents_in_sync"] = report.agents_in_sync;
  json["documents_in_sync"] = report.documents_in_sync;
  json["voice_agents"] = to_string(report.voice_agents);
  json["voice_agents_skipped_because"] = report.voice_agents == VoiceAgentCoverage::compared
                                             ? nlohmann::ordered_json(nullptr)
                                             : text_or_null(skipped_because);
  if (report.router_health) {
    const RouterHealth& health = *report.router_health;
    json["router"] = {{"health_url", health.url},
                      {"healthy", health.healthy},
                      {"http_status", health.http_status == 0
                                          ? nlohmann::ordered_json()
                                          : nlohmann::ordered_json(health.http_status)},
                      {"problem", text_or_null(health.problem)}};
  } else {
    json["router"] = nullptr;
  }
  json["settled"] = report.settled();
  json["interrupted"] = report.interrupted;
  json["findings"] = findings_json(report);
  json["counts"] = std::move(counts);
  return json;
}

std::string plural(int count, const std::string& one, const std::string& many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

std::string summary(const ReconcileReport& report) {
  std::string text = plural(report.counts.at(FindingKind::in_sync), "number", "numbers");
  // Agents and documents are named once there are any: a pool without agents reads as before.
  if (report.agents_in_sync + report.documents_in_sync > 0) {
    text += ", " + plural(report.agents_in_sync, "agent", "agents") + " and " +
            plural(report.documents_in_sync, "document", "documents");
  }
  text += " in sync";
  std::string kinds;
  int would_repair = 0;
  int repaired = 0;
  int unresolved = 0;
  for (const auto& [kind, count] : report.counts) {
    if (kind != FindingKind::in_sync && count > 0) {
      kinds += (kinds.empty() ? "" : ", ") + std::to_string(count) + " " + to_string(kind);
    }
  }
  for (const auto& finding : report.findings) {
    would_repair += finding.resolution == Resolution::would_repair ? 1 : 0;
    repaired += finding.resolution == Resolution::repaired ? 1 : 0;
    unresolved += finding.resolution == Resolution::unresolved ? 1 : 0;
  }
  const bool router_down = report.router_health && !report.router_health->healthy;
  if (kinds.empty()) {
    return text + (router_down ? "; the call router is down (below)" : "; nothing to do");
  }
  text += "; " + kinds;
  if (report.applied) {
    text += "; repaired " + std::to_string(repaired) + " (operation " + report.operation_id + ")";
  } else if (would_repair > 0) {
    text += "; 'vami reconcile --apply' would repair " + std::to_string(would_repair);
  }
  if (unresolved > 0) {
    text += "; " + std::to_string(unresolved) + " left as they are (see ACTION)";
  }
  return text;
}

void run_reconcile(AppContext& context, const ReconcileOptions& options) {
  if (options.apply) {
    AppContext::catch_interrupts();
  }
  // Behind their rate limiters and retries: a listing that fails once it runs out of retries
  // still fails the whole run before anything changes.
  TelephonyProvider& telephony = context.telephony();
  // A setup with Twilio credentials only has no voice-agent provider: the Twilio side still
  // runs, and the report says whether anything in the database needed the other one.
  std::string skipped_because;
  AgentProviders* agents = context.agent_providers_if_configured(skipped_because);
  // The webhook `vami router setup` created, as the profile remembers it.
  const Profile* profile = context.profile();
  ReconcileService service(telephony, agents, context.store(), context.actor(), k_in_flight_grace,
                           context.router_url(), &context.router_health(),
                           profile != nullptr ? profile->value(k_post_call_webhook_id)
                                              : std::string());
  // And those it created in tenants' own accounts, as their profiles remember them.
  std::map<std::string, std::string> account_webhooks;
  for (const Profile& held : read_config_file(config_file_path()).profiles) {
    if (!held.value(k_post_call_webhook_id).empty()) {
      account_webhooks[held.name] = held.value(k_post_call_webhook_id);
    }
  }
  service.check_account_webhooks(std::move(account_webhooks));
  ReconcileReport report =
      service.reconcile(options.apply ? ReconcileMode::apply : ReconcileMode::report,
                        [] { return AppContext::interrupted(); });
  switch (context.output_format()) {
  case OutputFormat::json:
    std::cout << to_json(report, skipped_because).dump(2) << '\n';
    break;
  case OutputFormat::csv:
  case OutputFormat::table:
    write_records(std::cout, context.output_format(), findings_json(report),
                  {field("KIND", "kind"), Column{"SUBJECT", subject_words},
                   field("DETAIL", "detail"), field("ACTION", "action")});
    break;
  }
  context.note(summary(report));
  // The side of the default provider, whose missing key skipped it.
  const AgentProviderDescriptor* skipped =
      find_agent_provider(registered_agent_providers(), context.agent_providers().default_name());
  const std::string side =
      "the " + (skipped != nullptr ? skipped->display_name : "voice-agent") + " side";
  if (report.voice_agents == VoiceAgentCoverage::skipped) {
    context.note(side +
                 " (agents, documents, imported numbers) was not compared, though the "
                 "database holds agents or imported numbers: " +
                 skipped_because);
  } else if (report.voice_agents == VoiceAgentCoverage::not_needed) {
    context.note(side +
                 " was not compared (nothing in the database depends on it): " + skipped_because);
  }
  if (report.router_health && !report.router_health->healthy) {
    context.note("the call router does not answer its health check at " +
                 report.router_health->url + " (" + report.router_health->problem +
                 "): calls to webhook-routed numbers reach no agent; start it with 'vami router "
                 "serve' (or check the proxy in front of it)");
  }
  if (report.interrupted) {
    throw BulkExit{ExitCode::interrupted};
  }
  if (report.voice_agents == VoiceAgentCoverage::skipped) {
    throw BulkExit{ExitCode::credentials};
  }
  if (!report.settled()) {
    throw BulkExit{ExitCode::conflict};
  }
}

} // namespace

void register_reconcile_command(CLI::App& app, AppContext& context) {
  auto options = std::make_shared<ReconcileOptions>();
  auto* command = app.add_subcommand(
      "reconcile",
      "Compare the state database with every number Twilio owns and with ElevenLabs' agents, "
      "documents and imported numbers, and check that calls to each assigned number reach its "
      "agent; --apply repairs the drift (it never buys or releases a number, nor creates or "
      "deletes an agent or a document)");
  command->add_flag(
      "--apply", options->apply,
      "Repair: adopt vami-tagged orphans, mark ghosts released, finish purchases, releases, "
      "agent creations and deletions left in flight, store the provider's webhook and SID, "
      "forget documents gone at ElevenLabs, attach the router's post-call webhook (the "
      "platform's and each tenant account's) again when another one replaced it, point Synthflow "
      "agents' webhooks at the router (when the router "
      "URL is known), and route numbers as the database says: their agent "
      "at ElevenLabs and their voice URL at Twilio (the database is the source of truth for "
      "assignment)");
  command->footer(k_exit_rule);
  command->callback([&context, options] { run_reconcile(context, *options); });
}

} // namespace vami::cli
