#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "audit_json.hpp"
#include "bulk_journal.hpp"
#include "lookups.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/agent_service.hpp>
#include <vami/core/assignment_service.hpp>
#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/money.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/tenant_service.hpp>

namespace vami {

namespace {

void validate_free_text(const std::string& text, std::string_view what) {
  if (!text.empty()) {
    validate_display_name(text, what);
  }
}

} // namespace

void validate_tenant(const Tenant& tenant) {
  validate_slug(tenant.slug, "tenant slug");
  validate_display_name(tenant.name, "tenant name");
  validate_free_text(tenant.industry, "industry");
  validate_free_text(tenant.contact_name, "contact name");
  validate_email(tenant.contact_email);
  // A profile name (cli/profiles: [a-z0-9][a-z0-9_-]{0,31}); what it holds is the CLI's concern.
  const std::string& profile = tenant.account_profile;
  const bool profile_ok =
      profile.empty() ||
      (profile.size() <= 32 && std::isalnum(static_cast<unsigned char>(profile.front())) != 0 &&
       std::all_of(profile.begin(), profile.end(), [](char c) {
         return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
       }));
  if (!profile_ok) {
    throw Error(ErrorKind::invalid_input, "'" + profile + "' is not a profile name",
                "use 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a letter or "
                "digit");
  }
  const TenantRates& rates = tenant.rates;
  for (const auto& [rate, option] : {std::pair{rates.number_micros, "--rate-number"},
                                     std::pair{rates.minute_micros, "--rate-minute"}}) {
    if (rate && *rate < 0) {
      throw Error(ErrorKind::invalid_input, std::string(option) + " " +
                                                format_decimal_micros(*rate) +
                                                " is negative; a rate is zero or more");
    }
  }
  const std::string& code = rates.currency;
  if (code.size() != 3 ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    throw Error(ErrorKind::invalid_input,
                "--rate-currency '" + code + "' is not an ISO 4217 currency code",
                "give three capital letters, such as USD or EUR");
  }
}

TenantService::TenantService(TelephonyProvider& telephony, AgentProviders& agents,
                             StateStore& store, std::string actor)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)) {}

Tenant TenantService::create(const Tenant& tenant) {
  validate_tenant(tenant);
  if (std::optional<Tenant> existing = m_store.find_tenant(tenant.slug)) {
    throw Error(ErrorKind::conflict,
                "tenant \"" + tenant.slug + "\" already exists (" + existing->name + ")",
                "choose another slug, or change it with 'vami tenants update " + tenant.slug + "'");
  }
  Tenant created = m_store.create_tenant(tenant);
  detail::append_audit(m_store, m_actor, "tenants create", "tenant", created.slug, "",
                       detail::audit_json(created), created.slug);
  return created;
}

std::vector<Tenant> TenantService::list() {
  return m_store.list_tenants();
}

TenantDetails TenantService::show(const std::string& slug) {
  TenantDetails details;
  details.tenant = detail::require_tenant(m_store, slug);
  details.agents = m_store.list_agents(slug);
  NumberFilter filter;
  filter.tenant_slug = slug;
  details.numbers = m_store.list_numbers(filter);
  std::map<std::string, std::int64_t> cost;
  for (const PoolNumber& number : details.numbers) {
    if (number.monthly_price) {
      cost[number.monthly_price->currency] += number.monthly_price->micros;
    }
  }
  for (const auto& [currency, micros] : cost) {
    details.monthly_cost.push_back(Money{micros, currency});
  }
  return details;
}

Tenant TenantService::update(const std::string& slug, const TenantChange& change) {
  Tenant before = detail::require_tenant(m_store, slug);
  Tenant after = before;
  after.name = change.name.value_or(before.name);
  after.industry = change.industry.value_or(before.industry);
  after.contact_name = change.contact_name.value_or(before.contact_name);
  after.contact_email = change.contact_email.value_or(before.contact_email);
  after.rates.number_micros = change.rate_number_micros.value_or(before.rates.number_micros);
  after.rates.minute_micros = change.rate_minute_micros.value_or(before.rates.minute_micros);
  after.rates.currency = change.rate_currency.value_or(before.rates.currency);
  after.account_profile = change.account_profile.value_or(before.account_profile);
  validate_tenant(after);
  if (change.empty()) {
    throw Error(ErrorKind::invalid_input, "nothing to change for tenant \"" + slug + "\"",
                "give at least one of --name, --industry, --contact-name, --contact-email, "
                "--rate-number, --rate-minute, --rate-currency, --profile, --no-profile");
  }
  after = m_store.update_tenant(slug, change);
  detail::append_audit(m_store, m_actor, "tenants update", "tenant", slug,
                       detail::audit_json(before), detail::audit_json(after), slug);
  return after;
}

std::string deleted_tenant(const Operation& operation) {
  if (operation.kind != OperationKind::release) {
    return {};
  }
  const nlohmann::json parameters = nlohmann::json::parse(operation.parameters, nullptr, false);
  if (!parameters.is_object()) {
    return {};
  }
  auto tenant = parameters.find("delete_tenant");
  return tenant != parameters.end() && tenant->is_string() ? tenant->get<std::string>()
                                                           : std::string();
}

