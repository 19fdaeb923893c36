"""The evidence folder of a live audit (`hipaa-scan live --evidence DIR`): the whole bundle format in one place,
from choosing the folder to writing (`write_evidence`) and verifying (`verify`) it.

Layout (one scan; see docs/live.md):

    containers/<container>.json          inspect JSON, environment values masked (multi-engine: containers/<engine>/...)
    engines/<engine>/info.json           `docker info`
    engines/<engine>/version.json        `docker version`
    engines/<engine>/connection.json     how the scan connected (host with any password masked, TLS)
    report.json  report.sarif  report.txt  report.html   one report per format the registry keeps in evidence
    manifest.json                        UTC scan time, tool version, hosts, rule catalog, every file with its SHA-256
    MANIFEST.sha256                      `sha256sum -c MANIFEST.sha256` verifies every other file
    MANIFEST.sha256.sig                  with --sign-key: `ssh-keygen -Y sign` of MANIFEST.sha256 (namespace
                                         hipaa-scan-evidence); `ssh-keygen -Y verify` checks it

Each run reserves its own folder (`choose_folder`): DIR when it does not exist or is empty, else a new subfolder named
after the scan time (`scan-YYYYMMDDTHHMMSSZ`, `-2`, `-3`... if taken), so two runs never share or mix one. The files
are written in a private temporary folder beside it (`Staging`), checked against their manifest (`verify`), and
renamed into place at the end: the folder is either absent or complete. Nothing is ever overwritten, and no link is
followed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from dataclasses import dataclass

from hipaa_scan.live.errors import LiveError
from hipaa_scan.secrets import mask

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

    from hipaa_scan.live.documents import LiveRun
    from hipaa_scan.model import ScanResult

SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class EvidenceError(Exception):
    pass


def safe_component(text: str) -> str:
    """A path component made of [A-Za-z0-9_.-] only (container names already are; engine labels may hold `:`)."""
    out = SAFE.sub("_", text).strip(".") or "_"
    return out[:120]


def dumps_with_lines(obj: Any) -> Tuple[str, Dict[str, int]]:
    """`json.dumps(obj, indent=2)` (same text) plus the line of every key path in it: `HostConfig.Privileged`,
    `Config.Env[3]`, `NetworkSettings.Ports.6379/tcp`; "" is line 1. The first occurrence of a path wins."""
    lines: List[str] = []
    index: Dict[str, int] = {"": 1}

    def emit(value: Any, path: str, indent: int, prefix: str, suffix: str) -> None:
        pad = "  " * indent
        index.setdefault(path, len(lines) + 1)
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{prefix}{{")
            items = list(value.items())
            for i, (key, item) in enumerate(items):
                child = f"{path}.{key}" if path else str(key)
                emit(item, child, indent + 1, json.dumps(str(key), ensure_ascii=False) + ": ",
                     "," if i < len(items) - 1 else "")
            lines.append(f"{pad}}}{suffix}")
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{prefix}[")
            for i, item in enumerate(value):
                emit(item, f"{path}[{i}]", indent + 1, "", "," if i < len(value) - 1 else "")
            lines.append(f"{pad}]{suffix}")
        else:
            lines.append(f"{pad}{prefix}{json.dumps(value, ensure_ascii=False)}{suffix}")

    emit(obj, "", 0, "", "")
    return "\n".join(lines) + "\n", index


def redact_inspect(inspect: Dict[str, Any], secrets: Iterable[str] = ()) -> Dict[str, Any]:
    """A copy of inspect JSON fit for evidence: every environment value masked (names kept), and every other
    string scrubbed of the container's sensitive values (command-line passwords...) and of anything secret-shaped."""
    out: Dict[str, Any] = scrub_json(inspect, secrets) if isinstance(inspect, dict) else {}
    config = out.get("Config")
    if isinstance(config, dict) and isinstance(config.get("Env"), list):
        masked = []
        for item in (inspect.get("Config") or {}).get("Env") or []:
            if isinstance(item, str):
                name, sep, value = item.partition("=")
                masked.append(f"{name}={mask(value)}" if sep else name)
            else:
                masked.append(item)
        config["Env"] = masked
    return out


