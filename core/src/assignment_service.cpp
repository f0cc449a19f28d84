#include <functional>
#include <string>
#include <utility>

#include "audit_json.hpp"
#include "lookups.hpp"

#include <vami/core/assignment_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>

namespace vami {

namespace {

std::string holder(const PoolNumber& number) {
  return "agent \"" + number.agent_slug + "\" (tenant " + number.tenant_slug + ")";
}

// Runs `undo` after a failed provider step, from inside the catch block, then rethrows the
// provider's error. If undoing fails too, the database no longer says where the number rings.
[[noreturn]] void roll_back(const std::string& e164, const std::function<void()>& undo) {
  try {
    undo();
  } catch (const Error& undo_error) {
    throw Error(ErrorKind::uncertain,
                "a provider refused a change to " + e164 +
                    " and putting the state database back failed: " + undo_error.what(),
                "run 'vami reconcile' to compare the database with the providers");
  }
  throw;
}

PoolNumber pool_row(StateStore& store, const std::string& e164) {
  std::optional<PoolNumber> row = store.find_number(e164);
  if (!row || row->status == NumberStatus::released) {
    throw Error(ErrorKind::not_found, e164 + " is not in the pool",
                "list the pool with 'vami numbers list', or buy numbers with 'vami numbers buy'");
  }
  return *row;
}

} // namespace

VoiceWebhook router_webhook(const std::string& router_url, const std::string& provider_agent_id) {
  VoiceWebhook webhook;
  webhook.voice_url = router_url + (router_url.find('?') == std::string::npos ? "?" : "&") +
                      "agent_id=" + provider_agent_id;
  webhook.voice_method = "POST";
  return webhook;
}

AssignmentService::AssignmentService(TelephonyProvider& telephony, VoiceAgentProvider& agents,
                                     StateStore& store, std::string actor, std::string router_url)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)),
      m_router_url(std::move(router_url)) {
  if (!m_router_url.empty()) {
    validate_webhook_url(m_router_url, /*allow_http=*/false);
  }
}

PoolNumber AssignmentService::assign(const std::string& number, const std::string& agent_name,
                                     RoutingMode mode) {
  const std::string e164 = to_e164(number);
  if (mode == RoutingMode::webhook && m_router_url.empty()) {
    throw Error(ErrorKind::invalid_input, "webhook routing needs the platform's call router URL",
                "set VAMI_ROUTER_URL or pass --router-url, or use --mode native");
  }
  const Agent agent = detail::require_active_agent(m_store, agent_name);
  const PoolNumber before = current(e164);
  // The transaction decides the winner when two people assign the same number.
  PoolNumber row = m_store.assign_number(e164, {agent.slug, mode});
  try {
    connect(row, agent, mode);
  } catch (const Error&) {
    roll_back(e164, [&] { m_store.unassign_number(e164, agent.slug); });
  }
  audit("numbers assign", before, row);
  return row;
}

PoolNumber AssignmentService::assign_pick(const PickFilter& filter, const std::string& agent_name,
                                          RoutingMode mode) {
  if (mode == RoutingMode::webhook && m_router_url.empty()) {
    throw Error(ErrorKind::invalid_input, "webhook routing needs the platform's call router URL",
                "set VAMI_ROUTER_URL or pass --router-url, or use --mode native");
  }
  NumberFilter numbers;
  numbers.status = NumberStatus::available;
  if (!filter.area_code.empty()) {
    validate_area_code("US", filter.area_code);
    numbers.area_code = filter.area_code;
  }
  numbers.locality = filter.locality;
  const Agent agent = detail::require_active_agent(m_store, agent_name);
  PoolNumber row = m_store.assign_first_available(numbers, {agent.slug, mode});
  PoolNumber before = row;
  before.status = NumberStatus::available;
  before.agent_slug.clear();
  before.tenant_slug.clear();
  before.routing_mode.reset();
  try {
    connect(row, agent, mode);
  } catch (const Error&) {
    roll_back(row.e164, [&] { m_store.unassign_number(row.e164, agent.slug); });
  }
  audit("numbers assign", before, row);
  return row;
}

PoolNumber AssignmentService::unassign(const std::string& number) {
  const std::string e164 = to_e164(number);
  const PoolNumber before = current(e164);
  if (before.status != NumberStatus::assigned) {
    throw Error(ErrorKind::conflict,
                e164 + " is not assigned (it is " + to_string(before.status) + ")",
                "see 'vami route " + e164 + "'");
  }
  PoolNumber row = m_store.unassign_number(e164, before.agent_slug);
  try {
    disconnect(row, before);
  } catch (const Error&) {
    roll_back(e164, [&] {
      m_store.assign_number(e164,
                            {before.agent_slug, before.routing_mode.value_or(RoutingMode::native)});
    });
  }
  row = current(e164);
  audit("numbers unassign", before, row);
  return row;
}

