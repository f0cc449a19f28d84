#pragma once

// How vami's words map onto Synthflow's where the contract has no field for them (internal to
// providers/synthflow, pure functions, no requests): the marker an agent's `description` carries
// (vami's tags and the knowledge bases vami attached), languages, knowledge source types, call
// times and transcripts.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vami/core/call.hpp>
#include <vami/core/voice_agent_provider.hpp>

namespace vami::synthflow::detail {

/// What vami keeps in a Synthflow agent's `description` (Synthflow agents have no tags, and
/// `GET /assistants/{id}` does not say which knowledge bases are attached): the agent's tags,
/// so that a lost creation is found again by listing agents (`vami-agent:<slug>`), and the
/// knowledge bases vami attached, so that `update_agent` can detach those the new list drops
/// and `get_agent` can report them.
struct AgentMarker {
  std::vector<std::string> tags;
  std::vector<KnowledgeBaseRef> knowledge_base; ///< Ids and kinds; names are not kept.
  friend bool operator==(const AgentMarker&, const AgentMarker&) = default;
};

/// The first line of every description vami writes; a description without it is not vami's.
inline constexpr std::string_view k_marker_title = "Managed by vami; do not edit this description.";

/// The description that carries `marker`: the title line, `tags: <tag> <tag>...` and
/// `knowledge: <kind>:<id> ...` (kind `file`, `url` or `text`), one line each. Tags and ids
/// hold no spaces (vami's tags are `vami`, `vami-agent:<slug>`, `vami-tenant:<slug>`; Synthflow
/// ids are UUIDs); a space in one would be read back as two.
[[nodiscard]] std::string marker_description(const AgentMarker& marker);
/// The marker of a description written by `marker_description`; empty tags and knowledge for
/// any other text (an agent made in Synthflow's dashboard).
[[nodiscard]] AgentMarker parse_marker(std::string_view description);

/// Synthflow's `agent.language` for vami's ISO 639-1 code: the code itself where Synthflow
/// lists it (`it`, `fr`, `ja`, ...), else its one regional variant (`en` -> `en-US`, `de` ->
/// `de-DE`, `es` -> `es-ES`, `pt` -> `pt-BR`, `nl` -> `nl-NL`, `zh` -> `zh-CN`, `sv` -> `sv-SE`);
/// a code already in Synthflow's list (`en-US`, `multi`) is kept. Empty for a language Synthflow
/// does not speak.
[[nodiscard]] std::optional<std::string> synthflow_language(std::string_view language);
/// Every language Synthflow's `agent.language` enum lists, comma-separated, for messages.
[[nodiscard]] std::string synthflow_languages();
/// vami's code for a Synthflow language: its primary subtag, lower-case (`en-US` -> `en`);
/// `multi` stays `multi`.
[[nodiscard]] std::string vami_language(std::string_view synthflow_language);

/// The kind of document a knowledge-base source is: `web` and `pdf` (both by URL) -> url,
/// `text` -> text; empty for a type newer than this code.
[[nodiscard]] std::optional<DocumentSourceKind> source_kind(std::string_view type);
/// The source type a URL is added as: `pdf` when its path ends in `.pdf` (any case, before a
/// query or fragment), `web` otherwise.
[[nodiscard]] std::string url_source_type(std::string_view url);

/// Seconds since the epoch of a Synthflow call time: milliseconds since the epoch written as
/// digits (`start_time`, "1732546200000") or as a JSON number; 0 when neither.
[[nodiscard]] std::int64_t seconds_from_millis(std::string_view millis);
/// A call's `transcript` (one text) as lines: one per non-empty line of the text, its role the
/// speaker before the first ": " (`bot`, `assistant`, `agent` -> "agent"; `human`, `user` ->
/// "user"; other speakers kept as written), or empty when the line names none.
[[nodiscard]] std::vector<TranscriptLine> transcript_lines(std::string_view transcript);

} // namespace vami::synthflow::detail
