// `vami calls test`, also run by `vami onboard` after it has routed a number.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <vami/core/call_test_service.hpp>

namespace vami::cli {

class AppContext;

/// Tests calls to `request.to` with the context's providers: a placed call on the sandbox, the
/// routing read back on live providers.
/// @throws what `CallTestService::test` throws.
[[nodiscard]] CallTestReport run_test_call(AppContext& context, const TestCallRequest& request);

/// The report as JSON (docs/json.md, "Test call").
[[nodiscard]] nlohmann::ordered_json test_call_json(const CallTestReport& report);

/// Writes the report (`print`: the hops on stdout, or its JSON) and the verdict on stderr,
/// naming the broken hop when the call did not reach what the database says.
void report_test_call(AppContext& context, const CallTestReport& report, bool print);

/// Adds `test` to the `calls` command.
void register_calls_test_command(CLI::App& calls, AppContext& context);

} // namespace vami::cli
