// The voice-agent providers' webhooks to the call router, one path for all: each provider's
// descriptor says how to read its body, check its signature and word its answer
// (providers/include/vami/providers/router_webhooks.hpp); whose secret checks it, what is
// recorded and what is answered is decided here, the same for every provider.
#include "router_provider_webhooks.hpp"

#include <map>
#include <memory>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>

namespace vami::cli {

namespace {

const char* upsert_word(CallUpsertResult result) {
  switch (result) {
  case CallUpsertResult::created:
    return "created";
  case CallUpsertResult::updated:
    return "updated";
  case CallUpsertResult::unchanged:
    return "unchanged";
  }
  return "unchanged";
}

// Whose secret checks a webhook about what `owner` names: the platform's for the platform's
// accounts, else that tenant account's own (empty when none is known). Never another's: the
// body is untrusted until checked, and it only says whose secret to use.
std::string secret_of(const CallOwner& owner, const std::string& key,
                      const RouterServerOptions& options) {
  const WebhookSecrets* secrets = &options.webhook_secrets;
  // Held while the secret is copied: the accounts' secrets may be read again meanwhile.
  std::shared_ptr<const std::map<std::string, WebhookSecrets>> now;
  if (!owner.account.empty()) {
    const std::map<std::string, WebhookSecrets>* accounts = &options.account_webhook_secrets;
    if (options.account_webhook_secrets_now) {
      now = options.account_webhook_secrets_now();
      accounts = now.get();
    }
    auto account = accounts->find(owner.account);
    if (account == accounts->end()) {
      return {};
    }
    secrets = &account->second;
  }
  auto found = secrets->find(key);
  return found == secrets->end() ? std::string() : found->second;
}

// The owner of what a webhook is about, or nothing (`failure` answered 500) when the state
// database cannot say.
template <typename Call>
std::optional<CallOwner> owner_of(CallRouter& router, const Call& call, RouterReply& failure,
                                  RequestFacts& facts) {
  try {
    return router.owner_of(call);
  } catch (const Error& error) {
    failure = refusal(500, "failed", "state_database", facts);
    facts.error = error.what();
    return std::nullopt;
  }
}

// What the access log says of the call a webhook is about.
void note_call(const RouterWebhook& webhook, const ReadWebhook& read,
               const RouterServerOptions& options, RequestFacts& facts) {
  if (webhook.kind == WebhookKind::post_call) {
    facts.conversation_id = read.call.conversation_id;
    facts.call_sid = read.call.call_sid;
    return;
  }
  facts.conversation_id = read.question.call_id;
  facts.from = options.log_caller_numbers ? read.question.from : mask_caller(read.question.from);
  facts.to = read.question.to;
}

RouterReply answer_question(const RouterWebhook& webhook, const ProviderCall& question,
                            CallRouter& router, RouterMetrics& metrics, RequestFacts& facts) {
  CallDecision decision = router.answer_provider_call(question);
  facts.outcome = to_string(decision.outcome);
  facts.tenant = decision.tenant_slug;
  facts.agent = decision.agent_slug;
  RouterReply reply;
  switch (decision.outcome) {
  case RouteOutcome::connected:
    metrics.count_routed(decision.tenant_slug);
    if (decision.agent_id_mismatch) {
      facts.reason = webhook.another_agent_reason; // the database wins, as for Twilio
    }
    reply.body = webhook.answer(decision);
    return reply;
  case RouteOutcome::rejected:
  case RouteOutcome::out_of_service:
    facts.outcome = to_string(RouteOutcome::rejected);
    facts.reason = decision.reject_reason ? to_string(*decision.reject_reason) : "";
    reply.body = webhook.answer(decision);
    return reply;
  case RouteOutcome::failed:
    break;
  }
  // The provider asks again (Synthflow up to 3 times, then hands the call to its default agent).
  reply = refusal(503, "failed", decision.failure ? to_string(*decision.failure) : "", facts);
  facts.error = decision.error_message;
  return reply;
}

} // namespace

RouterReply refusal(int status, const std::string& outcome, const std::string& reason,
                    RequestFacts& facts) {
  RouterReply reply;
  reply.status = status;
  reply.body = nlohmann::json{{"error", reason}}.dump();
  facts.outcome = outcome;
  facts.reason = reason;
  return reply;
}

RouterReply record_call(CallRouter& router, const CallRecord& call, int ok_status,
                        RequestFacts& facts) {
  try {
    CallUpsert upsert = router.record(call);
    facts.outcome = "recorded";
    facts.reason = upsert_word(upsert.result);
    facts.tenant = upsert.call.tenant_slug;
    facts.agent = upsert.call.agent_slug;
    RouterReply reply;
    reply.status = ok_status;
    if (ok_status == 200) {
      reply.body = R"({"status":"ok"})";
    }
    return reply;
  } catch (const Error& error) {
    const bool no_id = error.kind() == ErrorKind::invalid_input;
    RouterReply reply = refusal(no_id ? 400 : 500, no_id ? "refused" : "failed",
                                no_id ? "no_call_id" : "state_database", facts);
    facts.error = error.what();
    return reply;
  }
}

RouterReply answer_provider_webhook(const RouterWebhook& webhook, const WebhookRequest& request,
                                    const RouterServerOptions& options, CallRouter& router,
                                    RouterMetrics& metrics, RequestFacts& facts) {
  facts.route = webhook.route;
  ReadWebhook read;
  std::string unreadable;
  try {
    read = webhook.read(request.body);
  } catch (const Error& error) {
    unreadable = error.what();
  }
  const bool read_first = webhook.order == WebhookBodyOrder::read_then_signed;
  if (!unreadable.empty() && read_first) {
    RouterReply reply = refusal(400, "refused", webhook.unreadable_reason, facts);
    facts.error = unreadable;
    return reply;
  }
  if (read_first) {
    note_call(webhook, read, options, facts);
  }
  if (options.check_signatures) {
    RouterReply failure;
    // An unreadable body names no owner: the platform's secret checks it (and a signed one is
    // refused 400 below).
    std::optional<CallOwner> owner = !unreadable.empty() ? std::optional<CallOwner>(CallOwner{})
                                     : webhook.kind == WebhookKind::post_call
                                         ? owner_of(router, read.call, failure, facts)
                                         : owner_of(router, read.question, failure, facts);
    if (!owner) {
      return failure;
    }
    const std::string secret = secret_of(*owner, webhook.secret_key, options);
    std::string refused;
    if (secret.empty()) {
      refused = owner->account.empty() ? webhook.no_platform_secret_reason : "no_account_secret";
    } else {
      refused = webhook.verify(request, read, secret);
    }
    if (!refused.empty()) {
      metrics.count_signature_reject(webhook.route);
      return refusal(webhook.refusal_status, "forbidden", refused, facts);
    }
  }
  if (!unreadable.empty()) {
    RouterReply reply = refusal(400, "refused", webhook.unreadable_reason, facts);
    facts.error = unreadable;
    return reply;
  }
  if (!read_first) {
    note_call(webhook, read, options, facts);
  }
  if (webhook.kind == WebhookKind::inbound_call) {
    return answer_question(webhook, read.question, router, metrics, facts);
  }
  if (!read.ignored.empty()) {
    // Acknowledged (a refusal would count towards the provider disabling the webhook).
    facts.outcome = "ignored";
    facts.reason = read.ignored;
    RouterReply reply;
    reply.body = R"({"status":"ok"})";
    return reply;
  }
  return record_call(router, read.call, 200, facts);
}

} // namespace vami::cli
