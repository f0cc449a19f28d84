// The Synthflow emulator's voice catalogue (`/voices`) and call log (`/calls`)
// (synthflow_emulator.hpp).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "synthflow/emulator/synthflow_emulator_impl.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox {

using namespace synthflow; // NOLINT(google-build-using-namespace): this half's wire helpers

namespace {

struct CatalogueVoice {
  std::string_view voice_id;
  std::string_view name;
  std::string_view provider;
  std::string_view gender;
  std::string_view languages; ///< Comma-separated ISO codes.
};

/// A fixed catalogue: a few voices of each engine Synthflow offers.
constexpr std::array<CatalogueVoice, 7> k_voices = {{
    {"21m00Tcm4TlvDq8ikWAM", "Rachel", "elevenlabs", "female", "en"},
    {"29vD33N1CtxCmqQRPOHJ", "Drew", "elevenlabs", "male", "en"},
    {"EXAVITQu4vr4xnSDxMaL", "Sarah", "elevenlabs", "female", "en,de,fr,es"},
    {"pNInz6obpgDQGcFmaJgB", "Adam", "elevenlabs", "male", "en,de"},
    {"aura-asteria-en", "Asteria", "deepgram", "female", "en"},
    {"aura-orion-en", "Orion", "deepgram", "male", "en"},
    {"sf-voice-lena", "Lena", "synthflow", "female", "de,en"},
}};

constexpr const char* k_call_columns =
    "call_id, model_id, start_time_ms, duration, call_status, type_of_call, phone_number_from, "
    "phone_number_to, transcript, end_call_reason";

Json call_json(SQLite::Statement& row) {
  Json call;
  call["call_id"] = row.getColumn(0).getString();
  call["model_id"] = row.getColumn(1).getString();
  call["duration"] = row.getColumn(3).getInt64();
  call["end_call_reason"] = row.getColumn(9).getString();
  call["recording_url"] = nullptr;
  call["type_of_call"] = row.getColumn(5).getString();
  call["transcript"] = row.getColumn(8).getString();
  call["call_status"] = row.getColumn(4).getString();
  call["status"] = row.getColumn(4).getString();
  call["start_time"] = std::to_string(row.getColumn(2).getInt64());
  call["phone_number_from"] = row.getColumn(6).getString();
  call["phone_number_to"] = row.getColumn(7).getString();
  return call;
}

} // namespace

http::HttpResponse SynthflowSandbox::Impl::list_voices(const Params& query) {
  check_workspace(required_param(query, "workspace"));
  std::int64_t limit = int_param(query, "limit", 50, 1, 1000);
  std::int64_t offset = int_param(query, "offset", 0, 0, INT32_MAX);
  std::string provider = param(query, "provider").value_or("elevenlabs");
  if (provider != "elevenlabs" && provider != "deepgram" && provider != "synthflow") {
    fail(422, "validation", "'provider' is not one of the allowed values: " + provider);
  }
  std::string search = param(query, "search").value_or("");
  std::int64_t total = 0;
  Json list = Json::array();
  for (const CatalogueVoice& voice : k_voices) {
    if (voice.provider != provider || !contains_ignoring_case(voice.name, search)) {
      continue;
    }
    if (total++ < offset || static_cast<std::int64_t>(list.size()) >= limit) {
      continue;
    }
    Json item;
    item["voice_id"] = std::string(voice.voice_id);
    item["name"] = std::string(voice.name);
    item["preview"] = "";
    item["workspace"] = m_workspace_id;
    item["provider"] = std::string(voice.provider);
    item["gender"] = std::string(voice.gender);
    Json languages = Json::array();
    std::string_view rest = voice.languages;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      languages.push_back(std::string(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    item["languages"] = std::move(languages);
    list.push_back(std::move(item));
  }
  Json response;
  response["pagination"] = pagination(total, limit, offset);
  response["voices"] = std::move(list);
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::list_calls(const Params& query) {
  std::string model_id = required_param(query, "model_id");
  std::int64_t limit = int_param(query, "limit", 20, 1, 1000);
  std::int64_t offset = int_param(query, "offset", 0, 0, INT32_MAX);
  std::int64_t from = int_param(query, "from_date", 0, 0, INT64_MAX / 2);
  std::int64_t to = int_param(query, "to_date", INT64_MAX / 2, 0, INT64_MAX / 2);
  SQLite::Statement count(m_db, "SELECT count(*) FROM synthflow_calls WHERE model_id = ? AND "
                                "start_time_ms >= ? AND start_time_ms <= ?");
  count.bind(1, model_id);
  count.bind(2, from);
  count.bind(3, to);
  count.executeStep();
  std::int64_t total = count.getColumn(0).getInt64();
  SQLite::Statement select(m_db, std::string("SELECT ") + k_call_columns +
                                     " FROM synthflow_calls WHERE model_id = ? AND "
                                     "start_time_ms >= ? AND start_time_ms <= ? "
                                     "ORDER BY start_time_ms DESC, call_id LIMIT ? OFFSET ?");
  select.bind(1, model_id);
  select.bind(2, from);
  select.bind(3, to);
  select.bind(4, limit);
  select.bind(5, offset);
  Json list = Json::array();
  while (select.executeStep()) {
    list.push_back(call_json(select));
  }
  Json response;
  response["pagination"] = pagination(total, limit, offset);
  response["calls"] = std::move(list);
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::get_call(const std::string& call_id) {
  SQLite::Statement select(m_db, std::string("SELECT ") + k_call_columns +
                                     " FROM synthflow_calls WHERE call_id = ?");
  select.bind(1, call_id);
  if (!select.executeStep()) {
    fail(404, "not_found", "Call " + call_id + " not found");
  }
  Json response;
  response["pagination"] = pagination(1, 1, 0);
  response["calls"] = Json::array({call_json(select)});
  return ok(std::move(response));
}

} // namespace vami::sandbox
