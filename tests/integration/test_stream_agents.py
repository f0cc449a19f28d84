"""Stream agents (issue 12, item 3): a tenant's agent on the platform's own orchestrator behind
Twilio Media Streams, beside an ElevenLabs agent in the same pool, through `vami router serve`
and `vami sandbox serve` on 127.0.0.1."""
import json

import pytest

from conftest import buy_numbers, create_agent, create_tenant, error_line
from test_calls_test import hop, place_call, vami_at
from test_router import Router

ORCHESTRATOR = "wss://voice.example.com/media"


@pytest.fixture
def platform(live, tmp_path):
    """Tenant acme with a stream agent, globex with an ElevenLabs agent, three pool numbers and
    the router."""
    create_tenant(live, "acme", "Acme Dental")
    create_tenant(live, "globex", "Globex")
    stream = create_agent(live, "acme", "Acme Desk", "--slug", "acme-desk", "--provider", "stream",
                          "--stream-url", ORCHESTRATOR, "--param", "plan=gold",
                          "--param", "crm=hubspot", "--first-message", "Acme Dental, hello!",
                          "--voice", "alloy")
    hosted = create_agent(live, "globex", "Globex Desk", "--slug", "globex-desk")
    numbers = buy_numbers(live, 3)
    router = Router(live, tmp_path / "router.log")
    yield live, router, stream, hosted, numbers
    router.stop()


def test_a_stream_agent_is_stored_with_its_settings_and_shown_with_its_provider(platform):
    live, _router, stream, hosted, _numbers = platform
    assert stream["provider"] == "stream"
    assert stream["provider_agent_id"].startswith("stream_")
    assert stream["stream_url"] == ORCHESTRATOR
    assert list(stream["stream_parameters"].items()) == [("plan", "gold"), ("crm", "hubspot")]
    assert stream["voice_id"] == "alloy"  # no catalogue: kept as given
    assert hosted["provider"] == "elevenlabs" and hosted["stream_url"] is None
    listed = {a["slug"]: a["provider"] for a in live.json("agents", "list")}
    assert listed == {"acme-desk": "stream", "globex-desk": "elevenlabs"}
    table = live.run("agents", "list").stdout
    assert "PROVIDER" in table and "stream" in table


def test_what_a_stream_agent_cannot_do_is_refused_before_anything_changes(platform):
    live, router, _stream, _hosted, numbers = platform
    native = vami_at(live, router, "numbers", "assign", numbers[0], "--agent", "acme-desk")
    assert native.returncode == 2, native.stderr
    assert "--mode webhook" in native.stderr
    assert live.json("numbers", "show", numbers[0])["status"] == "available"

    knowledge = live.run("kb", "add", "acme-desk", "--text", "Opening hours: 9-17")
    assert knowledge.returncode == 2, knowledge.stderr
    assert live.json("kb", "list", "acme-desk") == []

    no_url = live.run("agents", "create", "--tenant", "acme", "--name", "Night Line",
                      "--provider", "stream")
    assert no_url.returncode == 2 and "--stream-url" in error_line(no_url), no_url.stderr
    wrong = live.run("agents", "create", "--tenant", "globex", "--name", "Night Line",
                     "--stream-url", ORCHESTRATOR)
    assert wrong.returncode == 2, wrong.stderr
    reserved = live.run("agents", "update", "acme-desk", "--param", "vami_tenant=globex")
    assert reserved.returncode == 2, reserved.stderr
    assert [a["slug"] for a in live.json("agents", "list")] == ["acme-desk", "globex-desk"]


