#include "elevenlabs/emulator/knowledge_base.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elevenlabs/emulator/wire.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>

namespace vami::sandbox {

namespace {

using namespace elevenlabs; // NOLINT(google-build-using-namespace): this half's wire helpers

constexpr std::size_t k_max_file_bytes = 20U * 1024U * 1024U;
constexpr std::size_t k_max_text_name = 60; // a text document's default name: its first line
// The id `created_by_user_id` may name besides `@me`: the sandbox's one user.
constexpr std::string_view k_sandbox_user_id = "sandbox";

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

struct DocumentRow {
  std::int64_t seq = 0;
  std::string document_id;
  std::string type;
  std::string name;
  std::string file_name;
  std::string content_type;
  std::string url;
  std::string text;
  std::int64_t size_bytes = 0;
  std::string sha256;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> updated_at;
  std::optional<std::string> content;

  [[nodiscard]] std::int64_t last_updated() const { return updated_at.value_or(created_at); }
};

constexpr const char* k_document_columns =
    "seq, document_id, type, name, file_name, content_type, url, text, size_bytes, sha256, "
    "created_at, updated_at, content";

DocumentRow read_document(SQLite::Statement& select) {
  DocumentRow row;
  row.seq = select.getColumn(0).getInt64();
  row.document_id = select.getColumn(1).getString();
  row.type = select.getColumn(2).getString();
  row.name = select.getColumn(3).getString();
  row.file_name = select.getColumn(4).getString();
  row.content_type = select.getColumn(5).getString();
  row.url = select.getColumn(6).getString();
  row.text = select.getColumn(7).getString();
  row.size_bytes = select.getColumn(8).getInt64();
  row.sha256 = select.getColumn(9).getString();
  row.created_at = select.getColumn(10).getInt64();
  if (!select.getColumn(11).isNull()) {
    row.updated_at = select.getColumn(11).getInt64();
  }
  if (!select.getColumn(12).isNull()) {
    row.content = select.getColumn(12).getString();
  }
  return row;
}

// What the service would have extracted: a text's own text, the content a PATCH gave, the
// content of a text file; empty for what the sandbox cannot render.
std::string content_of(const DocumentRow& row) {
  if (row.type == "text") {
    return row.text;
  }
  return row.content.value_or("");
}

Json metadata_json(const DocumentRow& row) {
  return Json{{"created_at_unix_secs", row.created_at},
              {"last_updated_at_unix_secs", row.last_updated()},
              {"size_bytes", row.size_bytes}};
}

// The members the document and summary models share, in the document's order.
Json document_head(const DocumentRow& row) {
  Json body;
  body["id"] = row.document_id;
  body["name"] = row.name;
  body["metadata"] = metadata_json(row);
  body["supported_usages"] = Json::array({"prompt", "auto"});
  body["access_info"] = access_info();
  body["folder_parent_id"] = nullptr;
  body["folder_path"] = Json::array();
  return body;
}

// GetKnowledgeBase{URL,File,Text}ResponseModel.
Json document_json(const DocumentRow& row) {
  Json body = document_head(row);
  body["type"] = row.type;
  if (row.type == "url") {
    body["url"] = row.url;
  }
  body["extracted_inner_html"] = html_escape(content_of(row));
  body["content_format"] = "html";
  if (row.type == "file") {
    body["filename"] = row.file_name;
  }
  return body;
}

// DependentAvailableAgentIdentifier.
Json dependent_json(const std::string& agent_id, const std::string& name, std::int64_t created_at) {
  Json agent;
  agent["referenced_resource_ids"] = Json::array();
  agent["id"] = agent_id;
  agent["name"] = name;
  agent["type"] = "available";
  agent["created_at_unix_secs"] = created_at;
  agent["access_level"] = "admin";
  return agent;
}

[[noreturn]] void document_not_found(const std::string& document_id) {
  fail(404, "document_not_found",
       "Knowledge base document with id " + document_id + " was not found");
}

http::HttpResponse method_not_allowed() {
  return json_response(405, Json{{"detail", "Method Not Allowed"}});
}

// A cursor of the lists: the sort key and seq of a page's last item, as a JSON array.
std::string make_cursor(const Json& key, std::int64_t seq) {
  return encode_cursor(Json::array({key, seq}).dump());
}

struct CursorKey {
  Json key;
  std::int64_t seq = 0;
};

std::optional<CursorKey> read_cursor(const Params& query, Validation& validation) {
  std::optional<std::string> decoded = cursor_param(query, validation);
  if (!decoded) {
    return std::nullopt;
  }
  Json parsed = Json::parse(*decoded, nullptr, false);
  if (!parsed.is_array() || parsed.size() != 2 || !parsed[1].is_number_integer() ||
      !(parsed[0].is_string() || parsed[0].is_number_integer())) {
    validation.add(Json::array({"query", "cursor"}),
                   "Value error, the cursor is not one this API returned", "value_error");
    return std::nullopt;
  }
  return CursorKey{parsed[0], parsed[1].get<std::int64_t>()};
}

// `KnowledgeBaseSortBy` -> the SQL expression it sorts by.
struct SortColumn {
  const char* name;
  const char* expression;
  bool text;
};
constexpr SortColumn k_sort_columns[] = {
    {"created_at", "created_at", false},
    {"updated_at", "coalesce(updated_at, created_at)", false},
    {"name", "name", true},
    {"size", "size_bytes", false},
};

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
    return json_response(200, document_json(require_document(document_id)));
  }

