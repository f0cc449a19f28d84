// The state store's pool, journal, audit and reconcile writes, against every store
// implementation (store_backend.hpp). SQLite's own files and migrations are in
// test_sqlite_state_store.cpp.

#include <array>
#include <atomic>
#include <latch>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store_backend.hpp"
#include "store_rows.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>

namespace vami {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::add_available;
using testing::expect_error;
using testing::intent;
using testing::operation;
using testing::owned;

class PoolStoreTest : public testing::StoreBackendTest {
protected:
  /// Assigns a number to agent "front-desk" of tenant "acme", written as the assign use case
  /// would, through another connection.
  void assign_raw(const std::string& e164) const {
    m_backend->execute("INSERT INTO tenants (id, slug, name, created_at, updated_at) VALUES "
                       "(1, 'acme', 'Acme Dental', '2026-01-01T00:00:00Z', "
                       "'2026-01-01T00:00:00Z') ON CONFLICT DO NOTHING");
    m_backend->execute("INSERT INTO agents (id, tenant_id, slug, name, created_at, updated_at) "
                       "VALUES (1, 1, 'front-desk', 'Front desk', '2026-01-01T00:00:00Z', "
                       "'2026-01-01T00:00:00Z') ON CONFLICT DO NOTHING");
    ASSERT_EQ(m_backend->execute("UPDATE numbers SET status = 'assigned', tenant_id = 1, "
                                 "agent_id = 1 WHERE e164 = ?",
                                 {e164}),
              1);
  }
};

// --- numbers -------------------------------------------------------------------------------

TEST_P(PoolStoreTest, PurchaseLifecycleReusesTheReleasedRow) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000001"));

  auto purchasing = store->find_number("+12125550101");
  ASSERT_TRUE(purchasing);
  EXPECT_EQ(purchasing->status, NumberStatus::purchasing);
  EXPECT_EQ(purchasing->provider_sid, "");
  EXPECT_EQ(purchasing->operation_id, "op-000000000001");
  EXPECT_EQ(purchasing->friendly_name, "vami:default:op-000000000001");
  EXPECT_FALSE(purchasing->monthly_price);
  EXPECT_FALSE(purchasing->created_at.empty());

  auto bought = store->complete_purchase("+12125550101", owned("+12125550101", "PN01"),
                                         Money{1'150'000, "USD"});
  EXPECT_EQ(bought.status, NumberStatus::available);
  EXPECT_EQ(bought.provider_sid, "PN01");
  EXPECT_EQ(bought.provider, "twilio");
  EXPECT_EQ(bought.country, "US");
  EXPECT_EQ(bought.type, NumberType::local);
  EXPECT_EQ(bought.locality, "New York");
  EXPECT_EQ(bought.region, "NY");
  EXPECT_EQ(bought.webhook.voice_url, "https://hooks.example.com/voice");
  EXPECT_EQ(bought.webhook.voice_method, "POST");
  EXPECT_EQ(bought.webhook.status_callback, "https://hooks.example.com/status");
  ASSERT_TRUE(bought.monthly_price);
  EXPECT_EQ(*bought.monthly_price, (Money{1'150'000, "USD"}));

