#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/error.hpp>
#include <vami/core/monotonic_clock.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// An incoming call as the telephony provider's voice webhook describes it (Twilio's request
/// parameters `CallSid`, `AccountSid`, `From`, `To`, `Direction`, `CallStatus`).
struct IncomingCall {
  std::string call_sid;    ///< "CA" + 32 hex digits.
  std::string account_sid; ///< The account the number belongs to ("AC...").
  std::string from;        ///< The caller: E.164, or `client:...` / `sip:...`.
  std::string to;          ///< The number called: E.164 for a call from the phone network.
  std::string direction;   ///< "inbound" for a call to a pool number.
  std::string call_status; ///< "ringing" on the first request.
  /// The agent id the voice URL names (`?agent_id=`), when it names one. The state database
  /// decides where the call goes; a different id here is reported (`agent_id_mismatch`).
  std::string requested_agent_id;
};

/// What the router answers a call with.
enum class RouteOutcome {
  connected, ///< Handed to its agent: the agent provider's TwiML is the answer.
  rejected,  ///< Refused unanswered (Twilio `<Reject/>`; the call is not billed).
  failed,    ///< The agent could not take it in time: an apology is spoken, then hang up.
  /// A suspended number with a message (`vami numbers suspend --message`): the message is
  /// spoken, then hang up, as the number's own out-of-service answer does.
  out_of_service,
};
/// "connected", "rejected", "failed", "out_of_service".
[[nodiscard]] const char* to_string(RouteOutcome outcome) noexcept;

/// Why a call is rejected.
enum class RejectReason {
  not_a_number,     ///< `To` is not an E.164 number (a `client:` or `sip:` address).
  not_in_pool,      ///< The pool does not hold the number (or it was released).
  not_assigned,     ///< The pool holds it, but no agent has it (available, or in transition).
  suspended,        ///< The number is suspended: no agent answers it.
  native_routing,   ///< Assigned with native routing: the agent provider answers it, not the
                    ///< router; a call here means its voice URL is wrong (see `vami reconcile`).
  agent_unroutable, ///< Its agent row has no provider id or is being created or deleted.
  /// A voice-agent provider asked about a call (`CallRouter::answer_provider_call`) to a number
  /// assigned to an agent of another provider: the number's routing is stale at the provider.
  other_provider,
};
/// "not_a_number", "not_in_pool", "not_assigned", "suspended", "native_routing",
/// "agent_unroutable", "other_provider".
[[nodiscard]] const char* to_string(RejectReason reason) noexcept;

/// Why a call that should reach an agent failed.
enum class RouteFailure {
  provider_error, ///< The agent provider refused or could not be reached.
  over_budget,    ///< The agent provider answered, but after the time budget.
  storage,        ///< The state database could not be read.
};
/// "provider_error", "over_budget", "storage".
[[nodiscard]] const char* to_string(RouteFailure failure) noexcept;

/// What to answer one call with, and the facts to log and count.
struct CallDecision {
  RouteOutcome outcome = RouteOutcome::rejected;
  std::optional<RejectReason> reject_reason; ///< Set when `rejected`.
  std::optional<RouteFailure> failure;       ///< Set when `failed`.
  std::string connect_document; ///< When `connected`: the agent provider's TwiML, as it came.
  std::string spoken_message;   ///< When `out_of_service`: the suspension's message.
  std::string tenant_slug;      ///< The number's tenant, when the pool knows one.
  std::string agent_slug;       ///< The number's agent, when assigned.
  std::string provider_agent_id;
  /// The voice URL named another agent than the state database: it is stale (the database wins).
  bool agent_id_mismatch = false;
  /// How long the agent provider took (zero when it was not asked).
  Duration provider_latency{};
  std::optional<ErrorKind> error_kind; ///< When `failed`: the error's kind.
  std::string error_message;           ///< When `failed`: the error's message (no secret).
  /// When `connected` by `answer_provider_call`: the tenant's variables for the call
  /// (`stream_call_parameters`: `vami_tenant`, `vami_agent`, `vami_agent_id`, `vami_agent_name`,
  /// `vami_greeting`, `vami_voice`, `vami_language`, `vami_personality`), in order.
  std::vector<StreamParameter> variables;
};

/// A call a voice-agent provider that answers pool numbers itself (Synthflow, over a SIP trunk)
/// asks about before its agent picks up (Synthflow's inbound webhook), in provider-neutral
/// words.
struct ProviderCall {
  std::string provider; ///< The provider asking ("synthflow"): `VoiceAgentProvider::name`.
  std::string call_id;  ///< The provider's id of the call; may be empty.
  std::string from;     ///< The caller, as the provider gives it.
  std::string to;       ///< The number called: E.164.
  std::string agent_id; ///< The provider's agent that received the call; empty when none.
};

