#pragma once

// Shared by the tests of the sandbox's Synthflow half: a sandbox in a temp folder and the
// Synthflow client itself speaking to it in-process, as `vami` does.
#include <memory>
#include <string>

#include "temp_dir.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>
#include <vami/providers/synthflow_provider.hpp>

namespace vami::synthflow_emulator_testing {

using nlohmann::json;
using ::testing::HasSubstr;

inline constexpr const char* k_base = "http://sandbox.test/synthflow/v2";
inline constexpr const char* k_trunk = "vami-pool.pstn.twilio.com";

/// A sandbox in a temp folder, an in-process transport to it, and a Synthflow client with the
/// sandbox workspace's key.
class SynthflowEmulatorTest : public ::testing::Test {
protected:
  SynthflowEmulatorTest()
      : sandbox(sandbox::open_sandbox(dir / "sandbox.db")),
        http(http::make_in_process_http_client(
            [this](const http::HttpRequest& request) { return sandbox->handle(request); })),
        provider(client(sandbox->credentials().value("synthflow_api_key"))) {}

  /// A client with `key`, on the sandbox workspace.
  std::unique_ptr<VoiceAgentProvider> client(const std::string& key) {
    synthflow::SynthflowConfig config;
    config.api_key = key;
    config.workspace_id = sandbox->credentials().value("synthflow_workspace_id");
    config.base_url = k_base;
    return synthflow::make_synthflow_provider(config, *http);
  }

  /// One raw request with the sandbox key; `path` is under /synthflow/v2.
  http::HttpResponse raw(const std::string& method, const std::string& path,
                         const std::string& body = "") {
    http::HttpRequest request;
    request.method = method;
    request.url = std::string(k_base) + path;
    request.headers = {
        {"Authorization", "Bearer " + sandbox->credentials().value("synthflow_api_key")}};
    if (!body.empty()) {
      request.headers.emplace_back("Content-Type", "application/json");
      request.body = body;
    }
    return sandbox->handle(request);
  }

  /// Runs `sql` on the state file (seeding what nothing in the emulator writes).
  void seed(const std::string& sql) {
    SQLite::Database db((dir / "sandbox.db").string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    db.exec(sql);
  }

  /// A new inbound agent named `name`, tagged for slug `slug`.
  std::string make_agent(const std::string& name, const std::string& slug = "front-desk") {
    AgentDefinition definition;
    definition.name = name;
    definition.prompt = "Book appointments.";
    definition.first_message = "Hello.";
    definition.language = "en";
    definition.tags = {"vami", "vami-agent:" + slug};
    return provider->create_agent(definition);
  }

  /// The kind of the `vami::Error` `action` throws.
  static Error error_of(const std::function<void()>& action) {
    try {
      action();
    } catch (const Error& error) {
      return error;
    }
    ADD_FAILURE() << "no error thrown";
    return Error(ErrorKind::interrupted, "no error thrown");
  }

  testing::TempDir dir;
  std::unique_ptr<sandbox::SandboxEmulator> sandbox;
  std::unique_ptr<http::HttpClient> http;
  std::unique_ptr<VoiceAgentProvider> provider;
};

} // namespace vami::synthflow_emulator_testing
