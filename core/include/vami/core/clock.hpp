#pragma once

#include <string>

namespace vami {

/// The current UTC time in ISO 8601 with second precision ("2026-11-22T03:35:28Z").
[[nodiscard]] std::string utc_now_iso8601();

/// A new random operation id: "op-" and 12 lower-case hex digits (48 bits).
[[nodiscard]] std::string new_operation_id();

} // namespace vami
