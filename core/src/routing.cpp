// Desired routing: what the providers must hold for calls to a pool number to go where its row
// says, how to compare it with what they report, and how to make them hold it. Assign,
// reassign, unassign, reconcile, `route` and `webhooks show` all go through here, so that a
// number's history (an earlier routing mode, an import made long ago, a voice URL changed by
// hand) cannot leave it routed differently from what any of them reports.
#include <algorithm>

#include <vami/core/error.hpp>
#include <vami/core/router_endpoints.hpp>
#include <vami/core/routing.hpp>

namespace vami {

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return !prefix.empty() && text.compare(0, prefix.size(), prefix) == 0;
}

// Twilio defaults the voice method to POST; the store keeps none for an unset one. A status
// callback is compared only when the routing wants one (vami's router records call statuses).
bool same_voice_target(const VoiceWebhook& wanted, const VoiceWebhook& reported) {
  auto method = [](const std::string& text) { return text.empty() ? std::string("POST") : text; };
  return wanted.voice_url == reported.voice_url &&
         method(wanted.voice_method) == method(reported.voice_method) &&
         (wanted.status_callback.empty() || wanted.status_callback == reported.status_callback);
}

// Whether a router URL carries `agent_id=<id>` as a query parameter (`router_webhook`).
bool names_agent(const std::string& voice_url, const std::string& provider_agent_id) {
  const std::string parameter = "agent_id=" + provider_agent_id;
  for (auto at = voice_url.find(parameter); at != std::string::npos;
       at = voice_url.find(parameter, at + 1)) {
    const char before = at == 0 ? '\0' : voice_url[at - 1];
    const std::size_t end = at + parameter.size();
    if ((before == '?' || before == '&') && (end == voice_url.size() || voice_url[end] == '&')) {
      return true;
    }
  }
  return false;
}

// The voice-agent provider's import of `e164`, re-read after a lost answer or a 409.
std::optional<ImportedNumber> find_import(VoiceAgentProvider& agents, const std::string& e164) {
  for (ImportedNumber& imported : agents.list_imported_numbers()) {
    if (imported.e164 == e164) {
      return std::move(imported);
    }
  }
  return std::nullopt;
}

std::string import_number(VoiceAgentProvider& agents, const std::string& e164) {
  try {
    return agents.import_number(e164, "vami pool " + e164).phone_number_id;
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::rate_limited) {
      throw;
    }
    // Imported already (by an earlier attempt whose answer was lost, or by hand): reuse it.
    if (std::optional<ImportedNumber> imported = find_import(agents, e164)) {
      return imported->phone_number_id;
    }
    throw;
  }
}

// The error for an assignment of the number's import whose answer was lost (`unavailable`).
Error assignment_uncertain(const DesiredRouting& desired, const PoolNumber& row,
                           const Error& error) {
  return Error(ErrorKind::uncertain,
               "the voice-agent provider may or may not route " + row.e164 + " to agent \"" +
                   desired.agent_slug + "\" now: " + error.what(),
               "the database records the assignment; run 'vami reconcile --apply' to make the "
               "provider follow it");
}

// Assigns the row's import to `agent_id`, importing the number first when the row records no
// import, and once more when the provider no longer knows the recorded one.
void assign_import(VoiceAgentProvider& agents, StateStore& store, const DesiredRouting& desired,
                   PoolNumber& row) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (row.agent_phone_number_id.empty()) {
      row.agent_phone_number_id = import_number(agents, row.e164);
      store.set_agent_phone_number_id(row.e164, row.agent_phone_number_id);
    }
    try {
      agents.set_number_agent(row.agent_phone_number_id, desired.provider_agent_id);
      return;
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::unavailable) {
        throw assignment_uncertain(desired, row, error);
      }
      // The import was removed outside vami: import the number again, once.
      if (error.kind() != ErrorKind::not_found || attempt > 0) {
        throw;
      }
      store.set_agent_phone_number_id(row.e164, "");
      row.agent_phone_number_id.clear();
    }
  }
}

