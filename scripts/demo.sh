#!/usr/bin/env bash
# README's first command: build vami, then run its main job on the built-in sandbox (no
# credentials): init, search area code 212, buy 10 numbers, list the pool with their cost.
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
$vami numbers list
