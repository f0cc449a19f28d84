// The state store's tenants, agents, documents and assignments, against every store
// implementation (store_backend.hpp).

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "exited_process.hpp"
#include "store_backend.hpp"
#include "store_rows.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/process_holder.hpp>
#include <vami/core/state_store.hpp>

namespace vami {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using testing::expect_error;

std::vector<std::string> e164s(const std::vector<PoolNumber>& numbers) {
  std::vector<std::string> result;
  for (const auto& number : numbers) {
    result.push_back(number.e164);
  }
  return result;
}

Tenant tenant(const std::string& slug, const std::string& name) {
  Tenant result;
  result.slug = slug;
  result.name = name;
  result.industry = "dental";
  result.contact_name = "Ann Smith";
  result.contact_email = "ann@" + slug + ".example.com";
  return result;
}

Agent agent(const std::string& slug, const std::string& tenant_slug,
            AgentStatus status = AgentStatus::active) {
  Agent result;
  result.slug = slug;
  result.tenant_slug = tenant_slug;
  result.name = "Agent " + slug;
  result.provider_agent_id = status == AgentStatus::creating ? "" : "agent_" + slug;
  result.status = status;
  return result;
}

Document document(const std::string& agent_slug, const std::string& id, const std::string& name,
                  const std::string& sha256) {
  Document result;
  result.agent_slug = agent_slug;
  result.provider_document_id = id;
  result.name = name;
  result.source_kind = DocumentSourceKind::file;
  result.source = name;
  result.mime_type = "application/pdf";
  result.size_bytes = 1234;
  result.sha256 = sha256;
  return result;
}

AssignmentTarget to(const std::string& agent_slug, RoutingMode mode = RoutingMode::native) {
  return {agent_slug, mode};
}

class AssignmentStoreTest : public testing::StoreBackendTest {
protected:
  void SetUpState() override {
    m_store = m_backend->open();
    Operation buy;
    buy.id = "op-000000000001";
    buy.requested_count = 1;
    buy.actor = "alice";
    m_store->create_operation(buy);
  }

  void TearDown() override {
    m_store.reset();
    testing::StoreBackendTest::TearDown();
  }

  /// Puts an `available` number in the pool, as a purchase does.
  void add_available(const std::string& e164, const std::string& region = "NY",
                     const std::string& locality = "New York") {
    PurchaseIntent intent;
    intent.e164 = e164;
    intent.operation_id = "op-000000000001";
    intent.country = "US";
    intent.region = region;
    intent.locality = locality;
    m_store->insert_purchase_intent(intent);
    OwnedNumber owned;
    owned.e164 = e164;
    owned.provider_sid = "PN" + e164.substr(1);
    (void)m_store->complete_purchase(e164, owned, Money{1'150'000, "USD"});
  }

  /// Tenants acme (agents dr-smith, front-desk) and globex (agent reception).
  void add_tenants_and_agents() {
    (void)m_store->create_tenant(tenant("acme", "Acme Dental"));
    (void)m_store->create_tenant(tenant("globex", "Globex Clinic"));
    (void)m_store->insert_agent(agent("dr-smith", "acme"));
    (void)m_store->insert_agent(agent("front-desk", "acme"));
    (void)m_store->insert_agent(agent("reception", "globex"));
  }

  std::unique_ptr<StateStore> m_store;
};

// --- tenants -------------------------------------------------------------------------------

TEST_P(AssignmentStoreTest, TenantsRoundTripAndListBySlug) {
  auto created = m_store->create_tenant(tenant("globex", "Globex Clinic"));
  EXPECT_EQ(created.slug, "globex");
  EXPECT_EQ(created.name, "Globex Clinic");
  EXPECT_EQ(created.industry, "dental");
  EXPECT_EQ(created.contact_name, "Ann Smith");
  EXPECT_EQ(created.contact_email, "ann@globex.example.com");
  EXPECT_THAT(created.created_at, ::testing::EndsWith("Z"));
  EXPECT_EQ(created.updated_at, created.created_at);

  auto given = tenant("acme", "Acme Dental");
  given.industry.clear();
  given.created_at = "2026-01-02T03:04:05Z";
  given.updated_at = "2026-01-02T03:04:05Z";
  (void)m_store->create_tenant(given);

  auto found = m_store->find_tenant("acme");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "Acme Dental");
  EXPECT_EQ(found->industry, "");
  EXPECT_EQ(found->created_at, "2026-01-02T03:04:05Z");
  EXPECT_FALSE(m_store->find_tenant("initech"));

  auto tenants = m_store->list_tenants();
  ASSERT_EQ(tenants.size(), 2U);
  EXPECT_EQ(tenants[0].slug, "acme");
  EXPECT_EQ(tenants[1].slug, "globex");
}

TEST_P(AssignmentStoreTest, DuplicateTenantConflictsNamingTheExistingOne) {
  (void)m_store->create_tenant(tenant("acme", "Acme Dental"));
  auto error = expect_error(ErrorKind::conflict,
                            [&] { (void)m_store->create_tenant(tenant("acme", "Other")); });
  EXPECT_THAT(error.what(), HasSubstr("tenant \"acme\" already exists"));
  EXPECT_THAT(error.what(), HasSubstr("Acme Dental"));
  EXPECT_EQ(m_store->find_tenant("acme")->name, "Acme Dental");
  EXPECT_EQ(m_store->list_tenants().size(), 1U);
}

TEST_P(AssignmentStoreTest, UpdateTenantChangesOnlyTheSetFields) {
  auto given = tenant("acme", "Acme Dental");
  given.created_at = "2026-01-02T03:04:05Z";
  given.updated_at = "2026-01-02T03:04:05Z";
  (void)m_store->create_tenant(given);

  TenantChange change;
  change.name = "Acme Dental Group";
  change.industry = ""; // cleared
  auto after = m_store->update_tenant("acme", change);
  EXPECT_EQ(after.name, "Acme Dental Group");
  EXPECT_EQ(after.industry, "");
  EXPECT_EQ(after.contact_name, "Ann Smith");
  EXPECT_EQ(after.contact_email, "ann@acme.example.com");
  EXPECT_EQ(after.created_at, "2026-01-02T03:04:05Z");
  EXPECT_NE(after.updated_at, "2026-01-02T03:04:05Z");
  EXPECT_EQ(m_store->find_tenant("acme")->name, "Acme Dental Group");

  TenantChange contact;
  contact.contact_email = "desk@acme.example.com";
  after = m_store->update_tenant("acme", contact);
  EXPECT_EQ(after.name, "Acme Dental Group");
  EXPECT_EQ(after.contact_email, "desk@acme.example.com");

  auto unchanged = m_store->update_tenant("acme", {});
  EXPECT_EQ(unchanged.contact_email, "desk@acme.example.com");

  auto error =
      expect_error(ErrorKind::not_found, [&] { (void)m_store->update_tenant("initech", change); });
  EXPECT_THAT(error.what(), HasSubstr("\"initech\""));
}

