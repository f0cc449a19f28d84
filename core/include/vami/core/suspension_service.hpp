#pragma once

#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/bulk_runner.hpp>
#include <vami/core/number.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// Takes pool numbers out of service and puts them back (`numbers suspend|resume`,
/// `tenants suspend|resume`): a tenant who stops paying keeps the numbers while calls stop.
///
/// Suspending records the number's routing in the state database first (status, agent, routing
/// mode, import, voice webhook; one transaction, conditional on the row as read), then points
/// the voice webhook at the telephony provider's own out-of-service answer
/// (`TelephonyProvider::out_of_service_webhook`: the message, or a rejection) and, for a
/// natively routed number, unassigns the agent from the voice-agent provider's import, so that
/// no agent answers and nothing of the platform is called. Resuming restores at the providers
/// exactly the recorded routing (agent on the import, then the voice webhook), and only then
/// the row, so that a failure or a crash at any point leaves the number suspended (no call
/// reaches an agent) and the same command run again finishes it.
///
/// Errors: `Error(invalid_input)` for a malformed number or message, `Error(not_found)` for a
/// number the pool does not hold or an unknown tenant, `Error(conflict)` for a number in another
/// status (naming it) or whose agent is no longer active, provider errors as the provider
/// interfaces document; `Error(uncertain)` when the voice webhook changed but the voice-agent
/// provider could not be told (run reconcile).
class SuspensionService {
public:
  SuspensionService(TelephonyProvider& telephony, AgentProviders& agents, StateStore& store,
                    std::string actor);

  /// Suspends an `available` or `assigned` number; `message` is what callers hear before the
  /// call is hung up (empty: calls are rejected). A number suspended already with the same
  /// message has its out-of-service routing applied again (finishing an interrupted suspend).
  /// @throws Error(conflict) for a number suspended with another message, or in a transitional
  ///         status.
  PoolNumber suspend(const std::string& number, const std::string& message);
  /// Resumes a suspended number: back to `available` or to its agent, with the routing it had.
  /// @throws Error(conflict) when it is not suspended or its agent is being deleted.
  PoolNumber resume(const std::string& number);

  /// Suspends many numbers, `concurrency` at a time, as one journaled operation of kind
  /// `suspend` (parameters: `numbers`, `message`, and `tenant` when given); per number as
  /// `suspend`, carrying on past failures; stops starting numbers once `stop_requested`.
  /// @throws Error(invalid_input) for no number, a malformed one, a bad message or concurrency;
  ///         Error(auth) when a provider rejects the credentials (nothing more is started).
  BulkReport suspend_many(const std::vector<std::string>& numbers, const std::string& message,
                          int concurrency, const StopRequested& stop_requested,
                          const ItemObserver& observer);
  /// Resumes many numbers as one journaled operation of kind `resume` (parameters: `numbers`,
  /// and `tenant` when given); otherwise as `suspend_many`.
  BulkReport resume_many(const std::vector<std::string>& numbers, int concurrency,
                         const StopRequested& stop_requested, const ItemObserver& observer);

  /// Suspends every assigned number of a tenant (and applies again the routing of those
  /// suspended already with the same message), as `suspend_many`; a tenant without such numbers
  /// gives an empty report and journals nothing.
  /// @throws Error(not_found) for an unknown tenant; as `suspend_many`.
  BulkReport suspend_tenant(const std::string& tenant, const std::string& message, int concurrency,
                            const StopRequested& stop_requested, const ItemObserver& observer);
  /// Resumes every suspended number of a tenant, as `resume_many`; a tenant without suspended
  /// numbers gives an empty report and journals nothing.
  /// @throws Error(not_found) for an unknown tenant; as `resume_many`.
  BulkReport resume_tenant(const std::string& tenant, int concurrency,
                           const StopRequested& stop_requested, const ItemObserver& observer);

  /// Finds what is left of a journaled `suspend` or `resume`: the numbers of its request
  /// without a succeeded item (no provider call; nothing changes).
  /// @throws Error(not_found) for an id the journal does not hold; Error(invalid_input) for
  ///         another kind, unreadable parameters or a bad concurrency; Error(conflict) while the
  ///         process that runs it still runs.
  ResumePlan plan_resume(const std::string& operation_id, const ResumeOptions& options = {});
  /// Runs what `plan` left into the same operation and finishes it (`completed` when nothing
  /// was left). A number a `resume` already put back (its row is no longer suspended: the
  /// providers were told first) counts as done.
  /// @throws Error(invalid_input) for a plan of another kind; as `suspend_many`.
  BulkReport resume_operation(const ResumePlan& plan, const StopRequested& stop_requested,
                              const ItemObserver& observer);

private:
  /// Whether a bulk item may find its number done by an earlier, interrupted run.
  enum class Rerun { no, yes };
  PoolNumber suspend_one(const std::string& e164, const std::string& message);
  PoolNumber resume_one(const std::string& e164, Rerun rerun);
  void answer_out_of_service(PoolNumber& row);
  void unassign_import(PoolNumber& row);
  BulkReport run(OperationKind kind, const std::vector<std::string>& numbers,
                 const std::string& message, const std::string& tenant, int concurrency,
                 const StopRequested& stop_requested, const ItemObserver& observer);
  BulkReport execute(const std::string& operation_id, OperationKind kind,
                     const std::vector<std::string>& numbers, const std::string& message,
                     int concurrency, const StopRequested& stop_requested,
                     const ItemObserver& observer, int done_before, Rerun rerun);
  std::string import(VoiceAgentProvider& provider, const std::string& e164);
  // The provider that holds the import of a number of `agent_slug` (empty: of no agent): the
  // agent's, else the default provider.
  VoiceAgentProvider& importer(const std::string& agent_slug);
  void audit(const std::string& command, const PoolNumber& before, const PoolNumber& after);

  TelephonyProvider& m_telephony;
  AgentProviders& m_agents;
  StateStore& m_store;
  std::string m_actor;
};

/// Checks a suspension message: at most `k_max_suspension_message` characters of printable
/// text (no control characters).
/// @throws Error(invalid_input) saying what is wrong.
void validate_suspension_message(const std::string& message);

} // namespace vami
