// `vami db copy` and `vami db status` (vami/stores/state_copy.hpp) against every store: a state
// made through the StateStore in a SQLite file is copied into the backend under test and back
// into another SQLite file, and every row of every table must come back as it was (holds
// cleared); refusals leave the target as it was; a count that differs rolls the copy back.

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exited_process.hpp"
#include "store_backend.hpp"
#include "store_rows.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <store_tables.hpp>

#include <vami/core/error.hpp>
#include <vami/stores/sqlite_state_store.hpp>
#include <vami/stores/state_copy.hpp>

namespace vami {
namespace {

using testing::expect_error;
using ::testing::HasSubstr;

/// Every row of every table of the SQLite state at `path`, in rowid order, each value typed
/// ("i:7", "t:acme", "null"), read with SQLite itself, not with the copy's code. With
/// `as_copied`, the columns naming a holder are NULL and a running operation is interrupted.
std::vector<std::string> dump(const std::filesystem::path& path, bool as_copied = false) {
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  std::vector<std::string> rows;
  for (const auto& table : store_tables::stored_tables()) {
    SQLite::Statement query(db, "SELECT * FROM " + table.name + " ORDER BY rowid");
    while (query.executeStep()) {
      std::ostringstream row;
      row << table.name;
      for (int i = 0; i < query.getColumnCount(); ++i) {
        const std::string column = query.getColumnName(i);
        const SQLite::Column value = query.getColumn(i);
        std::string text = value.isNull()      ? "null"
                           : value.isInteger() ? "i:" + value.getString()
                                               : "t:" + value.getString();
        if (as_copied &&
            (column == "holder" || column == "routing_holder" || column == "routing_since")) {
          text = "null";
        }
        if (as_copied && table.name == "operations" && column == "status" && text == "t:running") {
          text = "t:interrupted";
        }
        row << " | " << column << "=" << text;
      }
      rows.push_back(row.str());
    }
  }
  return rows;
}

Tenant tenant(const std::string& slug) {
  Tenant row;
  row.slug = slug;
  row.name = slug + " Dental";
  row.industry = "dental";
  row.contact_email = "office@" + slug + ".example.com";
  return row;
}

Agent agent(const std::string& slug, const std::string& tenant_slug, const std::string& id) {
  Agent row;
  row.slug = slug;
  row.tenant_slug = tenant_slug;
  row.name = slug;
  row.provider_agent_id = id;
  row.personality = Personality::friendly;
  row.first_message = "Hello, thanks for calling!";
  row.prompt = "Answer questions about \"opening hours\"; never guess.\nBe brief.";
  return row;
}

/// A state with rows in every table, made as vami's commands make them.
void populate(StateStore& store) {
  (void)store.create_tenant(tenant("acme"));
  (void)store.create_tenant(tenant("globex"));
  TenantChange rates;
  rates.rate_number_micros = std::optional<std::int64_t>{2'500'000};
  rates.rate_minute_micros = std::optional<std::int64_t>{120'000};
  (void)store.update_tenant("acme", rates);
  (void)store.insert_agent(agent("front-desk", "acme", "agent_1"));
  (void)store.insert_agent(agent("reception", "globex", "agent_2"));
  store.create_operation(testing::operation("op-000000000001"));
  for (const char* e164 : {"+12125550101", "+12125550102", "+12125550103"}) {
    testing::add_available(store, e164, std::string("PN") + (e164 + 9), "op-000000000001");
    store.record_item({"op-000000000001", e164, ItemOutcome::succeeded, "", ""});
  }
  store.finish_operation("op-000000000001", OperationStatus::completed);
  // As the services do: the routing is held while the providers are asked, then given back.
  (void)store.assign_number("+12125550101", {"front-desk", RoutingMode::native});
  store.end_routing_change("+12125550101");
  Suspension suspension;
  suspension.message = "We are closed today.";
  (void)store.suspend_number("+12125550102", suspension);
  store.end_routing_change("+12125550102");
  Document document;
  document.agent_slug = "front-desk";
  document.provider_document_id = "doc_1";
  document.name = "faq.txt";
  document.source = "faq.txt";
  document.mime_type = "text/plain";
  document.size_bytes = 42;
  document.sha256 = std::string(64, 'a');
  (void)store.insert_document(document);
  store.append_audit({"", "alice", "numbers assign", "number", "+12125550101", "{}",
                      R"({"agent":"front-desk"})", "acme"});
  CallRecord call;
  call.call_sid = "CA" + std::string(32, '1');
  call.number = "+12125550101";
  call.caller = "+14155550123";
  call.tenant_slug = "acme";
  call.direction = CallDirection::inbound;
  call.status = CallStatus::completed;
  call.started_at = "2026-11-22T03:35:28Z";
  call.duration_seconds = 61;
  call.telephony_cost = Money{17'000, "USD"};
  (void)store.upsert_call(call);
}

/// The backend under test is a copy's target and the source of the copy back; the state starts
/// in a SQLite file beside it.
class StateCopyTest : public testing::StoreBackendTest {
protected:
  void SetUpState() override {
    m_source = m_dir / "source.db";
    m_back = m_dir / "back.db";
    auto store = open_sqlite_state_store(m_source);
    populate(*store);
    // An operation whose process was killed: the copy carries it as interrupted.
    auto killed = open_sqlite_state_store(m_source, testing::holder_of_exited_process());
    killed->create_operation(testing::operation("op-000000000002", OperationKind::release));
  }

  [[nodiscard]] std::string here() const { return m_backend->location(); }

  [[nodiscard]] bool postgres() const { return GetParam().name == "postgres"; }

  std::filesystem::path m_source;
  std::filesystem::path m_back;
};

TEST_P(StateCopyTest, EachSchemaHasExactlyTheTablesAndColumnsOfTheList) {
  (void)m_backend->open();
  auto names = [&](const std::string& sql) {
    std::set<std::string> found;
    std::stringstream list(m_backend->query(sql).value_or(""));
    for (std::string name; std::getline(list, name, ',');) {
      found.insert(name);
    }
    return found;
  };
  std::set<std::string> tables;
  for (const auto& table : store_tables::stored_tables()) {
    tables.insert(table.name);
    std::set<std::string> expected;
    for (const auto& column : table.columns) {
      expected.insert(column.name);
    }
    for (const auto& column : table.postgres_generated) {
      if (postgres()) {
        expected.insert(column);
      }
    }
    EXPECT_EQ(names(postgres() ? "SELECT string_agg(column_name::text, ',') FROM "
                                 "information_schema.columns WHERE table_schema = "
                                 "current_schema() AND table_name = '" +
                                     table.name + "'"
                               : "SELECT group_concat(name, ',') FROM pragma_table_info('" +
                                     table.name + "')"),
              expected)
        << table.name;
  }
  for (const auto& table : store_tables::schema_tables()) {
    if (postgres()) {
      tables.insert(table);
    }
  }
  EXPECT_EQ(names(postgres() ? "SELECT string_agg(tablename::text, ',') FROM pg_tables WHERE "
                               "schemaname = current_schema()"
                             : "SELECT group_concat(name, ',') FROM sqlite_master WHERE type = "
                               "'table'"),
            tables);
}

TEST_P(StateCopyTest, ARoundTripGivesBackEveryRowOfEveryTable) {
  const CopyReport there = copy_state(m_source.string(), here(), ExistingState::refuse);
  const CopyReport back = copy_state(here(), m_back.string(), ExistingState::refuse);
  EXPECT_EQ(dump(m_back), dump(m_source, true));
  EXPECT_EQ(there.to_backend, postgres() ? "postgresql" : "sqlite");
  EXPECT_EQ(there.operations_interrupted, 1);
  EXPECT_EQ(there.holds_cleared, 2); // both operations named their process
  EXPECT_EQ(back.holds_cleared, 0);
  EXPECT_FALSE(there.replaced);
  ASSERT_EQ(there.tables.size(), store_tables::stored_tables().size());
  for (std::size_t i = 0; i < there.tables.size(); ++i) {
    EXPECT_GT(there.tables[i].rows, 0) << there.tables[i].table << ": the state misses a table";
    EXPECT_EQ(there.tables[i].rows, back.tables[i].rows) << there.tables[i].table;
  }
  // The copy is a working state: what the stores read and what they insert next.
  auto store = m_backend->open();
  EXPECT_EQ(store->find_number("+12125550101")->agent_slug, "front-desk");
  EXPECT_EQ(store->find_operation("op-000000000002")->status, OperationStatus::interrupted);
  store->claim_operation("op-000000000002");
  EXPECT_EQ(store->list_operations(0).front().id, "op-000000000002");
  (void)store->create_tenant(tenant("initech")); // a new id, after the copied ones
  (void)store->insert_agent(agent("desk", "initech", "agent_3"));
  EXPECT_EQ(store->list_tenants().size(), 3U);
}

TEST_P(StateCopyTest, ATargetHoldingAStateIsRefusedUnlessForced) {
  (void)m_backend->open()->create_tenant(tenant("other"));
  const Error refused = expect_error(ErrorKind::conflict, [&] {
    (void)copy_state(m_source.string(), here(), ExistingState::refuse);
  });
  EXPECT_THAT(refused.what(), HasSubstr("already holds a state (1 tenants)"));
  EXPECT_THAT(refused.hint(), HasSubstr("--force"));
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM tenants"), 1);
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM numbers"), 0);

  const CopyReport forced = copy_state(m_source.string(), here(), ExistingState::replace);
  EXPECT_TRUE(forced.replaced);
  EXPECT_EQ(forced.tables.front().replaced_rows, 1);
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM tenants WHERE slug = 'other'"), 0);
  (void)copy_state(here(), m_back.string(), ExistingState::refuse);
  EXPECT_EQ(dump(m_back), dump(m_source, true));
}

TEST_P(StateCopyTest, ACountThatDiffersRollsTheWholeCopyBack) {
  (void)m_backend->open();
  // A trigger that drops every audit row inserted: the count check must notice.
  if (postgres()) {
    m_backend->execute("CREATE FUNCTION drop_audit() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$BEGIN DELETE FROM audit_entries WHERE id = NEW.id; RETURN NULL; END$$");
    m_backend->execute("CREATE TRIGGER drop_audit AFTER INSERT ON audit_entries FOR EACH ROW "
                       "EXECUTE FUNCTION drop_audit()");
  } else {
    m_backend->execute("CREATE TRIGGER drop_audit AFTER INSERT ON audit_entries BEGIN "
                       "DELETE FROM audit_entries WHERE id = NEW.id; END");
  }
  const Error error = expect_error(ErrorKind::storage, [&] {
    (void)copy_state(m_source.string(), here(), ExistingState::refuse);
  });
  EXPECT_THAT(error.what(), HasSubstr("the copy was not made: table audit_entries holds 0 rows"));
  for (const auto& table : store_tables::stored_tables()) {
    EXPECT_EQ(m_backend->count("SELECT count(*) FROM " + table.name), 0) << table.name;
  }
}

TEST_P(StateCopyTest, ALiveHoldInTheSourceRefusesTheCopy) {
  (void)copy_state(m_source.string(), here(), ExistingState::refuse);
  auto holding = m_backend->open();
  holding->begin_routing_change("+12125550103");
  const Error refused = expect_error(ErrorKind::conflict, [&] {
    (void)copy_state(here(), m_back.string(), ExistingState::refuse);
  });
  EXPECT_THAT(refused.what(), HasSubstr("is in use: the routing of +12125550103"));
  holding->end_routing_change("+12125550103");
  (void)copy_state(here(), m_back.string(), ExistingState::refuse);
  EXPECT_EQ(dump(m_back), dump(m_source, true));
}

TEST_P(StateCopyTest, AnUploadRefusesTheCopyOnlyWhileItsProcessIsConnected) {
  if (!GetParam().holds_end_with_connection) {
    GTEST_SKIP() << "a holder on another host holds a SQLite upload for ten minutes";
  }
  (void)copy_state(m_source.string(), here(), ExistingState::refuse);
  auto elsewhere = m_backend->open("elsewhere:42:1"); // a kb add on another host
  Document upload;
  upload.agent_slug = "front-desk";
  upload.name = "hours.txt";
  upload.status = DocumentStatus::uploading;
  upload.upload_name = "vami:front-desk:bb22 hours.txt";
  upload.holder = "elsewhere:42:1";
  upload.source_kind = DocumentSourceKind::text;
  upload.sha256 = std::string(64, 'b');
  (void)elsewhere->insert_document(upload);
  const Error refused = expect_error(ErrorKind::conflict, [&] {
    (void)copy_state(here(), m_back.string(), ExistingState::refuse);
  });
  EXPECT_THAT(refused.what(), HasSubstr("the upload of vami:front-desk:bb22 hours.txt"));
  // Its process is gone (its connection closed): nothing holds the upload any more, at once
  // (the holder's liveness kept it for ten minutes before).
  elsewhere.reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (m_backend->query("SELECT vami_hold_taken('upload:" + upload.upload_name + "')") ==
             std::optional<std::string>("t") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NO_THROW((void)copy_state(here(), m_back.string(), ExistingState::refuse));
}

TEST_P(StateCopyTest, ASourceAtAnotherSchemaVersionIsRefused) {
  (void)copy_state(m_source.string(), here(), ExistingState::refuse);
  // One version behind the current one: the newest migration not applied.
  const int current = current_schema_version();
  const std::string older = std::to_string(current - 1);
  m_backend->execute(postgres()
                         ? "DELETE FROM vami_migrations WHERE version = " + std::to_string(current)
                         : "PRAGMA user_version = " + older);
  const Error refused = expect_error(ErrorKind::invalid_input, [&] {
    (void)copy_state(here(), m_back.string(), ExistingState::refuse);
  });
  EXPECT_THAT(refused.what(), HasSubstr("is at schema version " + older +
                                        "; this vami copies version " + std::to_string(current)));
  EXPECT_THAT(refused.hint(), HasSubstr(" init'"));
}

TEST_P(StateCopyTest, OneDatabaseIsNeitherCopiedOntoItself) {
  (void)m_backend->open();
  expect_error(ErrorKind::invalid_input,
               [&] { (void)copy_state(here(), here(), ExistingState::replace); });
}

TEST_P(StateCopyTest, StatusShowsSchemaRowsAndConnection) {
  (void)copy_state(m_source.string(), here(), ExistingState::refuse);
  const DatabaseStatus status = database_status(here());
  EXPECT_EQ(status.backend, postgres() ? "postgresql" : "sqlite");
  EXPECT_EQ(status.schema_version, status.current_schema_version);
  ASSERT_EQ(status.tables.size(), store_tables::stored_tables().size());
  EXPECT_EQ(status.tables[5].first, "numbers");
  EXPECT_EQ(status.tables[5].second, 3);
  std::set<std::string> facts;
  for (const auto& [name, fact] : status.connection) {
    facts.insert(name);
  }
  const std::set<std::string> expected =
      postgres()
          ? std::set<std::string>{"host",    "port", "database", "user",       "server_version",
                                  "sslmode", "ssl",  "schema",   "search_path"}
          : std::set<std::string>{"path", "file_size_bytes", "journal_mode"};
  EXPECT_EQ(facts, expected);
}

TEST(StateCopy, ThereIsNoSourceFile) {
  const Error error = expect_error(ErrorKind::not_found, [&] {
    (void)copy_state("/nonexistent/vami.db", "/nonexistent/other.db", ExistingState::refuse);
  });
  EXPECT_THAT(error.what(), HasSubstr("there is no state database at /nonexistent/vami.db"));
}

VAMI_STORE_BACKENDS(StateCopyTest);

} // namespace
} // namespace vami
