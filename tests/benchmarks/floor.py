#!/usr/bin/env python3
"""The parse floor: walk a tree and only parse every file a scanner would read.

    python tests/benchmarks/floor.py CORPUS [--verbose]

No rules are evaluated.  This is the cost below which a Python scanner built on
the same parsers cannot go, so ``hipaa-scan / floor`` says how much the
scanner adds on top of parsing:

* Compose files: PyYAML with the C loader (``yaml.CSafeLoader``);
* Dockerfiles: ``dockerfile_parse.DockerfileParser(...).structure``;
* env files: a trivial line split into ``KEY=value`` pairs.

It prints one summary line (files per kind, parse errors) and exits 1 if any
file failed to parse, so it doubles as a validity check of the corpus.
"""

from __future__ import annotations

import argparse
import io
import os
import sys

import yaml
from dockerfile_parse import DockerfileParser

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__"}


def classify(name: str) -> str | None:
    """File kind by name; run_bench.classify applies the same rules."""
    lower = name.lower()
    if lower == "dockerfile" or lower.endswith(".dockerfile") or lower.startswith("dockerfile."):
        return "dockerfile"
    if lower.endswith((".yml", ".yaml")) and lower.startswith(("compose", "docker-compose")):
        return "compose"
    if lower == ".env" or lower.endswith(".env") or lower.startswith(".env."):
        return "env"
    return None


def parse_compose(data: str) -> object:
    return yaml.load(data, Loader=yaml.CSafeLoader)


def parse_dockerfile(data: str) -> object:
    parser = DockerfileParser(fileobj=io.BytesIO(data.encode("utf-8")))
    return parser.structure


def parse_env(data: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in data.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ")
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip().strip("'\"")
    return out


PARSERS = {"compose": parse_compose, "dockerfile": parse_dockerfile, "env": parse_env}


def walk(root: str):
    if os.path.isfile(root):
        kind = classify(os.path.basename(root))
        if kind:
            yield root, kind
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            kind = classify(name)
            if kind:
                yield os.path.join(dirpath, name), kind


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Parse every Dockerfile, Compose and env file under a path.")
    ap.add_argument("path")
    ap.add_argument("--verbose", action="store_true", help="print each parse error")
    args = ap.parse_args(argv)

    counts = {"dockerfile": 0, "compose": 0, "env": 0}
    errors = 0
    for path, kind in walk(args.path):
        try:
            with open(path, encoding="utf-8") as fh:
                PARSERS[kind](fh.read())
        except Exception as exc:  # noqa: BLE001 - a floor run counts every failure
            errors += 1
            if args.verbose:
                print(f"{path}: {type(exc).__name__}: {exc}", file=sys.stderr)
        counts[kind] += 1
    total = sum(counts.values())
    print(f"parsed {total} files (dockerfile={counts['dockerfile']} compose={counts['compose']} "
          f"env={counts['env']}), errors={errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
