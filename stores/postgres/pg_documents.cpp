// The PostgreSQL state store: the knowledge-base documents of agents.

#include "pg_rows.hpp"
#include "pg_state_store.hpp"
#include <store_conflicts.hpp>

#include <vami/core/clock.hpp>

namespace vami::postgres_store {

using store_rules::agent_not_found;

namespace {

Error no_pending_upload(const std::string& upload_name) {
  return Error(ErrorKind::not_found, "no upload of document " + upload_name + " is pending");
}

/// The session lock that says an upload is under way (pg_state_store.hpp).
std::string upload_hold(const std::string& upload_name) {
  return "upload:" + upload_name;
}

} // namespace

Document PostgresStateStore::insert_document(const Document& document) {
  return transaction(
      "cannot record document " + document.name + " of agent " + document.agent_slug, [&] {
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
          pg::Statement holder(std::string(k_document_select) +
                               "WHERE d.provider_document_id = :id");
          holder.bind(":id", document.provider_document_id);
          const pg::Result found = db().exec(holder);
          if (found.rows() > 0) {
            const auto other = read_document(pg::Row(found, 0));
            throw Error(ErrorKind::conflict, "document id " + document.provider_document_id +
                                                 " already belongs to document \"" + other.name +
                                                 "\" of agent \"" + other.agent_slug + "\"");
          }
        }
        pg::Statement insert(
            "INSERT INTO documents (agent_id, provider_document_id, name, source_kind, source, "
            "mime_type, size_bytes, sha256, created_at, status, upload_name, holder) VALUES "
            "(:agent_id, :provider_document_id, :name, :source_kind, :source, :mime_type, "
            ":size_bytes, :sha256, :created_at, :status, :upload_name, :holder)");
        insert.bind(":agent_id", agent->id);
        insert.bind_text_or_null(":provider_document_id", document.provider_document_id);
        insert.bind(":name", document.name);
        insert.bind(":source_kind", to_string(document.source_kind));
        insert.bind_text_or_null(":source", document.source);
        insert.bind_text_or_null(":mime_type", document.mime_type);
        insert.bind(":size_bytes", document.size_bytes);
        insert.bind_text_or_null(":sha256", document.sha256);
        const auto created_at =
            document.created_at.empty() ? utc_now_iso8601() : document.created_at;
        insert.bind(":created_at", created_at);
        insert.bind(":status", to_string(document.status));
        insert.bind_text_or_null(":upload_name", document.upload_name);
        insert.bind_text_or_null(":holder", document.holder);
        try {
          db().exec(insert);
        } catch (const pg::PgError& error) {
          if (error.sqlstate() == "23514") { // check_violation: the size
            throw Error(ErrorKind::invalid_input, "document size " +
                                                      std::to_string(document.size_bytes) +
                                                      " bytes is negative");
          }
          throw;
        }
        if (document.status == DocumentStatus::uploading && !document.upload_name.empty()) {
          // A new upload name (UNIQUE): no other session can hold its lock.
          (void)take_hold(upload_hold(document.upload_name));
        }
        Document inserted = document;
        inserted.created_at = created_at;
        return inserted;
      });
}

std::vector<Document> PostgresStateStore::list_documents(const std::string& agent_slug) {
  return read("cannot list the documents of agent " + agent_slug, [&] {
    pg::Statement query(std::string(k_document_select) + "WHERE a.slug = :slug ORDER BY d.id");
    query.bind(":slug", agent_slug);
    const pg::Result rows = db().exec(query);
    std::vector<Document> documents;
    for (int i = 0; i < rows.rows(); ++i) {
      documents.push_back(read_document(pg::Row(rows, i)));
    }
    return documents;
  });
}

std::optional<Document> PostgresStateStore::find_document_by_sha256(const std::string& agent_slug,
                                                                    const std::string& sha256) {
  return read("cannot read the documents of agent " + agent_slug,
              [&] { return select_document_by_sha256(agent_slug, sha256); });
}

Document PostgresStateStore::mark_document_uploaded(const std::string& upload_name,
                                                    const std::string& provider_document_id) {
  Document uploaded = transaction("cannot record the upload of document " + upload_name, [&] {
    pg::Statement update("UPDATE documents SET provider_document_id = :id, status = 'active', "
                         "holder = NULL WHERE upload_name = :name AND status = 'uploading'");
    update.bind(":id", provider_document_id);
    update.bind(":name", upload_name);
    if (db().exec(update).affected() == 0) {
      throw no_pending_upload(upload_name);
    }
    pg::Statement query(std::string(k_document_select) + "WHERE d.upload_name = :name");
    query.bind(":name", upload_name);
    const pg::Result found = db().exec(query);
    return read_document(pg::Row(found, 0));
  });
  end_upload(upload_name);
  return uploaded;
}

void PostgresStateStore::delete_document_intent(const std::string& upload_name) {
  transaction("cannot forget the upload of document " + upload_name, [&] {
    pg::Statement remove(
        "DELETE FROM documents WHERE upload_name = :name AND status = 'uploading'");
    remove.bind(":name", upload_name);
    if (db().exec(remove).affected() == 0) {
      throw no_pending_upload(upload_name);
    }
  });
  end_upload(upload_name);
}

void PostgresStateStore::end_upload(const std::string& upload_name) {
  // Once settled (committed), the upload is no longer under way: its lock goes back.
  read("cannot end the upload of document " + upload_name,
       [&] { release_hold(upload_hold(upload_name)); });
}

void PostgresStateStore::delete_document(const std::string& agent_slug,
                                         const std::string& provider_document_id) {
  transaction("cannot delete document " + provider_document_id + " of agent " + agent_slug, [&] {
    pg::Statement remove("DELETE FROM documents WHERE provider_document_id = :id AND "
                         "agent_id = (SELECT id FROM agents WHERE slug = :slug)");
    remove.bind(":id", provider_document_id);
    remove.bind(":slug", agent_slug);
    if (db().exec(remove).affected() == 0) {
      throw Error(ErrorKind::not_found,
                  "agent \"" + agent_slug + "\" has no document with id " + provider_document_id);
    }
  });
}

std::optional<Document> PostgresStateStore::select_document_by_sha256(const std::string& agent_slug,
                                                                      const std::string& sha256) {
  pg::Statement query(std::string(k_document_select) +
                      "WHERE a.slug = :slug AND d.sha256 = :sha256");
  query.bind(":slug", agent_slug);
  query.bind(":sha256", sha256);
  const pg::Result found = db().exec(query);
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return read_document(pg::Row(found, 0));
}

} // namespace vami::postgres_store
