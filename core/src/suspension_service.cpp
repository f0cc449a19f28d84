#include <set>
#include <string>
#include <utility>
#include <vector>

#include "audit_json.hpp"
#include "bulk_journal.hpp"
#include "lookups.hpp"
#include "routing_steps.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/clock.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/routing.hpp>
#include <vami/core/suspension_service.hpp>

namespace vami {

namespace {

std::string state_of(const PoolNumber& row) {
  return row.status == NumberStatus::assigned
             ? "assigned to agent \"" + row.agent_slug + "\" (tenant " + row.tenant_slug + ")"
             : std::string(to_string(row.status));
}

} // namespace

void validate_suspension_message(const std::string& message) {
  if (!is_valid_utf8(message)) {
    throw Error(ErrorKind::invalid_input, "--message is not valid UTF-8");
  }
  std::size_t characters = 0;
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      throw Error(ErrorKind::invalid_input, "--message holds a control character",
                  "give one line of plain text");
    }
    if ((byte & 0xC0) != 0x80) {
      ++characters;
    }
  }
  if (characters > k_max_suspension_message) {
    throw Error(ErrorKind::invalid_input,
                "--message has " + std::to_string(characters) + " characters; at most " +
                    std::to_string(k_max_suspension_message) + " are spoken",
                "shorten it: callers hear it before the call is hung up");
  }
}

SuspensionService::SuspensionService(TelephonyProvider& telephony, AgentProviders& agents,
                                     StateStore& store, std::string actor)
    : m_telephony(telephony), m_agents(agents), m_store(store), m_actor(std::move(actor)) {}

PoolNumber SuspensionService::suspend(const std::string& number, const std::string& message) {
  validate_suspension_message(message);
  return suspend_one(to_e164(number), message);
}

PoolNumber SuspensionService::resume(const std::string& number) {
  return resume_one(to_e164(number), Rerun::no);
}

PoolNumber SuspensionService::suspend_one(const std::string& e164, const std::string& message) {
  const PoolNumber before = detail::pool_row(m_store, e164);
  if (const std::string workspace = workspace_of(before, m_telephony.name()); !workspace.empty()) {
    // Suspending points the voice URL at an out-of-service answer: a workspace's number has no
    // voice URL vami can set, and the workspace has no such answer.
    throw Error(ErrorKind::invalid_input,
                "cannot suspend " + e164 + ", a number of the " + workspace +
                    " workspace: vami has no out-of-service answer to route it to there",
                before.status == NumberStatus::assigned
                    ? "unassign it ('vami numbers unassign " + e164 +
                          "') so that no agent answers it"
                    : std::string("it is available: no agent answers it"));
  }
  if (before.status == NumberStatus::suspended) {
    const Suspension& held = *before.suspension;
    if (held.message != message) {
      throw Error(ErrorKind::conflict, e164 + " is already suspended with another message",
                  "resume it with 'vami numbers resume " + e164 + "', then suspend it again");
    }
    // Suspended in the database: a suspend that died before the providers heard of it is
    // finished here (each step is safe to repeat).
    m_store.begin_routing_change(e164);
    RoutingHold held_routing(m_store, e164);
    PoolNumber row = before;
    answer_out_of_service(row);
    unassign_import(row);
    return row;
  }
  if (before.status != NumberStatus::available && before.status != NumberStatus::assigned) {
    throw Error(ErrorKind::conflict,
                e164 + " cannot be suspended while it is " + to_string(before.status),
                "run 'vami reconcile' if the operation that was changing it died");
  }
  Suspension suspension;
  suspension.previous_status = before.status;
  suspension.agent_slug = before.agent_slug;
  suspension.previous_webhook = before.webhook;
  suspension.message = message;
  // The database first: from here on, whatever happens, the number is meant to be out of
  // service, and a rerun or reconcile makes the providers follow.
  PoolNumber row = m_store.suspend_number(e164, suspension);
  RoutingHold held_routing(m_store, e164);
  try {
    answer_out_of_service(row);
  } catch (const Error&) {
    // Nothing changed at the providers: the number keeps its routing, and so does its row.
    detail::roll_back(e164, [&] { m_store.resume_number(e164); });
  }
  unassign_import(row);
  audit("numbers suspend", before, row);
  return row;
}

