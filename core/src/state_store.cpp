// The words of the operations journal's enums, as the CLI, JSON and every state store use them.

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "enum_names.hpp"

#include <vami/core/state_store.hpp>

namespace vami {

namespace {

constexpr std::array<std::pair<OperationKind, const char*>, 10> k_kind_names{{
    {OperationKind::buy, "buy"},
    {OperationKind::release, "release"},
    {OperationKind::webhook, "webhook"},
    {OperationKind::assign, "assign"},
    {OperationKind::unassign, "unassign"},
    {OperationKind::reassign, "reassign"},
    {OperationKind::reconcile, "reconcile"},
    {OperationKind::onboard, "onboard"},
    {OperationKind::suspend, "suspend"},
    {OperationKind::resume, "resume"},
}};

constexpr std::array<std::pair<OperationStatus, const char*>, 5> k_operation_status_names{{
    {OperationStatus::running, "running"},
    {OperationStatus::completed, "completed"},
    {OperationStatus::partial, "partial"},
    {OperationStatus::failed, "failed"},
    {OperationStatus::interrupted, "interrupted"},
}};

constexpr std::array<std::pair<ItemOutcome, const char*>, 4> k_outcome_names{{
    {ItemOutcome::pending, "pending"},
    {ItemOutcome::succeeded, "succeeded"},
    {ItemOutcome::failed, "failed"},
    {ItemOutcome::uncertain, "uncertain"},
}};

} // namespace

const char* to_string(OperationKind kind) noexcept {
  return detail::name_of(k_kind_names, kind);
}

std::optional<OperationKind> parse_operation_kind(std::string_view text) noexcept {
  return detail::value_named(k_kind_names, text);
}

const char* to_string(OperationStatus status) noexcept {
  return detail::name_of(k_operation_status_names, status);
}

std::optional<OperationStatus> parse_operation_status(std::string_view text) noexcept {
  return detail::value_named(k_operation_status_names, text);
}

const char* to_string(ItemOutcome outcome) noexcept {
  return detail::name_of(k_outcome_names, outcome);
}

std::optional<ItemOutcome> parse_item_outcome(std::string_view text) noexcept {
  return detail::value_named(k_outcome_names, text);
}

} // namespace vami
