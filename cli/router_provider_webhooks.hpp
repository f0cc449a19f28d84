#pragma once

#include <string>

#include "router_access_log.hpp"
#include "router_metrics.hpp"
#include "router_server.hpp"

#include <vami/core/call_router.hpp>
#include <vami/providers/router_webhooks.hpp>

namespace vami::cli {

/// What the router answers one request (the server copies it into its HTTP response).
struct RouterReply {
  int status = 200;
  std::string body;                              ///< Empty: no body (204).
  std::string content_type = "application/json"; ///< With a body.
};

/// A refusal or failure: `{"error": reason}` with `status`; the access log's `outcome` and
/// `reason` are set in `facts`.
[[nodiscard]] RouterReply refusal(int status, const std::string& outcome, const std::string& reason,
                                  RequestFacts& facts);

/// Stores a webhook's call in the call history (`CallRouter::record`): `ok_status` on success
/// (200 with `{"status":"ok"}`, or 204 without a body), 400 for a record without a call id, 500
/// when the state database fails (the provider then delivers again, and the upsert makes that
/// harmless). Fills `facts` (outcome "recorded", reason created/updated/unchanged, tenant, agent).
[[nodiscard]] RouterReply record_call(CallRouter& router, const CallRecord& call, int ok_status,
                                      RequestFacts& facts);

/// Answers one delivery of a provider's `webhook` (docs/guides/router.md), the same steps for
/// every provider: read the body (`RouterWebhook::read`; unreadable: 400
/// `unreadable_reason`), find whose it is (`CallRouter::owner_of`: 500 when the state database
/// cannot say), check its signature with that owner's secret only (`options.webhook_secrets`
/// for the platform, `account_webhook_secrets` for a tenant's account; refused with the
/// webhook's `refusal_status` and counted in `metrics`), unless `options.check_signatures` is
/// off; then record the call (`post_call`) or answer the provider's question (`inbound_call`:
/// `RouterWebhook::answer`, 503 when the router cannot decide). Fills the access log's `facts`
/// (route, ids, masked caller, outcome, reason).
[[nodiscard]] RouterReply answer_provider_webhook(const RouterWebhook& webhook,
                                                  const WebhookRequest& request,
                                                  const RouterServerOptions& options,
                                                  CallRouter& router, RouterMetrics& metrics,
                                                  RequestFacts& facts);

} // namespace vami::cli
