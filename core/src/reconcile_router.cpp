// `vami reconcile`: the post-call webhook `vami router setup` attached for the call router (the
// workspace webhook and the Agents Platform's post-call setting, ElevenLabs
// `GET /v1/workspace/webhooks` and `GET|PATCH /v1/convai/settings`), compared and repaired.

#include "reconcile_internal.hpp"

#include <vami/core/router_setup_service.hpp>

namespace vami {

using namespace reconcile_detail;

std::vector<ReconcileService::Plan>
ReconcileService::classify_post_call_webhook(const VoiceView& voice) {
  std::vector<Plan> plans;
  const std::optional<RouterEndpoints> router = endpoints_of_router_url(m_router_url);
  for (const auto& [account, workspace] : voice.post_call_workspaces) {
    Plan plan;
    Finding& finding = plan.finding;
    finding.subject = Subject::post_call_webhook;
    finding.provider_id = workspace.webhook_id;
    finding.account = account;
    finding.stored =
        router ? router->post_call_url_of(RouterSetupService::k_post_call_provider) : std::string();

    auto webhook = std::find_if(
        workspace.webhooks.begin(), workspace.webhooks.end(),
        [&](const WorkspaceWebhook& listed) { return listed.webhook_id == workspace.webhook_id; });
    const bool delivers_to_router = webhook != workspace.webhooks.end() && !webhook->disabled &&
                                    !webhook->auto_disabled &&
                                    (finding.stored.empty() || webhook->url == finding.stored);
    if (!delivers_to_router) {
      finding.kind = FindingKind::post_call_webhook_gone;
      finding.reported = webhook == workspace.webhooks.end() ? std::string() : webhook->url;
      finding.name =
          webhook == workspace.webhooks.end()
              ? std::string("gone")
              : (webhook->auto_disabled
                     ? std::string("auto_disabled")
                     : (webhook->disabled ? std::string("disabled") : std::string("elsewhere")));
      finding.resolution = Resolution::unresolved;
      finding.holdup = Holdup::needs_router_setup;
      plans.push_back(std::move(plan));
      continue;
    }
    if (workspace.post_call.webhook_id == workspace.webhook_id) {
      continue;
    }
    finding.kind = FindingKind::post_call_webhook_detached;
    finding.reported = workspace.post_call.webhook_id;
    finding.repair = Repair::attach_post_call_webhook;
    finding.resolution = Resolution::would_repair;
    plans.push_back(std::move(plan));
  }
  return plans;
}

void ReconcileService::repair_post_call_webhook(const Plan& plan) {
  const Finding& finding = plan.finding;
  // Conditional on the setting as it was read: another webhook attached meanwhile (a second
  // `vami router setup`, a person) is left to the next run.
  const PostCallWebhookSettings before = at_provider([&] {
    return m_agents->in_account(RouterSetupService::k_post_call_provider, finding.account)
        .post_call_webhook();
  });
  if (before.webhook_id != finding.reported) {
    throw Error(ErrorKind::conflict, "the post-call webhook setting changed meanwhile (now \"" +
                                         before.webhook_id + "\")");
  }
  PostCallWebhookSettings wanted;
  wanted.webhook_id = finding.provider_id;
  wanted.events = router_post_call_events();
  const PostCallWebhookSettings after = at_provider([&] {
    return m_agents->in_account(RouterSetupService::k_post_call_provider, finding.account)
        .set_post_call_webhook(wanted);
  });
  // As `vami router setup` records an attachment it changes.
  audit("webhook", finding.provider_id,
        detail::webhook_audit_json(before.webhook_id, "", before.events),
        detail::webhook_audit_json(after.webhook_id, finding.stored, after.events));
}

} // namespace vami
