#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/number.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/router_health.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// What a finding is about: a number, an agent, a knowledge-base document, or the workspace's
/// post-call webhook that `vami router setup` attached (ElevenLabs `convai/settings`).
enum class Subject { number, agent, document, post_call_webhook };
/// "number", "agent", "document", "post_call_webhook".
[[nodiscard]] const char* to_string(Subject subject) noexcept;

/// What reconcile found, comparing the state database with the telephony provider's owned
/// numbers (by E.164 and SID) and with the voice-agent provider's imported numbers, agents and
/// knowledge-base documents.
enum class FindingKind {
  // --- a number, at the telephony provider ----------------------------------------------------
  in_sync,          ///< Owned, and the pool row agrees (status, SID, voice webhook, and routing).
  webhook_drift,    ///< Owned and in the pool, but the stored voice webhook differs.
  sid_drift,        ///< Owned and in the pool, but under another provider SID.
  orphan_tagged,    ///< Owned, not in the pool, tagged `vami:...`: vami bought it; adoptable.
  orphan_untagged,  ///< Owned, not in the pool, no vami tag: someone else's; never adopted.
  ghost,            ///< In the pool (not released, not transitional) but no longer owned.
  stale_purchasing, ///< A `purchasing` row: a purchase whose outcome was never recorded.
  stale_releasing,  ///< A `releasing` row: a release whose outcome was never recorded.
  /// Suspended, but the provider's voice webhook is not the out-of-service answer
  /// (`TelephonyProvider::out_of_service_webhook`): calls may reach an agent or the platform.
  suspension_drift,
  // --- a number, at the voice-agent provider --------------------------------------------------
  /// Imported, but the provider routes it to another agent than the pool's native assignment:
  /// another agent or none for an assigned number, any agent for an unassigned one.
  agent_drift,
  /// The pool's id of the number's import (`agent_phone_number_id`) is not the provider's: the
  /// pool has none or another one while the provider has the number imported, or the pool has
  /// one the provider does not know and the number is not assigned natively.
  import_drift,
  /// Assigned with native routing, but the provider has no import of the number.
  not_imported,
  /// The voice URL at the telephony provider is not the one the number's routing needs, so
  /// calls do not go where the pool says: for native routing not the voice-agent provider's,
  /// for webhook routing not the router's URL for its agent (`stored_webhook` holds that one),
  /// for an unassigned number still the router's. `reported_webhook` holds the provider's.
  /// Also the SIP trunk: native routing to a provider that answers over SIP with the number on
  /// no trunk or on another trunk than vami's, or any other routing with the number on one
  /// (`not_on_sip_trunk`, `on_other_sip_trunk`, `on_sip_trunk`).
  voice_url_drift,
  // --- an agent -------------------------------------------------------------------------------
  agent_ghost,    ///< `active` in the database, gone at the provider (deleted outside vami).
  agent_orphan,   ///< At the provider with a vami tag, unknown to the database.
  stale_creating, ///< A `creating` row: an `agents create` whose outcome was never recorded.
  stale_deleting, ///< A `deleting` row: an `agents delete` that never finished.
  /// An agent with webhooks of its own (`agent_webhooks`: Synthflow) whose inbound or post-call
  /// webhook URL at the provider (`reported`, `reported_post_call_url`) is not the router's
  /// (`stored`, `stored_post_call_url`): its calls get no tenant variables, or its post-call data
  /// misses the call history. Only looked for when the router URL is vami's router's.
  agent_webhook_drift,
  // --- a document -----------------------------------------------------------------------------
  /// In the database, but no longer in its agent's knowledge base at the provider (deleted or
  /// detached outside vami).
  document_ghost,
  /// An `uploading` row: a `kb add` (or `onboard`) whose upload's answer was never recorded.
  document_uploading,
  /// At the provider under a vami upload name (`vami:<agent>:<key> <name>`), unknown to the
  /// database and attached to no agent it read: an upload whose intent is gone.
  document_orphan,
  // --- the post-call webhook of the call router -----------------------------------------------
  /// The workspace's post-call webhook setting names another webhook (`reported`; empty for
  /// none) than the one `vami router setup` created for the router (`provider_id`, the
  /// profile's `elevenlabs_webhook_id`), which still delivers to the router: conversations no
  /// longer reach the router's call history.
  post_call_webhook_detached,
  /// The webhook `vami router setup` created (`provider_id`) is gone from the workspace,
  /// disabled (by a person or after repeated failures), or delivers elsewhere (`reported`: its
  /// URL) than the router's post-call URL (`stored`): no repair can restore its secret.
  post_call_webhook_gone,
  // --- a number of a voice-agent provider's workspace (Synthflow) -----------------------------
  // (A pool row of the workspace whose number is gone from it is a `ghost`; a release never
  // recorded a `stale_releasing`; an agent other than the pool's answering it an `agent_drift`,
  // repaired by `set_provider_agent`; all with `agent_provider` naming the workspace.)
  /// The workspace holds a number the pool does not track (not bought through vami, or
  /// released from the pool): only reported, as `vami numbers import --provider NAME` brings
  /// it in; `provider_id` is the provider's id of the number, `reported` the agent that
  /// answers it there (empty for none).
  workspace_number_untracked,
};
/// The kind's name as written above ("in_sync", "agent_drift", ...): the words of the output.
[[nodiscard]] const char* to_string(FindingKind kind) noexcept;

