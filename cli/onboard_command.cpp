// `vami onboard`: a customer live in one command (tenant, number, agent, knowledge).
#include <iostream>
#include <map>

#include "agent_provider_registry.hpp"
#include "app.hpp"
#include "calls_test_command.hpp"
#include "provider_words.hpp"

#include <vami/core/input_rules.hpp>
#include <vami/core/stream_agent.hpp>

namespace vami::cli {

namespace {

struct OnboardOptions {
  std::string tenant;
  std::string name;
  std::string industry;
  std::string contact_name;
  std::string contact_email;
  std::string number;
  std::string area_code;
  std::string locality;
  std::string mode = "native";
  bool buy_if_needed = false;
  std::string max_monthly_cost;
  std::string agent_name;
  std::string agent_slug;
  std::string first_message;
  std::string voice;
  std::string language;
  std::string personality;
  std::string agent_provider;
  std::string stream_url;
  std::vector<std::string> parameters;
  std::optional<std::string> prompt;
  std::string prompt_file;
  std::vector<std::string> files;
  std::vector<std::string> urls;
  std::vector<std::string> faqs;
  bool no_test_call = false;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    auto first = item.find_first_not_of(' ');
    if (first != std::string::npos) {
      items.push_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return items;
}

// On a terminal, asks for what the flags did not give, step by step.
void ask_missing(OnboardOptions& options) {
  std::cerr << "Step 1 of 4: business information\n";
  if (options.name.empty()) {
    options.name = AppContext::ask("  Business name", "");
  }
  if (options.tenant.empty()) {
    options.tenant = AppContext::ask("  Tenant slug", slug_from_name(options.name));
  }
  if (options.industry.empty()) {
    options.industry = AppContext::ask("  Industry (optional)", "");
  }
  if (options.contact_email.empty()) {
    options.contact_email = AppContext::ask("  Contact e-mail (optional)", "");
  }
  std::cerr << "Step 2 of 4: phone number\n";
  if (options.number.empty() && options.area_code.empty() && options.locality.empty()) {
    std::string choice =
        AppContext::ask("  Pool number (E.164), area code (3 digits) or city; empty for any", "");
    if (choice.size() == 3 && choice.find_first_not_of("0123456789") == std::string::npos) {
      options.area_code = choice;
    } else if (!choice.empty() && (choice.front() == '+' ||
                                   std::isdigit(static_cast<unsigned char>(choice.front())) != 0)) {
      options.number = choice;
    } else {
      options.locality = choice;
    }
  }
  std::cerr << "Step 3 of 4: the agent\n";
  if (options.agent_name.empty()) {
    options.agent_name = AppContext::ask("  Agent name", options.name + " receptionist");
  }
  if (options.first_message.empty()) {
    options.first_message = AppContext::ask("  Greeting (empty for the default)", "");
  }
  if (options.voice.empty()) {
    options.voice = AppContext::ask("  Voice name or id (empty for the default)", "");
  }
  if (options.personality.empty()) {
    options.personality =
        AppContext::ask("  Personality (friendly, professional, casual)", "friendly");
  }
  if (!options.prompt && options.prompt_file.empty()) {
    std::string prompt = AppContext::ask("  Prompt (empty for a default naming the business)", "");
    if (!prompt.empty()) {
      options.prompt = prompt;
    }
  }
  std::cerr << "Step 4 of 4: knowledge (optional)\n";
  if (options.files.empty() && options.urls.empty() && options.faqs.empty()) {
    options.files = split_list(AppContext::ask("  Files, comma-separated", ""));
    options.urls = split_list(AppContext::ask("  Web pages, comma-separated", ""));
    std::string faq = AppContext::ask("  FAQ text", "");
    if (!faq.empty()) {
      options.faqs.push_back(faq);
    }
  }
}

void require_flag(const std::string& value, const std::string& flag) {
  if (value.empty()) {
    throw Error(ErrorKind::invalid_input, flag + " is required",
                "give every step with flags in a script (see 'vami onboard --help'), or run it "
                "on a terminal to be asked");
  }
}

OnboardRequest to_request(const OnboardOptions& options) {
  require_flag(options.tenant, "--tenant");
  require_flag(options.name, "--name");
  require_flag(options.agent_name, "--agent-name");
  OnboardRequest request;
  request.tenant.slug = options.tenant;
  request.tenant.name = options.name;
  request.tenant.industry = options.industry;
  request.tenant.contact_name = options.contact_name;
  request.tenant.contact_email = options.contact_email;
  request.number = options.number;
  request.pick = {options.area_code, options.locality};
  if (options.buy_if_needed) {
    request.buy_if_needed = buy_if_needed(options.max_monthly_cost);
  }
  request.mode = parse_routing_mode(options.mode).value_or(RoutingMode::native);
  request.agent.slug = options.agent_slug;
  request.agent.name = options.agent_name;
  request.agent.first_message = options.first_message;
  request.agent.voice = options.voice;
  request.agent.language = options.language;
  request.agent.provider = options.agent_provider;
  request.agent.stream_url = options.stream_url;
  for (const std::string& given : options.parameters) {
    request.agent.stream_parameters.push_back(parse_stream_parameter(given));
  }
  if (!options.personality.empty()) {
    request.agent.personality = parse_personality(options.personality);
    if (!request.agent.personality) {
      throw Error(ErrorKind::invalid_input,
                  "personality \"" + options.personality + "\" is not one vami knows",
                  "use friendly, professional or casual");
    }
  }
  request.agent.prompt =
      options.prompt_file.empty() ? options.prompt : read_prompt_file(options.prompt_file);
  request.files.assign(options.files.begin(), options.files.end());
  request.urls = options.urls;
  request.texts = options.faqs;
  return request;
}

/// `status`: "live" when the test call reached the agent, "not_live" when it did not,
/// "onboarded" when none was made (`--no-test-call`).
nlohmann::ordered_json result_json(const OnboardResult& result,
                                   const std::optional<CallTestReport>& test_call) {
  nlohmann::ordered_json json;
  json["status"] = !test_call ? "onboarded" : test_call->passed() ? "live" : "not_live";
  json["tenant"] = to_json(result.tenant);
  json["agent"] = to_json(result.agent);
  json["number"] = to_json(result.number);
  json["bought_operation"] = result.bought_operation_id.empty()
                                 ? nlohmann::ordered_json()
                                 : nlohmann::ordered_json(result.bought_operation_id);
  json["documents"] = nlohmann::ordered_json::array();
  for (const Document& document : result.documents) {
    json["documents"].push_back(to_json(document));
  }
  json["test_call"] = test_call ? test_call_json(*test_call) : nlohmann::ordered_json();
  return json;
}

} // namespace

void register_onboard_command(CLI::App& app, AppContext& context) {
  auto options = std::make_shared<OnboardOptions>();
  auto* command = app.add_subcommand(
      "onboard", "Put a customer live in one command: tenant, number, agent, knowledge. Asks on "
                 "a terminal for what the flags do not give; undoes its steps if one fails");
  command->add_option("--tenant", options->tenant, "1. Tenant slug")->group("Business");
  command->add_option("--name", options->name, "1. Business name")->group("Business");
  command->add_option("--industry", options->industry, "1. Industry")->group("Business");
  command->add_option("--contact-name", options->contact_name, "1. Contact person")
      ->group("Business");
  command->add_option("--contact-email", options->contact_email, "1. Contact e-mail")
      ->group("Business");
  auto* number =
      command->add_option("--number", options->number, "2. A pool number (E.164)")->group("Number");
  command->add_option("--area-code", options->area_code, "2. Or pick one in this area code")
      ->group("Number")
      ->excludes(number);
  command->add_option("--locality", options->locality, "2. Or pick one in this city")
      ->group("Number")
      ->excludes(number);
  auto* buy = command
                  ->add_flag("--buy-if-needed", options->buy_if_needed,
                             "2. Buy a number when the pool has none matching (area code first, "
                             "then nearby ones; released again if a later step fails)")
                  ->group("Number");
  buy->excludes(number);
  command
      ->add_option("--max-monthly-cost", options->max_monthly_cost,
                   "2. With --buy-if-needed: refuse a number costing more per month")
      ->group("Number")
      ->type_name("AMOUNT")
      ->needs(buy);
  command->add_option("--mode", options->mode, "2. Routing: native or webhook")
      ->group("Number")
      ->capture_default_str()
      ->check(CLI::IsMember({"native", "webhook"}));
  command->add_option("--agent-name", options->agent_name, "3. Agent name")->group("Agent");
  command
      ->add_option("--agent-provider", options->agent_provider,
                   "3. Where the agent runs " + default_provider_words() + ": " +
                       briefly_described_providers())
      ->group("Agent")
      ->check(CLI::IsMember(AgentProviderRegistry::known_names()));
  command
      ->add_option("--stream-url", options->stream_url,
                   "3. Stream agents: the orchestrator's WebSocket URL (wss://); with a real "
                   "Twilio account, one reachable from the internet (the sandbox's "
                   "orchestrator and this machine's URLs are refused)")
      ->group("Agent")
      ->type_name("URL");
  command
      ->add_option("--param", options->parameters,
                   "3. Stream agents: a setting passed with each call (repeatable)")
      ->group("Agent")
      ->type_name("KEY=VALUE");
  command->add_option("--agent-slug", options->agent_slug, "3. Agent slug (default: from name)")
      ->group("Agent");
  command->add_option("--first-message", options->first_message, "3. Greeting")->group("Agent");
  command->add_option("--voice", options->voice, "3. Voice name or id")->group("Agent");
  command->add_option("--language", options->language, "3. Language, ISO 639-1")->group("Agent");
  command->add_option("--personality", options->personality, "3. friendly, professional, casual")
      ->group("Agent")
      ->check(CLI::IsMember({"friendly", "professional", "casual"}));
  auto* prompt =
      command->add_option("--prompt", options->prompt, "3. System prompt")->group("Agent");
  command->add_option("--prompt-file", options->prompt_file, "3. System prompt from a file")
      ->group("Agent")
      ->excludes(prompt);
  command->add_option("--file", options->files, "4. A knowledge file (repeatable)")
      ->group("Knowledge")
      ->type_name("PATH");
  command->add_option("--url", options->urls, "4. A knowledge web page (repeatable)")
      ->group("Knowledge");
  command->add_option("--faq", options->faqs, "4. An FAQ text (repeatable)")->group("Knowledge");
  command->add_flag("--no-test-call", options->no_test_call,
                    "Do not end with a test call to the number (see 'vami calls test'); the "
                    "tenant is then reported onboarded, not live");
  context.stops_after_step(command); // changes providers: see cli/signals.hpp
  command->callback([&context, options] {
    if (AppContext::interactive() && !context.options.yes) {
      ask_missing(*options);
    }
    OnboardRequest request = to_request(*options);
    OnboardResult result = context.onboarding().onboard(
        request,
        [&context](const std::string& step, const std::string& what) {
          static const std::map<std::string, std::string> k_done = {
              {"tenant", "tenant created: "},
              {"tenant_already", "tenant already there: "},
              {"agent", "agent created: "},
              {"agent_already", "agent already there: "},
              {"knowledge", "knowledge uploaded: "},
              {"knowledge_already", "knowledge already there: "},
              {"bought", "number bought: "},
              {"number", "number assigned: "},
              {"number_already", "number already assigned: "}};
          auto found = k_done.find(step);
          context.note((found == k_done.end() ? step + ": " : found->second) + what);
        },
        [] { return AppContext::interrupted(); });
    if (result.already_live) {
      context.note(result.tenant.slug + " was already live: nothing to do");
    }
    // Live only once a call to the number has reached the agent.
    std::optional<CallTestReport> test_call;
    if (!options->no_test_call) {
      test_call = run_test_call(context, TestCallRequest{result.number.e164, "", ""});
    }
    if (context.output_format() == OutputFormat::table) {
      if (test_call) {
        report_test_call(context, *test_call, true);
      }
      const std::string documents =
          " with " + std::to_string(result.documents.size()) + " knowledge document(s)";
      const std::string agent = "agent " + result.agent.slug + " (" +
                                terminal_text(result.agent.provider_agent_id) + ") of tenant " +
                                result.tenant.slug;
      if (!test_call) {
        std::cout << "onboarded (no test call): " << result.number.e164 << " is assigned to "
                  << agent << documents << '\n';
      } else if (test_call->passed()) {
        std::cout << "live: " << result.number.e164 << " reaches " << agent << documents << '\n';
      } else {
        std::cout << "NOT live: " << result.number.e164 << " is assigned to " << agent << documents
                  << ", but the test call did not reach it\n";
      }
    } else {
      if (test_call) {
        report_test_call(context, *test_call, false);
      }
      write_object(std::cout, context.output_format(), result_json(result, test_call));
    }
    if (test_call && !test_call->passed()) {
      throw BulkExit{ExitCode::failure};
    }
  });
}

} // namespace vami::cli
