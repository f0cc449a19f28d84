// The ElevenLabs emulator's front: its schema, `xi-api-key` authentication and the routing of a
// request to its resources (voices, agents, knowledge base, phone numbers, conversations,
// register-call, workspace webhooks and settings).

#include "elevenlabs/emulator/elevenlabs_emulator.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elevenlabs/emulator/conversations.hpp"
#include "elevenlabs/emulator/elevenlabs_emulator_impl.hpp"
#include "elevenlabs/emulator/knowledge_base.hpp"
#include "elevenlabs/emulator/register_call.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include "elevenlabs/emulator/workspace_webhooks.hpp"
#include "sandbox/sandbox_util.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

namespace vami::sandbox {

using namespace elevenlabs; // NOLINT(google-build-using-namespace): this half's wire helpers

namespace {

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS convai_agents (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  agent_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  conversation_config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS convai_phone_numbers (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  phone_number_id TEXT NOT NULL UNIQUE,
  phone_number TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  twilio_number_sid TEXT NOT NULL,
  agent_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
  conversation_id TEXT NOT NULL PRIMARY KEY,
  agent_id TEXT NOT NULL,
  agent_name TEXT,
  start_time_unix_secs INTEGER NOT NULL,
  call_duration_secs INTEGER NOT NULL DEFAULT 0,
  message_count INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'done'
    CHECK (status IN ('initiated', 'in-progress', 'processing', 'done', 'failed')),
  call_successful TEXT NOT NULL DEFAULT 'unknown'
    CHECK (call_successful IN ('success', 'failure', 'unknown')),
  termination_reason TEXT NOT NULL DEFAULT '',
  direction TEXT CHECK (direction IN ('inbound', 'outbound')),
  transcript_summary TEXT,
  call_summary_title TEXT
);
CREATE INDEX IF NOT EXISTS conversations_by_start
  ON conversations (start_time_unix_secs, conversation_id);
)sql";

} // namespace

http::HttpResponse ElevenLabsSandbox::Impl::handle(const http::HttpRequest& request,
                                                   const std::string& path,
                                                   const std::string& query) {
  http::HttpResponse response;
  try {
    response = route(request, path, http::form_decode(query));
  } catch (RequestFailure& failure) {
    response = std::move(failure.response());
  } catch (const SQLite::Exception& e) {
    response =
        detail_error(500, "internal_error", std::string("sandbox state database: ") + e.what());
  } catch (const std::exception& e) {
    response = detail_error(500, "internal_error", e.what());
  }
  if (response.status != 204 && response.header("Content-Type").empty()) {
    response.headers.emplace_back("Content-Type", "application/json");
  }
  response.headers.emplace_back("request-id", random_text("0123456789abcdef", 32));
  return response;
}

void ElevenLabsSandbox::Impl::forget_twilio_number(const std::string& twilio_number_sid) {
  SQLite::Statement remove(m_db, "DELETE FROM convai_phone_numbers WHERE twilio_number_sid = ?");
  remove.bind(1, twilio_number_sid);
  remove.exec();
}

bool ElevenLabsSandbox::Impl::authenticated(const http::HttpRequest& request) const {
  return !m_api_key.empty() && header_value(request, "xi-api-key") == m_api_key;
}

http::HttpResponse ElevenLabsSandbox::Impl::route_not_found() {
  return json_response(404, Json{{"detail", "Not Found"}});
}

http::HttpResponse ElevenLabsSandbox::Impl::method_not_allowed() {
  return json_response(405, Json{{"detail", "Method Not Allowed"}});
}

http::HttpResponse ElevenLabsSandbox::Impl::route(const http::HttpRequest& request,
                                                  const std::string& path, const Params& query) {
  if (!authenticated(request)) {
    return detail_error(401, "invalid_api_key", "Invalid API key");
  }
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  const std::vector<std::string> s = split_path(path);
  auto is = [&](std::initializer_list<std::string_view> prefix) {
    return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin());
  };