/// What `ReconcileMode::apply` does about a finding. Every repair changes the state database
/// only, except `set_provider_agent`, `import_number`, `route_again` and `clear_voice_url`,
/// which change the providers' routing to match the database (the database is the source of
/// truth for assignment), `answer_out_of_service`, which points a suspended number's voice
/// webhook back at the out-of-service answer, `adopt_document`, which attaches the adopted
/// document to its agent, and `delete_document`, which deletes an unattached knowledge-base
/// document vami uploaded and lost track of. No number is ever bought or released, no agent or
/// document created; a number's import is made again when that is what points its voice URL
/// back.
enum class Repair {
  none,
  adopt,                  ///< orphan_tagged: put the number into the pool as `available`.
  mark_released,          ///< ghost: mark the row `released` (dropping any assignment).
  complete_purchase,      ///< stale_purchasing: the provider owns it under a vami tag.
  abandon_purchase,       ///< stale_purchasing: the purchase did not happen; the row goes.
  complete_release,       ///< stale_releasing: the provider no longer owns it.
  restore,                ///< stale_releasing: the provider still owns it; back to `available`.
  store_provider_sid,     ///< sid_drift: store the provider's SID.
  store_provider_webhook, ///< webhook_drift: store the provider's voice webhook.
  /// suspension_drift: point the voice webhook at the out-of-service answer again (a change at
  /// the telephony provider; the database is the source of truth) and store it.
  answer_out_of_service,
  set_provider_agent, ///< agent_drift: set the number's agent at the provider (or none).
  store_import_id,    ///< import_drift: store the provider's id of the import.
  forget_import_id,   ///< import_drift: forget an id the provider does not know.
  import_number,      ///< not_imported: import it, route it to its agent, store the id.
  /// voice_url_drift of an assigned number: route it again as its mode needs (`enact_routing`:
  /// native imports it again, which points the voice URL back; webhook sets the router's URL).
  route_again,
  /// voice_url_drift of an unassigned number: clear its voice webhook, and take it off the SIP
  /// trunk it is on.
  clear_voice_url,
  adopt_agent,      ///< stale_creating: the provider made it; store its id, mark active.
  remove_agent_row, ///< stale_creating / stale_deleting: no agent at the provider; drop the row.
  /// agent_webhook_drift: set the agent's inbound and post-call webhook URLs to the router's at
  /// the provider (as `vami router setup` does).
  point_agent_webhooks,
  forget_document, ///< document_ghost: drop the document row.
  adopt_document,  ///< document_uploading: the provider has it; store its id and attach it.
  forget_upload,   ///< document_uploading: the provider has no such upload; drop the row.
  delete_document, ///< document_orphan: delete it at the provider (it answers no calls).
  /// post_call_webhook_detached: attach the router's webhook again as the workspace's post-call
  /// webhook, with the events the router records (`router_post_call_events`).
  attach_post_call_webhook,
};
/// The repair's name as written above ("adopt", "set_provider_agent", ...).
[[nodiscard]] const char* to_string(Repair repair) noexcept;