// The number as the telephony provider reports it now; its voice webhook is stored.
OwnedNumber read_back(TelephonyProvider& telephony, StateStore& store,
                      const DesiredRouting& desired, PoolNumber& row) {
  std::optional<OwnedNumber> owned;
  try {
    owned = telephony.find_owned(row.e164);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::storage) {
      throw;
    }
    throw Error(ErrorKind::uncertain,
                row.e164 + " is assigned to agent \"" + desired.agent_slug +
                    "\" at the voice-agent provider, but its voice URL could not be read back "
                    "from the telephony provider: " +
                    error.what(),
                "run 'vami route " + row.e164 +
                    "' or 'vami reconcile' to check that its calls "
                    "are answered");
  }
  if (!owned) {
    throw Error(ErrorKind::uncertain,
                row.e164 + " is in the pool but the telephony provider does not report it",
                "run 'vami reconcile'");
  }
  store.update_webhook(row.e164, owned->webhook);
  row.webhook = owned->webhook;
  return *owned;
}

// A number on a SIP trunk has its calls follow the trunk: routing by voice URL takes it off.
void leave_sip_trunk(TelephonyProvider& telephony, const OwnedNumber& owned) {
  if (!owned.sip_trunk_id.empty()) {
    telephony.remove_from_sip_trunk(owned.provider_sid, owned.sip_trunk_id);
  }
}

void enact_native(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
                  const DesiredRouting& desired, PoolNumber& row) {
  assign_import(agents, store, desired, row);
  OwnedNumber owned = read_back(telephony, store, desired, row);
  leave_sip_trunk(telephony, owned);
  if (agents.answers_voice_url(owned.webhook.voice_url)) {
    return;
  }
  // The provider sets the voice URL when it imports a number, and only then: an import made
  // before the number was routed by webhook (or before someone changed its voice URL) does not
  // answer its calls. Importing it again points the voice URL back.
  try {
    agents.remove_imported_number(row.agent_phone_number_id);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::not_found) {
      throw;
    }
  }
  store.set_agent_phone_number_id(row.e164, "");
  row.agent_phone_number_id.clear();
  assign_import(agents, store, desired, row);
  owned = read_back(telephony, store, desired, row);
  if (!agents.answers_voice_url(owned.webhook.voice_url)) {
    throw Error(ErrorKind::uncertain,
                row.e164 + " is assigned to agent \"" + desired.agent_slug +
                    "\" at the voice-agent provider, but its voice URL at the telephony provider "
                    "is " +
                    (owned.webhook.voice_url.empty() ? std::string("empty")
                                                     : "'" + owned.webhook.voice_url + "'") +
                    " even after importing it again, so its calls are not answered",
                "check the number at the telephony provider, then run 'vami reconcile --apply'");
  }
}

// Native routing to a provider that answers over SIP: the number on the trunk to the provider,
// imported there with the trunk's termination URI, the import assigned to the agent.
void enact_over_sip_trunk(TelephonyProvider& telephony, VoiceAgentProvider& agents,
                          const DesiredRouting& desired, const PoolNumber& row) {
  const AgentSipTrunk trunk =
      telephony.ensure_sip_trunk(sip_trunk_name(agents), agents.sip_origination_uri());
  std::optional<OwnedNumber> owned = telephony.find_owned(row.e164);
  if (!owned) {
    throw Error(ErrorKind::not_found,
                row.e164 + " is in the pool but the telephony provider does not report it",
                "run 'vami reconcile'");
  }
  const bool moved_here = owned->sip_trunk_id != trunk.trunk_id;
  if (moved_here) {
    leave_sip_trunk(telephony, *owned);
    telephony.move_to_sip_trunk(owned->provider_sid, trunk.trunk_id);
  }
  std::optional<ImportedNumber> imported;
  bool imported_here = false;
  try {
    imported = find_import(agents, row.e164);
    if (!imported) {
      try {
        imported = agents.import_sip_trunk_number(row.e164, "vami pool " + row.e164,
                                                  trunk.termination_uri);
      } catch (const Error& error) {
        if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::rate_limited) {
          throw;
        }
        imported = find_import(agents, row.e164); // imported by an attempt whose answer was lost
        if (!imported) {
          throw;
        }
      }
      imported_here = true;
    }
    try {
      agents.set_number_agent(imported->phone_number_id, desired.provider_agent_id);
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::unavailable) {
        throw;
      }
      throw assignment_uncertain(desired, row, error);
    }
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::uncertain) {
      throw; // it may ring the agent: left as it is, for 'vami reconcile'
    }
    // Refused: what this call did is undone, so that a number handed back to the pool is on no
    // trunk and in no workspace (found by the onboarding fault sweep). What fails here is left
    // for 'vami reconcile' (on_sip_trunk), and the refusal is what the caller hears.
    try {
      if (imported_here) {
        agents.remove_imported_number(imported->phone_number_id);
      }
      if (moved_here) {
        telephony.remove_from_sip_trunk(owned->provider_sid, trunk.trunk_id);
      }
    } catch (const Error& undo) {
      if (undo.kind() == ErrorKind::storage) {
        throw;
      }
    }
    throw;
  }
}