TEST_P(AssignmentStoreTest, TenantRatesAreStoredChangedAndRemoved) {
  auto given = tenant("acme", "Acme Dental");
  given.rates.number_micros = 3'000'000;
  given.rates.currency = "EUR";
  auto created = m_store->create_tenant(given);
  EXPECT_EQ(created.rates.number_micros, 3'000'000);
  EXPECT_FALSE(created.rates.minute_micros);
  EXPECT_EQ(created.rates.currency, "EUR");
  auto plain = m_store->create_tenant(tenant("globex", "Globex"));
  EXPECT_FALSE(plain.rates.any());
  EXPECT_EQ(plain.rates.currency, "USD");

  TenantChange rates;
  rates.rate_minute_micros = std::optional<std::int64_t>(125'000); // 0.125
  auto after = m_store->update_tenant("acme", rates);
  EXPECT_EQ(after.rates.number_micros, 3'000'000); // unset in the change: kept
  EXPECT_EQ(after.rates.minute_micros, 125'000);
  EXPECT_EQ(after.rates.currency, "EUR");
  EXPECT_EQ(after.name, "Acme Dental");

  TenantChange removal;
  removal.rate_number_micros = std::optional<std::int64_t>(); // removes the stored rate
  removal.rate_currency = "USD";
  after = m_store->update_tenant("acme", removal);
  EXPECT_FALSE(after.rates.number_micros);
  EXPECT_EQ(after.rates.minute_micros, 125'000);
  EXPECT_EQ(after.rates.currency, "USD");
  auto listed = m_store->list_tenants();
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].rates.minute_micros, 125'000);
  EXPECT_FALSE(listed[1].rates.any());
}

TEST_P(AssignmentStoreTest, DeleteTenantRefusesWhileItHasAgentsOrNumbers) {
  add_tenants_and_agents();
  add_available("+12125550101");
  (void)m_store->assign_number("+12125550101", to("dr-smith"));

  auto error = expect_error(ErrorKind::conflict, [&] { m_store->delete_tenant("acme"); });
  EXPECT_THAT(error.what(), HasSubstr("tenant \"acme\" still has 2 agents and 1 assigned number"));

  (void)m_store->unassign_number("+12125550101", "dr-smith");
  m_store->delete_agent("dr-smith");
  error = expect_error(ErrorKind::conflict, [&] { m_store->delete_tenant("acme"); });
  EXPECT_THAT(error.what(), HasSubstr("1 agent and 0 assigned numbers"));

  m_store->delete_agent("front-desk");
  m_store->delete_tenant("acme");
  EXPECT_FALSE(m_store->find_tenant("acme"));
  EXPECT_TRUE(m_store->find_tenant("globex"));
  expect_error(ErrorKind::not_found, [&] { m_store->delete_tenant("acme"); });
}

TEST_P(AssignmentStoreTest, TheAccountProfileIsStoredChangedAndCleared) {
  auto own = tenant("acme", "Acme Dental");
  own.account_profile = "acme-own";
  EXPECT_EQ(m_store->create_tenant(own).account_profile, "acme-own");
  EXPECT_EQ(m_store->create_tenant(tenant("globex", "Globex Clinic")).account_profile, "");

  TenantChange other;
  other.account_profile = "acme-eu";
  EXPECT_EQ(m_store->update_tenant("acme", other).account_profile, "acme-eu");
  TenantChange name_only;
  name_only.name = "Acme Dental Group";
  EXPECT_EQ(m_store->update_tenant("acme", name_only).account_profile, "acme-eu"); // kept
  TenantChange back;
  back.account_profile = "";
  EXPECT_EQ(m_store->update_tenant("acme", back).account_profile, ""); // the platform's
  EXPECT_EQ(m_store->list_tenants()[0].account_profile, "");
  // The schema refuses what is no profile name, on both backends.
  TenantChange bad;
  bad.account_profile = "Not A Name";
  (void)expect_error(ErrorKind::storage, [&] { (void)m_store->update_tenant("acme", bad); });
}

TEST_P(AssignmentStoreTest, TheAccountProfileCannotChangeWhileAgentsLiveInTheOldAccount) {
  (void)m_store->create_tenant(tenant("acme", "Acme Dental"));
  auto stream = agent("orchestrated", "acme");
  stream.provider = "stream";
  stream.provider_agent_id = "stream_0123456789abcdef01234567";
  stream.stream_url = "wss://voice.example.com/media";
  (void)m_store->insert_agent(stream);
  // A stream agent lives at no provider account: the tenant may still move.
  TenantChange own;
  own.account_profile = "acme-own";
  EXPECT_EQ(m_store->update_tenant("acme", own).account_profile, "acme-own");
  (void)m_store->insert_agent(agent("front-desk", "acme"));

  TenantChange back;
  back.account_profile = "";
  auto error =
      expect_error(ErrorKind::conflict, [&] { (void)m_store->update_tenant("acme", back); });
  EXPECT_THAT(error.what(), HasSubstr("tenant \"acme\" has 1 agent in the accounts of profile "
                                      "'acme-own', which cannot move to the platform's accounts"));
  EXPECT_THAT(error.hint(), HasSubstr("delete its agents first"));
  EXPECT_EQ(m_store->find_tenant("acme")->account_profile, "acme-own"); // unchanged
  // The same profile again changes nothing, and other fields still change.
  TenantChange same;
  same.account_profile = "acme-own";
  same.industry = "dental";
  EXPECT_EQ(m_store->update_tenant("acme", same).industry, "dental");
}

// --- agents --------------------------------------------------------------------------------

TEST_P(AssignmentStoreTest, StreamAgentsKeepTheirUrlAndParametersInOrder) {
  (void)m_store->create_tenant(tenant("acme", "Acme Dental"));
  auto stream = agent("desk", "acme");
  stream.provider = "stream";
  stream.provider_agent_id = "stream_0123456789abcdef01234567";
  stream.stream_url = "wss://voice.example.com/media?region=eu";
  stream.stream_parameters = {{"zeta", "last letter"}, {"alpha", "a \"quoted\" <value> & more"}};
  const Agent stored = m_store->insert_agent(stream);
  EXPECT_EQ(stored.provider, "stream");
  EXPECT_EQ(stored.stream_url, stream.stream_url);
  EXPECT_EQ(stored.stream_parameters, stream.stream_parameters); // in the order given

  Agent changed = stored;
  changed.stream_url = "ws://127.0.0.1:9000/media";
  changed.stream_parameters = {{"only", ""}};
  const Agent updated = m_store->update_agent(changed);
  EXPECT_EQ(updated.stream_url, "ws://127.0.0.1:9000/media");
  EXPECT_EQ(m_store->find_agent("desk")->stream_parameters, changed.stream_parameters);

  // Other agents have neither.
  const Agent plain = m_store->insert_agent(agent("plain", "acme"));
  EXPECT_TRUE(plain.stream_url.empty());
  EXPECT_TRUE(plain.stream_parameters.empty());
  // The schema refuses a stream URL that is no WebSocket URL, on both backends.
  changed.stream_url = "https://voice.example.com/media";
  (void)expect_error(ErrorKind::storage, [&] { (void)m_store->update_agent(changed); });
}

TEST_P(AssignmentStoreTest, AgentsRoundTripAndAreFoundBySlugOrProviderId) {
  (void)m_store->create_tenant(tenant("acme", "Acme Dental"));
  (void)m_store->create_tenant(tenant("globex", "Globex Clinic"));
  auto full = agent("front-desk", "acme");
  full.voice_id = "21m00Tcm4TlvDq8ikWAM";
  full.language = "en";
  full.personality = Personality::professional;
  full.first_message = "Hello, Acme Dental.";
  full.prompt = "You book appointments.";
  auto stored = m_store->insert_agent(full);
  EXPECT_EQ(stored.slug, "front-desk");
  EXPECT_EQ(stored.tenant_slug, "acme");
  EXPECT_EQ(stored.name, "Agent front-desk");
  EXPECT_EQ(stored.provider, "elevenlabs");
  EXPECT_EQ(stored.provider_agent_id, "agent_front-desk");
  EXPECT_EQ(stored.voice_id, "21m00Tcm4TlvDq8ikWAM");
  EXPECT_EQ(stored.language, "en");
  EXPECT_EQ(stored.personality, Personality::professional);
  EXPECT_EQ(stored.first_message, "Hello, Acme Dental.");
  EXPECT_EQ(stored.prompt, "You book appointments.");
  EXPECT_EQ(stored.status, AgentStatus::active);
  EXPECT_THAT(stored.created_at, ::testing::EndsWith("Z"));

  (void)m_store->insert_agent(agent("dr-smith", "acme"));
  (void)m_store->insert_agent(agent("reception", "globex", AgentStatus::creating));
  // Two agents still being created have no provider id yet; that is no conflict.
  (void)m_store->insert_agent(agent("night-line", "globex", AgentStatus::creating));

  auto by_slug = m_store->find_agent("front-desk");
  ASSERT_TRUE(by_slug);
  EXPECT_EQ(by_slug->personality, Personality::professional);
  auto by_id = m_store->find_agent("agent_dr-smith");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->slug, "dr-smith");
  EXPECT_FALSE(by_id->personality);
  EXPECT_EQ(m_store->find_agent("reception")->status, AgentStatus::creating);
  EXPECT_EQ(m_store->find_agent("reception")->provider_agent_id, "");
  EXPECT_FALSE(m_store->find_agent("nobody"));
  EXPECT_FALSE(m_store->find_agent(""));

  auto slugs = [](const std::vector<Agent>& agents) {
    std::vector<std::string> result;
    for (const auto& one : agents) {
      result.push_back(one.slug);
    }
    return result;
  };
  EXPECT_THAT(slugs(m_store->list_agents("acme")), ElementsAre("dr-smith", "front-desk"));
  EXPECT_THAT(slugs(m_store->list_agents("globex")), ElementsAre("night-line", "reception"));
  EXPECT_THAT(slugs(m_store->list_agents("")),
              ElementsAre("dr-smith", "front-desk", "night-line", "reception"));
  EXPECT_TRUE(m_store->list_agents("initech").empty());
}

TEST_P(AssignmentStoreTest, InsertAgentChecksTenantSlugAndProviderId) {
  add_tenants_and_agents();
  auto error = expect_error(ErrorKind::not_found,
                            [&] { (void)m_store->insert_agent(agent("helper", "initech")); });
  EXPECT_THAT(error.what(), HasSubstr("tenant \"initech\" does not exist"));

  error = expect_error(ErrorKind::conflict,
                       [&] { (void)m_store->insert_agent(agent("dr-smith", "globex")); });
  EXPECT_THAT(error.what(), HasSubstr("agent \"dr-smith\" already exists (tenant acme)"));

  auto same_id = agent("helper", "globex");
  same_id.provider_agent_id = "agent_reception";
  error = expect_error(ErrorKind::conflict, [&] { (void)m_store->insert_agent(same_id); });
  EXPECT_THAT(error.what(), HasSubstr("agent_reception"));
  EXPECT_THAT(error.what(), HasSubstr("agent \"reception\""));
  EXPECT_FALSE(m_store->find_agent("helper"));
}

TEST_P(AssignmentStoreTest, UpdateAgentReplacesItsConfiguration) {
  add_tenants_and_agents();
  (void)m_store->insert_agent(agent("helper", "acme", AgentStatus::creating));

  auto changed = agent("helper", "acme");
  changed.provider_agent_id = "agent_new";
  changed.name = "Helper";
  changed.voice_id = "voice-2";
  changed.language = "es";
  changed.personality = Personality::casual;
  changed.first_message = "Hola";
  changed.prompt = "Help.";
  changed.tenant_slug = "globex"; // not part of the configuration: the tenant stays
  auto after = m_store->update_agent(changed);
  EXPECT_EQ(after.status, AgentStatus::active);
  EXPECT_EQ(after.provider_agent_id, "agent_new");
  EXPECT_EQ(after.name, "Helper");
  EXPECT_EQ(after.voice_id, "voice-2");
  EXPECT_EQ(after.language, "es");
  EXPECT_EQ(after.personality, Personality::casual);
  EXPECT_EQ(after.first_message, "Hola");
  EXPECT_EQ(after.prompt, "Help.");
  EXPECT_EQ(after.tenant_slug, "acme");
  EXPECT_EQ(m_store->find_agent("agent_new")->slug, "helper");

  // Keeping its own provider id is no conflict; taking another agent's is.
  (void)m_store->update_agent(changed);
  changed.provider_agent_id = "agent_dr-smith";
  auto error = expect_error(ErrorKind::conflict, [&] { (void)m_store->update_agent(changed); });
  EXPECT_THAT(error.what(), HasSubstr("agent \"dr-smith\""));
  EXPECT_EQ(m_store->find_agent("helper")->provider_agent_id, "agent_new");

  error = expect_error(ErrorKind::not_found,
                       [&] { (void)m_store->update_agent(agent("nobody", "acme")); });
  EXPECT_THAT(error.what(), HasSubstr("agent \"nobody\" does not exist"));
}

TEST_P(AssignmentStoreTest, DeleteAgentRefusesWhileNumbersAreAssignedAndDropsItsDocuments) {
  add_tenants_and_agents();
  add_available("+12125550101");
  add_available("+12125550102");
  (void)m_store->assign_number("+12125550102", to("dr-smith"));
  (void)m_store->assign_number("+12125550101", to("dr-smith"));
  (void)m_store->insert_document(document("dr-smith", "doc-1", "faq.pdf", "aa11"));
  (void)m_store->insert_document(document("front-desk", "doc-2", "faq.pdf", "aa11"));

  auto error = expect_error(ErrorKind::conflict, [&] { m_store->delete_agent("dr-smith"); });
  EXPECT_THAT(error.what(), HasSubstr("agent \"dr-smith\" still has 2 assigned numbers "
                                      "(+12125550101, +12125550102)"));
  EXPECT_TRUE(m_store->find_agent("dr-smith"));

  (void)m_store->unassign_number("+12125550101", "dr-smith");
  (void)m_store->reassign_number("+12125550102", "dr-smith", to("front-desk"));
  m_store->delete_agent("dr-smith");
  EXPECT_FALSE(m_store->find_agent("dr-smith"));
  EXPECT_TRUE(m_store->list_documents("dr-smith").empty());
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM documents"), 1);
  EXPECT_EQ(m_store->list_documents("front-desk").size(), 1U);
  expect_error(ErrorKind::not_found, [&] { m_store->delete_agent("dr-smith"); });
}

// --- documents -----------------------------------------------------------------------------

TEST_P(AssignmentStoreTest, AnUploadIsRecordedAsAnIntentThenWithItsProviderId) {
  add_tenants_and_agents();
  Document intent = document("dr-smith", "", "faq.pdf", "aa11");
  intent.status = DocumentStatus::uploading;
  intent.upload_name = "vami:dr-smith:aa11 faq.pdf";
  intent.holder = "host:1:2";
  (void)m_store->insert_document(intent);
  auto rows = m_store->list_documents("dr-smith");
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].status, DocumentStatus::uploading);
  EXPECT_EQ(rows[0].provider_document_id, "");
  EXPECT_EQ(rows[0].upload_name, intent.upload_name);
  EXPECT_EQ(rows[0].holder, "host:1:2");
  // The same content again is the same intent, not a second one.
  expect_error(ErrorKind::conflict, [&] { (void)m_store->insert_document(intent); });

  Document uploaded = m_store->mark_document_uploaded(intent.upload_name, "doc-1");
  EXPECT_EQ(uploaded.status, DocumentStatus::active);
  EXPECT_EQ(uploaded.provider_document_id, "doc-1");
  EXPECT_EQ(uploaded.holder, "");
  EXPECT_EQ(m_store->find_document_by_sha256("dr-smith", "aa11")->provider_document_id, "doc-1");
  // Once recorded, the intent is settled: neither recorded nor forgotten again.
  expect_error(ErrorKind::not_found,
               [&] { (void)m_store->mark_document_uploaded(intent.upload_name, "doc-2"); });
  expect_error(ErrorKind::not_found, [&] { m_store->delete_document_intent(intent.upload_name); });

  Document other = document("dr-smith", "", "hours.txt", "bb22");
  other.status = DocumentStatus::uploading;
  other.upload_name = "vami:dr-smith:bb22 hours.txt";
  (void)m_store->insert_document(other);
  m_store->delete_document_intent(other.upload_name);
  EXPECT_EQ(m_store->list_documents("dr-smith").size(), 1U);
}