/// Whether a finding still needs something done.
enum class Resolution {
  none_needed,  ///< In sync.
  would_repair, ///< Reported without `apply`; `apply` would repair it.
  repaired,     ///< Repaired by this run.
  unresolved,   ///< Left as it is; `Finding::holdup` says why.
};
/// "none_needed", "would_repair", "repaired", "unresolved".
[[nodiscard]] const char* to_string(Resolution resolution) noexcept;

/// Why a finding is left as it is.
enum class Holdup {
  none,
  not_vami,  ///< orphan_untagged: not bought by vami; never adopted.
  in_flight, ///< A command may still be working on it (changed within the in-flight grace).
  /// No safe automatic repair: an agent deleted outside vami (its row and its numbers'
  /// assignments are the tenant's; a person decides), an agent unknown locally, or an
  /// `agents delete` whose agent the provider still has.
  needs_person,
  agent_gone,        ///< A number whose agent is gone at the provider: see the agent_ghost.
  changed_meanwhile, ///< The row changed since it was read (`error` says how).
  refused,           ///< The provider refused the repair (`error` says why).
  interrupted,       ///< Stopped before this repair was tried.
  /// Webhook routing, but no router URL is configured: the right voice URL is unknown.
  no_router_url,
  /// Only `vami router setup` can make a new post-call webhook (its secret is handed out once,
  /// and kept in the profile).
  needs_router_setup,
};
/// "none", "not_vami", "in_flight", "needs_person", "agent_gone", "changed_meanwhile",
/// "refused", "interrupted", "no_router_url", "needs_router_setup".
[[nodiscard]] const char* to_string(Holdup holdup) noexcept;

/// One finding, as facts; the command line words them. Fields that do not apply are empty.
struct Finding {
  FindingKind kind = FindingKind::in_sync;
  Subject subject = Subject::number;
  std::string e164; ///< The number (number findings).
  /// The telephony provider's SID of the number: the one it reports when it owns it, else the
  /// stored one (number findings).
  std::string provider_sid;
  /// The voice-agent provider's id of the subject: the import's `phone_number_id` (voice-agent
  /// number findings), the agent id, the document id.
  std::string provider_id;
  /// The agent: a number's agent in the pool, the agent itself, a document's agent; for an
  /// agent_orphan, the slug its `vami-agent:` tag names.
  std::string agent_slug;
  std::string tenant_slug; ///< The agent's tenant (for an agent_orphan: its `vami-tenant:` tag).
  /// The voice-agent provider the finding was compared at ("elevenlabs", "synthflow", ...):
  /// the agent's, or a number's agent's (the default provider for a number without one); for
  /// an agent_orphan or a document_orphan, the provider that has it; empty for findings of the
  /// telephony provider alone.
  std::string agent_provider;
  /// post_call_webhook findings: the tenant account whose workspace holds the webhook (its
  /// account key, `AgentProviders::accounts`); empty for the platform's.
  std::string account;
  /// A number's friendly name (its tag), an agent's name, a document's name; for a
  /// post_call_webhook_gone why: "gone", "disabled", "auto_disabled" or "elsewhere".
  std::string name;
  std::optional<NumberStatus> status;      ///< The pool row's status as read (number findings).
  std::optional<RoutingMode> routing_mode; ///< An assigned number's routing mode, as read.
  /// What the database holds of what differs (a SID, an agent id, an import's id); empty for
  /// none. For agent_drift: the provider agent id the pool's assignment asks for.
  std::string stored;
  /// What the provider reports of it (a SID, an agent id, an import's id, a friendly name);
  /// empty for none.
  std::string reported;
  std::string reported_agent_slug; ///< agent_drift: the local slug of the provider's agent.
  /// agent_webhook_drift: the post-call webhook URL the router needs (`stored` holds the inbound
  /// one) and the one the provider reports (`reported` holds the inbound one); empty for none.
  std::string stored_post_call_url;
  std::string reported_post_call_url; ///< agent_webhook_drift: see `stored_post_call_url`.
  /// webhook_drift: the stored voice webhook; voice_url_drift: the one the routing needs
  /// (empty for native routing, where it is the voice-agent provider's own).
  VoiceWebhook stored_webhook;
  VoiceWebhook reported_webhook; ///< webhook_drift, voice_url_drift: the provider's.
  /// voice_url_drift: the SIP trunk the number is on (`OwnedNumber::sip_trunk_id`; empty for
  /// none), and whether its routing goes over one (native routing to Synthflow).
  std::string reported_sip_trunk;
  bool over_sip_trunk = false; ///< voice_url_drift: see `reported_sip_trunk`.
  /// voice_url_drift: routed over SIP, but on another trunk than vami's to the agent's provider
  /// (`reported_sip_trunk`, named `reported_sip_trunk_name`; empty when the account does not
  /// list it).
  bool on_other_sip_trunk = false;
  std::string reported_sip_trunk_name; ///< voice_url_drift: see `on_other_sip_trunk`.
  /// stale_purchasing: the row's buy operation; orphan_tagged: the tag's operation when the
  /// journal holds it (it is then recorded with the adopted number).
  std::string operation_id;
  std::string tag_operation; ///< orphan_tagged: the operation its tag names, journaled or not.
  int assigned_numbers = 0;  ///< agent_ghost: numbers the pool assigns to it.
  Repair repair = Repair::none;
  Resolution resolution = Resolution::none_needed;
  Holdup holdup = Holdup::none;
  std::string error; ///< changed_meanwhile, refused: what the store or the provider said.
};

