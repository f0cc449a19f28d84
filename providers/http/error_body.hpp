#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

// Private to providers/: reading the error bodies that more than one provider's API answers
// with (ElevenLabs and Synthflow are both FastAPI services).

namespace vami::http {

/// `text` without leading and trailing white space (a body that is no JSON, quoted as it is).
[[nodiscard]] std::string_view trim_whitespace(std::string_view text);

/// The member `name` of a JSON object as text: a string as it is, a number as its digits;
/// empty when absent or of another type.
[[nodiscard]] std::string json_text_member(const nlohmann::json& object, const char* name);

/// Reads FastAPI's validation errors (`422 {"detail": [{"loc": [...], "msg", "type"}]}`):
/// appends each as "loc.path[0]: msg" to `message` ("; " between them) and sets `code` to the
/// first `type` when it is empty. Items that are no objects, or say nothing, are skipped.
void read_validation_errors(const nlohmann::json& items, std::string& code, std::string& message);

} // namespace vami::http
