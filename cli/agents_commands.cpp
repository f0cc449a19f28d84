// `vami agents` and `vami voices`: each tenant's voice agents at the voice-agent provider.
#include <iostream>

#include "agent_provider_registry.hpp"
#include "app.hpp"
#include "provider_words.hpp"

#include <vami/core/stream_agent.hpp>

namespace vami::cli {

namespace {

// Flags shared by create and update; unset optionals change nothing.
struct AgentFlags {
  std::optional<std::string> name;
  std::optional<std::string> prompt;
  std::optional<std::string> prompt_file;
  std::optional<std::string> first_message;
  std::optional<std::string> voice;
  std::optional<std::string> language;
  std::optional<std::string> personality;
  std::optional<std::string> stream_url;
  std::vector<std::string> parameters; ///< `--param KEY=VALUE`, in order.
};

struct CreateOptions {
  std::string tenant;
  std::string slug;
  std::string provider;
  AgentFlags flags;
};

struct UpdateOptions {
  std::string agent;
  AgentFlags flags;
};

struct ConversationsOptions {
  std::string agent;
  int limit = 30;
};

const std::vector<Column>& agent_columns() {
  static const std::vector<Column> columns = {
      field("SLUG", "slug"),         field("TENANT", "tenant"),
      field("NAME", "name"),         field("PROVIDER", "provider"),
      field("STATUS", "status"),     field("VOICE", "voice_id"),
      field("LANGUAGE", "language"), field("AGENT ID", "provider_agent_id")};
  return columns;
}

void add_agent_flags(CLI::App* command, AgentFlags& flags, bool name_required) {
  auto* name = command->add_option("--name", flags.name, "Display name (also at the provider)");
  if (name_required) {
    name->required();
  }
  auto* prompt = command->add_option("--prompt", flags.prompt, "System prompt: the instructions");
  auto* prompt_file = command
                          ->add_option("--prompt-file", flags.prompt_file,
                                       "Read the system prompt from a UTF-8 file")
                          ->type_name("PATH");
  prompt->excludes(prompt_file);
  command->add_option("--first-message", flags.first_message, "Greeting the agent speaks first");
  command->add_option("--voice", flags.voice, "Voice name or id (see 'vami voices list')");
  command->add_option("--language", flags.language, "Conversation language, ISO 639-1 (\"en\")");
  command->add_option("--personality", flags.personality, "How the agent speaks")
      ->check(CLI::IsMember({"friendly", "professional", "casual"}));
  command
      ->add_option("--stream-url", flags.stream_url,
                   "Stream agents: the orchestrator's WebSocket URL (wss://; ws:// on this "
                   "machine only) that calls are connected to with <Connect><Stream>. With a "
                   "real Twilio account it must be reachable from the internet: the sandbox's "
                   "wss://sandbox.vami.invalid/stream/NAME and this machine's URLs are refused")
      ->type_name("URL");
  command
      ->add_option(
          "--param", flags.parameters,
          "Stream agents: a setting passed with each call as a <Parameter> after the "
          "tenant's own (vami_tenant, vami_agent, vami_agent_id, vami_agent_name, vami_greeting, "
          "vami_voice, vami_language, vami_personality, vami_call_sid); repeat it; on "
          "update the given ones replace them all")
      ->type_name("KEY=VALUE");
}

std::optional<std::vector<StreamParameter>> stream_parameters(const AgentFlags& flags) {
  if (flags.parameters.empty()) {
    return std::nullopt;
  }
  std::vector<StreamParameter> parameters;
  for (const std::string& given : flags.parameters) {
    parameters.push_back(parse_stream_parameter(given));
  }
  return parameters;
}

std::optional<std::string> read_prompt(const AgentFlags& flags) {
  if (flags.prompt) {
    return flags.prompt;
  }
  if (!flags.prompt_file) {
    return std::nullopt;
  }
  return read_prompt_file(*flags.prompt_file);
}

std::optional<Personality> personality(const AgentFlags& flags) {
  return flags.personality ? parse_personality(*flags.personality) : std::nullopt;
}

nlohmann::ordered_json details_json(const AgentDetails& details) {
  nlohmann::ordered_json json = to_json(details.agent, /*with_prompt=*/true);
  json["numbers"] = nlohmann::ordered_json::array();
  for (const PoolNumber& number : details.numbers) {
    json["numbers"].push_back(to_json(number));
  }
  json["documents"] = nlohmann::ordered_json::array();
  for (const Document& document : details.documents) {
    json["documents"].push_back(to_json(document));
  }
  return json;
}

nlohmann::ordered_json to_json(const Voice& voice) {
  return {{"voice_id", voice.voice_id},
          {"name", voice.name},
          {"category", text_or_null(voice.category)},
          {"gender", text_or_null(voice.gender)},
          {"accent", text_or_null(voice.accent)},
          {"description", text_or_null(voice.description)}};
}

nlohmann::ordered_json to_json(const Conversation& conversation) {
  return {{"conversation_id", conversation.conversation_id},
          {"agent_id", conversation.agent_id},
          {"status", conversation.status},
          {"start_time_unix", conversation.start_time_unix},
          {"duration_seconds", conversation.duration_seconds},
          {"message_count", conversation.message_count},
          {"call_successful", text_or_null(conversation.call_successful)}};
}

} // namespace

void register_agents_commands(CLI::App& app, AppContext& context) {
  auto* agents = app.add_subcommand("agents", "Voice agents: one or more per tenant");
  agents->require_subcommand(1);

  auto create = std::make_shared<CreateOptions>();
  auto* create_command = agents->add_subcommand("create", "Create a tenant's voice agent");
  create_command->add_option("--tenant", create->tenant, "Tenant slug")->required();
  create_command->add_option("--slug", create->slug, "Agent slug (default: from the name)");
  create_command
      ->add_option("--provider", create->provider,
                   "Where the agent runs " + default_provider_words() + ": " +
                       described_providers())
      ->check(CLI::IsMember(AgentProviderRegistry::known_names()));
  add_agent_flags(create_command, create->flags, /*name_required=*/true);
  context.stops_after_step(create_command); // changes providers: see cli/signals.hpp
  create_command->callback([&context, create] {
    AgentRequest request;
    request.tenant_slug = create->tenant;
    request.slug = create->slug;
    request.name = create->flags.name.value_or("");
    request.prompt = read_prompt(create->flags);
    request.first_message = create->flags.first_message.value_or("");
    request.voice = create->flags.voice.value_or("");
    request.language = create->flags.language.value_or("");
    request.personality = personality(create->flags);
    request.provider = create->provider;
    request.stream_url = create->flags.stream_url.value_or("");
    request.stream_parameters =
        stream_parameters(create->flags).value_or(std::vector<StreamParameter>{});
    if (create->flags.first_message && create->flags.first_message->empty()) {
      throw Error(ErrorKind::invalid_input, "--first-message is empty",
                  "leave it out for the default greeting");
    }
    Agent agent = context.agents().create(request);
    write_object(std::cout, context.output_format(), to_json(agent));
    context.note("agent " + agent.slug + " created at " + agent.provider + " as " +
                 agent.provider_agent_id +
                 "; give it a number with 'vami numbers assign "
                 "--pick --agent " +
                 agent.slug + "'");
  });

  auto list_tenant = std::make_shared<std::string>();
  auto* list_command = agents->add_subcommand("list", "List agents");
  list_command->add_option("--tenant", *list_tenant, "Only this tenant's agents")
      ->type_name("SLUG");
  list_command->callback([&context, list_tenant] {
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const Agent& agent : context.agents().list(*list_tenant)) {
      records.push_back(to_json(agent));
    }
    write_records(std::cout, context.output_format(), records, agent_columns());
  });

