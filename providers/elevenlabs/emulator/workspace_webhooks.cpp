// The ElevenLabs emulator's workspace webhooks and Agents Platform settings (see
// workspace_webhooks.hpp), in the shapes of `shared/specs/elevenlabs_openapi.json`.

#include "elevenlabs/emulator/workspace_webhooks.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "elevenlabs/emulator/wire.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox {

using namespace elevenlabs;

namespace {

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS workspace_webhooks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  webhook_url TEXT NOT NULL,
  auth_type TEXT NOT NULL,
  secret TEXT NOT NULL,
  is_disabled INTEGER NOT NULL DEFAULT 0,
  retry_enabled INTEGER,
  request_headers TEXT,
  events TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS convai_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  settings TEXT NOT NULL
);
)sql";

constexpr std::string_view k_hex = "0123456789abcdef";

// `WebhookEventType` and `WorkspaceWebhookEventType` of the API document.
constexpr std::string_view k_convai_events[] = {"transcript",
                                                "audio",
                                                "call_initiation_failure",
                                                "answering_machine_detection",
                                                "unredacted_transcript",
                                                "unredacted_audio"};
constexpr std::string_view k_workspace_events[] = {"voice_library_removal_notice", "speech_to_text",
                                                   "agent_qa", "flows"};

Json default_settings() {
  Json settings;
  settings["conversation_initiation_client_data_webhook"] = nullptr;
  settings["webhooks"] = Json{{"post_call_webhook_id", nullptr},
                              {"events", Json::array()},
                              {"transcript_format", "json"},
                              {"send_audio", nullptr}};
  settings["can_use_mcp_servers"] = false;
  settings["rag_retention_period_days"] = 10;
  settings["conversation_embedding_retention_days"] = nullptr;
  settings["default_livekit_stack"] = "standard";
  return settings;
}

// Whether `url` is https, or http to a loopback host.
bool acceptable_webhook_url(std::string_view url) {
  if (url.substr(0, 8) == "https://") {
    return url.size() > 8;
  }
  if (url.substr(0, 7) != "http://") {
    return false;
  }
  std::string_view rest = url.substr(7);
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = host.rfind('@'); at != std::string_view::npos) {
    host = host.substr(at + 1);
  }
  if (host.substr(0, 5) == "[::1]") {
    return true;
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.substr(0, 4) == "127.";
}

// An optional object of strings at `base + name` (`request_headers`); nullopt when absent or
// null.
std::optional<Json> headers_member(const Json& object, const char* name, const Json& base,
                                   Validation& validation) {
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) {
    return std::nullopt;
  }
  if (!found->is_object()) {
    validation.add(loc_of(base, name), "Input should be a valid dictionary", "dict_type");
    return std::nullopt;
  }
  for (const auto& [header, value] : found->items()) {
    if (!value.is_string()) {
      validation.add(loc_of(loc_of(base, name), header), "Input should be a valid string",
                     "string_type");
    }
  }
  return *found;
}

// An optional boolean at `base + name`; nullopt when absent or (if allowed) null.
std::optional<bool> bool_member(const Json& object, const char* name, const Json& base,
                                Validation& validation, Presence presence) {
  auto found = object.find(name);
  if (found == object.end()) {
    if (presence == Presence::required) {
      validation.add(loc_of(base, name), "Field required", "missing");
    }
    return std::nullopt;
  }
  if (found->is_null() && presence == Presence::optional) {
    return std::nullopt;
  }
  if (!found->is_boolean()) {
    validation.add(loc_of(base, name), "Input should be a valid boolean", "bool_type");
    return std::nullopt;
  }
  return found->get<bool>();
}

// An optional array of enum words at `base + name`.
template <std::size_t N>
std::optional<Json> events_member(const Json& object, const char* name, const Json& base,
                                  const std::string_view (&allowed)[N], Validation& validation) {
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) {
    return std::nullopt;
  }
  if (!found->is_array()) {
    validation.add(loc_of(base, name), "Input should be a valid list", "list_type");
    return std::nullopt;
  }
  std::string expected;
  for (std::string_view word : allowed) {
    expected += (expected.empty() ? "'" : ", '") + std::string(word) + "'";
  }
  for (std::size_t i = 0; i < found->size(); ++i) {
    const Json& item = (*found)[i];
    if (!item.is_string() || std::find(std::begin(allowed), std::end(allowed),
                                       item.get<std::string>()) == std::end(allowed)) {
      validation.add(loc_of(loc_of(base, name), static_cast<std::int64_t>(i)),
                     "Input should be " + expected, "enum");
    }
  }
  return *found;
}

Json parse_or(const SQLite::Column& column, Json fallback) {
  if (column.isNull()) {
    return fallback;
  }
  Json value = Json::parse(column.getString(), nullptr, false);
  return value.is_discarded() ? fallback : value;
}

} // namespace

