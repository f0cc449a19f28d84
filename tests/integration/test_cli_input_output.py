"""Hardening of the command line (issue 10): integer and empty option values, results that
cannot be written, CSV injection, free text on a terminal, HOME unset, and CLI11's messages."""
import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import VAMI, buy_numbers, create_agent, create_tenant, error_line

def documented_integer_options():
    """(command words, option) of every option whose value docs/commands.md (the --help of every
    command) shows as INT, UINT or N: the type names of integer options."""
    found = []
    command = None
    reference = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
    for line in reference.read_text().splitlines():
        if line.startswith("## vami"):
            command = line.removeprefix("## vami").split()
            continue
        words = line.split()
        if command is not None and len(words) >= 2 and words[0].startswith("--") and \
                words[1].split(":")[0].split("=")[0] in ("INT", "UINT", "N"):
            found.append((command, words[0].split(",")[-1]))
    return found


INTEGER_OPTIONS = documented_integer_options()


def test_the_integer_options_are_found():
    options = {(" ".join(command), option) for command, option in INTEGER_OPTIONS}
    assert {("numbers buy", "--count"), ("numbers buy", "--concurrency"), ("audit", "--limit"),
            ("sandbox serve", "--port"), ("sandbox serve", "--latency-ms"),
            ("sandbox serve", "--seed"), ("operations list", "--limit")} <= options


@pytest.mark.parametrize("command,option", INTEGER_OPTIONS,
                         ids=[" ".join(c + [o]) for c, o in INTEGER_OPTIONS])
@pytest.mark.parametrize("value", ["0x10", "1e3", "+5", "-1", "1_000", " 7", "7.0"])
def test_integer_options_take_decimal_digits_only(vami, command, option, value):
    # Option values are checked before missing arguments: the command needs none of them.
    result = vami.run(*command, option, value, timeout=20)
    assert result.returncode == 2, result.stderr
    line = error_line(result)
    assert option in line and f"'{value}'" in line and "decimal digits" in line, line


def test_a_leading_zero_is_decimal_not_octal(vami):
    report = vami.json("numbers", "buy", "--count", "010", "--area-code", "212", "--yes")
    assert report["requested"] == 10 and report["succeeded"] == 10


EMPTY_VALUES = [
    ["audit", "--since", ""],
    ["numbers", "buy", "--count", "2", "--area-code", "212", "--yes", "--max-monthly-cost", ""],
    ["numbers", "list", "--tenant", ""],
    ["--actor", "", "tenants", "create", "acme", "--name", "Acme"],
    ["tenants", "show", ""],
    ["numbers", "buy", "--count", "", "--area-code", "212", "--yes"],
]


@pytest.mark.parametrize("args", EMPTY_VALUES, ids=[" ".join(a) for a in EMPTY_VALUES])
def test_an_empty_value_is_a_usage_error(vami, args):
    result = vami.run(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "empty" in error_line(result)


def test_an_empty_price_cap_buys_nothing(vami):
    buy = ["numbers", "buy", "--count", "2", "--area-code", "212", "--yes"]
    assert vami.run(*buy, "--max-monthly-cost", "").returncode == 2
    assert not vami.db.exists() or vami.rows("SELECT count(*) FROM numbers") == [(0,)]


# --- Results that cannot be written --------------------------------------------------------

def run_with_stdout(vami, stdout, *args):
    return subprocess.run([VAMI, "--db", str(vami.db), *args], env=vami.env, stdout=stdout,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, timeout=60)


def test_a_full_disk_on_stdout_is_a_failure(vami):
    with open("/dev/full", "w") as full:
        result = run_with_stdout(vami, full, "numbers", "buy", "--count", "1", "--area-code",
                                 "212", "--yes", "--json")
    assert result.returncode == 1, result.stderr
    assert "cannot write output" in error_line(result)
    # The purchase itself is recorded: only its report is lost.
    assert vami.rows("SELECT count(*) FROM numbers WHERE status = 'available'") == [(1,)]


def test_a_closed_stdout_is_a_failure(vami):
    result = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', VAMI, "--db", str(vami.db),
                             "numbers", "buy", "--count", "1", "--area-code", "212", "--yes",
                             "--json"], env=vami.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "cannot write output: standard output is closed" in error_line(result)
    assert vami.rows("SELECT count(*) FROM numbers") == [(1,)]


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["numbers", "list"]])
def test_every_command_checks_its_output(vami, args):
    with open("/dev/full", "w") as full:
        result = run_with_stdout(vami, full, *args)
    assert result.returncode != 0 and "cannot write output" in result.stderr


