"""`vami calls test` (issue 11, item 2): simulated inbound calls placed by the sandbox, through
native numbers and through `vami router serve` for webhook numbers, all on 127.0.0.1."""
import json

import pytest

from conftest import buy_numbers, create_agent, create_tenant, elevenlabs
from test_router import Router, free_port

CALLER = "+14155550123"


def post_call_webhook(sandbox, url):
    """Creates an HMAC workspace webhook at the served sandbox and attaches it to the Agents
    Platform settings (what `vami router setup` does); returns its secret."""
    status, created = elevenlabs(sandbox, "POST", "/v1/workspace/webhooks", {
        "settings": {"auth_type": "hmac", "name": "vami router", "webhook_url": url}})
    assert status == 200, created
    status, settings = elevenlabs(sandbox, "PATCH", "/v1/convai/settings", {
        "webhooks": {"post_call_webhook_id": created["webhook_id"],
                     "events": ["transcript", "call_initiation_failure"]}})
    assert status == 200, settings
    return created["webhook_secret"]


@pytest.fixture
def platform(live, sandbox, tmp_path):
    """Two tenants with an agent each, four pool numbers, the router with the post-call
    webhook the sandbox delivers to."""
    create_tenant(live, "acme", "Acme Dental")
    create_tenant(live, "globex", "Globex")
    agents = {
        "acme-desk": create_agent(live, "acme", "Acme Desk", "--first-message",
                                  "Hello, Acme Dental, how can I help you today?"),
        "globex-desk": create_agent(live, "globex", "Globex Desk", "--first-message",
                                    "Globex, good morning!")}
    numbers = buy_numbers(live, 4)
    port = free_port()
    secret = post_call_webhook(sandbox, f"http://127.0.0.1:{port}/elevenlabs/post-call")
    router = Router(live, tmp_path / "router.log", port=port,
                    extra_env={"VAMI_ELEVENLABS_WEBHOOK_SECRET": secret})
    yield live, router, agents, numbers
    router.stop()


def vami_at(live, router, *args):
    return live.run("--router-url", router.public_url + "/twilio/voice", *args)


def place_call(live, router, number, *extra):
    result = vami_at(live, router, "calls", "test", number, "--from", CALLER, "--json", *extra)
    assert result.stdout, result.stderr
    return result, json.loads(result.stdout)


def hop(report, name):
    return next(h for h in report["hops"] if h["hop"] == name)


def test_native_and_webhook_numbers_of_two_tenants_reach_their_agents(platform):
    live, router, agents, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[0], "--agent", "acme-desk").returncode == 0
    assert vami_at(live, router, "numbers", "assign", numbers[1], "--agent", "globex-desk",
                   "--mode", "webhook").returncode == 0

    result, native = place_call(live, router, numbers[0])
    assert result.returncode == 0, result.stderr
    assert native["placed"] and native["passed"] and native["broken_hop"] is None
    assert [h["hop"] for h in native["hops"]] == ["number", "voice_url", "tenant", "agent", "answer"]
    assert hop(native, "voice_url")["value"] == "agent_provider"
    assert hop(native, "tenant")["value"] == "acme"
    assert hop(native, "agent")["value"] == "acme-desk"
    assert native["call"]["provider_agent_id"] == agents["acme-desk"]["provider_agent_id"]
    assert hop(native, "answer")["value"] == "Hello, Acme Dental, how can I help you today?"
    assert "reached agent acme-desk" in result.stderr

    result, webhook = place_call(live, router, numbers[1], "--say", "Is the shop open?")
    assert result.returncode == 0, result.stderr
    assert [h["hop"] for h in webhook["hops"]] == [
        "number", "voice_url", "router", "tenant", "agent", "answer"]
    assert hop(webhook, "router")["value"] == "200"
    assert hop(webhook, "tenant")["value"] == "globex"
    assert hop(webhook, "agent")["value"] == "globex-desk"
    assert webhook["call"]["transcript"][1] == {"role": "user", "message": "Is the shop open?"}
    assert webhook["call"]["post_call_webhook"]["http_status"] == 200

    # The table: every hop on one line.
    result = vami_at(live, router, "calls", "test", numbers[1])
    assert result.returncode == 0, result.stderr
    assert (f"{numbers[1]} → Twilio voice URL → router → tenant globex → agent globex-desk → "
            '"Globex, good morning!"') in result.stdout

    # The router logged the calls it routed; the post-call deliveries landed in its history,
    # once per conversation, with the tenant and agent.
    lines = router.log_lines(2, lambda l: l.get("route") == "/twilio/voice")
    assert [(l["outcome"], l["tenant"]) for l in lines] == [("connected", "globex")] * 2
    conversation = webhook["call"]["conversation_id"]
    history = live.json("calls", "list")
    mine = [c for c in history if c["conversation_id"] == conversation]
    assert len(mine) == 1, history
    assert (mine[0]["tenant"], mine[0]["agent"]) == ("globex", "globex-desk")
    assert mine[0]["call_sid"] == webhook["call"]["call_sid"]
    native_calls = [c for c in history if c["conversation_id"] == native["call"]["conversation_id"]]
    assert [(c["tenant"], c["agent"]) for c in native_calls] == [("acme", "acme-desk")]


