#include "option_rules.hpp"

#include <regex>

#include "output.hpp"

namespace vami::cli {

namespace {

// How a value given on the command line is quoted in a message: short, one line, whole UTF-8
// characters (the full message is made safe for the terminal once more in main).
std::string quoted_value(const std::string& value) {
  return "'" + terminal_text(value, LineBreaks::escape, 60) + "'";
}

bool is_integer_option(const CLI::Option& option) {
  // get_type_name() appends the descriptions of the option's validators after ':'.
  std::string type = option.get_type_name();
  type = type.substr(0, type.find(':'));
  return type == "INT" || type == "UINT" || type == "N";
}

void apply_to(CLI::App& command) {
  if (command.get_name().rfind("__", 0) == 0) {
    return;
  }
  for (CLI::Option* option : command.get_options()) {
    if (option->get_type_size_max() <= 0) {
      continue; // a flag
    }
    // Transforms run before the checks CLI11 was given (ranges, choices) and the conversion, in
    // the reverse order of being added: the empty check first, then the integer one.
    if (is_integer_option(*option)) {
      option->transform(CLI::Validator(
                            [](std::string& value) -> std::string {
                              if (value.find_first_not_of("0123456789") != std::string::npos) {
                                return quoted_value(value) +
                                       " is not a whole number: use decimal digits only";
                              }
                              // CLI11 reads a leading 0 as octal: "010" is ten here.
                              auto first = value.find_first_not_of('0');
                              value = first == std::string::npos ? "0" : value.substr(first);
                              if (value.size() > 19) {
                                return quoted_value(value) + " is too large";
                              }
                              return {};
                            },
                            ""),
                        "decimal");
    }
    option->transform(CLI::Validator(
                          [](std::string& value) -> std::string {
                            return value.empty() ? std::string("the value is empty; give a value "
                                                               "or leave the option out")
                                                 : std::string();
                          },
                          ""),
                      "not-empty");
  }
  for (CLI::App* subcommand : command.get_subcommands(std::function<bool(CLI::App*)>())) {
    apply_to(*subcommand);
  }
}

// "1797693134862315708145...": a limit CLI11 writes with std::to_string, shown as a person would.
std::string bound(const std::string& text) {
  if (text.size() > 15) {
    return text.front() == '-' ? "minus infinity" : "infinity";
  }
  auto point = text.find('.');
  if (point == std::string::npos) {
    return text;
  }
  std::string trimmed = text.substr(0, text.find_last_not_of('0') + 1);
  if (trimmed.back() == '.') {
    trimmed.pop_back();
  }
  return trimmed == "-0" ? "0" : trimmed;
}

} // namespace

void apply_option_rules(CLI::App& app) {
  apply_to(app);
}

std::string usage_message(const CLI::ParseError& error) {
  const std::string message = error.what();
  if (message.size() > 4096) {
    return message; // std::regex recurses per character; main shortens what it prints
  }
  std::smatch match;
  // Option.hpp: ArgumentMismatch::AtMost, a single-value option given more than once.
  static const std::regex at_most("^(.+): At Most ([0-9]+) required but received ([0-9]+)$");
  if (std::regex_match(message, match, at_most)) {
    if (match[2] == "1") {
      return match[1].str() + " was given " + match[3].str() + " times; give it once";
    }
    return match[1].str() + " takes at most " + match[2].str() + " values, not " + match[3].str();
  }
  static const std::regex at_least("^(.+): At least ([0-9]+) required but received ([0-9]+)$");
  if (std::regex_match(message, match, at_least)) {
    return match[1].str() + " needs at least " + match[2].str() + " values, not " + match[3].str();
  }
  // App.hpp: an option at the end of the line with its value missing.
  static const std::regex missing("^(.+): ([0-9]+) required (.+) missing$");
  if (std::regex_match(message, match, missing)) {
    return match[1].str() + " needs " +
           (match[2] == "1" ? std::string("a value") : match[2].str() + " values");
  }
  // Error.hpp: ExcludesError.
  static const std::regex excludes("^(\\S+) excludes (\\S+)$");
  if (std::regex_match(message, match, excludes)) {
    return match[1].str() + " and " + match[2].str() + " cannot be given together; give one";
  }
  // Error.hpp: ConversionError(name, results).
  static const std::regex conversion("^Could not convert: (.+) = ([\\s\\S]*)$");
  if (std::regex_match(message, match, conversion)) {
    return match[1].str() + ": " + quoted_value(match[2].str()) + " is not a valid value";
  }
  // Validators.hpp: Range and the number checks built on it.
  static const std::regex range("^(.+): Value ([\\s\\S]*) not in range (\\S+) to (\\S+)$");
  if (std::regex_match(message, match, range)) {
    std::string low = bound(match[3].str());
    std::string high = bound(match[4].str());
    if (high == "infinity") {
      // PositiveNumber's minimum is the smallest double, which std::to_string writes as 0.
      return match[1].str() + ": " + quoted_value(match[2].str()) + " is not a number " +
             (match[3].str() == "0.000000" ? std::string("above 0")
                                           : std::string("of at least ") + low);
    }
    return match[1].str() + ": " + quoted_value(match[2].str()) + " is not between " + low +
           " and " + high;
  }
  // Validators.hpp: IsMember.
  static const std::regex member("^(.+): ([\\s\\S]*) not in \\{(.*)\\}$");
  if (std::regex_match(message, match, member)) {
    std::string choices = match[3].str();
    for (std::size_t at = choices.find(','); at != std::string::npos;
         at = choices.find(',', at + 2)) {
      choices.replace(at, 1, ", ");
    }
    return match[1].str() + ": " + quoted_value(match[2].str()) + " is not one of " + choices;
  }
  static const std::regex unconverted("^(.+): Value ([\\s\\S]*) could not be converted$");
  if (std::regex_match(message, match, unconverted)) {
    return match[1].str() + ": " + quoted_value(match[2].str()) + " is not a number";
  }
  return message;
}

} // namespace vami::cli
