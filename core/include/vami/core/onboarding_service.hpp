#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_service.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/number.hpp>
#include <vami/core/number_provisioning.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/tenant.hpp>
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
};

/// One onboarding step, reported as it finishes ("tenant", "agent", "knowledge", "bought" when a
/// number was bought for it, "number").
using OnboardStepObserver = std::function<void(const std::string& step, const std::string& what)>;

/// `vami onboard`: puts a customer live in one call. It checks everything it can before creating
/// anything (fields, files, that the tenant does not exist, that a matching pool number is
/// available or, with `buy_if_needed`, that one is for sale within the price cap), then creates
/// the tenant, the agent, uploads the knowledge, buys the number if needed (as
/// `NumberProvisioning` does: journaled, tagged) and assigns it. If a step fails, it undoes the
/// steps done so far (documents, agent, tenant, and releases a number it bought) and rethrows
/// the failure; if undoing fails too, it throws Error(uncertain) naming what is left and how to
/// remove it (`vami tenants delete SLUG`, `vami numbers release NUMBER`).
class OnboardingService {
public:
  /// `router_url` is used for `webhook` routing.
  OnboardingService(TelephonyProvider& telephony, VoiceAgentProvider& agents, StateStore& store,
                    std::string actor, std::string router_url);

  /// Runs the four steps; `observer` hears each one finish.
  OnboardResult onboard(const OnboardRequest& request, const OnboardStepObserver& observer);

private:
  TelephonyProvider& m_telephony;
  VoiceAgentProvider& m_agents;
  StateStore& m_store;
  std::string m_actor;
  std::string m_router_url;
};

} // namespace vami
