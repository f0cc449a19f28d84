#pragma once

// What the files of `vami reconcile` share (reconcile_service.cpp, reconcile_routing.cpp,
// reconcile_agents.cpp, reconcile_documents.cpp, reconcile_words.cpp): the plan of a finding,
// the voice-agent side as read, the journal of an applied run and small helpers. Internal to
// core.

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit_json.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/agent_service.hpp>
#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/process_holder.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/core/router_endpoints.hpp>
#include <vami/core/router_setup_service.hpp>
#include <vami/core/routing.hpp>

namespace vami {

/// Helpers of reconcile's files.
namespace reconcile_detail {

inline constexpr const char* k_command = "reconcile";
inline constexpr std::string_view k_tag_prefix = "vami:";
inline constexpr std::string_view k_agent_tag_prefix = "vami-agent:";
inline constexpr std::string_view k_tenant_tag_prefix = "vami-tenant:";

inline constexpr std::array<FindingKind, 24> k_kinds{
    FindingKind::in_sync,
    FindingKind::webhook_drift,
    FindingKind::sid_drift,
    FindingKind::orphan_tagged,
    FindingKind::orphan_untagged,
    FindingKind::ghost,
    FindingKind::stale_purchasing,
    FindingKind::stale_releasing,
    FindingKind::suspension_drift,
    FindingKind::agent_drift,
    FindingKind::import_drift,
    FindingKind::not_imported,
    FindingKind::voice_url_drift,
    FindingKind::agent_ghost,
    FindingKind::agent_orphan,
    FindingKind::stale_creating,
    FindingKind::stale_deleting,
    FindingKind::agent_webhook_drift,
    FindingKind::document_ghost,
    FindingKind::document_uploading,
    FindingKind::document_orphan,
    FindingKind::post_call_webhook_detached,
    FindingKind::post_call_webhook_gone,
    FindingKind::workspace_number_untracked,
};

inline bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

inline bool has_vami_tag(const std::string& friendly_name) {
  return starts_with(friendly_name, k_tag_prefix);
}

/// The operation id at the end of a tag `vami:<pool>:<op-id>`; empty when there is none.
inline std::string operation_of_tag(const std::string& tag) {
  const auto colon = tag.rfind(':');
  if (!has_vami_tag(tag) || colon == std::string::npos) {
    return {};
  }
  std::string id = tag.substr(colon + 1);
  const bool well_formed = id.size() == 15 && id.compare(0, 3, "op-") == 0 &&
                           std::all_of(id.begin() + 3, id.end(), [](char c) {
                             return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                           });
  return well_formed ? id : std::string{};
}

/// The value of the first provider tag starting with `prefix`; empty when none does.
inline std::string tag_value(const std::vector<std::string>& tags, std::string_view prefix) {
  for (const auto& tag : tags) {
    if (starts_with(tag, prefix)) {
      return tag.substr(prefix.size());
    }
  }
  return {};
}

/// Whether an agent at the provider carries a tag vami gives its agents.
inline bool has_vami_agent_tag(const std::vector<std::string>& tags) {
  return std::any_of(tags.begin(), tags.end(), [](const std::string& tag) {
    return tag == "vami" || starts_with(tag, k_agent_tag_prefix);
  });
}

/// UTC ISO 8601 of `ago` before now, in the stored `updated_at` format, so that the two
/// compare as strings.
inline std::string iso8601_before_now(std::chrono::seconds ago) {
  const auto at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - ago);
  std::tm parts{};
  gmtime_r(&at, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

// Twilio defaults the voice method to POST, and the store keeps no method for an unset one.
inline std::string effective_method(const std::string& method) {
  std::string upper = method.empty() ? "POST" : method;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return upper;
}

inline bool same_webhook(const VoiceWebhook& stored, const VoiceWebhook& provider) {
  return stored.voice_url == provider.voice_url &&
         effective_method(stored.voice_method) == effective_method(provider.voice_method) &&
         stored.status_callback == provider.status_callback;
}

/// A number whose pool row is settled (neither transitional nor released).
inline bool settled_status(NumberStatus status) {
  return status == NumberStatus::available || status == NumberStatus::assigned ||
         status == NumberStatus::suspended;
}

/// Whether calls to an assigned row go through the voice-agent provider's import.
inline bool routed_natively(const PoolNumber& row) {
  return row.status == NumberStatus::assigned &&
         row.routing_mode.value_or(RoutingMode::native) == RoutingMode::native;
}

/// A voice-agent provider's refusal of a repair (as opposed to the database refusing it
/// because the row changed meanwhile).
struct ProviderRefused {
  std::string message;
};

/// Runs a request to a provider; its errors, but for the database's, become `ProviderRefused`.
template <typename Request>
auto at_provider(Request&& request) {
  try {
    return request();
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::storage) {
      throw;
    }
    throw ProviderRefused{error.what()};
  }
}

/// The audit trail's record of where the voice-agent provider routes a number.
inline std::string routing_json(const std::string& e164, const std::string& phone_number_id,
                                const std::string& agent_id) {
  return nlohmann::ordered_json{
      {"e164", e164}, {"agent_phone_number_id", phone_number_id}, {"provider_agent_id", agent_id}}
      .dump();
}

/// The key of a finding's journal item: the number, or the agent or document it is about.
inline std::string item_key(const Finding& finding) {
  switch (finding.subject) {
  case Subject::number:
    return finding.e164;
  case Subject::agent:
    return "agent:" + (finding.agent_slug.empty() ? finding.provider_id : finding.agent_slug);
  case Subject::document:
    return "document:" + (finding.provider_id.empty() ? finding.name : finding.provider_id);
  case Subject::post_call_webhook:
    return "post_call_webhook:" + finding.provider_id;
  }
  return finding.e164;
}

} // namespace reconcile_detail

/// A finding, and what `apply` needs to repair it.
struct ReconcileService::Plan {
  Finding finding;
  std::optional<PoolNumber> row;
  std::optional<OwnedNumber> owned;
  std::optional<Agent> agent;
  std::optional<Document> document;
  std::string phone_number_id; ///< set_provider_agent: the import to route.
  std::string target_agent_id; ///< set_provider_agent, import_number: where to route it.
  /// set_provider_agent, delete_document: the voice-agent provider holding the import or the
  /// document.
  std::string provider;

