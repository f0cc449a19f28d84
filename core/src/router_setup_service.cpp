// `vami router setup`: the post-call webhook and the voice webhooks the call router needs
// (router_setup_service.hpp).
#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "audit_json.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/router_setup_service.hpp>
#include <vami/core/routing.hpp>

namespace vami {

namespace {

bool same_webhook(const VoiceWebhook& wanted, const VoiceWebhook& reported) {
  auto method = [](const std::string& text) { return text.empty() ? std::string("POST") : text; };
  return wanted.voice_url == reported.voice_url &&
         method(wanted.voice_method) == method(reported.voice_method) &&
         wanted.status_callback == reported.status_callback;
}

} // namespace

const std::vector<std::string>& router_post_call_events() {
  static const std::vector<std::string> events{"transcript", "call_initiation_failure"};
  return events;
}

const char* to_string(RouterNumberOutcome outcome) noexcept {
  switch (outcome) {
  case RouterNumberOutcome::in_place:
    return "in_place";
  case RouterNumberOutcome::pointed:
    return "pointed";
  case RouterNumberOutcome::failed:
    return "failed";
  case RouterNumberOutcome::interrupted:
    return "interrupted";
  }
  return "failed";
}

int RouterSetupReport::failed() const noexcept {
  auto is_failed = [](const auto& item) { return item.outcome == RouterNumberOutcome::failed; };
  return static_cast<int>(
      std::count_if(numbers.begin(), numbers.end(), is_failed) +
      std::count_if(agents.begin(), agents.end(), is_failed) +
      std::count_if(accounts.begin(), accounts.end(),
                    [](const RouterAccountResult& account) { return account.failed; }));
}

RouterSetupService::RouterSetupService(TelephonyProvider& telephony, AgentProviders& agents,
                                       StateStore& store, std::string actor)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)) {}

