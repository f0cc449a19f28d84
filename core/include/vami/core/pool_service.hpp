#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>
#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/telephony_provider.hpp>

namespace vami {

/// The most numbers one `numbers buy` may buy.
inline constexpr int k_max_purchase_count = 1000;

/// A bulk purchase: `count` numbers matching `search`, tried area code by area code.
struct BuyRequest {
  int count = 0;
  NumberSearch search;                 ///< `search.area_code` is ignored; see `area_codes`.
  std::vector<std::string> area_codes; ///< Tried in order; empty means anywhere in the country.
  std::optional<std::int64_t> max_monthly_price_micros; ///< Refuse numbers that cost more.
  std::string pool = "default";                         ///< Pool name, part of the provider tag.
  /// The request as JSON text, kept in the journal; empty or "{}": `buy_parameters(*this)`.
  std::string journal_parameters = "{}";
  int concurrency = k_default_concurrency; ///< Purchases in flight at once, 1..k_max_concurrency.
};

/// The numbers one search found, and what one costs a month.
struct SearchResult {
  std::vector<AvailableNumber> numbers;
  std::optional<Money> monthly_price; ///< Empty when the price list could not be read.
};

/// What `plan_purchase` found: the numbers it would buy and what they cost.
struct PurchasePlan {
  std::vector<AvailableNumber> numbers; ///< Exactly `count` candidates, in purchase order.
  std::vector<AvailableNumber> spares;  ///< More candidates, used when one is taken meanwhile.
  std::optional<Money> monthly_price;   ///< Per number; empty when the provider publishes none.
  int searches = 0;                     ///< Provider searches it took.
};

/// How to run a release.
struct ReleaseOptions {
  int concurrency = k_default_concurrency; ///< Releases in flight at once, 1..k_max_concurrency.
};

/// The outcome of one number of a bulk command.
enum class ItemStatus {
  succeeded, ///< Done.
  failed,    ///< Not done; nothing changed for this number.
  uncertain, ///< The provider may have acted; the row stays transitional until reconciled.
  skipped,   ///< Not attempted (interrupted, or replaced by a spare).
};
/// "succeeded", "failed", "uncertain", "skipped".
[[nodiscard]] const char* to_string(ItemStatus status) noexcept;

/// One item of a bulk command's report (one attempt at one number).
struct ItemResult {
  std::string e164;
  ItemStatus status = ItemStatus::succeeded;
  std::optional<PoolNumber> number; ///< The pool row afterwards, when there is one.
  std::string error_kind;           ///< `to_string(ErrorKind)` when not succeeded.
  std::string error_code;           ///< Provider error code, when the provider refused.
  std::string message;              ///< Why, for a person.
};

/// The report of a bulk command.
struct BulkReport {
  std::string operation_id;
  /// In input order, whatever order the items settled in; a number replaced by a spare is
  /// followed by its replacement's item.
  std::vector<ItemResult> items;
  int requested = 0;
  int succeeded = 0;
  int failed = 0;
  int uncertain = 0;
  bool interrupted = false;
  /// Set when the state database failed while the operation was under way, after a provider
  /// may have acted (a full disk, a read-only or damaged file): Error(uncertain) naming the
  /// cause, the operation left resumable. The command ends with it once the report is written.
  std::optional<Error> state_failure;
};

/// Told about each item as soon as it is settled (for progress and streaming output): one call
/// at a time, from whichever worker thread settled it; `settled` counts the items succeeded,
/// failed or uncertain so far.
using ItemObserver = std::function<void(const ItemResult& item, int settled, int total)>;

/// Whether a release plan may include numbers assigned to agents.
enum class AssignedNumbers { refused, allowed };

/// What releasing some numbers would do, checked before anything changes.
struct ReleasePlan {
  std::vector<PoolNumber> numbers;
  std::optional<Money> monthly_saving; ///< Sum of the known monthly prices (one currency).
};

/// How to resume a journaled bulk operation (`vami operations resume`).
struct ResumeOptions {
  int concurrency = k_default_concurrency; ///< Items in flight at once, 1..k_max_concurrency.
};

/// What is left of a journaled bulk operation, found by a `plan_resume` once every item whose
/// outcome was unknown has been settled by looking at the provider.
struct ResumePlan {
  Operation operation; ///< As the journal held it before resuming.
  int done_before = 0; ///< Items done already: numbers bought, released, assigned, unassigned.
  int settled = 0;     ///< Items whose outcome was unknown, settled by this plan.
  int concurrency = k_default_concurrency;
  BuyRequest buy;        ///< buy: the journaled request, `count` the numbers left to buy.
  PurchasePlan purchase; ///< buy: the numbers to buy (empty when none is left).
  std::vector<std::string> numbers; ///< release, assign, unassign: the numbers still to do.

