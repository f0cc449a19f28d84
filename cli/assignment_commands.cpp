// `vami numbers assign|unassign|reassign` and `vami route`: which agent a pool number reaches.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "app.hpp"
#include "routing_words.hpp"

namespace vami::cli {

namespace {

// Phone numbers one per line from FILE, or standard input for "-": surrounding blanks, blank
// lines and `#` comments are ignored.
std::vector<std::string> read_number_list(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
      throw Error(ErrorKind::invalid_input,
                  "cannot read --from-file " + path + ": it does not exist or is not a file",
                  "give a file with one phone number per line, or - for standard input");
    }
    file.open(path);
    if (!file) {
      throw Error(ErrorKind::invalid_input, "cannot read --from-file " + path,
                  "check the file's permissions");
    }
    in = &file;
  }
  std::string text{std::istreambuf_iterator<char>(*in), std::istreambuf_iterator<char>()};
  if (in->bad()) {
    throw Error(ErrorKind::invalid_input, "reading --from-file " + path + " failed");
  }
  std::istringstream lines(utf8_text(std::move(text), "--from-file " + path));
  std::vector<std::string> numbers;
  std::string line;
  while (std::getline(lines, line)) {
    line = line.substr(0, line.find('#'));
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) {
      continue;
    }
    numbers.push_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
  }
  return numbers;
}

} // namespace

std::vector<std::string> numbers_given(const std::vector<std::string>& arguments,
                                       const std::string& from_file) {
  std::vector<std::string> numbers = arguments;
  if (!from_file.empty()) {
    auto listed = read_number_list(from_file);
    numbers.insert(numbers.end(), listed.begin(), listed.end());
    if (listed.empty() && arguments.empty()) {
      throw Error(ErrorKind::invalid_input, "--from-file " + from_file + " lists no number",
                  "write one phone number per line");
    }
  }
  return numbers;
}

