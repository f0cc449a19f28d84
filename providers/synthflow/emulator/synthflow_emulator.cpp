// The Synthflow emulator's front: its schema, the wire helpers of its half, `Authorization:
// Bearer` authentication and the routing of a request to its resources (agents, voices,
// knowledge bases, numbers, calls).

#include "synthflow/emulator/synthflow_emulator.hpp"

#include <cctype>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "synthflow/emulator/inbound_calls.hpp"
#include "synthflow/emulator/synthflow_emulator_impl.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

namespace vami::sandbox {

namespace synthflow {

namespace {

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS synthflow_agents (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS synthflow_knowledge_bases (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  rag_use_condition TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS synthflow_sources (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  knowledge_base_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('pdf', 'text', 'web')),
  name TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  content TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS synthflow_knowledge_agents (
  knowledge_base_id TEXT NOT NULL,
  model_id TEXT NOT NULL,
  PRIMARY KEY (knowledge_base_id, model_id)
);
CREATE TABLE IF NOT EXISTS synthflow_numbers (
  slug TEXT NOT NULL PRIMARY KEY,
  phone_number TEXT NOT NULL UNIQUE,
  friendly_name TEXT NOT NULL DEFAULT '',
  provider_name TEXT NOT NULL DEFAULT 'custom',
  sip_term_uri TEXT NOT NULL DEFAULT '',
  sid TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS synthflow_calls (
  call_id TEXT NOT NULL PRIMARY KEY,
  model_id TEXT NOT NULL,
  start_time_ms INTEGER NOT NULL,
  duration INTEGER NOT NULL DEFAULT 0,
  call_status TEXT NOT NULL DEFAULT 'completed',
  type_of_call TEXT NOT NULL DEFAULT 'inbound' CHECK (type_of_call IN ('inbound', 'outbound')),
  phone_number_from TEXT NOT NULL DEFAULT '',
  phone_number_to TEXT NOT NULL DEFAULT '',
  transcript TEXT NOT NULL DEFAULT '',
  end_call_reason TEXT NOT NULL DEFAULT 'human_ended_call'
);
)sql";

std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  while (out.size() < digits) {
    std::uint64_t value = generator();
    for (int i = 0; i < 16 && out.size() < digits; ++i) {
      out += k_hex[value & 0xFU];
      value >>= 4U;
    }
  }
  return out;
}

} // namespace

http::HttpResponse json_response(int status, const Json& body) {
  http::HttpResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

http::HttpResponse ok(Json response) {
  Json body;
  body["status"] = "ok";
  body["response"] = std::move(response);
  return json_response(200, body);
}

http::HttpResponse error_response(int status, std::string_view category,
                                  const std::string& description) {
  Json body;
  body["detail"]["status"] = "error";
  body["detail"]["description"] = description;
  body["detail"]["request_id"] = random_hex(32);
  body["detail"]["category"] = std::string(category);
  return json_response(status, body);
}

void fail(int status, std::string_view category, const std::string& description) {
  throw RequestFailure(error_response(status, category, description));
}

std::string new_id() {
  std::string hex = random_hex(32);
  hex[12] = '4';
  hex[16] = "89ab"[static_cast<unsigned char>(hex[16]) % 4];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Json object_body(const http::HttpRequest& request) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Json::object();
  }
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    fail(400, "validation", "the request body is not a JSON object");
  }
  return body;
}

std::optional<std::string> text_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_string()) {
    fail(422, "validation", std::string("'") + name + "' must be a string");
  }
  return it->get<std::string>();
}

std::int64_t int_param(const Params& query, std::string_view name, std::int64_t fallback,
                       std::int64_t min, std::int64_t max) {
  std::optional<std::string> value = param(query, name);
  if (!value) {
    return fallback;
  }
  if (value->empty() || value->size() > 18 ||
      value->find_first_not_of("0123456789") != std::string::npos) {
    fail(422, "validation", "'" + std::string(name) + "' must be an integer");
  }
  std::int64_t number = std::stoll(*value);
  if (number < min || number > max) {
    fail(422, "validation",
         "'" + std::string(name) + "' must be between " + std::to_string(min) + " and " +
             std::to_string(max));
  }
  return number;
}

