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

bool same_business(const Tenant& stored, const Tenant& requested) {
  return stored.name == requested.name && stored.industry == requested.industry &&
         stored.contact_name == requested.contact_name &&
         stored.contact_email == requested.contact_email;
}

// `prepared` as `AgentService::prepare` returns it (defaults filled, voice resolved).
bool same_agent(const Agent& stored, const AgentRequest& prepared) {
  return stored.name == prepared.name && stored.prompt == prepared.prompt.value_or("") &&
         stored.first_message == prepared.first_message && stored.voice_id == prepared.voice &&
         stored.language == prepared.language && stored.personality == prepared.personality &&
         stored.provider == prepared.provider && stored.stream_url == prepared.stream_url &&
         stored.stream_parameters == prepared.stream_parameters;
}

} // namespace

OnboardingService::OnboardingService(TelephonyProvider& telephony, AgentProviders& agents,
                                     StateStore& store, std::string actor, std::string router_url)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)),
      m_router_url(std::move(router_url)) {}

OnboardResult OnboardingService::onboard(const OnboardRequest& request,
                                         const OnboardStepObserver& observer,
                                         const StopRequested& stop_requested) {
  TenantService tenants(m_telephony, m_agents, m_store, m_actor);
  AgentService agents(m_agents, m_store, m_actor, m_router_url);
  agents.set_stream_reach(m_stream_reach);
  KnowledgeBaseService knowledge(m_agents, m_store, m_actor);
  AssignmentService assignments(m_telephony, m_agents, m_store, m_actor, m_router_url);
  assignments.set_stream_reach(m_stream_reach);
  const std::string& slug = request.tenant.slug;

  // Everything that can be checked is checked before the first change.
  validate_tenant(request.tenant);
  // What an earlier run of the same onboarding left (all of it, or part when it was killed) is
  // kept; a tenant or agent of the same slug that is not this customer's is a conflict.
  std::optional<Tenant> earlier_tenant = m_store.find_tenant(slug);
  if (earlier_tenant && !same_business(*earlier_tenant, request.tenant)) {
    throw Error(ErrorKind::conflict,
                "tenant \"" + slug + "\" already exists (\"" + earlier_tenant->name +
                    "\", with other details than this onboarding's)",
                "choose another slug, or add an agent to it with 'vami agents create --tenant " +
                    slug + "'");
  }
  const AgentRequest agent_request = agents.prepare(request.agent, request.tenant);
  // A pairing the providers cannot make, or knowledge for an agent that keeps none, is refused
  // before the tenant exists.
  VoiceAgentProvider& agent_provider = m_agents.for_tenant(agent_request.provider, slug);
  Agent planned;
  planned.slug = agent_request.slug;
  planned.provider = agent_request.provider;
  std::string workspace; // of the number asked for: a Synthflow workspace number's agent
  if (!request.number.empty()) {
    if (std::optional<PoolNumber> row = m_store.find_number(to_e164(request.number))) {
      workspace = workspace_of(*row, m_telephony.name());
    }
  }
  require_pairing(agent_provider, planned, request.mode, workspace);
  if (!agent_provider.capabilities().knowledge_base &&
      (!request.files.empty() || !request.urls.empty() || !request.texts.empty())) {
    throw Error(ErrorKind::invalid_input,
                agent_request.provider + " agents keep no knowledge base at vami: their "
                                         "orchestrator holds their knowledge",
                "leave out --file, --url and --faq");
  }
  std::optional<Agent> earlier_agent = m_store.find_agent(agent_request.slug);
  if (earlier_agent) {
    if (!earlier_tenant || earlier_agent->tenant_slug != slug ||
        earlier_agent->status == AgentStatus::deleting ||
        !same_agent(*earlier_agent, agent_request)) {
      throw Error(ErrorKind::conflict,
                  "agent \"" + agent_request.slug + "\" already exists (tenant " +
                      earlier_agent->tenant_slug + ", with other settings than this onboarding's)",
                  "choose another agent slug with --agent-slug");
    }
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
  // The number an earlier run already assigned to the agent, with this routing.
  std::optional<PoolNumber> earlier_number;
  if (earlier_agent) {
    NumberFilter filter;
    filter.agent_slug = earlier_agent->slug;
    filter.status = NumberStatus::assigned;
    const std::vector<PoolNumber> answered = m_store.list_numbers(filter);
    for (const PoolNumber& row : answered) {
      if (row.routing_mode == request.mode &&
          (request.number.empty() || row.e164 == to_e164(request.number))) {
        earlier_number = row;
        break;
      }
    }
    if (!earlier_number && !answered.empty()) {
      throw Error(
          ErrorKind::conflict,
          "agent \"" + earlier_agent->slug + "\" of tenant \"" + slug + "\" already answers " +
              answered.front().e164 + " (" +
              (answered.front().routing_mode ? to_string(*answered.front().routing_mode) : "") +
              " routing), not the number this onboarding asks for",
          "give another number with 'vami numbers assign', or move it with 'vami "
          "numbers reassign'");
    }
  }
  std::string e164;
  if (earlier_number) {
    e164 = earlier_number->e164;
  } else if (!request.number.empty()) {
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
    filter.provider = m_telephony.name(); // as `assign_pick` picks
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

  // Polled before each step that reaches a provider: an interrupted onboarding undoes what it
  // made rather than leaving half a customer.
  const std::string again = "run the same command again to put \"" + slug + "\" live";
  auto check_stop = [&] {
    if (stop_requested && stop_requested()) {
      throw Error(ErrorKind::interrupted, "onboarding of \"" + slug + "\" was interrupted", again);
    }
  };
  if (stop_requested && stop_requested()) {
    throw Error(ErrorKind::interrupted,
                "onboarding of \"" + slug + "\" was interrupted; nothing was changed", again);
  }
  OnboardResult result;
  std::string bought_e164;
  Made made;
  if (earlier_tenant) {
    result.tenant = *earlier_tenant;
    observer("tenant_already", slug);
  } else {
    result.tenant = tenants.create(request.tenant);
    made.tenant = true;
    observer("tenant", result.tenant.slug);
  }
  try {
    check_stop();
    if (earlier_agent && earlier_agent->status == AgentStatus::active) {
      result.agent = *earlier_agent;
      observer("agent_already", result.agent.slug);
    } else {
      // A `creating` row of an earlier run is carried on: its tag finds the agent if it was made.
      result.agent = agents.create(agent_request);
      made.agent = true;
      observer("agent", result.agent.slug);
    }
    auto keep = [&](DocumentOutcome outcome) {
      if (outcome.created) {
        made.documents.push_back(outcome.document);
      }
      result.documents.push_back(std::move(outcome.document));
    };
    for (const auto& file : request.files) {
      check_stop();
      keep(std::move(knowledge.add_files(result.agent.slug, {file}, /*name=*/"").front()));
    }
    for (const std::string& url : request.urls) {
      check_stop();
      keep(knowledge.add_url(result.agent.slug, url, ""));
    }
    for (const std::string& text : request.texts) {
      check_stop();
      keep(knowledge.add_text(result.agent.slug, text, ""));
    }
    observer(made.documents.empty() && !result.documents.empty() ? "knowledge_already"
                                                                 : "knowledge",
             std::to_string(result.documents.size()) + " document(s)");
    if (earlier_number) {
      result.number = *earlier_number;
      observer("number_already", result.number.e164);
    } else {
      check_stop();
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
      made.number = true;
      observer("number", result.number.e164);
    }
  } catch (const Error& error) {
    std::string undone = undo(made, result, tenants, agents, knowledge, assignments, error);
    // A number bought for this onboarding goes back to the provider once nothing holds it.
    if (!bought_e164.empty()) {
      try {
        provisioning.release(bought_e164);
        undone += (undone.empty() ? "" : ", ") + std::string("released ") + bought_e164;
      } catch (const Error& undo_error) {
        throw Error(ErrorKind::uncertain,
                    "onboarding of \"" + slug + "\" failed (" + error.what() +
                        ") and was undone, but " + undo_error.what(),
                    undo_error.hint());
      }
    }
    if (error.kind() == ErrorKind::interrupted) {
      throw Error(ErrorKind::interrupted,
                  std::string(error.what()) + (undone.empty()
                                                   ? "; nothing was changed"
                                                   : "; undid what it had made: " + undone),
                  again);
    }
    throw;
  }
  result.already_live = !made.tenant && !made.agent && made.documents.empty() && !made.number;
  return result;
}

std::string OnboardingService::undo(const Made& made, const OnboardResult& result,
                                    TenantService& tenants, AgentService& agents,
                                    KnowledgeBaseService& knowledge, AssignmentService& assignments,
                                    const Error& error) {
  const std::string& slug = result.tenant.slug;
  std::string undone;
  auto add = [&undone](const std::string& what) { undone += (undone.empty() ? "" : ", ") + what; };
  try {
    if (made.tenant) {
      // The tenant is new, so everything under it was made by this run.
      tenants.remove(slug, NumberDisposition::return_to_pool);
      add("tenant " + slug);
      if (!result.agent.slug.empty()) {
        add("agent " + result.agent.slug);
      }
    } else {
      // The tenant is an earlier run's: only what this run made goes.
      if (made.number) {
        assignments.unassign(result.number.e164);
        add("the assignment of " + result.number.e164);
      }
      if (made.agent) {
        agents.remove(result.agent.slug);
        add("agent " + result.agent.slug);
      } else {
        for (const Document& document : made.documents) {
          knowledge.remove(result.agent.slug, document.provider_document_id);
        }
      }
    }
    if (!made.documents.empty()) {
      add(std::to_string(made.documents.size()) + " document(s)");
    }
  } catch (const Error& undo_error) {
    throw Error(ErrorKind::uncertain,
                "onboarding of \"" + slug + "\" failed (" + error.what() +
                    ") and undoing it failed too: " + undo_error.what(),
                "remove what is left with 'vami tenants delete " + slug + " --yes'");
  }
  return undone;
}

} // namespace vami
