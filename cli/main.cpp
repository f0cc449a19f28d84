// vami: the command-line admin and provisioning toolkit of a multi-tenant AI phone-agent
// platform. main wires the command groups and is the one place errors become exit codes.
#include <algorithm>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string_view>
#include <vector>

#include "app.hpp"
#include "option_rules.hpp"
#include "output.hpp"
#include "signals.hpp"
#include "version.hpp"
#include <malloc.h>

#include <vami/stores/state_store_factory.hpp>

namespace {

using vami::cli::ExitCode;

// "vami 0.1.0 (1a2b3c4)": the release and the source revision (a git short hash, "+dirty" when
// built from a tree with changes, "unknown" when built outside git).
std::string version_text() {
  return std::string("vami ") + vami::cli::k_version + " (" + vami::cli::k_source_revision + ")";
}

// "SIGTERM": the name users know a stopping signal by.
const char* signal_name(int signal_number) {
  switch (signal_number) {
  case SIGINT:
    return "SIGINT (Ctrl-C)";
  case SIGTERM:
    return "SIGTERM";
  case SIGHUP:
    return "SIGHUP (the terminal went away)";
  default:
    return "a signal";
  }
}

int to_int(ExitCode code) {
  return static_cast<int>(code);
}

std::string one_line(const vami::Error& error) {
  std::string line = error.what();
  if (const auto& detail = error.provider_detail();
      detail && !detail->request_id.empty() && line.find(detail->request_id) == std::string::npos) {
    line += " [request " + detail->request_id + "]";
  }
  if (!error.hint().empty()) {
    line += "; " + error.hint();
  }
  return line;
}

// "vami numbers buy": the deepest subcommand the parser reached, to point at its --help.
std::string command_path(CLI::App& app) {
  std::string path = app.get_name();
  CLI::App* current = &app;
  while (true) {
    auto parsed = current->get_subcommands();
    if (parsed.empty()) {
      return path;
    }
    current = parsed.front();
    path += " " + current->get_name();
  }
}

void add_global_options(CLI::App& app, vami::cli::GlobalOptions& options) {
  app.add_option("--db", options.db,
                 "State database: a SQLite file (default: $XDG_DATA_HOME/vami/vami.db) or a "
                 "team's PostgreSQL database, postgresql://[user@]host[:port]/dbname[?sslmode=...] "
                 "(password in PGPASSWORD or ~/.pgpass, not in the URI)")
      ->envname("VAMI_DB")
      ->type_name("PATH|URI");
  app.add_option("--profile", options.profile,
                 "Profile of the config file to use (default: its default_profile)")
      ->envname("VAMI_PROFILE")
      ->type_name("NAME");
  app.add_option("-o,--output", options.output, "Result format on stdout")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  app.add_flag("--json", options.json, "Same as --output json");
  app.add_flag("-q,--quiet", options.quiet, "Print no messages on stderr, only errors");
  app.add_flag("-v,--verbose", options.verbosity,
               "More messages on stderr: each item of a bulk command as it settles");
  app.add_flag("--debug", options.debug, "Trace HTTP requests on stderr, secrets redacted");
  app.add_flag("--no-color", options.no_color, "Never use colour (also NO_COLOR)");
  app.add_option("--progress", options.progress, "Live progress line on stderr")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_flag("-y,--yes", options.yes, "Answer yes to confirmations (required in scripts)");
  app.add_option("--actor", options.actor, "Name recorded in the audit trail (default: OS user)")
      ->envname("VAMI_ACTOR")
      ->check(CLI::Validator(
          [](const std::string& actor) -> std::string {
            // An actor is printed in audit rows: a line break or escape in it could forge one.
            if (vami::cli::terminal_text(actor) != actor) {
              return "'" + vami::cli::terminal_text(actor, vami::cli::LineBreaks::escape, 60) +
                     "' holds control characters; give a name on one line";
            }
            return {};
          },
          ""));
  app.add_option("--router-url", options.router_url,
                 "Call router that webhook routing points numbers at (https)")
      ->envname("VAMI_ROUTER_URL")
      ->type_name("URL");
}

// The one line of an error on stderr: one line, nothing a terminal acts on, and a 100 kB
// argument echoed in it shortened.
void print_error(const std::string& line) {
  std::cerr << "vami: error: "
            << vami::cli::terminal_text(line, vami::cli::LineBreaks::escape, 2000) << '\n';
}

// -o and --json both given ask for two formats unless they agree.
void check_output_options(CLI::App& app, const vami::cli::GlobalOptions& options) {
  if (options.json && app.get_option("--output")->count() > 0 && options.output != "json") {
    throw vami::Error(vami::ErrorKind::invalid_input,
                      "--json and --output " + options.output + " ask for two formats",
                      "give one of them");
  }
}

int run(int argc, char** argv);

// Warns about a database URI (--db, and db copy's --from and --to) that holds a password and
// overwrites the password in `argv` with NULs.
void hide_database_password(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    char* value = nullptr;
    std::string_view option;
    for (std::string_view name : {"--db", "--from", "--to"}) {
      if (argument == name && i + 1 < argc) {
        value = argv[i + 1];
        option = name;
      } else if (argument.size() > name.size() && argument.rfind(name, 0) == 0 &&
                 argument[name.size()] == '=') {
        value = argv[i] + name.size() + 1;
        option = name;
      }
    }
    if (value == nullptr || !vami::location_has_password(value)) {
      continue;
    }
    std::cerr << "vami: warning: the " << option
              << " URI holds a password, which other users of this machine can read in the "
                 "process list; put it in PGPASSWORD or ~/.pgpass (mode 0600) instead\n";
    const std::string original = value;
    std::string redacted = vami::redact_location(original);
    if (redacted.size() > original.size()) { // a password shorter than "***"
      redacted = "postgresql://***";
    }
    // The redacted URI, padded with NULs, takes the original's place.
    std::fill(value, value + original.size(), '\0');
    std::copy(redacted.begin(), redacted.end(), value);
  }
}

} // namespace

