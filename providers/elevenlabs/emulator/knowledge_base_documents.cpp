#include "elevenlabs/emulator/knowledge_base_documents.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox::elevenlabs::knowledge {

namespace {

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

[[noreturn]] void document_not_found(const std::string& document_id) {
  fail(404, "document_not_found",
       "Knowledge base document with id " + document_id + " was not found");
}

} // namespace

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

std::string content_of(const DocumentRow& row) {
  if (row.type == "text") {
    return row.text;
  }
  return row.content.value_or("");
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

// GetKnowledgeBaseSummary{URL,File,Text}ResponseModel. Connection locked by the caller.
Json summary_json(SQLite::Database& db, const DocumentRow& row) {
  Json dependents = Json::array();
  SQLite::Statement select(db, "SELECT a.agent_id, a.name, a.created_at "
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

DocumentRow require_document(SQLite::Database& db, const std::string& document_id) {
  SQLite::Statement select(db, std::string("SELECT ") + k_document_columns +
                                   " FROM convai_documents WHERE document_id = ?");
  select.bind(1, document_id);
  if (!select.executeStep()) {
    document_not_found(document_id);
  }
  return read_document(select);
}

} // namespace vami::sandbox::elevenlabs::knowledge
