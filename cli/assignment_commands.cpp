// `vami numbers assign|unassign|reassign` and `vami route`: which agent a pool number reaches.
#include <iostream>

#include "app.hpp"

namespace vami::cli {

namespace {

struct AssignOptions {
  std::string number;
  std::string agent;
  bool pick = false;
  std::string area_code;
  std::string locality;
  std::string mode = "native";
};

struct ReassignOptions {
  std::string number;
  std::string agent;
};

nlohmann::ordered_json route_json(const Route& route) {
  nlohmann::ordered_json json;
  json["e164"] = route.number.e164;
  json["status"] = to_string(route.number.status);
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
    std::cout << "  tenant         " << route.tenant->slug << " (" << route.tenant->name << ")\n";
  }
  if (route.agent) {
    std::cout << "  agent          " << route.agent->slug << " (" << route.agent->name << ", "
              << route.agent->provider << " " << route.agent->provider_agent_id << ")\n";
  }
  if (number.routing_mode) {
    std::cout << "  routing        " << to_string(*number.routing_mode) << '\n';
  }
  std::cout << "  voice webhook  "
            << (number.webhook.voice_url.empty()
                    ? std::string("(none: calls are not answered)")
                    : number.webhook.voice_method + " " + number.webhook.voice_url)
            << '\n';
  if (number.status != NumberStatus::assigned) {
    std::cout << "  no agent: assign one with 'vami numbers assign " << number.e164
              << " --agent AGENT'\n";
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
      "assign", "Route a pool number to an agent (or --pick one from the pool)");
  auto* number_option = assign_command->add_option("number", assign->number, "Phone number, E.164");
  assign_command->add_option("--agent", assign->agent, "Agent slug or provider id")->required();
  auto* pick = assign_command->add_flag(
      "--pick", assign->pick, "Take an available pool number matching --area-code/--locality");
  pick->excludes(number_option);
  assign_command->add_option("--area-code", assign->area_code, "With --pick: three digits")
      ->needs(pick);
  assign_command->add_option("--locality", assign->locality, "With --pick: city")->needs(pick);
  assign_command
      ->add_option("--mode", assign->mode,
                   "native: imported into the agent provider; webhook: voice URL to the router")
      ->capture_default_str()
      ->check(CLI::IsMember({"native", "webhook"}));
  assign_command->callback([&context, assign] {
    if (!assign->pick && assign->number.empty()) {
      throw Error(ErrorKind::invalid_input, "no number given",
                  "name a pool number, or let vami choose one with --pick");
    }
    RoutingMode mode = parse_routing_mode(assign->mode).value_or(RoutingMode::native);
    PoolNumber number =
        assign->pick ? context.assignments().assign_pick({assign->area_code, assign->locality},
                                                         assign->agent, mode)
                     : context.assignments().assign(assign->number, assign->agent, mode);
    print_number(context, number,
                 number.e164 + " now reaches agent " + number.agent_slug + " (tenant " +
                     number.tenant_slug + ", " + to_string(mode) + " routing)");
  });

  auto unassign_number = std::make_shared<std::string>();
  auto* unassign_command =
      numbers.add_subcommand("unassign", "Take a number back from its agent into the pool");
  unassign_command->add_option("number", *unassign_number, "Phone number, E.164")->required();
  unassign_command->callback([&context, unassign_number] {
    PoolNumber number = context.assignments().unassign(*unassign_number);
    print_number(context, number, number.e164 + " is back in the pool, available");
  });

  auto reassign = std::make_shared<ReassignOptions>();
  auto* reassign_command =
      numbers.add_subcommand("reassign", "Move an assigned number to another agent in one step");
  reassign_command->add_option("number", reassign->number, "Phone number, E.164")->required();
  reassign_command->add_option("--agent", reassign->agent, "The new agent (slug or provider id)")
      ->required();
  reassign_command->callback([&context, reassign] {
    PoolNumber number = context.assignments().reassign(reassign->number, reassign->agent);
    print_number(context, number,
                 number.e164 + " now reaches agent " + number.agent_slug + " (tenant " +
                     number.tenant_slug + ")");
  });

  auto route_number = std::make_shared<std::string>();
  auto* route_command = app.add_subcommand(
      "route", "Show where a call to a number goes: tenant, agent, routing mode, voice webhook");
  route_command->add_option("number", *route_number, "Phone number, E.164")->required();
  route_command->callback([&context, route_number] {
    print_route(context, find_route(context.store(), *route_number));
  });
}

} // namespace vami::cli