def test_a_reassigned_number_reaches_the_new_agent_on_the_next_call(platform):
    live, router, agents, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[1], "--agent", "globex-desk",
                   "--mode", "webhook").returncode == 0
    assert place_call(live, router, numbers[1])[1]["passed"]
    assert vami_at(live, router, "numbers", "reassign", numbers[1], "--agent",
                   "acme-desk").returncode == 0
    result, report = place_call(live, router, numbers[1])
    assert result.returncode == 0, result.stderr
    assert (hop(report, "tenant")["value"], hop(report, "agent")["value"]) == ("acme", "acme-desk")


def test_both_routing_modes_of_both_tenants_reach_their_own_agents(platform):
    """Native and webhook numbers for each of two tenants: each call reaches its tenant's agent,
    never the other tenant's."""
    live, router, agents, numbers = platform
    plan = [(numbers[0], "acme-desk", "native", "acme"),
            (numbers[1], "acme-desk", "webhook", "acme"),
            (numbers[2], "globex-desk", "native", "globex"),
            (numbers[3], "globex-desk", "webhook", "globex")]
    for number, agent, mode, _ in plan:
        result = vami_at(live, router, "numbers", "assign", number, "--agent", agent, "--mode", mode)
        assert result.returncode == 0, result.stderr
    greetings = {"acme-desk": "Hello, Acme Dental, how can I help you today?",
                 "globex-desk": "Globex, good morning!"}
    for number, agent, mode, tenant in plan:
        result, report = place_call(live, router, number)
        assert result.returncode == 0 and report["passed"], (number, mode, result.stderr)
        assert hop(report, "voice_url")["value"] == (
            "agent_provider" if mode == "native" else "webhook")
        assert ("router" in [h["hop"] for h in report["hops"]]) == (mode == "webhook")
        assert (hop(report, "tenant")["value"], hop(report, "agent")["value"]) == (tenant, agent)
        assert report["call"]["provider_agent_id"] == agents[agent]["provider_agent_id"]
        assert hop(report, "answer")["value"] == greetings[agent]
    # The router routed the two webhook numbers' calls, each to its own tenant.
    lines = router.log_lines(2, lambda l: l.get("route") == "/twilio/voice")
    assert sorted((l["to"], l["tenant"], l["agent"]) for l in lines) == sorted(
        [(numbers[1], "acme", "acme-desk"), (numbers[3], "globex", "globex-desk")])


