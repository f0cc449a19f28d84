// `vami calls test NUMBER`: a test call to a pool number, hop by hop (CallTestService).
#include "calls_test_command.hpp"

#include <iostream>

#include "app.hpp"
#include "routing_words.hpp"

#include <vami/core/call_test_service.hpp>

namespace vami::cli {

namespace {

struct TestOptions {
  std::string number;
  std::string from;
  std::string say;
};

/// The first `limit` characters (code points) of `text`, with "…" when cut.
std::string shortened(const std::string& text, std::size_t limit) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U && count++ == limit) {
      return text.substr(0, i) + "…";
    }
  }
  return text;
}

std::string hop_words(const CallHop& hop) {
  switch (hop.kind) {
  case CallHopKind::number:
    return hop.value;
  case CallHopKind::voice_url:
    if (hop.value == "agent_provider") {
      return "Twilio voice URL (ElevenLabs)";
    }
    if (hop.value == "out_of_service") {
      return "Twilio voice URL (out of service)";
    }
    if (hop.value == "none") {
      return "Twilio voice URL (none)";
    }
    return "Twilio voice URL";
  case CallHopKind::router:
    return hop.ok || hop.value.empty() ? std::string("router") : "router (HTTP " + hop.value + ")";
  case CallHopKind::tenant:
    return "tenant " + (hop.value.empty() ? std::string("?") : hop.value);
  case CallHopKind::agent:
    if (hop.value == "rejected" || hop.value == "failed") {
      return "no agent (" + (hop.detail.empty() ? hop.value : hop.detail) + ")";
    }
    return "agent " + hop.value;
  case CallHopKind::answer:
    if (hop.detail == "connected") {
      return "\"" + shortened(hop.value, 40) + "\"";
    }
    if (hop.value == "rejected" || hop.value == "failed") {
      return hop.value;
    }
    return "says \"" + shortened(hop.value, 40) + "\", hangs up";
  }
  return hop.value;
}

/// What the database says calls must get, for a person.
std::string expectation_words(const CallExpectation& expected) {
  switch (expected.answer) {
  case ExpectedAnswer::agent:
    return "agent " + expected.agent_slug + " (tenant " + expected.tenant_slug + ", " +
           (expected.routing_mode ? to_string(*expected.routing_mode) : "native") + " routing)";
  case ExpectedAnswer::message:
    return "its suspension message \"" + expected.message + "\"";
  case ExpectedAnswer::no_agent:
    if (!expected.in_pool) {
      return "no agent (the pool does not hold the number)";
    }
    if (expected.status == NumberStatus::suspended) {
      return "no agent (suspended: calls are rejected)";
    }
    return "no agent (not assigned)";
  }
  return "no agent";
}

/// Why the broken hop broke, for a person.
std::string broken_words(const CallTestReport& report) {
  const std::string& reason = report.broken_reason;
  const CallExpectation& expected = report.expected;
  const PlacedTestCall* call = report.call ? &*report.call : nullptr;
  if (report.check && !report.check->faults.empty() &&
      (report.broken_hop == CallHopKind::voice_url || report.broken_hop == CallHopKind::agent ||
       report.broken_hop == CallHopKind::router || report.broken_hop == CallHopKind::number) &&
      reason != "wrong_voice_url") {
    return join(routing_problem_words(*report.check));
  }
  if (reason == "not_owned") {
    return "the Twilio account does not own the number";
  }
  if (reason == "no_voice_url") {
    return "the number has no voice URL at Twilio";
  }
  if (reason == "wrong_voice_url") {
    const std::string url = call ? call->voice_url
                                 : (report.check && report.check->observed.owned
                                        ? report.check->observed.owned->webhook.voice_url
                                        : std::string());
    return "its voice URL at Twilio is '" + url + "', not what " + expectation_words(expected) +
           " needs";
  }
  if (reason == "http_status" && call && call->voice_webhook && call->voice_webhook->http_status) {
    return "the voice webhook " + call->voice_url + " answered HTTP " +
           std::to_string(*call->voice_webhook->http_status);
  }
  if (reason == "unreachable" && call) {
    return "the voice webhook " + call->voice_url + " could not be reached (" +
           (call->voice_webhook ? call->voice_webhook->error : std::string()) + ")";
  }
  if (reason == "not_twiml") {
    return "the voice webhook's answer is not TwiML that connects an agent";
  }
  if (reason == "stream_failed" && call && call->stream) {
    return "the WebSocket to the orchestrator " + call->stream_url + " failed (" +
           call->stream->error + ")";
  }
  if (reason == "not_imported") {
    return "ElevenLabs has no import of the number";
  }
  if (reason == "import_unassigned") {
    return "the number's ElevenLabs import is assigned to no agent";
  }
  if (reason == "agent_not_found") {
    return "the agent the call was handed to does not exist at ElevenLabs";
  }
  if (reason == "wrong_tenant" && call) {
    return "the call was routed for tenant '" + report.hops.back().value + "'";
  }
  if (reason == "wrong_agent" || reason == "reached_agent") {
    return "agent " + (call ? call->agent_id : std::string()) + " answered";
  }
  if (reason == "wrong_message" && call) {
    return "callers hear \"" + call->spoken_message + "\"";
  }
  if (reason == "not_spoken" || reason == "not_rejected") {
    return "the call was " + std::string(call ? to_string(call->outcome) : "answered") +
           (call && !call->spoken_message.empty() ? ": \"" + call->spoken_message + "\"" : "");
  }
  if (call && !call->reason.empty()) {
    return "the call was " + std::string(to_string(call->outcome)) + " (" + call->reason + ")";
  }
  return reason;
}