/// Whether reconcile only reports or also repairs.
enum class ReconcileMode { report, apply };

/// Whether the voice-agent side was compared.
enum class VoiceAgentCoverage {
  compared,   ///< Agents, documents and imported numbers were compared.
  not_needed, ///< No voice-agent provider, and nothing in the database depends on one.
  skipped,    ///< No voice-agent provider, yet the database holds agents or imported numbers.
};
/// "compared", "not_needed", "skipped".
[[nodiscard]] const char* to_string(VoiceAgentCoverage coverage) noexcept;

/// The outcome of one reconcile run.
struct ReconcileReport {
  bool applied = false;
  std::string operation_id; ///< The journaled `reconcile` operation; empty unless applied.
  /// Numbers first (by E.164; a number's telephony finding before its voice-agent findings,
  /// one in_sync finding when it has none), then agents (by slug, then orphans by provider id),
  /// then documents (by agent, in the order added; then uploads in doubt and unattached vami
  /// uploads at the provider), then the router's post-call webhook.
  std::vector<Finding> findings;
  /// Findings per kind; every kind present, zero included. `in_sync` counts numbers.
  std::map<FindingKind, int> counts;
  int agents_in_sync = 0;    ///< Active agents the provider has, with no finding.
  int documents_in_sync = 0; ///< Documents still in their agent's knowledge base.
  VoiceAgentCoverage voice_agents = VoiceAgentCoverage::compared;
  bool interrupted = false; ///< Stopped before every repair was tried.
  /// What vami's call router answered its health check, when the router URL is vami's router
  /// (`endpoints_of_router_url`), a probe was given and something depends on the router (a
  /// number routed by webhook, or the post-call webhook `vami router setup` attached); empty
  /// otherwise. A router that is not healthy is drift no repair can make (calls to
  /// webhook-routed numbers reach no agent, conversations reach no call history).
  std::optional<RouterHealth> router_health;

  /// True when nothing is left to do: every finding is in sync or was repaired, the
  /// voice-agent side was compared or is not needed, and the router (when checked) is healthy.
  [[nodiscard]] bool settled() const noexcept;
};

/// How long after its last change a transitional row (a number `purchasing`/`releasing` whose
/// operation runs on another host, an agent `creating`/`deleting`), a freshly assigned number or
/// a freshly added document is treated as in flight (its command may be waiting for a provider)
/// and left alone. A number whose operation or routing change is held by a process on this host
/// is in flight exactly while that process runs (`holder_still_working`). A single provider
/// request gives up after 60 s; ten minutes leaves room for retries and backoff.
inline constexpr std::chrono::seconds k_in_flight_grace{600};

