"""The CLI against a team's PostgreSQL database (`--db postgresql://...`, VAMI_DB): the pool,
assignment and journal commands, and the password that never shows. The server is the
throw-away cluster ctest starts (tests/postgres_cluster.sh); each test gets a schema of its own."""
import json
import subprocess
from pathlib import Path

import pytest

from conftest import (VAMI, PostgresVami, Vami, buy_numbers, clean_environment, create_agent,
                      create_tenant, error_line, psql)
from test_audit import run_every_change

CANARY = "pg-s3cret-canary"


@pytest.fixture
def team(tmp_path, home, sandbox, schema_uri):
    """vami like a live account (`vami sandbox serve`), its state in the PostgreSQL schema."""
    return PostgresVami(tmp_path, {**clean_environment(home), **sandbox.exports}, schema_uri)


def test_pool_assignment_and_audit_on_postgres(team, sandbox):
    first, second = run_every_change(team)
    assert team.rows(f"SELECT status FROM numbers WHERE e164 = '{first}'") == [("available",)]
    assert team.rows(f"SELECT status FROM numbers WHERE e164 = '{second}'") == [("released",)]
    listed = team.json("numbers", "list", "--status", "available", "--area-code", "212")
    assert [n["e164"] for n in listed] == [first]
    commands = [entry["command"] for entry in team.json("audit")]
    assert "numbers assign" in commands and "numbers release" in commands
    kinds = sorted({op["kind"] for op in team.json("operations", "list")})
    assert kinds == ["buy", "release"] or set(kinds) >= {"buy", "release"}
    assert all(op["status"] == "completed" for op in team.json("operations", "list"))
    init = team.json("init")
    assert init["database"] == team.db and init["schema_version"] >= 6


def test_two_admins_share_one_pool_and_the_loser_gets_a_conflict(team, tmp_path, home, sandbox):
    create_tenant(team, "acme", "Acme Dental")
    create_agent(team, "acme", "Front Desk")
    create_agent(team, "acme", "Back Office")
    number = buy_numbers(team, 1)[0]
    # A second admin on another machine: its own home, the same database.
    other_home = tmp_path / "other-home"
    other_home.mkdir()
    other = PostgresVami(tmp_path / "other", {**clean_environment(other_home), **sandbox.exports},
                         team.db)
    assert [n["e164"] for n in other.json("numbers", "list")] == [number]
    assigned = other.run("numbers", "assign", number, "--agent", "front-desk")
    assert assigned.returncode == 0, assigned.stderr
    lost = team.run("numbers", "assign", number, "--agent", "back-office")
    assert lost.returncode == 4
    assert f'{number} is assigned to agent "front-desk" (tenant acme)' in error_line(lost)
    unassigned = team.run("numbers", "unassign", number)
    assert unassigned.returncode == 0, unassigned.stderr
    assert team.rows("SELECT status, agent_id FROM numbers") == [("available", "")]


def test_an_interrupted_purchase_is_resumed_at_once_on_postgres(team, sandbox):
    first = team.json("numbers", "buy", "--count", "3", "--area-code", "212", "--yes")
    operation_id = first["operation_id"]
    # What a kill -9 on another host leaves: 5 asked for, 3 bought, the operation running. Its
    # process's connection is gone, so it is interrupted now, not after ten quiet minutes.
    team.rows(f"UPDATE operations SET status = 'running', requested_count = 5, "
              f"finished_at = NULL, holder = 'elsewhere:4242:1' WHERE id = '{operation_id}'")
    listed = team.json("operations", "list")
    assert [(op["id"], op["status"]) for op in listed] == [(operation_id, "interrupted")]
    result = team.run("operations", "resume", operation_id, "--yes", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["done_before"] == 3 and report["succeeded"] == 2
    assert team.rows(f"SELECT count(*) FROM numbers WHERE operation_id = '{operation_id}' "
                     "AND status = 'available'") == [("5",)]
    assert team.rows("SELECT status FROM operations") == [("completed",)]


def test_vami_db_from_the_environment(tmp_path, home, schema_uri):
    env = {**clean_environment(home), "VAMI_DB": schema_uri}
    result = Vami(tmp_path, env).run("tenants", "create", "acme", "--name", "Acme", db=False)
    assert result.returncode == 0, result.stderr
    assert psql(schema_uri, "SELECT slug FROM tenants") == [["acme"]]


def test_the_servers_notices_stay_off_stderr(tmp_path, home, schema_uri):
    # libpq prints a server's NOTICE on stderr unless told otherwise; each run after the first
    # printed "relation "vami_migrations" already exists, skipping" before every message.
    env = {**clean_environment(home), "VAMI_DB": schema_uri}
    for slug in ("acme", "globex"):
        result = Vami(tmp_path, env).run("tenants", "create", slug, "--name", slug, db=False)
        assert result.returncode == 0, result.stderr
        assert "NOTICE" not in result.stderr


def test_libpq_environment_variables_fill_what_the_uri_leaves_out(tmp_path, home, schema_uri):
    # The URI names the server only; PGOPTIONS (as psql reads it) names the schema.
    server, _, options = schema_uri.partition("&options=-csearch_path%3D")
    env = {**clean_environment(home), "VAMI_DB": server, "PGOPTIONS": "-c search_path=" + options}
    result = Vami(tmp_path, env).run("tenants", "create", "acme", "--name", "Acme", db=False)
    assert result.returncode == 0, result.stderr
    assert psql(schema_uri, "SELECT slug FROM tenants") == [["acme"]]


def with_password(uri, password=CANARY):
    """`uri` with a user and password in it (the test server trusts local connections)."""
    return uri.replace("postgresql://", f"postgresql://postgres:{password}@", 1)


def test_a_password_in_the_uri_is_warned_about_and_never_shown(team, sandbox):
    uri = with_password(team.db)
    team.db = uri
    result = team.run("--debug", "numbers", "buy", "--count", "1", "--area-code", "212", "--yes",
                      "--json")
    assert result.returncode == 0, result.stderr
    assert "PGPASSWORD" in result.stderr and ".pgpass" in result.stderr
    assert CANARY not in result.stdout + result.stderr
    init = team.run("init", "--json")
    assert CANARY not in init.stdout + init.stderr
    assert json.loads(init.stdout)["database"].startswith("postgresql://postgres:***@")
    audit = team.run("audit", "--json")
    assert CANARY not in audit.stdout
    assert all(CANARY not in "".join(row) for row in psql(team.db.replace(
        f"postgres:{CANARY}@", ""), "SELECT * FROM audit_entries"))
    # A failure names the database, never its password.
    team.db = uri.replace("/postgres?", "/no_such_database?")
    failed = team.run("numbers", "list")
    assert failed.returncode == 2
    assert "does not exist" in error_line(failed) and CANARY not in failed.stderr


def test_sslmode_from_the_uri_reaches_libpq(team):
    team.db = team.db + "&sslmode=no-such-mode"
    result = team.run("numbers", "list")
    assert result.returncode == 2
    assert "sslmode" in error_line(result)


def test_the_password_leaves_the_process_list(tmp_path, home, schema_uri):
    # Any long-running command shows what `ps` sees of a --db URI with a password in it.
    process = subprocess.Popen(
        [VAMI, "--db", with_password(schema_uri), "sandbox", "serve", "--port", "0", "--state",
         str(tmp_path / "sandbox.db")], env=clean_environment(home), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline()  # serving by now
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert CANARY.encode() not in command_line
        assert b"postgresql://postgres:***@" in command_line
    finally:
        process.terminate()
        process.wait(timeout=30)
