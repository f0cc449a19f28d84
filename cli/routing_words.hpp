// The words for a number's routing as `vami route` and `vami webhooks show` check it.
#pragma once

#include <string>
#include <vector>

#include <vami/core/assignment_service.hpp>

namespace vami::cli {

/// What is wrong with the routing of a checked number, one phrase per fault, for a person.
[[nodiscard]] std::vector<std::string> routing_problem_words(const RouteCheck& check);

/// The phrases joined with "; ".
[[nodiscard]] std::string join(const std::vector<std::string>& phrases);

} // namespace vami::cli
