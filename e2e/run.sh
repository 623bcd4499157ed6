#!/usr/bin/env bash
# Browser end-to-end tests for yorube.
#
#   bash e2e/run.sh BINARY [--database-url URL]
#
# Creates a throw-away data dir, loads the demo data with a fixed password, starts
# `BINARY serve` on a free loopback port, waits for /healthz, then runs
# `node --test --test-concurrency=1 e2e/tests/` against it (Playwright driving Debian's
# /usr/bin/chromium, axe-core injected into every page). Exits with node's exit code.
#
# PostgreSQL: --database-url postgres://USER@HOST:PORT/DB
#   * If the URL has no search_path option, this script creates a fresh schema
#     e2e_<random> with psql, appends ?options=-c%20search_path%3De2e_<random> to the
#     URL, and drops the schema (CASCADE) on exit.
#   * If the URL already sets search_path (…options=-c%20search_path%3D<schema>), it is
#     used as it is: the schema must exist, and it is not dropped afterwards
#     (`yorube demo` resets the demo data in it).
#
# Environment: E2E_KEEP_DATA=1 keeps the temp data dir (and server log) for debugging;
# E2E_ONLY=NAME runs only e2e/tests/NAME.test.mjs (e.g. E2E_ONLY=services).
set -euo pipefail

usage() { echo "usage: bash e2e/run.sh BINARY [--database-url URL]" >&2; exit 2; }

[[ $# -ge 1 ]] || usage
BIN=$1; shift
DB_URL=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --database-url) [[ $# -ge 2 ]] || usage; DB_URL=$2; shift 2 ;;
    --database-url=*) DB_URL=${1#*=}; shift ;;
    *) usage ;;
  esac
done

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ -x "$BIN" ]] || { echo "e2e: binary not found or not executable: $BIN" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

CHROMIUM=${YORUBE_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$CHROMIUM" ]]; then
  echo "e2e: $CHROMIUM is missing. Install Debian's Chromium first:" >&2
  echo "       apt-get update && apt-get install -y chromium fonts-noto-cjk" >&2
  exit 2
fi
command -v node >/dev/null || { echo "e2e: node is missing (Node 20+ needed)" >&2; exit 2; }
command -v curl >/dev/null || { echo "e2e: curl is missing" >&2; exit 2; }

if [[ ! -f "$E2E_DIR/node_modules/playwright-core/package.json" || ! -f "$E2E_DIR/node_modules/axe-core/axe.min.js" ]]; then
  echo "e2e: installing node modules (npm ci)…"
  (cd "$E2E_DIR" && npm ci --no-audit --no-fund)
fi

DATA_DIR=$(mktemp -d -t yorube-e2e.XXXXXX)
PASSWORD="e2e-Demo-Passw0rd-$(date +%Y)"
# The second factor the demo enrols for its administrators (tenant_admin, sysadmin).
TOTP_SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
SERVER_PID=""
DROP_SCHEMA=""

cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n "$DROP_SCHEMA" ]]; then
    psql "$PG_BASE_URL" -q -v ON_ERROR_STOP=1 -c "DROP SCHEMA IF EXISTS $DROP_SCHEMA CASCADE" >/dev/null 2>&1 \
      || echo "e2e: warning: could not drop schema $DROP_SCHEMA" >&2
  fi
  if [[ "${E2E_KEEP_DATA:-}" == 1 ]]; then
    echo "e2e: kept data dir $DATA_DIR"
  else
    rm -rf "$DATA_DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

DB_ARGS=()
if [[ -n "$DB_URL" ]]; then
  if [[ "$DB_URL" == *search_path* ]]; then
    echo "e2e: using the database URL as given (it sets search_path)"
  else
    command -v psql >/dev/null || { echo "e2e: psql is needed to create a schema (or give a URL with search_path)" >&2; exit 2; }
    PG_BASE_URL=$DB_URL
    SCHEMA="e2e_$(date +%s)_$$"
    psql "$PG_BASE_URL" -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $SCHEMA" >/dev/null
    DROP_SCHEMA=$SCHEMA
    if [[ "$DB_URL" == *\?* ]]; then sep='&'; else sep='?'; fi
    DB_URL="${DB_URL}${sep}options=-c%20search_path%3D${SCHEMA}"
    echo "e2e: created schema $SCHEMA (dropped on exit)"
  fi
  DB_ARGS=(--database-url "$DB_URL")
fi

echo "e2e: loading demo data"
"$BIN" demo --data-dir "$DATA_DIR" --password "$PASSWORD" --totp-secret "$TOTP_SECRET" "${DB_ARGS[@]}" >"$DATA_DIR/demo.log" 2>&1 \
  || { cat "$DATA_DIR/demo.log" >&2; echo "e2e: yorube demo failed" >&2; exit 1; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

healthy=""
for attempt in 1 2 3; do
  PORT=$(free_port)
  URL="http://127.0.0.1:$PORT"
  "$BIN" serve --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" "${DB_ARGS[@]}" >"$DATA_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    if HEALTH=$(curl -fsS --max-time 2 "$URL/healthz" 2>/dev/null); then healthy=1; break; fi
    sleep 0.2
  done
  [[ -n "$healthy" ]] && break
  echo "e2e: server did not come up on port $PORT (attempt $attempt); log:" >&2
  tail -n 30 "$DATA_DIR/server.log" >&2 || true
  kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
done
[[ -n "$healthy" ]] || { echo "e2e: giving up: server never became healthy" >&2; exit 1; }

case "$HEALTH" in
  *'"database":"postgres"'*) DB_KIND=postgres ;;
  *'"database":"sqlite"'*) DB_KIND=sqlite ;;
  *) echo "e2e: unexpected /healthz answer: $HEALTH" >&2; exit 1 ;;
esac
if [[ -n "$DB_URL" && "$DB_KIND" != postgres ]] || [[ -z "$DB_URL" && "$DB_KIND" != sqlite ]]; then
  echo "e2e: /healthz reports database=$DB_KIND, which does not match the arguments" >&2; exit 1
fi
echo "e2e: server up at $URL ($DB_KIND)"

cd "$E2E_DIR/.."
set +e
TESTS=e2e/tests/
[[ -n "${E2E_ONLY:-}" ]] && TESTS="e2e/tests/${E2E_ONLY}.test.mjs"
YORUBE_URL=$URL YORUBE_PASSWORD=$PASSWORD YORUBE_TOTP=$TOTP_SECRET YORUBE_DB=$DB_KIND \
  node --test --test-concurrency=1 "$TESTS"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  echo "e2e: tests failed (exit $rc); last server log lines:" >&2
  tail -n 40 "$DATA_DIR/server.log" >&2 || true
fi
exit $rc