// A number the voice-agent provider's workspace holds: the provider alone routes it.
void enact_workspace(VoiceAgentProvider& agents, const DesiredRouting& desired,
                     const PoolNumber& row) {
  if (desired.target != RoutingTarget::native || desired.number_provider != agents.name()) {
    throw Error(ErrorKind::invalid_input,
                "cannot route " + row.e164 + ", a number of the " + desired.number_provider +
                    " workspace, " +
                    (desired.target == RoutingTarget::native
                         ? "to a " + agents.name() + " agent"
                         : std::string("through the platform's call router")),
                "give it a " + desired.number_provider + " agent, natively");
  }
  try {
    agents.set_number_agent(desired.provider_sid, desired.provider_agent_id);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::unavailable) {
      throw;
    }
    throw assignment_uncertain(desired, row, error);
  }
}

void enact_webhook(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
                   const DesiredRouting& desired, PoolNumber& row) {
  OwnedNumber owned = telephony.set_voice_webhook(row.provider_sid, desired.voice_webhook);
  store.update_webhook(row.e164, owned.webhook);
  row.webhook = owned.webhook;
  leave_sip_trunk(telephony, owned);
  if (row.agent_phone_number_id.empty()) {
    return;
  }
  // An import left from native routing must not name an agent the number no longer reaches
  // through it.
  try {
    agents.set_number_agent(row.agent_phone_number_id, "");
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::not_found) {
      throw;
    }
    store.set_agent_phone_number_id(row.e164, "");
    row.agent_phone_number_id.clear();
  }
}

// A workspace number as its provider reports it (`ObservedRouting::workspace_number`).
ObservedRouting observe_workspace_number(VoiceAgentProvider* agents,
                                         const DesiredRouting& desired) {
  ObservedRouting observed;
  observed.workspace_number = true;
  if (agents == nullptr) {
    observed.voice_agent_side_read = false;
    return observed;
  }
  for (WorkspaceNumber& held : agents->list_workspace_numbers()) {
    if (held.e164 == desired.e164) {
      OwnedNumber owned;
      owned.provider_sid = held.provider_id;
      owned.e164 = held.e164;
      observed.owned = std::move(owned);
      observed.imported = ImportedNumber{held.provider_id, held.e164, "", held.agent_id};
      break;
    }
  }
  if (!desired.provider_agent_id.empty()) {
    observed.agent_exists = agents->get_agent(desired.provider_agent_id).has_value();
  }
  return observed;
}

// The faults of a workspace's number: its provider answers it with no voice URL or trunk, so
// only the agent that has it as its number counts.
void workspace_faults(const DesiredRouting& desired, const ObservedRouting& observed,
                      std::vector<RoutingFault>& faults) {
  if (!observed.voice_agent_side_read) {
    return;
  }
  const bool knows_agent = !desired.provider_agent_id.empty();
  const std::string holder = observed.imported ? observed.imported->agent_id : std::string();
  if (desired.target == RoutingTarget::native && knows_agent) {
    if (holder.empty()) {
      faults.push_back(RoutingFault::import_unassigned);
    } else if (holder != desired.import_agent_id) {
      faults.push_back(RoutingFault::import_other_agent);
    }
  } else if (desired.target != RoutingTarget::native && !holder.empty()) {
    faults.push_back(RoutingFault::import_other_agent);
  }
  if (knows_agent && observed.agent_exists == false) {
    faults.push_back(RoutingFault::agent_missing);
  }
}

} // namespace

