"""SIGINT, SIGTERM, SIGHUP and a closed pipe during commands that change providers: vami stops
starting new work, settles or records what is in flight, undoes half-made work, says what was
done and exits 130; a rerun with the same flags finishes the work or says it is done (exit 0).
A hidden prompt gives the terminal its echo back whatever the signal."""
import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import termios
import time

import pytest

from conftest import (VAMI, assert_files_sound, assert_pool_matches_account, state_file,
                      vami_for)
from conftest import integration

sandbox_agents = integration.sandbox_agents
sandbox_documents = integration.sandbox_documents
sandbox_imported_numbers = integration.sandbox_imported_numbers

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def start(vami, *args):
    return subprocess.Popen(
        [VAMI, "--db", str(vami.db), *map(str, args)], env=vami.env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def count(vami, sql):
    try:
        return vami.rows(sql)[0][0]
    except sqlite3.OperationalError:
        return 0  # no schema yet


def signal_when(process, condition, what, signal_number):
    deadline = time.monotonic() + 120
    while process.poll() is None and not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.002)
    assert process.poll() is None, f"the command ended before {what}"
    process.send_signal(signal_number)
    return process.communicate(timeout=120)


def onboard_args(e164, files):
    return ["onboard", "--tenant", "acme", "--name", "Acme Dental", "--agent-name", "Front Desk",
            "--number", e164, "--file", files[0], "--file", files[1], "--faq", "We open at 8.",
            "--yes", "--json", "--progress", "never"]


def write_files(folder):
    folder.mkdir(exist_ok=True)
    paths = []
    for name, text in (("hours.txt", "Open 9 to 5.\n"), ("parking.txt", "Parking is free.\n"),
                       ("prices.txt", "A check-up is 80 USD.\n")):
        path = folder / name
        path.write_text(text)
        paths.append(path)
    return paths


