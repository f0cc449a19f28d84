#pragma once

#include <string>

#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>

namespace vami::detail {

/// The tenant with that slug. @throws Error(not_found) saying how to list or create tenants.
inline Tenant require_tenant(StateStore& store, const std::string& slug) {
  if (std::optional<Tenant> tenant = store.find_tenant(slug)) {
    return *tenant;
  }
  throw Error(ErrorKind::not_found, "tenant \"" + slug + "\" does not exist",
              "see 'vami tenants list', or create it with 'vami tenants create " + slug +
                  " --name NAME'");
}

/// The agent named by slug or provider id. @throws Error(not_found).
inline Agent require_agent(StateStore& store, const std::string& name) {
  if (std::optional<Agent> agent = store.find_agent(name)) {
    return *agent;
  }
  throw Error(ErrorKind::not_found, "agent \"" + name + "\" does not exist",
              "name an agent by its slug or provider id; see 'vami agents list'");
}

/// The agent, which must be `active` at the provider to take numbers or documents.
/// @throws Error(not_found); Error(conflict) while it is being created or deleted.
inline Agent require_active_agent(StateStore& store, const std::string& name) {
  Agent agent = require_agent(store, name);
  if (agent.status != AgentStatus::active || agent.provider_agent_id.empty()) {
    throw Error(ErrorKind::conflict, "agent \"" + agent.slug + "\" is " + to_string(agent.status),
                agent.status == AgentStatus::creating
                    ? "finish it first: run the same 'vami agents create' again"
                    : "finish deleting it: run 'vami agents delete " + agent.slug + "' again");
  }
  return agent;
}

/// Refuses webhook routing when no call router URL is configured.
/// @throws Error(invalid_input) saying how to set one.
inline void require_webhook_router(RoutingMode mode, const std::string& router_url) {
  if (mode == RoutingMode::webhook && router_url.empty()) {
    throw Error(ErrorKind::invalid_input, "webhook routing needs the platform's call router URL",
                "run 'vami router setup --public-url URL' (or set VAMI_ROUTER_URL or pass "
                "--router-url), or use --mode native");
  }
}

} // namespace vami::detail
