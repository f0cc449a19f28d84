// What only the PostgreSQL store has: migrations under an advisory lock, holds that end with
// their connection, URIs whose password never shows. The behaviour both stores share is in the
// suites over store_backends().

#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "store_backend.hpp"
#include "store_rows.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vami/core/error.hpp>
#include <vami/stores/postgres_state_store.hpp>
#include <vami/stores/state_store_factory.hpp>

namespace vami {
namespace {

using testing::expect_error;
using ::testing::HasSubstr;
using ::testing::Not;

class PostgresStoreTest : public testing::StoreBackendTest {};

/// A child process that opens its own store as `holder`, runs `hold` on it, says so on a pipe
/// and waits to be killed, as a vami process killed on another host mid-change.
class HoldingProcess {
public:
  template <typename Hold>
  HoldingProcess(testing::StoreBackend& backend, const std::string& holder, Hold hold) {
    int pipe_ends[2];
    if (pipe(pipe_ends) != 0) {
      throw std::runtime_error("pipe");
    }
    m_pid = fork();
    if (m_pid == 0) {
      close(pipe_ends[0]);
      char done = 'n';
      try {
        auto store = backend.open(holder);
        hold(*store);
        done = 'y';
        (void)write(pipe_ends[1], &done, 1);
        pause();      // holding the store, and its connection, until killed
      } catch (...) { // NOLINT(bugprone-empty-catch): the parent sees 'n'
      }
      (void)write(pipe_ends[1], &done, 1);
      _exit(0);
    }
    close(pipe_ends[1]);
    char done = 'n';
    m_held = read(pipe_ends[0], &done, 1) == 1 && done == 'y';
    close(pipe_ends[0]);
  }
  HoldingProcess(const HoldingProcess&) = delete;
  HoldingProcess& operator=(const HoldingProcess&) = delete;
  ~HoldingProcess() { kill9(); }

  /// Whether the child took its hold.
  [[nodiscard]] bool held() const { return m_held; }

  /// kill -9, and waits for it: the server sees its connection close.
  void kill9() {
    if (m_pid > 0) {
      kill(m_pid, SIGKILL);
      int status = 0;
      waitpid(m_pid, &status, 0);
      m_pid = -1;
    }
  }

private:
  pid_t m_pid = -1;
  bool m_held = false;
};

/// Runs `action` until it stops failing with a conflict (the server noticing a dead connection
/// takes a moment), for at most 20 s; returns whether it succeeded.
template <typename Action>
bool succeeds_soon(Action action) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    try {
      action();
      return true;
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::conflict || std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

TEST_P(PostgresStoreTest, ConcurrentFirstRunsMigrateOnce) {
  // Eight processes' first runs at once on an empty schema: each waits for the advisory lock,
  // and all but the first find the schema made (without it, two CREATE TABLEs collide).
  std::vector<std::thread> openers;
  std::vector<std::string> failures(8);
  for (std::size_t i = 0; i < failures.size(); ++i) {
    openers.emplace_back([&, i] {
      try {
        auto store = m_backend->open("host:" + std::to_string(i) + ":1");
        if (store->schema_version() != current_postgres_schema_version()) {
          failures[i] = "wrong version";
        }
      } catch (const std::exception& error) {
        failures[i] = error.what();
      }
    });
  }
  for (auto& opener : openers) {
    opener.join();
  }
  for (const auto& failure : failures) {
    EXPECT_EQ(failure, "");
  }
  // Versions 6 (where the PostgreSQL store begins) to the current one, each applied once.
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM vami_migrations"),
            current_postgres_schema_version() - 5);
  EXPECT_EQ(m_backend->count("SELECT max(version) FROM vami_migrations"),
            current_postgres_schema_version());
}

TEST_P(PostgresStoreTest, ASchemaHoldingAnotherApplicationsTablesIsRefused) {
  m_backend->execute("CREATE TABLE invoices (id INTEGER)");
  Error error = expect_error(ErrorKind::invalid_input, [&] { (void)m_backend->open(); });
  EXPECT_THAT(error.what(), HasSubstr("holds tables that are not vami's"));
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM pg_tables WHERE tablename = 'numbers' AND "
                             "schemaname = current_schema()"),
            0);
}

TEST_P(PostgresStoreTest, ANewerSchemaIsRefused) {
  (void)m_backend->open();
  m_backend->execute("INSERT INTO vami_migrations (version, applied_at) VALUES (999, 'x')");
  Error error = expect_error(ErrorKind::invalid_input, [&] { (void)m_backend->open(); });
  EXPECT_THAT(error.what(), HasSubstr("newer than this vami knows"));
}

