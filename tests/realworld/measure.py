#!/usr/bin/env python3
"""Precision and recall of hipaa-scan on real public repositories, per rule.

The repositories are not committed: `manifest.json` names each one (owner/name and commit) and the files taken
from it, and `labels.csv` holds our verdict on each finding (TP or FP) and the problems the scanner should have
found and did not (MISS). The files are read out of local git mirrors of those repositories (for example made with
`git clone --mirror`), at the manifest's commit, into a temporary folder, and scanned there.

    python tests/realworld/measure.py manifest --mirrors DIR [--repo OWNER/NAME ...]
        (re)write manifest.json: for each mirror, its HEAD commit and every file hipaa-scan recognises by name
    python tests/realworld/measure.py measure --mirrors DIR [--markdown] [--list unlabelled|fp|miss|all]
        extract, scan, compare with labels.csv; print the per-rule table
    python tests/realworld/measure.py extract --mirrors DIR --out DIR
        only extract the files (to look at them while labelling)

A mirror of owner/name is looked for as DIR/owner+name/repo, DIR/owner+name, DIR/owner/name and DIR/name.
Labels are keyed by repository, path, line and rule: `repo,path,line,rule,verdict,reason`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
LABELS = HERE / "labels.csv"
VERDICTS = ("TP", "FP", "MISS")


def mirror_of(mirrors: Path, repo: str) -> Path:
    owner, name = repo.split("/", 1)
    for candidate in (mirrors / f"{owner}+{name}" / "repo", mirrors / f"{owner}+{name}", mirrors / owner / name,
                      mirrors / name):
        if (candidate / "HEAD").exists() or (candidate / ".git").exists():
            return candidate
    raise SystemExit(f"no mirror of {repo} under {mirrors}")


def git(repo_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo_dir), *args], check=True, capture_output=True).stdout


def recognised(path: str) -> bool:
    from hipaa_scan.sources.registry import kind_by_name
    return kind_by_name(path.rsplit("/", 1)[-1]) is not None


def write_manifest(mirrors: Path, repos: list[str]) -> None:
    old = {entry["repo"]: entry for entry in json.loads(MANIFEST.read_text())["repositories"]} \
        if MANIFEST.exists() else {}
    if not repos:
        repos = sorted(old)
    entries = []
    for repo in repos:
        directory = mirror_of(mirrors, repo)
        commit = git(directory, "rev-parse", "HEAD").decode().strip()
        names = git(directory, "ls-tree", "-r", "--name-only", commit).decode().splitlines()
        paths = sorted(p for p in names if recognised(p) and "/node_modules/" not in f"/{p}")
        entry = dict(old.get(repo, {}), repo=repo, commit=commit, paths=paths)
        entries.append(entry)
    for repo, entry in old.items():
        if repo not in repos:
            entries.append(entry)
    entries.sort(key=lambda e: e["repo"].lower())
    MANIFEST.write_text(json.dumps({"repositories": entries}, indent=1) + "\n")
    print(f"{len(entries)} repositories, {sum(len(e['paths']) for e in entries)} files")


def extract(mirrors: Path, out: Path) -> list[dict]:
    entries = json.loads(MANIFEST.read_text())["repositories"]
    for entry in entries:
        directory = mirror_of(mirrors, entry["repo"])
        root = out / entry["repo"].replace("/", "+")
        for path in entry["paths"]:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(git(directory, "show", f"{entry['commit']}:{path}"))
    return entries


def scan(root: Path) -> tuple[list[dict], list[dict], int]:
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", ".", "--format", "json", "--fail-on", "never"],
                          cwd=root, capture_output=True, text=True, timeout=600)
    report = json.loads(proc.stdout)
    return [f for f in report["findings"] if not f.get("suppressed")], report["errors"], proc.returncode


def load_labels() -> dict[tuple[str, str, int, str], tuple[str, str]]:
    labels = {}
    if LABELS.exists():
        with LABELS.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["verdict"] not in VERDICTS:
                    raise SystemExit(f"labels.csv: verdict {row['verdict']!r} is not one of {VERDICTS}")
                labels[(row["repo"], row["path"], int(row["line"]), row["rule"])] = (row["verdict"], row["reason"])
    return labels


def measure(mirrors: Path, markdown: bool, listing: str) -> int:
    labels = load_labels()
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    unlabelled: Counter = Counter()
    listed = []
    exit2 = []
    found_keys = set()
    with tempfile.TemporaryDirectory(prefix="hs-realworld-") as tmp:
        entries = extract(mirrors, Path(tmp))
        files = sum(len(e["paths"]) for e in entries)
        for entry in entries:
            root = Path(tmp) / entry["repo"].replace("/", "+")
            findings, errors, code = scan(root)
            if code == 2:
                exit2.append((entry["repo"], [f"{e.get('path')}: {e.get('message')}" for e in errors]))
            for f in findings:
                loc = f["location"]
                key = (entry["repo"], loc["path"], int(loc.get("line") or 0), f["rule_id"])
                found_keys.add(key)
                verdict = labels.get(key, (None, ""))[0]
                if verdict in ("TP", "MISS"):
                    tp[f["rule_id"]] += 1
                elif verdict == "FP":
                    fp[f["rule_id"]] += 1
                else:
                    unlabelled[f["rule_id"]] += 1
                if listing == "all" or (listing == "unlabelled" and verdict is None) or \
                        (listing == "fp" and verdict == "FP"):
                    listed.append(f"{verdict or '?':4} {key[0]} {key[1]}:{key[2]} {key[3]} {f['message']}")
    for key, (verdict, reason) in labels.items():
        if verdict == "MISS" and key not in found_keys:
            fn[key[3]] += 1
            if listing in ("miss", "all"):
                listed.append(f"MISS {key[0]} {key[1]}:{key[2]} {key[3]} {reason}")
        elif verdict == "TP" and key not in found_keys:  # a true finding that is no longer reported is a miss now
            fn[key[3]] += 1
            if listing in ("miss", "all"):
                listed.append(f"LOST {key[0]} {key[1]}:{key[2]} {key[3]} {reason}")
    print_table(tp, fp, fn, unlabelled, files, len(entries), exit2, markdown)
    for line in listed:
        print(line)
    return 0


def _ratio(num: int, den: int) -> str:
    return f"{100 * num / den:.0f}%" if den else "-"


def print_table(tp, fp, fn, unlabelled, files, repos, exit2, markdown) -> None:
    rules = sorted(set(tp) | set(fp) | set(fn) | set(unlabelled))
    rows = [(rule, tp[rule], fp[rule], fn[rule], unlabelled[rule], _ratio(tp[rule], tp[rule] + fp[rule]),
             _ratio(tp[rule], tp[rule] + fn[rule])) for rule in rules]
    total = (sum(tp.values()), sum(fp.values()), sum(fn.values()), sum(unlabelled.values()))
    rows.append(("all", *total, _ratio(total[0], total[0] + total[1]), _ratio(total[0], total[0] + total[2])))
    head = ("rule", "TP", "FP", "missed", "unlabelled", "precision", "recall")
    print(f"{repos} repositories, {files} files; runs that exited 2: {len(exit2)}")
    for repo, errors in exit2:
        print(f"  exit 2 in {repo}: " + "; ".join(errors[:5]))
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in rows:
            print("| " + " | ".join(str(c) for c in row) + " |")
    else:
        for row in (head, *rows):
            print("".join(str(c).ljust(12) for c in row))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("manifest")
    m.add_argument("--mirrors", type=Path, required=True)
    m.add_argument("--repo", action="append", default=[])
    e = sub.add_parser("extract")
    e.add_argument("--mirrors", type=Path, required=True)
    e.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("measure")
    r.add_argument("--mirrors", type=Path, required=True)
    r.add_argument("--markdown", action="store_true")
    r.add_argument("--list", choices=("none", "unlabelled", "fp", "miss", "all"), default="none")
    args = parser.parse_args(argv)
    if args.command == "manifest":
        write_manifest(args.mirrors, args.repo)
    elif args.command == "extract":
        extract(args.mirrors, args.out)
    else:
        return measure(args.mirrors, args.markdown, args.list)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUTF8", "1")
    sys.exit(main(sys.argv[1:]))