const char* to_string(RoutingTarget target) noexcept {
  switch (target) {
  case RoutingTarget::none:
    return "none";
  case RoutingTarget::native:
    return "native";
  case RoutingTarget::webhook:
    return "webhook";
  }
  return "none";
}

const char* to_string(RoutingFault fault) noexcept {
  switch (fault) {
  case RoutingFault::not_owned:
    return "not_owned";
  case RoutingFault::no_voice_url:
    return "no_voice_url";
  case RoutingFault::wrong_voice_url:
    return "wrong_voice_url";
  case RoutingFault::not_imported:
    return "not_imported";
  case RoutingFault::import_unassigned:
    return "import_unassigned";
  case RoutingFault::import_other_agent:
    return "import_other_agent";
  case RoutingFault::agent_missing:
    return "agent_missing";
  case RoutingFault::agent_unroutable:
    return "agent_unroutable";
  case RoutingFault::no_router_url:
    return "no_router_url";
  case RoutingFault::router_unhealthy:
    return "router_unhealthy";
  case RoutingFault::not_on_sip_trunk:
    return "not_on_sip_trunk";
  case RoutingFault::on_sip_trunk:
    return "on_sip_trunk";
  case RoutingFault::on_other_sip_trunk:
    return "on_other_sip_trunk";
  }
  return "not_owned";
}

VoiceWebhook router_webhook(const std::string& router_url, const std::string& provider_agent_id) {
  VoiceWebhook webhook;
  webhook.voice_url = router_url + (router_url.find('?') == std::string::npos ? "?" : "&") +
                      "agent_id=" + provider_agent_id;
  webhook.voice_method = "POST";
  if (std::optional<RouterEndpoints> endpoints = endpoints_of_router_url(router_url)) {
    webhook.status_callback = endpoints->status_callback;
  }
  return webhook;
}

DesiredRouting desired_routing(const PoolNumber& row, const std::optional<Agent>& agent,
                               const std::string& router_url) {
  DesiredRouting desired;
  desired.e164 = row.e164;
  desired.number_provider = row.provider;
  desired.provider_sid = row.provider_sid;
  desired.router_url = router_url;
  if (row.status != NumberStatus::assigned) {
    return desired;
  }
  const RoutingMode mode = row.routing_mode.value_or(RoutingMode::native);
  desired.target = mode == RoutingMode::webhook ? RoutingTarget::webhook : RoutingTarget::native;
  desired.agent_slug = row.agent_slug;
  if (!agent || agent->provider_agent_id.empty()) {
    desired.blocked = RoutingFault::agent_unroutable;
    return desired;
  }
  desired.provider_agent_id = agent->provider_agent_id;
  if (desired.target == RoutingTarget::native) {
    desired.import_agent_id = desired.provider_agent_id;
  } else if (router_url.empty()) {
    desired.blocked = RoutingFault::no_router_url;
  } else {
    desired.voice_webhook = router_webhook(router_url, desired.provider_agent_id);
  }
  return desired;
}

