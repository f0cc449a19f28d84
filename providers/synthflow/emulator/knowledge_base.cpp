// The Synthflow emulator's knowledge bases, their sources and their agents: `/knowledge_base`
// (synthflow_emulator.hpp).

#include <cstdint>
#include <ctime>
#include <string>

#include "synthflow/emulator/synthflow_emulator_impl.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/input_rules.hpp>

namespace vami::sandbox {

using namespace synthflow; // NOLINT(google-build-using-namespace): this half's wire helpers

namespace {

/// Now as ISO 8601 UTC ("2026-12-06T01:02:03Z"), as `created_at` is written.
std::string iso_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

Json knowledge_base_json(SQLite::Statement& row) {
  Json item;
  item["name"] = row.getColumn(1).getString();
  item["id"] = row.getColumn(0).getString();
  item["rag_use_condition"] = row.getColumn(2).getString();
  return item;
}

} // namespace

void SynthflowSandbox::Impl::require_knowledge_base(const std::string& id) {
  SQLite::Statement select(m_db, "SELECT 1 FROM synthflow_knowledge_bases WHERE id = ?");
  select.bind(1, id);
  if (!select.executeStep()) {
    fail(404, "not_found", "Knowledge base " + id + " not found");
  }
}

http::HttpResponse SynthflowSandbox::Impl::list_knowledge_bases(const Params& query) {
  std::int64_t limit = int_param(query, "limit", 25, 1, 1000);
  std::int64_t offset = int_param(query, "offset", 0, 0, INT32_MAX);
  std::int64_t total = m_db.execAndGet("SELECT count(*) FROM synthflow_knowledge_bases").getInt64();
  SQLite::Statement select(m_db, "SELECT id, name, rag_use_condition FROM "
                                 "synthflow_knowledge_bases ORDER BY seq LIMIT ? OFFSET ?");
  select.bind(1, limit);
  select.bind(2, offset);
  Json list = Json::array();
  while (select.executeStep()) {
    list.push_back(knowledge_base_json(select));
  }
  Json response;
  response["total_records"] = total;
  response["knowledge_bases"] = std::move(list);
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::create_knowledge_base(const Json& body) {
  std::string id = new_id();
  SQLite::Statement insert(m_db, "INSERT INTO synthflow_knowledge_bases (id, name, "
                                 "rag_use_condition) VALUES (?, ?, ?)");
  insert.bind(1, id);
  insert.bind(2, text_field(body, "name").value_or(""));
  insert.bind(3, text_field(body, "rag_use_condition").value_or(""));
  insert.exec();
  Json response;
  response["body"] = "Knowledge base created";
  response["knowledge_base_id"] = id;
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::get_knowledge_base(const std::string& id) {
  require_knowledge_base(id);
  SQLite::Statement select(
      m_db, "SELECT id, name, rag_use_condition FROM synthflow_knowledge_bases WHERE id = ?");
  select.bind(1, id);
  select.executeStep();
  Json response;
  response["total_records"] = 1;
  response["knowledge_bases"] = Json::array({knowledge_base_json(select)});
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::update_knowledge_base(const std::string& id,
                                                                 const Json& body) {
  require_knowledge_base(id);
  for (const char* field : {"name", "rag_use_condition"}) {
    if (std::optional<std::string> value = text_field(body, field)) {
      SQLite::Statement update(m_db, std::string("UPDATE synthflow_knowledge_bases SET ") + field +
                                         " = ? WHERE id = ?");
      update.bind(1, *value);
      update.bind(2, id);
      update.exec();
    }
  }
  Json response;
  response["body"] = "Knowledge base updated";
  response["knowledge_base_id"] = id;
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::delete_knowledge_base(const std::string& id) {
  require_knowledge_base(id);
  for (const char* table :
       {"synthflow_sources", "synthflow_knowledge_agents", "synthflow_knowledge_bases"}) {
    std::string column =
        std::string(table) == "synthflow_knowledge_bases" ? "id" : "knowledge_base_id";
    SQLite::Statement remove(m_db,
                             std::string("DELETE FROM ") + table + " WHERE " + column + " = ?");
    remove.bind(1, id);
    remove.exec();
  }
  return ok(Json::object());
}

http::HttpResponse SynthflowSandbox::Impl::attach_knowledge_base(const std::string& id,
                                                                 const Params& query) {
  std::string model_id = required_param(query, "model_id");
  require_knowledge_base(id);
  (void)require_agent(model_id);
  SQLite::Statement insert(m_db, "INSERT OR IGNORE INTO synthflow_knowledge_agents "
                                 "(knowledge_base_id, model_id) VALUES (?, ?)");
  insert.bind(1, id);
  insert.bind(2, model_id);
  insert.exec();
  Json response;
  response["body"] = "Knowledge base attached";
  response["knowledge_base_id"] = id;
  response["model_id"] = model_id;
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::detach_knowledge_base(const std::string& id,
                                                                 const Json& body) {
  std::optional<std::string> model_id = text_field(body, "model_id");
  if (!model_id || model_id->empty()) {
    fail(422, "validation", "'model_id' is required");
  }
  require_knowledge_base(id);
  SQLite::Statement remove(
      m_db, "DELETE FROM synthflow_knowledge_agents WHERE knowledge_base_id = ? AND model_id = ?");
  remove.bind(1, id);
  remove.bind(2, *model_id);
  remove.exec();
  Json response;
  response["body"] = "Knowledge base detached";
  response["model_id"] = *model_id;
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::list_sources(const std::string& id,
                                                        const Params& query) {
  require_knowledge_base(id);
  std::int64_t limit = int_param(query, "limit", 20, 1, 1000);
  std::int64_t offset = int_param(query, "offset", 0, 0, INT32_MAX);
  std::string name = param(query, "name").value_or("");
  SQLite::Statement select(m_db, "SELECT id, type, name, content, url, created_at, updated_at "
                                 "FROM synthflow_sources WHERE knowledge_base_id = ? ORDER BY seq");
  select.bind(1, id);
  std::int64_t total = 0;
  Json list = Json::array();
  while (select.executeStep()) {
    if (!name.empty() && !contains_ignoring_case(select.getColumn(2).getString(), name)) {
      continue;
    }
    if (total++ < offset || static_cast<std::int64_t>(list.size()) >= limit) {
      continue;
    }
    Json source;
    source["id"] = select.getColumn(0).getString();
    source["type"] = select.getColumn(1).getString();
    source["name"] = select.getColumn(2).getString();
    source["content_preview"] = select.getColumn(3).getString().substr(0, 100);
    source["url"] = select.getColumn(4).getString();
    source["created_at"] = select.getColumn(5).getString();
    source["updated_at"] = select.getColumn(6).getString();
    list.push_back(std::move(source));
  }
  Json response;
  response["total_records"] = total;
  response["knowledge_base_id"] = id;
  response["sources"] = std::move(list);
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::add_source(const std::string& id, const Json& body) {
  require_knowledge_base(id);
  std::string type = text_field(body, "type").value_or("");
  std::string url = text_field(body, "url").value_or("");
  std::string content = text_field(body, "content").value_or("");
  if (type != "pdf" && type != "text" && type != "web") {
    fail(400, "validation", "'type' must be pdf, text or web");
  }
  if (type == "text" && content.empty()) {
    fail(400, "validation", "'content' is required for a text source");
  }
  if (type != "text" && url_scheme(url) == UrlScheme::other) {
    fail(400, "validation", "'url' must be an http(s) URL for a " + type + " source");
  }
  std::string source_id = new_id();
  std::string now = iso_now();
  SQLite::Statement insert(m_db, "INSERT INTO synthflow_sources (id, knowledge_base_id, type, "
                                 "name, url, content, created_at, updated_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, source_id);
  insert.bind(2, id);
  insert.bind(3, type);
  insert.bind(4, text_field(body, "name").value_or(""));
  insert.bind(5, type == "text" ? std::string() : url);
  insert.bind(6, content);
  insert.bind(7, now);
  insert.bind(8, now);
  insert.exec();
  Json response;
  response["source_id"] = source_id;
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::delete_source(const std::string& id,
                                                         const std::string& source_id) {
  require_knowledge_base(id);
  SQLite::Statement remove(m_db,
                           "DELETE FROM synthflow_sources WHERE knowledge_base_id = ? AND id = ?");
  remove.bind(1, id);
  remove.bind(2, source_id);
  if (remove.exec() == 0) {
    fail(404, "not_found", "Source " + source_id + " not found");
  }
  Json response;
  response["body"] = "Source deleted";
  response["id"] = source_id;
  return ok(std::move(response));
}

} // namespace vami::sandbox
