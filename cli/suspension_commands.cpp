// `vami numbers suspend|resume` and `vami tenants suspend|resume`: numbers out of service and
// back, with the routing they had.
#include <iostream>

#include "app.hpp"

namespace vami::cli {

namespace {

struct SuspendOptions {
  std::vector<std::string> numbers;
  std::string from_file;
  std::string message;
  int concurrency = k_default_concurrency;
};

struct TenantSuspendOptions {
  std::string slug;
  std::string message;
  int concurrency = k_default_concurrency;
};

constexpr const char* k_message_help =
    "What callers hear before the call is hung up (default: calls are rejected unanswered)";

// An empty --message is refused by the rules every option follows (option_rules.hpp), so an
// unset shell variable never turns a message into a rejection.
void add_message_option(CLI::App* command, std::string& message) {
  command->add_option("--message", message, k_message_help)->type_name("TEXT");
}

std::string what_callers_get(const PoolNumber& number) {
  const std::string message = number.suspension ? number.suspension->message : "";
  return message.empty() ? "calls are rejected" : "callers hear \"" + message + "\"";
}

std::string resumed_words(const PoolNumber& number) {
  if (number.status == NumberStatus::assigned) {
    return number.e164 + " reaches agent " + number.agent_slug + " again (tenant " +
           number.tenant_slug + ", " +
           to_string(number.routing_mode.value_or(RoutingMode::native)) + " routing)";
  }
  return number.e164 + " is back in the pool, available";
}

void print_number(AppContext& context, const PoolNumber& number, const std::string& message) {
  write_object(std::cout, context.output_format(), to_json(number));
  context.note(message);
}

const BulkWords k_suspend_words{"suspending", "suspend", "suspended"};
const BulkWords k_resume_words{"resuming", "resume", "resumed"};

} // namespace

void register_number_suspension_commands(CLI::App& numbers, AppContext& context) {
  auto suspend = std::make_shared<SuspendOptions>();
  auto* suspend_command = numbers.add_subcommand(
      "suspend", "Take numbers out of service: calls reach no agent until they are resumed");
  suspend_command->add_option("numbers", suspend->numbers,
                              "Phone numbers, E.164; more than one are suspended as one bulk "
                              "operation");
  suspend_command
      ->add_option("--from-file", suspend->from_file,
                   "Also suspend the numbers in FILE, one per line (- for standard input; blank "
                   "lines and # comments ignored)")
      ->type_name("FILE");
  add_message_option(suspend_command, suspend->message);
  suspend_command
      ->add_option("--concurrency", suspend->concurrency,
                   "With many numbers: suspensions in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(suspend_command, suspend->concurrency);
  suspend_command->callback([&context, suspend] {
    if (suspend->numbers.empty() && suspend->from_file.empty()) {
      throw Error(ErrorKind::invalid_input, "no number given",
                  "name pool numbers, or give them in --from-file FILE");
    }
    if (suspend->numbers.size() == 1 && suspend->from_file.empty()) {
      PoolNumber number = context.suspensions().suspend(suspend->numbers.front(), suspend->message);
      print_number(context, number,
                   number.e164 + " is suspended: " + what_callers_get(number) +
                       "; resume it with 'vami numbers resume " + number.e164 + "'");
      return;
    }
    std::vector<std::string> given = numbers_given(suspend->numbers, suspend->from_file);
    SuspensionService suspensions = context.suspensions();
    run_bulk_command(context, k_suspend_words,
                     [&](const StopRequested& stop, const ItemObserver& observer) {
                       return suspensions.suspend_many(given, suspend->message,
                                                       suspend->concurrency, stop, observer);
                     });
  });

  auto resume = std::make_shared<SuspendOptions>();
  auto* resume_command = numbers.add_subcommand(
      "resume", "Put suspended numbers back in service with exactly the routing they had");
  resume_command->add_option("numbers", resume->numbers,
                             "Phone numbers, E.164; more than one are resumed as one bulk "
                             "operation");
  resume_command
      ->add_option("--from-file", resume->from_file,
                   "Also resume the numbers in FILE, one per line (- for standard input; blank "
                   "lines and # comments ignored)")
      ->type_name("FILE");
  resume_command
      ->add_option("--concurrency", resume->concurrency,
                   "With many numbers: resumptions in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(resume_command, resume->concurrency);
  resume_command->callback([&context, resume] {
    if (resume->numbers.empty() && resume->from_file.empty()) {
      throw Error(ErrorKind::invalid_input, "no number given",
                  "name suspended numbers, or give them in --from-file FILE");
    }
    if (resume->numbers.size() == 1 && resume->from_file.empty()) {
      PoolNumber number = context.suspensions().resume(resume->numbers.front());
      print_number(context, number, resumed_words(number));
      return;
    }
    std::vector<std::string> given = numbers_given(resume->numbers, resume->from_file);
    SuspensionService suspensions = context.suspensions();
    run_bulk_command(context, k_resume_words,
                     [&](const StopRequested& stop, const ItemObserver& observer) {
                       return suspensions.resume_many(given, resume->concurrency, stop, observer);
                     });
  });
}

void register_tenant_suspension_commands(CLI::App& tenants, AppContext& context) {
  auto suspend = std::make_shared<TenantSuspendOptions>();
  auto* suspend_command = tenants.add_subcommand(
      "suspend", "Take every number of a tenant out of service (one bulk operation)");
  suspend_command->add_option("slug", suspend->slug, "Tenant slug")->required();
  add_message_option(suspend_command, suspend->message);
  suspend_command
      ->add_option("--concurrency", suspend->concurrency, "Suspensions in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(suspend_command, suspend->concurrency);
  suspend_command->callback([&context, suspend] {
    SuspensionService suspensions = context.suspensions();
    run_bulk_command(context, k_suspend_words,
                     [&](const StopRequested& stop, const ItemObserver& observer) {
                       return suspensions.suspend_tenant(suspend->slug, suspend->message,
                                                         suspend->concurrency, stop, observer);
                     });
  });

  auto resume = std::make_shared<TenantSuspendOptions>();
  auto* resume_command = tenants.add_subcommand(
      "resume", "Put every suspended number of a tenant back in service (one bulk operation)");
  resume_command->add_option("slug", resume->slug, "Tenant slug")->required();
  resume_command
      ->add_option("--concurrency", resume->concurrency, "Resumptions in flight at once (1-64)")
      ->capture_default_str()
      ->type_name("N");
  context.concurrency_from_profile(resume_command, resume->concurrency);
  resume_command->callback([&context, resume] {
    SuspensionService suspensions = context.suspensions();
    run_bulk_command(
        context, k_resume_words, [&](const StopRequested& stop, const ItemObserver& observer) {
          return suspensions.resume_tenant(resume->slug, resume->concurrency, stop, observer);
        });
  });
}

} // namespace vami::cli