  http::HttpResponse get_content(const std::string& document_id) {
    DocumentRow row;
    {
      std::lock_guard lock(m_mutex);
      row = require_document(document_id);
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
    DocumentRow row = require_document(document_id);
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
    (void)require_document(document_id);
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
    Validation validation;
    std::int64_t page_size = page_size_param(query, k_default_page_size, validation);
    auto dependent_type = param(query, "dependent_type").value_or("all");
    if (dependent_type != "direct" && dependent_type != "transitive" && dependent_type != "all") {
      validation.add(Json::array({"query", "dependent_type"}),
                     "Input should be 'direct', 'transitive' or 'all'", "enum");
    }
    std::optional<std::string> cursor = cursor_param(query, validation);
    std::optional<std::int64_t> after_seq = cursor ? parse_integer(*cursor) : std::nullopt;
    if (cursor && !after_seq) {
      validation.add(Json::array({"query", "cursor"}),
                     "Value error, the cursor is not one this API returned", "value_error");
    }
    validation.throw_if_any();

    Json agents = Json::array();
    std::int64_t last_seq = 0;
    bool has_more = false;
    {
      std::lock_guard lock(m_mutex);
      (void)require_document(document_id);
      if (dependent_type != "transitive") {
        SQLite::Statement select(
            m_db, "SELECT a.seq, a.agent_id, a.name, a.created_at FROM convai_agent_documents d "
                  "JOIN convai_agents a ON a.agent_id = d.agent_id "
                  "WHERE d.document_id = ? AND a.seq > ? ORDER BY a.seq LIMIT ?");
        select.bind(1, document_id);
        select.bind(2, static_cast<std::int64_t>(after_seq.value_or(0)));
        select.bind(3, static_cast<std::int64_t>(page_size + 1));
        while (select.executeStep()) {
          if (static_cast<std::int64_t>(agents.size()) == page_size) {
            has_more = true;
            break;
          }
          last_seq = select.getColumn(0).getInt64();
          agents.push_back(dependent_json(select.getColumn(1).getString(),
                                          select.getColumn(2).getString(),
                                          select.getColumn(3).getInt64()));
        }
      }
    }
    Json body;
    body["agents"] = std::move(agents);
    body["next_cursor"] = has_more ? Json(encode_cursor(std::to_string(last_seq))) : Json(nullptr);
    body["has_more"] = has_more;
    return json_response(200, body);
  }

  // -- The list ------------------------------------------------------------------------------

  http::HttpResponse list_documents(const Params& query) {
    Validation validation;
    std::int64_t page_size = page_size_param(query, k_default_page_size, validation);
    SortDirection direction = sort_direction_param(query, validation);
    (void)bool_param(query, "show_only_owned_documents", validation);
    (void)bool_param(query, "folders_first", validation);
    const SortColumn* sort = &k_sort_columns[0];
    if (auto sort_by = param(query, "sort_by"); sort_by && !sort_by->empty()) {
      sort = nullptr;
      for (const SortColumn& column : k_sort_columns) {
        if (*sort_by == column.name) {
          sort = &column;
        }
      }
      if (sort == nullptr) {
        validation.add(Json::array({"query", "sort_by"}),
                       "Input should be 'name', 'created_at', 'updated_at' or 'size'", "enum");
        sort = &k_sort_columns[0];
      }
    }
    std::vector<std::string> types = all_params(query, "types");
    for (std::size_t i = 0; i < types.size(); ++i) {
      const std::string& type = types[i];
      if (type != "file" && type != "url" && type != "text" && type != "folder") {
        validation.add(Json::array({"query", "types", i}),
                       "Input should be 'file', 'url', 'text' or 'folder'", "enum");
      }
    }
    std::optional<CursorKey> cursor = read_cursor(query, validation);
    if (cursor && (cursor->key.is_string() != sort->text)) {
      validation.add(Json::array({"query", "cursor"}),
                     "Value error, the cursor belongs to a list sorted another way", "value_error");
    }
    validation.throw_if_any();

    auto non_empty = [&](const char* name) {
      auto value = param(query, name);
      return value && !value->empty();
    };
    auto creator = param(query, "created_by_user_id");
    bool nobody =
        (creator && !creator->empty() && *creator != "@me" && *creator != k_sandbox_user_id) ||
        non_empty("parent_folder_id") || non_empty("ancestor_folder_id");
    std::string search = param(query, "search").value_or("");

    std::string sql = std::string("SELECT ") + k_document_columns + ", " + sort->expression +
                      " FROM convai_documents WHERE 1 = 1";
    if (nobody) {
      sql += " AND 0";
    }
    if (!search.empty()) {
      sql += " AND substr(name, 1, length(?)) = ?";
    }
    if (!types.empty()) {
      sql += " AND type IN (";
      for (std::size_t i = 0; i < types.size(); ++i) {
        sql += i == 0 ? "?" : ", ?";
      }
      sql += ")";
    }
    bool descending = direction == SortDirection::descending;
    if (cursor) {
      sql += std::string(" AND (") + sort->expression + ", seq) " + (descending ? "<" : ">") +
             " (?, ?)";
    }
    sql += std::string(" ORDER BY ") + sort->expression + (descending ? " DESC" : " ASC") +
           ", seq" + (descending ? " DESC" : " ASC") + " LIMIT ?";

    Json documents = Json::array();
    bool has_more = false;
    Json last_key;
    std::int64_t last_seq = 0;
    {
      std::lock_guard lock(m_mutex);
      SQLite::Statement select(m_db, sql);
      int index = 1;
      if (!search.empty()) {
        select.bind(index++, search);
        select.bind(index++, search);
      }
      for (const std::string& type : types) {
        select.bind(index++, type);
      }
      if (cursor) {
        if (cursor->key.is_string()) {
          select.bind(index++, cursor->key.get<std::string>());
        } else {
          select.bind(index++, static_cast<std::int64_t>(cursor->key.get<std::int64_t>()));
        }
        select.bind(index++, static_cast<std::int64_t>(cursor->seq));
      }
      // One more than a page tells whether another page follows.
      select.bind(index, static_cast<std::int64_t>(page_size + 1));
      std::vector<DocumentRow> rows;
      while (select.executeStep()) {
        if (static_cast<std::int64_t>(rows.size()) == page_size) {
          has_more = true;
          break;
        }
        rows.push_back(read_document(select));
        last_seq = rows.back().seq;
        last_key = sort->text ? Json(select.getColumn(13).getString())
                              : Json(select.getColumn(13).getInt64());
      }
      for (const DocumentRow& row : rows) {
        documents.push_back(summary_json(row));
      }
    }
    Json body;
    body["documents"] = std::move(documents);
    body["next_cursor"] = has_more ? Json(make_cursor(last_key, last_seq)) : Json(nullptr);
    body["has_more"] = has_more;
    return json_response(200, body);
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

  // Connection locked by the caller.
  DocumentRow require_document(const std::string& document_id) {
    SQLite::Statement select(m_db, std::string("SELECT ") + k_document_columns +
                                       " FROM convai_documents WHERE document_id = ?");
    select.bind(1, document_id);
    if (!select.executeStep()) {
      document_not_found(document_id);
    }
    return read_document(select);
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

  // GetKnowledgeBaseSummary{URL,File,Text}ResponseModel. Connection locked by the caller.
  Json summary_json(const DocumentRow& row) {
    Json dependents = Json::array();
    SQLite::Statement select(m_db, "SELECT a.agent_id, a.name, a.created_at "
                                   "FROM convai_agent_documents d JOIN convai_agents a "
                                   "ON a.agent_id = d.agent_id WHERE d.document_id = ? "
                                   "ORDER BY a.seq");
    select.bind(1, row.document_id);
    while (select.executeStep()) {
      dependents.push_back(dependent_json(select.getColumn(0).getString(),
                                          select.getColumn(1).getString(),
                                          select.getColumn(2).getInt64()));
    }
    Json body = document_head(row);
    body["dependent_agents"] = std::move(dependents);
    body["type"] = row.type;
    if (row.type == "url") {
      body["url"] = row.url;
      body["auto_sync_info"] = nullptr;
    }
    return body;
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