/// `vami reconcile` (DESIGN.md section 3, rule 4): reads the state database, then lists every
/// number the telephony provider owns and, when a voice-agent provider is given, every agent
/// and imported number it has (plus the agents whose knowledge base or existence must be
/// confirmed). Any failed listing throws before anything changes. It then reports each
/// difference and, in `ReconcileMode::apply`, repairs what it safely can. It never buys,
/// releases, creates or deletes anything at a provider, so it is safe to run at any time and
/// twice.
class ReconcileService {
public:
  /// `agents` may be null (no voice-agent provider configured): the voice-agent side is then
  /// skipped, and the report says whether the database depends on it. `actor` is written into
  /// the journal and audit trail. `in_flight_grace`: see `k_in_flight_grace`.
  /// `router_url`: the platform's call router that webhook routing points numbers at (empty when
  /// none is configured: the voice URL of a webhook-routed number is then only checked to name
  /// its agent, and not repaired). `router_health` (may be null) checks vami's router at
  /// `router_url` once per run (`ReconcileReport::router_health`). `post_call_webhook_id`: the
  /// workspace webhook `vami router setup` created for the router (the profile's
  /// `elevenlabs_webhook_id`; empty when none): checked to be there, enabled, delivering to
  /// the router and attached as the post-call webhook.
  ReconcileService(TelephonyProvider& telephony, AgentProviders* agents, StateStore& store,
                   std::string actor, std::chrono::seconds in_flight_grace = k_in_flight_grace,
                   std::string router_url = {}, RouterHealthProbe* router_health = nullptr,
                   std::string post_call_webhook_id = {});

  /// Checks the post-call webhooks `vami router setup` created in tenants' own accounts too:
  /// `webhook_ids` holds each one's id by account key (the CLI: the tenant profiles'
  /// `elevenlabs_webhook_id`), compared and repaired as the platform's
  /// (`Finding::account` names the account). An account among them without the provider's
  /// credentials is not read.
  void check_account_webhooks(std::map<std::string, std::string> webhook_ids) {
    m_account_webhook_ids = std::move(webhook_ids);
  }

