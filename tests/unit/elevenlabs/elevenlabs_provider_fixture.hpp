#pragma once

// The fixture of the ElevenLabs client tests: a provider over a `FakeHttpClient`, and checks of
// its requests and of sample answers against the official OpenAPI document.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fake_http_client.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/elevenlabs_provider.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::elevenlabs::test_support {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr const char* k_api_key = "xi-key-canary-51c2e0";
constexpr const char* k_twilio_sid = "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr const char* k_twilio_token = "twilio-token-canary-9d1a";
constexpr const char* k_account_auth_token = "account-auth-canary-3b7e";
constexpr const char* k_base = "https://api.elevenlabs.test";

/// The official OpenAPI document, from $VAMI_SPECS_DIR or the shared/ folder beside the repo.
inline std::optional<json> load_spec(const std::string& file) {
  namespace fs = std::filesystem;
  std::vector<fs::path> folders;
  if (const char* dir = std::getenv("VAMI_SPECS_DIR"); dir != nullptr && *dir != '\0') {
    folders.emplace_back(dir);
  }
  // tests/unit/elevenlabs/<this file> -> <repo>/../shared/specs
  folders.push_back(fs::path(__FILE__).parent_path() / "../../../../shared/specs");
  folders.emplace_back("/work/main/../shared/specs");
  for (const auto& folder : folders) {
    std::ifstream in(folder / file);
    if (in) {
      return json::parse(in);
    }
  }
  return std::nullopt;
}

/// The schema a `$ref` ("#/components/schemas/X") points at, through chains of references.
inline const json& resolve(const json& spec, const json& schema) {
  const json* current = &schema;
  while (current->is_object() && current->contains("$ref")) {
    std::string ref = current->at("$ref").get<std::string>();
    current = &spec.at("components").at("schemas").at(ref.substr(ref.rfind('/') + 1));
  }
  return *current;
}

/// Checks `value` against `schema` of the document: types, enums, constants, minimum lengths,
/// required members, and no member the schema does not document. Adds one line per violation.
inline void conform(const json& spec, const json& raw_schema, const json& value,
                    const std::string& where, std::vector<std::string>& problems) {
  const json& schema = resolve(spec, raw_schema);
  for (const char* alternatives : {"anyOf", "oneOf"}) {
    if (schema.contains(alternatives)) {
      std::vector<std::string> first;
      for (const json& alternative : schema.at(alternatives)) {
        std::vector<std::string> found;
        conform(spec, alternative, value, where, found);
        if (found.empty()) {
          return;
        }
        if (first.empty()) {
          first = found;
        }
      }
      problems.push_back(where + ": matches none of " + alternatives +
                         " (first: " + (first.empty() ? "" : first.front()) + ")");
      return;
    }
  }
  if (schema.contains("const") && value != schema.at("const")) {
    problems.push_back(where + ": is not " + schema.at("const").dump());
  }
  if (schema.contains("enum")) {
    bool listed = false;
    for (const json& item : schema.at("enum")) {
      listed = listed || item == value;
    }
    if (!listed) {
      problems.push_back(where + ": " + value.dump() + " is not in " + schema.at("enum").dump());
    }
  }
  std::string type = schema.value("type", schema.contains("properties") ? "object" : "");
  if (type == "string") {
    if (!value.is_string()) {
      problems.push_back(where + ": is not a string");
    } else if (schema.contains("minLength") &&
               value.get<std::string>().size() < schema.at("minLength").get<std::size_t>()) {
      problems.push_back(where + ": is shorter than minLength");
    }
  } else if (type == "integer" && !value.is_number_integer()) {
    problems.push_back(where + ": is not an integer");
  } else if (type == "number" && !value.is_number()) {
    problems.push_back(where + ": is not a number");
  } else if (type == "boolean" && !value.is_boolean()) {
    problems.push_back(where + ": is not a boolean");
  } else if (type == "null" && !value.is_null()) {
    problems.push_back(where + ": is not null");
  } else if (type == "array") {
    if (!value.is_array()) {
      problems.push_back(where + ": is not an array");
    } else if (schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        conform(spec, schema.at("items"), value[i], where + "[" + std::to_string(i) + "]",
                problems);
      }
    }
  } else if (type == "object") {
    if (!value.is_object()) {
      problems.push_back(where + ": is not an object");
      return;
    }
    const json properties = schema.value("properties", json::object());
    for (const json& name : schema.value("required", json::array())) {
      if (!value.contains(name.get<std::string>())) {
        problems.push_back(where + "." + name.get<std::string>() + ": is required");
      }
    }
    for (const auto& [key, member] : value.items()) {
      if (properties.contains(key)) {
        conform(spec, properties.at(key), member, where + "." + key, problems);
      } else if (!properties.empty()) {
        problems.push_back(where + "." + key + ": is not documented");
      }
    }
  }
}

class ElevenLabsProviderTest : public ::testing::Test {
protected:
  ElevenLabsProviderTest() { m_provider = make_provider(full_config()); }

  static ElevenLabsConfig full_config() {
    ElevenLabsConfig config;
    config.api_key = k_api_key;
    config.base_url = std::string(k_base) + "/"; // a trailing slash must not double up
    config.twilio_sid = k_twilio_sid;
    config.twilio_token = k_twilio_token;
    return config;
  }

  std::unique_ptr<VoiceAgentProvider> make_provider(ElevenLabsConfig config) {
    return make_elevenlabs_provider(std::move(config), m_http);
  }

  void SetUp() override {
    // Parsed once for the whole suite: the document is large.
    static const std::optional<json> spec = load_spec("elevenlabs_openapi.json");
    m_spec = spec ? &*spec : nullptr;
  }