RouterSetupReport
RouterSetupService::set_up(const std::string& public_url, const RouterSetupMemory& memory,
                           const std::function<void(const RouterSetupRecord&)>& remember,
                           const StopRequested& stop_requested, RouterSetupMode mode) {
  RouterSetupReport report;
  report.endpoints = router_endpoints(checked_router_public_url(public_url));
  report.dry_run = mode == RouterSetupMode::dry_run;
  bool has_workspace = true;
  try {
    (void)workspace();
  } catch (const Error& error) {
    // Missing credentials are found before any request; credentials the provider rejects
    // fail later, in set_up_webhook, and stop the setup.
    if (error.kind() != ErrorKind::auth) {
      throw;
    }
    has_workspace = false;
    skip_webhook(memory, remember, report, error);
  }
  if (has_workspace) {
    PostCallWebhookOutcome outcome =
        set_up_webhook(workspace(), memory, remember, report.endpoints, mode, std::string());
    report.webhook_id = std::move(outcome.webhook_id);
    report.webhook_created = outcome.created;
    report.attachment_changed = outcome.attachment_changed;
    report.replaced_attachment = std::move(outcome.replaced_attachment);
    report.deleted_webhooks = std::move(outcome.deleted);
  }
  set_up_accounts(report, stop_requested, mode);

  // One listing of the owned numbers (every page) rather than a lookup per number.
  std::vector<PoolNumber> rows;
  NumberFilter filter;
  filter.status = NumberStatus::assigned;
  for (PoolNumber& row : m_store.list_numbers(filter)) {
    if (row.routing_mode == RoutingMode::webhook) {
      rows.push_back(std::move(row));
    }
  }
  std::map<std::string, OwnedNumber> owned;
  if (!rows.empty()) {
    for (OwnedNumber& number : m_telephony.list_owned()) {
      std::string e164 = number.e164;
      owned.emplace(std::move(e164), std::move(number));
    }
  }
  std::sort(rows.begin(), rows.end(),
            [](const PoolNumber& a, const PoolNumber& b) { return a.e164 < b.e164; });
  for (const PoolNumber& row : rows) {
    if (!report.interrupted && stop_requested && stop_requested()) {
      report.interrupted = true;
    }
    if (report.interrupted) {
      RouterNumberResult skipped;
      skipped.e164 = row.e164;
      skipped.tenant_slug = row.tenant_slug;
      skipped.agent_slug = row.agent_slug;
      skipped.before = row.webhook;
      skipped.outcome = RouterNumberOutcome::interrupted;
      report.numbers.push_back(std::move(skipped));
      continue;
    }
    auto found = owned.find(row.e164);
    report.numbers.push_back(
        point_number(row, found == owned.end() ? nullptr : &found->second, report.endpoints, mode));
  }

  for (const Agent& agent : m_store.list_agents("")) {
    if (agent.status != AgentStatus::active || agent.provider_agent_id.empty()) {
      continue;
    }
    const std::string account = m_agents.account_of(agent.tenant_slug);
    VoiceAgentProvider* provider = nullptr;
    try {
      provider = &m_agents.in_account(agent.provider, account);
    } catch (const Error& error) {
      // A tenant account without this provider's keys (or whose profile is gone): its agents
      // are left alone and said so; the platform's missing keys stop the setup as before.
      if (account.empty() ||
          (error.kind() != ErrorKind::auth && error.kind() != ErrorKind::not_found)) {
        throw;
      }
      auto held = std::find_if(
          report.accounts.begin(), report.accounts.end(),
          [&](const RouterAccountResult& result) { return result.account == account; });
      if (held == report.accounts.end()) {
        RouterAccountResult result;
        result.account = account;
        result.tenants.push_back(agent.tenant_slug);
        held = report.accounts.insert(report.accounts.end(), std::move(result));
      }
      if (held->agents_skipped.empty()) {
        held->agents_skipped = error.what();
      }
      ++held->agents_left;
      continue;
    }
    if (!provider->capabilities().agent_webhooks) {
      continue;
    }
    if (!report.interrupted && stop_requested && stop_requested()) {
      report.interrupted = true;
    }
    if (report.interrupted) {
      RouterAgentResult skipped;
      skipped.agent_slug = agent.slug;
      skipped.tenant_slug = agent.tenant_slug;
      skipped.provider = agent.provider;
      skipped.provider_agent_id = agent.provider_agent_id;
      skipped.account = account;
      skipped.outcome = RouterNumberOutcome::interrupted;
      report.agents.push_back(std::move(skipped));
      continue;
    }
    report.agents.push_back(point_agent(agent, *provider, account, report.endpoints, mode));
  }
  return report;
}

void RouterSetupService::set_up_accounts(RouterSetupReport& report,
                                         const StopRequested& stop_requested,
                                         RouterSetupMode mode) {
  std::vector<std::string> keys = m_agents.accounts();
  keys.erase(std::remove(keys.begin(), keys.end(), std::string()), keys.end());
  if (keys.empty()) {
    return;
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::map<std::string, std::vector<std::string>> tenants;
  for (const Tenant& tenant : m_store.list_tenants()) {
    std::string account = m_agents.account_of(tenant.slug);
    if (!account.empty()) {
      tenants[account].push_back(tenant.slug);
    }
  }
  for (const std::string& key : keys) {
    RouterAccountResult result;
    result.account = key;
    result.tenants = tenants[key];
    if (!report.interrupted && stop_requested && stop_requested()) {
      report.interrupted = true;
    }
    if (report.interrupted) {
      result.interrupted = true;
      report.accounts.push_back(std::move(result));
      continue;
    }
    if (!m_account_memory.recall || !m_account_memory.remember) {
      result.post_call.skipped = "no place to keep the account's webhook secret";
      report.accounts.push_back(std::move(result));
      continue;
    }
    VoiceAgentProvider* provider = nullptr;
    try {
      provider = &m_agents.in_account(k_post_call_provider, key);
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::auth) {
        result.post_call.skipped = error.what(); // no ElevenLabs key: nothing to set up
      } else if (error.kind() == ErrorKind::storage) {
        throw;
      } else {
        result.failed = true; // its profile is gone, say
        result.error_kind = error.kind();
        result.error = error.what();
      }
      report.accounts.push_back(std::move(result));
      continue;
    }
    try {
      const RouterSetupMemory memory = m_account_memory.recall(key);
      result.post_call = set_up_webhook(
          *provider, memory,
          [&](const RouterSetupRecord& record) { m_account_memory.remember(key, record); },
          report.endpoints, mode, key, report.webhook_id);
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::storage) {
        throw;
      }
      result.failed = true;
      result.error_kind = error.kind();
      result.error = error.what();
    }
    report.accounts.push_back(std::move(result));
  }
}

