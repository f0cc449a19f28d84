#include "elevenlabs/emulator/knowledge_base.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elevenlabs/emulator/knowledge_base_documents.hpp"
#include "elevenlabs/emulator/knowledge_base_lists.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>

namespace vami::sandbox {

namespace {

using namespace elevenlabs; // NOLINT(google-build-using-namespace): this half's wire helpers
using namespace elevenlabs::knowledge; // NOLINT(google-build-using-namespace): document rows

constexpr std::size_t k_max_file_bytes = 20U * 1024U * 1024U;
constexpr std::size_t k_max_text_name = 60; // a text document's default name: its first line

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS convai_documents (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL CHECK (type IN ('file', 'url', 'text')),
  name TEXT NOT NULL,
  file_name TEXT NOT NULL DEFAULT '',
  content_type TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS convai_agent_documents (
  agent_id TEXT NOT NULL,
  document_id TEXT NOT NULL,
  PRIMARY KEY (agent_id, document_id)
);
CREATE INDEX IF NOT EXISTS convai_agent_documents_by_document
  ON convai_agent_documents (document_id);
)sql";

http::HttpResponse method_not_allowed() {
  return json_response(405, Json{{"detail", "Method Not Allowed"}});
}

} // namespace

KnowledgeBaseSandbox::KnowledgeBaseSandbox(SQLite::Database& db, std::mutex& mutex,
                                           AgentKnowledgeView& agents)
    : m_db(db), m_mutex(mutex), m_agents(agents) {}

void KnowledgeBaseSandbox::create_schema(SQLite::Database& db) {
  db.exec(k_schema);
  add_missing_columns(db, "convai_documents", {{"updated_at", "INTEGER"}, {"content", "TEXT"}});
}

namespace {

// The requests of one emulator, with its connection.
class KnowledgeBaseRequests {
public:
  KnowledgeBaseRequests(SQLite::Database& db, std::mutex& mutex, AgentKnowledgeView& agents)
      : m_db(db), m_mutex(mutex), m_agents(agents) {}

  // -- Adding documents ----------------------------------------------------------------------

  http::HttpResponse add_file(const http::HttpRequest& request) {
    std::string content_type = header_value(request, "Content-Type");
    std::vector<http::MultipartPart> parts;
    if (to_lower(content_type).rfind("multipart/form-data", 0) == 0) {
      try {
        parts = http::multipart_decode(content_type, request.body);
      } catch (const Error&) {
        // Starlette's answer to a form it cannot parse.
        return json_response(400, Json{{"detail", "There was an error parsing the body"}});
      }
    }
    const http::MultipartPart* file = nullptr;
    std::optional<std::string> name;
    for (const http::MultipartPart& part : parts) {
      if (part.name == "file" && file == nullptr) {
        file = &part;
      } else if (part.name == "name" && !name) {
        name = part.content;
      }
    }
    Validation validation;
    const Json file_loc = Json::array({"body", "file"});
    if (file == nullptr) {
      validation.add(file_loc, "Field required", "missing");
    } else if (file->file_name.empty()) {
      validation.add(file_loc, "Value error, Expected UploadFile, received: <class 'str'>",
                     "value_error");
    } else if (file->content.empty()) {
      validation.add(file_loc, "Value error, the file is empty", "value_error");
    } else if (file->content.size() > k_max_file_bytes) {
      validation.add(file_loc,
                     "Value error, the file is " + std::to_string(file->content.size()) +
                         " bytes; the knowledge base accepts files of at most 20 MiB (" +
                         std::to_string(k_max_file_bytes) + " bytes)",
                     "value_error");
    }
    check_min_length(name, Json::array({"body", "name"}), validation);
    validation.throw_if_any();

    DocumentRow row = new_document("file");
    row.name = name.value_or(file->file_name);
    row.file_name = file->file_name;
    row.content_type = file->content_type.empty() ? "application/octet-stream" : file->content_type;
    row.size_bytes = static_cast<std::int64_t>(file->content.size());
    row.sha256 = vami::sha256_hex(file->content);
    if (to_lower(row.content_type).rfind("text/", 0) == 0) {
      row.content = file->content;
    }
    insert_document(row);
    return document_created(row);
  }

