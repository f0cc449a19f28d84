// The words of `vami reconcile`'s findings, repairs and holdups (reconcile_service.hpp).

#include "reconcile_internal.hpp"

namespace vami {

using namespace reconcile_detail;

const char* to_string(Subject subject) noexcept {
  switch (subject) {
  case Subject::number:
    return "number";
  case Subject::agent:
    return "agent";
  case Subject::document:
    return "document";
  case Subject::post_call_webhook:
    return "post_call_webhook";
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
  case FindingKind::agent_webhook_drift:
    return "agent_webhook_drift";
  case FindingKind::document_ghost:
    return "document_ghost";
  case FindingKind::document_uploading:
    return "document_uploading";
  case FindingKind::document_orphan:
    return "document_orphan";
  case FindingKind::post_call_webhook_detached:
    return "post_call_webhook_detached";
  case FindingKind::post_call_webhook_gone:
    return "post_call_webhook_gone";
  case FindingKind::workspace_number_untracked:
    return "workspace_number_untracked";
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
  case Repair::point_agent_webhooks:
    return "point_agent_webhooks";
  case Repair::forget_document:
    return "forget_document";
  case Repair::adopt_document:
    return "adopt_document";
  case Repair::forget_upload:
    return "forget_upload";
  case Repair::delete_document:
    return "delete_document";
  case Repair::attach_post_call_webhook:
    return "attach_post_call_webhook";
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
  case Holdup::needs_router_setup:
    return "needs_router_setup";
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

} // namespace vami