RouterAgentResult RouterSetupService::point_agent(const Agent& agent, VoiceAgentProvider& provider,
                                                  const std::string& account,
                                                  const RouterEndpoints& endpoints,
                                                  RouterSetupMode mode) {
  RouterAgentResult result;
  result.agent_slug = agent.slug;
  result.tenant_slug = agent.tenant_slug;
  result.provider = agent.provider;
  result.provider_agent_id = agent.provider_agent_id;
  result.account = account;
  try {
    std::optional<ProviderAgent> current = provider.get_agent(agent.provider_agent_id);
    if (!current) {
      throw Error(ErrorKind::not_found, "agent \"" + agent.slug + "\" (" + agent.provider_agent_id +
                                            ") is gone at " + agent.provider +
                                            "; run 'vami reconcile'");
    }
    result.previous_inbound_url = current->definition.inbound_webhook_url;
    result.previous_post_call_url = current->definition.post_call_webhook_url;
    const std::string inbound_url = endpoints.inbound_url_of(agent.provider);
    const std::string post_call_url = endpoints.post_call_url_of(agent.provider);
    if (result.previous_inbound_url == inbound_url &&
        result.previous_post_call_url == post_call_url) {
      return result;
    }
    result.outcome = RouterNumberOutcome::pointed;
    if (mode == RouterSetupMode::dry_run) {
      return result;
    }
    AgentChange change;
    change.inbound_webhook_url = inbound_url;
    change.post_call_webhook_url = post_call_url;
    (void)provider.update_agent(agent.provider_agent_id, change);
    nlohmann::json before = {{"inbound_webhook_url", result.previous_inbound_url},
                             {"post_call_webhook_url", result.previous_post_call_url}};
    nlohmann::json after = {{"inbound_webhook_url", inbound_url},
                            {"post_call_webhook_url", post_call_url}};
    audit("agent", agent.slug, before.dump(), after.dump(), agent.tenant_slug);
  } catch (const Error& error) {
    // Keys the platform's provider rejects stop the setup; a tenant account's are its own.
    if (error.kind() == ErrorKind::storage ||
        (error.kind() == ErrorKind::auth && account.empty())) {
      throw;
    }
    result.outcome = RouterNumberOutcome::failed;
    result.error_kind = error.kind();
    result.error = error.what();
  }
  return result;
}

VoiceAgentProvider& RouterSetupService::workspace() {
  return m_agents.named(k_post_call_provider);
}

void RouterSetupService::skip_webhook(const RouterSetupMemory& memory,
                                      const std::function<void(const RouterSetupRecord&)>& remember,
                                      RouterSetupReport& report, const Error& why) {
  report.post_call_webhook_skipped = why.what();
  RouterSetupRecord record;
  record.endpoints = report.endpoints;
  record.webhook_id = memory.webhook_id; // kept for when the credentials are back
  report.webhook_id = memory.webhook_id;
  if (!report.dry_run) {
    remember(record);
  }
}

