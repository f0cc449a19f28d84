// Knowledge: one Synthflow knowledge base per vami document, holding its one source, attached to
// and detached from agents (synthflow_provider_impl.hpp). Synthflow takes no file uploads: its
// sources are web pages and PDFs by URL and text content.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "synthflow_provider_impl.hpp"

#include <vami/core/error.hpp>

namespace vami::synthflow::detail {

namespace {

/// Knowledge bases per page (Synthflow's default is 25, no maximum documented).
constexpr int k_knowledge_page_size = 100;

/// The file types whose content Synthflow takes as a `text` source.
bool is_text_file(const std::string& mime_type) {
  return mime_type == "text/plain" || mime_type == "text/markdown" ||
         mime_type == "text/x-markdown";
}

std::string knowledge_base_path(const std::string& id) {
  return "/knowledge_base/" + http::url_encode(id);
}

} // namespace

ProviderDocument SynthflowProvider::add_knowledge_base(const std::string& action,
                                                       const std::string& name, json source) const {
  Call create{action, {}, {}};
  json body = json::object();
  if (!name.empty()) {
    body["name"] = name;
  }
  http::HttpResponse response = send(create, "POST", "/knowledge_base", body);
  Reader reader(create, response);
  std::string id =
      reader.text(reader.envelope(), "knowledge_base_id", Reader::Presence::required, "response");
  try {
    Call add{action + " (its source)", {}, {}};
    if (!name.empty()) {
      source["name"] = name;
    }
    http::HttpResponse added = send(add, "POST", knowledge_base_path(id) + "/sources", source);
    Reader added_reader(add, added);
    (void)added_reader.text(added_reader.envelope(), "source_id", Reader::Presence::required,
                            "response");
  } catch (const Error&) {
    // A knowledge base without its source answers nothing; it is not left behind for a rerun
    // to find by name and adopt. Should this delete fail, `list_documents` leaves it out.
    try {
      (void)exchange("DELETE", knowledge_base_path(id));
    } catch (const Error&) {
    }
    throw;
  }
  return {id, name};
}

ProviderDocument SynthflowProvider::add_document_file(const DocumentUpload& upload) {
  const std::string shown = upload.name.empty() ? upload.file_name : upload.name;
  if (!is_text_file(upload.mime_type)) {
    throw Error(ErrorKind::invalid_input,
                "Synthflow cannot take the file " + in_quotes(upload.file_name) + " (" +
                    upload.mime_type +
                    "): its knowledge bases take no uploads, only web pages and PDFs by URL and "
                    "text (plain-text and Markdown files are sent as text)",
                "publish a PDF and add its URL ('vami kb add AGENT --url https://.../file.pdf'), "
                "or convert the document to a .txt or .md file, or add it with --text");
  }
  return add_knowledge_base("upload document " + in_quotes(shown), upload.name,
                            {{"type", "text"}, {"content", upload.content}});
}

ProviderDocument SynthflowProvider::add_document_url(const std::string& address,
                                                     const std::string& name) {
  return add_knowledge_base("add the web page " + address + " to a knowledge base", name,
                            {{"type", url_source_type(address)}, {"url", address}});
}

ProviderDocument SynthflowProvider::add_document_text(const std::string& text,
                                                      const std::string& name) {
  return add_knowledge_base(name.empty()
                                ? std::string("add a text to a knowledge base")
                                : "add the text " + in_quotes(name) + " to a knowledge base",
                            name, {{"type", "text"}, {"content", text}});
}

std::vector<DocumentSummary> SynthflowProvider::list_documents(const std::string& name_prefix) {
  std::string action =
      name_prefix.empty() ? std::string("list knowledge bases")
                          : "list knowledge bases whose name starts with " + in_quotes(name_prefix);
  std::vector<DocumentSummary> found;
  read_pages(
      action, "/knowledge_base", {}, "knowledge_bases", k_knowledge_page_size,
      [&](const Reader& reader, const json& item, const std::string& where) {
        reader.expect_object(item, where);
        DocumentSummary summary;
        summary.document_id = reader.text(item, "id", Reader::Presence::required, where);
        summary.name = reader.text(item, "name", Reader::Presence::optional, where);
        if (summary.name.rfind(name_prefix, 0) == 0) {
          found.push_back(std::move(summary));
        }
      },
      [] { return false; });
  // The list does not say what a knowledge base holds: its first source tells the kind.
  std::vector<DocumentSummary> documents;
  for (DocumentSummary& summary : found) {
    Call call{"read the sources of knowledge base " + summary.document_id, {}, {}};
    http::HttpResponse response = send(call, "GET",
                                       knowledge_base_path(summary.document_id) + "/sources?" +
                                           http::form_encode({{"limit", "1"}, {"offset", "0"}}));
    Reader reader(call, response);
    std::vector<json> sources =
        reader.items(reader.envelope(), "sources", Reader::Presence::optional, "response");
    if (sources.empty()) {
      continue; // an add interrupted between its two requests: no document
    }
    reader.expect_object(sources.front(), "response.sources[0]");
    std::optional<DocumentSourceKind> kind = source_kind(
        reader.text(sources.front(), "type", Reader::Presence::optional, "response.sources[0]"));
    if (!kind) {
      continue; // a source type newer than this code: not vami's
    }
    summary.kind = *kind;
    documents.push_back(std::move(summary));
  }
  return documents;
}

void SynthflowProvider::delete_document(const std::string& document_id) {
  Call call{"delete knowledge base " + document_id, {}, {}};
  (void)send(call, "DELETE", knowledge_base_path(document_id));
}

void SynthflowProvider::attach_knowledge_base(const std::string& knowledge_base_id,
                                              const std::string& agent_id) const {
  Call call{"attach knowledge base " + knowledge_base_id + " to agent " + agent_id,
            "check that the knowledge base and the agent exist; 'vami reconcile' compares the "
            "state database with Synthflow",
            {}};
  (void)send(call, "POST",
             knowledge_base_path(knowledge_base_id) + "/attach?" +
                 http::form_encode({{"model_id", agent_id}}));
}

void SynthflowProvider::detach_knowledge_base(const std::string& knowledge_base_id,
                                              const std::string& agent_id) const {
  Call call{"detach knowledge base " + knowledge_base_id + " from agent " + agent_id, {}, {}};
  http::HttpResponse response = exchange("POST", knowledge_base_path(knowledge_base_id) + "/detach",
                                         json{{"model_id", agent_id}});
  if (response.status == 404) {
    return; // deleted already: attached to nothing
  }
  check(call, response);
}

} // namespace vami::synthflow::detail
