"""A buy whose state database runs out of disk space part of the way through: the numbers the
provider sold are never lost and the operation is never called complete. vami exits 8 naming the
database file, leaves the operation resumable, and `reconcile --apply` then `operations resume`
bring the pool to exactly the count asked.

The full disk is the process's file size limit (RLIMIT_FSIZE, which needs no privileges): the
file system refuses the write that would grow the database's write-ahead log past it, as a full
one does."""
import json
import resource
import signal
import subprocess

from conftest import (VAMI, assert_files_sound, assert_pool_matches_account, owned_at_sandbox,
                      pool_rows, vami_for)

COUNT = 30


def limited_to(size):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the writer
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))
    return apply


def test_a_disk_that_fills_up_during_a_buy_is_exit_8_and_loses_nothing(tmp_path, home, serve):
    sandbox = serve()
    vami = vami_for(tmp_path, home, sandbox)
    assert vami.run("numbers", "list").returncode == 0  # the database, made whole
    size = vami.db.stat().st_size
    # Room for the write-ahead log of a few numbers (each commits its intent, its purchase, its
    # journal item and its audit entry), not for thirty.
    limit = size + 150_001
    buy = subprocess.run(
        [VAMI, "--db", str(vami.db), "numbers", "buy", "--count", str(COUNT), "--area-code",
         "212", "--concurrency", "1", "--yes", "--json", "--progress", "never"],
        env=vami.env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
        preexec_fn=limited_to(limit))
    assert buy.returncode == 8, buy.stdout + buy.stderr
    error = buy.stderr.strip().splitlines()[-2:]
    assert any(str(vami.db) in line and "the disk is full" in line for line in error), error
    assert any("vami reconcile --apply" in line and "vami operations resume" in line
               for line in error), error
    report = json.loads(buy.stdout)
    owned = owned_at_sandbox(sandbox)
    assert 0 < len(owned) < COUNT, "the disk filled up too early or too late for this test"
    assert report["uncertain"] >= 1
    assert report["succeeded"] < len(owned) + 1
    assert_files_sound(vami.db)

    # Never `completed`: the journal says interrupted (or running, its process gone).
    [(operation_id, stored)] = vami.rows("SELECT id, status FROM operations WHERE kind = 'buy'")
    assert stored in ("interrupted", "running"), stored
    [listed] = vami.json("operations", "list", "--kind", "buy")
    assert listed["status"] == "interrupted", listed

    # Room again: every number the provider sold is in the pool, none twice, then the rest.
    reconciled = vami.run("reconcile", "--apply", "--json")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert "purchasing" not in pool_rows(vami).values()
    assert_pool_matches_account(vami, sandbox, "reconciled after the disk was freed")
    resumed = vami.run("operations", "resume", operation_id, "--yes", "--json", "--progress",
                       "never", timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert len(assert_pool_matches_account(vami, sandbox, "resumed")) == COUNT
    [(status,)] = vami.rows("SELECT status FROM operations WHERE id = ?", (operation_id,))
    assert status == "completed"