  auto show_agent = std::make_shared<std::string>();
  auto* show_command =
      agents->add_subcommand("show", "Show an agent with its prompt, numbers and documents");
  show_command->add_option("agent", *show_agent, "Agent slug or provider id")->required();
  show_command->callback([&context, show_agent] {
    const AgentDetails details = context.agents().show(*show_agent);
    const OutputFormat format = context.output_format();
    if (format != OutputFormat::table) {
      write_object(std::cout, format, details_json(details));
      return;
    }
    write_object(std::cout, format, to_json(details.agent, /*with_prompt=*/true));
    std::cout << "\nNumbers (" << details.numbers.size() << ")\n";
    for (const PoolNumber& number : details.numbers) {
      std::cout << "  " << number.e164 << "  "
                << (number.routing_mode ? to_string(*number.routing_mode) : "-") << "  "
                << format_money(number.monthly_price) << '\n';
    }
    std::cout << "\nDocuments (" << details.documents.size() << ")\n";
    for (const Document& document : details.documents) {
      std::cout << "  " << terminal_text(document.name) << "  "
                << terminal_text(document.provider_document_id) << "  " << document.size_bytes
                << " bytes\n";
    }
  });

  auto update = std::make_shared<UpdateOptions>();
  auto* update_command =
      agents->add_subcommand("update", "Change an agent's prompt, greeting, voice, language...");
  update_command->add_option("agent", update->agent, "Agent slug or provider id")->required();
  add_agent_flags(update_command, update->flags, /*name_required=*/false);
  context.stops_after_step(update_command); // changes providers: see cli/signals.hpp
  update_command->callback([&context, update] {
    AgentUpdate change;
    change.name = update->flags.name;
    change.prompt = read_prompt(update->flags);
    change.first_message = update->flags.first_message;
    change.voice = update->flags.voice;
    change.language = update->flags.language;
    change.personality = personality(update->flags);
    change.stream_url = update->flags.stream_url;
    change.stream_parameters = stream_parameters(update->flags);
    Agent agent = context.agents().update(update->agent, change);
    write_object(std::cout, context.output_format(), to_json(agent));
  });

