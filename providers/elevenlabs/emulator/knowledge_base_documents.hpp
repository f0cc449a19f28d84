#pragma once

// Private to the ElevenLabs emulator's knowledge base (knowledge_base.hpp): a document's row in
// `convai_documents` and its JSON models, shared by the requests on one document and the lists.

#include <cstdint>
#include <optional>
#include <string>

#include "elevenlabs/emulator/wire.hpp"

namespace SQLite {
class Database;
class Statement;
} // namespace SQLite

namespace vami::sandbox::elevenlabs::knowledge {

/// One row of `convai_documents`.
struct DocumentRow {
  std::int64_t seq = 0; ///< Insertion order; the lists' tie-breaker.
  std::string document_id;
  std::string type; ///< "file", "url" or "text".
  std::string name;
  std::string file_name;    ///< Files only.
  std::string content_type; ///< Files only.
  std::string url;          ///< URLs only.
  std::string text;         ///< Texts only.
  std::int64_t size_bytes = 0;
  std::string sha256;                     ///< Lower-case hex.
  std::int64_t created_at = 0;            ///< Unix seconds.
  std::optional<std::int64_t> updated_at; ///< Unix seconds; nullopt until changed.
  std::optional<std::string> content;     ///< What a PATCH or a text file gave; nullopt: none.

  /// `updated_at`, or `created_at` for a document never changed.
  [[nodiscard]] std::int64_t last_updated() const { return updated_at.value_or(created_at); }
};

/// The columns `read_document` reads, in its order, for a SELECT list.
inline constexpr const char* k_document_columns =
    "seq, document_id, type, name, file_name, content_type, url, text, size_bytes, sha256, "
    "created_at, updated_at, content";

/// The row at `select`'s current step, whose first columns are `k_document_columns`.
[[nodiscard]] DocumentRow read_document(SQLite::Statement& select);

/// What the service would have extracted: a text's own text, the content a PATCH gave, the
/// content of a text file; empty for what the sandbox cannot render.
[[nodiscard]] std::string content_of(const DocumentRow& row);

/// GetKnowledgeBase{URL,File,Text}ResponseModel.
[[nodiscard]] Json document_json(const DocumentRow& row);

/// DependentAvailableAgentIdentifier of an agent (`created_at` in Unix seconds).
[[nodiscard]] Json dependent_json(const std::string& agent_id, const std::string& name,
                                  std::int64_t created_at);

/// GetKnowledgeBaseSummary{URL,File,Text}ResponseModel, with the agents using it. Connection
/// locked by the caller.
[[nodiscard]] Json summary_json(SQLite::Database& db, const DocumentRow& row);

/// The document `document_id`; throws `RequestFailure` 404 `document_not_found` when there is
/// none. Connection locked by the caller.
[[nodiscard]] DocumentRow require_document(SQLite::Database& db, const std::string& document_id);

} // namespace vami::sandbox::elevenlabs::knowledge
