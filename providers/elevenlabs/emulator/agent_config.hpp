#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "elevenlabs/emulator/wire.hpp"

// Private to the ElevenLabs emulator: an agent's settings as the service takes and stores them
// (`conversation_config`, `tags`; `shared/specs/elevenlabs_openapi.json`).

namespace vami::sandbox::elevenlabs {

/// `tags`: an array of strings or null; nullopt when absent or null. A wrong shape is added to
/// `validation`.
[[nodiscard]] std::optional<Json> tags_member(const Json& body, Validation& validation);

/// What the service fills in for the members vami reads, before the request's config is merged
/// over it.
[[nodiscard]] Json default_conversation_config();

/// PATCH semantics: objects merge member by member, recursively; arrays, scalars and null
/// replace what was there.
void deep_merge(Json& target, const Json& patch);

/// The `loc` of knowledge-base entry `index` in a request body.
[[nodiscard]] Json knowledge_base_loc(std::size_t index);

/// Checks the members of a (partial) conversation_config that the sandbox models (language,
/// voice, knowledge-base entries, ...), adding what is wrong to `validation`; the others are
/// stored as sent.
void validate_conversation_config(const Json& config, Validation& validation);

/// The knowledge_base entries of a stored (validated) config; empty when it has none.
[[nodiscard]] Json knowledge_base_of(const Json& config);

/// Entries without a usage_mode get the schema's default, as the service stores them.
void normalize_knowledge_base(Json& config);

/// The `tts.voice_id` of a config; empty when it has none.
[[nodiscard]] std::string voice_of(const Json& config);

} // namespace vami::sandbox::elevenlabs