TEST_P(AssignmentStoreTest, DocumentsListInInsertionOrderAndAreFoundBySha256) {
  add_tenants_and_agents();
  auto pdf = document("dr-smith", "doc-z", "z-prices.pdf", "ff00");
  auto stored = m_store->insert_document(pdf);
  EXPECT_EQ(stored.provider_document_id, "doc-z");
  EXPECT_THAT(stored.created_at, ::testing::EndsWith("Z"));

  Document url;
  url.agent_slug = "dr-smith";
  url.provider_document_id = "doc-a";
  url.name = "a-website";
  url.source_kind = DocumentSourceKind::url;
  url.source = "https://acme.example.com/faq";
  url.created_at = "2026-01-02T03:04:05Z";
  (void)m_store->insert_document(url);
  auto second_url = url;
  second_url.provider_document_id = "doc-b";
  second_url.source = "https://acme.example.com/hours";
  (void)m_store->insert_document(second_url); // no SHA-256: no duplicate to detect

  auto documents = m_store->list_documents("dr-smith");
  ASSERT_EQ(documents.size(), 3U);
  EXPECT_EQ(documents[0].name, "z-prices.pdf");
  EXPECT_EQ(documents[0].agent_slug, "dr-smith");
  EXPECT_EQ(documents[0].source_kind, DocumentSourceKind::file);
  EXPECT_EQ(documents[0].mime_type, "application/pdf");
  EXPECT_EQ(documents[0].size_bytes, 1234);
  EXPECT_EQ(documents[0].sha256, "ff00");
  EXPECT_EQ(documents[0].created_at, stored.created_at);
  EXPECT_EQ(documents[1].name, "a-website");
  EXPECT_EQ(documents[1].source_kind, DocumentSourceKind::url);
  EXPECT_EQ(documents[1].source, "https://acme.example.com/faq");
  EXPECT_EQ(documents[1].sha256, "");
  EXPECT_EQ(documents[1].created_at, "2026-01-02T03:04:05Z");
  EXPECT_EQ(documents[2].provider_document_id, "doc-b");
  EXPECT_TRUE(m_store->list_documents("front-desk").empty());

  auto found = m_store->find_document_by_sha256("dr-smith", "ff00");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->provider_document_id, "doc-z");
  EXPECT_FALSE(m_store->find_document_by_sha256("front-desk", "ff00"));
  EXPECT_FALSE(m_store->find_document_by_sha256("dr-smith", "0000"));
}

