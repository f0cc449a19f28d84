#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <vami/core/call.hpp>
#include <vami/core/number.hpp>
#include <vami/core/process_holder.hpp>
#include <vami/core/tenant.hpp>

namespace vami {

/// The kind of a journaled operation.
enum class OperationKind {
  buy,
  release,
  webhook,
  assign,
  unassign,
  reassign,
  reconcile,
  onboard,
  suspend,
  resume
};
/// "buy", "release", "webhook", "assign", "unassign", "reassign", "reconcile", "onboard",
/// "suspend", "resume".
[[nodiscard]] const char* to_string(OperationKind kind) noexcept;
/// The kind whose word (`to_string`) is `text`, if any.
[[nodiscard]] std::optional<OperationKind> parse_operation_kind(std::string_view text) noexcept;

/// Where a journaled operation stands. `running` after a crash means it was interrupted.
enum class OperationStatus { running, completed, partial, failed, interrupted };
/// "running", "completed", "partial", "failed", "interrupted".
[[nodiscard]] const char* to_string(OperationStatus status) noexcept;
/// The status whose word (`to_string`) is `text`, if any.
[[nodiscard]] std::optional<OperationStatus> parse_operation_status(std::string_view text) noexcept;

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
  /// The vami process that runs it, or resumed it last (`current_process_holder` form).
  std::string holder;
  /// Its last sign of life, UTC ISO 8601: the latest of its creation, its last resumption and
  /// its last journaled item. Filled by the store.
  std::string active_at;
};

/// Whether the process that runs `operation` may still be working on it: true only for a
/// `running` operation whose holder is still working (`holder_still_working`, from its last
/// sign of life `active_at`). A `running` operation whose process has exited is interrupted at
/// once; one held on another host, only once `foreign_limit` has passed without a sign of life.
[[nodiscard]] bool
operation_in_progress(const Operation& operation,
                      std::chrono::seconds foreign_limit = k_foreign_holder_limit) noexcept;

/// The status of `operation` as it stands: `interrupted` for a `running` operation that is no
/// longer in progress (`operation_in_progress`), else the stored status.
[[nodiscard]] OperationStatus current_status(const Operation& operation) noexcept;

/// The outcome of one item (one number) of an operation.
enum class ItemOutcome { pending, succeeded, failed, uncertain };
/// "pending", "succeeded", "failed", "uncertain".
[[nodiscard]] const char* to_string(ItemOutcome outcome) noexcept;
/// The outcome whose word (`to_string`) is `text`, if any.
[[nodiscard]] std::optional<ItemOutcome> parse_item_outcome(std::string_view text) noexcept;

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
  std::string tenant_slug; ///< The tenant the change concerns; empty when none.
};

/// Which audit entries to list; empty fields match everything.
struct AuditFilter {
  std::string since;       ///< UTC ISO 8601; entries at or after it.
  std::string tenant_slug; ///< Entries about this tenant.
  int limit = 0;           ///< The newest `limit` entries (still listed oldest first); 0: all.
};

/// What an assignment changes on a number row: its agent, how calls reach the agent, and the
/// routing facts the providers reported.
struct AssignmentTarget {
  std::string agent_slug;
  RoutingMode routing_mode = RoutingMode::native;
};

/// The local state database: the pool, tenants, agents, documents, the operations journal and
/// the audit trail. Every method is one transaction; state changes are conditional on the
/// current status so that two processes can never both win. Errors: `Error(storage)` for
/// database failures, `Error(conflict)` or `Error(not_found)` as documented per method.
class StateStore {
public:
  virtual ~StateStore() = default;

  /// The schema version the database is at (the number of the last migration applied).
  [[nodiscard]] virtual int schema_version() = 0;
  /// Where the database lives, as the user named it (a file path for the embedded SQLite store).
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
  /// Makes this process the operation's holder, on condition that no other process that is
  /// still running holds it (a holder on another host cannot be asked and does not block).
  /// @throws Error(not_found); Error(conflict) naming the pid that still runs it.
  virtual void claim_operation(const std::string& operation_id) = 0;
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
  /// Which of `e164s` the pool holds in any status but `released`, in one query (planning a
  /// purchase checks hundreds of candidates at once).
  virtual std::set<std::string> numbers_in_pool(const std::vector<std::string>& e164s) = 0;

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

