#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "exited_process.hpp"
#include "fake_telephony_provider.hpp"
#include "forwarding_telephony_provider.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_service.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/clock.hpp>
#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/process_holder.hpp>
#include <vami/core/reconcile_service.hpp>
#include <vami/stores/sqlite_state_store.hpp>

namespace vami {
namespace {

using testing::FakeTelephonyProvider;

// Numbers the pool's purchases never reach first (they take the lowest of the inventory).
constexpr const char* k_orphan = "+12125551050";
constexpr const char* k_other_orphan = "+12125551051";
constexpr const char* k_foreign = "+12125551052";

/// The fake account, with a hook that runs when reconcile lists it: another vami process
/// acting between reconcile's reading of the pool and its listing of the provider.
class HookedProvider final : public testing::ForwardingTelephonyProvider {
public:
  explicit HookedProvider(FakeTelephonyProvider& inner) : ForwardingTelephonyProvider(inner) {}
  std::function<void()> before_list;

  std::vector<OwnedNumber> list_owned() override {
    if (before_list) {
      before_list();
    }
    return inner().list_owned();
  }
};

/// An in-memory voice-agent account for reconcile's tests (agents with tags and knowledge
/// bases, documents, imported numbers), with a log of calls and a fault at the Nth call.
class MemoryVoiceAgentProvider final : public VoiceAgentProvider {
public:
  /// Makes call number `n` (1-based, counting every method) throw an error of `kind`.
  void fail_at(int n, ErrorKind kind) { m_faults[n] = kind; }
  /// Makes the next call throw an error of `kind`.
  void fail_next(ErrorKind kind) { fail_at(static_cast<int>(m_calls.size()) + 1, kind); }
  /// Number of calls of `method`.
  int count(const std::string& method) const {
    return static_cast<int>(std::count(m_calls.begin(), m_calls.end(), method));
  }
  /// Every call so far.
  int calls() const { return static_cast<int>(m_calls.size()); }
  /// The agent the provider routes `e164` to ("" for none); throws when it is not imported.
  std::string agent_of(const std::string& e164) const {
    for (const auto& [id, number] : m_imports) {
      if (number.e164 == e164) {
        return number.agent_id;
      }
    }
    throw std::runtime_error(e164 + " is not imported");
  }
  /// The provider's id of the import of `e164`, or "".
  std::string import_id_of(const std::string& e164) const {
    for (const auto& [id, number] : m_imports) {
      if (number.e164 == e164) {
        return id;
      }
    }
    return "";
  }
  /// Whether the provider has the agent.
  bool has_agent(const std::string& agent_id) const { return m_agents.count(agent_id) > 0; }
  /// Everything the account holds, as text, to check that nothing changed.
  std::string state() const {
    std::string text;
    for (const auto& [id, agent] : m_agents) {
      text += id + " " + agent.definition.name + " kb:";
      for (const auto& ref : agent.definition.knowledge_base) {
        text += " " + ref.document_id;
      }
      text += "\n";
    }
    for (const auto& id : m_documents) {
      text += "document " + id + "\n";
    }
    for (const auto& [id, number] : m_imports) {
      text += id + " " + number.e164 + " -> " + number.agent_id + "\n";
    }
    return text;
  }

  std::string name() const override { return "elevenlabs"; }
  AgentProviderCapabilities capabilities() const override { return {}; }
  /// The voice URL an import gives a number.
  static constexpr const char* k_inbound = "https://api.us.elevenlabs.io/twilio/inbound_call";
  /// Sets a number's voice URL at the telephony account (an import calls it with `k_inbound`).
  std::function<void(const std::string& e164, const std::string& url)> point;

  bool answers_voice_url(const std::string& voice_url) const override {
    return voice_url == k_inbound;
  }

