#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace vami::cli {

/// What kind of value an option or positional argument takes, for shell completion and the man
/// page. `none` is a flag (no value).
enum class ValueKind {
  none,             ///< A flag: takes no value.
  text,             ///< Free text: nothing to complete.
  choice,           ///< One of `ArgumentSpec::choices` (CLI11 `IsMember`, or a type name "a|b|c").
  path,             ///< A file path.
  number,           ///< A pool number, E.164, from the state database.
  assigned_number,  ///< A pool number that is assigned (unassign, reassign), E.164.
  available_number, ///< A pool number that is available (assign), E.164.
  agent,            ///< An agent slug, from the state database.
  tenant,           ///< A tenant slug, from the state database.
  status,           ///< A pool number status.
  profile,          ///< A profile name, from the config file.
};

/// The word of `kind` used by `vami __complete KIND` and the generated scripts ("numbers",
/// "assigned-numbers", "available-numbers", "agents", "tenants", "statuses", "profiles");
/// empty for the kinds that are not dynamic.
[[nodiscard]] std::string dynamic_kind_name(ValueKind kind);

/// One option (`names` not empty) or positional argument (`names` empty) of a command.
struct ArgumentSpec {
  std::vector<std::string> names;   ///< "-o", "--output": short names first, with dashes.
  std::string positional;           ///< The positional's name ("number"); empty for options.
  std::string value_name;           ///< "PATH", "N", "NUMBER": how the value is written in docs.
  std::string description;          ///< The help text, one line.
  std::string envname;              ///< The environment variable it reads, if any.
  std::vector<std::string> choices; ///< The accepted values when `kind` is `choice`.
  ValueKind kind = ValueKind::none;
  bool required = false;
  bool repeats = false; ///< Takes any number of values (a positional list, a repeatable option).
};

/// One command of the tree: `vami`, `vami numbers`, `vami numbers buy`...
struct CommandSpec {
  std::vector<std::string>
      path; ///< Subcommand names from the top: {"numbers", "buy"}; {} for vami.
  std::string description;
  std::vector<ArgumentSpec> options;     ///< In definition order, `--help` included.
  std::vector<ArgumentSpec> positionals; ///< In order.
  std::vector<CommandSpec> subcommands;  ///< Visible ones only, in definition order.

  /// "numbers buy" ("" for the top).
  [[nodiscard]] std::string path_text() const;
};

/// The visible command tree of `app` (commands and options whose CLI11 group is empty are
/// hidden and left out), each argument classified by `classify_argument`.
[[nodiscard]] CommandSpec describe_commands(CLI::App& app);

/// Every command of `top`, depth first, the top included.
[[nodiscard]] std::vector<const CommandSpec*> all_commands(const CommandSpec& top);

/// The value kind of an argument, from its name and command. The rules (see the .cpp) cover
/// every argument of vami that names a number, an agent, a tenant, a status or a profile;
/// tests/integration/test_completions.py fails when an argument whose help text mentions E.164,
/// an agent, a tenant or a profile is left as plain text.
/// @param path the command's path ({"numbers", "show"}).
/// @param name a long option name with dashes ("--agent") or a positional name ("number").
/// @param value_name the CLI11 type name ("PATH", "N").
[[nodiscard]] ValueKind classify_argument(const std::vector<std::string>& path,
                                          const std::string& name, const std::string& value_name);

/// The man page vami(1) in roff (man(7) macros) for the tree `top`: NAME, SYNOPSIS,
/// DESCRIPTION, COMMANDS, GLOBAL OPTIONS, EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES, SEE ALSO.
/// `version` goes in the footer. Renders without `man --warnings` warnings.
[[nodiscard]] std::string man_page(const CommandSpec& top, const std::string& version);

/// The bash completion script for `top` (completions/vami.bash).
[[nodiscard]] std::string bash_completion(const CommandSpec& top);
/// The zsh completion function for `top` (completions/_vami).
[[nodiscard]] std::string zsh_completion(const CommandSpec& top);
/// The fish completions for `top` (completions/vami.fish).
[[nodiscard]] std::string fish_completion(const CommandSpec& top);

} // namespace vami::cli
