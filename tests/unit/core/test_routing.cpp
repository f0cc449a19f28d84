#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/router_endpoints.hpp>
#include <vami/core/routing.hpp>

namespace vami {
namespace {

constexpr const char* k_router = "https://router.example.com/voice";
constexpr const char* k_inbound = "https://api.us.elevenlabs.io/twilio/inbound_call";

PoolNumber assigned_row(RoutingMode mode) {
  PoolNumber row;
  row.e164 = "+12125551000";
  row.provider_sid = "PN1";
  row.status = NumberStatus::assigned;
  row.agent_slug = "front-desk";
  row.tenant_slug = "acme";
  row.routing_mode = mode;
  return row;
}

Agent front_desk() {
  Agent agent;
  agent.slug = "front-desk";
  agent.tenant_slug = "acme";
  agent.provider_agent_id = "agent_1";
  return agent;
}

/// What the providers report when they route the number as `desired` asks.
ObservedRouting routed(const std::string& voice_url, const std::string& import_agent) {
  ObservedRouting observed;
  OwnedNumber owned;
  owned.provider_sid = "PN1";
  owned.e164 = "+12125551000";
  owned.webhook.voice_url = voice_url;
  observed.owned = owned;
  observed.voice_url_is_agent_provider = voice_url == k_inbound;
  if (!import_agent.empty()) {
    ImportedNumber imported;
    imported.phone_number_id = "phnum_1";
    imported.e164 = owned.e164;
    imported.agent_id = import_agent;
    observed.imported = imported;
  }
  observed.agent_exists = true;
  return observed;
}

TEST(DesiredRouting, FollowsTheRowsStatusModeAndAgent) {
  DesiredRouting native = desired_routing(assigned_row(RoutingMode::native), front_desk(), "");
  EXPECT_EQ(native.target, RoutingTarget::native);
  EXPECT_EQ(native.import_agent_id, "agent_1");
  EXPECT_TRUE(native.voice_webhook.voice_url.empty());
  EXPECT_FALSE(native.blocked.has_value());

  DesiredRouting webhook =
      desired_routing(assigned_row(RoutingMode::webhook), front_desk(), k_router);
  EXPECT_EQ(webhook.target, RoutingTarget::webhook);
  EXPECT_EQ(webhook.voice_webhook.voice_url, std::string(k_router) + "?agent_id=agent_1");
  EXPECT_TRUE(webhook.import_agent_id.empty());

  EXPECT_EQ(desired_routing(assigned_row(RoutingMode::webhook), front_desk(), "").blocked,
            RoutingFault::no_router_url);
  EXPECT_EQ(desired_routing(assigned_row(RoutingMode::native), std::nullopt, k_router).blocked,
            RoutingFault::agent_unroutable);

  PoolNumber available = assigned_row(RoutingMode::native);
  available.status = NumberStatus::available;
  EXPECT_EQ(desired_routing(available, front_desk(), k_router).target, RoutingTarget::none);
}

TEST(RoutingFaults, NoneWhenTheProvidersHoldWhatTheModeNeeds) {
  const auto native = desired_routing(assigned_row(RoutingMode::native), front_desk(), k_router);
  EXPECT_TRUE(routing_faults(native, routed(k_inbound, "agent_1")).empty());
  const auto webhook = desired_routing(assigned_row(RoutingMode::webhook), front_desk(), k_router);
  EXPECT_TRUE(routing_faults(webhook, routed(webhook.voice_webhook.voice_url, "")).empty());
}

// Issue 10, item 1: after a round trip through webhook routing the import still named the
// agent but the voice URL was empty; every check said "in sync".
TEST(RoutingFaults, AnImportedNativeNumberWithoutItsVoiceUrlIsNotAnswered) {
  const auto native = desired_routing(assigned_row(RoutingMode::native), front_desk(), k_router);
  const auto faults = routing_faults(native, routed("", "agent_1"));
  EXPECT_EQ(faults, std::vector<RoutingFault>{RoutingFault::no_voice_url});
  EXPECT_TRUE(calls_unanswered(native, faults));
  const auto elsewhere = routing_faults(native, routed("https://someone.example.com/", "agent_1"));
  EXPECT_EQ(elsewhere, std::vector<RoutingFault>{RoutingFault::wrong_voice_url});
}

TEST(RoutingFaults, NamesEveryBrokenLinkOfTheChain) {
  const auto native = desired_routing(assigned_row(RoutingMode::native), front_desk(), k_router);
  EXPECT_EQ(routing_faults(native, routed(k_inbound, "")),
            std::vector<RoutingFault>{RoutingFault::not_imported});
  ObservedRouting unassigned_import = routed(k_inbound, "agent_1");
  unassigned_import.imported->agent_id.clear();
  EXPECT_EQ(routing_faults(native, unassigned_import),
            std::vector<RoutingFault>{RoutingFault::import_unassigned});
  EXPECT_EQ(routing_faults(native, routed(k_inbound, "agent_2")),
            std::vector<RoutingFault>{RoutingFault::import_other_agent});
  ObservedRouting gone = routed(k_inbound, "agent_1");
  gone.agent_exists = false;
  EXPECT_EQ(routing_faults(native, gone), std::vector<RoutingFault>{RoutingFault::agent_missing});
  EXPECT_TRUE(calls_unanswered(native, routing_faults(native, gone)));
  ObservedRouting not_owned;
  EXPECT_EQ(routing_faults(native, not_owned), std::vector<RoutingFault>{RoutingFault::not_owned});

  const auto webhook = desired_routing(assigned_row(RoutingMode::webhook), front_desk(), k_router);
  EXPECT_EQ(routing_faults(webhook, routed(k_inbound, "")),
            std::vector<RoutingFault>{RoutingFault::wrong_voice_url});
  EXPECT_EQ(routing_faults(webhook, routed(std::string(k_router) + "?agent_id=agent_2", "")),
            std::vector<RoutingFault>{RoutingFault::wrong_voice_url});
  // An import left from native routing must not name an agent; calls still reach the router.
  const auto stale = routing_faults(webhook, routed(webhook.voice_webhook.voice_url, "agent_1"));
  EXPECT_EQ(stale, std::vector<RoutingFault>{RoutingFault::import_other_agent});
  EXPECT_FALSE(calls_unanswered(webhook, stale));
}

TEST(RoutingFaults, WithoutARouterUrlAWebhookNumberMustStillNameItsAgent) {
  const auto webhook = desired_routing(assigned_row(RoutingMode::webhook), front_desk(), "");
  const std::string other_router = "https://other.example.com/in?agent_id=agent_1&x=1";
  EXPECT_EQ(routing_faults(webhook, routed(other_router, "")),
            std::vector<RoutingFault>{RoutingFault::no_router_url});
  EXPECT_FALSE(calls_unanswered(webhook, routing_faults(webhook, routed(other_router, ""))));
  EXPECT_EQ(
      routing_faults(webhook, routed("https://other.example.com/in?agent_id=agent_12", "")),
      (std::vector<RoutingFault>{RoutingFault::no_router_url, RoutingFault::wrong_voice_url}));
  EXPECT_EQ(
      routing_faults(webhook, routed(k_inbound, "")),
      (std::vector<RoutingFault>{RoutingFault::no_router_url, RoutingFault::wrong_voice_url}));
}

TEST(RoutingFaults, AnUnassignedNumberMustNotReachAnAgent) {
  PoolNumber available = assigned_row(RoutingMode::webhook);
  available.status = NumberStatus::available;
  const auto none = desired_routing(available, std::nullopt, k_router);
  EXPECT_TRUE(routing_faults(none, routed("", "")).empty());
  EXPECT_TRUE(routing_faults(none, routed(k_inbound, "")).empty());
  EXPECT_EQ(routing_faults(none, routed(std::string(k_router) + "?agent_id=agent_1", "")),
            std::vector<RoutingFault>{RoutingFault::wrong_voice_url});
  EXPECT_TRUE(routing_faults(none, routed(k_router, "")).empty()); // the router, for no agent
  EXPECT_EQ(routing_faults(none, routed(k_inbound, "agent_1")),
            std::vector<RoutingFault>{RoutingFault::import_other_agent});
  EXPECT_FALSE(calls_unanswered(none, routing_faults(none, routed("", ""))));
}

// ---- vami's router: endpoints, status callback, health ----------------------------------------

constexpr const char* k_vami_router = "https://calls.example.com/twilio/voice";

TEST(RouterEndpoints, ComeFromThePublicUrlAndBackFromTheRouterUrl) {
  RouterEndpoints endpoints = router_endpoints("https://calls.example.com");
  EXPECT_EQ(endpoints.voice_url, k_vami_router);
  EXPECT_EQ(endpoints.status_callback, "https://calls.example.com/twilio/status");
  EXPECT_EQ(endpoints.post_call_url_of("elevenlabs"),
            "https://calls.example.com/elevenlabs/post-call");
  EXPECT_EQ(endpoints.health_url, "https://calls.example.com/healthz");
  EXPECT_EQ(endpoints_of_router_url(k_vami_router), endpoints);
  // Someone else's router: only its voice URL is known.
  EXPECT_FALSE(endpoints_of_router_url(k_router).has_value());
  EXPECT_FALSE(endpoints_of_router_url("https://calls.example.com/twilio/voice?x=1").has_value());
  EXPECT_FALSE(endpoints_of_router_url("/twilio/voice").has_value());
}

TEST(RouterEndpoints, ThePublicUrlIsHttpsOrLoopbackHttpWithoutQuery) {
  EXPECT_EQ(checked_router_public_url("https://calls.example.com//"), "https://calls.example.com");
  EXPECT_EQ(checked_router_public_url("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  EXPECT_EQ(checked_router_public_url("http://localhost:8080"), "http://localhost:8080");
  for (const char* bad :
       {"http://calls.example.com", "ftp://calls.example.com", "https://calls.example.com/?a=1",
        "https://", "calls.example.com", "https://user@calls.example.com"}) {
    try {
      (void)checked_router_public_url(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << bad;
    }
  }
}

TEST(RouterWebhook, VamisRouterGetsItsStatusCallbackAndANumberWithoutItIsNotRouted) {
  VoiceWebhook webhook = router_webhook(k_vami_router, "agent_1");
  EXPECT_EQ(webhook.voice_url, std::string(k_vami_router) + "?agent_id=agent_1");
  EXPECT_EQ(webhook.status_callback, "https://calls.example.com/twilio/status");
  // Another router's status callback is not vami's to choose.
  EXPECT_EQ(router_webhook(k_router, "agent_1").status_callback, "");

  DesiredRouting desired =
      desired_routing(assigned_row(RoutingMode::webhook), front_desk(), k_vami_router);
  ObservedRouting observed = routed(webhook.voice_url, "");
  observed.owned->webhook.status_callback = webhook.status_callback;
  EXPECT_TRUE(routing_faults(desired, observed).empty());
  observed.owned->webhook.status_callback = "https://old.example.com/status";
  EXPECT_EQ(routing_faults(desired, observed),
            std::vector<RoutingFault>{RoutingFault::wrong_voice_url});
}

TEST(RouterHealthFault, AnUnhealthyRouterLeavesWebhookCallsUnanswered) {
  DesiredRouting desired =
      desired_routing(assigned_row(RoutingMode::webhook), front_desk(), k_vami_router);
  ObservedRouting observed = routed(router_webhook(k_vami_router, "agent_1").voice_url, "");
  observed.owned->webhook.status_callback = "https://calls.example.com/twilio/status";
  observed.router_health = RouterHealth{"https://calls.example.com/healthz", false, 0, "refused"};
  std::vector<RoutingFault> faults = routing_faults(desired, observed);
  EXPECT_EQ(faults, std::vector<RoutingFault>{RoutingFault::router_unhealthy});
  EXPECT_TRUE(calls_unanswered(desired, faults));
  EXPECT_STREQ(to_string(RoutingFault::router_unhealthy), "router_unhealthy");
  observed.router_health->healthy = true;
  EXPECT_TRUE(routing_faults(desired, observed).empty());
}

} // namespace
} // namespace vami