  if (s.size() == 2 && is({"v1", "voices"})) {
    return method == "GET" ? list_voices() : method_not_allowed();
  }
  if (s.size() == 3 && is({"v1", "voices"})) {
    return method == "GET" ? get_voice(s[2]) : method_not_allowed();
  }
  if (s.size() == 2 && is({"v2", "voices"})) {
    return method == "GET" ? list_voices_v2(query) : method_not_allowed();
  }
  if (is({"v1", "convai", "agents"})) {
    if (s.size() == 3) {
      return method == "GET" ? list_agents(query) : method_not_allowed();
    }
    if (s.size() == 4 && s[3] == "create" && method == "POST") {
      return create_agent(request);
    }
    if (s.size() == 4) {
      if (method == "GET") {
        return get_agent(s[3]);
      }
      if (method == "PATCH") {
        return patch_agent(s[3], request);
      }
      if (method == "DELETE") {
        return delete_agent(s[3]);
      }
      return method_not_allowed();
    }
  }
  if (is({"v1", "convai", "knowledge-base"})) {
    return m_knowledge_base.route(method, s, request, query);
  }
  if (WorkspaceSandbox::handles(s)) {
    return m_workspace.route(method, s, request, query);
  }
  if (is({"v1", "convai", "phone-numbers"})) {
    if (s.size() == 3) {
      if (method == "GET") {
        return list_numbers(query);
      }
      return method == "POST" ? import_number(request) : method_not_allowed();
    }
    if (s.size() == 4) {
      if (method == "GET") {
        return get_number(s[3]);
      }
      if (method == "PATCH") {
        return patch_number(s[3], request);
      }
      if (method == "DELETE") {
        return delete_number(s[3]);
      }
      return method_not_allowed();
    }
  }
  if (s.size() == 3 && is({"v1", "convai", "conversations"})) {
    return method == "GET" ? list_conversations(query) : method_not_allowed();
  }
  if (s.size() == 4 && is({"v1", "convai", "twilio", "register-call"})) {
    if (method != "POST") {
      return method_not_allowed();
    }
    return register_twilio_call(request, [this](const std::string& agent_id) {
      std::lock_guard lock(m_mutex);
      return select_agent(agent_id).has_value();
    });
  }
  if (s.size() == 4 && s[0] == "v1" && s[1] == "convai" && s[2] == "conversations") {
    return method == "GET" ? get_conversation(s[3]) : method_not_allowed();
  }
  return route_not_found();
}

// -- What the knowledge base sees of the agents (connection locked, inside a transaction) -----

void ElevenLabsSandbox::Impl::remove_document_from_agent(const std::string& agent_id,
                                                         const std::string& document_id) {
  std::optional<AgentRow> agent = select_agent(agent_id);
  if (!agent) {
    return;
  }
  Json& entries = agent->config["agent"]["prompt"]["knowledge_base"];
  Json kept = Json::array();
  for (const Json& entry : entries) {
    if (entry.value("id", "") != document_id) {
      kept.push_back(entry);
    }
  }
  entries = std::move(kept);
  agent->updated_at = now_seconds();
  update_agent_row(*agent);
}

ElevenLabsSandbox::ElevenLabsSandbox(const EmulatorContext& context)
    : m_impl(std::make_unique<Impl>(context)) {}

ElevenLabsSandbox::~ElevenLabsSandbox() = default;

void ElevenLabsSandbox::create_schema(SQLite::Database& db) {
  db.exec(k_schema);
  conversations::create_schema(db);
  KnowledgeBaseSandbox::create_schema(db);
  WorkspaceSandbox::create_schema(db);
}

bool ElevenLabsSandbox::handles(std::string_view path) const {
  auto starts = [&](std::string_view prefix) { return path.substr(0, prefix.size()) == prefix; };
  return starts("/v1/convai/") || starts("/v1/voices") || starts("/v2/voices") ||
         path == "/v1/workspace/webhooks" || starts("/v1/workspace/webhooks/");
}

std::optional<FaultBody> ElevenLabsSandbox::fault_body(const RejectedRequest& fault) const {
  std::string status = "internal_server_error";
  std::string message = "An internal server error occurred. Please try again later.";
  if (fault.status == 429) {
    status = "too_many_concurrent_requests";
    message = fault.rate_limited
                  ? "Too many requests in a short time; the sandbox's rate limit was exceeded. "
                    "Please retry later."
                  : "Too many concurrent requests for this account. Please retry later.";
  } else if (fault.status == 503) {
    status = "service_unavailable";
    message = "The service is temporarily unavailable. Please try again later.";
  }
  nlohmann::ordered_json body;
  body["detail"]["status"] = status;
  body["detail"]["message"] = message;
  return FaultBody{body.dump(), {}};
}

http::HttpResponse ElevenLabsSandbox::handle(const http::HttpRequest& request,
                                             const std::string& path, const std::string& query) {
  return m_impl->handle(request, path, query);
}

std::optional<PostCallWebhook> ElevenLabsSandbox::post_call_webhook() {
  return m_impl->workspace().post_call_webhook();
}

void ElevenLabsSandbox::twilio_number_released(const std::string& twilio_number_sid) {
  m_impl->forget_twilio_number(twilio_number_sid);
}

} // namespace vami::sandbox
