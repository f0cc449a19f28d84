// Synthflow as a registered voice-agent provider (providers/agent_provider_list.cpp): its
// settings (an API key and the workspace it belongs to, a base URL or a region), how it is made,
// live or on the sandbox's emulator (/synthflow/v2), what vami says when its credentials are
// missing or half set, and its inbound and post-call webhooks to the call router.
#include "synthflow/emulator/synthflow_emulator.hpp"

#include <vami/core/document_file.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/provider_factory.hpp>
#include <vami/providers/synthflow_provider.hpp>
#include <vami/providers/synthflow_webhooks.hpp>

namespace vami {

namespace {

constexpr const char* k_api_key = "synthflow_api_key";
constexpr const char* k_workspace_id = "synthflow_workspace_id";
constexpr const char* k_webhook_secret = "synthflow_webhook_secret";

// What to set when Synthflow's key, its workspace or both are missing (`missing_hint`).
std::string missing_hint(const std::vector<std::string>& missing, const std::string& in_profile) {
  if (missing.size() == 2) {
    return "set SYNTHFLOW_API_KEY to an API key of the Synthflow workspace and "
           "SYNTHFLOW_WORKSPACE_ID to its id";
  }
  const bool from_profile = !in_profile.empty();
  if (missing.front() == (from_profile ? k_api_key : "SYNTHFLOW_API_KEY")) {
    return "set " + missing.front() + in_profile + " to an API key of the workspace " +
           (from_profile ? k_workspace_id : "SYNTHFLOW_WORKSPACE_ID") + " names";
  }
  return "set " + missing.front() + in_profile +
         " to the id of the Synthflow workspace the key belongs to";
}

// "ws_1 key ••••a1b2 (eu)": the workspace, its masked key and the region.
std::string summary(const std::function<std::optional<std::string>(const std::string&)>& shown) {
  const std::optional<std::string> workspace = shown(k_workspace_id);
  const std::optional<std::string> key = shown(k_api_key);
  if (!workspace && !key) {
    return "-";
  }
  std::string text = workspace && !workspace->empty() ? *workspace : std::string("-");
  if (key) {
    text += " key " + *key;
  }
  if (const std::optional<std::string> region = shown("synthflow_region")) {
    text += " (" + *region + ")";
  }
  return text;
}

// Synthflow signs the call id (base64 HMAC-SHA256, `HTTP_SYNTHFLOW_SIGNATURE`) with the
// workspace's webhook secret; a refusal is 401. Without a secret nothing can be checked, and an
// unchecked inbound webhook would hand any caller's tenant settings to whoever asks: the router
// refuses it unless signatures are off altogether.
std::string verify(const WebhookRequest& request, const std::string& call_id,
                   const std::string& secret) {
  std::string signature = request.header(synthflow::k_signature_header);
  if (signature.empty()) {
    signature = request.header(synthflow::k_signature_header_http);
  }
  switch (synthflow::check_webhook_signature(signature, call_id, request.body, secret)) {
  case synthflow::WebhookSignatureCheck::valid:
    return {};
  case synthflow::WebhookSignatureCheck::missing:
    return "missing_signature";
  case synthflow::WebhookSignatureCheck::mismatch:
    break;
  }
  return "bad_signature";
}

RouterWebhook signed_webhook(WebhookKind kind, const char* unreadable) {
  RouterWebhook webhook;
  webhook.route = router_webhook_route("synthflow", kind);
  webhook.kind = kind;
  webhook.order = WebhookBodyOrder::read_then_signed;
  webhook.secret_key = k_webhook_secret;
  webhook.refusal_status = 401;
  webhook.signature_header = synthflow::k_signature_header;
  webhook.unreadable_reason = unreadable;
  webhook.no_platform_secret_reason = "no_synthflow_secret";
  webhook.another_agent_reason = "model_id_names_another_agent";
  return webhook;
}

// The inbound webhook: which agent takes a call to a workspace number, with which variables.
RouterWebhook inbound_webhook() {
  RouterWebhook webhook = signed_webhook(WebhookKind::inbound_call, "not_an_inbound_webhook");
  webhook.help = "the tenant's variables for a call to a Synthflow agent's number, or the answer "
                 "that declines it";
  webhook.read = [](std::string_view body) {
    const synthflow::InboundWebhook inbound = synthflow::parse_inbound_webhook(body);
    ReadWebhook read;
    read.question = ProviderCall{"synthflow", inbound.call_id, inbound.from_number,
                                 inbound.to_number, inbound.agent_id};
    return read;
  };
  webhook.verify = [](const WebhookRequest& request, const ReadWebhook& read,
                      const std::string& secret) {
    return verify(request, read.question.call_id, secret);
  };
  webhook.answer = [](const CallDecision& decision) {
    if (decision.outcome != RouteOutcome::connected) {
      return synthflow::inbound_decline();
    }
    // The database wins, as for Twilio: another agent than the one called is named.
    return synthflow::inbound_answer(decision.agent_id_mismatch ? decision.provider_agent_id
                                                                : std::string(),
                                     decision.variables);
  };
  return webhook;
}

// The post-call webhook (each agent's `external_webhook_url`).
RouterWebhook post_call_webhook() {
  RouterWebhook webhook = signed_webhook(WebhookKind::post_call, "not_a_post_call_webhook");
  webhook.read = [](std::string_view body) {
    ReadWebhook read;
    read.call = synthflow::parse_post_call(body);
    return read;
  };
  webhook.verify = [](const WebhookRequest& request, const ReadWebhook& read,
                      const std::string& secret) {
    return verify(request, read.call.conversation_id, secret);
  };
  return webhook;
}

} // namespace

const AgentProviderDescriptor& synthflow_registration() {
  static const AgentProviderDescriptor descriptor = [] {
    AgentProviderDescriptor made;
    made.name = "synthflow";
    made.display_name = "Synthflow";
    ProviderSetting key;
    key.key = k_api_key;
    key.variable = "SYNTHFLOW_API_KEY";
    key.role = SettingRole::credential;
    key.secrecy = Secrecy::secret;
    key.help = "The Synthflow API key (agents --provider synthflow, knowledge, voices), with "
               "SYNTHFLOW_WORKSPACE_ID.";
    key.noun = "API key";
    key.prompt = "Synthflow API key of workspace {account} (not shown)";
    ProviderSetting workspace;
    workspace.key = k_workspace_id;
    workspace.variable = "SYNTHFLOW_WORKSPACE_ID";
    workspace.role = SettingRole::credential;
    workspace.help = "The Synthflow workspace (its voices and numbers).";
    workspace.flag_help =
        "Synthflow workspace id (its API key is asked, or read from SYNTHFLOW_API_KEY)";
    workspace.type_name = "ID";
    workspace.names_the_account = true;
    workspace.noun = "workspace";
    ProviderSetting base_url;
    base_url.key = "synthflow_base_url";
    base_url.variable = "VAMI_SYNTHFLOW_BASE_URL";
    base_url.role = SettingRole::option;
    base_url.help = "Replaces https://api.synthflow.ai/v2.";
    base_url.flag_help = "Synthflow API base URL, ending in /v2 (unset: the region's)";
    ProviderSetting region;
    region.key = "synthflow_region";
    region.variable = "VAMI_SYNTHFLOW_REGION";
    region.role = SettingRole::option;
    region.help = "The Synthflow region: us (api.us.synthflow.ai) or eu (api.eu.synthflow.ai).";
    region.flag_help = "Synthflow region: us or eu (unset: the global API)";
    region.choices = {"us", "eu"};
    region.not_a_choice = "is not a Synthflow region (us or eu; leave it unset for the global API)";
    ProviderSetting webhook_secret;
    webhook_secret.key = k_webhook_secret;
    webhook_secret.variable = "VAMI_SYNTHFLOW_WEBHOOK_SECRET";
    webhook_secret.role = SettingRole::webhook;
    webhook_secret.secrecy = Secrecy::secret;
    webhook_secret.help = "The Synthflow workspace's webhook secret, which checks Synthflow's "
                          "inbound and post-call webhooks (router serve).";
    webhook_secret.noun = "webhook secret";
    webhook_secret.prompt = "Synthflow webhook secret (not shown; empty for none)";
    webhook_secret.router_unset =
        "no VAMI_SYNTHFLOW_WEBHOOK_SECRET (nor synthflow_webhook_secret in the profile): "
        "Synthflow's webhooks (/synthflow/inbound, /synthflow/post-call) are refused with 401; "
        "generate the secret in Synthflow (Settings > Security > Webhooks) and set it";
    webhook_secret.account_unset =
        "Synthflow's webhooks about its tenants are refused; generate it in that Synthflow "
        "account (Settings > Security > Webhooks) and add it to the profile";
    made.settings = {key, workspace, base_url, region, webhook_secret};
    made.description = "(Synthflow agents: knowledge as text or URL; numbers natively, over a "
                       "Twilio SIP trunk)";
    made.short_description = "(native routing, over a Twilio SIP trunk vami sets up)";
    made.webhooks = {inbound_webhook(), post_call_webhook()};
    made.make = [](const AgentProviderConnection& connection) {
      return make_synthflow_provider(connection.settings, *connection.http);
    };
    made.missing_hint = missing_hint;
    made.sandbox_settings = [](const SandboxAccount& account) {
      // Derived from the sandbox account's auth token: what its emulator accepts, and the
      // secret that signs the sandbox workspace's webhooks (Settings > Security > Webhooks; no
      // API reads it, so `sandbox serve` exports it and `router serve` reads it).
      return std::vector<std::pair<std::string, std::string>>{
          {"synthflow_base_url", account.base_url + std::string(sandbox::k_synthflow_prefix)},
          {k_api_key, "sf_" + sha256_hex("synthflow-api-key:" + account.auth_token).substr(0, 40)},
          {k_workspace_id,
           "ws_" + sha256_hex("synthflow-workspace:" + account.auth_token).substr(0, 24)},
          // The router checks the emulator's webhooks with it (no API gives it).
          {k_webhook_secret, sha256_hex("synthflow-webhook-secret:" + account.auth_token)},
      };
    };
    made.make_emulator = [](const sandbox::EmulatorContext& context) {
      return std::unique_ptr<sandbox::AgentProviderEmulator>(
          std::make_unique<sandbox::SynthflowSandbox>(context));
    };
    made.summary = summary;
    return made;
  }();
  return descriptor;
}

} // namespace vami