  auto listed = store->list_numbers({});
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].e164, "+12125550101");
  EXPECT_EQ(listed[0].status, NumberStatus::available);

  auto before = store->begin_release("+12125550101");
  EXPECT_EQ(before.status, NumberStatus::available);
  EXPECT_EQ(before.provider_sid, "PN01");
  EXPECT_EQ(store->find_number("+12125550101")->status, NumberStatus::releasing);

  store->complete_release("+12125550101");
  auto released = store->find_number("+12125550101");
  ASSERT_TRUE(released);
  EXPECT_EQ(released->status, NumberStatus::released);
  EXPECT_EQ(released->provider_sid, "");
  EXPECT_EQ(released->webhook.voice_url, "");
  EXPECT_TRUE(store->list_numbers({}).empty());
  EXPECT_TRUE(m_backend->query("SELECT released_at FROM numbers"));

  store->create_operation(operation("op-000000000002"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000002"));
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM numbers"), 1);
  EXPECT_FALSE(m_backend->query("SELECT released_at FROM numbers"));
  auto again = store->find_number("+12125550101");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, NumberStatus::purchasing);
  EXPECT_EQ(again->operation_id, "op-000000000002");
  EXPECT_EQ(again->provider_sid, "");
  EXPECT_FALSE(again->monthly_price);
  EXPECT_EQ(again->webhook.voice_url, "");

  // The old SID is gone, so the new purchase may bring any SID, even the old one.
  auto rebought =
      store->complete_purchase("+12125550101", owned("+12125550101", "PN02"), std::nullopt);
  EXPECT_EQ(rebought.provider_sid, "PN02");
  EXPECT_FALSE(rebought.monthly_price);
}

TEST_P(PoolStoreTest, AbandonRemovesOnlyAPurchasingRow) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000001"));
  store->abandon_purchase("+12125550101");
  EXPECT_FALSE(store->find_number("+12125550101"));

  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  store->abandon_purchase("+12125550102");
  EXPECT_EQ(store->find_number("+12125550102")->status, NumberStatus::available);
  store->abandon_purchase("+12125550199"); // Unknown: nothing to do.
}

TEST_P(PoolStoreTest, IntentForANumberAlreadyInThePoolConflicts) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  store->create_operation(operation("op-000000000002"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000001"));
  auto error = expect_error(ErrorKind::conflict, [&] {
    store->insert_purchase_intent(intent("+12125550101", "op-000000000002"));
  });
  EXPECT_THAT(error.what(), HasSubstr("+12125550101 is already in the pool (status purchasing)"));
  EXPECT_EQ(store->find_number("+12125550101")->operation_id, "op-000000000001");

  (void)store->complete_purchase("+12125550101", owned("+12125550101", "PN01"), std::nullopt);
  error = expect_error(ErrorKind::conflict, [&] {
    store->insert_purchase_intent(intent("+12125550101", "op-000000000002"));
  });
  EXPECT_THAT(error.what(), HasSubstr("(status available)"));
}

TEST_P(PoolStoreTest, ProviderSidIsUnique) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  store->insert_purchase_intent(intent("+12125550102", "op-000000000001"));
  expect_error(ErrorKind::conflict, [&] {
    (void)store->complete_purchase("+12125550102", owned("+12125550102", "PN01"), std::nullopt);
  });
  EXPECT_EQ(store->find_number("+12125550102")->status, NumberStatus::purchasing);
}

TEST_P(PoolStoreTest, BeginReleaseOfAnAssignedNumberConflicts) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  assign_raw("+12125550101");

  auto number = store->find_number("+12125550101");
  ASSERT_TRUE(number);
  EXPECT_EQ(number->status, NumberStatus::assigned);
  EXPECT_EQ(number->tenant_slug, "acme");
  EXPECT_EQ(number->agent_slug, "front-desk");

  auto error =
      expect_error(ErrorKind::conflict, [&] { (void)store->begin_release("+12125550101"); });
  EXPECT_STREQ(error.what(),
               "+12125550101 is assigned to agent \"front-desk\" (tenant acme); unassign it first");
  EXPECT_EQ(store->find_number("+12125550101")->status, NumberStatus::assigned);
}

TEST_P(PoolStoreTest, BeginReleaseOfATransitionalNumberConflicts) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  store->insert_purchase_intent(intent("+12125550101", "op-000000000001"));
  auto error =
      expect_error(ErrorKind::conflict, [&] { (void)store->begin_release("+12125550101"); });
  EXPECT_THAT(error.what(), HasSubstr("being purchased"));
  EXPECT_THAT(error.what(), HasSubstr("vami reconcile"));

  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  (void)store->begin_release("+12125550102");
  error = expect_error(ErrorKind::conflict, [&] { (void)store->begin_release("+12125550102"); });
  EXPECT_THAT(error.what(), HasSubstr("being released"));
}

