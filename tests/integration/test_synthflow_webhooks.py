"""Synthflow's webhooks reach vami's router (issue 12, item 2): `vami router setup` points the
Synthflow agents' inbound and post-call webhooks at the router; a call to a Twilio number on an
Elastic SIP trunk to Synthflow's SIP address is answered by the Synthflow emulator, which asks
the router for the tenant's variables and posts the call to the router's call history; all on
`vami sandbox serve` and `vami router serve`, 127.0.0.1."""
import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

import pytest

from conftest import buy_numbers, create_agent, create_tenant
from test_calls_test import hop, place_call
from test_router import Router

SYNTHFLOW_SIP = "sip:sip.synthflow.ai:32681"


def synthflow(sandbox, method, path, body=None):
    """One Synthflow API request, straight to the sandbox (not through vami)."""
    request = urllib.request.Request(
        sandbox.exports["VAMI_SYNTHFLOW_BASE_URL"] + path,
        data=json.dumps(body).encode() if body is not None else None, method=method,
        headers={"Authorization": "Bearer " + sandbox.exports["SYNTHFLOW_API_KEY"],
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def put_on_trunk_by_hand(sandbox, trunk, number, agent):
    """A number put on vami's trunk to Synthflow, imported and given to a Synthflow agent
    outside vami (through the emulators): the pool does not know it is assigned."""
    owned = {n["phone_number"]: n["sid"] for n in sandbox.owned()}
    status, added = sandbox.request("POST", f"/v1/Trunks/{trunk}/PhoneNumbers",
                                    {"PhoneNumberSid": owned[number]})
    assert status == 201, added
    status, imported = synthflow(sandbox, "POST", "/custom-numbers", {
        "workspace_id": sandbox.exports["SYNTHFLOW_WORKSPACE_ID"], "phone_number": number,
        "provider_name": "twilio", "termination_uri": "vami.pstn.twilio.com"})
    assert status == 200, imported
    status, body = synthflow(sandbox, "PUT", f"/assistants/{agent['provider_agent_id']}",
                             {"phone_number": number})
    assert status == 200, body


@pytest.fixture
def platform(live, sandbox, tmp_path):
    create_tenant(live, "acme", "Acme Dental")
    desk = create_agent(live, "acme", "Acme Desk", "--slug", "acme-desk", "--provider",
                        "synthflow", "--first-message", "Acme Dental, hello!")
    night = create_agent(live, "acme", "Acme Night", "--slug", "acme-night", "--provider",
                         "synthflow")
    numbers = buy_numbers(live, 2)
    router = Router(live, tmp_path / "router.log")
    yield live, sandbox, router, desk, night, numbers
    router.stop()


def test_router_setup_points_every_synthflow_agent_at_the_router_once(platform):
    live, sandbox, router, desk, _night, _numbers = platform
    first = live.run("router", "setup", "--public-url", router.public_url, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["synthflow_inbound_url"] == router.public_url + "/synthflow/inbound"
    assert report["synthflow_post_call_url"] == router.public_url + "/synthflow/post-call"
    # Every provider's webhooks, where the router mounts them.
    assert report["webhook_urls"] == {
        "elevenlabs": {"post_call": router.public_url + "/elevenlabs/post-call"},
        "synthflow": {"inbound": router.public_url + "/synthflow/inbound",
                      "post_call": router.public_url + "/synthflow/post-call"}}
    assert [(a["agent"], a["provider"], a["outcome"]) for a in report["agents"]] == [
        ("acme-desk", "synthflow", "pointed"), ("acme-night", "synthflow", "pointed")]
    status, body = synthflow(sandbox, "GET", f"/assistants/{desk['provider_agent_id']}")
    assert status == 200, body
    stored = body["response"]["assistants"][0]
    assert stored["inbound_call_webhook_url"] == router.public_url + "/synthflow/inbound"
    assert stored["external_webhook_url"] == router.public_url + "/synthflow/post-call"

    again = json.loads(live.run("router", "setup", "--public-url", router.public_url,
                                "--json").stdout)
    assert [a["outcome"] for a in again["agents"]] == ["in_place", "in_place"]


def test_a_call_through_the_trunk_gets_the_tenants_variables_and_lands_in_the_history(platform):
    live, sandbox, router, desk, night, numbers = platform
    assert live.run("router", "setup", "--public-url", router.public_url).returncode == 0
    assigned = live.run("numbers", "assign", numbers[0], "--agent", "acme-desk")
    assert assigned.returncode == 0, assigned.stderr
    trunk = live.json("route", numbers[0])["sip_trunk"]
    put_on_trunk_by_hand(sandbox, trunk, numbers[1], night)

    result, report = place_call(live, router, numbers[0])
    assert result.returncode == 0, result.stderr
    assert report["passed"], report
    assert [h["hop"] for h in report["hops"]] == [
        "number", "voice_url", "router", "tenant", "agent", "answer"]
    assert hop(report, "voice_url")["value"] == "sip_trunk"
    assert hop(report, "tenant")["value"] == "acme"
    assert hop(report, "agent")["value"] == "acme-desk"
    call = report["call"]
    assert call["voice_url"] == SYNTHFLOW_SIP
    assert call["provider_agent_id"] == desk["provider_agent_id"]
    variables = call["parameters"]
    assert variables["vami_tenant"] == "acme"
    assert variables["vami_agent"] == "acme-desk"
    assert variables["vami_agent_name"] == "Acme Desk"
    assert variables["vami_greeting"] == "Acme Dental, hello!"
    assert call["voice_webhook"]["http_status"] == 200
    assert call["post_call_webhook"]["http_status"] == 200

    calls = live.json("calls", "list")
    assert len(calls) == 1, calls
    recorded = calls[0]
    assert recorded["conversation_id"] == call["conversation_id"]
    assert recorded["call_sid"] is None
    assert (recorded["tenant"], recorded["agent"], recorded["number"], recorded["caller"]) == (
        "acme", "acme-desk", numbers[0], "+14155550123")
    assert (recorded["status"], recorded["duration_seconds"], recorded["source"]) == (
        "completed", 15, "router")
    shown = live.json("calls", "show", recorded["id"], "--transcript")
    assert shown["transcript"][0]["message"] == "Acme Dental, hello!"

    # The second number is Synthflow's, but no agent has it in the pool: the router declines
    # and Synthflow disconnects the call.
    declined_result, declined = place_call(live, router, numbers[1])
    assert declined["call"]["outcome"] == "rejected"
    assert declined["call"]["reason"] == "declined"
    assert declined["call"]["post_call_webhook"] is None
    assert len(live.json("calls", "list")) == 1
    # The access log line is written once the answer is sent: wait for it.
    deadline = time.monotonic() + 10
    while True:
        log = [json.loads(line) for line in router.log.read_text().splitlines() if line.strip()]
        inbound = [e for e in log if e.get("route") == "/synthflow/inbound"]
        if len(inbound) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [(e["outcome"], e.get("reason")) for e in inbound] == [
        ("connected", None), ("rejected", "not_assigned")]
    assert declined_result.returncode == 0  # what the database says: nobody answers it


def test_unsigned_or_badly_signed_synthflow_webhooks_are_refused(platform):
    live, sandbox, router, desk, _night, numbers = platform
    body = json.dumps({"status": "completed", "call": {"call_id": "c-forged",
                                                       "model_id": desk["provider_agent_id"]}})
    assert router.post("/synthflow/post-call", body, {"Content-Type": "application/json"})[0] == 401
    forged = base64.b64encode(hmac.new(b"not-the-secret", b"c-forged", hashlib.sha256).digest())
    status, _, answer = router.post("/synthflow/post-call", body, {
        "Content-Type": "application/json", "HTTP_SYNTHFLOW_SIGNATURE": forged.decode()})
    assert status == 401 and "bad_signature" in answer
    secret = sandbox.exports["VAMI_SYNTHFLOW_WEBHOOK_SECRET"].encode()
    signed = base64.b64encode(hmac.new(secret, b"c-forged", hashlib.sha256).digest()).decode()
    status, _, answer = router.post("/synthflow/post-call", body, {
        "Content-Type": "application/json", "Synthflow-Signature": signed})
    assert status == 200, answer
    assert [c["conversation_id"] for c in live.json("calls", "list")] == ["c-forged"]

    inbound = json.dumps({"event": "call_inbound", "call_inbound": {
        "model_id": desk["provider_agent_id"], "from_number": "+14155550123",
        "to_number": numbers[0], "call_id": "c-in"}})
    assert router.post("/synthflow/inbound", inbound, {"Content-Type": "application/json"})[0] == 401
    signed = base64.b64encode(hmac.new(secret, b"c-in", hashlib.sha256).digest()).decode()
    status, _, answer = router.post("/synthflow/inbound", inbound, {
        "Content-Type": "application/json", "HTTP_SYNTHFLOW_SIGNATURE": signed})
    assert status == 200 and json.loads(answer) == {"call_inbound": {}}  # not assigned: declined
    metrics = router.get("/metrics")[1]
    assert 'vami_router_signature_rejects_total{route="/synthflow/inbound"} 1' in metrics


def test_reconcile_names_synthflow_and_routes_a_number_back_onto_the_trunk(platform):
    live, sandbox, router, _desk, night, numbers = platform
    assert live.run("numbers", "assign", numbers[0], "--agent", "acme-desk").returncode == 0
    trunk = live.json("route", numbers[0])["sip_trunk"]
    sid = {n["phone_number"]: n["sid"] for n in sandbox.owned()}[numbers[0]]
    status, _ = sandbox.request("DELETE", f"/v1/Trunks/{trunk}/PhoneNumbers/{sid}")
    assert status == 204
    # Off the trunk by hand, and given to the other agent in Synthflow's dashboard.
    status, body = synthflow(sandbox, "PUT", f"/assistants/{night['provider_agent_id']}",
                             {"phone_number": numbers[0]})
    assert status == 200, body
    route = live.json("route", numbers[0])
    assert route["routing_problems"] == ["not_on_sip_trunk", "import_other_agent"], route

    report = live.run("reconcile")
    assert report.returncode == 4, report.stdout + report.stderr
    assert 'route it again to "acme-desk" at Synthflow (the SIP trunk, the import and its ' \
        'agent)' in report.stdout, report.stdout
    assert "on no SIP trunk at Twilio: calls to it never reach Synthflow" in report.stdout
    assert "ElevenLabs" not in report.stdout, report.stdout
    applied = live.run("reconcile", "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    route = live.json("route", numbers[0])
    assert (route["sip_trunk"], route["routing_problems"]) == (trunk, []), route


def synthflow_webhooks(sandbox, agent):
    """The inbound and post-call webhook URLs the Synthflow emulator holds for `agent`."""
    status, body = synthflow(sandbox, "GET", f"/assistants/{agent['provider_agent_id']}")
    assert status == 200, body
    stored = body["response"]["assistants"][0]
    return stored.get("inbound_call_webhook_url"), stored.get("external_webhook_url")


def test_agents_made_after_router_setup_reach_the_router_without_a_rerun(platform):
    live, sandbox, router, desk, _night, _numbers = platform
    # A Synthflow-only platform: no ElevenLabs key, and router setup still runs.
    no_elevenlabs = {"ELEVENLABS_API_KEY": ""}
    setup = live.run("router", "setup", "--public-url", router.public_url, "--json",
                     env=no_elevenlabs)
    assert setup.returncode == 0, setup.stderr
    report = json.loads(setup.stdout)
    assert "ELEVENLABS_API_KEY" in report["post_call_webhook"]["skipped"], report
    assert "left the ElevenLabs post-call webhook alone" in setup.stderr, setup.stderr
    assert [a["outcome"] for a in report["agents"]] == ["pointed", "pointed"]
    wanted = (router.public_url + "/synthflow/inbound", router.public_url + "/synthflow/post-call")

    # The profile now knows the router: a new agent gets its webhooks at once, and an update
    # points an agent whose webhooks were changed by hand.
    late = create_agent(live, "acme", "Acme Late", "--slug", "acme-late", "--provider",
                        "synthflow")
    assert synthflow_webhooks(sandbox, late) == wanted
    status, body = synthflow(sandbox, "PUT", f"/assistants/{desk['provider_agent_id']}",
                             {"external_webhook_url": "https://elsewhere.example.com/hook"})
    assert status == 200, body
    updated = live.run("agents", "update", "acme-desk", "--first-message", "Hi there")
    assert updated.returncode == 0, updated.stderr
    assert synthflow_webhooks(sandbox, desk) == wanted

    # Changed by hand again: reconcile says so, names Synthflow, and --apply points it back.
    status, body = synthflow(sandbox, "PUT", f"/assistants/{late['provider_agent_id']}",
                             {"inbound_call_webhook_url": "https://elsewhere.example.com/in"})
    assert status == 200, body
    found = live.run("reconcile", "--json")
    assert found.returncode == 4, found.stdout + found.stderr
    drift = [f for f in json.loads(found.stdout)["findings"]
             if f["kind"] == "agent_webhook_drift"]
    assert [(f["agent"], f["repair"]) for f in drift] == [("acme-late", "point_agent_webhooks")]
    assert "Synthflow agent \"acme-late\"'s inbound webhook is https://elsewhere.example.com/in" \
        in drift[0]["detail"], drift[0]
    applied = live.run("reconcile", "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert synthflow_webhooks(sandbox, late) == wanted


def test_a_number_on_another_trunk_is_named_and_moved_back_onto_vamis(platform):
    live, sandbox, _router, _desk, _night, numbers = platform
    assert live.run("numbers", "assign", numbers[0], "--agent", "acme-desk").returncode == 0
    trunk = live.json("route", numbers[0])["sip_trunk"]
    sid = {n["phone_number"]: n["sid"] for n in sandbox.owned()}[numbers[0]]
    # Someone moves it onto a trunk of their own in the Twilio console.
    status, other = sandbox.request("POST", "/v1/Trunks", {"FriendlyName": "acme pbx"})
    assert status == 201, other
    status, _ = sandbox.request("DELETE", f"/v1/Trunks/{trunk}/PhoneNumbers/{sid}")
    assert status == 204
    status, added = sandbox.request("POST", f"/v1/Trunks/{other['sid']}/PhoneNumbers",
                                    {"PhoneNumberSid": sid})
    assert status == 201, added

    route = live.json("route", numbers[0])
    assert (route["sip_trunk"], route["routing_problems"], route["calls_answered"]) == (
        other["sid"], ["on_other_sip_trunk"], False), route
    shown = live.run("route", numbers[0])
    assert f'it is on SIP trunk {other["sid"]} ("acme pbx") at Twilio, not vami\'s trunk to ' \
        "Synthflow" in shown.stdout + shown.stderr, shown.stdout + shown.stderr

    report = live.run("reconcile")
    assert report.returncode == 4, report.stdout + report.stderr
    assert f'on SIP trunk {other["sid"]} ("acme pbx") at Twilio, not vami\'s trunk to ' \
        "Synthflow" in report.stdout, report.stdout
    applied = live.run("reconcile", "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    route = live.json("route", numbers[0])
    assert (route["sip_trunk"], route["routing_problems"]) == (trunk, []), route


def test_reconcile_names_synthflow_for_an_agent_orphan(platform):
    live, _sandbox, _router, _desk, _night, _numbers = platform
    live.rows("DELETE FROM agents WHERE slug = 'acme-night'")  # the row lost: an orphan
    report = live.run("reconcile")
    assert report.returncode == 4, report.stdout + report.stderr
    assert "Synthflow agent 'Acme Night' carries a vami tag" in report.stdout, report.stdout
    assert "delete it at Synthflow if nobody uses it" in report.stdout, report.stdout
    assert "ElevenLabs" not in report.stdout, report.stdout