void SuspensionService::answer_out_of_service(PoolNumber& row) {
  VoiceWebhook webhook = m_telephony.out_of_service_webhook(row.suspension->message);
  webhook.status_callback = row.webhook.status_callback; // not the routing: left as it is
  OwnedNumber owned = m_telephony.set_voice_webhook(row.provider_sid, webhook);
  m_store.update_webhook(row.e164, owned.webhook);
  row.webhook = owned.webhook;
  if (!owned.sip_trunk_id.empty()) {
    // On a SIP trunk the voice webhook is not used: off it, the out-of-service answer is.
    m_telephony.remove_from_sip_trunk(owned.provider_sid, owned.sip_trunk_id);
  }
}

void SuspensionService::unassign_import(PoolNumber& row) {
  // The voice-agent provider could still answer the number (and set its voice URL back on a
  // later change): its import loses the agent too.
  const std::string agent_slug = row.suspension ? row.suspension->agent_slug : row.agent_slug;
  VoiceAgentProvider& provider = importer(agent_slug);
  if (provider.capabilities().native_numbers_need_sip_trunk) {
    // Found by its number (the row keeps no id of such an import).
    for (const ImportedNumber& imported : provider.list_imported_numbers()) {
      if (imported.e164 == row.e164 && !imported.agent_id.empty()) {
        provider.set_number_agent(imported.phone_number_id, "");
      }
    }
    return;
  }
  if (row.agent_phone_number_id.empty()) {
    return;
  }
  try {
    provider.set_number_agent(row.agent_phone_number_id, "");
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::not_found) {
      m_store.set_agent_phone_number_id(row.e164, ""); // gone: nothing answers through it
      row.agent_phone_number_id.clear();
      return;
    }
    if (error.kind() == ErrorKind::auth) {
      throw;
    }
    throw Error(ErrorKind::uncertain,
                row.e164 +
                    " no longer rings its agent (its voice webhook answers that it is "
                    "suspended), but the voice-agent provider may still assign its import " +
                    row.agent_phone_number_id + ": " + error.what(),
                "run the same command again, or 'vami reconcile --apply'");
  }
}

PoolNumber SuspensionService::resume_one(const std::string& e164, Rerun rerun) {
  const PoolNumber before = detail::pool_row(m_store, e164);
  if (rerun == Rerun::yes &&
      (before.status == NumberStatus::available || before.status == NumberStatus::assigned)) {
    return before; // resumed by the interrupted run: its row changed after the providers did
  }
  if (before.status != NumberStatus::suspended || !before.suspension) {
    throw Error(ErrorKind::conflict, e164 + " is not suspended (it is " + state_of(before) + ")",
                "see 'vami route " + e164 + "'");
  }
  const Suspension& suspension = *before.suspension;
  std::string provider_agent_id;
  if (suspension.previous_status == NumberStatus::assigned) {
    provider_agent_id =
        detail::require_active_agent(m_store, suspension.agent_slug).provider_agent_id;
  }
  VoiceAgentProvider& provider = importer(suspension.agent_slug);
  // The providers first, the row last: until the row says otherwise the number is suspended,
  // so a failure or a crash here leaves it out of service, and running resume again finishes.
  m_store.begin_routing_change(e164);
  RoutingHold held_routing(m_store, e164);
  PoolNumber row = before;
  const bool native = suspension.previous_status == NumberStatus::assigned &&
                      before.routing_mode.value_or(RoutingMode::native) == RoutingMode::native;
  if (native && provider.capabilities().native_numbers_need_sip_trunk) {
    // Back onto the SIP trunk, imported and assigned, as assign routes it.
    PoolNumber as_assigned = before;
    as_assigned.status = NumberStatus::assigned;
    as_assigned.agent_slug = suspension.agent_slug;
    enact_routing(m_telephony, provider, m_store,
                  desired_routing(as_assigned, m_store.find_agent(suspension.agent_slug), ""), row);
  } else if (native) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (row.agent_phone_number_id.empty()) {
        row.agent_phone_number_id = import(provider, e164);
        m_store.set_agent_phone_number_id(e164, row.agent_phone_number_id);
      }
      try {
        provider.set_number_agent(row.agent_phone_number_id, provider_agent_id);
        break;
      } catch (const Error& error) {
        // The import was removed outside vami: import the number again, once.
        if (error.kind() != ErrorKind::not_found || attempt > 0) {
          throw;
        }
        m_store.set_agent_phone_number_id(e164, "");
        row.agent_phone_number_id.clear();
      }
    }
  }
  OwnedNumber owned = m_telephony.set_voice_webhook(row.provider_sid, suspension.previous_webhook);
  m_store.update_webhook(e164, owned.webhook);
  row = m_store.resume_number(e164);
  audit("numbers resume", before, row);
  return row;
}

