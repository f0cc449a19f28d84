#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>
#include <vami/core/number.hpp>
#include <vami/core/router_endpoints.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// The name of the post-call webhook `router setup` creates: a workspace webhook of this name
/// is vami's, and one that is not the configured router's is replaced (deleted), not kept.
inline constexpr const char* k_router_webhook_name = "vami router";

/// The post-call events the router records (`transcript`, `call_initiation_failure`): not
/// `audio`, which ElevenLabs streams as large chunked bodies the router does not store.
[[nodiscard]] const std::vector<std::string>& router_post_call_events();

/// What an earlier `router setup` left for the next one (the CLI keeps it in the profile).
struct RouterSetupMemory {
  std::string webhook_id;     ///< The post-call webhook vami created; empty for none.
  std::string webhook_secret; ///< Its secret; empty when unknown (it is then replaced).
};

/// What the next `router setup` must remember, handed over as soon as it is known (a secret is
/// shown once: losing it means a new webhook).
struct RouterSetupRecord {
  RouterEndpoints endpoints; ///< `endpoints.voice_url` is the router URL of webhook routing.
  std::string webhook_id;
  std::string new_secret; ///< The secret of a webhook just created; empty when kept.
};

/// How `router setup` keeps what it needs of tenants' own accounts (`AgentProviders::accounts`
/// other than the platform's ""), per account key. The CLI keeps it in the profile of that name.
struct RouterSetupAccountMemory {
  /// What the last run left for account `account` (its webhook id and secret).
  std::function<RouterSetupMemory(const std::string& account)> recall;
  /// Stores `record` for account `account` durably (as `set_up`'s `remember`; the router URL
  /// of `record.endpoints` is the platform's, not the account's).
  std::function<void(const std::string& account, const RouterSetupRecord& record)> remember;
};

/// Whether `router setup` changes the providers or only says what it would change.
enum class RouterSetupMode { apply, dry_run };

/// What happened to one webhook-routed number.
enum class RouterNumberOutcome {
  in_place,    ///< Its voice webhook was the router's already.
  pointed,     ///< Its voice webhook now is the router's (dry run: would be pointed).
  failed,      ///< It could not be pointed (`error` says why).
  interrupted, ///< Not tried: stopped first.
};
/// "in_place", "pointed", "failed", "interrupted".
[[nodiscard]] const char* to_string(RouterNumberOutcome outcome) noexcept;

/// One webhook-routed number of a `router setup`.
struct RouterNumberResult {
  std::string e164;
  std::string tenant_slug;
  std::string agent_slug;
  RouterNumberOutcome outcome = RouterNumberOutcome::in_place;
  VoiceWebhook before; ///< As the telephony provider reported it (the row's when not owned).
  VoiceWebhook after;  ///< As it reports it now (pointed, in_place); empty otherwise.
  ErrorKind error_kind = ErrorKind::provider; ///< failed: what kind of failure.
  std::string error;                          ///< failed: the message.
};

/// What `router setup` did to the post-call webhook of one ElevenLabs workspace (steps 1 to 4 of
/// `RouterSetupService::set_up`).
struct PostCallWebhookOutcome {
  /// The post-call webhook now attached (dry run: the one kept; empty when one would be made).
  std::string webhook_id;
  bool created = false; ///< A new webhook (and secret) was made; else it was kept.
  /// The Agents Platform setting was changed (another webhook or other events were attached).
  bool attachment_changed = false;
  /// The webhook attached before, when it was another one (possibly not vami's); empty else.
  std::string replaced_attachment;
  /// Why it was left alone (the workspace's provider has no credentials); empty when set up.
  std::string skipped;
  /// Earlier vami webhooks (`k_router_webhook_name`) deleted.
  std::vector<std::string> deleted;
};

/// One tenant account of a `router setup`: an account key in use (`AgentProviders::accounts`,
/// the CLI's profile name) other than the platform's.
struct RouterAccountResult {
  std::string account;              ///< The account key (the profile's name).
  std::vector<std::string> tenants; ///< The tenants on it, by slug.
  /// Its ElevenLabs workspace's post-call webhook; `post_call.skipped` says why it was left
  /// alone (the account has no ElevenLabs key).
  PostCallWebhookOutcome post_call;
  /// Why some of its agents were left alone: the account lacks their provider's keys (the
  /// error's message; one for the first such agent); empty when none was.
  std::string agents_skipped;
  int agents_left = 0; ///< Agents left alone for that reason.
  bool failed = false; ///< Its webhook could not be set up (`error` says why).
  ErrorKind error_kind = ErrorKind::provider; ///< failed: what kind of failure.
  std::string error;                          ///< failed: the message.
  bool interrupted = false;                   ///< Not tried: stopped first.
};

