#!/usr/bin/env bash
# Regenerates the shell completions in completions/ and the man page docs/man/vami.1 from the
# binary's own command definitions, so they never drift from it (tests/integration/
# test_completions.py and test_man_page.py fail when they differ).
# Usage: scripts/completions.sh path/to/vami
set -euo pipefail
vami=${1:?usage: completions.sh VAMI_BINARY}
root=$(cd "$(dirname "$0")/.." && pwd)

"$vami" completion bash >"$root/completions/vami.bash"
"$vami" completion zsh >"$root/completions/_vami"
"$vami" completion fish >"$root/completions/vami.fish"
mkdir -p "$root/docs/man"
"$vami" __man >"$root/docs/man/vami.1"