VoiceAgentProvider& SuspensionService::importer(const std::string& agent_slug) {
  return m_agents.of(agent_slug.empty() ? std::nullopt : m_store.find_agent(agent_slug));
}

std::string SuspensionService::import(VoiceAgentProvider& provider, const std::string& e164) {
  try {
    return provider.import_number(e164, "vami pool " + e164).phone_number_id;
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::rate_limited) {
      throw;
    }
    // Imported already (an earlier attempt whose answer was lost, or by hand): reuse it.
    for (const ImportedNumber& imported : provider.list_imported_numbers()) {
      if (imported.e164 == e164) {
        return imported.phone_number_id;
      }
    }
    throw;
  }
}

BulkReport SuspensionService::suspend_many(const std::vector<std::string>& numbers,
                                           const std::string& message, int concurrency,
                                           const StopRequested& stop_requested,
                                           const ItemObserver& observer) {
  validate_suspension_message(message);
  return run(OperationKind::suspend, detail::distinct_numbers(numbers), message, "", concurrency,
             stop_requested, observer);
}

BulkReport SuspensionService::resume_many(const std::vector<std::string>& numbers, int concurrency,
                                          const StopRequested& stop_requested,
                                          const ItemObserver& observer) {
  return run(OperationKind::resume, detail::distinct_numbers(numbers), "", "", concurrency,
             stop_requested, observer);
}

BulkReport SuspensionService::suspend_tenant(const std::string& tenant, const std::string& message,
                                             int concurrency, const StopRequested& stop_requested,
                                             const ItemObserver& observer) {
  validate_suspension_message(message);
  validate_concurrency(concurrency);
  (void)detail::require_tenant(m_store, tenant);
  NumberFilter filter;
  filter.tenant_slug = tenant;
  std::vector<std::string> numbers;
  for (const PoolNumber& number : m_store.list_numbers(filter)) {
    // Those suspended already are included, so that a rerun finishes an interrupted one.
    if (number.status == NumberStatus::assigned || number.status == NumberStatus::suspended) {
      numbers.push_back(number.e164);
    }
  }
  if (numbers.empty()) {
    return {};
  }
  return run(OperationKind::suspend, numbers, message, tenant, concurrency, stop_requested,
             observer);
}

BulkReport SuspensionService::resume_tenant(const std::string& tenant, int concurrency,
                                            const StopRequested& stop_requested,
                                            const ItemObserver& observer) {
  validate_concurrency(concurrency);
  (void)detail::require_tenant(m_store, tenant);
  NumberFilter filter;
  filter.tenant_slug = tenant;
  filter.status = NumberStatus::suspended;
  std::vector<std::string> numbers;
  for (const PoolNumber& number : m_store.list_numbers(filter)) {
    numbers.push_back(number.e164);
  }
  if (numbers.empty()) {
    return {};
  }
  return run(OperationKind::resume, numbers, "", tenant, concurrency, stop_requested, observer);
}