std::vector<RoutingFault> routing_faults(const DesiredRouting& desired,
                                         const ObservedRouting& observed) {
  std::vector<RoutingFault> faults;
  if (desired.blocked) {
    faults.push_back(*desired.blocked);
  }
  if (!observed.owned) {
    faults.push_back(RoutingFault::not_owned);
    return faults;
  }
  if (observed.workspace_number) {
    workspace_faults(desired, observed, faults);
    return faults;
  }
  const VoiceWebhook& webhook = observed.owned->webhook;
  const bool on_trunk = !observed.owned->sip_trunk_id.empty();
  const bool over_sip_trunk = desired.target == RoutingTarget::native &&
                              (observed.voice_agent_side_read ? observed.over_sip_trunk : on_trunk);
  if (over_sip_trunk != on_trunk) {
    faults.push_back(over_sip_trunk ? RoutingFault::not_on_sip_trunk : RoutingFault::on_sip_trunk);
  } else if (over_sip_trunk && observed.other_sip_trunk) {
    faults.push_back(RoutingFault::on_other_sip_trunk);
  }
  switch (desired.target) {
  case RoutingTarget::native:
    if (over_sip_trunk) {
      break; // The voice URL is not used.
    }
    if (webhook.voice_url.empty()) {
      faults.push_back(RoutingFault::no_voice_url);
    } else if (observed.voice_agent_side_read && !observed.voice_url_is_agent_provider) {
      faults.push_back(RoutingFault::wrong_voice_url);
    }
    break;
  case RoutingTarget::webhook:
    if (webhook.voice_url.empty()) {
      faults.push_back(RoutingFault::no_voice_url);
    } else if (desired.blocked == RoutingFault::no_router_url) {
      // The router's URL is unknown here: it must at least name the agent, and not be the
      // voice-agent provider's.
      if (observed.voice_url_is_agent_provider ||
          !names_agent(webhook.voice_url, desired.provider_agent_id)) {
        faults.push_back(RoutingFault::wrong_voice_url);
      }
    } else if (!desired.blocked && !same_voice_target(desired.voice_webhook, webhook)) {
      faults.push_back(RoutingFault::wrong_voice_url);
    }
    if (observed.router_health && !observed.router_health->healthy) {
      faults.push_back(RoutingFault::router_unhealthy);
    }
    break;
  case RoutingTarget::none:
    // The router's URL with an agent's id still sends calls to that agent.
    if (starts_with(webhook.voice_url, desired.router_url) &&
        webhook.voice_url.find("agent_id=") != std::string::npos) {
      faults.push_back(RoutingFault::wrong_voice_url);
    }
    break;
  }
  if (!observed.voice_agent_side_read) {
    return faults;
  }
  const bool knows_agent = !desired.provider_agent_id.empty();
  if (desired.target == RoutingTarget::native && knows_agent) {
    if (!observed.imported) {
      faults.push_back(RoutingFault::not_imported);
    } else if (observed.imported->agent_id.empty()) {
      faults.push_back(RoutingFault::import_unassigned);
    } else if (observed.imported->agent_id != desired.import_agent_id) {
      faults.push_back(RoutingFault::import_other_agent);
    }
  } else if (desired.target != RoutingTarget::native && observed.imported &&
             !observed.imported->agent_id.empty()) {
    faults.push_back(RoutingFault::import_other_agent);
  }
  if (knows_agent && observed.agent_exists == false) {
    faults.push_back(RoutingFault::agent_missing);
  }
  return faults;
}

bool calls_unanswered(const DesiredRouting& desired, const std::vector<RoutingFault>& faults) {
  if (desired.target == RoutingTarget::none) {
    return false; // No agent is meant to answer.
  }
  return std::any_of(faults.begin(), faults.end(), [&](RoutingFault fault) {
    switch (fault) {
    case RoutingFault::not_owned:
    case RoutingFault::no_voice_url:
    case RoutingFault::wrong_voice_url:
    case RoutingFault::agent_missing:
    case RoutingFault::agent_unroutable:
    case RoutingFault::router_unhealthy:
    case RoutingFault::not_on_sip_trunk:
    case RoutingFault::on_sip_trunk:
    case RoutingFault::on_other_sip_trunk:
      return true;
    case RoutingFault::not_imported:
    case RoutingFault::import_unassigned:
    case RoutingFault::import_other_agent:
      // Through the import only for native routing; by webhook the import is not in the way.
      return desired.target == RoutingTarget::native;
    case RoutingFault::no_router_url:
      return false; // Not known to be broken: only not checked.
    }
    return true;
  });
}