def scrub_json(obj: Any, secrets: Iterable[str] = ()) -> Any:
    """A JSON value with its structure kept and every sensitive string masked by the redaction layer."""
    from hipaa_scan.redact import json_value

    return json_value(obj, secrets)


CLAIM = ".hipaa-scan-claim"  # marks an existing empty folder as taken by one run until its evidence is renamed in


_CREATED: Set[str] = set()  # folders choose_folder made in this process (only those are removed again on failure)


def choose_folder(directory: str, stamp: str) -> Tuple[str, bool]:
    """Reserve the folder this run's evidence goes to, and say whether it differs from `directory`.

    `directory` itself when it does not exist or is empty, claimed by creating a marker file in it exclusively (so
    that of two runs starting together, one only gets it: the other is refused while the first one writes); else
    a new subfolder `scan-<stamp>` (`-2`, `-3`... if taken), created exclusively. Two runs therefore never get the
    same folder, and no run puts anything into a folder another run is still writing. The reserved folder holds
    nothing but the marker until `Staging.publish`."""
    if os.path.islink(directory) or (os.path.exists(directory) and not os.path.isdir(directory)):
        kind = "a symbolic link" if os.path.islink(directory) else "not a folder"
        raise EvidenceError(f"cannot write evidence to {directory}: it exists and is {kind}")
    try:
        os.makedirs(os.path.dirname(os.path.abspath(directory)), exist_ok=True)
        os.mkdir(directory)
        _CREATED.add(os.path.abspath(directory))
    except FileExistsError:
        pass
    except OSError as exc:
        raise EvidenceError(f"cannot create evidence folder {directory}: {exc.strerror or exc}") from None
    busy = EvidenceError(f"cannot write evidence to {directory}: another hipaa-scan run is writing its evidence "
                         f"there (it holds {CLAIM}); use another folder, or delete that file if no run is going on")
    try:
        entries = os.listdir(directory)
        if entries == [CLAIM]:
            raise busy
        if not entries:
            os.close(os.open(os.path.join(directory, CLAIM), os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
            return directory, False
    except FileExistsError:
        raise busy from None  # another run claimed it a moment ago
    except OSError as exc:
        raise EvidenceError(f"cannot write evidence to {directory}: {exc.strerror or exc}") from None
    base = os.path.join(directory, f"scan-{stamp}")
    for n in range(1, 1000):
        candidate = base if n == 1 else f"{base}-{n}"
        try:
            os.mkdir(candidate)
            _CREATED.add(os.path.abspath(candidate))
            return candidate, True
        except FileExistsError:
            continue
        except OSError as exc:
            raise EvidenceError(f"cannot create evidence folder {candidate}: {exc.strerror or exc}") from None
    raise EvidenceError(f"cannot write evidence to {directory}: no free scan-{stamp} subfolder")


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class Staging:
    """A private folder (mode 0700) beside the reserved target, where the evidence is written; `publish` renames it
    into place, `discard` removes it. Nothing is ever written into the target itself."""

    def __init__(self, target: str) -> None:
        import tempfile

        self.target = target
        self.created = os.path.abspath(target) in _CREATED  # else an empty folder that existed before the run
        parent = os.path.dirname(os.path.abspath(target))
        try:
            self.path = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.tmp-", dir=parent)
        except OSError as exc:
            raise EvidenceError(f"cannot create a temporary folder in {parent}: {exc.strerror or exc}") from None

    def publish(self) -> None:
        mask = os.umask(0o022)
        os.umask(mask)
        claim = os.path.join(self.target, CLAIM)
        try:
            os.chmod(self.path, 0o777 & ~mask)  # as a folder made with mkdir would be
            if os.path.lexists(claim):
                os.unlink(claim)
            os.rename(self.path, self.target)  # the target is the empty folder this run reserved
        except OSError as exc:
            self.discard()
            raise EvidenceError(f"cannot move the evidence into {self.target}: {exc.strerror or exc} (did another "
                                "program write into it during the scan?); nothing was left there") from None

    def discard(self) -> None:
        import shutil

        shutil.rmtree(self.path, ignore_errors=True)
        claim = os.path.join(self.target, CLAIM)
        try:
            if os.path.lexists(claim):
                os.unlink(claim)
            if self.created:
                os.rmdir(self.target)  # the folder this run made, and only while still empty
        except OSError:
            pass


class EvidenceWriter:
    """Writes files under one folder, creating them exclusively (never overwriting), and remembers their hashes.

    Every file and folder is opened relative to its parent's descriptor with O_NOFOLLOW: a symbolic link planted in
    the folder during the run is an error, never written through."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: Dict[str, Tuple[str, int]] = {}  # relative path -> (sha256, bytes)
        self.dirs: Dict[str, int] = {}
        try:
            os.makedirs(root, exist_ok=True)
            self.dirs[""] = os.open(root, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
        except OSError as exc:
            raise EvidenceError(f"cannot create evidence folder {root}: {exc.strerror or exc}") from None

    def _folder(self, rel_dir: str) -> int:
        if rel_dir in self.dirs:
            return self.dirs[rel_dir]
        parent_rel, _, name = rel_dir.rpartition("/")
        parent = self._folder(parent_rel)
        try:
            os.mkdir(name, 0o777, dir_fd=parent)
        except FileExistsError:
            pass
        fd = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=parent)
        self.dirs[rel_dir] = fd
        return fd

    def write(self, rel: str, text: str, record: bool = True) -> str:
        data = text.encode("utf-8")
        path = os.path.join(self.root, *rel.split("/"))
        folder, _, name = rel.rpartition("/")
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666, dir_fd=self._folder(folder))
            with open(fd, "wb") as handle:  # exclusive: an existing file (or link) is an error, never overwritten
                handle.write(data)
        except FileExistsError:
            raise EvidenceError(f"evidence file {path} already exists; not overwriting it") from None
        except OSError as exc:
            raise EvidenceError(f"cannot write {path}: {exc.strerror or exc}") from None
        if record:
            self.files[rel] = (hashlib.sha256(data).hexdigest(), len(data))
        return path

    def write_json(self, rel: str, obj: Any) -> Dict[str, int]:
        text, index = dumps_with_lines(obj)
        self.write(rel, text)
        return index

    def close(self) -> None:
        for fd in self.dirs.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self.dirs = {}

    def manifest_lines(self) -> str:
        """`sha256sum` format: `<hex>  <path>`, sorted by path."""
        return "".join(f"{digest}  {rel}\n" for rel, (digest, _size) in sorted(self.files.items()))

    def file_list(self) -> List[Dict[str, Any]]:
        return [{"path": rel, "sha256": digest, "bytes": size} for rel, (digest, size) in sorted(self.files.items())]


MANIFEST = "MANIFEST.sha256"
SIGNATURE = MANIFEST + ".sig"  # the SSH signature of MANIFEST.sha256 (--sign-key): not listed, it signs the list
NAMESPACE = "hipaa-scan-evidence"  # the ssh-keygen -Y namespace: a signature made for anything else does not verify
SIGN_SECONDS = 120.0  # ssh-keygen may ask for the key's passphrase on the terminal; it is stopped after this
_MANIFEST_LINE = re.compile(r"([0-9a-f]{64})  (.+)")


def verify(root: str) -> List[str]:
    """Problems found checking an evidence folder against its MANIFEST.sha256 (empty: the folder is intact): a
    listed file missing or changed, as `sha256sum -c` reports them, a malformed manifest line, and any file or link
    in the folder the manifest does not list. write_evidence runs it on what it wrote before publishing the folder;
    an auditor may run it on a published one (`sha256sum -c` checks the listed files only). MANIFEST.sha256.sig,
    the manifest's signature, is the one file besides the manifest that it does not list (`ssh-keygen -Y verify`
    checks it)."""
    problems: List[str] = []
    try:
        with open(os.path.join(root, MANIFEST), "rb") as handle:
            text = handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or ("not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc)
        return [f"cannot read {MANIFEST}: {why}"]
    listed = set()
    for number, line in enumerate(text.splitlines(), 1):
        match = _MANIFEST_LINE.fullmatch(line)
        rel = match.group(2) if match else ""
        parts = rel.split("/")
        if not match or rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in parts):
            problems.append(f"{MANIFEST} line {number}: not `<sha256>  <relative path>`")
            continue
        listed.add(rel)
        try:
            fd = os.open(os.path.join(root, *parts), os.O_RDONLY | _NOFOLLOW)
            with open(fd, "rb") as handle:
                digest = hashlib.sha256()
                for piece in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(piece)
        except OSError:
            problems.append(f"{rel}: missing")
            continue
        if digest.hexdigest() != match.group(1):
            problems.append(f"{rel}: changed")
    for folder, dirs, files in os.walk(root):
        for name in sorted(files) + sorted(d for d in dirs if os.path.islink(os.path.join(folder, d))):
            rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            if rel not in (MANIFEST, SIGNATURE) and (rel not in listed or os.path.islink(os.path.join(folder, name))):
                problems.append(f"{rel}: not in {MANIFEST}" if rel not in listed else f"{rel}: a symbolic link")
    return problems


class Names:
    """Collision-free evidence paths. A name made only of [A-Za-z0-9_.-] (and not starting with a dot) is kept as it
    is; any other, or one already taken (compared case-insensitively, as some file systems do), gets `@` and the
    container's short id (then `-2`, `-3`...). `@` never appears in a kept name, so the two kinds cannot meet:
    containers `abc` and `abc.` become `abc.json` and `abc@<id>.json`."""

    def __init__(self) -> None:
        self.used: Set[str] = set()

    def _take(self, prefix: str, parts: List[str], suffix: str, tag: str, exact: bool = True) -> str:
        safe = [safe_component(p) for p in parts]
        rel = prefix + "/".join(safe) + suffix
        if exact and safe == parts and rel.casefold() not in self.used:
            self.used.add(rel.casefold())
            return rel
        stem = "/".join(safe[:-1] + [f"{safe[-1]}@{safe_component(tag) if tag else 'x'}"])
        rel, n = prefix + stem + suffix, 1
        while rel.casefold() in self.used:
            n += 1
            rel = f"{prefix}{stem}-{n}{suffix}"
        self.used.add(rel.casefold())
        return rel

    def container(self, display_name: str, cid: str = "", exact: bool = True) -> str:
        """`containers/<name>.json` (multi-engine: `containers/<engine>/<name>.json`). `exact`: the display name
        is the container's own name (not one made path-safe from it, which another container could hold)."""
        return self._take("containers/", display_name.split("/"), ".json", cid[:12], exact)

    def engine(self, label: str) -> str:
        return self._take("engines/", [label], "", "engine")


def rel_for_sarif(path: str, start: Optional[str] = None) -> str:
    """A path for a SARIF artifact: relative to `start` (the working directory) when inside it, else absolute."""
    start = os.path.abspath(start or os.getcwd())
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, start)
    if rel.startswith(".."):
        return absolute
    return rel.replace(os.sep, "/")


