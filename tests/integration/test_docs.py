"""docs/ stays in step with --help."""
import subprocess
from pathlib import Path

from conftest import VAMI

ROOT = Path(__file__).resolve().parents[2]


def test_command_reference_matches_the_binarys_help():
    generated = subprocess.run([str(ROOT / "scripts" / "command-reference.sh"), VAMI],
                               capture_output=True, text=True, check=True).stdout
    assert generated == (ROOT / "docs" / "commands.md").read_text(), \
        "docs/commands.md is stale: run scripts/command-reference.sh build/cli/vami > docs/commands.md"
