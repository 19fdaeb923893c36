#!/usr/bin/env bash
# Create a virtualenv holding hipaa-scan itself (editable, from this checkout) for run_bench.py: the scanner and
# the parse floor then run from a virtualenv, as users install them (README) and as the peers run, and not from
# the base interpreter, whose site-packages may hold start-up hooks (.pth files) that a user's venv does not run.
#
#   bash tests/benchmarks/setup_self.sh [DIR]      (default DIR: /tmp/hs-bench-self)
set -eu

VENV="${1:-/tmp/hs-bench-self}"
PYTHON="${PYTHON:-python3}"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e "$REPO"
"$VENV/bin/hipaa-scan" --version
echo "venv: $VENV   (run_bench.py's --self-venv; it is the default)"
