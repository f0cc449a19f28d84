// The command tree as data, read from the CLI11 definitions, so that the completion scripts and
// the man page are generated from the same source as --help and never drift from it.
#include "command_spec.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "output.hpp"

namespace vami::cli {

namespace {

bool is_hidden_group(const std::string& group) {
  return group.empty();
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  while (start <= text.size()) {
    auto end = text.find(separator, start);
    if (end == std::string::npos) {
      end = text.size();
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// CLI11 2.1 keeps validators private; their descriptions are what `IsMember` exposes
// ("{table,json,csv}"), and `get_type_name()` is the type name followed by ":" and each one.
std::vector<std::string> validator_descriptions(CLI::Option& option) {
  std::vector<std::string> descriptions;
  for (int index = 0;; ++index) {
    try {
      descriptions.push_back(option.get_validator(index)->get_description());
    } catch (const CLI::OptionNotFound&) {
      return descriptions;
    }
  }
}

std::string base_type_name(CLI::Option& option, const std::vector<std::string>& descriptions) {
  std::string name = option.get_type_name();
  for (auto it = descriptions.rbegin(); it != descriptions.rend(); ++it) {
    std::string suffix = ":" + *it;
    if (!it->empty() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      name.erase(name.size() - suffix.size());
    }
  }
  return name;
}

std::vector<std::string> choices_of(const std::vector<std::string>& descriptions,
                                    const std::string& type_name) {
  for (const auto& description : descriptions) {
    if (description.size() > 2 && description.front() == '{' && description.back() == '}') {
      return split(description.substr(1, description.size() - 2), ',');
    }
  }
  // A type name such as "local|toll-free|mobile" lists the values it takes.
  if (type_name.find('|') != std::string::npos &&
      type_name.find_first_of(" []:") == std::string::npos) {
    return split(type_name, '|');
  }
  return {};
}

// The one-line form of a help text (some are wrapped by hand with "\n").
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

ArgumentSpec describe_argument(const std::vector<std::string>& path, CLI::Option& option) {
  ArgumentSpec argument;
  for (const auto& name : option.get_snames()) {
    argument.names.push_back("-" + name);
  }
  for (const auto& name : option.get_lnames()) {
    argument.names.push_back("--" + name);
  }
  if (!option.nonpositional()) {
    argument.positional = option.get_name(true, false);
  }
  argument.description = one_line(option.get_description());
  argument.envname = option.get_envname();
  argument.required = option.get_required();
  // A flag expects no item (CLI11 still gives it a type size of 1).
  bool takes_value = option.get_items_expected_max() > 0;
  if (!takes_value) {
    argument.kind = ValueKind::none;
    return argument;
  }
  argument.repeats = option.get_items_expected_max() > 1;
  auto descriptions = validator_descriptions(option);
  argument.value_name = base_type_name(option, descriptions);
  argument.choices = choices_of(descriptions, argument.value_name);
  if (!argument.choices.empty()) {
    argument.kind = ValueKind::choice;
  } else {
    const std::string& name =
        argument.positional.empty() ? argument.names.back() : argument.positional;
    argument.kind = classify_argument(path, name, argument.value_name);
  }
  if (argument.value_name.empty() || argument.value_name == "TEXT") {
    // CLI11's generic "TEXT" says less than the positional's own name or a kind's word.
    if (!argument.positional.empty()) {
      argument.value_name = upper(argument.positional);
    } else if (argument.kind == ValueKind::number || argument.kind == ValueKind::assigned_number ||
               argument.kind == ValueKind::available_number) {
      argument.value_name = "E164";
    } else if (argument.kind == ValueKind::agent || argument.kind == ValueKind::tenant) {
      argument.value_name = "SLUG";
    } else if (argument.kind == ValueKind::profile) {
      argument.value_name = "NAME";
    } else if (argument.kind == ValueKind::choice) {
      argument.value_name = "WORD";
    } else {
      argument.value_name = "TEXT";
    }
  }
  return argument;
}

CommandSpec describe(CLI::App& app, std::vector<std::string> path) {
  CommandSpec command;
  command.path = std::move(path);
  command.description = one_line(app.get_description());
  for (CLI::Option* option : app.get_options()) {
    if (is_hidden_group(option->get_group())) {
      continue;
    }
    ArgumentSpec argument = describe_argument(command.path, *option);
    (argument.positional.empty() ? command.options : command.positionals)
        .push_back(std::move(argument));
  }
  for (CLI::App* sub : app.get_subcommands(
           [](CLI::App* candidate) { return !is_hidden_group(candidate->get_group()); })) {
    auto sub_path = command.path;
    sub_path.push_back(sub->get_name());
    command.subcommands.push_back(describe(*sub, std::move(sub_path)));
  }
  return command;
}

void collect(const CommandSpec& command, std::vector<const CommandSpec*>& out) {
  out.push_back(&command);
  for (const auto& sub : command.subcommands) {
    collect(sub, out);
  }
}

/// One rule of the value-kind map: an argument `name` of the commands whose path starts with
/// `path_prefix` ("" for every command) takes values of `kind`. The first matching rule wins,
/// so exceptions come before the general rules.
struct KindRule {
  std::string_view path_prefix;
  std::string_view name;
  ValueKind kind;
};

// The map from argument names to what they name. New slugs (a tenant or agent being created,
// a profile being added) are free text: completing existing ones there would only mislead.
constexpr std::array k_kind_rules{
    KindRule{"tenants create", "slug", ValueKind::text},
    KindRule{"tenants", "slug", ValueKind::tenant},
    KindRule{"onboard", "--tenant", ValueKind::text},
    KindRule{"profiles add", "name", ValueKind::text},
    // A call's status, not a pool number's: its words are in the option's help.
    KindRule{"calls", "--status", ValueKind::text},
    KindRule{"profiles", "name", ValueKind::profile},
    KindRule{"profiles", "profile", ValueKind::profile},
    // Support staff move numbers: offer only those the command can take.
    KindRule{"numbers assign", "numbers", ValueKind::available_number},
    KindRule{"numbers unassign", "numbers", ValueKind::assigned_number},
    KindRule{"numbers reassign", "number", ValueKind::assigned_number},
    KindRule{"", "number", ValueKind::number},
    KindRule{"", "numbers", ValueKind::number},
    KindRule{"", "--number", ValueKind::number},
    KindRule{"", "agent", ValueKind::agent},
    KindRule{"", "--agent", ValueKind::agent},
    KindRule{"", "tenant", ValueKind::tenant},
    KindRule{"", "--tenant", ValueKind::tenant},
    KindRule{"", "--status", ValueKind::status},
    KindRule{"", "--profile", ValueKind::profile},
    KindRule{"", "--db", ValueKind::path},
    KindRule{"", "--state", ValueKind::path},
    KindRule{"", "files", ValueKind::path},
    KindRule{"", "--file", ValueKind::path},
};

bool starts_with_words(const std::string& path, std::string_view prefix) {
  if (prefix.empty()) {
    return true;
  }
  return path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == ' ');
}

std::string join_path(const std::vector<std::string>& path) {
  std::string text;
  for (const auto& word : path) {
    text += (text.empty() ? "" : " ") + word;
  }
  return text;
}

} // namespace

std::string dynamic_kind_name(ValueKind kind) {
  switch (kind) {
  case ValueKind::number:
    return "numbers";
  case ValueKind::assigned_number:
    return "assigned-numbers";
  case ValueKind::available_number:
    return "available-numbers";
  case ValueKind::agent:
    return "agents";
  case ValueKind::tenant:
    return "tenants";
  case ValueKind::status:
    return "statuses";
  case ValueKind::profile:
    return "profiles";
  case ValueKind::none:
  case ValueKind::text:
  case ValueKind::choice:
  case ValueKind::path:
    return {};
  }
  return {};
}

std::string CommandSpec::path_text() const {
  return join_path(path);
}

ValueKind classify_argument(const std::vector<std::string>& path, const std::string& name,
                            const std::string& value_name) {
  std::string path_text = join_path(path);
  for (const auto& rule : k_kind_rules) {
    if (rule.name == name && starts_with_words(path_text, rule.path_prefix)) {
      return rule.kind;
    }
  }
  if (value_name == "PATH" || value_name == "FILE" || value_name == "DIR") {
    return ValueKind::path;
  }
  return ValueKind::text;
}

CommandSpec describe_commands(CLI::App& app) {
  return describe(app, {});
}

std::vector<const CommandSpec*> all_commands(const CommandSpec& top) {
  std::vector<const CommandSpec*> commands;
  collect(top, commands);
  return commands;
}

} // namespace vami::cli
