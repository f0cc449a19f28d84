#pragma once

// Shared by the tests of the sandbox's ElevenLabs half: a client that speaks to an emulator as
// its accounts, and a checker of responses against ElevenLabs' API document.

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "temp_dir.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace vami::sandbox_testing {

namespace fs = std::filesystem;
using nlohmann::json;
using vami::http::HttpRequest;
using vami::http::HttpResponse;
using Fields = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* k_origin = "http://sandbox.test";
inline constexpr const char* k_inbound_url = "https://api.us.elevenlabs.io/twilio/inbound_call";

using vami::testing::TempDir;

inline std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex += k_hex[byte >> 4U];
    hex += k_hex[byte & 0xFU];
  }
  return hex;
}

inline bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// ---- The API document ------------------------------------------------------------------------

/// ElevenLabs' OpenAPI document, from $VAMI_SPECS_DIR or the shared/ folder beside the repo.
inline const json* elevenlabs_spec() {
  static const std::optional<json> spec = []() -> std::optional<json> {
    std::vector<fs::path> folders;
    if (const char* dir = std::getenv("VAMI_SPECS_DIR"); dir != nullptr && *dir != '\0') {
      folders.emplace_back(dir);
    }
    // tests/unit/sandbox/<this file> -> <repo>/../shared/specs
    folders.push_back(fs::path(__FILE__).parent_path() / "../../../../shared/specs");
    folders.emplace_back("/work/main/../shared/specs");
    for (const auto& folder : folders) {
      std::ifstream in(folder / "elevenlabs_openapi.json");
      if (in) {
        return json::parse(in);
      }
    }
    return std::nullopt;
  }();
  return spec ? &*spec : nullptr;
}

// A small JSON Schema checker for the parts of OpenAPI 3.1 the document uses in its responses:
// $ref, anyOf / oneOf / allOf, type, enum, const, required, properties and items.
class SchemaChecker {
public:
  explicit SchemaChecker(const json& spec) : m_spec(spec) {}

  void check(const json& schema, const json& value, const std::string& where,
             std::vector<std::string>& errors) const {
    if (schema.contains("$ref")) {
      std::string ref = schema.at("$ref").get<std::string>(); // "#/components/schemas/Name"
      const json& target = m_spec.at("components").at("schemas").at(ref.substr(ref.rfind('/') + 1));
      check(target, value, where, errors);
    }
    for (const char* combinator : {"anyOf", "oneOf"}) {
      if (schema.contains(combinator)) {
        bool any = false;
        for (const json& branch : schema.at(combinator)) {
          std::vector<std::string> branch_errors;
          check(branch, value, where, branch_errors);
          any = any || branch_errors.empty();
        }
        if (!any) {
          errors.push_back(where + ": matches no branch of " + combinator + ": " + value.dump());
        }
      }
    }
    if (schema.contains("allOf")) {
      for (const json& branch : schema.at("allOf")) {
        check(branch, value, where, errors);
      }
    }
    if (schema.contains("type") && !has_type(schema.at("type"), value)) {
      errors.push_back(where + ": expected " + schema.at("type").dump() + ", got " + value.dump());
      return;
    }
    if (schema.contains("enum") && std::find(schema.at("enum").begin(), schema.at("enum").end(),
                                             value) == schema.at("enum").end()) {
      errors.push_back(where + ": " + value.dump() + " is not in " + schema.at("enum").dump());
    }
    if (schema.contains("const") && schema.at("const") != value) {
      errors.push_back(where + ": expected the constant " + schema.at("const").dump());
    }
    if (value.is_object()) {
      for (const json& name : schema.value("required", json::array())) {
        if (!value.contains(name.get<std::string>())) {
          errors.push_back(where + ": missing required member " + name.get<std::string>());
        }
      }
      if (schema.contains("properties")) {
        for (const auto& [name, member] : value.items()) {
          if (schema.at("properties").contains(name)) {
            check(schema.at("properties").at(name), member, where + "." + name, errors);
          }
        }
      }
    }
    if (value.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        check(schema.at("items"), value[i], where + "[" + std::to_string(i) + "]", errors);
      }
    }
  }

