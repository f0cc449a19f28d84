// The sandbox's Synthflow half: phone numbers (SIP imports, the workspace's numbers, an inbound
// agent's number), driven by the Synthflow client.
#include <functional>

#include "synthflow_emulator_client.hpp"

namespace vami::synthflow_emulator_testing {
namespace {

TEST_F(SynthflowEmulatorTest, AnImportedNumberIsAssignedReassignedUnassignedAndRemoved) {
  std::string first = make_agent("Front Desk");
  std::string second = make_agent("Night Line", "night-line");
  ImportedNumber imported = provider->import_sip_trunk_number("+12125550101", "vami:acme", k_trunk);
  EXPECT_EQ(imported.phone_number_id, "12125550101");
  std::vector<ImportedNumber> numbers = provider->list_imported_numbers();
  ASSERT_EQ(numbers.size(), 1U);
  EXPECT_EQ(numbers[0].e164, "+12125550101");
  EXPECT_EQ(numbers[0].agent_id, "");

  EXPECT_EQ(provider->set_number_agent(imported.phone_number_id, first).agent_id, first);
  EXPECT_EQ(provider->list_imported_numbers()[0].agent_id, first);
  // One inbound agent per number: the second takes it, the first has none.
  EXPECT_EQ(provider->set_number_agent(imported.phone_number_id, second).agent_id, second);
  json number = json::parse(raw("GET", "/numbers/12125550101?workspace=" +
                                           sandbox->credentials().value("synthflow_workspace_id"))
                                .body);
  EXPECT_EQ(number["assistants"], json::array({second}));
  EXPECT_EQ(number["is_available"], false);
  json agent = json::parse(raw("GET", "/assistants/" + first).body);
  EXPECT_EQ(agent["response"]["assistants"][0]["phone_number"], "");

  EXPECT_EQ(provider->set_number_agent(imported.phone_number_id, "").agent_id, "");
  EXPECT_EQ(provider->list_imported_numbers()[0].agent_id, "");
  provider->remove_imported_number(imported.phone_number_id);
  EXPECT_TRUE(provider->list_imported_numbers().empty());
  EXPECT_EQ(error_of([&] { provider->remove_imported_number("12125550101"); }).kind(),
            ErrorKind::not_found);
}

TEST_F(SynthflowEmulatorTest, ImportsAreCheckedAsTheDocumentSays) {
  (void)provider->import_sip_trunk_number("+12125550101", "vami:acme", k_trunk);
  Error twice =
      error_of([&] { (void)provider->import_sip_trunk_number("+12125550101", "again", k_trunk); });
  EXPECT_EQ(twice.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(twice.what(), HasSubstr("already in the workspace"));
  const std::string workspace = sandbox->credentials().value("synthflow_workspace_id");
  EXPECT_EQ(raw("POST", "/custom-numbers",
                json{{"workspace_id", workspace},
                     {"phone_number", "+12125550102"},
                     {"provider_name", "twilio"}}
                    .dump())
                .status,
            400); // no termination_uri
  EXPECT_EQ(raw("POST", "/custom-numbers",
                json{{"workspace_id", "ws_other"},
                     {"phone_number", "+12125550102"},
                     {"provider_name", "five9"}}
                    .dump())
                .status,
            403);
  EXPECT_EQ(raw("POST", "/custom-numbers",
                json{{"workspace_id", workspace},
                     {"phone_number", "2125550102"},
                     {"provider_name", "five9"}}
                    .dump())
                .status,
            400);
}

TEST_F(SynthflowEmulatorTest, ANumberSynthflowSoldIsListedButNeverRemoved) {
  seed("INSERT INTO synthflow_numbers (slug, phone_number, provider_name, sid, created_at) "
       "VALUES ('14155550100', '+14155550100', 'twilio', 'PN0123', '2026-12-01T00:00:00Z')");
  std::vector<ImportedNumber> numbers = provider->list_imported_numbers();
  ASSERT_EQ(numbers.size(), 1U);
  EXPECT_EQ(numbers[0].phone_number_id, "14155550100");
  Error error = error_of([&] { provider->remove_imported_number("14155550100"); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(error.what(), HasSubstr("not imported over SIP"));
  EXPECT_EQ(provider->list_imported_numbers().size(), 1U);
  // An agent may take it as its inbound number.
  std::string agent = make_agent("Front Desk");
  EXPECT_EQ(provider->set_number_agent("14155550100", agent).agent_id, agent);
}

TEST_F(SynthflowEmulatorTest, SeededNumbersAreTheWorkspacesOwnAndSeedingAgainAddsNone) {
  sandbox::SeededNumbers seeded = sandbox->seed_synthflow_numbers(3);
  EXPECT_EQ(seeded.numbers,
            (std::vector<std::string>{"+14155550100", "+14155550101", "+14155550102"}));
  EXPECT_EQ(seeded.added, 3);
  std::vector<WorkspaceNumber> numbers = provider->list_workspace_numbers();
  ASSERT_EQ(numbers.size(), 3U);
  EXPECT_EQ(numbers[2].e164, "+14155550102");
  EXPECT_EQ(numbers[2].provider_id, "14155550102");
  // Bought through Synthflow: a Twilio sid, no SIP termination URI (not a SIP import).
  json number = json::parse(raw("GET", "/numbers/14155550100?workspace=" +
                                           sandbox->credentials().value("synthflow_workspace_id"))
                                .body);
  EXPECT_EQ(number["provider_name"], "twilio");
  EXPECT_EQ(number["sid"], "PN00000000000000000000014155550100");
  EXPECT_EQ(number["sip_term_uri"], "");
  EXPECT_EQ(number["friendly_name"], "(415) 555-0100");

  EXPECT_EQ(sandbox->seed_synthflow_numbers(3).added, 0);
  EXPECT_EQ(provider->list_workspace_numbers().size(), 3U);
  seeded = sandbox->seed_synthflow_numbers(5);
  EXPECT_EQ(seeded.added, 2);
  EXPECT_EQ(seeded.numbers.back(), "+14155550104");
  // A number the workspace holds as a SIP import is left as it is.
  (void)provider->import_sip_trunk_number("+14155550105", "vami:acme", k_trunk);
  EXPECT_EQ(sandbox->seed_synthflow_numbers(6).added, 0);
  EXPECT_EQ(provider->list_workspace_numbers().size(), 5U);

  EXPECT_EQ(sandbox->seed_synthflow_numbers(100).numbers.back(), "+14155550199");
  EXPECT_EQ(error_of([&] { (void)sandbox->seed_synthflow_numbers(101); }).kind(),
            ErrorKind::invalid_input);
}

TEST_F(SynthflowEmulatorTest, AnAgentCannotNameANumberTheWorkspaceDoesNotHold) {
  std::string agent = make_agent("Front Desk");
  Error error = error_of([&] { (void)provider->set_number_agent("19995550100", agent); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_THAT(error.what(), HasSubstr("not in the workspace"));
}

TEST_F(SynthflowEmulatorTest, DeletingANumberTakesItFromItsAgent) {
  std::string agent = make_agent("Front Desk");
  (void)provider->import_sip_trunk_number("+12125550101", "x", k_trunk);
  (void)provider->set_number_agent("12125550101", agent);
  EXPECT_EQ(raw("DELETE", "/numbers/12125550101").status, 200);
  json read = json::parse(raw("GET", "/assistants/" + agent).body);
  EXPECT_EQ(read["response"]["assistants"][0]["phone_number"], "");
}

TEST_F(SynthflowEmulatorTest, TheWorkspacesOwnNumbersAreListedWithoutTheSipImportsAndReleased) {
  seed("INSERT INTO synthflow_numbers (slug, phone_number, provider_name, sid, created_at) "
       "VALUES ('14155550142', '+14155550142', 'twilio', 'PN0142', '2026-12-01T00:00:00Z')");
  (void)provider->import_sip_trunk_number("+12125550101", "vami:acme", k_trunk);
  std::string agent = make_agent("Front Desk");
  (void)provider->set_number_agent("14155550142", agent);

  std::vector<WorkspaceNumber> numbers = provider->list_workspace_numbers();
  ASSERT_EQ(numbers.size(), 1U); // the SIP import (sid null) is vami's own Twilio number
  EXPECT_EQ(numbers[0].e164, "+14155550142");
  EXPECT_EQ(numbers[0].provider_id, "14155550142");
  EXPECT_EQ(numbers[0].agent_id, agent);
  EXPECT_TRUE(provider->capabilities().workspace_numbers);

  provider->release_workspace_number("14155550142");
  EXPECT_TRUE(provider->list_workspace_numbers().empty());
  json read = json::parse(raw("GET", "/assistants/" + agent).body);
  EXPECT_EQ(read["response"]["assistants"][0]["phone_number"], ""); // its agent lost it
  EXPECT_EQ(error_of([&] { provider->release_workspace_number("14155550142"); }).kind(),
            ErrorKind::not_found);
}

} // namespace
} // namespace vami::synthflow_emulator_testing