PostCallWebhookOutcome RouterSetupService::set_up_webhook(
    VoiceAgentProvider& workspace, const RouterSetupMemory& memory,
    const std::function<void(const RouterSetupRecord&)>& remember, const RouterEndpoints& endpoints,
    RouterSetupMode mode, const std::string& account, const std::string& platform_webhook_id) {
  PostCallWebhookOutcome outcome;
  const bool dry_run = mode == RouterSetupMode::dry_run;
  // The audit names the tenant account whose workspace changed (never its keys).
  auto audited = [&](std::string json) {
    if (account.empty() || json.empty()) {
      return json;
    }
    nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(json);
    parsed["account"] = account;
    return parsed.dump();
  };
  const std::vector<WorkspaceWebhook> webhooks = workspace.list_webhooks();
  if (!account.empty() && !platform_webhook_id.empty() &&
      std::any_of(webhooks.begin(), webhooks.end(), [&](const WorkspaceWebhook& webhook) {
        return webhook.webhook_id == platform_webhook_id;
      })) {
    // Its keys reach the platform's own workspace: one post-call webhook serves both, and
    // setting up the account's would delete the platform's (and the next run the other way).
    throw Error(ErrorKind::conflict,
                "tenant account '" + account +
                    "' reaches the platform's own ElevenLabs workspace (its webhook " +
                    platform_webhook_id + " is there): it was left alone",
                "give the tenant's profile the key of the tenant's own workspace, or move its "
                "tenants to the platform's accounts ('vami tenants update SLUG --no-profile')");
  }
  auto kept = std::find_if(webhooks.begin(), webhooks.end(), [&](const WorkspaceWebhook& webhook) {
    return !memory.webhook_id.empty() && !memory.webhook_secret.empty() &&
           webhook.webhook_id == memory.webhook_id &&
           webhook.url == endpoints.post_call_url_of(k_post_call_provider) && !webhook.disabled &&
           !webhook.auto_disabled;
  });
  RouterSetupRecord record;
  record.endpoints = endpoints;
  if (kept != webhooks.end()) {
    record.webhook_id = kept->webhook_id;
  } else if (dry_run) {
    outcome.created = true; // would be: its id is the provider's to give
  } else {
    CreatedWebhook created = workspace.create_webhook(
        k_router_webhook_name, endpoints.post_call_url_of(k_post_call_provider));
    record.webhook_id = created.webhook_id;
    record.new_secret = std::move(created.secret);
    outcome.created = true;
  }
  outcome.webhook_id = record.webhook_id;
  if (dry_run) {
    const PostCallWebhookSettings attached = workspace.post_call_webhook();
    outcome.attachment_changed =
        outcome.created ||
        attached != PostCallWebhookSettings{record.webhook_id, router_post_call_events()};
    if (!attached.webhook_id.empty() && attached.webhook_id != record.webhook_id) {
      outcome.replaced_attachment = attached.webhook_id;
    }
    for (const WorkspaceWebhook& webhook : webhooks) {
      if (webhook.name == k_router_webhook_name && webhook.webhook_id != record.webhook_id) {
        outcome.deleted.push_back(webhook.webhook_id);
      }
    }
    return outcome;
  }
  try {
    remember(record);
  } catch (...) {
    if (outcome.created) {
      try {
        workspace.delete_webhook(record.webhook_id); // its secret is lost with the failed write
      } catch (const Error&) {
        // Left for the next run, which deletes vami webhooks whose secret it does not know.
      }
    }
    throw;
  }
  if (outcome.created) {
    audit("webhook", record.webhook_id, "",
          audited(detail::webhook_audit_json(
              record.webhook_id, endpoints.post_call_url_of(k_post_call_provider), {})));
  }

  const PostCallWebhookSettings wanted{record.webhook_id, router_post_call_events()};
  const PostCallWebhookSettings attached = workspace.post_call_webhook();
  if (attached != wanted) {
    if (!attached.webhook_id.empty() && attached.webhook_id != record.webhook_id) {
      outcome.replaced_attachment = attached.webhook_id;
    }
    (void)workspace.set_post_call_webhook(wanted);
    outcome.attachment_changed = true;
    audit("webhook", record.webhook_id,
          audited(detail::webhook_audit_json(attached.webhook_id, "", attached.events)),
          audited(detail::webhook_audit_json(
              record.webhook_id, endpoints.post_call_url_of(k_post_call_provider), wanted.events)));
  }

  for (const WorkspaceWebhook& webhook : webhooks) {
    if (webhook.name != k_router_webhook_name || webhook.webhook_id == record.webhook_id) {
      continue;
    }
    try {
      workspace.delete_webhook(webhook.webhook_id);
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::not_found) {
        throw;
      }
    }
    outcome.deleted.push_back(webhook.webhook_id);
    audit("webhook", webhook.webhook_id,
          audited(detail::webhook_audit_json(webhook.webhook_id, webhook.url, {})), "");
  }
  return outcome;
}

