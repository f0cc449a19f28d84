// The ElevenLabs emulator's agent settings (`conversation_config`, `tags`): the service's
// defaults, the checks of the members the sandbox models, PATCH's deep merge, and the
// knowledge-base entries (see agent_config.hpp).

#include "elevenlabs/emulator/agent_config.hpp"

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

#include "elevenlabs/emulator/elevenlabs_emulator_impl.hpp"
#include "elevenlabs/emulator/wire.hpp"
#include <nlohmann/json.hpp>

namespace vami::sandbox::elevenlabs {

namespace {

// `TTSConversationalConfig.voice_id`'s default in the API document (the premade voice Eric).
constexpr std::string_view k_default_voice_id = "cjVigY5qzO86Huf0OWal";

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

} // namespace

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

namespace {

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

} // namespace

Json knowledge_base_loc(std::size_t index) {
  return Json::array({"body", "conversation_config", "agent", "prompt", "knowledge_base", index});
}

namespace {

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

} // namespace

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

} // namespace vami::sandbox::elevenlabs