  std::string create_agent(const AgentDefinition& definition) override {
    begin("create_agent");
    ProviderAgent agent;
    agent.agent_id = "agent_" + std::to_string(++m_next);
    agent.definition = definition;
    m_agents[agent.agent_id] = agent;
    m_created[agent.agent_id] = m_next;
    return agent.agent_id;
  }
  std::optional<ProviderAgent> get_agent(const std::string& agent_id) override {
    begin("get_agent");
    auto found = m_agents.find(agent_id);
    return found == m_agents.end() ? std::nullopt : std::optional<ProviderAgent>(found->second);
  }
  ProviderAgent update_agent(const std::string& agent_id, const AgentChange& change) override {
    begin("update_agent");
    auto found = m_agents.find(agent_id);
    if (found == m_agents.end()) {
      throw Error(ErrorKind::not_found, "no agent " + agent_id);
    }
    if (change.knowledge_base) {
      found->second.definition.knowledge_base = *change.knowledge_base;
    }
    if (change.name) {
      found->second.definition.name = *change.name;
    }
    return found->second;
  }
  void delete_agent(const std::string& agent_id) override {
    begin("delete_agent");
    if (m_agents.erase(agent_id) == 0) {
      throw Error(ErrorKind::not_found, "no agent " + agent_id);
    }
    // As ElevenLabs: its numbers stay imported, without an agent.
    for (auto& [id, number] : m_imports) {
      if (number.agent_id == agent_id) {
        number.agent_id.clear();
      }
    }
  }
  std::vector<AgentSummary> list_agents(const std::string& search) override {
    begin("list_agents");
    std::vector<AgentSummary> agents;
    for (const auto& [id, agent] : m_agents) {
      if (agent.definition.name.find(search) != std::string::npos) {
        agents.push_back({id, agent.definition.name, agent.definition.voice_id,
                          agent.definition.tags, m_created.at(id)});
      }
    }
    return agents;
  }
  std::vector<Voice> list_voices() override {
    begin("list_voices");
    return {};
  }
  ProviderDocument add_document_file(const DocumentUpload& upload) override {
    return add_document(upload.name);
  }
  ProviderDocument add_document_url(const std::string&, const std::string& name) override {
    return add_document(name);
  }
  ProviderDocument add_document_text(const std::string&, const std::string& name) override {
    return add_document(name);
  }
  void delete_document(const std::string& document_id) override {
    begin("delete_document");
    if (m_documents.erase(document_id) == 0) {
      throw Error(ErrorKind::not_found, "no document " + document_id);
    }
    // force=true: it goes from every knowledge base too.
    for (auto& [id, agent] : m_agents) {
      auto& kb = agent.definition.knowledge_base;
      kb.erase(std::remove_if(
                   kb.begin(), kb.end(),
                   [&](const KnowledgeBaseRef& ref) { return ref.document_id == document_id; }),
               kb.end());
    }
  }
  ImportedNumber import_number(const std::string& e164, const std::string& label) override {
    begin("import_number");
    if (!import_id_of(e164).empty()) {
      throw Error(ErrorKind::invalid_input, e164 + " is imported already");
    }
    ImportedNumber number{"phnum_" + std::to_string(++m_next), e164, label, ""};
    m_imports[number.phone_number_id] = number;
    if (point) {
      point(e164, k_inbound); // as ElevenLabs' native integration does
    }
    return number;
  }
  ImportedNumber import_sip_trunk_number(const std::string& e164, const std::string&,
                                         const std::string&) override {
    throw Error(ErrorKind::invalid_input, e164 + ": no SIP trunk imports here");
  }
  std::string sip_origination_uri() const override { return {}; }
  ImportedNumber set_number_agent(const std::string& phone_number_id,
                                  const std::string& agent_id) override {
    begin("set_number_agent");
    auto found = m_imports.find(phone_number_id);
    if (found == m_imports.end()) {
      throw Error(ErrorKind::not_found, "no imported number " + phone_number_id);
    }
    if (!agent_id.empty() && m_agents.count(agent_id) == 0) {
      throw Error(ErrorKind::not_found, "no agent " + agent_id);
    }
    found->second.agent_id = agent_id;
    return found->second;
  }
  std::vector<ImportedNumber> list_imported_numbers() override {
    begin("list_imported_numbers");
    std::vector<ImportedNumber> numbers;
    for (const auto& [id, number] : m_imports) {
      numbers.push_back(number);
    }
    return numbers;
  }
  std::vector<WorkspaceNumber> list_workspace_numbers() override {
    begin("list_workspace_numbers");
    return {};
  }
  void release_workspace_number(const std::string& provider_id) override {
    throw Error(ErrorKind::invalid_input, "no workspace number " + provider_id);
  }
  void remove_imported_number(const std::string& phone_number_id) override {
    begin("remove_imported_number");
    if (m_imports.erase(phone_number_id) == 0) {
      throw Error(ErrorKind::not_found, "no imported number " + phone_number_id);
    }
  }
  std::vector<Conversation> list_conversations(const std::string&, int) override {
    begin("list_conversations");
    return {};
  }
  std::string register_call(const CallRegistration&) override {
    begin("register_call");
    return "<Response/>";
  }
  std::vector<Conversation> list_conversations_since(const std::string&, std::int64_t) override {
    begin("list_conversations_since");
    return {};
  }
  ConversationDetails get_conversation(const std::string& id) override {
    begin("get_conversation");
    throw Error(ErrorKind::not_found, "conversation " + id + " not found");
  }
  std::vector<WorkspaceWebhook> list_webhooks() override {
    begin("list_webhooks");
    return {};
  }
  std::optional<WorkspaceWebhook> get_webhook(const std::string&) override {
    begin("get_webhook");
    return std::nullopt;
  }
  CreatedWebhook create_webhook(const std::string&, const std::string&) override {
    begin("create_webhook");
    throw Error(ErrorKind::provider, "reconcile never creates a webhook");
  }
  void delete_webhook(const std::string& id) override {
    begin("delete_webhook");
    throw Error(ErrorKind::not_found, "webhook " + id + " not found");
  }
  PostCallWebhookSettings post_call_webhook() override {
    begin("post_call_webhook");
    return {};
  }
  PostCallWebhookSettings set_post_call_webhook(const PostCallWebhookSettings&) override {
    begin("set_post_call_webhook");
    throw Error(ErrorKind::provider, "reconcile never attaches a webhook");
  }
  std::vector<DocumentSummary> list_documents(const std::string& name_prefix) override {
    begin("list_documents");
    std::vector<DocumentSummary> found;
    for (const auto& [id, name] : m_document_names) {
      if (m_documents.count(id) > 0 && name.rfind(name_prefix, 0) == 0) {
        found.push_back({id, name, DocumentSourceKind::text});
      }
    }
    return found;
  }
  /// Adds a document directly (as a lost upload leaves it), unrecorded.
  std::string seed_document(const std::string& name) {
    std::string id = "doc_" + std::to_string(++m_next);
    m_documents.insert(id);
    m_document_names[id] = name;
    return id;
  }
  /// Whether the provider has the document.
  bool has_document(const std::string& document_id) const {
    return m_documents.count(document_id) > 0;
  }

private:
  ProviderDocument add_document(const std::string& name) {
    begin("add_document");
    ProviderDocument document{"doc_" + std::to_string(++m_next), name};
    m_documents.insert(document.document_id);
    m_document_names[document.document_id] = name;
    return document;
  }
  void begin(const std::string& method) {
    m_calls.push_back(method);
    if (auto fault = m_faults.find(static_cast<int>(m_calls.size())); fault != m_faults.end()) {
      throw Error(fault->second, "injected fault at " + method);
    }
  }

  std::map<std::string, ProviderAgent> m_agents;
  std::map<std::string, std::int64_t> m_created;
  std::set<std::string> m_documents;
  std::map<std::string, std::string> m_document_names;
  std::map<std::string, ImportedNumber> m_imports;
  std::map<int, ErrorKind> m_faults;
  std::vector<std::string> m_calls;
  std::int64_t m_next = 0;
};

class ReconcileServiceTest : public ::testing::Test {
protected:
  ReconcileServiceTest()
      : m_provider({"212"}, 80), m_store(open_sqlite_state_store(m_dir / "vami.db")),
        m_pool(m_provider, *m_store, "tester") {
    m_voice.point = [this](const std::string& e164, const std::string& url) {
      m_provider.point(e164, url);
    };
  }

  ReconcileReport reconcile(ReconcileMode mode, std::chrono::seconds grace = k_in_flight_grace,
                            const StopRequested& stop = {}) {
    ReconcileService service(m_provider, &m_voice_agents, *m_store, "tester", grace, m_router_url);
    return service.reconcile(mode, stop);
  }

  /// Creates tenant "acme" (once) and an agent `slug` of it at the provider; returns the agent.
  Agent agent(const std::string& slug) {
    if (!m_store->find_tenant("acme")) {
      Tenant tenant;
      tenant.slug = "acme";
      tenant.name = "Acme";
      (void)m_store->create_tenant(tenant);
    }
    AgentRequest request;
    request.tenant_slug = "acme";
    request.slug = slug;
    request.name = "Agent " + slug;
    return AgentService(m_voice_agents, *m_store, "tester").create(request);
  }

  /// Assigns a pool number to an agent, as `vami numbers assign` does.
  PoolNumber assign(const std::string& e164, const std::string& agent_slug,
                    RoutingMode mode = RoutingMode::native) {
    return AssignmentService(m_provider, m_voice_agents, *m_store, "tester",
                             "https://router.example.com/")
        .assign(e164, agent_slug, mode)
        .number;
  }

  /// Adds a text document to an agent's knowledge base, as `vami kb add --text` does.
  Document add_text(const std::string& agent_slug, const std::string& text) {
    return KnowledgeBaseService(m_voice_agents, *m_store, "tester")
        .add_text(agent_slug, text, "")
        .document;
  }

  /// Marks a row as changed long ago, so that it is no longer in flight.
  void age_agent(const std::string& slug) {
    Agent row = *m_store->find_agent(slug);
    m_store->delete_agent(slug);
    row.updated_at = "2020-01-01T00:00:00Z";
    (void)m_store->insert_agent(row);
  }

