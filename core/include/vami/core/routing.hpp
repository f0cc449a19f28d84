#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/core/number.hpp>
#include <vami/core/router_health.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// Gives a number's routing back (`StateStore::end_routing_change`) when destroyed, once the
/// change that took it (`StateStore::assign_number`, `begin_routing_change`, ...) has reached
/// the providers or failed, so that the next change starts from what they hold. A failure to
/// give it back is ignored: others see the number free once this process has exited.
class RoutingHold {
public:
  /// Holds `e164`, which this process has just taken; `store` must outlive the hold.
  RoutingHold(StateStore& store, std::string e164) : m_store(store), m_e164(std::move(e164)) {}
  RoutingHold(const RoutingHold&) = delete;
  RoutingHold& operator=(const RoutingHold&) = delete;
  ~RoutingHold() {
    try {
      m_store.end_routing_change(m_e164);
    } catch (const Error&) {
      // Still held: others see it free once this process has exited.
    }
  }

private:
  StateStore& m_store;
  std::string m_e164;
};

/// Where calls to a pool number must go, as its row says.
enum class RoutingTarget {
  none,    ///< To no agent: the number is not assigned.
  native,  ///< To its agent, through the voice-agent provider's import of the number.
  webhook, ///< To its agent, through the platform's call router.
};
/// "none", "native", "webhook".
[[nodiscard]] const char* to_string(RoutingTarget target) noexcept;

/// One way in which what the providers hold for a number differs from its desired routing.
enum class RoutingFault {
  not_owned,    ///< The telephony provider does not own the number.
  no_voice_url, ///< The number has no voice URL at the telephony provider.
  /// The voice URL is not the one the routing needs: for native routing not the voice-agent
  /// provider's own, for webhook routing not the router's URL for the agent, for an unassigned
  /// number still the router's (calls would reach an agent).
  wrong_voice_url,
  not_imported,      ///< Native routing, but the voice-agent provider has no import of it.
  import_unassigned, ///< Native routing, but the import is assigned to no agent.
  /// The import is assigned to another agent than the routing needs (to any agent when the
  /// number is not routed natively).
  import_other_agent,
  agent_missing,    ///< The agent does not exist at the voice-agent provider.
  agent_unroutable, ///< The row's agent is unknown to the database or has no provider id.
  no_router_url,    ///< Webhook routing, but no router URL is configured: nothing to compare.
  /// Webhook routing through vami's router, which does not answer its health check
  /// (`GET <public>/healthz`) as it should: calls reach no agent.
  router_unhealthy,
  /// Native routing to an agent whose provider answers over SIP (Synthflow), but the number is
  /// on no SIP trunk: its calls follow its voice URL and never reach the provider.
  not_on_sip_trunk,
  /// The number is on a SIP trunk although its routing does not go over one (webhook routing,
  /// native routing by voice URL, or no agent): its voice URL is not used, and its calls
  /// follow the trunk.
  on_sip_trunk,
  /// Native routing over SIP, but the number is on another SIP trunk than vami's trunk to the
  /// agent's provider (`sip_trunk_name`; `ObservedRouting::other_sip_trunk` names it): its
  /// calls go wherever that trunk sends them.
  on_other_sip_trunk,
};
/// "not_owned", "no_voice_url", "wrong_voice_url", "not_imported", "import_unassigned",
/// "import_other_agent", "agent_missing", "agent_unroutable", "no_router_url",
/// "router_unhealthy", "not_on_sip_trunk", "on_sip_trunk", "on_other_sip_trunk".
[[nodiscard]] const char* to_string(RoutingFault fault) noexcept;

