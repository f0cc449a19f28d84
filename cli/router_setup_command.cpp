// `vami router setup`: point the providers at the call router (docs/guides/router.md).
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "app.hpp"
#include "output.hpp"
#include "profiles.hpp"
#include "router_accounts.hpp"

#include <vami/core/router_setup_service.hpp>
#include <vami/providers/agent_provider_registration.hpp>
#include <vami/providers/router_webhooks.hpp>

namespace vami::cli {

namespace {

constexpr const char* k_new_profile = "default";

struct RouterSetupOptions {
  std::string public_url;
  bool dry_run = false;
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// The profile `router setup` writes to: the profile in use, else a new one called "default"
// (made the default profile when the file names none).
std::string target_profile_name(AppContext& context) {
  const Profile* chosen = context.profile();
  return chosen != nullptr ? chosen->name : std::string(k_new_profile);
}

// Writes what the next run (and every command after) needs into the profile, atomically and
// 0600 (`write_config_file`), re-reading the file first so that nothing written meanwhile is
// lost.
void remember_in_profile(AppContext& context, const std::string& name,
                         const RouterSetupRecord& record) {
  const auto path = config_file_path();
  ConfigFile config = read_config_file(path);
  Profile* profile = config.find(name);
  if (profile == nullptr) {
    Profile fresh;
    fresh.name = name;
    config.profiles.push_back(fresh);
    profile = &config.profiles.back();
    context.note("added profile '" + name + "' in " + path.string() + " for the router");
  }
  profile->router_url = record.endpoints.voice_url;
  profile->provider_values[k_post_call_webhook_id] = record.webhook_id;
  if (!record.new_secret.empty()) {
    profile->provider_values[k_post_call_webhook_secret] = record.new_secret;
  }
  if (config.default_profile.empty() || config.find(config.default_profile) == nullptr) {
    config.default_profile = name;
  }
  write_config_file(path, config);
}

nlohmann::ordered_json webhook_json(const PostCallWebhookOutcome& webhook) {
  nlohmann::ordered_json json;
  json["webhook_id"] = text_or_null(webhook.webhook_id);
  json["created"] = webhook.created;
  json["events"] = router_post_call_events();
  json["attachment_changed"] = webhook.attachment_changed;
  json["replaced_attachment"] = text_or_null(webhook.replaced_attachment);
  json["deleted"] = webhook.deleted;
  json["skipped"] = text_or_null(webhook.skipped);
  return json;
}

nlohmann::ordered_json account_json(const RouterAccountResult& account) {
  nlohmann::ordered_json json;
  json["profile"] = account.account;
  json["tenants"] = account.tenants;
  json["outcome"] = account.interrupted ? "interrupted" : account.failed ? "failed" : "done";
  json["post_call_webhook"] = webhook_json(account.post_call);
  json["agents_skipped"] = account.agents_left;
  json["agents_skipped_reason"] = text_or_null(account.agents_skipped);
  json["error"] = text_or_null(account.error);
  return json;
}

std::string webhook_words(const PostCallWebhookOutcome& webhook, bool dry_run) {
  if (!webhook.skipped.empty()) {
    return "skipped: " + webhook.skipped;
  }
  if (dry_run) {
    return webhook.created ? std::string("would be created") : webhook.webhook_id + ", kept";
  }
  return webhook.webhook_id + ", " + (webhook.created ? "created" : "kept") +
         (webhook.attachment_changed ? ", attached" : "");
}

std::string account_words(const RouterAccountResult& account, bool dry_run) {
  if (account.interrupted) {
    return "not tried: interrupted";
  }
  if (account.failed) {
    return "failed: " + account.error;
  }
  return "post-call webhook " + webhook_words(account.post_call, dry_run);
}

nlohmann::ordered_json number_json(const RouterNumberResult& number) {
  nlohmann::ordered_json json;
  json["e164"] = number.e164;
  json["tenant"] = text_or_null(number.tenant_slug);
  json["agent"] = text_or_null(number.agent_slug);
  json["outcome"] = to_string(number.outcome);
  json["voice_url"] = text_or_null(number.after.voice_url);
  json["status_callback"] = text_or_null(number.after.status_callback);
  json["previous_voice_url"] = text_or_null(number.before.voice_url);
  json["error"] = text_or_null(number.error);
  return json;
}

nlohmann::ordered_json agent_json(const RouterAgentResult& agent) {
  nlohmann::ordered_json json;
  json["agent"] = agent.agent_slug;
  json["tenant"] = text_or_null(agent.tenant_slug);
  json["provider"] = agent.provider;
  json["provider_agent_id"] = agent.provider_agent_id;
  json["account"] = text_or_null(agent.account);
  json["outcome"] = to_string(agent.outcome);
  json["previous_inbound_url"] = text_or_null(agent.previous_inbound_url);
  json["previous_post_call_url"] = text_or_null(agent.previous_post_call_url);
  json["error"] = text_or_null(agent.error);
  return json;
}

std::string agent_words(const RouterAgentResult& agent, bool dry_run) {
  switch (agent.outcome) {
  case RouterNumberOutcome::in_place:
    return "webhooks already point at the router";
  case RouterNumberOutcome::pointed:
    return dry_run ? "webhooks would be pointed at the router" : "webhooks pointed at the router";
  case RouterNumberOutcome::failed:
    return "failed: " + agent.error;
  case RouterNumberOutcome::interrupted:
    return "not tried: interrupted";
  }
  return "";
}

nlohmann::ordered_json report_json(const RouterSetupReport& report, const std::string& profile) {
  nlohmann::ordered_json json;
  json["public_url"] = report.endpoints.public_url;
  json["router_url"] = report.endpoints.voice_url;
  json["status_callback"] = report.endpoints.status_callback;
  // Kept as before for scripts: the same as webhook_urls' elevenlabs and synthflow entries.
  json["post_call_url"] =
      report.endpoints.post_call_url_of(RouterSetupService::k_post_call_provider);
  json["health_url"] = report.endpoints.health_url;
  json["synthflow_inbound_url"] = report.endpoints.inbound_url_of("synthflow");
  json["synthflow_post_call_url"] = report.endpoints.post_call_url_of("synthflow");
  nlohmann::ordered_json webhook_urls = nlohmann::ordered_json::object();
  for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
    for (const RouterWebhook& webhook : provider->webhooks) {
      webhook_urls[provider->name]
                  [webhook.kind == WebhookKind::post_call ? "post_call" : "inbound"] =
                      report.endpoints.public_url + webhook.route;
    }
  }
  json["webhook_urls"] = webhook_urls;
  json["profile"] = profile;
  json["dry_run"] = report.dry_run;
  nlohmann::ordered_json webhook;
  webhook["webhook_id"] = text_or_null(report.webhook_id);
  webhook["created"] = report.webhook_created;
  webhook["events"] = router_post_call_events();
  webhook["attachment_changed"] = report.attachment_changed;
  webhook["replaced_attachment"] = text_or_null(report.replaced_attachment);
  webhook["deleted"] = report.deleted_webhooks;
  webhook["skipped"] = text_or_null(report.post_call_webhook_skipped);
  json["post_call_webhook"] = webhook;
  json["numbers"] = nlohmann::ordered_json::array();
  int counts[4] = {0, 0, 0, 0};
  for (const RouterNumberResult& number : report.numbers) {
    json["numbers"].push_back(number_json(number));
    ++counts[static_cast<int>(number.outcome)];
  }
  json["counts"] = {{"in_place", counts[0]},
                    {"pointed", counts[1]},
                    {"failed", counts[2]},
                    {"interrupted", counts[3]}};
  json["agents"] = nlohmann::ordered_json::array();
  for (const RouterAgentResult& agent : report.agents) {
    json["agents"].push_back(agent_json(agent));
  }
  json["accounts"] = nlohmann::ordered_json::array();
  for (const RouterAccountResult& account : report.accounts) {
    json["accounts"].push_back(account_json(account));
  }
  return json;
}

std::string outcome_words(const RouterNumberResult& number, bool dry_run) {
  switch (number.outcome) {
  case RouterNumberOutcome::in_place:
    return "already pointed at the router";
  case RouterNumberOutcome::pointed:
    return std::string(dry_run ? "would be pointed at the router" : "pointed at the router") +
           (number.before.voice_url.empty() ? std::string()
                                            : " (was " + number.before.voice_url + ")");
  case RouterNumberOutcome::failed:
    return "failed: " + number.error;
  case RouterNumberOutcome::interrupted:
    return "not tried: interrupted";
  }
  return "";
}

void write_report(AppContext& context, const RouterSetupReport& report,
                  const std::string& profile) {
  const OutputFormat format = context.output_format();
  if (format == OutputFormat::json) {
    std::cout << report_json(report, profile).dump(2) << '\n';
    return;
  }
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const RouterNumberResult& number : report.numbers) {
    nlohmann::ordered_json row = number_json(number);
    row["detail"] = outcome_words(number, report.dry_run);
    rows.push_back(std::move(row));
  }
  if (format == OutputFormat::csv) {
    write_records(std::cout, format, rows, {});
    return;
  }
  nlohmann::ordered_json summary;
  summary["router_url"] = report.endpoints.voice_url;
  summary["status_callback"] = report.endpoints.status_callback;
  summary["post_call_webhook"] =
      !report.post_call_webhook_skipped.empty()
          ? std::string("skipped (no ElevenLabs credentials)")
          : report.endpoints.post_call_url_of(RouterSetupService::k_post_call_provider) + " (" +
                (report.dry_run
                     ? (report.webhook_created ? std::string("would be created")
                                               : report.webhook_id + ", kept")
                     : report.webhook_id + ", " + (report.webhook_created ? "created" : "kept")) +
                ")";
  summary["profile"] = profile;
  write_object(std::cout, format, summary);
  if (!report.numbers.empty()) {
    std::cout << '\n';
    write_records(std::cout, format, rows,
                  {field("NUMBER", "e164"), field("TENANT", "tenant"), field("AGENT", "agent"),
                   field("RESULT", "detail")});
  }
  if (!report.agents.empty()) {
    nlohmann::ordered_json agents = nlohmann::ordered_json::array();
    for (const RouterAgentResult& agent : report.agents) {
      nlohmann::ordered_json row = agent_json(agent);
      row["detail"] = agent_words(agent, report.dry_run);
      agents.push_back(std::move(row));
    }
    std::cout << '\n';
    write_records(std::cout, format, agents,
                  {field("AGENT", "agent"), field("TENANT", "tenant"),
                   field("PROVIDER", "provider"), field("ACCOUNT", "account"),
                   field("RESULT", "detail")});
  }
  if (!report.accounts.empty()) {
    nlohmann::ordered_json accounts = nlohmann::ordered_json::array();
    for (const RouterAccountResult& account : report.accounts) {
      nlohmann::ordered_json row = account_json(account);
      std::string tenants;
      for (const std::string& tenant : account.tenants) {
        tenants += (tenants.empty() ? "" : ", ") + tenant;
      }
      row["tenant_list"] = tenants;
      row["detail"] = account_words(account, report.dry_run);
      accounts.push_back(std::move(row));
    }
    std::cout << '\n';
    write_records(
        std::cout, format, accounts,
        {field("ACCOUNT", "profile"), field("TENANTS", "tenant_list"), field("RESULT", "detail")});
  }
}

int agents_pointed(const RouterSetupReport& report) {
  int pointed = 0;
  for (const RouterAgentResult& agent : report.agents) {
    pointed += agent.outcome == RouterNumberOutcome::pointed ? 1 : 0;
  }
  return pointed;
}

// One line per tenant account: what was done to its webhooks, and what was left alone.
void note_accounts(AppContext& context, const RouterSetupReport& report) {
  for (const RouterAccountResult& account : report.accounts) {
    const std::string name = "tenant account '" + account.account + "'";
    if (account.interrupted) {
      continue;
    }
    if (account.failed) {
      context.note(name + ": the post-call webhook could not be set up: " + account.error);
    } else if (!account.post_call.skipped.empty()) {
      context.note(name +
                   ": left the ElevenLabs post-call webhook alone: " + account.post_call.skipped);
    } else if (report.dry_run) {
      context.note(name + ": " +
                   (account.post_call.created
                        ? std::string("would create the post-call webhook")
                        : "would keep the post-call webhook " + account.post_call.webhook_id));
    } else {
      context.note(name + ": " +
                   (account.post_call.created
                        ? "created the post-call webhook " + account.post_call.webhook_id +
                              " (its secret is in profile '" + account.account + "', 0600)"
                        : "kept the post-call webhook " + account.post_call.webhook_id) +
                   (account.post_call.attachment_changed ? ", attached it" : ", attached already"));
    }
    if (account.agents_left > 0) {
      context.note(name + ": left " + std::to_string(account.agents_left) +
                   " agent(s) alone: " + account.agents_skipped);
    }
  }
}

void run_setup(AppContext& context, const RouterSetupOptions& options) {
  const std::string name = target_profile_name(context);
  require_platform_profile(context, name, "router setup");
  RouterSetupMemory memory;
  if (const Profile* chosen = context.profile(); chosen != nullptr) {
    memory.webhook_id = chosen->value(k_post_call_webhook_id);
    memory.webhook_secret = chosen->value(k_post_call_webhook_secret);
  }
  RouterSetupService service(context.telephony(), context.agent_providers(), context.store(),
                             context.actor());
  service.remember_accounts_with(router_account_memory());
  const RouterSetupMode mode = options.dry_run ? RouterSetupMode::dry_run : RouterSetupMode::apply;
  RouterSetupReport report = service.set_up(
      options.public_url, memory,
      [&](const RouterSetupRecord& record) { remember_in_profile(context, name, record); },
      [] { return AppContext::interrupted(); }, mode);
  write_report(context, report, name);
  const bool skipped = !report.post_call_webhook_skipped.empty();
  if (skipped) {
    context.note(
        "left the ElevenLabs post-call webhook alone: " + report.post_call_webhook_skipped +
        " (a platform without ElevenLabs agents needs none; run 'vami router setup' "
        "again once the key is set)");
  }
  note_accounts(context, report);
  if (report.dry_run) {
    int would_point = 0;
    for (const RouterNumberResult& number : report.numbers) {
      would_point += number.outcome == RouterNumberOutcome::pointed ? 1 : 0;
    }
    context.note(
        std::string("dry run, nothing changed: ") +
        (skipped                  ? "would leave the post-call webhook alone"
         : report.webhook_created ? "would create the post-call webhook"
                                  : "would keep the post-call webhook " + report.webhook_id) +
        (report.attachment_changed ? " and attach it" : "") +
        (report.deleted_webhooks.empty()
             ? std::string()
             : ", delete " + std::to_string(report.deleted_webhooks.size()) +
                   " earlier vami webhook(s)") +
        ", point " + std::to_string(would_point) + " of " + std::to_string(report.numbers.size()) +
        " webhook-routed numbers and the webhooks of " + std::to_string(agents_pointed(report)) +
        " of " + std::to_string(report.agents.size()) +
        " Synthflow agents at the router, and write profile '" + name + "'");
    if (report.failed() > 0) {
      throw BulkExit{ExitCode::partial};
    }
    return;
  }

  if (!skipped) {
    context.note(std::string(report.webhook_created
                                 ? "created the post-call webhook " + report.webhook_id +
                                       " (its secret is in profile '" + name + "', 0600)"
                                 : "kept the post-call webhook " + report.webhook_id) +
                 (report.attachment_changed ? ", attached it" : ", attached already") +
                 (report.deleted_webhooks.empty()
                      ? std::string()
                      : ", deleted " + std::to_string(report.deleted_webhooks.size()) +
                            " earlier vami webhook(s)"));
  }
  if (!report.replaced_attachment.empty()) {
    context.note("the workspace's post-call webhook was " + report.replaced_attachment +
                 "; its deliveries now go to the router instead");
  }
  int pointed = 0;
  for (const RouterNumberResult& number : report.numbers) {
    pointed += number.outcome == RouterNumberOutcome::pointed ? 1 : 0;
  }
  context.note("pointed " + std::to_string(pointed) + " of " +
               std::to_string(report.numbers.size()) +
               " webhook-routed numbers at the router; 'vami numbers assign --mode webhook' now "
               "uses " +
               report.endpoints.voice_url);
  // One line per provider whose agents have webhooks of their own (Synthflow).
  std::map<std::string, std::pair<int, int>> agents_by_provider; // pointed, of
  for (const RouterAgentResult& agent : report.agents) {
    std::pair<int, int>& counts = agents_by_provider[agent.provider];
    counts.first += agent.outcome == RouterNumberOutcome::pointed ? 1 : 0;
    ++counts.second;
  }
  for (const auto& [provider, counts] : agents_by_provider) {
    const AgentProviderDescriptor* described =
        find_agent_provider(registered_agent_providers(), provider);
    context.note("pointed the inbound and post-call webhooks of " + std::to_string(counts.first) +
                 " of " + std::to_string(counts.second) + " " +
                 (described != nullptr ? described->display_name : provider) + " agents at " +
                 report.endpoints.inbound_url_of(provider) + " and " +
                 report.endpoints.post_call_url_of(provider));
  }
  if (!env("VAMI_ELEVENLABS_WEBHOOK_SECRET").empty() && report.webhook_created) {
    context.note("warning: VAMI_ELEVENLABS_WEBHOOK_SECRET is set and 'vami router serve' prefers "
                 "it to the profile's new secret; unset it");
  }
  if (!context.options.router_url.empty() &&
      context.options.router_url != report.endpoints.voice_url) {
    context.note("warning: --router-url or VAMI_ROUTER_URL (" + context.options.router_url +
                 ") overrides the profile's router URL; unset it to use the router set up");
  }
  if (report.interrupted) {
    throw BulkExit{ExitCode::interrupted};
  }
  if (report.failed() > 0) {
    context.note(std::to_string(report.failed()) +
                 " number(s), agent(s) or tenant account(s) could not be set up for the router; "
                 "run 'vami router "
                 "setup' again or 'vami reconcile --apply'");
    throw BulkExit{ExitCode::partial};
  }
}

} // namespace