TEST_P(PoolStoreTest, SuspendedNumberCanBeReleasedAndReverted) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  m_backend->execute("UPDATE numbers SET status = 'suspended'");

  auto before = store->begin_release("+12125550101");
  EXPECT_EQ(before.status, NumberStatus::suspended);
  store->revert_release("+12125550101", before.status);
  auto reverted = store->find_number("+12125550101");
  EXPECT_EQ(reverted->status, NumberStatus::suspended);
  EXPECT_EQ(reverted->provider_sid, "PN01");

  expect_error(ErrorKind::conflict,
               [&] { store->revert_release("+12125550101", NumberStatus::available); });
  expect_error(ErrorKind::conflict, [&] { store->complete_release("+12125550101"); });
  expect_error(ErrorKind::invalid_input,
               [&] { store->revert_release("+12125550101", NumberStatus::assigned); });
}

TEST_P(PoolStoreTest, MissingNumbersAreNotFound) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  EXPECT_FALSE(store->find_number("+12125550100"));

  auto error =
      expect_error(ErrorKind::not_found, [&] { (void)store->begin_release("+12125550100"); });
  EXPECT_STREQ(error.what(), "+12125550100 is not in the pool");
  EXPECT_EQ(error.hint(), "list the pool with 'vami numbers list'");
  expect_error(ErrorKind::not_found, [&] {
    (void)store->complete_purchase("+12125550100", owned("+12125550100", "PN00"), std::nullopt);
  });
  expect_error(ErrorKind::not_found, [&] { store->complete_release("+12125550100"); });
  expect_error(ErrorKind::not_found, [&] {
    store->update_webhook("+12125550100", {"https://x.example.com", "POST", ""});
  });

  // A released number is no longer in the pool either.
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  (void)store->begin_release("+12125550101");
  store->complete_release("+12125550101");
  expect_error(ErrorKind::not_found, [&] { (void)store->begin_release("+12125550101"); });
  expect_error(ErrorKind::not_found, [&] {
    store->update_webhook("+12125550101", {"https://x.example.com", "POST", ""});
  });
  // complete_purchase only moves a purchasing row.
  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  expect_error(ErrorKind::not_found, [&] {
    (void)store->complete_purchase("+12125550102", owned("+12125550102", "PN03"), std::nullopt);
  });
  EXPECT_EQ(store->find_number("+12125550102")->provider_sid, "PN02");
}

TEST_P(PoolStoreTest, UpdateWebhookRoundTrips) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  const VoiceWebhook webhook{"https://agents.example.com/inbound", "GET", ""};
  store->update_webhook("+12125550101", webhook);
  EXPECT_EQ(store->find_number("+12125550101")->webhook, webhook);
  expect_error(ErrorKind::invalid_input, [&] {
    store->update_webhook("+12125550101", {"https://x.example.com", "PUT", ""});
  });
  EXPECT_EQ(store->find_number("+12125550101")->webhook, webhook);
}

TEST_P(PoolStoreTest, CheckConstraintsRejectBadRows) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  EXPECT_THROW(m_backend->execute("UPDATE numbers SET status = 'sold'"), std::runtime_error);
  EXPECT_THROW(m_backend->execute("UPDATE numbers SET status = 'assigned'"),
               std::runtime_error); // no agent
  EXPECT_THROW(m_backend->execute("UPDATE numbers SET currency = NULL"), std::runtime_error);
  EXPECT_THROW(m_backend->execute("UPDATE numbers SET monthly_price_micros = -1"),
               std::runtime_error);
  EXPECT_THROW(m_backend->execute("UPDATE numbers SET voice_method = 'PUT'"), std::runtime_error);
  EXPECT_THROW(m_backend->execute("UPDATE operations SET status = 'done'"), std::runtime_error);
  EXPECT_THROW(
      m_backend->execute("INSERT INTO numbers (e164, provider, country, number_type, status, "
                         "created_at, updated_at) VALUES ('+12125550101', 'twilio', 'US', 'local', "
                         "'available', 'x', 'x')"),
      std::runtime_error); // UNIQUE e164
  EXPECT_EQ(store->find_number("+12125550101")->status, NumberStatus::available);
}

