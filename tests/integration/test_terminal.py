"""Confirmation prompts on a terminal (a pseudo-terminal stands in for the person)."""
import os
import pty
import subprocess

from conftest import VAMI


def run_on_terminal(vami, args, answer):
    """Runs vami with a pseudo-terminal as stdin, types `answer` at the prompt."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([VAMI, "--db", str(vami.db), *args], env=vami.env,
                                   stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        os.write(controller, (answer + "\n").encode())
        stdout, stderr = process.communicate(timeout=60)
        return process.returncode, stdout, stderr
    finally:
        os.close(controller)
        os.close(terminal)


def test_buy_asks_on_a_terminal_and_yes_buys(live, sandbox):
    code, stdout, stderr = run_on_terminal(
        live, ["numbers", "buy", "--count", "2", "--area-code", "212"], "y")
    assert code == 0, stderr
    assert "Buy 2 local numbers in US for 2.30 USD per month? [y/N]" in stderr
    assert len(sandbox.owned()) == 2


def test_buy_asks_on_a_terminal_and_no_buys_nothing(live, sandbox):
    code, _, stderr = run_on_terminal(
        live, ["numbers", "buy", "--count", "2", "--area-code", "212"], "n")
    assert code == 2 and "not confirmed; nothing was bought" in stderr
    assert sandbox.owned() == []


def test_release_asks_on_a_terminal(live, sandbox):
    report = live.json("numbers", "buy", "--count", "1", "--area-code", "212", "--yes")
    e164 = report["items"][0]["e164"]
    code, _, stderr = run_on_terminal(live, ["numbers", "release", e164], "n")
    assert code == 2 and "cannot be undone" in stderr
    assert len(sandbox.owned()) == 1
    code, _, stderr = run_on_terminal(live, ["numbers", "release", e164], "yes")
    assert code == 0, stderr
    assert sandbox.owned() == []
