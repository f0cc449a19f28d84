"""`vami db copy` and `vami db status` as a user runs them: a SQLite state copied into a
PostgreSQL schema and back, a target holding a state refused (exit 4) and replaced with --force,
the status of both backends, and a password in a URI that never shows (output, --debug, errors,
the process list). The server is the throw-away cluster ctest starts (tests/postgres_cluster.sh)."""
import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import VAMI, Vami, buy_numbers, clean_environment, create_agent, create_tenant, \
    error_line, psql

CANARY = "pg-c0py-canary"
TABLES = ["tenants", "agents", "documents", "operations", "operation_items", "numbers",
          "audit_entries", "calls"]


def with_password(uri, password=CANARY):
    return uri.replace("postgresql://", f"postgresql://postgres:{password}@", 1)


def dump(path):
    """Every row of every table of a SQLite state, holders left out (a copy clears them)."""
    with sqlite3.connect(path) as db:
        rows = []
        for table in TABLES:
            cursor = db.execute(f"SELECT * FROM {table} ORDER BY rowid")
            names = [column[0] for column in cursor.description]
            for row in cursor:
                rows.append((table, tuple(value for name, value in zip(names, row)
                                          if name not in ("holder", "routing_holder",
                                                          "routing_since"))))
        return rows


@pytest.fixture
def state(tmp_path, home, sandbox):
    """A SQLite state made by vami against the served sandbox: a tenant, an agent, three numbers
    (one assigned), their journal and audit trail."""
    vami = Vami(tmp_path, {**clean_environment(home), **sandbox.exports})
    create_tenant(vami, "acme", "Acme Dental")
    create_agent(vami, "acme", "Front Desk")
    numbers = buy_numbers(vami, 3)
    assert vami.run("numbers", "assign", numbers[0], "--agent", "front-desk").returncode == 0
    return vami


def test_a_state_goes_to_postgresql_and_back_as_it_was(state, schema_uri, tmp_path):
    copied = state.run("db", "copy", "--from", state.db, "--to", schema_uri, "--json", db=False)
    assert copied.returncode == 0, copied.stderr
    report = json.loads(copied.stdout)
    assert list(report) == ["from", "to", "from_backend", "to_backend", "schema_version",
                            "replaced", "total_rows", "holds_cleared", "operations_interrupted",
                            "tables"]
    assert (report["from_backend"], report["to_backend"]) == ("sqlite", "postgresql")
    assert [t["table"] for t in report["tables"]] == TABLES
    counts = {t["table"]: t["rows"] for t in report["tables"]}
    assert counts["numbers"] == 3 and counts["tenants"] == 1 and report["replaced"] is False
    assert report["total_rows"] == sum(counts.values())
    assert "counts verified" in copied.stderr
    assert psql(schema_uri, "SELECT count(*) FROM numbers WHERE status = 'assigned'") == [["1"]]

    # PostgreSQL to PostgreSQL (another schema of the server), then back into a file.
    server = schema_uri.split("&options=")[0]
    second = f"{schema_uri}_2"
    psql(server, "CREATE SCHEMA " + second.rsplit("%3D", 1)[1])
    try:
        moved = state.run("db", "copy", "--from", schema_uri, "--to", second, db=False)
        assert moved.returncode == 0, moved.stderr
        back = tmp_path / "back.db"
        result = state.run("db", "copy", "--from", second, "--to", back, db=False)
    finally:
        psql(server, "DROP SCHEMA " + second.rsplit("%3D", 1)[1] + " CASCADE")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["TABLE", "ROWS", "REPLACED"]
    assert dump(back) == dump(state.db)
    # The copy is a state vami works with.
    state.db = schema_uri
    listed = state.json("numbers", "list")
    assert len(listed) == 3 and {n["status"] for n in listed} == {"assigned", "available"}


def test_a_target_holding_a_state_is_refused_then_replaced_with_force(state, schema_uri):
    other = Vami(state.workdir / "other", state.env)
    other.db = schema_uri
    create_tenant(other, "globex", "Globex Clinic")
    refused = state.run("db", "copy", "--from", state.db, "--to", schema_uri, db=False)
    assert refused.returncode == 4
    assert "already holds a state (1 tenants, " in error_line(refused)
    assert "--force" in error_line(refused)
    assert psql(schema_uri, "SELECT slug FROM tenants") == [["globex"]]
    assert psql(schema_uri, "SELECT count(*) FROM numbers") == [["0"]]

    forced = state.run("db", "copy", "--from", state.db, "--to", schema_uri, "--force", "--json",
                       db=False)
    assert forced.returncode == 0, forced.stderr
    report = json.loads(forced.stdout)
    assert report["replaced"] is True
    assert report["tables"][0] == {"table": "tenants", "rows": 1, "replaced_rows": 1}
    assert psql(schema_uri, "SELECT slug FROM tenants") == [["acme"]]