std::string required_param(const Params& query, std::string_view name) {
  std::optional<std::string> value = param(query, name);
  if (!value || value->empty()) {
    fail(422, "validation", "the query parameter '" + std::string(name) + "' is required");
  }
  return *value;
}

Json pagination(std::int64_t total, std::int64_t limit, std::int64_t offset) {
  Json out;
  out["total_records"] = total;
  out["limit"] = limit;
  out["offset"] = offset;
  return out;
}

bool contains_ignoring_case(std::string_view text, std::string_view needle) {
  auto lower = [](std::string_view in) {
    std::string out(in);
    for (char& c : out) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
  };
  return lower(text).find(lower(needle)) != std::string::npos;
}

} // namespace synthflow

using namespace synthflow; // NOLINT(google-build-using-namespace): this half's wire helpers

SynthflowSandbox::SynthflowSandbox(const EmulatorContext& context)
    : m_impl(std::make_unique<Impl>(context)) {}

SynthflowSandbox::~SynthflowSandbox() = default;

void SynthflowSandbox::create_schema(SQLite::Database& db) {
  db.exec(k_schema);
}

bool SynthflowSandbox::handles(std::string_view path) const {
  return path.substr(0, k_synthflow_prefix.size()) == k_synthflow_prefix &&
         (path.size() == k_synthflow_prefix.size() || path[k_synthflow_prefix.size()] == '/');
}

std::optional<FaultBody> SynthflowSandbox::fault_body(const RejectedRequest& fault) const {
  std::string category = "internal";
  std::string description = "An internal server error occurred. Please try again later.";
  if (fault.status == 429) {
    category = "rate_limit";
    description = fault.rate_limited ? "Too many requests; the sandbox's rate limit was exceeded."
                                     : "Too many concurrent requests for this workspace.";
  } else if (fault.status == 503) {
    category = "unavailable";
    description = "The service is temporarily unavailable. Please try again later.";
  }
  nlohmann::ordered_json body;
  body["detail"]["status"] = "error";
  body["detail"]["description"] = description;
  body["detail"]["request_id"] = fault.request_id;
  body["detail"]["category"] = category;
  return FaultBody{body.dump(), {{"x-request-id", fault.request_id}}};
}

http::HttpResponse SynthflowSandbox::handle(const http::HttpRequest& request,
                                            const std::string& path, const std::string& query) {
  return m_impl->handle(request, path, query);
}

std::optional<SeededNumbers> SynthflowSandbox::seed_numbers(int count) {
  return m_impl->seed_numbers(count);
}

bool SynthflowSandbox::answers_sip_address(std::string_view sip_url) const {
  return synthflow_calls::is_synthflow_sip_url(sip_url);
}

void SynthflowSandbox::answer_sip(const CallContext& context, const InboundCall& call,
                                  const std::string& sip_url, CallProgress& progress) {
  (void)sip_url;
  const synthflow_calls::SipAnswer sip =
      synthflow_calls::answer({context.db, context.mutex, context.http, m_impl->webhook_secret()},
                              {call.to, call.from, call.line, call.started, call.seconds});
  progress.outcome = sip.outcome;
  progress.reason = sip.reason;
  progress.voice_webhook = sip.inbound_webhook;
  progress.dynamic_variables = sip.variables;
  progress.post_call = sip.post_call;
  if (sip.outcome == "connected") {
    progress.agent = CallAgent{sip.agent_id, sip.agent_name, sip.greeting};
    progress.conversation_id = sip.call_id;
  }
}

