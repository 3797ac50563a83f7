#!/usr/bin/env bash
# Builds and installs pgvector from Debian trixie's source package when the
# PostgreSQL server lacks the `vector` extension. Debian 12 does not ship it.
# The mirror is read from this machine's apt configuration: none is written here.
set -euo pipefail

PG_CONFIG="${PG_CONFIG:-$(ls -d /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -n 1)}"
# Any database of the server will do for the check: the `postgres` one, on DATABASE_URL's
# server when it is set (its own database may not exist yet).
PG_ADMIN_URL="${PG_ADMIN_URL:-${DATABASE_URL:+${DATABASE_URL%/*}/postgres}}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

has_vector() {
  psql "$PG_ADMIN_URL" -Atqc "select 1 from pg_available_extensions where name = 'vector'" 2>/dev/null | grep -q 1
}

if has_vector; then
  echo "pgvector: already available"
  exit 0
fi
if [ -z "$PG_CONFIG" ] || [ ! -x "$PG_CONFIG" ]; then
  echo "pgvector: no pg_config found; set PG_CONFIG or use docker compose (see README)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "pgvector: the extension is missing and installing it needs root (or use docker compose)" >&2
  exit 1
fi
pg_major="$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"

# First Debian mirror URI configured for the main archive (deb822 or one-line format).
mirror="$(
  { grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/\[[^]]*\]//' | awk '{print $2}'
  } | grep -vE 'security|updates' | grep -E '/debian/?$' | head -n 1
)" || true
if [ -z "$mirror" ]; then
  echo "pgvector: no Debian mirror found in /etc/apt/sources.list*" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt's download sandbox user must be able to write here
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f /usr/share/keyrings/debian-archive-trixie-stable.gpg ] && keyring=/usr/share/keyrings/debian-archive-trixie-stable.gpg
list="$work/trixie-src.list"
echo "deb-src [signed-by=$keyring] $mirror trixie main" > "$list"

export DEBIAN_FRONTEND=noninteractive
echo "pgvector: installing build dependencies"
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-$pg_major" make gcc >/dev/null

echo "pgvector: fetching trixie's source package"
apt_src=(-o "Dir::Etc::sourcelist=$list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists")
mkdir -p "$work/lists/partial"
apt-get "${apt_src[@]}" update -qq
(cd "$work" && apt-get "${apt_src[@]}" source --download-only pgvector >/dev/null)
tar -xzf "$work"/pgvector_*.orig.tar.gz -C "$work"
src="$(find "$work" -maxdepth 1 -type d -name 'pgvector*' | head -n 1)"

echo "pgvector: building $(basename "$src")"
make -s -C "$src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
make -s -C "$src" PG_CONFIG="$PG_CONFIG" install >/dev/null

has_vector && echo "pgvector: installed" || { echo "pgvector: build finished but the extension is not visible" >&2; exit 1; }
