"""Shell completions: generated from the command definitions, loaded by bash, zsh and fish, and
completing commands, flags and the numbers, agents and tenants of the state database."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import VAMI, buy_numbers, create_agent, create_tenant

ROOT = Path(__file__).resolve().parents[2]
COMPLETIONS = ROOT / "completions"
FILES = {"bash": "vami.bash", "zsh": "_vami", "fish": "vami.fish"}


@pytest.fixture
def shell_env(tmp_path, vami):
    """An environment where `vami` on PATH is the binary under test, with a state database of
    three pool numbers, a tenant and an agent that the first number is assigned to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vami").symlink_to(Path(VAMI).resolve())
    numbers = buy_numbers(vami, count=3)
    create_tenant(vami, "acme", "Acme Dental")
    agent = create_agent(vami, "acme", "Front Desk")
    assigned = vami.run("numbers", "assign", numbers[0], "--agent", agent["slug"])
    assert assigned.returncode == 0, assigned.stderr
    env = {**vami.env, "PATH": f"{bin_dir}{os.pathsep}{vami.env.get('PATH', '/usr/bin:/bin')}"}
    return {"env": env, "db": str(vami.db), "numbers": numbers, "agent": agent["slug"],
            "home": tmp_path}


def run(command, env, **kwargs):
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60,
                            **kwargs)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize("shell", sorted(FILES))
def test_committed_completions_match_the_binary(shell):
    generated = subprocess.run([VAMI, "completion", shell], capture_output=True, text=True,
                               check=True).stdout
    assert generated == (COMPLETIONS / FILES[shell]).read_text(), \
        f"completions/{FILES[shell]} is stale: run scripts/completions.sh build/cli/vami"


# --- bash ---------------------------------------------------------------------------------------

BASH_DRIVER = r'''
source "$1"
complete -p vami
shift
# Each argument is one command line; the last word is the one being completed.
for line in "$@"; do
  eval "COMP_WORDS=($line)"
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _vami
  echo "${COMPREPLY[*]}"
done
'''


def bash_complete(env, *lines):
    result = run(["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "bash",
                  str(COMPLETIONS / FILES["bash"]), *lines], env)
    out = result.stdout.splitlines()
    assert out[0] == "complete -F _vami vami"
    return [set(reply.split()) for reply in out[1:]]


def test_bash_completes_commands_flags_and_values(shell_env):
    db, numbers = shell_env["db"], shell_env["numbers"]
    replies = bash_complete(
        shell_env["env"],
        "vami numb",
        "vami numbers re",
        "vami numbers buy --cou",
        f"vami --db {db} numbers reassign +1",
        f"vami --db {db} -q numbers reassign {numbers[0]} --agent ''",
        f"vami numbers show --db {db} ''",
        f"vami --db {db} tenants show a",
        "vami numbers list --status as",
        "vami -o ''",
        "vami completion f",
        f"vami --db {db} numbers assign +1",
    )
    assert replies[0] == {"numbers"}
    assert replies[1] == {"release", "reassign", "resume"}
    assert replies[2] == {"--count", "--country"}
    assert replies[3] == {numbers[0]}  # reassign: the assigned numbers only
    assert replies[4] == {shell_env["agent"]}
    assert replies[5] == set(numbers)
    assert replies[6] == {"acme"}
    assert replies[7] == {"assigned"}
    assert replies[8] == {"table", "json", "csv"}
    assert replies[9] == {"fish"}
    assert replies[10] == set(numbers[1:])  # assign: the available numbers only


def test_bash_reads_the_database_of_vami_db(shell_env):
    env = {**shell_env["env"], "VAMI_DB": shell_env["db"]}
    assert bash_complete(env, "vami route +1")[0] == set(shell_env["numbers"])
    # No database at the default place: nothing to offer, and nothing created there.
    assert bash_complete(shell_env["env"], "vami route +1")[0] == set()
    assert not (shell_env["home"] / "home" / "data" / "vami").exists()


# --- zsh ----------------------------------------------------------------------------------------

ZSH_DRIVER = r'''
fpath=("$1" $fpath)
autoload -U compinit && compinit -u -D
print -r -- "registered: $_comps[vami]"
# Replace the completion builtins by printers of the words offered, then drive _vami as the
# completion system would: $words and $CURRENT. Its first call loads it from $fpath.
compadd() { local -a args=("$@"); print -r -- "${(j: :)args[${args[(i)--]}+1,-1]}"; }
_files() { print -r -- "<files>"; }
shift
for line in "$@"; do
  eval "words=($line)"
  CURRENT=${#words}
  _vami
  print -r -- "."
done
'''


def zsh_complete(env, *lines):
    result = run(["zsh", "-f", "-c", ZSH_DRIVER, "zsh", str(COMPLETIONS), *lines], env)
    out = result.stdout.splitlines()
    assert out[0] == "registered: _vami", result.stdout
    replies, words = [], set()
    for line in out[1:]:
        if line == ".":
            replies.append(words)
            words = set()
        else:
            words |= set(line.split())
    return replies


