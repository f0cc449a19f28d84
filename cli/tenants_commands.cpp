// `vami tenants`: the platform's customers.
#include <iostream>

#include "app.hpp"
#include "provider_words.hpp"

namespace vami::cli {

namespace {

struct UpdateOptions {
  std::string slug;
  std::optional<std::string> name;
  std::optional<std::string> industry;
  std::optional<std::string> contact_name;
  std::optional<std::string> contact_email;
  std::optional<std::string> rate_number;
  std::optional<std::string> rate_minute;
  std::optional<std::string> rate_currency;
  std::optional<std::string> account_profile; ///< --profile NAME (of this subcommand).
  bool no_profile = false;                    ///< --no-profile.
};

struct DeleteOptions {
  std::string slug;
  bool release_numbers = false;
  bool dry_run = false;
};

const std::vector<Column>& tenant_columns() {
  static const std::vector<Column> columns = {field("SLUG", "slug"),
                                              field("NAME", "name"),
                                              field("INDUSTRY", "industry"),
                                              field("CONTACT", "contact_email"),
                                              field("PROFILE", "account_profile"),
                                              field("CREATED", "created_at")};
  return columns;
}

std::string format_cost(const std::vector<Money>& cost) {
  if (cost.empty()) {
    return "0";
  }
  std::string text;
  for (const Money& money : cost) {
    text += (text.empty() ? "" : " + ") + format_money(money);
  }
  return text;
}

nlohmann::ordered_json details_json(const TenantDetails& details) {
  nlohmann::ordered_json json = to_json(details.tenant);
  json["agents"] = nlohmann::ordered_json::array();
  for (const Agent& agent : details.agents) {
    json["agents"].push_back(to_json(agent));
  }
  json["numbers"] = nlohmann::ordered_json::array();
  for (const PoolNumber& number : details.numbers) {
    json["numbers"].push_back(to_json(number));
  }
  json["monthly_cost"] = nlohmann::ordered_json::array();
  for (const Money& money : details.monthly_cost) {
    json["monthly_cost"].push_back({{"micros", money.micros}, {"currency", money.currency}});
  }
  return json;
}

void print_details(AppContext& context, const TenantDetails& details) {
  OutputFormat format = context.output_format();
  if (format != OutputFormat::table) {
    write_object(std::cout, format, details_json(details));
    return;
  }
  write_object(std::cout, format, to_json(details.tenant));
  std::cout << "\nAgents (" << details.agents.size() << ")\n";
  for (const Agent& agent : details.agents) {
    std::cout << "  " << agent.slug << "  " << terminal_text(agent.name) << "  "
              << to_string(agent.status) << "  "
              << (agent.provider_agent_id.empty() ? "-" : terminal_text(agent.provider_agent_id))
              << '\n';
  }
  std::cout << "\nNumbers (" << details.numbers.size() << ")\n";
  for (const PoolNumber& number : details.numbers) {
    std::cout << "  " << number.e164 << "  " << number.agent_slug << "  "
              << (number.routing_mode ? to_string(*number.routing_mode) : "-") << "  "
              << format_money(number.monthly_price) << '\n';
  }
  std::cout << "\nMonthly cost: " << format_cost(details.monthly_cost) << '\n';
}

void add_tenant_fields(CLI::App* command, std::optional<std::string>& industry,
                       std::optional<std::string>& contact_name,
                       std::optional<std::string>& contact_email) {
  command->add_option("--industry", industry, "Industry (\"dental\", \"legal\", ...)");
  command->add_option("--contact-name", contact_name, "Contact person");
  command->add_option("--contact-email", contact_email, "Contact e-mail")->type_name("EMAIL");
}

// --rate-number, --rate-minute, --rate-currency: what 'vami usage' bills the tenant at when
// its own command line gives no rate.
void add_rate_options(CLI::App* command, UpdateOptions& options, bool removable) {
  const std::string none = removable ? "; 'none' removes the stored rate" : "";
  command
      ->add_option("--rate-number", options.rate_number,
                   "What to bill per number per month (prorated), stored for 'vami usage' (its "
                   "own --rate-number/--rate-minute take precedence)" +
                       none)
      ->type_name("AMOUNT");
  command
      ->add_option("--rate-minute", options.rate_minute,
                   "What to bill per started minute of each call, stored for 'vami usage'" + none)
      ->type_name("AMOUNT");
  command
      ->add_option("--rate-currency", options.rate_currency,
                   "ISO 4217 currency of the stored rates, such as USD or EUR (default USD); "
                   "'vami usage' refuses rates in another currency than the costs")
      ->type_name("CODE");
}

// --profile NAME: the tenant's own voice-agent accounts. The root's global --profile (before
// the subcommand) still selects the command's own profile: CLI11 gives an option given after a
// subcommand to that subcommand when it has one of that name.
void add_account_options(CLI::App* command, UpdateOptions& options, bool removable) {
  command->footer(
      "Tenants on their own accounts: --profile NAME after the subcommand ties the tenant to\n"
      "the voice-agent accounts of profile NAME (its agents, knowledge base and imports are\n"
      "made there; Twilio stays the platform's). Given before the subcommand,\n"
      "'vami --profile NAME tenants ...' chooses the profile this command itself runs with.\n"
      "The state database stores the profile's name only; its keys stay in the config file.\n"
      "See docs/guides/tenant-accounts.md.");
  auto* profile =
      command
          ->add_option("--profile", options.account_profile,
                       "The tenant's own voice-agent accounts: a profile of the config file "
                       "holding " +
                           account_credentials_words() +
                           "; its agents, "
                           "knowledge and imports are made there (given after the subcommand; "
                           "'vami --profile NAME tenants ...' before it still chooses the "
                           "command's profile)")
          ->type_name("NAME");
  if (removable) {
    command
        ->add_flag("--no-profile", options.no_profile,
                   "Back to the platform's own accounts (refused while the tenant has agents "
                   "at a provider)")
        ->excludes(profile);
  }
}

// The account profile `name` after checking that the config file has it and that it holds the
// credentials of a voice-agent provider.
std::string checked_account_profile(const std::string& name) {
  const auto path = config_file_path();
  const ConfigFile config = read_config_file(path);
  const Profile* profile = config.find(name);
  if (profile == nullptr) {
    std::string names;
    for (const std::string& known : config.names()) {
      names += (names.empty() ? "" : ", ") + known;
    }
    throw Error(ErrorKind::not_found,
                "no profile '" + name + "' in " + path.string() +
                    " (known profiles: " + (names.empty() ? "none" : names) + ")",
                "add it with 'vami profiles add " + name + " --from-env' (" +
                    account_variables_words() + "), then run this again");
  }
  if (!profile->has_voice_agent_credentials()) {
    throw Error(ErrorKind::invalid_input,
                "profile '" + name +
                    "' holds no voice-agent credentials: a tenant's own account needs " +
                    account_credentials_words(),
                "write them into it with 'vami profiles add " + name +
                    " --replace --from-env', then run this again");
  }
  return name;
}

// A rate option of `tenants update`: not given (no change), "none" (remove the stored rate) or
// a new amount.
std::optional<std::optional<std::int64_t>> rate_change(const std::optional<std::string>& text,
                                                       const char* option) {
  if (!text) {
    return std::nullopt;
  }
  if (*text == "none") {
    return std::optional<std::int64_t>();
  }
  return rate_option(text, option);
}

} // namespace

void register_tenants_commands(CLI::App& app, AppContext& context) {
  auto* tenants = app.add_subcommand("tenants", "Tenants: the platform's customer businesses");
  tenants->require_subcommand(1);

  auto create = std::make_shared<UpdateOptions>();
  auto* create_command = tenants->add_subcommand("create", "Record a new tenant");
  create_command->add_option("slug", create->slug, "Tenant slug: lower-case letters, digits, '-'")
      ->required();
  create_command->add_option("--name", create->name, "Display name")->required();
  add_tenant_fields(create_command, create->industry, create->contact_name, create->contact_email);
  add_rate_options(create_command, *create, false);
  add_account_options(create_command, *create, false);
  create_command->callback([&context, create] {
    Tenant tenant;
    tenant.slug = create->slug;
    tenant.name = create->name.value_or("");
    tenant.industry = create->industry.value_or("");
    tenant.contact_name = create->contact_name.value_or("");
    tenant.contact_email = create->contact_email.value_or("");
    tenant.rates.number_micros = rate_option(create->rate_number, "--rate-number");
    tenant.rates.minute_micros = rate_option(create->rate_minute, "--rate-minute");
    tenant.rates.currency = create->rate_currency.value_or(tenant.rates.currency);
    if (create->account_profile) {
      tenant.account_profile = checked_account_profile(*create->account_profile);
    }
    Tenant created = context.tenants().create(tenant);
    write_object(std::cout, context.output_format(), to_json(created));
    context.note("tenant " + created.slug +
                 " created; give it an agent with 'vami agents "
                 "create --tenant " +
                 created.slug + " --name NAME'");
  });

  auto* list_command = tenants->add_subcommand("list", "List tenants");
  list_command->callback([&context] {
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const Tenant& tenant : context.tenants().list()) {
      records.push_back(to_json(tenant));
    }
    write_records(std::cout, context.output_format(), records, tenant_columns());
  });

