#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_telephony_provider.hpp"
#include "fake_voice_agent_provider.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_providers.hpp>
#include <vami/core/agent_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/money.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/tenant.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami::test {

/// The kind of the `vami::Error` that `action` throws; a test failure when it throws none.
inline ErrorKind kind_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.kind();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorKind::interrupted;
}

/// The `vami::Error` that `action` throws; a test failure (and an `interrupted` error) when it
/// throws none.
inline Error error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::interrupted, "no error thrown");
}

/// Whether `text` contains `part`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The common ground of the core use-case tests: a real SQLite state database in a temp folder,
/// a fake telephony account selling numbers in 212 and 646 (all in New York), and a fake
/// voice-agent account. Usable on its own where a test needs several fresh worlds.
class ServiceWorld {
public:
  ServiceWorld()
      : m_telephony({"212", "646"}, 40), m_store(open_sqlite_state_store(m_dir / "vami.db")) {
    // Imports point the number's voice URL at the voice-agent provider, as ElevenLabs' do.
    m_voice.link_telephony(
        {[this](const std::string& e164) { return m_telephony.voice_url_of(e164); },
         [this](const std::string& e164, const std::string& url) {
           m_telephony.point(e164, url);
         }});
  }

  /// Records a tenant directly in the database.
  Tenant make_tenant(const std::string& slug, const std::string& name = "Acme Dental") {
    Tenant tenant;
    tenant.slug = slug;
    tenant.name = name;
    tenant.industry = "dental";
    return m_store->create_tenant(tenant);
  }

  /// Creates an agent of `tenant_slug` through `AgentService` (at the fake provider and in the
  /// database), then forgets the provider calls it took.
  Agent make_agent(const std::string& tenant_slug, const std::string& slug,
                   const std::string& name = "Front Desk") {
    AgentService agents(m_voice_agents, *m_store, "tester");
    AgentRequest request;
    request.tenant_slug = tenant_slug;
    request.slug = slug;
    request.name = name;
    request.prompt = "Answer questions about opening hours.";
    Agent agent = agents.create(request);
    m_voice.clear_calls();
    return agent;
  }

  /// Buys `count` numbers of `area_code` into the pool through `PoolService` (at the fake
  /// telephony account, one at a time) and returns their E.164, in order.
  std::vector<std::string> buy_numbers(int count, const std::string& area_code = "212") {
    PoolService pool(m_telephony, *m_store, "tester");
    BuyRequest request;
    request.count = count;
    request.area_codes = {area_code};
    request.concurrency = 1;
    PurchasePlan plan = pool.plan_purchase(request);
    BulkReport report = pool.buy(request, plan, {}, {});
    std::vector<std::string> bought;
    for (const auto& item : report.items) {
      bought.push_back(item.e164);
    }
    return bought;
  }

  /// The pool row of `e164`, which must exist.
  PoolNumber row(const std::string& e164) {
    std::optional<PoolNumber> number = m_store->find_number(e164);
    EXPECT_TRUE(number.has_value()) << e164;
    return number.value_or(PoolNumber{});
  }

  /// The audit entries written so far.
  std::vector<AuditEntry> audit() { return m_store->list_audit({}); }

  testing::TempDir m_dir;
  testing::FakeTelephonyProvider m_telephony;
  FakeVoiceAgentProvider m_voice;
  SingleAgentProvider m_voice_agents{m_voice}; ///< `m_voice` as the services take it.
  std::unique_ptr<StateStore> m_store;
};

/// A gtest fixture over one `ServiceWorld`.
class ServiceTest : public ::testing::Test, public ServiceWorld {};

} // namespace vami::test
