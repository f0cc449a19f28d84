"""Ctrl-C (SIGINT) in the middle of bulk work: vami stops starting items, settles the ones in
flight, prints what was done and exits 130, with nothing orphaned and nothing left in flight,
without needing a reconcile."""
import json
import random
import signal
import sqlite3
import subprocess
import time

from conftest import (VAMI, assert_files_sound, assert_pool_matches_account, state_file, stats,
                      suite_seed, vami_for)

COUNT = 200


def start(vami, *args):
    return subprocess.Popen(
        [VAMI, "--db", str(vami.db), *map(str, args), "--yes", "--json", "--progress", "never"],
        env=vami.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def count_rows(vami, sql):
    try:
        return vami.rows(sql)[0][0]
    except sqlite3.OperationalError:
        return 0  # the schema is not written yet


def interrupt_when(process, condition, what):
    deadline = time.monotonic() + 120
    while process.poll() is None and not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.002)
    assert process.poll() is None, f"the command ended before {what}"
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=120)


def test_ctrl_c_mid_buy_and_mid_release_exits_130_and_orphans_nothing(tmp_path, home, serve):
    rng = random.Random(suite_seed("SIGINT mid-bulk"))
    sandbox = serve(latency_ms=20)
    vami = vami_for(tmp_path, home, sandbox)

    settled = rng.randrange(20, COUNT // 2)
    buy = start(vami, "numbers", "buy", "--count", COUNT, "--area-code", "212", "--concurrency",
                "16")
    stdout, stderr = interrupt_when(
        buy, lambda: count_rows(vami, "SELECT count(*) FROM numbers WHERE status = 'available'")
        >= settled, f"{settled} numbers bought")
    assert buy.returncode == 130, stderr
    assert "database is locked" not in stderr
    report = json.loads(stdout)
    assert report["interrupted"] is True
    assert settled <= report["succeeded"] < COUNT
    owned = assert_pool_matches_account(vami, sandbox, f"buy interrupted after {settled}")
    assert len(owned) == report["succeeded"]
    assert stats(sandbox)["by_status"].get("201", 0) == len(owned)  # none bought twice
    assert vami.rows("SELECT status FROM operations") == [("interrupted",)]

    # Give back all of them, and interrupt that too.
    numbers = sorted(owned)
    stopping_at = rng.randrange(1, len(numbers) // 2 + 1)
    release = start(vami, "numbers", "release", *numbers, "--concurrency", "4")
    stdout, stderr = interrupt_when(
        release, lambda: count_rows(vami, "SELECT count(*) FROM numbers WHERE status = "
                                          "'released'") >= stopping_at,
        f"{stopping_at} numbers released")
    assert release.returncode == 130, stderr
    report = json.loads(stdout)
    assert report["interrupted"] is True
    assert stopping_at <= report["succeeded"] < len(numbers)
    remaining = assert_pool_matches_account(vami, sandbox, "release interrupted")
    assert len(remaining) == len(numbers) - report["succeeded"]
    assert count_rows(vami, "SELECT count(*) FROM numbers WHERE status = 'released'") == \
        report["succeeded"]
    assert vami.rows("SELECT status FROM operations ORDER BY created_at") == [
        ("interrupted",), ("interrupted",)]
    assert_files_sound(vami.db, state_file(sandbox))
