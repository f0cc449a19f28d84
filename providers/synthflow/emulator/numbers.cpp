// The Synthflow emulator's phone numbers: the workspace's numbers (`/numbers`) and SIP imports
// (`/custom-numbers`) (synthflow_emulator.hpp).

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>

#include "synthflow/emulator/synthflow_emulator_impl.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

namespace vami::sandbox {

using namespace synthflow; // NOLINT(google-build-using-namespace): this half's wire helpers

namespace {

constexpr std::array<std::string_view, 8> k_providers = {
    "twilio", "telnyx", "vonage", "ring_central", "ringcx", "custom", "zoom", "five9"};
/// Providers whose import needs a `termination_uri` (the others get their SIP domain filled in).
constexpr std::array<std::string_view, 5> k_needs_termination = {"custom", "twilio", "telnyx",
                                                                 "vonage", "ring_central"};

bool is_e164(const std::string& number) {
  return number.size() >= 9 && number.size() <= 16 && number[0] == '+' && number[1] != '0' &&
         number.find_first_not_of("0123456789", 1) == std::string::npos;
}

std::string iso_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

} // namespace

bool SynthflowSandbox::Impl::holds_number(const std::string& phone_number) {
  SQLite::Statement select(m_db, "SELECT 1 FROM synthflow_numbers WHERE phone_number = ?");
  select.bind(1, phone_number);
  return select.executeStep();
}

http::HttpResponse SynthflowSandbox::Impl::list_numbers(const Params& query) {
  check_workspace(required_param(query, "workspace"));
  std::int64_t limit = int_param(query, "limit", 20, 1, 1000);
  std::int64_t offset = int_param(query, "offset", 0, 0, INT32_MAX);
  std::optional<std::string> available = param(query, "is_available");
  if (available && *available != "true" && *available != "false") {
    fail(422, "validation", "'is_available' must be true or false");
  }
  std::vector<Json> agents = all_agents();
  SQLite::Statement select(m_db, "SELECT phone_number, sid FROM synthflow_numbers ORDER BY "
                                 "created_at, slug");
  std::int64_t total = 0;
  Json list = Json::array();
  while (select.executeStep()) {
    std::string number = select.getColumn(0).getString();
    bool free = std::none_of(agents.begin(), agents.end(), [&](const Json& agent) {
      return agent.value("type", "") == "inbound" && agent.value("phone_number", "") == number;
    });
    if (available && (*available == "true") != free) {
      continue;
    }
    if (total++ < offset || static_cast<std::int64_t>(list.size()) >= limit) {
      continue;
    }
    Json item;
    item["number"] = number;
    item["sid"] = select.getColumn(1).isNull() ? Json() : Json(select.getColumn(1).getString());
    item["is_available"] = free;
    list.push_back(std::move(item));
  }
  Json response;
  response["pagination"] = pagination(total, limit, offset);
  response["phone_numbers"] = std::move(list);
  return ok(std::move(response));
}

http::HttpResponse SynthflowSandbox::Impl::get_number(const std::string& slug,
                                                      const Params& query) {
  check_workspace(required_param(query, "workspace"));
  SQLite::Statement select(m_db, "SELECT phone_number, friendly_name, provider_name, "
                                 "sip_term_uri, sid, created_at FROM synthflow_numbers "
                                 "WHERE slug = ?");
  select.bind(1, slug);
  if (!select.executeStep()) {
    fail(404, "not_found", "Phone number " + slug + " not found");
  }
  std::string number = select.getColumn(0).getString();
  Json assistants = Json::array();
  bool free = true;
  for (const Json& agent : all_agents()) {
    if (agent.value("phone_number", "") == number) {
      assistants.push_back(agent.value("model_id", ""));
      free = free && agent.value("type", "") != "inbound";
    }
  }
  Json body;
  body["slug"] = slug;
  body["phone_number"] = number;
  body["friendly_name"] = select.getColumn(1).getString();
  body["is_voice_capable"] = true;
  body["iso_country"] = number.rfind("+1", 0) == 0 ? "US" : "";
  body["sip_term_uri"] = select.getColumn(3).getString();
  body["sid"] = select.getColumn(4).isNull() ? Json() : Json(select.getColumn(4).getString());
  body["provider_name"] = select.getColumn(2).getString();
  body["is_available"] = free;
  body["workspace_id"] = m_workspace_id;
  body["created_at"] = select.getColumn(5).getString();
  body["assistants"] = std::move(assistants);
  return json_response(200, body);
}

http::HttpResponse SynthflowSandbox::Impl::delete_number(const std::string& slug) {
  SQLite::Statement select(m_db, "SELECT phone_number FROM synthflow_numbers WHERE slug = ?");
  select.bind(1, slug);
  if (!select.executeStep()) {
    fail(404, "not_found", "Phone number " + slug + " not found");
  }
  std::string number = select.getColumn(0).getString();
  // "This will detach the phone number from any agents it is linked to."
  for (Json agent : all_agents()) {
    if (agent.value("phone_number", "") == number) {
      agent["phone_number"] = "";
      store_agent(agent.value("model_id", ""), agent);
    }
  }
  SQLite::Statement remove(m_db, "DELETE FROM synthflow_numbers WHERE slug = ?");
  remove.bind(1, slug);
  remove.exec();
  return json_response(200, Json{{"status", "ok"}});
}

SeededNumbers SynthflowSandbox::Impl::seed_numbers(int count) {
  std::lock_guard lock(m_mutex);
  SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
  SeededNumbers seeded;
  for (int i = 0; i < count; ++i) {
    const std::string digits = std::to_string(k_first_seeded_synthflow_number + i);
    const std::string number = "+" + digits;
    seeded.numbers.push_back(number);
    if (holds_number(number)) {
      continue;
    }
    // Synthflow buys its numbers through Twilio: a Twilio sid, "PN" + 32 hex digits.
    SQLite::Statement insert(m_db, "INSERT INTO synthflow_numbers (slug, phone_number, "
                                   "friendly_name, provider_name, sip_term_uri, sid, created_at) "
                                   "VALUES (?, ?, ?, 'twilio', '', ?, ?)");
    insert.bind(1, digits);
    insert.bind(2, number);
    insert.bind(3, "(" + digits.substr(1, 3) + ") " + digits.substr(4, 3) + "-" + digits.substr(7));
    insert.bind(4, "PN" + std::string(32 - digits.size(), '0') + digits);
    insert.bind(5, iso_now());
    insert.exec();
    ++seeded.added;
  }
  transaction.commit();
  return seeded;
}

http::HttpResponse SynthflowSandbox::Impl::import_number(const Json& body) {
  std::optional<std::string> workspace = text_field(body, "workspace_id");
  std::optional<std::string> number = text_field(body, "phone_number");
  if (!workspace || !number) {
    fail(422, "validation", "'workspace_id' and 'phone_number' are required");
  }
  check_workspace(*workspace);
  std::string provider = text_field(body, "provider_name").value_or("custom");
  if (std::find(k_providers.begin(), k_providers.end(), provider) == k_providers.end()) {
    fail(422, "validation", "'provider_name' is not one of the allowed values: " + provider);
  }
  std::string termination = text_field(body, "termination_uri").value_or("");
  if (termination.empty() && std::find(k_needs_termination.begin(), k_needs_termination.end(),
                                       provider) != k_needs_termination.end()) {
    fail(400, "validation", "'termination_uri' is required for provider " + provider);
  }
  if (!is_e164(*number)) {
    fail(400, "validation", "'phone_number' must be in E.164 format: " + *number);
  }
  if (holds_number(*number)) {
    fail(400, "validation", "phone number " + *number + " is already in the workspace");
  }
  SQLite::Statement insert(m_db, "INSERT INTO synthflow_numbers (slug, phone_number, "
                                 "friendly_name, provider_name, sip_term_uri, sid, created_at) "
                                 "VALUES (?, ?, ?, ?, ?, NULL, ?)");
  insert.bind(1, number->substr(1));
  insert.bind(2, *number);
  insert.bind(3, text_field(body, "friendly_name").value_or(""));
  insert.bind(4, provider);
  insert.bind(5, termination);
  insert.bind(6, iso_now());
  insert.exec();
  Json response;
  response["key"] = new_id();
  response["phone_number"] = *number;
  return ok(std::move(response));
}

} // namespace vami::sandbox
