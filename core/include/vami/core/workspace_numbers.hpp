#pragma once

#include <optional>
#include <string>
#include <vector>

#include <vami/core/agent_providers.hpp>
#include <vami/core/number.hpp>
#include <vami/core/state_store.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// What `import_workspace_numbers` did, or would do, with one number of the workspace.
enum class WorkspaceImportOutcome {
  imported,     ///< Put into the pool as an `available` row of the provider.
  would_import, ///< Dry run: would be put into the pool.
  in_pool,      ///< The pool holds it already (as a row of the provider, or of the telephony
                ///< provider: one of vami's own numbers the workspace answers over SIP).
};
/// "imported", "would_import", "in_pool".
[[nodiscard]] const char* to_string(WorkspaceImportOutcome outcome) noexcept;

/// One number of the workspace and what became of it.
struct WorkspaceImportItem {
  WorkspaceNumber number;
  WorkspaceImportOutcome outcome = WorkspaceImportOutcome::in_pool;
  /// The pool row: after the import, or the one already there; empty for a dry run's
  /// would_import.
  std::optional<PoolNumber> row;
};

/// The outcome of one `vami numbers import --provider NAME`.
struct WorkspaceImportReport {
  std::string provider; ///< The voice-agent provider whose workspace was read.
  bool dry_run = false;
  std::vector<WorkspaceImportItem> items; ///< Every number of the workspace, by E.164.
  int imported = 0;                       ///< Items imported (or, dry run, would_import).
};

/// Whether `import_workspace_numbers` changes the pool.
enum class ImportMode { apply, dry_run };

/// `vami numbers import --provider NAME`: lists the numbers `provider`'s workspace holds itself
/// (`VoiceAgentProvider::list_workspace_numbers`; SIP imports of vami's Twilio numbers are not
/// among them) and puts each one the pool does not hold (or holds only as `released`) into it as
/// an `available` row of that provider (`PoolNumber::provider`, the provider's id of the number
/// as `provider_sid`, country, locality and region from the number, type local, no price: the
/// provider publishes none), with an audit entry (command "numbers import"). A number that an
/// agent of the workspace answers comes in `available` too: assigning it to a vami agent makes
/// it that agent's. Safe to run again: numbers in the pool are left as they are. Nothing is
/// sent to the telephony provider.
/// @throws Error(invalid_input) naming the providers that have workspace numbers when
///         `provider` has none (`AgentProviderCapabilities::workspace_numbers`); what
///         `list_workspace_numbers` throws (before anything changes); Error(storage).
WorkspaceImportReport import_workspace_numbers(VoiceAgentProvider& provider, StateStore& store,
                                               const std::string& actor, ImportMode mode);

/// The numbers `provider`'s workspace holds that the pool does not (not released), from a
/// listing already read: reconcile's `workspace_number_untracked`.
[[nodiscard]] std::vector<WorkspaceNumber>
untracked_workspace_numbers(const std::vector<WorkspaceNumber>& listed, StateStore& store);

} // namespace vami
