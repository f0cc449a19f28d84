#!/usr/bin/env bash
# README's second command: install what is needed, build with warnings as errors, and run the
# whole test suite (unit, integration, conformance, the providers' SDKs against the sandbox) with
# ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --with-test-tools
# The official Twilio and ElevenLabs SDKs that tests/sdk drives the sandbox with, at the
# versions package-lock.json pins.
npm ci --prefix tests/sdk --no-audit --no-fund
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVAMI_WARNINGS_AS_ERRORS=ON -DVAMI_BUILD_TESTS=ON \
  -DPython3_EXECUTABLE=/usr/bin/python3
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)"
