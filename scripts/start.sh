#!/usr/bin/env bash
# Runs the service (all roles in one process) with a small demo FAQ loaded.
# First run: installs dependencies and pgvector, writes .env with random API keys,
# creates the database and migrates. Idempotent. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f .env ]; then
  echo "writing .env with fresh random API keys (git-ignored)"
  umask 077
  { echo "API_KEYS=$(openssl rand -hex 24)"; echo "ADMIN_API_KEYS=$(openssl rand -hex 24)"; } > .env
  umask 022
fi
set -a; . ./.env; set +a
PORT="${PORT:-3000}"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/embeddings}"
export PORT DATABASE_URL

bash scripts/setup.sh

# The database itself (migrations run at start).
db_name="${DATABASE_URL##*/}"; db_name="${db_name%%\?*}"
admin_url="${DATABASE_URL%/*}/postgres"
if ! psql "$admin_url" -Atqc "select 1 from pg_database where datname = '$db_name'" | grep -q 1; then
  psql "$admin_url" -qc "create database \"$db_name\""
fi

node_modules/.bin/node dist/src/main.js &
service=$!
trap 'kill -TERM $service 2>/dev/null; wait $service' INT TERM

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 $service 2>/dev/null || { echo "the service exited; see the log above" >&2; exit 1; }
  sleep 1
done
node_modules/.bin/node scripts/load-demo.js "http://127.0.0.1:$PORT" "${API_KEYS%%,*}"

cat <<EOT

The embedding service is running on http://127.0.0.1:$PORT (Ctrl-C stops it).
  Swagger UI   http://127.0.0.1:$PORT/docs
  Health       http://127.0.0.1:$PORT/health
  API keys     in .env (API_KEYS for users, ADMIN_API_KEYS for admin actions)
Try:
  curl -s -X POST http://127.0.0.1:$PORT/api/v1/search -H "x-api-key: \$(grep ^API_KEYS .env | cut -d= -f2 | cut -d, -f1)" \\
       -H 'content-type: application/json' -d '{"query":"What happens when OpenAI is down?"}'
EOT
wait $service
