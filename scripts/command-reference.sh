#!/usr/bin/env bash
# Prints docs/commands.md from the binary's own --help, walking every command it lists, so the
# reference never drifts from it and no command is left out.
# Usage: scripts/command-reference.sh path/to/vami > docs/commands.md
set -euo pipefail
vami=${1:?usage: command-reference.sh VAMI_BINARY}

# The names under "Subcommands:" in a help text, one per line.
subcommands() {
  awk '/^Subcommands:/ { listing = 1; next } listing && /^  [a-z]/ { print $1; next } listing && !/^  / { listing = 0 }'
}

describe() {
  local command=$1 help
  # shellcheck disable=SC2086
  help=$(COLUMNS=100 "$vami" $command --help)
  echo
  echo "## vami${command:+ $command}"
  echo
  echo '```'
  echo "$help"
  echo '```'
  local child
  for child in $(echo "$help" | subcommands); do
    describe "${command:+$command }$child"
  done
}

echo "# Command reference"
echo
echo "Generated from \`vami ... --help\` by \`scripts/command-reference.sh\`; a test fails when it"
echo "differs from the binary."
describe ""