def test_a_call_to_a_stream_agents_number_streams_to_the_orchestrator_with_the_tenant(platform):
    live, router, stream, _hosted, numbers = platform
    assigned = vami_at(live, router, "numbers", "assign", numbers[0], "--agent", "acme-desk",
                       "--mode", "webhook")
    assert assigned.returncode == 0, assigned.stderr

    result, report = place_call(live, router, numbers[0])
    assert result.returncode == 0, result.stderr
    assert report["passed"], report
    assert [h["hop"] for h in report["hops"]] == [
        "number", "voice_url", "router", "tenant", "agent", "answer"]
    assert hop(report, "tenant")["value"] == "acme"
    assert hop(report, "agent")["value"] == "acme-desk"
    assert hop(report, "answer")["value"] == "Acme Dental, hello!"
    call = report["call"]
    assert call["stream_url"] == ORCHESTRATOR
    assert call["provider_agent_id"] == stream["provider_agent_id"]
    parameters = call["parameters"]
    assert list(parameters)[:2] == ["vami_tenant", "vami_agent"]
    assert parameters["vami_tenant"] == "acme"
    assert parameters["vami_agent_id"] == stream["provider_agent_id"]
    assert parameters["vami_voice"] == "alloy"
    assert parameters["vami_call_sid"] == call["call_sid"]
    assert list(parameters.items())[-2:] == [("plan", "gold"), ("crm", "hubspot")]

    # A changed setting reaches the next call.
    assert live.run("agents", "update", "acme-desk", "--param", "plan=silver").returncode == 0
    _, again = place_call(live, router, numbers[0])
    assert again["call"]["parameters"]["plan"] == "silver"
    assert "crm" not in again["call"]["parameters"]


def test_a_number_moves_between_an_elevenlabs_and_a_stream_agent_and_back(platform):
    live, router, _stream, _hosted, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[1], "--agent", "globex-desk",
                   "--mode", "webhook").returncode == 0
    _, first = place_call(live, router, numbers[1])
    assert first["passed"] and first["call"]["stream_url"] is None
    assert hop(first, "agent")["value"] == "globex-desk"

    assert vami_at(live, router, "numbers", "reassign", numbers[1], "--agent",
                   "acme-desk").returncode == 0
    _, moved = place_call(live, router, numbers[1])
    assert moved["passed"], moved
    assert (hop(moved, "tenant")["value"], hop(moved, "agent")["value"]) == ("acme", "acme-desk")
    assert moved["call"]["stream_url"] == ORCHESTRATOR

    assert vami_at(live, router, "numbers", "reassign", numbers[1], "--agent",
                   "globex-desk").returncode == 0
    _, back = place_call(live, router, numbers[1])
    assert back["passed"] and hop(back, "agent")["value"] == "globex-desk"

    # Reconcile finds the pool in sync with both providers.
    reconcile = vami_at(live, router, "reconcile", "--json")
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
    report = json.loads(reconcile.stdout)
    assert all(f["kind"] == "in_sync" for f in report["findings"]), report["findings"]


def test_deleting_the_stream_tenant_leaves_the_other_one_alone(platform):
    live, router, _stream, _hosted, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[0], "--agent", "acme-desk",
                   "--mode", "webhook").returncode == 0
    deleted = vami_at(live, router, "tenants", "delete", "acme", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert [a["slug"] for a in live.json("agents", "list")] == ["globex-desk"]
    assert live.json("numbers", "show", numbers[0])["status"] == "available"


def test_onboarding_a_stream_tenant_ends_with_a_test_call_that_reaches_the_orchestrator(platform):
    live, router, _stream, _hosted, numbers = platform
    result = vami_at(live, router, "onboard", "--tenant", "initech", "--name", "Initech",
                     "--number", numbers[2], "--mode", "webhook", "--agent-name", "Initech Desk",
                     "--agent-provider", "stream", "--stream-url", ORCHESTRATOR,
                     "--param", "plan=bronze", "--first-message", "Initech, hello!", "--json")
    assert result.returncode == 0, result.stderr
    onboarded = json.loads(result.stdout)
    assert onboarded["status"] == "live", onboarded["test_call"]
    assert onboarded["agent"]["provider"] == "stream"
    assert onboarded["number"]["routing_mode"] == "webhook"
    call = onboarded["test_call"]["call"]
    assert call["stream_url"] == ORCHESTRATOR
    assert call["parameters"]["vami_tenant"] == "initech"
    assert call["parameters"]["plan"] == "bronze"

    # Natively, or with knowledge, it is refused before the tenant exists.
    for extra in (("--mode", "native"), ("--mode", "webhook", "--faq", "Open 9-17")):
        refused = vami_at(live, router, "onboard", "--tenant", "hooli", "--name", "Hooli",
                          "--number", numbers[1], "--agent-name", "Hooli Desk",
                          "--agent-provider", "stream", "--stream-url", ORCHESTRATOR, *extra)
        assert refused.returncode == 2, refused.stderr
    assert "hooli" not in [t["slug"] for t in live.json("tenants", "list")]
    assert live.json("numbers", "show", numbers[1])["status"] == "available"