TEST_P(PoolStoreTest, ListFiltersByStatusAreaCodeRegionAndTenant) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+13105550101", "PN01", "op-000000000001", "CA");
  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  add_available(*store, "+12125550101", "PN03", "op-000000000001");
  add_available(*store, "+12135550103", "PN04", "op-000000000001", "CA");
  add_available(*store, "+12125550104", "PN05", "op-000000000001");
  store->insert_purchase_intent(intent("+12125550105", "op-000000000001"));
  (void)store->begin_release("+12125550104");
  store->complete_release("+12125550104");
  assign_raw("+12125550102");

  auto e164s = [](const std::vector<PoolNumber>& numbers) {
    std::vector<std::string> result;
    for (const auto& number : numbers) {
      result.push_back(number.e164);
    }
    return result;
  };

  EXPECT_THAT(
      e164s(store->list_numbers({})),
      ElementsAre("+12125550101", "+12125550102", "+12125550105", "+12135550103", "+13105550101"));

  NumberFilter area;
  area.area_code = "212";
  EXPECT_THAT(e164s(store->list_numbers(area)),
              ElementsAre("+12125550101", "+12125550102", "+12125550105"));

  NumberFilter available_in_212 = area;
  available_in_212.status = NumberStatus::available;
  EXPECT_THAT(e164s(store->list_numbers(available_in_212)), ElementsAre("+12125550101"));

  NumberFilter released;
  released.status = NumberStatus::released;
  EXPECT_THAT(e164s(store->list_numbers(released)), ElementsAre("+12125550104"));

  NumberFilter everything;
  everything.include_released = true;
  EXPECT_EQ(store->list_numbers(everything).size(), 6U);

  NumberFilter california;
  california.region = "CA";
  EXPECT_THAT(e164s(store->list_numbers(california)), ElementsAre("+12135550103", "+13105550101"));

  NumberFilter acme;
  acme.tenant_slug = "acme";
  auto assigned = store->list_numbers(acme);
  ASSERT_EQ(assigned.size(), 1U);
  EXPECT_EQ(assigned[0].e164, "+12125550102");
  EXPECT_EQ(assigned[0].tenant_slug, "acme");
  EXPECT_EQ(assigned[0].agent_slug, "front-desk");

  NumberFilter bad_area;
  bad_area.area_code = "2%";
  expect_error(ErrorKind::invalid_input, [&] { (void)store->list_numbers(bad_area); });
}

// --- journal and audit -----------------------------------------------------------------------

TEST_P(PoolStoreTest, OperationsRoundTripAndListNewestFirst) {
  auto store = m_backend->open();
  auto first = operation("op-000000000001");
  first.created_at = "2026-01-01T10:00:00Z";
  auto second = operation("op-000000000002", OperationKind::release);
  second.created_at = "2026-01-01T10:00:00Z"; // Same second: insertion order breaks the tie.
  auto third = operation("op-000000000003", OperationKind::webhook);
  third.created_at = "2026-01-02T09:00:00Z";
  store->create_operation(second);
  store->create_operation(third);
  store->create_operation(first);

  expect_error(ErrorKind::conflict, [&] { store->create_operation(first); });

  auto found = store->find_operation("op-000000000002");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->kind, OperationKind::release);
  EXPECT_EQ(found->status, OperationStatus::running);
  EXPECT_EQ(found->requested_count, 2);
  EXPECT_EQ(found->parameters, R"({"area_code":"212"})");
  EXPECT_EQ(found->actor, "alice");
  EXPECT_EQ(found->created_at, "2026-01-01T10:00:00Z");
  EXPECT_EQ(found->finished_at, "");
  EXPECT_FALSE(store->find_operation("op-000000000404"));

  std::vector<std::string> ids;
  for (const auto& op : store->list_operations(10)) {
    ids.push_back(op.id);
  }
  EXPECT_THAT(ids, ElementsAre("op-000000000003", "op-000000000001", "op-000000000002"));
  EXPECT_EQ(store->list_operations(2).size(), 2U);

  store->finish_operation("op-000000000002", OperationStatus::partial);
  found = store->find_operation("op-000000000002");
  EXPECT_EQ(found->status, OperationStatus::partial);
  EXPECT_FALSE(found->finished_at.empty());
  expect_error(ErrorKind::not_found,
               [&] { store->finish_operation("op-000000000404", OperationStatus::failed); });
}

