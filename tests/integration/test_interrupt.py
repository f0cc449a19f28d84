"""Ctrl-C during a bulk purchase: exit 130, what was in flight recorded, nothing orphaned."""
import json
import signal
import sqlite3
import subprocess
import time

from conftest import VAMI, Sandbox, Vami, clean_environment


def test_interrupted_purchase_exits_130_and_loses_no_number(tmp_path, home):
    slow = Sandbox(tmp_path / "slow-sandbox.db", clean_environment(home), latency_ms=100)
    try:
        vami = Vami(tmp_path, {**clean_environment(home), **slow.exports})
        process = subprocess.Popen(
            [VAMI, "--db", str(vami.db), "numbers", "buy", "--count", "40", "--area-code", "212",
             "--yes", "--json"], env=vami.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        # Wait until purchases have started (the journal shows the operation), then interrupt.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if vami.rows("SELECT count(*) FROM numbers WHERE status = 'available'")[0][0] >= 3:
                    break
            except sqlite3.OperationalError:
                pass  # the database is not created yet
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        report = json.loads(stdout)
        assert report["interrupted"] is True
        assert 3 <= report["succeeded"] < 40
        assert "interrupted" in stderr

        owned = {n["phone_number"] for n in slow.owned()}
        pool = {row[0] for row in vami.rows("SELECT e164 FROM numbers WHERE status = 'available'")}
        assert owned == pool  # every number paid for is known, and nothing else
        assert vami.rows("SELECT count(*) FROM numbers WHERE status = 'purchasing'") == [(0,)]
        assert vami.rows("SELECT status FROM operations") == [("interrupted",)]
    finally:
        slow.stop()
