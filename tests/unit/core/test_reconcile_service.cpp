#include <functional>
#include <map>
#include <string>

#include "fake_telephony_provider.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/reconcile_service.hpp>

namespace vami {
namespace {

using testing::FakeTelephonyProvider;

// Numbers the pool's purchases never reach first (they take the lowest of the inventory).
constexpr const char* k_orphan = "+12125551050";
constexpr const char* k_other_orphan = "+12125551051";
constexpr const char* k_foreign = "+12125551052";

/// The fake account, with a hook that runs when reconcile lists it: another vami process
/// acting between reconcile's reading of the pool and its listing of the provider.
class HookedProvider final : public TelephonyProvider {
public:
  explicit HookedProvider(FakeTelephonyProvider& inner) : m_inner(inner) {}
  std::function<void()> before_list;

  std::string name() const override { return m_inner.name(); }
  std::vector<AvailableNumber> search_available(const NumberSearch& search) override {
    return m_inner.search_available(search);
  }
  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override {
    return m_inner.buy(e164, tag);
  }
  std::optional<OwnedNumber> find_owned(const std::string& e164) override {
    return m_inner.find_owned(e164);
  }
  std::vector<OwnedNumber> list_owned() override {
    if (before_list) {
      before_list();
    }
    return m_inner.list_owned();
  }
  OwnedNumber set_voice_webhook(const std::string& sid, const VoiceWebhook& webhook) override {
    return m_inner.set_voice_webhook(sid, webhook);
  }
  void release(const std::string& sid) override { m_inner.release(sid); }
  std::optional<Money> monthly_price(const std::string& country, NumberType type) override {
    return m_inner.monthly_price(country, type);
  }

private:
  FakeTelephonyProvider& m_inner;
};

class ReconcileServiceTest : public ::testing::Test {
protected:
  ReconcileServiceTest()
      : m_provider({"212"}, 80), m_store(open_sqlite_state_store(m_dir / "vami.db")),
        m_pool(m_provider, *m_store, "tester") {}

  ReconcileReport reconcile(ReconcileMode mode, std::chrono::seconds grace = k_in_flight_grace,
                            const StopRequested& stop = {}) {
    ReconcileService service(m_provider, *m_store, "tester", grace);
    return service.reconcile(mode, stop);
  }

  /// Buys `count` numbers into the pool; returns the operation id.
  std::string buy(int count) {
    BuyRequest request;
    request.count = count;
    request.area_codes = {"212"};
    auto plan = m_pool.plan_purchase(request);
    auto report = m_pool.buy(request, plan, {}, {});
    EXPECT_EQ(report.succeeded, count);
    return report.operation_id;
  }

  std::vector<PoolNumber> rows(std::optional<NumberStatus> status = std::nullopt) {
    NumberFilter filter;
    filter.status = status;
    return m_store->list_numbers(filter);
  }

  /// Makes the next provider call fail with `fault`.
  void fail_next_call(FakeTelephonyProvider::Fault fault) {
    m_provider.fail_at(static_cast<int>(m_provider.calls().size()) + 1, fault);
  }

  /// Every pool row, released ones too, as text.
  std::string pool_text() {
    std::string text;
    NumberFilter all;
    all.include_released = true;
    for (const auto& row : m_store->list_numbers(all)) {
      text += row.e164 + " " + to_string(row.status) + " " + row.provider_sid + " " +
              row.webhook.voice_url + " " + row.operation_id + " " + row.updated_at + "\n";
    }
    return text;
  }

  /// Everything reconcile could change, as text, to check that nothing did.
  std::string state() {
    std::string text = pool_text();
    for (const auto& operation : m_store->list_operations(0)) {
      text += operation.id + " " + to_string(operation.status) + "\n";
      for (const auto& item : m_store->list_items(operation.id)) {
        text += "  " + item.e164 + " " + to_string(item.outcome) + "\n";
      }
    }
    return text + std::to_string(m_store->list_audit({}).size()) + " audit entries\n";
  }