  /// Agents, documents and voice-agent routing in the database, as text.
  std::string agents_text() {
    std::string text;
    for (const auto& row : m_store->list_agents("")) {
      text += row.slug + " " + to_string(row.status) + " " + row.provider_agent_id + "\n";
      for (const auto& document : m_store->list_documents(row.slug)) {
        text += "  " + document.provider_document_id + "\n";
      }
    }
    for (const auto& row : m_store->list_numbers({})) {
      text += row.e164 + " " + row.agent_slug + " " + row.agent_phone_number_id + "\n";
    }
    return text;
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
    return text + agents_text() + m_voice.state() + std::to_string(m_store->list_audit({}).size()) +
           " audit entries\n";
  }

  /// A purchase intent of `e164` by a journaled buy operation (running unless `finished`).
  std::string intent(const std::string& e164, bool finished) {
    return intent(e164, finished, *m_store);
  }
  /// The same, journaled by the process `store` names.
  std::string intent(const std::string& e164, bool finished, StateStore& store) {
    Operation operation;
    operation.id = new_operation_id();
    operation.kind = OperationKind::buy;
    operation.requested_count = 1;
    operation.actor = "tester";
    store.create_operation(operation);
    PurchaseIntent purchase;
    purchase.e164 = e164;
    purchase.operation_id = operation.id;
    purchase.provider = m_provider.name();
    purchase.country = "US";
    purchase.friendly_name = "vami:default:" + operation.id;
    store.insert_purchase_intent(purchase);
    if (finished) {
      store.finish_operation(operation.id, OperationStatus::failed);
    }
    return operation.id;
  }

  testing::TempDir m_dir;
  std::string m_router_url; ///< The router URL reconcile is given (none unless a test sets it).
  FakeTelephonyProvider m_provider;
  MemoryVoiceAgentProvider m_voice;
  SingleAgentProvider m_voice_agents{m_voice}; ///< `m_voice` as the services take it.
  std::unique_ptr<StateStore> m_store;
  PoolService m_pool;
};

/// What a finding is about: the number, "agent <slug or provider id>", "document <id>".
std::string subject_of(const Finding& finding) {
  switch (finding.subject) {
  case Subject::number:
    return finding.e164;
  case Subject::agent:
    return "agent " +
           (finding.kind == FindingKind::agent_orphan ? finding.provider_id : finding.agent_slug);
  case Subject::document:
    return "document " + finding.provider_id;
  case Subject::post_call_webhook:
    return "post_call_webhook " + finding.provider_id;
  }
  return "";
}

/// subject -> "kind resolution" of every finding that is not in sync (a number's findings on
/// both sides joined by ", ").
std::map<std::string, std::string> drift(const ReconcileReport& report) {
  std::map<std::string, std::string> found;
  for (const auto& finding : report.findings) {
    if (finding.kind != FindingKind::in_sync) {
      std::string& text = found[subject_of(finding)];
      text += (text.empty() ? "" : ", ") + std::string(to_string(finding.kind)) + " " +
              to_string(finding.resolution);
    }
  }
  return found;
}

/// "repair resolution[ holdup]" of a finding.
std::string outcome(const Finding& finding) {
  std::string text = std::string(to_string(finding.repair)) + " " + to_string(finding.resolution);
  if (finding.holdup != Holdup::none) {
    text += std::string(" ") + to_string(finding.holdup);
  }
  return text;
}

/// The first finding about `subject` (see `subject_of`), of `kind` when given.
const Finding& finding_of(const ReconcileReport& report, const std::string& subject,
                          std::optional<FindingKind> kind = std::nullopt) {
  for (const auto& finding : report.findings) {
    if (subject_of(finding) == subject && (!kind || finding.kind == *kind)) {
      return finding;
    }
  }
  throw std::runtime_error("no finding for " + subject);
}

TEST_F(ReconcileServiceTest, APoolInSyncHasNothingToDoAndAReportChangesNothing) {
  (void)buy(3);
  const std::string before = state();
  auto report = reconcile(ReconcileMode::report);
  EXPECT_FALSE(report.applied);
  EXPECT_TRUE(report.operation_id.empty());
  EXPECT_EQ(report.findings.size(), 3U);
  EXPECT_EQ(report.counts.at(FindingKind::in_sync), 3);
  EXPECT_EQ(report.counts.size(), 24U);
  EXPECT_EQ(report.voice_agents, VoiceAgentCoverage::compared);
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
  EXPECT_EQ(outcome(finding_of(report, k_orphan)), "adopt would_repair");
  EXPECT_EQ(finding_of(report, k_other_orphan).tag_operation, "op-0123456789ab");
  EXPECT_EQ(finding_of(report, k_other_orphan).operation_id, ""); // not in this journal
  EXPECT_EQ(finding_of(report, k_orphan).operation_id, bought_by);
  EXPECT_FALSE(report.settled());
  EXPECT_EQ(state(), before);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, k_orphan)), "adopt repaired");
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
  EXPECT_EQ(outcome(finding_of(report, k_foreign)), "none unresolved not_vami");
  EXPECT_EQ(finding_of(report, k_foreign).name, "someone else");
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
  EXPECT_EQ(outcome(finding_of(applied, ghost.e164)), "mark_released repaired");
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
  EXPECT_EQ(outcome(finding_of(report, e164)), "complete_purchase would_repair");

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, e164)), "complete_purchase repaired");
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
  EXPECT_EQ(outcome(finding_of(applied, k_orphan)), "abandon_purchase repaired");
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
  EXPECT_EQ(outcome(finding_of(applied, k_foreign)), "abandon_purchase repaired");
  EXPECT_EQ(finding_of(applied, k_foreign).reported, "someone else");
  EXPECT_FALSE(m_store->find_number(k_foreign).has_value());
  // Now it is what it always was: someone else's number.
  EXPECT_EQ(drift(reconcile(ReconcileMode::apply)),
            (std::map<std::string, std::string>{{k_foreign, "orphan_untagged unresolved"}}));
}

TEST_F(ReconcileServiceTest, APurchaseStillInFlightIsLeftAlone) {
  (void)intent(k_orphan, false); // its operation runs in this process, which is alive
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(applied),
            (std::map<std::string, std::string>{{k_orphan, "stale_purchasing unresolved"}}));
  EXPECT_EQ(outcome(finding_of(applied, k_orphan)), "none unresolved in_flight");
  EXPECT_EQ(m_store->find_number(k_orphan)->status, NumberStatus::purchasing);
  // A process on this host is asked, not timed out: it is alive, so its row stays in flight.
  auto later = reconcile(ReconcileMode::apply, std::chrono::seconds(0));
  EXPECT_EQ(outcome(finding_of(later, k_orphan)), "none unresolved in_flight");
  EXPECT_EQ(m_store->find_number(k_orphan)->status, NumberStatus::purchasing);
}

