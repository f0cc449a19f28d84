// `vami webhooks`: the voice webhook the telephony provider calls when a pool number rings.
#include <algorithm>
#include <iostream>

#include "app.hpp"
#include "routing_words.hpp"

namespace vami::cli {

namespace {

struct SetOptions {
  std::string number;
  std::string voice_url;
  std::string voice_method = "POST";
  std::string status_callback;
  bool allow_http = false;
};

nlohmann::ordered_json webhook_json(const std::string& e164, const VoiceWebhook& webhook) {
  nlohmann::ordered_json json;
  json["e164"] = e164;
  json["voice_url"] = text_or_null(webhook.voice_url);
  json["voice_method"] = text_or_null(webhook.voice_method);
  json["status_callback"] = text_or_null(webhook.status_callback);
  return json;
}

} // namespace

void register_webhooks_commands(CLI::App& app, AppContext& context) {
  auto* webhooks = app.add_subcommand("webhooks", "Voice webhooks of pool numbers");
  webhooks->require_subcommand(1);

  auto set = std::make_shared<SetOptions>();
  auto* set_command = webhooks->add_subcommand(
      "set", "Set the URL the provider calls when a number rings, then read it back");
  set_command->add_option("number", set->number, "Phone number, E.164")->required();
  set_command->add_option("--voice-url", set->voice_url, "Voice webhook URL (https)")
      ->required()
      ->type_name("URL");
  set_command->add_option("--voice-method", set->voice_method, "HTTP method of the voice webhook")
      ->capture_default_str()
      ->check(CLI::IsMember({"POST", "GET"}));
  set_command->add_option("--status-callback", set->status_callback, "Call status callback URL")
      ->type_name("URL");
  set_command->add_flag("--allow-http", set->allow_http,
                        "Accept plain http URLs (test endpoints only)");
  context.stops_after_step(set_command); // changes providers: see cli/signals.hpp
  set_command->callback([&context, set] {
    VoiceWebhook webhook{set->voice_url, set->voice_method, set->status_callback};
    PoolNumber number = context.pool().set_webhook(set->number, webhook, set->allow_http);
    write_object(std::cout, context.output_format(), webhook_json(number.e164, number.webhook));
    context.note("voice webhook of " + number.e164 + " set and verified at " +
                 context.providers().telephony().name());
  });

  auto show_number = std::make_shared<std::string>();
  auto* show_command = webhooks->add_subcommand(
      "show", "Show a number's voice webhook as the provider reports it, and whether it is the "
              "one the number's routing needs");
  show_command->add_option("number", *show_number, "Phone number, E.164")->required();
  show_command->callback([&context, show_number] {
    std::string why;
    AgentProviders* agents = context.agent_providers_if_configured(why);
    RouteCheck check = check_route(context.telephony(), agents, context.store(),
                                   context.router_url(), *show_number);
    if (!check.observed.owned) {
      throw Error(ErrorKind::uncertain,
                  check.route.number.e164 + " is in the pool but the provider does not report it",
                  "run 'vami reconcile'");
    }
    // In sync: stored as the provider has it, and what the number's routing needs.
    const bool voice_url_right =
        std::none_of(check.faults.begin(), check.faults.end(), [](RoutingFault fault) {
          return fault == RoutingFault::no_voice_url || fault == RoutingFault::wrong_voice_url;
        });
    const PoolNumber& number = check.route.number;
    nlohmann::ordered_json json = webhook_json(number.e164, check.observed.owned->webhook);
    json["in_sync"] = check.stored_webhook_current && voice_url_right;
    json["stored_voice_url"] = text_or_null(number.webhook.voice_url);
    write_object(std::cout, context.output_format(), json);
    if (!voice_url_right) {
      context.note(std::string(number.status == NumberStatus::assigned
                                   ? "calls to " + number.e164 + " are not answered: "
                                   : number.e164 + ": ") +
                   join(routing_problem_words(check)) +
                   "; repair it with 'vami reconcile --apply'");
    } else if (!check.stored_webhook_current) {
      context.note("the state database differs from the provider for " + number.e164 +
                   "; set it again with 'vami webhooks set' or run 'vami reconcile'");
    }
  });
}

} // namespace vami::cli