TEST_P(PoolStoreTest, ItemsAreUpsertedAndKeepTheirFirstOrder) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  store->create_operation(operation("op-000000000002"));
  store->record_item({"op-000000000001", "+12125550102", ItemOutcome::pending, "", ""});
  store->record_item({"op-000000000001", "+12125550101", ItemOutcome::pending, "", ""});
  store->record_item({"op-000000000002", "+12125550101", ItemOutcome::pending, "", ""});
  store->record_item(
      {"op-000000000001", "+12125550102", ItemOutcome::failed, "21422", "not available"});
  store->record_item({"op-000000000001", "+12125550101", ItemOutcome::succeeded, "", ""});

  auto items = store->list_items("op-000000000001");
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].e164, "+12125550102");
  EXPECT_EQ(items[0].outcome, ItemOutcome::failed);
  EXPECT_EQ(items[0].error_code, "21422");
  EXPECT_EQ(items[0].error_message, "not available");
  EXPECT_EQ(items[1].e164, "+12125550101");
  EXPECT_EQ(items[1].outcome, ItemOutcome::succeeded);
  EXPECT_EQ(items[1].error_code, "");
  ASSERT_EQ(store->list_items("op-000000000002").size(), 1U);
  EXPECT_EQ(store->list_items("op-000000000002")[0].outcome, ItemOutcome::pending);
  EXPECT_TRUE(store->list_items("op-000000000404").empty());
}

TEST_P(PoolStoreTest, AuditRoundTripsAndFiltersBySince) {
  auto store = m_backend->open();
  store->append_audit({"2026-03-01T12:00:00Z", "bob", "numbers release", "number", "+12125550102",
                       R"({"status":"available"})", R"({"status":"released"})", ""});
  store->append_audit({"2026-02-01T12:00:00Z", "alice", "numbers buy", "number", "+12125550101", "",
                       R"({"status":"available"})", ""});
  store->append_audit({"", "carol", "webhooks set", "number", "+12125550101", "", "", ""});

  auto all = store->list_audit({});
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].actor, "alice");
  EXPECT_EQ(all[0].command, "numbers buy");
  EXPECT_EQ(all[0].entity_type, "number");
  EXPECT_EQ(all[0].entity_id, "+12125550101");
  EXPECT_EQ(all[0].before_json, "");
  EXPECT_EQ(all[0].after_json, R"({"status":"available"})");
  EXPECT_EQ(all[1].actor, "bob");
  EXPECT_EQ(all[1].before_json, R"({"status":"available"})");
  EXPECT_EQ(all[2].actor, "carol"); // Stamped now, after the 2026 entries above.
  EXPECT_EQ(all[2].at.size(), std::string("2026-03-01T12:00:00Z").size());
  EXPECT_EQ(all[2].at.back(), 'Z');

  auto since = store->list_audit({.since = "2026-03-01T12:00:00Z", .tenant_slug = "", .limit = 0});
  ASSERT_EQ(since.size(), 2U);
  EXPECT_EQ(since[0].actor, "bob");
}