nlohmann::ordered_json delivery_json(const std::optional<TestCallDelivery>& delivery) {
  if (!delivery) {
    return nullptr;
  }
  nlohmann::ordered_json json;
  json["url"] = delivery->url;
  json["http_status"] =
      delivery->http_status ? nlohmann::ordered_json(*delivery->http_status) : nullptr;
  json["error"] = text_or_null(delivery->error);
  return json;
}

nlohmann::ordered_json stream_json(const std::optional<TestCallStream>& stream,
                                   const std::string& url) {
  if (!stream) {
    return nullptr;
  }
  nlohmann::ordered_json json;
  json["url"] = url;
  json["followed"] = stream->contacted ? "websocket" : "twiml";
  json["upgraded"] = stream->upgraded;
  json["address"] = text_or_null(stream->address);
  json["stream_sid"] = text_or_null(stream->stream_sid);
  json["events"] = stream->events;
  json["media_messages"] = stream->media_messages;
  json["close_code"] = stream->close_code ? nlohmann::ordered_json(*stream->close_code) : nullptr;
  json["error"] = text_or_null(stream->error);
  return json;
}

// "connected, start, 2 media, stop": the events an orchestrator recorded, media counted.
std::string events_words(const TestCallStream& stream) {
  std::string words;
  bool media_said = false;
  for (const std::string& event : stream.events) {
    if (event == "media") {
      if (media_said) {
        continue;
      }
      media_said = true;
      words += (words.empty() ? "" : ", ") + std::to_string(stream.media_messages) + " media";
      continue;
    }
    words += (words.empty() ? "" : ", ") + event;
  }
  return words.empty() ? std::string("nothing") : words;
}

} // namespace

nlohmann::ordered_json test_call_json(const CallTestReport& report) {
  nlohmann::ordered_json json;
  json["number"] = report.request.to;
  json["caller"] =
      report.call ? text_or_null(report.call->from) : text_or_null(report.request.from);
  json["placed"] = report.placed;
  json["passed"] = report.passed();
  const CallExpectation& expected = report.expected;
  json["expected"] = {
      {"answer", to_string(expected.answer)},
      {"in_pool", expected.in_pool},
      {"status", expected.status ? nlohmann::ordered_json(to_string(*expected.status)) : nullptr},
      {"routing_mode",
       expected.routing_mode ? nlohmann::ordered_json(to_string(*expected.routing_mode)) : nullptr},
      {"tenant", text_or_null(expected.tenant_slug)},
      {"agent", text_or_null(expected.agent_slug)},
      {"provider_agent_id", text_or_null(expected.provider_agent_id)},
      {"message", text_or_null(expected.message)}};
  nlohmann::ordered_json hops = nlohmann::ordered_json::array();
  for (const CallHop& hop : report.hops) {
    hops.push_back({{"hop", to_string(hop.kind)},
                    {"value", text_or_null(hop.value)},
                    {"detail", text_or_null(hop.detail)},
                    {"ok", hop.ok}});
  }
  json["hops"] = std::move(hops);
  json["broken_hop"] =
      report.broken_hop ? nlohmann::ordered_json(to_string(*report.broken_hop)) : nullptr;
  json["broken_reason"] = report.broken_hop ? text_or_null(report.broken_reason) : nullptr;
  if (report.call) {
    const PlacedTestCall& call = *report.call;
    nlohmann::ordered_json placed;
    placed["call_sid"] = text_or_null(call.call_sid);
    placed["voice_url_kind"] = to_string(call.voice_url_kind);
    placed["voice_url"] = text_or_null(call.voice_url);
    placed["voice_webhook"] = delivery_json(call.voice_webhook);
    placed["outcome"] = to_string(call.outcome);
    placed["reason"] = text_or_null(call.reason);
    placed["message"] = text_or_null(call.spoken_message);
    placed["provider_agent_id"] = text_or_null(call.agent_id);
    placed["agent_name"] = text_or_null(call.agent_name);
    placed["conversation_id"] = text_or_null(call.conversation_id);
    placed["stream_url"] = text_or_null(call.stream_url);
    placed["stream"] = stream_json(call.stream, call.stream_url);
    nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
    for (const auto& [name, value] : call.dynamic_variables) {
      parameters[name] = value;
    }
    placed["parameters"] = std::move(parameters);
    nlohmann::ordered_json lines = nlohmann::ordered_json::array();
    for (const TranscriptLine& line : call.transcript) {
      lines.push_back({{"role", line.role}, {"message", line.message}});
    }
    placed["transcript"] = std::move(lines);
    placed["status_callback"] = delivery_json(call.status_callback);
    placed["post_call_webhook"] = delivery_json(call.post_call);
    json["call"] = std::move(placed);
  } else {
    json["call"] = nullptr;
  }
  return json;
}