WorkspaceSandbox::WorkspaceSandbox(SQLite::Database& db, std::mutex& mutex)
    : m_db(db), m_mutex(mutex) {}

void WorkspaceSandbox::create_schema(SQLite::Database& db) {
  db.exec(k_schema);
}

bool WorkspaceSandbox::handles(const std::vector<std::string>& segments) {
  if (segments.size() >= 3 && segments[0] == "v1" && segments[1] == "workspace" &&
      segments[2] == "webhooks") {
    return true;
  }
  return segments.size() == 3 && segments[0] == "v1" && segments[1] == "convai" &&
         segments[2] == "settings";
}

namespace {

// The stored settings (defaults when none were stored). Runs under the caller's lock.
Json load_settings(SQLite::Database& db) {
  SQLite::Statement select(db, "SELECT settings FROM convai_settings WHERE id = 1");
  Json settings = default_settings();
  if (select.executeStep()) {
    Json stored = parse_or(select.getColumn(0), Json::object());
    if (stored.is_object()) {
      for (auto& [name, value] : stored.items()) {
        settings[name] = value;
      }
    }
  }
  return settings;
}

void store_settings(SQLite::Database& db, const Json& settings) {
  SQLite::Statement upsert(db, "INSERT INTO convai_settings (id, settings) VALUES (1, ?) "
                               "ON CONFLICT (id) DO UPDATE SET settings = excluded.settings");
  upsert.bind(1, settings.dump());
  upsert.exec();
}

bool webhook_exists(SQLite::Database& db, const std::string& webhook_id) {
  SQLite::Statement select(db, "SELECT 1 FROM workspace_webhooks WHERE webhook_id = ?");
  select.bind(1, webhook_id);
  return select.executeStep();
}

[[noreturn]] void webhook_not_found(const std::string& webhook_id) {
  fail(404, "webhook_not_found", "Webhook with id " + webhook_id + " was not found");
}

http::HttpResponse ok_status() {
  return json_response(200, Json{{"status", "ok"}});
}

http::HttpResponse method_not_allowed() {
  return json_response(405, Json{{"detail", "Method Not Allowed"}});
}

} // namespace

