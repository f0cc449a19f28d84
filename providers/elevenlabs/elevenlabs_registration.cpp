// ElevenLabs Agents as a registered voice-agent provider (providers/agent_provider_list.cpp):
// its settings, how it is made, live or on the sandbox, what vami says when its key is missing,
// and its post-call webhook to the call router.
#include "elevenlabs/emulator/elevenlabs_emulator.hpp"
#include "missing_credentials.hpp"

#include <vami/core/document_file.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/elevenlabs_provider.hpp>
#include <vami/providers/elevenlabs_webhooks.hpp>
#include <vami/providers/provider_factory.hpp>

namespace vami {

namespace {

std::unique_ptr<VoiceAgentProvider> make(const AgentProviderConnection& connection) {
  const std::string base_url = connection.settings.setting("elevenlabs_base_url");
  if (!base_url.empty() && url_scheme(base_url) == UrlScheme::other) {
    throw Error(ErrorKind::invalid_input,
                "VAMI_ELEVENLABS_BASE_URL '" + base_url + "' is not an http(s) URL",
                "set it to a base URL such as https://api.elevenlabs.io");
  }
  elevenlabs::ElevenLabsConfig config;
  config.api_key = connection.settings.setting("elevenlabs_api_key");
  if (!base_url.empty()) {
    config.base_url = base_url;
  }
  while (!config.base_url.empty() && config.base_url.back() == '/') {
    config.base_url.pop_back();
  }
  // Numbers are imported with the Twilio credentials in use.
  config.twilio_sid = connection.twilio_username;
  config.twilio_token = connection.twilio_password;
  config.twilio_account_auth_token = connection.twilio_account_auth_token;
  return elevenlabs::make_elevenlabs_provider(std::move(config), *connection.http);
}

Error missing(const ProviderSettings& settings, const AgentProviderList& list) {
  using namespace credentials;
  Others others = others_than(settings, "elevenlabs", list);
  std::string what = "no ElevenLabs API key" + and_in_profile(settings) +
                     "ELEVENLABS_API_KEY is not set" + why_no_sandbox(others.set);
  std::string hint = "set ELEVENLABS_API_KEY to the key of the ElevenLabs account" +
                     or_write_the_profile(settings, "it") +
                     to_use_the_sandbox(others.variables, others.from_profile);
  return Error(ErrorKind::auth, what, hint);
}

// The post-call webhook (`vami router setup` creates it in the workspace): signed over the raw
// body with a timestamp (`ElevenLabs-Signature`), refused 403.
RouterWebhook post_call_webhook() {
  RouterWebhook webhook;
  webhook.route = router_webhook_route("elevenlabs", WebhookKind::post_call);
  webhook.kind = WebhookKind::post_call;
  webhook.order = WebhookBodyOrder::signed_then_read;
  webhook.secret_key = "elevenlabs_webhook_secret";
  webhook.refusal_status = 403;
  webhook.signature_header = "ElevenLabs-Signature";
  webhook.unreadable_reason = "not_a_post_call_event";
  webhook.no_platform_secret_reason = "no_account_secret";
  webhook.read = [](std::string_view body) {
    elevenlabs::PostCallEvent event = elevenlabs::parse_post_call_event(body);
    ReadWebhook read;
    read.call = std::move(event.call);
    // Acknowledged (a non-200 counts towards ElevenLabs disabling the webhook), not stored.
    if (event.type == elevenlabs::PostCallEventType::audio ||
        event.type == elevenlabs::PostCallEventType::other) {
      read.ignored = event.type_name;
    }
    return read;
  };
  webhook.verify = [](const WebhookRequest& request, const ReadWebhook&,
                      const std::string& secret) {
    const elevenlabs::WebhookSignatureCheck check = elevenlabs::check_webhook_signature(
        request.header("ElevenLabs-Signature"), request.body, secret, request.now_unix);
    return check == elevenlabs::WebhookSignatureCheck::valid
               ? std::string()
               : std::string(elevenlabs::to_string(check)) + "_signature";
  };
  return webhook;
}

} // namespace

const AgentProviderDescriptor& elevenlabs_registration() {
  static const AgentProviderDescriptor descriptor = [] {
    AgentProviderDescriptor made;
    made.name = "elevenlabs";
    made.display_name = "ElevenLabs";
    ProviderSetting key;
    key.key = "elevenlabs_api_key";
    key.variable = "ELEVENLABS_API_KEY";
    key.role = SettingRole::credential;
    key.secrecy = Secrecy::secret;
    key.help = "The ElevenLabs API key (agents, knowledge base, voices).";
    key.noun = "API key";
    key.prompt = "ElevenLabs API key (not shown; empty for none)";
    ProviderSetting base_url;
    base_url.key = "elevenlabs_base_url";
    base_url.variable = "VAMI_ELEVENLABS_BASE_URL";
    base_url.role = SettingRole::option;
    base_url.help = "Replaces https://api.elevenlabs.io.";
    base_url.flag_help = "ElevenLabs API base URL";
    ProviderSetting webhook_secret;
    webhook_secret.key = "elevenlabs_webhook_secret";
    webhook_secret.variable = "VAMI_ELEVENLABS_WEBHOOK_SECRET";
    webhook_secret.role = SettingRole::webhook;
    webhook_secret.secrecy = Secrecy::secret;
    webhook_secret.help = "The secret that checks ElevenLabs' post-call webhooks (router serve).";
    webhook_secret.noun = "webhook secret";
    webhook_secret.router_unset =
        "no ElevenLabs webhook secret: the router cannot check post-call webhooks";
    webhook_secret.router_unset_hint =
        "set VAMI_ELEVENLABS_WEBHOOK_SECRET to the secret ElevenLabs gave when the HMAC webhook "
        "was created, or put elevenlabs_webhook_secret in the profile";
    webhook_secret.account_unset = "post-call webhooks of its agents are refused; run 'vami "
                                   "router setup'";
    // Written by `vami router setup` with the secret; no variable.
    ProviderSetting webhook_id;
    webhook_id.key = "elevenlabs_webhook_id";
    webhook_id.role = SettingRole::webhook;
    webhook_id.help = "The ElevenLabs post-call webhook 'vami router setup' made.";
    webhook_id.noun = "webhook";
    made.settings = {key, base_url, webhook_secret, webhook_id};
    made.description = "(ElevenLabs Agents)";
    made.webhooks = {post_call_webhook()};
    made.make = make;
    made.missing = missing;
    made.sandbox_settings = [](const SandboxAccount& account) {
      // Derived from the sandbox account's auth token: the key its emulator accepts.
      return std::vector<std::pair<std::string, std::string>>{
          {"elevenlabs_base_url", account.base_url},
          {"elevenlabs_api_key",
           "sk_" + sha256_hex("elevenlabs-api-key:" + account.auth_token).substr(0, 48)},
      };
    };
    made.make_emulator = [](const sandbox::EmulatorContext& context) {
      return std::unique_ptr<sandbox::AgentProviderEmulator>(
          std::make_unique<sandbox::ElevenLabsSandbox>(context));
    };
    return made;
  }();
  return descriptor;
}

} // namespace vami
