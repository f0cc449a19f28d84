// Stream agents' half of a simulated call (stream_emulator.hpp): the `<Connect><Stream>` of
// vami's router, followed to the sandbox's orchestrator.

#include "stream/emulator/stream_emulator.hpp"

#include <nlohmann/json.hpp>

namespace vami::sandbox {

void StreamEmulator::create_schema(SQLite::Database& db) {
  (void)db;
}

bool StreamEmulator::handles(std::string_view path) const {
  (void)path;
  return false;
}

http::HttpResponse StreamEmulator::handle(const http::HttpRequest& request, const std::string& path,
                                          const std::string& query) {
  (void)request, (void)path, (void)query;
  http::HttpResponse response;
  response.status = 404;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = nlohmann::json{{"detail", "Not Found"}}.dump();
  return response;
}

bool StreamEmulator::answers_stream(const twiml::Answer& answer) const {
  return twiml::parameter(answer, "agent_id").empty() &&
         !twiml::parameter(answer, "vami_agent_id").empty();
}

void StreamEmulator::answer_stream(const CallContext& context, const InboundCall& call,
                                   const twiml::Answer& answer, CallProgress& progress) {
  progress.stream_url = answer.stream_url;
  progress.agent = CallAgent{twiml::parameter(answer, "vami_agent_id"),
                             twiml::parameter(answer, "vami_agent_name"),
                             twiml::parameter(answer, "vami_greeting")};
  const media_streams::StreamedCall streamed{context.credentials.account_sid, call.call_sid,
                                             answer.parameters};
  if (context.follow_stream) {
    progress.followed = context.follow_stream(answer.stream_url, streamed);
  } else {
    progress.followed.emplace();
    progress.followed->url = answer.stream_url;
    progress.followed->parameters = answer.parameters;
  }
  progress.dynamic_variables = progress.followed->parameters;
  progress.outcome = progress.followed->ok() ? "connected" : "failed";
  if (!progress.followed->ok()) {
    progress.reason = "stream_failed";
  }
}

} // namespace vami::sandbox