/// One agent with its own webhooks (`AgentProviderCapabilities::agent_webhooks`: Synthflow) of
/// a `router setup`: its inbound and post-call webhooks pointed at the router.
struct RouterAgentResult {
  std::string agent_slug;
  std::string tenant_slug;
  std::string provider;          ///< "synthflow".
  std::string provider_agent_id; ///< The provider's id.
  std::string account; ///< The account key of its tenant ("" for the platform's accounts).
  /// `in_place` (both were the router's), `pointed` (dry run: would be), `failed`,
  /// `interrupted`.
  RouterNumberOutcome outcome = RouterNumberOutcome::in_place;
  std::string previous_inbound_url;           ///< As the provider reported it before.
  std::string previous_post_call_url;         ///< As the provider reported it before.
  ErrorKind error_kind = ErrorKind::provider; ///< failed: what kind of failure.
  std::string error;                          ///< failed: the message.
};

/// What `router setup` did, as facts; the command line words them.
struct RouterSetupReport {
  RouterEndpoints endpoints;
  bool dry_run = false; ///< Nothing was changed: the fields say what would be.
  /// The post-call webhook now attached (dry run: the one kept; empty when one would be made).
  std::string webhook_id;
  bool webhook_created = false; ///< A new webhook (and secret) was made; else it was kept.
  /// The Agents Platform setting was changed (another webhook or other events were attached).
  bool attachment_changed = false;
  /// The webhook attached before, when it was another one (possibly not vami's); empty else.
  std::string replaced_attachment;
  /// Why the workspace's post-call webhook (steps 1 to 4 of `set_up`) was left alone: the
  /// provider holding it (`RouterSetupService::k_post_call_provider`, ElevenLabs) has no
  /// credentials (a platform on Synthflow or its own orchestrator only); empty when it was set
  /// up.
  std::string post_call_webhook_skipped;
  /// Earlier vami webhooks (`k_router_webhook_name`) deleted: for another URL, or whose secret
  /// vami does not know.
  std::vector<std::string> deleted_webhooks;
  std::vector<RouterNumberResult> numbers; ///< Every webhook-routed assigned number, by E.164.
  bool interrupted = false;                ///< Stopped before every number was tried.
  /// Every active agent with its own webhooks (Synthflow), by slug, in whichever account.
  std::vector<RouterAgentResult> agents;
  /// Every tenant account in use, by account key (`AgentProviders::accounts` but "").
  std::vector<RouterAccountResult> accounts;
  /// Numbers, agents and accounts that failed.
  [[nodiscard]] int failed() const noexcept;
};

/// `vami router setup`: makes the providers hold what the call router at a public URL needs.
class RouterSetupService {
public:
  /// The voice-agent provider whose workspace delivers post-call webhooks to the router.
  static constexpr const char* k_post_call_provider = "elevenlabs";

  /// `actor` goes into the audit trail. The references must outlive the service.
  RouterSetupService(TelephonyProvider& telephony, AgentProviders& agents, StateStore& store,
                     std::string actor);