TEST_P(PoolStoreTest, AuditFiltersByTenantAndKeepsTheNewestWithinALimit) {
  auto store = m_backend->open();
  // Two entries share a time stamp; the one appended later is the newer.
  store->append_audit({"2026-02-01T12:00:00Z", "alice", "tenants create", "tenant", "acme", "",
                       R"({"slug":"acme"})", "acme"});
  store->append_audit(
      {"2026-02-02T12:00:00Z", "bob", "tenants create", "tenant", "globex", "", "", "globex"});
  store->append_audit({"2026-02-03T12:00:00Z", "carol", "numbers assign", "number", "+12125550101",
                       "", "", "acme"});
  store->append_audit(
      {"2026-02-03T12:00:00Z", "dave", "numbers assign", "number", "+12125550102", "", "", "acme"});
  store->append_audit(
      {"2026-02-04T12:00:00Z", "erin", "numbers buy", "number", "+12125550103", "", "", ""});

  auto actors = [](const std::vector<AuditEntry>& entries) {
    std::vector<std::string> result;
    for (const auto& entry : entries) {
      result.push_back(entry.actor);
    }
    return result;
  };
  auto acme = store->list_audit({.since = "", .tenant_slug = "acme", .limit = 0});
  EXPECT_THAT(actors(acme), ElementsAre("alice", "carol", "dave"));
  EXPECT_EQ(acme[0].tenant_slug, "acme");
  EXPECT_EQ(acme[0].after_json, R"({"slug":"acme"})");

  EXPECT_THAT(actors(store->list_audit({.since = "", .tenant_slug = "", .limit = 2})),
              ElementsAre("dave", "erin"));
  EXPECT_THAT(actors(store->list_audit({.since = "", .tenant_slug = "acme", .limit = 2})),
              ElementsAre("carol", "dave"));
  EXPECT_THAT(actors(store->list_audit(
                  {.since = "2026-02-03T12:00:00Z", .tenant_slug = "acme", .limit = 1})),
              ElementsAre("dave"));
  EXPECT_THAT(actors(store->list_audit({.since = "", .tenant_slug = "", .limit = 50})),
              ElementsAre("alice", "bob", "carol", "dave", "erin"));
  EXPECT_TRUE(store->list_audit({.since = "", .tenant_slug = "initech", .limit = 0}).empty());
}

// --- concurrency ---------------------------------------------------------------------------

TEST_P(PoolStoreTest, ConcurrentReleasesOfOneNumberHaveExactlyOneWinner) {
  constexpr int k_numbers = 20;
  std::vector<std::string> numbers;
  {
    auto store = m_backend->open();
    store->create_operation(operation("op-000000000001"));
    for (int i = 0; i < k_numbers; ++i) {
      numbers.push_back("+1212555" + std::to_string(1000 + i));
      add_available(*store, numbers.back(), "PN" + std::to_string(i), "op-000000000001");
    }
  }
  // Each racer has its own store, that is its own connection, as two processes would.
  auto first = m_backend->open();
  auto second = m_backend->open();
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::array<std::string, 2> unexpected;
  auto race = [&](StateStore& store, std::latch& start, std::string& failure) {
    start.arrive_and_wait();
    for (const auto& e164 : numbers) {
      try {
        (void)store.begin_release(e164);
        ++wins;
      } catch (const Error& error) {
        if (error.kind() == ErrorKind::conflict) {
          ++conflicts;
        } else {
          failure += std::string(to_string(error.kind())) + ": " + error.what() + "\n";
        }
      }
    }
  };
  std::latch start(2);
  std::thread one([&] { race(*first, start, unexpected[0]); });
  std::thread two([&] { race(*second, start, unexpected[1]); });
  one.join();
  two.join();

  EXPECT_EQ(unexpected[0], "");
  EXPECT_EQ(unexpected[1], "");
  EXPECT_EQ(wins.load(), k_numbers);
  EXPECT_EQ(conflicts.load(), k_numbers);
  NumberFilter releasing;
  releasing.status = NumberStatus::releasing;
  EXPECT_EQ(first->list_numbers(releasing).size(), static_cast<std::size_t>(k_numbers));
}