BulkReport SuspensionService::run(OperationKind kind, const std::vector<std::string>& numbers,
                                  const std::string& message, const std::string& tenant,
                                  int concurrency, const StopRequested& stop_requested,
                                  const ItemObserver& observer) {
  validate_concurrency(concurrency);
  Operation operation;
  operation.id = new_operation_id();
  operation.kind = kind;
  operation.requested_count = static_cast<int>(numbers.size());
  operation.actor = m_actor;
  nlohmann::ordered_json parameters{{"numbers", numbers}};
  if (kind == OperationKind::suspend) {
    parameters["message"] = message;
  }
  if (!tenant.empty()) {
    parameters["tenant"] = tenant;
  }
  operation.parameters = parameters.dump();
  m_store.create_operation(operation);
  return execute(operation.id, kind, numbers, message, concurrency, stop_requested, observer, 0,
                 Rerun::no);
}

BulkReport SuspensionService::execute(const std::string& operation_id, OperationKind kind,
                                      const std::vector<std::string>& numbers,
                                      const std::string& message, int concurrency,
                                      const StopRequested& stop_requested,
                                      const ItemObserver& observer, int done_before, Rerun rerun) {
  BulkReport report;
  report.operation_id = operation_id;
  report.requested = static_cast<int>(numbers.size());
  detail::run_journaled(
      m_store, report, numbers, concurrency,
      [&](std::size_t position) {
        const std::string& e164 = numbers[position];
        return detail::bulk_item(e164, [&] {
          return kind == OperationKind::suspend ? suspend_one(e164, message)
                                                : resume_one(e164, rerun);
        });
      },
      stop_requested, observer, done_before);
  return report;
}

ResumePlan SuspensionService::plan_resume(const std::string& operation_id,
                                          const ResumeOptions& options) {
  validate_concurrency(options.concurrency);
  ResumePlan plan;
  plan.operation = detail::resumable_operation(m_store, operation_id);
  plan.concurrency = options.concurrency;
  if (plan.operation.kind != OperationKind::suspend &&
      plan.operation.kind != OperationKind::resume) {
    throw Error(ErrorKind::invalid_input,
                "operation " + operation_id + " is a " + to_string(plan.operation.kind) +
                    ", not a suspend or a resume",
                "see it with 'vami operations show " + operation_id + "'");
  }
  detail::plan_remaining_numbers(m_store, plan);
  return plan;
}

BulkReport SuspensionService::resume_operation(const ResumePlan& plan,
                                               const StopRequested& stop_requested,
                                               const ItemObserver& observer) {
  const Operation& operation = plan.operation;
  if (operation.kind != OperationKind::suspend && operation.kind != OperationKind::resume) {
    throw Error(ErrorKind::invalid_input, "operation " + operation.id + " is a " +
                                              to_string(operation.kind) +
                                              ", not a suspend or a resume");
  }
  validate_concurrency(plan.concurrency);
  if (std::optional<BulkReport> nothing_left = detail::claim_for_resume(m_store, plan)) {
    return *nothing_left;
  }
  std::string message;
  if (operation.kind == OperationKind::suspend) {
    nlohmann::json parameters = nlohmann::json::parse(operation.parameters, nullptr, false);
    auto stored = parameters.is_object() ? parameters.find("message") : parameters.end();
    if (!parameters.is_object() || stored == parameters.end() || !stored->is_string()) {
      throw Error(ErrorKind::invalid_input,
                  "the journal's request of operation " + operation.id + " cannot be read",
                  "run the command again instead of resuming it");
    }
    message = stored->get<std::string>();
  }
  m_store.finish_operation(operation.id, OperationStatus::running);
  return execute(operation.id, operation.kind, plan.numbers, message, plan.concurrency,
                 stop_requested, observer, plan.done_before, Rerun::yes);
}

void SuspensionService::audit(const std::string& command, const PoolNumber& before,
                              const PoolNumber& after) {
  const std::string& tenant = after.tenant_slug.empty() ? before.tenant_slug : after.tenant_slug;
  detail::append_audit(m_store, m_actor, command, "number", after.e164, detail::audit_json(before),
                       detail::audit_json(after), tenant);
}

} // namespace vami