RouterNumberResult RouterSetupService::point_number(const PoolNumber& row, const OwnedNumber* owned,
                                                    const RouterEndpoints& endpoints,
                                                    RouterSetupMode mode) {
  RouterNumberResult result;
  result.e164 = row.e164;
  result.tenant_slug = row.tenant_slug;
  result.agent_slug = row.agent_slug;
  result.before = owned != nullptr ? owned->webhook : row.webhook;
  auto fail = [&](ErrorKind kind, std::string message) {
    result.outcome = RouterNumberOutcome::failed;
    result.error_kind = kind;
    result.error = std::move(message);
    return result;
  };
  if (owned == nullptr) {
    return fail(ErrorKind::not_found,
                row.e164 + " is in the pool but the telephony provider does not report it");
  }
  try {
    DesiredRouting desired =
        desired_routing(row, m_store.find_agent(row.agent_slug), endpoints.voice_url);
    if (desired.blocked) {
      return fail(ErrorKind::invalid_input, row.e164 + " is assigned to agent \"" + row.agent_slug +
                                                "\", which has no id at the voice-agent provider");
    }
    if (mode == RouterSetupMode::dry_run) {
      result.outcome = same_webhook(desired.voice_webhook, owned->webhook)
                           ? RouterNumberOutcome::in_place
                           : RouterNumberOutcome::pointed;
      result.after = desired.voice_webhook;
      return result;
    }
    if (same_webhook(desired.voice_webhook, owned->webhook)) {
      if (row.webhook != owned->webhook) {
        m_store.update_webhook(row.e164, owned->webhook);
      }
      result.after = owned->webhook;
      return result;
    }
    // As assign does: the number's routing is held, and the change is made only if the
    // assignment is still the one read.
    m_store.begin_routing_change(row.e164);
    RoutingHold hold(m_store, row.e164);
    std::optional<PoolNumber> current = m_store.find_number(row.e164);
    if (!current || current->status != NumberStatus::assigned ||
        current->agent_slug != row.agent_slug || current->routing_mode != row.routing_mode) {
      return fail(ErrorKind::conflict, row.e164 + " changed meanwhile; run 'vami router setup' "
                                                  "again");
    }
    PoolNumber changed = *current;
    const std::optional<Agent> agent = m_store.find_agent(changed.agent_slug);
    desired = desired_routing(changed, agent, endpoints.voice_url);
    enact_routing(m_telephony, m_agents.of(agent), m_store, desired, changed);
    result.after = changed.webhook;
    result.outcome = RouterNumberOutcome::pointed;
    audit("number", row.e164, detail::audit_json(*current), detail::audit_json(changed),
          row.tenant_slug);
    return result;
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::storage || error.kind() == ErrorKind::auth) {
      throw;
    }
    return fail(error.kind(), error.what());
  }
}

void RouterSetupService::audit(const std::string& entity_type, const std::string& entity_id,
                               const std::string& before, const std::string& after,
                               const std::string& tenant_slug) {
  AuditEntry entry;
  entry.actor = m_actor;
  entry.command = "router setup";
  entry.entity_type = entity_type;
  entry.entity_id = entity_id;
  entry.before_json = before;
  entry.after_json = after;
  entry.tenant_slug = tenant_slug;
  m_store.append_audit(entry);
}

} // namespace vami