private:
  static bool has_type(const json& type, const json& value) {
    if (type.is_array()) {
      return std::any_of(type.begin(), type.end(),
                         [&](const json& one) { return has_type(one, value); });
    }
    std::string name = type.get<std::string>();
    if (name == "string") {
      return value.is_string();
    }
    if (name == "integer") {
      return value.is_number_integer();
    }
    if (name == "number") {
      return value.is_number();
    }
    if (name == "boolean") {
      return value.is_boolean();
    }
    if (name == "array") {
      return value.is_array();
    }
    if (name == "object") {
      return value.is_object();
    }
    if (name == "null") {
      return value.is_null();
    }
    return true;
  }

  const json& m_spec;
};

/// Checks that `response` is one the document declares for `method path_template`: a declared
/// status and, for JSON bodies, a body matching that status's schema.
inline void expect_documented(const std::string& method, const std::string& path_template,
                              const HttpResponse& response) {
  const json* spec = elevenlabs_spec();
  if (spec == nullptr) {
    return; // the tests that need the document say so with GTEST_SKIP
  }
  const json& operation = spec->at("paths").at(path_template).at(method);
  std::string status = std::to_string(response.status);
  ASSERT_TRUE(operation.at("responses").contains(status))
      << method << " " << path_template << " does not document status " << status;
  const json& declared = operation.at("responses").at(status);
  if (!declared.contains("content")) {
    EXPECT_TRUE(response.body.empty()) << response.body;
    return;
  }
  std::vector<std::string> errors;
  SchemaChecker(*spec).check(declared.at("content").at("application/json").at("schema"),
                             json::parse(response.body), "$", errors);
  EXPECT_TRUE(errors.empty()) << method << " " << path_template << " " << status << ":\n"
                              << [&] {
                                   std::string text;
                                   for (const auto& error : errors) {
                                     text += error + "\n";
                                   }
                                   return text;
                                 }();
}

#define REQUIRE_SPEC()                                                                             \
  if (elevenlabs_spec() == nullptr) {                                                              \
    GTEST_SKIP() << "elevenlabs_openapi.json not found: set VAMI_SPECS_DIR";                       \
  }

// ---- Clients ---------------------------------------------------------------------------------

/// Speaks to one emulator as the sandbox's ElevenLabs and Twilio accounts.
class Client {
public:
  explicit Client(vami::sandbox::SandboxEmulator& emulator)
      : m_emulator(emulator), m_credentials(emulator.credentials()),
        m_api_key(m_credentials.value("elevenlabs_api_key")) {}

  void set_api_key(std::optional<std::string> key) { m_api_key = std::move(key); }
  [[nodiscard]] const vami::sandbox::SandboxCredentials& credentials() const {
    return m_credentials;
  }

  HttpResponse send(const std::string& method, const std::string& path, std::string body = {},
                    const std::string& content_type = "application/json") {
    HttpRequest request;
    request.method = method;
    request.url = k_origin + path;
    if (m_api_key) {
      request.headers.emplace_back("xi-api-key", *m_api_key);
    }
    if (!body.empty()) {
      request.headers.emplace_back("Content-Type", content_type);
    }
    request.body = std::move(body);
    return m_emulator.handle(request);
  }
  HttpResponse get(const std::string& path) { return send("GET", path); }
  HttpResponse post(const std::string& path, const json& body) {
    return send("POST", path, body.dump());
  }
  HttpResponse patch(const std::string& path, const json& body) {
    return send("PATCH", path, body.dump());
  }
  HttpResponse del(const std::string& path) { return send("DELETE", path); }

