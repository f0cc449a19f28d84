#include "elevenlabs/emulator/register_call.hpp"

#include <string>
#include <utility>
#include <vector>

#include "elevenlabs/emulator/wire.hpp"

namespace vami::sandbox::elevenlabs {

namespace {

// `text` escaped for an XML attribute value.
std::string attribute(std::string_view text) {
  std::string out = html_escape(text);
  std::string escaped;
  for (char c : out) {
    if (c == '\'') {
      escaped += "&apos;";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      escaped += ' ';
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string parameter(std::string_view name, std::string_view value) {
  return "<Parameter name=\"" + attribute(name) + "\" value=\"" + attribute(value) + "\"/>";
}

} // namespace

http::HttpResponse
register_twilio_call(const http::HttpRequest& request,
                     const std::function<bool(const std::string& agent_id)>& agent_exists) {
  Json body = json_body(request, BodyPresence::required);
  const Json base = Json::array({"body"});
  Validation validation;
  auto agent_id = string_member(body, "agent_id", base, validation, Presence::required);
  auto from_number = string_member(body, "from_number", base, validation, Presence::required);
  auto to_number = string_member(body, "to_number", base, validation, Presence::required);
  std::string direction = "inbound";
  if (auto member = body.find("direction"); member != body.end()) {
    if (!member->is_string() || (*member != "inbound" && *member != "outbound")) {
      validation.add(loc_of(base, "direction"), "Input should be 'inbound' or 'outbound'", "enum");
    } else {
      direction = member->get<std::string>();
    }
  }
  std::vector<std::pair<std::string, std::string>> variables;
  if (auto data = body.find("conversation_initiation_client_data");
      data != body.end() && !data->is_null()) {
    const Json data_loc = loc_of(base, "conversation_initiation_client_data");
    if (!data->is_object()) {
      validation.add(data_loc, k_not_an_object, "model_type");
    } else if (auto dynamic = data->find("dynamic_variables");
               dynamic != data->end() && !dynamic->is_null()) {
      const Json dynamic_loc = loc_of(data_loc, "dynamic_variables");
      if (!dynamic->is_object()) {
        validation.add(dynamic_loc, "Input should be a valid dictionary", "dict_type");
      } else {
        for (const auto& [name, value] : dynamic->items()) {
          if (value.is_string()) {
            variables.emplace_back(name, value.get<std::string>());
          } else if (value.is_number() || value.is_boolean()) {
            variables.emplace_back(name, value.dump());
          } else {
            validation.add(loc_of(dynamic_loc, name),
                           "Input should be a valid string, number or boolean", "union_type");
          }
        }
      }
    }
  }
  validation.throw_if_any();
  if (!agent_exists(*agent_id)) {
    fail(404, "agent_not_found", "Agent with id " + *agent_id + " was not found");
  }

  const std::string conversation_id = "conv_" + random_text(k_lower_alnum, 26);
  std::string twiml = R"(<?xml version="1.0" encoding="UTF-8"?><Response><Connect>)";
  twiml += "<Stream url=\"" + attribute(std::string(k_sandbox_stream_url) + "/" + conversation_id) +
           "\">";
  twiml += parameter("agent_id", *agent_id);
  twiml += parameter("conversation_id", conversation_id);
  twiml += parameter("direction", direction);
  twiml += parameter("from_number", *from_number);
  twiml += parameter("to_number", *to_number);
  for (const auto& [name, value] : variables) {
    twiml += parameter(name, value);
  }
  twiml += "</Stream></Connect></Response>";
  http::HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  response.body = std::move(twiml);
  return response;
}

} // namespace vami::sandbox::elevenlabs
