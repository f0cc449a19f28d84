#include <string>
#include <vector>

#include "forwarding_telephony_provider.hpp"
#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/error.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/tenant_service.hpp>

namespace vami {
namespace {

using test::contains;
using test::error_of;
using test::kind_of;

class TenantServiceTest : public test::ServiceTest {
protected:
  TenantServiceTest()
      : m_tenants(m_telephony, m_voice_agents, *m_store, "tester"),
        m_assignments(m_telephony, m_voice_agents, *m_store, "tester",
                      "https://router.example.com/v") {}

  static Tenant tenant(const std::string& slug, const std::string& name = "Acme Dental") {
    Tenant t;
    t.slug = slug;
    t.name = name;
    t.industry = "dental";
    t.contact_name = "Dana Smith";
    t.contact_email = "dana@acme.example.com";
    return t;
  }

  // A tenant with two agents, documents, and two numbers: one routed natively, one by webhook.
  void populate() {
    m_tenants.create(tenant("acme"));
    m_front = make_agent("acme", "front-desk");
    m_night = make_agent("acme", "night-line", "Night Line");
    KnowledgeBaseService knowledge(m_voice_agents, *m_store, "tester");
    knowledge.add_text(m_front.slug, "Open 9 to 5.", "hours");
    knowledge.add_url(m_night.slug, "https://acme.example.com/faq", "faq");
    m_numbers = buy_numbers(3);
    m_assignments.assign(m_numbers[0], m_front.slug, RoutingMode::native);
    m_assignments.assign(m_numbers[1], m_night.slug, RoutingMode::webhook);
    m_voice.clear_calls();
  }

  TenantService m_tenants;
  AssignmentService m_assignments;
  Agent m_front;
  Agent m_night;
  std::vector<std::string> m_numbers;
};

TEST_F(TenantServiceTest, CreateRecordsTheTenantWithoutAProviderCall) {
  Tenant created = m_tenants.create(tenant("acme"));
  EXPECT_EQ(created.slug, "acme");
  EXPECT_EQ(created.contact_email, "dana@acme.example.com");
  EXPECT_FALSE(created.created_at.empty());
  EXPECT_TRUE(m_store->find_tenant("acme").has_value());
  EXPECT_TRUE(m_voice.calls().empty());
  EXPECT_TRUE(m_telephony.calls().empty());
  auto entries = audit();
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].command, "tenants create");
  EXPECT_EQ(entries[0].entity_type, "tenant");
  EXPECT_TRUE(entries[0].before_json.empty());
  EXPECT_TRUE(contains(entries[0].after_json, "Acme Dental")) << entries[0].after_json;
}

TEST_F(TenantServiceTest, DuplicateSlugIsAConflict) {
  m_tenants.create(tenant("acme"));
  Error error = error_of([&] { m_tenants.create(tenant("acme", "Another Acme")); });
  EXPECT_EQ(error.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(error.what(), "acme")) << error.what();
  EXPECT_EQ(m_store->find_tenant("acme")->name, "Acme Dental");
}

TEST_F(TenantServiceTest, BadFieldsAreRefusedAndNothingIsRecorded) {
  std::vector<Tenant> bad;
  bad.push_back(tenant("acme dental"));
  bad.push_back(tenant("Acme"));
  bad.push_back(tenant(""));
  bad.push_back(tenant("-acme"));
  bad.push_back(tenant(std::string(64, 'a')));
  bad.push_back(tenant("acme", "   "));
  bad.push_back(tenant("acme", std::string(121, 'n')));
  Tenant email = tenant("acme");
  email.contact_email = "dana at acme";
  bad.push_back(email);
  Tenant industry = tenant("acme");
  industry.industry = "dental\x1b[31m";
  bad.push_back(industry);
  for (const Tenant& t : bad) {
    EXPECT_EQ(kind_of([&] { m_tenants.create(t); }), ErrorKind::invalid_input)
        << t.slug << " / " << t.name << " / " << t.contact_email;
  }
  Error upper = error_of([&] { m_tenants.create(tenant("Acme-Dental")); });
  EXPECT_TRUE(contains(upper.hint(), "acme-dental")) << upper.hint();
  EXPECT_TRUE(m_tenants.list().empty());
  EXPECT_TRUE(audit().empty());
}

TEST_F(TenantServiceTest, ListsBySlug) {
  m_tenants.create(tenant("zeta"));
  m_tenants.create(tenant("alpha"));
  m_tenants.create(tenant("mike"));
  std::vector<std::string> slugs;
  for (const Tenant& t : m_tenants.list()) {
    slugs.push_back(t.slug);
  }
  EXPECT_EQ(slugs, (std::vector<std::string>{"alpha", "mike", "zeta"}));
}