  /// Creates an agent and returns its id.
  std::string create_agent(const json& body) {
    HttpResponse response = post("/v1/convai/agents/create", body);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body).at("agent_id").get<std::string>();
  }
  std::string create_named_agent(const std::string& name) {
    return create_agent(json{{"name", name}, {"conversation_config", json::object()}});
  }

  /// Adds a text document and returns its id.
  std::string add_text(const std::string& text, const std::string& name) {
    HttpResponse response =
        post("/v1/convai/knowledge-base/text", {{"text", text}, {"name", name}});
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body).at("id").get<std::string>();
  }

  HttpResponse upload(const std::vector<vami::http::MultipartPart>& parts) {
    vami::http::MultipartBody body = vami::http::multipart_encode(parts);
    return send("POST", "/v1/convai/knowledge-base/file", body.body, body.content_type);
  }

  // -- Twilio side --

  HttpResponse twilio(const std::string& method, const std::string& path, const Fields& form = {}) {
    HttpRequest request;
    request.method = method;
    request.url = k_origin + twilio_account_path() + path;
    request.headers.emplace_back(
        "Authorization",
        vami::http::basic_authorization(m_credentials.account_sid, m_credentials.auth_token));
    if (!form.empty()) {
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      request.body = vami::http::form_encode(form);
    }
    return m_emulator.handle(request);
  }
  [[nodiscard]] std::string twilio_account_path() const {
    return "/2010-04-01/Accounts/" + m_credentials.account_sid;
  }

  /// Buys a number in area code 212; returns its {sid, E.164}.
  std::pair<std::string, std::string> buy_number() {
    HttpResponse response = twilio("POST", "/IncomingPhoneNumbers.json", {{"AreaCode", "212"}});
    EXPECT_EQ(response.status, 201) << response.body;
    json body = json::parse(response.body);
    return {body.at("sid").get<std::string>(), body.at("phone_number").get<std::string>()};
  }
  json twilio_number(const std::string& sid) {
    HttpResponse response = twilio("GET", "/IncomingPhoneNumbers/" + sid + ".json");
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body);
  }
  /// A valid number the account does not own.
  std::string unowned_number() {
    HttpResponse response = twilio("GET", "/AvailablePhoneNumbers/US/Local.json?AreaCode=415");
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body)
        .at("available_phone_numbers")
        .at(0)
        .at("phone_number")
        .get<std::string>();
  }

  /// The import body for `e164` with the account's SID and auth token.
  [[nodiscard]] json import_body(const std::string& e164) const {
    return json{{"phone_number", e164},
                {"label", "pool " + e164},
                {"sid", m_credentials.account_sid},
                {"token", m_credentials.auth_token},
                {"provider", "twilio"}};
  }
  std::string import_number(const std::string& e164) {
    HttpResponse response = post("/v1/convai/phone-numbers", import_body(e164));
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body).at("phone_number_id").get<std::string>();
  }

private:
  vami::sandbox::SandboxEmulator& m_emulator;
  vami::sandbox::SandboxCredentials m_credentials;
  std::optional<std::string> m_api_key;
};

/// Checks a `{"detail": {"status": code, "message": ...}}` error.
inline void expect_detail_error(const HttpResponse& response, int status, const std::string& code) {
  EXPECT_EQ(response.status, status) << response.body;
  json body = json::parse(response.body);
  ASSERT_TRUE(body.contains("detail") && body.at("detail").is_object()) << response.body;
  EXPECT_EQ(body.at("detail").at("status"), code) << response.body;
  EXPECT_FALSE(body.at("detail").at("message").get<std::string>().empty());
}

/// Checks a 422 whose errors include one at `loc` of `type`.
inline void expect_validation_error(const HttpResponse& response, const json& loc,
                                    const std::string& type) {
  EXPECT_EQ(response.status, 422) << response.body;
  json body = json::parse(response.body);
  ASSERT_TRUE(body.contains("detail") && body.at("detail").is_array()) << response.body;
  bool found = false;
  for (const json& error : body.at("detail")) {
    EXPECT_TRUE(error.at("msg").is_string() && !error.at("msg").get<std::string>().empty());
    found = found || (error.at("loc") == loc && error.at("type") == type);
  }
  EXPECT_TRUE(found) << "no " << type << " error at " << loc.dump() << " in " << response.body;
}

inline std::vector<std::string> ids_of(const json& items, const char* member) {
  std::vector<std::string> ids;
  for (const json& item : items) {
    ids.push_back(item.at(member).get<std::string>());
  }
  return ids;
}

class ElevenLabsSandboxTest : public ::testing::Test {
protected:
  ElevenLabsSandboxTest()
      : m_emulator(vami::sandbox::open_sandbox(state_path())), m_client(*m_emulator) {}

  [[nodiscard]] fs::path state_path() const { return m_dir.path() / "sandbox.db"; }

  TempDir m_dir;
  std::unique_ptr<vami::sandbox::SandboxEmulator> m_emulator;
  Client m_client;
};

} // namespace vami::sandbox_testing
