"""Shared pieces of the reliability suite: the built `vami` binary against `vami sandbox serve`,
with faults, kills and concurrent writers, then checks of what must never happen (a paid number
unknown to the database, a number bought twice, a damaged database file, a number held by two
agents). Reuses the integration suite's runners (tests/integration/conftest.py)."""
import importlib.util
import json
import os
import random
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest

# The integration conftest is loaded under its own name: `conftest` is this file.
_INTEGRATION = Path(__file__).resolve().parents[1] / "integration" / "conftest.py"
_SPEC = importlib.util.spec_from_file_location("vami_integration_conftest", _INTEGRATION)
integration = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(integration)

VAMI = integration.VAMI
Vami = integration.Vami
Sandbox = integration.Sandbox
clean_environment = integration.clean_environment

# Statuses of a row for a number the platform pays for.
OWNED_STATUSES = ("available", "assigned", "suspended")


def suite_seed(name: str) -> int:
    """The seed of one test's random choices: VAMI_RELIABILITY_SEED when set (to repeat a run),
    else a fresh one. Printed, so that a failure can be replayed (pytest shows it on failure)."""
    value = os.environ.get("VAMI_RELIABILITY_SEED")
    seed = int(value) if value else random.SystemRandom().randrange(1, 2**31)
    print(f"{name}: seed {seed} (repeat with VAMI_RELIABILITY_SEED={seed})")
    return seed


def stats(sandbox):
    """What the served sandbox counted (GET /__sandbox/stats): requests, by_status, injected..."""
    with urllib.request.urlopen(sandbox.base_url + "/__sandbox/stats", timeout=30) as response:
        return json.loads(response.read())


def state_file(sandbox) -> Path:
    args = sandbox.process.args
    return Path(args[args.index("--state") + 1])


def integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of a SQLite file, read-only ("ok" when sound)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as connection:
        return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))


def owned_at_sandbox(sandbox):
    """{e164: friendly_name} of every number the sandbox account owns (all pages)."""
    numbers = sandbox.owned()
    by_number = {n["phone_number"]: n["friendly_name"] for n in numbers}
    assert len(by_number) == len(numbers), "the sandbox lists a number twice"
    return by_number


def pool_rows(vami):
    """{e164: status} of every row of the state database's pool (none if there is no file)."""
    if isinstance(vami.db, Path) and not vami.db.exists():
        return {}
    try:
        return dict(vami.rows("SELECT e164, status FROM numbers"))
    except sqlite3.OperationalError as error:  # killed before the schema was written
        assert "no such table" in str(error), error
        return {}


def assert_pool_matches_account(vami, sandbox, context=""):
    """No orphan (owned at the provider, unknown or not owned in the database), no ghost, nothing
    left in flight: the database's owned rows are exactly what the account owns."""
    owned = owned_at_sandbox(sandbox)
    rows = pool_rows(vami)
    in_pool = {e164 for e164, status in rows.items() if status in OWNED_STATUSES}
    orphans = sorted(set(owned) - in_pool)
    ghosts = sorted(in_pool - set(owned))
    in_flight = sorted(e for e, s in rows.items() if s in ("purchasing", "releasing"))
    assert not orphans, f"{context}: paid for but unknown to the database: {orphans}"
    assert not ghosts, f"{context}: in the database but not owned: {ghosts}"
    assert not in_flight, f"{context}: rows left in flight: {in_flight}"
    return owned


def assert_files_sound(*paths):
    for path in paths:
        if Path(path).exists():
            assert integrity(Path(path)) == "ok", f"{path} is damaged"


def has_operations_command():
    """True once `vami operations` exists (its resume closes the kill -9 trials). The exit code
    of `vami operations --help` alone does not tell: for an unknown subcommand CLI11 prints the
    top-level help and exits 0."""
    result = subprocess.run([VAMI, "operations", "--help"], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    return result.returncode == 0 and "Usage: vami operations" in result.stdout


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def serve(tmp_path, home):
    """Starts `vami sandbox serve` with extra flags; every server started is stopped after."""
    started = []

    def start(*args, state="sandbox.db", latency_ms=0):
        server = Sandbox(tmp_path / state, clean_environment(home), latency_ms=latency_ms,
                         extra_args=args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# A fresh schema on the PostgreSQL test server, as the integration suite makes it.
schema_uri = integration.schema_uri


def postgres_vami_for(tmp_path, home, sandbox, uri):
    """vami configured like a live account, pointed at a served sandbox, its state in the
    PostgreSQL schema `uri` names; `rows` reads it with psql."""
    return integration.PostgresVami(tmp_path, {**clean_environment(home),
                                                        **sandbox.exports}, uri)


def vami_for(tmp_path, home, sandbox, db_name="vami.db"):
    """vami configured like a live account, pointed at a served sandbox, with its own database."""
    runner = Vami(tmp_path, {**clean_environment(home), **sandbox.exports})
    runner.db = tmp_path / db_name
    return runner