// --- reconcile -----------------------------------------------------------------------------

AdoptedNumber adopted(const std::string& e164, const std::string& sid) {
  AdoptedNumber number;
  number.e164 = e164;
  number.provider_sid = sid;
  number.country = "US";
  number.locality = "New York";
  number.region = "NY";
  number.friendly_name = "vami:default:op-00000000000f";
  number.webhook = {"https://hooks.example.com/voice", "post", ""};
  number.monthly_price = Money{1'150'000, "USD"};
  return number;
}

TEST_P(PoolStoreTest, AdoptInsertsAnAvailableRowOrReusesAReleasedOne) {
  auto store = m_backend->open();
  auto row = store->adopt_number(adopted("+12125550101", "PN01"));
  EXPECT_EQ(row.status, NumberStatus::available);
  EXPECT_EQ(row.provider_sid, "PN01");
  EXPECT_EQ(row.provider, "twilio");
  EXPECT_EQ(row.region, "NY");
  EXPECT_EQ(row.friendly_name, "vami:default:op-00000000000f");
  EXPECT_EQ(row.webhook.voice_method, "POST");
  EXPECT_EQ(row.operation_id, "");
  ASSERT_TRUE(row.monthly_price);
  EXPECT_EQ(row.monthly_price->micros, 1'150'000);
  EXPECT_FALSE(m_backend->query("SELECT operation_id FROM numbers"));

  // The pool holds it now; another row cannot take its SID; the operation must exist.
  expect_error(ErrorKind::conflict,
               [&] { (void)store->adopt_number(adopted("+12125550101", "PN09")); });
  expect_error(ErrorKind::conflict,
               [&] { (void)store->adopt_number(adopted("+12125550102", "PN01")); });
  auto with_operation = adopted("+12125550103", "PN03");
  with_operation.operation_id = "op-00000000000f";
  expect_error(ErrorKind::not_found, [&] { (void)store->adopt_number(with_operation); });
  store->create_operation(operation("op-00000000000f"));
  EXPECT_EQ(store->adopt_number(with_operation).operation_id, "op-00000000000f");

  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550104", "PN04", "op-000000000001");
  (void)store->begin_release("+12125550104");
  store->complete_release("+12125550104");
  auto again = store->adopt_number(adopted("+12125550104", "PN05"));
  EXPECT_EQ(again.status, NumberStatus::available);
  EXPECT_EQ(again.provider_sid, "PN05");
  EXPECT_EQ(again.operation_id, "");
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM numbers WHERE e164 = '+12125550104'"), 1);
  EXPECT_FALSE(m_backend->query("SELECT released_at FROM numbers WHERE e164 = '+12125550104'"));
}

TEST_P(PoolStoreTest, MarkReleasedDropsProviderIdsAndAssignmentOnlyAsRead) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  assign_raw("+12125550102");
  store->insert_purchase_intent(intent("+12125550103", "op-000000000001"));

  // Another SID means the row is not what the caller read.
  expect_error(ErrorKind::conflict, [&] { (void)store->mark_released("+12125550101", "PN99"); });
  expect_error(ErrorKind::conflict, [&] { (void)store->mark_released("+12125550103", ""); });
  expect_error(ErrorKind::not_found, [&] { (void)store->mark_released("+12125550109", "PN09"); });

  auto before = store->mark_released("+12125550101", "PN01");
  EXPECT_EQ(before.status, NumberStatus::available);
  EXPECT_EQ(before.provider_sid, "PN01");
  auto released = store->find_number("+12125550101");
  EXPECT_EQ(released->status, NumberStatus::released);
  EXPECT_EQ(released->provider_sid, "");
  EXPECT_EQ(released->webhook.voice_url, "");
  ASSERT_TRUE(released->monthly_price); // kept as history
  expect_error(ErrorKind::not_found, [&] { (void)store->mark_released("+12125550101", ""); });

  auto assigned = store->mark_released("+12125550102", "PN02");
  EXPECT_EQ(assigned.status, NumberStatus::assigned);
  EXPECT_EQ(assigned.agent_slug, "front-desk");
  auto unassigned = store->find_number("+12125550102");
  EXPECT_EQ(unassigned->status, NumberStatus::released);
  EXPECT_EQ(unassigned->agent_slug, "");
  EXPECT_EQ(unassigned->tenant_slug, "");
}

