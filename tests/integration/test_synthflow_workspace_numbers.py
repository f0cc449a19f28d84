"""Numbers held in the Synthflow workspace, on `vami sandbox serve`: imported into the pool
(`vami numbers import --provider synthflow`, a dry run first, then again with nothing new),
assigned to a Synthflow agent (the agent's `phone_number` at the emulator), routed, reconciled
in sync, refused to an ElevenLabs agent with nothing changed, unassigned, released from the
workspace; suspend, webhooks set and calls test refused; never one request about them to
Twilio."""
import json
import sqlite3

import pytest

from conftest import Sandbox, Vami, clean_environment, create_agent, create_tenant, error_line

FIRST = "+14155550142"
SECOND = "+14155550167"


def seed_workspace(state, *numbers):
    """Numbers bought through Synthflow's dashboard: a sid, no SIP termination URI."""
    with sqlite3.connect(state) as db:
        for number in numbers:
            db.execute("INSERT INTO synthflow_numbers (slug, phone_number, provider_name, sid, "
                       "created_at) VALUES (?, ?, 'twilio', ?, '2026-12-01T00:00:00Z')",
                       (number[1:], number, "PN" + number[2:] * 3))


def workspace(state):
    """The workspace's numbers, and the agent naming each (the emulator's own file)."""
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        numbers = [row[0] for row in db.execute("SELECT phone_number FROM synthflow_numbers")]
        agents = {}
        for (body,) in db.execute("SELECT body FROM synthflow_agents"):
            agent = json.loads(body)
            if agent.get("phone_number"):
                agents[agent["phone_number"]] = agent["model_id"]
    return {number: agents.get(number) for number in numbers}


@pytest.fixture
def platform(live, sandbox, tmp_path):
    state = tmp_path / "served-sandbox.db"
    seed_workspace(state, FIRST, SECOND)
    create_tenant(live, "acme", "Acme Dental")
    desk = create_agent(live, "acme", "Acme Desk", "--slug", "acme-desk",
                        "--provider", "synthflow", "--prompt", "You answer for Acme Dental.")
    create_agent(live, "acme", "Acme Voice", "--slug", "acme-el", "--provider", "elevenlabs",
                 "--prompt", "You answer for Acme Dental.")
    return live, sandbox, state, desk


