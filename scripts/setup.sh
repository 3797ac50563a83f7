#!/usr/bin/env bash
# Prepares a checkout: Node dependencies (with the Node 22 they bring), pgvector in the
# local PostgreSQL when it is missing, the build. Idempotent; start.sh and test.sh run it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 22 from the `node` package (and every tool npm installed) before the machine's Node 20.
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "node dependencies"
# npm ci when node_modules is missing or older than the lock file.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# npm scripts run on the Node 22 binary of the `node` package (node_modules/.bin), not the machine's.
echo "node $(node_modules/.bin/node --version) (machine: $(node --version 2>/dev/null || echo none))"

step "pgvector"
if [ "${SKIP_PGVECTOR_INSTALL:-}" = "1" ]; then
  echo "skipped (SKIP_PGVECTOR_INSTALL=1)"
else
  bash scripts/install-pgvector.sh
fi

step "chromium (the dashboard test drives a real headless browser)"
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null | head -n 1)"
elif [ "${SKIP_CHROMIUM_INSTALL:-}" = "1" ]; then
  echo "skipped (SKIP_CHROMIUM_INSTALL=1): the dashboard test will fail without it"
elif [ "$(id -u)" -eq 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || echo "could not install chromium: the dashboard test will fail" >&2
else
  echo "chromium is missing and installing it needs root (apt-get install chromium)" >&2
fi

step "build"
npm run build --silent
