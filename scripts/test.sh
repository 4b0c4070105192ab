#!/usr/bin/env bash
# The one test command: installs everything the tests need, then runs lint, types and tests.
#
#   bash scripts/test.sh            # everything (SQLite and PostgreSQL, browser tests)
#   bash scripts/test.sh tests/criteria -k relapse    # extra arguments go to pytest
#
# System packages (PostgreSQL server, Chromium, a Java runtime for Spark) are installed with apt-get when absent; the
# Python packages go into .venv. PostgreSQL runs as a throw-away cluster on a free port and is
# stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '\n== %s\n' "$*"; }

# --- system packages --------------------------------------------------------------------
need=()
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)  # Apache Spark (pyspark)
if [ ${#need[@]} -gt 0 ]; then
    log "installing system packages: ${need[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "installing ${need[*]} needs root (apt-get); run as root or install them first" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- Python packages --------------------------------------------------------------------
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    "$PY" -m venv .venv
fi
. .venv/bin/activate
log "installing myotrack with the web, postgres, spark and dev extras"
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q -e '.[web,postgres,spark,dev]'

# --- lint and types ---------------------------------------------------------------------
log "ruff"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
log "mypy"
mypy

# --- PostgreSQL for the second database run ----------------------------------------------
PGDIR=$(mktemp -d /tmp/myotrack-pg.XXXXXX)
cleanup() { bash "$ROOT/scripts/postgres.sh" stop "$PGDIR" >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap cleanup EXIT
log "starting a throw-away PostgreSQL cluster"
MYOTRACK_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start "$PGDIR")
export MYOTRACK_TEST_POSTGRES_URL

# --- tests ------------------------------------------------------------------------------
log "pytest"
export MYOTRACK_TEST_OUTPUT="$ROOT/test-output"
python -m pytest "$@"