  [[nodiscard]] bool have_spec() const { return m_spec != nullptr; }

  /// The path of a request without the base URL and query ("/v1/voices").
  static std::string path_of(const http::HttpRequest& request) {
    EXPECT_THAT(request.url, StartsWith(std::string(k_base) + "/v1/"));
    std::string rest = request.url.substr(std::string(k_base).size());
    return rest.substr(0, rest.find('?'));
  }

  static Fields query_of(const http::HttpRequest& request) {
    auto mark = request.url.find('?');
    return mark == std::string::npos ? Fields{} : http::form_decode(request.url.substr(mark + 1));
  }

  static std::string header_of(const http::HttpRequest& request, const char* name) {
    return http::HttpResponse{0, request.headers, {}}.header(name);
  }

  /// The method, path, query and API key of `request`; no body unless `body_type` says which.
  static void expect_request(const http::HttpRequest& request, const std::string& method,
                             const std::string& path, const Fields& query = {}) {
    EXPECT_EQ(request.method, method);
    EXPECT_EQ(path_of(request), path);
    EXPECT_EQ(query_of(request), query);
    EXPECT_EQ(header_of(request, "xi-api-key"), k_api_key);
    EXPECT_EQ(header_of(request, "Authorization"), "") << "ElevenLabs takes the key in xi-api-key";
  }

  /// The JSON body of `request`, which must say it is JSON.
  static json json_body(const http::HttpRequest& request) {
    EXPECT_EQ(header_of(request, "Content-Type"), "application/json");
    json body = json::parse(request.body, nullptr, false);
    EXPECT_FALSE(body.is_discarded()) << request.body;
    return body;
  }

  static void expect_no_body(const http::HttpRequest& request) {
    EXPECT_EQ(request.body, "");
    EXPECT_EQ(header_of(request, "Content-Type"), "");
  }

  /// Checks `request` against operation `method` of `spec_path` in the official document: the
  /// path matches the template, every query parameter is documented, and a JSON body conforms
  /// to the request schema.
  void expect_documented(const http::HttpRequest& request, const std::string& spec_path,
                         const std::string& method) const {
    ASSERT_NE(m_spec, nullptr);
    ASSERT_TRUE(m_spec->at("paths").contains(spec_path)) << spec_path;
    const json& paths = m_spec->at("paths").at(spec_path);
    ASSERT_TRUE(paths.contains(method)) << method << " " << spec_path;
    const json& operation = paths.at(method);

    // "/v1/convai/agents/{agent_id}" matches "/v1/convai/agents/agent_1".
    std::string path = path_of(request);
    std::string pattern = spec_path;
    std::size_t at = 0;
    bool matches = true;
    for (std::size_t i = 0; i < pattern.size() && matches;) {
      if (pattern[i] == '{') {
        std::size_t close = pattern.find('}', i);
        std::size_t next = path.find('/', at);
        if (next == std::string::npos) {
          next = path.size();
        }
        matches = next > at;
        at = next;
        i = close + 1;
      } else {
        matches = at < path.size() && path[at] == pattern[i];
        ++at;
        ++i;
      }
    }
    EXPECT_TRUE(matches && at == path.size()) << path << " is not " << spec_path;

    for (const auto& [name, value] : query_of(request)) {
      bool documented = false;
      for (const json& parameter : operation.value("parameters", json::array())) {
        const json& resolved = resolve(*m_spec, parameter);
        documented = documented || (resolved.at("in") == "query" && resolved.at("name") == name);
      }
      EXPECT_TRUE(documented) << "query parameter " << name << " of " << spec_path;
    }

    if (!request.body.empty() && header_of(request, "Content-Type") == "application/json") {
      const json& schema =
          operation.at("requestBody").at("content").at("application/json").at("schema");
      std::vector<std::string> problems;
      conform(*m_spec, schema, json::parse(request.body), "body", problems);
      EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
    }
  }

  /// Checks `value` against the named component schema.
  void expect_conforms(const json& value, const std::string& schema_name) const {
    ASSERT_NE(m_spec, nullptr);
    std::vector<std::string> problems;
    conform(*m_spec, json{{"$ref", "#/components/schemas/" + schema_name}}, value, schema_name,
            problems);
    EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  }

  /// The `example` the document gives for a component schema.
  [[nodiscard]] json schema_example(const std::string& schema_name) const {
    return m_spec->at("components").at("schemas").at(schema_name).at("example");
  }

  /// Runs `action`, which must throw vami::Error, and returns that error.
  template <typename Action>
  static Error error_of(Action action) {
    try {
      action();
    } catch (const Error& error) {
      return error;
    }
    ADD_FAILURE() << "expected a vami::Error";
    return Error(ErrorKind::invalid_input, "no error was thrown");
  }

  test::FakeHttpClient m_http;
  std::unique_ptr<VoiceAgentProvider> m_provider;
  const json* m_spec = nullptr;
};

#define REQUIRE_SPEC()                                                                             \
  if (!have_spec()) {                                                                              \
    GTEST_SKIP() << "elevenlabs_openapi.json not found: set VAMI_SPECS_DIR";                       \
  }

/// A 422 body (`HTTPValidationError`) with `items` (`{loc, msg, type}`).
inline json validation_error(const std::vector<json>& items) {
  return json{{"detail", items}};
}

/// An error body of the `{"detail": {"status", "message"}}` kind.
inline json detail_error(const std::string& status, const std::string& message) {
  return json{{"detail", {{"status", status}, {"message", message}}}};
}

} // namespace vami::elevenlabs::test_support
