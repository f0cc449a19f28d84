"""`vami audit`: every state-changing command leaves an entry naming its actor; never a secret."""
import json

from conftest import buy_numbers, error_line

CHANGES = [
    "tenants create", "tenants update", "agents create", "agents update", "kb add", "kb remove",
    "numbers buy", "numbers assign", "numbers reassign", "numbers unassign", "numbers release",
    "agents delete", "tenants delete",
]


def run_every_change(vami):
    """Runs each state-changing command once as actor "alice"; returns the numbers it used."""
    def ok(*args, env=None):
        result = vami.run("--actor", "alice", *args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        return result

    ok("tenants", "create", "acme", "--name", "Acme", "--contact-email", "ann@acme.example")
    ok("tenants", "update", "acme", "--industry", "dental")
    ok("tenants", "create", "bravo", "--name", "Bravo")
    ok("agents", "create", "--tenant", "acme", "--name", "Front Desk", "--prompt", "Be brief.")
    ok("agents", "create", "--tenant", "acme", "--name", "Back Office")
    ok("agents", "update", "front-desk", "--first-message", "Hello!")
    ok("kb", "add", "front-desk", "--text", "Opening hours: 9 to 17", "--name", "Hours")
    ok("kb", "add", "front-desk", "--text", "Parking is free", "--name", "Parking")
    ok("kb", "remove", "front-desk", "Parking")
    ok("numbers", "buy", "--count", "2", "--area-code", "212", "--yes")
    first, second = sorted(n["e164"] for n in vami.json("numbers", "list"))
    ok("numbers", "assign", first, "--agent", "front-desk")
    ok("numbers", "reassign", first, "--agent", "back-office")
    ok("numbers", "unassign", first)
    ok("numbers", "release", second, "--yes")
    ok("agents", "delete", "front-desk", "--yes")
    ok("tenants", "delete", "acme", "--yes")
    return first, second


def test_every_state_changing_command_is_audited_with_its_actor(live):
    first, second = run_every_change(live)
    # Read-only commands add nothing.
    count = len(live.json("audit"))
    for command in (["tenants", "list"], ["tenants", "show", "bravo"], ["agents", "list"],
                    ["numbers", "list"], ["route", first], ["voices", "list"]):
        assert live.run("--actor", "mallory", *command).returncode == 0
    entries = live.json("audit")
    assert len(entries) == count

    assert {e["command"] for e in entries} >= set(CHANGES)
    assert {e["actor"] for e in entries} == {"alice"}
    for entry in entries:
        assert set(entry) == {"at", "actor", "command", "entity_type", "entity_id", "tenant",
                              "before", "after"}
    by_command = {}
    for entry in entries:
        by_command.setdefault(entry["command"], []).append(entry)
    update = by_command["tenants update"][0]
    assert update["tenant"] == "acme" and update["entity_id"] == "acme"
    assert update["before"]["industry"] == "" and update["after"]["industry"] == "dental"
    assert by_command["agents create"][0]["entity_type"] == "agent"
    reassign = by_command["numbers reassign"][0]
    assert reassign["entity_id"] == first
    assert reassign["before"]["agent"] == "front-desk" and reassign["after"]["agent"] == "back-office"
    assert by_command["numbers release"][0]["entity_id"] == second
    assert by_command["tenants delete"][0]["after"] is None
    assert [e["entity_id"] for e in by_command["kb add"]] != []

    table = live.run("audit")
    assert table.stdout.splitlines()[0].split() == ["AT", "ACTOR", "COMMAND", "ENTITY", "ID",
                                                    "TENANT"]


def test_the_actor_comes_from_vami_actor_too(live):
    result = live.run("tenants", "create", "acme", "--name", "Acme", env={"VAMI_ACTOR": "bob"})
    assert result.returncode == 0, result.stderr
    assert [e["actor"] for e in live.json("audit")] == ["bob"]


def test_filter_by_tenant_and_time(live):
    run_every_change(live)
    assert live.run("--actor", "carol", "agents", "create", "--tenant", "bravo", "--name",
                    "Bravo Desk").returncode == 0
    acme = live.json("audit", "--tenant", "acme")  # deleted, but its trail remains
    assert acme and {e["tenant"] for e in acme} == {"acme"}
    assert "tenants delete" in {e["command"] for e in acme}
    bravo = live.json("audit", "--tenant", "bravo")
    assert [(e["command"], e["actor"]) for e in bravo] == [("tenants create", "alice"),
                                                           ("agents create", "carol")]
    unknown = live.run("audit", "--tenant", "ghost")
    assert unknown.returncode == 3 and '"ghost"' in error_line(unknown)

    everything = live.json("audit")
    assert live.json("audit", "--since", "2000-01-01") == everything
    assert live.json("audit", "--since", "1h") == everything
    assert live.json("audit", "--since", "2999-01-01T00:00:00Z") == []
    newest = live.json("audit", "--limit", "2")
    assert newest == everything[-2:]
    for bad in ("yesterday", "2026-13-45", "5x"):
        result = live.run("audit", "--since", bad)
        assert result.returncode == 2, (bad, result.stderr)


def test_the_audit_trail_never_holds_a_secret(live, sandbox):
    run_every_change(live)
    secrets = [sandbox.exports["TWILIO_AUTH_TOKEN"], sandbox.exports["ELEVENLABS_API_KEY"],
               sandbox.api_key["TWILIO_API_SECRET"]]
    # Also with the API key and secret instead of the auth token.
    key_env = {"TWILIO_AUTH_TOKEN": "", **sandbox.api_key}
    assert live.run("--actor", "alice", "tenants", "create", "delta", "--name", "Delta",
                    env=key_env).returncode == 0
    assert live.run("--actor", "alice", "agents", "create", "--tenant", "delta", "--name",
                    "Delta Desk", env=key_env).returncode == 0
    (e164,) = buy_numbers(live, 1)
    assert live.run("numbers", "assign", e164, "--agent", "delta-desk",
                    env=key_env).returncode == 0

    shown = live.run("audit", "--json").stdout + live.run("audit", "-o", "csv").stdout
    stored = json.dumps(live.rows("SELECT * FROM audit_entries"))
    for secret in secrets:
        assert secret and secret not in shown and secret not in stored
    assert "numbers assign" in shown
