"""Calls reach the agent whatever a number's history, and vami notices when they do not:
assign/unassign/reassign across routing modes, then `route`, `webhooks show` and `reconcile`
against `vami sandbox serve` (issue 10, items 1 and 2)."""
import json

import pytest

from conftest import buy_numbers, create_agent, create_tenant, sandbox_imported_numbers

ELEVENLABS_INBOUND = "https://api.us.elevenlabs.io/twilio/inbound_call"
ROUTER = "https://router.example.com/voice"


@pytest.fixture
def agents(live):
    create_tenant(live, "acme", "Acme Dental")
    return {
        "front-desk": create_agent(live, "acme", "Front Desk")["provider_agent_id"],
        "back-office": create_agent(live, "acme", "Back Office")["provider_agent_id"],
    }


def voice_url(sandbox, e164):
    return {n["phone_number"]: n["voice_url"] for n in sandbox.owned()}[e164]


def vami_run(live, *args):
    """A vami command with the router URL configured, as a platform using both modes has it."""
    return live.run("--router-url", ROUTER, *args)


def assert_ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_routing_mode_round_trip_leaves_the_number_answered(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "front-desk"))
    assert voice_url(sandbox, e164) == ELEVENLABS_INBOUND
    assert_ok(vami_run(live, "numbers", "unassign", e164))
    assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "front-desk", "--mode",
                       "webhook"))
    assert voice_url(sandbox, e164) == f"{ROUTER}?agent_id={agents['front-desk']}"
    # The import left from native routing names no agent while the router answers.
    assert sandbox_imported_numbers(sandbox) == {e164: None}
    assert_ok(vami_run(live, "numbers", "unassign", e164))
    assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "back-office"))

    assert voice_url(sandbox, e164) == ELEVENLABS_INBOUND
    assert sandbox_imported_numbers(sandbox) == {e164: agents["back-office"]}
    assert live.rows("SELECT status, routing_mode, voice_url FROM numbers WHERE e164 = ?",
                     (e164,)) == [("assigned", "native", ELEVENLABS_INBOUND)]
    assert_ok(vami_run(live, "reconcile"))


def test_reassign_points_a_voice_url_changed_by_hand_back(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "front-desk"))
    sid = {n["phone_number"]: n["sid"] for n in sandbox.owned()}[e164]
    status, _ = sandbox.request(
        "POST", f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers/{sid}.json",
        {"VoiceUrl": "https://someone.example.com/ivr"})
    assert status == 200
    assert_ok(vami_run(live, "numbers", "reassign", e164, "--agent", "back-office"))
    assert voice_url(sandbox, e164) == ELEVENLABS_INBOUND
    assert sandbox_imported_numbers(sandbox) == {e164: agents["back-office"]}


def set_voice_url(sandbox, e164, url):
    """Changes a number's voice URL at the sandbox's Twilio, as someone in the console would."""
    sid = {n["phone_number"]: n["sid"] for n in sandbox.owned()}[e164]
    status, body = sandbox.request(
        "POST", f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers/{sid}.json",
        {"VoiceUrl": url})
    assert status == 200, body


def test_route_webhooks_show_and_reconcile_say_when_calls_are_not_answered(live, sandbox,
                                                                           agents):
    e164, healthy = buy_numbers(live, 2)
    assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "front-desk"))
    assert_ok(vami_run(live, "numbers", "assign", healthy, "--agent", "back-office"))
    answered = live.json("route", healthy)
    assert answered["calls_answered"] is True and answered["routing_problems"] == []
    set_voice_url(sandbox, e164, "")

    route = assert_ok(vami_run(live, "route", e164, "--json"))
    checked = json.loads(route.stdout)
    assert checked["calls_answered"] is False
    assert checked["routing_problems"] == ["no_voice_url"]
    assert checked["voice_url"] is None  # what Twilio reports now
    assert f"calls to {e164} are not answered" in route.stderr
    table = assert_ok(vami_run(live, "route", e164))
    assert "calls          NOT ANSWERED" in table.stdout
    assert "it has no voice URL at Twilio" in table.stdout
    offline = assert_ok(vami_run(live, "route", e164, "--offline", "--json"))
    assert "calls_answered" not in offline.stdout

    shown = assert_ok(vami_run(live, "webhooks", "show", e164, "--json"))
    assert '"in_sync": false' in shown.stdout
    assert "not answered" in shown.stderr

    report = vami_run(live, "reconcile", "--json")
    assert report.returncode == 4, report.stdout + report.stderr
    findings = json.loads(report.stdout)["findings"]
    assert [(f["kind"], f["e164"], f["repair"]) for f in findings] == [
        ("voice_url_drift", e164, "route_again")]
    assert "calls to it are not answered" in findings[0]["detail"]

    assert_ok(vami_run(live, "reconcile", "--apply"))
    assert voice_url(sandbox, e164) == ELEVENLABS_INBOUND
    assert sandbox_imported_numbers(sandbox) == {e164: agents["front-desk"],
                                                 healthy: agents["back-office"]}
    assert live.json("route", e164)["calls_answered"] is True
    assert '"in_sync": true' in assert_ok(vami_run(live, "webhooks", "show", e164,
                                                   "--json")).stdout
    assert_ok(vami_run(live, "reconcile"))


