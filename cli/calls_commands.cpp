// `vami calls list|show|sync`: the call history of the state database.
#include <iostream>

#include "app.hpp"
#include "calls_test_command.hpp"

#include <vami/core/call_sync_service.hpp>
#include <vami/core/clock.hpp>

namespace vami::cli {

namespace {

struct ListOptions {
  std::string tenant;
  std::string agent;
  std::string number;
  std::string since;
  std::string until;
  std::string status;
  int limit = 0;
};

struct ShowOptions {
  std::string id;
  bool transcript = false;
};

struct SyncOptions {
  std::string since;
};

void put_money(nlohmann::ordered_json& json, const std::string& name,
               const std::optional<Money>& money) {
  json[name] = money ? nlohmann::ordered_json(format_decimal_micros(money->micros))
                     : nlohmann::ordered_json();
  json[name + "_micros"] = money ? nlohmann::ordered_json(money->micros) : nlohmann::ordered_json();
  json[name + "_currency"] =
      money ? nlohmann::ordered_json(money->currency) : nlohmann::ordered_json();
}

template <typename T>
nlohmann::ordered_json optional_json(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json();
}

template <typename Enum>
nlohmann::ordered_json name_or_null(const std::optional<Enum>& value) {
  return value ? nlohmann::ordered_json(to_string(*value)) : nlohmann::ordered_json();
}

/// A call as JSON: the one shape of `calls list` and `calls show` (docs/json.md, "Call").
nlohmann::ordered_json to_json(const CallRecord& call) {
  nlohmann::ordered_json json;
  json["id"] = call.call_sid.empty() ? call.conversation_id : call.call_sid;
  json["call_sid"] = text_or_null(call.call_sid);
  json["conversation_id"] = text_or_null(call.conversation_id);
  json["number"] = text_or_null(call.number);
  json["caller"] = text_or_null(call.caller);
  json["tenant"] = text_or_null(call.tenant_slug);
  json["agent"] = text_or_null(call.agent_slug);
  json["provider_agent_id"] = text_or_null(call.provider_agent_id);
  json["direction"] = name_or_null(call.direction);
  json["status"] = name_or_null(call.status);
  json["started_at"] = text_or_null(call.started_at);
  json["duration_seconds"] = optional_json(call.duration_seconds);
  put_money(json, "telephony_cost", call.telephony_cost);
  put_money(json, "agent_cost", call.agent_cost);
  json["agent_credits"] = optional_json(call.agent_credits);
  json["outcome"] = name_or_null(call.outcome);
  json["summary"] = text_or_null(call.summary);
  json["failure_reason"] = text_or_null(call.failure_reason);
  json["source"] = to_string(call.source);
  json["created_at"] = call.created_at;
  json["updated_at"] = call.updated_at;
  return json;
}

nlohmann::ordered_json transcript_json(const CallRecord& call) {
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  for (const TranscriptLine& line : call.transcript) {
    lines.push_back({{"role", line.role},
                     {"message", line.message},
                     {"time_in_call_seconds", optional_json(line.time_in_call_seconds)}});
  }
  return lines;
}

std::optional<CallStatus> status_option(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  if (auto status = parse_call_status(text)) {
    return status;
  }
  throw Error(ErrorKind::invalid_input, "--status \"" + text + "\" is not a call status",
              "use queued, ringing, in-progress, completed, busy, failed, no-answer, canceled "
              "or failed-to-start");
}

/// `--until` as a UTC time: the same forms as `--since` (a date, a time, or an age before now).
std::string until_option(const std::string& text) {
  try {
    return parse_since(text, unix_now());
  } catch (const Error&) {
    throw Error(ErrorKind::invalid_input, "--until \"" + text + "\" is not a time",
                "give a UTC date or time (2026-11-22, 2026-11-22T10:00:00Z) or an age such as "
                "90m, 24h or 7d");
  }
}

std::string sync_summary(const CallSyncReport& report) {
  auto count = [](int n, const char* noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
  };
  return "synced " + count(report.telephony_calls, "Twilio call") + " and " +
         count(report.conversations, "ElevenLabs conversation") + ": " +
         std::to_string(report.created) + " new, " + std::to_string(report.updated) + " updated, " +
         std::to_string(report.unchanged) + " unchanged";
}

} // namespace

void register_calls_commands(CLI::App& app, AppContext& context) {
  auto* calls = app.add_subcommand("calls", "The call history: list, show and sync calls; test "
                                            "calls");
  calls->require_subcommand(1);

  auto list = std::make_shared<ListOptions>();
  auto* list_command = calls->add_subcommand("list", "List calls from the state database, newest "
                                                     "first");
  list_command->add_option("--tenant", list->tenant, "Only this tenant's calls")->type_name("SLUG");
  list_command->add_option("--agent", list->agent, "Only this agent's calls (slug or provider id)")
      ->type_name("AGENT");
  list_command->add_option("--number", list->number, "Only calls to or from this pool number")
      ->type_name("E164");
  list_command
      ->add_option("--since", list->since,
                   "Only calls started at or after this UTC time (2026-11-22, "
                   "2026-11-22T10:00:00Z) or within this age (90m, 24h, 7d)")
      ->type_name("TIME");
  list_command
      ->add_option("--until", list->until,
                   "Only calls started before this UTC time or age (same forms as --since)")
      ->type_name("TIME");
  list_command
      ->add_option("--status", list->status,
                   "Only calls with this status: queued, ringing, in-progress, completed, busy, "
                   "failed, no-answer, canceled or failed-to-start")
      ->type_name("STATUS");
  list_command->add_option("--limit", list->limit, "Only the newest N calls (0: all)")
      ->check(CLI::NonNegativeNumber);
  list_command->callback([&context, list] {
    CallFilter filter;
    filter.tenant_slug = list->tenant;
    filter.agent_slug = list->agent;
    filter.number = list->number;
    filter.since = parse_since(list->since, unix_now());
    filter.until = list->until.empty() ? std::string{} : until_option(list->until);
    filter.status = status_option(list->status);
    filter.limit = list->limit;
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const CallRecord& call : context.store().list_calls(filter)) {
      records.push_back(to_json(call));
    }
    auto money_cell = [](const char* header, const char* name) {
      return Column{header, [key = std::string(name)](const nlohmann::ordered_json& record) {
                      const auto& amount = record[key];
                      return amount.is_null() ? std::string("-")
                                              : amount.get<std::string>() + " " +
                                                    record[key + "_currency"].get<std::string>();
                    }};
    };
    write_records(std::cout, context.output_format(), records,
                  {field("ID", "id"), field("STARTED", "started_at"), field("NUMBER", "number"),
                   field("CALLER", "caller"), field("TENANT", "tenant"), field("AGENT", "agent"),
                   field("STATUS", "status"), field("SECONDS", "duration_seconds"),
                   money_cell("TELEPHONY", "telephony_cost"),
                   money_cell("AGENT COST", "agent_cost"), field("OUTCOME", "outcome")});
    if (records.empty()) {
      const bool filtered = !filter.tenant_slug.empty() || !filter.agent_slug.empty() ||
                            !filter.number.empty() || !filter.since.empty() ||
                            !filter.until.empty() || filter.status;
      context.note(
          std::string(filtered ? "no recorded call matches" : "the call history is empty") +
          "; 'vami calls sync' fills it from the providers");
    }
  });

