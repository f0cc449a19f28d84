"""Ctrl-C during bulk commands: exit 130, what was in flight recorded, nothing orphaned, and
`vami operations resume` finishes the rest into the same operation."""
import json
import signal
import sqlite3
import subprocess
import time
import urllib.request

from conftest import (VAMI, Sandbox, Vami, buy_numbers, clean_environment, create_agent,
                      create_tenant, sandbox_imported_numbers)


def interrupt_when(vami, command, ready, timeout=60):
    """Starts `vami command`, sends SIGINT once `ready()` holds, returns (code, stdout, stderr)."""
    process = subprocess.Popen(
        [VAMI, "--db", str(vami.db), *command], env=vami.env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if ready():
                break
        except sqlite3.OperationalError:
            pass  # the database is not created yet
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def test_interrupted_purchase_exits_130_loses_no_number_and_resumes(tmp_path, home):
    slow = Sandbox(tmp_path / "slow-sandbox.db", clean_environment(home), latency_ms=100)
    try:
        vami = Vami(tmp_path, {**clean_environment(home), **slow.exports})
        # Wait until purchases have started (the pool shows some), then interrupt.
        code, stdout, stderr = interrupt_when(
            vami, ["numbers", "buy", "--count", "40", "--area-code", "212", "--yes", "--json"],
            lambda: vami.rows("SELECT count(*) FROM numbers WHERE status = 'available'")[0][0] >= 3)
        assert code == 130, stderr
        report = json.loads(stdout)
        assert report["interrupted"] is True
        assert 3 <= report["succeeded"] < 40
        assert "interrupted" in stderr and "vami operations resume" in stderr

        owned = {n["phone_number"] for n in slow.owned()}
        pool = {row[0] for row in vami.rows("SELECT e164 FROM numbers WHERE status = 'available'")}
        assert owned == pool  # every number paid for is known, and nothing else
        assert vami.rows("SELECT count(*) FROM numbers WHERE status = 'purchasing'") == [(0,)]
        assert vami.rows("SELECT status FROM operations") == [("interrupted",)]

        shown = vami.json("operations", "show", report["operation_id"])
        assert shown["status"] == "interrupted" and shown["succeeded"] == report["succeeded"]
        resumed = vami.run("operations", "resume", report["operation_id"], "--yes", "--json",
                           "--concurrency", "16")
        assert resumed.returncode == 0, resumed.stderr
        finished = json.loads(resumed.stdout)
        assert finished["operation_id"] == report["operation_id"]
        assert finished["done_before"] == report["succeeded"]
        assert finished["succeeded"] == 40 - report["succeeded"]
        numbers = {n["phone_number"]: n["friendly_name"] for n in slow.owned()}
        assert len(numbers) == 40  # exactly the count asked for, none bought twice
        assert set(numbers.values()) == {"vami:default:" + report["operation_id"]}
        assert vami.rows("SELECT count(*) FROM numbers WHERE status = 'available' AND "
                         "operation_id = ?", (report["operation_id"],)) == [(40,)]
        assert vami.rows("SELECT status FROM operations") == [("completed",)]
    finally:
        slow.stop()


def served_requests(sandbox):
    """How many requests the served sandbox has received (GET /__sandbox/stats)."""
    with urllib.request.urlopen(sandbox.base_url + "/__sandbox/stats", timeout=30) as response:
        return json.loads(response.read())["requests"]


def test_interrupted_search_of_a_purchase_exits_130_having_bought_nothing(tmp_path, home):
    slow = Sandbox(tmp_path / "slow-sandbox.db", clean_environment(home), latency_ms=200)
    try:
        vami = Vami(tmp_path, {**clean_environment(home), **slow.exports})
        # 1,000 numbers take 34 searches (one per Contains=NN$ partition of 30) and the price,
        # 8 at a time at 200 ms each: about a second of searching before any purchase. Ctrl-C
        # once the first search has reached the sandbox, not after a fixed time: since searches
        # got faster a fixed 0.8 s fell among the purchases.
        code, stdout, stderr = interrupt_when(
            vami, ["numbers", "buy", "--count", "1000", "--area-code", "212", "--yes"],
            lambda: served_requests(slow) >= 1)
        assert code == 130, stderr
        assert "interrupted while looking for numbers to buy; nothing was bought" in stderr
        assert stdout == ""
        assert slow.owned() == []
        assert vami.rows("SELECT count(*) FROM numbers") == [(0,)]
        assert vami.rows("SELECT count(*) FROM operations") == [(0,)]
    finally:
        slow.stop()


def test_interrupted_bulk_assign_exits_130_and_resume_assigns_the_rest(tmp_path, home):
    slow = Sandbox(tmp_path / "slow-sandbox.db", clean_environment(home), latency_ms=60)
    try:
        vami = Vami(tmp_path, {**clean_environment(home), **slow.exports})
        numbers = buy_numbers(vami, 24)
        create_tenant(vami, "acme", "Acme Dental")
        agent_id = create_agent(vami, "acme", "Front Desk")["provider_agent_id"]

        code, stdout, stderr = interrupt_when(
            vami, ["numbers", "assign", *numbers, "--agent", "front-desk", "--concurrency", "2",
                   "--json"],
            lambda: vami.rows("SELECT count(*) FROM numbers WHERE status = 'assigned'")[0][0] >= 3)
        assert code == 130, stderr
        report = json.loads(stdout)
        assert report["interrupted"] is True
        assert 3 <= report["succeeded"] < 24 and report["failed"] == 0
        assigned = {i["e164"] for i in report["items"] if i["result"] == "succeeded"}
        # What the report says is what the database and the Agents Platform hold: the items in
        # flight finished and were recorded, nothing else was started.
        assert {r[0] for r in vami.rows("SELECT e164 FROM numbers WHERE status = 'assigned'")} \
            == assigned
        assert sandbox_imported_numbers(slow) == {e164: agent_id for e164 in assigned}
        operation_id = report["operation_id"]
        assert vami.rows("SELECT kind, status FROM operations WHERE id = ?", (operation_id,)) \
            == [("assign", "interrupted")]
        shown = vami.json("operations", "show", operation_id)
        assert len(shown["items"]) == len(report["items"])
        assert sorted(shown["not_started"]) == sorted(set(numbers) - {i["e164"] for i in
                                                                     report["items"]})

        resumed = vami.run("operations", "resume", operation_id, "--json", "--concurrency", "8")
        assert resumed.returncode == 0, resumed.stderr
        finished = json.loads(resumed.stdout)
        assert finished["operation_id"] == operation_id
        assert finished["succeeded"] == 24 - report["succeeded"]
        assert sandbox_imported_numbers(slow) == {e164: agent_id for e164 in numbers}
        assert vami.rows("SELECT count(*) FROM numbers WHERE status = 'assigned'") == [(24,)]
        assert vami.rows("SELECT status FROM operations WHERE id = ?", (operation_id,)) == [
            ("completed",)]
    finally:
        slow.stop()