/// What the providers must hold for calls to a pool number to go where its row says. The one
/// definition of "routed" that assign, reassign, unassign, reconcile, `route` and
/// `webhooks show` share (`desired_routing` computes it).
struct DesiredRouting {
  RoutingTarget target = RoutingTarget::none;
  std::string e164;
  /// Who holds the number (`PoolNumber::provider`): the telephony provider, or the voice-agent
  /// provider whose workspace holds it (Synthflow), which then routes it alone.
  std::string number_provider;
  /// The telephony provider's SID of the number; for a workspace number, the voice-agent
  /// provider's id of it (Synthflow's slug).
  std::string provider_sid;
  std::string agent_slug;        ///< native, webhook: the agent calls must reach.
  std::string provider_agent_id; ///< native, webhook: its id at the voice-agent provider.
  /// webhook: the exact voice webhook the number must have (`router_webhook`). native: empty,
  /// because the voice URL must be the voice-agent provider's own
  /// (`VoiceAgentProvider::answers_voice_url`), which it sets when it imports the number.
  /// none: empty; the voice URL must only not be the router's.
  VoiceWebhook voice_webhook;
  /// The router URL webhook routing uses (empty when none is configured).
  std::string router_url;
  /// The agent an import of the number must be assigned to: the agent's provider id for native
  /// routing (which also needs the import to exist), none ("") otherwise.
  std::string import_agent_id;
  /// Why the routing can be neither made nor checked in full (`agent_unroutable`,
  /// `no_router_url`); empty when it can.
  std::optional<RoutingFault> blocked;
};

/// The routing that the pool row `row` asks for. `agent` is the row's agent as the database
/// knows it (empty when unknown); `router_url` the platform's call router (empty when none is
/// configured). Assigned rows are routed by their routing mode (native when unset); every other
/// status routes to no agent.
[[nodiscard]] DesiredRouting desired_routing(const PoolNumber& row,
                                             const std::optional<Agent>& agent,
                                             const std::string& router_url);

/// The voice webhook that routes a number to an agent through the platform's call router:
/// `<router_url>?agent_id=<provider_agent_id>` (`&` when the URL has a query), POST. The router
/// looks calls up by the number called, so the agent id only lets reconcile tell which agent a
/// voice URL meant. When `router_url` is vami's router (`<public>/twilio/voice`,
/// `endpoints_of_router_url`), the status callback is its `<public>/twilio/status`, and a
/// number without it is not routed as it should be (`wrong_voice_url`).
[[nodiscard]] VoiceWebhook router_webhook(const std::string& router_url,
                                          const std::string& provider_agent_id);

/// What the providers report of one number's routing.
struct ObservedRouting {
  std::optional<OwnedNumber> owned;       ///< Empty: the telephony provider does not own it.
  std::optional<ImportedNumber> imported; ///< Empty: the voice-agent provider has no import.
  /// Whether the number's voice URL is the voice-agent provider's own.
  bool voice_url_is_agent_provider = false;
  /// Whether the desired agent exists at the voice-agent provider; empty when not asked.
  std::optional<bool> agent_exists;
  /// Whether the voice-agent provider was read (`imported`, `agent_exists` and
  /// `voice_url_is_agent_provider` mean something); when not, only the telephony side is
  /// compared.
  bool voice_agent_side_read = true;
  /// What the router answered its health check (webhook routing through vami's router only);
  /// empty when not asked.
  std::optional<RouterHealth> router_health;
  /// The agent's provider answers numbers over a SIP trunk
  /// (`AgentProviderCapabilities::native_numbers_need_sip_trunk`): native routing needs the
  /// number on a trunk (`OwnedNumber::sip_trunk_id`), and its voice URL is not compared. When
  /// the voice-agent side is not read, a native number on a trunk is taken to be routed so.
  bool over_sip_trunk = false;
  /// The SIP trunk the number is on when it is not vami's trunk to the agent's provider
  /// (`foreign_sip_trunk`); read only for native routing over SIP with the number on a trunk,
  /// empty otherwise.
  std::optional<AgentSipTrunk> other_sip_trunk;
  /// The number is held in the voice-agent provider's workspace (`DesiredRouting::
  /// number_provider` is not the telephony provider): `owned` is the workspace's number (its
  /// id in `provider_sid`, no voice webhook, no trunk), `imported` the same number with the
  /// agent that answers it, and the telephony provider is not asked.
  bool workspace_number = false;
};

/// Every way `observed` differs from `desired`, in the order a call meets them (telephony
/// provider, then the agent); empty when calls go where the row says. A blocked routing
/// reports its `blocked` fault first and is compared as far as it can be.
[[nodiscard]] std::vector<RoutingFault> routing_faults(const DesiredRouting& desired,
                                                       const ObservedRouting& observed);

/// Whether calls to the number reach no agent although `desired` routes them to one: the faults
/// include one a call cannot get past (the number not owned, no or the wrong voice URL, native
/// routing without an import assigned to the agent, the agent missing).
[[nodiscard]] bool calls_unanswered(const DesiredRouting& desired,
                                    const std::vector<RoutingFault>& faults);