TEST_F(ReconcileServiceTest, APurchaseOfAProcessThatDiedIsRepairedAtOnce) {
  // kill -9 of a buy: its operation still says running, its row is seconds old.
  auto died = open_sqlite_state_store(m_dir / "vami.db", testing::holder_of_exited_process());
  const std::string operation_id = intent(k_orphan, false, *died);
  const std::string bought = intent(k_other_orphan, false, *died);
  (void)m_provider.buy(k_other_orphan, "vami:default:" + bought);
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, k_orphan)), "abandon_purchase repaired");
  EXPECT_EQ(outcome(finding_of(applied, k_other_orphan)), "complete_purchase repaired");
  EXPECT_TRUE(applied.settled());
  EXPECT_FALSE(m_store->find_number(k_orphan).has_value());
  EXPECT_EQ(m_store->find_number(k_other_orphan)->status, NumberStatus::available);
  // The journal shows the operation as what it is.
  OperationFilter interrupted;
  interrupted.status = OperationStatus::interrupted;
  std::set<std::string> listed;
  for (const auto& summary : list_journal(*m_store, interrupted)) {
    listed.insert(summary.operation.id);
  }
  EXPECT_EQ(listed, (std::set<std::string>{operation_id, bought}));
}

TEST_F(ReconcileServiceTest, APurchaseHeldOnAnotherHostWaitsForTheGracePeriod) {
  auto elsewhere = open_sqlite_state_store(m_dir / "vami.db", "elsewhere:42:1");
  (void)intent(k_orphan, false, *elsewhere);
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, k_orphan)), "none unresolved in_flight");
  // Nobody can ask that host: once the grace period is over, its process is taken for dead.
  auto later = reconcile(ReconcileMode::apply, std::chrono::seconds(0));
  EXPECT_EQ(outcome(finding_of(later, k_orphan)), "abandon_purchase repaired");
  EXPECT_FALSE(m_store->find_number(k_orphan).has_value());
}

TEST_F(ReconcileServiceTest, AReleaseTheProviderRefusedIsRestored) {
  (void)buy(1);
  const auto row = rows()[0];
  (void)m_store->begin_release(row.e164);
  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(outcome(finding_of(report, row.e164)), "restore would_repair");
  EXPECT_EQ(m_store->find_number(row.e164)->status, NumberStatus::releasing);
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(applied, row.e164).kind, FindingKind::stale_releasing);
  EXPECT_EQ(outcome(finding_of(applied, row.e164)), "restore repaired");
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
  EXPECT_EQ(outcome(finding_of(applied, row.e164)), "complete_release repaired");
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
  EXPECT_EQ(finding_of(report, pool[0].e164).reported_webhook, console);
  EXPECT_EQ(finding_of(report, pool[0].e164).stored_webhook, pool[0].webhook);
  EXPECT_EQ(finding_of(report, pool[1].e164).stored, pool[1].provider_sid);
  EXPECT_EQ(finding_of(report, pool[1].e164).reported, new_sid);
  EXPECT_EQ(m_store->find_number(pool[0].e164)->webhook, pool[0].webhook);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, pool[0].e164)), "store_provider_webhook repaired");
  EXPECT_EQ(outcome(finding_of(applied, pool[1].e164)), "store_provider_sid repaired");
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
  EXPECT_EQ(outcome(finding_of(report, k_orphan)), "adopt repaired");
  EXPECT_EQ(outcome(finding_of(report, k_other_orphan)), "adopt unresolved interrupted");
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
  ReconcileService service(provider, &m_voice_agents, *m_store, "tester");
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
  EXPECT_EQ(outcome(finding_of(report, bought_e164)), "adopt unresolved changed_meanwhile");
  EXPECT_FALSE(finding_of(report, bought_e164).error.empty());
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

      MemoryVoiceAgentProvider voice;
      SingleAgentProvider voice_agents(voice);
      ReconcileService service(provider, &voice_agents, *store, "sweep");
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

// --- the voice-agent side -------------------------------------------------------------------

TEST_F(ReconcileServiceTest, AgentsDocumentsAndNativeRoutingInSyncHaveNothingToDo) {
  (void)buy(3);
  const auto pool = rows();
  (void)agent("front-desk");
  (void)agent("back-office");
  (void)assign(pool[0].e164, "front-desk");
  (void)assign(pool[1].e164, "back-office", RoutingMode::webhook);
  (void)add_text("front-desk", "Opening hours: 9 to 17");
  const std::string before = state();
  const int calls_before = m_voice.calls();

  auto report = reconcile(ReconcileMode::report);
  EXPECT_TRUE(drift(report).empty());
  EXPECT_EQ(report.counts.at(FindingKind::in_sync), 3);
  EXPECT_EQ(report.agents_in_sync, 2);
  EXPECT_EQ(report.documents_in_sync, 1);
  EXPECT_EQ(report.voice_agents, VoiceAgentCoverage::compared);
  EXPECT_TRUE(report.settled());
  EXPECT_EQ(state(), before);
  // One listing of agents, one of imported numbers, one of vami's uploads, and the knowledge
  // base of the one agent that has documents.
  EXPECT_EQ(m_voice.calls() - calls_before, 4);
  EXPECT_EQ(m_voice.count("list_documents"), 1);
  EXPECT_EQ(m_voice.count("get_agent"), 1);
  EXPECT_TRUE(reconcile(ReconcileMode::apply).settled());
}

TEST_F(ReconcileServiceTest, ANumberRoutedElsewhereAtTheProviderIsRoutedAsTheDatabaseSays) {
  (void)buy(3);
  const auto pool = rows();
  const Agent desk = agent("front-desk");
  const Agent office = agent("back-office");
  (void)assign(pool[0].e164, "front-desk");
  (void)assign(pool[1].e164, "back-office");
  AssignmentService(m_provider, m_voice_agents, *m_store, "tester", "").unassign(pool[1].e164);
  // Changed in the provider's console: the first to another agent, the unassigned one to one.
  (void)m_voice.set_number_agent(m_voice.import_id_of(pool[0].e164), office.provider_agent_id);
  (void)m_voice.set_number_agent(m_voice.import_id_of(pool[1].e164), desk.provider_agent_id);
  const std::string before = state();

  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{pool[0].e164, "agent_drift would_repair"},
                                                {pool[1].e164, "agent_drift would_repair"}}));
  EXPECT_EQ(report.counts.at(FindingKind::in_sync), 1);
  const Finding& moved = finding_of(report, pool[0].e164);
  EXPECT_EQ(moved.subject, Subject::number);
  EXPECT_EQ(moved.repair, Repair::set_provider_agent);
  EXPECT_EQ(moved.agent_slug, "front-desk");
  EXPECT_EQ(moved.stored, desk.provider_agent_id);
  EXPECT_EQ(moved.reported, office.provider_agent_id);
  EXPECT_EQ(moved.reported_agent_slug, "back-office");
  EXPECT_EQ(moved.provider_id, m_voice.import_id_of(pool[0].e164));
  const Finding& taken = finding_of(report, pool[1].e164);
  EXPECT_EQ(taken.stored, "");
  EXPECT_EQ(taken.reported, desk.provider_agent_id);
  EXPECT_EQ(state(), before);
  const std::string database_before = agents_text() + pool_text();

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, pool[0].e164)), "set_provider_agent repaired");
  EXPECT_EQ(outcome(finding_of(applied, pool[1].e164)), "set_provider_agent repaired");
  EXPECT_TRUE(applied.settled());
  EXPECT_EQ(m_voice.agent_of(pool[0].e164), desk.provider_agent_id);
  EXPECT_EQ(m_voice.agent_of(pool[1].e164), "");
  // The database was right: it did not change, and the change at the provider is audited.
  EXPECT_EQ(agents_text() + pool_text(), database_before);
  auto audit = m_store->list_audit({});
  ASSERT_GE(audit.size(), 2U);
  EXPECT_EQ(audit.back().command, "reconcile");
  EXPECT_EQ(audit.back().entity_id, pool[1].e164);
  EXPECT_NE(audit.back().before_json.find(desk.provider_agent_id), std::string::npos);
  EXPECT_EQ(m_store->find_operation(applied.operation_id)->requested_count, 2);
  EXPECT_TRUE(drift(reconcile(ReconcileMode::report)).empty());
}

