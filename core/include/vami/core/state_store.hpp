#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <vami/core/number.hpp>

namespace vami {

/// The kind of a journaled operation.
enum class OperationKind { buy, release, webhook, reconcile };
/// "buy", "release", "webhook", "reconcile".
[[nodiscard]] const char* to_string(OperationKind kind) noexcept;

/// Where a journaled operation stands. `running` after a crash means it was interrupted.
enum class OperationStatus { running, completed, partial, failed, interrupted };
/// "running", "completed", "partial", "failed", "interrupted".
[[nodiscard]] const char* to_string(OperationStatus status) noexcept;

/// One bulk command in the journal.
struct Operation {
  std::string id; ///< "op-" followed by 12 lower-case hex digits; also part of provider tags.
  OperationKind kind = OperationKind::buy;
  OperationStatus status = OperationStatus::running;
  int requested_count = 0;
  std::string parameters; ///< The request, as the CLI gave it (JSON text), to resume it.
  std::string actor;
  std::string created_at; ///< UTC ISO 8601.
  std::string finished_at;
};

/// The outcome of one item (one number) of an operation.
enum class ItemOutcome { pending, succeeded, failed, uncertain };
/// "pending", "succeeded", "failed", "uncertain".
[[nodiscard]] const char* to_string(ItemOutcome outcome) noexcept;

/// One item of an operation.
struct OperationItem {
  std::string operation_id;
  std::string e164;
  ItemOutcome outcome = ItemOutcome::pending;
  std::string error_code;    ///< Provider code or error kind when failed.
  std::string error_message; ///< Empty unless failed or uncertain.
};

/// A row to insert before a purchase request is sent (design rule 3.1).
struct PurchaseIntent {
  std::string e164;
  std::string operation_id;
  std::string provider = "twilio";
  std::string country;
  NumberType type = NumberType::local;
  std::string locality;
  std::string region;
  std::string friendly_name; ///< The tag sent to the provider.
};

/// A number the provider account owns that the pool does not hold, as reconcile adopts it.
struct AdoptedNumber {
  std::string e164;
  std::string provider = "twilio";
  std::string provider_sid;
  std::string country;
  NumberType type = NumberType::local;
  std::string locality;
  std::string region;
  std::string friendly_name; ///< As the provider reports it (the vami tag).
  VoiceWebhook webhook;      ///< As the provider reports it.
  std::optional<Money> monthly_price;
  std::string operation_id; ///< The operation of the tag when the journal holds it; else empty.
};

/// One line of the audit trail: who changed what, with the entity before and after (JSON text,
/// never a secret).
struct AuditEntry {
  std::string at; ///< UTC ISO 8601; filled by the store when empty.
  std::string actor;
  std::string command;     ///< "numbers buy", "webhooks set", ...
  std::string entity_type; ///< "number", "tenant", "agent", "document", "operation".
  std::string entity_id;   ///< E.164, slug or id.
  std::string before_json;
  std::string after_json;
};

/// The local state database: the pool, tenants, agents, documents, the operations journal and
/// the audit trail. Every method is one transaction; state changes are conditional on the
/// current status so that two processes can never both win. Errors: `Error(storage)` for
/// database failures, `Error(conflict)` or `Error(not_found)` as documented per method.
class StateStore {
public:
  virtual ~StateStore() = default;

  /// The schema version the database is at (`PRAGMA user_version`).
  [[nodiscard]] virtual int schema_version() = 0;
  /// Where the database lives (a path for SQLite).
  [[nodiscard]] virtual std::string location() const = 0;

  // --- operations journal -----------------------------------------------------------------

  /// Records a new operation. @throws Error(conflict) if the id exists.
  virtual void create_operation(const Operation& operation) = 0;
  /// Sets the final status and finish time of an operation.
  virtual void finish_operation(const std::string& operation_id, OperationStatus status) = 0;
  /// The operation with that id, if any.
  virtual std::optional<Operation> find_operation(const std::string& operation_id) = 0;
  /// Operations, newest first.
  virtual std::vector<Operation> list_operations(int limit) = 0;
  /// Inserts or updates the item (operation_id, e164).
  virtual void record_item(const OperationItem& item) = 0;
  /// The items of an operation, in the order they were first recorded.
  virtual std::vector<OperationItem> list_items(const std::string& operation_id) = 0;