def test_a_reassigned_native_number_reaches_the_new_agent_on_the_next_call(platform):
    live, router, agents, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[0], "--agent",
                   "acme-desk").returncode == 0
    _, report = place_call(live, router, numbers[0])
    assert report["passed"] and hop(report, "agent")["value"] == "acme-desk"
    result = vami_at(live, router, "numbers", "reassign", numbers[0], "--agent", "globex-desk")
    assert result.returncode == 0, result.stderr
    result, report = place_call(live, router, numbers[0])
    assert result.returncode == 0 and report["passed"], result.stderr
    assert (hop(report, "tenant")["value"], hop(report, "agent")["value"]) == (
        "globex", "globex-desk")
    # The emulator's agent answered: the import now names the new agent.
    assert report["call"]["provider_agent_id"] == agents["globex-desk"]["provider_agent_id"]
    assert hop(report, "answer")["value"] == "Globex, good morning!"


def test_unassigned_and_foreign_numbers_are_rejected(platform):
    live, router, agents, numbers = platform
    for number in (numbers[2], "+12125550000"):
        result, report = place_call(live, router, number)
        assert result.returncode == 0, result.stderr
        assert report["expected"]["answer"] == "no_agent" and report["passed"]
        assert report["call"]["outcome"] in ("rejected", "failed")
        assert report["call"]["provider_agent_id"] is None
    # Unassigned after a webhook assignment: its voice URL is cleared, no agent answers.
    assert vami_at(live, router, "numbers", "assign", numbers[3], "--agent", "acme-desk",
                   "--mode", "webhook").returncode == 0
    assert live.run("numbers", "unassign", numbers[3]).returncode == 0
    result, report = place_call(live, router, numbers[3])
    assert result.returncode == 0 and report["passed"], result.stderr


def test_a_suspended_number_gets_its_suspension_answer(platform):
    live, router, agents, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[0], "--agent", "acme-desk").returncode == 0
    message = "This number is no longer in service."
    result = live.run("numbers", "suspend", numbers[0], "--message", message, "--yes")
    assert result.returncode == 0, result.stderr
    result, report = place_call(live, router, numbers[0])
    assert result.returncode == 0, result.stderr
    assert report["expected"]["answer"] == "message"
    assert report["call"]["outcome"] == "spoken" and report["call"]["message"] == message
    assert report["call"]["provider_agent_id"] is None


def test_a_broken_hop_is_named_and_exits_1(platform, sandbox):
    live, router, agents, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[1], "--agent", "globex-desk",
                   "--mode", "webhook").returncode == 0
    # The router is down: the call reaches no agent.
    router.stop()
    result, report = place_call(live, router, numbers[1])
    assert result.returncode == 1, result.stderr
    assert report["broken_hop"] == "router" and not report["passed"]
    assert "broken at the router hop" in result.stderr
    # Someone pointed the number elsewhere at Twilio.
    sid = next(n["sid"] for n in sandbox.owned() if n["phone_number"] == numbers[1])
    path = f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers/{sid}.json"
    assert sandbox.request("POST", path, {"VoiceUrl": ""})[0] == 200
    result, report = place_call(live, router, numbers[1])
    assert result.returncode == 1
    assert report["broken_hop"] == "voice_url" and report["broken_reason"] == "no_voice_url"


def test_in_process_sandbox(vami):
    create_tenant(vami, "acme", "Acme Dental")
    create_agent(vami, "acme", "Acme Desk", "--first-message", "Hello, Acme Dental!")
    (number,) = buy_numbers(vami, 1)
    assert vami.run("numbers", "assign", number, "--agent", "acme-desk").returncode == 0
    result = vami.run("calls", "test", number)
    assert result.returncode == 0, result.stderr
    assert f'{number} → Twilio voice URL (ElevenLabs) → tenant acme → agent acme-desk → ' \
           '"Hello, Acme Dental!"' in result.stdout
    # Unassigned: rejected, as the database says.
    assert vami.run("numbers", "unassign", number).returncode == 0
    result = vami.run("calls", "test", number, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["call"]["outcome"] == "rejected"
    assert vami.run("calls", "test", "not-a-number").returncode == 2
