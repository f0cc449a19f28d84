#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/agent_service.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/number.hpp>
#include <vami/core/number_provisioning.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/tenant_service.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// Everything the four onboarding steps need: business info, number, agent, knowledge.
struct OnboardRequest {
  Tenant tenant;      ///< Step 1: slug, name, industry, contact.
  std::string number; ///< Step 2: a pool number in E.164; or empty to pick by the filter.
  PickFilter pick;    ///< Step 2 when `number` is empty.
  /// Step 2 when `number` is empty and the pool has no available number matching `pick`: buy
  /// one (area code first, then nearby ones); empty: refuse with a conflict instead.
  std::optional<BuyIfNeeded> buy_if_needed;
  RoutingMode mode = RoutingMode::native;
  AgentRequest agent;                       ///< Step 3 (its tenant slug is set from `tenant`).
  std::vector<std::filesystem::path> files; ///< Step 4, all optional.
  std::vector<std::string> urls;
  std::vector<std::string> texts; ///< FAQ texts.
};

/// What onboarding created.
struct OnboardResult {
  Tenant tenant;
  Agent agent;
  PoolNumber number;
  std::string bought_operation_id; ///< The journaled buy when the number was bought for it.
  std::vector<Document> documents;
  /// True when an earlier run had already put this customer live: the same tenant, agent,
  /// number and knowledge were there, and nothing was changed.
  bool already_live = false;
};

/// One onboarding step, reported as it finishes ("tenant", "agent", "knowledge", "bought" when a
/// number was bought for it, "number"), or found done by an earlier run of the same onboarding
/// ("tenant_already", "agent_already", "knowledge_already", "number_already").
using OnboardStepObserver = std::function<void(const std::string& step, const std::string& what)>;

/// `vami onboard`: puts a customer live in one call. It checks everything it can before creating
/// anything (fields, files, that a matching pool number is available or, with `buy_if_needed`,
/// that one is for sale within the price cap), then creates the tenant, the agent, uploads the
/// knowledge, buys the number if needed (as `NumberProvisioning` does: journaled, tagged) and
/// assigns it.
///
/// A rerun with the same request finishes what an earlier run left (one killed half-way) or
/// finds it all done: a tenant with the same business details, its agent with the same
/// settings, documents with the same content and the number already assigned to the agent are
/// kept, not refused. A tenant or agent of the same slug with other details is a conflict.
///
/// If a step fails, or `stop_requested` returns true between steps (the user interrupted), it
/// undoes what this run made (number assignment, documents, agent, tenant, and releases a number
/// it bought), then rethrows the failure, or throws Error(interrupted) naming what it undid; if
/// undoing fails too, it throws Error(uncertain) naming what is left and how to remove it
/// (`vami tenants delete SLUG`, `vami numbers release NUMBER`).
class OnboardingService {
public:
  /// `router_url` is used for `webhook` routing.
  OnboardingService(TelephonyProvider& telephony, AgentProviders& agents, StateStore& store,
                    std::string actor, std::string router_url);

  /// What the telephony account reaches (see `AgentService::set_stream_reach`).
  void set_stream_reach(StreamReach reach) { m_stream_reach = reach; }
  /// Runs the four steps; `observer` hears each one finish. `stop_requested` is polled before
  /// each provider step.
  OnboardResult onboard(const OnboardRequest& request, const OnboardStepObserver& observer,
                        const StopRequested& stop_requested = {});

private:
  // What one run made, so that undoing it leaves what an earlier run made.
  struct Made {
    bool tenant = false;
    bool agent = false;
    std::vector<Document> documents;
    bool number = false;
  };
  std::string undo(const Made& made, const OnboardResult& result, TenantService& tenants,
                   AgentService& agents, KnowledgeBaseService& knowledge,
                   AssignmentService& assignments, const Error& error);

  TelephonyProvider& m_telephony;
  AgentProviders& m_agents;
  StateStore& m_store;
  std::string m_actor;
  std::string m_router_url;
  StreamReach m_stream_reach = StreamReach::sandbox;
};

} // namespace vami