ObservedRouting observe_routing(TelephonyProvider& telephony, VoiceAgentProvider* agents,
                                const DesiredRouting& desired, RouterHealthProbe* router) {
  if (!desired.number_provider.empty() && desired.number_provider != telephony.name()) {
    return observe_workspace_number(agents, desired);
  }
  ObservedRouting observed;
  observed.owned = telephony.find_owned(desired.e164);
  if (router != nullptr && desired.target == RoutingTarget::webhook) {
    if (std::optional<RouterEndpoints> endpoints = endpoints_of_router_url(desired.router_url)) {
      observed.router_health = router->probe(endpoints->health_url);
    }
  }
  if (agents == nullptr) {
    observed.voice_agent_side_read = false;
    return observed;
  }
  observed.over_sip_trunk = agents->capabilities().native_numbers_need_sip_trunk;
  if (observed.owned) {
    observed.voice_url_is_agent_provider =
        agents->answers_voice_url(observed.owned->webhook.voice_url);
  }
  if (observed.over_sip_trunk && desired.target == RoutingTarget::native && observed.owned &&
      !observed.owned->sip_trunk_id.empty()) {
    observed.other_sip_trunk =
        foreign_sip_trunk(telephony.list_sip_trunks(), observed.owned->sip_trunk_id, *agents);
  }
  observed.imported = find_import(*agents, desired.e164);
  if (!desired.provider_agent_id.empty()) {
    observed.agent_exists = agents->get_agent(desired.provider_agent_id).has_value();
  }
  return observed;
}

std::optional<AgentSipTrunk> foreign_sip_trunk(const std::vector<AgentSipTrunk>& trunks,
                                               const std::string& trunk_id,
                                               const VoiceAgentProvider& agents) {
  AgentSipTrunk other;
  other.trunk_id = trunk_id;
  for (const AgentSipTrunk& trunk : trunks) {
    if (trunk.trunk_id == trunk_id) {
      other = trunk;
    }
  }
  if (other.name == sip_trunk_name(agents)) {
    return std::nullopt; // vami's (two of that name, made by a race, are both vami's)
  }
  return other;
}

void enact_routing(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
                   const DesiredRouting& desired, PoolNumber& row) {
  if (desired.target == RoutingTarget::none || desired.blocked) {
    throw Error(ErrorKind::invalid_input,
                "cannot route " + desired.e164 + ": " +
                    (desired.target == RoutingTarget::none
                         ? std::string("it is not assigned")
                         : to_string(desired.blocked.value_or(RoutingFault::agent_unroutable))));
  }
  if (!desired.number_provider.empty() && desired.number_provider != telephony.name()) {
    enact_workspace(agents, desired, row);
  } else if (desired.target == RoutingTarget::native &&
             agents.capabilities().native_numbers_need_sip_trunk) {
    enact_over_sip_trunk(telephony, agents, desired, row);
  } else if (desired.target == RoutingTarget::native) {
    enact_native(telephony, agents, store, desired, row);
  } else {
    enact_webhook(telephony, agents, store, desired, row);
  }
}

void clear_routing(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
                   const DesiredRouting& previous, PoolNumber& row) {
  if (!previous.number_provider.empty() && previous.number_provider != telephony.name()) {
    try {
      agents.set_number_agent(row.provider_sid, ""); // takes it off every agent
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::not_found) {
        throw; // gone from the workspace: nothing rings it
      }
    }
    return;
  }
  if (previous.target == RoutingTarget::webhook) {
    OwnedNumber owned = telephony.set_voice_webhook(row.provider_sid, VoiceWebhook{});
    store.update_webhook(row.e164, owned.webhook);
    row.webhook = owned.webhook;
    return;
  }
  if (agents.capabilities().native_numbers_need_sip_trunk) {
    if (std::optional<ImportedNumber> imported = find_import(agents, row.e164)) {
      try {
        agents.set_number_agent(imported->phone_number_id, "");
        agents.remove_imported_number(imported->phone_number_id);
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::not_found) {
          throw;
        }
      }
    }
    if (std::optional<OwnedNumber> owned = telephony.find_owned(row.e164)) {
      leave_sip_trunk(telephony, *owned);
    }
    return;
  }
  if (row.agent_phone_number_id.empty()) {
    return;
  }
  try {
    agents.set_number_agent(row.agent_phone_number_id, "");
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::not_found) {
      throw;
    }
    store.set_agent_phone_number_id(row.e164, ""); // gone at the provider: nothing rings it
    row.agent_phone_number_id.clear();
  }
}

std::string sip_trunk_name(const VoiceAgentProvider& agents) {
  return "vami " + agents.name();
}

} // namespace vami