  auto show_slug = std::make_shared<std::string>();
  auto* show_command =
      tenants->add_subcommand("show", "Show a tenant with its agents, numbers and monthly cost");
  show_command->add_option("slug", *show_slug, "Tenant slug")->required();
  show_command->callback(
      [&context, show_slug] { print_details(context, context.tenants().show(*show_slug)); });

  auto update = std::make_shared<UpdateOptions>();
  auto* update_command = tenants->add_subcommand("update", "Change a tenant's details");
  update_command->add_option("slug", update->slug, "Tenant slug")->required();
  update_command->add_option("--name", update->name, "Display name");
  add_tenant_fields(update_command, update->industry, update->contact_name, update->contact_email);
  add_rate_options(update_command, *update, true);
  add_account_options(update_command, *update, true);
  update_command->callback([&context, update] {
    TenantChange change;
    change.name = update->name;
    change.industry = update->industry;
    change.contact_name = update->contact_name;
    change.contact_email = update->contact_email;
    change.rate_number_micros = rate_change(update->rate_number, "--rate-number");
    change.rate_minute_micros = rate_change(update->rate_minute, "--rate-minute");
    change.rate_currency = update->rate_currency;
    if (update->account_profile) {
      change.account_profile = checked_account_profile(*update->account_profile);
    } else if (update->no_profile) {
      change.account_profile = std::string();
    }
    write_object(std::cout, context.output_format(),
                 to_json(context.tenants().update(update->slug, change)));
  });