namespace {

struct AssignOptions {
  std::vector<std::string> numbers;
  std::string from_file;
  std::string agent;
  bool pick = false;
  std::string area_code;
  std::string locality;
  bool buy_if_needed = false;
  std::string max_monthly_cost;
  std::string mode = "native";
  int concurrency = k_default_concurrency;
};

struct UnassignOptions {
  std::vector<std::string> numbers;
  std::string from_file;
  int concurrency = k_default_concurrency;
};

struct ReassignOptions {
  std::string number;
  std::string agent;
};

struct RouteOptions {
  std::string number;
  bool offline = false;
};

nlohmann::ordered_json route_json(const Route& route) {
  nlohmann::ordered_json json;
  json["e164"] = route.number.e164;
  json["status"] = to_string(route.number.status);
  json["provider"] = route.number.provider;
  json["tenant"] = route.tenant ? nlohmann::ordered_json{{"slug", route.tenant->slug},
                                                         {"name", route.tenant->name}}
                                : nlohmann::ordered_json(nullptr);
  json["agent"] = route.agent
                      ? nlohmann::ordered_json{{"slug", route.agent->slug},
                                               {"name", route.agent->name},
                                               {"provider", route.agent->provider},
                                               {"provider_agent_id",
                                                text_or_null(route.agent->provider_agent_id)}}
                      : nlohmann::ordered_json(nullptr);
  json["routing_mode"] = route.number.routing_mode
                             ? nlohmann::ordered_json(to_string(*route.number.routing_mode))
                             : nlohmann::ordered_json(nullptr);
  json["voice_url"] = text_or_null(route.number.webhook.voice_url);
  json["voice_method"] = text_or_null(route.number.webhook.voice_method);
  json["agent_phone_number_id"] = text_or_null(route.number.agent_phone_number_id);
  const Suspension* suspension = route.number.suspension ? &*route.number.suspension : nullptr;
  json["suspended"] = suspension != nullptr;
  json["suspended_agent"] = suspension ? text_or_null(suspension->agent_slug) : nullptr;
  json["suspension_message"] = suspension ? text_or_null(suspension->message) : nullptr;
  return json;
}

void print_route(AppContext& context, const Route& route) {
  OutputFormat format = context.output_format();
  if (format != OutputFormat::table) {
    write_object(std::cout, format, route_json(route));
    return;
  }
  const PoolNumber& number = route.number;
  std::cout << number.e164 << " (" << to_string(number.status) << ")\n";
  if (route.tenant) {
    std::cout << "  tenant         " << route.tenant->slug << " ("
              << terminal_text(route.tenant->name) << ")\n";
  }
  if (route.agent) {
    std::cout << "  agent          " << route.agent->slug << " ("
              << terminal_text(route.agent->name) << ", " << route.agent->provider << " "
              << terminal_text(route.agent->provider_agent_id) << ")\n";
  }
  if (number.routing_mode) {
    std::cout << "  routing        " << to_string(*number.routing_mode) << '\n';
  }
  if (number.provider != "twilio") { // a workspace's number: its provider answers it
    std::cout << "  held by        the " << platform_name(number.provider)
              << " workspace (its agent answers it directly; no voice webhook)\n";
  } else {
    std::cout << "  voice webhook  "
              << (number.webhook.voice_url.empty()
                      ? std::string("(none: calls are not answered)")
                      : terminal_text(number.webhook.voice_method + " " + number.webhook.voice_url))
              << '\n';
  }
  if (number.suspension) {
    const Suspension& suspension = *number.suspension;
    std::cout << "  suspended      since " << suspension.suspended_at << ": no agent answers; "
              << (suspension.message.empty()
                      ? std::string("calls are rejected")
                      : "callers hear \"" + terminal_text(suspension.message) + "\"")
              << '\n';
    std::cout << "  resume with    'vami numbers resume " << number.e164 << "' ("
              << (suspension.previous_status == NumberStatus::assigned
                      ? "back to agent " + suspension.agent_slug
                      : std::string("back to the pool, available"))
              << ")\n";
  } else if (number.status != NumberStatus::assigned) {
    std::cout << "  no agent: assign one with 'vami numbers assign " << number.e164
              << " --agent AGENT'\n";
  }
}

void print_route_check(AppContext& context, const RouteCheck& check) {
  Route route = check.route;
  // The voice webhook the telephony provider answers with, not the one last stored.
  if (check.observed.owned) {
    route.number.webhook = check.observed.owned->webhook;
  }
  const std::vector<std::string> problems = routing_problem_words(check);
  const std::string sip_trunk = check.observed.owned ? check.observed.owned->sip_trunk_id : "";
  OutputFormat format = context.output_format();
  if (format != OutputFormat::table) {
    nlohmann::ordered_json json = route_json(route);
    json["calls_answered"] = check.calls_answered;
    json["sip_trunk"] = text_or_null(sip_trunk);
    nlohmann::ordered_json listed = nlohmann::ordered_json::array();
    for (RoutingFault fault : check.faults) {
      listed.push_back(to_string(fault));
    }
    json["routing_problems"] = std::move(listed);
    write_object(std::cout, format, json);
  } else {
    print_route(context, route);
    if (!sip_trunk.empty()) {
      std::cout << "  sip trunk      " << terminal_text(sip_trunk)
                << " (calls follow the trunk; the voice webhook is not used)\n";
    }
    std::string calls;
    if (check.calls_answered) {
      calls = "answered by agent " + route.number.agent_slug;
    } else if (route.number.status == NumberStatus::suspended) {
      calls = "not answered by an agent: the number is suspended";
    } else if (check.desired.target == RoutingTarget::none) {
      calls = "not answered: the number is not assigned";
    } else {
      calls = "NOT ANSWERED";
    }
    std::cout << "  calls          " << calls << '\n';
    for (const auto& problem : problems) {
      std::cout << "    - " << problem << '\n';
    }
  }
  // Reconcile repairs what the providers hold; a router that is down is started, not repaired.
  const bool repairable =
      std::any_of(check.faults.begin(), check.faults.end(),
                  [](RoutingFault fault) { return fault != RoutingFault::router_unhealthy; });
  if (check.desired.target != RoutingTarget::none && !check.calls_answered) {
    context.note("calls to " + route.number.e164 + " are not answered: " + join(problems) +
                 (repairable ? "; repair it with 'vami reconcile --apply'" : ""));
  } else if (!problems.empty()) {
    context.note(route.number.e164 + ": " + join(problems));
  }
}

void print_number(AppContext& context, const PoolNumber& number, const std::string& message) {
  write_object(std::cout, context.output_format(), to_json(number));
  context.note(message);
}

} // namespace

