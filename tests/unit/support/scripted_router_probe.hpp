#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <vami/core/router_health.hpp>

namespace vami::test {

/// A `RouterHealthProbe` that answers healthy or not as told, and records the URLs it was asked
/// (no socket). Thread-safe.
class ScriptedRouterProbe final : public RouterHealthProbe {
public:
  /// Healthy (200 `{"status":"ok"}`) until told otherwise.
  explicit ScriptedRouterProbe(bool healthy = true) : m_healthy(healthy) {}

  /// From now on answers healthy, or as a router that is down (refused, no status).
  void set_healthy(bool healthy) {
    std::lock_guard lock(m_mutex);
    m_healthy = healthy;
  }

  RouterHealth probe(const std::string& health_url) override {
    std::lock_guard lock(m_mutex);
    m_asked.push_back(health_url);
    RouterHealth health;
    health.url = health_url;
    health.healthy = m_healthy;
    health.http_status = m_healthy ? 200 : 0;
    health.problem = m_healthy ? "" : "connection refused";
    return health;
  }

  /// Every URL asked so far, in order.
  std::vector<std::string> asked() const {
    std::lock_guard lock(m_mutex);
    return m_asked;
  }

private:
  mutable std::mutex m_mutex;
  bool m_healthy;
  std::vector<std::string> m_asked;
};

} // namespace vami::test
