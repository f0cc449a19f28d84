// vami(1) in roff, generated from the command tree (`vami __man`, docs/man/vami.1). The
// sections that are not in the CLI11 definitions (exit status, environment, files, examples)
// are tables here, each checked by tests/integration/test_man_page.py against the code.
#include <array>
#include <sstream>
#include <string_view>

#include "command_spec.hpp"

#include <vami/providers/agent_provider_registration.hpp>

namespace vami::cli {

namespace {

struct Entry {
  std::string_view name;
  std::string_view text;
};

// docs/exit-codes.md and DESIGN.md section 4; ExitCode in app.hpp.
constexpr std::array k_exit_codes{
    Entry{"0", "Success."},
    Entry{"1", "Failure: a provider or storage error; provider errors keep the provider's code."},
    Entry{"2", "Usage or invalid input: fix the command; nothing was changed."},
    Entry{"3", "Not found: a number, tenant, agent, operation or profile that does not exist."},
    Entry{"4", "Conflict: the state forbids it (already assigned, too few numbers for sale, "
               "price above --max-monthly-cost, drift left by vami reconcile)."},
    Entry{"5", "Credentials rejected, missing or incomplete; the message names the missing and "
               "the set variables."},
    Entry{"6", "Provider or network unavailable, or rate limited: retry later."},
    Entry{"7", "Partial: some items of a bulk command failed; the report lists each one."},
    Entry{"8", "State uncertain: the provider may have acted; run vami reconcile."},
    Entry{"130", "Interrupted (Ctrl-C): what was in flight was recorded; see the report."},
};

// Every variable the code reads (getenv, CLI11 envname), in the order a reader needs them; the
// voice-agent providers' (registered_agent_providers()) come between these two tables.
constexpr std::array k_environment{
    Entry{"VAMI_DB", "The state database, as --db: a SQLite file, or a team's PostgreSQL "
                     "database (postgresql://[user@]host[:port]/dbname[?sslmode=...]; libpq "
                     "reads the password from PGPASSWORD or ~/.pgpass, and its other PG* "
                     "variables)."},
    Entry{"VAMI_PROFILE", "The profile to use, as --profile."},
    Entry{"VAMI_CONFIG",
          "The config file of profiles, instead of $XDG_CONFIG_HOME/vami/config.toml."},
    Entry{"TWILIO_ACCOUNT_SID", "The Twilio account (AC...). With TWILIO_AUTH_TOKEN, or with "
                                "TWILIO_API_KEY and TWILIO_API_SECRET."},
    Entry{"TWILIO_AUTH_TOKEN", "The Twilio account's auth token."},
    Entry{"TWILIO_API_KEY", "A Twilio API key (SK...), used with TWILIO_API_SECRET."},
    Entry{"TWILIO_API_SECRET", "The secret of TWILIO_API_KEY."},
    Entry{"VAMI_TWILIO_BASE_URL", "Replaces https://api.twilio.com (regions, edges, tests)."},
    Entry{"VAMI_TWILIO_PRICING_BASE_URL", "Replaces https://pricing.twilio.com."},
    Entry{"VAMI_TWILIO_TRUNKING_BASE_URL",
          "Replaces https://trunking.twilio.com (Elastic SIP Trunking, for Synthflow numbers)."},
};

// After the voice-agent providers' credentials and options, which their descriptors declare.
constexpr std::array k_environment_after_providers{
    Entry{"VAMI_ROUTER_URL", "The call router of webhook routing, as --router-url."},
};

// After the providers' router webhook settings (their descriptors' `SettingRole::webhook`).
constexpr std::array k_environment_after_webhooks{
    Entry{"VAMI_ACTOR", "The name recorded in the audit trail, as --actor."},
    Entry{"VAMI_SANDBOX_DB", "The sandbox's state file, instead of one beside the state database."},
    Entry{"NO_COLOR", "When set, never use colour, as --no-color."},
    Entry{"TERM", "When \"dumb\", the progress line uses no escape codes."},
    Entry{"XDG_CONFIG_HOME", "Where the config folder vami/ is (default: ~/.config)."},
    Entry{"XDG_DATA_HOME", "Where the data folder vami/ is (default: ~/.local/share)."},
};

constexpr std::array k_files{
    Entry{"$XDG_CONFIG_HOME/vami/config.toml",
          "The named profiles: credentials, base URLs, default country, concurrency and agent "
          "provider. Written "
          "0600 in a 0700 folder; vami refuses to read it when group or others can."},
    Entry{"$XDG_DATA_HOME/vami/vami.db",
          "The state database (SQLite): the pool, tenants, agents, documents, the journal of "
          "operations and the audit trail."},
    Entry{"$XDG_DATA_HOME/vami/vami.sandbox.db",
          "The built-in sandbox's account, beside the state database (<name>.sandbox.db for "
          "--db <name>.db; here for a PostgreSQL --db)."},
};

constexpr std::array k_examples{
    Entry{"Try vami with no account: the built-in sandbox answers.",
          "vami numbers search --area-code 212\n"
          "vami numbers buy --count 3 --area-code 212 --yes"},
    Entry{"Buy 100 numbers, showing the cost first.",
          "vami numbers buy --count 100 --area-code 212,646 --dry-run\n"
          "vami numbers buy --count 100 --area-code 212,646 \\e\n"
          "    --max-monthly-cost 1.50 --yes"},
    Entry{"Put a customer live in one command.",
          "vami onboard --tenant acme --name \"Acme Dental\" \\e\n"
          "    --area-code 212 --agent-name Reception --yes"},
    Entry{"Find where a number goes, and move it to another agent.",
          "vami route +12125550101\n"
          "vami numbers reassign +12125550101 --agent front-desk"},
    Entry{"Compare the database with the providers, then repair.", "vami reconcile\n"
                                                                   "vami reconcile --apply"},
    Entry{"In a script: JSON on stdout, the exit code tells what happened.",
          "vami numbers list --tenant acme --json | jq -r '.[].e164'"},
};

// roff text: backslashes and minus signs escaped, and a line never starts with a control
// character.
std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  std::string guarded;
  bool line_start = true;
  for (char c : out) {
    if (line_start && (c == '.' || c == '\'')) {
      guarded += "\\&";
    }
    guarded += c;
    line_start = c == '\n';
  }
  return guarded;
}

// Example lines are written already escaped where they need it (the "\e" of a continuation).
std::string escape_example(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '-') {
      out += "\\-";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string sentence(std::string text) {
  if (!text.empty() && text.back() != '.') {
    text += '.';
  }
  if (!text.empty() && text.front() >= 'a' && text.front() <= 'z') {
    text.front() = static_cast<char>(text.front() - 'a' + 'A');
  }
  return text;
}

std::string value_text(const ArgumentSpec& argument) {
  if (argument.kind == ValueKind::none) {
    return "";
  }
  std::string text;
  if (argument.kind == ValueKind::choice) {
    // `\:` lets troff break a long list of choices after a bar rather than overflow the line.
    for (std::size_t i = 0; i < argument.choices.size(); ++i) {
      text += (i == 0 ? "" : "|\\:") + std::string("\\fB") + escape(argument.choices[i]) + "\\fR";
    }
  } else {
    text = "\\fI" + escape(argument.value_name) + "\\fR";
  }
  return text + (argument.repeats ? "..." : "");
}

void write_argument(std::ostringstream& out, const ArgumentSpec& argument) {
  out << ".TP\n";
  if (argument.positional.empty()) {
    for (std::size_t i = 0; i < argument.names.size(); ++i) {
      out << (i == 0 ? "" : ", ") << "\\fB" << escape(argument.names[i]) << "\\fR";
    }
    std::string value = value_text(argument);
    out << (value.empty() ? "" : " " + value) << "\n";
  } else {
    out << value_text(argument) << "\n";
  }
  std::string text = sentence(argument.description);
  if (argument.required) {
    text += " Required.";
  }
  if (!argument.envname.empty()) {
    text += " Also the environment variable " + argument.envname + ".";
  }
  out << escape(text) << "\n";
}

// "vami numbers show \fINUMBER\fR": the heading of a command (.SS sets it in bold).
std::string synopsis(const CommandSpec& command) {
  std::string text = "vami " + escape(command.path_text());
  if (!command.subcommands.empty()) {
    return text + " \\fICOMMAND\\fR";
  }
  bool has_options = false;
  for (const auto& option : command.options) {
    has_options = has_options || option.names.back() != "--help";
  }
  if (has_options) {
    text += " [\\fIOPTIONS\\fR]";
  }
  for (const auto& positional : command.positionals) {
    std::string value =
        "\\fI" + escape(positional.value_name) + "\\fR" + (positional.repeats ? "..." : "");
    text += " " + (positional.required ? value : "[" + value + "]");
  }
  return text;
}

void write_command(std::ostringstream& out, const CommandSpec& command) {
  out << ".SS \"" << synopsis(command) << "\"\n" << escape(sentence(command.description)) << "\n";
  if (!command.subcommands.empty()) {
    out << "Its commands:";
    for (std::size_t i = 0; i < command.subcommands.size(); ++i) {
      out << (i == 0 ? " " : ", ") << "\\fB" << escape(command.subcommands[i].path.back())
          << "\\fR";
    }
    out << ".\n";
    return;
  }
  for (const auto& positional : command.positionals) {
    write_argument(out, positional);
  }
  for (const auto& option : command.options) {
    if (option.names.back() != "--help") {
      write_argument(out, option);
    }
  }
}

void write_entries(std::ostringstream& out, const auto& entries, std::string_view font) {
  for (const auto& entry : entries) {
    out << ".TP\n\\f" << font << escape(entry.name) << "\\fR\n" << escape(entry.text) << "\n";
  }
}

} // namespace

std::string man_page(const CommandSpec& top, const std::string& version) {
  std::ostringstream out;
  out << ".\\\" vami(1). Generated by `vami __man` from the command definitions: do not edit.\n"
      << ".\\\" Regenerate with scripts/completions.sh; a test fails when this file is stale.\n"
      << ".TH VAMI 1 \"\" \"vami " << escape(version)
      << "\" \"User Commands\"\n"
      // Left-aligned and unhyphenated, so that command and option names can be copied.
      << ".ad l\n.nh\n";
  out << ".SH NAME\nvami \\- provision a multi\\-tenant AI phone\\-agent platform\n";
  out << ".SH SYNOPSIS\n\\fBvami\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] "
         "[\\fIARGUMENTS\\fR]\n";
  out << ".SH DESCRIPTION\n"
      << escape(top.description) << "\n.PP\n"
      << escape("One account at a telephony provider (Twilio) owns a pool of phone numbers; one "
                "account at a voice-agent platform (ElevenLabs Agents) holds the voice agents of "
                "the tenants, the customer businesses. vami buys numbers in bulk into the pool, "
                "onboards tenants, creates and configures their agents and knowledge bases, "
                "assigns a pool number to an agent so that calls reach it, moves numbers "
                "between agents, releases them, and keeps a local state database that knows "
                "which number belongs to whom and what it costs.")
      << "\n.PP\n"
      << escape("Results go to stdout (a table, or with --json or -o csv a stable format for "
                "scripts); messages, progress and errors go to stderr. Commands that spend money "
                "or delete ask for confirmation on a terminal and need --yes in a script; "
                "--dry-run shows what they would do. With no credentials set, vami runs against "
                "its built-in sandbox and says so on stderr.")
      << "\n";
  out << ".SH COMMANDS\n";
  for (const CommandSpec* command : all_commands(top)) {
    if (!command->path.empty()) {
      write_command(out, *command);
    }
  }
  out << ".SH GLOBAL OPTIONS\n" << escape("Accepted before or after the command.") << "\n";
  for (const auto& option : top.options) {
    write_argument(out, option);
  }
  out << ".SH EXIT STATUS\n";
  write_entries(out, k_exit_codes, "B");
  out << ".SH ENVIRONMENT\n"
      << escape("Precedence: flags, then environment variables, then the chosen profile, then "
                "the sandbox.")
      << "\n";
  write_entries(out, k_environment, "B");
  // Each provider's variables: its credentials and options here, the router's webhook
  // settings after VAMI_ROUTER_URL.
  auto write_settings = [&](bool webhooks) {
    for (const AgentProviderDescriptor* provider : registered_agent_providers()) {
      for (const ProviderSetting& setting : provider->settings) {
        if ((setting.role == SettingRole::webhook) == webhooks && !setting.variable.empty()) {
          out << ".TP\n\\fB" << escape(setting.variable) << "\\fR\n"
              << escape(setting.help) << "\n";
        }
      }
    }
  };
  write_settings(false);
  write_entries(out, k_environment_after_providers, "B");
  write_settings(true);
  write_entries(out, k_environment_after_webhooks, "B");
  out << ".SH FILES\n";
  write_entries(out, k_files, "I");
  out << ".SH EXAMPLES\n";
  for (const auto& example : k_examples) {
    out << ".PP\n"
        << escape(example.name) << "\n.PP\n.RS 4\n.nf\n"
        << escape_example(example.text) << "\n.fi\n.RE\n";
  }
  out << ".SH SEE ALSO\n"
      << escape("vami COMMAND --help; the documentation in /usr/share/doc/vami/: README.md, "
                "and in docs/ the quick start, concepts, a guide per user, configuration, "
                "commands, JSON output, exit codes and troubleshooting.")
      << "\n";
  return out.str();
}

} // namespace vami::cli
