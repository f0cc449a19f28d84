#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "service_fixture.hpp"
#include <gtest/gtest.h>

#include <vami/core/agent_service.hpp>
#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/knowledge_base_service.hpp>

namespace vami {
namespace {

using test::contains;
using test::error_of;
using test::kind_of;

class KnowledgeBaseServiceTest : public test::ServiceTest {
protected:
  KnowledgeBaseServiceTest() : m_kb(m_voice_agents, *m_store, "tester") {
    make_tenant("acme");
    m_agent = make_agent("acme", "front-desk");
  }

  std::filesystem::path write(const std::string& name, const std::string& content) {
    auto path = m_dir / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // A minimal 64-bit ELF executable header: what libmagic calls an executable.
  std::filesystem::path executable(const std::string& name) {
    std::string elf(64, '\0');
    elf.replace(0, 7,
                "\x7f"
                "ELF\x02\x01\x01");
    elf[16] = '\x02'; // ET_EXEC
    elf[18] = '\x3e'; // x86-64
    elf[20] = '\x01'; // EV_CURRENT
    return write(name, elf);
  }

  // The document ids the agent references at the provider, in order.
  std::vector<std::string> attached() {
    const auto agents = m_voice.agents();
    std::vector<std::string> ids;
    for (const auto& ref : agents.at(m_agent.provider_agent_id).definition.knowledge_base) {
      ids.push_back(ref.document_id);
    }
    return ids;
  }

  std::vector<std::string> stored_ids() {
    std::vector<std::string> ids;
    for (const Document& document : m_store->list_documents(m_agent.slug)) {
      ids.push_back(document.provider_document_id);
    }
    return ids;
  }

  KnowledgeBaseService m_kb;
  Agent m_agent;
};

TEST_F(KnowledgeBaseServiceTest, AddsFilesUploadingRecordingAndAttachingEach) {
  auto faq = write("faq.txt", "Q: Do you take walk-ins?\nA: Yes, before noon.\n");
  auto hours = write("hours.md", "# Opening hours\n\n* Monday to Friday: 9-17\n");
  auto outcomes = m_kb.add_files(m_agent.slug, {faq, hours}, "");
  ASSERT_EQ(outcomes.size(), 2U);
  EXPECT_TRUE(outcomes[0].created);
  EXPECT_TRUE(outcomes[1].created);
  EXPECT_EQ(m_voice.methods(), (std::vector<std::string>{"add_document_file", "update_agent",
                                                         "add_document_file", "update_agent"}));
  const Document& first = outcomes[0].document;
  EXPECT_EQ(first.name, "faq.txt");
  EXPECT_EQ(first.source_kind, DocumentSourceKind::file);
  EXPECT_EQ(first.mime_type, "text/plain");
  EXPECT_EQ(first.sha256, sha256_hex("Q: Do you take walk-ins?\nA: Yes, before noon.\n"));
  EXPECT_EQ(outcomes[1].document.mime_type, "text/markdown");

  auto documents = m_voice.documents();
  ASSERT_EQ(documents.size(), 2U);
  EXPECT_EQ(documents.at(first.provider_document_id).content,
            "Q: Do you take walk-ins?\nA: Yes, before noon.\n");
  EXPECT_EQ(documents.at(first.provider_document_id).mime_type, "text/plain");
  EXPECT_EQ(attached(), stored_ids());
  EXPECT_EQ(attached().size(), 2U);
  auto entries = audit();
  EXPECT_EQ(entries.back().command, "kb add");
  EXPECT_EQ(entries.back().entity_type, "document");
  EXPECT_EQ(entries.back().tenant_slug, "acme");
}

TEST_F(KnowledgeBaseServiceTest, OneBadFileAmongSeveralUploadsNothing) {
  auto good = write("faq.txt", "Q: Parking?\nA: Behind the building.\n");
  auto empty = write("empty.txt", "");
  auto program = executable("faq.pdf"); // named like a PDF, typed by its content
  auto missing = m_dir / "missing.txt";
  for (const auto& bad : {empty, program, missing, m_dir.path()}) {
    Error error = error_of([&] { m_kb.add_files(m_agent.slug, {good, bad}, ""); });
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << bad;
    EXPECT_TRUE(contains(error.what(), bad.string())) << error.what();
  }
  Error typed = error_of([&] { m_kb.add_files(m_agent.slug, {good, program}, ""); });
  EXPECT_TRUE(contains(typed.what(), "executable")) << typed.what();
  EXPECT_TRUE(m_voice.calls().empty());
  EXPECT_TRUE(m_voice.documents().empty());
  EXPECT_TRUE(m_store->list_documents(m_agent.slug).empty());
}

TEST_F(KnowledgeBaseServiceTest, SameContentIsNotUploadedTwiceToOneAgent) {
  auto faq = write("faq.txt", "Q: Parking?\nA: Behind the building.\n");
  auto copy = write("copy-of-faq.txt", "Q: Parking?\nA: Behind the building.\n");
  auto first = m_kb.add_files(m_agent.slug, {faq}, "");
  auto again = m_kb.add_files(m_agent.slug, {copy}, "");
  ASSERT_EQ(again.size(), 1U);
  EXPECT_FALSE(again[0].created);
  EXPECT_EQ(again[0].document.provider_document_id, first[0].document.provider_document_id);
  EXPECT_EQ(m_voice.count("add_document_file"), 1);
  EXPECT_EQ(m_voice.documents().size(), 1U);

  // Another agent may hold the same content.
  Agent other = make_agent("acme", "night-line", "Night Line");
  EXPECT_TRUE(m_kb.add_files(other.slug, {faq}, "")[0].created);
  EXPECT_EQ(m_voice.count("add_document_file"), 1); // calls were cleared by make_agent
  EXPECT_EQ(m_voice.documents().size(), 2U);
}

TEST_F(KnowledgeBaseServiceTest, SameTextOrUrlIsNotAddedTwice) {
  auto first = m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours");
  EXPECT_FALSE(m_kb.add_text(m_agent.slug, "Open 9 to 5.", "other name").created);
  auto url = m_kb.add_url(m_agent.slug, "https://acme.example.com/faq", "");
  EXPECT_FALSE(m_kb.add_url(m_agent.slug, "https://acme.example.com/faq", "").created);
  EXPECT_EQ(m_voice.count("add_document_text"), 1);
  EXPECT_EQ(m_voice.count("add_document_url"), 1);
  EXPECT_EQ(m_store->list_documents(m_agent.slug).size(), 2U);
  // A URL without a name takes the provider's name for it.
  EXPECT_EQ(url.document.name, "https://acme.example.com/faq");
  EXPECT_EQ(url.document.source, "https://acme.example.com/faq");
  EXPECT_EQ(first.document.sha256, sha256_hex("Open 9 to 5."));
}

TEST_F(KnowledgeBaseServiceTest, BadArgumentsChangeNothing) {
  auto faq = write("faq.txt", "Q: Parking?\nA: Behind the building.\n");
  auto more = write("more.txt", "Q: Cards?\nA: All of them.\n");
  EXPECT_EQ(kind_of([&] { m_kb.add_files(m_agent.slug, {}, ""); }), ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] {
              m_kb.add_files(m_agent.slug, {faq, more}, "one name");
            }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { m_kb.add_files("nobody", {faq}, ""); }), ErrorKind::not_found);
  for (const char* url : {"ftp://acme.example.com/faq", "acme.example.com", "https://",
                          "https://acme.example.com/a b", "file:///etc/passwd"}) {
    EXPECT_EQ(kind_of([&] { m_kb.add_url(m_agent.slug, url, ""); }), ErrorKind::invalid_input)
        << url;
  }
  EXPECT_EQ(kind_of([&] { m_kb.add_text(m_agent.slug, " \n\t", ""); }), ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { m_kb.add_text(m_agent.slug, "bad \xff utf-8", ""); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { m_kb.add_text(m_agent.slug, "text", "bad\nname"); }),
            ErrorKind::invalid_input);
  EXPECT_TRUE(m_voice.calls().empty());
  EXPECT_TRUE(m_store->list_documents(m_agent.slug).empty());
}

TEST_F(KnowledgeBaseServiceTest, TextIsNamedByItsFirstLineShortened) {
  auto short_text = m_kb.add_text(m_agent.slug, "\n  Opening hours\nMonday 9-17", "");
  EXPECT_EQ(short_text.document.name, "Opening hours");
  EXPECT_EQ(short_text.document.source_kind, DocumentSourceKind::text);
  // Uploaded under its vami name, which ends with the name.
  EXPECT_EQ(m_voice.calls_of("add_document_text").back().argument, short_text.document.upload_name);
  EXPECT_TRUE(short_text.document.upload_name.ends_with(" Opening hours"));

  // Cut at 60 bytes, never inside a UTF-8 sequence, and never dropping one that fits.
  struct Case {
    std::string line;
    std::string name;
  };
  const std::string a58(58, 'a');
  const std::string a59(59, 'a');
  for (const Case& c :
       std::vector<Case>{{a58 + "\xc3\xa9\xc3\xa9 and more", a58 + "\xc3\xa9..."}, // "é" ends at 60
                         {a59 + "\xc3\xa9 and more", a59 + "..."},     // "é" straddles 60
                         {a58 + "\xe2\x82\xac and more", a58 + "..."}, // "€" straddles 60
                         {std::string(70, 'b'), std::string(60, 'b') + "..."},
                         {std::string(60, 'c'), std::string(60, 'c')}}) {
    auto outcome = m_kb.add_text(m_agent.slug, c.line, "");
    EXPECT_EQ(outcome.document.name, c.name) << c.line;
    EXPECT_TRUE(is_valid_utf8(outcome.document.name)) << c.line;
  }
}

TEST_F(KnowledgeBaseServiceTest, FailedAttachDeletesTheUploadAndTheRow) {
  auto kept = m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours");
  m_voice.clear_calls();
  m_voice.fail_next("update_agent", {ErrorKind::provider, false});
  auto faq = write("faq.txt", "Q: Parking?\nA: Behind the building.\n");
  EXPECT_EQ(kind_of([&] { m_kb.add_files(m_agent.slug, {faq}, ""); }), ErrorKind::provider);

  auto calls = m_voice.calls();
  ASSERT_EQ(calls.size(), 3U);
  EXPECT_EQ(calls[0].method, "add_document_file");
  EXPECT_EQ(calls[1].method, "update_agent");
  EXPECT_EQ(calls[2].method, "delete_document");
  EXPECT_NE(calls[2].argument, kept.document.provider_document_id);
  EXPECT_EQ(m_voice.documents().size(), 1U);
  EXPECT_EQ(stored_ids(), (std::vector<std::string>{kept.document.provider_document_id}));
  EXPECT_EQ(attached(), stored_ids());
  // And it can be added later.
  EXPECT_TRUE(m_kb.add_files(m_agent.slug, {faq}, "")[0].created);
}

TEST_F(KnowledgeBaseServiceTest, AStopStartsNoFurtherUpload) {
  auto faq = write("faq.txt", "Q: Do you take walk-ins?\nA: Yes.\n");
  auto hours = write("hours.txt", "Open 9 to 5.\n");
  auto prices = write("prices.txt", "A check-up is 80 USD.\n");
  int polls = 0;
  auto outcomes =
      m_kb.add_files(m_agent.slug, {faq, hours, prices}, "", [&] { return ++polls > 1; });
  ASSERT_EQ(outcomes.size(), 1U);
  EXPECT_EQ(outcomes[0].document.name, "faq.txt");
  EXPECT_EQ(m_voice.count("add_document_file"), 1);
  EXPECT_EQ(stored_ids(), attached());
  // The rest is added by the same call again; the first is not uploaded twice.
  outcomes = m_kb.add_files(m_agent.slug, {faq, hours, prices}, "");
  ASSERT_EQ(outcomes.size(), 3U);
  EXPECT_FALSE(outcomes[0].created);
  EXPECT_EQ(m_voice.count("add_document_file"), 3);
}

TEST_F(KnowledgeBaseServiceTest, AnUploadThatDidNotHappenRecordsNothing) {
  m_voice.fail_next("add_document_text", {ErrorKind::unavailable, false});
  Error error = error_of([&] { m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours"); });
  EXPECT_EQ(error.kind(), ErrorKind::unavailable) << error.what();
  // It looked for the upload by its name before saying so.
  EXPECT_EQ(m_voice.methods(), (std::vector<std::string>{"add_document_text", "list_documents"}));
  EXPECT_TRUE(m_store->list_documents(m_agent.slug).empty());
  EXPECT_TRUE(m_voice.documents().empty());
}

// An upload the provider carried out but whose answer was lost is found again by its name:
// recorded and attached, never left at the provider unknown to vami, never uploaded twice.
TEST_F(KnowledgeBaseServiceTest, LostUploadAnswerLeavesNoUntrackedDocument) {
  m_voice.fail_next("add_document_text", {ErrorKind::unavailable, /*acted=*/true});
  DocumentOutcome added = m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours");
  EXPECT_TRUE(added.created);
  EXPECT_EQ(added.document.name, "hours");
  std::vector<std::string> known = stored_ids();
  for (const auto& [id, document] : m_voice.documents()) {
    EXPECT_NE(std::find(known.begin(), known.end(), id), known.end())
        << "document " << id << " is at the provider but not in the database";
  }
  EXPECT_EQ(m_voice.documents().size(), 1U);
  EXPECT_EQ(attached(), known);
  EXPECT_EQ(m_voice.count("add_document_text"), 1);
}

TEST_F(KnowledgeBaseServiceTest, AnUploadNamesTheDocumentSoThatItCanBeFoundAgain) {
  auto added = m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours").document;
  const std::string expected =
      "vami:" + m_agent.slug + ":" + sha256_hex("Open 9 to 5.").substr(0, 12) + " hours";
  EXPECT_EQ(added.upload_name, expected);
  EXPECT_EQ(added.status, DocumentStatus::active);
  EXPECT_EQ(m_voice.documents().at(added.provider_document_id).name, expected);
}

TEST_F(KnowledgeBaseServiceTest, AnUploadThatCannotBeLookedForIsUncertainAndARerunFinishesIt) {
  m_voice.fail_next("add_document_text", {ErrorKind::unavailable, /*acted=*/true});
  m_voice.fail_next("list_documents", {ErrorKind::unavailable, false});
  Error error = error_of([&] { m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours"); });
  EXPECT_EQ(error.kind(), ErrorKind::uncertain);
  EXPECT_TRUE(contains(error.what(), "hours")) << error.what();
  // The intent stays, so the document the provider made is not lost.
  auto rows = m_store->list_documents(m_agent.slug);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].status, DocumentStatus::uploading);
  EXPECT_TRUE(attached().empty());
  // The same command again finds the upload instead of sending a second copy.
  DocumentOutcome again = m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours");
  EXPECT_TRUE(again.created);
  EXPECT_EQ(m_voice.count("add_document_text"), 1);
  EXPECT_EQ(m_voice.documents().size(), 1U);
  EXPECT_EQ(stored_ids(), attached());
  EXPECT_EQ(m_store->list_documents(m_agent.slug)[0].status, DocumentStatus::active);
}

TEST_F(KnowledgeBaseServiceTest, AnAgentDeletedWithAnUploadInDoubtTakesTheUploadAlong) {
  m_voice.fail_next("add_document_url", {ErrorKind::unavailable, /*acted=*/true});
  m_voice.fail_next("list_documents", {ErrorKind::unavailable, false});
  EXPECT_EQ(kind_of([&] { m_kb.add_url(m_agent.slug, "https://acme.example.com/faq", ""); }),
            ErrorKind::uncertain);
  ASSERT_EQ(m_voice.documents().size(), 1U);
  AgentService(m_voice_agents, *m_store, "tester").remove(m_agent.slug);
  EXPECT_TRUE(m_voice.documents().empty());
}

TEST_F(KnowledgeBaseServiceTest, RefusedUploadIsTheProvidersError) {
  m_voice.fail_next("add_document_url", {ErrorKind::invalid_input, false});
  EXPECT_EQ(kind_of([&] { m_kb.add_url(m_agent.slug, "https://acme.example.com/", ""); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(m_voice.count("update_agent"), 0);
  EXPECT_TRUE(m_store->list_documents(m_agent.slug).empty());
}

TEST_F(KnowledgeBaseServiceTest, RemoveDetachesBeforeDeleting) {
  auto hours = m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours");
  auto faq = m_kb.add_url(m_agent.slug, "https://acme.example.com/faq", "faq");
  m_voice.clear_calls();
  Document removed = m_kb.remove(m_agent.slug, "hours");
  EXPECT_EQ(removed.provider_document_id, hours.document.provider_document_id);

  auto calls = m_voice.calls();
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].method, "update_agent");
  EXPECT_EQ(calls[1].method, "delete_document");
  EXPECT_EQ(calls[1].argument, hours.document.provider_document_id);
  EXPECT_EQ(m_voice.deleted_while_referenced(), 0);
  EXPECT_EQ(attached(), (std::vector<std::string>{faq.document.provider_document_id}));
  EXPECT_EQ(stored_ids(), attached());
  EXPECT_EQ(m_voice.documents().count(hours.document.provider_document_id), 0U);
  EXPECT_EQ(audit().back().command, "kb remove");

  // By provider id too, down to an empty knowledge base.
  m_kb.remove(m_agent.slug, faq.document.provider_document_id);
  EXPECT_TRUE(attached().empty());
  EXPECT_TRUE(m_voice.documents().empty());
}

TEST_F(KnowledgeBaseServiceTest, FailedDetachDeletesNothing) {
  auto hours = m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours");
  m_voice.clear_calls();
  m_voice.fail_next("update_agent", {ErrorKind::unavailable, false});
  EXPECT_EQ(kind_of([&] { m_kb.remove(m_agent.slug, "hours"); }), ErrorKind::unavailable);
  EXPECT_EQ(m_voice.count("delete_document"), 0);
  EXPECT_EQ(stored_ids(), (std::vector<std::string>{hours.document.provider_document_id}));
  EXPECT_EQ(attached(), stored_ids());
}

TEST_F(KnowledgeBaseServiceTest, RemoveFinishesWhenTheProviderAlreadyForgotTheDocument) {
  auto hours = m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours");
  m_voice.fail_next("delete_document", {ErrorKind::not_found, false});
  m_kb.remove(m_agent.slug, "hours");
  EXPECT_TRUE(m_store->list_documents(m_agent.slug).empty());
}

TEST_F(KnowledgeBaseServiceTest, RemoveNeedsOneMatchingDocument) {
  m_kb.add_text(m_agent.slug, "Open 9 to 5.", "hours");
  m_kb.add_text(m_agent.slug, "Closed on Sundays.", "hours");
  m_voice.clear_calls();
  EXPECT_EQ(kind_of([&] { m_kb.remove(m_agent.slug, "hours"); }), ErrorKind::conflict);
  EXPECT_EQ(kind_of([&] { m_kb.remove(m_agent.slug, "menu"); }), ErrorKind::not_found);
  EXPECT_EQ(kind_of([&] { m_kb.remove("nobody", "hours"); }), ErrorKind::not_found);
  EXPECT_TRUE(m_voice.calls().empty());
  EXPECT_EQ(m_kb.list(m_agent.slug).size(), 2U);
}

TEST_F(KnowledgeBaseServiceTest, AnAgentStillBeingCreatedTakesNoDocument) {
  m_voice.fail_next("create_agent", {ErrorKind::unavailable, /*acted=*/true});
  m_voice.fail_next("list_agents", {ErrorKind::unavailable, false});
  AgentService agents(m_voice_agents, *m_store, "tester");
  AgentRequest request;
  request.tenant_slug = "acme";
  request.name = "Night Line";
  EXPECT_EQ(kind_of([&] { agents.create(request); }), ErrorKind::uncertain);
  m_voice.clear_calls();
  EXPECT_EQ(kind_of([&] { m_kb.add_text("night-line", "Open 9 to 5.", ""); }), ErrorKind::conflict);
  EXPECT_TRUE(m_voice.calls().empty());
}

} // namespace
} // namespace vami