TEST_F(ReconcileServiceTest, ImportIdsAreStoredFromTheProviderOrForgotten) {
  (void)buy(2);
  const auto pool = rows();
  (void)agent("front-desk");
  (void)assign(pool[0].e164, "front-desk");
  (void)assign(pool[1].e164, "front-desk");
  AssignmentService(m_provider, m_voice_agents, *m_store, "tester", "").unassign(pool[1].e164);
  const std::string imported = m_voice.import_id_of(pool[0].e164);
  const std::string removed = m_voice.import_id_of(pool[1].e164);
  m_store->set_agent_phone_number_id(pool[0].e164, ""); // the database lost it
  m_voice.remove_imported_number(removed);              // removed outside vami

  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{pool[0].e164, "import_drift would_repair"},
                                                {pool[1].e164, "import_drift would_repair"}}));
  EXPECT_EQ(finding_of(report, pool[0].e164).repair, Repair::store_import_id);
  EXPECT_EQ(finding_of(report, pool[0].e164).reported, imported);
  EXPECT_EQ(finding_of(report, pool[1].e164).repair, Repair::forget_import_id);
  EXPECT_EQ(finding_of(report, pool[1].e164).stored, removed);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_TRUE(applied.settled());
  EXPECT_EQ(m_store->find_number(pool[0].e164)->agent_phone_number_id, imported);
  EXPECT_EQ(m_store->find_number(pool[1].e164)->agent_phone_number_id, "");
  EXPECT_TRUE(drift(reconcile(ReconcileMode::report)).empty());
}

TEST_F(ReconcileServiceTest, AnAssignedNumberNoLongerImportedIsImportedAgainOnceNotInFlight) {
  (void)buy(1);
  const std::string e164 = rows()[0].e164;
  const Agent desk = agent("front-desk");
  (void)assign(e164, "front-desk");
  const std::string old_id = m_voice.import_id_of(e164);
  m_voice.remove_imported_number(old_id);

  // Assigned moments ago: an assignment may be importing it right now.
  auto fresh = reconcile(ReconcileMode::apply);
  EXPECT_EQ(finding_of(fresh, e164).kind, FindingKind::not_imported);
  EXPECT_EQ(outcome(finding_of(fresh, e164)), "none unresolved in_flight");
  EXPECT_EQ(m_voice.import_id_of(e164), "");

  auto applied = reconcile(ReconcileMode::apply, std::chrono::seconds(0));
  EXPECT_EQ(outcome(finding_of(applied, e164)), "import_number repaired");
  EXPECT_EQ(finding_of(applied, e164).stored, old_id);
  const std::string new_id = m_voice.import_id_of(e164);
  ASSERT_NE(new_id, "");
  EXPECT_NE(new_id, old_id);
  EXPECT_EQ(m_voice.agent_of(e164), desk.provider_agent_id);
  EXPECT_EQ(m_store->find_number(e164)->agent_phone_number_id, new_id);
  EXPECT_TRUE(applied.settled());
  EXPECT_TRUE(drift(reconcile(ReconcileMode::report, std::chrono::seconds(0))).empty());
}

// Issue 10, items 1 and 2: a native number whose voice URL is not ElevenLabs' is not answered,
// even when the database stored that same wrong voice URL; reconcile said "in sync".
TEST_F(ReconcileServiceTest, ANativeNumberWhoseCallsAreNotAnsweredIsRoutedAgain) {
  (void)buy(2);
  const auto pool = rows();
  const Agent desk = agent("front-desk");
  (void)assign(pool[0].e164, "front-desk");
  (void)assign(pool[1].e164, "front-desk");
  const std::string old_id = m_voice.import_id_of(pool[0].e164);
  // The round trip's end state: the provider and the database agree on an empty voice URL.
  m_provider.point(pool[0].e164, "");
  m_store->update_webhook(pool[0].e164, VoiceWebhook{});
  // Changed in Twilio's console: the database still has ElevenLabs' URL.
  m_provider.point(pool[1].e164, "https://someone.example.com/ivr");

  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{pool[0].e164, "voice_url_drift would_repair"},
                                                {pool[1].e164, "voice_url_drift would_repair"}}));
  EXPECT_FALSE(report.settled());
  const Finding& silent = finding_of(report, pool[0].e164);
  EXPECT_EQ(silent.repair, Repair::route_again);
  EXPECT_EQ(silent.routing_mode, RoutingMode::native);
  EXPECT_EQ(silent.reported_webhook.voice_url, "");
  EXPECT_EQ(finding_of(report, pool[1].e164).reported_webhook.voice_url,
            "https://someone.example.com/ivr");

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, pool[0].e164)), "route_again repaired");
  EXPECT_EQ(outcome(finding_of(applied, pool[1].e164)), "route_again repaired");
  EXPECT_TRUE(applied.settled());
  for (const auto& number : pool) {
    EXPECT_EQ(m_provider.voice_url_of(number.e164), MemoryVoiceAgentProvider::k_inbound);
    EXPECT_EQ(m_store->find_number(number.e164)->webhook.voice_url,
              MemoryVoiceAgentProvider::k_inbound);
    EXPECT_EQ(m_voice.agent_of(number.e164), desk.provider_agent_id);
    EXPECT_EQ(m_store->find_number(number.e164)->agent_phone_number_id,
              m_voice.import_id_of(number.e164));
    EXPECT_TRUE(m_store->find_number(number.e164)->routing_holder.empty());
  }
  EXPECT_NE(m_voice.import_id_of(pool[0].e164), old_id); // imported again
  EXPECT_EQ(m_store->list_audit({}).back().command, "reconcile");
  EXPECT_TRUE(drift(reconcile(ReconcileMode::report)).empty());
}

