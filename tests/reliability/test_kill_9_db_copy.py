"""kill -9 during `vami db copy`: the target holds either what it held before or the whole copy,
never part of it. A large SQLite state (50,000 numbers, their journal items and audit rows) is
copied with --force into a PostgreSQL schema that holds a small state; the copy is killed at
points spread over the time a whole copy takes (measured first), and after each kill the
schema's every table is counted. The reverse direction, into a SQLite file, too."""
import random
import secrets
import sqlite3
import subprocess
import time

import pytest

from conftest import VAMI, clean_environment, integration, suite_seed

TABLES = ["tenants", "agents", "documents", "operations", "operation_items", "numbers",
          "audit_entries", "calls"]
NUMBERS = 50_000


def make_big_state(path, numbers=NUMBERS, audit=10_000):
    """Fills the (migrated, empty) SQLite state at `path` with `numbers` available numbers bought
    by operations of 1,000, their journal items and `audit` audit rows, as a busy pool's state."""
    with sqlite3.connect(path) as db:
        operations = [(f"op-{i:012x}", "buy", "completed", 1000, '{"area_code":"212"}', "alice",
                       "2026-11-22T03:35:28Z", "2026-11-22T03:40:00Z")
                      for i in range((numbers + 999) // 1000)]
        db.executemany("INSERT INTO operations (id, kind, status, requested_count, parameters, "
                       "actor, created_at, finished_at) VALUES (?,?,?,?,?,?,?,?)", operations)
        rows = [(f"+1212{i:07d}", f"PN{i:032x}", f"vami:default:{operations[i // 1000][0]}",
                 operations[i // 1000][0]) for i in range(numbers)]
        db.executemany(
            "INSERT INTO numbers (e164, provider, provider_sid, country, number_type, locality, "
            "region, status, friendly_name, voice_url, voice_method, monthly_price_micros, "
            "currency, operation_id, created_at, updated_at) VALUES (?, 'twilio', ?, 'US', "
            "'local', 'New York', 'NY', 'available', ?, 'https://hooks.example.com/voice', "
            "'POST', 1150000, 'USD', ?, '2026-11-22T03:35:28Z', '2026-11-22T03:35:29Z')", rows)
        db.executemany("INSERT INTO operation_items (operation_id, e164, outcome, updated_at) "
                       "VALUES (?, ?, 'succeeded', '2026-11-22T03:35:29Z')",
                       [(row[3], row[0]) for row in rows])
        db.executemany("INSERT INTO audit_entries (at, actor, command, entity_type, entity_id, "
                       "after_json) VALUES ('2026-11-22T03:35:29Z', 'alice', 'numbers buy', "
                       "'number', ?, '{\"status\":\"available\"}')",
                       [(row[0],) for row in rows[:audit]])


def sqlite_counts(path):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return tuple(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                     for table in TABLES)


def postgres_counts(uri):
    row = integration.psql(uri, "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})"
                                                      for table in TABLES))[0]
    return tuple(int(value) for value in row)


@pytest.fixture
def new_schema():
    """Makes fresh schemas on the test server (dropped afterwards); returns their URIs."""
    server = integration.server_uri()
    made = []

    def make():
        name = "vami_copy_" + secrets.token_hex(6)
        integration.psql(server, f"CREATE SCHEMA {name}")
        made.append(name)
        return server + ("&" if "?" in server else "?") + "options=-csearch_path%3D" + name

    yield make
    for name in made:
        integration.psql(server, f"DROP SCHEMA {name} CASCADE")


def vami(env, *args):
    result = subprocess.run([VAMI, *map(str, args)], env=env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=600)
    assert result.returncode == 0, f"vami {' '.join(map(str, args))}: {result.stderr}"
    return result


def wait_for_session_end(application_name):
    """Waits until the server has seen the killed copy's connection close (its transaction is
    then rolled back or was committed: nothing is in flight any more)."""
    server = integration.server_uri()
    deadline = time.monotonic() + 60
    while integration.psql(server, "SELECT count(*) FROM pg_stat_activity WHERE "
                                   f"application_name = '{application_name}'") != [["0"]]:
        assert time.monotonic() < deadline, "the killed copy's session never ended"
        time.sleep(0.05)


def kill_during(env, args, delay):
    """Runs `vami ARGS`, kills it with SIGKILL after `delay` seconds; whether it still ran."""
    process = subprocess.Popen([VAMI, *map(str, args)], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    running = process.poll() is None
    process.kill()
    process.wait(timeout=60)
    return running


@pytest.fixture
def states(tmp_path, home):
    """The big SQLite state, a small one (a tenant, an agent, two numbers) and their counts."""
    env = clean_environment(home)
    big = tmp_path / "big.db"
    vami(env, "--db", big, "init")
    make_big_state(big)
    small = tmp_path / "small.db"
    vami(env, "--db", small, "tenants", "create", "acme", "--name", "Acme Dental")
    vami(env, "--db", small, "numbers", "buy", "--count", "2", "--area-code", "646", "--yes")
    return env, big, small


def test_kill_9_during_a_copy_into_postgresql_leaves_it_as_before_or_complete(states, new_schema):
    env, big, small = states
    big_counts, small_counts = sqlite_counts(big), sqlite_counts(small)
    assert big_counts[TABLES.index("numbers")] == NUMBERS
    whole = new_schema()
    started = time.monotonic()
    vami(env, "db", "copy", "--from", big, "--to", whole)
    duration = time.monotonic() - started
    print(f"copying {NUMBERS} numbers and their journal into PostgreSQL took {duration:.2f} s")
    assert postgres_counts(whole) == big_counts

    rng = random.Random(suite_seed("kill -9 during db copy"))
    fractions = [0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95, 1.1]
    killed_midway = 0
    for trial, fraction in enumerate(fractions):
        uri = new_schema()
        vami(env, "db", "copy", "--from", small, "--to", uri)
        before = integration.psql(uri, "SELECT slug FROM tenants")
        name = f"vami-copy-kill-{trial}-{secrets.token_hex(3)}"
        delay = duration * fraction * rng.uniform(0.9, 1.1)
        running = kill_during(env, ["db", "copy", "--from", big, "--to",
                                    f"{uri}&application_name={name}", "--force"], delay)
        wait_for_session_end(name)
        after = postgres_counts(uri)
        context = f"killed after {delay:.2f} s of a {duration:.2f} s copy (trial {trial})"
        assert after in (small_counts, big_counts), f"{context}: a partial copy: {after}"
        if after == small_counts:
            assert integration.psql(uri, "SELECT slug FROM tenants") == before, context
            killed_midway += running
    # The kills did land while a copy was under way, not only before or after it.
    assert killed_midway >= 3, f"only {killed_midway} kills interrupted a copy"
    # A target a killed copy left as it was takes the copy again.
    vami(env, "db", "copy", "--from", big, "--to", uri, "--force")
    assert postgres_counts(uri) == big_counts


def test_kill_9_during_a_copy_into_sqlite_leaves_it_as_before_or_complete(states, new_schema,
                                                                           tmp_path):
    env, big, small = states
    source = new_schema()
    vami(env, "db", "copy", "--from", big, "--to", source)
    big_counts, small_counts = sqlite_counts(big), sqlite_counts(small)
    started = time.monotonic()
    vami(env, "db", "copy", "--from", source, "--to", tmp_path / "whole.db")
    duration = time.monotonic() - started
    print(f"copying {NUMBERS} numbers and their journal into SQLite took {duration:.2f} s")
    killed_midway = 0
    for trial, fraction in enumerate([0.1, 0.4, 0.7, 0.9]):
        target = tmp_path / f"target-{trial}.db"
        vami(env, "db", "copy", "--from", small, "--to", target)
        running = kill_during(env, ["db", "copy", "--from", source, "--to", target, "--force"],
                              duration * fraction)
        after = sqlite_counts(target)
        context = f"killed after {duration * fraction:.2f} s of a {duration:.2f} s copy"
        assert after in (small_counts, big_counts), f"{context}: a partial copy: {after}"
        with sqlite3.connect(target) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",), context
        killed_midway += running and after == small_counts
    assert killed_midway >= 2, f"only {killed_midway} kills interrupted a copy"
