#include <iostream>

#include "app.hpp"

namespace vami::cli {

void register_init_command(CLI::App& app, AppContext& context) {
  auto* command = app.add_subcommand(
      "init", "Create (or upgrade) the state database and show which provider account vami uses");
  command->callback([&context] {
    StateStore& store = context.store();
    Providers& providers = context.providers();
    nlohmann::ordered_json result;
    result["database"] = store.location();
    result["schema_version"] = store.schema_version();
    result["mode"] = providers.is_sandbox() ? "sandbox" : "live";
    result["sandbox_state"] = providers.is_sandbox()
                                  ? nlohmann::ordered_json(providers.sandbox_state_path().string())
                                  : nlohmann::ordered_json();
    result["telephony_provider"] = providers.telephony().name();
    write_object(std::cout, context.output_format(), result);
    context.note("ready; next: 'vami numbers search --area-code 212'");
  });
}

} // namespace vami::cli
