#include <string>
#include <utility>
#include <vector>

#include "audit_json.hpp"
#include "lookups.hpp"

#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/knowledge_base_service.hpp>
#include <vami/core/process_holder.hpp>

namespace vami {

namespace {

constexpr std::size_t k_max_text_name = 60;

std::string in_quotes(const std::string& text) {
  return "\"" + text + "\"";
}

// A text document's default name: its first line, shortened.
std::string name_from_text(const std::string& text) {
  std::size_t start = text.find_first_not_of(" \t\r\n");
  std::string line = text.substr(start, text.find_first_of("\r\n", start) - start);
  if (line.size() > k_max_text_name) {
    line.resize(k_max_text_name);
    // Do not cut a UTF-8 sequence in half: drop the last one only if it lost bytes (a sequence
    // that ends exactly at the limit stays).
    std::size_t lead = line.size();
    while (lead > 0 && (static_cast<unsigned char>(line[lead - 1]) & 0xC0U) == 0x80U) {
      --lead;
    }
    if (lead > 0) {
      const auto first = static_cast<unsigned char>(line[lead - 1]);
      const std::size_t length = first >= 0xF0U ? 4 : first >= 0xE0U ? 3 : first >= 0xC0U ? 2 : 1;
      if (line.size() - (lead - 1) < length) {
        line.resize(lead - 1);
      }
    }
    line += "...";
  }
  return line;
}

// The documents the provider has answered for (an `uploading` one has no id to attach).
std::vector<Document> active_only(const std::vector<Document>& documents) {
  std::vector<Document> active;
  for (const Document& document : documents) {
    if (document.status == DocumentStatus::active) {
      active.push_back(document);
    }
  }
  return active;
}

std::vector<KnowledgeBaseRef> references(const std::vector<Document>& documents) {
  std::vector<KnowledgeBaseRef> refs;
  refs.reserve(documents.size());
  for (const Document& document : documents) {
    refs.push_back({document.provider_document_id, document.name, document.source_kind});
  }
  return refs;
}

} // namespace

KnowledgeBaseService::KnowledgeBaseService(AgentProviders& providers, StateStore& store,
                                           std::string actor)
    : m_providers(providers), m_store(store), m_actor(std::move(actor)) {}

VoiceAgentProvider& KnowledgeBaseService::provider_of(const Agent& agent) {
  VoiceAgentProvider& provider = m_providers.of(agent);
  if (!provider.capabilities().knowledge_base) {
    throw Error(ErrorKind::invalid_input,
                "agent " + in_quotes(agent.slug) + " is a " + provider.name() +
                    " agent, whose knowledge its orchestrator keeps: vami holds none for it",
                "give the orchestrator its knowledge, or pass a setting with 'vami agents "
                "update " +
                    agent.slug + " --param KEY=VALUE'");
  }
  return provider;
}

std::vector<DocumentOutcome>
KnowledgeBaseService::add_files(const std::string& agent_name,
                                const std::vector<std::filesystem::path>& files,
                                const std::string& name, const StopRequested& stop_requested) {
  if (files.empty()) {
    throw Error(ErrorKind::invalid_input, "no knowledge file given",
                "name one or more files, or use --url or --text");
  }
  if (!name.empty() && files.size() > 1) {
    throw Error(ErrorKind::invalid_input,
                "--name names one document, but " + std::to_string(files.size()) +
                    " files were given",
                "add the files one at a time to name each");
  }
  if (!name.empty()) {
    validate_display_name(name, "document name");
  }
  Agent agent = detail::require_active_agent(m_store, agent_name);
  VoiceAgentProvider& provider = provider_of(agent);
  // Every file is checked before the first upload, so one bad file changes nothing.
  std::vector<DocumentFile> checked;
  checked.reserve(files.size());
  for (const auto& path : files) {
    checked.push_back(read_document_file(path));
  }
  std::vector<DocumentOutcome> outcomes;
  for (DocumentFile& file : checked) {
    if (stop_requested && stop_requested()) {
      break;
    }
    std::optional<Document> existing = m_store.find_document_by_sha256(agent.slug, file.sha256);
    if (existing && existing->status == DocumentStatus::active) {
      outcomes.push_back({*existing, false});
      continue;
    }
    Document document;
    document.agent_slug = agent.slug;
    document.name = name.empty() ? file.file_name : name;
    document.source_kind = DocumentSourceKind::file;
    document.source = file.file_name;
    document.mime_type = file.mime_type;
    document.size_bytes = file.size_bytes;
    document.sha256 = file.sha256;
    DocumentUpload upload{"", file.file_name, file.mime_type, std::move(file.content)};
    outcomes.push_back(
        add(provider, agent, existing.value_or(document), [&](const std::string& upload_name) {
          upload.name = upload_name;
          return provider.add_document_file(upload);
        }));
  }
  return outcomes;
}

DocumentOutcome KnowledgeBaseService::add_url(const std::string& agent_name, const std::string& url,
                                              const std::string& name) {
  validate_document_url(url);
  if (!name.empty()) {
    validate_display_name(name, "document name");
  }
  Agent agent = detail::require_active_agent(m_store, agent_name);
  VoiceAgentProvider& provider = provider_of(agent);
  Document document;
  document.agent_slug = agent.slug;
  document.name = name.empty() ? url : name;
  document.source_kind = DocumentSourceKind::url;
  document.source = url;
  for (const Document& existing : m_store.list_documents(agent.slug)) {
    if (existing.source_kind == DocumentSourceKind::url && existing.source == url) {
      if (existing.status == DocumentStatus::active) {
        return {existing, false};
      }
      document = existing; // an earlier upload whose answer was lost
    }
  }
  return add(provider, agent, document, [&](const std::string& upload_name) {
    return provider.add_document_url(url, upload_name);
  });
}

DocumentOutcome KnowledgeBaseService::add_text(const std::string& agent_name,
                                               const std::string& text, const std::string& name) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw Error(ErrorKind::invalid_input, "the knowledge text is empty",
                "give the text itself, e.g. --text 'Opening hours: 9-17'");
  }
  if (static_cast<std::int64_t>(text.size()) > k_max_document_bytes || !is_valid_utf8(text)) {
    throw Error(ErrorKind::invalid_input,
                "the knowledge text is larger than 20 MiB or not valid UTF-8",
                "put long texts in a file and add it with 'vami kb add AGENT FILE'");
  }
  if (!name.empty()) {
    validate_display_name(name, "document name");
  }
  Agent agent = detail::require_active_agent(m_store, agent_name);
  VoiceAgentProvider& provider = provider_of(agent);
  std::string sha256 = sha256_hex(text);
  std::optional<Document> existing = m_store.find_document_by_sha256(agent.slug, sha256);
  if (existing && existing->status == DocumentStatus::active) {
    return {*existing, false};
  }
  Document document;
  document.agent_slug = agent.slug;
  document.name = name.empty() ? name_from_text(text) : name;
  document.source_kind = DocumentSourceKind::text;
  document.mime_type = "text/plain";
  document.size_bytes = static_cast<std::int64_t>(text.size());
  document.sha256 = sha256;
  return add(provider, agent, existing.value_or(document), [&](const std::string& upload_name) {
    return provider.add_document_text(text, upload_name);
  });
}

