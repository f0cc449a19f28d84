#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "store_backend.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vami/core/call.hpp>
#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>

namespace vami {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The call history of the state store, against every store implementation (store_backend.hpp).
class CallHistoryStoreTest : public testing::StoreBackendTest {
protected:
  void SetUpState() override { m_store = m_backend->open(); }

  void TearDown() override {
    m_store.reset();
    testing::StoreBackendTest::TearDown();
  }

  /// What the router learns from Twilio's voice webhook and status callback.
  static CallRecord twilio_half(const std::string& call_sid) {
    CallRecord call;
    call.call_sid = call_sid;
    call.number = "+12125550101";
    call.caller = "+14155550199";
    call.tenant_slug = "acme";
    call.agent_slug = "front-desk";
    call.direction = CallDirection::inbound;
    call.status = CallStatus::ringing;
    call.started_at = "2026-11-22T10:00:00Z";
    return call;
  }

  /// What ElevenLabs' post-call webhook says of the same call.
  static CallRecord post_call(const std::string& conversation_id, const std::string& call_sid) {
    CallRecord call;
    call.conversation_id = conversation_id;
    call.call_sid = call_sid;
    call.provider_agent_id = "agent_01";
    call.status = CallStatus::completed;
    call.started_at = "2026-11-22T10:00:02Z";
    call.duration_seconds = 95;
    call.agent_cost = Money{123'400, "USD"};
    call.agent_credits = 296;
    call.outcome = CallOutcome::success;
    call.summary = "The caller booked a cleaning.";
    call.transcript = {{"agent", "Hello, Acme Dental.", 0}, {"user", "I need a cleaning.", 3}};
    return call;
  }

  std::unique_ptr<StateStore> m_store;
};

TEST_P(CallHistoryStoreTest, ANewCallIsCreatedAndFoundByEitherId) {
  const CallUpsert first = m_store->upsert_call(post_call("conv_01", "CA01"));
  EXPECT_EQ(first.result, CallUpsertResult::created);
  EXPECT_FALSE(first.call.created_at.empty());
  EXPECT_EQ(first.call.created_at, first.call.updated_at);

  for (const char* id : {"CA01", "conv_01"}) {
    auto found = m_store->find_call(id);
    ASSERT_TRUE(found) << id;
    EXPECT_EQ(*found, first.call);
    EXPECT_EQ(found->duration_seconds, 95);
    EXPECT_EQ(found->agent_cost, (Money{123'400, "USD"}));
    EXPECT_EQ(found->agent_credits, 296);
    EXPECT_EQ(found->outcome, CallOutcome::success);
    EXPECT_EQ(found->source, CallSource::router);
    ASSERT_EQ(found->transcript.size(), 2U);
    EXPECT_EQ(found->transcript[1], (TranscriptLine{"user", "I need a cleaning.", 3}));
  }
  EXPECT_FALSE(m_store->find_call("CA02"));
  EXPECT_FALSE(m_store->find_call(""));
}

TEST_P(CallHistoryStoreTest, ARedeliveredPostCallChangesNothing) {
  const CallUpsert first = m_store->upsert_call(post_call("conv_01", "CA01"));
  CallRecord again = post_call("conv_01", "CA01");
  again.summary = "A different summary the second time.";
  again.duration_seconds = 96;
  const CallUpsert second = m_store->upsert_call(again);
  EXPECT_EQ(second.result, CallUpsertResult::unchanged);
  EXPECT_EQ(second.call, first.call);
  EXPECT_EQ(*m_store->find_call("conv_01"), first.call);
  EXPECT_EQ(m_store->list_calls({}).size(), 1U);
}

TEST_P(CallHistoryStoreTest, StatusMovesForwardOnlyAndALateCallbackFillsOnlyWhatIsMissing) {
  (void)m_store->upsert_call(twilio_half("CA01"));
  (void)m_store->upsert_call(post_call("conv_01", "CA01"));

  // A status callback arriving after the post-call: its duration and start are not taken,
  // its price is (nothing else knew it), and the final status stays.
  CallRecord callback;
  callback.call_sid = "CA01";
  callback.status = CallStatus::no_answer;
  callback.duration_seconds = 97;
  callback.telephony_cost = Money{17'000, "USD"};
  const CallUpsert late = m_store->upsert_call(callback);
  EXPECT_EQ(late.result, CallUpsertResult::updated);
  EXPECT_EQ(late.call.status, CallStatus::completed);
  EXPECT_EQ(late.call.duration_seconds, 95);
  EXPECT_EQ(late.call.started_at, "2026-11-22T10:00:00Z");
  EXPECT_EQ(late.call.telephony_cost, (Money{17'000, "USD"}));

  // An earlier status delivered late does not move a call back.
  CallRecord ringing;
  ringing.call_sid = "CA01";
  ringing.status = CallStatus::in_progress;
  EXPECT_EQ(m_store->upsert_call(ringing).result, CallUpsertResult::unchanged);
  EXPECT_EQ(m_store->find_call("CA01")->status, CallStatus::completed);

  // queued -> ringing -> in-progress -> completed, each a step forward.
  CallRecord other = twilio_half("CA02");
  other.status = CallStatus::queued;
  (void)m_store->upsert_call(other);
  for (CallStatus status : {CallStatus::ringing, CallStatus::in_progress, CallStatus::busy}) {
    other.status = status;
    EXPECT_EQ(m_store->upsert_call(other).result, CallUpsertResult::updated);
  }
  EXPECT_EQ(m_store->find_call("CA02")->status, CallStatus::busy);
}

TEST_P(CallHistoryStoreTest, TheTwoHalvesOfOneCallBecomeOneRow) {
  // Twilio's list knew the CallSid; ElevenLabs' list the conversation (without the CallSid).
  CallRecord twilio = twilio_half("CA01");
  twilio.source = CallSource::sync;
  (void)m_store->upsert_call(twilio);
  CallRecord conversation = post_call("conv_01", "");
  conversation.source = CallSource::sync;
  (void)m_store->upsert_call(conversation);
  EXPECT_EQ(m_store->list_calls({}).size(), 2U);

  // The conversation's details name the CallSid: one call.
  const CallUpsert joined = m_store->upsert_call(post_call("conv_01", "CA01"));
  EXPECT_EQ(joined.result, CallUpsertResult::updated);
  const auto calls = m_store->list_calls({});
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].call_sid, "CA01");
  EXPECT_EQ(calls[0].conversation_id, "conv_01");
  EXPECT_EQ(calls[0].tenant_slug, "acme");
  EXPECT_EQ(calls[0].summary, "The caller booked a cleaning.");
  EXPECT_EQ(calls[0].started_at, "2026-11-22T10:00:00Z"); // The older row's start.
  EXPECT_EQ(calls[0].source, CallSource::sync);
}

TEST_P(CallHistoryStoreTest, TwoDifferentCallsAreNotJoined) {
  (void)m_store->upsert_call(post_call("conv_01", "CA01"));
  (void)m_store->upsert_call(post_call("conv_02", "CA02"));
  // A record naming the CallSid of one and the conversation of the other does not merge them.
  (void)m_store->upsert_call(post_call("conv_02", "CA01"));
  EXPECT_EQ(m_store->list_calls({}).size(), 2U);
  EXPECT_EQ(m_store->find_call("CA01")->conversation_id, "conv_01");
  EXPECT_EQ(m_store->find_call("CA02")->conversation_id, "conv_02");
}

TEST_P(CallHistoryStoreTest, AFailureToStartIsStored) {
  CallRecord failure;
  failure.conversation_id = "conv_09";
  failure.provider_agent_id = "agent_01";
  failure.status = CallStatus::failed_to_start;
  failure.failure_reason = "busy";
  (void)m_store->upsert_call(failure);
  const auto found = m_store->find_call("conv_09");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, CallStatus::failed_to_start);
  EXPECT_EQ(found->failure_reason, "busy");
  EXPECT_TRUE(found->started_at.empty());
  EXPECT_FALSE(found->duration_seconds);
}

TEST_P(CallHistoryStoreTest, ListFiltersByTenantAgentNumberTimeAndStatusNewestFirst) {
  auto add = [&](const std::string& sid, const std::string& tenant, const std::string& agent,
                 const std::string& number, const std::string& at, CallStatus status) {
    CallRecord call;
    call.call_sid = sid;
    call.tenant_slug = tenant;
    call.agent_slug = agent;
    call.provider_agent_id = "el_" + agent;
    call.number = number;
    call.started_at = at;
    call.status = status;
    (void)m_store->upsert_call(call);
  };
  add("CA1", "acme", "front-desk", "+12125550101", "2026-11-01T09:00:00Z", CallStatus::completed);
  add("CA2", "acme", "dr-smith", "+12125550102", "2026-11-02T09:00:00Z", CallStatus::busy);
  add("CA3", "globex", "reception", "+12125550103", "2026-11-03T09:00:00Z", CallStatus::completed);
  add("CA4", "acme", "front-desk", "+12125550101", "2026-11-04T09:00:00Z", CallStatus::completed);

  auto sids = [&](const CallFilter& filter) {
    std::vector<std::string> result;
    for (const auto& call : m_store->list_calls(filter)) {
      result.push_back(call.call_sid);
    }
    return result;
  };
  EXPECT_THAT(sids({}), ElementsAre("CA4", "CA3", "CA2", "CA1"));
  CallFilter filter;
  filter.tenant_slug = "acme";
  EXPECT_THAT(sids(filter), ElementsAre("CA4", "CA2", "CA1"));
  filter = {};
  filter.agent_slug = "front-desk";
  EXPECT_THAT(sids(filter), ElementsAre("CA4", "CA1"));
  filter.agent_slug = "el_reception";
  EXPECT_THAT(sids(filter), ElementsAre("CA3"));
  filter = {};
  filter.number = "+12125550102";
  EXPECT_THAT(sids(filter), ElementsAre("CA2"));
  filter = {};
  filter.since = "2026-11-02T09:00:00Z";
  EXPECT_THAT(sids(filter), ElementsAre("CA4", "CA3", "CA2"));
  filter = {};
  filter.until = "2026-11-03T09:00:00Z";
  EXPECT_THAT(sids(filter), ElementsAre("CA2", "CA1"));
  filter = {};
  filter.status = CallStatus::completed;
  EXPECT_THAT(sids(filter), ElementsAre("CA4", "CA3", "CA1"));
  filter.tenant_slug = "acme";
  filter.limit = 1;
  EXPECT_THAT(sids(filter), ElementsAre("CA4"));
}

TEST_P(CallHistoryStoreTest, RecordsWithoutAnIdOrWithBadMoneyAreRefused) {
  CallRecord nameless;
  nameless.number = "+12125550101";
  try {
    (void)m_store->upsert_call(nameless);
    FAIL() << "expected invalid_input";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_THAT(error.what(), HasSubstr("CallSid or a conversation id"));
  }
  CallRecord negative = twilio_half("CA01");
  negative.telephony_cost = Money{-1, "USD"};
  EXPECT_THROW((void)m_store->upsert_call(negative), Error);
  CallRecord no_currency = twilio_half("CA01");
  no_currency.agent_cost = Money{10, ""};
  EXPECT_THROW((void)m_store->upsert_call(no_currency), Error);
  CallRecord backwards = twilio_half("CA01");
  backwards.duration_seconds = -3;
  EXPECT_THROW((void)m_store->upsert_call(backwards), Error);
  EXPECT_TRUE(m_store->list_calls({}).empty());
}

TEST_P(CallHistoryStoreTest, TheCallsTableHasItsConstraints) {
  EXPECT_THROW(m_backend->execute("INSERT INTO calls (number, source, created_at, updated_at) "
                                  "VALUES ('+12125550101', 'router', 'x', 'x')"),
               std::runtime_error);
  EXPECT_THROW(m_backend->execute("INSERT INTO calls (call_sid, status, source, created_at, "
                                  "updated_at) VALUES ('CA1', 'lost', 'router', 'x', 'x')"),
               std::runtime_error);
  EXPECT_THROW(m_backend->execute("INSERT INTO calls (call_sid, telephony_cost_micros, source, "
                                  "created_at, updated_at) VALUES ('CA1', 5, 'router', 'x', 'x')"),
               std::runtime_error);
}

VAMI_STORE_BACKENDS(CallHistoryStoreTest);

TEST(CallRecordNames, StatusesParseWithDashesOrUnderscores) {
  EXPECT_EQ(parse_call_status("in-progress"), CallStatus::in_progress);
  EXPECT_EQ(parse_call_status("no_answer"), CallStatus::no_answer);
  EXPECT_EQ(parse_call_status("failed_to_start"), CallStatus::failed_to_start);
  EXPECT_STREQ(to_string(CallStatus::failed_to_start), "failed-to-start");
  EXPECT_FALSE(parse_call_status("done"));
  EXPECT_TRUE(is_final(CallStatus::canceled));
  EXPECT_FALSE(is_final(CallStatus::in_progress));
  EXPECT_EQ(parse_call_direction("outbound"), CallDirection::outbound_api);
  EXPECT_EQ(parse_call_direction("outbound-dial"), CallDirection::outbound_dial);
}

} // namespace
} // namespace vami
