#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "sandbox/sandbox_util.hpp"

#include <vami/providers/http_client.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

// Private to the sandbox emulator: the knowledge base of its ElevenLabs half.

namespace vami::sandbox {

/// What the knowledge base needs from the agents. Called with the connection's mutex held and
/// inside the caller's transaction, so it must neither lock nor begin one.
class AgentKnowledgeView {
public:
  virtual ~AgentKnowledgeView() = default;
  /// Removes every entry naming `document_id` from the knowledge base of agent `agent_id`
  /// (`conversation_config.agent.prompt.knowledge_base`); nothing when there is no such agent.
  virtual void remove_document_from_agent(const std::string& agent_id,
                                          const std::string& document_id) = 0;
};

/// An emulator of ElevenLabs' knowledge-base endpoints, following
/// `shared/specs/elevenlabs_openapi.json`:
///
/// - `POST /v1/convai/knowledge-base/{file,url,text}`: add a document (a file of at most
///   20 MiB, multipart; a URL; a text). The sandbox neither renders files nor fetches pages: the
///   content of a `text/*` file is kept as its content, other files and URLs have none until a
///   PATCH gives them one.
/// - `GET /v1/convai/knowledge-base`: `GetKnowledgeBaseListResponseModel`, cursor pages
///   (`page_size` 1..100, default 30; `cursor` / `next_cursor` / `has_more`), newest first by
///   default; `search` (names that start with it, case-sensitive), `types` (repeated),
///   `sort_by` (`name`, `created_at`, `updated_at`, `size`), `sort_direction`,
///   `created_by_user_id` (`@me` or the sandbox user's id keep all; another id, none),
///   `parent_folder_id` / `ancestor_folder_id` (the sandbox has no folders: no documents),
///   `show_only_owned_documents` and `folders_first` (validated; every document is owned and
///   none is a folder).
/// - `GET|PATCH|DELETE /v1/convai/knowledge-base/{id}`: a document; PATCH renames it (`name`,
///   at least one character) and/or replaces its content (`content`); DELETE refuses a
///   document agents use (409 `document_in_use`) unless `force=true`, which also removes it
///   from their knowledge base.
/// - `GET /v1/convai/knowledge-base/{id}/content`: the content as `text/html` (escaped text).
/// - `GET /v1/convai/knowledge-base/{id}/dependent-agents`: the agents whose knowledge base
///   names it (`dependent_type` `direct` or `all`; `transitive` is empty: the sandbox has no
///   transitive dependencies), cursor pages as above, oldest agent first.
///
/// Errors as the rest of the ElevenLabs half: 404 `document_not_found`, 422 validation errors,
/// 405 `{"detail":"Method Not Allowed"}`.
///
/// State: `convai_documents (seq, document_id, type, name, file_name, content_type, url, text,
/// size_bytes, sha256, created_at, updated_at (NULL until changed), content (NULL: none))` and
/// `convai_agent_documents (agent_id, document_id)`, which the agents keep.
class KnowledgeBaseSandbox {
public:
  /// Uses `db` (guarded by `mutex`) and `agents`; all three must outlive this object.
  KnowledgeBaseSandbox(SQLite::Database& db, std::mutex& mutex, AgentKnowledgeView& agents);

  /// Creates or upgrades the tables (`convai_documents`, `convai_agent_documents`): missing
  /// tables and columns are added, so older state files keep working. Call inside a write
  /// transaction.
  static void create_schema(SQLite::Database& db);

  /// Answers a request whose path segments are `segments` (starting `v1`, `convai`,
  /// `knowledge-base`) and method (HEAD already mapped to GET) is `method`. Errors are thrown
  /// as `elevenlabs::RequestFailure`.
  http::HttpResponse route(const std::string& method, const std::vector<std::string>& segments,
                           const http::HttpRequest& request, const Params& query);

private:
  SQLite::Database& m_db;
  std::mutex& m_mutex;
  AgentKnowledgeView& m_agents;
};

} // namespace vami::sandbox