std::optional<Operation> TenantService::unfinished_deletion(const std::string& slug) {
  for (const Operation& operation : m_store.list_operations(0)) {
    if (operation.status != OperationStatus::completed && deleted_tenant(operation) == slug) {
      // Refused while the process that runs it is alive: two deletions never release at once.
      return detail::resumable_operation(m_store, operation.id);
    }
  }
  return std::nullopt;
}

TenantRemoval TenantService::remove(const std::string& slug, NumberDisposition numbers,
                                    const StopRequested& stop_requested) {
  const Tenant tenant = detail::require_tenant(m_store, slug);
  TenantRemoval removal;
  NumberFilter filter;
  filter.tenant_slug = slug;
  std::vector<std::string> assigned;
  // A suspended number keeps its tenant until it is resumed or released; going back to the
  // pool from out of service is not a step vami takes silently.
  std::vector<std::string> suspended;
  for (const PoolNumber& number : m_store.list_numbers(filter)) {
    if (number.status == NumberStatus::assigned) {
      assigned.push_back(number.e164);
    } else if (number.status == NumberStatus::suspended) {
      suspended.push_back(number.e164);
    }
  }
  if (!suspended.empty() && numbers == NumberDisposition::return_to_pool) {
    throw Error(ErrorKind::conflict,
                "tenant \"" + slug + "\" has " + std::to_string(suspended.size()) +
                    " suspended number(s), first " + suspended.front(),
                "resume them with 'vami tenants resume " + slug +
                    "' first, or delete the tenant with --release-numbers");
  }

  // Releasing is journaled before the first number is unassigned: once unassigned, a number no
  // longer says whose it was, and a deletion killed before its releases would leave it owned
  // (and paid for) in the pool. A rerun, or `operations resume`, finishes that operation.
  std::optional<Operation> deletion = unfinished_deletion(slug);
  if (deletion && numbers != NumberDisposition::release) {
    throw Error(ErrorKind::conflict,
                "tenant \"" + slug + "\" is being deleted with its numbers released (operation " +
                    deletion->id + "), and that deletion has not finished",
                "finish it with 'vami tenants delete " + slug +
                    " --release-numbers' or 'vami operations resume " + deletion->id + "'");
  }
  std::vector<std::string> held = assigned;
  held.insert(held.end(), suspended.begin(), suspended.end());
  if (!deletion && numbers == NumberDisposition::release && !held.empty()) {
    PoolService pool(m_telephony, m_store, m_actor);
    (void)pool.plan_release(held, AssignedNumbers::allowed); // checks them before anything
    Operation operation;
    operation.id = new_operation_id();
    operation.kind = OperationKind::release;
    operation.requested_count = static_cast<int>(held.size());
    operation.actor = m_actor;
    operation.parameters = nlohmann::json{{"numbers", held}, {"delete_tenant", slug}}.dump();
    m_store.create_operation(operation);
    deletion = operation;
  }
  std::set<std::string> to_release;
  if (deletion) {
    for (const std::string& e164 : requested_numbers(*deletion)) {
      to_release.insert(e164);
    }
  }

  // Numbers first: an agent that still answers a number cannot be deleted. Unassigning never
  // needs the router URL (a webhook-routed number's voice URL is cleared).
  AssignmentService assignments(m_telephony, m_agents, m_store, m_actor, "");
  for (const std::string& e164 : assigned) {
    assignments.unassign(e164);
    if (to_release.count(e164) == 0) {
      removal.numbers_returned.push_back(e164);
    }
  }
  if (deletion) {
    PoolService pool(m_telephony, m_store, m_actor);
    ResumePlan plan = pool.plan_resume(deletion->id, {});
    BulkReport report = pool.resume(plan, stop_requested, nullptr);
    if (report.state_failure) {
      throw *report.state_failure;
    }
    for (const ItemResult& item : report.items) {
      if (item.status != ItemStatus::succeeded) {
        throw Error(item.status == ItemStatus::uncertain ? ErrorKind::uncertain
                                                         : ErrorKind::provider,
                    "cannot release " + item.e164 + " of tenant \"" + slug + "\": " + item.message,
                    "its agents are not deleted yet; run the same command again (operation " +
                        deletion->id + ")");
      }
    }
    if (report.interrupted) {
      throw Error(ErrorKind::interrupted,
                  "interrupted while releasing the numbers of tenant \"" + slug + "\"",
                  "its agents are not deleted yet; finish with 'vami operations resume " +
                      deletion->id + "'");
    }
    for (const std::string& e164 : requested_numbers(*deletion)) {
      std::optional<PoolNumber> row = m_store.find_number(e164);
      if (row && row->status == NumberStatus::released) {
        removal.numbers_released.push_back(e164);
      }
    }
  }
  AgentService agents(m_agents, m_store, m_actor);
  for (const Agent& agent : m_store.list_agents(slug)) {
    agents.remove(agent.slug);
    removal.agents_deleted.push_back(agent.slug);
  }
  m_store.delete_tenant(slug);
  detail::append_audit(m_store, m_actor, "tenants delete", "tenant", slug,
                       detail::audit_json(tenant), "", slug);
  return removal;
}

} // namespace vami
