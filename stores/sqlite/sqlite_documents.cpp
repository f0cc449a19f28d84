// The SQLite state store: the knowledge-base documents of agents.

#include "sqlite_conflicts.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_state_store.hpp"
#include <sqlite3.h>

#include <vami/core/clock.hpp>
#include <vami/core/process_holder.hpp>

namespace vami::sqlite_store {

Document SqliteStateStore::insert_document(const Document& document) {
  return guarded(
      "cannot record document " + document.name + " of agent " + document.agent_slug, [&] {
        SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
        const auto agent = select_agent_ids(document.agent_slug);
        if (!agent) {
          throw agent_not_found(document.agent_slug);
        }
        if (!document.sha256.empty()) {
          if (const auto same = select_document_by_sha256(document.agent_slug, document.sha256)) {
            throw Error(ErrorKind::conflict,
                        "agent \"" + document.agent_slug +
                            "\" already has this content as document \"" + same->name + "\" (id " +
                            same->provider_document_id + ")",
                        "delete that document first to upload it again");
          }
        }
        if (!document.provider_document_id.empty()) {
          SQLite::Statement holder(m_db, std::string(k_document_select) +
                                             "WHERE d.provider_document_id = ?");
          holder.bind(1, document.provider_document_id);
          if (holder.executeStep()) {
            const auto other = read_document(holder);
            throw Error(ErrorKind::conflict, "document id " + document.provider_document_id +
                                                 " already belongs to document \"" + other.name +
                                                 "\" of agent \"" + other.agent_slug + "\"");
          }
        }
        SQLite::Statement insert(
            m_db, "INSERT INTO documents (agent_id, provider_document_id, name, source_kind, "
                  "source, mime_type, size_bytes, sha256, created_at, status, upload_name, holder) "
                  "VALUES (:agent_id, :provider_document_id, :name, :source_kind, :source, "
                  ":mime_type, :size_bytes, :sha256, :created_at, :status, :upload_name, "
                  ":holder)");
        insert.bind(":agent_id", agent->id);
        bind_text_or_null(insert, ":provider_document_id", document.provider_document_id);
        insert.bind(":name", document.name);
        insert.bind(":source_kind", to_string(document.source_kind));
        bind_text_or_null(insert, ":source", document.source);
        bind_text_or_null(insert, ":mime_type", document.mime_type);
        insert.bind(":size_bytes", document.size_bytes);
        bind_text_or_null(insert, ":sha256", document.sha256);
        const auto created_at =
            document.created_at.empty() ? utc_now_iso8601() : document.created_at;
        insert.bind(":created_at", created_at);
        insert.bind(":status", to_string(document.status));
        bind_text_or_null(insert, ":upload_name", document.upload_name);
        bind_text_or_null(insert, ":holder", document.holder);
        try {
          insert.exec();
        } catch (const SQLite::Exception& error) {
          if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_CHECK) {
            throw Error(ErrorKind::invalid_input, "document size " +
                                                      std::to_string(document.size_bytes) +
                                                      " bytes is negative");
          }
          throw;
        }
        Document inserted = document;
        inserted.created_at = created_at;
        transaction.commit();
        return inserted;
      });
}

std::vector<Document> SqliteStateStore::list_documents(const std::string& agent_slug) {
  return guarded("cannot list the documents of agent " + agent_slug, [&] {
    SQLite::Statement query(m_db,
                            std::string(k_document_select) + "WHERE a.slug = ? ORDER BY d.id");
    query.bind(1, agent_slug);
    std::vector<Document> documents;
    while (query.executeStep()) {
      documents.push_back(read_document(query));
    }
    return documents;
  });
}

std::optional<Document> SqliteStateStore::find_document_by_sha256(const std::string& agent_slug,
                                                                  const std::string& sha256) {
  return guarded("cannot read the documents of agent " + agent_slug,
                 [&] { return select_document_by_sha256(agent_slug, sha256); });
}

Document SqliteStateStore::mark_document_uploaded(const std::string& upload_name,
                                                  const std::string& provider_document_id) {
  return guarded("cannot record the upload of document " + upload_name, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(
        m_db, "UPDATE documents SET provider_document_id = ?, status = 'active', holder = "
              "NULL WHERE upload_name = ? AND status = 'uploading'");
    update.bind(1, provider_document_id);
    update.bind(2, upload_name);
    if (update.exec() == 0) {
      throw Error(ErrorKind::not_found, "no upload of document " + upload_name + " is pending");
    }
    SQLite::Statement query(m_db, std::string(k_document_select) + "WHERE d.upload_name = ?");
    query.bind(1, upload_name);
    query.executeStep();
    Document document = read_document(query);
    transaction.commit();
    return document;
  });
}

void SqliteStateStore::delete_document_intent(const std::string& upload_name) {
  guarded("cannot forget the upload of document " + upload_name, [&] {
    SQLite::Statement remove(
        m_db, "DELETE FROM documents WHERE upload_name = ? AND status = 'uploading'");
    remove.bind(1, upload_name);
    if (remove.exec() == 0) {
      throw Error(ErrorKind::not_found, "no upload of document " + upload_name + " is pending");
    }
  });
}

void SqliteStateStore::delete_document(const std::string& agent_slug,
                                       const std::string& provider_document_id) {
  guarded("cannot delete document " + provider_document_id + " of agent " + agent_slug, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement remove(m_db, "DELETE FROM documents WHERE provider_document_id = ? AND "
                                   "agent_id = (SELECT id FROM agents WHERE slug = ?)");
    remove.bind(1, provider_document_id);
    remove.bind(2, agent_slug);
    if (remove.exec() == 0) {
      throw Error(ErrorKind::not_found,
                  "agent \"" + agent_slug + "\" has no document with id " + provider_document_id);
    }
    transaction.commit();
  });
}

std::optional<Document> SqliteStateStore::select_document_by_sha256(const std::string& agent_slug,
                                                                    const std::string& sha256) {
  SQLite::Statement query(m_db,
                          std::string(k_document_select) + "WHERE a.slug = ? AND d.sha256 = ?");
  query.bind(1, agent_slug);
  query.bind(2, sha256);
  if (!query.executeStep()) {
    return std::nullopt;
  }
  return read_document(query);
}

} // namespace vami::sqlite_store
