"""The PostgreSQL server restarted in the middle of a 200-number `vami numbers buy` (issue 13):
nothing bought is lost and nothing is bought twice. The buy either finishes after reconnecting,
or stops with exit 8 and `vami operations resume` finishes it, to exactly 200 numbers in the
pool, each owned at the sandbox.

The server is a cluster of this test's own (tests/postgres_cluster.sh in a temporary folder),
never the one the other tests share: restarting it cuts nobody else's sessions."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (VAMI, assert_pool_matches_account, owned_at_sandbox, postgres_vami_for,
                      stats)

COUNT = 200  # the figure
OUTAGES_AFTER = (40, 90, 140)  # purchases the sandbox accepted before each outage
CLUSTER = Path(__file__).resolve().parents[1] / "postgres_cluster.sh"


def cluster(action, folder):
    result = subprocess.run([str(CLUSTER), action, str(folder)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"postgres_cluster.sh {action}: {result.stdout}{result.stderr}"


@pytest.fixture
def own_server(tmp_path):
    """A throw-away cluster for this test alone: (folder for postgres_cluster.sh, its URI)."""
    folder = tmp_path / "cluster"
    cluster("start", folder)
    try:
        uri = (folder / "uri").read_text().strip()
        if not uri.startswith("postgresql://"):
            if os.environ.get("CI") == "true":
                pytest.fail(uri)
            pytest.skip(uri)
        yield folder, uri
    finally:
        cluster("stop", folder)


def purchases(sandbox):
    """Purchases the sandbox accepted (201 Created), whether or not the answer was read."""
    return stats(sandbox)["by_status"].get("201", 0)


@pytest.mark.parametrize("outage", ["restart", "down-two-seconds"])
def test_a_server_restart_mid_buy_loses_and_doubles_nothing(tmp_path, home, serve, own_server,
                                                             outage):
    folder, uri = own_server
    sandbox = serve(latency_ms=50)
    vami = postgres_vami_for(tmp_path, home, sandbox, uri)
    buy = subprocess.Popen(
        [VAMI, "--db", uri, "numbers", "buy", "--count", str(COUNT), "--area-code", "212",
         "--concurrency", "64", "--yes", "--json", "--progress", "never"],
        env=vami.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    # Three outages land among the purchases: some bought and recorded, some in flight, more to
    # come. Each cuts the buy's session wherever it is: idle, in a transaction, in a COMMIT.
    deadline = time.monotonic() + 120
    seen = []
    for after in OUTAGES_AFTER:
        while purchases(sandbox) < after and buy.poll() is None:
            assert time.monotonic() < deadline, "the buy never got there"
            time.sleep(0.005)
        if buy.poll() is not None:
            break
        seen.append(purchases(sandbox))
        if outage == "restart":
            cluster("restart", folder)
        else:
            cluster("halt", folder)
            time.sleep(2)
            cluster("start-again", folder)
    stdout, stderr = buy.communicate(timeout=300)
    context = (f"{outage} after {seen} purchases: exit {buy.returncode}\n"
               f"{stdout[-2000:]}{stderr[-2000:]}")
    assert seen and seen[0] < COUNT, "the buy ended before the server went away: " + context

    print(context.splitlines()[0], stderr.strip().splitlines()[-1:] if buy.returncode else "")
    assert buy.returncode in (0, 8), context
    operation_id = vami.rows("SELECT id FROM operations WHERE kind = 'buy'")[0][0]
    if buy.returncode == 0:
        report = json.loads(stdout)
        assert report["succeeded"] == COUNT, context
    else:
        # Stopped, saying the state is uncertain: the journal must not call it finished.
        assert "operations resume" in stderr, context
        status = vami.rows(f"SELECT status FROM operations WHERE id = '{operation_id}'")
        assert status != [("completed",)], context
        resumed = vami.run("operations", "resume", operation_id, "--yes", "--json", timeout=300)
        assert resumed.returncode == 0, f"{context}\nresume: {resumed.stdout}{resumed.stderr}"
    owned = assert_pool_matches_account(vami, sandbox, context)
    assert len(owned) == COUNT, f"{context}: {len(owned)} numbers owned at the sandbox"
    assert purchases(sandbox) == COUNT, f"{context}: a number was bought twice"
    assert all(name.endswith(operation_id) for name in owned_at_sandbox(sandbox).values()), context
    assert vami.rows(f"SELECT count(*) FROM numbers WHERE operation_id = '{operation_id}' "
                     "AND status = 'available'") == [(str(COUNT),)], context
    assert vami.rows("SELECT status FROM operations") == [("completed",)], context