TEST_F(ReconcileServiceTest, AWebhookNumberIsCheckedAgainstTheRouterUrlForItsAgent) {
  m_router_url = "https://router.example.com/";
  (void)buy(3);
  const auto pool = rows();
  const Agent desk = agent("front-desk");
  const Agent office = agent("back-office");
  (void)assign(pool[0].e164, "front-desk", RoutingMode::webhook);
  (void)assign(pool[1].e164, "back-office", RoutingMode::webhook);
  // The first rings the router for another agent, the second rings ElevenLabs.
  m_provider.point(pool[0].e164,
                   "https://router.example.com/?agent_id=" + office.provider_agent_id);
  m_provider.point(pool[1].e164, MemoryVoiceAgentProvider::k_inbound);
  // The third was unassigned, but still rings the router.
  (void)assign(pool[2].e164, "front-desk", RoutingMode::webhook);
  AssignmentService(m_provider, m_voice_agents, *m_store, "tester", m_router_url)
      .unassign(pool[2].e164);
  m_provider.point(pool[2].e164, "https://router.example.com/?agent_id=" + desk.provider_agent_id);
  m_store->update_webhook(pool[2].e164, m_provider.owned().at(pool[2].e164).webhook);

  auto report = reconcile(ReconcileMode::report);
  EXPECT_EQ(drift(report),
            (std::map<std::string, std::string>{{pool[0].e164, "voice_url_drift would_repair"},
                                                {pool[1].e164, "voice_url_drift would_repair"},
                                                {pool[2].e164, "voice_url_drift would_repair"}}));
  EXPECT_EQ(finding_of(report, pool[0].e164).stored_webhook.voice_url,
            "https://router.example.com/?agent_id=" + desk.provider_agent_id);
  EXPECT_EQ(finding_of(report, pool[2].e164).repair, Repair::clear_voice_url);

  // Without the router URL the right one is unknown: reported, not repaired.
  m_router_url.clear();
  auto blind = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(blind, pool[0].e164)), "none unresolved no_router_url");
  EXPECT_EQ(outcome(finding_of(blind, pool[1].e164)), "none unresolved no_router_url");
  EXPECT_FALSE(blind.settled());

  m_router_url = "https://router.example.com/";
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_TRUE(applied.settled());
  EXPECT_EQ(m_provider.voice_url_of(pool[0].e164),
            "https://router.example.com/?agent_id=" + desk.provider_agent_id);
  EXPECT_EQ(m_provider.voice_url_of(pool[1].e164),
            "https://router.example.com/?agent_id=" + office.provider_agent_id);
  EXPECT_EQ(m_provider.voice_url_of(pool[2].e164), "");
  EXPECT_EQ(m_store->find_number(pool[2].e164)->webhook.voice_url, "");
  EXPECT_TRUE(drift(reconcile(ReconcileMode::report)).empty());
}

TEST_F(ReconcileServiceTest, AWebhookNumbersImportNamesNoAgent) {
  m_router_url = "https://router.example.com/";
  (void)buy(1);
  const std::string e164 = rows()[0].e164;
  const Agent desk = agent("front-desk");
  (void)assign(e164, "front-desk");
  AssignmentService(m_provider, m_voice_agents, *m_store, "tester", m_router_url).unassign(e164);
  (void)assign(e164, "front-desk", RoutingMode::webhook);
  (void)m_voice.set_number_agent(m_voice.import_id_of(e164), desk.provider_agent_id);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(applied), (std::map<std::string, std::string>{{e164, "agent_drift repaired"}}));
  EXPECT_EQ(m_voice.agent_of(e164), "");
  EXPECT_EQ(m_provider.voice_url_of(e164),
            "https://router.example.com/?agent_id=" + desk.provider_agent_id);
}

TEST_F(ReconcileServiceTest, AnAgentDeletedOutsideVamiIsOnlyReportedWithItsNumbers) {
  (void)buy(2);
  const auto pool = rows();
  const Agent desk = agent("front-desk");
  (void)assign(pool[0].e164, "front-desk");
  (void)add_text("front-desk", "Opening hours: 9 to 17");
  m_voice.delete_agent(desk.provider_agent_id);
  const std::string before = agents_text() + pool_text() + m_voice.state();

  auto applied = reconcile(ReconcileMode::apply, std::chrono::seconds(0));
  // Its document is not reported on its own: the agent's finding covers it.
  EXPECT_EQ(drift(applied),
            (std::map<std::string, std::string>{{"agent front-desk", "agent_ghost unresolved"},
                                                {pool[0].e164, "agent_drift unresolved"}}));
  const Finding& ghost = finding_of(applied, "agent front-desk");
  EXPECT_EQ(outcome(ghost), "none unresolved needs_person");
  EXPECT_EQ(ghost.provider_id, desk.provider_agent_id);
  EXPECT_EQ(ghost.tenant_slug, "acme");
  EXPECT_EQ(ghost.assigned_numbers, 1);
  EXPECT_EQ(outcome(finding_of(applied, pool[0].e164)), "none unresolved agent_gone");
  EXPECT_EQ(applied.agents_in_sync, 0);
  EXPECT_FALSE(applied.settled());
  EXPECT_EQ(agents_text() + pool_text() + m_voice.state(), before);
  EXPECT_EQ(m_store->find_operation(applied.operation_id)->requested_count, 0);
}

TEST_F(ReconcileServiceTest, AnInterruptedAgentCreationIsAdoptedByItsTagOrItsRowRemoved) {
  (void)agent("front-desk"); // the tenant
  for (const std::string slug : {"made", "lost"}) {
    Agent row;
    row.slug = slug;
    row.tenant_slug = "acme";
    row.name = "Agent " + slug;
    row.status = AgentStatus::creating;
    (void)m_store->insert_agent(row);
  }
  // The provider made "made" twice (a retry after a lost answer) and never made "lost".
  AgentDefinition definition;
  definition.name = "Agent made";
  definition.tags = {"vami", agent_tag("made"), "vami-tenant:acme"};
  const std::string first = m_voice.create_agent(definition);
  const std::string duplicate = m_voice.create_agent(definition);

  auto fresh = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(fresh),
            (std::map<std::string, std::string>{{"agent lost", "stale_creating unresolved"},
                                                {"agent made", "stale_creating unresolved"}}));
  EXPECT_EQ(finding_of(fresh, "agent made").holdup, Holdup::in_flight);
  EXPECT_EQ(m_store->find_agent("made")->status, AgentStatus::creating);

  age_agent("made");
  age_agent("lost");
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, "agent made")), "adopt_agent repaired");
  EXPECT_EQ(finding_of(applied, "agent made").reported, first);
  EXPECT_EQ(outcome(finding_of(applied, "agent lost")), "remove_agent_row repaired");
  // The duplicate is vami's, but no row accounts for it: a person decides.
  const Finding& orphan = finding_of(applied, "agent " + duplicate);
  EXPECT_EQ(outcome(orphan), "none unresolved needs_person");
  EXPECT_EQ(orphan.agent_slug, "made");
  EXPECT_EQ(orphan.tenant_slug, "acme");
  auto made = m_store->find_agent("made");
  ASSERT_TRUE(made.has_value());
  EXPECT_EQ(made->status, AgentStatus::active);
  EXPECT_EQ(made->provider_agent_id, first);
  EXPECT_FALSE(m_store->find_agent("lost").has_value());
  EXPECT_TRUE(m_voice.has_agent(duplicate));

  auto again = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(again), (std::map<std::string, std::string>{
                              {"agent " + duplicate, "agent_orphan unresolved"}}));
  EXPECT_EQ(again.agents_in_sync, 2);
}