  http::HttpResponse add_url(const http::HttpRequest& request) {
    Json body = json_body(request, BodyPresence::required);
    Validation validation;
    const Json base = Json::array({"body"});
    auto url = string_member(body, "url", base, validation, Presence::required);
    auto name = string_member(body, "name", base, validation, Presence::optional, Nullable::yes);
    check_min_length(name, Json::array({"body", "name"}), validation);
    if (url) {
      std::string lower = to_lower(*url);
      std::size_t host = lower.rfind("https://", 0) == 0  ? 8
                         : lower.rfind("http://", 0) == 0 ? 7
                                                          : 0;
      if (host == 0 || url->size() == host || (*url)[host] == '/' ||
          url->find_first_of(" \t\r\n") != std::string::npos) {
        validation.add(Json::array({"body", "url"}),
                       "Value error, '" + *url + "' is not an http or https URL", "value_error");
      }
    }
    validation.throw_if_any();

    DocumentRow row = new_document("url");
    row.url = *url;
    row.name = name.value_or(*url);
    row.sha256 = vami::sha256_hex(*url);
    insert_document(row);
    return document_created(row);
  }

  http::HttpResponse add_text(const http::HttpRequest& request) {
    Json body = json_body(request, BodyPresence::required);
    Validation validation;
    const Json base = Json::array({"body"});
    auto text = string_member(body, "text", base, validation, Presence::required);
    auto name = string_member(body, "name", base, validation, Presence::optional, Nullable::yes);
    check_min_length(name, Json::array({"body", "name"}), validation);
    if (text && is_blank(*text)) {
      validation.add(Json::array({"body", "text"}), "Value error, the text is empty",
                     "value_error");
    }
    validation.throw_if_any();

    DocumentRow row = new_document("text");
    row.text = *text;
    row.name = name ? *name : first_line(*text, k_max_text_name);
    row.size_bytes = static_cast<std::int64_t>(text->size());
    row.sha256 = vami::sha256_hex(*text);
    insert_document(row);
    return document_created(row);
  }

  // -- One document --------------------------------------------------------------------------

  http::HttpResponse get_document(const std::string& document_id) {
    std::lock_guard lock(m_mutex);
    return json_response(200, document_json(require_document(m_db, document_id)));
  }

  http::HttpResponse get_content(const std::string& document_id) {
    DocumentRow row;
    {
      std::lock_guard lock(m_mutex);
      row = require_document(m_db, document_id);
    }
    http::HttpResponse response;
    response.status = 200;
    response.body = html_escape(content_of(row));
    response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    return response;
  }

  http::HttpResponse patch_document(const std::string& document_id,
                                    const http::HttpRequest& request) {
    Json body = json_body(request, BodyPresence::required);
    Validation validation;
    const Json base = Json::array({"body"});
    auto name = string_member(body, "name", base, validation, Presence::optional, Nullable::yes);
    check_min_length(name, Json::array({"body", "name"}), validation);
    auto content =
        string_member(body, "content", base, validation, Presence::optional, Nullable::yes);
    validation.throw_if_any();

    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    DocumentRow row = require_document(m_db, document_id);
    if (name) {
      row.name = *name;
    }
    if (content) {
      if (row.type == "text") {
        row.text = *content;
        row.sha256 = vami::sha256_hex(*content);
      } else {
        row.content = *content;
      }
      row.size_bytes = static_cast<std::int64_t>(content->size());
    }
    if (name || content) {
      row.updated_at = now_seconds();
      SQLite::Statement update(m_db, "UPDATE convai_documents SET name = ?, text = ?, sha256 = ?, "
                                     "content = ?, size_bytes = ?, updated_at = ? "
                                     "WHERE document_id = ?");
      update.bind(1, row.name);
      update.bind(2, row.text);
      update.bind(3, row.sha256);
      if (row.content) {
        update.bind(4, *row.content);
      } else {
        update.bind(4);
      }
      update.bind(5, static_cast<std::int64_t>(row.size_bytes));
      update.bind(6, static_cast<std::int64_t>(*row.updated_at));
      update.bind(7, document_id);
      update.exec();
    }
    transaction.commit();
    return json_response(200, document_json(row));
  }