std::vector<Document> KnowledgeBaseService::list(const std::string& agent_name) {
  return m_store.list_documents(detail::require_agent(m_store, agent_name).slug);
}

Document KnowledgeBaseService::remove(const std::string& agent_name,
                                      const std::string& document_name) {
  Agent agent = detail::require_active_agent(m_store, agent_name);
  VoiceAgentProvider& provider = provider_of(agent);
  std::vector<Document> documents = m_store.list_documents(agent.slug);
  std::vector<Document> matches;
  for (const Document& document : documents) {
    if (document.provider_document_id == document_name) {
      matches = {document};
      break;
    }
    if (document.name == document_name) {
      matches.push_back(document);
    }
  }
  if (matches.empty()) {
    throw Error(ErrorKind::not_found,
                "agent " + in_quotes(agent.slug) + " has no document " + in_quotes(document_name),
                "see 'vami kb list " + agent.slug + "'");
  }
  if (matches.size() > 1) {
    throw Error(ErrorKind::conflict,
                std::to_string(matches.size()) + " documents of agent " + in_quotes(agent.slug) +
                    " are named " + in_quotes(document_name),
                "name the document by its id; see 'vami kb list " + agent.slug + "'");
  }
  const Document removed = matches.front();
  if (removed.status == DocumentStatus::uploading) {
    // An upload whose answer was lost: delete it at the provider if it got there.
    if (std::optional<std::string> id = find_upload(provider, removed.upload_name)) {
      provider.delete_document(*id);
    }
    m_store.delete_document_intent(removed.upload_name);
    detail::append_audit(m_store, m_actor, "kb remove", "document", removed.upload_name,
                         detail::audit_json(removed), "", agent.tenant_slug);
    return removed;
  }
  std::vector<Document> remaining;
  for (const Document& document : documents) {
    if (document.provider_document_id != removed.provider_document_id) {
      remaining.push_back(document);
    }
  }
  // Detached first: an agent must never point at a deleted document.
  attach(provider, agent, remaining);
  try {
    provider.delete_document(removed.provider_document_id);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::not_found) {
      throw;
    }
  }
  m_store.delete_document(agent.slug, removed.provider_document_id);
  detail::append_audit(m_store, m_actor, "kb remove", "document", removed.provider_document_id,
                       detail::audit_json(removed), "", agent.tenant_slug);
  return removed;
}

