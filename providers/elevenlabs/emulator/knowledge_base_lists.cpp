#include "elevenlabs/emulator/knowledge_base_lists.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "elevenlabs/emulator/knowledge_base_documents.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox::elevenlabs::knowledge {

namespace {

// The id `created_by_user_id` may name besides `@me`: the sandbox's one user.
constexpr std::string_view k_sandbox_user_id = "sandbox";

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

http::HttpResponse dependent_agents(SQLite::Database& db, std::mutex& mutex,
                                    const std::string& document_id, const Params& query) {
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
    std::lock_guard lock(mutex);
    (void)require_document(db, document_id);
    if (dependent_type != "transitive") {
      SQLite::Statement select(
          db, "SELECT a.seq, a.agent_id, a.name, a.created_at FROM convai_agent_documents d "
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

http::HttpResponse list_documents(SQLite::Database& db, std::mutex& mutex, const Params& query) {
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
    sql +=
        std::string(" AND (") + sort->expression + ", seq) " + (descending ? "<" : ">") + " (?, ?)";
  }
  sql += std::string(" ORDER BY ") + sort->expression + (descending ? " DESC" : " ASC") + ", seq" +
         (descending ? " DESC" : " ASC") + " LIMIT ?";

  Json documents = Json::array();
  bool has_more = false;
  Json last_key;
  std::int64_t last_seq = 0;
  {
    std::lock_guard lock(mutex);
    SQLite::Statement select(db, sql);
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
      documents.push_back(summary_json(db, row));
    }
  }
  Json body;
  body["documents"] = std::move(documents);
  body["next_cursor"] = has_more ? Json(make_cursor(last_key, last_seq)) : Json(nullptr);
  body["has_more"] = has_more;
  return json_response(200, body);
}

} // namespace vami::sandbox::elevenlabs::knowledge