TEST_P(AssignmentStoreTest, InsertDocumentConflictsOnContentOrProviderIdAndNeedsTheAgent) {
  add_tenants_and_agents();
  (void)m_store->insert_document(document("dr-smith", "doc-1", "faq.pdf", "aa11"));

  auto error = expect_error(ErrorKind::conflict, [&] {
    (void)m_store->insert_document(document("dr-smith", "doc-2", "faq-copy.pdf", "aa11"));
  });
  EXPECT_THAT(error.what(), HasSubstr("\"faq.pdf\""));
  EXPECT_THAT(error.what(), HasSubstr("doc-1"));

  // The same content for another agent is another document.
  (void)m_store->insert_document(document("front-desk", "doc-2", "faq.pdf", "aa11"));

  error = expect_error(ErrorKind::conflict, [&] {
    (void)m_store->insert_document(document("reception", "doc-2", "other.pdf", "bb22"));
  });
  EXPECT_THAT(error.what(), HasSubstr("doc-2"));
  EXPECT_THAT(error.what(), HasSubstr("agent \"front-desk\""));

  error = expect_error(ErrorKind::not_found, [&] {
    (void)m_store->insert_document(document("nobody", "doc-3", "x.pdf", "cc33"));
  });
  EXPECT_THAT(error.what(), HasSubstr("agent \"nobody\" does not exist"));
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM documents"), 2);
}

TEST_P(AssignmentStoreTest, DeleteDocumentByProviderIdOfThatAgentOnly) {
  add_tenants_and_agents();
  (void)m_store->insert_document(document("dr-smith", "doc-1", "faq.pdf", "aa11"));
  (void)m_store->insert_document(document("dr-smith", "doc-2", "hours.pdf", "bb22"));

  auto error =
      expect_error(ErrorKind::not_found, [&] { m_store->delete_document("front-desk", "doc-1"); });
  EXPECT_THAT(error.what(), HasSubstr("doc-1"));
  m_store->delete_document("dr-smith", "doc-1");
  auto left = m_store->list_documents("dr-smith");
  ASSERT_EQ(left.size(), 1U);
  EXPECT_EQ(left[0].provider_document_id, "doc-2");
  expect_error(ErrorKind::not_found, [&] { m_store->delete_document("dr-smith", "doc-1"); });
  // Its content may now be uploaded again.
  (void)m_store->insert_document(document("dr-smith", "doc-3", "faq.pdf", "aa11"));
}

// --- assignment ----------------------------------------------------------------------------

TEST_P(AssignmentStoreTest, AssignGivesTheNumberToTheAgentAndItsTenant) {
  add_tenants_and_agents();
  add_available("+12125550101");
  auto after = m_store->assign_number("+12125550101", to("reception", RoutingMode::webhook));
  EXPECT_EQ(after.status, NumberStatus::assigned);
  EXPECT_EQ(after.agent_slug, "reception");
  EXPECT_EQ(after.tenant_slug, "globex");
  EXPECT_EQ(after.routing_mode, RoutingMode::webhook);
  EXPECT_EQ(after.provider_sid, "PN12125550101");

  auto found = m_store->find_number("+12125550101");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->agent_slug, "reception");
  EXPECT_EQ(found->tenant_slug, "globex");
  EXPECT_EQ(found->routing_mode, RoutingMode::webhook);

  NumberFilter by_agent;
  by_agent.agent_slug = "reception";
  EXPECT_THAT(e164s(m_store->list_numbers(by_agent)), ElementsAre("+12125550101"));
  by_agent.agent_slug = "dr-smith";
  EXPECT_TRUE(m_store->list_numbers(by_agent).empty());
}

