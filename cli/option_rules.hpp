#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace vami::cli {

/// Applies the rules every option follows to `app` and all its subcommands; `main` calls it
/// once, after every command is registered, so that an option added later follows them too:
/// - an option or positional argument that takes a value refuses an empty one (`--since ""`,
///   `--max-monthly-cost "$UNSET"`): an unset shell variable must never switch a guard off;
/// - an integer option (type name INT, UINT or N: every integer option is registered with one
///   of these) accepts decimal digits only. "010" is ten; "0x10", "1e3", "-1", "+5", "1_000"
///   are refused. CLI11 alone reads "010" as octal and "0x10" as hexadecimal.
/// Both run before the option's own checks (ranges, choices) and name the option and value.
/// The hidden helper commands whose names start with "__" (completion) are left alone.
void apply_option_rules(CLI::App& app);

/// The message of a CLI11 usage error in vami's words: "--count: 'abc' is not a whole number
/// ...", "--count was given 2 times; give it once", "--fail-rate: 2 is not between 0 and 1".
/// Messages CLI11 words well enough are returned as they are.
[[nodiscard]] std::string usage_message(const CLI::ParseError& error);

} // namespace vami::cli