  auto show = std::make_shared<ShowOptions>();
  auto* show_command = calls->add_subcommand("show", "Show one call: caller, times, duration, "
                                                     "cost, outcome, summary");
  show_command
      ->add_option("id", show->id, "The call's Twilio CallSid or ElevenLabs conversation id")
      ->required();
  show_command->add_flag("--transcript", show->transcript, "Also print the transcript");
  show_command->callback([&context, show] {
    std::optional<CallRecord> call = context.store().find_call(show->id);
    if (!call) {
      throw Error(ErrorKind::not_found, "no call " + show->id + " in the call history",
                  "see 'vami calls list', or fill the history with 'vami calls sync'");
    }
    nlohmann::ordered_json json = to_json(*call);
    const OutputFormat format = context.output_format();
    if (show->transcript && format == OutputFormat::json) {
      json["transcript"] = transcript_json(*call);
    }
    write_object(std::cout, format, json);
    if (show->transcript && format == OutputFormat::table) {
      if (call->transcript.empty()) {
        context.note("call " + show->id + " has no transcript recorded");
      } else {
        std::cout << "\ntranscript:\n";
        for (const TranscriptLine& line : call->transcript) {
          std::cout << "  ";
          if (line.time_in_call_seconds) {
            std::cout << "[" << *line.time_in_call_seconds << "s] ";
          }
          std::cout << terminal_text(line.role) << ": " << terminal_text(line.message) << '\n';
        }
      }
    }
  });

  auto sync = std::make_shared<SyncOptions>();
  auto* sync_command =
      calls->add_subcommand("sync", "Fill the call history from Twilio's calls and ElevenLabs' "
                                    "conversations (idempotent)");
  sync_command
      ->add_option("--since", sync->since,
                   "Only calls started at or after this UTC time (2026-11-22, "
                   "2026-11-22T10:00:00Z) or within this age (90m, 24h, 7d); default: all")
      ->type_name("TIME");
  register_calls_test_command(*calls, context);

  sync_command->callback([&context, sync] {
    const std::string since = parse_since(sync->since, unix_now());
    CallSyncService service(context.store(), context.telephony(), context.agent_providers());
    const CallSyncReport report = service.sync(since);
    nlohmann::ordered_json json;
    json["since"] = text_or_null(since);
    json["telephony_calls"] = report.telephony_calls;
    json["conversations"] = report.conversations;
    json["conversation_details"] = report.conversation_details;
    json["created"] = report.created;
    json["updated"] = report.updated;
    json["unchanged"] = report.unchanged;
    if (context.output_format() == OutputFormat::table) {
      std::cout << sync_summary(report) << '\n';
    } else {
      write_object(std::cout, context.output_format(), json);
    }
  });
}

} // namespace vami::cli
