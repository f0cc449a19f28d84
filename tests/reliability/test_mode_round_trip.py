"""Routing-mode round trip under faults (issue 10, item 1): a number assigned natively, taken
back, routed by webhook, taken back and assigned natively again, against `vami sandbox serve`
injecting 5xx answers and lost responses. Each command is repeated as a script would (a lost
answer leaves the state uncertain; `reconcile --apply` settles it) until it succeeds. After every
step the number is routed exactly as its mode needs at both providers, and at the end calls to
it are answered: Twilio's voice URL is ElevenLabs' and the import is assigned to the agent."""
import json
import sqlite3

from conftest import integration, state_file, suite_seed, vami_for

ELEVENLABS_INBOUND = "https://api.us.elevenlabs.io/twilio/inbound_call"
ROUTER = "https://router.example.com/voice"
ATTEMPTS = 12
# ok; provider unavailable (nothing done, or retried out); uncertain (run reconcile).
RETRYABLE = {6, 8}


def sandbox_rows(sandbox, sql, params):
    """Reads the served sandbox's own state file (read-only): its API would inject faults into
    the test's own checks too."""
    with sqlite3.connect(f"file:{state_file(sandbox)}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql, params).fetchall()


def voice_url(sandbox, e164):
    (url,) = sandbox_rows(sandbox, "SELECT voice_url FROM incoming_phone_numbers "
                          "WHERE phone_number = ?", (e164,))[0]
    return url or ""


def imported_agent(sandbox, e164):
    """The agent the sandbox's ElevenLabs import of `e164` routes to (None: none or no import)."""
    rows = sandbox_rows(sandbox, "SELECT agent_id FROM convai_phone_numbers WHERE phone_number = ?",
                        (e164,))
    assert len(rows) <= 1, f"{e164} imported twice"
    return rows[0][0] if rows else None


def row(vami, e164):
    return vami.rows("SELECT status, routing_mode FROM numbers WHERE e164 = ?", (e164,))[0]


def until_done(vami, e164, args, mode):
    """Runs a vami command until it succeeds, settling uncertain state in between, as a script
    would. An unassign whose answer was lost after the database changed is done once the row
    says so (repeating it is then a conflict: the number is not assigned)."""
    outcomes = []
    for _ in range(ATTEMPTS):
        result = vami.run("--router-url", ROUTER, *args)
        outcomes.append(result.returncode)
        if result.returncode == 0:
            return outcomes
        if result.returncode == 4 and mode is None and row(vami, e164)[0] == "available":
            return outcomes
        assert result.returncode in RETRYABLE, f"{args}: exit {result.returncode}: {result.stderr}"
        vami.run("--router-url", ROUTER, "reconcile", "--apply")
    raise AssertionError(f"{args} never succeeded: exits {outcomes}")


def settled(vami):
    """reconcile --apply until it reports nothing left (the faults may hit it too)."""
    for _ in range(ATTEMPTS):
        result = vami.run("--router-url", ROUTER, "reconcile", "--apply", "--json")
        if result.returncode == 0:
            return json.loads(result.stdout)
    raise AssertionError(f"reconcile never settled: {result.stdout}{result.stderr}")


def assert_routed(vami, sandbox, e164, mode, agent_id):
    """The number is routed exactly as its mode needs, at both providers."""
    if mode == "native":
        assert voice_url(sandbox, e164) == ELEVENLABS_INBOUND
        assert imported_agent(sandbox, e164) == agent_id
    elif mode == "webhook":
        assert voice_url(sandbox, e164) == f"{ROUTER}?agent_id={agent_id}"
        assert imported_agent(sandbox, e164) is None
    else:
        assert not voice_url(sandbox, e164).startswith(ROUTER)
        assert imported_agent(sandbox, e164) is None
    for _ in range(ATTEMPTS):  # the faults hit route's own requests too
        route = vami.run("--router-url", ROUTER, "route", e164, "--json")
        if route.returncode == 0:
            break
        assert route.returncode == 6, route.stderr
    assert route.returncode == 0, route.stderr
    assert json.loads(route.stdout)["calls_answered"] is (mode is not None)


def test_a_mode_round_trip_under_faults_ends_answered(tmp_path, home, serve):
    seed = suite_seed("mode round trip")
    quiet = serve()
    setup = vami_for(tmp_path, home, quiet)
    integration.create_tenant(setup, "acme", "Acme Dental")
    agent_id = integration.create_agent(setup, "acme", "Front Desk")["provider_agent_id"]
    (e164,) = integration.buy_numbers(setup, 1)
    quiet.stop()

    # The same sandbox state, now served with faults.
    sandbox = serve("--fail-rate", "0.15", "--drop-rate", "0.1", "--seed", seed,
                    state="sandbox.db")
    vami = vami_for(tmp_path, home, sandbox)
    steps = [
        (("numbers", "assign", e164, "--agent", "front-desk"), "native"),
        (("numbers", "unassign", e164), None),
        (("numbers", "assign", e164, "--agent", "front-desk", "--mode", "webhook"), "webhook"),
        (("numbers", "unassign", e164), None),
        (("numbers", "assign", e164, "--agent", "front-desk"), "native"),
    ]
    for args, mode in steps:
        until_done(vami, e164, args, mode)
        report = settled(vami)
        assert report["settled"], report
        assert_routed(vami, sandbox, e164, mode, agent_id)
    assert vami.rows("SELECT status, routing_mode, voice_url FROM numbers WHERE e164 = ?",
                     (e164,)) == [("assigned", "native", ELEVENLABS_INBOUND)]
