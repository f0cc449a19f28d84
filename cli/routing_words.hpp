// The words for a number's routing as `vami route` and `vami webhooks show` check it.
#pragma once

#include <string>
#include <vector>

#include <vami/core/assignment_service.hpp>

namespace vami::cli {

/// What is wrong with the routing of a checked number, one phrase per fault, for a person.
[[nodiscard]] std::vector<std::string> routing_problem_words(const RouteCheck& check);

/// A voice-agent provider as people name it: "ElevenLabs", "Synthflow", "the orchestrator"
/// (stream agents); "ElevenLabs" for an empty name (the default provider).
[[nodiscard]] std::string platform_name(const std::string& provider);

/// The phrases joined with "; ".
[[nodiscard]] std::string join(const std::vector<std::string>& phrases);

} // namespace vami::cli