  /// A finding of `kind` about `agent` (subject, ids, tenant, provider and name filled in).
  static Plan for_agent(const Agent& agent, FindingKind kind) {
    Plan plan;
    plan.agent = agent;
    plan.finding.kind = kind;
    plan.finding.subject = Subject::agent;
    plan.finding.provider_id = agent.provider_agent_id;
    plan.finding.agent_slug = agent.slug;
    plan.finding.tenant_slug = agent.tenant_slug;
    plan.finding.agent_provider = agent.provider;
    plan.finding.name = agent.name;
    return plan;
  }
  /// Marks the finding as one `apply` repairs with `repair`.
  void repair_with(Repair repair) {
    finding.repair = repair;
    finding.resolution = Resolution::would_repair;
  }
  /// Marks the finding as left unresolved for `holdup`.
  void leave_for(Holdup holdup) {
    finding.holdup = holdup;
    finding.resolution = Resolution::unresolved;
  }
};

/// What the voice-agent provider reported, read in full before anything changes.
/// The key reconcile files a provider's listings under: its name in the platform's account
/// ("elevenlabs"), "name@account" in a tenant's own account (provider names hold no '@').
inline std::string provider_key(const std::string& name, const std::string& account) {
  return account.empty() ? name : name + "@" + account;
}

/// The provider a `provider_key` names.
/// @throws what `AgentProviders::in_account` throws.
inline VoiceAgentProvider& provider_by_key(AgentProviders& agents, const std::string& key) {
  const std::size_t at = key.find('@');
  return at == std::string::npos ? agents.named(key)
                                 : agents.in_account(key.substr(0, at), key.substr(at + 1));
}

struct ReconcileService::VoiceView {
  std::vector<AgentSummary> agents;               ///< Every agent it has.
  std::map<std::string, std::string> provider_of; ///< The provider of each agent, by id.
  std::set<std::string> listed;                   ///< Their ids.
  /// The imports of every provider read, by the provider's name and E.164.
  std::map<std::pair<std::string, std::string>, ImportedNumber> imports;
  std::map<std::string, std::string> upload_provider; ///< The provider of each upload, by id.
  std::map<std::string, std::optional<ProviderAgent>> looked_up; ///< get_agent, by id.
  std::map<std::string, Agent> local;                            ///< Database agents by slug.
  std::map<std::string, std::string> slug_of;                    ///< Provider id -> slug.
  std::vector<DocumentSummary> uploads; ///< Documents under a vami upload name.
  /// One workspace's webhooks and post-call setting.
  struct PostCallWorkspace {
    std::string webhook_id; ///< The router's webhook there, as `vami router setup` made it.
    std::vector<WorkspaceWebhook> webhooks;
    PostCallWebhookSettings post_call;
  };
  /// The workspaces whose router webhook is known, read, by account key ("" the platform's).
  std::map<std::string, PostCallWorkspace> post_call_workspaces;
  /// The numbers each workspace read holds itself, by the provider's name.
  std::map<std::string, std::vector<WorkspaceNumber>> workspaces;

  /// Whether the provider has the agent: its own answer when asked, else the listing.
  [[nodiscard]] bool exists(const std::string& agent_id) const {
    if (auto found = looked_up.find(agent_id); found != looked_up.end()) {
      return found->second.has_value();
    }
    return listed.count(agent_id) > 0;
  }

  /// Agents carrying `tag` that the database does not know by id, oldest first.
  [[nodiscard]] std::vector<const AgentSummary*> tagged(const std::string& tag) const {
    std::vector<const AgentSummary*> found;
    for (const auto& summary : agents) {
      if (std::find(summary.tags.begin(), summary.tags.end(), tag) != summary.tags.end() &&
          slug_of.count(summary.agent_id) == 0) {
        found.push_back(&summary);
      }
    }
    std::sort(found.begin(), found.end(), [](const AgentSummary* a, const AgentSummary* b) {
      return a->created_at_unix != b->created_at_unix ? a->created_at_unix < b->created_at_unix
                                                      : a->agent_id < b->agent_id;
    });
    return found;
  }
};

/// The journal of an applied run: one item per number, agent or document repaired (a number
/// repaired on both sides gets one item naming both repairs).
struct ReconcileService::Journal {
  std::string operation_id;
  std::map<std::string, OperationItem> items;
};

} // namespace vami