DocumentOutcome
KnowledgeBaseService::add(VoiceAgentProvider& provider, const Agent& agent, Document document,
                          const std::function<ProviderDocument(const std::string&)>& upload) {
  // The intent first (DESIGN.md section 3, rule 3): a row `uploading` under the name the
  // document is uploaded with, so that an upload whose answer never arrives (a kill, a timeout,
  // a dropped connection) is found again by a rerun or by `vami reconcile`, never lost.
  std::optional<std::string> document_id;
  if (document.status == DocumentStatus::uploading) {
    // An earlier attempt's intent: the provider may have made the document.
    try {
      document_id = find_upload(provider, document.upload_name);
    } catch (const Error& error) {
      throw lost_answer(document, error);
    }
  } else {
    document.status = DocumentStatus::uploading;
    document.upload_name = document_upload_name(document);
    document.holder = current_process_holder();
    document = m_store.insert_document(document);
  }
  if (!document_id) {
    try {
      document_id = upload(document.upload_name).document_id;
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::unavailable) {
        // The request may have been carried out before the answer was lost: look first.
        try {
          document_id = find_upload(provider, document.upload_name);
        } catch (const Error&) {
          throw lost_answer(document, error);
        }
      }
      if (!document_id) {
        m_store.delete_document_intent(document.upload_name);
        throw;
      }
    }
  }
  Document row = m_store.mark_document_uploaded(document.upload_name, *document_id);
  try {
    attach(provider, agent, m_store.list_documents(agent.slug));
  } catch (const Error&) {
    try {
      provider.delete_document(*document_id);
    } catch (const Error&) {
      // Best effort: an unattached document answers no calls, and reconcile finds it by name.
    }
    m_store.delete_document(agent.slug, *document_id);
    throw;
  }
  detail::append_audit(m_store, m_actor, "kb add", "document", row.provider_document_id, "",
                       detail::audit_json(row), agent.tenant_slug);
  return {row, true};
}

std::optional<std::string> KnowledgeBaseService::find_upload(VoiceAgentProvider& provider,
                                                             const std::string& upload_name) {
  for (const DocumentSummary& found : provider.list_documents(upload_name)) {
    if (found.name == upload_name) {
      return found.document_id;
    }
  }
  return std::nullopt;
}

Error KnowledgeBaseService::lost_answer(const Document& document, const Error& error) {
  return Error(ErrorKind::uncertain,
               "the upload of " + in_quotes(document.name) +
                   " may or may not have reached the provider, and vami could not look for it: " +
                   error.what(),
               "run the same command again (it looks for the upload before sending it again), "
               "or 'vami reconcile --apply'");
}

void KnowledgeBaseService::attach(VoiceAgentProvider& provider, const Agent& agent,
                                  const std::vector<Document>& documents) {
  AgentChange change;
  change.knowledge_base = references(active_only(documents));
  provider.update_agent(agent.provider_agent_id, change);
}

} // namespace vami
