// The "stream" voice-agent provider: no remote account; the call router's answer is TwiML
// `<Connect><Stream>` to the orchestrator with the tenant's settings as `<Parameter>`s.
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/providers/stream_agent_provider.hpp>
#include <vami/providers/twilio_webhooks.hpp>

namespace vami {
namespace {

ErrorKind kind_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.kind();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorKind::interrupted;
}

TEST(StreamAgentProvider, SaysWhatItCanDoAndMakesItsOwnIds) {
  auto provider = make_stream_agent_provider();
  EXPECT_EQ(provider->name(), "stream");
  const AgentProviderCapabilities can = provider->capabilities();
  EXPECT_TRUE(can.stream_agents);
  EXPECT_FALSE(can.native_numbers);
  EXPECT_FALSE(can.knowledge_base);
  EXPECT_FALSE(can.voice_catalogue);
  EXPECT_FALSE(can.hosted_agents);
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string id = provider->create_agent({});
    EXPECT_EQ(id.rfind("stream_", 0), 0U) << id;
    EXPECT_EQ(id.size(), 31U) << id;
    EXPECT_TRUE(provider->get_agent(id).has_value());
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100U);
  EXPECT_FALSE(provider->get_agent("agent_01").has_value()); // not one of its ids
  EXPECT_EQ(kind_of([&] { provider->delete_agent("agent_01"); }), ErrorKind::not_found);
}

TEST(StreamAgentProvider, AnswersACallWithAStreamToTheOrchestratorCarryingEveryParameter) {
  auto provider = make_stream_agent_provider();
  CallRegistration call;
  call.agent_id = provider->create_agent({});
  call.stream_url = "wss://voice.example.com/media?a=1&b=2";
  call.stream_parameters = {{"vami_tenant", "acme"}, {"note", "Tom & \"Jerry\" <3>"}};
  EXPECT_EQ(provider->register_call(call),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect>"
            "<Stream url=\"wss://voice.example.com/media?a=1&amp;b=2\">"
            "<Parameter name=\"vami_tenant\" value=\"acme\"/>"
            "<Parameter name=\"note\" value=\"Tom &amp; &quot;Jerry&quot; &lt;3&gt;\"/>"
            "</Stream></Connect></Response>");
  EXPECT_TRUE(twilio::looks_like_twiml(provider->register_call(call)));
  call.stream_url.clear();
  EXPECT_EQ(kind_of([&] { (void)provider->register_call(call); }), ErrorKind::invalid_input);
}

TEST(StreamAgentProvider, RefusesWhatOnlyHostedPlatformsHaveAndListsNothing) {
  auto provider = make_stream_agent_provider();
  EXPECT_EQ(kind_of([&] { (void)provider->list_voices(); }), ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { (void)provider->add_document_text("hours", "x"); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { (void)provider->import_number("+12125550101", "x"); }),
            ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { (void)provider->create_webhook("vami router", "https://r"); }),
            ErrorKind::invalid_input);
  EXPECT_TRUE(provider->list_agents("").empty());
  EXPECT_TRUE(provider->list_imported_numbers().empty());
  EXPECT_TRUE(provider->list_documents("vami:").empty());
  EXPECT_FALSE(provider->answers_voice_url("https://api.us.elevenlabs.io/twilio/inbound_call"));
}

} // namespace
} // namespace vami
