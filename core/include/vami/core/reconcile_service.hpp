#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/number.hpp>
#include <vami/core/pool_service.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>

namespace vami {

/// What reconcile found for one phone number, comparing the state database with the numbers the
/// telephony provider account owns (by E.164 and provider SID).
enum class FindingKind {
  in_sync,          ///< Owned, and the pool row agrees (status, SID, voice webhook).
  webhook_drift,    ///< Owned and in the pool, but the stored voice webhook differs.
  sid_drift,        ///< Owned and in the pool, but under another provider SID.
  orphan_tagged,    ///< Owned, not in the pool, tagged `vami:...`: vami bought it; adoptable.
  orphan_untagged,  ///< Owned, not in the pool, no vami tag: someone else's; never adopted.
  ghost,            ///< In the pool (not released, not transitional) but no longer owned.
  stale_purchasing, ///< A `purchasing` row: a purchase whose outcome was never recorded.
  stale_releasing,  ///< A `releasing` row: a release whose outcome was never recorded.
};
/// "in_sync", "webhook_drift", "sid_drift", "orphan_tagged", "orphan_untagged", "ghost",
/// "stale_purchasing", "stale_releasing": the words of the command's output.
[[nodiscard]] const char* to_string(FindingKind kind) noexcept;

/// Whether a finding still needs something done.
enum class Resolution {
  none_needed,  ///< In sync.
  would_repair, ///< Reported without `apply`; `apply` would repair it.
  repaired,     ///< Repaired in the state database by this run.
  unresolved,   ///< Left as it is: needs a person, or is in flight, or changed meanwhile.
};
/// "none_needed", "would_repair", "repaired", "unresolved".
[[nodiscard]] const char* to_string(Resolution resolution) noexcept;

/// One number's finding.
struct Finding {
  FindingKind kind = FindingKind::in_sync;
  std::string e164;
  std::string provider_sid; ///< The provider's SID when it owns the number, else the stored one.
  std::string detail;       ///< What differs, for a person.
  /// What was done ("adopted", "marked released", "completed purchase", "abandoned purchase",
  /// "completed release", "restored", "stored provider webhook", "stored provider sid"), what
  /// `apply` would do ("would adopt", ...), or why nothing is done ("left alone: ...").
  std::string action;
  Resolution resolution = Resolution::none_needed;
};

/// Whether reconcile only reports or also repairs the state database.
enum class ReconcileMode { report, apply };

/// The outcome of one reconcile run.
struct ReconcileReport {
  bool applied = false;
  std::string operation_id;          ///< The journaled `reconcile` operation; empty unless applied.
  std::vector<Finding> findings;     ///< Every number of either side, in E.164 order.
  std::map<FindingKind, int> counts; ///< Findings per kind; every kind present, zero included.
  bool interrupted = false;          ///< Stopped before every repair was tried.

  /// True when nothing is left to do: every finding is in sync or was repaired.
  [[nodiscard]] bool settled() const noexcept;
};

/// How long after its last change a transitional row whose operation is still `running` is
/// treated as in flight (its command may be waiting for the provider) and left alone. A single
/// provider request gives up after 60 s; ten minutes leaves room for retries and backoff.
inline constexpr std::chrono::seconds k_in_flight_grace{600};

/// `vami reconcile` for the telephony side (DESIGN.md section 3, rule 4): lists every number
/// the provider account owns, compares them with the pool, reports each difference and, in
/// `ReconcileMode::apply`, repairs what it safely can in the state database only. It never buys
/// or releases anything at the provider, so it is safe to run at any time and twice.
class ReconcileService {
public:
  /// `actor` is written into the journal and audit trail. `in_flight_grace`: see
  /// `k_in_flight_grace`.
  ReconcileService(TelephonyProvider& telephony, StateStore& store, std::string actor,
                   std::chrono::seconds in_flight_grace = k_in_flight_grace);

  /// Compares and, with `ReconcileMode::apply`, repairs:
  /// - orphan_tagged: adopted as an `available` row (country, locality and region from the
  ///   number, type local, the provider's monthly price when it can be read, the operation of
  ///   the tag `vami:<pool>:<op-id>` when the journal holds it);
  /// - ghost: marked `released` (an assigned ghost too: it rings nowhere);
  /// - stale_purchasing: purchase completed when the provider owns the number under a vami tag,
  ///   else abandoned; the buy operation's journal item is settled;
  /// - stale_releasing: release completed when the provider no longer owns it, else restored
  ///   to `available`; `uncertain` items of release operations are settled;
  /// - webhook_drift, sid_drift: the provider's voice webhook and SID are stored.
  /// orphan_untagged numbers are only reported, and transitional rows still in flight are left
  /// alone. Each repair is its own transaction, conditional on the row being as it was read,
  /// with an audit entry (command "reconcile"); a row changed meanwhile is left unresolved. An
  /// applied run is journaled as an operation of kind `reconcile`. Between repairs it stops
  /// once `stop_requested` returns true.
  /// @throws what `TelephonyProvider::list_owned` throws (before anything changes);
  ///         Error(storage) for database failures.
  ReconcileReport reconcile(ReconcileMode mode, const StopRequested& stop_requested = {});

private:
  struct Plan;
  Plan classify(const std::optional<PoolNumber>& row, const std::optional<OwnedNumber>& owned,
                const std::string& in_flight_after);
  bool in_flight(const PoolNumber& row, const std::string& in_flight_after);
  void repair(const Plan& plan, Finding& finding, const std::string& operation_id);
  std::optional<Money> price_of(const std::string& country, NumberType type);
  void settle_items(const std::string& e164, OperationKind kind, const std::string& operation_id,
                    ItemOutcome outcome, const std::string& message);
  void audit(const std::string& entity_id, const std::string& before, const std::string& after);

  TelephonyProvider& m_telephony;
  StateStore& m_store;
  std::string m_actor;
  std::chrono::seconds m_in_flight_grace;
  std::map<std::pair<std::string, NumberType>, std::optional<Money>> m_prices;
};

} // namespace vami