  /// A purchase intent of `e164` by a journaled buy operation (running unless `finished`).
  std::string intent(const std::string& e164, bool finished) {
    Operation operation;
    operation.id = new_operation_id();
    operation.kind = OperationKind::buy;
    operation.requested_count = 1;
    operation.actor = "tester";
    m_store->create_operation(operation);
    PurchaseIntent purchase;
    purchase.e164 = e164;
    purchase.operation_id = operation.id;
    purchase.provider = m_provider.name();
    purchase.country = "US";
    purchase.friendly_name = "vami:default:" + operation.id;
    m_store->insert_purchase_intent(purchase);
    if (finished) {
      m_store->finish_operation(operation.id, OperationStatus::failed);
    }
    return operation.id;
  }

  testing::TempDir m_dir;
  FakeTelephonyProvider m_provider;
  std::unique_ptr<StateStore> m_store;
  PoolService m_pool;
};

/// e164 -> "kind resolution" of every finding that is not in sync.
std::map<std::string, std::string> drift(const ReconcileReport& report) {
  std::map<std::string, std::string> found;
  for (const auto& finding : report.findings) {
    if (finding.kind != FindingKind::in_sync) {
      found[finding.e164] =
          std::string(to_string(finding.kind)) + " " + to_string(finding.resolution);
    }
  }
  return found;
}

const Finding& finding_of(const ReconcileReport& report, const std::string& e164) {
  for (const auto& finding : report.findings) {
    if (finding.e164 == e164) {
      return finding;
    }
  }
  throw std::runtime_error("no finding for " + e164);
}

TEST_F(ReconcileServiceTest, APoolInSyncHasNothingToDoAndAReportChangesNothing) {
  (void)buy(3);
  const std::string before = state();
  auto report = reconcile(ReconcileMode::report);
  EXPECT_FALSE(report.applied);
  EXPECT_TRUE(report.operation_id.empty());
  EXPECT_EQ(report.findings.size(), 3U);
  EXPECT_EQ(report.counts.at(FindingKind::in_sync), 3);
  EXPECT_EQ(report.counts.size(), 8U);
  EXPECT_TRUE(drift(report).empty());
  EXPECT_TRUE(report.settled());
  EXPECT_EQ(state(), before);
  EXPECT_EQ(m_provider.count("list_owned"), 1);
}

TEST_F(ReconcileServiceTest, TaggedOrphansAreReportedThenAdoptedWithOperationAndPrice) {
  const std::string bought_by = buy(2);
  (void)m_provider.buy(k_orphan, "vami:default:" + bought_by);
  (void)m_provider.buy(k_other_orphan, "vami:night:op-0123456789ab"); // not in this journal
  const std::string before = state();

  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{k_orphan, "orphan_tagged would_repair"},
                                                {k_other_orphan, "orphan_tagged would_repair"}}));
  EXPECT_EQ(finding_of(report, k_orphan).action, "would adopt");
  EXPECT_NE(finding_of(report, k_other_orphan).detail.find("not in this journal"),
            std::string::npos);
  EXPECT_FALSE(report.settled());
  EXPECT_EQ(state(), before);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, k_orphan).action, "adopted");
  EXPECT_EQ(applied.counts.at(FindingKind::orphan_tagged), 2);
  EXPECT_TRUE(applied.settled());
  auto adopted = m_store->find_number(k_orphan);
  ASSERT_TRUE(adopted.has_value());
  EXPECT_EQ(adopted->status, NumberStatus::available);
  EXPECT_EQ(adopted->provider_sid, m_provider.owned().at(k_orphan).provider_sid);
  EXPECT_EQ(adopted->provider, "fake");
  EXPECT_EQ(adopted->friendly_name, "vami:default:" + bought_by);
  EXPECT_EQ(adopted->operation_id, bought_by);
  EXPECT_EQ(adopted->country, "US");
  EXPECT_EQ(adopted->type, NumberType::local);
  EXPECT_EQ(adopted->region, "NY");
  ASSERT_TRUE(adopted->monthly_price.has_value());
  EXPECT_EQ(*adopted->monthly_price, (Money{1'150'000, "USD"}));
  EXPECT_EQ(m_store->find_number(k_other_orphan)->operation_id, "");

  auto operation = m_store->find_operation(applied.operation_id);
  ASSERT_TRUE(operation.has_value());
  EXPECT_EQ(operation->kind, OperationKind::reconcile);
  EXPECT_EQ(operation->status, OperationStatus::completed);
  EXPECT_EQ(operation->requested_count, 2);
  EXPECT_EQ(m_store->list_items(applied.operation_id).size(), 2U);
  int audited = 0;
  for (const auto& entry : m_store->list_audit({})) {
    audited += entry.command == "reconcile" ? 1 : 0;
  }
  EXPECT_EQ(audited, 2);
}