TEST_F(TenantServiceTest, UpdateChangesOnlyTheGivenFields) {
  m_tenants.create(tenant("acme"));
  TenantChange change;
  change.name = "Acme Dental Care";
  Tenant after = m_tenants.update("acme", change);
  EXPECT_EQ(after.name, "Acme Dental Care");
  EXPECT_EQ(after.industry, "dental");
  EXPECT_EQ(after.contact_email, "dana@acme.example.com");
  EXPECT_EQ(audit().back().command, "tenants update");
  EXPECT_TRUE(contains(audit().back().before_json, "\"Acme Dental\""))
      << audit().back().before_json;

  EXPECT_EQ(kind_of([&] { m_tenants.update("acme", {}); }), ErrorKind::invalid_input);
  TenantChange bad_email;
  bad_email.contact_email = "not-an-address";
  EXPECT_EQ(kind_of([&] { m_tenants.update("acme", bad_email); }), ErrorKind::invalid_input);
  EXPECT_EQ(m_store->find_tenant("acme")->contact_email, "dana@acme.example.com");
  EXPECT_EQ(kind_of([&] { m_tenants.update("nobody", change); }), ErrorKind::not_found);
}

TEST_F(TenantServiceTest, RatesAreStoredChangedRemovedAndAudited) {
  Tenant with_rates = tenant("acme");
  with_rates.rates.number_micros = 2'000'000;
  Tenant created = m_tenants.create(with_rates);
  EXPECT_EQ(created.rates.number_micros, 2'000'000);
  EXPECT_FALSE(created.rates.minute_micros);
  EXPECT_TRUE(contains(audit().back().after_json, "\"rate_number_micros\":2000000"))
      << audit().back().after_json;

  TenantChange rates;
  rates.rate_minute_micros = std::optional<std::int64_t>(125'000);
  rates.rate_currency = "EUR";
  Tenant after = m_tenants.update("acme", rates);
  EXPECT_EQ(after.rates.number_micros, 2'000'000);
  EXPECT_EQ(after.rates.minute_micros, 125'000);
  EXPECT_EQ(after.rates.currency, "EUR");
  AuditEntry entry = audit().back();
  EXPECT_EQ(entry.command, "tenants update");
  EXPECT_EQ(entry.entity_id, "acme");
  EXPECT_TRUE(contains(entry.before_json, "\"rate_minute_micros\":null,\"rate_currency\":\"USD\""))
      << entry.before_json;
  EXPECT_TRUE(contains(entry.after_json, "\"rate_minute_micros\":125000,\"rate_currency\":\"EUR\""))
      << entry.after_json;

  TenantChange removal;
  removal.rate_number_micros = std::optional<std::int64_t>();
  after = m_tenants.update("acme", removal);
  EXPECT_FALSE(after.rates.number_micros);
  EXPECT_EQ(after.rates.minute_micros, 125'000);
  EXPECT_TRUE(contains(audit().back().before_json, "\"rate_number_micros\":2000000"));
  EXPECT_TRUE(contains(audit().back().after_json, "\"rate_number_micros\":null"));
  EXPECT_EQ(m_store->find_tenant("acme")->rates.number_micros, std::nullopt);
}

TEST_F(TenantServiceTest, BadRatesAreRefusedAndNothingChanges) {
  m_tenants.create(tenant("acme"));
  const std::size_t entries = audit().size();
  TenantChange negative;
  negative.rate_number_micros = std::optional<std::int64_t>(-1);
  Error error = error_of([&] { m_tenants.update("acme", negative); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(error.what(), "negative")) << error.what();
  for (const char* code : {"", "usd", "EURO", "U5D"}) {
    TenantChange currency;
    currency.rate_currency = code;
    Error refused = error_of([&] { m_tenants.update("acme", currency); });
    EXPECT_EQ(refused.kind(), ErrorKind::invalid_input) << code;
    EXPECT_TRUE(contains(refused.what(), "ISO 4217")) << refused.what();
  }
  Tenant bad = tenant("globex");
  bad.rates.minute_micros = -100'000;
  EXPECT_EQ(kind_of([&] { m_tenants.create(bad); }), ErrorKind::invalid_input);
  EXPECT_FALSE(m_store->find_tenant("globex"));
  EXPECT_FALSE(m_store->find_tenant("acme")->rates.any());
  EXPECT_EQ(m_store->find_tenant("acme")->rates.currency, "USD");
  EXPECT_EQ(audit().size(), entries);
}

TEST_F(TenantServiceTest, ShowSumsTheMonthlyCostPerCurrency) {
  m_tenants.create(tenant("acme"));
  Agent agent = make_agent("acme", "front-desk");
  std::vector<std::string> usd = buy_numbers(2);
  m_telephony.set_price(Money{900'000, "EUR"});
  std::vector<std::string> eur = buy_numbers(1);
  m_telephony.set_price(std::nullopt);
  std::vector<std::string> unpriced = buy_numbers(1);
  for (const auto& e164 : {usd[0], usd[1], eur[0], unpriced[0]}) {
    m_assignments.assign(e164, agent.slug, RoutingMode::native);
  }
  buy_numbers(1); // in the pool, not the tenant's

  TenantDetails details = m_tenants.show("acme");
  EXPECT_EQ(details.tenant.name, "Acme Dental");
  EXPECT_EQ(details.agents.size(), 1U);
  EXPECT_EQ(details.numbers.size(), 4U);
  EXPECT_EQ(details.monthly_cost,
            (std::vector<Money>{Money{900'000, "EUR"}, Money{2 * 1'150'000, "USD"}}));
  EXPECT_EQ(kind_of([&] { m_tenants.show("nobody"); }), ErrorKind::not_found);
}

TEST_F(TenantServiceTest, ShowOfATenantWithoutNumbersCostsNothing) {
  m_tenants.create(tenant("acme"));
  TenantDetails details = m_tenants.show("acme");
  EXPECT_TRUE(details.numbers.empty());
  EXPECT_TRUE(details.monthly_cost.empty());
}

TEST_F(TenantServiceTest, DeleteReturnsTheNumbersToThePoolAndDeletesEverythingElse) {
  populate();
  TenantRemoval removal = m_tenants.remove("acme", NumberDisposition::return_to_pool);
  EXPECT_EQ(removal.numbers_returned, (std::vector<std::string>{m_numbers[0], m_numbers[1]}));
  EXPECT_TRUE(removal.numbers_released.empty());
  EXPECT_EQ(removal.agents_deleted, (std::vector<std::string>{"front-desk", "night-line"}));

  for (const auto& e164 : {m_numbers[0], m_numbers[1]}) {
    PoolNumber number = row(e164);
    EXPECT_EQ(number.status, NumberStatus::available) << e164;
    EXPECT_TRUE(number.tenant_slug.empty());
    EXPECT_EQ(m_telephony.owned().count(e164), 1U) << e164; // still the platform's
  }
  EXPECT_TRUE(row(m_numbers[1]).webhook.voice_url.empty()); // the router no longer rings
  EXPECT_TRUE(m_telephony.owned().at(m_numbers[1]).webhook.voice_url.empty());
  for (const auto& [id, imported] : m_voice.imported()) {
    EXPECT_TRUE(imported.agent_id.empty()) << id;
  }
  EXPECT_EQ(m_telephony.count("release"), 0);
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_TRUE(m_voice.documents().empty());
  EXPECT_FALSE(m_store->find_tenant("acme").has_value());
  EXPECT_TRUE(m_store->list_agents("").empty());
  EXPECT_EQ(audit().back().command, "tenants delete");
}

TEST_F(TenantServiceTest, DeleteWithReleaseGivesTheNumbersBack) {
  populate();
  TenantRemoval removal = m_tenants.remove("acme", NumberDisposition::release);
  EXPECT_TRUE(removal.numbers_returned.empty());
  EXPECT_EQ(removal.numbers_released, (std::vector<std::string>{m_numbers[0], m_numbers[1]}));
  EXPECT_EQ(m_telephony.count("release"), 2);
  EXPECT_EQ(row(m_numbers[0]).status, NumberStatus::released);
  EXPECT_EQ(row(m_numbers[1]).status, NumberStatus::released);
  EXPECT_EQ(m_telephony.owned().count(m_numbers[0]), 0U);
  EXPECT_EQ(m_telephony.owned().count(m_numbers[1]), 0U);
  EXPECT_EQ(row(m_numbers[2]).status, NumberStatus::available); // not the tenant's
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_FALSE(m_store->find_tenant("acme").has_value());
}

TEST_F(TenantServiceTest, FailedDeleteLeavesTheRestRecordedAndRunningItAgainFinishes) {
  populate();
  m_voice.fail_next("delete_agent", {ErrorKind::unavailable, false});
  EXPECT_EQ(kind_of([&] { m_tenants.remove("acme", NumberDisposition::return_to_pool); }),
            ErrorKind::unavailable);
  ASSERT_TRUE(m_store->find_tenant("acme").has_value());
  // Whatever is still at the provider is still in the database.
  for (const auto& [id, agent] : m_voice.agents()) {
    EXPECT_TRUE(m_store->find_agent(id).has_value()) << id;
  }
  m_tenants.remove("acme", NumberDisposition::return_to_pool);
  EXPECT_FALSE(m_store->find_tenant("acme").has_value());
  EXPECT_TRUE(m_voice.agents().empty());
  EXPECT_TRUE(m_voice.documents().empty());
}

/// Thrown where a `kill -9` would stop the process: nothing after it runs, no catch cleans up.
struct Killed {};

/// The fake telephony account, where the process dies as its first release is about to be sent.
class KilledBeforeTheFirstRelease final : public testing::ForwardingTelephonyProvider {
public:
  using ForwardingTelephonyProvider::ForwardingTelephonyProvider;
  void release(const std::string&) override { throw Killed{}; }
};

TEST_F(TenantServiceTest, ADeletionKilledBeforeItsReleasesIsFinishedByRunningItAgain) {
  populate();
  KilledBeforeTheFirstRelease dying(m_telephony);
  TenantService first(dying, m_voice_agents, *m_store, "tester");
  EXPECT_THROW(first.remove("acme", NumberDisposition::release), Killed);
  // Killed after the unassigns: the numbers no longer say whose they were.
  EXPECT_TRUE(row(m_numbers[0]).tenant_slug.empty());
  EXPECT_TRUE(row(m_numbers[1]).tenant_slug.empty());
  EXPECT_EQ(m_telephony.count("release"), 0);

  TenantRemoval removal = m_tenants.remove("acme", NumberDisposition::release);
  EXPECT_EQ(removal.numbers_released, (std::vector<std::string>{m_numbers[0], m_numbers[1]}));
  EXPECT_TRUE(removal.numbers_returned.empty());
  EXPECT_EQ(m_telephony.count("release"), 2);
  EXPECT_EQ(m_telephony.owned().count(m_numbers[0]), 0U);
  EXPECT_EQ(m_telephony.owned().count(m_numbers[1]), 0U);
  EXPECT_EQ(row(m_numbers[2]).status, NumberStatus::available); // never the tenant's
  EXPECT_FALSE(m_store->find_tenant("acme").has_value());
  EXPECT_TRUE(m_voice.agents().empty());
  // One journaled release, now completed, named after the tenant.
  std::vector<Operation> releases;
  for (const auto& operation : m_store->list_operations(0)) {
    if (operation.kind == OperationKind::release) {
      releases.push_back(operation);
    }
  }
  ASSERT_EQ(releases.size(), 1U);
  EXPECT_EQ(releases[0].status, OperationStatus::completed);
  EXPECT_EQ(deleted_tenant(releases[0]), "acme");
}

TEST_F(TenantServiceTest, AnUnfinishedDeletionWithReleasesIsNotSwitchedToReturningTheNumbers) {
  populate();
  KilledBeforeTheFirstRelease dying(m_telephony);
  TenantService first(dying, m_voice_agents, *m_store, "tester");
  EXPECT_THROW(first.remove("acme", NumberDisposition::release), Killed);
  const Error error =
      error_of([&] { m_tenants.remove("acme", NumberDisposition::return_to_pool); });
  EXPECT_EQ(error.kind(), ErrorKind::conflict);
  EXPECT_TRUE(contains(error.hint(), "--release-numbers"));
  EXPECT_TRUE(m_store->find_tenant("acme").has_value());
}

TEST_F(TenantServiceTest, DeleteOfAnUnknownTenantIsNotFound) {
  EXPECT_EQ(kind_of([&] { m_tenants.remove("nobody", NumberDisposition::release); }),
            ErrorKind::not_found);
  EXPECT_TRUE(m_voice.calls().empty());
}

TEST(ValidateTenant, AcceptsAFullTenantAndAnEmptyEmail) {
  Tenant t;
  t.slug = "acme-dental-2";
  t.name = "Acme Dental — Zürich";
  validate_tenant(t);
  t.contact_email = "ops@acme.example.com";
  validate_tenant(t);
}

TEST_F(TenantServiceTest, TheAccountProfileIsAuditedByNameAndChecked) {
  Tenant own = tenant("acme");
  own.account_profile = "acme-own";
  EXPECT_EQ(m_tenants.create(own).account_profile, "acme-own");
  EXPECT_TRUE(contains(audit().back().after_json, "\"account_profile\":\"acme-own\""))
      << audit().back().after_json;

  TenantChange back;
  back.account_profile = "";
  EXPECT_EQ(m_tenants.update("acme", back).account_profile, "");
  const AuditEntry entry = audit().back();
  EXPECT_TRUE(contains(entry.before_json, "\"account_profile\":\"acme-own\"")) << entry.before_json;
  EXPECT_TRUE(contains(entry.after_json, "\"account_profile\":null")) << entry.after_json;

  TenantChange bad;
  bad.account_profile = "Acme Own";
  EXPECT_EQ(kind_of([&] { m_tenants.update("acme", bad); }), ErrorKind::invalid_input);
  EXPECT_EQ(m_store->find_tenant("acme")->account_profile, "");
}

} // namespace
} // namespace vami