TEST_P(AssignmentStoreTest, AssignConflictsNameTheHolderOrTheStatus) {
  add_tenants_and_agents();
  add_available("+12125550101");
  add_available("+12125550102");
  add_available("+12125550103");
  add_available("+12125550104");
  (void)m_store->assign_number("+12125550101", to("dr-smith"));

  auto error = expect_error(ErrorKind::conflict,
                            [&] { (void)m_store->assign_number("+12125550101", to("reception")); });
  EXPECT_STREQ(error.what(), "+12125550101 is assigned to agent \"dr-smith\" (tenant acme)");
  EXPECT_THAT(error.hint(), HasSubstr("vami numbers reassign"));
  // Assigning it again to its own agent is no exception.
  expect_error(ErrorKind::conflict,
               [&] { (void)m_store->assign_number("+12125550101", to("dr-smith")); });
  EXPECT_EQ(m_store->find_number("+12125550101")->agent_slug, "dr-smith");

  (void)m_store->begin_release("+12125550102");
  error = expect_error(ErrorKind::conflict,
                       [&] { (void)m_store->assign_number("+12125550102", to("dr-smith")); });
  EXPECT_THAT(error.what(), HasSubstr("status releasing"));

  m_backend->execute("UPDATE numbers SET status = 'suspended' WHERE e164 = '+12125550103'");
  error = expect_error(ErrorKind::conflict,
                       [&] { (void)m_store->assign_number("+12125550103", to("dr-smith")); });
  EXPECT_THAT(error.what(), HasSubstr("status suspended"));

  PurchaseIntent buying;
  buying.e164 = "+12125550105";
  buying.operation_id = "op-000000000001";
  buying.country = "US";
  m_store->insert_purchase_intent(buying);
  error = expect_error(ErrorKind::conflict,
                       [&] { (void)m_store->assign_number("+12125550105", to("dr-smith")); });
  EXPECT_THAT(error.what(), HasSubstr("status purchasing"));

  m_store->complete_release("+12125550102");
  error = expect_error(ErrorKind::not_found,
                       [&] { (void)m_store->assign_number("+12125550102", to("dr-smith")); });
  EXPECT_THAT(error.what(), HasSubstr("not in the pool"));
  expect_error(ErrorKind::not_found,
               [&] { (void)m_store->assign_number("+12125550199", to("dr-smith")); });

  error = expect_error(ErrorKind::not_found,
                       [&] { (void)m_store->assign_number("+12125550104", to("nobody")); });
  EXPECT_THAT(error.what(), HasSubstr("agent \"nobody\" does not exist"));
  EXPECT_EQ(m_store->find_number("+12125550104")->status, NumberStatus::available);
}

TEST_P(AssignmentStoreTest, AgentsBeingCreatedOrDeletedCannotReceiveNumbers) {
  add_tenants_and_agents();
  (void)m_store->insert_agent(agent("helper", "acme", AgentStatus::creating));
  add_available("+12125550101");
  add_available("+12125550102");
  (void)m_store->assign_number("+12125550102", to("dr-smith"));

  auto error = expect_error(ErrorKind::conflict,
                            [&] { (void)m_store->assign_number("+12125550101", to("helper")); });
  EXPECT_THAT(error.what(), HasSubstr("agent \"helper\""));
  EXPECT_THAT(error.what(), HasSubstr("creating"));
  expect_error(ErrorKind::conflict,
               [&] { (void)m_store->assign_first_available({}, to("helper")); });
  expect_error(ErrorKind::conflict,
               [&] { (void)m_store->reassign_number("+12125550102", "dr-smith", to("helper")); });

  auto deleting = *m_store->find_agent("front-desk");
  deleting.status = AgentStatus::deleting;
  (void)m_store->update_agent(deleting);
  error = expect_error(ErrorKind::conflict,
                       [&] { (void)m_store->assign_number("+12125550101", to("front-desk")); });
  EXPECT_THAT(error.what(), HasSubstr("deleting"));
  EXPECT_EQ(m_store->find_number("+12125550101")->status, NumberStatus::available);
  EXPECT_EQ(m_store->find_number("+12125550102")->agent_slug, "dr-smith");

  // A number can still be taken away from an agent that is being deleted.
  auto dr_smith = *m_store->find_agent("dr-smith");
  dr_smith.status = AgentStatus::deleting;
  (void)m_store->update_agent(dr_smith);
  EXPECT_EQ(m_store->unassign_number("+12125550102", "dr-smith").status, NumberStatus::available);
}

TEST_P(AssignmentStoreTest, AssignFirstAvailableTakesTheLowestMatchingNumber) {
  add_tenants_and_agents();
  add_available("+13105550101", "CA", "Los Angeles");
  add_available("+12125550103", "NY", "New York");
  add_available("+12125550102", "NY", "Brooklyn");
  add_available("+12125550101", "NY", "New York");
  add_available("+12135550104", "CA", "Los Angeles");
  (void)m_store->assign_number("+12125550101", to("reception"));

  NumberFilter area;
  area.area_code = "212";
  auto first = m_store->assign_first_available(area, to("dr-smith", RoutingMode::webhook));
  EXPECT_EQ(first.e164, "+12125550102");
  EXPECT_EQ(first.agent_slug, "dr-smith");
  EXPECT_EQ(first.tenant_slug, "acme");
  EXPECT_EQ(first.routing_mode, RoutingMode::webhook);

  NumberFilter city;
  city.locality = "los angeles"; // case does not matter
  EXPECT_EQ(m_store->assign_first_available(city, to("dr-smith")).e164, "+12135550104");
  city.region = "CA";
  EXPECT_EQ(m_store->assign_first_available(city, to("dr-smith")).e164, "+13105550101");

  auto error = expect_error(ErrorKind::conflict,
                            [&] { (void)m_store->assign_first_available(city, to("dr-smith")); });
  EXPECT_THAT(error.what(), HasSubstr("no available number in the pool matches"));
  EXPECT_THAT(error.what(), HasSubstr("locality los angeles"));

  NumberFilter any;
  error = expect_error(ErrorKind::not_found,
                       [&] { (void)m_store->assign_first_available(any, to("nobody")); });
  EXPECT_THAT(error.what(), HasSubstr("\"nobody\""));
  EXPECT_EQ(m_store->assign_first_available(any, to("front-desk")).e164, "+12125550103");
  error = expect_error(ErrorKind::conflict,
                       [&] { (void)m_store->assign_first_available(any, to("front-desk")); });
  EXPECT_STREQ(error.what(), "no available number in the pool");
  EXPECT_THAT(error.hint(), HasSubstr("vami numbers buy"));

  NumberFilter bad_area;
  bad_area.area_code = "2%";
  expect_error(ErrorKind::invalid_input,
               [&] { (void)m_store->assign_first_available(bad_area, to("dr-smith")); });
  NumberFilter assigned;
  assigned.status = NumberStatus::assigned;
  expect_error(ErrorKind::invalid_input,
               [&] { (void)m_store->assign_first_available(assigned, to("dr-smith")); });
  EXPECT_EQ(m_store->find_number("+12125550101")->agent_slug, "reception");
}

TEST_P(AssignmentStoreTest, ListNumbersFiltersByAgentAndLocality) {
  add_tenants_and_agents();
  add_available("+12125550101", "NY", "New York");
  add_available("+12125550102", "NY", "Brooklyn");
  add_available("+12125550103", "NY", "NEW YORK");
  (void)m_store->assign_number("+12125550103", to("dr-smith"));

  NumberFilter city;
  city.locality = "new york";
  EXPECT_THAT(e164s(m_store->list_numbers(city)), ElementsAre("+12125550101", "+12125550103"));
  city.agent_slug = "dr-smith";
  EXPECT_THAT(e164s(m_store->list_numbers(city)), ElementsAre("+12125550103"));
  city.agent_slug = "front-desk";
  EXPECT_TRUE(m_store->list_numbers(city).empty());
}