@dataclass
class Evidence:
    folder: str
    redirected: bool  # the folder given existed and was not empty: this is a new subfolder of it
    files: Dict[str, str]  # location path (container://name, engine://label) -> absolute evidence file
    lines: Dict[str, Dict[str, int]]  # location path -> key path -> line in that file
    manifest_sha256: str = ""  # the SHA-256 of MANIFEST.sha256, to be recorded outside the folder
    signature: Optional[str] = None  # the signature file (absolute), when --sign-key signed the manifest
    sign_error: Optional[str] = None  # why signing failed (one line); the evidence is kept, unsigned


def sign_manifest(folder: str, key: str, timeout: float = SIGN_SECONDS) -> None:
    """Sign `folder`/MANIFEST.sha256 with `ssh-keygen -Y sign -f key -n hipaa-scan-evidence`, which writes
    MANIFEST.sha256.sig beside it. `key` is a private key file, or a public one whose private key an ssh-agent holds.
    ssh-keygen is given that one file, no other; its stdin is empty. Raises EvidenceError (one line) on any failure,
    leaving no signature behind."""
    import shutil
    import subprocess

    from hipaa_scan.visible import visible

    program = shutil.which("ssh-keygen")
    target = os.path.join(folder, MANIFEST)
    why = ""
    if program is None:
        why = "ssh-keygen not found (install OpenSSH's client: openssh-client)"
    elif not os.path.isfile(key):
        why = "no such key file"
    else:
        try:
            proc = subprocess.run([program, "-q", "-Y", "sign", "-f", key, "-n", NAMESPACE, target],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout, check=False)
            if proc.returncode != 0 or not os.path.isfile(target + ".sig"):
                said = [ln.replace("Enter passphrase:", "").strip()  # its prompt, when it had no terminal
                        for ln in proc.stderr.decode("utf-8", "replace").splitlines()]
                said = [ln for ln in said if ln]
                why = f"ssh-keygen failed (exit {proc.returncode})" + (f": {said[-1][:200]}" if said else "")
        except subprocess.TimeoutExpired:
            why = f"ssh-keygen did not finish within {timeout:g} s (a key that needs a passphrase, with no terminal?)"
        except OSError as exc:
            why = f"cannot run ssh-keygen: {exc.strerror or exc}"
    if why:
        try:
            os.unlink(target + ".sig")
        except OSError:
            pass
        raise EvidenceError(visible(f"cannot sign the evidence manifest with {key}: {why}"))