  /// Sets the providers up for the router at `public_url`, and can be run again (what is in
  /// place is left alone):
  /// 1. the post-call webhook: kept when `memory` names a vami webhook that still exists, is
  ///    enabled, delivers to `<public>/elevenlabs/post-call` and whose secret `memory` holds;
  ///    otherwise a new HMAC webhook is created (`VoiceAgentProvider::create_webhook`, never
  ///    retried after an ambiguous failure: the next run replaces what it may have made);
  /// 2. `remember` is called with what the next run needs (the endpoints, the webhook, a new
  ///    secret) before anything else changes; it must store it durably. When it throws, a
  ///    webhook just created is deleted and the error passes through;
  /// 3. the webhook is attached as the workspace's post-call webhook with
  ///    `router_post_call_events()`, unless it is already;
  /// 4. every other vami webhook (`k_router_webhook_name`) is deleted; webhooks of other names
  ///    are never touched;
  /// 5. every assigned number routed by webhook is pointed at `<public>/twilio/voice` for its
  ///    agent with the status callback `<public>/twilio/status` (`router_webhook`,
  ///    `enact_routing`), each under the number's routing hold, conditional on its assignment
  ///    as read, with an audit entry ("router setup"); one number's failure is reported and
  ///    the others carry on. Between numbers it stops once `stop_requested` returns true;
  /// 6. every active agent the database knows at a provider with its own webhooks
  ///    (`agent_webhooks`: Synthflow) gets `<public>/synthflow/inbound` as its inbound webhook
  ///    and `<public>/synthflow/post-call` as its post-call webhook (`update_agent`), unless
  ///    the provider reports both already; audited; one agent's failure is reported and the
  ///    others carry on.
  /// Then, for every tenant account in use (`AgentProviders::accounts` other than ""; only with
  /// `remember_accounts_with`), steps 1 to 4 in that account's workspace of
  /// `k_post_call_provider`, with what `RouterSetupAccountMemory::recall` gives and
  /// `RouterSetupAccountMemory::remember` keeps (`RouterSetupReport::accounts`): an account
  /// without that provider's credentials is skipped and said so (`PostCallWebhookOutcome::
  /// skipped`); a provider failure there is reported (`RouterAccountResult::failed`) and the
  /// other accounts carry on, as is an account whose workspace holds the platform's webhook
  /// (its keys reach the platform's own workspace: Error(conflict), nothing changed there). Step 6
  /// reaches each agent in its tenant's account; an agent whose tenant account lacks its provider's
  /// credentials is left alone and counted in its account's result (`agents_skipped`). The webhook
  /// change is audited too (entity "webhook"). Without credentials for `k_post_call_provider`
  /// (Error(auth) naming it), steps 1, 3 and 4 are skipped and said so
  /// (`RouterSetupReport::post_call_webhook_skipped`); `remember` still gets the endpoints, with
  /// the webhook `memory` names.
  /// @throws Error(invalid_input) for a public URL `checked_router_public_url` refuses; the
  ///         provider errors of steps 1 to 4 and of listing the owned numbers (nothing after
  ///         the failed step is done); Error(storage).
  /// With `RouterSetupMode::dry_run` it only reads (the webhooks, the post-call setting, the
  /// owned numbers) and reports what it would do; `remember` is not called, nothing is audited.
  RouterSetupReport set_up(const std::string& public_url, const RouterSetupMemory& memory,
                           const std::function<void(const RouterSetupRecord&)>& remember,
                           const StopRequested& stop_requested = {},
                           RouterSetupMode mode = RouterSetupMode::apply);

  /// Sets up the tenant accounts' post-call webhooks too (see `set_up`), keeping what each
  /// needs with `memory`. Without it `set_up` leaves tenant accounts alone.
  void remember_accounts_with(RouterSetupAccountMemory memory) {
    m_account_memory = std::move(memory);
  }

private:
  // The platform's provider whose workspace webhooks are set up (`k_post_call_provider`).
  VoiceAgentProvider& workspace();
  // Steps 1 to 4 without that provider: what the next run needs is remembered all the same.
  void skip_webhook(const RouterSetupMemory& memory,
                    const std::function<void(const RouterSetupRecord&)>& remember,
                    RouterSetupReport& report, const Error& why);
  // Steps 1 to 4 in the workspace `workspace` of account `account`; for a tenant account,
  // Error(conflict) before any change when that workspace holds `platform_webhook_id` (the
  // platform's own workspace).
  PostCallWebhookOutcome
  set_up_webhook(VoiceAgentProvider& workspace, const RouterSetupMemory& memory,
                 const std::function<void(const RouterSetupRecord&)>& remember,
                 const RouterEndpoints& endpoints, RouterSetupMode mode, const std::string& account,
                 const std::string& platform_webhook_id = {});
  // Steps 1 to 4 in every tenant account.
  void set_up_accounts(RouterSetupReport& report, const StopRequested& stop_requested,
                       RouterSetupMode mode);
  RouterNumberResult point_number(const PoolNumber& row, const OwnedNumber* owned,
                                  const RouterEndpoints& endpoints, RouterSetupMode mode);
  RouterAgentResult point_agent(const Agent& agent, VoiceAgentProvider& provider,
                                const std::string& account, const RouterEndpoints& endpoints,
                                RouterSetupMode mode);
  void audit(const std::string& entity_type, const std::string& entity_id,
             const std::string& before, const std::string& after,
             const std::string& tenant_slug = {});

  TelephonyProvider& m_telephony;
  AgentProviders& m_agents;
  StateStore& m_store;
  std::string m_actor;
  RouterSetupAccountMemory m_account_memory;
};

} // namespace vami
