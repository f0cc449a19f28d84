#include "routing_words.hpp"

#include <vami/providers/agent_provider_registration.hpp>

namespace vami::cli {

namespace {

std::string voice_url_words(const VoiceWebhook& webhook) {
  return webhook.voice_url.empty() ? std::string("none") : "'" + webhook.voice_url + "'";
}

// The voice-agent platform of the number's agent, as people name it.
std::string platform_words(const RouteCheck& check) {
  return platform_name(check.route.agent ? check.route.agent->provider : "");
}

std::string fault_words(const RouteCheck& check, RoutingFault fault) {
  const DesiredRouting& desired = check.desired;
  const std::string platform = platform_words(check);
  const VoiceWebhook reported =
      check.observed.owned ? check.observed.owned->webhook : VoiceWebhook{};
  switch (fault) {
  case RoutingFault::not_owned:
    if (check.observed.workspace_number) {
      return "the " + platform_name(check.route.number.provider) +
             " workspace no longer holds the number (run 'vami reconcile')";
    }
    return "Twilio does not own the number (run 'vami reconcile')";
  case RoutingFault::no_voice_url:
    return "it has no voice URL at Twilio";
  case RoutingFault::wrong_voice_url:
    switch (desired.target) {
    case RoutingTarget::native:
      return "its voice URL at Twilio is " + voice_url_words(reported) + ", not " + platform +
             "'s (native routing)";
    case RoutingTarget::webhook:
      return "its voice URL at Twilio is " + voice_url_words(reported) + ", not " +
             (desired.voice_webhook.voice_url.empty()
                  ? std::string("the router's for agent ") + desired.provider_agent_id
                  : "the router's " + voice_url_words(desired.voice_webhook)) +
             " (webhook routing)";
    case RoutingTarget::none:
      return "it is not assigned, but its voice URL at Twilio still points at the router (" +
             voice_url_words(reported) + ")";
    }
    break;
  case RoutingFault::not_imported:
    return "it is not imported into " + platform;
  case RoutingFault::import_unassigned:
    if (check.observed.workspace_number) {
      return "no agent of the " + platform + " workspace has it as its number";
    }
    return "its " + platform + " import is assigned to no agent";
  case RoutingFault::import_other_agent:
    return std::string(check.observed.workspace_number
                           ? "in the " + platform + " workspace it is the number of agent "
                           : "its " + platform + " import routes to agent ") +
           (check.observed.imported ? check.observed.imported->agent_id : std::string("?")) +
           (desired.target == RoutingTarget::native ? ", not " + desired.provider_agent_id
                                                    : std::string());
  case RoutingFault::agent_missing:
    return "agent \"" + desired.agent_slug + "\" (" + desired.provider_agent_id + ") is gone at " +
           platform;
  case RoutingFault::agent_unroutable:
    return "its agent \"" + desired.agent_slug + "\" has no " + platform + " id";
  case RoutingFault::no_router_url:
    return "the router URL is not configured ('vami router setup', --router-url or "
           "VAMI_ROUTER_URL), so its voice URL was only checked to name its agent";
  case RoutingFault::not_on_sip_trunk:
    return "it is on no SIP trunk at Twilio, so its calls never reach " + platform +
           " (native routing over SIP; run 'vami reconcile --apply')";
  case RoutingFault::on_sip_trunk:
    return "it is on SIP trunk " + check.observed.owned->sip_trunk_id +
           " at Twilio, so its voice URL is not used and its calls follow the trunk (run 'vami "
           "reconcile --apply')";
  case RoutingFault::on_other_sip_trunk: {
    const AgentSipTrunk other = check.observed.other_sip_trunk.value_or(AgentSipTrunk{});
    return "it is on SIP trunk " + other.trunk_id +
           (other.name.empty() ? std::string() : " (\"" + other.name + "\")") +
           " at Twilio, not vami's trunk to " + platform +
           ", so its calls go wherever that trunk sends them (run 'vami reconcile --apply' to "
           "move it onto vami's trunk, or take it off the other trunk in the Twilio console)";
  }
  case RoutingFault::router_unhealthy: {
    const RouterHealth& health = check.observed.router_health.value_or(RouterHealth{});
    return "the router does not answer its health check at " + health.url + " (" + health.problem +
           "); start it with 'vami router serve'";
  }
  }
  return to_string(fault);
}

} // namespace

std::string platform_name(const std::string& provider) {
  const AgentProviderList& list = registered_agent_providers();
  const AgentProviderDescriptor* found =
      find_agent_provider(list, provider.empty() ? list.front()->name : provider);
  return found != nullptr ? found->display_name : provider;
}

std::vector<std::string> routing_problem_words(const RouteCheck& check) {
  std::vector<std::string> words;
  for (RoutingFault fault : check.faults) {
    words.push_back(fault_words(check, fault));
  }
  return words;
}

std::string join(const std::vector<std::string>& phrases) {
  std::string text;
  for (const auto& phrase : phrases) {
    text += (text.empty() ? "" : "; ") + phrase;
  }
  return text;
}

} // namespace vami::cli