/// The trunk `trunk_id` when it is not vami's trunk to `agents` (named `sip_trunk_name(agents)`),
/// as `trunks` (`TelephonyProvider::list_sip_trunks`) has it (with an empty name when it is not
/// listed); empty when it is vami's.
[[nodiscard]] std::optional<AgentSipTrunk>
foreign_sip_trunk(const std::vector<AgentSipTrunk>& trunks, const std::string& trunk_id,
                  const VoiceAgentProvider& agents);

/// Reads what the providers hold of one number's routing: the telephony provider's number (with
/// the SIP trunk it is on, and for native routing over SIP whether that trunk is vami's), the
/// voice-agent provider's import of it and (when `desired` names an agent) whether the agent
/// exists. `agents` may be null: the voice-agent side is then not read. A workspace number
/// (`number_provider` not the telephony provider's name) is read from `agents`, which must then
/// be the provider holding it (`list_workspace_numbers`), and the telephony provider is not
/// asked. With `router` (may be null), a number routed by webhook through vami's router
/// (`endpoints_of_router_url`) has the router's health checked too.
/// @throws what `TelephonyProvider::find_owned`, `list_sip_trunks`,
///         `VoiceAgentProvider::list_imported_numbers` and `get_agent` throw.
[[nodiscard]] ObservedRouting observe_routing(TelephonyProvider& telephony,
                                              VoiceAgentProvider* agents,
                                              const DesiredRouting& desired,
                                              RouterHealthProbe* router = nullptr);

/// Makes the providers route a number as `desired` (target native or webhook) says, whatever
/// its history, starting from what its pool row `row` records, and stores what changed (the
/// import's id; the voice webhook the telephony provider reports); `row` follows.
/// - native: imports the number when the row records no import (reusing the provider's import
///   when it has one already), assigns the import to the agent (importing again, once, when the
///   provider lost it), then reads the number back from the telephony provider: when its voice
///   URL is not the voice-agent provider's own (webhook routing or someone else changed it
///   since the import), removes the import and imports it again, which points the voice URL
///   back, and assigns that import to the agent.
/// - native, to a provider that answers over SIP (`native_numbers_need_sip_trunk`, Synthflow):
///   makes sure the telephony account has the trunk to the provider (`ensure_sip_trunk`, named
///   `sip_trunk_name`, sending calls to `VoiceAgentProvider::sip_origination_uri`), moves the
///   number onto it (off any other trunk first), imports it into the provider with the trunk's
///   termination URI unless the provider has it already (`import_sip_trunk_number`), and
///   assigns that import to the agent. Such an import is found by its number and is not
///   recorded in the row, whose import id stays the one routing by voice URL keeps.
/// - webhook: sets the voice webhook to the router's for the agent, and takes the agent off the
///   number's import when the row records one.
/// - a workspace number (`number_provider` is `agents`' name, Synthflow): the workspace's
///   number is made the agent's (`set_number_agent` with its id); no telephony request.
/// Routing other than over SIP takes a number on a SIP trunk off it, so that its voice URL
/// answers again.
/// @throws Error(invalid_input) for a `none` or blocked routing; Error(uncertain) when the
///         voice-agent provider may have acted without answering, when the voice URL cannot be
///         read back, or when it is still not the voice-agent provider's after importing again
///         (the caller keeps the assignment; reconcile checks it); provider errors as the
///         provider interfaces document; Error(storage).
void enact_routing(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
                   const DesiredRouting& desired, PoolNumber& row);

/// Takes away the routing `previous` gave a number that is being unassigned, and stores what
/// changed; `row` follows. native: the number's import is assigned to no agent (its voice URL
/// stays the voice-agent provider's, which then answers no call); an import the provider lost
/// is forgotten. native over SIP: the import is assigned to no agent and removed, and the
/// number is taken off its SIP trunk. webhook: the voice webhook is cleared. A workspace number:
/// the workspace's number is taken off every agent (one of its own provider's requests only).
/// @throws provider errors as the provider interfaces document; Error(storage).
void clear_routing(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
                   const DesiredRouting& previous, PoolNumber& row);

/// The name of the telephony account's SIP trunk to `agents` ("vami synthflow"): one trunk per
/// voice-agent provider that answers over SIP, shared by every number routed to it.
[[nodiscard]] std::string sip_trunk_name(const VoiceAgentProvider& agents);

} // namespace vami