def write_evidence(directory: str, run: LiveRun, result: ScanResult, category: Optional[str] = None,
                   sign_key: Optional[str] = None) -> Evidence:
    """Write the evidence folder of a live run (see the module's docstring); a problem is one LiveError line and
    leaves nothing behind. With `sign_key`, the manifest is signed (`sign_manifest`) before the folder is published;
    a signing failure does not cost the evidence: the folder is published unsigned and `Evidence.sign_error` says
    why."""
    from hipaa_scan import __version__
    from hipaa_scan.engine import resource_secrets
    from hipaa_scan.report import REPORTERS, jsonfmt
    from hipaa_scan.sources.container import container_name

    stamp = run.started.strftime("%Y%m%dT%H%M%SZ")
    staging = writer = None
    try:
        folder, redirected = choose_folder(directory, stamp)  # reserved for this run alone
        staging = Staging(folder)
        writer = EvidenceWriter(staging.path)
        names = Names()
        rel_files: Dict[str, str] = {}
        lines: Dict[str, Dict[str, int]] = {}
        wanted: Dict[str, Set[str]] = {}  # location path -> the keys findings point at: the only lines SARIF needs
        for f in result.findings:
            wanted.setdefault(f.location.path, set()).add(f.location.key or "")

        def keep(path: str, index: Dict[str, int]) -> Dict[str, int]:
            keys = wanted.get(path, set())
            kept = {k: v for k, v in index.items() if k in keys}
            kept[""] = index.get("Name", 1)  # findings about something missing point at the name
            return kept

        for doc in run.documents:
            res = doc.resources[0]
            if doc.kind == "container":
                raw = run.inspect(doc.path)
                own = raw.get("Name")
                exact = isinstance(own, str) and own.lstrip("/") == container_name(raw)
                rel = names.container(doc.path[len("container://"):], str(res.container_id or ""), exact)
                data = redact_inspect(raw, resource_secrets(res))
                lines[doc.path] = keep(doc.path, writer.write_json(rel, data))
                rel_files[doc.path] = rel
                del raw, data
            else:
                cap = run.engines[doc.path]
                base = names.engine(cap.label)
                secrets: List[str] = []
                if cap.info is not None:
                    lines[doc.path] = keep(doc.path, writer.write_json(f"{base}/info.json",
                                                                       scrub_json(cap.info, secrets)))
                    rel_files[doc.path] = f"{base}/info.json"
                if cap.version is not None:
                    writer.write_json(f"{base}/version.json", scrub_json(cap.version, secrets))
                if cap.connection is not None:
                    index = writer.write_json(f"{base}/connection.json", cap.connection)
                    if doc.path not in rel_files:
                        rel_files[doc.path], lines[doc.path] = f"{base}/connection.json", index
        for reporter in REPORTERS.values():  # report.<suffix> in every format the registry keeps in evidence
            if reporter.evidence and "live" in reporter.renders:
                writer.write(f"report.{reporter.suffix}",
                             reporter.render(result, run, category=category, artifact_paths=rel_files,
                                             artifact_lines=lines, srcroot=folder))
        summary = jsonfmt.summary(result)
        from hipaa_scan.controls import view
        from hipaa_scan.runrecord import record_of

        record = record_of(result)
        manifest = {
            "format": "hipaa-scan-evidence/1",
            "tool": {"name": "hipaa-scan", "version": __version__},
            "scan_time_utc": run.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scan_seconds": round(run.seconds, 3),
            "mode": "offline" if run.offline else "live",
            "hosts": [{"label": cap.label, "host": cap.target.shown if not run.offline else None,
                       "origin": cap.target.origin, "error": cap.error,
                       "server_version": (cap.version or {}).get("Version") or (cap.info or {}).get("ServerVersion"),
                       "api_version": (cap.version or {}).get("ApiVersion"),
                       "containers": len(cap.containers), "requests": cap.requests} for cap in run.captures],
            "containers": [{"name": item["name"], "id": item.get("id"), "image": item.get("image"),
                            "state": item.get("state"), "engine": item.get("engine"),
                            "evidence": rel_files.get(item["path"])}
                           for item in run.inventory if item["kind"] == "container"],
            "config": run.config,  # the configuration file the findings were judged with (path, sha256), or null
            # effective severities (the configuration's overrides applied), as the findings carry them
            "rule_catalog": [{"id": m.id, "name": m.name, "severity": record.severity_of(m),
                              "default_severity": m.default_severity, "origin": m.origin}
                             for m in sorted(result.rules, key=lambda m: m.id)],
            "run": record.as_dict(),
            "controls": [c.as_dict() for c in view(result)],
            "summary": {k: summary[k] for k in ("findings", "suppressed", "errors", "by_severity", "by_rule")},
            "notes": list(result.notes),
            "errors": [{"path": e.path, "kind": e.kind, "message": e.message} for e in result.errors],
            "files": writer.file_list(),
            "verify": "sha256sum -c MANIFEST.sha256 (run inside this folder)",
        }
        writer.write_json("manifest.json", manifest)
        manifest_text = writer.manifest_lines()
        writer.write(MANIFEST, manifest_text, record=False)
        writer.close()
        problems = verify(staging.path)  # what is on disk is what was hashed, before the folder is published
        if problems:
            raise EvidenceError(f"the evidence written to {staging.path} does not match its manifest: "
                                f"{'; '.join(problems[:3])}; nothing was left in {folder}")
        sign_error = None
        if sign_key is not None:
            try:
                sign_manifest(staging.path, sign_key)
            except EvidenceError as exc:
                sign_error = str(exc)
        staging.publish()
    except EvidenceError as exc:
        if writer is not None:
            writer.close()
        if staging is not None:
            staging.discard()
        raise LiveError(str(exc)) from None
    except BaseException:
        if writer is not None:
            writer.close()
        if staging is not None:
            staging.discard()
        raise
    files = {path: os.path.join(os.path.abspath(folder), *rel.split("/")) for path, rel in rel_files.items()}
    signature = os.path.join(folder, SIGNATURE) if sign_key is not None and sign_error is None else None
    return Evidence(folder, redirected, files, lines, hashlib.sha256(manifest_text.encode("utf-8")).hexdigest(),
                    signature, sign_error)