http::HttpResponse WorkspaceSandbox::route(const std::string& method,
                                           const std::vector<std::string>& s,
                                           const http::HttpRequest& request, const Params& query) {
  if (s[1] == "convai") {
    if (method == "GET") {
      std::lock_guard lock(m_mutex);
      return json_response(200, load_settings(m_db));
    }
    if (method != "PATCH") {
      return method_not_allowed();
    }
    Json body = json_body(request, BodyPresence::required);
    Validation validation;
    const Json base = Json::array({"body"});
    Json changes = Json::object();
    if (auto hook = body.find("conversation_initiation_client_data_webhook"); hook != body.end()) {
      const Json loc = loc_of(base, "conversation_initiation_client_data_webhook");
      if (!hook->is_null()) {
        if (!hook->is_object()) {
          validation.add(loc, k_not_an_object, "model_attributes_type");
        } else {
          (void)string_member(*hook, "url", loc, validation, Presence::required);
          if (!hook->contains("request_headers")) {
            validation.add(loc_of(loc, "request_headers"), "Field required", "missing");
          } else if (!(*hook)["request_headers"].is_object()) {
            validation.add(loc_of(loc, "request_headers"), "Input should be a valid dictionary",
                           "dict_type");
          }
        }
      }
      changes["conversation_initiation_client_data_webhook"] = *hook;
    }
    std::optional<std::string> post_call_id;
    bool clears_post_call = false;
    Json webhook_changes = Json::object();
    if (auto hooks = body.find("webhooks"); hooks != body.end()) {
      const Json loc = loc_of(base, "webhooks");
      if (!hooks->is_object()) {
        validation.add(loc, k_not_an_object, "model_attributes_type");
      } else {
        if (auto id = hooks->find("post_call_webhook_id"); id != hooks->end()) {
          post_call_id = string_member(*hooks, "post_call_webhook_id", loc, validation,
                                       Presence::optional, Nullable::yes);
          clears_post_call = id->is_null();
          webhook_changes["post_call_webhook_id"] = *id;
        }
        if (auto events = events_member(*hooks, "events", loc, k_convai_events, validation)) {
          webhook_changes["events"] = *events;
        }
        if (auto format = hooks->find("transcript_format"); format != hooks->end()) {
          if (!format->is_string() || (*format != "json" && *format != "opentelemetry")) {
            validation.add(loc_of(loc, "transcript_format"),
                           "Input should be 'json' or 'opentelemetry'", "enum");
          } else {
            webhook_changes["transcript_format"] = *format;
          }
        }
        if (hooks->contains("send_audio")) {
          if (auto audio = bool_member(*hooks, "send_audio", loc, validation, Presence::optional)) {
            webhook_changes["send_audio"] = *audio;
          } else if ((*hooks)["send_audio"].is_null()) {
            webhook_changes["send_audio"] = nullptr;
          }
        }
      }
    }
    if (body.contains("can_use_mcp_servers")) {
      if (auto value =
              bool_member(body, "can_use_mcp_servers", base, validation, Presence::required)) {
        changes["can_use_mcp_servers"] = *value;
      }
    }
    if (auto days = body.find("rag_retention_period_days"); days != body.end()) {
      if (!days->is_number_integer() || *days <= 0 || *days > 30) {
        validation.add(loc_of(base, "rag_retention_period_days"),
                       "Input should be an integer greater than 0 and at most 30", "int_type");
      } else {
        changes["rag_retention_period_days"] = *days;
      }
    }
    if (auto days = body.find("conversation_embedding_retention_days"); days != body.end()) {
      if (!days->is_null() && (!days->is_number_integer() || *days <= 0 || *days > 365)) {
        validation.add(loc_of(base, "conversation_embedding_retention_days"),
                       "Input should be an integer greater than 0 and at most 365", "int_type");
      } else {
        changes["conversation_embedding_retention_days"] = *days;
      }
    }
    if (auto stack = body.find("default_livekit_stack"); stack != body.end()) {
      if (!stack->is_string() || (*stack != "standard" && *stack != "static")) {
        validation.add(loc_of(base, "default_livekit_stack"),
                       "Input should be 'standard' or 'static'", "enum");
      } else {
        changes["default_livekit_stack"] = *stack;
      }
    }
    validation.throw_if_any();

    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    if (post_call_id && !clears_post_call && !webhook_exists(m_db, *post_call_id)) {
      webhook_not_found(*post_call_id);
    }
    Json settings = load_settings(m_db);
    for (auto& [name, value] : changes.items()) {
      settings[name] = value;
    }
    for (auto& [name, value] : webhook_changes.items()) {
      settings["webhooks"][name] = value;
    }
    store_settings(m_db, settings);
    transaction.commit();
    return json_response(200, settings);
  }

  // /v1/workspace/webhooks[/{id}]
  if (s.size() == 3) {
    if (method == "GET") {
      Validation validation;
      const bool usages = bool_param(query, "include_usages", validation).value_or(false);
      validation.throw_if_any();
      std::lock_guard lock(m_mutex);
      const Json settings = load_settings(m_db);
      const Json attached = settings["webhooks"].value("post_call_webhook_id", Json(nullptr));
      SQLite::Statement select(m_db, "SELECT webhook_id, name, webhook_url, auth_type, "
                                     "is_disabled, created_at, events FROM workspace_webhooks "
                                     "ORDER BY seq");
      Json webhooks = Json::array();
      while (select.executeStep()) {
        Json item;
        item["name"] = select.getColumn(1).getString();
        item["webhook_id"] = select.getColumn(0).getString();
        item["webhook_url"] = select.getColumn(2).getString();
        item["is_disabled"] = select.getColumn(4).getInt() != 0;
        item["is_auto_disabled"] = false;
        item["created_at_unix"] = select.getColumn(5).getInt64();
        item["auth_type"] = select.getColumn(3).getString();
        if (usages) {
          Json usage = Json::array();
          if (attached.is_string() && attached == item["webhook_id"]) {
            usage.push_back(Json{{"usage_type", "ConvAI Settings"}});
          }
          item["usage"] = std::move(usage);
          item["events"] = parse_or(select.getColumn(6), Json::array());
        } else {
          item["usage"] = nullptr;
          item["events"] = nullptr;
        }
        item["most_recent_failure_error_code"] = nullptr;
        item["most_recent_failure_timestamp"] = nullptr;
        webhooks.push_back(std::move(item));
      }
      return json_response(200, Json{{"webhooks", std::move(webhooks)}});
    }
    if (method != "POST") {
      return method_not_allowed();
    }
    Json body = json_body(request, BodyPresence::required);
    Validation validation;
    const Json base = Json::array({"body"});
    auto settings = body.find("settings");
    if (settings == body.end()) {
      reject(loc_of(base, "settings"), "Field required", "missing");
    }
    const Json loc = loc_of(base, "settings");
    if (!settings->is_object()) {
      reject(loc, k_not_an_object, "model_attributes_type");
    }
    auto auth_type = string_member(*settings, "auth_type", loc, validation, Presence::required);
    if (auth_type && *auth_type != "hmac") {
      validation.add(loc_of(loc, "auth_type"), "Input should be 'hmac'", "literal_error");
    }
    auto name = string_member(*settings, "name", loc, validation, Presence::required);
    auto url = string_member(*settings, "webhook_url", loc, validation, Presence::required);
    if (url && !acceptable_webhook_url(*url)) {
      validation.add(loc_of(loc, "webhook_url"),
                     "Value error, the webhook URL must use https (http only for loopback hosts)",
                     "value_error");
    }
    auto headers = headers_member(*settings, "request_headers", loc, validation);
    validation.throw_if_any();

    const std::string webhook_id = random_text(k_hex, 32);
    const std::string secret = "wsec_" + random_text(k_hex, 64);
    std::lock_guard lock(m_mutex);
    SQLite::Statement insert(m_db, "INSERT INTO workspace_webhooks (webhook_id, name, webhook_url, "
                                   "auth_type, secret, request_headers, created_at) "
                                   "VALUES (?, ?, ?, 'hmac', ?, ?, ?)");
    insert.bind(1, webhook_id);
    insert.bind(2, *name);
    insert.bind(3, *url);
    insert.bind(4, secret);
    if (headers) {
      insert.bind(5, headers->dump());
    } else {
      insert.bind(5);
    }
    insert.bind(6, now_seconds());
    insert.exec();
    return json_response(200, Json{{"webhook_id", webhook_id}, {"webhook_secret", secret}});
  }
  if (s.size() != 4) {
    return json_response(404, Json{{"detail", "Not Found"}});
  }
  const std::string& webhook_id = s[3];
  if (method == "DELETE") {
    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    if (!webhook_exists(m_db, webhook_id)) {
      webhook_not_found(webhook_id);
    }
    SQLite::Statement remove(m_db, "DELETE FROM workspace_webhooks WHERE webhook_id = ?");
    remove.bind(1, webhook_id);
    remove.exec();
    Json settings = load_settings(m_db);
    if (settings["webhooks"].value("post_call_webhook_id", Json(nullptr)) == Json(webhook_id)) {
      settings["webhooks"]["post_call_webhook_id"] = nullptr;
      store_settings(m_db, settings);
    }
    transaction.commit();
    return ok_status();
  }
  if (method != "PATCH") {
    return method_not_allowed();
  }
  Json body = json_body(request, BodyPresence::required);
  Validation validation;
  const Json base = Json::array({"body"});
  auto disabled = bool_member(body, "is_disabled", base, validation, Presence::required);
  auto name = string_member(body, "name", base, validation, Presence::required);
  auto retry = bool_member(body, "retry_enabled", base, validation, Presence::optional);
  auto headers = headers_member(body, "request_headers", base, validation);
  auto events = events_member(body, "events", base, k_workspace_events, validation);
  validation.throw_if_any();

  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  if (!webhook_exists(m_db, webhook_id)) {
    webhook_not_found(webhook_id);
  }
  SQLite::Statement update(m_db, "UPDATE workspace_webhooks SET is_disabled = ?, name = ?, "
                                 "retry_enabled = coalesce(?, retry_enabled), "
                                 "request_headers = coalesce(?, request_headers), "
                                 "events = coalesce(?, events) WHERE webhook_id = ?");
  update.bind(1, *disabled ? 1 : 0);
  update.bind(2, *name);
  if (retry) {
    update.bind(3, *retry ? 1 : 0);
  } else {
    update.bind(3);
  }
  if (headers) {
    update.bind(4, headers->dump());
  } else {
    update.bind(4);
  }
  if (events) {
    update.bind(5, events->dump());
  } else {
    update.bind(5);
  }
  update.bind(6, webhook_id);
  update.exec();
  transaction.commit();
  return ok_status();
}