TEST_F(ReconcileServiceTest, AnInterruptedAgentDeletionIsFinishedOnlyWhenTheProviderHasNoAgent) {
  const Agent gone = agent("gone");
  const Agent kept = agent("kept");
  for (const std::string slug : {"gone", "kept"}) {
    Agent row = *m_store->find_agent(slug);
    row.status = AgentStatus::deleting;
    (void)m_store->update_agent(row);
    age_agent(slug);
  }
  m_voice.delete_agent(gone.provider_agent_id);

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(finding_of(applied, "agent gone")), "remove_agent_row repaired");
  EXPECT_FALSE(m_store->find_agent("gone").has_value());
  const Finding& unfinished = finding_of(applied, "agent kept");
  EXPECT_EQ(unfinished.kind, FindingKind::stale_deleting);
  EXPECT_EQ(outcome(unfinished), "none unresolved needs_person");
  EXPECT_EQ(unfinished.reported, kept.provider_agent_id);
  EXPECT_EQ(m_store->find_agent("kept")->status, AgentStatus::deleting);
  EXPECT_TRUE(m_voice.has_agent(kept.provider_agent_id));
}

TEST_F(ReconcileServiceTest, ADocumentDeletedOutsideVamiIsForgottenSoItCanBeAddedAgain) {
  (void)agent("front-desk");
  const Document kept = add_text("front-desk", "Opening hours: 9 to 17");
  const Document gone = add_text("front-desk", "We sell shoes");
  m_voice.delete_document(gone.provider_document_id);
  const std::string subject = "document " + gone.provider_document_id;

  // Added moments ago: a `kb add` may be attaching it right now.
  auto fresh = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(fresh),
            (std::map<std::string, std::string>{{subject, "document_ghost unresolved"}}));
  EXPECT_EQ(finding_of(fresh, subject).holdup, Holdup::in_flight);
  EXPECT_EQ(m_store->list_documents("front-desk").size(), 2U);

  auto applied = reconcile(ReconcileMode::apply, std::chrono::seconds(0));
  const Finding& forgotten = finding_of(applied, subject);
  EXPECT_EQ(outcome(forgotten), "forget_document repaired");
  EXPECT_EQ(forgotten.agent_slug, "front-desk");
  EXPECT_EQ(forgotten.name, gone.name);
  EXPECT_EQ(applied.documents_in_sync, 1);
  auto documents = m_store->list_documents("front-desk");
  ASSERT_EQ(documents.size(), 1U);
  EXPECT_EQ(documents[0].provider_document_id, kept.provider_document_id);
  EXPECT_TRUE(applied.settled());
  // The same text is no longer taken for a duplicate.
  EXPECT_TRUE(KnowledgeBaseService(m_voice_agents, *m_store, "tester")
                  .add_text("front-desk", "We sell shoes", "")
                  .created);
  EXPECT_TRUE(drift(reconcile(ReconcileMode::report, std::chrono::seconds(0))).empty());
}

// --- knowledge-base uploads whose answer was lost (issue 10, item 8) ---------------------------

/// The intent a `kb add` records before it uploads, as one that died after recording it leaves.
Document upload_intent(StateStore& store, const std::string& agent_slug, const std::string& text,
                       const std::string& holder) {
  Document document;
  document.agent_slug = agent_slug;
  document.name = "hours";
  document.source_kind = DocumentSourceKind::text;
  document.sha256 = sha256_hex(text);
  document.status = DocumentStatus::uploading;
  document.upload_name = document_upload_name(document);
  document.holder = holder;
  return store.insert_document(document);
}

std::vector<Finding> findings_of(const ReconcileReport& report, FindingKind kind) {
  std::vector<Finding> found;
  for (const auto& finding : report.findings) {
    if (finding.kind == kind) {
      found.push_back(finding);
    }
  }
  return found;
}

TEST_F(ReconcileServiceTest, AnUploadWhoseAnswerWasLostIsAdoptedAndAttached) {
  const Agent desk = agent("front-desk");
  const Document kept = add_text("front-desk", "Parking is free.");
  const Document intent = upload_intent(*m_store, "front-desk", "Open 9 to 5.", "");
  const std::string id = m_voice.seed_document(intent.upload_name); // the provider made it

  auto report = reconcile(ReconcileMode::report);
  auto found = findings_of(report, FindingKind::document_uploading);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(outcome(found[0]), "adopt_document would_repair");
  EXPECT_EQ(found[0].reported, id);
  EXPECT_FALSE(report.settled());
  EXPECT_TRUE(findings_of(report, FindingKind::document_orphan).empty());

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(findings_of(applied, FindingKind::document_uploading).at(0)),
            "adopt_document repaired");
  auto rows = m_store->list_documents("front-desk");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[1].status, DocumentStatus::active);
  EXPECT_EQ(rows[1].provider_document_id, id);
  std::vector<std::string> attached;
  const std::optional<ProviderAgent> at_provider = m_voice.get_agent(desk.provider_agent_id);
  ASSERT_TRUE(at_provider.has_value());
  for (const auto& ref : at_provider->definition.knowledge_base) {
    attached.push_back(ref.document_id);
  }
  EXPECT_EQ(attached, (std::vector<std::string>{kept.provider_document_id, id}));
  EXPECT_TRUE(reconcile(ReconcileMode::apply).settled());
}

TEST_F(ReconcileServiceTest, AnUploadThatNeverHappenedIsForgottenAndOneInFlightIsLeftAlone) {
  (void)agent("front-desk");
  (void)upload_intent(*m_store, "front-desk", "Open 9 to 5.", "");
  const Document running =
      upload_intent(*m_store, "front-desk", "Closed on Sundays.", current_process_holder());

  auto applied = reconcile(ReconcileMode::apply);
  auto found = findings_of(applied, FindingKind::document_uploading);
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(outcome(found[0]), "forget_upload repaired");
  EXPECT_EQ(outcome(found[1]), "none unresolved in_flight");
  auto rows = m_store->list_documents("front-desk");
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].upload_name, running.upload_name);
}

TEST_F(ReconcileServiceTest, AnUnattachedUploadUnderAVamiNameIsDeletedAndOthersAreLeftAlone) {
  (void)agent("front-desk");
  (void)add_text("front-desk", "Parking is free.");
  const std::string lost = m_voice.seed_document("vami:front-desk:0123456789ab hours");
  const std::string theirs = m_voice.seed_document("price list");

  auto report = reconcile(ReconcileMode::report);
  auto found = findings_of(report, FindingKind::document_orphan);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].provider_id, lost);
  EXPECT_EQ(found[0].agent_slug, "front-desk");
  EXPECT_EQ(outcome(found[0]), "delete_document would_repair");
  EXPECT_TRUE(m_voice.has_document(lost));

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(outcome(findings_of(applied, FindingKind::document_orphan).at(0)),
            "delete_document repaired");
  EXPECT_FALSE(m_voice.has_document(lost));
  EXPECT_TRUE(m_voice.has_document(theirs));
  EXPECT_TRUE(reconcile(ReconcileMode::apply).settled());
}