int main(int argc, char** argv) {
  vami::cli::guard_closed_stdout();
  int code = run(argc, argv);
  // Results that did not reach stdout are a failure: a CI job would read nothing and go on.
  if (!vami::cli::stdout_ok()) {
    print_error("cannot write output: " + vami::cli::stdout_failure());
    return code == to_int(ExitCode::ok) ? to_int(ExitCode::failure) : code;
  }
  return code;
}

namespace {

int run(int argc, char** argv) {
  // Answered before anything is built: scripts and package checks run it often, and building
  // the command tree costs more than the answer (issue 4: at most 10 ms).
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << version_text() << '\n';
    return to_int(ExitCode::ok);
  }
  // glibc gives each thread that allocates its own arena (up to 8 per core); a 25-wide bulk
  // command then holds ~25 mostly empty heaps. Two arenas keep the peak RSS of a 1,000-number
  // buy low (issue 4: at most 30 MB); the workers mostly wait on the network, not on malloc.
  mallopt(M_ARENA_MAX, 2);
  // Before anything can change: a signal never ends vami between a provider's answer and its
  // record, and a closed pipe is a failed write, not death (cli/signals.hpp).
  vami::cli::install_signal_handling();
  vami::cli::AppContext context;
  CLI::App app{"vami: provision a multi-tenant AI phone-agent platform: the phone-number pool,\n"
               "tenants, their voice agents and knowledge, and which number reaches which agent.\n"
               "With no credentials set it runs against the built-in sandbox.",
               "vami"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  app.fallthrough();
  add_global_options(app, context.options);

  vami::cli::register_init_command(app, context);
  vami::cli::register_numbers_commands(app, context);
  vami::cli::register_webhooks_commands(app, context);
  vami::cli::register_router_commands(app, context);
  vami::cli::register_sandbox_commands(app, context);
  vami::cli::register_tenants_commands(app, context);
  vami::cli::register_agents_commands(app, context);
  vami::cli::register_kb_commands(app, context);
  vami::cli::register_onboard_command(app, context);
  vami::cli::register_reconcile_command(app, context);
  vami::cli::register_calls_commands(app, context);
  vami::cli::register_usage_command(app, context);
  vami::cli::register_audit_command(app, context);
  vami::cli::register_operations_commands(app, context);
  vami::cli::register_profiles_commands(app, context);
  vami::cli::register_db_commands(app, context);
  // Last: `completion` and `__man` describe every command registered before.
  vami::cli::register_completion_commands(app, context);
  // Every option registered above follows the same rules: no empty values, decimal integers.
  vami::cli::apply_option_rules(app);
  // Runs once every option is parsed and before any command's callback: a profile's defaults
  // fill the flags that were not given.
  app.parse_complete_callback([&context, &app] {
    check_output_options(app, context.options);
    context.apply_profile_defaults();
  });
  // Set after the subcommands are added, so that it is not repeated in each one's help.
  app.footer("Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 not found, 4 conflict,\n"
             "5 credentials rejected, 6 provider unavailable, 7 partial, 8 state uncertain,\n"
             "130 interrupted. See docs/exit-codes.md.");

  // Parsed from copies: the password of a --db URI is then blanked out of the process's own
  // command line, which every user of the machine can read (ps, /proc/<pid>/cmdline).
  std::vector<std::string> arguments(argv, argv + argc);
  std::vector<char*> pointers;
  for (auto& argument : arguments) {
    pointers.push_back(argument.data());
  }
  hide_database_password(argc, argv);
  try {
    app.parse(argc, pointers.data());
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      return app.exit(error); // --help, --version
    }
    print_error(vami::cli::usage_message(error) + "; run '" + command_path(app) +
                " --help' for usage");
    return to_int(ExitCode::usage);
  } catch (const vami::cli::BulkExit& bulk) {
    return to_int(bulk.code);
  } catch (const vami::Error& error) {
    print_error(one_line(error));
    return to_int(vami::cli::exit_code_for(error.kind()));
  } catch (const std::exception& error) {
    print_error(std::string("unexpected failure: ") + error.what() +
                "; please report it with the command you ran");
    return to_int(ExitCode::failure);
  }
  if (context.stopping_after_step() && vami::cli::AppContext::interrupted()) {
    // The signal came during the last step: it was finished and recorded, and is shown above.
    context.note(std::string("interrupted by ") + signal_name(vami::cli::received_signal()) +
                 " after the work in flight was done; what was done is shown above");
    return to_int(ExitCode::interrupted);
  }
  return to_int(ExitCode::ok);
}

} // namespace
