#!/usr/bin/env python3
"""Live-mode benchmark: `hipaa-scan live` against a private Docker engine holding N containers.

    python tests/benchmarks/live_bench.py [--containers 200] [--running 20] [--runs 3]

Starts a private dockerd (tests/engine.py: Debian's docker.io, its own socket and data root under a temporary
directory, never the system socket), builds the FROM-scratch busybox image, creates N containers of a few
realistic shapes (root and non-root, a published datastore port, planted secrets, a host mount, limits) and
starts `--running` of them. Then it times `hipaa-scan live --host unix://... --all --format json` as a whole
process (median of --runs after one warm-up), and makes one more run with `--evidence` to read, from the
manifest, how many requests the scan sent to the engine. Needs root, as the live tests do. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/ (engine.py)

SHAPES = [
    dict(user="", environment={"API_KEY": "sk-live-0000000000000000000000000000"}, ports={"6379/tcp": None}),
    dict(user="1000", read_only=True, security_opt=["no-new-privileges"], mem_limit="64m", pids_limit=50,
         ports={"8080/tcp": ("127.0.0.1", None)}),
    dict(user="0", cap_add=["NET_ADMIN"], volumes={"/etc": {"bind": "/host-etc", "mode": "ro"}}),
    dict(user="nobody", environment={"AUDIT_LOG_RETENTION_DAYS": "365", "LANGCHAIN_TRACING_V2": "true"},
         log_config={"Type": "none", "Config": {}}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--containers", type=int, default=200)
    parser.add_argument("--running", type=int, default=20, help="how many of them to start (default 20)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cmd", default="hipaa-scan", help="the hipaa-scan executable")
    args = parser.parse_args()

    from engine import build_busybox_image, engine_unavailable_reason, start_engine

    reason = engine_unavailable_reason()
    if reason:
        print(f"cannot start a private engine: {reason}", file=sys.stderr)
        return 2
    exe = shutil.which(args.cmd, path=str(Path(sys.executable).parent)) or shutil.which(args.cmd)
    if not exe:
        print(f"{args.cmd} not found; pip install -e . first", file=sys.stderr)
        return 2
    root = tempfile.mkdtemp(prefix="hs-live-", dir="/tmp")
    engine = start_engine(root)
    try:
        build_busybox_image(engine)
        t0 = time.perf_counter()
        for i in range(args.containers):
            shape = dict(SHAPES[i % len(SHAPES)])
            container = engine.client.containers.create("hs-busybox:1.0", ["sleep", "3600"], name=f"c{i:04d}",
                                                        labels={"bench": "live"}, **shape)
            if i < args.running:
                try:
                    container.start()
                except Exception as exc:  # noqa: BLE001 - a sandbox may refuse some shapes; created is enough
                    print(f"  c{i:04d} created, not started: {type(exc).__name__}", file=sys.stderr)
        print(f"{args.containers} containers created ({args.running} started) in {time.perf_counter() - t0:.1f} s")
        cmd = [exe, "live", "--host", engine.host, "--all", "--format", "json", "--output", os.devnull,
               "--fail-on", "never"]
        times = []
        for run in range(args.runs + 1):
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                print(f"hipaa-scan live failed ({proc.returncode}): {proc.stderr.strip()}", file=sys.stderr)
                return 1
            if run:  # the first run warms the page cache and the bytecode
                times.append(elapsed)
            print(f"  run {run}{' (warm-up)' if not run else ''}: {elapsed:.2f} s")
        median = statistics.median(times)
        evidence = Path(root) / "evidence"
        subprocess.run(cmd + ["--evidence", str(evidence)], capture_output=True, check=True)
        manifest = json.loads((evidence / "manifest.json").read_text())
        requests = sum(host["requests"] for host in manifest["hosts"])
        print(f"hipaa-scan live, {args.containers} containers: median {median:.2f} s over {len(times)} runs "
              f"({1000 * median / args.containers:.1f} ms per container), {requests} GET requests to the engine")
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