def test_reconcile_checks_a_webhook_number_against_the_router(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "front-desk", "--mode",
                       "webhook"))
    set_voice_url(sandbox, e164, f"{ROUTER}?agent_id={agents['back-office']}")
    # Without the router URL vami cannot know the right one: drift, left alone.
    blind = live.run("reconcile", "--apply", "--json")
    assert blind.returncode == 4, blind.stdout + blind.stderr
    (finding,) = json.loads(blind.stdout)["findings"]
    assert (finding["kind"], finding["holdup"]) == ("voice_url_drift", "no_router_url")
    assert_ok(vami_run(live, "reconcile", "--apply"))
    assert voice_url(sandbox, e164) == f"{ROUTER}?agent_id={agents['front-desk']}"
    assert_ok(vami_run(live, "reconcile"))


def test_assigning_a_number_to_its_agent_again_is_not_a_conflict(live, sandbox, agents):
    e164, other = buy_numbers(live, 2)
    assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "front-desk"))
    again = assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "front-desk"))
    assert "already assigned to agent front-desk" in again.stderr
    # Another agent, or the same agent in another mode, is still a conflict.
    assert vami_run(live, "numbers", "assign", e164, "--agent", "back-office").returncode == 4
    assert vami_run(live, "numbers", "assign", e164, "--agent", "front-desk", "--mode",
                    "webhook").returncode == 4
    # Repeated in bulk: both numbers end assigned, exit 0.
    assert_ok(vami_run(live, "numbers", "assign", e164, other, "--agent", "front-desk"))
    assert sandbox_imported_numbers(sandbox) == {e164: agents["front-desk"],
                                                 other: agents["front-desk"]}


def test_a_bulk_command_whose_items_all_failed_exits_with_their_common_code(live, sandbox,
                                                                           agents):
    numbers = buy_numbers(live, 2)
    for e164 in numbers:
        assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "back-office"))
    held = vami_run(live, "numbers", "assign", *numbers, "--agent", "front-desk")
    assert held.returncode == 4, held.stderr  # every item: a conflict
    unknown = vami_run(live, "numbers", "unassign", "+12125550198", "+12125550199")
    assert unknown.returncode == 3, unknown.stderr  # every item: not in the pool
    mixed = vami_run(live, "numbers", "unassign", numbers[0], "+12125550199")
    assert mixed.returncode == 7, mixed.stderr  # one done, one failed: partial


def test_webhooks_set_refuses_to_change_the_routing_of_an_assigned_number(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    assert_ok(vami_run(live, "numbers", "assign", e164, "--agent", "front-desk"))
    refused = vami_run(live, "webhooks", "set", e164, "--voice-url", "https://elsewhere.example.com/")
    assert refused.returncode == 4, refused.stderr
    assert "its voice URL is what routes its calls" in refused.stderr
    assert voice_url(sandbox, e164) == ELEVENLABS_INBOUND
    # The status callback alone may change: the routing stays.
    assert_ok(vami_run(live, "webhooks", "set", e164, "--voice-url", ELEVENLABS_INBOUND,
                       "--status-callback", "https://status.example.com/calls"))
    assert live.json("route", e164)["calls_answered"] is True
    # Back in the pool, its voice URL is the user's to set.
    assert_ok(vami_run(live, "numbers", "unassign", e164))
    assert_ok(vami_run(live, "webhooks", "set", e164, "--voice-url", "https://elsewhere.example.com/"))