TEST_P(AssignmentStoreTest, ReassignMovesTheNumberAndItsTenantOnlyFromTheExpectedAgent) {
  add_tenants_and_agents();
  add_available("+12125550101");
  add_available("+12125550102");
  (void)m_store->assign_number("+12125550101", to("dr-smith"));

  auto after =
      m_store->reassign_number("+12125550101", "dr-smith", to("reception", RoutingMode::webhook));
  EXPECT_EQ(after.status, NumberStatus::assigned);
  EXPECT_EQ(after.agent_slug, "reception");
  EXPECT_EQ(after.tenant_slug, "globex");
  EXPECT_EQ(after.routing_mode, RoutingMode::webhook);

  // The caller read dr-smith; the row says otherwise now.
  auto error = expect_error(ErrorKind::conflict, [&] {
    (void)m_store->reassign_number("+12125550101", "dr-smith", to("front-desk"));
  });
  EXPECT_THAT(error.what(),
              StartsWith("+12125550101 is assigned to agent \"reception\" (tenant globex)"));
  EXPECT_THAT(error.what(), HasSubstr("not to agent \"dr-smith\""));

  error = expect_error(ErrorKind::conflict, [&] {
    (void)m_store->reassign_number("+12125550102", "dr-smith", to("front-desk"));
  });
  EXPECT_THAT(error.what(), HasSubstr("not assigned to agent \"dr-smith\" (status available)"));

  error = expect_error(ErrorKind::not_found, [&] {
    (void)m_store->reassign_number("+12125550101", "reception", to("nobody"));
  });
  EXPECT_THAT(error.what(), HasSubstr("\"nobody\""));
  expect_error(ErrorKind::not_found, [&] {
    (void)m_store->reassign_number("+12125550199", "reception", to("dr-smith"));
  });
  EXPECT_EQ(m_store->find_number("+12125550101")->agent_slug, "reception");
  EXPECT_EQ(m_store->find_number("+12125550102")->status, NumberStatus::available);
}

TEST_P(AssignmentStoreTest, UnassignClearsTheAssignmentButKeepsTheImportId) {
  add_tenants_and_agents();
  add_available("+12125550101");
  add_available("+12125550102");
  (void)m_store->assign_number("+12125550101", to("dr-smith", RoutingMode::native));
  m_store->set_agent_phone_number_id("+12125550101", "phnum_0001");

  auto error = expect_error(ErrorKind::conflict,
                            [&] { (void)m_store->unassign_number("+12125550101", "front-desk"); });
  EXPECT_THAT(error.what(),
              StartsWith("+12125550101 is assigned to agent \"dr-smith\" (tenant acme)"));
  expect_error(ErrorKind::conflict,
               [&] { (void)m_store->unassign_number("+12125550102", "dr-smith"); });
  expect_error(ErrorKind::not_found,
               [&] { (void)m_store->unassign_number("+12125550199", "dr-smith"); });

  auto after = m_store->unassign_number("+12125550101", "dr-smith");
  EXPECT_EQ(after.status, NumberStatus::available);
  EXPECT_EQ(after.agent_slug, "");
  EXPECT_EQ(after.tenant_slug, "");
  EXPECT_FALSE(after.routing_mode);
  EXPECT_EQ(after.agent_phone_number_id, "phnum_0001");
  EXPECT_EQ(m_store->find_number("+12125550101")->agent_phone_number_id, "phnum_0001");
  error = expect_error(ErrorKind::conflict,
                       [&] { (void)m_store->unassign_number("+12125550101", "dr-smith"); });
  EXPECT_THAT(error.what(), HasSubstr("status available"));
}

TEST_P(AssignmentStoreTest, AgentPhoneNumberIdIsUniqueAndCanBeForgotten) {
  add_available("+12125550101");
  add_available("+12125550102");
  m_store->set_agent_phone_number_id("+12125550101", "phnum_0001");
  m_store->set_agent_phone_number_id("+12125550101", "phnum_0001"); // idempotent
  EXPECT_EQ(m_store->find_number("+12125550101")->agent_phone_number_id, "phnum_0001");

  auto error = expect_error(ErrorKind::conflict, [&] {
    m_store->set_agent_phone_number_id("+12125550102", "phnum_0001");
  });
  EXPECT_THAT(error.what(), HasSubstr("phnum_0001"));
  EXPECT_THAT(error.what(), HasSubstr("+12125550101"));

  m_store->set_agent_phone_number_id("+12125550101", "");
  EXPECT_EQ(m_store->find_number("+12125550101")->agent_phone_number_id, "");
  m_store->set_agent_phone_number_id("+12125550102", "phnum_0001");
  expect_error(ErrorKind::not_found,
               [&] { m_store->set_agent_phone_number_id("+12125550199", "phnum_0009"); });
}

TEST_P(AssignmentStoreTest, MarkReleasedTakesAnAssignedNumberAwayFromItsAgent) {
  add_tenants_and_agents();
  add_available("+12125550101");
  (void)m_store->assign_number("+12125550101", to("dr-smith"));
  m_store->set_agent_phone_number_id("+12125550101", "phnum_0001");

  auto before = m_store->mark_released("+12125550101", "PN12125550101");
  EXPECT_EQ(before.agent_slug, "dr-smith");
  EXPECT_EQ(before.routing_mode, RoutingMode::native);
  auto after = m_store->find_number("+12125550101");
  EXPECT_EQ(after->status, NumberStatus::released);
  EXPECT_EQ(after->agent_slug, "");
  EXPECT_FALSE(after->routing_mode);
  EXPECT_EQ(after->agent_phone_number_id, "");
  m_store->delete_agent("dr-smith"); // nothing holds it any more
}

// --- concurrency ---------------------------------------------------------------------------