  /// Items left to do; 0 when the operation has nothing left.
  [[nodiscard]] int remaining() const noexcept {
    return operation.kind == OperationKind::buy ? buy.count : static_cast<int>(numbers.size());
  }
};

/// Which journaled operations `list_journal` returns; empty fields match every operation.
struct OperationFilter {
  int limit = 20; ///< The newest `limit` matching operations; 0 for all.
  std::optional<OperationKind> kind;
  std::optional<OperationStatus> status;
};

/// A journaled operation with its items counted by outcome.
struct OperationSummary {
  Operation operation;
  int succeeded = 0;
  int failed = 0; ///< Items not done, replaced numbers of a purchase included.
  int uncertain = 0;
  int pending = 0;
};

/// A journaled operation with every item and its outcome.
struct OperationDetail {
  OperationSummary summary;
  std::vector<OperationItem> items; ///< In the order first recorded.
  /// release, assign, unassign: numbers of the request that have no item (never started).
  std::vector<std::string> not_started;
};

/// The number-pool use cases: search the provider's inventory, buy in bulk, list, show,
/// release, and set voice webhooks. It keeps rule 3 of the design notes: an intent row is
/// committed before every purchase request, purchases name one exact number and carry a tag,
/// and an ambiguous failure is resolved by looking the number up before anything else.
/// Bulk purchases and releases run on `run_bulk` worker threads, so the provider and the store
/// must be safe to call from several threads at once (as their interfaces require). Retries and
/// rate limiting belong to the provider given (wrap it in a `ResilientTelephonyProvider`).
class PoolService {
public:
  /// `actor` is written into the journal and audit trail (a user name, never a secret).
  PoolService(TelephonyProvider& telephony, StateStore& store, std::string actor);

  /// The voice-agent providers whose workspaces hold pool numbers (`PoolNumber::provider` other
  /// than the telephony provider's, Synthflow): `release` gives such a number back to its
  /// workspace (`VoiceAgentProvider::release_workspace_number`). Without them, releasing one
  /// fails (nothing changes). `agents` must outlive this service.
  void set_workspaces(AgentProviders& agents) { m_workspaces = &agents; }

  /// One search of the provider's inventory, with the monthly price of such numbers (a price
  /// list the provider cannot serve right now leaves the price empty rather than failing).
  /// @throws Error(invalid_input) for an unknown country, an area code not in service, or a
  ///         limit outside 1..30; provider errors as `TelephonyProvider` documents.
  SearchResult search(const NumberSearch& search);

  /// Finds `count` numbers for sale (and a few spares) without buying anything, searching area
  /// code by area code and, when one search is not enough, partitioning the inventory by the
  /// last two digits (`Contains` "00$" ... "99$"). Numbers already in the pool are skipped.
  /// @throws Error(invalid_input) for a count outside 1..k_max_purchase_count, a concurrency
  ///         outside 1..k_max_concurrency or bad search fields; Error(conflict) when fewer than
  ///         `count` are for sale (naming how many and suggesting other area codes of the same
  ///         region) or they cost more than the maximum; Error(interrupted) when
  ///         `stop_requested` answers true between searches (nothing is bought by planning).
  PurchasePlan plan_purchase(const BuyRequest& request, const StopRequested& stop_requested = {});

  /// Buys the plan's numbers, `request.concurrency` at a time, journaled as one operation: for
  /// each number its intent row is committed, then the purchase is sent, then the result is
  /// committed. A number taken meanwhile (Twilio 21422) is replaced by a spare (each spare goes
  /// to one worker only; when they run out, the inventory is searched again). Carries on past
  /// failures; once `stop_requested` (called one at a time) returns true, starts no purchase,
  /// replacements included, and lets the ones in flight finish.
  /// @throws Error(invalid_input) for a concurrency outside 1..k_max_concurrency (before
  ///         anything is journaled); Error(auth) when the provider rejects the credentials
  ///         (nothing more is started; the purchases in flight finish and are recorded).
  BulkReport buy(const BuyRequest& request, const PurchasePlan& plan,
                 const StopRequested& stop_requested, const ItemObserver& observer);