PoolNumber AssignmentService::reassign(const std::string& number, const std::string& agent_name) {
  const std::string e164 = to_e164(number);
  const Agent agent = detail::require_active_agent(m_store, agent_name);
  const PoolNumber before = current(e164);
  if (before.status != NumberStatus::assigned) {
    throw Error(ErrorKind::conflict,
                e164 + " is not assigned (it is " + to_string(before.status) + ")",
                "assign it with 'vami numbers assign " + e164 + " --agent " + agent.slug + "'");
  }
  if (before.agent_slug == agent.slug) {
    throw Error(ErrorKind::conflict, e164 + " is already assigned to " + holder(before));
  }
  const RoutingMode mode = before.routing_mode.value_or(RoutingMode::native);
  if (mode == RoutingMode::webhook && m_router_url.empty()) {
    throw Error(ErrorKind::invalid_input,
                e164 + " is routed by webhook, which needs the platform's call router URL",
                "set VAMI_ROUTER_URL or pass --router-url");
  }
  PoolNumber row = m_store.reassign_number(e164, before.agent_slug, {agent.slug, mode});
  try {
    connect(row, agent, mode);
  } catch (const Error&) {
    roll_back(e164, [&] { m_store.reassign_number(e164, agent.slug, {before.agent_slug, mode}); });
  }
  audit("numbers reassign", before, row);
  return row;
}

void AssignmentService::connect(PoolNumber& row, const Agent& agent, RoutingMode mode) {
  if (mode == RoutingMode::webhook) {
    OwnedNumber owned = m_telephony.set_voice_webhook(
        row.provider_sid, router_webhook(m_router_url, agent.provider_agent_id));
    m_store.update_webhook(row.e164, owned.webhook);
    row.webhook = owned.webhook;
    return;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (row.agent_phone_number_id.empty()) {
      row.agent_phone_number_id = import(row.e164);
      m_store.set_agent_phone_number_id(row.e164, row.agent_phone_number_id);
    }
    try {
      m_agents.set_number_agent(row.agent_phone_number_id, agent.provider_agent_id);
      break;
    } catch (const Error& error) {
      // The import was removed outside vami: import the number again, once.
      if (error.kind() != ErrorKind::not_found || attempt > 0) {
        throw;
      }
      m_store.set_agent_phone_number_id(row.e164, "");
      row.agent_phone_number_id.clear();
    }
  }
  // The voice-agent provider points the number's voice URL at itself on import: record what the
  // telephony provider now reports.
  if (std::optional<OwnedNumber> owned = m_telephony.find_owned(row.e164)) {
    m_store.update_webhook(row.e164, owned->webhook);
    row.webhook = owned->webhook;
  }
}

void AssignmentService::disconnect(PoolNumber& row, const PoolNumber& before) {
  if (before.routing_mode == RoutingMode::webhook) {
    OwnedNumber owned = m_telephony.set_voice_webhook(row.provider_sid, VoiceWebhook{});
    m_store.update_webhook(row.e164, owned.webhook);
    row.webhook = owned.webhook;
    return;
  }
  if (before.agent_phone_number_id.empty()) {
    return;
  }
  try {
    m_agents.set_number_agent(before.agent_phone_number_id, "");
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::not_found) {
      throw;
    }
    m_store.set_agent_phone_number_id(row.e164, ""); // gone at the provider: nothing rings it
  }
}

std::string AssignmentService::import(const std::string& e164) {
  try {
    return m_agents.import_number(e164, "vami pool " + e164).phone_number_id;
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::rate_limited) {
      throw;
    }
    // Imported already (by an earlier attempt whose answer was lost, or by hand): reuse it.
    for (const ImportedNumber& imported : m_agents.list_imported_numbers()) {
      if (imported.e164 == e164) {
        return imported.phone_number_id;
      }
    }
    throw;
  }
}

PoolNumber AssignmentService::current(const std::string& e164) {
  return pool_row(m_store, e164);
}

Route find_route(StateStore& store, const std::string& number) {
  Route route;
  route.number = pool_row(store, to_e164(number));
  if (route.number.status == NumberStatus::assigned) {
    route.tenant = store.find_tenant(route.number.tenant_slug);
    route.agent = store.find_agent(route.number.agent_slug);
  }
  return route;
}

void AssignmentService::audit(const std::string& command, const PoolNumber& before,
                              const PoolNumber& after) {
  const std::string& tenant = after.tenant_slug.empty() ? before.tenant_slug : after.tenant_slug;
  detail::append_audit(m_store, m_actor, command, "number", after.e164, detail::audit_json(before),
                       detail::audit_json(after), tenant);
}

} // namespace vami
