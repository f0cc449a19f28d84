"""kill -9 of `vami tenants delete --release-numbers` part of the way through its unassigns: the
numbers already unassigned no longer say whose they were, yet running the same command again, or
`vami operations resume` of its journaled release, releases every number it set out to release
(none stays owned, and paid for, in the pool) and then deletes the tenant."""
import json
import signal
import subprocess
import time

import pytest

from conftest import VAMI, integration, owned_at_sandbox, vami_for


def assigned_count(vami):
    return vami.rows("SELECT count(*) FROM numbers WHERE status = 'assigned'")[0][0]


@pytest.mark.parametrize("finish", ["rerun", "resume"])
def test_a_tenant_deletion_killed_midway_releases_every_number_when_finished(
        tmp_path, home, serve, finish):
    # Each request takes 300 ms, so the unassigns of two numbers take seconds: time to kill.
    sandbox = serve(latency_ms=300)
    vami = vami_for(tmp_path, home, sandbox)
    integration.create_tenant(vami, "acme")
    integration.create_agent(vami, "acme", "Front Desk")
    numbers = integration.buy_numbers(vami, 2)
    for e164 in numbers:
        assert vami.run("numbers", "assign", e164, "--agent", "front-desk").returncode == 0

    delete = subprocess.Popen(
        [VAMI, "--db", str(vami.db), "tenants", "delete", "acme", "--release-numbers", "--yes"],
        env=vami.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 120
    while assigned_count(vami) == 2:  # kill once the first number is back in the pool
        assert delete.poll() is None, delete.stderr.read()
        assert time.monotonic() < deadline, "the first unassign never happened"
        time.sleep(0.01)
    delete.send_signal(signal.SIGKILL)
    delete.communicate(timeout=60)
    assert set(numbers) <= set(owned_at_sandbox(sandbox)), "killed too late for this test"

    if finish == "rerun":
        finished = vami.run("tenants", "delete", "acme", "--release-numbers", "--yes", "--json")
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert sorted(json.loads(finished.stdout)["numbers_released"]) == numbers
    else:
        [(operation_id,)] = vami.rows("SELECT id FROM operations WHERE kind = 'release'")
        finished = vami.run("operations", "resume", operation_id, "--yes", "--json")
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert sorted(json.loads(finished.stdout)["numbers_released"]) == numbers

    owned = owned_at_sandbox(sandbox)
    assert not set(numbers) & set(owned), "a number of the deleted tenant is still paid for"
    assert dict(vami.rows("SELECT e164, status FROM numbers")) == {e: "released" for e in numbers}
    assert vami.rows("SELECT count(*) FROM tenants") == [(0,)]
    assert vami.rows("SELECT status FROM operations WHERE kind = 'release'") == [("completed",)]
