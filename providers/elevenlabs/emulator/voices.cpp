// The ElevenLabs emulator's voices: a fixed catalogue of ElevenLabs' public premade voices,
// answered by `GET /v1/voices`, `GET /v1/voices/{voice_id}` and `GET /v2/voices`.

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
#include "sandbox/sandbox_util.hpp"
#include <nlohmann/json.hpp>

namespace vami::sandbox {

namespace elevenlabs {

namespace {

constexpr std::int64_t k_default_voices_page_size = 10; // GET /v2/voices

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

} // namespace

const PremadeVoice* find_voice(std::string_view voice_id) {
  auto found = std::find_if(k_voices.begin(), k_voices.end(),
                            [&](const PremadeVoice& voice) { return voice.voice_id == voice_id; });
  return found == k_voices.end() ? nullptr : &*found;
}

} // namespace elevenlabs

using namespace elevenlabs; // NOLINT(google-build-using-namespace): this half's wire helpers

http::HttpResponse ElevenLabsSandbox::Impl::list_voices() {
  Json voices = Json::array();
  for (const PremadeVoice& voice : k_voices) {
    voices.push_back(voice_json(voice));
  }
  return json_response(200, Json{{"voices", std::move(voices)}});
}

http::HttpResponse ElevenLabsSandbox::Impl::get_voice(const std::string& voice_id) {
  const PremadeVoice* voice = find_voice(voice_id);
  if (voice == nullptr) {
    fail(404, "voice_not_found", "A voice with the voice_id " + voice_id + " was not found.");
  }
  return json_response(200, voice_json(*voice));
}

http::HttpResponse ElevenLabsSandbox::Impl::list_voices_v2(const Params& query) {
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
    bool listed = voice_ids.empty() ||
                  std::find(voice_ids.begin(), voice_ids.end(), voice.voice_id) != voice_ids.end();
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

} // namespace vami::sandbox