def test_workspace_numbers_are_imported_assigned_routed_and_released(platform):
    live, sandbox, state, desk = platform
    dry = live.run("numbers", "import", "--provider", "synthflow", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert [(i["e164"], i["result"]) for i in json.loads(dry.stdout)] == [
        (FIRST, "would_import"), (SECOND, "would_import")]
    assert live.rows("SELECT count(*) FROM numbers") == [(0,)]

    imported = live.json("numbers", "import", "--provider", "synthflow")
    assert [(i["e164"], i["result"], i["provider_id"]) for i in imported] == [
        (FIRST, "imported", FIRST[1:]), (SECOND, "imported", SECOND[1:])]
    shown = live.json("numbers", "show", FIRST)
    assert (shown["status"], shown["provider"], shown["provider_sid"]) == (
        "available", "synthflow", FIRST[1:])
    again = live.json("numbers", "import", "--provider", "synthflow")
    assert {i["result"] for i in again} == {"in_pool"}
    assert [e["command"] for e in live.json("audit")].count("numbers import") == 2

    assigned = live.run("numbers", "assign", FIRST, "--agent", "acme-desk")
    assert assigned.returncode == 0, assigned.stderr
    assert workspace(state)[FIRST] == desk["provider_agent_id"]
    route = live.json("route", FIRST)
    assert route["calls_answered"] is True and route["routing_problems"] == [], route
    assert route["provider"] == "synthflow" and route["sip_trunk"] is None, route
    assert "Synthflow workspace" in live.run("route", FIRST).stdout

    reconcile = live.run("reconcile", "--json")
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
    report = json.loads(reconcile.stdout)
    assert report["settled"] is True, report
    assert [f for f in report["findings"] if f["e164"] in (FIRST, SECOND)] == [], report

    # A workspace number for an ElevenLabs agent: refused before anything changes.
    before = live.json("numbers", "show", SECOND)
    refused = live.run("numbers", "assign", SECOND, "--agent", "acme-el")
    assert refused.returncode == 2, refused.stderr
    assert "synthflow workspace" in error_line(refused), refused.stderr
    assert "synthflow workspace number to a synthflow agent" in refused.stderr, refused.stderr
    assert live.json("numbers", "show", SECOND) == before
    assert workspace(state)[SECOND] is None

    # What the platform cannot do with a workspace number is refused with the next step.
    for args in (("numbers", "suspend", FIRST),
                 ("webhooks", "set", SECOND, "--voice-url", "https://example.com/voice"),
                 ("calls", "test", FIRST)):
        result = live.run(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "synthflow workspace" in error_line(result), (args, result.stderr)

    unassigned = live.run("numbers", "unassign", FIRST)
    assert unassigned.returncode == 0, unassigned.stderr
    assert workspace(state)[FIRST] is None
    assert live.json("route", FIRST)["routing_problems"] == []

    released = live.run("numbers", "release", SECOND, "--yes")
    assert released.returncode == 0, released.stderr
    assert live.json("numbers", "show", SECOND)["status"] == "released"
    assert SECOND not in workspace(state)
    # Twilio was never asked about them: it owns no number at all.
    assert sandbox.owned() == []


def test_reconcile_reports_a_workspace_number_the_pool_does_not_track(platform):
    live, _sandbox, state, _desk = platform
    live.json("numbers", "import", "--provider", "synthflow")
    seed_workspace(state, "+14155550188")
    reconcile = live.run("reconcile", "--json")
    assert reconcile.returncode != 0, reconcile.stdout
    findings = json.loads(reconcile.stdout)["findings"]
    untracked = [f for f in findings if f["kind"] == "workspace_number_untracked"]
    assert [(f["e164"], f["provider_id"], f["holdup"], f["agent_provider"]) for f in untracked] == [
        ("+14155550188", "14155550188", "not_vami", "synthflow")], findings
    assert "Synthflow workspace" in untracked[0]["detail"], untracked
    text = live.run("reconcile").stdout
    assert "vami numbers import --provider synthflow" in text, text


def test_sandbox_serve_seeds_workspace_numbers_once(tmp_path, home):
    """`vami sandbox serve --synthflow-numbers N`: N numbers bought through Synthflow, which
    `vami numbers import --provider synthflow` finds; a second start with the same N adds none."""
    state = tmp_path / "seeded-sandbox.db"
    seeded = Sandbox(state, clean_environment(home), extra_args=("--synthflow-numbers", 2))
    try:
        vami = Vami(tmp_path, {**clean_environment(home), **seeded.exports})
        dry = vami.run("numbers", "import", "--provider", "synthflow", "--dry-run", "--json")
        assert dry.returncode == 0, dry.stderr
        assert [(i["e164"], i["result"]) for i in json.loads(dry.stdout)] == [
            ("+14155550100", "would_import"), ("+14155550101", "would_import")]
    finally:
        seeded.stop()
    assert "+14155550100 to +14155550101 (2 added now)" in seeded.process.stderr.read()
    again = Sandbox(state, clean_environment(home), extra_args=("--synthflow-numbers", 2))
    again.stop()
    assert "(0 added now)" in again.process.stderr.read()
    assert list(workspace(state)) == ["+14155550100", "+14155550101"]


def test_reconcile_reads_synthflow_with_no_synthflow_agent_or_number_in_the_database(
        live, sandbox, tmp_path):
    """Every provider with credentials is compared, not only those the database uses: a number
    and a vami-tagged agent at Synthflow are found though the platform never used Synthflow."""
    state = tmp_path / "served-sandbox.db"
    create_tenant(live, "acme", "Acme Dental")
    create_agent(live, "acme", "Acme Voice", "--slug", "acme-el", "--provider", "elevenlabs",
                 "--prompt", "You answer for Acme Dental.")
    in_sync = live.run("reconcile", "--json")
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr

    lost = create_agent(live, "acme", "Acme Night", "--slug", "acme-night",
                        "--provider", "synthflow", "--prompt", "You answer for Acme Dental.")
    with sqlite3.connect(live.db) as db:  # the row lost, as after a restored backup
        db.execute("DELETE FROM agents WHERE slug = 'acme-night'")
    seed_workspace(state, "+14155550188")
    reconcile = live.run("reconcile", "--json")
    assert reconcile.returncode == 4, reconcile.stdout + reconcile.stderr
    found = sorted((f["kind"], f["e164"] or f["provider_id"])
                   for f in json.loads(reconcile.stdout)["findings"]
                   if f["agent_provider"] == "synthflow")
    assert found == [("agent_orphan", lost["provider_agent_id"]),
                     ("workspace_number_untracked", "+14155550188")], reconcile.stdout
