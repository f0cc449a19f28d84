// The knowledge base of the sandbox's ElevenLabs emulator, driven through SandboxEmulator::handle()
// with real HttpRequests, its responses checked against the schemas of ElevenLabs' API document.

#include <set>
#include <string>
#include <vector>

#include "elevenlabs_emulator_client.hpp"

namespace {

using namespace vami::sandbox_testing; // NOLINT(google-build-using-namespace)

const std::string k_list = "/v1/convai/knowledge-base";

/// Every document of the list at `query`, following next_cursor; checks each page's shape.
std::vector<json> all_pages(Client& client, const std::string& query, std::size_t* pages) {
  std::vector<json> documents;
  std::string cursor;
  for (*pages = 0; *pages < 100; ++*pages) {
    HttpResponse page =
        client.get(k_list + "?" + query + (cursor.empty() ? "" : "&cursor=" + cursor));
    EXPECT_EQ(page.status, 200) << page.body;
    expect_documented("get", "/v1/convai/knowledge-base", page);
    json body = json::parse(page.body);
    for (const json& document : body.at("documents")) {
      documents.push_back(document);
    }
    if (!body.at("has_more").get<bool>()) {
      EXPECT_TRUE(body.at("next_cursor").is_null());
      ++*pages;
      break;
    }
    cursor = body.at("next_cursor").get<std::string>();
  }
  return documents;
}

std::string agent_using(Client& client, const std::string& name,
                        const std::vector<std::string>& text_ids) {
  json entries = json::array();
  for (const std::string& id : text_ids) {
    entries.push_back({{"type", "text"}, {"name", id}, {"id", id}});
  }
  return client.create_agent(
      {{"name", name},
       {"conversation_config", {{"agent", {{"prompt", {{"knowledge_base", entries}}}}}}}});
}

TEST_F(ElevenLabsSandboxTest, UploadingAFileStoresItsNameSizeAndHash) {
  REQUIRE_SPEC();
  const std::string content = "%PDF-1.4 opening hours and prices";
  HttpResponse named = m_client.upload(
      {{"file", "faq.pdf", "application/pdf", content}, {"name", "", "", "Clinic FAQ"}});
  ASSERT_EQ(named.status, 200) << named.body;
  expect_documented("post", "/v1/convai/knowledge-base/file", named);
  json created = json::parse(named.body);
  EXPECT_EQ(created.at("name"), "Clinic FAQ");
  std::string id = created.at("id").get<std::string>();

  HttpResponse fetched = m_client.get("/v1/convai/knowledge-base/" + id);
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  expect_documented("get", "/v1/convai/knowledge-base/{documentation_id}", fetched);
  json document = json::parse(fetched.body);
  EXPECT_EQ(document.at("id"), id);
  EXPECT_EQ(document.at("type"), "file");
  EXPECT_EQ(document.at("name"), "Clinic FAQ");
  EXPECT_EQ(document.at("filename"), "faq.pdf");
  EXPECT_EQ(document.at("metadata").at("size_bytes"), content.size());

  // Without a name part, the file name names it.
  HttpResponse unnamed = m_client.upload({{"file", "prices.txt", "text/plain", "cheap"}});
  ASSERT_EQ(unnamed.status, 200) << unnamed.body;
  EXPECT_EQ(json::parse(unnamed.body).at("name"), "prices.txt");

  SQLite::Database db(state_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement select(db, "SELECT sha256, content_type FROM convai_documents "
                               "WHERE document_id = ?");
  select.bind(1, id);
  ASSERT_TRUE(select.executeStep());
  EXPECT_EQ(select.getColumn(0).getString(), sha256_hex(content));
  EXPECT_EQ(select.getColumn(1).getString(), "application/pdf");
}

TEST_F(ElevenLabsSandboxTest, FileUploadErrors) {
  REQUIRE_SPEC();
  const std::string path = "/v1/convai/knowledge-base/file";
  HttpResponse no_file = m_client.upload({{"name", "", "", "only a name"}});
  expect_validation_error(no_file, {"body", "file"}, "missing");
  expect_documented("post", path, no_file);
  expect_validation_error(m_client.send("POST", path, R"({"file":"x"})"), {"body", "file"},
                          "missing");
  expect_validation_error(m_client.upload({{"file", "", "", "a plain field"}}), {"body", "file"},
                          "value_error");
  expect_validation_error(m_client.upload({{"file", "empty.txt", "text/plain", ""}}),
                          {"body", "file"}, "value_error");
  expect_validation_error(
      m_client.upload({{"file", "a.txt", "text/plain", "x"}, {"name", "", "", ""}}),
      {"body", "name"}, "string_too_short");
  HttpResponse malformed =
      m_client.send("POST", path, "no boundary here", "multipart/form-data; boundary=XYZ");
  EXPECT_EQ(malformed.status, 400) << malformed.body;

  // 20 MiB is the limit.
  const std::size_t limit = 20U * 1024U * 1024U;
  expect_validation_error(
      m_client.upload({{"file", "big.txt", "text/plain", std::string(limit + 1, 'x')}}),
      {"body", "file"}, "value_error");
  HttpResponse at_limit =
      m_client.upload({{"file", "big.txt", "text/plain", std::string(limit, 'x')}});
  EXPECT_EQ(at_limit.status, 200) << at_limit.body.substr(0, 200);

  // Only the upload at the limit was stored.
  SQLite::Database db(state_path().string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM convai_documents").getInt(), 1);
}

TEST_F(ElevenLabsSandboxTest, UrlAndTextDocuments) {
  REQUIRE_SPEC();
  HttpResponse url = m_client.post("/v1/convai/knowledge-base/url",
                                   {{"url", "https://example.com/faq"}, {"name", "Web FAQ"}});
  ASSERT_EQ(url.status, 200) << url.body;
  expect_documented("post", "/v1/convai/knowledge-base/url", url);
  std::string url_id = json::parse(url.body).at("id").get<std::string>();
  HttpResponse url_doc = m_client.get("/v1/convai/knowledge-base/" + url_id);
  expect_documented("get", "/v1/convai/knowledge-base/{documentation_id}", url_doc);
  EXPECT_EQ(json::parse(url_doc.body).at("type"), "url");
  EXPECT_EQ(json::parse(url_doc.body).at("url"), "https://example.com/faq");
  EXPECT_EQ(json::parse(url_doc.body).at("name"), "Web FAQ");
  // Unnamed, a URL is named by itself.
  EXPECT_EQ(
      json::parse(m_client.post("/v1/convai/knowledge-base/url", {{"url", "http://a.test/"}}).body)
          .at("name"),
      "http://a.test/");
  for (const char* bad : {"ftp://example.com/x", "example.com", "https://", "https:///x"}) {
    expect_validation_error(m_client.post("/v1/convai/knowledge-base/url", {{"url", bad}}),
                            {"body", "url"}, "value_error");
  }
  expect_validation_error(m_client.post("/v1/convai/knowledge-base/url", {{"name", "x"}}),
                          {"body", "url"}, "missing");

  const std::string text = "Prices: <cleaning> & whitening\nsecond line";
  HttpResponse created = m_client.post("/v1/convai/knowledge-base/text", {{"text", text}});
  ASSERT_EQ(created.status, 200) << created.body;
  expect_documented("post", "/v1/convai/knowledge-base/text", created);
  EXPECT_EQ(json::parse(created.body).at("name"), "Prices: <cleaning> & whitening");
  HttpResponse text_doc = m_client.get("/v1/convai/knowledge-base/" +
                                       json::parse(created.body).at("id").get<std::string>());
  expect_documented("get", "/v1/convai/knowledge-base/{documentation_id}", text_doc);
  json document = json::parse(text_doc.body);
  EXPECT_EQ(document.at("type"), "text");
  EXPECT_EQ(document.at("metadata").at("size_bytes"), text.size());
  EXPECT_EQ(document.at("extracted_inner_html"),
            "Prices: &lt;cleaning&gt; &amp; whitening\nsecond line");
  expect_validation_error(m_client.post("/v1/convai/knowledge-base/text", {{"text", "  \n"}}),
                          {"body", "text"}, "value_error");
  expect_validation_error(m_client.post("/v1/convai/knowledge-base/text", {{"text", 5}}),
                          {"body", "text"}, "string_type");

  expect_detail_error(m_client.get("/v1/convai/knowledge-base/nope"), 404, "document_not_found");
}

TEST_F(ElevenLabsSandboxTest, DeletingADocumentInUseNeedsForceWhichDetachesIt) {
  REQUIRE_SPEC();
  std::string used = m_client.add_text("used", "used");
  std::string kept = m_client.add_text("kept", "kept");
  std::string unused = m_client.add_text("unused", "unused");
  std::string agent_id =
      m_client.create_agent({{"conversation_config",
                              {{"agent",
                                {{"prompt",
                                  {{"knowledge_base",
                                    {{{"type", "text"}, {"name", "used"}, {"id", used}},
                                     {{"type", "text"}, {"name", "kept"}, {"id", kept}}}}}}}}}}});

  HttpResponse removed = m_client.del("/v1/convai/knowledge-base/" + unused);
  EXPECT_EQ(removed.status, 200) << removed.body;
  expect_documented("delete", "/v1/convai/knowledge-base/{documentation_id}", removed);
  expect_detail_error(m_client.get("/v1/convai/knowledge-base/" + unused), 404,
                      "document_not_found");
  expect_detail_error(m_client.del("/v1/convai/knowledge-base/" + unused), 404,
                      "document_not_found");

  HttpResponse refused = m_client.del("/v1/convai/knowledge-base/" + used);
  expect_detail_error(refused, 409, "document_in_use");
  EXPECT_NE(refused.body.find(agent_id), std::string::npos) << refused.body;
  EXPECT_EQ(m_client.get("/v1/convai/knowledge-base/" + used).status, 200);
  expect_validation_error(m_client.del("/v1/convai/knowledge-base/" + used + "?force=maybe"),
                          {"query", "force"}, "bool_parsing");

  EXPECT_EQ(m_client.del("/v1/convai/knowledge-base/" + used + "?force=true").status, 200);
  expect_detail_error(m_client.get("/v1/convai/knowledge-base/" + used), 404, "document_not_found");
  json entries = json::parse(m_client.get("/v1/convai/agents/" + agent_id).body)
                     .at("conversation_config")
                     .at("agent")
                     .at("prompt")
                     .at("knowledge_base");
  EXPECT_EQ(ids_of(entries, "id"), (std::vector<std::string>{kept}));
  // The agent no longer holds it, so the other document is still protected, and only it.
  expect_detail_error(m_client.del("/v1/convai/knowledge-base/" + kept), 409, "document_in_use");
}
// ---- The list ----------------------------------------------------------------------------------

TEST_F(ElevenLabsSandboxTest, ListDocumentsPagesNewestFirstWithCursors) {
  REQUIRE_SPEC();
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(m_client.add_text("text " + std::to_string(i), "doc " + std::to_string(i)));
  }
  std::size_t pages = 0;
  std::vector<json> listed = all_pages(m_client, "page_size=3", &pages);
  EXPECT_EQ(pages, 3U);
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(ids_of(listed, "id"), expected);
  EXPECT_EQ(listed.front().at("type"), "text");
  EXPECT_EQ(listed.front().at("name"), "doc 6");
  EXPECT_EQ(listed.front().at("dependent_agents"), json::array());

  // Oldest first, and the default page holds all seven.
  HttpResponse ascending = m_client.get(k_list + "?sort_direction=asc");
  ASSERT_EQ(ascending.status, 200) << ascending.body;
  EXPECT_EQ(ids_of(json::parse(ascending.body).at("documents"), "id"), ids);
  EXPECT_FALSE(json::parse(ascending.body).at("has_more").get<bool>());

  // An empty knowledge base is an empty list.
  TempDir other;
  auto empty_emulator = vami::sandbox::open_sandbox(other.path() / "empty.db");
  Client empty(*empty_emulator);
  HttpResponse none = empty.get(k_list);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(json::parse(none.body).at("documents"), json::array());
}

TEST_F(ElevenLabsSandboxTest, ListDocumentsSearchesNamePrefixesAndFiltersTypes) {
  REQUIRE_SPEC();
  std::string first = m_client.add_text("a", "vami-doc:acme:1");
  std::string second = m_client.add_text("b", "vami-doc:acme:2");
  (void)m_client.add_text("c", "not vami-doc:acme:3"); // contains, but does not start with it
  HttpResponse url = m_client.post("/v1/convai/knowledge-base/url",
                                   {{"url", "https://example.com/"}, {"name", "vami-doc:web"}});
  ASSERT_EQ(url.status, 200) << url.body;
  std::string url_id = json::parse(url.body).at("id").get<std::string>();

  std::size_t pages = 0;
  std::vector<json> found = all_pages(m_client, "search=vami-doc%3Aacme&page_size=1", &pages);
  EXPECT_EQ(ids_of(found, "id"), (std::vector<std::string>{second, first}));
  EXPECT_EQ(pages, 2U);

  std::vector<json> urls = all_pages(m_client, "types=url", &pages);
  ASSERT_EQ(urls.size(), 1U);
  EXPECT_EQ(urls.front().at("id"), url_id);
  EXPECT_EQ(urls.front().at("url"), "https://example.com/");
  EXPECT_EQ(all_pages(m_client, "types=url&types=text", &pages).size(), 4U);
  EXPECT_TRUE(all_pages(m_client, "types=file", &pages).empty());

  // Sorted by name across pages.
  std::vector<json> by_name =
      all_pages(m_client, "sort_by=name&sort_direction=asc&page_size=2", &pages);
  std::vector<std::string> names;
  for (const json& document : by_name) {
    names.push_back(document.at("name").get<std::string>());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"not vami-doc:acme:3", "vami-doc:acme:1",
                                             "vami-doc:acme:2", "vami-doc:web"}));

