#include "sandbox_elevenlabs.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox_conversations.hpp"
#include "sandbox_elevenlabs_calls.hpp"
#include "sandbox_elevenlabs_wire.hpp"
#include "sandbox_knowledge_base.hpp"
#include "sandbox_util.hpp"
#include "sandbox_workspace_webhooks.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>

namespace vami::sandbox {

namespace {

using namespace elevenlabs; // NOLINT(google-build-using-namespace): this half's wire helpers

constexpr std::int64_t k_default_voices_page_size = 10; // GET /v2/voices
// `TTSConversationalConfig.voice_id`'s default in the API document (the premade voice Eric).
constexpr std::string_view k_default_voice_id = "cjVigY5qzO86Huf0OWal";

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

// ---------------------------------------------------------------------------------------------
// The catalogue: ElevenLabs' public premade voices (ids and labels as the real API lists them).

struct PremadeVoice {
  std::string_view voice_id;
  std::string_view name;
  std::string_view gender;
  std::string_view accent;
  std::string_view age;
  std::string_view description; ///< The `description` label: one adjective.
  std::string_view use_case;
};

constexpr std::array<PremadeVoice, 22> k_voices = {{
    {"21m00Tcm4TlvDq8ikWAM", "Rachel", "female", "american", "young", "calm", "narration"},
    {"29vD33N1CtxCmqQRPOHJ", "Drew", "male", "american", "middle aged", "well-rounded", "news"},
    {"2EiwWnXFnvU5JabPnv8n", "Clyde", "male", "american", "middle aged", "war veteran",
     "characters"},
    {"5Q0t7uMcjvnagumLfvZi", "Paul", "male", "american", "middle aged", "authoritative", "news"},
    {"9BWtsMINqrJLrRacOk9x", "Aria", "female", "american", "middle aged", "expressive",
     "social media"},
    {"AZnzlk1XvdvUeBnXmlld", "Domi", "female", "american", "young", "strong", "narration"},
    {"CwhRBWXzGAHq8TQ4Fs18", "Roger", "male", "american", "middle aged", "confident",
     "social media"},
    {"EXAVITQu4vr4xnSDxMaL", "Sarah", "female", "american", "young", "soft", "news"},
    {"ErXwobaYiN019PkySvjV", "Antoni", "male", "american", "young", "well-rounded", "narration"},
    {"FGY2WhTYpPnrIDTdsKH5", "Laura", "female", "american", "young", "upbeat", "social media"},
    {"IKne3meq5aSn9XLyUdCD", "Charlie", "male", "australian", "middle aged", "natural",
     "conversational"},
    {"JBFqnCBsd6RMkjVDRZzb", "George", "male", "british", "middle aged", "warm", "narration"},
    {"SAz9YHcvj6GT2YYXdXww", "River", "non-binary", "american", "middle aged", "confident",
     "social media"},
    {"TX3LPaxmHKxFdv7VOQHJ", "Liam", "male", "american", "young", "articulate", "narration"},
    {"XB0fDUnXU5powFXDhCwa", "Charlotte", "female", "swedish", "young", "seductive", "characters"},
    {"Xb7hH8MSUJpSbSDYk0k2", "Alice", "female", "british", "middle aged", "confident", "news"},
    {"XrExE9yKIg1WjnnlVkGX", "Matilda", "female", "american", "middle aged", "friendly",
     "narration"},
    {"bIHbv24MWmeRgasZH58o", "Will", "male", "american", "young", "friendly", "social media"},
    {"cgSgspJ2msm6clMCkdW9", "Jessica", "female", "american", "young", "expressive",
     "conversational"},
    {"cjVigY5qzO86Huf0OWal", "Eric", "male", "american", "middle aged", "friendly",
     "conversational"},
    {"nPczCjzI2devNBz1zQrb", "Brian", "male", "american", "middle aged", "deep", "narration"},
    {"pNInz6obpgDQGcFmaJgB", "Adam", "male", "american", "middle aged", "deep", "narration"},
}};

const PremadeVoice* find_voice(std::string_view voice_id) {
  auto found = std::find_if(k_voices.begin(), k_voices.end(),
                            [&](const PremadeVoice& voice) { return voice.voice_id == voice_id; });
  return found == k_voices.end() ? nullptr : &*found;
}

// ISO 639-1, sorted for binary search.
constexpr std::array<std::string_view, 184> k_iso_639_1 = {
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu"};

// An ISO 639-1 code, optionally with a regional variant as ElevenLabs writes them ("pt-br").
bool is_known_language(std::string_view code) {
  std::string_view base = code.substr(0, code.find('-'));
  if (!std::binary_search(k_iso_639_1.begin(), k_iso_639_1.end(), base)) {
    return false;
  }
  if (base.size() == code.size()) {
    return true;
  }
  std::string_view region = code.substr(base.size() + 1);
  return region.size() >= 2 && region.size() <= 4 &&
         std::all_of(region.begin(), region.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

// `tags`: an array of strings or null; nullopt when absent or null.
std::optional<Json> tags_member(const Json& body, Validation& validation) {
  auto found = body.find("tags");
  if (found == body.end() || found->is_null()) {
    return std::nullopt;
  }
  if (!found->is_array()) {
    validation.add(Json::array({"body", "tags"}), "Input should be a valid list", "list_type");
    return std::nullopt;
  }
  for (std::size_t i = 0; i < found->size(); ++i) {
    if (!(*found)[i].is_string()) {
      validation.add(Json::array({"body", "tags", i}), "Input should be a valid string",
                     "string_type");
    }
  }
  return *found;
}

// ---------------------------------------------------------------------------------------------
// Agents' conversation_config.

// What the service fills in for the members vami reads, before the request's config is merged
// over it.
Json default_conversation_config() {
  Json prompt;
  prompt["prompt"] = "";
  prompt["llm"] = "gemini-2.0-flash-001";
  prompt["temperature"] = 0;
  prompt["max_tokens"] = -1;
  prompt["tool_ids"] = Json::array();
  prompt["knowledge_base"] = Json::array();
  Json agent;
  agent["first_message"] = "";
  agent["language"] = "en";
  agent["disable_first_message_interruptions"] = false;
  agent["prompt"] = std::move(prompt);
  Json tts;
  tts["model_id"] = "eleven_turbo_v2";
  tts["voice_id"] = k_default_voice_id;
  tts["agent_output_audio_format"] = "pcm_16000";
  tts["stability"] = 0.5;
  tts["speed"] = 1.0;
  tts["similarity_boost"] = 0.8;
  Json config;
  config["agent"] = std::move(agent);
  config["tts"] = std::move(tts);
  return config;
}

// PATCH semantics: objects merge member by member, recursively; arrays, scalars and null
// replace what was there.
void deep_merge(Json& target, const Json& patch) {
  if (!target.is_object() || !patch.is_object()) {
    target = patch;
    return;
  }
  for (const auto& [key, value] : patch.items()) {
    auto existing = target.find(key);
    if (existing != target.end() && existing->is_object() && value.is_object()) {
      deep_merge(*existing, value);
    } else {
      target[key] = value;
    }
  }
}

const Json* member_path(const Json& root, std::initializer_list<const char*> path) {
  const Json* node = &root;
  for (const char* key : path) {
    if (!node->is_object()) {
      return nullptr;
    }
    auto found = node->find(key);
    if (found == node->end()) {
      return nullptr;
    }
    node = &*found;
  }
  return node;
}

Json knowledge_base_loc(std::size_t index) {
  return Json::array({"body", "conversation_config", "agent", "prompt", "knowledge_base", index});
}

void validate_knowledge_base(const Json& entries, Validation& validation) {
  if (!entries.is_array()) {
    validation.add(
        Json::array({"body", "conversation_config", "agent", "prompt", "knowledge_base"}),
        "Input should be a valid list", "list_type");
    return;
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Json& entry = entries[i];
    Json base = knowledge_base_loc(i);
    if (!entry.is_object()) {
      validation.add(base, k_not_an_object, "model_attributes_type");
      continue;
    }
    auto type = string_member(entry, "type", base, validation, Presence::required);
    if (type && *type != "file" && *type != "url" && *type != "text" && *type != "folder") {
      validation.add(loc_of(base, "type"), "Input should be 'file', 'url', 'text' or 'folder'",
                     "enum");
    }
    (void)string_member(entry, "name", base, validation, Presence::required);
    (void)string_member(entry, "id", base, validation, Presence::required);
    auto usage = string_member(entry, "usage_mode", base, validation, Presence::optional);
    if (usage && *usage != "prompt" && *usage != "auto") {
      validation.add(loc_of(base, "usage_mode"), "Input should be 'prompt' or 'auto'", "enum");
    }
  }
}

// Checks the members of a (partial) conversation_config that the sandbox models; the others
// are stored as sent.
void validate_conversation_config(const Json& config, Validation& validation) {
  const Json base = Json::array({"body", "conversation_config"});
  if (!config.is_object()) {
    validation.add(base, k_not_an_object, "model_attributes_type");
    return;
  }
  if (auto agent = config.find("agent"); agent != config.end()) {
    Json agent_loc = loc_of(base, "agent");
    if (!agent->is_object()) {
      validation.add(agent_loc, k_not_an_object, "model_attributes_type");
    } else {
      (void)string_member(*agent, "first_message", agent_loc, validation, Presence::optional);
      auto language = string_member(*agent, "language", agent_loc, validation, Presence::optional);
      if (language && !is_known_language(*language)) {
        validation.add(loc_of(agent_loc, "language"),
                       "Value error, '" + *language +
                           "' is not a supported language: use an ISO 639-1 code such as 'en'",
                       "value_error");
      }
      if (auto prompt = agent->find("prompt"); prompt != agent->end()) {
        Json prompt_loc = loc_of(agent_loc, "prompt");
        if (!prompt->is_object()) {
          validation.add(prompt_loc, k_not_an_object, "model_attributes_type");
        } else {
          (void)string_member(*prompt, "prompt", prompt_loc, validation, Presence::optional);
          if (auto entries = prompt->find("knowledge_base"); entries != prompt->end()) {
            validate_knowledge_base(*entries, validation);
          }
        }
      }
    }
  }
  if (auto tts = config.find("tts"); tts != config.end()) {
    Json tts_loc = loc_of(base, "tts");
    if (!tts->is_object()) {
      validation.add(tts_loc, k_not_an_object, "model_attributes_type");
    } else {
      auto voice_id = string_member(*tts, "voice_id", tts_loc, validation, Presence::optional);
      if (voice_id && !voice_id->empty() && find_voice(*voice_id) == nullptr) {
        validation.add(loc_of(tts_loc, "voice_id"),
                       "Value error, voice '" + *voice_id +
                           "' was not found: GET /v1/voices lists the voices you can use",
                       "value_error");
      }
    }
  }
}

// The knowledge_base entries of a stored (validated) config; empty when it has none.
Json knowledge_base_of(const Json& config) {
  const Json* entries = member_path(config, {"agent", "prompt", "knowledge_base"});
  return entries != nullptr && entries->is_array() ? *entries : Json::array();
}

// Entries without a usage_mode get the schema's default, as the service stores them.
void normalize_knowledge_base(Json& config) {
  if (!config.contains("agent") || !config["agent"].contains("prompt") ||
      !config["agent"]["prompt"].contains("knowledge_base")) {
    return;
  }
  for (Json& entry : config["agent"]["prompt"]["knowledge_base"]) {
    if (!entry.contains("usage_mode")) {
      entry["usage_mode"] = "auto";
    }
  }
}

std::string voice_of(const Json& config) {
  const Json* voice = member_path(config, {"tts", "voice_id"});
  return voice != nullptr && voice->is_string() ? voice->get<std::string>() : std::string();
}

Json voice_json(const PremadeVoice& voice) {
  Json labels;
  labels["accent"] = voice.accent;
  labels["description"] = voice.description;
  labels["age"] = voice.age;
  labels["gender"] = voice.gender;
  labels["use_case"] = voice.use_case;
  Json body;
  body["voice_id"] = voice.voice_id;
  body["name"] = voice.name;
  body["samples"] = nullptr;
  body["category"] = "premade";
  body["fine_tuning"] = nullptr;
  body["labels"] = std::move(labels);
  body["description"] = std::string(voice.description) + ", " + std::string(voice.age) + " " +
                        std::string(voice.accent) + " " + std::string(voice.gender) +
                        " voice for " + std::string(voice.use_case);
  body["preview_url"] = nullptr;
  body["available_for_tiers"] = Json::array();
  body["settings"] = nullptr;
  body["sharing"] = nullptr;
  body["high_quality_base_model_ids"] =
      Json::array({"eleven_turbo_v2", "eleven_multilingual_v2", "eleven_turbo_v2_5",
                   "eleven_flash_v2", "eleven_flash_v2_5"});
  body["verified_languages"] = Json::array();
  body["is_owner"] = false;
  body["is_legacy"] = false;
  body["is_mixed"] = false;
  body["created_at_unix"] = nullptr;
  return body;
}

// ---------------------------------------------------------------------------------------------
// Rows.

struct AgentRow {
  std::int64_t seq = 0;
  std::string agent_id;
  std::string name;
  Json tags = Json::array();
  Json config = Json::object();
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

constexpr const char* k_agent_columns =
    "seq, agent_id, name, tags, conversation_config, created_at, updated_at";

AgentRow read_agent(SQLite::Statement& statement) {
  AgentRow row;
  row.seq = statement.getColumn(0).getInt64();
  row.agent_id = statement.getColumn(1).getString();
  row.name = statement.getColumn(2).getString();
  row.tags = Json::parse(statement.getColumn(3).getString(), nullptr, false);
  if (!row.tags.is_array()) {
    row.tags = Json::array();
  }
  row.config = Json::parse(statement.getColumn(4).getString(), nullptr, false);
  if (!row.config.is_object()) {
    row.config = Json::object();
  }
  row.created_at = statement.getColumn(5).getInt64();
  row.updated_at = statement.getColumn(6).getInt64();
  return row;
}

struct PhoneRow {
  std::string phone_number_id;
  std::string phone_number;
  std::string label;
  std::string twilio_number_sid;
  std::optional<std::string> agent_id;
  std::string agent_name;
};

// Joined with the agents for the assigned agent's name.
constexpr const char* k_phone_select =
    "SELECT p.phone_number_id, p.phone_number, p.label, p.twilio_number_sid, p.agent_id, "
    "coalesce(a.name, '') FROM convai_phone_numbers p "
    "LEFT JOIN convai_agents a ON a.agent_id = p.agent_id";

PhoneRow read_phone(SQLite::Statement& statement) {
  PhoneRow row;
  row.phone_number_id = statement.getColumn(0).getString();
  row.phone_number = statement.getColumn(1).getString();
  row.label = statement.getColumn(2).getString();
  row.twilio_number_sid = statement.getColumn(3).getString();
  if (!statement.getColumn(4).isNull()) {
    row.agent_id = statement.getColumn(4).getString();
  }
  row.agent_name = statement.getColumn(5).getString();
  return row;
}

Json phone_json(const PhoneRow& row) {
  Json body;
  body["phone_number"] = row.phone_number;
  body["label"] = row.label;
  body["supports_inbound"] = true;
  body["supports_outbound"] = true;
  body["phone_number_id"] = row.phone_number_id;
  if (row.agent_id) {
    body["assigned_agent"] = Json{{"agent_id", *row.agent_id}, {"agent_name", row.agent_name}};
  } else {
    body["assigned_agent"] = nullptr;
  }
  body["provider"] = "twilio";
  return body;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The emulator.

class ElevenLabsSandbox::Impl final : private AgentKnowledgeView {
public:
  Impl(SQLite::Database& db, std::mutex& mutex, TwilioAccountView& twilio,
       SandboxCredentials credentials)
      : m_db(db), m_mutex(mutex), m_twilio(twilio), m_credentials(std::move(credentials)),
        m_knowledge_base(db, mutex, static_cast<AgentKnowledgeView&>(*this)),
        m_workspace(db, mutex) {}

  WorkspaceSandbox& workspace() { return m_workspace; }

  http::HttpResponse handle(const http::HttpRequest& request, const std::string& path,
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

  void forget_twilio_number(const std::string& twilio_number_sid) {
    SQLite::Statement remove(m_db, "DELETE FROM convai_phone_numbers WHERE twilio_number_sid = ?");
    remove.bind(1, twilio_number_sid);
    remove.exec();
  }

private:
  bool authenticated(const http::HttpRequest& request) const {
    return !m_credentials.elevenlabs_api_key.empty() &&
           header_value(request, "xi-api-key") == m_credentials.elevenlabs_api_key;
  }

  static http::HttpResponse route_not_found() {
    return json_response(404, Json{{"detail", "Not Found"}});
  }
  static http::HttpResponse method_not_allowed() {
    return json_response(405, Json{{"detail", "Method Not Allowed"}});
  }

  http::HttpResponse route(const http::HttpRequest& request, const std::string& path,
                           const Params& query) {
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

  // -- Voices ----------------------------------------------------------------------------------

  static http::HttpResponse list_voices() {
    Json voices = Json::array();
    for (const PremadeVoice& voice : k_voices) {
      voices.push_back(voice_json(voice));
    }
    return json_response(200, Json{{"voices", std::move(voices)}});
  }

  static http::HttpResponse get_voice(const std::string& voice_id) {
    const PremadeVoice* voice = find_voice(voice_id);
    if (voice == nullptr) {
      fail(404, "voice_not_found", "A voice with the voice_id " + voice_id + " was not found.");
    }
    return json_response(200, voice_json(*voice));
  }

  static http::HttpResponse list_voices_v2(const Params& query) {
    Validation validation;
    std::int64_t page_size = page_size_param(query, k_default_voices_page_size, validation);
    std::size_t offset = 0;
    if (auto token = param(query, "next_page_token"); token && !token->empty()) {
      auto key = decode_cursor(*token);
      auto parsed = key ? parse_integer(*key) : std::nullopt;
      if (!parsed || *parsed < 0) {
        validation.add(Json::array({"query", "next_page_token"}),
                       "Value error, the page token is not one this API returned", "value_error");
      } else {
        offset = static_cast<std::size_t>(*parsed);
      }
    }
    validation.throw_if_any();

    std::string search = param(query, "search").value_or("");
    std::vector<std::string> voice_ids = all_params(query, "voice_ids");
    std::vector<const PremadeVoice*> matches;
    for (const PremadeVoice& voice : k_voices) {
      auto label_filter = [&](const char* name, std::string_view value) {
        auto wanted = param(query, name);
        return !wanted || wanted->empty() || iequals(*wanted, value);
      };
      bool searched = search.empty() || contains_ignoring_case(voice.name, search) ||
                      contains_ignoring_case(voice.description, search) ||
                      contains_ignoring_case(voice.accent, search) ||
                      contains_ignoring_case(voice.gender, search) ||
                      contains_ignoring_case(voice.use_case, search) ||
                      contains_ignoring_case("premade", search);
      bool listed = voice_ids.empty() || std::find(voice_ids.begin(), voice_ids.end(),
                                                   voice.voice_id) != voice_ids.end();
      if (searched && listed && label_filter("category", "premade") &&
          label_filter("gender", voice.gender) && label_filter("age", voice.age) &&
          label_filter("accent", voice.accent)) {
        matches.push_back(&voice);
      }
    }
    Json voices = Json::array();
    auto size = static_cast<std::size_t>(page_size);
    for (std::size_t i = offset; i < matches.size() && i < offset + size; ++i) {
      voices.push_back(voice_json(*matches[i]));
    }
    bool has_more = offset + size < matches.size();
    Json body;
    body["voices"] = std::move(voices);
    body["has_more"] = has_more;
    body["total_count"] = matches.size();
    body["next_page_token"] =
        has_more ? Json(encode_cursor(std::to_string(offset + size))) : Json(nullptr);
    return json_response(200, body);
  }

  // -- Agents ----------------------------------------------------------------------------------

  // Connection locked by the caller.
  std::optional<AgentRow> select_agent(const std::string& agent_id) {
    SQLite::Statement select(m_db, std::string("SELECT ") + k_agent_columns +
                                       " FROM convai_agents WHERE agent_id = ?");
    select.bind(1, agent_id);
    if (!select.executeStep()) {
      return std::nullopt;
    }
    return read_agent(select);
  }

  [[noreturn]] static void agent_not_found(const std::string& agent_id) {
    fail(404, "agent_not_found", "Agent with id " + agent_id + " was not found");
  }

  AgentRow require_agent(const std::string& agent_id) {
    auto row = select_agent(agent_id);
    if (!row) {
      agent_not_found(agent_id);
    }
    return *row;
  }

  // Every knowledge-base entry must name an existing document of the same type: 404 for an
  // unknown id, as for any other unknown resource. Connection locked by the caller.
  void check_documents(const Json& config) {
    Json entries = knowledge_base_of(config);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const Json& entry = entries[i];
      std::string id = entry.value("id", "");
      SQLite::Statement select(m_db, "SELECT type FROM convai_documents WHERE document_id = ?");
      select.bind(1, id);
      if (!select.executeStep()) {
        fail(404, "document_not_found",
             "Knowledge base document " + id +
                 " was not found; add it to the knowledge base first");
      }
      std::string type = select.getColumn(0).getString();
      if (entry.value("type", "") != type) {
        reject(loc_of(knowledge_base_loc(i), "type"),
               "Value error, document " + id + " is of type '" + type + "', not '" +
                   entry.value("type", "") + "'",
               "value_error");
      }
    }
  }

  void save_agent_documents(const std::string& agent_id, const Json& config) {
    SQLite::Statement remove(m_db, "DELETE FROM convai_agent_documents WHERE agent_id = ?");
    remove.bind(1, agent_id);
    remove.exec();
    for (const Json& entry : knowledge_base_of(config)) {
      SQLite::Statement insert(m_db, "INSERT OR IGNORE INTO convai_agent_documents "
                                     "(agent_id, document_id) VALUES (?, ?)");
      insert.bind(1, agent_id);
      insert.bind(2, entry.value("id", ""));
      insert.exec();
    }
  }

  void update_agent_row(const AgentRow& row) {
    SQLite::Statement update(m_db, "UPDATE convai_agents SET name = ?, tags = ?, "
                                   "conversation_config = ?, updated_at = ? WHERE agent_id = ?");
    update.bind(1, row.name);
    update.bind(2, row.tags.dump());
    update.bind(3, row.config.dump(-1, ' ', false, Json::error_handler_t::replace));
    update.bind(4, static_cast<std::int64_t>(row.updated_at));
    update.bind(5, row.agent_id);
    update.exec();
  }

  std::vector<PhoneRow> select_phones(const std::string& where, const std::string& bound) {
    SQLite::Statement select(m_db, std::string(k_phone_select) + where + " ORDER BY p.seq");
    if (!bound.empty()) {
      select.bind(1, bound);
    }
    std::vector<PhoneRow> rows;
    while (select.executeStep()) {
      rows.push_back(read_phone(select));
    }
    return rows;
  }

  // GetAgentResponseModel. Connection locked by the caller.
  Json agent_json(const AgentRow& row) {
    Json phones = Json::array();
    for (const PhoneRow& phone : select_phones(" WHERE p.agent_id = ?", row.agent_id)) {
      phones.push_back(phone_json(phone));
    }
    Json body;
    body["agent_id"] = row.agent_id;
    body["name"] = row.name;
    body["conversation_config"] = row.config;
    body["metadata"] =
        Json{{"created_at_unix_secs", row.created_at}, {"updated_at_unix_secs", row.updated_at}};
    body["platform_settings"] = Json::object();
    body["phone_numbers"] = std::move(phones);
    body["access_info"] = access_info();
    body["tags"] = row.tags;
    body["version_id"] = nullptr;
    body["branch_id"] = nullptr;
    return body;
  }

  http::HttpResponse create_agent(const http::HttpRequest& request) {
    Json body = json_body(request, BodyPresence::required);
    Validation validation;
    auto config_member = body.find("conversation_config");
    if (config_member == body.end()) {
      validation.add(Json::array({"body", "conversation_config"}), "Field required", "missing");
    } else {
      validate_conversation_config(*config_member, validation);
    }
    auto name = string_member(body, "name", Json::array({"body"}), validation, Presence::optional,
                              Nullable::yes);
    auto tags = tags_member(body, validation);
    validation.throw_if_any();

    AgentRow row;
    row.agent_id = "agent_" + random_text(k_lower_alnum, 28);
    row.name = name.value_or("");
    row.tags = tags.value_or(Json::array());
    row.config = default_conversation_config();
    deep_merge(row.config, *config_member);
    normalize_knowledge_base(row.config);
    row.created_at = now_seconds();
    row.updated_at = row.created_at;

    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    check_documents(row.config);
    SQLite::Statement insert(m_db, "INSERT INTO convai_agents (agent_id, name, tags, "
                                   "conversation_config, created_at, updated_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?)");
    insert.bind(1, row.agent_id);
    insert.bind(2, row.name);
    insert.bind(3, row.tags.dump());
    insert.bind(4, row.config.dump(-1, ' ', false, Json::error_handler_t::replace));
    insert.bind(5, static_cast<std::int64_t>(row.created_at));
    insert.bind(6, static_cast<std::int64_t>(row.updated_at));
    insert.exec();
    save_agent_documents(row.agent_id, row.config);
    transaction.commit();
    return json_response(200, Json{{"agent_id", row.agent_id}});
  }

  http::HttpResponse get_agent(const std::string& agent_id) {
    std::lock_guard lock(m_mutex);
    return json_response(200, agent_json(require_agent(agent_id)));
  }

  http::HttpResponse patch_agent(const std::string& agent_id, const http::HttpRequest& request) {
    Json body = json_body(request, BodyPresence::optional);
    Validation validation;
    auto config_member = body.find("conversation_config");
    if (config_member != body.end()) {
      validate_conversation_config(*config_member, validation);
    }
    auto name = string_member(body, "name", Json::array({"body"}), validation, Presence::optional,
                              Nullable::yes);
    auto tags = tags_member(body, validation);
    validation.throw_if_any();

    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    AgentRow row = require_agent(agent_id);
    if (config_member != body.end()) {
      deep_merge(row.config, *config_member);
      normalize_knowledge_base(row.config);
      check_documents(row.config);
    }
    if (name) {
      row.name = *name;
    }
    if (tags) {
      row.tags = *tags;
    }
    row.updated_at = now_seconds();
    update_agent_row(row);
    save_agent_documents(row.agent_id, row.config);
    Json response = agent_json(row);
    transaction.commit();
    return json_response(200, response);
  }

  http::HttpResponse delete_agent(const std::string& agent_id) {
    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement remove(m_db, "DELETE FROM convai_agents WHERE agent_id = ?");
    remove.bind(1, agent_id);
    if (remove.exec() == 0) {
      agent_not_found(agent_id);
    }
    SQLite::Statement documents(m_db, "DELETE FROM convai_agent_documents WHERE agent_id = ?");
    documents.bind(1, agent_id);
    documents.exec();
    // Its numbers stay imported, without an agent: calls to them are no longer answered.
    SQLite::Statement numbers(m_db,
                              "UPDATE convai_phone_numbers SET agent_id = NULL WHERE agent_id = ?");
    numbers.bind(1, agent_id);
    numbers.exec();
    transaction.commit();
    http::HttpResponse response;
    response.status = 204;
    return response;
  }

  http::HttpResponse list_agents(const Params& query) {
    Validation validation;
    std::int64_t page_size = page_size_param(query, k_default_page_size, validation);
    SortDirection direction = sort_direction_param(query, validation);
    std::optional<std::string> cursor = cursor_param(query, validation);
    std::optional<std::int64_t> after_seq;
    if (cursor) {
      after_seq = parse_integer(*cursor);
      if (!after_seq) {
        validation.add(Json::array({"query", "cursor"}),
                       "Value error, the cursor is not one this API returned", "value_error");
      }
    }
    validation.throw_if_any();
    std::string search = param(query, "search").value_or("");
    std::vector<std::string> tags = all_params(query, "tags");

    std::string sql = std::string("SELECT ") + k_agent_columns +
                      ", (SELECT max(c.start_time_unix_secs) FROM conversations c "
                      "WHERE c.agent_id = convai_agents.agent_id) FROM convai_agents WHERE 1 = 1";
    if (!search.empty()) {
      sql += " AND instr(lower(name), lower(?)) > 0";
    }
    if (!tags.empty()) {
      sql += " AND EXISTS (SELECT 1 FROM json_each(convai_agents.tags) WHERE json_each.value IN (";
      for (std::size_t i = 0; i < tags.size(); ++i) {
        sql += i == 0 ? "?" : ", ?";
      }
      sql += "))";
    }
    bool descending = direction == SortDirection::descending;
    if (after_seq) {
      sql += descending ? " AND seq < ?" : " AND seq > ?";
    }
    sql += descending ? " ORDER BY seq DESC" : " ORDER BY seq ASC";
    sql += " LIMIT ?";

    std::vector<std::pair<AgentRow, std::optional<std::int64_t>>> rows;
    {
      std::lock_guard lock(m_mutex);
      SQLite::Statement select(m_db, sql);
      int index = 1;
      if (!search.empty()) {
        select.bind(index++, search);
      }
      for (const std::string& tag : tags) {
        select.bind(index++, tag);
      }
      if (after_seq) {
        select.bind(index++, static_cast<std::int64_t>(*after_seq));
      }
      // One more than a page tells whether another page follows.
      select.bind(index, static_cast<std::int64_t>(page_size + 1));
      while (select.executeStep()) {
        std::optional<std::int64_t> last_call;
        if (!select.getColumn(7).isNull()) {
          last_call = select.getColumn(7).getInt64();
        }
        rows.emplace_back(read_agent(select), last_call);
      }
    }
    bool has_more = static_cast<std::int64_t>(rows.size()) > page_size;
    if (has_more) {
      rows.resize(static_cast<std::size_t>(page_size));
    }
    Json agents = Json::array();
    for (const auto& [row, last_call] : rows) {
      Json summary;
      summary["agent_id"] = row.agent_id;
      summary["name"] = row.name;
      summary["voice_id"] = voice_of(row.config);
      summary["tags"] = row.tags;
      summary["created_at_unix_secs"] = row.created_at;
      summary["access_info"] = access_info();
      summary["last_call_time_unix_secs"] = last_call ? Json(*last_call) : Json(nullptr);
      summary["archived"] = false;
      agents.push_back(std::move(summary));
    }
    Json body;
    body["agents"] = std::move(agents);
    body["next_cursor"] =
        has_more ? Json(encode_cursor(std::to_string(rows.back().first.seq))) : Json(nullptr);
    body["has_more"] = has_more;
    return json_response(200, body);
  }

  // -- Phone numbers ---------------------------------------------------------------------------

  bool twilio_credentials_match(const std::string& sid, const std::string& token) const {
    return (sid == m_credentials.account_sid && token == m_credentials.auth_token) ||
           (sid == m_credentials.api_key_sid && token == m_credentials.api_key_secret);
  }

  [[noreturn]] static void phone_number_not_found(const std::string& phone_number_id) {
    fail(404, "phone_number_not_found",
         "Phone number with id " + phone_number_id + " was not found");
  }

  // Connection locked by the caller.
  PhoneRow require_phone(const std::string& phone_number_id) {
    auto rows = select_phones(" WHERE p.phone_number_id = ?", phone_number_id);
    if (rows.empty()) {
      phone_number_not_found(phone_number_id);
    }
    return rows.front();
  }

  http::HttpResponse import_number(const http::HttpRequest& request) {
    Json body = json_body(request, BodyPresence::required);
    Validation validation;
    const Json base = Json::array({"body"});
    auto provider = string_member(body, "provider", base, validation, Presence::optional);
    if (provider && *provider != "twilio") {
      // Exotel and SIP trunk imports are valid at the service; the sandbox has only Twilio.
      validation.add(Json::array({"body", "provider"}),
                     "Value error, the sandbox imports Twilio numbers only (provider 'twilio')",
                     "value_error");
      validation.throw_if_any();
    }
    auto phone_number = string_member(body, "phone_number", base, validation, Presence::required);
    auto label = string_member(body, "label", base, validation, Presence::required);
    auto sid = string_member(body, "sid", base, validation, Presence::required);
    auto token = string_member(body, "token", base, validation, Presence::required);
    auto agent_id =
        string_member(body, "agent_id", base, validation, Presence::optional, Nullable::yes);
    auto account_auth_token = string_member(body, "account_auth_token", base, validation,
                                            Presence::optional, Nullable::yes);
    validation.throw_if_any();
    if (!is_e164(*phone_number)) {
      validation.add(Json::array({"body", "phone_number"}),
                     "Value error, '" + *phone_number +
                         "' is not a phone number in E.164 format, such as +12125550101",
                     "value_error");
    }
    if (!twilio_credentials_match(*sid, *token)) {
      validation.add(Json::array({"body", "sid"}),
                     "Value error, Twilio rejected the credentials: sid and token must be an "
                     "Account SID and its Auth Token, or an API Key SID and its Secret",
                     "value_error");
    } else if (account_auth_token && *account_auth_token != m_credentials.auth_token) {
      validation.add(Json::array({"body", "account_auth_token"}),
                     "Value error, account_auth_token is not the Auth Token of account " +
                         m_credentials.account_sid,
                     "value_error");
    }
    validation.throw_if_any();

    std::string phone_number_id = "phnum_" + random_text(k_lower_alnum, 28);
    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    if (agent_id) {
      require_agent(*agent_id);
    }
    {
      SQLite::Statement existing(
          m_db, "SELECT phone_number_id FROM convai_phone_numbers WHERE phone_number = ?");
      existing.bind(1, *phone_number);
      if (existing.executeStep()) {
        fail(409, "phone_number_already_exists",
             "Phone number " + *phone_number + " is already imported as " +
                 existing.getColumn(0).getString());
      }
    }
    std::optional<std::string> twilio_sid = m_twilio.owned_number_sid(*phone_number);
    if (!twilio_sid) {
      reject(Json::array({"body", "phone_number"}),
             "Value error, " + *phone_number + " is not a phone number of the Twilio account " +
                 m_credentials.account_sid,
             "value_error");
    }
    SQLite::Statement insert(m_db, "INSERT INTO convai_phone_numbers (phone_number_id, "
                                   "phone_number, label, twilio_number_sid, agent_id, created_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?)");
    insert.bind(1, phone_number_id);
    insert.bind(2, *phone_number);
    insert.bind(3, *label);
    insert.bind(4, *twilio_sid);
    if (agent_id) {
      insert.bind(5, *agent_id);
    } else {
      insert.bind(5);
    }
    insert.bind(6, static_cast<std::int64_t>(now_seconds()));
    insert.exec();
    // The native integration points the number at ElevenLabs, which then answers its calls.
    m_twilio.set_number_voice_url(*twilio_sid, std::string(k_elevenlabs_inbound_url), "POST");
    transaction.commit();
    return json_response(200, Json{{"phone_number_id", phone_number_id}});
  }

  http::HttpResponse list_numbers(const Params& query) {
    auto provider = param(query, "provider");
    if (provider && *provider != "twilio" && *provider != "sip_trunk" && *provider != "exotel") {
      reject(Json::array({"query", "provider"}),
             "Input should be 'twilio', 'sip_trunk' or 'exotel'", "enum");
    }
    Json numbers = Json::array();
    if (provider && *provider != "twilio") {
      return json_response(200, numbers);
    }
    auto agent_id = param(query, "agent_id");
    std::vector<PhoneRow> rows;
    {
      std::lock_guard lock(m_mutex);
      rows = agent_id && !agent_id->empty() ? select_phones(" WHERE p.agent_id = ?", *agent_id)
                                            : select_phones("", "");
    }
    for (const PhoneRow& row : rows) {
      numbers.push_back(phone_json(row));
    }
    return json_response(200, numbers);
  }

  http::HttpResponse get_number(const std::string& phone_number_id) {
    std::lock_guard lock(m_mutex);
    return json_response(200, phone_json(require_phone(phone_number_id)));
  }

  http::HttpResponse patch_number(const std::string& phone_number_id,
                                  const http::HttpRequest& request) {
    Json body = json_body(request, BodyPresence::required);
    Validation validation;
    const Json base = Json::array({"body"});
    bool change_agent = body.contains("agent_id");
    auto agent_id =
        string_member(body, "agent_id", base, validation, Presence::optional, Nullable::yes);
    auto label = string_member(body, "label", base, validation, Presence::optional, Nullable::yes);
    validation.throw_if_any();

    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    (void)require_phone(phone_number_id);
    if (change_agent) {
      if (agent_id) {
        require_agent(*agent_id);
      }
      // One statement moves the number from its old agent to the new one: never unassigned
      // in between.
      SQLite::Statement update(
          m_db, "UPDATE convai_phone_numbers SET agent_id = ? WHERE phone_number_id = ?");
      if (agent_id) {
        update.bind(1, *agent_id);
      } else {
        update.bind(1);
      }
      update.bind(2, phone_number_id);
      update.exec();
    }
    if (label) {
      SQLite::Statement update(
          m_db, "UPDATE convai_phone_numbers SET label = ? WHERE phone_number_id = ?");
      update.bind(1, *label);
      update.bind(2, phone_number_id);
      update.exec();
    }
    PhoneRow row = require_phone(phone_number_id);
    transaction.commit();
    return json_response(200, phone_json(row));
  }

  http::HttpResponse delete_number(const std::string& phone_number_id) {
    std::lock_guard lock(m_mutex);
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    PhoneRow row = require_phone(phone_number_id);
    SQLite::Statement remove(m_db, "DELETE FROM convai_phone_numbers WHERE phone_number_id = ?");
    remove.bind(1, phone_number_id);
    remove.exec();
    // Undo what the import did, unless someone has pointed the number elsewhere since.
    if (m_twilio.number_voice_url(row.twilio_number_sid) == k_elevenlabs_inbound_url) {
      m_twilio.set_number_voice_url(row.twilio_number_sid, "", "POST");
    }
    transaction.commit();
    return json_response(200, Json::object());
  }

  // -- Conversations ---------------------------------------------------------------------------

  http::HttpResponse get_conversation(const std::string& conversation_id) {
    std::optional<Json> body;
    {
      std::lock_guard lock(m_mutex);
      body = conversations::details(m_db, conversation_id);
    }
    if (!body) {
      fail(404, "conversation_not_found",
           "Conversation with id " + conversation_id + " was not found");
    }
    return json_response(200, *body);
  }

  http::HttpResponse list_conversations(const Params& query) {
    Validation validation;
    std::int64_t page_size = page_size_param(query, k_default_page_size, validation);
    std::optional<std::string> cursor = cursor_param(query, validation);
    // The cursor is "<start_time_unix_secs>:<conversation_id>" of the page's last item.
    std::optional<std::int64_t> cursor_start;
    std::string cursor_id;
    if (cursor) {
      auto colon = cursor->find(':');
      cursor_start =
          colon == std::string::npos ? std::nullopt : parse_integer(cursor->substr(0, colon));
      if (!cursor_start) {
        validation.add(Json::array({"query", "cursor"}),
                       "Value error, the cursor is not one this API returned", "value_error");
      } else {
        cursor_id = cursor->substr(colon + 1);
      }
    }
    auto start_after = param(query, "call_start_after_unix");
    std::optional<std::int64_t> start_after_unix;
    if (start_after && !start_after->empty()) {
      start_after_unix = parse_integer(*start_after);
      if (!start_after_unix) {
        validation.add(Json::array({"query", "call_start_after_unix"}),
                       "Input should be a valid integer, unable to parse string as an integer",
                       "int_parsing");
      }
    }
    validation.throw_if_any();
    auto agent_id = param(query, "agent_id");

    std::string sql = "SELECT c.conversation_id, c.agent_id, coalesce(c.agent_name, a.name), "
                      "c.start_time_unix_secs, c.call_duration_secs, c.message_count, c.status, "
                      "c.call_successful, c.termination_reason, c.direction, c.transcript_summary, "
                      "c.call_summary_title FROM conversations c "
                      "LEFT JOIN convai_agents a ON a.agent_id = c.agent_id WHERE 1 = 1";
    if (agent_id && !agent_id->empty()) {
      sql += " AND c.agent_id = ?";
    }
    if (start_after_unix) {
      sql += " AND c.start_time_unix_secs > ?";
    }
    if (cursor_start) {
      sql += " AND (c.start_time_unix_secs, c.conversation_id) < (?, ?)";
    }
    sql += " ORDER BY c.start_time_unix_secs DESC, c.conversation_id DESC LIMIT ?";

    auto nullable_text = [](SQLite::Statement& statement, int column) {
      return statement.getColumn(column).isNull() ? Json(nullptr)
                                                  : Json(statement.getColumn(column).getString());
    };
    Json conversations = Json::array();
    std::string last_key;
    {
      std::lock_guard lock(m_mutex);
      SQLite::Statement select(m_db, sql);
      int index = 1;
      if (agent_id && !agent_id->empty()) {
        select.bind(index++, *agent_id);
      }
      if (start_after_unix) {
        select.bind(index++, static_cast<std::int64_t>(*start_after_unix));
      }
      if (cursor_start) {
        select.bind(index++, static_cast<std::int64_t>(*cursor_start));
        select.bind(index++, cursor_id);
      }
      select.bind(index, static_cast<std::int64_t>(page_size + 1));
      while (select.executeStep()) {
        if (static_cast<std::int64_t>(conversations.size()) == page_size) {
          conversations.push_back(nullptr); // marks that another page follows
          break;
        }
        Json item;
        item["agent_id"] = select.getColumn(1).getString();
        item["agent_name"] = nullable_text(select, 2);
        item["conversation_id"] = select.getColumn(0).getString();
        item["start_time_unix_secs"] = select.getColumn(3).getInt64();
        item["call_duration_secs"] = select.getColumn(4).getInt64();
        item["message_count"] = select.getColumn(5).getInt64();
        item["status"] = select.getColumn(6).getString();
        item["termination_reason"] = select.getColumn(8).getString();
        item["call_successful"] = select.getColumn(7).getString();
        item["transcript_summary"] = nullable_text(select, 10);
        item["call_summary_title"] = nullable_text(select, 11);
        item["direction"] = nullable_text(select, 9);
        item["tag_ids"] = Json::array();
        last_key =
            std::to_string(select.getColumn(3).getInt64()) + ":" + select.getColumn(0).getString();
        conversations.push_back(std::move(item));
      }
    }
    bool has_more = !conversations.empty() && conversations.back().is_null();
    if (has_more) {
      conversations.erase(conversations.end() - 1);
    }
    Json body;
    body["conversations"] = std::move(conversations);
    body["next_cursor"] = has_more ? Json(encode_cursor(last_key)) : Json(nullptr);
    body["has_more"] = has_more;
    return json_response(200, body);
  }

  // -- What the knowledge base sees of the agents (connection locked, inside a transaction) ---

  void remove_document_from_agent(const std::string& agent_id,
                                  const std::string& document_id) override {
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

  SQLite::Database& m_db;
  std::mutex& m_mutex;
  TwilioAccountView& m_twilio;
  SandboxCredentials m_credentials;
  KnowledgeBaseSandbox m_knowledge_base;
  WorkspaceSandbox m_workspace;
};

ElevenLabsSandbox::ElevenLabsSandbox(SQLite::Database& db, std::mutex& mutex,
                                     TwilioAccountView& twilio, SandboxCredentials credentials)
    : m_impl(std::make_unique<Impl>(db, mutex, twilio, std::move(credentials))) {}

ElevenLabsSandbox::~ElevenLabsSandbox() = default;

void ElevenLabsSandbox::create_schema(SQLite::Database& db) {
  db.exec(k_schema);
  conversations::create_schema(db);
  KnowledgeBaseSandbox::create_schema(db);
  WorkspaceSandbox::create_schema(db);
}

bool ElevenLabsSandbox::handles(std::string_view path) {
  auto starts = [&](std::string_view prefix) { return path.substr(0, prefix.size()) == prefix; };
  return starts("/v1/convai/") || starts("/v1/voices") || starts("/v2/voices") ||
         path == "/v1/workspace/webhooks" || starts("/v1/workspace/webhooks/");
}

http::HttpResponse ElevenLabsSandbox::handle(const http::HttpRequest& request,
                                             const std::string& path, const std::string& query) {
  return m_impl->handle(request, path, query);
}

std::optional<PostCallWebhook> ElevenLabsSandbox::post_call_webhook() {
  return m_impl->workspace().post_call_webhook();
}

void ElevenLabsSandbox::forget_twilio_number(const std::string& twilio_number_sid) {
  m_impl->forget_twilio_number(twilio_number_sid);
}

} // namespace vami::sandbox