/// Whose a webhook about a call is: the tenant it is filed under and the voice-agent account
/// (`AgentProviders::account_of`) whose webhook secret must have signed it.
struct CallOwner {
  std::string tenant_slug; ///< Empty when the pool knows no tenant of the call.
  std::string account;     ///< "" for the platform's accounts, else the tenant's account key.
};

/// The routing decision for webhook-routed numbers (DESIGN.md: "the call-routing decision"): by
/// the number called, `To` -> pool row -> tenant and agent -> what to answer. A number the pool
/// holds, assigned to an active agent with webhook routing, is registered with the agent
/// provider (`VoiceAgentProvider::register_call`, inbound, `user_id` = the tenant, dynamic
/// variables `vami_tenant` and `vami_call_sid`) and its answer relayed; anything else is
/// rejected before anyone is billed (a suspended number with a message gets its message, as
/// its out-of-service voice URL answers); a provider failure, or an answer later than the time
/// budget, fails the call (the caller hears an apology). Reads only: it never changes the state
/// database. Thread-safe when the store and the provider are.
class CallRouter {
public:
  /// The time budget by default: well inside the 15 s Twilio waits for a voice webhook's answer
  /// ("11205: HTTP connection failure").
  static constexpr std::chrono::milliseconds k_default_budget{5000};

  /// Routes with `store`, `agents` and `clock` (all must outlive the router) within `budget`.
  /// @throws Error(invalid_input) for a budget that is not positive.
  CallRouter(StateStore& store, AgentProviders& agents, MonotonicClock& clock,
             Duration budget = k_default_budget);

  /// Decides what to answer `call` with. Never throws for a call: every failure is a decision.
  [[nodiscard]] CallDecision route(const IncomingCall& call);

  /// Decides whether the agent provider asking about `call` may let its agent take it, and with
  /// which variables: by the number called, as `route` does, without asking the provider
  /// anything. Connected when the pool holds the number, assigned (native or webhook routing)
  /// to an active agent of `call.provider` with a provider id: `provider_agent_id` is that
  /// agent (`agent_id_mismatch` when the provider named another), `variables` its tenant's
  /// (`stream_call_parameters`, no call SID). Otherwise rejected (`not_a_number`,
  /// `not_in_pool`, `not_assigned`, `suspended`, even with a message: the provider cannot speak
  /// it; `agent_unroutable`; `other_provider` for an agent at another provider), or failed
  /// (`storage`). Never throws; reads only.
  [[nodiscard]] CallDecision answer_provider_call(const ProviderCall& call);

  /// Stores what a webhook (a status callback, a post-call event) says of a call in the call
  /// history, idempotently (`StateStore::upsert_call`: a redelivery changes nothing), first
  /// filing it as `owner_of` does: under the agent named by `provider_agent_id` and that
  /// agent's tenant (whatever tenant the record names), else under the tenant (and agent) of
  /// its number when assigned, else under the tenant the record names.
  /// @throws Error(storage) when the state database fails; Error(invalid_input) for a record
  ///         with neither a CallSid nor a conversation id.
  CallUpsert record(CallRecord call);

  /// Whose webhook `call` is (a post-call event's record, before its signature is checked: the
  /// body is untrusted, so the owner is what the pool says of what it names): the tenant of the
  /// agent its `provider_agent_id` names, else of its number when assigned, else the tenant it
  /// names (one the pool does not know has the platform's account ""); and that tenant's
  /// account. Only that account's secret may vouch for it.
  /// @throws Error(storage) when the state database fails.
  [[nodiscard]] CallOwner owner_of(const CallRecord& call);
  /// Whose provider's question `call` is (Synthflow's inbound webhook, before its signature is
  /// checked): the tenant of the number called when the pool knows it (whose settings the
  /// answer gives), else of the agent `agent_id` names, else none; and that tenant's account.
  /// @throws Error(storage) when the state database fails.
  [[nodiscard]] CallOwner owner_of(const ProviderCall& call);

private:
  // Fills `call`'s tenant and agent as `record` files it.
  void attribute(CallRecord& call);
  CallOwner owner(std::string tenant_slug);

  StateStore& m_store;
  AgentProviders& m_agents;
  MonotonicClock& m_clock;
  Duration m_budget;
};

} // namespace vami
