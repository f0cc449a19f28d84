#!/usr/bin/env bash
# Installs what vami needs to build and test on Debian 12 (run as root, or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcli11-dev libcurl4-openssl-dev nlohmann-json3-dev libsqlitecpp-dev libsqlite3-dev
  libphonenumber-dev libicu-dev libcpp-httplib-dev libssl-dev libmagic-dev libtomlplusplus-dev libgtest-dev libgmock-dev
  libpq-dev
  python3 python3-pytest sqlite3
)
if [ "${1:-}" = "--with-test-tools" ]; then
  # zsh and fish load the generated completions; man-db renders the man page in tests.
  packages+=(clang-format zsh fish man-db groff-base file)
  # The PostgreSQL store's tests start a throw-away cluster (initdb, pg_ctl; psql in pytest).
  packages+=(postgresql postgresql-client)
  # api-mocks (conformance tests) installs Prism with npm; keep a Node.js already present.
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
