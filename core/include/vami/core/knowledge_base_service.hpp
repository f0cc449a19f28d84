#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/tenant.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// What adding one document came to.
struct DocumentOutcome {
  Document document;
  /// False when the agent already had a document with the same content (same SHA-256): nothing
  /// was uploaded and `document` is the existing one.
  bool created = true;
};

/// The use cases of an agent's knowledge base: add files, URLs and texts, list and remove
/// documents. Each document is recorded as an intent (`uploading`, with the name it is uploaded
/// under: `document_upload_name`), uploaded, recorded with the provider's id, then attached to
/// the agent (`conversation_config.agent.prompt.knowledge_base`). When the upload's answer is
/// lost, the provider's documents are listed by that name before anything is sent again (by
/// the same call, a rerun, or `vami reconcile`); if attaching fails the upload is deleted
/// again. So no document is left at the provider untracked, and none is uploaded twice.
class KnowledgeBaseService {
public:
  /// Uploads to each agent's own provider, found in `providers`; `actor` is written into the
  /// audit trail. Every method that changes documents refuses, with Error(invalid_input), an
  /// agent whose provider keeps no knowledge base (stream agents).
  KnowledgeBaseService(AgentProviders& providers, StateStore& store, std::string actor);

  /// Checks every file first (exists, type by content, size; see `read_document_file`) and
  /// uploads nothing if one is bad; then adds them one by one. `name` names a single file
  /// (empty: the file name). Before each upload it polls `stop_requested`: once it returns
  /// true, no further file is started, and the outcomes returned are fewer than the files.
  /// @throws Error(invalid_input) for a bad file or a name given with several files;
  ///         Error(not_found) for an unknown agent.
  std::vector<DocumentOutcome> add_files(const std::string& agent,
                                         const std::vector<std::filesystem::path>& files,
                                         const std::string& name,
                                         const StopRequested& stop_requested = {});
  /// Adds a web page. @throws Error(invalid_input) for a URL that is not http(s).
  DocumentOutcome add_url(const std::string& agent, const std::string& url,
                          const std::string& name);
  /// Adds a text (an FAQ, opening hours). @throws Error(invalid_input) for an empty text.
  DocumentOutcome add_text(const std::string& agent, const std::string& text,
                           const std::string& name);
  /// The agent's documents, from the database.
  std::vector<Document> list(const std::string& agent);
  /// Detaches a document (by provider id or name) from the agent and deletes it at the provider.
  /// @throws Error(not_found) for an unknown agent or document; Error(conflict) when a name
  ///         matches several documents.
  Document remove(const std::string& agent, const std::string& document);

private:
  // Uploads `document` under its upload name (`upload(name)`), recording the intent first; an
  // `uploading` document is an earlier attempt's, looked for before it is uploaded again.
  DocumentOutcome add(VoiceAgentProvider& provider, const Agent& agent, Document document,
                      const std::function<ProviderDocument(const std::string&)>& upload);
  // The provider of `agent`, when it keeps knowledge bases; Error(invalid_input) otherwise.
  VoiceAgentProvider& provider_of(const Agent& agent);
  static std::optional<std::string> find_upload(VoiceAgentProvider& provider,
                                                const std::string& upload_name);
  static Error lost_answer(const Document& document, const Error& error);
  static void attach(VoiceAgentProvider& provider, const Agent& agent,
                     const std::vector<Document>& documents);

  AgentProviders& m_providers;
  StateStore& m_store;
  std::string m_actor;
};

} // namespace vami