  /// Checks that every number can be released (owned, not in flight, and not assigned unless
  /// `assigned` is `AssignedNumbers::allowed`: the caller unassigns them before releasing).
  /// @throws Error(invalid_input | not_found | conflict) naming the first number that cannot.
  ReleasePlan plan_release(const std::vector<std::string>& numbers,
                           AssignedNumbers assigned = AssignedNumbers::refused);

  /// Releases the planned numbers at the provider, `options.concurrency` at a time, journaled
  /// as one operation. A number a voice-agent provider's workspace holds is released there
  /// (`set_workspaces`), never at the telephony provider. Carries on past failures; stops starting
  /// releases once `stop_requested` (called one at a time) returns true.
  /// @throws Error(invalid_input) for a concurrency outside 1..k_max_concurrency (before
  ///         anything is journaled); Error(auth) as `buy`.
  BulkReport release(const ReleasePlan& plan, const StopRequested& stop_requested,
                     const ItemObserver& observer, const ReleaseOptions& options = {});

  /// Finds what is left of a journaled `buy` or `release` so that `resume` can finish it.
  /// Items whose outcome was unknown (`uncertain` or `pending` items, and `purchasing` /
  /// `releasing` rows of the operation left by a process that died) are settled first by
  /// looking each number up at the provider, as reconcile does (a workspace's number in its
  /// workspace, `set_workspaces`, never at the telephony provider): a number the provider owns
  /// under the operation's tag is recorded as bought (put in the pool if reconcile has not),
  /// one it does not own is not; a release is completed or put back. Those settlements are
  /// committed here. A buy's numbers bought so far are its succeeded items and the pool rows
  /// carrying its id; the rest, up to the original count, is planned as `plan_purchase` does
  /// with the journaled request. A release's remaining numbers are those without a succeeded
  /// item (a number released meanwhile counts as done). Nothing is bought or released here.
  /// @throws Error(not_found) for an id the journal does not hold; Error(invalid_input) for
  ///         another kind of operation, a journaled request vami cannot read, or a concurrency
  ///         outside 1..k_max_concurrency; Error(unavailable) when a look-up fails (nothing is
  ///         bought while an outcome is unknown); what `plan_purchase` throws.
  ResumePlan plan_resume(const std::string& operation_id, const ResumeOptions& options = {});

  /// Runs what `plan` left, recording into the same operation, then finishes it (`completed`
  /// when nothing was left). Buys with the journaled tag, so that a number bought by the
  /// operation is never bought twice; stops as `buy` and `release` do.
  /// @throws Error(invalid_input) for a plan of another kind; Error(auth) as `buy`.
  BulkReport resume(const ResumePlan& plan, const StopRequested& stop_requested,
                    const ItemObserver& observer);

