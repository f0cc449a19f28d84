"""The man page vami(1): generated from the command definitions, committed in docs/man/, and
rendered by man without warnings."""
import os
import re
import subprocess
from pathlib import Path

from conftest import VAMI

ROOT = Path(__file__).resolve().parents[2]
MAN_PAGE = ROOT / "docs" / "man" / "vami.1"


def render(path):
    env = {k: v for k, v in os.environ.items() if k not in ("MAN_KEEP_FORMATTING", "MANPAGER", "PAGER")}
    env.update(MANWIDTH="80", LC_ALL="C.UTF-8")
    return subprocess.run(["man", "--warnings", "-l", str(path)], env=env, capture_output=True,
                          text=True, timeout=60)


def test_committed_man_page_matches_the_binary():
    generated = subprocess.run([VAMI, "__man"], capture_output=True, text=True, check=True).stdout
    assert generated == MAN_PAGE.read_text(), \
        "docs/man/vami.1 is stale: run scripts/completions.sh build/cli/vami"


def test_man_page_renders_without_warnings():
    result = render(MAN_PAGE)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "vami - provision a multi-tenant AI phone-agent platform" in result.stdout


def test_man_page_has_every_section_and_command():
    text = MAN_PAGE.read_text()
    sections = re.findall(r"^\.SH (.+)$", text, re.M)
    assert sections == ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "GLOBAL OPTIONS",
                        "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"]
    headings = {re.sub(r"\\f[BIR]|\\", "", h).split(" [")[0].split(" NUMBER")[0]
                for h in re.findall(r'^\.SS "(.+)"$', text, re.M)}
    # Every command of `vami --help` and of each group's --help has its own section.
    top = subprocess.run([VAMI, "--help"], capture_output=True, text=True).stdout
    groups = re.findall(r"^  ([a-z]+) {2,}", top.split("Subcommands:")[1], re.M)
    assert len(groups) >= 10
    for group in groups:
        assert any(h.startswith(f"vami {group}") for h in headings), group
        group_help = subprocess.run([VAMI, group, "--help"], capture_output=True, text=True).stdout
        if "Subcommands:" in group_help:
            for sub in re.findall(r"^  ([a-z]+) {2,}", group_help.split("Subcommands:")[1], re.M):
                assert any(h.startswith(f"vami {group} {sub}") for h in headings), (group, sub)


def test_man_page_lists_every_exit_code():
    rendered = render(MAN_PAGE).stdout
    exit_status = rendered.split("EXIT STATUS")[1].split("ENVIRONMENT")[0]
    codes = re.findall(r"^ {7}(\d+) ", exit_status, re.M)
    assert codes == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "130"]
    documented = re.findall(r"^\| (\d+) \|", (ROOT / "docs" / "exit-codes.md").read_text(), re.M)
    assert codes == documented


def test_man_page_names_every_environment_variable_the_code_reads():
    rendered = render(MAN_PAGE).stdout
    environment = rendered.split("\nENVIRONMENT")[1].split("\nFILES")[0]
    read = set()
    for folder in ["cli", "core", "providers"]:
        for source in (ROOT / folder).rglob("*.[ch]pp"):
            text = source.read_text()
            read |= set(re.findall(r'(?:getenv|\benv|envname)\("([A-Z_]+)"\)', text))
            # The voice-agent providers' settings (providers/<name>/<name>_registration.cpp).
            read |= set(re.findall(r'\.variable = "([A-Z_]+)"', text))
    read -= {"HOME", "USER"}  # standard, not vami's own
    assert {"VAMI_DB", "TWILIO_ACCOUNT_SID", "ELEVENLABS_API_KEY"} <= read
    expected = read | {"VAMI_PROFILE", "VAMI_CONFIG", "NO_COLOR", "XDG_CONFIG_HOME",
                       "XDG_DATA_HOME", "TWILIO_API_KEY", "TWILIO_API_SECRET",
                       "VAMI_TWILIO_PRICING_BASE_URL", "VAMI_SANDBOX_DB", "VAMI_ROUTER_URL",
                       "VAMI_ACTOR"}
    # man puts a tag shorter than the indent (TERM) on the line of its text.
    missing = sorted(name for name in expected if f"\n       {name}\n" not in environment
                     and not re.search(rf"\n       {name} {{2,}}\S", environment))
    assert not missing, (f"add them to k_environment in cli/man_page.cpp, or to their "
                         f"provider's settings (its descriptor): {missing}")