TEST_F(ReconcileServiceTest, AnUntaggedOrphanIsReportedButNeverAdopted) {
  (void)buy(1);
  (void)m_provider.buy(k_foreign, "someone else");
  auto report = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{k_foreign, "orphan_untagged unresolved"}}));
  EXPECT_EQ(finding_of(report, k_foreign).action.rfind("left alone", 0), 0U);
  EXPECT_FALSE(report.settled());
  EXPECT_FALSE(m_store->find_number(k_foreign).has_value());
  EXPECT_EQ(m_store->find_operation(report.operation_id)->requested_count, 0);
}

TEST_F(ReconcileServiceTest, AGhostIsMarkedReleasedOnlyWithApply) {
  (void)buy(2);
  const auto ghost = rows()[0];
  m_provider.release(ghost.provider_sid);

  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{ghost.e164, "ghost would_repair"}}));
  EXPECT_EQ(finding_of(report, ghost.e164).provider_sid, ghost.provider_sid);
  EXPECT_EQ(m_store->find_number(ghost.e164)->status, NumberStatus::available);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, ghost.e164).action, "marked released");
  auto row = m_store->find_number(ghost.e164);
  EXPECT_EQ(row->status, NumberStatus::released);
  EXPECT_EQ(row->provider_sid, "");
  auto audit = m_store->list_audit({});
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().command, "reconcile");
  EXPECT_EQ(audit.back().entity_id, ghost.e164);
  EXPECT_NE(audit.back().before_json.find("available"), std::string::npos);
  EXPECT_NE(audit.back().after_json.find("released"), std::string::npos);
}

// The advice "run 'vami reconcile'" after a purchase whose outcome could not be known.
TEST_F(ReconcileServiceTest, APurchaseLeftUncertainIsCompletedAndItsJournalItemSettled) {
  BuyRequest request;
  request.count = 1;
  request.area_codes = {"212"};
  auto plan = m_pool.plan_purchase(request);
  fail_next_call({ErrorKind::unavailable, true}); // the purchase happens, its response is lost
  m_provider.fail_at(static_cast<int>(m_provider.calls().size()) + 2,
                     {ErrorKind::unavailable, false}); // and the look-up fails
  auto bought = m_pool.buy(request, plan, {}, {});
  ASSERT_EQ(bought.uncertain, 1);
  const std::string e164 = plan.numbers[0].e164;
  ASSERT_EQ(m_store->find_number(e164)->status, NumberStatus::purchasing);

  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{e164, "stale_purchasing would_repair"}}));
  EXPECT_EQ(finding_of(report, e164).action, "would complete purchase");

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, e164).action, "completed purchase");
  EXPECT_TRUE(applied.settled());
  auto row = m_store->find_number(e164);
  EXPECT_EQ(row->status, NumberStatus::available);
  EXPECT_EQ(row->provider_sid, m_provider.owned().at(e164).provider_sid);
  EXPECT_EQ(row->operation_id, bought.operation_id);
  ASSERT_TRUE(row->monthly_price.has_value());
  auto items = m_store->list_items(bought.operation_id);
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items[0].outcome, ItemOutcome::succeeded);
  EXPECT_NE(items[0].error_message.find(applied.operation_id), std::string::npos);
}

TEST_F(ReconcileServiceTest, APurchaseTheProviderNeverMadeIsAbandoned) {
  const std::string operation = intent(k_orphan, true);
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, k_orphan).kind, FindingKind::stale_purchasing);
  EXPECT_EQ(finding_of(applied, k_orphan).action, "abandoned purchase");
  EXPECT_FALSE(m_store->find_number(k_orphan).has_value());
  auto items = m_store->list_items(operation);
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items[0].outcome, ItemOutcome::failed);
  EXPECT_EQ(m_provider.count("buy"), 0);
}

