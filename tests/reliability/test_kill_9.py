"""kill -9 at random moments of a 200-number purchase, then `vami reconcile --apply` and
`vami operations resume`: no paid number is ever lost, none is bought twice, the files survive."""
import concurrent.futures
import json
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import (VAMI, Sandbox, assert_files_sound, assert_pool_matches_account,
                      OWNED_STATUSES, clean_environment, has_operations_command,
                      owned_at_sandbox, pool_rows, state_file, stats, suite_seed, vami_for)

COUNT = 200  # the figure: never lowered to make a trial quicker
TRIALS = 20
# The most purchases in flight vami allows: it makes each trial quick, and a kill lands among
# many requests in flight at once.
CONCURRENCY = 64
PARALLEL_TRIALS = 4


def start_buy(vami):
    return subprocess.Popen(
        [VAMI, "--db", str(vami.db), "numbers", "buy", "--count", str(COUNT), "--area-code",
         "212", "--concurrency", str(CONCURRENCY), "--yes", "--json", "--progress", "never"],
        env=vami.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def purchases(sandbox):
    """Purchases the sandbox accepted (201 Created), whether or not the answer was read."""
    return stats(sandbox)["by_status"].get("201", 0)


def buy_operations(vami):
    """(id, status, requested_count) of the journaled purchases; none before the schema exists."""
    if not vami.db.exists():
        return []
    try:
        return vami.rows("SELECT id, status, requested_count FROM operations WHERE kind = 'buy'")
    except sqlite3.OperationalError as error:  # killed before the schema was written
        assert "no such table" in str(error), error
        return []


def test_kill_9_at_random_moments_of_a_200_number_buy_loses_and_doubles_nothing(tmp_path, home):
    seed = suite_seed("kill -9 trials")
    resume_available = has_operations_command()

    # One uninterrupted purchase tells how many requests a whole one makes, so that the kills
    # spread over all of it: price look-up, searches, every purchase.
    calibration = Sandbox(tmp_path / "calibration-sandbox.db", clean_environment(home),
                          latency_ms=20)
    try:
        vami = vami_for(tmp_path, home, calibration, "calibration.db")
        buy = start_buy(vami)
        out, err = buy.communicate(timeout=300)
        assert buy.returncode == 0, err
        assert json.loads(out)["succeeded"] == COUNT
        whole = stats(calibration)["requests"]
        assert purchases(calibration) == COUNT
        assert len(assert_pool_matches_account(vami, calibration, "uninterrupted")) == COUNT
    finally:
        calibration.stop()
    print(f"an uninterrupted buy of {COUNT} makes {whole} requests")

    # Trials run a few at a time: each spends most of its time waiting on the provider.
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_TRIALS) as pool:
        trials = [pool.submit(run_trial, tmp_path, home, seed, trial, whole, resume_available)
                  for trial in range(TRIALS)]
        log = [trial.result() for trial in trials]
    print("\n".join(log))
    if not resume_available:
        pytest.fail("`vami operations resume` does not exist yet, so no trial could check that "
                    f"a resumed purchase reaches exactly {COUNT} numbers (every other check "
                    "passed)")


def run_trial(tmp_path, home, seed, trial, whole, resume_available):
    """One purchase killed at a random moment, then reconcile and resume; a line for the log."""
    rng = random.Random(f"{seed}-{trial}")
    folder = tmp_path / f"trial-{trial:02d}"
    folder.mkdir()
    # Kill once the sandbox has seen `after` requests, plus up to one latency more, so the
    # kill lands anywhere: before the database exists, during the searches, between an
    # intent and its request, while responses are on their way, between two commits.
    after = rng.randrange(0, whole)
    extra = rng.uniform(0, 0.025)
    context = f"trial {trial} (seed {seed}, kill after {after} requests + {extra * 1000:.0f} ms)"
    sandbox = Sandbox(folder / "sandbox.db", clean_environment(home), latency_ms=20)
    try:
        vami = vami_for(folder, home, sandbox)
        buy = start_buy(vami)
        deadline = time.monotonic() + 300
        while buy.poll() is None and stats(sandbox)["requests"] < after:
            assert time.monotonic() < deadline, f"{context}: the buy never got there"
            time.sleep(0.002)
        time.sleep(extra)
        buy.send_signal(signal.SIGKILL)
        buy.communicate(timeout=60)
        seen = stats(sandbox)["requests"]
        assert_files_sound(vami.db, state_file(sandbox))
        # The operation still reads `running`, but its process is gone: reconcile settles
        # every row it left in flight right away.
        reconciled = vami.run("reconcile", "--apply", "--json")
        assert reconciled.returncode == 0, f"{context}: {reconciled.stdout}{reconciled.stderr}"
        left = [f for f in json.loads(reconciled.stdout)["findings"]
                if f["resolution"] == "unresolved"]
        assert not left, f"{context}: {left}"
        assert "purchasing" not in pool_rows(vami).values(), context
        owned = owned_at_sandbox(sandbox)
        rows = pool_rows(vami)
        unknown = sorted(set(owned) - {e for e, s in rows.items() if s != "released"})
        ghosts = sorted(e for e, s in rows.items() if s in OWNED_STATUSES and e not in owned)
        assert not unknown, f"{context}: paid for but unknown to the database: {unknown}"
        assert not ghosts, f"{context}: in the pool but not owned: {ghosts}"
        # Every purchase the provider accepted is a number the account still owns: none was
        # bought, lost and bought again, and none beyond the count.
        assert purchases(sandbox) == len(owned) <= COUNT, context
        assert all(name.startswith("vami:") for name in owned.values()), context
        after_kill = len(owned)

        operations = buy_operations(vami)
        assert len(operations) <= 1, context
        if not operations:
            assert reconciled.returncode == 0 and not owned, context
        elif resume_available:
            operation_id = operations[0][0]
            resumed = vami.run("operations", "resume", operation_id, "--concurrency",
                               CONCURRENCY, "--yes", "--json", "--progress", "never",
                               timeout=300)
            assert resumed.returncode == 0, f"{context}: {resumed.stdout}{resumed.stderr}"
            reconciled = vami.run("reconcile", "--apply", "--json")
            assert reconciled.returncode == 0, f"{context}: {reconciled.stdout}"
            owned = assert_pool_matches_account(vami, sandbox, context + ", resumed")
            assert len(owned) == COUNT, f"{context}: resume reached {len(owned)} numbers"
            assert purchases(sandbox) == COUNT, f"{context}: a number was bought twice"
            of_operation = vami.rows("SELECT count(*) FROM numbers WHERE operation_id = ? "
                                     "AND status = 'available'", (operation_id,))[0][0]
            assert of_operation == COUNT, context
    finally:
        sandbox.stop()
    assert_files_sound(vami.db, folder / "sandbox.db")
    return (f"trial {trial:2d}: killed after {seen:3d} requests (aimed at {after:3d}), "
            f"{after_kill:3d} numbers bought, operation "
            f"{'journaled' if operations else 'not begun'}")
