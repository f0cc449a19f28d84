// Runs every Synthflow operation vami uses, through the real client over libcurl, against the
// base URL in VAMI_SYNTHFLOW_BASE_URL (api-mocks: Prism serving the official document), and
// prints one JSON line per operation: {"op", "ok", "detail"|"error"}. No command of the CLI
// chooses Synthflow yet, so test_synthflow_contract.py runs this instead of the binary.
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/synthflow_provider.hpp>

namespace {

using nlohmann::json;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

int failures = 0;

void run(const std::string& op, const std::function<json()>& action) {
  json line = {{"op", op}};
  try {
    line["ok"] = true;
    line["detail"] = action();
  } catch (const vami::Error& error) {
    line["ok"] = false;
    line["error"] = std::string(vami::to_string(error.kind())) + ": " + error.what();
    ++failures;
  }
  std::cout << line.dump() << std::endl;
}

} // namespace

int main() {
  vami::ProviderSettings settings;
  settings.values["synthflow_api_key"] = env("SYNTHFLOW_API_KEY");
  settings.values["synthflow_workspace_id"] = env("SYNTHFLOW_WORKSPACE_ID");
  settings.values["synthflow_base_url"] = env("VAMI_SYNTHFLOW_BASE_URL");
  std::unique_ptr<vami::http::HttpClient> http = vami::http::make_curl_http_client({});
  std::unique_ptr<vami::VoiceAgentProvider> provider =
      vami::make_synthflow_provider(settings, *http);
  std::string agent_id = "agent-1";

  run("list_voices", [&] { return json(provider->list_voices().size()); });
  run("create_agent", [&] {
    vami::AgentDefinition definition;
    definition.name = "Front Desk";
    definition.prompt = "Book appointments.";
    definition.first_message = "Hello, Acme Dental.";
    definition.voice_id = "voice-1";
    definition.language = "de";
    definition.tags = {"vami", "vami-agent:front-desk", "vami-tenant:acme"};
    agent_id = provider->create_agent(definition);
    return json(agent_id);
  });
  run("get_agent", [&] { return json(provider->get_agent(agent_id).has_value()); });
  run("update_agent", [&] {
    vami::AgentChange change;
    change.name = "Front Desk ES";
    change.prompt = "Be brief.";
    change.first_message = "";
    change.voice_id = "voice-2";
    change.language = "es";
    return json(provider->update_agent(agent_id, change).agent_id);
  });
  run("list_agents", [&] { return json(provider->list_agents("front").size()); });

  std::string document_id = "kb-1";
  run("add_document_url", [&] {
    document_id =
        provider->add_document_url("https://acme.example/faq", "vami:fd:1 FAQ").document_id;
    return json(document_id);
  });
  run("add_document_pdf_url", [&] {
    return json(
        provider->add_document_url("https://acme.example/prices.pdf", "Prices").document_id);
  });
  run("add_document_text",
      [&] { return json(provider->add_document_text("Open 9 to 17.", "Hours").document_id); });
  run("add_document_file", [&] {
    vami::DocumentUpload upload{"Notes", "notes.md", "text/markdown", "# Notes\n"};
    return json(provider->add_document_file(upload).document_id);
  });
  run("attach_documents", [&] {
    vami::AgentChange change;
    change.knowledge_base =
        std::vector<vami::KnowledgeBaseRef>{{document_id, "FAQ", vami::DocumentSourceKind::url}};
    return json(provider->update_agent(agent_id, change).agent_id);
  });
  run("list_documents", [&] { return json(provider->list_documents("").size()); });
  run("delete_document", [&] {
    provider->delete_document(document_id);
    return json(document_id);
  });

  std::string slug;
  run("import_number", [&] {
    slug = provider
               ->import_sip_trunk_number("+12125550101", "vami:acme",
                                         env("VAMI_SYNTHFLOW_TERMINATION_URI"))
               .phone_number_id;
    return json(slug);
  });
  run("assign_number", [&] { return json(provider->set_number_agent(slug, agent_id).agent_id); });
  run("unassign_number", [&] { return json(provider->set_number_agent(slug, "").agent_id); });
  run("list_imported_numbers", [&] { return json(provider->list_imported_numbers().size()); });
  run("remove_imported_number", [&] {
    provider->remove_imported_number(slug);
    return json(slug);
  });

  // The workspace's own numbers (a new sandbox holds +14155550142 and +14155550167; the mock
  // answers its examples, whose `sid` is a string).
  run("list_workspace_numbers", [&] { return json(provider->list_workspace_numbers().size()); });
  run("release_workspace_number", [&] {
    provider->release_workspace_number("14155550142");
    return json("14155550142");
  });

  std::string call_id = "call-1";
  run("list_conversations", [&] {
    auto calls = provider->list_conversations(agent_id, 5);
    if (!calls.empty()) {
      call_id = calls.front().conversation_id;
    }
    return json(calls.size());
  });
  run("list_conversations_since",
      [&] { return json(provider->list_conversations_since(agent_id, 1732546200).size()); });
  run("get_conversation",
      [&] { return json(provider->get_conversation(call_id).conversation.conversation_id); });
  run("delete_agent", [&] {
    provider->delete_agent(agent_id);
    return json(agent_id);
  });
  return failures == 0 ? 0 : 1;
}