TEST_P(PostgresStoreTest, ARoutingHoldEndsWhenItsProcessIsKilled) {
  auto store = m_backend->open();
  store->create_operation(testing::operation("op-000000000001"));
  testing::add_available(*store, "+12125550101", "PN1", "op-000000000001");
  {
    HoldingProcess other(*m_backend, "other-host:4242:77",
                         [](StateStore& held) { held.begin_routing_change("+12125550101"); });
    ASSERT_TRUE(other.held());
    EXPECT_EQ(store->find_number("+12125550101")->routing_holder, "other-host:4242:77");
    Error busy =
        expect_error(ErrorKind::conflict, [&] { store->begin_routing_change("+12125550101"); });
    EXPECT_THAT(busy.what(), HasSubstr("is being changed by another vami process (pid 4242)"));
    other.kill9();
  }
  // No ten-minute lapse: once the server has seen the connection close, nobody holds it.
  EXPECT_TRUE(succeeds_soon([&] { store->begin_routing_change("+12125550101"); }));
  EXPECT_EQ(store->find_number("+12125550101")->routing_holder, current_process_holder());
}

TEST_P(PostgresStoreTest, AnOperationOfAKilledProcessIsInterruptedAndClaimedAtOnce) {
  auto store = m_backend->open();
  HoldingProcess other(*m_backend, "elsewhere:42:1", [](StateStore& held) {
    held.create_operation(testing::operation("op-000000000007"));
  });
  ASSERT_TRUE(other.held());
  EXPECT_EQ(store->find_operation("op-000000000007")->status, OperationStatus::running);
  expect_error(ErrorKind::conflict, [&] { store->claim_operation("op-000000000007"); });
  other.kill9();
  EXPECT_TRUE(succeeds_soon([&] { store->claim_operation("op-000000000007"); }));
  EXPECT_EQ(store->find_operation("op-000000000007")->holder, current_process_holder());
  EXPECT_EQ(store->find_operation("op-000000000007")->status, OperationStatus::running);
}

/// An `uploading` document of agent "front-desk" (tenant acme, made by `store` when missing), as
/// `vami kb add` records it before it uploads, held by `holder`.
Document pending_upload(StateStore& store, const std::string& holder) {
  if (!store.find_tenant("acme")) {
    Tenant acme;
    acme.slug = "acme";
    acme.name = "Acme";
    (void)store.create_tenant(acme);
    Agent agent;
    agent.slug = "front-desk";
    agent.tenant_slug = "acme";
    agent.name = "Front Desk";
    agent.provider_agent_id = "agent_1";
    (void)store.insert_agent(agent);
  }
  Document document;
  document.agent_slug = "front-desk";
  document.name = "faq.txt";
  document.status = DocumentStatus::uploading;
  document.upload_name = "vami:front-desk:aa11 faq.txt";
  document.holder = holder;
  document.source_kind = DocumentSourceKind::text;
  document.sha256 = "aa11";
  return store.insert_document(document);
}

TEST_P(PostgresStoreTest, AnUploadOfAKilledProcessIsFreeAtOnce) {
  auto store = m_backend->open();
  {
    HoldingProcess other(*m_backend, "elsewhere:42:1",
                         [](StateStore& held) { (void)pending_upload(held, "elsewhere:42:1"); });
    ASSERT_TRUE(other.held());
    // In flight while its process runs: reconcile leaves it alone.
    EXPECT_EQ(store->list_documents("front-desk").at(0).holder, "elsewhere:42:1");
    other.kill9();
  }
  // No ten-minute lapse for a holder on another host: once the server has seen its connection
  // close, the upload has no holder, which reconcile settles at once (it showed the dead
  // holder before, which counts as in flight for ten minutes).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!store->list_documents("front-desk").at(0).holder.empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const Document left = store->find_document_by_sha256("front-desk", "aa11").value();
  EXPECT_EQ(left.status, DocumentStatus::uploading);
  EXPECT_EQ(left.holder, "");
  EXPECT_EQ(holder_liveness(left.holder), HolderLiveness::gone);
  (void)store->mark_document_uploaded(left.upload_name, "doc-1");
}