  // The sandbox has one user and no folders.
  EXPECT_EQ(all_pages(m_client, "created_by_user_id=%40me", &pages).size(), 4U);
  EXPECT_TRUE(all_pages(m_client, "created_by_user_id=someone-else", &pages).empty());
  EXPECT_TRUE(all_pages(m_client, "parent_folder_id=folder1", &pages).empty());
}

TEST_F(ElevenLabsSandboxTest, ListDocumentsRejectsBadParameters) {
  REQUIRE_SPEC();
  for (const char* size : {"0", "101", "ten"}) {
    HttpResponse response = m_client.get(k_list + "?page_size=" + size);
    EXPECT_EQ(response.status, 422) << size;
    expect_documented("get", "/v1/convai/knowledge-base", response);
  }
  expect_validation_error(m_client.get(k_list + "?types=pdf"), {"query", "types", 0}, "enum");
  expect_validation_error(m_client.get(k_list + "?sort_by=colour"), {"query", "sort_by"}, "enum");
  expect_validation_error(m_client.get(k_list + "?sort_direction=up"), {"query", "sort_direction"},
                          "enum");
  expect_validation_error(m_client.get(k_list + "?cursor=zz"), {"query", "cursor"}, "value_error");
  expect_validation_error(m_client.get(k_list + "?folders_first=maybe"), {"query", "folders_first"},
                          "bool_parsing");
  EXPECT_EQ(m_client.send("DELETE", k_list).status, 405);
}