def test_a_command_that_prints_nothing_succeeds_with_stdout_closed(vami):
    result = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', VAMI, "--db", str(vami.db),
                             "numbers", "list", "-o", "csv"], env=vami.env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# --- CSV injection ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1+cmd", "-2+3", "@SUM(A1)"])
def test_csv_neutralises_formulas_in_free_text(vami, name):
    create_tenant(vami, "acme", name)
    result = vami.run("tenants", "list", "-o", "csv")
    assert result.returncode == 0, result.stderr
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["name"] == "'" + name and row["slug"] == "acme"


def test_csv_keeps_typed_fields_as_they_are(vami):
    (e164,) = buy_numbers(vami, 1)
    result = vami.run("numbers", "list", "-o", "csv")
    header, row = result.stdout.splitlines()[:2]
    cells = dict(zip(header.split(","), row.split(",")))
    assert cells["e164"] == e164 and cells["monthly_price"] == "1.15"
    assert cells["monthly_price_micros"] == "1150000"


# --- Free text on a terminal, and the audit trail ----------------------------------------------

@pytest.mark.parametrize("actor", ["mallory\n2026-01-01T00:00:00Z  admin  numbers release",
                                   "eve\x1b[2J", "bob\r", "zed\x7f", "ann\u009b31m"])
def test_an_actor_with_control_characters_is_refused(vami, actor):
    result = vami.run("--actor", actor, "tenants", "create", "acme", "--name", "Acme")
    assert result.returncode == 2, result.stderr
    assert "control characters" in error_line(result)
    assert "\x1b" not in result.stderr and "\u009b" not in result.stderr
    result = vami.run("tenants", "list", "--json")
    assert json.loads(result.stdout) == []


def test_an_actor_from_the_environment_is_checked_too(vami):
    result = vami.run("tenants", "create", "acme", "--name", "Acme",
                      env={"VAMI_ACTOR": "x\nforged row"})
    assert result.returncode == 2 and "control characters" in error_line(result)


def test_free_text_is_shown_without_escape_sequences(vami):
    create_tenant(vami, "acme")
    create_agent(vami, "acme", "Desk", "--first-message", "Hello\x1b[2J\x1b]0;owned\x07 there\n",
                 "--prompt", "Be kind.\x1b[31m")
    for args in (["agents", "show", "desk"], ["agents", "list"], ["tenants", "show", "acme"]):
        result = vami.run(*args)
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, args
    shown = vami.run("agents", "show", "desk").stdout
    assert "Hello\\x1b[2J" in shown


def test_an_error_never_echoes_a_huge_argument_or_half_a_character(vami):
    huge = "\u00e9" * 50_000  # 100 kB of two-byte characters
    for args in (["route", huge], ["numbers", "buy", "--count", huge], ["tenants", "show", huge]):
        result = subprocess.run([VAMI, "--db", str(vami.db), *args], env=vami.env,
                                capture_output=True, timeout=60)
        assert result.returncode in (2, 3), result.stderr[:300]
        assert len(result.stderr) < 4000, args[:1]
        result.stderr.decode("utf-8")  # strict: no half character


# --- HOME unset --------------------------------------------------------------------------

