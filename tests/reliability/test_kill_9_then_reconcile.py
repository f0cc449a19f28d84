"""kill -9 of a buy while purchases are in flight, then `vami reconcile --apply` straight away:
vami sees that the process on this host is gone, so reconcile settles every `purchasing` row at
once (no ten-minute wait), the journal calls the operation `interrupted`, and a resume finishes
it to the count asked."""
import json
import signal
import sqlite3
import subprocess
import time

from conftest import VAMI, assert_files_sound, assert_pool_matches_account, vami_for

COUNT = 12


def statuses(vami):
    if not vami.db.exists():  # sqlite3.connect would make an empty file
        return []
    try:
        return [status for (status,) in vami.rows("SELECT status FROM numbers")]
    except sqlite3.OperationalError:  # the schema is not written yet
        return []


def test_reconcile_right_after_a_kill_9_settles_the_purchases_in_flight(tmp_path, home, serve):
    # Each purchase takes 400 ms at the provider, so a kill lands with requests in flight.
    sandbox = serve(latency_ms=400)
    vami = vami_for(tmp_path, home, sandbox)
    buy = subprocess.Popen(
        [VAMI, "--db", str(vami.db), "numbers", "buy", "--count", str(COUNT), "--area-code", "212",
         "--concurrency", "3", "--yes", "--json", "--progress", "never"],
        env=vami.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 120
    while True:
        assert buy.poll() is None, "the buy ended before it could be killed: " + buy.stderr.read()
        assert time.monotonic() < deadline, "no purchase was ever in flight"
        now = statuses(vami)
        if "available" in now and "purchasing" in now:
            break
        time.sleep(0.02)
    buy.send_signal(signal.SIGKILL)
    buy.communicate(timeout=60)
    assert "purchasing" in statuses(vami)
    assert_files_sound(vami.db)

    # The operation still says `running` in the database, but its process is gone.
    [(operation_id, stored)] = vami.rows("SELECT id, status FROM operations WHERE kind = 'buy'")
    assert stored == "running"
    [listed] = vami.json("operations", "list", "--kind", "buy")
    assert listed["status"] == "interrupted", listed

    reconciled = vami.run("reconcile", "--apply", "--json")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    findings = json.loads(reconciled.stdout)["findings"]
    assert not [f for f in findings if f["resolution"] == "unresolved"], findings
    assert "purchasing" not in statuses(vami)
    bought = len(assert_pool_matches_account(vami, sandbox, "reconciled after kill -9"))
    assert 0 < bought < COUNT

    resumed = vami.run("operations", "resume", operation_id, "--yes", "--json", "--progress",
                       "never", timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert len(assert_pool_matches_account(vami, sandbox, "resumed")) == COUNT
    [(status,)] = vami.rows("SELECT status FROM operations WHERE id = ?", (operation_id,))
    assert status == "completed"
