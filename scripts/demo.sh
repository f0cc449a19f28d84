#!/usr/bin/env bash
# README's first command: build vami, then run its main job on the built-in sandbox (no
# credentials): init, search area code 212, buy 10 numbers, onboard a tenant (agent, greeting,
# voice, knowledge file, one of the pool's numbers; onboard ends with a test call), show where
# its number routes, list the pool, and end with a test call that must reach the onboarded agent
# (`calls test` exits 1, and so does this script, when it does not).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVAMI_BUILD_TESTS=OFF
cmake --build build --target vami

# A fresh demo database (and, beside it, the sandbox account) on every run.
export VAMI_DB="$PWD/build/demo/vami.db"
rm -rf build/demo && mkdir -p build/demo
vami=./build/cli/vami

set -x
$vami init
$vami numbers search --area-code 212 --limit 5
$vami numbers buy --count 10 --area-code 212 --yes
cat > build/demo/faq.md <<'FAQ'
# Acme Dental: frequently asked questions

- Opening hours: Monday to Friday, 8:00 to 18:00.
- New patients are welcome; bring your insurance card.
- Parking is free behind the building.
FAQ
$vami onboard --tenant acme-dental --name "Acme Dental" --industry dental \
  --contact-email ops@acme-dental.example --area-code 212 \
  --agent-name "Acme front desk" --voice Rachel --personality friendly \
  --first-message "Hello, Acme Dental, how can I help you today?" \
  --file build/demo/faq.md --faq "We are closed on public holidays."
number=$($vami numbers list --tenant acme-dental --json | sed -n 's/.*"e164": "\(+[0-9]*\)".*/\1/p')
$vami route "$number"
$vami numbers list
$vami calls test "$number" --say "Are you open on Saturday?"
