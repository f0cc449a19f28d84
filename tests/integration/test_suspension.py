"""`vami numbers suspend|resume` and `vami tenants suspend|resume` against `vami sandbox serve`:
calls stop at both providers, the routing comes back exactly, and it is journaled and audited."""
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import (buy_numbers, create_agent, create_tenant, error_line,
                      sandbox_imported_numbers, world_state)

ELEVENLABS_INBOUND = "https://api.us.elevenlabs.io/twilio/inbound_call"
ROUTER = "https://router.example.com/voice"


@pytest.fixture
def agents(live):
    create_tenant(live, "acme", "Acme Dental")
    create_tenant(live, "bravo", "Bravo Law")
    return {
        "front-desk": create_agent(live, "acme", "Front Desk")["provider_agent_id"],
        "back-office": create_agent(live, "acme", "Back Office")["provider_agent_id"],
        "bravo-desk": create_agent(live, "bravo", "Bravo Desk")["provider_agent_id"],
    }


def at_twilio(sandbox, e164):
    return {n["phone_number"]: n for n in sandbox.owned()}[e164]


def twiml_of(voice_url):
    """The TwiML the echo Twimlet would answer with."""
    parsed = urlparse(voice_url)
    assert (parsed.scheme, parsed.netloc, parsed.path) == ("https", "twimlets.com", "/echo")
    return parse_qs(parsed.query)["Twiml"][0]


def test_suspend_stops_calls_at_both_providers_and_resume_restores_the_routing(
        live, sandbox, agents):
    native, routed = buy_numbers(live, 2)
    live.json("numbers", "assign", native, "--agent", "front-desk")
    live.json("--router-url", ROUTER, "numbers", "assign", routed, "--agent", "back-office",
              "--mode", "webhook")
    router_url = at_twilio(sandbox, routed)["voice_url"]

    suspended = live.json("numbers", "suspend", native, "--message",
                          "Acme's line is closed & will reopen soon")
    assert suspended["status"] == "suspended"
    assert suspended["tenant"] == "acme" and suspended["agent"] is None
    assert suspended["suspended_from"] == "assigned"
    assert suspended["suspended_agent"] == "front-desk"
    assert suspended["suspension_message"] == "Acme's line is closed & will reopen soon"
    twilio = at_twilio(sandbox, native)
    assert twiml_of(twilio["voice_url"]) == (
        "<Response><Say>Acme's line is closed &amp; will reopen soon</Say><Hangup/></Response>")
    assert twilio["voice_method"] == "GET"
    # ElevenLabs no longer answers it either.
    assert sandbox_imported_numbers(sandbox) == {native: None}

    rejected = live.run("numbers", "suspend", routed)
    assert rejected.returncode == 0, rejected.stderr
    assert "calls are rejected" in rejected.stderr
    assert twiml_of(at_twilio(sandbox, routed)["voice_url"]) == "<Response><Reject/></Response>"

    route = live.json("route", native)
    assert route["status"] == "suspended" and route["suspended"] is True
    assert route["suspended_agent"] == "front-desk" and route["agent"] is None
    assert route["tenant"]["slug"] == "acme"
    table = live.run("route", native)
    assert "suspended" in table.stdout and "vami numbers resume" in table.stdout
    assert "assign one" not in table.stdout
    shown = live.json("numbers", "show", native)
    assert shown["status"] == "suspended" and shown["suspended_agent"] == "front-desk"
    listed = live.json("numbers", "list", "--status", "suspended")
    assert {n["e164"] for n in listed} == {native, routed}

    # Held out of service: assign and --pick do not take it.
    refused = live.run("numbers", "assign", native, "--agent", "bravo-desk")
    assert refused.returncode == 4

    resumed = live.json("numbers", "resume", native)
    assert resumed["status"] == "assigned" and resumed["agent"] == "front-desk"
    assert resumed["routing_mode"] == "native" and resumed["suspended_from"] is None
    assert at_twilio(sandbox, native)["voice_url"] == ELEVENLABS_INBOUND
    assert sandbox_imported_numbers(sandbox)[native] == agents["front-desk"]
    back = live.json("numbers", "resume", routed)
    assert back["routing_mode"] == "webhook" and back["agent"] == "back-office"
    assert at_twilio(sandbox, routed)["voice_url"] == router_url

    not_suspended = live.run("numbers", "resume", native)
    assert not_suspended.returncode == 4 and "is not suspended" in error_line(not_suspended)

    commands = [row[0] for row in live.rows(
        "SELECT command FROM audit_entries WHERE entity_id IN (?, ?) ORDER BY id",
        (native, routed))]
    assert commands.count("numbers suspend") == 2 and commands.count("numbers resume") == 2


