// The Synthflow client's knowledge bases and phone numbers against a fake HTTP client.
#include "synthflow_test_support.hpp"

namespace vami::synthflow::test_support {
namespace {

TEST(SynthflowKnowledge, AUrlIsAKnowledgeBaseWithOneWebOrPdfSource) {
  Fixture f;
  f.http.push_response(200, ok({{"knowledge_base_id", "kb-1"}}));
  f.http.push_response(200, ok({{"source_id", "s-1"}}));
  ProviderDocument document = f.provider->add_document_url("https://acme.example/faq", "FAQ");
  EXPECT_EQ(document.document_id, "kb-1");
  EXPECT_EQ(document.name, "FAQ");
  EXPECT_EQ(calls_of(f.http), (std::vector<std::string>{"POST /knowledge_base",
                                                        "POST /knowledge_base/kb-1/sources"}));
  EXPECT_EQ(body_of(f.http.requests()[0]), (json{{"name", "FAQ"}}));
  EXPECT_EQ(body_of(f.http.requests()[1]),
            (json{{"type", "web"}, {"url", "https://acme.example/faq"}, {"name", "FAQ"}}));

  f.http.push_response(200, ok({{"knowledge_base_id", "kb-2"}}));
  f.http.push_response(200, ok({{"source_id", "s-2"}}));
  (void)f.provider->add_document_url("https://acme.example/Prices.PDF?v=2", "Prices");
  EXPECT_EQ(body_of(f.http.last_request())["type"], "pdf");
}

TEST(SynthflowKnowledge, ATextAndATextFileAreTextSources) {
  Fixture f;
  f.http.push_response(200, ok({{"knowledge_base_id", "kb-1"}}));
  f.http.push_response(200, ok({{"source_id", "s-1"}}));
  (void)f.provider->add_document_text("Open 9 to 17.", "Hours");
  EXPECT_EQ(body_of(f.http.last_request()),
            (json{{"type", "text"}, {"content", "Open 9 to 17."}, {"name", "Hours"}}));
  f.http.push_response(200, ok({{"knowledge_base_id", "kb-2"}}));
  f.http.push_response(200, ok({{"source_id", "s-2"}}));
  DocumentUpload upload{"Notes", "notes.md", "text/markdown", "# Notes\nParking behind."};
  EXPECT_EQ(f.provider->add_document_file(upload).document_id, "kb-2");
  EXPECT_EQ(body_of(f.http.last_request())["content"], "# Notes\nParking behind.");
}

TEST(SynthflowKnowledge, FilesSynthflowCannotTakeAreRefusedNamingWhatItAccepts) {
  Fixture f;
  for (const char* mime : {"application/pdf", "application/epub+zip", "text/html"}) {
    DocumentUpload upload{"Doc", "doc", mime, "bytes"};
    Error error = error_of([&] { (void)f.provider->add_document_file(upload); });
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << mime;
    EXPECT_THAT(error.what(), HasSubstr("PDFs by URL")) << mime;
    EXPECT_THAT(error.hint(), HasSubstr("--url")) << mime;
  }
  EXPECT_EQ(f.http.call_count(), 0U);
}

TEST(SynthflowKnowledge, ARefusedSourceDeletesItsKnowledgeBase) {
  Fixture f;
  f.http.push_response(200, ok({{"knowledge_base_id", "kb-1"}}));
  f.http.push_response(400, R"({"detail": "url is not reachable"})");
  f.http.push_response(200, ok(json::object()));
  Error error = error_of([&] { (void)f.provider->add_document_url("https://x.example", "X"); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(error.what(), HasSubstr("url is not reachable"));
  EXPECT_EQ(calls_of(f.http),
            (std::vector<std::string>{"POST /knowledge_base", "POST /knowledge_base/kb-1/sources",
                                      "DELETE /knowledge_base/kb-1"}));
}

TEST(SynthflowKnowledge, ListReadsEveryPageThenEachMatchingKnowledgeBasesKind) {
  Fixture f;
  auto kb = [](const std::string& id, const std::string& name) {
    return json{{"id", id}, {"name", name}, {"rag_use_condition", ""}};
  };
  f.http.push_response(
      200,
      ok({{"total_records", 3},
          {"knowledge_bases", json::array({kb("kb-1", "vami:acme:1 FAQ"), kb("kb-2", "other")})}}));
  f.http.push_response(200, ok({{"total_records", 3},
                                {"knowledge_bases", json::array({kb("kb-3", "vami:acme:2 X")})}}));
  f.http.push_response(
      200, ok({{"total_records", 1}, {"sources", json::array({{{"id", "s"}, {"type", "pdf"}}})}}));
  f.http.push_response(200, ok({{"total_records", 0}, {"sources", json::array()}}));
  std::vector<DocumentSummary> documents = f.provider->list_documents("vami:");
  ASSERT_EQ(documents.size(), 1U); // kb-3 has no source: an interrupted add
  EXPECT_EQ(documents[0].document_id, "kb-1");
  EXPECT_EQ(documents[0].name, "vami:acme:1 FAQ");
  EXPECT_EQ(documents[0].kind, DocumentSourceKind::url);
  EXPECT_EQ(calls_of(f.http),
            (std::vector<std::string>{"GET /knowledge_base", "GET /knowledge_base",
                                      "GET /knowledge_base/kb-1/sources",
                                      "GET /knowledge_base/kb-3/sources"}));
  EXPECT_EQ(query_of(f.http.requests()[1]), (Fields{{"limit", "100"}, {"offset", "2"}}));
  EXPECT_EQ(query_of(f.http.requests()[2]), (Fields{{"limit", "1"}, {"offset", "0"}}));
}

TEST(SynthflowKnowledge, DeleteDeletesTheKnowledgeBase) {
  Fixture f;
  f.http.push_response(200, ok(json::object()));
  f.provider->delete_document("kb-1");
  EXPECT_EQ(calls_of(f.http), (std::vector<std::string>{"DELETE /knowledge_base/kb-1"}));
}

TEST(SynthflowNumbers, ImportIsASipImportWithTheTrunksTerminationUri) {
  Fixture f;
  f.http.push_response(
      200, ok({{"key", "7d4b1c2e-0000-4000-8000-000000000001"}, {"phone_number", "+12125550101"}}));
  ImportedNumber number = f.provider->import_sip_trunk_number("+12125550101", "vami:acme", k_trunk);
  EXPECT_EQ(number.phone_number_id, "12125550101");
  EXPECT_EQ(number.e164, "+12125550101");
  EXPECT_EQ(number.label, "vami:acme");
  EXPECT_EQ(calls_of(f.http), (std::vector<std::string>{"POST /custom-numbers"}));
  EXPECT_EQ(body_of(f.http.last_request()), (json{{"workspace_id", "ws-1"},
                                                  {"phone_number", "+12125550101"},
                                                  {"friendly_name", "vami:acme"},
                                                  {"provider_name", "twilio"},
                                                  {"termination_uri", k_trunk}}));
}

TEST(SynthflowNumbers, ImportWithoutATerminationUriOrWithARefusalIsInvalidInput) {
  Fixture bare;
  EXPECT_EQ(error_of([&] {
              (void)bare.provider->import_sip_trunk_number("+12125550101", "x", "");
            }).kind(),
            ErrorKind::invalid_input);
  // Synthflow answers a Twilio number only over a SIP trunk: no import by voice URL.
  Error by_voice_url = error_of([&] { (void)bare.provider->import_number("+12125550101", "x"); });
  EXPECT_EQ(by_voice_url.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(by_voice_url.hint(), HasSubstr("SIP trunk"));
  EXPECT_EQ(bare.http.call_count(), 0U);
  EXPECT_EQ(bare.provider->sip_origination_uri(), "sip:sip.synthflow.ai:32681");
  EXPECT_EQ(synthflow::region_sip_origination_uri("eu"), "sip:sip.eu.synthflow.ai:32681");
  EXPECT_EQ(error_of([] { (void)synthflow::region_sip_origination_uri("ap"); }).kind(),
            ErrorKind::invalid_input);
  Fixture f;
  f.http.push_response(400, "{}");
  Error error =
      error_of([&] { (void)f.provider->import_sip_trunk_number("+12125550101", "x", k_trunk); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(error.hint(), HasSubstr(k_trunk));
  f.http.push_response(403, "{}");
  EXPECT_EQ(error_of([&] {
              (void)f.provider->import_sip_trunk_number("+12125550101", "x", k_trunk);
            }).kind(),
            ErrorKind::auth);
}

TEST(SynthflowNumbers, AssigningSetsTheAgentsNumberThenLetsAnyOtherHolderGo) {
  Fixture f;
  f.http.push_response(200, ok({{"model_id", "m-2"}}));
  f.http.push_response(200, json{{"slug", "12125550101"},
                                 {"phone_number", "+12125550101"},
                                 {"assistants", {"m-1", "m-2"}}}
                                .dump());
  f.http.push_response(200, ok({{"model_id", "m-1"}}));
  ImportedNumber number = f.provider->set_number_agent("12125550101", "m-2");
  EXPECT_EQ(number.agent_id, "m-2");
  EXPECT_EQ(number.e164, "+12125550101");
  EXPECT_EQ(calls_of(f.http),
            (std::vector<std::string>{"PUT /assistants/m-2", "GET /numbers/12125550101",
                                      "PUT /assistants/m-1"}));
  EXPECT_EQ(body_of(f.http.requests()[0]), (json{{"phone_number", "+12125550101"}}));
  EXPECT_EQ(query_of(f.http.requests()[1]), (Fields{{"workspace", "ws-1"}}));
  EXPECT_EQ(body_of(f.http.requests()[2]), (json{{"phone_number", ""}}));
}

TEST(SynthflowNumbers, UnassigningClearsEveryHolder) {
  Fixture f;
  f.http.push_response(200, json{{"assistants", {"m-1"}}}.dump());
  f.http.push_response(200, ok({{"model_id", "m-1"}}));
  EXPECT_EQ(f.provider->set_number_agent("12125550101", "").agent_id, "");
  EXPECT_EQ(calls_of(f.http),
            (std::vector<std::string>{"GET /numbers/12125550101", "PUT /assistants/m-1"}));
}

TEST(SynthflowNumbers, ListReadsTheWorkspacesNumbersAndTheirInboundAgents) {
  Fixture f;
  f.http.push_response(200, page("phone_numbers",
                                 json::array({{{"number", "+12125550101"}, {"sid", nullptr}},
                                              {{"number", "12125550102"}, {"sid", "PN1"}}}),
                                 2));
  f.http.push_response(
      200, page("assistants", json::array({agent_item("m-1", "A", "", "+12125550102")}), 1));
  std::vector<ImportedNumber> numbers = f.provider->list_imported_numbers();
  ASSERT_EQ(numbers.size(), 2U);
  EXPECT_EQ(numbers[0].phone_number_id, "12125550101");
  EXPECT_EQ(numbers[0].agent_id, "");
  EXPECT_EQ(numbers[1].e164, "+12125550102");
  EXPECT_EQ(numbers[1].agent_id, "m-1");
  EXPECT_EQ(query_of(f.http.requests()[0]),
            (Fields{{"workspace", "ws-1"}, {"limit", "100"}, {"offset", "0"}}));
}

TEST(SynthflowNumbers, RemoveDeletesASipImportOnly) {
  Fixture f;
  f.http.push_response(200, json{{"slug", "12125550101"}, {"sip_term_uri", k_trunk}}.dump());
  f.http.push_response(200, json{{"status", "ok"}}.dump());
  f.provider->remove_imported_number("12125550101");
  EXPECT_EQ(calls_of(f.http),
            (std::vector<std::string>{"GET /numbers/12125550101", "DELETE /numbers/12125550101"}));
  // A number Synthflow sold: deleting it would cancel it.
  f.http.push_response(200, json{{"slug", "12125550109"}, {"sip_term_uri", ""}}.dump());
  Error error = error_of([&] { f.provider->remove_imported_number("12125550109"); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_EQ(f.http.call_count(), 3U);
  f.http.push_response(404, R"({"detail": "Not Found"})");
  EXPECT_EQ(error_of([&] { f.provider->remove_imported_number("1"); }).kind(),
            ErrorKind::not_found);
}

TEST(SynthflowNumbers, TheWorkspacesOwnNumbersLeaveOutTheSipImports) {
  Fixture f;
  f.http.push_response(200, page("phone_numbers",
                                 json::array({{{"number", "+12125550101"}, {"sid", nullptr}},
                                              {{"number", "+14155550142"}, {"sid", "PN1"}},
                                              {{"number", "+14155550167"}}}),
                                 3));
  f.http.push_response(
      200, page("assistants", json::array({agent_item("m-1", "A", "", "+14155550142")}), 1));
  std::vector<WorkspaceNumber> numbers = f.provider->list_workspace_numbers();
  // A number without a sid is a custom (SIP) import: vami's own Twilio number.
  ASSERT_EQ(numbers.size(), 1U);
  EXPECT_EQ(numbers[0].provider_id, "14155550142");
  EXPECT_EQ(numbers[0].e164, "+14155550142");
  EXPECT_EQ(numbers[0].agent_id, "m-1");
}

TEST(SynthflowNumbers, ReleasingAWorkspaceNumberDeletesIt) {
  Fixture f;
  f.http.push_response(200, json{{"status", "ok"}}.dump());
  f.provider->release_workspace_number("14155550142");
  EXPECT_EQ(calls_of(f.http), (std::vector<std::string>{"DELETE /numbers/14155550142"}));
  f.http.push_response(404, R"({"detail": "Not Found"})");
  EXPECT_EQ(error_of([&] { f.provider->release_workspace_number("+14155550142"); }).kind(),
            ErrorKind::not_found);
}

TEST(SynthflowNumbers, NoVoiceUrlIsSynthflows) {
  Fixture f;
  EXPECT_FALSE(f.provider->answers_voice_url("https://api.synthflow.ai/v2/twilio"));
}

} // namespace
} // namespace vami::synthflow::test_support
