"""One tenant per voice-agent platform in one pool (issue 12): an ElevenLabs tenant (native),
a stream tenant (the platform's own orchestrator, webhook) and a Synthflow tenant (native, over
the SIP trunk), each onboarded with a test call that reaches its agent; a number reassigned
from the ElevenLabs agent to the Synthflow agent and back, test-called each time; reconcile in
sync; each tenant deleted. All on `vami sandbox serve` and `vami router serve`, 127.0.0.1."""
import json

import pytest

from conftest import buy_numbers, create_agent
from test_calls_test import hop, place_call, vami_at
from test_router import Router

ORCHESTRATOR = "wss://sandbox.vami.invalid/stream/initech"


@pytest.fixture
def platform(live, sandbox, tmp_path):
    numbers = buy_numbers(live, 3)
    router = Router(live, tmp_path / "router.log")
    yield live, sandbox, router, numbers
    router.stop()


def onboard(live, router, tenant, name, number, *flags):
    result = vami_at(live, router, "onboard", "--tenant", tenant, "--name", name, "--number",
                     number, "--agent-name", name + " Desk", "--first-message",
                     name + ", hello!", *flags, "--json")
    assert result.returncode == 0, result.stderr
    onboarded = json.loads(result.stdout)
    assert onboarded["status"] == "live", onboarded["test_call"]
    return onboarded


def reaches(live, router, number, agent):
    """A test call to `number` reaches `agent` (its onboarding JSON); returns the call."""
    result, report = place_call(live, router, number)
    assert result.returncode == 0, result.stderr
    assert report["passed"], report
    assert hop(report, "agent")["value"] == agent["slug"], report
    assert report["call"]["provider_agent_id"] == agent["provider_agent_id"], report
    return report


def in_sync(live, router):
    result = vami_at(live, router, "reconcile", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert all(f["kind"] == "in_sync" for f in findings), findings


def test_one_tenant_per_platform_from_onboarding_to_deletion(platform):
    live, sandbox, router, numbers = platform
    acme = onboard(live, router, "acme", "Acme", numbers[0])
    initech = onboard(live, router, "initech", "Initech", numbers[1], "--mode", "webhook",
                      "--agent-provider", "stream", "--stream-url", ORCHESTRATOR)
    globex = onboard(live, router, "globex", "Globex", numbers[2], "--agent-provider",
                     "synthflow", "--faq", "We open at 8.")
    assert [t["agent"]["provider"] for t in (acme, initech, globex)] == [
        "elevenlabs", "stream", "synthflow"]
    assert [t["number"]["routing_mode"] for t in (acme, initech, globex)] == [
        "native", "webhook", "native"]
    assert initech["test_call"]["call"]["stream"]["upgraded"] is True
    assert live.json("route", numbers[2])["sip_trunk"]

    # A Synthflow inbound agent answers one number: a second agent takes the one moved below.
    night = create_agent(live, "globex", "Globex Night", "--slug", "globex-night",
                         "--provider", "synthflow")
    refused = vami_at(live, router, "numbers", "reassign", numbers[0], "--agent", "globex-desk")
    assert refused.returncode == 4 and numbers[2] in refused.stderr, refused.stderr
    # The Synthflow agents ask the router for the tenant's variables once it is set up.
    setup = live.run("router", "setup", "--public-url", router.public_url)
    assert setup.returncode == 0, setup.stderr
    call = reaches(live, router, numbers[2], globex["agent"])["call"]
    assert call["parameters"]["vami_tenant"] == "globex"
    reaches(live, router, numbers[0], acme["agent"])
    reaches(live, router, numbers[1], initech["agent"])
    in_sync(live, router)

    # A native number from the ElevenLabs agent to the Synthflow agent, and back.
    moved = vami_at(live, router, "numbers", "reassign", numbers[0], "--agent", "globex-night")
    assert moved.returncode == 0, moved.stderr
    assert live.json("route", numbers[0])["sip_trunk"]
    call = reaches(live, router, numbers[0], night)["call"]
    assert call["parameters"]["vami_agent"] == "globex-night"
    in_sync(live, router)
    back = vami_at(live, router, "numbers", "reassign", numbers[0], "--agent", "acme-desk")
    assert back.returncode == 0, back.stderr
    assert live.json("route", numbers[0])["sip_trunk"] is None
    reaches(live, router, numbers[0], acme["agent"])
    in_sync(live, router)

    for tenant in ("acme", "initech", "globex"):
        deleted = vami_at(live, router, "tenants", "delete", tenant, "--yes")
        assert deleted.returncode == 0, deleted.stderr
    assert live.json("agents", "list") == []
    for number in numbers:
        route = live.json("route", number)
        assert (route["status"], route["sip_trunk"], route["routing_problems"]) == (
            "available", None, []), route
    in_sync(live, router)
