// The client of the sandbox's simulated calls (`POST /__sandbox/calls`, sandbox_voice_calls.hpp):
// its JSON read into core's `PlacedTestCall`.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/sandbox_voice_calls.hpp"
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/sandbox.hpp>

namespace vami::sandbox {

namespace {

using json = nlohmann::ordered_json; // keeps the parameters in the order the call carried them

std::string text(const json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::optional<TestCallDelivery> delivery(const json& object, const char* name) {
  auto found = object.find(name);
  if (found == object.end() || !found->is_object()) {
    return std::nullopt;
  }
  TestCallDelivery result;
  result.url = text(*found, "url");
  if (auto status = found->find("status"); status != found->end() && status->is_number_integer()) {
    result.http_status = status->get<int>();
  }
  result.error = text(*found, "error");
  return result;
}

[[noreturn]] void unreadable(const std::string& why) {
  throw Error(ErrorKind::provider, "the sandbox answered a test call with " + why,
              "check that the sandbox and this vami are the same version");
}

PlacedTestCall read_call(const std::string& body) {
  json answer = json::parse(body, nullptr, false);
  if (!answer.is_object()) {
    unreadable("something that is not a JSON object");
  }
  PlacedTestCall call;
  call.call_sid = text(answer, "call_sid");
  call.to = text(answer, "to");
  call.from = text(answer, "from");
  const std::string kind = text(answer, "voice_url_kind");
  if (kind == "not_owned") {
    call.voice_url_kind = VoiceUrlKind::not_owned;
  } else if (kind == "none") {
    call.voice_url_kind = VoiceUrlKind::none;
  } else if (kind == "agent_provider") {
    call.voice_url_kind = VoiceUrlKind::agent_provider;
  } else if (kind == "out_of_service") {
    call.voice_url_kind = VoiceUrlKind::out_of_service;
  } else if (kind == "webhook") {
    call.voice_url_kind = VoiceUrlKind::webhook;
  } else if (kind == "sip_trunk") {
    call.voice_url_kind = VoiceUrlKind::sip_trunk;
  } else {
    unreadable("an unknown voice URL kind '" + kind + "'");
  }
  call.voice_url = text(answer, "voice_url");
  call.voice_webhook = delivery(answer, "voice_webhook");
  const std::string outcome = text(answer, "outcome");
  if (outcome == "connected") {
    call.outcome = TestCallOutcome::connected;
  } else if (outcome == "rejected") {
    call.outcome = TestCallOutcome::rejected;
  } else if (outcome == "spoken") {
    call.outcome = TestCallOutcome::spoken;
  } else if (outcome == "failed") {
    call.outcome = TestCallOutcome::failed;
  } else {
    unreadable("an unknown outcome '" + outcome + "'");
  }
  call.reason = text(answer, "reason");
  call.spoken_message = text(answer, "message");
  call.agent_id = text(answer, "agent_id");
  call.agent_name = text(answer, "agent_name");
  call.conversation_id = text(answer, "conversation_id");
  call.stream_url = text(answer, "stream_url");
  if (auto stream = answer.find("stream"); stream != answer.end() && stream->is_object()) {
    TestCallStream read;
    read.contacted = text(*stream, "followed") == "websocket";
    read.upgraded = stream->value("upgraded", false);
    read.address = text(*stream, "address");
    read.stream_sid = text(*stream, "stream_sid");
    if (auto events = stream->find("events"); events != stream->end() && events->is_array()) {
      for (const json& event : *events) {
        if (event.is_string()) {
          read.events.push_back(event.get<std::string>());
        }
      }
    }
    if (auto media = stream->find("media_messages");
        media != stream->end() && media->is_number_integer()) {
      read.media_messages = media->get<std::int64_t>();
    }
    if (auto code = stream->find("close_code");
        code != stream->end() && code->is_number_integer()) {
      read.close_code = code->get<int>();
    }
    read.error = text(*stream, "error");
    call.stream = std::move(read);
  }
  if (auto variables = answer.find("dynamic_variables");
      variables != answer.end() && variables->is_object()) {
    for (const auto& [name, value] : variables->items()) {
      call.dynamic_variables.emplace_back(name, value.is_string() ? value.get<std::string>()
                                                                  : value.dump());
    }
  }
  if (auto transcript = answer.find("transcript");
      transcript != answer.end() && transcript->is_array()) {
    for (const json& line : *transcript) {
      if (!line.is_object()) {
        continue;
      }
      TranscriptLine read;
      read.role = text(line, "role");
      read.message = text(line, "message");
      if (auto at = line.find("time_in_call_secs"); at != line.end() && at->is_number_integer()) {
        read.time_in_call_seconds = at->get<std::int64_t>();
      }
      call.transcript.push_back(std::move(read));
    }
  }
  call.status_callback = delivery(answer, "status_callback");
  call.post_call = delivery(answer, "post_call");
  return call;
}

class SandboxCallPlacer final : public TestCallPlacer {
public:
  SandboxCallPlacer(http::HttpClient& http, std::string base_url, std::string username,
                    std::string password)
      : m_http(http), m_base_url(std::move(base_url)),
        m_authorization(http::basic_authorization(username, password)) {}

  std::optional<PlacedTestCall> place(const TestCallRequest& request) override {
    http::HttpRequest post;
    post.method = "POST";
    post.url = m_base_url + voice_calls::k_calls_path;
    post.headers.emplace_back("Authorization", m_authorization);
    post.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    std::vector<std::pair<std::string, std::string>> fields = {{"To", request.to}};
    if (!request.from.empty()) {
      fields.emplace_back("From", request.from);
    }
    if (!request.say.empty()) {
      fields.emplace_back("Say", request.say);
    }
    post.body = http::form_encode(fields);
    http::HttpResponse response = m_http.send(post);
    if (response.status == 404 || response.status == 405) {
      return std::nullopt;
    }
    if (response.status == 401 || response.status == 403) {
      throw Error(ErrorKind::auth, "the sandbox refused the Twilio credentials for a test call",
                  "use the TWILIO_* values `vami sandbox serve` printed");
    }
    if (response.status == 400) {
      json body = json::parse(response.body, nullptr, false);
      throw Error(ErrorKind::invalid_input,
                  body.is_object() ? text(body, "message") : std::string("invalid test call"));
    }
    if (response.status / 100 != 2) {
      throw Error(ErrorKind::unavailable,
                  "the sandbox answered a test call with HTTP " + std::to_string(response.status),
                  "check that `vami sandbox serve` is running, then try again");
    }
    return read_call(response.body);
  }

private:
  http::HttpClient& m_http;
  std::string m_base_url;
  std::string m_authorization;
};

} // namespace

std::unique_ptr<TestCallPlacer> make_call_placer(http::HttpClient& http, std::string base_url,
                                                 std::string username, std::string password) {
  return std::make_unique<SandboxCallPlacer>(http, std::move(base_url), std::move(username),
                                             std::move(password));
}

} // namespace vami::sandbox