def test_db_status_of_both_backends(state, schema_uri):
    sqlite_status = state.json("db", "status")
    assert list(sqlite_status) == ["backend", "location", "schema_version",
                                   "current_schema_version", "schema_current", "connection",
                                   "tables"]
    assert sqlite_status["backend"] == "sqlite" and sqlite_status["schema_current"] is True
    assert sqlite_status["connection"]["journal_mode"] == "wal"
    assert sqlite_status["connection"]["path"] == str(state.db)
    assert sqlite_status["connection"]["file_size_bytes"] > 0
    assert {t["table"]: t["rows"] for t in sqlite_status["tables"]}["numbers"] == 3

    assert state.run("db", "copy", "--from", state.db, "--to", schema_uri,
                     db=False).returncode == 0
    state.db = schema_uri
    pg_status = state.json("db", "status")
    assert pg_status["backend"] == "postgresql" and pg_status["location"] == schema_uri
    connection = pg_status["connection"]
    assert list(connection) == ["host", "port", "database", "user", "server_version", "sslmode",
                                "ssl", "schema", "search_path"]
    assert connection["database"] == "postgres" and connection["user"] == "postgres"
    assert connection["schema"] == schema_uri.rsplit("%3D", 1)[1]
    assert connection["ssl"] is False and isinstance(connection["port"], int)
    assert {t["table"]: t["rows"] for t in pg_status["tables"]} == \
        {t["table"]: t["rows"] for t in sqlite_status["tables"]}
    table = state.run("db", "status")
    assert table.returncode == 0 and "search_path" in table.stdout and "numbers" in table.stdout


def test_db_status_of_a_missing_file_and_copy_of_an_old_source(state, tmp_path):
    missing = state.run("db", "status", db=False, env={"VAMI_DB": str(tmp_path / "none.db")})
    assert missing.returncode == 3
    assert "there is no state database at" in error_line(missing)
    with sqlite3.connect(state.db) as db:
        db.execute("PRAGMA user_version = 6")
    old = state.run("db", "copy", "--from", state.db, "--to", tmp_path / "new.db", db=False)
    assert old.returncode == 2
    assert "schema version 6" in error_line(old) and " init'" in error_line(old)
    assert not (tmp_path / "new.db").exists()


def test_a_password_in_a_uri_never_shows(state, schema_uri, tmp_path):
    uri = with_password(schema_uri)
    copied = state.run("--debug", "db", "copy", "--from", state.db, "--to", uri, "--json",
                       db=False)
    assert copied.returncode == 0, copied.stderr
    assert "PGPASSWORD" in copied.stderr
    assert CANARY not in copied.stdout + copied.stderr
    assert json.loads(copied.stdout)["to"].startswith("postgresql://postgres:***@")
    status = state.run("--debug", "--db", uri, "db", "status", "--json", db=False)
    assert status.returncode == 0, status.stderr
    assert CANARY not in status.stdout + status.stderr
    refused = state.run("db", "copy", "--from", state.db, "--to", uri, db=False)
    assert refused.returncode == 4 and CANARY not in refused.stdout + refused.stderr
    missing = uri.replace("/postgres?", "/no_such_database?")
    failed = state.run("db", "copy", "--from", missing, "--to", tmp_path / "x.db", db=False)
    assert failed.returncode == 2
    assert "does not exist" in error_line(failed) and CANARY not in failed.stderr

    # The process list: a copy waiting for its SQLite target's write lock shows no password.
    target = tmp_path / "locked.db"
    assert state.run("--db", target, "init", db=False).returncode == 0
    lock = sqlite3.connect(target, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    process = subprocess.Popen([VAMI, "db", "copy", "--from", uri, "--to", str(target)],
                               env=state.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert CANARY.encode() not in command_line
        assert b"postgresql://postgres:***@" in command_line
    finally:
        lock.execute("ROLLBACK")
        lock.close()
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert CANARY not in stdout + stderr


def test_creating_the_schema_prints_no_server_notice(tmp_path, home, schema_uri):
    # libpq printed the server's notices on stderr: a first run showed `NOTICE: relation
    # "vami_migrations" already exists, skipping` from a migration's CREATE TABLE IF NOT EXISTS.
    result = Vami(tmp_path, clean_environment(home)).run("--db", schema_uri, "init", db=False)
    assert result.returncode == 0, result.stderr
    assert "NOTICE" not in result.stderr, result.stderr