  /// Sets a number's voice webhook at the provider, reads the number back to check that the
  /// provider stored it, and records it.
  /// @throws Error(invalid_input) for a URL that is not absolute http(s) (http only when
  ///         `allow_http`) or a method other than GET/POST; Error(not_found) for a number the
  ///         pool does not hold; Error(conflict) for another voice URL or method on an assigned
  ///         number (they are its routing); Error(provider) when the read-back differs.
  PoolNumber set_webhook(const std::string& number, const VoiceWebhook& webhook, bool allow_http);

private:
  BulkReport run_purchases(const std::string& operation_id, const std::string& tag,
                           const BuyRequest& request, const PurchasePlan& plan,
                           const StopRequested& stop_requested, const ItemObserver& observer,
                           int done_before);
  BulkReport run_releases(const std::string& operation_id, const std::vector<PoolNumber>& numbers,
                          int concurrency, const StopRequested& stop_requested,
                          const ItemObserver& observer, int done_before);
  void plan_buy_resume(ResumePlan& plan);
  void plan_release_resume(ResumePlan& plan);
  /// Searches for up to `wanted` numbers not in `seen` or the pool. `alongside` (optional) is
  /// one more request sent within the first wave of searches, in one of its slots, so that it
  /// costs no round trip of its own; what it throws is rethrown before any search's error.
  std::vector<AvailableNumber> find_candidates(const BuyRequest& request, std::size_t wanted,
                                               std::set<std::string>& seen, int& searches,
                                               const StopRequested& stop_requested = {},
                                               const std::function<void()>& alongside = {});
  PoolNumber owned_row(const std::string& e164);
  ItemResult purchase_one(const AvailableNumber& candidate, const std::string& operation_id,
                          const std::string& tag, const std::optional<Money>& price);
  ItemResult release_one(const PoolNumber& number);
  /// `release_one` of a workspace's number (`PoolNumber::provider` `before.provider`), with the
  /// row already `releasing`.
  ItemResult release_from_workspace(const PoolNumber& before,
                                    const std::function<ItemResult()>& released);
  /// The tag a purchase of `operation_id` gives its numbers (Twilio `FriendlyName`, at most 64
  /// characters: "vami:<pool, cut to 40>:<operation id>"), by which a lost answer is found again.
  static std::string purchase_tag(const std::string& pool, const std::string& operation_id);
  /// Whether the provider holding `row` still holds it: the telephony provider's owned numbers,
  /// or the listing of the workspace the row belongs to (`PoolNumber::provider`).
  /// @throws what `find_owned` or `list_workspace_numbers` throws; Error(invalid_input) for a
  ///         workspace's number without `set_workspaces`.
  bool still_held(const PoolNumber& row);
  void audit(const std::string& command, const std::string& entity_id, const std::string& before,
             const std::string& after);

  TelephonyProvider& m_telephony;
  StateStore& m_store;
  std::string m_actor;
  AgentProviders* m_workspaces = nullptr;
};

/// Pool rows matching `filter`, from the state database alone (no provider call).
/// @throws Error(invalid_input) for an area code that is not three digits.
[[nodiscard]] std::vector<PoolNumber> list_pool(StateStore& store, const NumberFilter& filter);

/// One pool row, from the state database alone. @throws Error(invalid_input) for a malformed
/// number, Error(not_found) when the pool has never held it.
[[nodiscard]] PoolNumber find_pool_number(StateStore& store, const std::string& number);

/// Validates an area code for `country`. @throws Error(invalid_input) naming it when it is not
/// three digits or not in service (libphonenumber metadata), or when the country has none.
void validate_area_code(const std::string& country, const std::string& area_code);

/// Other area codes in service in the same region as `area_code` ("212" -> 332, 347, 646, ...),
/// to suggest when an area code has too few numbers for sale.
[[nodiscard]] std::vector<std::string> sibling_area_codes(const std::string& country,
                                                          const std::string& area_code);

/// Validates a voice webhook URL. @throws Error(invalid_input) naming it.
void validate_webhook_url(const std::string& url, bool allow_http);

/// A purchase request as the journal keeps it (`Operation::parameters`, JSON text): `count`,
/// `country`, `type`, `area_codes`, `contains`, `region`, `locality`, `max_monthly_price_micros`
/// (null for none) and `pool`; what `plan_resume` rebuilds the request from.
[[nodiscard]] std::string buy_parameters(const BuyRequest& request);

/// The purchase request of a journaled buy's parameters (also reads `max_monthly_cost`, the
/// decimal text earlier versions kept). Fields absent take `BuyRequest`'s defaults.
/// @throws Error(invalid_input) when the text is not a JSON object of that shape.
[[nodiscard]] BuyRequest buy_request_from_parameters(const std::string& parameters);

/// The journaled operation with that id.
/// @throws Error(not_found) naming it, with a hint to list the journal.
[[nodiscard]] Operation journal_operation(StateStore& store, const std::string& operation_id);

/// The newest journaled operations matching `filter`, newest first, with their items counted.
/// @throws Error(invalid_input) for a negative limit.
[[nodiscard]] std::vector<OperationSummary> list_journal(StateStore& store,
                                                         const OperationFilter& filter);

/// One journaled operation with every item. @throws Error(not_found) for an unknown id.
[[nodiscard]] OperationDetail show_operation(StateStore& store, const std::string& operation_id);

/// The numbers a journaled release, assign or unassign was asked to do (its `numbers`
/// parameter), in the order given; empty for other kinds.
/// @throws Error(invalid_input) when the parameters cannot be read.
[[nodiscard]] std::vector<std::string> requested_numbers(const Operation& operation);

} // namespace vami