  /// Compares and, with `ReconcileMode::apply`, repairs (see `Repair`):
  /// - orphan_tagged: adopted as an `available` row (country, locality and region from the
  ///   number, type local, the provider's monthly price when it can be read, the operation of
  ///   the tag `vami:<pool>:<op-id>` when the journal holds it);
  /// - ghost: marked `released` (an assigned ghost too: it rings nowhere);
  /// - stale_purchasing: purchase completed when the provider owns the number under a vami tag,
  ///   else abandoned; the buy operation's journal item is settled;
  /// - stale_releasing: release completed when the provider no longer owns it, else restored
  ///   to `available`; `uncertain` items of release operations are settled;
  /// - webhook_drift, sid_drift: the provider's voice webhook and SID are stored;
  /// - suspension_drift: the voice webhook is set back to the out-of-service answer and stored;
  /// - agent_drift: the number's agent at the voice-agent provider is set to the pool's
  ///   assignment (none for an unassigned number or one routed by webhook);
  /// - voice_url_drift (the routing a call follows, `routing_faults`): an assigned number is
  ///   routed again as its mode needs (`enact_routing`), an unassigned one whose voice URL still
  ///   points at the router has it cleared; left alone when its agent is gone at the provider
  ///   or (webhook routing) no router URL is configured;
  /// - import_drift: the provider's id of the import is stored (or an unknown one forgotten);
  /// - not_imported: the number is imported, routed to its agent, and the voice webhook the
  ///   provider then reports is stored;
  /// - stale_creating: the agent found by its tag `vami-agent:<slug>` (the oldest when
  ///   several) is adopted and the row marked `active`; without one the row is removed;
  /// - stale_deleting: the row is removed when the provider no longer has the agent;
  /// - agent_webhook_drift: the agent's inbound and post-call webhook URLs are set to the
  ///   router's at its provider (`update_agent`);
  /// - document_ghost: the document row is removed (so `vami kb add` can add it again);
  /// - document_uploading: the document found at the provider under the row's upload name is
  ///   adopted (its id stored, the row `active`, attached to the agent); without one the row
  ///   is removed;
  /// - document_orphan: the document is deleted at the provider, unless an agent references
  ///   it or the database has meanwhile recorded its upload;
  /// - post_call_webhook_detached: the router's webhook is attached again as the workspace's
  ///   post-call webhook (events `router_post_call_events`);
  /// - a workspace's numbers (the platform's providers with credentials, those agents are at,
  ///   and those of the pool's rows, with
  ///   `workspace_numbers`): a row whose number the workspace no longer holds is a ghost
  ///   (marked released), a release never recorded is completed or put back, and an agent
  ///   other than the pool's answering it is agent_drift (its agent set again); a number the
  ///   pool does not track is workspace_number_untracked. No telephony request is made for
  ///   them.
  /// Only reported: orphan_untagged, workspace_number_untracked, agent_orphan, agent_ghost (and its
  /// numbers), a stale_deleting whose agent the provider still has, post_call_webhook_gone (run
  /// `vami router setup`), and anything in flight. Each repair is its own transaction, conditional
  /// on the row being as it was read, with an audit entry (command "reconcile"); a row changed
  /// meanwhile is left unresolved, and so is a repair the provider refuses. An applied run is
  /// journaled as an operation of kind `reconcile`. Between repairs it stops once `stop_requested`
  /// returns true.
  /// @throws what `TelephonyProvider::list_owned`, `VoiceAgentProvider::list_agents`,
  ///         `list_imported_numbers`, `get_agent`, `list_webhooks` and `post_call_webhook`
  ///         throw (before anything changes);
  ///         Error(storage) for database failures.
  ReconcileReport reconcile(ReconcileMode mode, const StopRequested& stop_requested = {});

private:
  struct Plan;
  struct VoiceView;
  struct Journal;
  Plan classify(const std::optional<PoolNumber>& row, const std::optional<OwnedNumber>& owned);
  VoiceView read_voice_side(const std::vector<Agent>& agents,
                            const std::map<std::string, std::vector<Document>>& documents,
                            const std::set<std::string>& workspace_providers);
  std::vector<Plan> classify_number_routing(const PoolNumber& row, const OwnedNumber& owned,
                                            const VoiceView& voice,
                                            const std::string& in_flight_after);
  std::vector<Plan> classify_agents(const std::vector<Agent>& agents,
                                    const std::map<std::string, std::vector<Document>>& documents,
                                    const std::vector<PoolNumber>& rows, const VoiceView& voice,
                                    const std::string& in_flight_after, ReconcileReport& report);
  std::vector<Plan>
  classify_documents(const std::vector<Agent>& agents,
                     const std::map<std::string, std::vector<Document>>& documents,
                     const VoiceView& voice, const std::string& in_flight_after);
  void repair_document(const Plan& plan);
  std::optional<Plan> classify_agent_webhooks(const Agent& agent, const VoiceView& voice);
  void repair_agent_webhooks(const Plan& plan);
  std::vector<Plan> classify_post_call_webhook(const VoiceView& voice);
  std::vector<Plan> classify_workspace_numbers(const std::vector<PoolNumber>& workspace_rows,
                                               const std::set<std::string>& in_pool,
                                               const VoiceView& voice);
  void repair_post_call_webhook(const Plan& plan);
  /// Whether a `purchasing`/`releasing` row's operation may still be at work on it.
  bool in_flight(const PoolNumber& row);
  void repair(Plan& plan, Journal& journal);
  void repair_number(const Plan& plan, const std::string& operation_id);
  void repair_routing(const Plan& plan);
  void repair_agent(const Plan& plan);
  std::optional<Money> price_of(const std::string& country, NumberType type);
  void settle_items(const std::string& e164, OperationKind kind, const std::string& operation_id,
                    ItemOutcome outcome, const std::string& message);
  void audit(const std::string& entity_type, const std::string& entity_id,
             const std::string& before, const std::string& after,
             const std::string& tenant_slug = {});

  TelephonyProvider& m_telephony;
  AgentProviders* m_agents;
  StateStore& m_store;
  std::string m_actor;
  std::chrono::seconds m_in_flight_grace;
  std::string m_router_url;
  RouterHealthProbe* m_router_health;
  std::string m_post_call_webhook_id;
  std::map<std::string, std::string> m_account_webhook_ids;
  std::map<std::pair<std::string, NumberType>, std::optional<Money>> m_prices;
  std::optional<std::vector<AgentSipTrunk>> m_sip_trunks; // the account's, read once per run
};

} // namespace vami
