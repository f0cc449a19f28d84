// `vami kb`: an agent's knowledge base (files, web pages, texts).
#include <iostream>

#include "app.hpp"

namespace vami::cli {

namespace {

struct AddOptions {
  std::string agent;
  std::vector<std::string> files;
  std::string url;
  std::string text;
  std::string name;
};

struct RemoveOptions {
  std::string agent;
  std::string document;
};

const std::vector<Column>& document_columns() {
  static const std::vector<Column> columns = {
      field("ID", "id"),          field("NAME", "name"),        field("KIND", "source_kind"),
      field("TYPE", "mime_type"), field("BYTES", "size_bytes"), field("ADDED", "created_at")};
  return columns;
}

} // namespace

void register_kb_commands(CLI::App& app, AppContext& context) {
  auto* kb = app.add_subcommand("kb", "Knowledge base: documents an agent answers from");
  kb->require_subcommand(1);

  auto add = std::make_shared<AddOptions>();
  auto* add_command = kb->add_subcommand(
      "add", "Upload files (PDF, TXT, Markdown, DOCX, HTML, EPUB; 20 MiB each), a web page or a "
             "text, and attach them to the agent");
  add_command->add_option("agent", add->agent, "Agent slug or provider id")->required();
  auto* files = add_command->add_option("files", add->files, "Files to upload")->type_name("FILE");
  auto* url = add_command->add_option("--url", add->url, "A web page (http or https)");
  auto* text = add_command->add_option("--text", add->text, "A text, such as an FAQ");
  files->excludes(url)->excludes(text);
  url->excludes(text);
  add_command->add_option("--name", add->name, "Document name (one document only)");
  context.stops_after_step(add_command); // changes providers: see cli/signals.hpp
  add_command->callback([&context, add, url, text] {
    std::vector<DocumentOutcome> outcomes;
    std::size_t not_started = 0;
    KnowledgeBaseService knowledge = context.knowledge_base();
    // Counted, not tested for emptiness: `--text ""` is an empty text, not a missing one.
    if (url->count() > 0) {
      outcomes.push_back(knowledge.add_url(add->agent, add->url, add->name));
    } else if (text->count() > 0) {
      outcomes.push_back(knowledge.add_text(add->agent, add->text, add->name));
    } else if (!add->files.empty()) {
      std::vector<std::filesystem::path> paths(add->files.begin(), add->files.end());
      outcomes = knowledge.add_files(add->agent, paths, add->name,
                                     [] { return AppContext::interrupted(); });
      not_started = paths.size() - outcomes.size();
    } else {
      throw Error(ErrorKind::invalid_input, "nothing to add",
                  "name files, or give --url URL or --text TEXT");
    }
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const DocumentOutcome& outcome : outcomes) {
      nlohmann::ordered_json record = to_json(outcome.document);
      record["created"] = outcome.created;
      records.push_back(std::move(record));
      if (!outcome.created) {
        context.note(outcome.document.name + " is already in the knowledge base of " +
                     outcome.document.agent_slug + " (same content): not uploaded again");
      }
    }
    write_records(std::cout, context.output_format(), records, document_columns());
    if (not_started > 0) {
      context.note("interrupted: " + std::to_string(not_started) +
                   " file(s) not added; the documents above were added and attached; run the "
                   "same command again to add the rest");
      throw BulkExit{ExitCode::interrupted};
    }
  });

  auto list_agent = std::make_shared<std::string>();
  auto* list_command = kb->add_subcommand("list", "List an agent's documents");
  list_command->add_option("agent", *list_agent, "Agent slug or provider id")->required();
  list_command->callback([&context, list_agent] {
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const Document& document : context.knowledge_base().list(*list_agent)) {
      records.push_back(to_json(document));
    }
    write_records(std::cout, context.output_format(), records, document_columns());
  });

  auto remove = std::make_shared<RemoveOptions>();
  auto* remove_command = kb->add_subcommand(
      "remove", "Detach a document from the agent and delete it at the provider");
  remove_command->add_option("agent", remove->agent, "Agent slug or provider id")->required();
  remove_command->add_option("document", remove->document, "Document id or name")->required();
  context.stops_after_step(remove_command); // changes providers: see cli/signals.hpp
  remove_command->callback([&context, remove] {
    Document removed = context.knowledge_base().remove(remove->agent, remove->document);
    write_object(std::cout, context.output_format(), to_json(removed));
    context.note("removed " + removed.name + " from the knowledge base of " + removed.agent_slug);
  });
}

} // namespace vami::cli