TEST_F(ReconcileServiceTest, APurchaseRowForSomeoneElsesNumberIsAbandonedNotCompleted) {
  (void)intent(k_foreign, true);
  (void)m_provider.buy(k_foreign, "someone else");
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, k_foreign).action, "abandoned purchase");
  EXPECT_FALSE(m_store->find_number(k_foreign).has_value());
  // Now it is what it always was: someone else's number.
  EXPECT_EQ(drift(reconcile(ReconcileMode::apply)),
            (std::map<std::string, std::string>{{k_foreign, "orphan_untagged unresolved"}}));
}

TEST_F(ReconcileServiceTest, APurchaseStillInFlightIsLeftAlone) {
  (void)intent(k_orphan, false); // its operation is running and the row is fresh
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(applied),
            (std::map<std::string, std::string>{{k_orphan, "stale_purchasing unresolved"}}));
  EXPECT_EQ(finding_of(applied, k_orphan).action.rfind("left alone: in flight", 0), 0U);
  EXPECT_EQ(m_store->find_number(k_orphan)->status, NumberStatus::purchasing);
  // Once the grace period is over, its process is taken for dead.
  auto later = reconcile(ReconcileMode::apply, std::chrono::seconds(0));
  EXPECT_EQ(finding_of(later, k_orphan).action, "abandoned purchase");
  EXPECT_FALSE(m_store->find_number(k_orphan).has_value());
}

TEST_F(ReconcileServiceTest, AReleaseTheProviderRefusedIsRestored) {
  (void)buy(1);
  const auto row = rows()[0];
  (void)m_store->begin_release(row.e164);
  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(finding_of(report, row.e164).action, "would restore");
  EXPECT_EQ(m_store->find_number(row.e164)->status, NumberStatus::releasing);
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, row.e164).kind, FindingKind::stale_releasing);
  EXPECT_EQ(finding_of(applied, row.e164).action, "restored");
  EXPECT_EQ(m_store->find_number(row.e164)->status, NumberStatus::available);
  EXPECT_EQ(m_provider.owned().count(row.e164), 1U);
}

TEST_F(ReconcileServiceTest, AReleaseLeftUncertainIsCompletedAndItsJournalItemSettled) {
  (void)buy(1);
  const auto row = rows()[0];
  auto plan = m_pool.plan_release({row.e164});
  fail_next_call({ErrorKind::unavailable, true}); // released, response lost
  m_provider.fail_at(static_cast<int>(m_provider.calls().size()) + 2,
                     {ErrorKind::unavailable, false}); // the look-up fails
  auto released = m_pool.release(plan, {}, {});
  ASSERT_EQ(released.uncertain, 1);
  ASSERT_EQ(m_store->find_number(row.e164)->status, NumberStatus::releasing);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, row.e164).action, "completed release");
  EXPECT_EQ(m_store->find_number(row.e164)->status, NumberStatus::released);
  auto items = m_store->list_items(released.operation_id);
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items[0].outcome, ItemOutcome::succeeded);
}

TEST_F(ReconcileServiceTest, WebhookAndSidDriftStoreWhatTheProviderReports) {
  (void)buy(2);
  auto pool = rows();
  const VoiceWebhook console{"https://elsewhere.example.com/voice", "GET", ""};
  (void)m_provider.set_voice_webhook(pool[0].provider_sid, console);
  // Released and bought again at the provider: same number, new SID.
  m_provider.release(pool[1].provider_sid);
  (void)m_provider.buy(pool[1].e164, pool[1].friendly_name);
  const std::string new_sid = m_provider.owned().at(pool[1].e164).provider_sid;
  ASSERT_NE(new_sid, pool[1].provider_sid);

  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{pool[0].e164, "webhook_drift would_repair"},
                                                {pool[1].e164, "sid_drift would_repair"}}));
  EXPECT_NE(finding_of(report, pool[0].e164).detail.find(console.voice_url), std::string::npos);
  EXPECT_EQ(m_store->find_number(pool[0].e164)->webhook, pool[0].webhook);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, pool[0].e164).action, "stored provider webhook");
  EXPECT_EQ(finding_of(applied, pool[1].e164).action, "stored provider sid");
  EXPECT_EQ(m_store->find_number(pool[0].e164)->webhook, console);
  EXPECT_EQ(m_store->find_number(pool[1].e164)->provider_sid, new_sid);
  EXPECT_TRUE(drift(reconcile(ReconcileMode::report)).empty());
}

