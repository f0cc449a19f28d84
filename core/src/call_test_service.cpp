// `vami calls test` (see call_test_service.hpp): a call to a pool number, placed through the
// emulator or read back hop by hop, compared with where the state database says it goes.

#include <utility>

#include <vami/core/call_test_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/routing.hpp>

namespace vami {

const char* to_string(ExpectedAnswer answer) noexcept {
  switch (answer) {
  case ExpectedAnswer::agent:
    return "agent";
  case ExpectedAnswer::message:
    return "message";
  case ExpectedAnswer::no_agent:
    return "no_agent";
  }
  return "no_agent";
}

const char* to_string(CallHopKind kind) noexcept {
  switch (kind) {
  case CallHopKind::number:
    return "number";
  case CallHopKind::voice_url:
    return "voice_url";
  case CallHopKind::router:
    return "router";
  case CallHopKind::tenant:
    return "tenant";
  case CallHopKind::agent:
    return "agent";
  case CallHopKind::answer:
    return "answer";
  }
  return "number";
}

const char* to_string(VoiceUrlKind kind) noexcept {
  switch (kind) {
  case VoiceUrlKind::not_owned:
    return "not_owned";
  case VoiceUrlKind::none:
    return "none";
  case VoiceUrlKind::agent_provider:
    return "agent_provider";
  case VoiceUrlKind::out_of_service:
    return "out_of_service";
  case VoiceUrlKind::webhook:
    return "webhook";
  case VoiceUrlKind::sip_trunk:
    return "sip_trunk";
  }
  return "none";
}

const char* to_string(TestCallOutcome outcome) noexcept {
  switch (outcome) {
  case TestCallOutcome::connected:
    return "connected";
  case TestCallOutcome::rejected:
    return "rejected";
  case TestCallOutcome::spoken:
    return "spoken";
  case TestCallOutcome::failed:
    return "failed";
  }
  return "failed";
}

namespace {

// Marks `hop` broken (the first broken hop wins) and appends it.
void add_hop(CallTestReport& report, CallHop hop, const std::string& reason = {}) {
  if (!hop.ok && !report.broken_hop) {
    report.broken_hop = hop.kind;
    report.broken_reason = reason;
  }
  report.hops.push_back(std::move(hop));
}

std::string dynamic_variable(const PlacedTestCall& call, const std::string& name) {
  for (const auto& [key, value] : call.dynamic_variables) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

// The hop a routing fault breaks.
CallHopKind hop_of(RoutingFault fault, RoutingTarget target) {
  switch (fault) {
  case RoutingFault::not_owned:
    return CallHopKind::number;
  case RoutingFault::no_voice_url:
  case RoutingFault::wrong_voice_url:
  case RoutingFault::not_on_sip_trunk:
  case RoutingFault::on_sip_trunk:
  case RoutingFault::on_other_sip_trunk:
    return CallHopKind::voice_url;
  case RoutingFault::no_router_url:
  case RoutingFault::router_unhealthy:
    return CallHopKind::router;
  case RoutingFault::not_imported:
  case RoutingFault::import_unassigned:
  case RoutingFault::import_other_agent:
  case RoutingFault::agent_missing:
  case RoutingFault::agent_unroutable:
    return target == RoutingTarget::none ? CallHopKind::voice_url : CallHopKind::agent;
  }
  return CallHopKind::voice_url;
}

} // namespace

CallTestService::CallTestService(TelephonyProvider& telephony, AgentProviders* agents,
                                 StateStore& store, TestCallPlacer* placer, std::string router_url,
                                 RouterHealthProbe* router_health)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_placer(placer),
      m_router_url(std::move(router_url)), m_router_health(router_health) {}

CallExpectation CallTestService::expectation(const std::string& e164) {
  CallExpectation expected;
  std::optional<PoolNumber> row = m_store.find_number(e164);
  if (!row || row->status == NumberStatus::released) {
    return expected;
  }
  expected.in_pool = true;
  expected.status = row->status;
  expected.tenant_slug = row->tenant_slug;
  if (!row->tenant_slug.empty()) {
    if (auto tenant = m_store.find_tenant(row->tenant_slug)) {
      expected.tenant_name = tenant->name;
    }
  }
  if (row->status == NumberStatus::assigned) {
    expected.answer = ExpectedAnswer::agent;
    expected.routing_mode = row->routing_mode.value_or(RoutingMode::native);
    expected.agent_slug = row->agent_slug;
    if (auto agent = m_store.find_agent(row->agent_slug)) {
      expected.provider_agent_id = agent->provider_agent_id;
    }
  } else if (row->status == NumberStatus::suspended && row->suspension) {
    expected.message = row->suspension->message;
    expected.answer = expected.message.empty() ? ExpectedAnswer::no_agent : ExpectedAnswer::message;
    expected.agent_slug = row->suspension->agent_slug;
  }
  return expected;
}

CallTestReport CallTestService::test(TestCallRequest request) {
  request.to = to_e164(request.to);
  if (!request.from.empty()) {
    request.from = to_e164(request.from);
  }
  if (std::optional<PoolNumber> row = m_store.find_number(request.to);
      row && row->status != NumberStatus::released && row->provider != m_telephony.name()) {
    // Test calls go through the telephony provider (its Calls API, or its voice URL in the
    // sandbox), which neither holds nor routes a workspace's number.
    throw Error(ErrorKind::invalid_input,
                "cannot place a test call to " + request.to + ", a number of the " + row->provider +
                    " workspace: vami places test calls through " + m_telephony.name() +
                    ", which does not hold it",
                "check its routing with 'vami route " + request.to + "', and call it from a phone");
  }
  CallTestReport report;
  report.request = request;
  report.expected = expectation(request.to);
  if (m_placer != nullptr) {
    if (std::optional<PlacedTestCall> call = m_placer->place(request)) {
      report.placed = true;
      return compare_placed(std::move(report), *call);
    }
  }
  return compare_checked(std::move(report));
}

CallTestReport CallTestService::compare_placed(CallTestReport report, const PlacedTestCall& call) {
  report.call = call;
  const CallExpectation& expected = report.expected;
  const bool wants_agent = expected.answer == ExpectedAnswer::agent;

  add_hop(report,
          {CallHopKind::number, call.to, "", call.voice_url_kind != VoiceUrlKind::not_owned},
          "not_owned");
  if (call.voice_url_kind == VoiceUrlKind::not_owned) {
    if (!wants_agent && expected.answer != ExpectedAnswer::message) {
      // A number the account does not own reaches no agent: what the database says.
      report.broken_hop.reset();
      report.broken_reason.clear();
      report.hops.back().ok = true;
    }
    return report;
  }

  // The voice URL must be the one the routing needs.
  bool url_ok = true;
  if (wants_agent) {
    // Native routing reaches the agent provider by its voice URL, or by a SIP trunk for a
    // provider that answers over SIP.
    url_ok = expected.routing_mode == RoutingMode::webhook
                 ? call.voice_url_kind == VoiceUrlKind::webhook
                 : call.voice_url_kind == VoiceUrlKind::agent_provider ||
                       call.voice_url_kind == VoiceUrlKind::sip_trunk;
  } else if (expected.answer == ExpectedAnswer::message) {
    url_ok = call.voice_url_kind == VoiceUrlKind::out_of_service;
  }
  add_hop(report, {CallHopKind::voice_url, to_string(call.voice_url_kind), call.voice_url, url_ok},
          call.voice_url_kind == VoiceUrlKind::none ? "no_voice_url" : "wrong_voice_url");

  // The router answers the voice webhook, or the inbound webhook of a provider reached by SIP.
  if (call.voice_url_kind == VoiceUrlKind::webhook ||
      (call.voice_url_kind == VoiceUrlKind::sip_trunk && call.voice_webhook)) {
    const bool answered = call.voice_webhook && call.voice_webhook->ok() &&
                          call.reason != "not_twiml" && call.reason != "http_status" &&
                          call.reason != "unreachable" && call.reason != "bad_answer";
    CallHop router{CallHopKind::router,
                   call.voice_webhook && call.voice_webhook->http_status
                       ? std::to_string(*call.voice_webhook->http_status)
                       : std::string(),
                   call.voice_webhook ? call.voice_webhook->error : std::string(), true};
    // The router refusing a number that should reach an agent is the router's hop.
    router.ok = answered && (!wants_agent || call.outcome == TestCallOutcome::connected);
    add_hop(report, router,
            answered ? call.reason : (call.reason.empty() ? "http_status" : call.reason));
  }

  if (call.outcome == TestCallOutcome::connected) {
    // The tenant the router named (webhook routing), else the agent's tenant in the database.
    std::optional<Agent> agent = m_store.find_agent(call.agent_id);
    std::string tenant = dynamic_variable(call, "vami_tenant");
    if (tenant.empty() && agent) {
      tenant = agent->tenant_slug;
    }
    if (wants_agent || !tenant.empty()) {
      add_hop(report,
              {CallHopKind::tenant, tenant, "", wants_agent && tenant == expected.tenant_slug},
              wants_agent ? "wrong_tenant" : "reached_agent");
    }
    const bool right_agent = wants_agent && call.agent_id == expected.provider_agent_id;
    add_hop(report,
            {CallHopKind::agent, agent ? agent->slug : call.agent_id, call.agent_id, right_agent},
            wants_agent ? "wrong_agent" : "reached_agent");
    const std::string greeting =
        call.transcript.empty() ? std::string() : call.transcript[0].message;
    add_hop(report, {CallHopKind::answer, greeting, to_string(call.outcome), true});
    return report;
  }

  if (wants_agent) {
    // The call reached no agent: the hop after the voice URL (native: the import) broke.
    const CallHopKind where = call.voice_url_kind == VoiceUrlKind::agent_provider ||
                                      call.voice_url_kind == VoiceUrlKind::sip_trunk
                                  ? CallHopKind::agent
                                  : CallHopKind::answer;
    add_hop(report, {where, to_string(call.outcome), call.reason, false},
            call.reason.empty() ? std::string(to_string(call.outcome)) : call.reason);
    return report;
  }
  if (expected.answer == ExpectedAnswer::message) {
    const bool spoken_right =
        call.outcome == TestCallOutcome::spoken && call.spoken_message == expected.message;
    add_hop(
        report,
        {CallHopKind::answer,
         call.outcome == TestCallOutcome::spoken ? call.spoken_message : to_string(call.outcome),
         to_string(call.outcome), spoken_right},
        call.outcome == TestCallOutcome::spoken ? "wrong_message" : "not_spoken");
    return report;
  }
  // No agent expected: anything but an agent or a message will do (rejected, or a call Twilio
  // cannot follow, which reaches nobody either).
  const bool nobody =
      call.outcome == TestCallOutcome::rejected || call.outcome == TestCallOutcome::failed;
  add_hop(report,
          {CallHopKind::answer,
           call.outcome == TestCallOutcome::spoken ? call.spoken_message : to_string(call.outcome),
           call.reason, nobody},
          "not_rejected");
  return report;
}

CallTestReport CallTestService::compare_checked(CallTestReport report) {
  const CallExpectation& expected = report.expected;
  if (!expected.in_pool) {
    // Not the pool's: no routing to read back. Calls reach no agent of the platform unless the
    // account routes the number somewhere, which the pool cannot know.
    std::optional<OwnedNumber> owned = m_telephony.find_owned(report.request.to);
    add_hop(report, {CallHopKind::number, report.request.to, owned ? "owned" : "not_owned", true});
    if (owned) {
      add_hop(report,
              {CallHopKind::voice_url, owned->webhook.voice_url.empty() ? "none" : "webhook",
               owned->webhook.voice_url, true});
    }
    return report;
  }
  RouteCheck check =
      check_route(m_telephony, m_agents, m_store, m_router_url, report.request.to, m_router_health);
  report.check = check;
  const DesiredRouting& desired = check.desired;
  std::vector<RoutingFault> faults = check.faults;

  add_hop(report, {CallHopKind::number, report.request.to, "", check.observed.owned.has_value()},
          "not_owned");
  if (!check.observed.owned) {
    return report;
  }
  const std::string& voice_url = check.observed.owned->webhook.voice_url;
  VoiceUrlKind kind = VoiceUrlKind::webhook;
  if (voice_url.empty()) {
    kind = VoiceUrlKind::none;
  } else if (check.observed.voice_url_is_agent_provider) {
    kind = VoiceUrlKind::agent_provider;
  } else if (expected.status == NumberStatus::suspended &&
             voice_url == m_telephony.out_of_service_webhook(expected.message).voice_url) {
    kind = VoiceUrlKind::out_of_service;
  }
  bool url_ok = true;
  std::string url_reason;
  for (RoutingFault fault : faults) {
    if (hop_of(fault, desired.target) == CallHopKind::voice_url) {
      url_ok = false;
      url_reason = to_string(fault);
      break;
    }
  }
  if (expected.status == NumberStatus::suspended) {
    report.out_of_service_url = kind == VoiceUrlKind::out_of_service;
    if (kind != VoiceUrlKind::out_of_service) {
      url_ok = false;
      url_reason = "wrong_voice_url";
    }
  }
  add_hop(report, {CallHopKind::voice_url, to_string(kind), voice_url, url_ok}, url_reason);

  if (desired.target == RoutingTarget::webhook) {
    bool router_ok = true;
    std::string router_reason;
    for (RoutingFault fault : faults) {
      if (router_ok && hop_of(fault, desired.target) == CallHopKind::router) {
        router_ok = false;
        router_reason = to_string(fault);
      }
    }
    add_hop(report, {CallHopKind::router, desired.router_url, "", router_ok}, router_reason);
  }
  if (desired.target != RoutingTarget::none) {
    add_hop(report, {CallHopKind::tenant, expected.tenant_slug, "", true});
    bool agent_ok = true;
    std::string agent_reason;
    for (RoutingFault fault : faults) {
      if (hop_of(fault, desired.target) == CallHopKind::agent) {
        agent_ok = false;
        agent_reason = to_string(fault);
        break;
      }
    }
    add_hop(report, {CallHopKind::agent, expected.agent_slug, desired.provider_agent_id, agent_ok},
            agent_reason);
  }
  return report;
}

} // namespace vami