  http::HttpResponse delete_document(const std::string& document_id, const Params& query) {
    Validation validation;
    bool force = bool_param(query, "force", validation).value_or(false);
    validation.throw_if_any();

    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    (void)require_document(m_db, document_id);
    std::vector<std::string> users = users_of(document_id);
    if (!users.empty() && !force) {
      std::string list;
      for (const std::string& user : users) {
        list += (list.empty() ? "" : ", ") + user;
      }
      fail(409, "document_in_use",
           "Document " + document_id + " is used by " + std::to_string(users.size()) +
               " agent(s): " + list +
               ". Remove it from their knowledge base first, or delete it with force=true");
    }
    for (const std::string& user : users) {
      m_agents.remove_document_from_agent(user, document_id);
    }
    SQLite::Statement detach(m_db, "DELETE FROM convai_agent_documents WHERE document_id = ?");
    detach.bind(1, document_id);
    detach.exec();
    SQLite::Statement remove(m_db, "DELETE FROM convai_documents WHERE document_id = ?");
    remove.bind(1, document_id);
    remove.exec();
    transaction.commit();
    return json_response(200, Json::object());
  }

  http::HttpResponse dependent_agents(const std::string& document_id, const Params& query) {
    return knowledge::dependent_agents(m_db, m_mutex, document_id, query);
  }

  http::HttpResponse list_documents(const Params& query) {
    return knowledge::list_documents(m_db, m_mutex, query);
  }

private:
  static DocumentRow new_document(std::string type) {
    DocumentRow row;
    row.document_id = random_text(k_alnum, 20);
    row.type = std::move(type);
    row.created_at = now_seconds();
    return row;
  }

  static http::HttpResponse document_created(const DocumentRow& row) {
    Json body;
    body["id"] = row.document_id;
    body["name"] = row.name;
    body["folder_path"] = Json::array();
    return json_response(200, body);
  }

  void insert_document(const DocumentRow& row) {
    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement insert(m_db, "INSERT INTO convai_documents (document_id, type, name, "
                                   "file_name, content_type, url, text, size_bytes, sha256, "
                                   "created_at, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, row.document_id);
    insert.bind(2, row.type);
    insert.bind(3, row.name);
    insert.bind(4, row.file_name);
    insert.bind(5, row.content_type);
    insert.bind(6, row.url);
    insert.bind(7, row.text);
    insert.bind(8, static_cast<std::int64_t>(row.size_bytes));
    insert.bind(9, row.sha256);
    insert.bind(10, static_cast<std::int64_t>(row.created_at));
    if (row.content) {
      insert.bind(11, *row.content);
    } else {
      insert.bind(11);
    }
    insert.exec();
    transaction.commit();
  }

  // The agents whose knowledge base names `document_id`, by id. Connection locked by the caller.
  std::vector<std::string> users_of(const std::string& document_id) {
    std::vector<std::string> users;
    SQLite::Statement select(m_db, "SELECT agent_id FROM convai_agent_documents "
                                   "WHERE document_id = ? ORDER BY agent_id");
    select.bind(1, document_id);
    while (select.executeStep()) {
      users.push_back(select.getColumn(0).getString());
    }
    return users;
  }

  SQLite::Database& m_db;
  std::mutex& m_mutex;
  AgentKnowledgeView& m_agents;
};

} // namespace

http::HttpResponse KnowledgeBaseSandbox::route(const std::string& method,
                                               const std::vector<std::string>& segments,
                                               const http::HttpRequest& request,
                                               const Params& query) {
  KnowledgeBaseRequests requests(m_db, m_mutex, m_agents);
  const std::vector<std::string>& s = segments;
  if (s.size() == 3) {
    return method == "GET" ? requests.list_documents(query) : method_not_allowed();
  }
  if (s.size() == 4) {
    if (method == "POST") {
      if (s[3] == "file") {
        return requests.add_file(request);
      }
      if (s[3] == "url") {
        return requests.add_url(request);
      }
      if (s[3] == "text") {
        return requests.add_text(request);
      }
      return method_not_allowed();
    }
    if (method == "GET") {
      return requests.get_document(s[3]);
    }
    if (method == "PATCH") {
      return requests.patch_document(s[3], request);
    }
    if (method == "DELETE") {
      return requests.delete_document(s[3], query);
    }
    return method_not_allowed();
  }
  if (s.size() == 5 && s[4] == "content") {
    return method == "GET" ? requests.get_content(s[3]) : method_not_allowed();
  }
  if (s.size() == 5 && s[4] == "dependent-agents") {
    return method == "GET" ? requests.dependent_agents(s[3], query) : method_not_allowed();
  }
  return json_response(404, Json{{"detail", "Not Found"}});
}

} // namespace vami::sandbox
