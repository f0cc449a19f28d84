#pragma once

// Private to the Synthflow emulator: its implementation class, split by resource over
// synthflow_emulator.cpp (schema, auth, routing, wire), agents.cpp, knowledge_base.cpp,
// numbers.cpp and voices_calls.cpp, and the wire helpers they share.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/sandbox_util.hpp"
#include "synthflow/emulator/synthflow_emulator.hpp"
#include <nlohmann/json.hpp>

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace SQLite {
class Database;
} // namespace SQLite

namespace vami::sandbox::synthflow {

/// JSON with members kept in insertion order, as the service writes them.
using Json = nlohmann::ordered_json;

/// A response with `body` serialised; the caller adds the headers.
[[nodiscard]] http::HttpResponse json_response(int status, const Json& body);
/// `{"status": "ok", "response": response}` with HTTP 200.
[[nodiscard]] http::HttpResponse ok(Json response);
/// `{"detail": {"status": "error", description, request_id, category}}` with `status`.
[[nodiscard]] http::HttpResponse error_response(int status, std::string_view category,
                                                const std::string& description);

/// Thrown to answer a request with an error response; `handle` catches it.
class RequestFailure {
public:
  /// Answers with `response`.
  explicit RequestFailure(http::HttpResponse response) : m_response(std::move(response)) {}
  /// The response to send.
  http::HttpResponse& response() { return m_response; }

private:
  http::HttpResponse m_response;
};

/// Throws RequestFailure(error_response(status, category, description)).
[[noreturn]] void fail(int status, std::string_view category, const std::string& description);

/// A new random id in UUID v4 form.
[[nodiscard]] std::string new_id();
/// The request body as a JSON object (an empty body reads as `{}`); 400 when it is not one.
[[nodiscard]] Json object_body(const http::HttpRequest& request);
/// The string member `name` of `body`, nullopt when absent; 422 when present but not a string.
[[nodiscard]] std::optional<std::string> text_field(const Json& body, const char* name);
/// The integer query parameter `name` (`fallback` when absent); 422 when not an integer in
/// [min, max].
[[nodiscard]] std::int64_t int_param(const Params& query, std::string_view name,
                                     std::int64_t fallback, std::int64_t min, std::int64_t max);
/// The required query parameter `name`; 422 when absent or empty.
[[nodiscard]] std::string required_param(const Params& query, std::string_view name);
/// `{total_records, limit, offset}`.
[[nodiscard]] Json pagination(std::int64_t total, std::int64_t limit, std::int64_t offset);
/// Whether `needle` occurs in `text`, ignoring ASCII case.
[[nodiscard]] bool contains_ignoring_case(std::string_view text, std::string_view needle);

} // namespace vami::sandbox::synthflow

namespace vami::sandbox {

/// The emulator itself (see `SynthflowSandbox`). Every resource method is called with the
/// mutex held, inside the request's transaction.
class SynthflowSandbox::Impl {
public:
  using Json = synthflow::Json;

  explicit Impl(const EmulatorContext& context)
      : m_db(context.db), m_mutex(context.mutex), m_api_key(context.setting("synthflow_api_key")),
        m_workspace_id(context.setting("synthflow_workspace_id")),
        m_webhook_secret(context.setting("synthflow_webhook_secret")) {}

  /// The workspace's webhook secret (signs its inbound and post-call webhooks).
  [[nodiscard]] const std::string& webhook_secret() const { return m_webhook_secret; }

  /// See `SynthflowSandbox::handle`.
  http::HttpResponse handle(const http::HttpRequest& request, const std::string& path,
                            const std::string& query);

  /// See `SynthflowSandbox::seed_numbers` (numbers.cpp); locks the mutex itself.
  SeededNumbers seed_numbers(int count);

private:
  http::HttpResponse route(const http::HttpRequest& request, const std::vector<std::string>& s,
                           const Params& query);
  /// 403 unless `workspace` is the sandbox's.
  void check_workspace(const std::string& workspace) const;

  // agents.cpp
  http::HttpResponse create_agent(const Json& body);
  http::HttpResponse list_agents(const Params& query);
  http::HttpResponse get_agent(const std::string& model_id);
  http::HttpResponse update_agent(const std::string& model_id, const Json& body);
  http::HttpResponse delete_agent(const std::string& model_id);
  /// The stored agent, or 404.
  Json require_agent(const std::string& model_id);
  /// Checks the members vami's contract constrains; `creating` requires type, name and agent.
  void validate_agent(const Json& body, bool creating);
  /// Gives `phone_number` (not empty) to `model_id` only, after checking the workspace has it.
  void take_number(const std::string& model_id, const std::string& phone_number);
  void store_agent(const std::string& model_id, const Json& agent);
  /// Every stored agent, oldest first.
  std::vector<Json> all_agents();

  // knowledge_base.cpp
  http::HttpResponse list_knowledge_bases(const Params& query);
  http::HttpResponse create_knowledge_base(const Json& body);
  http::HttpResponse get_knowledge_base(const std::string& id);
  http::HttpResponse update_knowledge_base(const std::string& id, const Json& body);
  http::HttpResponse delete_knowledge_base(const std::string& id);
  http::HttpResponse attach_knowledge_base(const std::string& id, const Params& query);
  http::HttpResponse detach_knowledge_base(const std::string& id, const Json& body);
  http::HttpResponse list_sources(const std::string& id, const Params& query);
  http::HttpResponse add_source(const std::string& id, const Json& body);
  http::HttpResponse delete_source(const std::string& id, const std::string& source_id);
  /// 404 unless the knowledge base exists.
  void require_knowledge_base(const std::string& id);

  // numbers.cpp
  http::HttpResponse list_numbers(const Params& query);
  http::HttpResponse get_number(const std::string& slug, const Params& query);
  http::HttpResponse delete_number(const std::string& slug);
  http::HttpResponse import_number(const Json& body);
  /// Whether the workspace holds `phone_number` (E.164).
  bool holds_number(const std::string& phone_number);

  // voices_calls.cpp
  http::HttpResponse list_voices(const Params& query);
  http::HttpResponse list_calls(const Params& query);
  http::HttpResponse get_call(const std::string& call_id);

  SQLite::Database& m_db;
  std::mutex& m_mutex;
  std::string m_api_key;        ///< The accepted `Authorization: Bearer` key.
  std::string m_workspace_id;   ///< The sandbox workspace's id.
  std::string m_webhook_secret; ///< Signs the workspace's webhooks.
};

} // namespace vami::sandbox
