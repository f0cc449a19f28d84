#pragma once

#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/router_health.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/test_call.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// What a call to a number must get, as the state database says.
enum class ExpectedAnswer {
  agent,   ///< Its agent (assigned).
  message, ///< Its suspension message, then hang up (suspended with a message).
  no_agent ///< No agent: rejected (not in the pool, not assigned, suspended without a message).
};
/// "agent", "message", "no_agent".
[[nodiscard]] const char* to_string(ExpectedAnswer answer) noexcept;

/// Where calls to a number must go.
struct CallExpectation {
  ExpectedAnswer answer = ExpectedAnswer::no_agent;
  bool in_pool = false; ///< Whether the pool holds the number (not released).
  std::optional<NumberStatus> status;
  std::optional<RoutingMode> routing_mode; ///< `agent`: native or webhook.
  std::string tenant_slug;                 ///< `agent`, and a suspension from an assignment.
  std::string tenant_name;
  std::string agent_slug;
  std::string provider_agent_id;
  std::string message; ///< `message`: what callers must hear.
};

/// The hops of a call, in the order a call meets them.
enum class CallHopKind {
  number,    ///< The telephony account owns the number called.
  voice_url, ///< Its voice URL: the voice-agent provider's, a webhook, out of service, none.
  router,    ///< The voice webhook (the platform's router) answered TwiML.
  tenant,    ///< The tenant the call was routed for.
  agent,     ///< The agent that took the call (or the import that should name it).
  answer,    ///< What the caller heard first: the greeting, a message, a rejection.
};
/// "number", "voice_url", "router", "tenant", "agent", "answer".
[[nodiscard]] const char* to_string(CallHopKind kind) noexcept;

/// One hop and whether it went where the state database says.
struct CallHop {
  CallHopKind kind = CallHopKind::number;
  /// What the hop held, as data: the number; the voice URL kind (`to_string(VoiceUrlKind)`);
  /// the router's HTTP status; the tenant's slug; the agent's slug (its provider id when the
  /// database does not know it); the greeting, the message or the outcome.
  std::string value;
  std::string detail; ///< The voice URL; the agent's provider id; a reason code.
  bool ok = true;
};

/// What `vami calls test` found.
struct CallTestReport {
  TestCallRequest request;
  CallExpectation expected;
  /// Whether a call was placed (an emulator); when not, the chain was read back from the
  /// providers hop by hop and `check` holds what was read.
  bool placed = false;
  std::optional<PlacedTestCall> call;
  std::optional<RouteCheck> check;
  /// Live check of a suspended number: whether its voice URL is its out-of-service answer.
  std::optional<bool> out_of_service_url;
  std::vector<CallHop> hops;
  /// The first hop that did not go where the database says; empty when the call did.
  std::optional<CallHopKind> broken_hop;
  /// Why, as a code: a `RoutingFault` name, a placed call's reason ("not_imported",
  /// "http_status", ...), or "wrong_agent", "wrong_tenant", "reached_agent", "wrong_message",
  /// "not_spoken", "not_owned", "wrong_voice_url".
  std::string broken_reason;
  /// Whether the call reached what the database says (its agent, its message, no agent).
  [[nodiscard]] bool passed() const { return !broken_hop.has_value(); }
};

/// `vami calls test`: proves that a call to a pool number reaches the agent the state database
/// assigns it to (or its suspension message, or no agent). With a `TestCallPlacer` (the
/// sandbox) it places a simulated call and compares each hop with the database; without one
/// (live providers) it reads each hop back (`check_route`) and places no call. Changes nothing
/// in the state database.
class CallTestService {
public:
  /// Uses `telephony`, `agents` (may be null: not configured), `store` and `placer` (may be
  /// null: live providers); all must outlive the service. `router_url` is the configured
  /// router (empty when none); `router_health` (may be null) checks its health when the live
  /// check reads a webhook-routed number back (`check_route`).
  CallTestService(TelephonyProvider& telephony, AgentProviders* agents, StateStore& store,
                  TestCallPlacer* placer, std::string router_url,
                  RouterHealthProbe* router_health = nullptr);

  /// What the database says calls to `e164` must get.
  /// @throws Error(storage).
  [[nodiscard]] CallExpectation expectation(const std::string& e164);

  /// Tests `request.to` (any written form of a number; normalised to E.164).
  /// @throws Error(invalid_input) for a malformed number or caller; provider errors as
  ///         `TestCallPlacer::place` and `check_route` throw; Error(storage).
  [[nodiscard]] CallTestReport test(TestCallRequest request);

private:
  CallTestReport compare_placed(CallTestReport report, const PlacedTestCall& call);
  CallTestReport compare_checked(CallTestReport report);

  TelephonyProvider& m_telephony;
  AgentProviders* m_agents;
  StateStore& m_store;
  TestCallPlacer* m_placer;
  std::string m_router_url;
  RouterHealthProbe* m_router_health;
};

} // namespace vami
