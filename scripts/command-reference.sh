#!/usr/bin/env bash
# Prints docs/commands.md from the binary's own --help, so the reference never drifts from it.
# Usage: scripts/command-reference.sh path/to/vami > docs/commands.md
set -euo pipefail
vami=${1:?usage: command-reference.sh VAMI_BINARY}

echo "# Command reference"
echo
echo "Generated from \`vami ... --help\` by \`scripts/command-reference.sh\`; a test fails when it"
echo "differs from the binary."
for command in "" "init" "numbers" "numbers search" "numbers buy" "numbers list" "numbers show" \
  "numbers release" "numbers assign" "numbers unassign" "webhooks" "webhooks set" "webhooks show" \
  "operations" "operations list" "operations show" "operations resume" "reconcile" "sandbox" \
  "sandbox serve"; do
  echo
  echo "## vami${command:+ $command}"
  echo
  echo '```'
  # shellcheck disable=SC2086
  COLUMNS=100 "$vami" $command --help
  echo '```'
done