TEST_F(ElevenLabsSandboxTest, ListedDocumentsNameTheAgentsThatUseThem) {
  REQUIRE_SPEC();
  std::string used = m_client.add_text("used", "used");
  std::string agent_id = agent_using(m_client, "Front desk", {used});
  HttpResponse listed = m_client.get(k_list);
  ASSERT_EQ(listed.status, 200) << listed.body;
  json dependents = json::parse(listed.body).at("documents").at(0).at("dependent_agents");
  ASSERT_EQ(dependents.size(), 1U);
  EXPECT_EQ(dependents.at(0).at("id"), agent_id);
  EXPECT_EQ(dependents.at(0).at("name"), "Front desk");
  EXPECT_EQ(dependents.at(0).at("type"), "available");
}

// ---- One document: rename, content, dependent agents -----------------------------------------

TEST_F(ElevenLabsSandboxTest, PatchRenamesADocumentAndReplacesItsContent) {
  REQUIRE_SPEC();
  const std::string path_template = "/v1/convai/knowledge-base/{documentation_id}";
  std::string id = m_client.add_text("old text", "old name");
  HttpResponse renamed = m_client.patch("/v1/convai/knowledge-base/" + id, {{"name", "new name"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  expect_documented("patch", path_template, renamed);
  EXPECT_EQ(json::parse(renamed.body).at("name"), "new name");
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/knowledge-base/" + id).body).at("name"),
            "new name");
  std::size_t pages = 0;
  EXPECT_EQ(ids_of(all_pages(m_client, "search=new", &pages), "id"),
            (std::vector<std::string>{id}));

  HttpResponse rewritten =
      m_client.patch("/v1/convai/knowledge-base/" + id, {{"content", "<b>new</b> text"}});
  ASSERT_EQ(rewritten.status, 200) << rewritten.body;
  json document = json::parse(rewritten.body);
  EXPECT_EQ(document.at("name"), "new name");
  EXPECT_EQ(document.at("extracted_inner_html"), "&lt;b&gt;new&lt;/b&gt; text");
  EXPECT_EQ(document.at("metadata").at("size_bytes"), std::string("<b>new</b> text").size());

  HttpResponse empty_name = m_client.patch("/v1/convai/knowledge-base/" + id, {{"name", ""}});
  expect_validation_error(empty_name, {"body", "name"}, "string_too_short");
  expect_documented("patch", path_template, empty_name);
  expect_validation_error(m_client.patch("/v1/convai/knowledge-base/" + id, {{"name", 7}}),
                          {"body", "name"}, "string_type");
  expect_detail_error(m_client.patch("/v1/convai/knowledge-base/nope", {{"name", "x"}}), 404,
                      "document_not_found");
  EXPECT_EQ(json::parse(m_client.get("/v1/convai/knowledge-base/" + id).body).at("name"),
            "new name");
}

TEST_F(ElevenLabsSandboxTest, ContentIsTheDocumentsTextAsHtml) {
  std::string text_id = m_client.add_text("Prices: <cleaning> & whitening", "prices");
  HttpResponse content = m_client.get("/v1/convai/knowledge-base/" + text_id + "/content");
  ASSERT_EQ(content.status, 200) << content.body;
  EXPECT_EQ(content.header("Content-Type").rfind("text/html", 0), 0U);
  EXPECT_EQ(content.body, "Prices: &lt;cleaning&gt; &amp; whitening");

  HttpResponse plain = m_client.upload({{"file", "hours.txt", "text/plain", "Open 9-5"}});
  ASSERT_EQ(plain.status, 200) << plain.body;
  std::string plain_id = json::parse(plain.body).at("id").get<std::string>();
  EXPECT_EQ(m_client.get("/v1/convai/knowledge-base/" + plain_id + "/content").body, "Open 9-5");

  // The sandbox does not render a PDF: it has no content until a PATCH gives it one.
  HttpResponse pdf = m_client.upload({{"file", "faq.pdf", "application/pdf", "%PDF-1.4"}});
  std::string pdf_id = json::parse(pdf.body).at("id").get<std::string>();
  EXPECT_EQ(m_client.get("/v1/convai/knowledge-base/" + pdf_id + "/content").body, "");
  ASSERT_EQ(m_client.patch("/v1/convai/knowledge-base/" + pdf_id, {{"content", "FAQ"}}).status,
            200);
  EXPECT_EQ(m_client.get("/v1/convai/knowledge-base/" + pdf_id + "/content").body, "FAQ");

  expect_detail_error(m_client.get("/v1/convai/knowledge-base/nope/content"), 404,
                      "document_not_found");
  EXPECT_EQ(m_client.send("POST", "/v1/convai/knowledge-base/" + text_id + "/content").status, 405);
}

TEST_F(ElevenLabsSandboxTest, DependentAgentsPageOldestFirst) {
  REQUIRE_SPEC();
  const std::string path_template = "/v1/convai/knowledge-base/{documentation_id}/dependent-agents";
  std::string used = m_client.add_text("used", "used");
  std::string unused = m_client.add_text("unused", "unused");
  std::vector<std::string> agents;
  for (int i = 0; i < 3; ++i) {
    agents.push_back(agent_using(m_client, "agent " + std::to_string(i), {used}));
  }
  const std::string path = "/v1/convai/knowledge-base/" + used + "/dependent-agents";
  HttpResponse first = m_client.get(path + "?page_size=2");
  ASSERT_EQ(first.status, 200) << first.body;
  expect_documented("get", path_template, first);
  json body = json::parse(first.body);
  EXPECT_EQ(ids_of(body.at("agents"), "id"), (std::vector<std::string>{agents[0], agents[1]}));
  EXPECT_EQ(body.at("agents").at(0).at("name"), "agent 0");
  ASSERT_TRUE(body.at("has_more").get<bool>());
  HttpResponse second =
      m_client.get(path + "?page_size=2&cursor=" + body.at("next_cursor").get<std::string>());
  json rest = json::parse(second.body);
  EXPECT_EQ(ids_of(rest.at("agents"), "id"), (std::vector<std::string>{agents[2]}));
  EXPECT_FALSE(rest.at("has_more").get<bool>());
  EXPECT_TRUE(rest.at("next_cursor").is_null());

  EXPECT_EQ(json::parse(m_client.get(path + "?dependent_type=direct").body).at("agents").size(),
            3U);
  EXPECT_TRUE(
      json::parse(m_client.get(path + "?dependent_type=transitive").body).at("agents").empty());
  EXPECT_TRUE(
      json::parse(m_client.get("/v1/convai/knowledge-base/" + unused + "/dependent-agents").body)
          .at("agents")
          .empty());
  expect_validation_error(m_client.get(path + "?dependent_type=some"), {"query", "dependent_type"},
                          "enum");
  expect_detail_error(m_client.get("/v1/convai/knowledge-base/nope/dependent-agents"), 404,
                      "document_not_found");

  // A deleted agent no longer depends on it.
  ASSERT_EQ(m_client.del("/v1/convai/agents/" + agents[1]).status, 204);
  EXPECT_EQ(ids_of(json::parse(m_client.get(path).body).at("agents"), "id"),
            (std::vector<std::string>{agents[0], agents[2]}));
}

TEST(KnowledgeBaseSandboxState, AnOlderStateFileGetsTheNewColumns) {
  TempDir dir;
  fs::path path = dir.path() / "old.db";
  { auto emulator = vami::sandbox::open_sandbox(path); }
  {
    // convai_documents as the first ElevenLabs emulator made it.
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE convai_documents");
    db.exec("CREATE TABLE convai_documents (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "document_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, name TEXT NOT NULL, "
            "file_name TEXT NOT NULL DEFAULT '', content_type TEXT NOT NULL DEFAULT '', "
            "url TEXT NOT NULL DEFAULT '', text TEXT NOT NULL DEFAULT '', "
            "size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, created_at INTEGER NOT NULL)");
    db.exec("INSERT INTO convai_documents (document_id, type, name, text, size_bytes, sha256, "
            "created_at) VALUES ('olddoc', 'text', 'old', 'old text', 8, '', 1700000000)");
  }
  auto emulator = vami::sandbox::open_sandbox(path);
  Client client(*emulator);
  HttpResponse listed = client.get(k_list);
  ASSERT_EQ(listed.status, 200) << listed.body;
  json document = json::parse(listed.body).at("documents").at(0);
  EXPECT_EQ(document.at("id"), "olddoc");
  EXPECT_EQ(document.at("metadata").at("last_updated_at_unix_secs"), 1700000000);
  EXPECT_EQ(client.patch("/v1/convai/knowledge-base/olddoc", {{"name", "renamed"}}).status, 200);
}

} // namespace
