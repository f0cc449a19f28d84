#include <array>
#include <string>
#include <utility>

#include "lookups.hpp"

#include <vami/core/error.hpp>
#include <vami/core/number_provisioning.hpp>

namespace vami {

namespace {

// The one country whose area codes a pick names (as `AssignmentService::assign_pick` checks).
constexpr const char* k_pick_country = "US";

ErrorKind kind_named(const std::string& name) {
  constexpr std::array<ErrorKind, 10> k_kinds = {
      ErrorKind::invalid_input, ErrorKind::not_found,   ErrorKind::conflict, ErrorKind::auth,
      ErrorKind::rate_limited,  ErrorKind::unavailable, ErrorKind::provider, ErrorKind::storage,
      ErrorKind::uncertain,     ErrorKind::interrupted};
  for (ErrorKind kind : k_kinds) {
    if (name == to_string(kind)) {
      return kind;
    }
  }
  return ErrorKind::provider;
}

// The last attempt of a one-number bulk report: the number bought, or why not.
const ItemResult* last_attempt(const BulkReport& report) {
  return report.items.empty() ? nullptr : &report.items.back();
}

} // namespace

NumberProvisioning::NumberProvisioning(TelephonyProvider& telephony, AgentProviders& agents,
                                       StateStore& store, std::string actor, std::string router_url)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)),
      m_router_url(std::move(router_url)) {}

std::optional<ProvisionPlan> NumberProvisioning::plan(const PickFilter& pick,
                                                      const BuyIfNeeded& options) {
  NumberFilter filter;
  filter.status = NumberStatus::available;
  filter.area_code = pick.area_code;
  filter.locality = pick.locality;
  filter.provider = m_telephony.name(); // a pick takes a telephony number (`assign_pick`)
  if (!pick.area_code.empty()) {
    validate_area_code(k_pick_country, pick.area_code);
  }
  if (!m_store.list_numbers(filter).empty()) {
    return std::nullopt;
  }
  ProvisionPlan plan;
  BuyRequest& request = plan.request;
  request.count = 1;
  request.search.country = k_pick_country;
  request.search.type = NumberType::local;
  request.search.locality = pick.locality;
  request.max_monthly_price_micros = options.max_monthly_price_micros;
  request.pool = options.pool;
  if (!pick.area_code.empty()) {
    // The area code asked for, then the nearby ones: the same city's, then the state's.
    request.area_codes.push_back(pick.area_code);
    for (std::string& sibling : sibling_area_codes(k_pick_country, pick.area_code)) {
      request.area_codes.push_back(std::move(sibling));
    }
  }
  request.journal_parameters = buy_parameters(request);
  PoolService pool(m_telephony, m_store, m_actor);
  plan.purchase = pool.plan_purchase(request);
  return plan;
}

ProvisionedNumber NumberProvisioning::buy(const ProvisionPlan& plan) {
  PoolService pool(m_telephony, m_store, m_actor);
  BulkReport report = pool.buy(plan.request, plan.purchase, {}, {});
  const ItemResult* item = last_attempt(report);
  if (item != nullptr && item->status == ItemStatus::succeeded && item->number) {
    ProvisionedNumber bought;
    bought.number = *item->number;
    bought.bought = true;
    bought.operation_id = report.operation_id;
    return bought;
  }
  if (item == nullptr) {
    throw Error(ErrorKind::provider, "no number was bought (operation " + report.operation_id + ")",
                "see 'vami operations show " + report.operation_id + "'");
  }
  if (item->status == ItemStatus::uncertain) {
    throw Error(ErrorKind::uncertain,
                "buying " + item->e164 + " (operation " + report.operation_id +
                    ") may have happened: " + item->message,
                "run 'vami reconcile', then try again");
  }
  throw Error(kind_named(item->error_kind),
              "buying " + item->e164 + " failed (operation " + report.operation_id +
                  "): " + item->message,
              "try again, or buy a number with 'vami numbers buy --count 1'");
}

void NumberProvisioning::release(const std::string& e164) {
  const std::string hint = "release it with 'vami numbers release " + e164 +
                           " --yes', or run 'vami reconcile' first if it is still in flight";
  try {
    PoolService pool(m_telephony, m_store, m_actor);
    BulkReport report = pool.release(pool.plan_release({e164}), {}, {});
    const ItemResult* item = last_attempt(report);
    if (item != nullptr && item->status == ItemStatus::succeeded) {
      return;
    }
    throw Error(ErrorKind::uncertain,
                "the number bought for it, " + e164 + ", was not released: " +
                    (item != nullptr ? item->message : std::string("no release was started")),
                hint);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::uncertain) {
      throw;
    }
    throw Error(ErrorKind::uncertain,
                "the number bought for it, " + e164 + ", was not released: " + error.what(), hint);
  }
}

ProvisionedNumber NumberProvisioning::assign_pick(const PickFilter& pick, const std::string& agent,
                                                  RoutingMode mode, const BuyIfNeeded& options) {
  AssignmentService assignments(m_telephony, m_agents, m_store, m_actor, m_router_url);
  // What the assignment would refuse is refused before anything is bought.
  detail::require_webhook_router(mode, m_router_url);
  const Agent target = detail::require_active_agent(m_store, agent);
  std::optional<ProvisionPlan> plan = this->plan(pick, options);
  if (!plan) {
    ProvisionedNumber picked;
    picked.number = assignments.assign_pick(pick, target.slug, mode);
    return picked;
  }
  ProvisionedNumber bought = buy(*plan);
  try {
    bought.number = assignments.assign(bought.number.e164, target.slug, mode).number;
  } catch (const Error& error) {
    try {
      release(bought.number.e164);
    } catch (const Error& undo_error) {
      throw Error(ErrorKind::uncertain,
                  "assigning " + bought.number.e164 + " to agent \"" + target.slug + "\" failed (" +
                      error.what() + ") and " + undo_error.what(),
                  undo_error.hint());
    }
    throw;
  }
  return bought;
}

} // namespace vami
