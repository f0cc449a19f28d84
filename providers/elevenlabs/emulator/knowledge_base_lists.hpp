#pragma once

// Private to the ElevenLabs emulator's knowledge base (knowledge_base.hpp): its two lists, with
// cursor pages.

#include <mutex>
#include <string>

#include "elevenlabs/emulator/wire.hpp"
#include "sandbox/sandbox_util.hpp"

#include <vami/providers/http_client.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

namespace vami::sandbox::elevenlabs::knowledge {

/// `GET /v1/convai/knowledge-base`: GetKnowledgeBaseListResponseModel (see KnowledgeBaseSandbox
/// for the parameters). Locks `mutex` while it reads `db`; throws `RequestFailure` 422 for
/// invalid parameters.
[[nodiscard]] http::HttpResponse list_documents(SQLite::Database& db, std::mutex& mutex,
                                                const Params& query);

/// `GET /v1/convai/knowledge-base/{id}/dependent-agents`: the agents whose knowledge base names
/// `document_id`, oldest first. Locks `mutex` while it reads `db`; throws `RequestFailure` 404
/// for an unknown document, 422 for invalid parameters.
[[nodiscard]] http::HttpResponse dependent_agents(SQLite::Database& db, std::mutex& mutex,
                                                  const std::string& document_id,
                                                  const Params& query);

} // namespace vami::sandbox::elevenlabs::knowledge
