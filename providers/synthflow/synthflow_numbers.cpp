// Phone numbers: Twilio numbers imported over SIP (`/custom-numbers`), the workspace's numbers
// (`/numbers`), and an inbound agent's number (its `phone_number`) (synthflow_provider_impl.hpp).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "synthflow_provider_impl.hpp"

#include <vami/core/error.hpp>

namespace vami::synthflow::detail {

namespace {

constexpr int k_numbers_page_size = 100;

/// Synthflow's slug of a number: E.164 without its `+`.
std::string slug_of(const std::string& e164) {
  return !e164.empty() && e164.front() == '+' ? e164.substr(1) : e164;
}

std::string e164_of(const std::string& number) {
  return !number.empty() && number.front() == '+' ? number : "+" + number;
}

std::string number_path(const std::string& slug) {
  return "/numbers/" + http::url_encode(slug);
}

} // namespace

ImportedNumber SynthflowProvider::import_number(const std::string& e164,
                                                const std::string& /*label*/) {
  throw Error(ErrorKind::invalid_input,
              "cannot import " + e164 +
                  " into the Synthflow workspace by its voice URL: Synthflow answers a Twilio "
                  "number only over an Elastic SIP trunk",
              "assign the number to the Synthflow agent with vami, which moves it onto the SIP "
              "trunk to Synthflow first");
}

ImportedNumber SynthflowProvider::import_sip_trunk_number(const std::string& e164,
                                                          const std::string& label,
                                                          const std::string& sip_termination_uri) {
  const std::string action = "import " + e164 + " into the Synthflow workspace";
  const std::string& workspace_id = workspace(action);
  if (sip_termination_uri.empty()) {
    throw Error(ErrorKind::invalid_input, "cannot " + action + ": no SIP termination URI");
  }
  Call call{action,
            {},
            "check that " + e164 + " is on the Twilio Elastic SIP trunk whose termination URI is " +
                sip_termination_uri};
  json body = {{"workspace_id", workspace_id},
               {"phone_number", e164},
               {"friendly_name", label},
               {"provider_name", "twilio"},
               {"termination_uri", sip_termination_uri}};
  http::HttpResponse response = send(call, "POST", "/custom-numbers", body);
  Reader reader(call, response);
  (void)reader.envelope(); // `{status, response: {key, phone_number}}`: the slug is the id
  ImportedNumber number;
  number.phone_number_id = slug_of(e164);
  number.e164 = e164;
  number.label = label;
  return number;
}

std::vector<std::string> SynthflowProvider::number_agents(const Call& call,
                                                          const std::string& slug) const {
  http::HttpResponse response =
      send(call, "GET",
           number_path(slug) + "?" + http::form_encode({{"workspace", workspace(call.action)}}));
  Reader reader(call, response);
  return reader.strings(reader.object(), "assistants");
}

void SynthflowProvider::set_agent_phone_number(const std::string& agent_id,
                                               const std::string& e164) const {
  Call call{e164.empty() ? "take the phone number off agent " + agent_id
                         : "make " + e164 + " the number of agent " + agent_id,
            "check the agent's id; 'vami reconcile' compares the state database with Synthflow",
            {}};
  // The contract does not say how an agent gives its number up; an empty `phone_number` is
  // what Synthflow's dashboard sends.
  (void)send(call, "PUT", "/assistants/" + http::url_encode(agent_id),
             json{{"phone_number", e164}});
}

ImportedNumber SynthflowProvider::set_number_agent(const std::string& phone_number_id,
                                                   const std::string& agent_id) {
  const std::string e164 = e164_of(phone_number_id);
  const std::string slug = slug_of(phone_number_id);
  // The new agent first, then any other holder let go: a reassignment never leaves the
  // number without an agent.
  if (!agent_id.empty()) {
    set_agent_phone_number(agent_id, e164);
  }
  Call call{"read the agents of " + e164,
            "check the number; 'vami reconcile' compares the state database with Synthflow",
            {}};
  for (const std::string& holder : number_agents(call, slug)) {
    if (holder != agent_id) {
      set_agent_phone_number(holder, "");
    }
  }
  ImportedNumber number;
  number.phone_number_id = slug;
  number.e164 = e164;
  number.agent_id = agent_id;
  return number;
}

bool SynthflowProvider::answers_voice_url(const std::string&) const {
  // Synthflow answers a Twilio number over SIP (an Elastic SIP trunk), never through the
  // number's voice URL.
  return false;
}

std::vector<SynthflowProvider::ListedNumber> SynthflowProvider::read_numbers() const {
  const std::string action = "list the workspace's phone numbers";
  std::vector<ListedNumber> numbers;
  read_pages(
      action, "/numbers", {{"workspace", workspace(action)}}, "phone_numbers", k_numbers_page_size,
      [&](const Reader& reader, const json& item, const std::string& where) {
        reader.expect_object(item, where);
        ListedNumber number;
        number.e164 = e164_of(reader.text(item, "number", Reader::Presence::required, where));
        // "Phone number SID. May be null for custom numbers": the SIP imports.
        const json* sid = reader.member(item, "sid", Reader::Presence::optional, where);
        number.sip_import = sid == nullptr || sid->is_null();
        numbers.push_back(std::move(number));
      },
      [] { return false; });
  if (numbers.empty()) {
    return numbers;
  }
  // The list does not name a number's agent: each inbound agent names its number.
  std::map<std::string, std::string> agent_of;
  read_pages(
      "list agents (for their numbers)", "/assistants/", {}, "assistants", k_numbers_page_size,
      [&](const Reader& reader, const json& item, const std::string& where) {
        reader.expect_object(item, where);
        std::string phone = reader.agent_phone_number(item, where);
        if (!phone.empty()) {
          agent_of.emplace(e164_of(phone),
                           reader.text(item, "model_id", Reader::Presence::required, where));
        }
      },
      [] { return false; });
  for (ListedNumber& number : numbers) {
    if (auto found = agent_of.find(number.e164); found != agent_of.end()) {
      number.agent_id = found->second;
    }
  }
  return numbers;
}

std::vector<ImportedNumber> SynthflowProvider::list_imported_numbers() {
  std::vector<ImportedNumber> numbers;
  for (ListedNumber& listed : read_numbers()) {
    ImportedNumber number;
    number.phone_number_id = slug_of(listed.e164);
    number.e164 = std::move(listed.e164);
    number.agent_id = std::move(listed.agent_id);
    numbers.push_back(std::move(number));
  }
  return numbers;
}

std::vector<WorkspaceNumber> SynthflowProvider::list_workspace_numbers() {
  std::vector<WorkspaceNumber> numbers;
  for (ListedNumber& listed : read_numbers()) {
    if (!listed.sip_import) {
      std::string slug = slug_of(listed.e164);
      numbers.push_back(
          WorkspaceNumber{std::move(slug), std::move(listed.e164), std::move(listed.agent_id)});
    }
  }
  return numbers;
}

void SynthflowProvider::release_workspace_number(const std::string& provider_id) {
  const std::string slug = slug_of(provider_id);
  Call call{"release " + e164_of(provider_id) + " from the Synthflow workspace",
            "check the number with 'vami reconcile'",
            {}};
  // "Deletes a phone number from your workspace. This will detach the phone number from any
  // agents it is linked to. For phone numbers purchased through Synthflow, this also cancels
  // the monthly subscription."
  (void)send(call, "DELETE", number_path(slug));
}

void SynthflowProvider::remove_imported_number(const std::string& phone_number_id) {
  const std::string slug = slug_of(phone_number_id);
  Call call{"remove " + e164_of(phone_number_id) + " from the Synthflow workspace", {}, {}};
  http::HttpResponse response =
      send(call, "GET",
           number_path(slug) + "?" + http::form_encode({{"workspace", workspace(call.action)}}));
  Reader reader(call, response);
  // Deleting a number Synthflow sold cancels its subscription: only SIP imports (which carry
  // the trunk's termination URI) are removed this way.
  if (reader.text(reader.object(), "sip_term_uri", Reader::Presence::optional).empty()) {
    throw Error(ErrorKind::invalid_input,
                "cannot " + call.action +
                    ": it was not imported over SIP, and deleting a number Synthflow holds "
                    "cancels it there",
                "release a number bought through Synthflow in Synthflow's dashboard");
  }
  (void)send(call, "DELETE", number_path(slug));
}

} // namespace vami::synthflow::detail
