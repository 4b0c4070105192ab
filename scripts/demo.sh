#!/usr/bin/env bash
# The main job on the embedded default: install myotrack into .venv and start the registry on
# an SQLite file with the published cases loaded as a demo site (myotrack serve --demo).
#
#   bash scripts/demo.sh               # then open the address it prints
#   bash scripts/demo.sh --port 8765   # extra arguments go to 'myotrack serve --demo'
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q -e '.[web]'
exec myotrack serve --demo "$@"