TEST_F(ReconcileServiceTest, OnlyAgentsWithAVamiTagUnknownLocallyAreReportedAsOrphans) {
  AgentDefinition leftover;
  leftover.name = "Leftover";
  leftover.tags = {"vami", agent_tag("leftover"), "vami-tenant:gone"};
  AgentDefinition foreign;
  foreign.name = "Someone else's";
  foreign.tags = {"support"};
  const std::string id = m_voice.create_agent(leftover);
  (void)m_voice.create_agent(foreign);
  const std::string before = m_voice.state();

  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(applied),
            (std::map<std::string, std::string>{{"agent " + id, "agent_orphan unresolved"}}));
  const Finding& orphan = finding_of(applied, "agent " + id);
  EXPECT_EQ(orphan.subject, Subject::agent);
  EXPECT_EQ(orphan.name, "Leftover");
  EXPECT_EQ(orphan.agent_slug, "leftover");
  EXPECT_EQ(orphan.tenant_slug, "gone");
  EXPECT_EQ(orphan.repair, Repair::none);
  EXPECT_FALSE(applied.settled());
  EXPECT_EQ(m_voice.state(), before);
}

TEST_F(ReconcileServiceTest, AFailedVoiceAgentListingOrLookupChangesNothing) {
  (void)buy(2);
  const auto pool = rows();
  (void)agent("front-desk");
  (void)assign(pool[0].e164, "front-desk");
  (void)add_text("front-desk", "Opening hours: 9 to 17");
  // Drift on both sides that --apply would repair.
  m_provider.release(pool[1].provider_sid);
  (void)m_voice.set_number_agent(m_voice.import_id_of(pool[0].e164), "");
  const std::string before = state();
  // The voice-agent side reads: the agents, the imported numbers, vami's uploads, one
  // knowledge base.
  for (int n = 1; n <= 4; ++n) {
    for (auto kind : {ErrorKind::unavailable, ErrorKind::auth, ErrorKind::rate_limited}) {
      m_voice.fail_at(m_voice.calls() + n, kind);
      try {
        (void)reconcile(ReconcileMode::apply);
        ADD_FAILURE() << "reconcile went on after read " << n << " failed";
      } catch (const Error& error) {
        EXPECT_EQ(error.kind(), kind);
      }
      EXPECT_EQ(state(), before) << "read " << n << ", " << to_string(kind);
    }
  }
  EXPECT_EQ(drift(reconcile(ReconcileMode::apply)).size(), 2U);
}

TEST_F(ReconcileServiceTest, ARepairTheProviderRefusesIsLeftForTheNextRun) {
  (void)buy(2);
  const auto pool = rows();
  const Agent desk = agent("front-desk");
  (void)assign(pool[0].e164, "front-desk");
  (void)assign(pool[1].e164, "front-desk");
  for (const auto& row : pool) {
    (void)m_voice.set_number_agent(m_voice.import_id_of(row.e164), "");
  }
  // Reads: the agents, the imported numbers and vami's uploads; then the first repair fails.
  m_voice.fail_at(m_voice.calls() + 4, ErrorKind::unavailable);
  auto applied = reconcile(ReconcileMode::apply);
  const Finding& refused = finding_of(applied, pool[0].e164);
  EXPECT_EQ(outcome(refused), "set_provider_agent unresolved refused");
  EXPECT_NE(refused.error.find("injected"), std::string::npos);
  EXPECT_EQ(outcome(finding_of(applied, pool[1].e164)), "set_provider_agent repaired");
  EXPECT_FALSE(applied.settled());
  EXPECT_EQ(m_store->find_operation(applied.operation_id)->status, OperationStatus::partial);
  auto items = m_store->list_items(applied.operation_id);
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].outcome, ItemOutcome::failed);
  EXPECT_EQ(items[1].outcome, ItemOutcome::succeeded);

  EXPECT_TRUE(reconcile(ReconcileMode::apply).settled());
  EXPECT_EQ(m_voice.agent_of(pool[0].e164), desk.provider_agent_id);
}

TEST_F(ReconcileServiceTest, ANumberGoneAtTheTelephonyProviderIsOnlyAGhost) {
  (void)buy(1);
  const auto row = rows()[0];
  (void)agent("front-desk");
  (void)assign(row.e164, "front-desk");
  m_provider.release(row.provider_sid); // still imported at the voice-agent provider
  auto applied = reconcile(ReconcileMode::apply);
  EXPECT_EQ(drift(applied), (std::map<std::string, std::string>{{row.e164, "ghost repaired"}}));
  EXPECT_EQ(m_store->find_number(row.e164)->status, NumberStatus::released);
  EXPECT_TRUE(drift(reconcile(ReconcileMode::apply)).empty());
}

TEST_F(ReconcileServiceTest, WithoutAVoiceAgentProviderTheTelephonySideStillRuns) {
  (void)buy(2);
  m_provider.release(rows()[0].provider_sid);
  ReconcileService telephony_only(m_provider, nullptr, *m_store, "tester");
  auto report = telephony_only.reconcile(ReconcileMode::apply);
  EXPECT_EQ(report.voice_agents, VoiceAgentCoverage::not_needed);
  EXPECT_EQ(report.counts.at(FindingKind::ghost), 1);
  EXPECT_TRUE(report.settled());

  (void)agent("front-desk");
  auto skipped = telephony_only.reconcile(ReconcileMode::report);
  EXPECT_EQ(skipped.voice_agents, VoiceAgentCoverage::skipped);
  EXPECT_TRUE(drift(skipped).empty());
  EXPECT_FALSE(skipped.settled()); // what the database holds at ElevenLabs went unchecked
  EXPECT_EQ(m_voice.count("list_agents"), 0);
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
  EXPECT_STREQ(to_string(FindingKind::suspension_drift), "suspension_drift");
  EXPECT_STREQ(to_string(Repair::answer_out_of_service), "answer_out_of_service");
  EXPECT_STREQ(to_string(FindingKind::agent_drift), "agent_drift");
  EXPECT_STREQ(to_string(FindingKind::voice_url_drift), "voice_url_drift");
  EXPECT_STREQ(to_string(Repair::route_again), "route_again");
  EXPECT_STREQ(to_string(Repair::clear_voice_url), "clear_voice_url");
  EXPECT_STREQ(to_string(Holdup::no_router_url), "no_router_url");
  EXPECT_STREQ(to_string(FindingKind::document_ghost), "document_ghost");
  EXPECT_STREQ(to_string(FindingKind::document_uploading), "document_uploading");
  EXPECT_STREQ(to_string(FindingKind::document_orphan), "document_orphan");
  EXPECT_STREQ(to_string(Repair::delete_document), "delete_document");
  EXPECT_STREQ(to_string(Repair::set_provider_agent), "set_provider_agent");
  EXPECT_STREQ(to_string(Holdup::needs_person), "needs_person");
  EXPECT_STREQ(to_string(Subject::document), "document");
  EXPECT_STREQ(to_string(VoiceAgentCoverage::skipped), "skipped");
  EXPECT_STREQ(to_string(Resolution::would_repair), "would_repair");
  EXPECT_STREQ(to_string(OperationKind::reconcile), "reconcile");
}

} // namespace
} // namespace vami