namespace {

void print_delivery(const char* what, const std::optional<TestCallDelivery>& delivery) {
  if (!delivery) {
    return;
  }
  std::cout << "  " << what << terminal_text(delivery->url) << " -> "
            << (delivery->http_status ? "HTTP " + std::to_string(*delivery->http_status)
                                      : "no answer (" + terminal_text(delivery->error) + ")")
            << '\n';
}

void print_report(const CallTestReport& report) {
  std::string chain;
  for (const CallHop& hop : report.hops) {
    chain += (chain.empty() ? "" : " → ") + std::string(hop.ok ? "" : "✗ ") + hop_words(hop);
  }
  std::cout << terminal_text(chain) << '\n';
  if (report.call) {
    const PlacedTestCall& call = *report.call;
    if (!call.call_sid.empty()) {
      std::cout << "  call            " << call.call_sid << " from " << call.from << " ("
                << to_string(call.outcome) << ")\n";
    }
    if (!call.stream_url.empty()) {
      std::cout << "  stream          " << terminal_text(call.stream_url) << '\n';
      if (call.stream && call.stream->upgraded) {
        std::cout << "                  WebSocket upgraded at "
                  << terminal_text(call.stream->address) << "; the orchestrator recorded "
                  << terminal_text(events_words(*call.stream)) << " (stream "
                  << terminal_text(call.stream->stream_sid) << ")\n";
      } else if (call.stream && call.stream->contacted) {
        std::cout << "                  WebSocket failed: " << terminal_text(call.stream->error)
                  << '\n';
      } else if (call.stream) {
        std::cout
            << "                  followed to the TwiML only: not the sandbox's orchestrator, "
               "so not contacted\n";
      }
      for (const auto& [name, value] : call.dynamic_variables) {
        std::cout << "    " << terminal_text(name) << " = " << terminal_text(value) << '\n';
      }
    }
    for (const TranscriptLine& line : call.transcript) {
      std::cout << "  " << (line.role == "user" ? "caller          " : "agent           ")
                << terminal_text(line.message) << '\n';
    }
    print_delivery("status callback ", call.status_callback);
    print_delivery("post-call       ", call.post_call);
  }
}

} // namespace

CallTestReport run_test_call(AppContext& context, const TestCallRequest& request) {
  std::string why;
  AgentProviders* agents = context.agent_providers_if_configured(why);
  CallTestService service(context.telephony(), agents, context.store(),
                          context.providers().test_calls(), context.router_url(),
                          &context.router_health());
  CallTestReport report = service.test(request);
  if (!report.placed && agents == nullptr) {
    context.note("ElevenLabs was not asked (" + why + ")");
  }
  return report;
}

void report_test_call(AppContext& context, const CallTestReport& report, bool print) {
  if (print) {
    if (context.output_format() == OutputFormat::table) {
      print_report(report);
    } else {
      write_object(std::cout, context.output_format(), test_call_json(report));
    }
  }
  if (!report.placed) {
    context.note("no call was placed (live providers): each hop was read back from Twilio and "
                 "ElevenLabs instead");
  }
  if (report.call && report.call->stream && !report.call->stream->contacted) {
    context.note("the stream URL " + report.call->stream_url +
                 " is not the sandbox's orchestrator, so no WebSocket was opened: the call was "
                 "followed to the TwiML only (its parameters are the TwiML's); stream to "
                 "wss://sandbox.vami.invalid/stream/NAME to see them cross a WebSocket");
  }
  if (report.passed()) {
    context.note(std::string(report.placed ? "the test call reached " : "calls reach ") +
                 expectation_words(report.expected) + ", as the state database says");
  } else {
    context.note("the test call to " + report.request.to + " did not reach " +
                 expectation_words(report.expected) + ": broken at the " +
                 to_string(*report.broken_hop) + " hop: " + broken_words(report) +
                 "; see 'vami route " + report.request.to +
                 "', repair with 'vami reconcile "
                 "--apply'");
  }
}

void register_calls_test_command(CLI::App& calls, AppContext& context) {
  auto options = std::make_shared<TestOptions>();
  auto* command = calls.add_subcommand(
      "test", "Place a test call to a number (sandbox) or read its routing back hop by hop "
              "(live), and check it reaches the agent the state database says");
  command->add_option("number", options->number, "Phone number, E.164")->required();
  command->add_option("--from", options->from, "The caller's number (default +14155550100)")
      ->type_name("E164");
  command
      ->add_option("--say", options->say,
                   "What the caller says once the agent has greeted "
                   "them (sandbox)")
      ->type_name("TEXT");
  command->callback([&context, options] {
    TestCallRequest request{options->number, options->from, options->say};
    const CallTestReport report = run_test_call(context, request);
    report_test_call(context, report, true);
    if (!report.passed()) {
      throw BulkExit{ExitCode::failure};
    }
  });
}

} // namespace vami::cli