  auto remove = std::make_shared<DeleteOptions>();
  auto* delete_command = tenants->add_subcommand(
      "delete", "Delete a tenant: its agents and documents at the provider, its numbers back to "
                "the pool (or released)");
  delete_command->add_option("slug", remove->slug, "Tenant slug")->required();
  delete_command->add_flag("--release-numbers", remove->release_numbers,
                           "Release its numbers to the provider instead of keeping them");
  delete_command->add_flag("--dry-run", remove->dry_run, "Show what would be deleted");
  context.stops_after_step(delete_command); // changes providers: see cli/signals.hpp
  delete_command->callback([&context, remove] {
    TenantDetails details = context.tenants().show(remove->slug);
    std::string numbers_fate = remove->release_numbers ? "released" : "returned to the pool";
    std::string summary = "tenant " + details.tenant.slug + ": " +
                          std::to_string(details.agents.size()) + " agent(s) deleted, " +
                          std::to_string(details.numbers.size()) + " number(s) " + numbers_fate;
    if (remove->dry_run) {
      print_details(context, details);
      context.note("dry run: " + summary);
      return;
    }
    if (!context.confirm("delete " + summary + "?", "delete tenant " + details.tenant.slug)) {
      throw Error(ErrorKind::invalid_input, "not confirmed; nothing was deleted");
    }
    TenantRemoval removal = context.tenants().remove(
        remove->slug,
        remove->release_numbers ? NumberDisposition::release : NumberDisposition::return_to_pool);
    write_tenant_removal(context, remove->slug, removal);
  });

  register_tenant_suspension_commands(*tenants, context);
}

void write_tenant_removal(AppContext& context, const std::string& slug,
                          const TenantRemoval& removal) {
  nlohmann::ordered_json json;
  json["slug"] = slug;
  json["agents_deleted"] = removal.agents_deleted;
  json["numbers_returned"] = removal.numbers_returned;
  json["numbers_released"] = removal.numbers_released;
  if (context.output_format() == OutputFormat::table) {
    auto joined = [](const std::vector<std::string>& items) {
      std::string text;
      for (const std::string& item : items) {
        text += (text.empty() ? "" : " ") + item;
      }
      return text.empty() ? std::string("-") : text;
    };
    std::cout << "tenant            " << slug << " (deleted)\n"
              << "agents deleted    " << joined(removal.agents_deleted) << '\n'
              << "numbers returned  " << joined(removal.numbers_returned) << '\n'
              << "numbers released  " << joined(removal.numbers_released) << '\n';
  } else {
    write_object(std::cout, context.output_format(), json);
  }
  context.note("deleted tenant " + slug);
}

} // namespace vami::cli