TEST_P(PoolStoreTest, RecordProviderViewIsConditionalOnTheRowAsRead) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  add_available(*store, "+12125550101", "PN01", "op-000000000001");
  add_available(*store, "+12125550102", "PN02", "op-000000000001");
  const auto read = store->find_number("+12125550101");
  auto provider = owned("+12125550101", "PN11");
  provider.webhook = {"https://console.example.com/voice", "GET", ""};

  expect_error(ErrorKind::conflict, [&] {
    (void)store->record_provider_view("+12125550101", "PN01",
                                      {"https://stale.example.com", "POST", ""}, provider);
  });
  expect_error(ErrorKind::conflict, [&] {
    (void)store->record_provider_view("+12125550101", "PN09", read->webhook, provider);
  });
  expect_error(ErrorKind::conflict, [&] {
    (void)store->record_provider_view("+12125550101", "PN01", read->webhook,
                                      owned("+12125550101", "PN02"));
  });
  expect_error(ErrorKind::not_found,
               [&] { (void)store->record_provider_view("+12125550109", "PN09", {}, provider); });
  EXPECT_EQ(store->find_number("+12125550101")->provider_sid, "PN01");

  auto after = store->record_provider_view("+12125550101", "PN01", read->webhook, provider);
  EXPECT_EQ(after.provider_sid, "PN11");
  EXPECT_EQ(after.webhook, provider.webhook);
  EXPECT_EQ(after.status, NumberStatus::available);

  (void)store->begin_release("+12125550102");
  const auto releasing = store->find_number("+12125550102");
  expect_error(ErrorKind::conflict, [&] {
    (void)store->record_provider_view("+12125550102", "PN02", releasing->webhook,
                                      owned("+12125550102", "PN02"));
  });
}

TEST_P(PoolStoreTest, ItemsOfANumberSpanOperationsInRecordingOrder) {
  auto store = m_backend->open();
  store->create_operation(operation("op-000000000001"));
  store->create_operation(operation("op-000000000002", OperationKind::release));
  store->create_operation(operation("op-000000000003", OperationKind::reconcile));
  store->record_item({"op-000000000002", "+12125550101", ItemOutcome::uncertain, "", "lost"});
  store->record_item({"op-000000000001", "+12125550101", ItemOutcome::succeeded, "", ""});
  store->record_item({"op-000000000001", "+12125550102", ItemOutcome::succeeded, "", ""});
  auto items = store->list_items_of_number("+12125550101");
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].operation_id, "op-000000000002");
  EXPECT_EQ(items[0].outcome, ItemOutcome::uncertain);
  EXPECT_EQ(items[0].error_message, "lost");
  EXPECT_EQ(items[1].operation_id, "op-000000000001");
  EXPECT_TRUE(store->list_items_of_number("+12125550109").empty());
  EXPECT_EQ(store->find_operation("op-000000000003")->kind, OperationKind::reconcile);
  EXPECT_EQ(m_backend->query("SELECT kind FROM operations WHERE id = 'op-000000000003'"),
            "reconcile");
}

VAMI_STORE_BACKENDS(PoolStoreTest);

} // namespace
} // namespace vami