def test_credentials_in_the_environment_need_no_home(live, tmp_path):
    env = {k: v for k, v in live.env.items()
           if k not in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    result = subprocess.run([VAMI, "--db", str(tmp_path / "unit.db"), "numbers", "search",
                             "--area-code", "212", "--json"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) > 0


def test_without_home_a_named_profile_still_needs_the_config_file(live, tmp_path):
    env = {k: v for k, v in live.env.items()
           if k not in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    result = subprocess.run([VAMI, "--db", str(tmp_path / "unit.db"), "--profile", "prod",
                             "numbers", "search", "--area-code", "212"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "cannot locate the config file" in result.stderr


# --- Small ones -------------------------------------------------------------------------------

def test_an_upper_case_scheme_is_a_url(live):
    (e164,) = buy_numbers(live, 1)
    result = live.run("webhooks", "set", e164, "--voice-url", "HTTPS://router.example.com/voice")
    assert result.returncode == 0, result.stderr
    create_tenant(live, "acme")
    create_agent(live, "acme", "Desk")
    added = live.run("kb", "add", "desk", "--url", "HTTPS://example.com/faq", "--json")
    assert added.returncode == 0, added.stderr


def test_json_and_another_output_format_is_a_usage_error(vami):
    for other in ("csv", "table"):
        result = vami.run("--json", "-o", other, "numbers", "list")
        assert result.returncode == 2 and "two formats" in error_line(result)
    assert vami.run("--json", "-o", "json", "numbers", "list").returncode == 0


@pytest.mark.parametrize("number", ["+1 800 FLOWERS", "+1 212 FLO 5647", "+1212555010A"])
def test_letters_in_a_number_are_always_refused(vami, number):
    result = vami.run("route", number)
    assert result.returncode == 2, result.stderr
    assert "contains a letter" in error_line(result)


@pytest.mark.parametrize("args,raw", [
    (["audit", "--limit", "-1"], "not in range"),
    (["audit", "--limit", "1", "--limit", "2"], "At Most"),
    (["sandbox", "serve", "--fail-rate", "abc"], "could not be converted"),
    (["sandbox", "serve", "--fail-rate", "2"], "0.000000"),
    (["sandbox", "serve", "--rate-limit", "0"], "1797"),
    (["-o", "xml", "numbers", "list"], "not in {"),
    (["numbers", "list", "--status", "sold"], "not in {"),
    (["numbers", "buy", "--count"], "required N missing"),
    (["agents", "update", "x", "--prompt", "a", "--prompt-file", "b"], "excludes"),
])
def test_cli11_messages_are_in_vamis_words(vami, args, raw):
    result = vami.run(*args, timeout=20)
    assert result.returncode == 2
    line = error_line(result)
    assert raw not in line and "Could not convert" not in line, line
    assert len(line) < 300, line


def test_a_dumb_terminal_gets_no_escape_codes(vami):
    result = vami.run("--progress", "always", "numbers", "buy", "--count", "3", "--area-code",
                      "212", "--yes", env={"TERM": "dumb"})
    assert result.returncode == 0, result.stderr
    assert "buying" in result.stderr and "\x1b" not in result.stderr


def test_a_byte_order_mark_is_dropped_from_a_prompt_file(vami, tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_bytes("\ufeffYou answer the phone.".encode("utf-8"))
    create_tenant(vami, "acme")
    agent = create_agent(vami, "acme", "Desk", "--prompt-file", str(prompt))
    shown = vami.json("agents", "show", agent["slug"])
    assert shown["prompt"] == "You answer the phone."


def test_a_utf16_number_list_is_named_as_such(vami, tmp_path):
    numbers = tmp_path / "numbers.txt"
    numbers.write_bytes("+12125550101\r\n".encode("utf-16"))
    result = vami.run("numbers", "unassign", "--from-file", str(numbers), "--yes")
    assert result.returncode == 2
    assert "UTF-16" in error_line(result)
