#!/usr/bin/env python3
"""Speed benchmark: hipaa-scan against a parse floor and peer tools.

    python tests/benchmarks/run_bench.py [--sizes 1,100,1000,10000] [--runs 5]
        [--large-runs 1] [--cmd TEMPLATE] [--venv /tmp/hs-bench-venv]
        [--tools hipaa-scan,floor,checkov,hadolint,compose-lint]
        [--linearity] [--json FILE] [--markdown FILE]

Every measurement times a whole process tree, started from a fresh wrapper
process (so ``getrusage(RUSAGE_CHILDREN)`` covers that measurement only):

* wall time (``time.perf_counter`` around the commands, in the wrapper),
* user+sys CPU seconds of all waited-for descendants,
* peak RSS: ``ru_maxrss`` of the children, i.e. the largest single process,
* tree RSS: the largest sum of RSS over the live process tree, sampled from
  /proc every few milliseconds (approximate; shared pages count once per
  process).

What is timed at each corpus size (corpora come from gen_corpus.py and are
cached under --corpus-root):

* hipaa-scan: ``--cmd`` formatted with ``{corpus}`` (default: ``hipaa-scan scan
  {corpus} --format json --output /dev/null --fail-on never``), all files;
* floor: floor.py, which only parses every file (all files);
* checkov: ``checkov -d {corpus} --framework dockerfile`` (Dockerfiles only);
* hadolint: one ``hadolint`` invocation per batch of Dockerfiles (Dockerfiles only);
* compose-lint: one invocation per batch of Compose files (Compose files only).

On top of the sizes, hipaa-scan, floor and compose-lint are timed on a single
Compose file (the ``compose-1`` corpus) for the per-file comparison.

Within a corpus size the tools' runs are interleaved (one run of each tool in
turn, warm-up rounds first): a virtual machine's speed drifts over minutes, and
interleaving lets the drift weigh on every tool alike, so the ratios compare
runs made at the same time.

Peers are looked up in the benchmark's own virtualenv (setup_peers.sh); a tool
that is not installed is reported as missing and skipped.  Stdlib only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shlex
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402  (sibling module, stdlib only)

DEFAULT_CMD = "hipaa-scan scan {corpus} --format json --output /dev/null --fail-on never"
DEFAULT_VENV = "/tmp/hs-bench-venv"
DEFAULT_SELF_VENV = "/tmp/hs-bench-self"
DEFAULT_CORPUS_ROOT = "/tmp/hs-bench-corpus"
ALL_TOOLS = ("hipaa-scan", "floor", "checkov", "hadolint", "compose-lint")
# peers exit 1 when they have findings; that is a successful run here
OK_CODES = {"hipaa-scan": {0}, "floor": {0}, "checkov": {0, 1}, "hadolint": {0, 1},
            "compose-lint": {0, 1}}
ARG_BYTES_PER_BATCH = 100_000  # keep far below ARG_MAX when passing many files
MIB = 1024 * 1024

# The wrapper runs in a fresh interpreter per measurement.  It reads a JSON spec on
# stdin, runs the commands one after the other (each in its own session so that a
# timeout can kill the whole tree), samples the tree's RSS from /proc, and prints a
# JSON result on stdout.
WRAPPER = r'''
import json, os, resource, subprocess, sys, threading, time

spec = json.load(sys.stdin)
page = os.sysconf("SC_PAGE_SIZE")
me = os.getpid()
peak_tree = 0
stop = threading.Event()

def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out

def tree_rss():
    total, todo, seen = 0, children(me), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        todo += children(pid)
    return total

def sampler():
    global peak_tree
    while not stop.is_set():
        peak_tree = max(peak_tree, tree_rss())
        stop.wait(spec["interval"])

def busy_seconds():
    # all CPUs' busy time (user nice system irq softirq steal) from /proc/stat
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
        return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None

threading.Thread(target=sampler, daemon=True).start()
codes, status = [], "ok"
err = open(spec["stderr"], "ab")
busy0, self0 = busy_seconds(), time.process_time()
t0 = time.perf_counter()
timed_out = threading.Event()

def kill(proc):
    timed_out.set()
    try:
        os.killpg(proc.pid, 9)
    except ProcessLookupError:
        pass

for argv in spec["cmds"]:
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=err, cwd=spec["cwd"], start_new_session=True)
    # Popen.wait(timeout=...) polls with sleeps of up to 50 ms, which would show up in
    # the wall time: wait without a timeout and let a timer kill the tree instead.
    timer = threading.Timer(max(1.0, spec["timeout"] - (time.perf_counter() - t0)), kill, (proc,))
    timer.start()
    codes.append(proc.wait())
    timer.cancel()
    if timed_out.is_set():
        status = "timeout"
        break
wall = time.perf_counter() - t0
busy1, self1 = busy_seconds(), time.process_time()
stop.set()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime
# CPU time spent by processes outside this measurement while it ran (noise)
other = None if busy0 is None or busy1 is None else max(0.0, busy1 - busy0 - cpu - (self1 - self0))
print(json.dumps({"wall": wall, "cpu": cpu, "maxrss_kib": ru.ru_maxrss, "tree_rss": peak_tree,
                  "other_cpu": other, "codes": codes, "status": status}))
'''


# --------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict:
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpu_model": cpu_model(), "mem_total_gib": mem_total_gib(),
            "kernel": platform.release(), "python": platform.python_version(),
            "python_executable": sys.executable}


def interpreter_of(exe: str) -> str:
    """The python a console script runs with (its #! line), or `exe` itself."""
    try:
        with open(exe, "rb") as handle:
            head = handle.readline(512)
    except OSError:
        return exe
    return head[2:].decode(errors="replace").strip().split(" ")[0] if head.startswith(b"#!") else exe


def startup_ms(python: str, runs: int = 7) -> float | None:
    """Median wall time of `python -c pass`: what any tool run by that interpreter pays before its first import."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            subprocess.run([python, "-c", "pass"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 1)


def first_line(argv: list[str]) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else None


def module_versions(python: str, modules: list[str]) -> dict[str, str | None]:
    code = ("import importlib.metadata as m, json, sys\n"
            "out = {}\n"
            "for name in sys.argv[1:]:\n"
            "    try: out[name] = m.version(name)\n"
            "    except m.PackageNotFoundError: out[name] = None\n"
            "print(json.dumps(out))")
    try:
        out = subprocess.run([python, "-c", code, *modules], capture_output=True, text=True,
                             timeout=60, check=True)
        return json.loads(out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return {m: None for m in modules}


# --------------------------------------------------------------------------
# corpora
# --------------------------------------------------------------------------

def ensure_corpus(root: Path, kind: str, files: int, seed: int, regen: bool) -> Path:
    path = root / f"{kind}-n{files}-s{seed}"
    stamp = root / f"{path.name}.complete"  # outside the corpus, so no tool sees it
    if regen or not stamp.exists():
        if path.exists():
            shutil.rmtree(path)
        stamp.unlink(missing_ok=True)
        path.mkdir(parents=True)
        counts = gen_corpus.generate(path, files, seed, kind)
        stamp.write_text(json.dumps(counts) + "\n")
        print(f"  generated {path} ({files} files)", flush=True)
    return path


def list_files(corpus: Path) -> dict[str, list[str]]:
    """Files per kind, using the same naming rules as floor.py."""
    out: dict[str, list[str]] = {"dockerfile": [], "compose": [], "env": []}
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames.sort()
        for name in sorted(filenames):
            kind = classify(name)
            if kind:
                out[kind].append(os.path.join(dirpath, name))
    return out


def classify(name: str) -> str | None:
    """File kind by name; floor.classify applies the same rules."""
    lower = name.lower()
    if lower == "dockerfile" or lower.endswith(".dockerfile") or lower.startswith("dockerfile."):
        return "dockerfile"
    if lower.endswith((".yml", ".yaml")) and lower.startswith(("compose", "docker-compose")):
        return "compose"
    if lower == ".env" or lower.endswith(".env") or lower.startswith(".env."):
        return "env"
    return None


def batches(prefix: list[str], files: list[str]) -> list[list[str]]:
    """Split ``prefix + files`` into several argv lists, each well below ARG_MAX."""
    out: list[list[str]] = []
    current: list[str] = []
    size = 0
    for f in files:
        if current and size + len(f) + 1 > ARG_BYTES_PER_BATCH:
            out.append(prefix + current)
            current, size = [], 0
        current.append(f)
        size += len(f) + 1
    if current:
        out.append(prefix + current)
    return out


# --------------------------------------------------------------------------
# tools
# --------------------------------------------------------------------------

class Tools:
    """Resolves each tool's executable and builds its command lines."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.venv_bin = Path(args.venv) / "bin"
        # hipaa-scan and the floor run from their own virtualenv (setup_self.sh), as users install the scanner and
        # as the peers run: the base interpreter's site-packages may hold .pth start-up hooks that a venv skips.
        self.self_bin = Path(args.self_venv) / "bin"
        own = self.self_bin / "python"
        self.floor_python = args.floor_python or (str(own) if own.exists() else sys.executable)

    def hipaa_argv(self, corpus: Path) -> list[str]:
        return shlex.split(self.args.cmd.format(corpus=shlex.quote(str(corpus))))

    def resolve(self, tool: str) -> tuple[str | None, str]:
        """Return (executable path or None, note explaining where it was looked for)."""
        if tool == "hipaa-scan":
            exe = self.hipaa_argv(Path("X"))[0]
            # its own venv first, then beside this interpreter: a PATH shim (pyenv, asdf) adds its own start-up
            found = (shutil.which(exe, path=f"{self.self_bin}{os.pathsep}{Path(sys.executable).parent}")
                     or shutil.which(exe))
            return found, (f"'{exe}' neither in {self.self_bin}, beside {sys.executable} nor on PATH; run "
                           "tests/benchmarks/setup_self.sh or pass --cmd")
        if tool == "floor":
            return self.floor_python, ""
        exe = self.venv_bin / tool
        if exe.exists():
            return str(exe), ""
        found = shutil.which(tool) if self.args.peers_from_path else None
        return found, f"not in {self.venv_bin} (run tests/benchmarks/setup_peers.sh)"

    def commands(self, tool: str, exe: str, corpus: Path, files: dict[str, list[str]]) -> list[list[str]]:
        if tool == "hipaa-scan":
            argv = self.hipaa_argv(corpus)
            return [[exe] + argv[1:]]
        if tool == "floor":
            return [[exe, str(HERE / "floor.py"), str(corpus)]]
        if tool == "checkov":
            return [[exe, "-d", str(corpus), "--framework", "dockerfile", "--quiet", "--compact",
                     "--skip-download", "--soft-fail", "-o", "json"]]
        if tool == "hadolint":
            return batches([exe, "--no-fail", "-f", "json"], files["dockerfile"])
        if tool == "compose-lint":
            return batches([exe, "check", "--format", "json"], files["compose"])
        raise ValueError(tool)

    @staticmethod
    def scope(tool: str, files: dict[str, list[str]]) -> int:
        """How many files of the corpus the tool reads."""
        if tool in ("checkov", "hadolint"):
            return len(files["dockerfile"])
        if tool == "compose-lint":
            return len(files["compose"])
        return sum(len(v) for v in files.values())

    def version(self, tool: str, exe: str) -> str | None:
        if tool == "floor":
            v = module_versions(exe, ["PyYAML", "dockerfile-parse"])
            return f"PyYAML {v['PyYAML']} (CSafeLoader), dockerfile-parse {v['dockerfile-parse']}"
        line = first_line([exe, "--version"])
        for prefix in ("Haskell Dockerfile Linter ", f"{tool} ", "hipaa-scan, version ", "version "):
            if line and line.startswith(prefix):
                line = line[len(prefix):]
        return line


# --------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------

def busy_seconds() -> float | None:
    """Busy time of all CPUs so far, from /proc/stat (None where unavailable)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, IndexError, ValueError):
        return None
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / os.sysconf("SC_CLK_TCK")


def wait_idle(limit_s: float, threshold_cores: float = 0.25, window_s: float = 0.5) -> float:
    """Wait (at most ``limit_s``) until the machine's CPU use over a short window is
    below ``threshold_cores``; return the seconds waited."""
    waited = 0.0
    while waited < limit_s:
        before = busy_seconds()
        time.sleep(window_s)
        after = busy_seconds()
        waited += window_s
        if before is None or after is None or (after - before) / window_s < threshold_cores:
            break
    return waited


def measure_once(cmds: list[list[str]], timeout: float, interval: float, stderr_path: str) -> dict:
    spec = {"cmds": cmds, "cwd": str(HERE), "timeout": timeout, "interval": interval,
            "stderr": stderr_path}
    proc = subprocess.run([sys.executable, "-c", WRAPPER], input=json.dumps(spec),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"measurement wrapper failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def tail(path: str, limit: int = 600) -> str:
    try:
        data = Path(path).read_bytes()[-limit:]
    except OSError:
        return ""
    return data.decode("utf-8", "replace").strip()


class Series:
    """One tool's runs on one case. Runs of the tools of a case are interleaved (one run of each in turn), so that
    this machine's drift over minutes weighs on every tool alike and a ratio compares like with like."""

    def __init__(self, tool: str, cmds: list[list[str]], runs: int, warmup: int, args: argparse.Namespace):
        self.tool, self.cmds, self.runs, self.warmup, self.args = tool, cmds, runs, warmup, args
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.rss: list[int] = []
        self.tree: list[int] = []
        self.others: list = []
        self.loads: list[float] = []
        self.codes: list[int] = []
        self.failure: dict | None = None

    def run(self, i: int) -> None:
        """Run number i (the first `warmup` ones are not counted)."""
        if self.failure is not None:
            return
        args = self.args
        with tempfile.NamedTemporaryFile(prefix=f"bench-{self.tool}-", suffix=".stderr", delete=False) as fh:
            err_path = fh.name
        try:
            if args.wait_idle > 0:
                waited = wait_idle(args.wait_idle)
                if waited >= args.wait_idle:
                    print(f"    machine still busy after waiting {waited:.0f}s; running anyway", flush=True)
            load = os.getloadavg()[0]
            r = measure_once(self.cmds, args.timeout, args.sample_interval, err_path)
            self.codes = r["codes"]
            if not stat.S_ISCHR(os.stat(os.devnull).st_mode):
                # e.g. an --output that writes a temp file and renames it over the target
                raise SystemExit(f"error: {self.tool} replaced {os.devnull} (it is no longer a "
                                 "character device); restore it with `mknod -m 666 /dev/null c 1 3`"
                                 " and write the report to a file instead")
            if r["status"] == "timeout":
                self.failure = {"status": "timeout", "detail": f"a run exceeded {args.timeout:g}s"}
                return
            bad = [c for c in self.codes if c not in OK_CODES[self.tool]]
            if bad:
                self.failure = {"status": "failed", "exit_codes": self.codes, "detail": tail(err_path)}
                return
            if i >= self.warmup:
                self.walls.append(r["wall"])
                self.cpus.append(r["cpu"])
                self.rss.append(r["maxrss_kib"] * 1024)
                self.tree.append(r["tree_rss"])
                self.others.append(r["other_cpu"])
                self.loads.append(round(load, 2))
                other = "" if r["other_cpu"] is None else f", other processes {r['other_cpu']:.2f} CPU s"
                print(f"    {self.tool} run {i - self.warmup + 1}/{self.runs}: {r['wall']:.3f}s "
                      f"(cpu {r['cpu']:.2f}s{other}, load {load:.2f})", flush=True)
        finally:
            os.unlink(err_path)

    def result(self) -> dict:
        if self.failure is not None:
            return self.failure
        walls = self.walls
        return {"status": "ok", "runs": len(walls), "invocations": len(self.cmds),
                "wall_s": [round(w, 4) for w in walls],
                "median_s": round(statistics.median(walls), 4), "min_s": round(min(walls), 4),
                "max_s": round(max(walls), 4), "cpu_s": round(statistics.median(self.cpus), 3),
                "peak_rss_mib": round(max(self.rss) / MIB, 1), "tree_rss_mib": round(max(self.tree) / MIB, 1),
                "other_cpu_s": [None if o is None else round(o, 2) for o in self.others],
                "loadavg_1min": self.loads, "exit_codes": self.codes}


# --------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------

def find(results: list[dict], tool: str, case: str) -> dict | None:
    for r in results:
        if r["tool"] == tool and r["case"] == case and r.get("status") == "ok":
            return r
    return None


def _ratio(num: dict | None, den: dict | None) -> dict:
    """num / den by median wall time, and by round: runs are interleaved, so run i of each tool was made in the
    same minute, and the median of the per-round ratios cancels the machine's drift between rounds."""
    if not num or not den or num.get("status") != "ok" or den.get("status") != "ok":
        return {"value": None}
    out: dict = {"value": round(num["median_s"] / den["median_s"], 2)}
    rounds = [a / b for a, b in zip(num["wall_s"], den["wall_s"]) if b]
    if rounds and len(num["wall_s"]) == len(den["wall_s"]):
        out.update(paired=round(statistics.median(rounds), 2), paired_min=round(min(rounds), 2),
                   paired_max=round(max(rounds), 2))
    return out


def compute_ratios(results: list[dict], cases: list[str]) -> list[dict]:
    pairs = [("hipaa-scan", "floor", "hipaa-scan / floor"),
             ("checkov", "hipaa-scan", "Checkov / hipaa-scan"),
             ("hadolint", "hipaa-scan", "hadolint / hipaa-scan")]
    out = []
    for case in cases:
        for num, den, label in pairs:
            out.append({"case": case, "ratio": label, **_ratio(find(results, num, case), find(results, den, case))})
    out.append({"case": "compose-1", "ratio": "hipaa-scan / compose-lint (one compose file)",
                **_ratio(find(results, "hipaa-scan", "compose-1"), find(results, "compose-lint", "compose-1"))})
    return out


def compute_linearity(results: list[dict], sizes: list[int]) -> list[dict]:
    """Time per file at each size, the marginal cost over the 1-file run, and the
    local scaling exponent (1.0 = linear) between consecutive sizes."""
    out = []
    for tool in ALL_TOOLS:
        rows = [(n, find(results, tool, f"mixed-{n}")) for n in sizes]
        rows = [(n, r) for n, r in rows if r]
        # the fixed cost: the 1-file run (compose-lint has no file there: use compose-1)
        base = next((r for n, r in rows if n == 1), None) or find(results, tool, "compose-1")
        prev = None
        for n, r in rows:
            scope = r["files_in_scope"]
            entry = {"tool": tool, "size": n, "files_in_scope": scope,
                     "ms_per_file": round(1000 * r["median_s"] / scope, 3) if scope else None,
                     "marginal_ms_per_file": None, "exponent_vs_previous": None}
            if base and n > 1 and base["files_in_scope"] and scope > base["files_in_scope"]:
                entry["marginal_ms_per_file"] = round(
                    1000 * (r["median_s"] - base["median_s"]) / (scope - base["files_in_scope"]), 3)
            if prev and prev[0]["files_in_scope"] and scope > prev[0]["files_in_scope"] > 0 \
                    and prev[0]["median_s"] > 0:
                entry["exponent_vs_previous"] = round(
                    math.log(r["median_s"] / prev[0]["median_s"])
                    / math.log(scope / prev[0]["files_in_scope"]), 2)
            prev = (r, n)
            out.append(entry)
    return out


def other_cpu(row: dict) -> float | None:
    values = [v for v in row.get("other_cpu_s", []) if v is not None]
    return max(values) if values else None


def fmt(value, spec: str = ".3f", empty: str = "-") -> str:
    return empty if value is None else format(value, spec)


def text_report(report: dict, linearity: bool) -> str:
    lines = []
    m = report["machine"]
    lines.append(f"machine: {m['nproc']} cpu(s), {m['cpu_model']}, {m['mem_total_gib']} GiB, "
                 f"Python {m['python']}, kernel {m['kernel']}")
    lines.append("versions: " + ", ".join(f"{k} {v or 'MISSING'}" for k, v in report["versions"].items()))
    for python, ms in report.get("interpreters", {}).items():
        lines.append(f"interpreter {python}: `-c pass` {fmt(ms, '.1f')} ms")
    lines.append("")
    head = f"{'case':<14}{'tool':<14}{'files':>7}{'runs':>5}{'median s':>10}{'min s':>9}" \
           f"{'max s':>9}{'cpu s':>9}{'peak MiB':>10}{'tree MiB':>10}{'ms/file':>10}{'other':>8}"
    lines.append(head)
    lines.append("-" * len(head))
    for r in report["results"]:
        if r["status"] != "ok":
            lines.append(f"{r['case']:<14}{r['tool']:<14}{r['files_in_scope']:>7}  "
                         f"{r['status'].upper()}: {r.get('detail', '')}".rstrip())
            continue
        per_file = 1000 * r["median_s"] / r["files_in_scope"] if r["files_in_scope"] else None
        lines.append(f"{r['case']:<14}{r['tool']:<14}{r['files_in_scope']:>7}{r['runs']:>5}"
                     f"{r['median_s']:>10.3f}{r['min_s']:>9.3f}{r['max_s']:>9.3f}{r['cpu_s']:>9.2f}"
                     f"{r['peak_rss_mib']:>10.1f}{r['tree_rss_mib']:>10.1f}{fmt(per_file, '.2f'):>10}"
                     f"{fmt(other_cpu(r), '.2f'):>8}")
    lines.append("")
    lines.append("other = the most CPU seconds that processes outside the measurement used during "
                 "one run (noise)")
    lines.append("")
    lines.append("ratios of median wall time, and the median (min-max) of the ratios round by round:")
    for q in report["ratios"]:
        paired = f"   by round {q['paired']:.2f} ({q['paired_min']:.2f}-{q['paired_max']:.2f})" if "paired" in q else ""
        lines.append(f"  {q['case']:<14}{q['ratio']:<46}{fmt(q['value'], '.2f', 'n/a')}{paired}")
    if linearity:
        lines.append("")
        lines.append("linearity (files = files the tool reads; exponent 1.00 = linear):")
        lines.append(f"  {'tool':<14}{'size':>7}{'files':>7}{'ms/file':>10}{'marginal ms/file':>18}"
                     f"{'exponent':>10}")
        for e in report["linearity"]:
            lines.append(f"  {e['tool']:<14}{e['size']:>7}{e['files_in_scope']:>7}"
                         f"{fmt(e['ms_per_file'], '.2f'):>10}{fmt(e['marginal_ms_per_file'], '.2f'):>18}"
                         f"{fmt(e['exponent_vs_previous'], '.2f'):>10}")
    return "\n".join(lines)


def markdown_report(report: dict) -> str:
    lines = [("| case | tool | files read | runs | median s | min s | max s | CPU s | peak RSS MiB "
              "| tree RSS MiB | ms/file | other CPU s |"),
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in report["results"]:
        if r["status"] != "ok":
            lines.append(f"| {r['case']} | {r['tool']} | {r['files_in_scope']} | | {r['status']} "
                         "| | | | | | | |")
            continue
        per_file = 1000 * r["median_s"] / r["files_in_scope"] if r["files_in_scope"] else None
        lines.append(f"| {r['case']} | {r['tool']} | {r['files_in_scope']} | {r['runs']} "
                     f"| {r['median_s']:.3f} | {r['min_s']:.3f} | {r['max_s']:.3f} | {r['cpu_s']:.2f} "
                     f"| {r['peak_rss_mib']:.1f} | {r['tree_rss_mib']:.1f} | {fmt(per_file, '.2f')} "
                     f"| {fmt(other_cpu(r), '.2f')} |")
    lines += ["", "| case | ratio | of medians | by round: median (min-max) |", "|---|---|--:|--:|"]
    for q in report["ratios"]:
        paired = f"{q['paired']:.2f} ({q['paired_min']:.2f}-{q['paired_max']:.2f})" if "paired" in q else "-"
        lines.append(f"| {q['case']} | {q['ratio']} | {fmt(q['value'], '.2f', 'n/a')} | {paired} |")
    lines += ["", "| tool | size | files read | ms/file | marginal ms/file | exponent |",
              "|---|--:|--:|--:|--:|--:|"]
    for e in report["linearity"]:
        lines.append(f"| {e['tool']} | {e['size']} | {e['files_in_scope']} | {fmt(e['ms_per_file'], '.2f')} "
                     f"| {fmt(e['marginal_ms_per_file'], '.2f')} | {fmt(e['exponent_vs_previous'], '.2f')} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See tests/benchmarks/README.md.")
    ap.add_argument("--sizes", default="1,100,1000,10000",
                    help="comma-separated corpus sizes in files (default 1,100,1000,10000)")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--corpus-root", default=DEFAULT_CORPUS_ROOT,
                    help=f"where generated corpora are cached (default {DEFAULT_CORPUS_ROOT})")
    ap.add_argument("--regen", action="store_true", help="regenerate the corpora even if cached")
    ap.add_argument("--runs", type=int, default=5, help="measured runs below --large (default 5)")
    ap.add_argument("--large", type=int, default=10000,
                    help="sizes >= this use --large-runs and no warm-up (default 10000)")
    ap.add_argument("--large-runs", type=int, default=1, help="measured runs for large sizes (default 1)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="unmeasured warm-up runs below --large (default 1)")
    ap.add_argument("--cmd", default=DEFAULT_CMD,
                    help="hipaa-scan command template, {corpus} is replaced (default: %(default)r)")
    ap.add_argument("--venv", default=DEFAULT_VENV,
                    help=f"virtualenv holding the peers (default {DEFAULT_VENV})")
    ap.add_argument("--self-venv", default=DEFAULT_SELF_VENV,
                    help=f"virtualenv holding hipaa-scan, made by setup_self.sh; its python also runs floor.py "
                         f"(default {DEFAULT_SELF_VENV}; if it is missing: this interpreter)")
    ap.add_argument("--peers-from-path", action="store_true",
                    help="also look for peers on PATH when they are not in --venv")
    ap.add_argument("--floor-python", default=None,
                    help="python that runs floor.py (default: --self-venv's, else this one); needs PyYAML with "
                         "libyaml and dockerfile-parse")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS),
                    help="comma-separated subset of: " + ", ".join(ALL_TOOLS))
    ap.add_argument("--no-compose-1", action="store_true",
                    help="skip the single-compose-file comparison")
    ap.add_argument("--timeout", type=float, default=3600.0,
                    help="seconds allowed for one measured run (default 3600)")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                    help="before each run, wait up to SECONDS for other processes to use less "
                         "than a quarter of a CPU (default 0: do not wait)")
    ap.add_argument("--sample-interval", type=float, default=0.02,
                    help="seconds between /proc samples of the tree's RSS (default 0.02)")
    ap.add_argument("--linearity", action="store_true",
                    help="print time per file at each size and the scaling exponent")
    ap.add_argument("--json", metavar="FILE", help="write all figures as JSON")
    ap.add_argument("--markdown", metavar="FILE", help="write the tables as Markdown")
    ap.add_argument("--report-from", metavar="FILE",
                    help="run nothing: print (and write with --markdown) the report of a saved --json file")
    args = ap.parse_args(argv)
    args.size_list = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    args.tool_list = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(args.tool_list) - set(ALL_TOOLS)
    if unknown or any(n < 1 for n in args.size_list):
        ap.error(f"unknown tool(s) {sorted(unknown)}" if unknown else "sizes must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_from:  # ratios and linearity computed anew from the saved measurements
        report = json.loads(Path(args.report_from).read_text())
        cases = list(dict.fromkeys(r["case"] for r in report["results"]))
        report["ratios"] = compute_ratios(report["results"], [c for c in cases if c != "compose-1"])
        report["linearity"] = compute_linearity(report["results"], report["config"]["sizes"])
        print(text_report(report, args.linearity))
        if args.markdown:
            Path(args.markdown).write_text(markdown_report(report))
        return 0
    # Measure what users run: pip compiles bytecode at install time and an editable install writes it on its
    # first run, unless this variable forbids it; without bytecode every run would compile the sources again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    tools = Tools(args)
    root = Path(args.corpus_root)
    root.mkdir(parents=True, exist_ok=True)

    report: dict = {"generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    "machine": machine_info(), "versions": {}, "config": {
                        "sizes": args.size_list, "seed": args.seed, "runs": args.runs,
                        "large": args.large, "large_runs": args.large_runs, "warmup": args.warmup,
                        "cmd": args.cmd, "venv": args.venv, "self_venv": args.self_venv,
                        "corpus_root": str(root)},
                    "executables": {}, "interpreters": {}, "results": [], "ratios": [], "linearity": []}

    available: dict[str, str] = {}
    missing: dict[str, str] = {}
    for tool in args.tool_list:
        exe, why = tools.resolve(tool)
        if exe:
            available[tool] = exe
            report["versions"][tool] = tools.version(tool, exe)
            report["executables"][tool] = exe
        else:
            missing[tool] = why
            report["versions"][tool] = None
            print(f"{tool}: MISSING - {why}; skipped", flush=True)
    for python in dict.fromkeys(interpreter_of(exe) for tool, exe in available.items() if tool != "hadolint"):
        report["interpreters"][python] = startup_ms(python)

    cases: list[tuple[str, Path, int]] = []
    for n in args.size_list:
        cases.append((f"mixed-{n}", ensure_corpus(root, "mixed", n, args.seed, args.regen), n))
    if not args.no_compose_1:
        cases.append(("compose-1", ensure_corpus(root, "compose", 1, args.seed, args.regen), 1))

    for case, corpus, n in cases:
        files = list_files(corpus)
        large = n >= args.large
        runs, warmup = (args.large_runs, 0) if large else (args.runs, args.warmup)
        rows: list[tuple[dict, Series | None]] = []
        for tool in args.tool_list:
            if case == "compose-1" and tool in ("checkov", "hadolint"):
                continue  # Dockerfile-only peers have nothing to read here
            scope = Tools.scope(tool, files)
            row = {"case": case, "tool": tool, "corpus": str(corpus), "files_in_scope": scope,
                   "files": {k: len(v) for k, v in files.items()}}
            series = None
            if tool not in available:
                row.update(status="missing", detail=missing[tool])
            elif scope == 0:
                row.update(status="skipped", detail="no file of its kind in this corpus")
            else:
                series = Series(tool, tools.commands(tool, available[tool], corpus, files), runs, warmup, args)
            rows.append((row, series))
        measured = [(row, series) for row, series in rows if series is not None]
        print(f"[{case}] " + ", ".join(f"{row['tool']} ({row['files_in_scope']} files)" for row, _ in measured)
              + f": {runs} run(s) each, interleaved", flush=True)
        for i in range(warmup + runs):
            for row, series in measured:
                series.run(i)
        for row, series in rows:
            if series is not None:
                row.update(series.result())
                if row["status"] != "ok":
                    print(f"    {row['tool']} {row['status'].upper()}: {row.get('detail', '')}", flush=True)
            report["results"].append(row)

    report["ratios"] = compute_ratios(report["results"], [c for c, _, _ in cases if c != "compose-1"])
    report["linearity"] = compute_linearity(report["results"], args.size_list)

    print()
    print(text_report(report, args.linearity))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nJSON written to {args.json}")
    if args.markdown:
        Path(args.markdown).write_text(markdown_report(report))
        print(f"Markdown written to {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
