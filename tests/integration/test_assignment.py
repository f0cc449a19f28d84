"""`vami numbers assign|unassign|reassign` and `vami route` against `vami sandbox serve`: the
state database, the number at Twilio (voice webhook) and at the ElevenLabs Agents Platform."""
import json
import subprocess
import threading

import pytest

from conftest import (VAMI, buy_numbers, create_agent, create_tenant, error_line,
                      sandbox_imported_numbers, world_state)

ELEVENLABS_INBOUND = "https://api.us.elevenlabs.io/twilio/inbound_call"
ROUTER = "https://router.example.com/voice"


@pytest.fixture
def agents(live):
    """Tenant acme with agents front-desk and back-office, tenant bravo with bravo-desk."""
    create_tenant(live, "acme", "Acme Dental")
    create_tenant(live, "bravo", "Bravo Law")
    return {
        "front-desk": create_agent(live, "acme", "Front Desk")["provider_agent_id"],
        "back-office": create_agent(live, "acme", "Back Office")["provider_agent_id"],
        "bravo-desk": create_agent(live, "bravo", "Bravo Desk")["provider_agent_id"],
    }


def voice_url(sandbox, e164):
    return {n["phone_number"]: n["voice_url"] for n in sandbox.owned()}[e164]


def test_assign_routes_the_number_natively_to_the_agent(live, sandbox, agents):
    e164, spare = buy_numbers(live, 2)
    assigned = live.json("numbers", "assign", e164, "--agent", "front-desk")
    assert assigned["e164"] == e164 and assigned["status"] == "assigned"
    assert assigned["tenant"] == "acme" and assigned["agent"] == "front-desk"
    assert assigned["routing_mode"] == "native"
    # Imported into the Agents Platform and assigned there; Twilio rings ElevenLabs.
    assert sandbox_imported_numbers(sandbox) == {e164: agents["front-desk"]}
    assert voice_url(sandbox, e164) == ELEVENLABS_INBOUND
    assert live.rows("SELECT status, routing_mode, voice_url FROM numbers WHERE e164 = ?",
                     (e164,)) == [("assigned", "native", ELEVENLABS_INBOUND)]
    assert live.rows("SELECT status FROM numbers WHERE e164 = ?", (spare,)) == [("available",)]

    route = live.json("route", e164)
    assert route["tenant"] == {"slug": "acme", "name": "Acme Dental"}
    assert route["agent"]["slug"] == "front-desk"
    assert route["agent"]["provider_agent_id"] == agents["front-desk"]
    assert route["routing_mode"] == "native" and route["voice_url"] == ELEVENLABS_INBOUND
    table = live.run("route", e164)
    assert table.returncode == 0
    assert "acme (Acme Dental)" in table.stdout and agents["front-desk"] in table.stdout
    assert "routing        native" in table.stdout
    assert f"voice webhook  POST {ELEVENLABS_INBOUND}" in table.stdout


