// `vami numbers import --provider NAME`: the numbers a voice-agent provider's workspace holds
// itself (Synthflow) come into the pool as rows of that provider.
#include <algorithm>

#include "audit_json.hpp"

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/workspace_numbers.hpp>

namespace vami {

namespace {

// Held by the pool: any row that is not released (a released one is reused by the import).
std::optional<PoolNumber> held_row(StateStore& store, const std::string& e164) {
  std::optional<PoolNumber> row = store.find_number(e164);
  if (row && row->status == NumberStatus::released) {
    return std::nullopt;
  }
  return row;
}

} // namespace

const char* to_string(WorkspaceImportOutcome outcome) noexcept {
  switch (outcome) {
  case WorkspaceImportOutcome::imported:
    return "imported";
  case WorkspaceImportOutcome::would_import:
    return "would_import";
  case WorkspaceImportOutcome::in_pool:
    return "in_pool";
  }
  return "in_pool";
}

WorkspaceImportReport import_workspace_numbers(VoiceAgentProvider& provider, StateStore& store,
                                               const std::string& actor, ImportMode mode) {
  if (!provider.capabilities().workspace_numbers) {
    throw Error(ErrorKind::invalid_input,
                provider.name() + " holds no phone numbers of its own to import",
                "import from a provider whose workspace holds numbers (synthflow); buy Twilio "
                "numbers with 'vami numbers buy'");
  }
  WorkspaceImportReport report;
  report.provider = provider.name();
  report.dry_run = mode == ImportMode::dry_run;
  std::vector<WorkspaceNumber> listed = provider.list_workspace_numbers();
  std::sort(listed.begin(), listed.end(),
            [](const WorkspaceNumber& a, const WorkspaceNumber& b) { return a.e164 < b.e164; });
  for (WorkspaceNumber& number : listed) {
    WorkspaceImportItem item;
    item.row = held_row(store, number.e164);
    if (item.row) {
      item.outcome = WorkspaceImportOutcome::in_pool;
    } else if (report.dry_run) {
      item.outcome = WorkspaceImportOutcome::would_import;
      ++report.imported;
    } else {
      AdoptedNumber adopted;
      adopted.e164 = number.e164;
      adopted.provider = provider.name();
      adopted.provider_sid = number.provider_id;
      adopted.country = region_of(number.e164);
      adopted.type = NumberType::local; // the workspace's listing gives no type
      const NumberLocation location = locate(number.e164);
      adopted.locality = location.locality;
      adopted.region = location.region;
      adopted.webhook.voice_method.clear(); // no voice webhook: its provider answers it
      try {
        item.row = store.adopt_number(adopted);
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::conflict) {
          throw;
        }
        // Imported meanwhile by another run: it is in the pool, as wanted.
        item.row = held_row(store, number.e164);
        if (!item.row) {
          throw;
        }
        item.outcome = WorkspaceImportOutcome::in_pool;
        item.number = std::move(number);
        report.items.push_back(std::move(item));
        continue;
      }
      item.outcome = WorkspaceImportOutcome::imported;
      ++report.imported;
      detail::append_audit(store, actor, "numbers import", "number", number.e164, "",
                           detail::audit_json(*item.row), "");
    }
    item.number = std::move(number);
    report.items.push_back(std::move(item));
  }
  return report;
}

std::vector<WorkspaceNumber> untracked_workspace_numbers(const std::vector<WorkspaceNumber>& listed,
                                                         StateStore& store) {
  std::vector<WorkspaceNumber> untracked;
  for (const WorkspaceNumber& number : listed) {
    if (!held_row(store, number.e164)) {
      untracked.push_back(number);
    }
  }
  return untracked;
}

} // namespace vami
