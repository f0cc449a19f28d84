#pragma once

// The fixture of the Synthflow client tests: a provider over a `FakeHttpClient`, the answers
// Synthflow documents (../shared/specs/synthflow_openapi.json), and ways to read the requests.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fake_http_client.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/synthflow_provider.hpp>

namespace vami::synthflow::test_support {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using Fields = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* k_api_key = "sf-key-canary-7f3a91";
inline constexpr const char* k_workspace = "ws-1";
inline constexpr const char* k_base = "https://api.synthflow.test/v2";
inline constexpr const char* k_trunk = "vami-pool.pstn.twilio.com";

/// The marker description vami writes for `tags` and `knowledge` ("url:ID" words).
inline std::string marker(const std::string& tags, const std::string& knowledge = "") {
  return "Managed by vami; do not edit this description.\ntags:" +
         (tags.empty() ? "" : " " + tags) +
         "\nknowledge:" + (knowledge.empty() ? "" : " " + knowledge);
}

/// `{status: "ok", response: <response>}`: Synthflow's envelope.
inline std::string ok(const json& response) {
  return json{{"status", "ok"}, {"response", response}}.dump();
}

/// One agent as `GET /assistants/{id}` lists it.
inline json agent_item(const std::string& id, const std::string& name,
                       const std::string& description = "", const std::string& phone_number = "") {
  json item = {{"model_id", id},
               {"name", name},
               {"type", "inbound"},
               {"description", description},
               {"agent",
                {{"prompt", "Book appointments."},
                 {"greeting_message", "Hello."},
                 {"greeting_message_mode", "agent_static"},
                 {"voice_id", "v-1"},
                 {"language", "en-US"}}}};
  if (!phone_number.empty()) {
    item["phone_number"] = phone_number;
  }
  return item;
}

/// `{response: {pagination: {total_records, limit, offset}, <member>: items}}`.
inline std::string page(const char* member, const json& items, int total, int offset = 0,
                        int limit = 100) {
  return ok({{"pagination", {{"total_records", total}, {"limit", limit}, {"offset", offset}}},
             {member, items}});
}

/// The path of `url` without the base URL and the query.
inline std::string path_of(const http::HttpRequest& request) {
  std::string url = request.url.substr(std::string(k_base).size());
  return url.substr(0, url.find('?'));
}

/// The decoded query of `request`, in order.
inline Fields query_of(const http::HttpRequest& request) {
  auto mark = request.url.find('?');
  return mark == std::string::npos ? Fields{} : http::form_decode(request.url.substr(mark + 1));
}

/// The JSON body of `request`.
inline json body_of(const http::HttpRequest& request) {
  return json::parse(request.body);
}

/// "METHOD path" of every request, in order.
inline std::vector<std::string> calls_of(const test::FakeHttpClient& http) {
  std::vector<std::string> out;
  for (const http::HttpRequest& request : http.requests()) {
    out.push_back(request.method + " " + path_of(request));
  }
  return out;
}

/// A provider over a fake HTTP client, with the workspace and trunk set.
struct Fixture {
  test::FakeHttpClient http;
  std::unique_ptr<VoiceAgentProvider> provider;

  explicit Fixture(const std::string& workspace = k_workspace) {
    SynthflowConfig config;
    config.api_key = k_api_key;
    config.workspace_id = workspace;
    config.base_url = std::string(k_base) + "/";
    provider = make_synthflow_provider(config, http);
  }
};

/// The `vami::Error` `action` throws; a test failure when it throws none.
inline Error error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::interrupted, "no error thrown");
}

} // namespace vami::synthflow::test_support