void register_assignment_commands(CLI::App& app, CLI::App& numbers, AppContext& context) {
  auto assign = std::make_shared<AssignOptions>();
  auto* assign_command = numbers.add_subcommand(
      "assign", "Route pool numbers to an agent (or --pick one from the pool)");
  auto* number_option =
      assign_command->add_option("numbers", assign->numbers,
                                 "Phone numbers, E.164; more than one are assigned as one bulk "
                                 "operation");
  auto* from_file = assign_command
                        ->add_option("--from-file", assign->from_file,
                                     "Also assign the numbers in FILE, one per line (- for "
                                     "standard input; blank lines and # comments ignored)")
                        ->type_name("FILE");
  assign_command->add_option("--agent", assign->agent, "Agent slug or provider id")->required();
  auto* pick = assign_command->add_flag(
      "--pick", assign->pick, "Take an available pool number matching --area-code/--locality");
  pick->excludes(number_option);
  pick->excludes(from_file);
  assign_command->add_option("--area-code", assign->area_code, "With --pick: three digits")
      ->needs(pick);
  assign_command->add_option("--locality", assign->locality, "With --pick: city")->needs(pick);
  auto* buy = assign_command
                  ->add_flag("--buy-if-needed", assign->buy_if_needed,
                             "With --pick: buy a number when the pool has none matching (area "
                             "code first, then nearby ones; released again if assigning fails)")
                  ->needs(pick);
  assign_command
      ->add_option("--max-monthly-cost", assign->max_monthly_cost,
                   "With --buy-if-needed: refuse a number costing more per month")
      ->type_name("AMOUNT")
      ->needs(buy);
  assign_command
      ->add_option("--mode", assign->mode,
                   "native: imported into the agent provider (Synthflow: over a SIP trunk); "
                   "webhook: voice URL to the router")
      ->capture_default_str()
      ->check(CLI::IsMember({"native", "webhook"}));
  assign_command
      ->add_option("--concurrency", assign->concurrency,
                   "With many numbers: assignments in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(assign_command, assign->concurrency);
  context.stops_after_step(assign_command); // changes providers: see cli/signals.hpp
  assign_command->callback([&context, assign] {
    RoutingMode mode = parse_routing_mode(assign->mode).value_or(RoutingMode::native);
    if (assign->pick) {
      PoolNumber number;
      if (assign->buy_if_needed) {
        ProvisionedNumber provisioned =
            context.provisioning().assign_pick({assign->area_code, assign->locality}, assign->agent,
                                               mode, buy_if_needed(assign->max_monthly_cost));
        number = provisioned.number;
        if (provisioned.bought) {
          context.note("bought " + number.e164 + " into the pool (operation " +
                       provisioned.operation_id + ")");
        }
      } else {
        number = context.assignments().assign_pick({assign->area_code, assign->locality},
                                                   assign->agent, mode);
      }
      print_number(context, number,
                   number.e164 + " now reaches agent " + number.agent_slug + " (tenant " +
                       number.tenant_slug + ", " + to_string(mode) + " routing)");
      return;
    }
    if (assign->numbers.empty() && assign->from_file.empty()) {
      throw Error(ErrorKind::invalid_input, "no number given",
                  "name pool numbers, give them in --from-file FILE, or let vami choose one "
                  "with --pick");
    }
    if (assign->numbers.size() == 1 && assign->from_file.empty()) {
      AssignOutcome outcome =
          context.assignments().assign(assign->numbers.front(), assign->agent, mode);
      const PoolNumber& number = outcome.number;
      print_number(
          context, number,
          number.e164 +
              (outcome.already_assigned ? " is already assigned to agent "
                                        : " now reaches agent ") +
              number.agent_slug + " (tenant " + number.tenant_slug + ", " + to_string(mode) +
              " routing)" +
              (outcome.already_assigned ? "; its routing was checked at the providers" : ""));
      return;
    }
    BulkAssignRequest request;
    request.numbers = numbers_given(assign->numbers, assign->from_file);
    request.agent = assign->agent;
    request.mode = mode;
    request.concurrency = assign->concurrency;
    AssignmentService assignments = context.assignments();
    run_bulk_command(context, {"assigning", "assign", "assigned"},
                     [&](const StopRequested& stop, const ItemObserver& observer) {
                       return assignments.assign_many(request, stop, observer);
                     });
  });

  auto unassign = std::make_shared<UnassignOptions>();
  auto* unassign_command =
      numbers.add_subcommand("unassign", "Take numbers back from their agents into the pool");
  unassign_command->add_option(
      "numbers", unassign->numbers,
      "Phone numbers, E.164; more than one are unassigned as one bulk operation");
  unassign_command
      ->add_option("--from-file", unassign->from_file,
                   "Also unassign the numbers in FILE, one per line (- for standard input; "
                   "blank lines and # comments ignored)")
      ->type_name("FILE");
  unassign_command
      ->add_option("--concurrency", unassign->concurrency,
                   "With many numbers: unassignments in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(unassign_command, unassign->concurrency);
  context.stops_after_step(unassign_command); // changes providers: see cli/signals.hpp
  unassign_command->callback([&context, unassign] {
    if (unassign->numbers.empty() && unassign->from_file.empty()) {
      throw Error(ErrorKind::invalid_input, "no number given",
                  "name pool numbers, or give them in --from-file FILE");
    }
    if (unassign->numbers.size() == 1 && unassign->from_file.empty()) {
      PoolNumber number = context.assignments().unassign(unassign->numbers.front());
      print_number(context, number, number.e164 + " is back in the pool, available");
      return;
    }
    std::vector<std::string> given = numbers_given(unassign->numbers, unassign->from_file);
    AssignmentService assignments = context.assignments();
    run_bulk_command(context, {"unassigning", "unassign", "unassigned"},
                     [&](const StopRequested& stop, const ItemObserver& observer) {
                       return assignments.unassign_many(given, unassign->concurrency, stop,
                                                        observer);
                     });
  });

  auto reassign = std::make_shared<ReassignOptions>();
  auto* reassign_command =
      numbers.add_subcommand("reassign", "Move an assigned number to another agent in one step");
  reassign_command->add_option("number", reassign->number, "Phone number, E.164")->required();
  reassign_command->add_option("--agent", reassign->agent, "The new agent (slug or provider id)")
      ->required();
  context.stops_after_step(reassign_command); // changes providers: see cli/signals.hpp
  reassign_command->callback([&context, reassign] {
    PoolNumber number = context.assignments().reassign(reassign->number, reassign->agent);
    print_number(context, number,
                 number.e164 + " now reaches agent " + number.agent_slug + " (tenant " +
                     number.tenant_slug + ")");
  });

  auto route = std::make_shared<RouteOptions>();
  auto* route_command = app.add_subcommand(
      "route", "Show where a call to a number goes: tenant, agent, routing mode, voice webhook, "
               "and whether the providers answer its calls");
  route_command->add_option("number", route->number, "Phone number, E.164")->required();
  route_command->add_flag("--offline", route->offline,
                          "From the state database alone: do not ask the providers whether "
                          "calls are answered");
  route_command->callback([&context, route] {
    if (route->offline) {
      print_route(context, find_route(context.store(), route->number));
      return;
    }
    std::string why;
    AgentProviders* agents = context.agent_providers_if_configured(why);
    if (agents == nullptr) {
      context.note("ElevenLabs was not asked (" + why + ")");
    }
    print_route_check(context,
                      check_route(context.telephony(), agents, context.store(),
                                  context.router_url(), route->number, &context.router_health()));
  });
}

} // namespace vami::cli
