"""Evidence integrity (issue 17, item 6): the manifest's SHA-256 printed at the end of a live run, and
`--sign-key KEY`, which signs MANIFEST.sha256 with `ssh-keygen -Y sign -n hipaa-scan-evidence`.

Runs offline (`--from-inspect` on the recorded fixtures), so no engine is needed; keys are made in tmp_path with
the system's ssh-keygen (openssh-client, installed by .ci/install-docker.sh). A signing failure is one line and
exit 2, and the evidence stays, complete and unsigned.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

LIVE = Path(FIXTURES) / "live"
OFFLINE = ("live", "--from-inspect", str(LIVE / "inspect.json"), "--from-info", str(LIVE / "info.json"))
SSH_KEYGEN = shutil.which("ssh-keygen")
NEEDS_SSH_KEYGEN = pytest.mark.skipif(SSH_KEYGEN is None and os.environ.get("CI") != "true",
                                      reason="ssh-keygen not installed (run .ci/install-docker.sh: openssh-client)")


def hipaa_scan(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "SSH_AUTH_SOCK"))}
    full.update(env or {})
    # a session of its own: no controlling terminal, so ssh-keygen can never prompt for a passphrase
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=full, timeout=120, start_new_session=True, stdin=subprocess.DEVNULL)


def make_key(folder: Path, name: str = "auditor", passphrase: str = "") -> Path:
    key = folder / name
    subprocess.run([SSH_KEYGEN or "ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", str(key)],
                   check=True, capture_output=True, timeout=60)
    return key


def allowed_signers(folder: Path, key: Path, identity: str = "auditor@example.org") -> Path:
    path = folder / "allowed_signers"
    path.write_text(f'{identity} namespaces="hipaa-scan-evidence" {key.with_suffix(".pub").read_text()}')
    return path


def ssh_verify(folder: Path, signers: Path, namespace: str = "hipaa-scan-evidence",
               identity: str = "auditor@example.org") -> subprocess.CompletedProcess:
    """What docs/live.md tells the auditor to run."""
    with open(folder / "MANIFEST.sha256", "rb") as manifest:
        return subprocess.run([SSH_KEYGEN or "ssh-keygen", "-Y", "verify", "-f", str(signers), "-I", identity,
                               "-n", namespace, "-s", str(folder / "MANIFEST.sha256.sig")],
                              stdin=manifest, capture_output=True, text=True, timeout=60)


def digest_line(folder: Path) -> str:
    return f"hipaa-scan: evidence manifest SHA-256 {sha256(folder / 'MANIFEST.sha256')} ({folder}/MANIFEST.sha256)"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_digest_is_the_last_line_of_every_evidence_run(tmp_path):
    out = tmp_path / "audit"
    proc = hipaa_scan(*OFFLINE, "--evidence", str(out), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines == [f"hipaa-scan: evidence written to {out}", digest_line(out)]
    assert not (out / "MANIFEST.sha256.sig").exists()
    assert subprocess.run(["sha256sum", "-c", "--quiet", "--strict", "MANIFEST.sha256"], cwd=out).returncode == 0
    # a second run into the same folder gets a subfolder, and the line names that subfolder's manifest
    again = hipaa_scan(*OFFLINE, "--evidence", str(out), "-q")
    sub = next(p for p in out.iterdir() if p.name.startswith("scan-"))
    assert again.stderr.splitlines()[-1] == digest_line(sub)
    assert sha256(sub / "MANIFEST.sha256") != "" and re.search(r"SHA-256 [0-9a-f]{64} ", again.stderr)


def test_no_digest_line_without_evidence():
    proc = hipaa_scan(*OFFLINE, "-q")
    assert proc.returncode == 1 and "SHA-256" not in proc.stderr


@NEEDS_SSH_KEYGEN
def test_signed_manifest_verifies_with_ssh_keygen(tmp_path):
    from hipaa_scan.live.evidence import verify

    key = make_key(tmp_path)
    out = tmp_path / "audit"
    proc = hipaa_scan(*OFFLINE, "--evidence", str(out), "--sign-key", str(key), "--format", "sarif",
                      "--output", str(tmp_path / "report.sarif"))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [f"hipaa-scan: evidence written to {out}", digest_line(out),
                                        f"hipaa-scan: evidence manifest signed: {out}/MANIFEST.sha256.sig"]
    assert (out / "MANIFEST.sha256.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----\n")
    listed = (out / "MANIFEST.sha256").read_text()
    assert "MANIFEST.sha256.sig" not in listed and "manifest.json" in listed  # the signature signs the list
    assert verify(str(out)) == []  # the one unlisted file verify accepts
    assert subprocess.run(["sha256sum", "-c", "--quiet", "--strict", "MANIFEST.sha256"], cwd=out).returncode == 0
    signers = allowed_signers(tmp_path, key)
    good = ssh_verify(out, signers)
    assert good.returncode == 0, good.stderr
    assert 'Good "hipaa-scan-evidence" signature for auditor@example.org' in good.stdout + good.stderr
    # the namespace is bound: the same signature does not verify for another purpose
    assert ssh_verify(out, signers, namespace="file").returncode != 0
    # a signer not in allowed_signers does not verify
    assert ssh_verify(out, signers, identity="someone@else").returncode != 0
    # another key's allowed_signers does not verify it
    other = allowed_signers(tmp_path / "other", make_key(_mkdir(tmp_path / "other"), "other"))
    assert ssh_verify(out, other).returncode != 0
    # one changed byte in the manifest (e.g. a hash rewritten after changing a file): the signature fails
    manifest = out / "MANIFEST.sha256"
    manifest.write_bytes(manifest.read_bytes().replace(b"report.json", b"report.jsoN", 1))
    assert ssh_verify(out, signers).returncode != 0
    # no private key material in any output
    private = "".join(key.read_text().splitlines()[1:-1])
    assert private[:40] not in proc.stdout + proc.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert private[:40] not in path.read_text(errors="replace")


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


@NEEDS_SSH_KEYGEN
def test_public_key_file_signs_through_its_private_key(tmp_path):
    """ssh-keygen takes a public key file when the private key sits beside it or in an agent."""
    key = make_key(tmp_path)
    out = tmp_path / "audit"
    proc = hipaa_scan(*OFFLINE, "--evidence", str(out), "--sign-key", str(key.with_suffix(".pub")), "-q")
    assert proc.returncode == 1, proc.stderr
    assert ssh_verify(out, allowed_signers(tmp_path, key)).returncode == 0


def _passphrase_key(tmp_path: Path) -> Path:
    return make_key(tmp_path, "locked", passphrase="correct horse battery staple")


def _loose_key(tmp_path: Path) -> Path:
    key = make_key(tmp_path, "loose")
    key.chmod(0o644)  # ssh-keygen refuses a private key others can read
    return key


def _garbage_key(tmp_path: Path) -> Path:
    key = tmp_path / "garbage"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key at all\n-----END OPENSSH PRIVATE KEY-----\n")
    key.chmod(0o600)
    return key


def _empty_key(tmp_path: Path) -> Path:
    key = tmp_path / "empty"
    key.write_bytes(b"")
    key.chmod(0o600)
    return key


@NEEDS_SSH_KEYGEN
@pytest.mark.parametrize("make", [_passphrase_key, _loose_key, _garbage_key, _empty_key])
def test_signing_failure_is_one_line_exit_2_and_the_evidence_stays(tmp_path, make):
    from hipaa_scan.live.evidence import verify

    key = make(tmp_path)
    out = tmp_path / "audit"
    report = tmp_path / "report.json"
    proc = hipaa_scan(*OFFLINE, "--evidence", str(out), "--sign-key", str(key), "--format", "json",
                      "--output", str(report))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[:2] == [f"hipaa-scan: evidence written to {out}", digest_line(out)]
    assert len(lines) == 3, lines
    assert re.fullmatch(rf"hipaa-scan: error: cannot sign the evidence manifest with {re.escape(str(key))}: "
                        rf"ssh-keygen failed \(exit \d+\)(: .+)?; the evidence in {re.escape(str(out))} is kept, "
                        r"unsigned", lines[2]), lines[2]
    assert "Traceback" not in proc.stderr and "correct horse" not in proc.stderr
    assert not (out / "MANIFEST.sha256.sig").exists()
    assert verify(str(out)) == []
    assert subprocess.run(["sha256sum", "-c", "--quiet", "--strict", "MANIFEST.sha256"], cwd=out).returncode == 0
    assert report.read_text().startswith("{")  # the report is still written


def test_ssh_keygen_missing_is_one_line_and_the_evidence_stays(tmp_path):
    empty = _mkdir(tmp_path / "bin")
    key = tmp_path / "key"
    key.write_text("anything\n")
    out = tmp_path / "audit"
    proc = hipaa_scan(*OFFLINE, "--evidence", str(out), "--sign-key", str(key), "-q", env={"PATH": str(empty)})
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f"hipaa-scan: error: cannot sign the evidence manifest with {key}: ssh-keygen not found (install OpenSSH's "
        f"client: openssh-client); the evidence in {out} is kept, unsigned")
    assert (out / "MANIFEST.sha256").is_file() and not (out / "MANIFEST.sha256.sig").exists()


@pytest.mark.parametrize("args, message", [
    (("--sign-key", "{key}"), "--sign-key signs the evidence manifest: give --evidence DIR too"),
    (("--sign-key", "{missing}", "--evidence", "{out}"),
     "cannot sign the evidence manifest with {missing}: no such key file"),
])
def test_sign_key_usage_errors_come_before_the_audit(tmp_path, args, message):
    key = tmp_path / "key"
    key.write_text("x\n")
    names = {"key": key, "missing": tmp_path / "missing", "out": tmp_path / "audit"}
    proc = hipaa_scan(*OFFLINE, *(a.format(**names) for a in args))
    assert proc.returncode == 2
    assert proc.stderr == f"hipaa-scan: error: {message.format(**names)}\n"
    assert proc.stdout == "" and not (tmp_path / "audit").exists()


def test_output_may_not_overwrite_the_sign_key(tmp_path):
    key = tmp_path / "key"
    key.write_text("private\n")
    proc = hipaa_scan(*OFFLINE, "--evidence", str(tmp_path / "audit"), "--sign-key", str(key), "-o", str(key))
    assert proc.returncode == 2 and key.read_text() == "private\n"
    assert len(proc.stderr.splitlines()) == 1 and not (tmp_path / "audit").exists()


def test_ssh_keygen_that_hangs_is_stopped(tmp_path, monkeypatch):
    from hipaa_scan.live.evidence import EvidenceError, sign_manifest

    bin_dir = _mkdir(tmp_path / "bin")
    fake = bin_dir / "ssh-keygen"
    fake.write_text("#!/bin/sh\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    folder = _mkdir(tmp_path / "ev")
    (folder / "MANIFEST.sha256").write_text("")
    key = tmp_path / "key"
    key.write_text("x\n")
    with pytest.raises(EvidenceError, match=r"ssh-keygen did not finish within 0\.5 s"):
        sign_manifest(str(folder), str(key), timeout=0.5)
    assert not (folder / "MANIFEST.sha256.sig").exists()


def test_verify_accepts_only_the_signature_as_an_unlisted_file(tmp_path):
    from hipaa_scan.live.evidence import verify

    (tmp_path / "a.json").write_text("{}\n")
    (tmp_path / "MANIFEST.sha256").write_text(f"{sha256(tmp_path / 'a.json')}  a.json\n")
    (tmp_path / "MANIFEST.sha256.sig").write_text("sig\n")
    assert verify(str(tmp_path)) == []
    (tmp_path / "MANIFEST.sha256.sig.bak").write_text("x\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "MANIFEST.sha256.sig").write_text("x\n")
    assert verify(str(tmp_path)) == ["MANIFEST.sha256.sig.bak: not in MANIFEST.sha256",
                                     "sub/MANIFEST.sha256.sig: not in MANIFEST.sha256"]