  // --- tenants ----------------------------------------------------------------------------

  /// Inserts a tenant (timestamps filled by the store when empty) and returns it.
  /// @throws Error(conflict) if the slug exists.
  virtual Tenant create_tenant(const Tenant& tenant) = 0;
  /// The tenant with that slug, if any.
  virtual std::optional<Tenant> find_tenant(const std::string& slug) = 0;
  /// Every tenant, ordered by slug.
  virtual std::vector<Tenant> list_tenants() = 0;
  /// Changes the set fields and returns the tenant after. @throws Error(not_found).
  virtual Tenant update_tenant(const std::string& slug, const TenantChange& change) = 0;
  /// Deletes a tenant that has no agents and no numbers left.
  /// @throws Error(not_found); Error(conflict) naming what it still has.
  virtual void delete_tenant(const std::string& slug) = 0;

  // --- agents -----------------------------------------------------------------------------

  /// Inserts an agent (usually `creating`, before the provider request) and returns it.
  /// @throws Error(not_found) if its tenant does not exist; Error(conflict) if the slug or the
  ///         provider agent id exists.
  virtual Agent insert_agent(const Agent& agent) = 0;
  /// The agent named by its slug or by its provider agent id, if any.
  virtual std::optional<Agent> find_agent(const std::string& slug_or_provider_id) = 0;
  /// Agents of a tenant (all when `tenant_slug` is empty), ordered by slug.
  virtual std::vector<Agent> list_agents(const std::string& tenant_slug) = 0;
  /// Replaces the stored configuration (name, provider id, voice, language, personality, first
  /// message, prompt, status) of the agent `agent.slug` and returns it after.
  /// @throws Error(not_found); Error(conflict) if another agent has the provider id.
  virtual Agent update_agent(const Agent& agent) = 0;
  /// Deletes an agent row and its documents.
  /// @throws Error(not_found); Error(conflict) if numbers are still assigned to it.
  virtual void delete_agent(const std::string& slug) = 0;

  // --- documents --------------------------------------------------------------------------

  /// Records a document of an agent (creation time filled when empty) and returns it: an
  /// `active` one with its provider id, or the `uploading` intent of an upload (no provider id,
  /// its `upload_name` set).
  /// @throws Error(not_found) if the agent does not exist; Error(conflict) if the agent already
  ///         has a document with the same SHA-256 (naming it) or the provider id exists.
  virtual Document insert_document(const Document& document) = 0;
  /// Documents of an agent, in the order added.
  virtual std::vector<Document> list_documents(const std::string& agent_slug) = 0;
  /// The agent's document with that SHA-256, if any.
  virtual std::optional<Document> find_document_by_sha256(const std::string& agent_slug,
                                                          const std::string& sha256) = 0;
  /// Records the answer of an upload: the `uploading` row of `upload_name` gets the provider's
  /// id and becomes `active`; returns it. @throws Error(not_found) when no such row is
  /// `uploading`; Error(conflict) when the provider id belongs to another row.
  virtual Document mark_document_uploaded(const std::string& upload_name,
                                          const std::string& provider_document_id) = 0;
  /// Deletes the `uploading` row of `upload_name` (an upload that did not happen).
  /// @throws Error(not_found) when no such row is `uploading`.
  virtual void delete_document_intent(const std::string& upload_name) = 0;
  /// Deletes the agent's document with that provider id. @throws Error(not_found).
  virtual void delete_document(const std::string& agent_slug,
                               const std::string& provider_document_id) = 0;

  // --- assignment (each one transaction, conditional on the row as the caller expects) -----
  // Each change also takes the number's routing for this process (`PoolNumber::routing_holder`)
  // and refuses with Error(conflict) while another running process holds it; the caller gives
  // it back with `end_routing_change` once the providers have answered.

