#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, starts
# PostgreSQL when it is not running, then runs
#   1. cargo clippy with warnings as errors, then cargo test: unit tests and integration
#      tests, each store test on SQLite and PostgreSQL;
#   2. the browser tests (Playwright + Debian's Chromium + axe-core) against a demo
#      server on SQLite and on PostgreSQL;
#   3. a short run of every fuzz target in fuzz/ (cargo-fuzz and libFuzzer on the stable
#      toolchain, without a sanitizer; YORUBE_FUZZ_SECONDS each, 5 by default).
# With CI=true an unreachable PostgreSQL is a failure; elsewhere it is skipped loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

export YORUBE_TEST_DATABASE_URL=${YORUBE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
ci=${CI:-false}

say() { printf '\n==> %s\n' "$*"; }

# --- system packages (Debian) -------------------------------------------------
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi
fi

# --- PostgreSQL ----------------------------------------------------------------
pg_ok() { psql "$YORUBE_TEST_DATABASE_URL" -qAtc 'select 1' >/dev/null 2>&1; }
if ! pg_ok && command -v pg_ctlcluster >/dev/null 2>&1; then
  say "starting PostgreSQL"
  for v in $(ls /etc/postgresql 2>/dev/null); do pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true; done
  for _ in $(seq 30); do pg_ok && break; sleep 1; done
fi
if pg_ok; then
  pg=1
  # Schemas left behind by earlier runs.
  psql "$YORUBE_TEST_DATABASE_URL" -qAtc "select format('drop schema %I cascade;', nspname) from pg_namespace where nspname like 'yt\_%' or nspname like 'e2e\_%'" \
    | psql "$YORUBE_TEST_DATABASE_URL" -q >/dev/null 2>&1 || true
else
  pg=0
  if [ "$ci" = true ]; then echo "PostgreSQL at $YORUBE_TEST_DATABASE_URL is unreachable (CI=true): failing." >&2; exit 1; fi
  printf '\n!!!!! PostgreSQL at %s is unreachable: the PostgreSQL half of the tests is SKIPPED !!!!!\n\n' "$YORUBE_TEST_DATABASE_URL" >&2
fi

# --- Rust: lints, then unit and integration tests (both engines) ---------------
say "cargo clippy (warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings
say "cargo test (SQLite and PostgreSQL)"
cargo test --locked

# --- Browser tests ------------------------------------------------------------
bin=target/debug/yorube
[ -x "$bin" ] || cargo build --locked
say "browser tests on SQLite"
bash e2e/run.sh "$bin"
if [ "$pg" = 1 ]; then
  say "browser tests on PostgreSQL"
  bash e2e/run.sh "$bin" --database-url "$YORUBE_TEST_DATABASE_URL"
fi
# --- Fuzz targets: a short run of each -----------------------------------------
# `--sanitizer none` needs no nightly flag: libFuzzer's coverage instrumentation is a
# stable rustc option. A crash fails the run and leaves its input in fuzz/artifacts/.
command -v cargo-fuzz >/dev/null 2>&1 || { say "installing cargo-fuzz"; cargo install --locked cargo-fuzz --version '^0.13'; }
fuzz_secs=${YORUBE_FUZZ_SECONDS:-5}
fuzz_target_dir=${YORUBE_FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/yorube-fuzz-target}
for t in $(cargo fuzz list); do
  say "fuzz $t (${fuzz_secs}s)"
  mkdir -p "fuzz/corpus/$t"
  corpus=("fuzz/corpus/$t"); [ -d "fuzz/seeds/$t" ] && corpus+=("fuzz/seeds/$t")
  log=$(mktemp)
  if ! cargo fuzz run --sanitizer none --dev --target-dir "$fuzz_target_dir" "$t" "${corpus[@]}" -- \
      -max_total_time="$fuzz_secs" >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $t failed (a crashing input is kept in fuzz/artifacts/$t)" >&2
    exit 1
  fi
  grep -E '^Done [0-9]+ runs' "$log" || tail -2 "$log"
  rm -f "$log"
done
say "all tests passed"
