#include <cstdint>
#include <string>
#include <utility>

#include "lookups.hpp"

#include <vami/core/agent_service.hpp>
#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/onboarding_service.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/tenant_service.hpp>

namespace vami {

namespace {

std::string describe(const PickFilter& filter) {
  std::string text;
  if (!filter.area_code.empty()) {
    text += " in area code " + filter.area_code;
  }
  if (!filter.locality.empty()) {
    text += " in " + filter.locality;
  }
  return text;
}

} // namespace

OnboardingService::OnboardingService(TelephonyProvider& telephony, VoiceAgentProvider& agents,
                                     StateStore& store, std::string actor, std::string router_url)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)),
      m_router_url(std::move(router_url)) {}

OnboardResult OnboardingService::onboard(const OnboardRequest& request,
                                         const OnboardStepObserver& observer) {
  TenantService tenants(m_telephony, m_agents, m_store, m_actor);
  AgentService agents(m_agents, m_store, m_actor);
  KnowledgeBaseService knowledge(m_agents, m_store, m_actor);
  AssignmentService assignments(m_telephony, m_agents, m_store, m_actor, m_router_url);

  // Everything that can be checked is checked before the first change.
  validate_tenant(request.tenant);
  if (m_store.find_tenant(request.tenant.slug)) {
    throw Error(ErrorKind::conflict, "tenant \"" + request.tenant.slug + "\" already exists",
                "choose another slug, or add an agent to it with 'vami agents create --tenant " +
                    request.tenant.slug + "'");
  }
  const AgentRequest agent_request = agents.prepare(request.agent, request.tenant);
  if (std::optional<Agent> existing = m_store.find_agent(agent_request.slug)) {
    throw Error(ErrorKind::conflict,
                "agent \"" + agent_request.slug + "\" already exists (tenant " +
                    existing->tenant_slug + ")",
                "choose another agent slug with --agent-slug");
  }
  for (const auto& file : request.files) {
    (void)read_document_file(file);
  }
  for (const std::string& url : request.urls) {
    validate_document_url(url);
  }
  // The same checks as `KnowledgeBaseService::add_text`, made here so that a bad FAQ text is
  // refused before the tenant and agent exist rather than undone after.
  for (const std::string& text : request.texts) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos ||
        static_cast<std::int64_t>(text.size()) > k_max_document_bytes || !is_valid_utf8(text)) {
      throw Error(ErrorKind::invalid_input,
                  "an FAQ text is empty, larger than 20 MiB or not valid UTF-8",
                  "give the text itself, or put long texts in a file and pass it with --file");
    }
  }
  detail::require_webhook_router(request.mode, m_router_url);
  NumberProvisioning provisioning(m_telephony, m_agents, m_store, m_actor, m_router_url);
  std::optional<ProvisionPlan> purchase;
  std::string e164;
  if (!request.number.empty()) {
    e164 = to_e164(request.number);
    std::optional<PoolNumber> row = m_store.find_number(e164);
    if (!row || row->status == NumberStatus::released) {
      throw Error(ErrorKind::not_found, e164 + " is not in the pool",
                  "list the available numbers with 'vami numbers list --status available'");
    }
    if (row->status != NumberStatus::available) {
      throw Error(ErrorKind::conflict,
                  e164 + " is not available (it is " + to_string(row->status) +
                      (row->agent_slug.empty() ? "" : ", agent \"" + row->agent_slug + "\"") + ")",
                  "choose another number, or let vami pick one with --area-code or --locality");
    }
  } else if (request.buy_if_needed) {
    // Planned now, so that nothing is created when no number is for sale or it costs too much;
    // bought last, so that a failed step before it costs nothing.
    purchase = provisioning.plan(request.pick, *request.buy_if_needed);
  } else {
    NumberFilter filter;
    filter.status = NumberStatus::available;
    filter.area_code = request.pick.area_code;
    filter.locality = request.pick.locality;
    if (!filter.area_code.empty()) {
      validate_area_code("US", filter.area_code);
    }
    if (m_store.list_numbers(filter).empty()) {
      throw Error(ErrorKind::conflict, "the pool has no available number" + describe(request.pick),
                  "buy one first, e.g. 'vami numbers buy --count 1" +
                      (request.pick.area_code.empty() ? std::string()
                                                      : " --area-code " + request.pick.area_code) +
                      "', or let onboarding buy one with --buy-if-needed");
    }
  }

  OnboardResult result;
  std::string bought_e164;
  result.tenant = tenants.create(request.tenant);
  observer("tenant", result.tenant.slug);
  try {
    result.agent = agents.create(agent_request);
    observer("agent", result.agent.slug);
    if (!request.files.empty()) {
      for (DocumentOutcome& outcome :
           knowledge.add_files(result.agent.slug, request.files, /*name=*/"")) {
        result.documents.push_back(std::move(outcome.document));
      }
    }
    for (const std::string& url : request.urls) {
      result.documents.push_back(knowledge.add_url(result.agent.slug, url, "").document);
    }
    for (const std::string& text : request.texts) {
      result.documents.push_back(knowledge.add_text(result.agent.slug, text, "").document);
    }
    observer("knowledge", std::to_string(result.documents.size()) + " document(s)");
    if (purchase) {
      ProvisionedNumber bought = provisioning.buy(*purchase);
      bought_e164 = bought.number.e164;
      result.bought_operation_id = bought.operation_id;
      observer("bought", bought_e164);
      e164 = bought_e164;
    }
    result.number = e164.empty()
                        ? assignments.assign_pick(request.pick, result.agent.slug, request.mode)
                        : assignments.assign(e164, result.agent.slug, request.mode).number;
    observer("number", result.number.e164);
  } catch (const Error& error) {
    // Undo: the tenant is new, so everything under it was made by this run; a number bought for
    // it goes back to the provider once the tenant no longer holds it.
    try {
      tenants.remove(result.tenant.slug, NumberDisposition::return_to_pool);
    } catch (const Error& undo_error) {
      throw Error(
          ErrorKind::uncertain,
          "onboarding of \"" + result.tenant.slug + "\" failed (" + error.what() +
              ") and undoing it failed too: " + undo_error.what(),
          "remove what is left with 'vami tenants delete " + result.tenant.slug + " --yes'" +
              (bought_e164.empty() ? std::string()
                                   : ", then release " + bought_e164 +
                                         " with 'vami numbers release " + bought_e164 + " --yes'"));
    }
    if (!bought_e164.empty()) {
      try {
        provisioning.release(bought_e164);
      } catch (const Error& undo_error) {
        throw Error(ErrorKind::uncertain,
                    "onboarding of \"" + result.tenant.slug + "\" failed (" + error.what() +
                        ") and was undone, but " + undo_error.what(),
                    undo_error.hint());
      }
    }
    throw;
  }
  return result;
}

} // namespace vami
