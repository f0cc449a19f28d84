#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>

#include "enum_names.hpp"

#include <vami/core/call_router.hpp>
#include <vami/core/stream_agent.hpp>

namespace vami {

namespace {

constexpr detail::EnumNames<RouteOutcome, 4> k_route_outcome_names{{
    {RouteOutcome::connected, "connected"},
    {RouteOutcome::rejected, "rejected"},
    {RouteOutcome::failed, "failed"},
    {RouteOutcome::out_of_service, "out_of_service"},
}};

constexpr detail::EnumNames<RejectReason, 7> k_reject_names{{
    {RejectReason::not_a_number, "not_a_number"},
    {RejectReason::not_in_pool, "not_in_pool"},
    {RejectReason::not_assigned, "not_assigned"},
    {RejectReason::suspended, "suspended"},
    {RejectReason::native_routing, "native_routing"},
    {RejectReason::agent_unroutable, "agent_unroutable"},
    {RejectReason::other_provider, "other_provider"},
}};

constexpr detail::EnumNames<RouteFailure, 3> k_failure_names{{
    {RouteFailure::provider_error, "provider_error"},
    {RouteFailure::over_budget, "over_budget"},
    {RouteFailure::storage, "storage"},
}};

// "+" and 2 to 15 digits: the shape of every number the pool stores (E.164). The exact text is
// the key; no lenient parsing, so "client:alice" or "sip:..." never match a pool row.
bool looks_like_e164(std::string_view text) {
  if (text.size() < 3 || text.size() > 16 || text.front() != '+') {
    return false;
  }
  return std::all_of(text.begin() + 1, text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

CallDecision rejected(CallDecision decision, RejectReason reason) {
  decision.outcome = RouteOutcome::rejected;
  decision.reject_reason = reason;
  return decision;
}

CallDecision failed(CallDecision decision, RouteFailure failure, const Error& error) {
  decision.outcome = RouteOutcome::failed;
  decision.failure = failure;
  decision.error_kind = error.kind();
  decision.error_message = error.what();
  return decision;
}

// The pool row of the number called `to` and, when it is assigned, its agent, with the
// decision's tenant and agent filled in; or the decision to answer with instead: rejected when
// `to` is not an E.164 number or not in the pool, failed when the state database fails.
std::optional<CallDecision> look_up(StateStore& store, const std::string& to,
                                    CallDecision& decision, std::optional<PoolNumber>& number,
                                    std::optional<Agent>& agent) {
  if (!looks_like_e164(to)) {
    return rejected(std::move(decision), RejectReason::not_a_number);
  }
  try {
    number = store.find_number(to);
    if (number) {
      decision.tenant_slug = number->tenant_slug;
      decision.agent_slug = number->agent_slug;
      if (number->status == NumberStatus::assigned && !number->agent_slug.empty()) {
        agent = store.find_agent(number->agent_slug);
      }
    }
  } catch (const Error& error) {
    return failed(std::move(decision), RouteFailure::storage, error);
  }
  if (!number || number->status == NumberStatus::released ||
      number->status == NumberStatus::purchasing) {
    return rejected(std::move(decision), RejectReason::not_in_pool);
  }
  return std::nullopt;
}

} // namespace

const char* to_string(RouteOutcome outcome) noexcept {
  return detail::name_of(k_route_outcome_names, outcome);
}

const char* to_string(RejectReason reason) noexcept {
  return detail::name_of(k_reject_names, reason);
}

const char* to_string(RouteFailure failure) noexcept {
  return detail::name_of(k_failure_names, failure);
}

CallRouter::CallRouter(StateStore& store, AgentProviders& agents, MonotonicClock& clock,
                       Duration budget)
    : m_store(store), m_agents(agents), m_clock(clock), m_budget(budget) {
  if (budget <= Duration::zero()) {
    throw Error(ErrorKind::invalid_input, "the call router's time budget must be positive");
  }
}

CallDecision CallRouter::route(const IncomingCall& call) {
  CallDecision decision;
  std::optional<PoolNumber> number;
  std::optional<Agent> agent;
  if (std::optional<CallDecision> stop = look_up(m_store, call.to, decision, number, agent)) {
    return std::move(*stop);
  }
  if (number->status == NumberStatus::suspended) {
    // A call that reaches the router for a suspended number gets the number's out-of-service
    // answer (its voice URL's, which a console edit or a stale cache bypassed): never an agent.
    if (number->suspension && !number->suspension->message.empty()) {
      decision.outcome = RouteOutcome::out_of_service;
      decision.reject_reason = RejectReason::suspended;
      decision.spoken_message = number->suspension->message;
      return decision;
    }
    return rejected(std::move(decision), RejectReason::suspended);
  }
  if (number->status != NumberStatus::assigned) {
    return rejected(std::move(decision), RejectReason::not_assigned);
  }
  if (number->routing_mode != RoutingMode::webhook) {
    return rejected(std::move(decision), RejectReason::native_routing);
  }
  if (!agent || agent->status != AgentStatus::active || agent->provider_agent_id.empty()) {
    return rejected(std::move(decision), RejectReason::agent_unroutable);
  }
  decision.provider_agent_id = agent->provider_agent_id;
  decision.agent_id_mismatch =
      !call.requested_agent_id.empty() && call.requested_agent_id != agent->provider_agent_id;

  CallRegistration registration;
  registration.agent_id = agent->provider_agent_id;
  registration.from_number = call.from;
  registration.to_number = call.to;
  registration.direction = CallDirection::inbound;
  registration.user_id = number->tenant_slug;
  registration.dynamic_variables = {{"vami_tenant", number->tenant_slug},
                                    {"vami_call_sid", call.call_sid}};
  if (!agent->stream_url.empty()) {
    registration.stream_url = agent->stream_url;
    registration.stream_parameters = stream_call_parameters(*agent, call.call_sid);
  }
  const Instant started = m_clock.now();
  try {
    std::string document = m_agents.of(*agent).register_call(registration);
    decision.provider_latency = m_clock.now() - started;
    if (decision.provider_latency > m_budget) {
      // Twilio may still be waiting, but a caller who waited this long has heard only silence:
      // an apology now beats an agent that picks up later (and the next call must not queue
      // behind a slow provider).
      return failed(std::move(decision), RouteFailure::over_budget,
                    Error(ErrorKind::unavailable, "the agent provider answered after the budget"));
    }
    decision.outcome = RouteOutcome::connected;
    decision.connect_document = std::move(document);
    return decision;
  } catch (const Error& error) {
    decision.provider_latency = m_clock.now() - started;
    const RouteFailure failure = decision.provider_latency > m_budget
                                     ? RouteFailure::over_budget
                                     : RouteFailure::provider_error;
    return failed(std::move(decision), failure, error);
  }
}

CallDecision CallRouter::answer_provider_call(const ProviderCall& call) {
  CallDecision decision;
  std::optional<PoolNumber> number;
  std::optional<Agent> agent;
  if (std::optional<CallDecision> stop = look_up(m_store, call.to, decision, number, agent)) {
    return std::move(*stop);
  }
  if (number->status == NumberStatus::suspended) {
    return rejected(std::move(decision), RejectReason::suspended);
  }
  if (number->status != NumberStatus::assigned) {
    return rejected(std::move(decision), RejectReason::not_assigned);
  }
  if (!agent || agent->status != AgentStatus::active || agent->provider_agent_id.empty()) {
    return rejected(std::move(decision), RejectReason::agent_unroutable);
  }
  if (agent->provider != call.provider) {
    return rejected(std::move(decision), RejectReason::other_provider);
  }
  decision.provider_agent_id = agent->provider_agent_id;
  decision.agent_id_mismatch = !call.agent_id.empty() && call.agent_id != agent->provider_agent_id;
  // The same settings a stream agent's orchestrator gets, so that one prompt template serves
  // every platform; the provider has its own id for the call, so no call SID.
  decision.variables = stream_call_parameters(*agent, "");
  decision.outcome = RouteOutcome::connected;
  return decision;
}

void CallRouter::attribute(CallRecord& call) {
  if (!call.provider_agent_id.empty()) {
    if (std::optional<Agent> agent = m_store.find_agent(call.provider_agent_id)) {
      // The pool's agent decides the tenant: a body naming another tenant is not believed.
      call.agent_slug = agent->slug;
      call.tenant_slug = agent->tenant_slug;
      return;
    }
  }
  if (looks_like_e164(call.number)) {
    std::optional<PoolNumber> number = m_store.find_number(call.number);
    if (number && number->status == NumberStatus::assigned) {
      call.tenant_slug = number->tenant_slug;
      if (call.agent_slug.empty() && call.provider_agent_id.empty()) {
        call.agent_slug = number->agent_slug;
      }
      return;
    }
  }
}

CallOwner CallRouter::owner(std::string tenant_slug) {
  CallOwner found;
  if (!tenant_slug.empty()) {
    found.account = m_agents.account_of(tenant_slug);
    found.tenant_slug = std::move(tenant_slug);
  }
  return found;
}

CallUpsert CallRouter::record(CallRecord call) {
  if (call.call_sid.empty() && call.conversation_id.empty()) {
    throw Error(ErrorKind::invalid_input, "a call record needs a CallSid or a conversation id");
  }
  attribute(call);
  return m_store.upsert_call(call);
}

CallOwner CallRouter::owner_of(const CallRecord& call) {
  CallRecord filed = call;
  attribute(filed);
  // A tenant only the body names and the pool does not know has the platform's account.
  return owner(std::move(filed.tenant_slug));
}

CallOwner CallRouter::owner_of(const ProviderCall& call) {
  if (looks_like_e164(call.to)) {
    if (std::optional<PoolNumber> number = m_store.find_number(call.to);
        number && !number->tenant_slug.empty()) {
      return owner(number->tenant_slug);
    }
  }
  if (!call.agent_id.empty()) {
    if (std::optional<Agent> agent = m_store.find_agent(call.agent_id)) {
      return owner(agent->tenant_slug);
    }
  }
  return {};
}

} // namespace vami