TEST_F(ReconcileServiceTest, ASecondApplyFindsOnlyNumbersInSyncAndUntaggedOrphans) {
  const std::string bought_by = buy(4);
  auto pool = rows();
  (void)m_provider.buy(k_orphan, "vami:default:" + bought_by);
  (void)m_provider.buy(k_foreign, "someone else");
  m_provider.release(pool[0].provider_sid);   // ghost
  (void)m_store->begin_release(pool[1].e164); // stale releasing, still owned
  (void)m_provider.set_voice_webhook(pool[2].provider_sid, {"https://x.example.com/", "POST", ""});
  (void)intent(k_other_orphan, true); // stale purchasing, never bought

  auto first = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(first).size(), 6U);
  EXPECT_FALSE(first.settled()); // the untagged orphan stays
  EXPECT_EQ(m_store->find_operation(first.operation_id)->status, OperationStatus::completed);
  const std::string pool_after_first = pool_text();
  const auto audit_after_first = m_store->list_audit({}).size();

  auto second = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(second),
            (std::map<std::string, std::string>{{k_foreign, "orphan_untagged unresolved"}}));
  EXPECT_EQ(second.counts.at(FindingKind::in_sync), 4); // three bought and one adopted
  // Nothing but the second run's own journal entry changed.
  EXPECT_EQ(pool_text(), pool_after_first);
  EXPECT_EQ(m_store->list_audit({}).size(), audit_after_first);
  auto second_operation = m_store->find_operation(second.operation_id);
  ASSERT_TRUE(second_operation.has_value());
  EXPECT_EQ(second_operation->requested_count, 0);
  EXPECT_EQ(m_store->list_items(second.operation_id).size(), 0U);
}

TEST_F(ReconcileServiceTest, AFailedProviderListingChangesNothing) {
  const std::string bought_by = buy(2);
  (void)m_provider.buy(k_orphan, "vami:default:" + bought_by);
  m_provider.release(rows()[0].provider_sid);
  (void)intent(k_other_orphan, true);
  const std::string before = state();
  for (auto kind : {ErrorKind::unavailable, ErrorKind::auth, ErrorKind::rate_limited}) {
    fail_next_call({kind, false});
    try {
      (void)reconcile(ReconcileMode::apply);
      ADD_FAILURE() << "reconcile went on after the listing failed";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), kind);
    }
    EXPECT_EQ(state(), before) << to_string(kind);
  }
}

TEST_F(ReconcileServiceTest, AnInterruptedApplyStopsBeforeTheNextRepair) {
  const std::string bought_by = buy(1);
  (void)m_provider.buy(k_orphan, "vami:default:" + bought_by);
  (void)m_provider.buy(k_other_orphan, "vami:default:" + bought_by);
  int asked = 0;
  auto report =
      reconcile(ReconcileMode::apply, k_in_flight_grace, [&asked] { return ++asked > 1; });
  EXPECT_TRUE(report.interrupted);
  EXPECT_EQ(finding_of(report, k_orphan).action, "adopted");
  EXPECT_EQ(finding_of(report, k_other_orphan).action, "not attempted: interrupted");
  EXPECT_FALSE(m_store->find_number(k_other_orphan).has_value());
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::interrupted);
}

