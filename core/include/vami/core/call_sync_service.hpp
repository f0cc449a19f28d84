#pragma once

#include <string>

#include <vami/core/agent_providers.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// What `CallSyncService::sync` read and stored.
struct CallSyncReport {
  int telephony_calls = 0;      ///< Calls of pool numbers in the telephony provider's list.
  int conversations = 0;        ///< Conversations of the database's agents.
  int conversation_details = 0; ///< Conversations whose details were read (cost, summary).
  int created = 0;              ///< Calls the history did not have.
  int updated = 0;              ///< Calls that gained fields or a later status.
  int unchanged = 0;            ///< Calls the history already knew in full.
};

/// `vami calls sync`: fills the call history from the providers' lists, so that history exists
/// for native-mode numbers (whose calls never reach a router) and after a router outage.
/// Idempotent: every call goes through `StateStore::upsert_call`, and a conversation whose final
/// status and cost or summary are stored is not read again.
class CallSyncService {
public:
  /// `store`, `telephony` and `voice_agents` must outlive the service.
  CallSyncService(StateStore& store, TelephonyProvider& telephony, AgentProviders& voice_agents);

  /// Reads every call of the telephony account since `since` (UTC ISO 8601; empty: all) whose
  /// called or calling number is in the pool (in any status), then every conversation since
  /// then of each agent of the database that the provider knows, with the details of those not
  /// yet stored in full, and records them. A call is attributed to the tenant and agent its
  /// pool number is assigned to now (the router records the ones of the moment of the call); a
  /// conversation to its agent and the agent's tenant. Provider errors propagate (what was
  /// stored before stays stored: a rerun goes on from there).
  CallSyncReport sync(const std::string& since);

private:
  void count(CallSyncReport& report, CallUpsertResult result) const;

  StateStore& m_store;
  TelephonyProvider& m_telephony;
  AgentProviders& m_voice_agents;
};

} // namespace vami