  /// Moves an `available` number to `assigned` for `target.agent_slug` (and its tenant) and
  /// returns the row after.
  /// @throws Error(not_found) if the pool does not hold the number or the agent does not exist;
  ///         Error(conflict) if the number is not `available`, naming the agent and tenant that
  ///         hold it when it is assigned.
  virtual PoolNumber assign_number(const std::string& e164, const AssignmentTarget& target) = 0;
  /// Takes the first `available` number matching `filter` (ordered by E.164) and assigns it as
  /// `assign_number` does, in one transaction; returns the row after.
  /// @throws Error(conflict) when no available number matches; Error(not_found) for the agent.
  virtual PoolNumber assign_first_available(const NumberFilter& filter,
                                            const AssignmentTarget& target) = 0;
  /// Moves an `assigned` number held by `expected_agent_slug` to `target` (the tenant follows
  /// the agent) and returns the row after.
  /// @throws Error(not_found) for the number or the agent; Error(conflict) if the number is not
  ///         assigned to `expected_agent_slug` any more (naming who holds it).
  virtual PoolNumber reassign_number(const std::string& e164,
                                     const std::string& expected_agent_slug,
                                     const AssignmentTarget& target) = 0;
  /// Moves an `assigned` number held by `expected_agent_slug` back to `available` (clearing
  /// tenant, agent and routing mode) and returns the row after.
  /// @throws Error(not_found); Error(conflict) if it is not assigned to that agent any more.
  virtual PoolNumber unassign_number(const std::string& e164,
                                     const std::string& expected_agent_slug) = 0;
  /// Takes the number's routing for this process without changing the assignment (a rerun that
  /// routes an assignment again), as assign, reassign and unassign do in their transaction.
  /// @throws Error(not_found); Error(conflict) while another running process changes its
  ///         routing (`routing_holder`), naming who holds the number.
  virtual void begin_routing_change(const std::string& e164) = 0;
  /// Gives the number's routing back once the providers have answered (or failed); does
  /// nothing if this process does not hold it. A process that dies holding it blocks nobody:
  /// its holder is then seen to be gone.
  virtual void end_routing_change(const std::string& e164) = 0;
  /// Moves a number out of service: from `suspension.previous_status` (`available`, or
  /// `assigned` to `suspension.agent_slug`), as the caller read it, to `suspended`, recording
  /// `suspension` (its time filled when empty) and keeping the tenant, routing mode, import id
  /// and voice webhook; the agent is dropped from the row (it is in the suspension). Takes the
  /// number's routing as assign does. Returns the row after.
  /// @throws Error(not_found) for a number the pool does not hold or an unknown agent;
  ///         Error(invalid_input) for a previous status other than available or assigned;
  ///         Error(conflict) if the row is no longer as read (naming its status or holder).
  virtual PoolNumber suspend_number(const std::string& e164, const Suspension& suspension) = 0;
  /// Puts a `suspended` number back to the status and agent its suspension recorded (the
  /// tenant follows the agent), forgetting the suspension, and returns the row after; the
  /// caller then restores the voice webhook at the providers and records it. Takes the
  /// number's routing as assign does.
  /// @throws Error(not_found); Error(conflict) if it is not suspended.
  virtual PoolNumber resume_number(const std::string& e164) = 0;
  /// Stores the voice-agent provider's id of an imported number (empty to forget it).
  /// @throws Error(not_found); Error(conflict) if another number has that id.
  virtual void set_agent_phone_number_id(const std::string& e164,
                                         const std::string& phone_number_id) = 0;

  // --- audit ------------------------------------------------------------------------------

  /// Appends an audit entry.
  virtual void append_audit(const AuditEntry& entry) = 0;
  /// Audit entries matching `filter`, oldest first.
  virtual std::vector<AuditEntry> list_audit(const AuditFilter& filter) = 0;

  // --- call history -----------------------------------------------------------------------

  /// Records what one source knows of a call, idempotently: a new call is inserted; a call
  /// already stored under its CallSid or conversation id gains only the fields it lacks and a
  /// later status (`merge_call`), so a redelivered webhook or a second sync changes nothing.
  /// When the CallSid and the conversation id name two stored calls (Twilio's and ElevenLabs'
  /// halves of one call), they become one. One transaction.
  /// @throws Error(invalid_input) when neither id is set, a cost is negative or has no
  ///         three-letter currency, or the duration is negative.
  virtual CallUpsert upsert_call(const CallRecord& call) = 0;
  /// The call whose CallSid or conversation id is `id`, if any.
  virtual std::optional<CallRecord> find_call(const std::string& id) = 0;
  /// Calls matching `filter`, newest first (by start, or first record when no start is known).
  virtual std::vector<CallRecord> list_calls(const CallFilter& filter) = 0;
};

} // namespace vami