  auto remove_agent = std::make_shared<std::string>();
  auto* delete_command = agents->add_subcommand(
      "delete", "Delete an agent and its documents at the provider (its numbers must be "
                "unassigned first)");
  delete_command->add_option("agent", *remove_agent, "Agent slug or provider id")->required();
  context.stops_after_step(delete_command); // changes providers: see cli/signals.hpp
  delete_command->callback([&context, remove_agent] {
    Agent agent = context.agents().find(*remove_agent);
    if (!context.confirm("delete agent " + agent.slug + " (tenant " + agent.tenant_slug +
                             ") and its documents?",
                         "delete agent " + agent.slug)) {
      throw Error(ErrorKind::invalid_input, "not confirmed; nothing was deleted");
    }
    context.agents().remove(agent.slug);
    write_object(std::cout, context.output_format(), to_json(agent));
    context.note("deleted agent " + agent.slug);
  });

  auto conversations = std::make_shared<ConversationsOptions>();
  auto* conversations_command =
      agents->add_subcommand("conversations", "List an agent's newest conversations (calls)");
  conversations_command->add_option("agent", conversations->agent, "Agent slug or provider id")
      ->required();
  conversations_command->add_option("--limit", conversations->limit, "At most this many (1-100)")
      ->capture_default_str();
  conversations_command->callback([&context, conversations] {
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const Conversation& conversation :
         context.agents().conversations(conversations->agent, conversations->limit)) {
      records.push_back(to_json(conversation));
    }
    write_records(std::cout, context.output_format(), records,
                  {field("CONVERSATION", "conversation_id"), field("STATUS", "status"),
                   field("START (UNIX)", "start_time_unix"), field("SECONDS", "duration_seconds"),
                   field("RESULT", "call_successful")});
  });

  auto* voices = app.add_subcommand("voices", "Voices the agents can speak with");
  voices->require_subcommand(1);
  auto* voices_list = voices->add_subcommand("list", "List the provider's voices");
  auto voices_provider = std::make_shared<std::string>();
  voices_list
      ->add_option("--provider", *voices_provider,
                   "The voice-agent provider whose voices to list " + default_provider_words())
      ->check(CLI::IsMember(AgentProviderRegistry::known_names()));
  auto voices_tenant = std::make_shared<std::string>();
  voices_list->add_option(
      "--tenant", *voices_tenant,
      "List the voices of this tenant's account: its own account when it has one "
      "(tenants update), else the platform's");
  voices_list->callback([&context, voices_provider, voices_tenant] {
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const Voice& voice : context.agents().voices(*voices_provider, *voices_tenant)) {
      records.push_back(to_json(voice));
    }
    write_records(std::cout, context.output_format(), records,
                  {field("NAME", "name"), field("VOICE ID", "voice_id"), field("GENDER", "gender"),
                   field("ACCENT", "accent"), field("CATEGORY", "category")});
  });
}

} // namespace vami::cli