def test_assign_by_agent_provider_id(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    assigned = live.json("numbers", "assign", e164, "--agent", agents["bravo-desk"])
    assert assigned["agent"] == "bravo-desk" and assigned["tenant"] == "bravo"


def test_pick_takes_an_available_number_matching_the_filter(live, sandbox, agents):
    ny_numbers = buy_numbers(live, 2, "212")
    picked = live.json("numbers", "assign", "--pick", "--agent", "front-desk", "--area-code", "212")
    assert picked["e164"] in ny_numbers and picked["agent"] == "front-desk"
    by_city = live.json("numbers", "assign", "--pick", "--agent", "back-office", "--locality",
                        "New York")
    assert {picked["e164"], by_city["e164"]} == set(ny_numbers)
    assert sandbox_imported_numbers(sandbox) == {picked["e164"]: agents["front-desk"],
                                                 by_city["e164"]: agents["back-office"]}

    before = world_state(live, sandbox)
    empty = live.run("numbers", "assign", "--pick", "--agent", "bravo-desk", "--area-code", "212")
    assert empty.returncode == 4 and "no available number" in error_line(empty)
    nowhere = live.run("numbers", "assign", "--pick", "--agent", "bravo-desk", "--locality",
                       "Springfield")
    assert nowhere.returncode == 4
    assert world_state(live, sandbox) == before


def test_unassign_returns_the_number_to_the_pool(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    live.json("numbers", "assign", e164, "--agent", "front-desk")
    unassigned = live.json("numbers", "unassign", e164)
    assert unassigned["status"] == "available" and unassigned["agent"] is None
    assert unassigned["tenant"] is None
    assert sandbox_imported_numbers(sandbox).get(e164) is None
    assert live.rows("SELECT status, tenant_id, agent_id, routing_mode FROM numbers") == [
        ("available", None, None, None)]
    route = live.json("route", e164)
    assert route["agent"] is None and route["tenant"] is None and route["status"] == "available"
    assert "no agent: assign one" in live.run("route", e164).stdout

    before = world_state(live, sandbox)
    again = live.run("numbers", "unassign", e164)
    assert again.returncode == 4 and "not assigned" in error_line(again)
    assert world_state(live, sandbox) == before
    # It can be assigned again, to another tenant's agent.
    assert live.json("numbers", "assign", e164, "--agent", "bravo-desk")["tenant"] == "bravo"
    assert sandbox_imported_numbers(sandbox) == {e164: agents["bravo-desk"]}


def test_reassign_moves_the_number_in_one_step(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    live.json("numbers", "assign", e164, "--agent", "front-desk")
    moved = live.json("numbers", "reassign", e164, "--agent", "back-office")
    assert moved["agent"] == "back-office" and moved["status"] == "assigned"
    assert sandbox_imported_numbers(sandbox) == {e164: agents["back-office"]}
    assert live.json("route", e164)["agent"]["slug"] == "back-office"

    before = world_state(live, sandbox)
    same = live.run("numbers", "reassign", e164, "--agent", "back-office")
    assert same.returncode == 4 and "back-office" in error_line(same)
    ghost = live.run("numbers", "reassign", e164, "--agent", "ghost")
    assert ghost.returncode == 3 and '"ghost"' in error_line(ghost)
    assert world_state(live, sandbox) == before


def test_a_number_of_another_tenant_is_refused_and_reassign_moves_it(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    live.json("numbers", "assign", e164, "--agent", "bravo-desk")
    before = world_state(live, sandbox)
    taken = live.run("numbers", "assign", e164, "--agent", "front-desk")
    assert taken.returncode == 4
    line = error_line(taken)
    assert '"bravo-desk"' in line and "bravo" in line and "reassign" in line
    assert world_state(live, sandbox) == before

    moved = live.json("numbers", "reassign", e164, "--agent", "front-desk")
    assert moved["tenant"] == "acme" and moved["agent"] == "front-desk"
    assert sandbox_imported_numbers(sandbox) == {e164: agents["front-desk"]}
    assert live.json("tenants", "show", "bravo")["numbers"] == []
    assert [n["e164"] for n in live.json("tenants", "show", "acme")["numbers"]] == [e164]


def test_webhook_mode_points_the_voice_url_at_the_router(live, sandbox, agents):
    first, second = buy_numbers(live, 2)
    before = world_state(live, sandbox)
    missing = live.run("numbers", "assign", first, "--agent", "front-desk", "--mode", "webhook")
    assert missing.returncode == 2
    assert "--router-url" in error_line(missing) and "VAMI_ROUTER_URL" in error_line(missing)
    assert world_state(live, sandbox) == before

    by_flag = live.json("--router-url", ROUTER, "numbers", "assign", first, "--agent",
                        "front-desk", "--mode", "webhook")
    assert by_flag["routing_mode"] == "webhook"
    expected = f"{ROUTER}?agent_id={agents['front-desk']}"
    assert voice_url(sandbox, first) == expected
    assert by_flag["voice_url"] == expected
    # Webhook routing does not import the number into the Agents Platform.
    assert first not in sandbox_imported_numbers(sandbox)
    route = live.json("route", first)
    assert route["routing_mode"] == "webhook" and route["voice_url"] == expected

    by_env = live.run("numbers", "assign", second, "--agent", "bravo-desk", "--mode", "webhook",
                      "--json", env={"VAMI_ROUTER_URL": ROUTER})
    assert by_env.returncode == 0, by_env.stderr
    assert voice_url(sandbox, second) == f"{ROUTER}?agent_id={agents['bravo-desk']}"

    # Reassigning keeps webhook routing and points at the new agent.
    live.json("--router-url", ROUTER, "numbers", "reassign", first, "--agent", "back-office")
    assert voice_url(sandbox, first) == f"{ROUTER}?agent_id={agents['back-office']}"
    # Unassigning clears the voice URL: the number answers no calls.
    live.json("numbers", "unassign", first)
    assert not voice_url(sandbox, first)

    insecure = live.run("--router-url", "http://router.example.com/voice", "numbers", "assign",
                        first, "--agent", "front-desk", "--mode", "webhook")
    assert insecure.returncode == 2, insecure.stderr


def test_two_concurrent_assigns_of_one_number_have_one_winner(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    results = {}

    def assign(agent):
        results[agent] = subprocess.run(
            [VAMI, "--db", str(live.db), "numbers", "assign", e164, "--agent", agent, "--json"],
            env=live.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)

    threads = [threading.Thread(target=assign, args=(agent,))
               for agent in ("front-desk", "bravo-desk")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.returncode for r in results.values())
    assert codes == [0, 4], {a: r.stderr for a, r in results.items()}
    winner = next(a for a, r in results.items() if r.returncode == 0)
    loser = next(a for a, r in results.items() if r.returncode == 4)
    assert json.loads(results[winner].stdout)["agent"] == winner
    assert f'"{winner}"' in error_line(results[loser])
    assert results[loser].stdout == ""
    assert live.json("route", e164)["agent"]["slug"] == winner
    assert sandbox_imported_numbers(sandbox) == {e164: agents[winner]}


def test_release_of_an_assigned_number_is_refused(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    live.json("numbers", "assign", e164, "--agent", "front-desk")
    before = world_state(live, sandbox)
    refused = live.run("numbers", "release", e164, "--yes")
    assert refused.returncode == 4
    line = error_line(refused)
    assert "front-desk" in line and "unassign" in line
    assert world_state(live, sandbox) == before


def test_bad_assignments_are_refused_and_change_nothing(live, sandbox, agents):
    (e164,) = buy_numbers(live, 1)
    before = world_state(live, sandbox)
    cases = [
        (["numbers", "assign", "+12125550199", "--agent", "front-desk"], 3, "+12125550199"),
        (["numbers", "assign", e164, "--agent", "ghost"], 3, '"ghost"'),
        (["numbers", "assign", "+1 (212) 555-01O1", "--agent", "front-desk"], 2, "555-01O1"),
        (["numbers", "assign", "--agent", "front-desk"], 2, "--pick"),
        (["numbers", "assign", "--pick", "--agent", "front-desk", "--area-code", "2x2"], 2, "2x2"),
        (["numbers", "assign", e164, "--agent", "front-desk", "--mode", "sip"], 2, "sip"),
        (["numbers", "unassign", e164], 4, "not assigned"),
        (["numbers", "reassign", e164, "--agent", "front-desk"], 4, "not assigned"),
        (["numbers", "unassign", "+12125550199"], 3, "+12125550199"),
        (["route", "+12125550199"], 3, "+12125550199"),
        (["route", "not-a-number"], 2, "not-a-number"),
    ]
    for command, code, mentioned in cases:
        result = live.run(*command)
        assert result.returncode == code, (command, result.stderr)
        assert mentioned in error_line(result), (command, result.stderr)
        assert result.stdout == ""
    assert world_state(live, sandbox) == before


def test_pick_buys_a_number_when_the_pool_has_none(live, sandbox, agents):
    refused = live.run("numbers", "assign", "--pick", "--agent", "front-desk", "--area-code",
                       "303")
    assert refused.returncode == 4 and "no available number" in error_line(refused)
    # --max-monthly-cost belongs to --buy-if-needed, which belongs to --pick.
    assert live.run("numbers", "assign", "--pick", "--agent", "front-desk",
                    "--max-monthly-cost", "5").returncode == 2
    assert live.run("numbers", "assign", "+13035550100", "--agent", "front-desk",
                    "--buy-if-needed").returncode == 2

    result = live.run("numbers", "assign", "--pick", "--agent", "front-desk", "--area-code", "303",
                      "--buy-if-needed", "--max-monthly-cost", "5", "--json")
    assert result.returncode == 0, result.stderr
    assigned = json.loads(result.stdout)
    assert assigned["e164"].startswith("+1303") and assigned["agent"] == "front-desk"
    assert f"bought {assigned['e164']} into the pool (operation op" in result.stderr
    assert sandbox_imported_numbers(sandbox) == {assigned["e164"]: agents["front-desk"]}
    (journaled,) = live.json("operations", "list", "--kind", "buy")
    assert journaled["succeeded"] == 1

    # With a free number in the pool, it is taken and nothing is bought.
    (e164,) = buy_numbers(live, 1, "303")
    again = live.json("numbers", "assign", "--pick", "--agent", "back-office", "--area-code",
                      "303", "--buy-if-needed")
    assert again["e164"] == e164
    assert len(live.json("operations", "list", "--kind", "buy")) == 2