TEST_P(PostgresStoreTest, AnUploadIsHeldUntilItIsSettled) {
  auto store = m_backend->open();
  const Document first = pending_upload(*store, current_process_holder());
  EXPECT_EQ(m_backend->query("SELECT vami_hold_taken('upload:" + first.upload_name + "')"), "t");
  (void)store->mark_document_uploaded(first.upload_name, "doc-1");
  EXPECT_EQ(m_backend->query("SELECT vami_hold_taken('upload:" + first.upload_name + "')"), "f");
  EXPECT_EQ(store->list_documents("front-desk").at(0).holder, "");
  store->delete_document("front-desk", "doc-1");
  const Document second = pending_upload(*store, current_process_holder());
  store->delete_document_intent(second.upload_name);
  EXPECT_EQ(m_backend->query("SELECT vami_hold_taken('upload:" + second.upload_name + "')"), "f");
}

TEST_P(PostgresStoreTest, HoldsAreTakenAgainWhenTheConnectionComesBack) {
  auto store = m_backend->open();
  store->create_operation(testing::operation("op-000000000001"));
  testing::add_available(*store, "+12125550101", "PN1", "op-000000000001");
  store->begin_routing_change("+12125550101");
  EXPECT_EQ(m_backend->count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = current_setting('application_name') "
                             "AND pid <> pg_backend_pid()"),
            1);
  // The first statement after the cut connects again; the buy and the routing change this
  // process still runs are held again, not read as interrupted and free (they were before).
  EXPECT_EQ(store->find_number("+12125550101")->routing_holder, current_process_holder());
  EXPECT_EQ(m_backend->query("SELECT vami_hold_taken('routing:+12125550101')"), "t");
  EXPECT_EQ(store->find_operation("op-000000000001")->status, OperationStatus::running);
  auto other = m_backend->open("other-host:4242:77");
  expect_error(ErrorKind::conflict, [&] { other->begin_routing_change("+12125550101"); });
  expect_error(ErrorKind::conflict, [&] { other->claim_operation("op-000000000001"); });
}

TEST_P(PostgresStoreTest, AnEndedHoldIsGivenBackToTheServer) {
  auto store = m_backend->open();
  store->create_operation(testing::operation("op-000000000001"));
  testing::add_available(*store, "+12125550101", "PN1", "op-000000000001");
  auto other = m_backend->open("other-host:4242:77");
  other->begin_routing_change("+12125550101");
  other->end_routing_change("+12125550101");
  // Other tests' schemas share the server: ask about this schema's lock only.
  EXPECT_EQ(m_backend->query("SELECT vami_hold_taken('routing:+12125550101')"), "f");
  EXPECT_EQ(m_backend->query("SELECT vami_hold_taken('operation:op-000000000001')"), "t");
  store->begin_routing_change("+12125550101");
}

TEST_P(PostgresStoreTest, AStoreWhoseConnectionWasCutConnectsAgain) {
  auto tenant = [](const std::string& slug) {
    Tenant row;
    row.slug = slug;
    row.name = slug;
    return row;
  };
  auto store = m_backend->open();
  (void)store->create_tenant(tenant("acme"));
  // As a server restart or a failover cuts it (this test's sessions only: its application_name).
  EXPECT_EQ(m_backend->count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = current_setting('application_name') "
                             "AND pid <> pg_backend_pid()"),
            1);
  // A transaction that had not committed runs again on a new connection; so does a read.
  EXPECT_EQ(store->create_tenant(tenant("globex")).slug, "globex");
  EXPECT_EQ(store->list_tenants().size(), 2U);
}

