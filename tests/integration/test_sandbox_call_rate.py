"""`vami sandbox serve --call-rate N` (issue 11, item 5): the served sandbox places simulated
inbound calls on a schedule to the pool's assigned numbers, and `vami router serve` routes the
webhook ones to their tenants. Counts and tenants are asserted, never timing."""
import json
import sqlite3
import time

from conftest import Sandbox, Vami, buy_numbers, clean_environment, create_agent, create_tenant
from test_router import Router, free_port

STATS_PREFIX = "vami: sandbox stats: "


def wait_for(what, done, seconds=60):
    """Polls `done` until it holds (a minute at most: a loaded machine is slow, not wrong)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "never happened: " + what
        time.sleep(0.1)


def stopped_stats(sandbox):
    """Stops the served sandbox; the stats line it printed on stderr."""
    sandbox.stop()
    line = next(l for l in reversed(sandbox.process.stderr.read().splitlines())
                if l.startswith(STATS_PREFIX))
    return json.loads(line.removeprefix(STATS_PREFIX))


def test_scheduled_calls_load_the_router_and_reach_the_right_tenants(tmp_path, home):
    state = tmp_path / "served-sandbox.db"
    port = free_port()
    at_router = ["--router-url", f"http://127.0.0.1:{port}/twilio/voice"]
    owner = {}
    # The pool is set up first, on a sandbox that places no calls: no call meets a number
    # half-assigned.
    setup = Sandbox(state, clean_environment(home))
    try:
        live = Vami(tmp_path, {**clean_environment(home), **setup.exports})
        create_tenant(live, "acme", "Acme Dental")
        create_tenant(live, "globex", "Globex")
        create_agent(live, "acme", "Acme Desk")
        create_agent(live, "globex", "Globex Desk")
        numbers = buy_numbers(live, 4)
        owner = {numbers[0]: ("acme", "acme-desk"), numbers[1]: ("globex", "globex-desk")}
        for number, (_, agent) in owner.items():
            result = live.run(*at_router, "numbers", "assign", number, "--agent", agent,
                              "--mode", "webhook")
            assert result.returncode == 0, result.stderr
        # Native: ElevenLabs' emulator answers, not the router. numbers[3] stays unassigned.
        result = live.run("numbers", "assign", numbers[2], "--agent", "acme-desk")
        assert result.returncode == 0, result.stderr
    finally:
        setup.stop()

    sandbox = Sandbox(state, clean_environment(home), extra_args=["--call-rate", "20"])
    router = None
    try:
        live = Vami(tmp_path, {**clean_environment(home), **sandbox.exports})
        router = Router(live, tmp_path / "router.log", port=port)

        def routed(number):
            return router.log_lines(0, lambda l: l.get("route") == "/twilio/voice"
                                    and l.get("to") == number)

        wait_for("3 routed calls to each webhook number",
                 lambda: all(len(routed(n)) >= 3 for n in owner))
        _, live_stats = sandbox.request("GET", "/__sandbox/stats")
        assert live_stats["calls"]["rate"] == 20 and live_stats["calls"]["placed"] > 0
        # Stopping the sandbox first ends its calls in flight while the router still answers.
        counted = stopped_stats(sandbox)
    finally:
        sandbox.stop()
        if router is not None:
            router.stop()

    # The router saw only the webhook numbers, and routed every call to its own tenant's agent.
    voice = router.log_lines(0, lambda l: l.get("route") == "/twilio/voice")
    assert {l["to"] for l in voice} == set(owner)
    assert all((l["outcome"], l["tenant"], l["agent"]) == ("connected", *owner[l["to"]])
               for l in voice), voice
    # Their status callbacks recorded each call for its tenant in the state database.
    rows = live.rows("SELECT number, tenant_slug, agent_slug FROM calls WHERE source = 'router'")
    assert {number for number, _, _ in rows} == set(owner)
    assert all((tenant, agent) == owner[number] for number, tenant, agent in rows), rows

    # The sandbox's count: calls connected (the native number's too, by its agent); a webhook
    # call placed before the router listened found nobody there (failed). The unassigned number
    # got no call.
    calls = counted["calls"]
    assert calls["by_outcome"]["connected"] >= len(voice) > 0
    assert set(calls["by_outcome"]) <= {"connected", "failed"}, calls
    assert calls["placed"] == sum(calls["by_outcome"].values())
    with sqlite3.connect(state) as connection:
        called = {to for (to,) in connection.execute("SELECT to_number FROM calls")}
    assert called == {numbers[0], numbers[1], numbers[2]}


def test_call_rate_takes_decimal_whole_numbers_only(vami):
    for value in ("0x10", "1e3", "-1", "0", "10001", "ten", "010x"):
        result = vami.run("sandbox", "serve", "--port", "0", "--call-rate", value)
        assert result.returncode == 2, (value, result.stderr)
        assert "--call-rate" in result.stderr, result.stderr