http::HttpResponse SynthflowSandbox::Impl::handle(const http::HttpRequest& request,
                                                  const std::string& path,
                                                  const std::string& query) {
  http::HttpResponse response;
  try {
    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    response = route(request, split_path(path.substr(k_synthflow_prefix.size())),
                     http::form_decode(query));
    transaction.commit();
  } catch (RequestFailure& failure) {
    response = std::move(failure.response());
  } catch (const SQLite::Exception& e) {
    response = error_response(500, "internal", std::string("sandbox state database: ") + e.what());
  } catch (const std::exception& e) {
    response = error_response(500, "internal", e.what());
  }
  response.headers.emplace_back("Content-Type", "application/json");
  std::string request_id = new_id();
  response.headers.emplace_back("x-request-id", request_id);
  return response;
}

void SynthflowSandbox::Impl::check_workspace(const std::string& workspace) const {
  if (workspace != m_workspace_id) {
    fail(403, "forbidden", "workspace " + workspace + " is not accessible with this API key");
  }
}

http::HttpResponse SynthflowSandbox::Impl::route(const http::HttpRequest& request,
                                                 const std::vector<std::string>& s,
                                                 const Params& query) {
  if (m_api_key.empty() || header_value(request, "Authorization") != "Bearer " + m_api_key) {
    return error_response(401, "authentication", "Invalid API key");
  }
  const std::string& method = request.method;
  auto not_allowed = [] { return json_response(405, Json{{"detail", "Method Not Allowed"}}); };
  const std::size_t n = s.size();
  const std::string first = n > 0 ? s[0] : std::string();
  if (first == "assistants") {
    if (n == 1) {
      if (method == "POST") {
        return create_agent(object_body(request));
      }
      return method == "GET" ? list_agents(query) : not_allowed();
    }
    if (n == 2) {
      if (method == "GET") {
        return get_agent(s[1]);
      }
      if (method == "PUT") {
        return update_agent(s[1], object_body(request));
      }
      return method == "DELETE" ? delete_agent(s[1]) : not_allowed();
    }
  } else if (first == "voices" && n == 1) {
    return method == "GET" ? list_voices(query) : not_allowed();
  } else if (first == "knowledge_base") {
    if (n == 1) {
      if (method == "POST") {
        return create_knowledge_base(object_body(request));
      }
      return method == "GET" ? list_knowledge_bases(query) : not_allowed();
    }
    if (n == 2) {
      if (method == "GET") {
        return get_knowledge_base(s[1]);
      }
      if (method == "PUT") {
        return update_knowledge_base(s[1], object_body(request));
      }
      return method == "DELETE" ? delete_knowledge_base(s[1]) : not_allowed();
    }
    if (n == 3 && s[2] == "attach") {
      return method == "POST" ? attach_knowledge_base(s[1], query) : not_allowed();
    }
    if (n == 3 && s[2] == "detach") {
      return method == "POST" ? detach_knowledge_base(s[1], object_body(request)) : not_allowed();
    }
    if (n == 3 && s[2] == "sources") {
      if (method == "POST") {
        return add_source(s[1], object_body(request));
      }
      return method == "GET" ? list_sources(s[1], query) : not_allowed();
    }
    if (n == 4 && s[2] == "sources") {
      return method == "DELETE" ? delete_source(s[1], s[3]) : not_allowed();
    }
  } else if (first == "numbers") {
    if (n == 1) {
      return method == "GET" ? list_numbers(query) : not_allowed();
    }
    if (n == 2) {
      if (method == "GET") {
        return get_number(s[1], query);
      }
      return method == "DELETE" ? delete_number(s[1]) : not_allowed();
    }
  } else if (first == "custom-numbers" && n == 1) {
    return method == "POST" ? import_number(object_body(request)) : not_allowed();
  } else if (first == "calls") {
    if (n == 1) {
      return method == "GET" ? list_calls(query) : not_allowed();
    }
    if (n == 2) {
      return method == "GET" ? get_call(s[1]) : not_allowed();
    }
  }
  return json_response(404, Json{{"detail", "Not Found"}});
}

} // namespace vami::sandbox