void register_router_setup_command(CLI::App& router, AppContext& context) {
  auto options = std::make_shared<RouterSetupOptions>();
  auto* command = router.add_subcommand(
      "setup", "Point the providers at the call router: webhook-routed numbers' voice webhook "
               "and status callback, the ElevenLabs post-call webhook (HMAC, secret kept in "
               "the profile), and Synthflow agents' inbound and post-call webhooks");
  command->footer(
      "Sets every webhook-routed number's voice URL to URL/twilio/voice and its status\n"
      "callback to URL/twilio/status; creates the ElevenLabs workspace webhook\n"
      "URL/elevenlabs/post-call (HMAC) and attaches it as the post-call webhook (events\n"
      "transcript, call_initiation_failure), replacing an earlier vami webhook (skipped, and\n"
      "said so, when no ElevenLabs key is set); points every\n"
      "Synthflow agent's inbound_call_webhook_url at URL/synthflow/inbound and its\n"
      "external_webhook_url at URL/synthflow/post-call; stores the\n"
      "router URL, the webhook id and its secret in the profile (0600; never printed). Each\n"
      "tenant on its own account (tenants update --profile) gets its ElevenLabs workspace's\n"
      "post-call webhook too, its id and secret stored in the tenant's profile (skipped, and\n"
      "said so, without an ElevenLabs key there), and its Synthflow agents' webhooks. Refused\n"
      "when the command's profile is a tenant's account. Run it\n"
      "again at any time: what is in place is kept. Exit 7 when some numbers, agents or tenant\n"
      "accounts failed. See docs/guides/router.md.");
  command
      ->add_option("--public-url", options->public_url,
                   "The URL Twilio and ElevenLabs reach the router at (https; http only for a "
                   "loopback host)")
      ->type_name("URL")
      ->required();
  command->add_flag("--dry-run", options->dry_run,
                    "Read the providers and say what would change; change nothing");
  context.stops_after_step(command); // changes providers: see cli/signals.hpp
  command->callback([&context, options] { run_setup(context, *options); });
}

} // namespace vami::cli