def test_tenant_suspend_and_resume_are_journaled_bulk_operations(live, sandbox, agents):
    first, second, other = buy_numbers(live, 3)
    live.json("numbers", "assign", first, second, "--agent", "front-desk")
    live.json("numbers", "assign", other, "--agent", "bravo-desk")

    report = live.json("tenants", "suspend", "acme", "--message", "Closed")
    assert report["succeeded"] == 2 and report["failed"] == 0
    operation = report["operation_id"]
    assert live.rows("SELECT kind, status, requested_count FROM operations WHERE id = ?",
                     (operation,)) == [("suspend", "completed", 2)]
    assert live.rows("SELECT e164, outcome FROM operation_items WHERE operation_id = ? "
                     "ORDER BY e164", (operation,)) == [(first, "succeeded"),
                                                       (second, "succeeded")]
    statuses = dict(live.rows("SELECT e164, status FROM numbers"))
    assert statuses == {first: "suspended", second: "suspended", other: "assigned"}
    assert sandbox_imported_numbers(sandbox) == {first: None, second: None,
                                                 other: agents["bravo-desk"]}
    shown = live.json("operations", "show", operation)
    assert shown["kind"] == "suspend"

    # Run again: the same state, nothing broken.
    again = live.run("tenants", "suspend", "acme", "--message", "Closed")
    assert again.returncode == 0, again.stderr

    resumed = live.json("tenants", "resume", "acme")
    assert resumed["succeeded"] == 2
    assert live.rows("SELECT kind FROM operations WHERE id = ?",
                     (resumed["operation_id"],)) == [("resume",)]
    statuses = dict(live.rows("SELECT e164, status FROM numbers"))
    assert set(statuses.values()) == {"assigned"}
    assert sandbox_imported_numbers(sandbox) == {first: agents["front-desk"],
                                                 second: agents["front-desk"],
                                                 other: agents["bravo-desk"]}
    nothing = live.run("tenants", "resume", "acme")
    assert nothing.returncode == 0 and "nothing to do" in nothing.stderr


def test_bulk_suspend_carries_on_past_a_failure_and_exits_7(live, sandbox, agents):
    good, = buy_numbers(live, 1)
    result = live.run("numbers", "suspend", good, "+12125550000", "--json")
    assert result.returncode == 7, result.stderr
    assert live.rows("SELECT status FROM numbers WHERE e164 = ?", (good,)) == [("suspended",)]


def test_bad_input_changes_nothing(live, sandbox, agents):
    e164, = buy_numbers(live, 1)
    live.json("numbers", "assign", e164, "--agent", "front-desk")
    before = world_state(live, sandbox)
    for args, code in [
        (["numbers", "suspend", e164, "--message", ""], 2),
        (["numbers", "suspend", e164, "--message", "two\nlines"], 2),
        (["numbers", "suspend", e164, "--message", "x" * 301], 2),
        (["numbers", "suspend", "+1212555"], 2),
        (["tenants", "suspend", "nobody"], 3),
        (["numbers", "resume", e164], 4),
    ]:
        result = live.run(*args)
        assert result.returncode == code, (args, result.stderr)
    assert world_state(live, sandbox) == before


def test_a_tenant_with_suspended_numbers_is_not_deleted_under_them(live, sandbox, agents):
    e164, = buy_numbers(live, 1)
    live.json("numbers", "assign", e164, "--agent", "bravo-desk")
    live.json("tenants", "suspend", "bravo")
    before = world_state(live, sandbox)
    refused = live.run("--yes", "tenants", "delete", "bravo")
    assert refused.returncode == 4 and "tenants resume bravo" in error_line(refused)
    assert world_state(live, sandbox) == before
    released = live.run("--yes", "tenants", "delete", "bravo", "--release-numbers")
    assert released.returncode == 0, released.stderr
    assert live.rows("SELECT status, tenant_id FROM numbers WHERE e164 = ?",
                     (e164,)) == [("released", None)]