  // --- numbers ----------------------------------------------------------------------------

  /// Commits a `purchasing` row before the purchase request is sent. A `released` row of the
  /// same number is reused. @throws Error(conflict) if the pool already holds the number.
  virtual void insert_purchase_intent(const PurchaseIntent& intent) = 0;
  /// Turns a `purchasing` row into `available` with the provider's id and the monthly price.
  /// @throws Error(not_found) if there is no `purchasing` row for `e164`.
  virtual PoolNumber complete_purchase(const std::string& e164, const OwnedNumber& owned,
                                       const std::optional<Money>& monthly_price) = 0;
  /// Removes a `purchasing` row whose purchase did not happen.
  virtual void abandon_purchase(const std::string& e164) = 0;

  /// The pool row of a number (any status), if any.
  virtual std::optional<PoolNumber> find_number(const std::string& e164) = 0;
  /// Pool rows matching `filter`, ordered by E.164.
  virtual std::vector<PoolNumber> list_numbers(const NumberFilter& filter) = 0;

  /// Moves `available` or `suspended` to `releasing` and returns the row before the change.
  /// @throws Error(not_found) if the pool does not hold the number (or it is released);
  ///         Error(conflict) if it is assigned or in another transitional state.
  virtual PoolNumber begin_release(const std::string& e164) = 0;
  /// Moves `releasing` to `released`.
  virtual void complete_release(const std::string& e164) = 0;
  /// Moves `releasing` back to `previous` when the provider refused the release.
  virtual void revert_release(const std::string& e164, NumberStatus previous) = 0;

  /// Stores the voice webhook the provider now reports for a number.
  virtual void update_webhook(const std::string& e164, const VoiceWebhook& webhook) = 0;

  // --- reconcile (each conditional on the row being as the caller read it) -----------------

  /// Puts a number the provider owns into the pool as `available` (reusing a `released` row of
  /// the same number) and returns the row.
  /// @throws Error(conflict) if the pool holds the number (not released) or another row holds
  ///         the provider SID; Error(not_found) if `operation_id` is set but not in the journal;
  ///         Error(invalid_input) for a bad price or voice method.
  virtual PoolNumber adopt_number(const AdoptedNumber& number) = 0;
  /// Marks a number the provider no longer owns `released` (from `available`, `assigned` or
  /// `suspended`, dropping its provider ids and any assignment) and returns the row before.
  /// @throws Error(not_found) if the pool does not hold it; Error(conflict) if its status is
  ///         another one or its provider SID is no longer `provider_sid`.
  virtual PoolNumber mark_released(const std::string& e164, const std::string& provider_sid) = 0;
  /// Stores the provider's SID and voice webhook (`owned`) for an `available`, `assigned` or
  /// `suspended` number whose row still holds `expected_sid` and `expected_webhook` (as read:
  /// empty strings for unset), and returns the row after.
  /// @throws Error(not_found) if the pool does not hold it; Error(conflict) if the row changed
  ///         or another row holds the SID; Error(invalid_input) for a bad voice method.
  virtual PoolNumber record_provider_view(const std::string& e164, const std::string& expected_sid,
                                          const VoiceWebhook& expected_webhook,
                                          const OwnedNumber& owned) = 0;
  /// Every journal item of a number, across operations, in the order first recorded.
  virtual std::vector<OperationItem> list_items_of_number(const std::string& e164) = 0;

  // --- audit ------------------------------------------------------------------------------

  /// Appends an audit entry.
  virtual void append_audit(const AuditEntry& entry) = 0;
  /// Audit entries, oldest first, at or after `since` (UTC ISO 8601; empty for all).
  virtual std::vector<AuditEntry> list_audit(const std::string& since) = 0;
};

/// Opens (creating it and its schema if the file does not exist) the SQLite state database at
/// `path`: WAL, `busy_timeout` 10 s, foreign keys on, migrations applied up to the current
/// schema version.
/// @throws Error(invalid_input) when the folder does not exist, the file is not a SQLite
///         database, or it is a SQLite database of another application or of a newer vami;
///         Error(storage) for other database failures.
[[nodiscard]] std::unique_ptr<StateStore>
open_sqlite_state_store(const std::filesystem::path& path);

/// The newest schema version this vami knows.
[[nodiscard]] int current_schema_version() noexcept;

} // namespace vami