TEST_P(AssignmentStoreTest, RacingAssignmentsOfOneNumberHaveExactlyOneWinner) {
  constexpr int k_racers = 8;
  (void)m_store->create_tenant(tenant("acme", "Acme Dental"));
  for (int i = 0; i < k_racers; ++i) {
    (void)m_store->insert_agent(agent("agent-" + std::to_string(i), "acme"));
  }
  add_available("+12125550101");

  // Two stores, that is two connections, as two processes would have; four threads each.
  auto first = m_backend->open();
  auto second = m_backend->open();
  std::latch start(k_racers);
  std::array<std::string, k_racers> outcomes;
  std::vector<std::thread> threads;
  for (int i = 0; i < k_racers; ++i) {
    threads.emplace_back([&, i] {
      StateStore& store = i % 2 == 0 ? *first : *second;
      auto& outcome = outcomes[static_cast<std::size_t>(i)];
      start.arrive_and_wait();
      try {
        (void)store.assign_number("+12125550101", to("agent-" + std::to_string(i)));
        outcome = "won";
      } catch (const Error& error) {
        outcome = std::string(to_string(error.kind())) + ": " + error.what();
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  const auto holder = m_store->find_number("+12125550101");
  ASSERT_EQ(holder->status, NumberStatus::assigned);
  const std::string expected_conflict =
      "conflict: +12125550101 is assigned to agent \"" + holder->agent_slug + "\" (tenant acme)";
  int wins = 0;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i] == "won") {
      ++wins;
      EXPECT_EQ(holder->agent_slug, "agent-" + std::to_string(i));
    } else {
      EXPECT_EQ(outcomes[i], expected_conflict);
    }
  }
  EXPECT_EQ(wins, 1);
}

TEST_P(AssignmentStoreTest, RacingAssignFirstAvailableHandsOutDistinctNumbers) {
  constexpr int k_racers = 8;
  constexpr int k_rounds = 3;
  (void)m_store->create_tenant(tenant("acme", "Acme Dental"));
  for (int i = 0; i < k_racers; ++i) {
    (void)m_store->insert_agent(agent("agent-" + std::to_string(i), "acme"));
  }
  for (int i = 0; i < k_racers * k_rounds; ++i) {
    add_available("+1212555" + std::to_string(1000 + i));
  }

  auto first = m_backend->open();
  auto second = m_backend->open();
  std::latch start(k_racers);
  std::array<std::vector<std::string>, k_racers> taken;
  std::array<std::string, k_racers> failures;
  std::vector<std::thread> threads;
  for (int i = 0; i < k_racers; ++i) {
    threads.emplace_back([&, i] {
      StateStore& store = i % 2 == 0 ? *first : *second;
      const auto index = static_cast<std::size_t>(i);
      start.arrive_and_wait();
      for (int round = 0; round < k_rounds; ++round) {
        try {
          const auto row = store.assign_first_available({}, to("agent-" + std::to_string(i)));
          taken[index].push_back(row.e164);
        } catch (const Error& error) {
          failures[index] += std::string(to_string(error.kind())) + ": " + error.what() + "\n";
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  std::set<std::string> distinct;
  for (std::size_t i = 0; i < taken.size(); ++i) {
    EXPECT_EQ(failures[i], "");
    EXPECT_EQ(taken[i].size(), static_cast<std::size_t>(k_rounds));
    for (const auto& e164 : taken[i]) {
      distinct.insert(e164);
      EXPECT_EQ(m_store->find_number(e164)->agent_slug, "agent-" + std::to_string(i));
    }
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(k_racers * k_rounds));
  expect_error(ErrorKind::conflict,
               [&] { (void)m_store->assign_first_available({}, to("agent-0")); });
}

// --- routing changes in flight -------------------------------------------------------------

using testing::holder_of_exited_process;

TEST_P(AssignmentStoreTest, ARoutingChangeInFlightBlocksOtherProcessesUntilGivenBack) {
  add_tenants_and_agents();
  add_available("+12125550101");
  add_available("+12125550102");
  // This store plays the staff member whose assignment is still reaching the providers; the
  // second plays another process (it sees the first as a running process).
  const PoolNumber taken = m_store->assign_number("+12125550101", to("dr-smith"));
  EXPECT_EQ(taken.routing_holder, current_process_holder());
  EXPECT_FALSE(taken.routing_since.empty());
  auto other = m_backend->open("other-host:4242:77");

  const std::string in_flight = "+12125550101 is being changed by another vami process (pid " +
                                std::to_string(getpid()) + ")";
  Error unassign = expect_error(ErrorKind::conflict,
                                [&] { (void)other->unassign_number("+12125550101", "dr-smith"); });
  EXPECT_THAT(unassign.what(), StartsWith(in_flight));
  EXPECT_THAT(unassign.what(), HasSubstr("is assigned to agent \"dr-smith\" (tenant acme)"));
  expect_error(ErrorKind::conflict,
               [&] { (void)other->reassign_number("+12125550101", "dr-smith", to("reception")); });
  expect_error(ErrorKind::conflict, [&] { other->begin_routing_change("+12125550101"); });
  // Picking passes over it; the row stays as the first process left it.
  EXPECT_EQ(other->assign_first_available({}, to("reception")).e164, "+12125550102");
  EXPECT_EQ(m_store->find_number("+12125550101")->agent_slug, "dr-smith");

  other->end_routing_change("+12125550101"); // not its to give back
  expect_error(ErrorKind::conflict,
               [&] { (void)other->unassign_number("+12125550101", "dr-smith"); });
  m_store->end_routing_change("+12125550101");
  EXPECT_TRUE(m_store->find_number("+12125550101")->routing_holder.empty());
  const PoolNumber freed = other->unassign_number("+12125550101", "dr-smith");
  EXPECT_EQ(freed.status, NumberStatus::available);
  EXPECT_EQ(freed.routing_holder, "other-host:4242:77");

  // An available number whose unassignment is in flight can be neither assigned nor released.
  Error assign = expect_error(
      ErrorKind::conflict, [&] { (void)m_store->assign_number("+12125550101", to("dr-smith")); });
  EXPECT_THAT(assign.what(), HasSubstr("(+12125550101 is available in the state database)"));
  expect_error(ErrorKind::conflict, [&] { (void)m_store->begin_release("+12125550101"); });
}

TEST_P(AssignmentStoreTest, ARoutingChangeOfAnExitedProcessBlocksNobody) {
  add_tenants_and_agents();
  add_available("+12125550101");
  auto died = m_backend->open(holder_of_exited_process());
  (void)died->assign_number("+12125550101", to("dr-smith")); // then it was killed

  const PoolNumber row = m_store->reassign_number("+12125550101", "dr-smith", to("front-desk"));
  EXPECT_EQ(row.agent_slug, "front-desk");
  EXPECT_EQ(row.routing_holder, current_process_holder());
}

TEST_P(AssignmentStoreTest, AHolderOnAnotherHostBlocksForTenMinutesAtMost) {
  // A store whose holds end with their connection (PostgreSQL) has no such lapse: a holder
  // written by a session that is gone holds nothing (test_postgres_state_store.cpp).
  if (GetParam().holds_end_with_connection) {
    GTEST_SKIP() << "holds end with their connection";
  }
  add_tenants_and_agents();
  add_available("+12125550101");
  auto set_holder = [&](const std::string& since) {
    m_backend->execute("UPDATE numbers SET routing_holder = 'elsewhere:42:1', "
                       "routing_since = ? WHERE e164 = '+12125550101'",
                       {since});
  };
  set_holder(utc_iso8601(unix_now() - 60));
  expect_error(ErrorKind::conflict,
               [&] { (void)m_store->assign_number("+12125550101", to("dr-smith")); });
  set_holder(utc_iso8601(unix_now() - 601));
  EXPECT_EQ(m_store->assign_number("+12125550101", to("dr-smith")).status, NumberStatus::assigned);
}

TEST_P(AssignmentStoreTest, AHolderOnAnotherHostWhoseConnectionIsGoneBlocksNobody) {
  if (!GetParam().holds_end_with_connection) {
    GTEST_SKIP() << "holds outlive their connection; see the ten-minute test above";
  }
  add_tenants_and_agents();
  add_available("+12125550101");
  // As a process killed on another host left the row: its holder, written a minute ago.
  m_backend->execute("UPDATE numbers SET routing_holder = 'elsewhere:42:1', routing_since = ? "
                     "WHERE e164 = '+12125550101'",
                     {utc_iso8601(unix_now() - 60)});
  EXPECT_TRUE(m_store->find_number("+12125550101")->routing_holder.empty());
  EXPECT_EQ(m_store->assign_number("+12125550101", to("dr-smith")).status, NumberStatus::assigned);
}

TEST_P(AssignmentStoreTest, AnOperationIsClaimedOnlyFromAProcessThatIsGone) {
  auto other = m_backend->open("other-host:4242:77");
  // op-000000000001 was created by this process, which still runs.
  Error running =
      expect_error(ErrorKind::conflict, [&] { other->claim_operation("op-000000000001"); });
  EXPECT_THAT(running.what(), HasSubstr("operation op-000000000001 is still running in another "
                                        "vami process (pid " +
                                        std::to_string(getpid()) + ")"));

  auto died = m_backend->open(holder_of_exited_process());
  Operation buy;
  buy.id = "op-000000000002";
  buy.requested_count = 5;
  died->create_operation(buy);
  m_store->claim_operation("op-000000000002");
  EXPECT_EQ(m_store->find_operation("op-000000000002")->holder, current_process_holder());
  expect_error(ErrorKind::not_found, [&] { m_store->claim_operation("op-000000000099"); });
}

TEST_P(AssignmentStoreTest, AnOperationHeldOnAnotherHostIsClaimedOnlyAfterTenQuietMinutes) {
  auto elsewhere = m_backend->open("elsewhere:42:1");
  Operation buy;
  buy.id = "op-000000000003";
  buy.requested_count = 5;
  elsewhere->create_operation(buy);
  elsewhere->record_item({buy.id, "+12125550101", ItemOutcome::succeeded, "", ""});
  EXPECT_EQ(m_store->find_operation(buy.id)->active_at.substr(0, 4),
            utc_now_iso8601().substr(0, 4));
  Error recent = expect_error(ErrorKind::conflict, [&] { m_store->claim_operation(buy.id); });
  EXPECT_THAT(recent.what(), HasSubstr("is still running in another vami process (pid 42)"));

  // Its last sign of life (creation, resumption, last item) is eleven minutes old.
  const std::string old = utc_iso8601(unix_now() - 660);
  m_backend->execute("UPDATE operations SET created_at = ? WHERE id = ?", {old, buy.id});
  m_backend->execute("UPDATE operation_items SET updated_at = ? WHERE operation_id = ?",
                     {old, buy.id});
  EXPECT_EQ(m_store->find_operation(buy.id)->active_at, old);
  if (GetParam().holds_end_with_connection) {
    // Quiet or not, it is held while its process's connection lives, and free once it ends.
    expect_error(ErrorKind::conflict, [&] { m_store->claim_operation(buy.id); });
    elsewhere.reset();
    // The server drops the session's lock once its backend has seen the connection close.
    for (int wait = 0;
         wait < 1000 && m_store->find_operation(buy.id)->status != OperationStatus::interrupted;
         ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(m_store->find_operation(buy.id)->status, OperationStatus::interrupted);
  }
  m_store->claim_operation(buy.id);
  EXPECT_EQ(m_store->find_operation(buy.id)->holder, current_process_holder());
}

TEST_P(AssignmentStoreTest, NumbersInPoolAreThoseHeldInAnyStatusButReleased) {
  add_tenants_and_agents();
  add_available("+12125550101");
  add_available("+12125550102");
  add_available("+12125550103");
  (void)m_store->assign_number("+12125550102", to("dr-smith"));
  (void)m_store->begin_release("+12125550103");
  m_store->complete_release("+12125550103");
  EXPECT_EQ(m_store->numbers_in_pool(
                {"+12125550101", "+12125550102", "+12125550103", "+12125550104", "+1212\"555", ""}),
            (std::set<std::string>{"+12125550101", "+12125550102"}));
  EXPECT_TRUE(m_store->numbers_in_pool({}).empty());
}

TEST_P(AssignmentStoreTest, NumbersAreListedByTheOperationThatBoughtThem) {
  add_available("+12125550101");
  NumberFilter bought;
  bought.operation_id = "op-000000000001";
  EXPECT_THAT(e164s(m_store->list_numbers(bought)), ElementsAre("+12125550101"));
  bought.operation_id = "op-000000000002";
  EXPECT_TRUE(m_store->list_numbers(bought).empty());
}

// --- suspension --------------------------------------------------------------------------

TEST_P(AssignmentStoreTest, SuspensionRemembersTheRoutingAndResumeRestoresIt) {
  add_tenants_and_agents();
  add_available("+12125550101");
  add_available("+12125550102");
  (void)m_store->assign_number("+12125550101", {"dr-smith", RoutingMode::webhook});
  m_store->end_routing_change("+12125550101");
  m_store->set_agent_phone_number_id("+12125550101", "phnum_01");
  m_store->update_webhook("+12125550101", {"https://router.example.com/v?agent_id=a1", "POST", ""});

  Suspension record{NumberStatus::assigned, "dr-smith",
                    VoiceWebhook{"https://router.example.com/v?agent_id=a1", "POST", ""},
                    "We are closed", ""};
  // Only as read: the agent must still hold it.
  Suspension stale = record;
  stale.agent_slug = "front-desk";
  expect_error(ErrorKind::conflict, [&] { (void)m_store->suspend_number("+12125550101", stale); });

  PoolNumber suspended = m_store->suspend_number("+12125550101", record);
  EXPECT_EQ(suspended.status, NumberStatus::suspended);
  EXPECT_EQ(suspended.tenant_slug, "acme");
  EXPECT_EQ(suspended.agent_slug, "");
  EXPECT_EQ(suspended.routing_mode, RoutingMode::webhook);
  EXPECT_EQ(suspended.agent_phone_number_id, "phnum_01");
  ASSERT_TRUE(suspended.suspension);
  EXPECT_EQ(suspended.suspension->agent_slug, "dr-smith");
  EXPECT_EQ(suspended.suspension->message, "We are closed");
  EXPECT_EQ(suspended.suspension->previous_webhook, record.previous_webhook);
  EXPECT_FALSE(suspended.suspension->suspended_at.empty());
  EXPECT_FALSE(suspended.routing_holder.empty()); // taken, as assign does
  m_store->end_routing_change("+12125550101");

  expect_error(ErrorKind::conflict, [&] { (void)m_store->suspend_number("+12125550101", record); });
  expect_error(ErrorKind::conflict, [&] { (void)m_store->resume_number("+12125550102"); });
  // Its tenant and agent still list it; the agent cannot be deleted under it.
  NumberFilter of_agent;
  of_agent.agent_slug = "dr-smith";
  EXPECT_THAT(e164s(m_store->list_numbers(of_agent)), ElementsAre("+12125550101"));
  NumberFilter of_tenant;
  of_tenant.tenant_slug = "acme";
  EXPECT_THAT(e164s(m_store->list_numbers(of_tenant)), ElementsAre("+12125550101"));
  expect_error(ErrorKind::conflict, [&] { m_store->delete_agent("dr-smith"); });

  PoolNumber resumed = m_store->resume_number("+12125550101");
  EXPECT_EQ(resumed.status, NumberStatus::assigned);
  EXPECT_EQ(resumed.agent_slug, "dr-smith");
  EXPECT_EQ(resumed.tenant_slug, "acme");
  EXPECT_EQ(resumed.routing_mode, RoutingMode::webhook);
  EXPECT_FALSE(resumed.suspension);
  EXPECT_EQ(m_backend->count("SELECT count(*) FROM numbers WHERE suspended_from IS NOT NULL OR "
                             "suspended_agent_id IS NOT NULL OR suspension_message IS NOT NULL"),
            0);
}

TEST_P(AssignmentStoreTest, AReleasedSuspendedNumberForgetsItsTenantAndSuspension) {
  add_tenants_and_agents();
  add_available("+12125550101");
  (void)m_store->assign_number("+12125550101", {"dr-smith", RoutingMode::native});
  m_store->end_routing_change("+12125550101");
  (void)m_store->suspend_number("+12125550101",
                                {NumberStatus::assigned, "dr-smith", VoiceWebhook{}, "", ""});
  m_store->end_routing_change("+12125550101");
  PoolNumber before = m_store->begin_release("+12125550101");
  EXPECT_EQ(before.status, NumberStatus::suspended);
  m_store->complete_release("+12125550101");
  PoolNumber released = *m_store->find_number("+12125550101");
  EXPECT_EQ(released.tenant_slug, "");
  EXPECT_FALSE(released.suspension);
  m_store->delete_agent("dr-smith"); // nothing refers to it any more
}

VAMI_STORE_BACKENDS(AssignmentStoreTest);

} // namespace
} // namespace vami