def test_zsh_completes_commands_flags_and_values(shell_env):
    db, numbers = shell_env["db"], shell_env["numbers"]
    replies = zsh_complete(
        shell_env["env"],
        "vami numb",
        "vami numbers buy --cou",
        f"vami --db {db} numbers reassign +1",
        f"vami --db {db} --json numbers assign {numbers[0]} --agent ''",
        "vami kb add front-desk ''",
        "vami -o ''",
    )
    # compadd receives every candidate; zsh itself keeps those matching the prefix.
    assert "numbers" in replies[0] and "buy" not in replies[0]
    assert {"--count", "--country", "--dry-run", "--json"} <= replies[1]
    assert "--voice-url" not in replies[1]
    assert replies[2] == {numbers[0]}
    assert replies[3] == {shell_env["agent"]}
    assert replies[4] == {"<files>"}
    assert replies[5] == {"table", "json", "csv"}


# --- fish ---------------------------------------------------------------------------------------

def fish_complete(env, *lines):
    # Loaded the way fish finds it: vami.fish in a folder of $fish_complete_path.
    script = f"set -p fish_complete_path {COMPLETIONS}\n" + "".join(
        f"complete -C {fish_quote(line)}; echo .\n" for line in lines)
    result = run(["fish", "--no-config", "-c", script], env)
    replies, words = [], set()
    for line in result.stdout.splitlines():
        if line == ".":
            replies.append(words)
            words = set()
        else:
            words.add(line.split("\t")[0])
    return replies


def fish_quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_fish_completes_commands_flags_and_values(shell_env):
    db, numbers = shell_env["db"], shell_env["numbers"]
    replies = fish_complete(
        shell_env["env"],
        "vami numb",
        "vami numbers buy --cou",
        f"vami --db {db} numbers reassign +1",
        f"vami --db {db} numbers unassign {numbers[0]} ",
        f"vami --db {db} agents show ",
        "vami --output ",
    )
    assert replies[0] == {"numbers"}
    assert replies[1] == {"--count", "--country"}
    assert replies[2] == {numbers[0]}
    assert replies[3] == {numbers[0]}  # a list of numbers: each position takes one
    assert replies[4] == {shell_env["agent"]}
    assert replies[5] == {"table", "json", "csv"}


# --- vami __complete ----------------------------------------------------------------------------

def test_complete_lists_values_with_descriptions(shell_env):
    env, db = shell_env["env"], shell_env["db"]
    numbers = run([VAMI, "--db", db, "__complete", "numbers"], env).stdout.splitlines()
    assert [line.split("\t")[0] for line in numbers] == shell_env["numbers"]
    assert numbers[0].split("\t")[1].startswith("assigned to front-desk (acme)")
    assert all(line.split("\t")[1].startswith("available") for line in numbers[1:])
    assert run([VAMI, "--db", db, "__complete", "assigned-numbers"], env).stdout.split("\t")[0] \
        == shell_env["numbers"][0]
    available = run([VAMI, "--db", db, "__complete", "available-numbers"], env).stdout
    assert [line.split("\t")[0] for line in available.splitlines()] == shell_env["numbers"][1:]
    assert run([VAMI, "--db", db, "__complete", "agents", "--", "fr"], env).stdout == \
        "front-desk\tFront Desk (acme)\n"
    assert run([VAMI, "--db", db, "__complete", "tenants", "--", "x"], env).stdout == ""
    assert run([VAMI, "__complete", "statuses", "--", "re"], env).stdout == \
        "releasing\nreleased\n"


def test_complete_never_fails_or_prints_errors(tmp_path, vami):
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("not sqlite\n" * 100)
    for db in [not_a_database, tmp_path / "missing" / "vami.db"]:
        result = subprocess.run([VAMI, "--db", str(db), "__complete", "numbers"], env=vami.env,
                                capture_output=True, text=True, timeout=30)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert not (tmp_path / "missing").exists()


def test_complete_is_hidden_from_help(vami):
    help_text = vami.run("--help", db=False).stdout
    assert "completion" in help_text
    assert "__complete" not in help_text and "__man" not in help_text


def test_every_argument_naming_a_number_agent_tenant_or_profile_completes_it(vami):
    """Keeps the name -> value-kind map (cli/command_spec.cpp) complete: a new argument whose
    help text says it takes one of these must be completed from the database."""
    # New names, being created: nothing to complete.
    new_names = {"tenants create|slug", "onboard|--tenant", "agents create|--slug",
                 "onboard|--agent-slug", "onboard|--agent-name", "profiles add|name"}
    rules = [
        (re.compile(r"E\.164"), {"numbers", "assigned-numbers", "available-numbers"}),
        (re.compile(r"\bagent (slug|\(slug)|^the new agent", re.I), {"agents"}),
        (re.compile(r"\btenant slug|\bthis tenant\b|^tenant$", re.I), {"tenants"}),
        (re.compile(r"\bprofile\b", re.I), {"profiles"}),
    ]
    lines = vami.run("__complete", "arguments", db=False).stdout.splitlines()
    assert len(lines) > 100
    checked = 0
    for line in lines:
        path, name, kind, description = line.split("|", 3)
        # A choice completes from its fixed values, whatever its help says it defaults from
        # ("default: the profile's agent_provider").
        if f"{path}|{name}" in new_names or kind == "flag" or kind.startswith("choice:"):
            continue
        for pattern, expected in rules:
            if pattern.search(description):
                assert kind in expected, line
                checked += 1
    assert checked >= 20