TEST_P(PostgresStoreTest, ACommitWhoseConnectionWasCutIsAskedAboutAndRunAgain) {
  auto store = m_backend->open();
  // A COMMIT that takes a second (a deferred trigger sleeping in it), cut in the middle as a
  // server restart cuts it: the server rolled it back, so the store runs it again on a new
  // connection instead of calling the change uncertain (it did before).
  m_backend->execute("CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
                     "'BEGIN PERFORM pg_sleep(1); RETURN NULL; END'");
  m_backend->execute("CREATE CONSTRAINT TRIGGER slow AFTER INSERT ON tenants DEFERRABLE "
                     "INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()");
  std::int64_t cut_sessions = 0;
  std::thread cut([&] {
    const std::string committing = "FROM pg_stat_activity WHERE application_name = "
                                   "current_setting('application_name') AND pid <> "
                                   "pg_backend_pid() AND state = 'active' AND query LIKE '%COMMIT'";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (m_backend->count("SELECT count(*) " + committing) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    cut_sessions = m_backend->count("SELECT count(pg_terminate_backend(pid)) " + committing);
  });
  Tenant acme;
  acme.slug = "acme";
  acme.name = "Acme";
  EXPECT_NO_THROW((void)store->create_tenant(acme));
  cut.join();
  EXPECT_EQ(cut_sessions, 1) << "the COMMIT was not cut";
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM tenants"), 1);
  EXPECT_EQ(store->list_tenants().size(), 1U);
}

TEST_P(PostgresStoreTest, TheWorkersOfABulkCommandShareAFewConnections) {
  auto store = m_backend->open();
  store->create_operation(testing::operation("op-000000000001"));
  testing::add_available(*store, "+12125550100", "PN0", "op-000000000001");
  store->begin_routing_change("+12125550100"); // a hold of the home connection, kept throughout
  constexpr int k_threads = 16;
  constexpr int k_each = 20;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  std::atomic<std::int64_t> most_sessions{0};
  const std::string sessions = "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                               "current_setting('application_name') AND pid <> pg_backend_pid()";
  for (int t = 0; t < k_threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < k_each; ++i) {
        const std::string e164 = "+1212555" + std::to_string(1000 + t * k_each + i);
        try {
          testing::add_available(*store, e164, "PN" + e164.substr(1), "op-000000000001");
          OperationItem item;
          item.operation_id = "op-000000000001";
          item.e164 = e164;
          item.outcome = ItemOutcome::succeeded;
          store->record_item(item);
          if (store->find_number(e164)->status != NumberStatus::available) {
            ++failures;
          }
        } catch (...) {
          ++failures;
        }
        if (t == 0 && i % 5 == 0) {
          const std::int64_t open = m_backend->count(sessions);
          most_sessions = std::max(most_sessions.load(), open);
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM numbers WHERE status = 'available'"),
            k_threads * k_each + 1);
  EXPECT_EQ(store->list_items("op-000000000001").size(), std::size_t{k_threads * k_each});
  // The home connection and at most three spares, however many workers.
  EXPECT_LE(most_sessions.load(), 4);
  EXPECT_LE(m_backend->count(sessions), 4);
  // The hold stayed with the home connection, and with it the operation's.
  EXPECT_EQ(m_backend->query("SELECT vami_hold_taken('routing:+12125550100')"), "t");
  EXPECT_EQ(store->find_operation("op-000000000001")->status, OperationStatus::running);
}

TEST_P(PostgresStoreTest, ThePasswordNeverShowsInTheLocationOrAnError) {
  const std::string server = testing::postgres_server_uri();
  // The test cluster trusts every local connection, so a password is accepted and unused.
  const std::string with_password =
      "postgresql://postgres:s3cret-canary@" + server.substr(std::string("postgresql://").size());
  auto store = open_postgres_state_store(with_password);
  EXPECT_THAT(store->location(), Not(HasSubstr("s3cret-canary")));
  EXPECT_THAT(store->location(), HasSubstr("postgres:***@"));

  std::string missing = with_password;
  missing.replace(missing.find("/postgres?"), 10, "/no_such_db?");
  Error error = expect_error(ErrorKind::invalid_input, [&] { (void)open_state_store(missing); });
  EXPECT_THAT(error.what(), Not(HasSubstr("s3cret-canary")));
  EXPECT_THAT(error.what(), HasSubstr("does not exist"));

  EXPECT_TRUE(location_has_password(with_password));
  EXPECT_FALSE(location_has_password(server));
  EXPECT_EQ(redact_location("postgres://u:p@h/d?password=q&sslmode=require"),
            "postgres://u:***@h/d?password=***&sslmode=require");
  EXPECT_EQ(redact_location("/var/lib/vami/vami.db"), "/var/lib/vami/vami.db");
}

TEST_P(PostgresStoreTest, AServerThatCannotBeReachedIsUnavailable) {
  Error error = expect_error(ErrorKind::unavailable, [&] {
    (void)open_state_store("postgresql:///postgres?host=/nonexistent-vami-socket&user=x");
  });
  EXPECT_THAT(error.what(), HasSubstr("cannot be reached"));
}

INSTANTIATE_TEST_SUITE_P(Stores, PostgresStoreTest,
                         ::testing::Values(::vami::testing::postgres_backend()),
                         ::vami::testing::backend_name);

} // namespace
} // namespace vami