def buy_one(vami):
    result = vami.run("numbers", "buy", "--count", "1", "--area-code", "212", "--yes", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["items"][0]["e164"]


def assert_live(vami, sandbox, e164, documents=3):
    (agent_id,) = [a["agent_id"] for a in sandbox_agents(sandbox)]
    assert vami.rows("SELECT slug, status FROM agents") == [("front-desk", "active")]
    assert vami.rows("SELECT status FROM numbers WHERE e164 = ?", (e164,)) == [("assigned",)]
    assert sandbox_imported_numbers(sandbox) == {e164: agent_id}
    stored = sorted(r[0] for r in vami.rows("SELECT provider_document_id FROM documents"))
    assert len(stored) == documents
    assert sandbox_documents(sandbox) == stored  # none lost, none twice


@pytest.mark.parametrize("signal_number", SIGNALS, ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("point", ["agent", "knowledge"])
def test_signal_mid_onboard_undoes_it_and_a_rerun_puts_the_customer_live(
        tmp_path, home, serve, signal_number, point):
    sandbox = serve(latency_ms=150)
    vami = vami_for(tmp_path, home, sandbox)
    e164 = buy_one(vami)
    files = write_files(tmp_path / "kb")
    condition = {
        "agent": lambda: count(vami, "SELECT count(*) FROM agents") >= 1,
        "knowledge": lambda: count(vami, "SELECT count(*) FROM documents") >= 1,
    }[point]
    process = start(vami, *onboard_args(e164, files))
    stdout, stderr = signal_when(process, condition, point, signal_number)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert stdout == ""
    # Undone: nothing half made, locally or at the provider; the number is back in the pool.
    assert vami.rows("SELECT count(*) FROM tenants") == [(0,)]
    assert vami.rows("SELECT count(*) FROM agents") == [(0,)]
    assert sandbox_agents(sandbox) == []
    assert sandbox_documents(sandbox) == []
    assert vami.rows("SELECT status FROM numbers WHERE e164 = ?", (e164,)) == [("available",)]

    rerun = vami.run(*onboard_args(e164, files))
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["status"] == "live"
    assert_live(vami, sandbox, e164)
    assert_files_sound(vami.db, state_file(sandbox))


def test_a_rerun_of_a_finished_onboard_says_it_is_already_live(tmp_path, home, serve):
    sandbox = serve()
    vami = vami_for(tmp_path, home, sandbox)
    e164 = buy_one(vami)
    files = write_files(tmp_path / "kb")
    first = vami.run(*onboard_args(e164, files))
    assert first.returncode == 0, first.stderr
    again = vami.run(*onboard_args(e164, files))
    assert again.returncode == 0, again.stderr
    assert "already" in again.stderr
    assert json.loads(again.stdout)["status"] == "live"
    assert json.loads(again.stdout)["agent"] == json.loads(first.stdout)["agent"]
    assert_live(vami, sandbox, e164)
    # Another business under the same slug is still a conflict.
    other = vami.run("onboard", "--tenant", "acme", "--name", "Acme Plumbing", "--agent-name",
                     "Front Desk", "--number", e164, "--yes")
    assert other.returncode == 4, other.stderr


def test_a_killed_onboard_is_finished_by_a_rerun(tmp_path, home, serve):
    sandbox = serve(latency_ms=150)
    vami = vami_for(tmp_path, home, sandbox)
    e164 = buy_one(vami)
    files = write_files(tmp_path / "kb")
    process = start(vami, *onboard_args(e164, files))
    signal_when(process, lambda: count(vami, "SELECT count(*) FROM documents") >= 1, "a document",
                signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    rerun = vami.run(*onboard_args(e164, files))
    assert rerun.returncode == 0, rerun.stderr
    assert_live(vami, sandbox, e164)


@pytest.mark.parametrize("signal_number", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_signal_mid_kb_add_keeps_what_was_added_and_a_rerun_adds_the_rest(
        tmp_path, home, serve, signal_number):
    sandbox = serve(latency_ms=150)
    vami = vami_for(tmp_path, home, sandbox)
    assert vami.run("tenants", "create", "acme", "--name", "Acme").returncode == 0
    assert vami.run("agents", "create", "--tenant", "acme", "--name", "Front Desk").returncode == 0
    files = write_files(tmp_path / "kb")
    process = start(vami, "kb", "add", "front-desk", *files, "--json")
    stdout, stderr = signal_when(process, lambda: count(vami, "SELECT count(*) FROM documents")
                                 >= 1, "one document", signal_number)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    added = json.loads(stdout)
    assert 1 <= len(added) < 3
    stored = sorted(r[0] for r in vami.rows("SELECT provider_document_id FROM documents"))
    assert sorted(d["id"] for d in added) == stored
    assert sandbox_documents(sandbox) == stored

    rerun = vami.run("kb", "add", "front-desk", *files, "--json")
    assert rerun.returncode == 0, rerun.stderr
    stored = sorted(r[0] for r in vami.rows("SELECT provider_document_id FROM documents"))
    assert len(stored) == 3
    assert sandbox_documents(sandbox) == stored


def test_sighup_mid_buy_records_the_purchases_in_flight(tmp_path, home, serve):
    sandbox = serve(latency_ms=20)
    vami = vami_for(tmp_path, home, sandbox)
    process = start(vami, "numbers", "buy", "--count", "60", "--area-code", "212", "--yes",
                    "--json", "--progress", "never", "--concurrency", "8")
    stdout, stderr = signal_when(
        process, lambda: count(vami, "SELECT count(*) FROM numbers WHERE status = 'available'")
        >= 5, "five numbers bought", signal.SIGHUP)
    assert process.returncode == 130, stderr
    report = json.loads(stdout)
    assert report["interrupted"] is True
    owned = assert_pool_matches_account(vami, sandbox, "buy hung up")
    assert len(owned) == report["succeeded"]
    assert vami.rows("SELECT status FROM operations") == [("interrupted",)]


def test_a_closed_pipe_does_not_stop_a_buy(tmp_path, home, serve):
    sandbox = serve(latency_ms=5)
    vami = vami_for(tmp_path, home, sandbox)
    command = (f"'{VAMI}' --db '{vami.db}' -v numbers buy --count 30 --area-code 212 --yes "
               f"--concurrency 2 --progress never 2>&1 | head -3")
    result = subprocess.run(["bash", "-c", command], env=vami.env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=300)
    assert len(result.stdout.splitlines()) == 3
    # The buy carried on after the reader went away: every number bought and recorded.
    deadline = time.monotonic() + 120
    while count(vami, "SELECT count(*) FROM operations WHERE status = 'running'") > 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert vami.rows("SELECT status FROM operations") == [("completed",)]
    owned = assert_pool_matches_account(vami, sandbox, "buy behind a closed pipe")
    assert len(owned) == 30


@pytest.mark.parametrize("signal_number", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_at_a_hidden_prompt_gives_the_echo_back(tmp_path, home, signal_number):
    env = integration.clean_environment(home)
    controller, terminal = pty.openpty()
    seen = b""
    try:
        process = subprocess.Popen(
            [VAMI, "profiles", "add", "prod", "--twilio-account-sid", "AC" + "0" * 32], env=env,
            stdin=terminal, stdout=subprocess.PIPE, stderr=terminal, start_new_session=True)
        deadline = time.monotonic() + 60
        while b"(not shown): " not in seen:
            assert time.monotonic() < deadline, seen
            if select.select([controller], [], [], 1)[0]:
                seen += os.read(controller, 4096)
        assert not termios.tcgetattr(terminal)[3] & termios.ECHO  # hidden while asked
        process.send_signal(signal_number)
        process.wait(timeout=60)
        assert termios.tcgetattr(terminal)[3] & termios.ECHO, "echo left off"
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode != 0
    assert not (home / "config" / "vami" / "config.toml").exists()