// Another vami process acting between reconcile's reading of the pool and its listing of the
// provider: reconcile must not undo its work.
TEST_F(ReconcileServiceTest, WorkOfAnotherProcessDuringTheListingIsNotUndone) {
  (void)buy(2);
  const auto released = rows()[0];
  HookedProvider provider(m_provider);
  std::string bought;
  provider.before_list = [&] {
    bought = buy(1); // a purchase completes: the pool did not hold it when it was read
    (void)m_pool.release(m_pool.plan_release({released.e164}), {}, {}); // and one is released
  };
  ReconcileService service(provider, *m_store, "tester");
  auto report = service.reconcile(ReconcileMode::apply);
  std::string bought_e164;
  for (const auto& row : rows()) {
    if (row.operation_id == bought) {
      bought_e164 = row.e164;
    }
  }
  ASSERT_FALSE(bought_e164.empty());
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{bought_e164, "orphan_tagged unresolved"},
                                                {released.e164, "ghost unresolved"}}));
  EXPECT_EQ(finding_of(report, bought_e164).action.rfind("skipped:", 0), 0U);
  EXPECT_EQ(m_store->find_number(bought_e164)->status, NumberStatus::available);
  EXPECT_EQ(m_store->find_number(bought_e164)->operation_id, bought);
  EXPECT_EQ(m_store->find_number(released.e164)->status, NumberStatus::released);
  EXPECT_EQ(m_store->find_operation(report.operation_id)->status, OperationStatus::failed);
  // The next run sees a settled pool.
  provider.before_list = {};
  EXPECT_TRUE(service.reconcile(ReconcileMode::apply).settled());
}

// Whatever provider call fails, reconcile either changes nothing or leaves every number the
// account owns in the pool, with its price unknown when the price list failed.
TEST(ReconcileFaultSweep, EveryOwnedNumberEndsUpInThePoolOrNothingChanges) {
  const std::vector<FakeTelephonyProvider::Fault> faults{{ErrorKind::unavailable, false},
                                                         {ErrorKind::rate_limited, false},
                                                         {ErrorKind::provider, false},
                                                         {ErrorKind::auth, false}};
  int scenarios = 0;
  for (int n = 1; n <= 3; ++n) {
    for (const auto& fault : faults) {
      testing::TempDir dir;
      FakeTelephonyProvider provider({"212"}, 60);
      auto store = open_sqlite_state_store(dir / "vami.db");
      PoolService pool(provider, *store, "sweep");
      BuyRequest request;
      request.count = 1;
      request.area_codes = {"212"};
      auto plan = pool.plan_purchase(request);
      auto bought = pool.buy(request, plan, {}, {});
      (void)provider.buy(k_orphan, "vami:default:" + bought.operation_id);
      const int setup_calls = static_cast<int>(provider.calls().size());
      provider.fail_at(setup_calls + n, fault);

      ReconcileService service(provider, *store, "sweep");
      bool failed = false;
      try {
        (void)service.reconcile(ReconcileMode::apply);
      } catch (const Error& error) {
        failed = true;
        EXPECT_EQ(error.kind(), fault.kind);
        EXPECT_EQ(n, 1) << "only the listing may fail the run";
        EXPECT_EQ(store->list_numbers({}).size(), 1U);
        EXPECT_EQ(store->list_operations(0).size(), 1U); // the buy; no reconcile journaled
      }
      if (!failed) {
        for (const auto& [e164, owned] : provider.owned()) {
          auto row = store->find_number(e164);
          ASSERT_TRUE(row.has_value()) << e164 << " (fault at call " << n << ")";
          EXPECT_EQ(row->status, NumberStatus::available);
        }
        auto adopted = store->find_number(k_orphan);
        // Call 2 is the price list: when it fails the price stays unknown.
        EXPECT_EQ(adopted->monthly_price.has_value(), n != 2) << n;
      }
      ++scenarios;
    }
  }
  EXPECT_EQ(scenarios, 12);
}

TEST(FindingNames, AreTheWordsOfTheOutput) {
  EXPECT_STREQ(to_string(FindingKind::in_sync), "in_sync");
  EXPECT_STREQ(to_string(FindingKind::webhook_drift), "webhook_drift");
  EXPECT_STREQ(to_string(FindingKind::sid_drift), "sid_drift");
  EXPECT_STREQ(to_string(FindingKind::orphan_tagged), "orphan_tagged");
  EXPECT_STREQ(to_string(FindingKind::orphan_untagged), "orphan_untagged");
  EXPECT_STREQ(to_string(FindingKind::ghost), "ghost");
  EXPECT_STREQ(to_string(FindingKind::stale_purchasing), "stale_purchasing");
  EXPECT_STREQ(to_string(FindingKind::stale_releasing), "stale_releasing");
  EXPECT_STREQ(to_string(Resolution::would_repair), "would_repair");
  EXPECT_STREQ(to_string(OperationKind::reconcile), "reconcile");
}

} // namespace
} // namespace vami