std::optional<PostCallWebhook> WorkspaceSandbox::post_call_webhook() {
  std::lock_guard lock(m_mutex);
  const Json settings = load_settings(m_db);
  const Json id = settings["webhooks"].value("post_call_webhook_id", Json(nullptr));
  if (!id.is_string()) {
    return std::nullopt;
  }
  SQLite::Statement select(m_db, "SELECT webhook_url, secret, request_headers FROM "
                                 "workspace_webhooks WHERE webhook_id = ? AND is_disabled = 0");
  select.bind(1, id.get<std::string>());
  if (!select.executeStep()) {
    return std::nullopt;
  }
  PostCallWebhook webhook;
  webhook.webhook_id = id.get<std::string>();
  webhook.url = select.getColumn(0).getString();
  webhook.secret = select.getColumn(1).getString();
  const Json headers = parse_or(select.getColumn(2), Json::object());
  if (headers.is_object()) {
    for (const auto& [name, value] : headers.items()) {
      if (value.is_string()) {
        webhook.request_headers.emplace_back(name, value.get<std::string>());
      }
    }
  }
  const Json events = settings["webhooks"].value("events", Json::array());
  for (const Json& event : events) {
    if (event.is_string()) {
      webhook.events.push_back(event.get<std::string>());
    }
  }
  return webhook;
}

} // namespace vami::sandbox
